#!/usr/bin/env bash
# tests/cli_fit_options.sh — `dwplan fit --asym A` and `--bootstrap N --by-shape` reach the
# fitter, checked against closed forms (tests/test_fit_options.c and tests/test_boot.c check
# the library side).
#
# usage: bash tests/cli_fit_options.sh /path/to/dwplan
#
# The law is chinchilla with A = B = 0 fixed, i.e. the constant E:
# - least squares with --asym 3 on losses 1, 2, 3, 4: only the loss-1 row is over-predicted,
#   4(E−1) + (E−2) + (E−3) + (E−4) = 0, E = 13/7; on ln L (--objective lsq-log),
#   7·ln E = ln 24, E = 24^(1/7).
# - on ln L the refit of a resample is the geometric mean of the losses it drew. With losses
#   2^0 .. 2^5 in three shapes ({2^0, 2^1} at D = 2, {2^2} at D = 3, {2^3, 2^4, 2^5} at
#   D = 4), a row resample gives 6·log2 E = an integer; a whole-shape resample (c2, c3, c4
#   copies of each shape, c2 + c3 + c4 = 3) gives log2 E = (c2 + 2·c3 + 12·c4) /
#   (2·c2 + c3 + 3·c4).
set -u
DWPLAN=${1:?usage: cli_fit_options.sh /path/to/dwplan}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
command -v python3 >/dev/null 2>&1 || skip_rest cli_fit_options "python3 missing (the checks read JSON)"

# pycheck NAME FILE CODE: python CODE must not raise, with law = FILE's JSON
pycheck() {
    local msg
    if msg=$(python3 -c "
import json, math, sys
law = json.load(open(sys.argv[1]))
$3" "$2" 2>&1); then ok; else bad "$1: $msg"; fi
}

fix=(--n-convention nonembed --form chinchilla --fix A=0,B=0,alpha=0.3,delta=0.3)

# 1. --asym
printf 'depth,width,params,tokens,loss\n2,256,1e7,1e10,1\n3,256,2e7,1e10,2\n4,256,3e7,1e10,3\n5,256,4e7,1e10,4\n' >"$tmp/four.csv"
run fit "$tmp/four.csv" "${fix[@]}" --asym 3 -o "$tmp/asym.json"
expect_rc "fit --asym 3" 0
pycheck "--asym 3: E = 13/7" "$tmp/asym.json" '
e = law["params"]["E"]
assert abs(e - 13 / 7) < 1e-7, e'
run fit "$tmp/four.csv" "${fix[@]}" --asym 3 --objective lsq-log -o "$tmp/asym_log.json"
expect_rc "fit --asym 3 --objective lsq-log" 0
pycheck "--asym 3, lsq-log: E = 24^(1/7)" "$tmp/asym_log.json" '
e = law["params"]["E"]
assert abs(e - 24 ** (1 / 7)) < 1e-7, e'
run fit "$tmp/four.csv" "${fix[@]}" --asym -1
expect_rc "fit --asym -1" 2

# 2. --bootstrap with and without --by-shape
printf 'depth,width,params,tokens,loss\n2,256,1e7,1e10,1\n2,256,2e7,1e10,2\n3,256,3e7,1e10,4\n4,256,4e7,1e10,8\n4,256,5e7,1e10,16\n4,256,6e7,1e10,32\n' >"$tmp/six.csv"
boot=(--objective lsq-log --bootstrap 120 --seed 5 --threads 2)
run fit "$tmp/six.csv" "${fix[@]}" "${boot[@]}" -o "$tmp/rows.json"
expect_rc "fit --bootstrap (rows)" 0
pycheck "row resamples: 6·log2 E is an integer" "$tmp/rows.json" '
assert "rows resampled" in law["provenance"]["ci_method"], law["provenance"]["ci_method"]
es = [d[0] for d in law["draws"]]
assert len(es) >= 100, len(es)
bad = [e for e in es if abs(6 * math.log2(e) - round(6 * math.log2(e))) > 1e-5]
assert not bad, bad[:5]'
run fit "$tmp/six.csv" "${fix[@]}" "${boot[@]}" --by-shape -o "$tmp/shapes.json"
expect_rc "fit --bootstrap --by-shape" 0
pycheck "whole-shape resamples: E is a mean over whole shapes" "$tmp/shapes.json" '
assert "whole shapes resampled" in law["provenance"]["ci_method"], law["provenance"]["ci_method"]
means = [(c2 + 2 * c3 + 12 * (3 - c2 - c3)) / (2 * c2 + c3 + 3 * (3 - c2 - c3))
         for c2 in range(4) for c3 in range(4 - c2)]
es = [d[0] for d in law["draws"]]
assert len(es) >= 80, len(es)
hit = [min(abs(math.log2(e) - m) for m in means) < 1e-6 for e in es]
assert all(hit), [e for e, h in zip(es, hit) if not h][:5]
seen = {min(range(len(means)), key=lambda k: abs(math.log2(e) - means[k])) for e in es}
assert len(seen) >= 8, seen
offgrid = [e for e in es if abs(6 * math.log2(e) - round(6 * math.log2(e))) > 1e-3]
assert len(offgrid) > len(es) // 4, len(offgrid)'

finish cli_fit_options
