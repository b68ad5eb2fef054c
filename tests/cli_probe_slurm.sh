#!/usr/bin/env bash
# Integration test with a real Slurm: `dwplan probe sweep --emit-slurm` writes a job-array
# script, sbatch runs it (one config per array task), every config ends up in the results
# file exactly once, each with the loss curve --eval-every asks for (the option reaches every
# task), each task leaves its log next to the results file, and submitting the array again
# runs nothing new.
# The commands are the README's (its Slurm paragraph in "Probe"), run verbatim: SWEEP and
# SUBMIT below; the test first checks that README.md still shows them, line for line, so
# the two cannot drift apart (that check runs with or without Slurm).
# Skips (77) unless `sbatch` is installed and a controller answers with an idle node, e.g.
# the single-node cluster .ci/slurm-up starts (as root; docs/probe.md, "Slurm"; CI does).
# With DWPLAN_REQUIRE_SLURM=1 (.ci/run sets it once Slurm is up) no Slurm is a failure.
set -u
DWPLAN=$1
SRC=${DW_SOURCE_DIR:-$(dirname "${BASH_SOURCE[0]}")/..}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
SWEEP='dwplan probe sweep --depths 1-2 --widths 16,32 --tokens 4k --batch 2 --seq 16'
SWEEP+=' --val-batches 1 --synthetic-tokens 65536 --threads 1 --eval-every 1k -o runs.jsonl'
SWEEP+=' --emit-slurm job.sbatch'
SUBMIT='sbatch --wait job.sbatch'

# README.md's lines with "\" continuations joined, trailing comments and blanks dropped
readme=$(sed -e ':a' -e '/\\$/N; s/[[:space:]]*\\\n[[:space:]]*/ /; ta' "$SRC/README.md" |
         sed -e 's/[[:space:]]#.*$//' -e 's/^[[:space:]]*//; s/[[:space:]]*$//')
check "README shows the sweep: $SWEEP" 'grep -qxF -- "$SWEEP" <<<"$readme"'
check "README shows the submission: $SUBMIT" '[ "$(grep -cxF -- "$SUBMIT" <<<"$readme")" -ge 2 ]'

no_slurm() {
    if [ "${DWPLAN_REQUIRE_SLURM:-}" = 1 ]; then
        bad "DWPLAN_REQUIRE_SLURM=1 but $1"
        finish cli_probe_slurm
        exit 1
    fi
    skip_rest cli_probe_slurm "$1: skipped"
}
if ! command -v sbatch >/dev/null || ! command -v sinfo >/dev/null; then
    no_slurm "no Slurm (sbatch) installed"
fi
if ! timeout 10 sinfo -h -o %T 2>/dev/null | grep -Eq "idle|mixed"; then
    no_slurm "no Slurm controller with an idle node answers"
fi
command -v python3 >/dev/null || skip_rest cli_probe_slurm "python3 missing"
# the tasks run as the submitting user; the directory must be theirs to enter and write
chmod 755 "$tmp"
cd "$tmp" || exit 1
DW=$(cd "$(dirname "$DWPLAN")" && pwd -P)/$(basename "$DWPLAN")
read -ra sweep <<<"$SWEEP"
read -ra submit <<<"$SUBMIT"

"$DW" "${sweep[@]:1}" 2>/dev/null
check "script written" '[ -x job.sbatch ] && grep -q "^#SBATCH --array=0-3$" job.sbatch'
check "script calls this binary by its absolute path" \
    'grep -qF -- "exec '\''$DW'\'' probe sweep" job.sbatch'
timeout 300 "${submit[@]}"
check "sbatch --wait exit 0" '[ $? -eq 0 ]'
check "one record per config" "python3 -c '
import json, collections
r = [json.loads(l) for l in open(\"runs.jsonl\")]
c = collections.Counter((x[\"depth\"], x[\"width\"]) for x in r)
assert len(r) == 4 and len(c) == 4 and all(x[\"status\"] == \"ok\" for x in r), c
# 4k tokens are 125 steps of 2x16; 1k tokens round to 31 steps (992 tokens)
for x in r:
    assert [p[\"tokens\"] for p in x[\"curve\"]] == [992, 1984, 2976, 3968, 4000], x[\"curve\"]
    assert x[\"curve\"][-1][\"loss\"] == x[\"val_loss\"]
'"
check "task logs next to the results" '[ $(ls runs.jsonl.slurm-*_*.log | wc -l) -eq 4 ]'
check "no claim left" '[ -z "$(ls runs.jsonl.claims)" ]'
timeout 300 "${submit[@]}"
check "resubmitted array runs nothing" '[ $? -eq 0 ] && [ $(wc -l <runs.jsonl) -eq 4 ]'
check "resubmitted array: 4 more task logs" '[ $(ls runs.jsonl.slurm-*_*.log | wc -l) -eq 8 ]'

finish cli_probe_slurm
