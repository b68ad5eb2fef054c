#!/usr/bin/env bash
# tests/cli_options.sh — options mean the same in every command (issue 12, case 14):
#   - number suffixes are case-insensitive (k/K 1e3, m/M 1e6, b/B/g/G 1e9, t/T 1e12) and
#     give the same value as the plain number; 1e22 and 1E22 are the same number;
#   - `probe sweep --steps S` budgets every config by steps, as `probe run --steps S` does;
#   - an unknown field in --map is refused, naming it and the known fields;
#   - a ';'-delimited CSV gets a hint instead of a confusing "duplicate" message;
#   - a row with a missing or NaN value in a used column is an error naming file, line and
#     column; --skip-bad-rows leaves such rows out and says how many and which lines.
#
# usage: bash tests/cli_options.sh /path/to/dwplan
set -u
DWPLAN=${1:?usage: cli_options.sh /path/to/dwplan}
DWPLAN=$(cd "$(dirname "$DWPLAN")" && pwd)/$(basename "$DWPLAN")
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
cd "$tmp"

# ---------------------------------------------------------------------------
# number suffixes: every spelling gives the same count as the plain number

tokens_of() { # the "training FLOPs ... for N tokens" line of count
    "$DWPLAN" count --depth 4 --width 128 --tokens "$1" 2>&1 | grep 'training FLOPs'
}
want=$(tokens_of 2000000)
for s in 2m 2M 2000k 2000K 0.002b 0.002B 0.002g 0.002G 0.000002t 0.000002T 2e6 2E6; do
    got=$(tokens_of "$s")
    check "--tokens $s = 2000000 (got '$got', want '$want')" '[ -n "$want" ] && [ "$got" = "$want" ]'
done
for s in 2mm 2x "2 m" m 2mb 2e; do
    run count --depth 4 --width 128 --tokens "$s"
    expect_rc "--tokens '$s' refused" 2
done
# 1e22 and 1E22 plan the same
"$DWPLAN" --compute 1e22 >lower.txt 2>&1
"$DWPLAN" --compute 1E22 >upper.txt 2>&1
check "--compute 1E22 = 1e22" 'cmp -s lower.txt upper.txt && [ -s lower.txt ]'
"$DWPLAN" --compute 1e10t >suffix.txt 2>&1
check "--compute 1e10t = 1e22" 'cmp -s lower.txt suffix.txt'

# ---------------------------------------------------------------------------
# probe sweep --steps: each config trains S steps, as probe run --steps S does
P=(--batch 2 --seq 16 --val-batches 1 --synthetic-tokens 65536 --threads 1 --quiet)
run probe sweep --depths 1,2 --widths 16 --steps 3 "${P[@]}" -o sweep.jsonl
expect_rc "probe sweep --steps 3" 0
run probe run --depth 1 --width 16 --steps 3 "${P[@]}" -o run.jsonl
expect_rc "probe run --steps 3" 0
if command -v python3 >/dev/null; then
    check "sweep --steps: 2 records of 3 steps, 96 tokens, as probe run" "python3 -c \"
import json
s = [json.loads(l) for l in open('sweep.jsonl')]
r = [json.loads(l) for l in open('run.jsonl')]
assert len(s) == 2 and len(r) == 1, (len(s), len(r))
assert all(x['steps'] == 3 and x['tokens'] == 96 for x in s + r), [(x['steps'], x['tokens']) for x in s + r]
a = [x for x in s if x['depth'] == 1][0]
assert a['val_loss'] == r[0]['val_loss'], (a['val_loss'], r[0]['val_loss'])
\""
else
    check "sweep --steps wrote 2 records" '[ "$(wc -l <sweep.jsonl)" -eq 2 ]'
fi
run probe sweep --depths 1 --widths 16 --steps 3 --tokens 96 "${P[@]}" -o both.jsonl
expect_rc "probe sweep --steps with --tokens refused" 2
has "$tmp/err" "sweep --steps and --tokens" "--steps"

# ---------------------------------------------------------------------------
# run tables: --map, ';'-delimited files, bad cells and --skip-bad-rows
cat >a.csv <<'EOF'
depth,width,params,tokens,loss
2,64,1e6,1e8,3.1
4,64,2e6,1e8,2.9
2,128,4e6,1e8,2.7
4,128,8e6,1e8,2.5
8,128,1.6e7,1e8,2.3
8,64,4e6,1e8,2.8
EOF
run plot depth a.csv --map los=eval/loss -o m.svg
expect_rc "--map los=...: unknown field refused" 2
has "$tmp/err" "--map unknown field" "'los'" "depth, width, params, tokens, flops, loss, grad_norms"
run report a.csv --map los=loss --no-cv -o rdir
expect_rc "report --map los=...: unknown field refused" 2

tr , ';' <a.csv >semi.csv
run plot depth semi.csv -o s.svg
expect_rc "';'-delimited CSV" 3
has "$tmp/err" "';'-delimited hint" "looks like ';'-delimited" "semi.csv"

sed 's/^4,64,2e6,1e8,2.9$/4,64,2e6,1e8,nan/; s/^8,64,4e6,1e8,2.8$/8,64,4e6,1e8,/' a.csv >bad.csv
run plot depth bad.csv -o b.svg
expect_rc "a NaN cell without --skip-bad-rows" 3
has "$tmp/err" "NaN cell names file:line and column" "bad.csv:3:" "column 'loss'" "--skip-bad-rows"
run plot depth bad.csv --skip-bad-rows -o b.svg
check "plot --skip-bad-rows goes on (exit $RC)" '[ "$RC" -eq 0 ] || [ "$RC" -eq 4 ]'
has "$tmp/err" "--skip-bad-rows reports the rows" "2 rows" "lines 3, 7"
run report bad.csv --skip-bad-rows --no-cv -o rdir
check "report --skip-bad-rows parses (exit $RC)" '[ "$RC" -ne 2 ]'
has "$tmp/err" "report --skip-bad-rows reports the rows" "2 rows" "lines 3, 7"
run fit bad.csv --n-convention nonembed --form chinchilla --fix E=1,A=0,alpha=0.3 -o f.json
expect_rc "fit: a NaN cell without --skip-bad-rows" 3
has "$tmp/err" "fit's NaN error names the flag" "bad.csv:3:" "--skip-bad-rows"
run fit bad.csv --n-convention nonembed --form chinchilla --fix E=1,A=0,alpha=0.3 \
    --skip-bad-rows -o f.json
check "fit --skip-bad-rows is an option of fit (exit $RC)" '[ "$RC" -ne 2 ]'
has "$tmp/err" "fit --skip-bad-rows reports the rows" "2 rows" "lines 3, 7"

finish cli_options
