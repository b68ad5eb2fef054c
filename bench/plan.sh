#!/usr/bin/env bash
# Benchmark (not a test): wall time of `dwplan --compute 1e22` and of a 33-budget sweep,
# against the baseline of process start-up (`dwplan --version`) measured in the same run.
#   bench/plan.sh [path/to/dwplan] [repetitions]
set -euo pipefail
dwplan=${1:-$(dirname "$0")/../build/dwplan}
reps=${2:-20}
t() { # mean seconds of reps runs
    local s e
    s=$(date +%s.%N)
    for ((i = 0; i < reps; i++)); do "$@" >/dev/null; done
    e=$(date +%s.%N)
    echo "($e - $s) / $reps" | bc -l
}
base=$(t "$dwplan" --version)
plan=$(t "$dwplan" --compute 1e22)
sweep=$(t "$dwplan" plan --sweep-compute 1e17:1e25)
printf 'baseline  dwplan --version               %7.1f ms\n' "$(echo "$base * 1000" | bc -l)"
printf 'plan      dwplan --compute 1e22          %7.1f ms  (%.1fx baseline; target < 100 ms)\n' \
    "$(echo "$plan * 1000" | bc -l)" "$(echo "$plan / $base" | bc -l)"
printf 'sweep     --sweep-compute 1e17:1e25 (33) %7.1f ms  (%.1fx baseline; target < 500 ms)\n' \
    "$(echo "$sweep * 1000" | bc -l)" "$(echo "$sweep / $base" | bc -l)"
