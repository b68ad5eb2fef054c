#!/usr/bin/env bash
# tests/cli_plan_vs.sh — `dwplan plan --vs MODEL`: the named model's row among the
# alternatives against the depth-delusion law evaluated here, by hand, at that model's shape.
#
# usage: bash tests/cli_plan_vs.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree, for examples/models)
#
# Independent truth, for Llama-type configs (SwiGLU, no biases, RMSNorm, GQA):
#   N  = D·(2W² + 2·W·kv·hd + 3·W·ffn + 2W)        (q, o; k, v; gate, up, down; two norms)
#   C  = T·(6N + 6·V·W + 6·D·ctx·W)                 (the depth-delusion law's "full" FLOPs, README)
#        with the law's V and ctx, not the model's: plan counts a named model with the
#        law's accounting (issue 12), and the row's note says what the model's own is
#   L  = E + A·Neff^-alpha + B·T^-delta, Neff = N·exp(-gamma·u²),
#        u = ln(D / (kappa·ln W)) + 1/(2·gamma)     (F2 shape:log, fit/law.h)
# with the parameters of `dwplan law show depth-delusion --json`.
set -u
DWPLAN=${1:?usage: cli_plan_vs.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
command -v python3 >/dev/null 2>&1 || skip_rest cli_plan_vs "python3 missing (the checks need it)"
llama=$SRC/examples/models/llama-2-7b.json
[ -f "$llama" ] || skip_rest cli_plan_vs "$llama missing"

run law show depth-delusion --json
expect_rc "law show depth-delusion --json" 0
cp "$tmp/out" "$tmp/law.json"

# a config given by path: a small GQA model (4 KV heads of 16)
cat >"$tmp/gqa.json" <<'EOF'
{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 2048,
 "num_hidden_layers": 20, "num_attention_heads": 16, "num_key_value_heads": 4,
 "intermediate_size": 5632, "vocab_size": 32000, "max_position_embeddings": 2048,
 "tie_word_embeddings": false, "hidden_act": "silu", "rms_norm_eps": 1e-5}
EOF

# vs_check NAME PLAN.json CONFIG.json COMPUTE: the row for the config's shape matches L, N,
# T and C computed here, and its delta_loss is its loss minus the recommendation's
vs_check() {
    local msg
    if msg=$(python3 - "$2" "$3" "$4" "$tmp/law.json" 2>&1 <<'PY'
import json, math, sys
plan = json.load(open(sys.argv[1]))
cfg = json.load(open(sys.argv[2]))
C = float(sys.argv[3])
p = json.load(open(sys.argv[4]))["params"]
assert cfg["hidden_act"] == "silu" and not cfg.get("tie_word_embeddings", False)
D, W = cfg["num_hidden_layers"], cfg["hidden_size"]
hd = W // cfg["num_attention_heads"]
kv = cfg.get("num_key_value_heads", cfg["num_attention_heads"])
# counted with the law's accounting (issue 12 case 3): the model's own block, the law's
# vocabulary, context and FLOP convention
law = json.load(open(sys.argv[4]))
ffn = cfg["intermediate_size"]
V, ctx = law["conventions"]["vocab"], law["conventions"]["seq_len"]
assert law["conventions"]["flops"] == "full", law["conventions"]["flops"]
N = D * (2 * W * W + 2 * W * kv * hd + 3 * W * ffn + 2 * W)
T = C / (6 * N + 6 * V * W + 6 * D * ctx * W)
g = p["gamma"]
u = math.log(D / (p["kappa"] * math.log(W))) + 1 / (2 * g)
L = p["E"] + p["A"] * (N * math.exp(-g * u * u)) ** -p["alpha"] + p["B"] * T ** -p["delta"]
rows = [a for a in plan["alternatives"] if a["label"].endswith("shape (%dx%d)" % (D, W))]
assert len(rows) == 1, [a["label"] for a in plan["alternatives"]]
r = rows[0]
def close(name, got, want, tol):
    assert abs(got - want) <= tol * abs(want), "%s = %.15g, want %.15g" % (name, got, want)
assert r["depth"] == D and r["width"] == W, (r["depth"], r["width"])
close("params_law", r["params_law"], N, 1e-12)
close("tokens", r["tokens"], T, 1e-12)
close("flops", r["flops"], C, 1e-12)
close("loss", r["loss"], L, 1e-12)
close("delta_loss", r["delta_loss"], L - plan["recommended"]["loss"], 1e-9)
own = []
if cfg["vocab_size"] != V: own.append("V=%d" % cfg["vocab_size"])
note = r.get("note", "")
assert note.startswith("counted with the law's V=%d, ctx=%d" % (V, ctx)), note
for o in own:
    assert o in note, (o, note)
print("%.4f" % L)
PY
    ); then
        ok
        echo "$msg" >"$tmp/loss4"
    else
        bad "$1: $msg"
    fi
}

# 1. a built-in model by name
run plan --law depth-delusion --compute 1e22 --vs llama-2-7b --json
expect_rc "plan --vs llama-2-7b --json" 0
cp "$tmp/out" "$tmp/plan_llama.json"
vs_check "--vs llama-2-7b" "$tmp/plan_llama.json" "$llama" 1e22
has "$tmp/plan_llama.json" "--vs llama-2-7b label" "Llama-2-7b"

# the text output prints the same row (loss to 4 decimals)
run plan --law depth-delusion --compute 1e22 --vs llama-2-7b
expect_rc "plan --vs llama-2-7b" 0
if [ -s "$tmp/loss4" ]; then
    check "--vs llama-2-7b text row" \
        'grep "(32x4096)" "$tmp/out" | grep -q "loss $(cat "$tmp/loss4")"'
fi

# 2. a config.json by path, at another budget
run plan --law depth-delusion --compute 1e21 --vs "$tmp/gqa.json" --json
expect_rc "plan --vs gqa.json --json" 0
cp "$tmp/out" "$tmp/plan_gqa.json"
vs_check "--vs gqa.json" "$tmp/plan_gqa.json" "$tmp/gqa.json" 1e21

# 3. an unknown name is a usage error naming the built-in models
run plan --law depth-delusion --compute 1e22 --vs no-such-model
check "--vs no-such-model fails" '[ "$RC" -ne 0 ]'
has "$tmp/err" "--vs no-such-model message" "no-such-model" "llama-2-7b"

finish cli_plan_vs
