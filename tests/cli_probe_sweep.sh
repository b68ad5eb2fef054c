#!/usr/bin/env bash
# CLI tests of `dwplan probe sweep`: a sweep of tiny configs with two workers is killed with
# SIGKILL (the whole process group) mid-way and started again; afterwards every config has
# exactly one record, no line is torn, no claim is left, and a third start runs nothing.
# Also: the loss table on stdout, --emit-slurm, --array-index, and two sweeps started at
# once on one results file sharing the work without running a config twice.
set -u
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_probe_sweep: python3 missing" >&2; exit 77; fi
if ! command -v setsid >/dev/null; then echo "cli_probe_sweep: setsid missing" >&2; exit 77; fi
py() { python3 -c "$1"; }
cd "$tmp"
S=(probe sweep --depths 1-3 --widths 16,24,32 --tokens 12k --batch 2 --seq 16 --val-batches 1
   --synthetic-tokens 65536 --jobs 2 --threads 2)

# every config exactly once, every line a whole JSON object
once() { # file, expected count
    py "
import json, collections
lines = open('$1').read().split('\n')
assert lines[-1] == '', 'no final newline'
recs = [json.loads(l) for l in lines[:-1]]   # raises on a torn line
c = collections.Counter((r['depth'], r['width']) for r in recs)
assert len(recs) == $2 and len(c) == $2 and max(c.values()) == 1, c
assert all(r['status'] == 'ok' for r in recs), [r['status'] for r in recs]
"
}

# 1. SIGKILL mid-way, then restart
setsid "$DWPLAN" "${S[@]}" -o runs.jsonl --quiet >/dev/null 2>sweep1.err &
leader=$!
for _ in $(seq 1 600); do
    [ -f runs.jsonl ] && [ "$(wc -l <runs.jsonl)" -ge 2 ] && break
    sleep 0.05
done
kill -9 -- -"$leader" 2>/dev/null
wait "$leader" 2>/dev/null
n1=$(wc -l <runs.jsonl)
check "killed mid-way ($n1 of 9 recorded)" '[ "$n1" -ge 2 ] && [ "$n1" -lt 9 ]'
# the workers die with their parent (PR_SET_PDEATHSIG); wait until none runs (zombies are
# fine: a claim of a zombie is stale)
for _ in $(seq 1 100); do
    ps -o stat= -g "$leader" 2>/dev/null | grep -qv '^Z' || break
    sleep 0.05
done
left=$(ls runs.jsonl.claims 2>/dev/null | wc -l)
"$DWPLAN" "${S[@]}" -o runs.jsonl >table.txt 2>sweep2.err
check "restart exit 0" '[ $? -eq 0 ]'
check "restart took over the dead claims ($left)" '[ "$left" -eq 0 ] || grep -q "took over a stale claim" sweep2.err'
check "restart skipped the finished configs" "grep -q '$n1 already in runs.jsonl' sweep2.err"
check "each config exactly once, no torn line" 'once runs.jsonl 9'
check "no claim left" '[ -z "$(ls runs.jsonl.claims)" ]'
check "loss table" 'grep -q "^     3 " table.txt && [ $(grep -c "^ *[0-9]" table.txt) -eq 3 ] && grep -q "^ depth" table.txt'
"$DWPLAN" "${S[@]}" -o runs.jsonl >/dev/null 2>sweep3.err
check "third start runs nothing" 'grep -q "9 already in runs.jsonl, 0 to run" sweep3.err && once runs.jsonl 9'

# 2. two sweeps at once on one file (as two nodes would): the work is shared, never doubled
"$DWPLAN" "${S[@]}" --jobs 1 --threads 1 -o shared.jsonl >/dev/null 2>a.err &
a=$!
"$DWPLAN" "${S[@]}" --jobs 1 --threads 1 -o shared.jsonl >/dev/null 2>b.err &
b=$!
wait $a; ra=$?
wait $b; rb=$?
check "concurrent sweeps exit 0" '[ $ra -eq 0 ] && [ $rb -eq 0 ]'
check "concurrent sweeps: each config exactly once" 'once shared.jsonl 9'
ranA=$(grep -c ": ok " a.err); ranB=$(grep -c ": ok " b.err)
check "concurrent sweeps shared the work ($ranA + $ranB)" '[ $((ranA + ranB)) -eq 9 ]'

# 3. Slurm script and array tasks
"$DWPLAN" "${S[@]}" -o arr.jsonl --emit-slurm job.sbatch 2>/dev/null
check "emit-slurm" 'grep -q "^#SBATCH --array=0-8$" job.sbatch && grep -q -- "--array-index \"\$SLURM_ARRAY_TASK_ID\"" job.sbatch && ! grep -q -- "--jobs" job.sbatch'
check "emit-slurm runs nothing" '[ ! -e arr.jsonl ]'
for i in 0 4 8; do SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=1 bash -c "$(sed -n 's/^exec //p' job.sbatch)" 2>/dev/null; done
check "array tasks ran their configs" "py '
import json; r = [json.loads(l) for l in open(\"arr.jsonl\")]
assert [(x[\"depth\"], x[\"width\"]) for x in r] == [(1, 16), (2, 24), (3, 32)], r
'"
"$DWPLAN" "${S[@]}" -o arr.jsonl --array-index 9 >/dev/null 2>err.txt
check "array index out of range" '[ $? -eq 2 ] && grep -q "0..8" err.txt'

finish cli_probe_sweep
