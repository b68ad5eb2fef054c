#!/usr/bin/env bash
# tests/cli_count.sh — `dwplan count` and `dwplan check` conventions (issue 12 cases 3, 4, 7,
# 8, 9): one accounting for a named model and the optimum, the training context as an input,
# MoE configs refused, every built-in model reachable by its stem, heads that must divide the
# width, every example of `count --help` and `check --help` run as written, --json on both.
#
# usage: bash tests/cli_count.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree, for examples/models)
set -u

DWPLAN=${1:?usage: cli_count.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
command -v python3 >/dev/null 2>&1 || skip_rest cli_count "python3 not found (JSON checks)"
[ -d "$SRC/examples/models" ] || skip_rest cli_count "no examples/models under $SRC"
cd "$tmp" || exit 1

py() { # NAME FILE CODE: CODE sees d = json.load(FILE)
    if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $3" "$2" 2>"$tmp/pyerr"; then
        ok
    else
        bad "$1: $(tail -c 400 "$tmp/pyerr")"
    fi
}

# A law with the depth-delusion form, V = 100352 and ctx 4096 (the issue's example).
python3 - "$SRC/datasets/laws/depth-delusion.json" >law100k.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["conventions"]["vocab"] = 100352
d["conventions"]["seq_len"] = 4096
print(json.dumps(d))
EOF

# ---------------------------------------------------------------------------
# case 8: every file in examples/models by its stem (pythia-1.4b was embedded as pythia-1)
for f in "$SRC"/examples/models/*.json; do
    stem=$(basename "$f" .json)
    run check --model "$stem" --json
    expect_rc "check --model $stem" 0
    run count --model "$stem"
    expect_rc "count --model $stem" 0
done
run check --help
has "$tmp/out" "check --help lists every model" \
    $(for f in "$SRC"/examples/models/*.json; do basename "$f" .json; done)

# ---------------------------------------------------------------------------
# case 3: one accounting; no named model beats the optimum; warnings rendered
for law in $(ls "$SRC"/datasets/laws/*.json) law100k.json; do
    for f in "$SRC"/examples/models/*.json; do
        stem=$(basename "$f" .json)
        run check --model "$stem" --law "$law" --json
        expect_rc "check $stem under $(basename "$law")" 0
        py "$stem under $(basename "$law"): cost >= -1e-4" "$tmp/out" \
            'c = d["loss_cost"]; assert c >= -1e-4, "loss_cost %r" % c'
    done
done
run check --hf-config "$SRC/examples/models/gpt2.json" --law law100k.json
expect_rc "check gpt2 under V=100352" 0
has "$tmp/out" "check gpt2 says the accounting" "counted with the law's V = 100352" \
    "ctx = 4096" "own: V 50257"
run check --hf-config "$SRC/examples/models/gpt2.json" --law law100k.json --json
py "check --json: accounting and warnings" "$tmp/out" '
a = d["accounting"]
assert a["law"]["vocab"] == 100352 and a["law"]["seq_len"] == 4096, a
assert a["model"]["vocab"] == 50257 and a["model"]["max_positions"] == 1024, a
assert abs(a["law"]["flops_per_token"] - 1199241216) < 1, a
assert isinstance(d["warnings"], list), d.get("warnings")
'
# the law range is known for a fitted law: a checked shape far outside it is flagged
run check --model llama-3-70b --tokens 1e10
has "$tmp/out" "check prints the planner's warnings" "warning"

# ---------------------------------------------------------------------------
# case 4: the training context is an input; attention FLOPs are not halved
run count --model mistral-7b --seq-len 4096 --json
expect_rc "count mistral-7b --seq-len 4096" 0
py "mistral-7b at ctx 4096: 45,885,161,472 FLOPs/token" "$tmp/out" '
assert d["seq_len"] == 4096, d["seq_len"]
assert d["flops_per_token"] == 45885161472, d["flops_per_token"]
assert d["params_total"] == 7241732096, d["params_total"]'
run count --model mistral-7b --json
py "count --model: ctx is not max_position_embeddings" "$tmp/out" '
assert d["seq_len"] != 32768 and d["max_positions"] == 32768, (d["seq_len"], d.get("max_positions"))'
run count --help
has "$tmp/out" "count --help states the attention convention" "not halved"
run check --model mistral-7b --seq-len 4096 --tokens 1e12 --law depth-delusion --json
expect_rc "check --seq-len" 0
py "check --seq-len 4096 counts ctx 4096" "$tmp/out" '
assert d["accounting"]["law"]["seq_len"] == 4096, d["accounting"]
f = d["shape"]["flops"]; want = 1e12 * (6*6979584000 + 6*50257*4096 + 6*32*4096*4096)
assert abs(f - want) <= 1e-12 * want, (f, want)'
run check --model mistral-7b --seq-len 0
expect_rc "check --seq-len 0" 2

# ---------------------------------------------------------------------------
# case 7: mixture-of-experts configs refused, naming file and field
moe_base='"hidden_size": 2048, "num_hidden_layers": 27, "num_attention_heads": 16, "intermediate_size": 10944, "vocab_size": 102400, "hidden_act": "silu"'
for kv in '"n_routed_experts": 64' '"num_local_experts": 8' '"num_experts": 60' \
    '"moe_num_experts": 16' '"num_experts_per_tok": 2'; do
    printf '{"model_type": "x", %s, %s}\n' "$moe_base" "$kv" >moe.json
    field=$(echo "$kv" | sed 's/"\([a-z_]*\)".*/\1/')
    for cmd in count check; do
        run $cmd --hf-config moe.json
        expect_rc "$cmd MoE $field" 3
        has "$tmp/err" "$cmd MoE $field" "moe.json" "$field" "mixture-of-experts"
    done
done

# ---------------------------------------------------------------------------
# case 9: heads must divide the width
run count --depth 2 --width 4096 --heads 33
expect_rc "count --heads 33 over 4096" 2
has "$tmp/err" "count --heads 33" "33" "4096" "divide"
run count --depth 2 --width 4096 --heads 32 --json
expect_rc "count --heads 32" 0
py "count --heads 32: attention 4·W² + 4·W" "$tmp/out" '
assert d["attn_per_block"] == 4*4096*4096 + 4*4096, d["attn_per_block"]'
run check --depth 2 --width 4096 --heads 33
expect_rc "check --heads 33 over 4096" 2
has "$tmp/err" "check --heads 33" "divide"
printf '{"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 2, "num_attention_heads": 33, "intermediate_size": 11008, "vocab_size": 32000}\n' >h33.json
run count --hf-config h33.json
expect_rc "config with 33 heads" 3
has "$tmp/err" "config with 33 heads" "h33.json" "num_attention_heads" "hidden_size"

# ---------------------------------------------------------------------------
# bad configs name file and field
printf '{"model_type": "llama", "hidden_size": "big", "num_hidden_layers": 2}\n' >badw.json
run check --hf-config badw.json
expect_rc "check bad config" 3
has "$tmp/err" "check bad config" "badw.json" "hidden_size"

# ---------------------------------------------------------------------------
# every example in count --help and check --help runs as written (from the source tree)
for cmd in count check; do
    "$DWPLAN" $cmd --help >help.txt
    n=0
    while IFS= read -r line; do
        ex=$(printf '%s' "$line" | sed -e 's/^ *dwplan //' -e 's/ *#.*$//')
        # shellcheck disable=SC2086
        (cd "$SRC" && "$DWPLAN" $ex >"$tmp/exout" 2>"$tmp/exerr")
        rc=$?
        if [ $rc -eq 0 ]; then ok; else bad "$cmd --help example '$ex': exit $rc: $(head -c 300 "$tmp/exerr")"; fi
        n=$((n + 1))
    done < <(grep -E '^ +dwplan ' help.txt)
    check "$cmd --help has examples ($n)" '[ $n -ge 2 ]'
    has help.txt "$cmd --help mentions --json" "--json"
done
for args in "count --depth 4 --width 128" "check --depth 4 --width 128"; do
    # shellcheck disable=SC2086
    run $args --json
    py "$args --json parses" "$tmp/out" 'assert isinstance(d, dict)'
done

# whole numbers: a model has no half layer (check refused 2.5 layers, count counted them)
for args in "--depth 2.5 --width 512" "--depth 2 --width 512.5" \
    "--depth 2 --width 512 --heads 8 --head-dim 64.5" "--depth 2 --width 512 --ffn 100.5"; do
    opt=$(echo "$args" | grep -oE -- '--[a-z-]+ [0-9]+\.5' | cut -d' ' -f1)
    # shellcheck disable=SC2086
    run count $args
    expect_rc "count $args" 2
    has "$tmp/err" "count $args" "$opt must be a whole number"
done
run check --depth 2.5 --width 512
expect_rc "check --depth 2.5" 2
has "$tmp/err" "check --depth 2.5" "whole number"

finish cli_count
