#!/usr/bin/env bash
# CLI tests of `dwplan probe run | eval`: help, refusals before any work with their exit
# codes, the run record (stdout and -o), llm.c shards as data, --stop-at/--resume giving the
# uninterrupted run's record, and eval reproducing the record's val_loss from the checkpoint.
set -u
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_probe: python3 missing" >&2; exit 77; fi
py() { python3 -c "$1"; }
cd "$tmp"
# tiny runs on a small synthetic corpus
T="--batch 2 --seq 16 --val-batches 2 --synthetic-tokens 65536 --threads 1 --quiet"

# 1. help
"$DWPLAN" --help | grep -q "probe run|sweep|eval"
check "probe listed in dwplan --help" '[ $? -eq 0 ]'
for sub in "" run sweep eval; do
    "$DWPLAN" probe $sub --help >out.txt 2>&1
    check "probe $sub --help exit 0" '[ $? -eq 0 ] && grep -q "examples:" out.txt'
done

# 2. refusals: exit code and message, no record written
expect() { # name, code, message (non-empty: an empty pattern matches anything), args...
    local name=$1 code=$2 msg=$3
    shift 3
    if [ -z "$msg" ]; then bad "$name: expect needs the message to look for"; return; fi
    "$DWPLAN" "$@" >out.txt 2>err.txt
    local rc=$?
    if [ $rc -eq "$code" ] && grep -qF -- "$msg" err.txt && [ ! -e refused.jsonl ]; then ok; else
        bad "$name: exit $rc (want $code), stderr: $(cat err.txt)"; fi
}
expect "zero depth" 2 "depth" probe run --depth 0 --width 16 --steps 2 $T -o refused.jsonl
expect "heads do not divide" 2 "divide" probe run --depth 2 --width 18 --heads 4 --steps 2 $T -o refused.jsonl
expect "odd head size" 2 "odd" probe run --depth 2 --width 18 --heads 2 --steps 2 $T -o refused.jsonl
expect "budget below one step" 2 "less than one step" probe run --depth 2 --width 16 --tokens 31 $T -o refused.jsonl
expect "no budget" 2 "budget" probe run --depth 2 --width 16 $T -o refused.jsonl
expect "memory" 4 "needs about" probe run --depth 2 --width 16 --steps 2 --max-memory 4k $T -o refused.jsonl
expect "missing shards dir" 4 "nonexistent" probe run --depth 2 --width 16 --steps 2 --data "$tmp/nonexistent" $T -o refused.jsonl
mkdir empty
expect "no shards in dir" 3 "empty: no train shards" probe run --depth 2 --width 16 --steps 2 --data "$tmp/empty" $T -o refused.jsonl
expect "unknown option" 2 "unknown option" probe run --depth 2 --width 16 --steps 2 --bogus $T
expect "bad schedule" 2 "schedule" probe run --depth 2 --width 16 --steps 2 --schedule linear $T
expect "resume takes settings" 2 "settings" probe run --resume x --depth 2
expect "stop-at needs checkpoint" 2 "checkpoint" probe run --depth 2 --width 16 --steps 4 --stop-at 2 $T
expect "no subcommand" 2 "subcommand" probe
expect "bad subcommand" 2 "unknown subcommand" probe train
expect "eval without checkpoint" 2 "checkpoint" probe eval
expect "eval missing checkpoint" 4 "no such checkpoint" probe eval --checkpoint "$tmp/nope"
expect "sweep without -o" 2 "-o" probe sweep --depths 1 --widths 16 --tokens 1k
expect "sweep bad list" 2 "--depths" probe sweep --depths 3-1 --widths 16 --tokens 1k -o refused.jsonl
expect "sweep config refused" 2 "depth 1 width 18" probe sweep --depths 1 --widths 16,18 --heads 4 --tokens 1k $T -o refused.jsonl

# 3. a run: the record on stdout without -o, appended with -o
"$DWPLAN" probe run --depth 2 --width 16 --steps 6 $T >stdout.jsonl
check "record on stdout" '[ $? -eq 0 ] && [ $(wc -l <stdout.jsonl) -eq 1 ]'
"$DWPLAN" probe run --depth 2 --width 16 --steps 6 $T -o runs.jsonl >out.txt
check "run -o exit 0, nothing on stdout" '[ $? -eq 0 ] && [ ! -s out.txt ]'
check "record fields" "py '
import json, math
r = json.loads(open(\"runs.jsonl\").read())
for k in \"depth width heads mlp_ratio vocab seq_len params params_nonembed tokens flops loss val_loss grad_norms grad_norms_attn grad_norms_mlp grad_norms_end grad_step seed dataset backend tokens_per_s status dwplan_version lr batch steps wall_s loss_floor\".split():
    assert k in r, k
assert r[\"status\"] == \"ok\" and r[\"depth\"] == 2 and len(r[\"grad_norms\"]) == 2, r
assert r[\"tokens\"] == 6 * 2 * 16 and r[\"steps\"] == 6 and r[\"grad_step\"] == 6
assert r[\"dataset\"] == \"synthetic\" and r[\"backend\"] == \"cpu\" and r[\"vocab\"] == 256
assert abs(r[\"loss_initial\"] - math.log(256)) < 0.2
'"
check "same seed, same record" "py '
import json
a = json.loads(open(\"stdout.jsonl\").read()); b = json.loads(open(\"runs.jsonl\").read())
for k in (\"wall_s\", \"tokens_per_s\", \"time\"): a.pop(k); b.pop(k)
assert a == b
'"
"$DWPLAN" probe run --depth 2 --width 16 --steps 6 --seed 2 $T -o runs.jsonl
check "second record appended" '[ $(wc -l <runs.jsonl) -eq 2 ]'

# 4. progress on stderr
"$DWPLAN" probe run --depth 1 --width 16 --steps 3 --batch 2 --seq 16 --val-batches 1 \
    --synthetic-tokens 65536 >/dev/null 2>progress.txt
check "progress on stderr" 'grep -q "step 3/3" progress.txt && grep -q "tok/s" progress.txt && grep -q ETA progress.txt'

# 5. llm.c shards as data
mkdir shards
py '
import struct, random
random.seed(3)
for split, n in (("train", 5000), ("val", 2000)):
    toks = [random.randrange(60) for _ in range(n)]
    with open("shards/tiny_%s_000000.bin" % split, "wb") as f:
        f.write(struct.pack("<256i", 20240520, 1, n, *([0] * 253)))
        f.write(struct.pack("<%dH" % n, *toks))
'
"$DWPLAN" probe run --depth 1 --width 16 --steps 4 --data shards $T -o shards.jsonl
check "run on shards" "py '
import json; r = json.loads(open(\"shards.jsonl\").read())
assert r[\"status\"] == \"ok\" and r[\"dataset\"] == \"shards\" and r[\"vocab\"] == 256, r
'"

# 6. --stop-at + --resume = the uninterrupted run; eval reproduces val_loss
R="--depth 2 --width 16 --steps 10 --schedule cosine --warmup 2 --grad-step 7 $T"
"$DWPLAN" probe run $R -o full.jsonl
"$DWPLAN" probe run $R --checkpoint ck --stop-at 4 -o resumed.jsonl
check "stop-at writes no record" '[ ! -e resumed.jsonl ] && [ -f ck/model.safetensors ] && [ -f ck/optimizer.safetensors ] && [ -f ck/config.json ]'
"$DWPLAN" probe run --resume ck --threads 1 --quiet -o resumed.jsonl
check "resumed run = uninterrupted run" "py '
import json
a = json.loads(open(\"full.jsonl\").read()); b = json.loads(open(\"resumed.jsonl\").read())
for k in (\"wall_s\", \"tokens_per_s\", \"time\"): a.pop(k); b.pop(k)
assert a == b, [(k, a[k], b[k]) for k in a if a[k] != b.get(k)]
'"
"$DWPLAN" probe eval --checkpoint ck --threads 1 --json >eval.json
check "eval = record val_loss" "py '
import json
e = json.load(open(\"eval.json\")); r = json.loads(open(\"full.jsonl\").read())
assert abs(e[\"loss\"] - r[\"val_loss\"]) <= 1e-7 * r[\"val_loss\"], (e, r[\"val_loss\"])
'"
py 'import json; json.dump({"inputs": [[1, 2, 3, 4], [5, 6, 7, 8]], "targets": [[2, 3, 4, 5], [6, 7, 8, 9]]}, open("batch.json", "w"))'
"$DWPLAN" probe eval --checkpoint ck --batch-file batch.json --grads grads.safetensors >eval.txt
check "eval batch + grads" '[ $? -eq 0 ] && grep -q "^loss " eval.txt && [ -s grads.safetensors ]'
py 'import json; json.dump({"inputs": [[1, 2, 300]], "targets": [[2, 3, 4]]}, open("badbatch.json", "w"))'
expect "eval bad token" 3 "token id" probe eval --checkpoint ck --batch-file badbatch.json
check "config.json is GPT-NeoX" "py '
import json; c = json.load(open(\"ck/config.json\"))
assert c[\"architectures\"] == [\"GPTNeoXForCausalLM\"] and c[\"model_type\"] == \"gpt_neox\"
assert c[\"use_parallel_residual\"] is False and c[\"rotary_pct\"] == 1.0 and c[\"num_hidden_layers\"] == 2
'"

finish cli_probe
