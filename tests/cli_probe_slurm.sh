#!/usr/bin/env bash
# Integration test with a real Slurm: `dwplan probe sweep --emit-slurm` writes a job-array
# script, sbatch runs it (one config per array task), every config ends up in the results
# file exactly once, each with the loss curve --eval-every asks for (the option reaches every
# task), and submitting the array again runs nothing new.
# Skips (77) unless `sbatch` is installed and a controller answers with an idle node, e.g.
# Debian's slurm-wlm started as a single-node cluster (docs/probe.md, "Slurm").
set -u
DWPLAN=$1
if ! command -v sbatch >/dev/null || ! command -v sinfo >/dev/null; then
    echo "cli_probe_slurm: no Slurm (sbatch) installed: skipped"
    exit 77
fi
if ! timeout 10 sinfo -h -o %T 2>/dev/null | grep -Eq "idle|mixed"; then
    echo "cli_probe_slurm: no Slurm controller with an idle node answers: skipped"
    exit 77
fi
if ! command -v python3 >/dev/null; then echo "cli_probe_slurm: python3 missing"; exit 77; fi
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
chmod 755 "$tmp"
cd "$tmp"
DW=$(cd "$(dirname "$DWPLAN")" && pwd)/$(basename "$DWPLAN")
S=(probe sweep --depths 1-2 --widths 16,32 --tokens 4k --batch 2 --seq 16 --val-batches 1
   --synthetic-tokens 65536 --threads 1 --eval-every 1k -o "$tmp/runs.jsonl")

"$DW" "${S[@]}" --emit-slurm job.sbatch 2>/dev/null
check "script written" '[ -x job.sbatch ] && grep -q "^#SBATCH --array=0-3$" job.sbatch'
timeout 300 sbatch --wait --quiet job.sbatch
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
check "task logs" '[ $(ls runs.jsonl.slurm-*_*.log | wc -l) -eq 4 ]'
check "no claim left" '[ -z "$(ls runs.jsonl.claims)" ]'
timeout 300 sbatch --wait --quiet job.sbatch
check "resubmitted array runs nothing" '[ $? -eq 0 ] && [ $(wc -l <runs.jsonl) -eq 4 ]'

finish cli_probe_slurm
