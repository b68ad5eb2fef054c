#!/usr/bin/env bash
# tests/cli_plan.sh — drives `dwplan plan`, `check` and every --help (DESIGN §1, §4.4).
#
# usage: bash tests/cli_plan.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree, for examples/models)
#
# JSON is validated with python3 when it is installed; without it those checks are skipped
# (and say so), the rest still run, and the test exits 77 (skipped) or 1 if anything failed.
set -u

DWPLAN=${1:?usage: cli_plan.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
TMP=$tmp

HAVE_PY=0
if command -v python3 >/dev/null 2>&1; then
    HAVE_PY=1
else
    echo "cli_plan: python3 not found: skipping the JSON structure checks"
fi

# run ARGS... (tests/harness.sh): stdout in $TMP/out, stderr in $TMP/err, status in $RC.

# expect_ok NAME: the last run exited 0.
expect_ok() {
    if [ "$RC" -eq 0 ]; then ok; else bad "$1: exit $RC (stderr: $(head -c 400 "$TMP/err"))"; fi
}

# pycheck NAME FILE CODE [MORE...]: CODE (python, with d = FILE's JSON and more = the
# parsed MORE files) must not raise.
pycheck() {
    local name=$1 file=$2 code=$3
    shift 3
    if [ "$HAVE_PY" -eq 0 ]; then
        echo "cli_plan: skip (no python3): $name"
        return
    fi
    local msg
    if msg=$(python3 -c "
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit('not valid JSON: %s' % e)
more = [json.load(open(f)) for f in sys.argv[2:]]
$code
" "$file" "$@" 2>&1); then
        ok
    else
        bad "$name: $msg"
    fi
}

# ---------------------------------------------------------------------------
# the default plan, text and JSON

run --compute 1e22
expect_ok "--compute 1e22"
if grep -q "recommended shape" "$TMP/out"; then ok; else bad "--compute 1e22: no 'recommended shape' line"; fi

run --compute 1e22 --json
expect_ok "--compute 1e22 --json"
cp "$TMP/out" "$TMP/plan.json"
pycheck "--compute 1e22 --json" "$TMP/plan.json" '
for k in ("budget", "law", "recommended", "continuous_optimum", "predicted_loss", "alternatives"):
    assert k in d, "missing key %s" % k
assert isinstance(d["law"], dict) and "provenance" in d["law"], "law has no provenance"
r = d["recommended"]
for k in ("depth", "width", "heads", "params_nonembed", "params_total", "tokens",
          "tokens_per_param", "loss", "dcrit"):
    assert k in r, "recommended lacks %s" % k
assert abs(d["budget"]["compute"] - 1e22) <= 1e-9 * 1e22, "budget.compute %r" % d["budget"]["compute"]
assert r["depth"] >= 1 and r["depth"] == int(r["depth"]), "depth %r" % r["depth"]
assert r["heads"] >= 1 and r["width"] % r["heads"] == 0, "heads %r width %r" % (r["heads"], r["width"])
assert abs(r["flops"] - 1e22) <= 0.01 * 1e22, "flops %r" % r["flops"]
assert abs(r["tokens_per_param"] - r["tokens"] / r["params_total"]) <= 1e-9 * r["tokens_per_param"]
assert isinstance(d["alternatives"], list) and len(d["alternatives"]) >= 1, "no alternatives"
for a in d["alternatives"]:
    assert "label" in a and "delta_loss" in a, "alternative lacks label/delta_loss: %r" % a
'

# ---------------------------------------------------------------------------
# budget sweep

run plan --sweep-compute 1e17:1e25 --json
expect_ok "plan --sweep-compute 1e17:1e25 --json"
cp "$TMP/out" "$TMP/sweep.json"
pycheck "--sweep-compute --json" "$TMP/sweep.json" '
ex = d["exponents"]
for k in ("depth", "width", "params", "tokens"):
    assert k in ex and isinstance(ex[k]["slope"], (int, float)), "exponents.%s missing" % k
assert len(d["optima"]) >= 33, "only %d optima" % len(d["optima"])
'

# ---------------------------------------------------------------------------
# Hugging Face config of the recommended shape

run plan --compute 1e22 --emit hf-config
expect_ok "plan --emit hf-config"
cp "$TMP/out" "$TMP/hf.json"
pycheck "--emit hf-config" "$TMP/hf.json" '
for k in ("hidden_size", "num_hidden_layers", "num_attention_heads"):
    assert k in d, "missing %s" % k
plan = more[0]["recommended"]
W, H = d["hidden_size"], d["num_attention_heads"]
assert H >= 1 and W == H * plan["head_dim"], \
    "hidden_size %r != %r heads x head width %r" % (W, H, plan["head_dim"])
assert W == plan["width"] and d["num_hidden_layers"] == plan["depth"], \
    "config %rx%r differs from the plan %rx%r" % (d["num_hidden_layers"], W, plan["depth"], plan["width"])
' "$TMP/plan.json"

# ---------------------------------------------------------------------------
# hardware budget: H100 dense bf16 989 TFLOP/s

run --gpu h100 --gpus 512 --days 30 --mfu 0.4 --json
expect_ok "--gpu h100 --gpus 512 --days 30 --mfu 0.4 --json"
cp "$TMP/out" "$TMP/hw.json"
pycheck "--gpu h100 budget" "$TMP/hw.json" '
want = 989e12 * 512 * 30 * 86400 * 0.4
got = d["budget"]["compute"]
assert abs(got - want) <= 1e-9 * want, "budget.compute %r, want %r" % (got, want)
'

# ---------------------------------------------------------------------------
# check an existing model

run check --hf-config "$SRC/examples/models/llama-2-7b.json" --json
expect_ok "check --hf-config llama-2-7b.json --json"
cp "$TMP/out" "$TMP/check.json"
pycheck "check llama-2-7b params" "$TMP/check.json" '
s = d["shape"]
assert s["params_total"] == 6738415616, "params_total %r" % s["params_total"]
assert s["depth"] == 32 and s["width"] == 4096, "shape %rx%r" % (s["depth"], s["width"])
'
# Llama-2-7B has 32 heads of width 128: a reported head_dim must be that width.
pycheck "check llama-2-7b head_dim" "$TMP/check.json" '
s = d["shape"]
assert s.get("heads") == 32, "heads %r" % s.get("heads")
assert s.get("head_dim") == 128, "head_dim %r, want 128 (= 4096 / 32)" % s.get("head_dim")
'

# ---------------------------------------------------------------------------
# every --help exits 0 and shows an example

for cmd in "" plan check fit count law; do
    # shellcheck disable=SC2086
    run $cmd --help
    name="dwplan${cmd:+ $cmd} --help"
    expect_ok "$name"
    if grep -qi "example" "$TMP/out"; then ok; else bad "$name: no example in the help text"; fi
done

[ "$HAVE_PY" -eq 1 ] || skip_rest cli_plan "python3 not found: the JSON structure checks did not run"
finish cli_plan
