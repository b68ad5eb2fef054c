#!/usr/bin/env bash
# tests/cli_cleanups12.sh — small things issue 12 found: the sweep's progress line writes a
# token count as people read it ("8 tokens", not "8e-06M tokens"), a budget smaller than one
# step says how to fix it (a larger budget or --steps), and plan --sweep-compute reads the
# same numbers as --compute (suffixes).
#
# usage: bash tests/cli_cleanups12.sh /path/to/dwplan
set -u

DWPLAN=${1:?usage: cli_cleanups12.sh /path/to/dwplan}
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

finish cli_cleanups12
