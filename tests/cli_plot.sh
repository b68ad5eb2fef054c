#!/usr/bin/env bash
# tests/cli_plot.sh — drives `dwplan plot KIND [DATA] -o FIG` (plots/plot.h, cli/cmd_plot.c).
#
#   - every kind (depth, gradients, tau, parity, frontier, isoflop, dcrit) makes a PNG whose
#     signature and IHDR size are right (--size 700x500) and an SVG (<?xml / <svg ... </svg>)
#     from examples/runs/synthetic_runs.jsonl and the depth-delusion preset;
#   - the script and every data file named on the "wrote" line exist beside the image, and
#     `gnuplot NAME.gp` run by hand in that directory redraws the image (the restyle promise);
#   - .pdf gives a PDF (pdfcairo);
#   - without gnuplot on PATH: exit 4, the message names gnuplot-nox, script and data written;
#   - usage errors exit 2 (unknown kind, no -o, .jpg, frontier without --law); a figure the
#     inputs do not allow exits 1 with the reason; bad data exits 3 naming file and line;
#   - the Gemstones CSV (datasets/public) with --where and --map.
#
# usage: bash tests/cli_plot.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree), DW_DATA_DIR (published tables, default
#        $DW_SOURCE_DIR/datasets/public)
# Exits 77 (skip) after the gnuplot-free checks when gnuplot is not installed, and after the
# other checks when the Gemstones table is missing (1 instead if anything failed).
set -u

DWPLAN=${1:?usage: cli_plot.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DW_DATA_DIR:-$SRC/datasets/public}
RUNS=$SRC/examples/runs/synthetic_runs.jsonl
GEM=$DATA/gemstones_valloss_hot_every10B.csv
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
TMP=$tmp

# png_size FILE -> "W H" when FILE has the PNG signature and an IHDR chunk, else nothing
png_size() {
    local hex
    hex=$(od -An -tx1 -N24 "$1" 2>/dev/null | tr -d ' \n')
    [ "${hex:0:16}" = "89504e470d0a1a0a" ] || return 1
    [ "${hex:24:8}" = "49484452" ] || return 1
    echo "$((16#${hex:32:8})) $((16#${hex:40:8}))"
}

check_png() { # NAME FILE W H
    local got
    got=$(png_size "$2")
    if [ "$got" = "$3 $4" ]; then ok; else bad "$1: $2 is not a $3x$4 PNG (got '${got:-no PNG header}')"; fi
}

check_svg() { # NAME FILE
    if { head -c 5 "$2" | grep -q '^<?xml' || head -c 4 "$2" | grep -q '^<svg'; } && grep -q '</svg>' "$2"; then
        ok
    else
        bad "$1: $2 is not an SVG document"
    fi
}

# check_written NAME DIR: the "wrote SCRIPT, DATA, ..." line names files that exist in DIR
check_written() {
    local line f n=0
    line=$(grep '^wrote .*\.gp' "$TMP/out" | head -1)
    if [ -z "$line" ]; then
        bad "$1: no 'wrote ... .gp' line: $(head -c 300 "$TMP/out")"
        return
    fi
    line=${line#wrote }
    IFS=',' read -ra parts <<<"$line"
    for f in "${parts[@]}"; do
        f=$(basename "${f# }")
        n=$((n + 1))
        if [ -s "$2/$f" ]; then ok; else bad "$1: $2/$f missing or empty"; fi
    done
    if [ "$n" -ge 2 ]; then ok; else bad "$1: only $n files named (want the script and data)"; fi
}

# ---------------------------------------------------------------------------
# usage and input errors (no gnuplot needed)

run plot
expect_rc "no kind" 2
run plot histogram "$RUNS" -o "$TMP/x.png"
expect_rc "unknown kind" 2
has "$TMP/err" "unknown kind" "dcrit"
run plot tau "$RUNS"
expect_rc "no -o" 2
run plot tau "$RUNS" -o "$TMP/x.jpg"
expect_rc "jpg" 2
has "$TMP/err" "jpg" ".png"
run plot frontier -o "$TMP/f.png"
expect_rc "frontier without --law" 2
has "$TMP/err" "--law"
run plot depth "$RUNS" --law no-such-preset -o "$TMP/x.png"
expect_rc "unknown law" 2
run plot --help
expect_rc "--help" 0
has "$TMP/out" "depth" "gradients" "isoflop" "gnuplot-nox" "exit codes"
run --help
has "$TMP/out" "plot KIND DATA -o FIG.png" "report DATA --law LAW -o DIR"

printf 'depth,width,tokens,loss\n4,128,1e9,3.5\n8,128,1e9,3.4\n' >"$TMP/nograd.csv"
run plot tau "$TMP/nograd.csv" -o "$TMP/tau.png"
expect_rc "tau without grad_norms" 1
has "$TMP/err" "grad_norms"
[ ! -e "$TMP/tau.gp" ] && ok || bad "tau without data wrote a script"
printf 'depth,width,tokens,loss\n4,128,1e9,3.5\n8,128,1e9,-1\n' >"$TMP/neg.csv"
run plot depth "$TMP/neg.csv" -o "$TMP/d.png"
expect_rc "negative loss" 3
has "$TMP/err" "neg.csv:3" "loss"
printf 'depth,width,tokens,loss\n' >"$TMP/empty.csv"
run plot depth "$TMP/empty.csv" -o "$TMP/d.png"
expect_rc "empty table" 1
has "$TMP/err" "no runs"

# without gnuplot: the data and the script are still written, the message names the package
mkdir -p "$TMP/nognuplot"
PATH=/nonexistent "$DWPLAN" plot depth "$RUNS" -o "$TMP/nognuplot/depth.png" >"$TMP/out" 2>"$TMP/err"
RC=$?
expect_rc "no gnuplot" 4
has "$TMP/err" "gnuplot-nox" "gnuplot not found"
[ -s "$TMP/nognuplot/depth.gp" ] && [ -s "$TMP/nognuplot/depth_runs.dat" ] && ok ||
    bad "no gnuplot: script or data missing: $(ls "$TMP/nognuplot")"
[ ! -e "$TMP/nognuplot/depth.png" ] && ok || bad "no gnuplot: an image appeared"

if ! command -v gnuplot >/dev/null 2>&1; then
    skip_rest cli_plot "gnuplot not found (Debian: gnuplot-nox): figure checks skipped"
fi

# ---------------------------------------------------------------------------
# every kind, png and svg

args_for() { # KIND -> the inputs of that figure
    case $1 in
    depth | dcrit) echo "$RUNS --law depth-delusion --n-source shape" ;;
    gradients | tau) echo "$RUNS" ;;
    parity) echo "$RUNS --law depth-delusion --n-source shape --form shape:log,separable:W,D,N" ;;
    frontier | isoflop) echo "--law depth-delusion --compute 1e18:1e24" ;;
    esac
}

for kind in depth gradients tau parity frontier isoflop dcrit; do
    for ext in png svg; do
        d=$TMP/$kind-$ext
        mkdir -p "$d"
        # shellcheck disable=SC2046
        run plot "$kind" $(args_for "$kind") --size 700x500 -o "$d/$kind.$ext"
        expect_rc "$kind.$ext" 0
        if [ "$ext" = png ]; then check_png "$kind.png" "$d/$kind.png" 700 500; else check_svg "$kind.svg" "$d/$kind.svg"; fi
        check_written "$kind.$ext" "$d"
        has "$TMP/out" "$kind.$ext"
    done
done

# the restyle promise: the script alone redraws the image
d=$TMP/depth-png
rm -f "$d/depth.png"
sed -i 's/lw 2 pt 7/lw 3 pt 5/' "$d/depth.gp"
(cd "$d" && gnuplot depth.gp) 2>"$TMP/gperr"
if [ $? -eq 0 ] && check_png "redraw" "$d/depth.png" 700 500; then ok; else bad "gnuplot depth.gp: $(cat "$TMP/gperr")"; fi

# pdf
run plot tau "$RUNS" -o "$TMP/tau.pdf"
expect_rc "pdf" 0
[ "$(head -c 5 "$TMP/tau.pdf")" = "%PDF-" ] && ok || bad "tau.pdf is not a PDF"

# captions carry the numbers
run plot dcrit "$RUNS" -o "$TMP/dc.png"
expect_rc "dcrit caption" 0
has "$TMP/out" "κ = 2.4" "paper"
run plot tau "$RUNS" -o "$TMP/tau2.png"
has "$TMP/out" "β = 0.44"
has "$TMP/err" "fewer than 3 layers"

# real data: Gemstones (770 rows, 22 shapes), one checkpoint via --where, loss via --map
if [ -f "$GEM" ]; then
    mkdir -p "$TMP/gem"
    run plot depth "$GEM" --where tokens=350119526400 --map loss=val_loss --law gemstones -o "$TMP/gem/depth.png"
    expect_rc "gemstones depth" 0
    # 900 wide; taller than 600 when its key (11 widths) goes below the plot
    read -r gw gh < <(png_size "$TMP/gem/depth.png")
    [ "${gw:-0}" -eq 900 ] && [ "${gh:-0}" -ge 600 ] && [ "${gh:-0}" -le 900 ] && ok ||
        bad "gemstones depth: not a 900 x 600..900 PNG (got '${gw:-} ${gh:-}')"
    [ "$(grep -vc '^#' "$TMP/gem/depth_runs.dat" | tr -d ' ')" -ge 22 ] && ok || bad "gemstones: fewer than 22 runs drawn"
    run plot parity "$GEM" --law gemstones --form separable:N,T -o "$TMP/gem/parity.svg"
    expect_rc "gemstones parity" 0
    has "$TMP/out" "R² 0.99"
else
    skip_rest cli_plot "$GEM not found: Gemstones checks skipped"
fi

finish cli_plot
