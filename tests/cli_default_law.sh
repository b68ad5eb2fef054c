#!/usr/bin/env bash
# tests/cli_default_law.sh — the default law (issue 13): examples/default-law/regenerate.sh
# reproduces the embedded preset from the public tables (same data, same starts, same
# bootstrap seed: every parameter, offset and interval equal), and the preset is what the
# README says: the default, a positive loss floor, 400 bootstrap draws stored, its data range
# and both sources recorded (Epoch's Chinchilla points without depth and width, with their
# own floor below Gemstones'), and a fixed-width loss minimum near d0·ln W.
#
# usage: bash tests/cli_default_law.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree)
set -u
DWPLAN=${1:?usage: cli_default_law.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

here=$SRC/examples/default-law
pub=$SRC/datasets/public
if [ ! -f "$here/regenerate.sh" ] || [ ! -f "$pub/gemstones_valloss_cooldown_end.csv" ] ||
   [ ! -f "$pub/epoch_chinchilla.csv" ]; then
    skip_rest cli_default_law "regenerate.sh or the public tables missing"
fi
command -v python3 >/dev/null 2>&1 || skip_rest cli_default_law "python3 missing"

# run a copy so the source tree is never written
mkdir -p "$tmp/examples/default-law" "$tmp/datasets/laws"
cp "$here/regenerate.sh" "$tmp/examples/default-law/"
ln -s "$pub" "$tmp/datasets/public"
bash "$tmp/examples/default-law/regenerate.sh" "$DWPLAN" >"$tmp/regen.out" 2>"$tmp/regen.err"
RC=$?
expect_rc "regenerate.sh" 0
law=$tmp/datasets/laws/gemstones-epoch-logsq.json
check "regenerate.sh wrote the law" '[ -s "$law" ]'
run law show gemstones-epoch-logsq --json
expect_rc "law show gemstones-epoch-logsq --json" 0
cp "$tmp/out" "$tmp/preset.json"
run law list
check "law list marks it the default" 'grep -q "^gemstones-epoch-logsq .*\[default\]" "$tmp/out"'
[ -s "$law" ] || skip_rest cli_default_law "nothing to compare"

pycheck() {
    local msg
    if msg=$(python3 - "$law" "$tmp/preset.json" 2>&1 <<PY
import json, math, sys
regen = json.load(open(sys.argv[1]))
preset = json.load(open(sys.argv[2]))
$2
PY
    ); then ok; else bad "$1: $msg"; fi
}

pycheck "regenerated law = preset" '
assert regen["form"] == preset["form"] == "logsq:log", (regen["form"], preset["form"])
for k, want in preset["params"].items():
    got = regen["params"][k]
    assert abs(got - want) <= 1e-8 * max(abs(want), 1e-3), "%s: %.15g vs %.15g" % (k, got, want)
for k, want in preset["ci"].items():
    for a, b in zip(regen["ci"][k], want):
        assert abs(a - b) <= 1e-8 * max(abs(b), 1e-3), "ci %s: %r vs %r" % (k, regen["ci"][k], want)
for a, b in zip(regen["sources"], preset["sources"]):
    assert a["name"] == b["name"] and abs(a["offset"] - b["offset"]) <= 1e-9, (a, b)
'
pycheck "the preset is what the README says" '
p = preset
assert p["params"]["E"] > 1.5, "loss floor %r" % p["params"]["E"]
assert len(regen["draws"]) == 400, len(regen["draws"])
r = p["range"]
assert r["depth"] == [3, 80] and r["width"] == [256, 3072], (r["depth"], r["width"])
assert r["params"][0] < 1e8 and r["params"][1] > 1e10, r["params"]  # Chinchilla N too
s = p["sources"]
assert [x["name"] for x in s] == ["gemstones_valloss_cooldown_end", "epoch_chinchilla"], s
assert s[0]["offset"] == 0 and s[0]["shape"] is True and s[1]["shape"] is False, s
assert s[1]["rows"] == 240 and s[0]["rows"] == 199, s
assert -0.35 < s[1]["offset"] < -0.15 and s[1]["ci"][0] < s[1]["offset"] < s[1]["ci"][1], s[1]
c = p["conventions"]
assert (c["vocab"], c["swiglu"], c["norm"], c["params"]) == (50304, True, "rmsnorm", "total"), c
files = [d["file"] for d in p["provenance"]["data"]]
assert files == ["gemstones_valloss_cooldown_end.csv", "epoch_chinchilla.csv"], files
'
# the law's fixed-width loss minimum (plan's dcrit at the recommended width and tokens) is
# where gamma·ln²(D/(d0·ln W)) balances the gain from N growing with D: an independent scan
# over D with N counted as the preset's conventions count it (every parameter; SwiGLU with
# three W x r·W matrices, attention 4·W², two RMSNorm gains per block, a final one, untied
# V x W embeddings)
run plan --law gemstones-epoch-logsq --compute 1e21 --json
expect_rc "plan --compute 1e21" 0
cp "$tmp/out" "$tmp/plan.json"
pycheck "dcrit = the minimum over D of an independent recount" "
rec = json.load(open('$tmp/plan.json'))['recommended']
p = preset['params']; c = preset['conventions']; V = c['vocab']; r = c['mlp_ratio']
W = rec['width']; T = rec['tokens']
def N(D):
    return D * (4 * W * W + 3 * r * W * W + 2 * W) + 2 * V * W + W
assert abs(N(rec['depth']) - rec['params_total']) <= 1e-6 * rec['params_total'], (N(rec['depth']), rec['params_total'])
def loss(D):
    return (p['E'] + p['A'] * N(D) ** -p['alpha'] + p['B'] * T ** -p['delta']
            + p['gamma'] * math.log(D / (p['d0'] * math.log(W))) ** 2)
best = min((d / 100 for d in range(100, 100000)), key=loss)
assert abs(rec['dcrit'] - best) <= 0.02, (rec['dcrit'], best)
assert abs(loss(rec['depth']) - rec['loss']) <= 1e-9, (loss(rec['depth']), rec['loss'])
"
# check past the fixed-width minimum says what the extra layers cost: loss at D minus loss at
# round(D_crit), the same width and tokens, recounted here
run check --depth 120 --width 2048 --tokens 1e11 --json
expect_rc "check --depth 120 --width 2048" 0
cp "$tmp/out" "$tmp/check.json"
pycheck "check: the cost of the layers past D_crit (independent recount)" "
ck = json.load(open('$tmp/check.json'))
p = preset['params']; c = preset['conventions']; V = c['vocab']; r = c['mlp_ratio']
W = 2048; T = 1e11
def loss(D):
    N = D * (4 * W * W + 3 * r * W * W + 2 * W) + 2 * V * W + W
    return (p['E'] + p['A'] * N ** -p['alpha'] + p['B'] * T ** -p['delta']
            + p['gamma'] * math.log(D / (p['d0'] * math.log(W))) ** 2)
dc = ck['shape']['dcrit']
assert ck['past_critical_depth'] is True and 100 < dc < 115, dc
want = loss(120) - loss(round(dc))
assert abs(ck['past_critical_depth_cost'] - want) <= 1e-9 and want > 0, (ck['past_critical_depth_cost'], want)
"
finish cli_default_law
