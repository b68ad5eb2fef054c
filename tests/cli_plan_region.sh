#!/usr/bin/env bash
# tests/cli_plan_region.sh — `dwplan plan --within`: the near-optimal region (issue 13,
# part 4; the library is checked against brute force in test_plan_region).
#
# usage: bash tests/cli_plan_region.sh /path/to/dwplan
#
#   - --json: "region" lists every shape within eps of the best (dloss in [0, eps], sorted,
#     the first at 0), the count matches, depth/width ranges cover the list, the
#     recommendation is no better than the region's best, and P(within) is in [0, 1];
#   - a larger eps gives a superset; eps given in percent of the recommended loss;
#   - text: the region header, one row per width;
#   - bad --within (0, -1, 2 nats, 'abc', 60%) exits 2; a fixed-N request exits 2.
# Needs python3 for the JSON checks (exit 77 without it).
set -u
DWPLAN=${1:?usage: cli_plan_region.sh /path/to/dwplan}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
command -v python3 >/dev/null 2>&1 || skip_rest cli_plan_region "python3 not found"

run plan --compute 1e22 --within 0.005 --json
expect_rc "within json" 0
cp "$tmp/out" "$tmp/a.json"
run plan --compute 1e22 --within 0.02 --json
cp "$tmp/out" "$tmp/b.json"
run plan --compute 1e22 --within 0.5% --json
cp "$tmp/out" "$tmp/p.json"
check "region json" "python3 - '$tmp/a.json' '$tmp/b.json' '$tmp/p.json' <<'PY'
import json, sys
a, b, p = (json.load(open(f)) for f in sys.argv[1:4])
g = a['region']; L = g['list']
assert g['eps_nats'] == 0.005 and g['shapes'] == len(L) >= 1, g['shapes']
assert L[0]['dloss'] == 0 and all(0 <= e['dloss'] <= 0.005 + 1e-12 for e in L)
assert all(L[i]['loss'] <= L[i + 1]['loss'] for i in range(len(L) - 1))
assert min(e['depth'] for e in L) == g['depth'][0] and max(e['depth'] for e in L) == g['depth'][1]
assert min(e['width'] for e in L) == g['width'][0] and max(e['width'] for e in L) == g['width'][1]
assert a['recommended']['loss'] >= g['best_loss'] - 1e-12
assert g['draws'] > 0 and all(0 <= e['p_within'] <= 1 for e in L)
small = {(e['depth'], e['width']) for e in L}
big = {(e['depth'], e['width']) for e in b['region']['list']}
assert small < big, (len(small), len(big))
want = 0.005 * p['recommended']['loss']
assert abs(p['region']['eps_nats'] - want) < 1e-12, (p['region']['eps_nats'], want)
PY"

run plan --compute 1e22 --law gemstones --within 0.005
expect_rc "within text" 0
has "$tmp/out" "within text" "near-optimal region: real shapes at 1.00e22 FLOPs within 0.005 nats" \
    "width   depths" "P(within): no draws" "the region is wide: under this law the shape barely matters"
run plan --compute 1e22 --within 1e-9
expect_rc "tiny within" 0
check "tiny within: not wide" '! grep -q "region is wide" "$tmp/out"'

for bad in 0 -1 2 abc 60% 1e-3x; do
    run plan --compute 1e22 --within "$bad"
    expect_rc "--within $bad" 2
    has "$tmp/err" "--within $bad" "--within"
done
run plan --params 7e9 --compute 1e22 --within 0.01
expect_rc "within with fixed N" 2
has "$tmp/err" "within with fixed N" "fixed compute"
finish cli_plan_region
