#!/usr/bin/env bash
# tests/cli_preset.sh — the depth-delusion preset (the paper's law; the default until issue 13) is what
# examples/depth-delusion/regenerate.sh makes, and its --optimal-at anchor means what the
# README says: at the anchor shape and budget the N/T split is compute-optimal,
# alpha·A·N0^-alpha = delta·B·T0^-delta (fit/fit.h, FitOptions.anchor_n).
#
# usage: bash tests/cli_preset.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree, for examples/depth-delusion)
#
# N0 and T0 are counted here from the GPT-NeoX block the law's conventions name (checked
# first), not read from dwplan: per block 12·W² + 13·W parameters (attention 4W² + 4W, MLP
# 8W² + 5W, two LayerNorms 4W), and C = T·(6·N + 6·V·W + 6·D·ctx·W) (README, "full" FLOPs).
set -u
DWPLAN=${1:?usage: cli_preset.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

here=$SRC/examples/depth-delusion
if [ ! -f "$here/regenerate.sh" ] || [ ! -f "$here/paper_rows.csv" ]; then
    skip_rest cli_preset "$here/regenerate.sh or paper_rows.csv missing"
fi
command -v python3 >/dev/null 2>&1 || skip_rest cli_preset "python3 missing (the comparisons need it)"

# The script writes <its dir>/../../datasets/laws/depth-delusion.json: run a copy of it in
# $tmp so the source tree is never written.
mkdir -p "$tmp/examples/depth-delusion" "$tmp/datasets/laws"
cp "$here/regenerate.sh" "$here/paper_rows.csv" "$tmp/examples/depth-delusion/"
bash "$tmp/examples/depth-delusion/regenerate.sh" "$DWPLAN" >"$tmp/regen.out" 2>"$tmp/regen.err"
RC=$?
expect_rc "regenerate.sh" 0
law=$tmp/datasets/laws/depth-delusion.json
check "regenerate.sh wrote the law" '[ -s "$law" ]'
run law show depth-delusion --json
expect_rc "law show depth-delusion --json" 0
cp "$tmp/out" "$tmp/preset.json"
# the anchor as the script gives it (DEPTH:WIDTH:COMPUTE)
anchor=$(grep -o -- '--optimal-at [0-9.e+:]*' "$here/regenerate.sh" | awk '{print $2}')
check "regenerate.sh has --optimal-at" '[ -n "$anchor" ]'
[ -s "$law" ] && [ -n "$anchor" ] || skip_rest cli_preset "nothing to compare"

# pycheck NAME CODE: python CODE must not raise; regen, preset are the two laws, D, W, C the
# anchor, and anchor_nt(law) gives (N0, T0) counted from the law's conventions.
pycheck() {
    local msg
    if msg=$(python3 - "$law" "$tmp/preset.json" "$anchor" 2>&1 <<PY
import json, math, sys
regen = json.load(open(sys.argv[1]))
preset = json.load(open(sys.argv[2]))
D, W, C = (float(v) for v in sys.argv[3].split(":"))

def anchor_nt(law):
    c = law["conventions"]
    want = {"params": "nonembed", "flops": "full", "mlp_ratio": 4, "swiglu": False,
            "biases": True, "norm": "layernorm"}
    for k, v in want.items():
        assert c[k] == v, "conventions %s = %r: this test counts for %r" % (k, c[k], v)
    n0 = D * (12 * W * W + 13 * W)
    t0 = C / (6 * n0 + 6 * c["vocab"] * W + 6 * D * c["seq_len"] * W)
    return n0, t0

$2
PY
    ); then ok; else bad "$1: $msg"; fi
}

# 1. every parameter of the regenerated law equals the embedded preset's (the fit is
#    deterministic: same data, same starts), and the same ones are fixed
pycheck "regenerated law = preset" '
assert regen["form"] == preset["form"], (regen["form"], preset["form"])
assert sorted(regen["fixed"]) == sorted(preset["fixed"]), (regen["fixed"], preset["fixed"])
assert sorted(regen["params"]) == sorted(preset["params"])
for k, want in preset["params"].items():
    got = regen["params"][k]
    assert abs(got - want) <= 1e-8 * max(abs(want), 1e-3), "%s: regenerated %.15g, preset %.15g" % (k, got, want)
'

# 2. the anchor: alpha·A·N0^-alpha = delta·B·T0^-delta in both laws, and the split
#    N·T = C/6-constant around (N0, T0) is lowest at (N0, T0) itself
pycheck "anchor is compute-optimal" '
for name, law in (("regenerated", regen), ("preset", preset)):
    p = law["params"]
    n0, t0 = anchor_nt(law)
    lhs = p["alpha"] * p["A"] * n0 ** -p["alpha"]
    rhs = p["delta"] * p["B"] * t0 ** -p["delta"]
    assert abs(lhs - rhs) <= 1e-10 * rhs, "%s: alpha*A*N0^-alpha = %.15g, delta*B*T0^-delta = %.15g" % (name, lhs, rhs)
    # g(s): the N and T terms at N = s*N0, T = T0/s (same N*T); its minimum is at s = 1
    g = lambda ls: p["A"] * (n0 * math.exp(ls)) ** -p["alpha"] + p["B"] * (t0 * math.exp(-ls)) ** -p["delta"]
    lo, hi = -3.0, 3.0
    for _ in range(200):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if g(m1) < g(m2): hi = m2
        else: lo = m1
    assert abs(lo + hi) / 2 < 1e-6, "%s: the N/T split is optimal at N = %.6g N0, not N0" % (name, math.exp((lo + hi) / 2))
'

# 3. the law records the anchor it was fitted with (the same N0, T0)
pycheck "provenance records the anchor" '
a = regen["provenance"]["optimal_at"]
n0, t0 = anchor_nt(regen)
assert abs(a["params"] - n0) <= 1e-12 * n0, (a["params"], n0)
assert abs(a["tokens"] - t0) <= 1e-12 * t0, (a["tokens"], t0)
'

finish cli_preset
