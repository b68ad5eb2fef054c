#!/usr/bin/env bash
# tests/cli_fit_honest.sh — `dwplan fit` says what a fit cannot tell (issue 12 cases 10, 13):
# a parameter on a bound prints "E -> 0 (on bound)" and an interval clipped at the bound,
# exp(e) -> 0 in the separable form is not printed as e = -6e9, a parameter the data cannot
# identify is named (not "the source publishes none"), tokens = 20·N in every row warns that
# N and T cannot be separated, and unknown statistics print n/a (never 0).
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
[ -x "$DWPLAN" ] || skip_rest cli_fit_honest "no dwplan binary"

# L = -0.05 + 400 N^-0.34 + 410 T^-0.28 with a fixed 0.2% wiggle: the best E >= 0 is E = 0
awk 'BEGIN { print "params,tokens,loss"; split("1e7 3e7 1e8 3e8 1e9", N, " ");
             split("2e8 1e9 5e9 2e10", T, " "); i = 0;
             for (a = 1; a <= 5; a++) for (b = 1; b <= 4; b++) { i++;
               l = -0.05 + 400 * N[a]^-0.34 + 410 * T[b]^-0.28;
               printf "%s,%s,%.8f\n", N[a], T[b], l * (1 + 0.002 * sin(12.9898 * i)) } }' \
    >"$tmp/noE.csv"
awk 'BEGIN { print "params,tokens,loss"; for (N = 1e7; N < 3e9; N *= 2.2) { i++;
               l = 1.7 + 400 * N^-0.34 + 410 * (20 * N)^-0.28;
               printf "%.6g,%.6g,%.8f\n", N, 20 * N, l * (1 + 0.002 * sin(12.9898 * i)) } }' \
    >"$tmp/tpp20.csv"

run fit "$tmp/noE.csv" --form chinchilla
expect_rc "E on bound" 0
has "$tmp/out" "E on bound" "E        -> 0 (on bound)" "95% CI [0, " "(clipped at the bound)" \
    "warning: what the data cannot tell: E"
check "E on bound: no negative interval end" '! grep -q "CI \[-" "$tmp/out"'

run fit "$tmp/noE.csv" --form separable:N,T
expect_rc "exp(e) -> 0" 0
has "$tmp/out" "exp(e) -> 0" "e        -> -inf (exp(e) -> 0, on bound)" "a_N" "95% CI"
check "exp(e) -> 0: no e = -6e9" '! grep -Eq "^  e +-[0-9.]+e\+0" "$tmp/out"'
check "exp(e) -> 0: no preset message" '! grep -q "source publishes none" "$tmp/out"'

run fit "$tmp/noE.csv" --form chinchilla --fix A=0
expect_rc "alpha unidentified" 0
has "$tmp/out" "alpha unidentified" "not identified by the data" "none for alpha"
check "alpha unidentified: no preset message" '! grep -q "source publishes none" "$tmp/out"'

run fit "$tmp/tpp20.csv" --form chinchilla -o "$tmp/tpp20.json"
has "$tmp/out" "tokens = 20 N" "N and T cannot be separated"
run law show "$tmp/tpp20.json"
has "$tmp/out" "law show tokens = 20 N" "N and T cannot be separated"

# unknown statistics: n/a, not 0 (a law file whose statistics are null, as a preset's may be)
sed -e 's/"rmse":[^,]*,/"rmse": null,/' -e 's/"r2_log":[^,]*,/"r2_log": null,/' \
    "$tmp/tpp20.json" >"$tmp/nostats.json"
run law show "$tmp/nostats.json"
expect_rc "law show null statistics" 0
has "$tmp/out" "law show null statistics" "n/a on log L" "RMSE n/a"
check "law show: no RMSE 0" '! grep -Eq "RMSE 0([ ,;]|$)" "$tmp/out"'
check "law show: no nan" '! grep -qiw "nan" "$tmp/out"'
# ... and a preset whose file leaves them out (chinchilla-epoch: published values, only
# the objective and R² on L are known)
run law show chinchilla-epoch
expect_rc "law show preset" 0
has "$tmp/out" "preset without statistics" "R² = 0.9942 on L, n/a on log L" "RMSE n/a" "AIC n/a"
check "preset: no RMSE 0" '! grep -Eq "RMSE 0([ ,;]|$)" "$tmp/out"'
check "preset: no nan" '! grep -qiw "nan" "$tmp/out"'
run law show gemstones --json
check "preset json: unknown is null" "python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))[\"fit\"]; assert f[\"rmse\"] is None and f[\"aic\"] is None and f[\"r2_log\"] is None, f' $tmp/out"
finish cli_fit_honest
