#!/usr/bin/env bash
# CLI tests of what a fitted law's N means (issue 12 cases 5, 6, 11, 14):
#   5. the params column is compared with dwplan's non-embedding and total counts: a W&B-style
#      num_params (embeddings in) is inferred "total"; a column matching neither is refused
#      (exit 3) unless --n-convention says which; Gemstones needs its block described
#   6. fit --predict counts N with the LAW's conventions on a table without params, checked
#      against an independent computation in Python
#  11. the law file records the range of its rows (N, T, C, D, W, T/N), checked in Python
#  14. fit prints which column it used for every field, with the params convention
#  15. every example in `fit --help` runs from a clone
# The hand counts below (Python) follow DESIGN §4.1 and do not call dwplan.
set -u
DWPLAN=$1
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DW_DATA_DIR:-$SRC/datasets/public}
data_missing=
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_fit_conventions: python3 missing" >&2; exit 77; fi
py() { python3 -c "$1"; }

# A ladder under the default conventions (GPT-NeoX block, V 50257, untied, ctx 1024):
# num_params is the total count (W&B style), loss a Chinchilla law in that N.
python3 - "$tmp" <<'PY'
import math, random, sys
d = sys.argv[1]
random.seed(3)
V = 50257
def nonembed(D, W): return D * (12 * W * W + 13 * W)
def total(D, W): return nonembed(D, W) + 2 * V * W + 2 * W
rows = []
for W in (256, 384, 512, 768, 1024):
    for D in (2, 4, 6, 8, 12):
        for T in (2e9, 6e9, 2e10):
            N = total(D, W)
            L = 1.9 + 420 * N ** -0.35 + 1800 * T ** -0.33
            rows.append((D, W, N, T, L * math.exp(random.gauss(0, 0.0005))))
with open(d + "/wandb.csv", "w") as f:
    f.write("n_layers,d_model,num_params,tokens,eval_loss\n")
    for D, W, N, T, L in rows: f.write("%d,%d,%d,%g,%.6f\n" % (D, W, N, T, L))
with open(d + "/wandb_noparams.csv", "w") as f:
    f.write("n_layers,d_model,tokens,eval_loss\n")
    for D, W, N, T, L in rows: f.write("%d,%d,%g,%.6f\n" % (D, W, T, L))
with open(d + "/other_block.csv", "w") as f:  # a block dwplan's flags do not describe
    f.write("depth,width,params,tokens,loss\n")
    for D, W, N, T, L in rows: f.write("%d,%d,%d,%g,%.6f\n" % (D, W, int(N * 1.2), T, L))
PY

# 5 + 14. num_params is inferred as the total count; the law says so and where it came from
"$DWPLAN" fit "$tmp/wandb.csv" --form chinchilla -o "$tmp/wb.json" >"$tmp/wb.out" 2>"$tmp/wb.err"
check "wandb fit exit 0" '[ $? -eq 0 ]'
check "wandb law counts N as total" "py 'import json; c=json.load(open(\"$tmp/wb.json\"))[\"conventions\"]; assert c[\"params\"]==\"total\", c'"
check "wandb note names the column and inference" "py 'import json; n=json.load(open(\"$tmp/wb.json\"))[\"conventions\"][\"note\"]; assert \"num_params\" in n and \"inferred\" in n and \"vocab 50257 (default)\" in n, n'"
check "wandb alpha recovered (0.35)" "py 'import json; p=json.load(open(\"$tmp/wb.json\"))[\"params\"]; assert abs(p[\"alpha\"]-0.35)<0.03, p'"
check "columns line names every field" 'grep -q "columns: depth=n_layers, width=d_model, params=num_params (total: inferred), tokens=tokens, loss=eval_loss" "$tmp/wb.err"'
"$DWPLAN" fit "$tmp/wandb.csv" --form chinchilla --json >"$tmp/wbj.out" 2>"$tmp/wbj.err"
check "json output carries the convention and its source" "py 'import json; j=json.load(open(\"$tmp/wbj.out\")); c=j[\"conventions\"]; assert c[\"params\"]==\"total\" and \"num_params\" in c[\"note\"]; assert j[\"provenance\"][\"data\"][0][\"columns\"][\"params\"]==\"num_params\"'"

# 6. --predict on depth/width/tokens only counts N under the law's conventions: the law's own
#    rows give back the fit's RMSE; and a law with non-default conventions, by hand
"$DWPLAN" fit "$tmp/wandb_noparams.csv" --predict "$tmp/wb.json" --json >"$tmp/pr.json" 2>"$tmp/pr.err"
check "predict exit 0" '[ $? -eq 0 ]'
check "predict without params = fit RMSE" "py 'import json; p=json.load(open(\"$tmp/pr.json\")); l=json.load(open(\"$tmp/wb.json\")); assert abs(p[\"rmse\"]-l[\"fit\"][\"rmse\"])<=1e-9*l[\"fit\"][\"rmse\"], (p[\"rmse\"], l[\"fit\"][\"rmse\"])'"
cat >"$tmp/llama_law.json" <<'JSON'
{"form": "chinchilla", "params": {"E": 1.7, "A": 400, "alpha": 0.34, "B": 2000, "delta": 0.36},
 "conventions": {"params": "total", "flops": "full", "vocab": 32000, "seq_len": 4096,
                 "mlp_ratio": 2.6666666666666665, "swiglu": true, "tied": true,
                 "biases": false, "norm": "rmsnorm"}}
JSON
"$DWPLAN" fit "$tmp/wandb_noparams.csv" --predict "$tmp/llama_law.json" --json >"$tmp/pl.json" 2>"$tmp/pl.err"
check "predict (law conventions) exit 0" '[ $? -eq 0 ]'
check "predict RMSE = independent count under the law's conventions" "py '
import csv, json, math
rows = list(csv.DictReader(open(\"$tmp/wandb_noparams.csv\")))
se = 0
for r in rows:
    D, W, T, L = int(r[\"n_layers\"]), int(r[\"d_model\"]), float(r[\"tokens\"]), float(r[\"eval_loss\"])
    # SwiGLU r = 8/3, no biases, RMSNorm: 4W² + 3·W·(8/3)W + 2W per block; tied 32000·W; final norm W
    N = D * (4*W*W + 3*W*(8/3)*W + 2*W) + 32000*W + W
    se += (1.7 + 400*N**-0.34 + 2000*T**-0.36 - L) ** 2
want = math.sqrt(se / len(rows))
got = json.load(open(\"$tmp/pl.json\"))[\"rmse\"]
assert abs(got - want) <= 1e-9 * want, (got, want)'"

# 5. a column that matches neither count is refused, naming the column, the counts and the flag
"$DWPLAN" fit "$tmp/other_block.csv" --form chinchilla -o "$tmp/ob.json" >"$tmp/o" 2>"$tmp/e"
check "undetermined convention exit 3" '[ $? -eq 3 ] && [ ! -f "$tmp/ob.json" ]'
check "refusal names column, counts, flag" 'grep -q "column '"'"'params'"'"'" "$tmp/e" && grep -q "non-embedding" "$tmp/e" && grep -q "total" "$tmp/e" && grep -q -- "--n-convention nonembed|total|12dw2" "$tmp/e"'
# ... unless stated, and then the mismatch is a warning and in the note
"$DWPLAN" fit "$tmp/other_block.csv" --form chinchilla --n-convention total -o "$tmp/ob.json" >"$tmp/o" 2>"$tmp/e"
check "stated convention fits" '[ $? -eq 0 ] && grep -q "warning: column '"'"'params'"'"' is up to 20.0% from dwplan'"'"'s total count" "$tmp/e"'
check "stated mismatch in the note" "py 'import json; c=json.load(open(\"$tmp/ob.json\"))[\"conventions\"]; assert c[\"params\"]==\"total\" and \"NOT reproduce\" in c[\"note\"], c'"
# --predict with a params column that is clearly the other count: refused
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/wandb.csv") as f, open(d + "/wandb_nonembed.csv", "w") as g:
    g.write(next(f))
    for line in f:
        D, W, N, T, L = line.strip().split(",")
        D, W = int(D), int(W)
        g.write("%d,%d,%d,%s,%s\n" % (D, W, D * (12 * W * W + 13 * W), T, L))
PY
"$DWPLAN" fit "$tmp/wandb_nonembed.csv" --predict "$tmp/wb.json" >"$tmp/o" 2>"$tmp/e"
check "predict: column of the other convention exit 3" '[ $? -eq 3 ] && grep -q -- "--n-source shape" "$tmp/e"'
"$DWPLAN" fit "$tmp/wandb_nonembed.csv" --predict "$tmp/wb.json" --n-source shape --json >"$tmp/ps.json" 2>/dev/null
check "predict --n-source shape = fit RMSE" "py 'import json; p=json.load(open(\"$tmp/ps.json\")); l=json.load(open(\"$tmp/wb.json\")); assert abs(p[\"rmse\"]-l[\"fit\"][\"rmse\"])<=1e-9*l[\"fit\"][\"rmse\"]'"

# 11. the range of the rows, by hand (C under the law's full FLOP convention)
check "law records its data range" "py '
import csv, json
j = json.load(open(\"$tmp/wb.json\")); g = j[\"range\"]
rows = list(csv.DictReader(open(\"$tmp/wandb.csv\")))
V, ctx = 50257, 1024
N = [float(r[\"num_params\"]) for r in rows]; T = [float(r[\"tokens\"]) for r in rows]
D = [int(r[\"n_layers\"]) for r in rows]; W = [int(r[\"d_model\"]) for r in rows]
C = [t * (6*d*(12*w*w + 13*w) + 6*V*w + 6*d*ctx*w) for d, w, t in zip(D, W, T)]
tpp = [t / n for n, t in zip(N, T)]
want = {\"params\": N, \"tokens\": T, \"flops\": C, \"depth\": D, \"width\": W, \"tokens_per_param\": tpp}
for k, v in want.items():
    lo, hi = g[k]
    assert abs(lo - min(v)) <= 1e-12 * min(v) and abs(hi - max(v)) <= 1e-12 * max(v), (k, g[k], min(v), max(v))'"

# 5 on public data: Gemstones' params_active_precise is every parameter of a block dwplan's
# defaults do not describe (SwiGLU-like 15·W² + 2·W per block, RMSNorm, no biases, untied
# 50304-token embeddings): refused under the defaults, inferred "total" when described
GEM=$DATA/gemstones_valloss_hot_every10B.csv
if [ -f "$GEM" ]; then
    "$DWPLAN" fit "$GEM" --form separable:N,T --objective huber --delta 1e-4 -o "$tmp/g.json" >"$tmp/o" 2>"$tmp/e"
    check "gemstones under defaults exit 3" '[ $? -eq 3 ] && grep -q "params_active_precise" "$tmp/e"'
    "$DWPLAN" fit "$GEM" --form separable:N,T --objective huber --delta 1e-4 --vocab 50304 \
        --swiglu --mlp-ratio 3.6666666666666667 --rmsnorm --no-biases --seq-len 2048 \
        -o "$tmp/g.json" >"$tmp/o" 2>"$tmp/e"
    check "gemstones described: exit 0, total" "py 'import json; c=json.load(open(\"$tmp/g.json\"))[\"conventions\"]; assert c[\"params\"]==\"total\" and c[\"vocab\"]==50304 and c[\"seq_len\"]==2048 and \"inferred\" in c[\"note\"], c'"
    check "gemstones columns line" 'grep -q "params=params_active_precise (total: inferred)" "$tmp/e"'
else
    data_missing="$GEM not found: Gemstones checks skipped"
fi

# 15. every example of `fit --help` runs from the source tree (a clone)
"$DWPLAN" fit --help | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
i = lines.index("examples:") + 1
cmd = ""
while i < len(lines) and lines[i].startswith("  "):
    if cmd or lines[i].lstrip().startswith("dwplan "):
        cmd += lines[i].strip().rstrip("\\") + " "
        if not lines[i].rstrip().endswith("\\"):
            print(cmd.strip()); cmd = ""
    i += 1
' >"$tmp/examples"
check "fit --help has examples" '[ -s "$tmp/examples" ]'
while read -r ex; do
    [ -n "$ex" ] || continue
    args=${ex#dwplan }
    args=${args//-o law.json/-o $tmp/help_law.json}
    (cd "$SRC" && eval "\"$DWPLAN\" $args") >"$tmp/o" 2>"$tmp/e"
    rc=$?
    check "fit --help example runs: $ex" "[ $rc -eq 0 ]"
    [ $rc -eq 0 ] || sed -n 1,5p "$tmp/e" >&2
done <"$tmp/examples"

[ -z "$data_missing" ] || skip_rest cli_fit_conventions "$data_missing"
finish cli_fit_conventions
