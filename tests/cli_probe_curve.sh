#!/usr/bin/env bash
# CLI tests of the loss curve (`--eval-every T`, `--eval-points K`; issue 15): the record's
# "curve" has the expected points at the expected token counts (T rounded to whole steps,
# count suffixes), its last point is the record's tokens and val_loss, the losses are finite
# and fall; progress names each evaluation on stderr (nothing with --quiet) and the plan
# line states the cost; refusals before any work (exit 2); --stop-at + --resume gives the
# uninterrupted record, curve included; sweeps and a Slurm array task record curves; a
# checkpoint whose run state or settings carry a bad curve is refused with exit 3 naming
# the file and the field, writing no record.
set -u
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_probe_curve: python3 missing" >&2; exit 77; fi
py() { python3 -c "$1"; }
cd "$tmp"
T="--batch 2 --seq 16 --val-batches 2 --synthetic-tokens 65536 --threads 1"
R="--depth 2 --width 16 --steps 40 --lr 3e-3 $T"

# curve FILE TOKENS...: the record in FILE has a curve at exactly these token counts, its
# last point (tokens, val_loss) of the record, finite losses that mostly fall
curve() {
    local f=$1
    shift
    py "
import json, math, sys
r = json.loads(open('$f').read())
c = r['curve']
want = [int(x) for x in '$*'.split()]
assert [p['tokens'] for p in c] == want, ([p['tokens'] for p in c], want)
assert all(sorted(p) == ['loss', 'tokens'] for p in c), c
assert c[-1]['tokens'] == r['tokens'] == r['tokens_trained'] and c[-1]['loss'] == r['val_loss'], (c[-1], r['val_loss'])
assert all(isinstance(p['loss'], float) and math.isfinite(p['loss']) for p in c), c
falls = sum(b['loss'] < a['loss'] for a, b in zip(c, c[1:]))
assert falls >= len(c) - 2 and c[-1]['loss'] < c[0]['loss'], c
"
}

# 1. help states the option, the rounding and the cost
"$DWPLAN" probe run --help >help.txt
has help.txt "run --help" "--eval-every T" "rounded to whole" "--eval-points K" "forward passes"
"$DWPLAN" probe sweep --help >help.txt
has help.txt "sweep --help" "--eval-every --eval-points"

# 2. points at the expected tokens: 320 tokens = 10 steps of 2×16; 300 rounds to 9 steps
# (288 tokens); suffixes as --tokens; log-spaced points: 40^(i/5) = 1, 2.1, 4.4, 9.2, 19.1, 40
run probe run $R --eval-every 320 -o every.jsonl
expect_rc "--eval-every 320" 0
check "--eval-every 320: points at 320..1280" 'curve every.jsonl 320 640 960 1280'
has "$tmp/err" "progress" "loss curve: 4 points" "forward passes of 2×16" "% on top of the training compute" \
    "eval 1/4 at step 10 (320 tokens): val_loss" "eval 3/4 at step 30 (960 tokens)"
check "no eval line for the final point" '! grep -q "eval 4/4" "$tmp/err"'
run probe run $R --eval-every 300 -o round.jsonl --quiet
check "--eval-every 300 rounds to 9 steps" 'curve round.jsonl 288 576 864 1152 1280'
check "--quiet says nothing" '[ ! -s "$tmp/err" ]'
run probe run $R --eval-every 0.32k -o suffix.jsonl --quiet
check "--eval-every 0.32k = 320" 'curve suffix.jsonl 320 640 960 1280'
run probe run $R --eval-points 6 -o log.jsonl --quiet
check "--eval-points 6" 'curve log.jsonl 32 64 128 288 608 1280'
run probe run $R --eval-points 3 --eval-every 640 -o both.jsonl --quiet
check "both: the union (40^0.5 = 6.3)" 'curve both.jsonl 32 192 640 1280'
run probe run $R -o plain.jsonl --quiet
check "the curve changes nothing else" "py '
import json
a = json.loads(open(\"plain.jsonl\").read()); b = json.loads(open(\"every.jsonl\").read())
assert \"curve\" not in a and \"curve\" in b
for k in (\"wall_s\", \"tokens_per_s\", \"time\"): a.pop(k); b.pop(k)
b.pop(\"curve\")
assert a == b, [(k, a[k], b.get(k)) for k in a if a[k] != b.get(k)]
'"

# 3. refusals before any work (usage: exit 2), no record
refuse() { # name, message, args...
    local name=$1 msg=$2
    shift 2
    run "$@" -o refused.jsonl
    expect_rc "$name" 2
    has "$tmp/err" "$name" "$msg"
    if [ -e refused.jsonl ]; then bad "$name: a record was written"; else ok; fi
}
refuse "--eval-every 0" "--eval-every" probe run $R --eval-every 0
refuse "--eval-every -5" "--eval-every" probe run $R --eval-every -5
refuse "--eval-every 1e30" "--eval-every must be at most" probe run $R --eval-every 1e30
refuse "--eval-points 0" "--eval-points" probe run $R --eval-points 0
refuse "--eval-points 1001" "--eval-points" probe run $R --eval-points 1001
refuse "too many evaluations" "5000 evaluations in 5000 steps, more than 1000; give --eval-every 192 or more" \
    probe run --depth 1 --width 16 --steps 5000 $T --eval-every 32
refuse "sweep: too many evaluations" "more than 1000" \
    probe sweep --depths 1 --widths 16 --steps 5000 $T --eval-every 32
refuse "resume takes the schedule from the checkpoint" "a resumed run takes its settings" \
    probe run --resume ck --eval-every 320

# 4. stopped and resumed = uninterrupted, curve included (bit for bit: --threads 1)
C="$R --schedule cosine --warmup 3 --eval-every 300 --eval-points 5"
"$DWPLAN" probe run $C --quiet -o full.jsonl
for stop in 17 18; do
    rm -rf ck$stop
    "$DWPLAN" probe run $C --quiet --checkpoint ck$stop --stop-at $stop -o res$stop.jsonl
    check "stop at $stop writes no record" "[ ! -e res$stop.jsonl ] && [ -f ck$stop/optimizer.safetensors ]"
    cp -r ck$stop held$stop # (the resume replaces ck$stop with its final checkpoint)
    "$DWPLAN" probe run --resume ck$stop --threads 1 --quiet -o res$stop.jsonl
    check "stopped at $stop and resumed = uninterrupted" "py '
import json
a = json.loads(open(\"full.jsonl\").read()); b = json.loads(open(\"res$stop.jsonl\").read())
assert len(a[\"curve\"]) == 9, a[\"curve\"]
for k in (\"wall_s\", \"tokens_per_s\", \"time\"): a.pop(k); b.pop(k)
assert a == b, [(k, a[k], b.get(k)) for k in a if a[k] != b.get(k)]
'"
done
check "the checkpoint holds the schedule and the curve so far" "py '
import json, struct
c = json.load(open(\"held18/config.json\"))[\"dwplan\"]
assert c[\"eval_every\"] == 300 and c[\"eval_points\"] == 5, c
raw = open(\"held18/optimizer.safetensors\", \"rb\").read()
n = struct.unpack(\"<Q\", raw[:8])[0]
st = json.loads(json.loads(raw[8:8 + n])[\"__metadata__\"][\"dwplan_state\"])
assert [p[\"tokens\"] for p in st[\"curve\"]] == [32, 96, 192, 288, 512, 576], st[\"curve\"]
'"

# 5. sweeps pass the options to every config, and to a Slurm array's tasks
run probe sweep --depths 1,2 --widths 16 --steps 20 --lr 3e-3 $T --eval-every 320 --quiet -o sweep.jsonl
expect_rc "sweep with --eval-every" 0
check "every sweep record has its curve" "py '
import json
recs = [json.loads(l) for l in open(\"sweep.jsonl\")]
assert len(recs) == 2
for r in recs:
    assert [p[\"tokens\"] for p in r[\"curve\"]] == [320, 640], r[\"curve\"]
    assert r[\"curve\"][-1][\"loss\"] == r[\"val_loss\"]
'"
run probe sweep --depths 1,2 --widths 16 --steps 20 --lr 3e-3 $T --eval-points 3 -o slurm.jsonl \
    --emit-slurm job.sbatch
expect_rc "--emit-slurm" 0
check "the array script passes --eval-points" "grep -q \"'--eval-points' '3'\" job.sbatch"
# a task run as Slurm would run it (the #SBATCH lines are comments to bash)
SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 bash job.sbatch >/dev/null 2>&1
check "an array task records its curve" "py '
import json
r = [json.loads(l) for l in open(\"slurm.jsonl\")]
assert len(r) == 1 and r[0][\"depth\"] == 2, r
assert [p[\"tokens\"] for p in r[0][\"curve\"]] == [32, 128, 640], r[0][\"curve\"]
'"

# 6. hostile checkpoints: the curve in the run state (optimizer.safetensors' dwplan_state)
# and the schedule in the settings (config.json's "dwplan"). held18 stopped at step 18: its
# curve has the points at steps 1, 3, 6, 9, 16, 18. edit.py DST WHERE PY: a copy DST of it
# whose state text (WHERE state) or config.json (settings) is changed by the Python
# statement PY acting on `s` (the state text: raw, so 1e999 can be written) or `d` (the
# settings object).
rm -rf ck && cp -r held18 ck
cat >edit.py <<'EOF'
import json, shutil, struct, sys
dst, where, code = sys.argv[1:4]
shutil.copytree("held18", dst)
if where == "state":
    p = dst + "/optimizer.safetensors"
    raw = open(p, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n]); data = raw[8 + n:]
    s = hdr["__metadata__"]["dwplan_state"]
    exec(code)
    hdr["__metadata__"]["dwplan_state"] = s
    text = json.dumps(hdr).encode()
    text += b" " * (-len(text) % 8)
    open(p, "wb").write(struct.pack("<Q", len(text)) + text + data)
else:
    c = json.load(open(dst + "/config.json"))
    d = c["dwplan"]
    exec(code)
    json.dump(c, open(dst + "/config.json", "w"))
EOF
k=0
hostile() { # where, python, file, strings...
    k=$((k + 1))
    local d=h$k where=$1 code=$2 file=$3
    shift 3
    python3 edit.py "$d" "$where" "$code" || { bad "edit.py $d failed"; return; }
    timeout 60 "$DWPLAN" probe run --resume "$d" --threads 1 --quiet -o "$d.jsonl" >"$tmp/out" 2>"$tmp/err"
    RC=$?
    expect_rc "$where: $code" 3
    has "$tmp/err" "$where: $code" "$d/$file" "$@"
    if [ -e "$d.jsonl" ]; then bad "$where: $code: a record was written"; else ok; fi
}
O=optimizer.safetensors
J='import json as _j
def cv(f):
    global s
    o = _j.loads(s); f(o["curve"]); s = _j.dumps(o)'
hostile state "$J
cv(lambda c: c.append({'tokens': 1000, 'loss': 3.0}))" $O "'curve' has 7 points" "schedule has 6 up to step 18"
hostile state "$J
cv(lambda c: c.extend([{'tokens': 1000, 'loss': 3.0}] * 5000))" $O "'curve' has 5006 points"
hostile state "$J
cv(lambda c: c.pop())" $O "'curve' has 5 points"
hostile state "$J
cv(lambda c: c[2].update(loss=None))" $O "'curve'[2].loss must be a number"
hostile state "s = s.replace(s[s.index('\"loss\"', s.index('\"curve\"')):].split(',')[0].split('}')[0], '\"loss\":1e999', 1)" \
    $O "'curve'[0].loss is inf"
hostile state "$J
cv(lambda c: c[1].update(loss=-0.5))" $O "'curve'[1].loss is -0.5"
hostile state "$J
cv(lambda c: c[1].update(loss='3.1'))" $O "'curve'[1].loss must be a number"
hostile state "$J
cv(lambda c: c.reverse())" $O "'curve'[0].tokens is 576, want 32"
hostile state "$J
cv(lambda c: c[3].update(tokens=c[2]['tokens']))" $O "'curve'[3].tokens 192 is not above"
hostile state "$J
cv(lambda c: c[1].update(tokens='96'))" $O "'curve'[1].tokens must be a number"
hostile state "$J
cv(lambda c: c[4].update(tokens=c[4]['tokens'] + 1))" $O "'curve'[4].tokens is 513, want 512"
hostile state "$J
cv(lambda c: c.__setitem__(0, [32, 5.0]))" $O "'curve'[0] must be an object"
hostile state "import json as _j
o = _j.loads(s); o['curve'] = {'tokens': 32}; s = _j.dumps(o)" $O "'curve' must be an array"
hostile state "import json as _j
o = _j.loads(s); del o['curve']; s = _j.dumps(o)" $O "'curve' must be an array"
C=config.json
hostile settings "d['eval_every'] = -1" $C "'eval_every'"
hostile settings "d['eval_every'] = '300'" $C "'eval_every' must be a number"
hostile settings "d['eval_every'] = 1e30" $C "'eval_every'"
hostile settings "d['eval_points'] = 2.5" $C "'eval_points'"
hostile settings "d['eval_points'] = 1e9" $C "'eval_points'"
hostile settings "d['eval_points'] = None" $C "'eval_points' must be a number"
# a schedule that no longer matches the curve, or one too long to plan
hostile settings "d['eval_every'] = 320" $O "'curve'"
hostile settings "d['eval_every'] = 1; d['steps'] = 100000" $C "the run's settings" "more than 1000"
# the untouched copy resumes
run probe run --resume ck --threads 1 --quiet -o ok.jsonl
expect_rc "the untouched checkpoint resumes" 0
check "its record has the whole curve" 'curve ok.jsonl 32 96 192 288 512 576 864 1152 1280'
finish cli_probe_curve
