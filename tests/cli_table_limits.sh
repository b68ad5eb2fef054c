#!/usr/bin/env bash
# CLI tests of the table limits (datasets/table.h, issue 14 finding 5): `dwplan fit` on a
# 200k-column CSV, a 40k-key JSONL object, an over-long column name and a sparse JSONL file
# past the cell cap, and 60k runs that differ only in their gradient norms (the duplicate
# check, `fit --critical-depth`), exit 3 within 5 CPU seconds (10 for the 60k rows: 1.6 under
# ASan) — a guard, not a benchmark: the quadratic reader took over 30 s on the CSV, the
# duplicate check 24.7 CPU s — naming the file and the line.
set -u
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

# cpu_run ARGS...: `run ARGS...`, with the CPU seconds it used (user + system) in $CPU: CPU
# time, not wall time, so that a loaded machine (CI beside other jobs) does not fail the guard
cpu_run() {
    local TIMEFORMAT='%U %S'
    { time run "$@"; } 2>"$tmp/cpu"
    CPU=$(awk '{ print $1 + $2 }' "$tmp/cpu")
}
# fit_timed NAME FILE: runs `dwplan fit FILE --form chinchilla`; checks exit 3 within 5 CPU s
fit_timed() {
    cpu_run fit "$2" --form chinchilla
    expect_rc "$1 exit" 3
    check "$1 under 5 CPU s ($CPU)" "awk -v c=$CPU 'BEGIN { exit !(c < 5) }'"
}

# (awk prints field by field: building one long string would be quadratic in awk itself)
awk 'BEGIN { for (r = 0; r < 2; r++) { for (k = 0; k < 200000; k++)
    printf "%s%s%d", (k ? "," : ""), (r ? "" : "c"), k; printf "\n" } }' >"$tmp/wide.csv"
fit_timed "200k columns" "$tmp/wide.csv"
has "$tmp/err" "200k columns" "wide.csv:1: 200000 columns in the header; at most 4096"

awk 'BEGIN { printf "{"; for (k = 0; k < 40000; k++) printf "%s\"k%d\":%d", (k ? "," : ""), k, k;
    print "}" }' >"$tmp/keys.jsonl"
fit_timed "40k keys" "$tmp/keys.jsonl"
has "$tmp/err" "40k keys" "keys.jsonl:1: key 'k4096' would be column 4097; at most 4096"

awk 'BEGIN { printf "depth,"; for (k = 0; k < 1025; k++) printf "x"; print ""; print "1,2" }' \
    >"$tmp/long.csv"
fit_timed "long name" "$tmp/long.csv"
has "$tmp/err" "long name" "long.csv:1: column 2: a name of 1025 bytes; at most 1024"

# 4096 keys, then 4096 empty objects: the 4097th row would pass 2^24 cells
awk 'BEGIN { printf "{"; for (k = 0; k < 4096; k++) printf "%s\"k%d\":%d", (k ? "," : ""), k, k;
    print "}"; for (r = 0; r < 4096; r++) print "{}" }' >"$tmp/sparse.jsonl"
fit_timed "sparse cells" "$tmp/sparse.jsonl"
has "$tmp/err" "sparse cells" "sparse.jsonl:4097: row 4097 of 4096 columns" "16777216 cells"

# 60k runs equal but for their gradient norms, then a duplicate of the first: the duplicate
# check compared every pair of such rows (24 s here before the fingerprint of the norms)
awk 'BEGIN { for (r = 0; r <= 60000; r++)
    printf "{\"depth\":2,\"width\":64,\"tokens\":1e9,\"loss\":3,\"grad_norms\":[1,1,%d]}\n",
        r < 60000 ? r + 1 : 1 }' >"$tmp/grads.jsonl"
cpu_run fit "$tmp/grads.jsonl" --critical-depth
expect_rc "60k gradient rows exit" 3
check "60k gradient rows under 10 CPU s ($CPU)" "awk -v c=$CPU 'BEGIN { exit !(c < 10) }'"
has "$tmp/err" "60k gradient rows" "grads.jsonl:60001: duplicate of line 1"

finish cli_table_limits
