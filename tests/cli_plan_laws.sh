#!/usr/bin/env bash
# tests/cli_plan_laws.sh — `plan` and `check` judged under several laws, and the default
# near-optimal region (issue 13, parts 3-5; the library is checked in test_plan_laws and
# test_plan_region).
#
# usage: bash tests/cli_plan_laws.sh /path/to/dwplan
#
#   - plan --json: "laws" has one row per embedded preset (`law list`), the recommending
#     law's regret is 0, every regret is rec loss - own loss and >= -1e-4, and each row's own
#     optimum is the lowest real shape of `plan --law THAT --within 1e-9` (its region's best;
#     a shape-free law imposes W/D, so only its loss is compared, within 1e-5);
#     "laws_agree" names the largest regret;
#   - --laws A,B chooses the set, --laws none drops it, a bad name exits 2;
#   - the region is on by default (eps 0.005 for a law without draws) and compact; --within
#     off drops it; a shape-free law's region is "a band of N";
#   - plot frontier's region data equal plan's region at 1e22; isoflop shades plan's depth
#     range (with gnuplot only);
#   - check: the shape's row under each law, "inside the region" or not, and "past the
#     critical depth" only under a law with an interior D_crit.
# Needs python3 for the JSON checks (exit 77 without it).
set -u
DWPLAN=${1:?usage: cli_plan_laws.sh /path/to/dwplan}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
command -v python3 >/dev/null 2>&1 || skip_rest cli_plan_laws "python3 not found"

run law list
presets=$(awk '{print $1}' "$tmp/out" | sort | tr '\n' ' ')
run plan --law depth-delusion --compute 1e22 --json
expect_rc "plan json" 0
cp "$tmp/out" "$tmp/main.json"
for p in $presets; do
    run plan --compute 1e22 --law "$p" --laws none --within 1e-9 --json
    cp "$tmp/out" "$tmp/own_$p.json"
done
check "laws json" "python3 - '$tmp' '$presets' <<'PY'
import json, sys
d, presets = sys.argv[1], sys.argv[2].split()
j = json.load(open(d + '/main.json'))
rows = j['laws']
assert sorted(r['name'] for r in rows) == sorted(presets), [r['name'] for r in rows]
worst = max(rows, key=lambda r: r['regret'])
for r in rows:
    assert r['ok'], r
    assert abs(r['regret'] - (r['recommended']['loss'] - r['own_optimum']['loss'])) < 1e-12
    assert r['regret'] >= -1e-4, r
    if r['name'] == j['law']['name']:
        assert r['regret'] == 0 or r['recommended']['loss'] >= r['own_optimum']['loss'], r
    own = json.load(open(d + '/own_%s.json' % r['name']))
    best = own['region']['list'][0]
    if r['has_shape_term']:
        assert (best['depth'], best['width']) == (r['own_optimum']['depth'], r['own_optimum']['width']), (r, best)
        assert abs(best['loss'] - r['own_optimum']['loss']) < 1e-12
    else: # the imposed aspect ratio: within rounding of the best N, any shape
        assert 0 <= r['own_optimum']['loss'] - best['loss'] < 1e-5, (r, best)
    assert 'laws' not in own
assert ('at most %+.4f nats' % worst['regret']) in j['laws_agree'] and worst['name'] in j['laws_agree'], j['laws_agree']
g = j['region']
assert g['eps_nats'] == 0.005 and 'noise floor' in g['eps_why'], g['eps_why']
assert g['recommended_inside'] and 0 <= g['recommended_p_within'] <= 1
PY"

run plan --law depth-delusion --compute 1e22 --laws gemstones,chinchilla-epoch --json
check "--laws set" "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert [r[\"name\"] for r in j[\"laws\"]] == [\"gemstones\", \"chinchilla-epoch\"]' '$tmp/out'"
run plan --law depth-delusion --compute 1e22 --laws none --within off --json
check "--laws none, --within off" "python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert \"laws\" not in j and \"region\" not in j' '$tmp/out'"
run plan --law depth-delusion --compute 1e22 --laws nosuchlaw
expect_rc "--laws bad" 2
has "$tmp/err" "--laws bad" "nosuchlaw"

run plan --law depth-delusion --compute 1e22
expect_rc "plan text" 0
has "$tmp/out" "plan text" "near-optimal region: real shapes at 1.00e22 FLOPs within 0.005 nats" \
    "tolerance: the run-to-run noise floor" "under each law (the same compute" "depth-delusion*" \
    "the recommendation costs at most"
check "plan text: compact region" "! grep -q 'width   depths' '$tmp/out'"
n=$(sed -n '/^near-optimal region/,/^$/p' "$tmp/out" | grep -c .)
check "plan text: region <= 7 lines ($n)" "[ $n -le 7 ]"
run plan --law depth-delusion --compute 1e22 --within off
check "--within off" "! grep -q 'near-optimal region' '$tmp/out'"
run plan --compute 1e22 --law chinchilla-epoch --laws none
has "$tmp/out" "shape-free region" "a band of N, not of shapes"
check "shape-free: no depth range" "! grep -q 'shapes: depth' '$tmp/out'"
run plan --law depth-delusion --params 7e9 --compute 1e22
expect_rc "fixed N: default region skipped" 0
has "$tmp/out" "fixed N" "near-optimal region: not computed" "under each law (the same N and compute"

# check: the region at the shape's compute, the shape under each law, the critical depth
run check --law depth-delusion --model llama-3-70b --tokens 15e12
expect_rc "check text" 0
has "$tmp/out" "check text" "is OUTSIDE it" "under each law (the same compute" \
    "is past it under depth-delusion" "not under gemstones (loss still falls with depth)" \
    "chinchilla-epoch, chinchilla-hoffmann: no shape term, no D_crit" "the checked shape costs at most"
run check --law depth-delusion --model llama-3-70b --tokens 15e12 --json
cp "$tmp/out" "$tmp/c.json"
check "check json" "python3 - '$tmp/c.json' <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
g = j['region']
assert not g['shape_inside'] and g['shape_dloss_over_best'] > g['eps_nats']
assert abs(g['shape_dloss_over_best'] - (j['shape']['loss'] - g['best_loss'])) < 1e-12
assert g['shape_p_within'] is not None and 0 <= g['shape_p_within'] <= 1
past = {r['name']: r['recommended']['past_critical_depth'] for r in j['laws']}
assert past['depth-delusion'] and not past['gemstones'], past
assert not any(past[r['name']] for r in j['laws'] if not r['has_shape_term']), past
main = [r for r in j['laws'] if r['name'] == j['law']['name']][0]
assert abs(main['regret'] - j['loss_cost']) < 1e-9, (main['regret'], j['loss_cost'])
PY"
d=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["recommended"]; print(int(r["depth"]), int(r["width"]))' "$tmp/main.json")
run check --law depth-delusion --depth ${d% *} --width ${d#* } --compute 1e22 --laws none
has "$tmp/out" "check the recommendation" "is INSIDE it"
check "check --laws none" "! grep -q 'under each law' '$tmp/out'"
run check --law depth-delusion --model gpt2 --within off --laws none
check "check --within off" "! grep -q 'near-optimal region' '$tmp/out'"
run check --law depth-delusion --model gpt2 --within abc
expect_rc "check --within abc" 2

# plot frontier / isoflop shade the region: the figure's ranges are plan's at the same budget
if command -v gnuplot >/dev/null 2>&1; then
    run plot frontier --law gemstones -o "$tmp/fr.png"
    expect_rc "plot frontier" 0
    run plan --compute 1e22 --law gemstones --laws none --json
    cp "$tmp/out" "$tmp/g.json"
    check "frontier region = plan region" "python3 - '$tmp/fr_region.dat' '$tmp/g.json' <<'PY'
import json, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if not l.startswith('#')]
g = json.load(open(sys.argv[2]))['region']
r = [x for x in rows if abs(x[0] / 1e22 - 1) < 1e-6]
assert len(r) == 1, rows
r = r[0]
assert r[1:5] == g['depth'] + g['width'], (r, g['depth'], g['width'])
assert abs(r[9] - g['eps_nats']) < 1e-12
assert all(x[1] <= x[2] and x[3] <= x[4] and x[5] <= x[6] and x[7] <= x[8] for x in rows)
PY"
    run plot isoflop --law gemstones --budgets 1e22 -o "$tmp/iso.png"
    expect_rc "plot isoflop" 0
    d=$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["region"]; print("depths %d..%d" % tuple(g["depth"]))' "$tmp/g.json")
    check "isoflop: plan's depth range ($d)" "[ -n '$d' ]"
    has "$tmp/iso.gp" "isoflop region" "$d" "transparent solid"
    run plot isoflop --law chinchilla-epoch -o "$tmp/iso_c.png"
    has "$tmp/err" "isoflop shape-free" "band of N, not of depths"
fi
finish cli_plan_laws
