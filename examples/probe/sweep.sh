#!/usr/bin/env bash
# A small depth × width sweep on dwplan's synthetic language, then the analyses that read
# it: the loss-vs-depth table, gradient persistence and critical depth, and a law fit.
#
#   examples/probe/sweep.sh [OUTDIR] [path/to/dwplan]
#
# Environment (defaults in brackets): DEPTHS [1-8], WIDTHS [32,64,128], TOKENS [2M],
# TOKENS2 [1M: the same grid at a second budget, so that a law's tokens term is
# identifiable; empty to skip], JOBS [2], THREADS [all CPUs], BATCH [8], SEQ [128].
#
# Resumable: run it again after an interruption and only the missing configs train (the
# results files are the record of what is done).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-probe-sweep}
dwplan=${2:-$root/build/dwplan}
DEPTHS=${DEPTHS:-1-8} WIDTHS=${WIDTHS:-32,64,128} TOKENS=${TOKENS:-2M} TOKENS2=${TOKENS2-1M}
JOBS=${JOBS:-2} BATCH=${BATCH:-8} SEQ=${SEQ:-128}
threads=()
if [ -n "${THREADS:-}" ]; then threads=(--threads "$THREADS"); fi
mkdir -p "$out"
common=(--depths "$DEPTHS" --widths "$WIDTHS" --batch "$BATCH" --seq "$SEQ" --jobs "$JOBS"
        "${threads[@]}")

start=$(date +%s)
# 1. the grid at the main budget; prints the validation-loss table (depth x width)
"$dwplan" probe sweep "${common[@]}" --tokens "$TOKENS" -o "$out/runs.jsonl" | tee "$out/table.txt"
# 2. the same grid at a second budget
if [ -n "$TOKENS2" ]; then
    "$dwplan" probe sweep "${common[@]}" --tokens "$TOKENS2" -o "$out/runs_small.jsonl" \
        >"$out/table_small.txt"
fi
echo "sweep wall time: $(($(date +%s) - start)) s" | tee "$out/time.txt"

# 3. gradient persistence tau per run, tau(W), critical depth per width (one budget)
"$dwplan" fit "$out/runs.jsonl" --critical-depth | tee "$out/critical_depth.txt" || true
# 4. a law with a depth-width term over both budgets, N counted from the shape
cat "$out"/runs*.jsonl >"$out/all.jsonl"
"$dwplan" fit "$out/all.jsonl" --where status=ok --form shape:log --n-source shape \
    --vocab 256 --seq-len "$SEQ" -o "$out/law.json" | tee "$out/fit.txt" || true
