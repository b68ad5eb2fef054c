#!/usr/bin/env bash
# CLI tests of `dwplan probe run --resume` and `probe eval` on crafted checkpoints (issue 14,
# findings 1 and 2): a real tiny checkpoint is written, then copies of it get one field of
# the run state (optimizer.safetensors' dwplan_state), of the run settings (config.json's
# "dwplan"), of the model shape (config.json) or of a tensor header changed. Each must be
# refused with exit 3 (bad input data) in under a CPU second, the message naming the
# checkpoint file and the field, before anything is allocated for it; the untouched checkpoint
# still resumes and evaluates. `probe eval` refuses a plan above --max-memory as `probe run` does.
set -u
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_probe_hostile: python3 missing" >&2; exit 77; fi
cd "$tmp"
T="--batch 2 --seq 16 --val-batches 2 --synthetic-tokens 65536 --threads 1 --quiet"
"$DWPLAN" probe run --depth 1 --width 16 --steps 4 $T --checkpoint ck --stop-at 2 >/dev/null 2>&1
if [ ! -f ck/optimizer.safetensors ]; then skip_rest cli_probe_hostile "no checkpoint written"; fi

# edit.py LIST: for each line "DST<TAB>WHERE<TAB>KEY<TAB>VALUE" of LIST, a copy DST of ck with
# one field changed. WHERE: state (dwplan_state in optimizer.safetensors), settings
# (config.json "dwplan"), config (config.json top level), tensor:NAME (model.safetensors
# header entry NAME), otensor:NAME (optimizer.safetensors). VALUE is JSON text, or DELETE
# to remove KEY. (One python run for all: the copies are made before any is tried.)
cat >edit.py <<'EOF'
import json, shutil, struct, sys
def setk(obj, key, val):
    if val == "DELETE": obj.pop(key, None)
    else: obj[key] = json.loads(val)
def st_edit(path, fn):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n]); data = raw[8 + n:]
    fn(hdr)
    text = json.dumps(hdr).encode()
    text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)
def edit(dst, where, key, val):
    shutil.copytree("ck", dst)
    if where == "state":
        def f(h):
            s = json.loads(h["__metadata__"]["dwplan_state"]); setk(s, key, val)
            h["__metadata__"]["dwplan_state"] = json.dumps(s)
        st_edit(dst + "/optimizer.safetensors", f)
    elif where in ("settings", "config"):
        c = json.load(open(dst + "/config.json"))
        setk(c["dwplan"] if where == "settings" else c, key, val)
        json.dump(c, open(dst + "/config.json", "w"))
    else:
        kind, name = where.split(":", 1)
        f = lambda h: setk(h[name], key, val)
        st_edit(dst + ("/model.safetensors" if kind == "tensor" else "/optimizer.safetensors"), f)
for line in open(sys.argv[1]):
    edit(*line.rstrip("\n").split("\t"))
EOF

# crafted WHAT WHERE KEY VALUE RC STRING...: a case: a crafted copy of ck (edit.py) on which
# `probe WHAT` (run: --resume, eval: the validation loss) must exit RC within a second,
# stderr holding each STRING (@ stands for the copy's directory), writing no record.
n=0
: >edits.tsv
declare -a c_what c_want c_name c_strs
crafted() {
    n=$((n + 1))
    printf 'c%d\t%s\t%s\t%s\n' $n "$2" "$3" "$4" >>edits.tsv
    c_what[n]=$1 c_name[n]="$1 $2 $3=$4" c_want[n]=$5
    shift 5
    local IFS=$'\x1f'
    c_strs[n]="$*"
}
# one_try K: runs case K (probe run --resume or probe eval) under `time`; CPU seconds (user +
# system, not wall time: a loaded machine does not fail the guard, and allocating and zeroing
# gigabytes is CPU time) in $CPU
one_try() {
    local d=c$1 TIMEFORMAT='%U %S'
    {
        # (a timeout: before the fix, some of these trained for ever or allocated gigabytes)
        time if [ "${c_what[$1]}" = run ]; then
            timeout 60 "$DWPLAN" probe run --resume "$d" --threads 1 --quiet -o "$d.jsonl" >"$tmp/out" 2>"$tmp/err"
        else
            timeout 60 "$DWPLAN" probe eval --checkpoint "$d" --threads 1 >"$tmp/out" 2>"$tmp/err"
        fi
    } 2>"$tmp/cpu"
    RC=$?
    CPU=$(awk '{ print $1 + $2 }' "$tmp/cpu")
}
try_all() {
    local k d p name strs
    python3 edit.py edits.tsv || { bad "edit.py failed"; return; }
    for ((k = 1; k <= n; k++)); do
        d=c$k name=${c_name[k]}
        one_try "$k"
        expect_rc "$name" "${c_want[k]}"
        IFS=$'\x1f' read -r -a strs <<<"${c_strs[k]}"
        for p in "${strs[@]}"; do
            p=${p//@/$d}
            if grep -qF -- "$p" "$tmp/err"; then ok; else bad "$name: stderr lacks '$p': $(head -c 400 "$tmp/err")"; fi
        done
        if awk -v c="$CPU" 'BEGIN { exit !(c < 1) }'; then ok; else bad "$name: took $CPU CPU s"; fi
        if [ -e "$d.jsonl" ]; then bad "$name: a record was written"; else ok; fi
    done
}

# finding 1: the run state
S="@/optimizer.safetensors"
crafted run state step -5 3 "$S" "'step'"
crafted run state step 1e30 3 "$S" "'step'"
crafted run state step 2.5 3 "$S" "'step'"
crafted run state step '"2"' 3 "$S" "'step' must be a number"
crafted run state step 5 3 "$S" "'step' 5" "past"
crafted run state threads -1 3 "$S" "'threads'"
crafted run state threads 1e10 3 "$S" "'threads'"
crafted run state loss_tail_n -4 3 "$S" "'loss_tail_n'"
crafted run state loss_tail_n 1e300 3 "$S" "'loss_tail_n'"
crafted run state train_s '"x"' 3 "$S" "'train_s' must be a number"
crafted run state train_s -1 3 "$S" "'train_s'"
crafted run state loss_initial DELETE 3 "$S" "'loss_initial'"
crafted run state have_grad true 3 "$S" "'grad_norms'"
# the run settings
C="@/config.json"
crafted run settings batch -2147483649 3 "$C" "'batch'"
crafted run settings batch 1e30 3 "$C" "'batch'"
crafted run settings batch 2.5 3 "$C" "'batch'"
crafted run settings batch '"2"' 3 "$C" "'batch' must be a number"
crafted run settings lr '"0.001"' 3 "$C" "'lr' must be a number"
crafted run settings lr -1 3 "$C" "'lr'"
crafted run settings lr DELETE 3 "$C" "no 'lr'"
crafted run settings steps 1e30 3 "$C" "'steps'"
crafted run settings steps 0 3 "$C" "'steps'"
crafted run settings grad_step 1e30 3 "$C" "'grad_step'"
crafted run settings grad_step 9 3 "$C" "'grad_step' 9"
crafted run settings warmup -3 3 "$C" "'warmup'"
crafted run settings seq 1e30 3 "$C" "'seq'"
crafted run settings seq 32 3 "$C" "'seq' 32"
crafted run settings val_batches 0 3 "$C" "'val_batches'"
crafted run settings synth_tokens 1e30 3 "$C" "'synth_tokens'"
crafted run settings synth_tokens -1 3 "$C" "'synth_tokens'"
crafted run settings beta1 2 3 "$C" "'beta1'"
crafted run settings eps '"tiny"' 3 "$C" "'eps' must be a number"
crafted run settings seed '"-1"' 3 "$C" "'seed'"
crafted run settings seed '"99999999999999999999999"' 3 "$C" "'seed'"
crafted run settings seed '"7x"' 3 "$C" "'seed'"
crafted run settings seed 7 3 "$C" "'seed'"
crafted run settings schedule '"linear"' 3 "$C" "'schedule'"
# the same settings read by eval
crafted eval settings batch 1e30 3 "$C" "'batch'"
crafted eval settings batch -1 3 "$C" "'batch'"
crafted eval settings seq '"16"' 3 "$C" "'seq' must be a number"
crafted eval settings seq 1e9 3 "$C" "'seq'"
crafted eval settings val_batches 1e30 3 "$C" "'val_batches'"
crafted eval settings synth_tokens 1e30 3 "$C" "'synth_tokens'"

# finding 2: shapes from config.json beside a small model.safetensors: refused before the
# model is allocated (before: 15-19 GiB allocated and zeroed, then a shape mismatch)
W="@/model.safetensors"
for what in run eval; do
    crafted $what config vocab_size 16000000 3 "$W" "embed_in"
    crafted $what config num_hidden_layers 60000 3 "$W"
    crafted $what config hidden_size 64 3 "$W"
    crafted $what config hidden_size '"16"' 3 "$C" "'hidden_size' must be a number"
    crafted $what config vocab_size 1e30 3 "$C" "'vocab_size'"
    crafted $what config max_position_embeddings 4000000000 3 "$C" "'max_position_embeddings'"
    crafted $what config num_hidden_layers 1e9 3 "$C" "'num_hidden_layers'"
    crafted $what config initializer_range '"big"' 3 "$C" "'initializer_range' must be a number"
    crafted $what tensor:embed_out.weight shape '[256, 17]' 3 "$W" "embed_out.weight" "shape"
    crafted $what tensor:embed_out.weight shape '[4294967296, 16]' 3 "$W" "embed_out.weight"
    crafted $what tensor:embed_out.weight data_offsets '[0, 1e300]' 3 "$W" "embed_out.weight"
    crafted $what tensor:embed_out.weight dtype '"F16"' 3 "$W" "embed_out.weight" "F16"
done
O="@/optimizer.safetensors"
crafted run otensor:embed_out.weight.exp_avg shape '[256, 17]' 3 "$O" "embed_out.weight.exp_avg"
crafted run otensor:embed_out.weight.exp_avg_sq data_offsets '[0, 1e300]' 3 "$O" "exp_avg_sq"

try_all

# eval plans its memory as run does
run probe eval --checkpoint ck --threads 1 --max-memory 4k
expect_rc "eval over --max-memory" 4
has "$tmp/err" "eval over --max-memory" "needs about" "allowed (--max-memory)"

# the same class on the command line: counts bounded before their casts (exit 2, usage)
for opt in --steps --warmup --grad-step --checkpoint-every --stop-at --synthetic-tokens --max-memory; do
    run probe run --depth 1 --width 16 --tokens 4k $T $opt 1e30 --checkpoint big -o big.jsonl
    expect_rc "probe run $opt 1e30" 2
    has "$tmp/err" "probe run $opt 1e30" "$opt must be at most"
done
run probe run --depth 1 --width 16 --steps 2 $T --init-std 1e300 -o big.jsonl
expect_rc "probe run --init-std 1e300" 2
check "no record from refused command lines" '[ ! -e big.jsonl ]'

# the untouched checkpoint still evaluates and resumes
run probe eval --checkpoint ck --threads 1 --json
expect_rc "eval of the real checkpoint" 0
has "$tmp/out" "eval of the real checkpoint" '"loss":'
run probe run --resume ck --threads 1 --quiet -o ok.jsonl
expect_rc "resume of the real checkpoint" 0
check "resume of the real checkpoint writes its record" '[ -s ok.jsonl ] && grep -q "\"status\":\"ok\"" ok.jsonl'
finish cli_probe_hostile
