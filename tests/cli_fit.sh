#!/usr/bin/env bash
# CLI tests of `dwplan fit`: the published Chinchilla fit from dwplan's own starts, the
# fit -> law file -> plan round trip, bootstrap draws, --compare, --predict, bad input.
# env: DW_SOURCE_DIR (source tree), DW_DATA_DIR (published tables, default
# $DW_SOURCE_DIR/datasets/public). Without Epoch's table the other checks still run and the
# test exits 77 (skipped), or 1 if one of them failed.
set -u
DWPLAN=$1
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DW_DATA_DIR:-$SRC/datasets/public}
data_missing=
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_fit: python3 missing" >&2; exit 77; fi
py() { python3 -c "$1"; }

# 1. Epoch's Chinchilla fit (Huber 1e-3 on 240 rows) from dwplan's own grid: objective no
#    higher than Epoch's 0.0010182740 (1e-6 relative), estimates inside Epoch's 95% CIs
csv=$DATA/epoch_chinchilla.csv
if [ -f "$csv" ]; then
    "$DWPLAN" fit "$csv" --where epoch_outlier_excluded=0 --form chinchilla --objective huber \
        --n-convention total --flops 6NT --bootstrap 100 --seed 7 -o "$tmp/chin.json" --json \
        >"$tmp/chin.out" 2>"$tmp/chin.err"
    check "epoch fit exit 0" '[ $? -eq 0 ]'
    check "epoch objective <= published" "py 'import json; j=json.load(open(\"$tmp/chin.json\")); assert j[\"fit\"][\"objective\"] <= 0.0010182740*(1+1e-6), j[\"fit\"]'"
    check "epoch estimates inside Epoch's CIs" "py '
import json; p=json.load(open(\"$tmp/chin.json\"))[\"params\"]
ci={\"E\":(1.769,1.871),\"A\":(285.2,743.6),\"alpha\":(0.317,0.373),\"B\":(1042.4,5810.3),\"delta\":(0.331,0.415)}
for k,(lo,hi) in ci.items(): assert lo<=p[k]<=hi,(k,p[k])'"
    check "bootstrap draws stored" "py 'import json; j=json.load(open(\"$tmp/chin.json\")); assert len(j[\"draws\"])>=95 and len(j[\"draws\"][0])==5; assert \"bootstrap\" in j[\"provenance\"][\"ci_method\"]'"
    check "bootstrap counts add up" "py '
import json; j=json.load(open(\"$tmp/chin.json\")); b=j[\"provenance\"][\"bootstrap\"]
assert b[\"requested\"]==100 and b[\"used\"] is True, b
assert sum(b[k] for k in (\"converged\",\"unidentifiable\",\"maxiter\",\"stalled\",\"error\"))==100, b
assert b[\"converged\"]==len(j[\"draws\"]), (b, len(j[\"draws\"]))'"
    check "provenance has sha256" "py 'import json; j=json.load(open(\"$tmp/chin.json\")); assert len(j[\"provenance\"][\"data\"][0][\"sha256\"])==64'"
    # the fitted law drives the planner; the chinchilla form has no shape term
    "$DWPLAN" plan --law "$tmp/chin.json" --compute 1e22 --json >"$tmp/plan.json"
    check "plan with fitted law" "py 'import json; j=json.load(open(\"$tmp/plan.json\")); assert j[\"shape_free_law\"] and j[\"predicted_loss\"][\"ci95\"] is not None'"
    # --predict: the law on its own data has R² 0.9942 (Epoch)
    "$DWPLAN" fit "$csv" --where epoch_outlier_excluded=0 --predict "$tmp/chin.json" --json >"$tmp/pred.json"
    check "predict R2" "py 'import json; j=json.load(open(\"$tmp/pred.json\")); assert abs(j[\"r2\"]-0.9942)<6e-5, j[\"r2\"]; assert j[\"n\"]==240'"
else
    data_missing="$csv not found: Chinchilla checks skipped"
fi

# 2. --compare on synthetic data from an F2 law (kappa = 2.43, 1% noise): the form with the
#    depth-width term must beat the plain Chinchilla form out of sample
python3 - "$tmp/f2.csv" <<'PY'
import math, random, sys
random.seed(5)
E, A, al, B, de, g, k = 1.8, 480, 0.35, 2100, 0.37, 0.5, 2.43
with open(sys.argv[1], "w") as f:
    f.write("depth,width,tokens,loss\n")
    for W in (256, 512, 1024, 2048):
        for D in (2, 4, 8, 12, 16, 24, 32, 48):
            for T in (2e9, 8e9, 3e10):
                N = D * (12 * W * W + 13 * W)
                u = math.log(D / (k * math.log(W))) + 1 / (2 * g)
                L = E + A * (N * math.exp(-g * u * u)) ** -al + B * T ** -de
                f.write("%d,%d,%g,%.6f\n" % (D, W, T, L * math.exp(random.gauss(0, 0.01))))
PY
"$DWPLAN" fit "$tmp/f2.csv" --compare chinchilla,shape:log --n-source shape --objective lsq-log --json >"$tmp/cmp.json" 2>/dev/null
check "compare exit 0" '[ $? -eq 0 ]'
check "compare verdict" "py 'import json; j=json.load(open(\"$tmp/cmp.json\")); assert j[\"depth_width_term_wins\"] is True, j.get(\"verdict\")'"
check "compare evidence" "py '
import json; j=json.load(open(\"$tmp/cmp.json\")); e=j[\"evidence\"]
assert j[\"verdict_kind\"]==\"favour\" and e[\"shapes_paired\"]==j[\"shapes\"]==32, j
assert e[\"cv_mse_diff\"]>e[\"cv_mse_diff_se\"]>0, e
assert e[\"with_term\"]==\"shape:log\" and e[\"without_term\"]==\"chinchilla\", e'"

# 3. bad input
printf 'depth,width,params,tokens,loss\n2,512,6e6,1e9,3.9\n4,512,1.2e7,1e9,3.7\n2,512,6e6,1e9,3.9\n8,512,2.4e7,1e9,3.6\n' >"$tmp/dup.csv"
"$DWPLAN" fit "$tmp/dup.csv" --form chinchilla >"$tmp/o" 2>"$tmp/e"
check "duplicate rows exit 3" '[ $? -eq 3 ]'
check "duplicate names lines" 'grep -q "dup.csv:4: duplicate of line 2" "$tmp/e"'
printf 'depth,width,tokens,loss\n2,512,1e9,3.9\n4,512,1e9,3.7\n8,512,1e9,3.6\n16,512,2e9,3.5\n24,512,2e9,3.52\n32,512,4e9,3.5\n48,512,4e9,3.6\n64,512,8e9,3.6\n' >"$tmp/onew.csv"
"$DWPLAN" fit "$tmp/onew.csv" --form shape:power --n-source shape >"$tmp/o" 2>"$tmp/e"
check "one width exit 3" '[ $? -eq 3 ]'
check "one width message" 'grep -q "width = 512" "$tmp/e"'
# ... unless the token term is fixed away (a probe sweep at one token count)
"$DWPLAN" fit "$tmp/onew.csv" --form chinchilla --n-source shape --fix B=0,delta=0.3 >"$tmp/o" 2>"$tmp/e"
check "one token count with B fixed at 0 fits" '[ $? -eq 0 ] && grep -q "converged" "$tmp/o"'
printf 'depth,width,params,tokens,loss\n2,512,6e6,1e9,nan\n' >"$tmp/nan.csv"
"$DWPLAN" fit "$tmp/nan.csv" --form chinchilla >"$tmp/o" 2>"$tmp/e"
check "nan loss exit 3" '[ $? -eq 3 ]'
check "nan loss names line" 'grep -q "nan.csv:2" "$tmp/e"'
printf 'depth,width,params,tokens,loss\n2,512,6e6,1e9,0\n' >"$tmp/zero.csv"
"$DWPLAN" fit "$tmp/zero.csv" --form chinchilla >"$tmp/o" 2>"$tmp/e"
check "zero loss exit 3" '[ $? -eq 3 ]'
"$DWPLAN" fit "$tmp/dup.csv" --form chinchilla --map loss=nosuch >"$tmp/o" 2>"$tmp/e"
check "unknown column exit 2" '[ $? -eq 2 ]'
check "unknown column named" 'grep -q "nosuch" "$tmp/e"'
printf 'depth,width,params,tokens,loss\n2,512,6e6,1e9,3.9\n4,512,1.2e7,2e9,3.7\n8,512,2.4e7,4e9,3.6\n' >"$tmp/few.csv"
"$DWPLAN" fit "$tmp/few.csv" --form chinchilla --n-convention nonembed >"$tmp/o" 2>"$tmp/e"
check "too few rows fails" '[ $? -ne 0 ] && grep -q "cannot determine" "$tmp/e"'

[ -z "$data_missing" ] || skip_rest cli_fit "$data_missing"
finish cli_fit
