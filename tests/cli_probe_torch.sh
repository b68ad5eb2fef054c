#!/usr/bin/env bash
# Cross-check of the probe model against PyTorch (tests/torch_crosscheck.py): our loss and
# gradients on a batch, from a safetensors checkpoint, vs transformers' GPTNeoXForCausalLM
# or an independent float64 GPT-NeoX. Skips (77) when no python3 with torch is found
# (Debian: apt-get install python3-torch; its python is /usr/bin/python3).
set -u
DWPLAN=$1
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" >/dev/null 2>&1; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "cli_probe_torch: no python3 with torch (apt-get install python3-torch): skipped"
    exit 77
fi
exec "$py" "$SRC/tests/torch_crosscheck.py" "$DWPLAN"
