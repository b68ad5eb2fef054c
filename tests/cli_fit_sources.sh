#!/usr/bin/env bash
# tests/cli_fit_sources.sh — `dwplan fit A.csv B.csv ...` (issue 13, deliverable 1) tried as a
# demanding user would: synthetic sources written here from a known law (a chinchilla and a
# logsq:power truth) with per-source floors (B = truth + 0.25, C = truth - 0.10 without depth
# and width columns). The fitted offsets and shared parameters are checked against that
# truth; the refusals (a --where scope naming no source, 9 files, --critical-depth with two
# files, forms that cannot take shapeless rows, a source emptied by a scoped --where) by exit
# code and message; --predict and --compare on several files; the law file a multi-source fit
# writes in law show and plan (plan's loss against the truth's own formula); malformed
# "sources" in a law file; distinct names for files with one stem.
# Cases marked "BUG:" fail on the commit they were written against (c5e1789); see each.
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
[ -x "$DWPLAN" ] || skip_rest cli_fit_sources "no dwplan binary"
command -v python3 >/dev/null || skip_rest cli_fit_sources "no python3"
command -v awk >/dev/null || skip_rest cli_fit_sources "no awk"

# gen OFFSET SHAPE FORM SKIP NOISE: 6 depths x 5 widths x 4 token counts, every third row
# (shifted by SKIP) left out, N = 12·D·W²;
#   L = 1.8 + 400 N^-0.34 + 410 T^-0.28 + OFFSET [+ 0.02 (ln D - ln(0.5 W^0.5))² for logsq]
#       + NOISE · u, u a fixed pseudo-random number in (-1, 1).
# SHAPE = 0 writes params, tokens, loss only (and no shape term: the neutral value).
gen() {
    awk -v off="$1" -v shape="$2" -v form="$3" -v sh="$4" -v noise="$5" 'BEGIN {
        split("4 8 12 16 24 32", D, " "); split("256 384 512 768 1024", W, " ");
        split("1e9 3e9 1e10 3e10", T, " ");
        print shape ? "depth,width,params,tokens,loss" : "params,tokens,loss";
        i = 0;
        for (a = 1; a <= 6; a++) for (b = 1; b <= 5; b++) for (c = 1; c <= 4; c++) {
            i++; if ((i + sh) % 3 == 0) continue;
            d = D[a]; w = W[b]; n = 12 * d * w * w; t = T[c] * (1 + 0.1 * ((a + b) % 3));
            l = 1.8 + 400 * n^-0.34 + 410 * t^-0.28 + off;
            if (form == "logsq" && shape) { u = log(d) - log(0.5 * w^0.5); l += 0.02 * u * u }
            u = sin(12.9898 * i + 78.233 * sh) * 43758.5453; u -= int(u); l += noise * u;
            if (shape) printf "%d,%d,%d,%.6g,%.9f\n", d, w, n, t, l;
            else printf "%d,%.6g,%.9f\n", n, t, l } }'
}
gen 0 1 chin 0 0 >"$tmp/A.csv"
gen 0.25 1 chin 1 0 >"$tmp/B.csv"
gen -0.10 0 chin 2 0 >"$tmp/C.csv"
gen 0 1 logsq 0 0 >"$tmp/LA.csv"
gen 0.25 1 logsq 1 0 >"$tmp/LB.csv"
gen -0.10 0 logsq 2 0 >"$tmp/LC.csv"
gen 0 1 logsq 0 0.004 >"$tmp/NA.csv"
gen 0.25 1 logsq 1 0.004 >"$tmp/NB.csv"
gen -0.10 0 logsq 2 0.004 >"$tmp/NC.csv"
[ "$(wc -l <"$tmp/C.csv")" -eq 81 ] || skip_rest cli_fit_sources "could not write the synthetic sources"
CONV="--n-convention 12dw2"

# jcheck NAME FILE 'PYTHON' : the python expression (with d = the JSON in FILE) must hold
jcheck() {
    if python3 - "$2" "$3" >"$tmp/py" 2>&1 <<'EOF'; then ok; else bad "$1: $(tail -c 400 "$tmp/py")"; fi
import json, math, sys
d = json.load(open(sys.argv[1]))
def off(name):
    return [s for s in d["sources"] if s["name"] == name][0]["offset"]
r = eval(sys.argv[2])
if r is not True:
    print("failed:", sys.argv[2])
    sys.exit(1)
EOF
}

# --- 1. offsets and shared parameters on exact data (chinchilla truth) -----------------
run fit "$tmp/A.csv" "$tmp/B.csv" "$tmp/C.csv" --form chinchilla $CONV -o "$tmp/chin.json"
expect_rc "chinchilla, 3 sources" 0
has "$tmp/out" "chinchilla, 3 sources" "on 3 sources (240 rows" "0 (reference)" "wrote "
jcheck "chinchilla offsets" "$tmp/chin.json" \
    '[s["name"] for s in d["sources"]] == ["A", "B", "C"] and off("A") == 0 and abs(off("B") - 0.25) < 0.01 and abs(off("C") + 0.10) < 0.01'
jcheck "chinchilla shared parameters" "$tmp/chin.json" \
    'abs(d["params"]["E"] - 1.8) < 0.01 and abs(d["params"]["alpha"] - 0.34) < 0.002 and abs(d["params"]["delta"] - 0.28) < 0.002'
jcheck "chinchilla sources: rows, shape, ci around the offset" "$tmp/chin.json" \
    '[(s["rows"], s["shape"]) for s in d["sources"]] == [(80, True), (80, True), (80, False)] and all(s["ci"][0] <= s["offset"] <= s["ci"][1] for s in d["sources"])'
jcheck "chinchilla: the law's own parameters only (no dE in params)" "$tmp/chin.json" \
    'sorted(d["params"]) == ["A", "B", "E", "alpha", "delta"]'
jcheck "shapeless source's note" "$tmp/chin.json" \
    '"no depth and width" in d["sources"][2]["note"]'
# the same through --json on stdout
run fit "$tmp/A.csv" "$tmp/B.csv" "$tmp/C.csv" --form chinchilla $CONV --json
expect_rc "chinchilla --json" 0
jcheck "chinchilla --json offsets" "$tmp/out" 'abs(off("B") - 0.25) < 0.01 and abs(off("C") + 0.10) < 0.01'
# the first file is the reference: B first, E is B's floor and A sits 0.25 below it
run fit "$tmp/B.csv" "$tmp/A.csv" "$tmp/C.csv" --form chinchilla $CONV --json
expect_rc "B as reference" 0
jcheck "B as reference" "$tmp/out" \
    'abs(d["params"]["E"] - 2.05) < 0.01 and off("B") == 0 and abs(off("A") + 0.25) < 0.01 and abs(off("C") + 0.35) < 0.01'
# another source's params column off by 30% (another block): N counted from its shape
awk -F, 'NR == 1 { print; next } { printf "%s,%s,%d,%s,%s\n", $1, $2, $3 * 1.3, $4, $5 }' \
    "$tmp/B.csv" >"$tmp/B13.csv"
run fit "$tmp/A.csv" "$tmp/B13.csv" "$tmp/C.csv" --form chinchilla $CONV --json
expect_rc "B's params column another count" 0
jcheck "B's params column another count" "$tmp/out" \
    'abs(off("B13") - 0.25) < 0.01 and "counted from depth and width" in d["sources"][1]["note"] and abs(d["params"]["alpha"] - 0.34) < 0.002'

# --- 2. logsq:power truth: shape term shared, shapeless C only in the floor, N, T terms --
run fit "$tmp/LA.csv" "$tmp/LB.csv" "$tmp/LC.csv" --form logsq:power $CONV --cv -o "$tmp/logsq.json"
expect_rc "logsq:power, 3 sources" 0
jcheck "logsq offsets" "$tmp/logsq.json" 'abs(off("LB") - 0.25) < 0.01 and abs(off("LC") + 0.10) < 0.01'
jcheck "logsq shape term" "$tmp/logsq.json" \
    'abs(d["params"]["gamma"] - 0.02) < 0.001 and abs(d["params"]["beta"] - 0.5) < 0.02 and abs(d["params"]["d0"] - 0.5) < 0.02'
jcheck "logsq LOSO-source stored (exact data: ~0)" "$tmp/logsq.json" \
    'all(s["loso_rmse"] < 1e-4 for s in d["sources"])'
has "$tmp/out" "logsq --cv" "left out: error on differences" "leave-one-shape-out CV RMSE"
# BUG: the --cv sources table prints, in one row, the fitted offset (the source's level
# minus the law's: LB +0.2500) and the left-out 'offset' with the opposite sign convention
# (L_hat - L: LB -0.250), so the same word means opposite things side by side. Fix in
# cli/fit_sources.c cli_render_sources: print -cv[k].offset (the level of the source minus
# the others' prediction), as --predict's "offset" does.
check "BUG: LOSO offset sign matches the fitted offset (LB)" \
    'grep -E "^  LB " "$tmp/out" | grep -qE "\(offset \+0\.250\)"'

# BUG (cosmetic): a source that cannot be left out says why, but the reason is cut at 96
# characters ("... cannot be fitt"). Fix in cli/fit_sources.c cli_render_sources: char c[96]
# -> c[200] (FitSourceCV.why is 160 characters).
run fit "$tmp/LA.csv" "$tmp/LC.csv" --form logsq:power $CONV --cv
expect_rc "logsq --cv, only the reference has a shape" 0
check "LA cannot be left out: says so" 'grep -E "^  LA " "$tmp/out" | grep -q "not computed: no row has depth and width"'
check "BUG: the reason is not cut" 'grep -E "^  LA " "$tmp/out" | grep -q "cannot be fitted from these rows"'

# a source without depth and width changes no shape parameter: fitting LA+LB alone gives
# the same gamma, d0, beta
run fit "$tmp/LA.csv" "$tmp/LB.csv" --form logsq:power $CONV -o "$tmp/logsq2.json"
expect_rc "logsq:power, 2 shaped sources" 0
check "shapeless source leaves the shape term" "python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))[\"params\"]; b = json.load(open(sys.argv[2]))[\"params\"]
sys.exit(0 if all(abs(a[k] - b[k]) < 1e-4 for k in (\"gamma\", \"d0\", \"beta\")) else 1)' $tmp/logsq.json $tmp/logsq2.json"

# noisy sources (±0.004 nats): the truth inside the bootstrap intervals (by shape)
run fit "$tmp/NA.csv" "$tmp/NB.csv" "$tmp/NC.csv" --form logsq:power $CONV --bootstrap 40 \
    --by-shape --threads 2 -o "$tmp/noisy.json"
expect_rc "noisy, bootstrap by shape" 0
jcheck "noisy offsets within 0.01 and inside their intervals" "$tmp/noisy.json" \
    'abs(off("NB") - 0.25) < 0.01 and abs(off("NC") + 0.10) < 0.01 and [s for s in d["sources"] if s["name"] == "NB"][0]["ci"][0] <= 0.25 <= [s for s in d["sources"] if s["name"] == "NB"][0]["ci"][1] and d["sources"][2]["ci"][0] <= -0.10 <= d["sources"][2]["ci"][1]'
jcheck "noisy draws have the form's own parameters" "$tmp/noisy.json" \
    'len(d["draws"]) > 10 and all(len(r) == len(d["params"]) for r in d["draws"])'

# --- 3. the law file of a multi-source fit in law show and plan --------------------------
run law show "$tmp/logsq.json"
expect_rc "law show multi-source law" 0
has "$tmp/out" "law show multi-source law" "logsq:power" "gamma"
# BUG: law show prints nothing of the "sources" (which source the law's floor is, the other
# sources' offsets and their notes): a user reading the law cannot tell it is LA's. Fix in
# cli/cmd_law.c show: call cli_render_sources(stdout, law, NULL) (cli/fit_sources.h) after
# the conventions line.
# (the provenance line names the files: look for the offsets and the reference instead)
has "$tmp/out" "BUG: law show lists the sources" "(reference)" "+0.2500" "-0.1000"
run law show "$tmp/logsq.json" --json
jcheck "law show --json keeps the sources" "$tmp/out" 'abs(off("LB") - 0.25) < 0.01 and len(d["sources"]) == 3'
run plan --law "$tmp/logsq.json" --compute 1e21 --json
expect_rc "plan with a multi-source law" 0
# plan's loss is the reference source's: the truth without offset at plan's own shape
jcheck "plan loss = truth at its shape" "$tmp/out" \
    '(lambda r: abs(r["loss"] - (1.8 + 400 * r["params_law"] ** -0.34 + 410 * r["tokens"] ** -0.28 + 0.02 * (math.log(r["depth"]) - math.log(0.5 * r["width"] ** 0.5)) ** 2)) < 1e-4 and r["params_law"] == 12 * r["depth"] * r["width"] ** 2)(d["recommended"])'
run plan --law "$tmp/logsq.json" --compute 1e21
expect_rc "plan text with a multi-source law" 0

# --- 4. --predict on several files: per-source offset, offset removed -----------------
run fit "$tmp/A.csv" "$tmp/B.csv" "$tmp/C.csv" --predict "$tmp/chin.json" --json
expect_rc "predict 3 files" 0
jcheck "predict: per-source offsets (L_hat - L)" "$tmp/out" \
    '[s["source"] for s in d["sources"]] == ["A", "B", "C"] and abs(d["sources"][0]["mean_error"]) < 1e-3 and abs(d["sources"][1]["mean_error"] + 0.25) < 0.01 and abs(d["sources"][2]["mean_error"] - 0.10) < 0.01'
jcheck "predict: offset-removed RMSE ~ 0" "$tmp/out" \
    'all(s["rmse_offset_removed"] < 1e-4 for s in d["sources"]) and d["all"]["rmse_offset_removed"] < 1e-4 and abs(d["sources"][1]["rmse"] - 0.25) < 0.01'
jcheck "predict: pairs ordered, none for the shapeless source" "$tmp/out" \
    'd["sources"][0]["pair_order_accuracy"] == 1 and d["sources"][2]["shape_pairs"] == 0'
run fit "$tmp/A.csv" "$tmp/B.csv" "$tmp/C.csv" --predict "$tmp/chin.json"
expect_rc "predict text" 0
check "predict text: B's offset +0.25" 'grep -E "^  B " "$tmp/out" | grep -q "offset +0.2500"'

# --- 5. --compare on two sources: the LOSO-src column -----------------------------------
run fit "$tmp/LA.csv" "$tmp/LB.csv" --compare chinchilla,logsq:power $CONV
expect_rc "compare 2 sources" 0
has "$tmp/out" "compare 2 sources" "LOSO-src" "on 2 sources" "a floor offset per source"
check "compare: logsq:power ranked first" 'sed -n 3p "$tmp/out" | grep -q "^logsq:power"'
run fit "$tmp/LA.csv" "$tmp/LB.csv" --compare chinchilla,logsq:power $CONV --json
jcheck "compare --json: LOSO per source" "$tmp/out" \
    '[f for f in d["forms"] if f["form"] == "logsq:power"][0]["loso_source_rmse"] < 1e-4 and [f for f in d["forms"] if f["form"] == "chinchilla"][0]["loso_source_rmse"] > 1e-3 and len(d["forms"][0]["loso_source"]) == 2'

# --- 6. refusals -------------------------------------------------------------------------
run fit "$tmp/A.csv" "$tmp/B.csv" --form chinchilla $CONV --where 'Z:loss<9'
expect_rc "--where scope naming no source" 2
has "$tmp/err" "--where scope naming no source" "no source is named 'Z'" "sources: A, B"
for i in 1 2 3 4 5 6 7 8 9; do cp "$tmp/A.csv" "$tmp/s$i.csv"; done
run fit "$tmp"/s[1-8].csv --form chinchilla $CONV --json
expect_rc "8 files" 0
jcheck "8 files: one law, offsets 0" "$tmp/out" \
    'len(d["sources"]) == 8 and all(abs(s["offset"]) < 1e-6 for s in d["sources"]) and abs(d["params"]["E"] - 1.8) < 0.01'
run fit "$tmp"/s[1-9].csv --form chinchilla $CONV
expect_rc "9 files" 2
has "$tmp/err" "9 files" "at most 8 data files"
run fit "$tmp/A.csv" "$tmp/B.csv" --critical-depth
expect_rc "--critical-depth with two files" 2
has "$tmp/err" "--critical-depth with two files" "--critical-depth reads one data file"
run fit "$tmp/LA.csv" "$tmp/LB.csv" "$tmp/LC.csv" --form separable:W,D,N,T $CONV
expect_rc "separable:W,D,N,T with a shapeless source" 3
has "$tmp/err" "separable:W,D,N,T with a shapeless source" "no depth and width" "no neutral value"
run fit "$tmp/LC.csv" "$tmp/C.csv" --form logsq:power $CONV
expect_rc "shape term, no file with depth and width" 3
has "$tmp/err" "shape term, no file with depth and width" "depth and width"
run fit "$tmp/A.csv" "$tmp/B.csv" "$tmp/C.csv" --form chinchilla $CONV --where 'C:tokens>1e12'
expect_rc "scoped --where empties C" 3
has "$tmp/err" "scoped --where empties C" "C.csv" "0 left after --where"
run fit "$tmp/A.csv" "$tmp/B.csv" --form chinchilla $CONV --where 'A:loss>99'
expect_rc "scoped --where empties the reference" 3
has "$tmp/err" "scoped --where empties the reference" "A.csv" "0 left after --where"
# a scoped filter applies to its source only; an unscoped one to every file
run fit "$tmp/A.csv" "$tmp/B.csv" --form chinchilla $CONV --where 'B:depth>=16' --json
expect_rc "scoped --where" 0
jcheck "scoped --where: rows" "$tmp/out" \
    '[s["rows"] for s in d["sources"]] == [80, sum(1 for l in open("'"$tmp"'/B.csv").readlines()[1:] if int(l.split(",")[0]) >= 16)]'
run fit "$tmp/A.csv" "$tmp/B.csv" --form chinchilla $CONV --where 'depth>=16' --json
jcheck "unscoped --where: rows" "$tmp/out" '[s["rows"] for s in d["sources"]][0] < 80 and [s["rows"] for s in d["sources"]][1] < 80'

# --- 7. malformed "sources" in a law file: refused (exit 3) naming the field ---------------
python3 - "$tmp/chin.json" "$tmp" <<'EOF'
import copy, json, sys
d = json.load(open(sys.argv[1]))
def w(name, f):
    e = copy.deepcopy(d); f(e); json.dump(e, open(sys.argv[2] + "/" + name + ".json", "w"))
w("off0", lambda e: e["sources"][0].__setitem__("offset", 0.1))
w("nine", lambda e: e.__setitem__("sources", [dict(e["sources"][1], name="s%d" % i) for i in range(9)]))
w("noname", lambda e: e["sources"][1].pop("name"))
w("cione", lambda e: e["sources"][1].__setitem__("ci", [0.2]))
w("cistr", lambda e: e["sources"][1].__setitem__("ci", ["a", "b"]))
w("cirev", lambda e: e["sources"][1].__setitem__("ci", [0.3, 0.2]))
w("one", lambda e: e.__setitem__("sources", e["sources"][:1]))
w("nooffset", lambda e: e["sources"][1].pop("offset"))
EOF
bad_law() { # NAME FILE-STEM MESSAGE
    run law show "$tmp/$2.json"
    expect_rc "$1" 3
    has "$tmp/err" "$1" "$3"
    run plan --law "$tmp/$2.json" --compute 1e21
    expect_rc "$1 (plan)" 3
}
bad_law "sources[0].offset not 0" off0 "sources[0].offset' must be 0"
bad_law "9 sources" nine "field 'sources' must list 2 to 8"
bad_law "1 source" one "field 'sources' must list 2 to 8"
bad_law "source without name" noname "sources[1].name"
bad_law "source without offset" nooffset "sources[1].offset"
bad_law "ci not a pair" cione "sources[1].ci"
bad_law "ci not numbers" cistr "sources[1].ci"
# BUG: a source's ci is not checked as the law's other [lo, hi] pairs are (parse_pair_: finite,
# lo <= hi): [0.3, 0.2] loads. Fix in fit/lawfile.c parse_sources_: replace the hand-written
# ci test by parse_pair_(ci, origin, field, "ci", pair) with field = "sources[<n>]".
bad_law "BUG: ci with lo > hi" cirev "sources[1].ci"

# --- 8. files with one stem in different directories get distinct names -----------------
mkdir -p "$tmp/d1" "$tmp/d2"
cp "$tmp/A.csv" "$tmp/d1/x.csv"
cp "$tmp/B.csv" "$tmp/d2/x.csv"
cp "$tmp/C.csv" "$tmp/x_3.csv"
run fit "$tmp/d1/x.csv" "$tmp/d2/x.csv" --form chinchilla $CONV --json
expect_rc "one stem, two directories" 0
jcheck "one stem: distinct names, offsets right" "$tmp/out" \
    'len(set(s["name"] for s in d["sources"])) == 2 and d["sources"][0]["offset"] == 0 and abs(d["sources"][1]["offset"] - 0.25) < 0.01'
# BUG: the second x is renamed x_3 (its index), which another file's stem already is: the
# sources are named x_3, x, x_3 (the law file has two x_3, and --where x_3:... can only
# reach the first). Fix in cli/fit_sources.c cli_sources_load: after renaming, check the
# new name against every earlier source again (e.g. number it x_<t> with t from k + 1 up
# until no earlier name equals it).
run fit "$tmp/x_3.csv" "$tmp/d1/x.csv" "$tmp/d2/x.csv" --form chinchilla $CONV --json
expect_rc "stem colliding with a renamed one" 0
jcheck "BUG: renamed stem distinct from another file's stem" "$tmp/out" \
    'len(set(s["name"] for s in d["sources"])) == 3'

# BUG (cosmetic): the per-source column lines on stderr read "dwplan fit: source A
# (reference): dwplan fit: columns: ..." (cli_fit_print_columns prints its own prefix). Fix in
# cli/fit_sources.c cli_sources_rows and cli/cmd_fit.c sources_predict_: end the "source X"
# line with a newline before cli_fit_print_columns (or give it the prefix to print).
run fit "$tmp/A.csv" "$tmp/B.csv" --form chinchilla $CONV
check "BUG: no doubled 'dwplan fit:' prefix on stderr" '! grep -q ": dwplan fit:" "$tmp/err"'

finish cli_fit_sources
