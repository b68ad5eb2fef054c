#!/usr/bin/env bash
# bench/probe_step.sh — probe training-step throughput: dwplan's CPU backend against PyTorch,
# with OPENBLAS_CORETYPE as the environment has it and with it unset (issue 5's benchmark;
# not a test: a missed target still exits 0).
#
#   bench/probe_step.sh [path/to/probe_step]        (default build/probe_step)
#   THREADS=2 WIDTHS=64,128,256,512 DEPTHS=2,4,8 MIN_TIME=3 SETTINGS="as-is unset" \
#       bench/probe_step.sh
#
# For each setting: the 2-thread SGEMM rate (probe_step --sgemm-only), then for each (W, D)
# our training step (build/probe_step) and, right after it, the same model in PyTorch
# (bench/probe_step_torch.py, same threads, OpenBLAS's OpenMP build through LD_LIBRARY_PATH
# when it is installed), then the SGEMM rate again. Interleaving the two per shape and
# taking each one's fastest 1-s window keeps bursts of load from other processes on a shared
# machine from deciding the ratio. Printed: tokens/s and MFU of both, their ratio, and the
# targets (>= 1.2x PyTorch's tokens/s at every W; >= 55% MFU at W >= 256). MFU = model
# FLOPs per token (probe_model_flops_per_token) x tokens/s / the highest SGEMM rate measured
# in the setting. PyTorch is found as $PYTHON, python3 or /usr/bin/python3, whichever
# imports torch; without it only our rows are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/probe_step}
THREADS=${THREADS:-2}
WIDTHS=${WIDTHS:-64,128,256,512}
DEPTHS=${DEPTHS:-2,4,8}
MIN_TIME=${MIN_TIME:-3}
SETTINGS=${SETTINGS:-as-is unset}
OMP_LIB=/usr/lib/x86_64-linux-gnu/openblas-openmp
[ -x "$BIN" ] || { echo "probe_step.sh: $BIN not built (cmake --build build)" >&2; exit 2; }

PY=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" 2>/dev/null; then PY=$p; break; fi
done
ldp=${LD_LIBRARY_PATH:-}
[ -d "$OMP_LIB" ] && ldp="$OMP_LIB${ldp:+:$ldp}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$PY" ] || echo "PyTorch: not found (apt-get install -y python3-torch); our rows only"
as_is=${OPENBLAS_CORETYPE-}

for setting in $SETTINGS; do
    if [ "$setting" = as-is ]; then
        envcmd=(env)
        label="OPENBLAS_CORETYPE=${as_is:-(unset)} (environment as is)"
    else
        envcmd=(env -u OPENBLAS_CORETYPE)
        label="OPENBLAS_CORETYPE unset"
    fi
    "${envcmd[@]}" "$BIN" --threads "$THREADS" --sgemm-only > "$tmp/sgemm0" 2>/dev/null
    : > "$tmp/ours"
    : > "$tmp/torch"
    for w in ${WIDTHS//,/ }; do
        for d in ${DEPTHS//,/ }; do
            "${envcmd[@]}" "$BIN" --threads "$THREADS" --widths "$w" --depths "$d" \
                --min-time "$MIN_TIME" --sgemm-n 0 2>/dev/null | grep -v '^#' >> "$tmp/ours"
            if [ -n "$PY" ]; then
                "${envcmd[@]}" LD_LIBRARY_PATH="$ldp" "$PY" bench/probe_step_torch.py \
                    --threads "$THREADS" --widths "$w" --depths "$d" --min-time "$MIN_TIME" \
                    | grep -v '^#' >> "$tmp/torch"
            fi
        done
    done
    "${envcmd[@]}" "$BIN" --threads "$THREADS" --sgemm-only > "$tmp/sgemm1" 2>/dev/null
    echo
    echo "== $label"
    grep '^# blas' "$tmp/sgemm0"
    echo "# sgemm GFLOP/s (2048x2048, $THREADS threads; BLAS threads / our split):" \
         "before $(sed -n 's/.*native \([^,]*\), split \([^ ]*\) .*/\1 \/ \2/p' "$tmp/sgemm0")," \
         "after $(sed -n 's/.*native \([^,]*\), split \([^ ]*\) .*/\1 \/ \2/p' "$tmp/sgemm1")"
    [ -n "$PY" ] && "$PY" -c 'import torch; print("# torch", torch.__version__)'
    awk '
        FNR == 1 { file++ }
        file <= 2 {
            if ($2 == "sgemm") { split($0, a, "peak used "); if (a[2] + 0 > peak) peak = a[2] + 0 }
            next
        }
        file == 3 { key = $1 " " $2; ours[key] = $6; fpt[key] = $7 * 1e9 / $6; order[++n] = key }
        file == 4 { torch[$1 " " $2] = $4 }
        END {
            printf "# peak used for MFU: %.1f GFLOP/s\n", peak
            printf "%5s %3s %12s %7s %12s %7s %7s  %s\n", "W", "D", "ours tok/s", "MFU",
                   "torch tok/s", "MFU", "ratio", "targets"
            for (i = 1; i <= n; i++) {
                k = order[i]; split(k, wd, " ")
                mo = 100 * ours[k] * fpt[k] / (peak * 1e9)
                t = torch[k] + 0
                mt = t > 0 ? sprintf("%6.1f%%", 100 * t * fpt[k] / (peak * 1e9)) : "      -"
                ts = t > 0 ? sprintf("%12.0f", t) : "           -"
                r = t > 0 ? ours[k] / t : 0
                rs = t > 0 ? sprintf("%6.2fx", r) : "      -"
                tg = ""
                if (t > 0) tg = tg (r >= 1.2 ? "ratio ok" : "ratio MISSED")
                if (wd[1] >= 256) tg = tg (tg == "" ? "" : ", ") (mo >= 55 ? "MFU ok" : "MFU MISSED")
                printf "%5s %3s %12.0f %6.1f%% %s %s %s  %s\n", wd[1], wd[2], ours[k], mo, ts,
                       mt, rs, tg
            }
        }' "$tmp/sgemm0" "$tmp/sgemm1" "$tmp/ours" "$tmp/torch"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
