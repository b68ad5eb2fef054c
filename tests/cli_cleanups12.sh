#!/usr/bin/env bash
# tests/cli_cleanups12.sh — small things issue 12 found: the sweep's progress line writes a
# token count as people read it ("8 tokens", not "8e-06M tokens"), a budget smaller than one
# step says how to fix it (a larger budget or --steps), plan --sweep-compute reads the
# same numbers as --compute (suffixes), and the report page says which rows --skip-bad-rows
# left out (it said nothing).
#
# usage: bash tests/cli_cleanups12.sh /path/to/dwplan
set -u

DWPLAN=${1:?usage: cli_cleanups12.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
cd "$tmp" || exit 1

nothas() { # FILE NAME STRING: STRING must not occur in FILE
    if grep -qF -- "$3" "$1"; then bad "$2: $(basename "$1") has '$3': $(head -c 300 "$1")"; else ok; fi
}

# ---------------------------------------------------------------------------
# probe sweep: a one-step config of 1×8 tokens (a fraction of a second on one thread)
run probe sweep --depths 1 --widths 16 --steps 1 --batch 1 --seq 8 --threads 1 -o r.jsonl
expect_rc "sweep --steps 1" 0
has "$tmp/err" "sweep progress" "depth 1 width 16: 8 tokens, 1 step"
nothas "$tmp/err" "sweep progress" "M tokens"

# a budget below one step: the message says what the step is and how to get a run
run probe sweep --depths 1 --widths 16 --tokens 4 --batch 1 --seq 8 --threads 1 -o r2.jsonl
expect_rc "sweep --tokens 4" 2
has "$tmp/err" "sweep --tokens 4" "less than one step of 1×8 = 8 tokens" "--tokens" "--steps"
run probe sweep --depths 1 --widths 16 --iso-flops 10 --batch 1 --seq 8 --threads 1 -o r3.jsonl
expect_rc "sweep --iso-flops 10" 2
has "$tmp/err" "sweep --iso-flops 10" "less than one step of 1×8 = 8 tokens" "--iso-flops" \
    "--steps"
nothas "$tmp/err" "sweep --iso-flops 10" "budget of 0 tokens"
# the advice is enough: the budget it names buys one step
need=$(sed -n 's/.*give --iso-flops \([^ ]*\) or more.*/\1/p' "$tmp/err")
if [ -n "$need" ]; then
    run probe sweep --depths 1 --widths 16 --iso-flops "$need" --batch 1 --seq 8 --threads 1 \
        -o r4.jsonl
    expect_rc "sweep --iso-flops $need (the advised budget)" 0
    has "$tmp/err" "sweep --iso-flops $need" "8 tokens, 1 step"
else
    bad "sweep --iso-flops 10: no advised --iso-flops in: $(cat "$tmp/err")"
fi
[ -s r2.jsonl ] && bad "sweep --tokens 4 wrote records" || ok

# ---------------------------------------------------------------------------
# plan --sweep-compute: the same numbers as --compute (count suffixes k m b g t, any case;
# dw_parse_double), so 1e8t:1e10t is 1e20:1e22
run plan --compute 1e10t --json
expect_rc "--compute 1e10t" 0
run plan --sweep-compute 1e20:1e22 --json
expect_rc "--sweep-compute 1e20:1e22" 0
cp "$tmp/out" plain.json
for spec in 1e8t:1e10t 1E8T:1e10t 100000000000000000000:10000000000T 1e11b:1e13G; do
    run plan --sweep-compute "$spec" --json
    expect_rc "--sweep-compute $spec" 0
    cmp -s "$tmp/out" plain.json && ok || bad "--sweep-compute $spec differs from 1e20:1e22"
done
for spec in 1e22:1e20 1e20 1e20:1e22:3 1x:1e22 1e20:1e22x 1e8tt:1e10t 0:1e22 1e8mb:1e22; do
    run plan --sweep-compute "$spec"
    expect_rc "--sweep-compute $spec" 2
    has "$tmp/err" "--sweep-compute $spec" "--sweep-compute"
done

# ---------------------------------------------------------------------------
# report --skip-bad-rows: the page says how many rows were left out, from which file and
# lines. Without gnuplot (PATH emptied) the page is still written, quickly; exit 4.
RUNS=$SRC/examples/runs/synthetic_runs.jsonl
if [ -s "$RUNS" ]; then
    # the report reads val_loss (the loss column it prefers)
    sed -n 1,20p "$RUNS" >bad.jsonl
    sed -n 21p "$RUNS" | sed 's/"val_loss":[0-9.]*/"val_loss":"nan"/' >>bad.jsonl  # line 21
    sed -n 22,30p "$RUNS" >>bad.jsonl
    sed -n 31p "$RUNS" | sed 's/"val_loss":[0-9.]*,//' >>bad.jsonl             # line 31
    sed -n '32,$p' "$RUNS" >>bad.jsonl
    nbad=$(grep -c '"val_loss":"nan"' bad.jsonl)
    [ "$nbad" -eq 1 ] && ok || bad "bad.jsonl: the planted nan row is missing"
    PATH=/nonexistent "$DWPLAN" report bad.jsonl --skip-bad-rows --no-cv -o rep \
        >"$tmp/out" 2>"$tmp/err"
    RC=$?
    [ -s rep/index.html ] && ok || bad "report --skip-bad-rows: no index.html (exit $RC): $(tail -c 300 "$tmp/err")"
    has "$tmp/err" "report --skip-bad-rows stderr" "2 rows with a missing or bad value left out"
    has rep/index.html "report --skip-bad-rows page" "bad.jsonl</code>, 38 runs used" \
        "2 rows with a missing or bad value left out (--skip-bad-rows): lines 21, 31" \
        "bad.jsonl:21"
    PATH=/nonexistent "$DWPLAN" report "$RUNS" --no-cv -o rep2 >"$tmp/out" 2>"$tmp/err"
    nothas rep2/index.html "report of clean rows" "left out (--skip-bad-rows)"
else
    bad "$RUNS missing"
fi

finish cli_cleanups12
