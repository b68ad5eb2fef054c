#!/usr/bin/env bash
# tests/cli_report.sh — drives `dwplan report DATA --law LAW -o DIR` (plots/report.c,
# cli/cmd_report.c).
#
#   - on examples/runs/synthetic_runs.jsonl with the depth-delusion preset: exit 0, all seven
#     figures (PNG with IHDR, script and data each), index.html whose every src/href that is
#     not an anchor names a file in DIR, no script or network reference in the page, and the
#     narrative: U-curve found, τ exponent against 0.44, κ against 2.43, the form verdict,
#     the planner table;
#   - --format svg: SVG images referenced;
#   - the Gemstones CSV (datasets/public) at one checkpoint (--where) with --map: a CSV report,
#     figures that need gradient norms are explained, not drawn;
#   - a header-only CSV: exit 1, index.html still written and says why per figure;
#   - without gnuplot on PATH: exit 4, message names gnuplot-nox, index.html written, every
#     link resolves (no image links), the scripts are there;
#   - usage: no -o, neither data nor law → exit 2.
#
# usage: bash tests/cli_report.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree), DW_DATA_DIR (published tables, default
#        $DW_SOURCE_DIR/datasets/public)
# Exits 77 (skip) after the gnuplot-free checks when gnuplot is not installed, and after the
# other checks when the Gemstones table is missing (1 instead if anything failed).
set -u

DWPLAN=${1:?usage: cli_report.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DW_DATA_DIR:-$SRC/datasets/public}
RUNS=$SRC/examples/runs/synthetic_runs.jsonl
GEM=$DATA/gemstones_valloss_hot_every10B.csv
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
TMP=$tmp

# refs_ok NAME DIR: every src="..." / href="..." in DIR/index.html that is not "#..." or a URL
# is a file in DIR; sets NIMG to the number of src references (images)
NIMG=0
refs_ok() {
    local name=$1 dir=$2 ref nsrc=0 attr
    while IFS= read -r attr; do
        ref=${attr#*=\"}
        ref=${ref%\"}
        case $ref in '#'* | *://*) continue ;; esac
        case $attr in src=*) nsrc=$((nsrc + 1)) ;; esac
        if [ -n "$ref" ] && [ "${ref#*/}" = "$ref" ] && [ -s "$dir/$ref" ]; then ok; else bad "$name: index.html references '$ref', which is not a file in $dir"; fi
    done < <(grep -oE '(src|href)="[^"]*"' "$dir/index.html")
    NIMG=$nsrc
}

png_ok() { # NAME FILE
    local hex
    hex=$(od -An -tx1 -N16 "$2" 2>/dev/null | tr -d ' \n')
    if [ "${hex:0:16}" = "89504e470d0a1a0a" ] && [ "${hex:24:8}" = "49484452" ]; then ok; else bad "$1: $2 is not a PNG"; fi
}

# ---------------------------------------------------------------------------
# usage (no gnuplot needed)

run report "$RUNS"
expect_rc "no -o" 2
run report -o "$TMP/x"
expect_rc "no inputs" 2
run report "$RUNS" -o "$TMP/x" --format gif
expect_rc "bad format" 2
run report --help
expect_rc "--help" 0
has "$TMP/out" "--law" "index.html" "gnuplot-nox"

# without gnuplot: the page and the scripts are written, the exit code says something failed
PATH=/nonexistent "$DWPLAN" report "$RUNS" --law depth-delusion --n-source shape --no-cv \
    -o "$TMP/nognuplot" >"$TMP/out" 2>"$TMP/err"
RC=$?
expect_rc "no gnuplot" 4
has "$TMP/err" "gnuplot-nox"
[ -s "$TMP/nognuplot/index.html" ] && ok || bad "no gnuplot: index.html missing"
refs_ok "no gnuplot" "$TMP/nognuplot"
nimg=$NIMG
[ "$nimg" -eq 0 ] && ok || bad "no gnuplot: the page references $nimg images that cannot exist"
has "$TMP/nognuplot/index.html" "not drawn" "gnuplot depth.gp"
for k in depth dcrit gradients tau parity isoflop frontier; do
    [ -s "$TMP/nognuplot/$k.gp" ] && ok || bad "no gnuplot: $k.gp missing"
done

if ! command -v gnuplot >/dev/null 2>&1; then
    skip_rest cli_report "gnuplot not found (Debian: gnuplot-nox): report checks skipped"
fi

# ---------------------------------------------------------------------------
# the synthetic sweep with a preset law

D=$TMP/synthetic
run report "$RUNS" --law depth-delusion --n-source shape -o "$D"
expect_rc "synthetic report" 0
has "$TMP/out" "index.html" "7 of 7 figures"
refs_ok "synthetic" "$D"
nimg=$NIMG
[ "$nimg" -eq 7 ] && ok || bad "synthetic: $nimg images referenced, want 7"
for k in depth dcrit gradients tau parity isoflop frontier; do
    png_ok "synthetic $k" "$D/$k.png"
    [ -s "$D/$k.gp" ] && ok || bad "synthetic: $k.gp missing"
done
has "$D/index.html" "U-curve" "Found at 5 of 5 widths" "the paper's 0.44" "the paper's 2.43" \
    "the data favour a depth-width term" "The planner across budgets" "1e22" "κ = 2.4" \
    "absorbed into E"
grep -qiE '<script|<link|@import|https?://' "$D/index.html" && bad "synthetic: the page is not self-contained" || ok

# svg images
run report "$RUNS" --law depth-delusion --n-source shape --no-cv --format svg -o "$TMP/svg"
expect_rc "svg report" 0
refs_ok "svg" "$TMP/svg"
nimg=$NIMG
[ "$nimg" -eq 7 ] && ok || bad "svg: $nimg images referenced, want 7"
grep -q 'src="tau.svg"' "$TMP/svg/index.html" && ok || bad "svg: tau.svg not referenced"

# a CSV: the Gemstones table at its 100B-token checkpoint (22 shapes), loss mapped by name
if [ -f "$GEM" ]; then
    G=$TMP/gemstones
    run report "$GEM" --where tokens=100034150400 --map loss=val_loss --law gemstones -o "$G"
    expect_rc "gemstones report" 0
    refs_ok "gemstones" "$G"
    nimg=$NIMG
    [ "$nimg" -eq 5 ] && ok || bad "gemstones: $nimg images, want 5 (no gradient norms in the table)"
    has "$G/index.html" "22 runs used" "gradients</b>: not drawn" "grad_norms" "Not measured" \
        "separable:W,D,N,T"
    has "$TMP/err" "not drawn: gradients" "not drawn: tau"
else
    gem_missing="$GEM not found: Gemstones checks skipped"
fi

# empty input: a page that says why, and exit 1
printf 'depth,width,tokens,loss\n' >"$TMP/empty.csv"
run report "$TMP/empty.csv" -o "$TMP/empty"
expect_rc "empty" 1
has "$TMP/err" "no runs" "no figure could be drawn"
[ -s "$TMP/empty/index.html" ] && ok || bad "empty: index.html missing"
refs_ok "empty" "$TMP/empty"
has "$TMP/empty/index.html" "not drawn" "no runs"

# a law alone
run report --law depth-delusion -o "$TMP/lawonly"
expect_rc "law only" 0
refs_ok "law only" "$TMP/lawonly"
nimg=$NIMG
[ "$nimg" -eq 4 ] && ok || bad "law only: $nimg images, want 4 (depth, dcrit, isoflop, frontier)"

[ -z "${gem_missing:-}" ] || skip_rest cli_report "$gem_missing"
finish cli_report
