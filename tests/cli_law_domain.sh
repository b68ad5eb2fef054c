#!/usr/bin/env bash
# tests/cli_law_domain.sh — valid JSON, meaningless values (issue 14, finding 8): a law or
# config whose values mean nothing exits 3 naming the file, the field and the allowed range,
# with nothing on stdout; fit -o does not write a law it could not read back; every preset and
# built-in model shape still loads; a config within the limits whose compute is still beyond
# the planner's 1e32 is refused with exit 3 (plan_point_meaningful), not printed.
#
# usage: bash tests/cli_law_domain.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree: datasets/laws, examples/models, datasets/public)
set -u

DWPLAN=${1:?usage: cli_law_domain.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

LAW=$SRC/datasets/laws/chinchilla-epoch.json
CFG=$SRC/examples/models/llama-2-7b.json
[ -f "$LAW" ] && [ -f "$CFG" ] || skip_rest cli_law_domain "no $LAW or $CFG"

# refused NAME FILE FIELD RANGE -- ARGS...: exit 3, stdout empty, stderr names all three
refused() {
    local name=$1 file=$2 field=$3 range=$4
    shift 5
    run "$@"
    expect_rc "$name" 3
    check "$name: stdout empty" '[ ! -s "$tmp/out" ]'
    has "$tmp/err" "$name" "$file" "$field" "$range"
}

# one value of the preset changed (sed on the file text: the preset writes "alpha": 0.34731)
sed 's/"alpha": 0.34731/"alpha": -0.5/' "$LAW" >"$tmp/neg_alpha.json"
sed 's/"mlp_ratio": 4/"mlp_ratio": 1e300/' "$LAW" >"$tmp/mlp.json"
sed 's/"vocab": 32000/"vocab": 3000000000/' "$LAW" >"$tmp/vocab.json"
check "neg_alpha fixture changed" '! cmp -s "$LAW" "$tmp/neg_alpha.json"'
check "mlp fixture changed" '! cmp -s "$LAW" "$tmp/mlp.json"'
refused "plan alpha=-0.5" neg_alpha.json params.alpha "(0, 10]" -- \
    plan --compute 1e22 --law "$tmp/neg_alpha.json"
refused "check alpha=-0.5" neg_alpha.json params.alpha "(0, 10]" -- \
    check --model gpt2 --law "$tmp/neg_alpha.json"
refused "plan mlp_ratio=1e300" mlp.json conventions.mlp_ratio "(0, 64]" -- \
    plan --compute 1e22 --law "$tmp/mlp.json"
refused "plan vocab=3e9" vocab.json conventions.vocab "1 .. 100000000" -- \
    plan --compute 1e22 --law "$tmp/vocab.json"

# configs: the issue's head_dim 1e9, and the other sizes
sed 's/"num_key_value_heads": 32,/"num_key_value_heads": 32, "head_dim": 1000000000,/' "$CFG" \
    >"$tmp/hd.json"
sed 's/"hidden_size": 4096/"hidden_size": 4096000000/' "$CFG" >"$tmp/wide.json"
sed 's/"num_hidden_layers": 32/"num_hidden_layers": 1000000/' "$CFG" >"$tmp/deep.json"
sed 's/"vocab_size": 32000/"vocab_size": 1000000000/' "$CFG" >"$tmp/vocab_cfg.json"
sed 's/"intermediate_size": 11008/"intermediate_size": 1100800/' "$CFG" >"$tmp/ffn.json"
refused "check head_dim=1e9" hd.json head_dim "1 .. 65536" -- check --hf-config "$tmp/hd.json"
refused "check hidden_size" wide.json hidden_size "1 .. 1000000" -- \
    check --hf-config "$tmp/wide.json"
refused "check layers" deep.json num_hidden_layers "1 .. 100000" -- \
    check --hf-config "$tmp/deep.json"
refused "check vocab" vocab_cfg.json vocab_size "1 .. 100000000" -- \
    check --hf-config "$tmp/vocab_cfg.json"
refused "check intermediate_size" ffn.json intermediate_size "64" -- \
    check --hf-config "$tmp/ffn.json"

# fit -o with a parameter held outside its domain: refused, nothing written
DATA=$SRC/datasets/public/epoch_chinchilla.csv
if [ -f "$DATA" ]; then
    run fit "$DATA" --form chinchilla --fix alpha=-0.5 -o "$tmp/fixneg.json"
    expect_rc "fit --fix alpha=-0.5 -o" 3
    has "$tmp/err" "fit --fix alpha=-0.5 -o" "fixneg.json" "params.alpha" "(0, 10]" "not written"
    check "fit -o wrote nothing" '[ ! -e "$tmp/fixneg.json" ]'
fi

# every preset and built-in shape still loads
for f in "$SRC"/datasets/laws/*.json; do
    p=$(basename "$f" .json)
    run law show "$p"
    expect_rc "law show $p" 0
done
for f in "$SRC"/examples/models/*.json; do
    m=$(basename "$f" .json)
    run count --hf-config "$f"
    expect_rc "count --hf-config $m" 0
done

# within every limit, still beyond plan's 1e32: refused (exit 3) with the law and the limit
# named, not printed; the same for a shape given by depth and width
sed -e 's/"hidden_size": 4096/"hidden_size": 1000000/' \
    -e 's/"num_hidden_layers": 32/"num_hidden_layers": 100000/' \
    -e 's/"intermediate_size": 11008/"intermediate_size": 4000000/' \
    -e 's/"num_attention_heads": 32/"num_attention_heads": 8000/' \
    -e 's/"num_key_value_heads": 32/"num_key_value_heads": 8000/' "$CFG" >"$tmp/huge.json"
run check --hf-config "$tmp/huge.json" --laws none --within off --json
expect_rc "check huge config: refused" 3
has "$tmp/err" "check huge config: refused" "beyond the planner's limit of 1e+32" "preset"
check "check huge config: nothing printed" '[ ! -s "$tmp/out" ]'
run check --depth 2000 --width 200000 --tokens 1e17
expect_rc "check 2000x200000: refused" 3
has "$tmp/err" "check 2000x200000: refused" "2000x200000" "7.2e+32"

finish cli_law_domain
