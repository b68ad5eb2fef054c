#!/usr/bin/env bash
# tests/cli_plot_cases.sh — every `dwplan plot KIND` on the inputs a new user brings, and the
# figure fixes of issue 15 checked in the gnuplot script dwplan writes beside each image.
#
# Inputs, made here as small JSON Lines / CSV tables (a U-curve in depth at each width with
# D_crit = 2.43·ln W, per-layer gradient norms that decay toward the input with τ = 0.9·W^0.44,
# or do not decay at all):
#   tau.jsonl     3 widths × 4 depths, gradient norms with a τ, written in a shuffled order
#                 (a sweep run by several workers)
#   notau.jsonl   the same shapes, gradient norms that do not decay toward the input (no τ)
#   onew.jsonl    one width; oned.jsonl one depth; onerow.jsonl one row
#   nan.csv       missing and NaN losses (refused naming the line, or left out with
#                 --skip-bad-rows)
#   mixed.jsonl   tau.jsonl and the same shapes at a second token count
#   wide.jsonl    widths 16 and 4096 whose D_crit are 2 and 64 (a span of 32x)
# For each input and kind: exit 0 and a non-empty PNG with a PNG signature, or exit 1/3 with
# one sentence on stderr; never gnuplot's own error text on stderr, and no gnuplot log (it
# printed nothing).
# Fixed behaviours, checked in FIG.gp and FIG_*.dat:
#   depth    runs in ascending depth in each block of depth_runs.dat; the x range within the
#            runs' span even when the law's D_crit lies far beyond (said in the key); the token
#            count in the title; runs at other token counts said in the title and caption;
#            the key inside or below, never beside the plot
#   dcrit    a log D_crit axis when the values span more than 8x; a title that says what the
#            runs show (no "past D_crit, more layers raise the loss" without a minimum);
#            coinciding curves told apart (markers at intervals) and named in the caption
#   isoflop  the runs as points (isoflop_runs.dat) over the shaded depths run, bands over the
#            law's bootstrap draws (isoflop_band.dat with filledcurves), the key not outside
#   frontier the runs as points, the planner's 95% band, the paper's slopes only beside the
#            depth-delusion law
#   parity   each panel its own range; a fitted form's held-out predictions (column 3); a fit
#            that did not converge flagged
#   report   a law that does not describe the runs is warned about on the page and on the
#            frontier and isoflop figures
#   failure  a gnuplot that fails (a stand-in on PATH printing gnuplot's 5.4 error): exit 4,
#            one sentence naming the log, no empty image left; the report says it in one
#            sentence, links the log, and never shows gnuplot's words
#
# usage: bash tests/cli_plot_cases.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree)
# Exits 77 (skip) without gnuplot.
set -u

DWPLAN=${1:?usage: cli_plot_cases.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
T=$tmp

if ! command -v gnuplot >/dev/null 2>&1; then
    skip_rest cli_plot_cases "gnuplot not found (Debian: gnuplot-nox): figure checks skipped"
fi

# gen FILE WIDTHS DEPTHS DECAY [TOKENS] [DCRIT]: one JSON line per (width, depth); loss
# 2 + 4/√W + 0.05·(ln D − ln D_crit)², D_crit = 2.43·ln W (or DCRIT=pow: 0.354·W^0.625);
# DECAY 1: grad_norms exp(−(D−1−ℓ)/τ), τ = 0.9·W^0.44; 0: 1 − 0.04·ℓ (no decay toward the
# input). Rows come out in a shuffled order (depths 2, 16, 4, 8 ...).
gen() {
    awk -v widths="$2" -v depths="$3" -v decay="$4" -v tokens="${5:-2000000}" \
        -v dform="${6:-log}" 'BEGIN {
        nw = split(widths, W, ","); nd = split(depths, D, ",")
        for (i = 1; i <= nw; i++) for (jj = 1; jj <= nd; jj++) {
            j = (jj * 3) % nd + 1          # a fixed shuffle of the depths
            w = W[i]; d = D[j]
            tau = 0.9 * w ^ 0.44
            dc = dform == "pow" ? 0.354 * w ^ 0.625 : 2.43 * log(w)
            loss = 2 + 4 / w ^ 0.5 + 0.05 * (log(d) - log(dc)) ^ 2 + (tokens > 2000000 ? -0.1 : 0)
            g = ""
            for (l = 0; l < d; l++) {
                v = decay ? exp(-(d - 1 - l) / tau) : 1 - 0.04 * l
                g = g (l ? "," : "") sprintf("%.6g", v)
            }
            printf "{\"depth\":%d,\"width\":%d,\"params\":%d,\"tokens\":%d,\"loss\":%.6f,\"grad_norms\":[%s],\"status\":\"ok\"}\n", d, w, 12 * d * w * w + 256 * w, tokens, loss, g
        }
    }' >"$1"
}
gen "$T/tau.jsonl" 16,32,64 2,4,8,16 1
gen "$T/notau.jsonl" 16,32,64 2,4,8,16 0
gen "$T/onew.jsonl" 32 2,4,8,16 1
gen "$T/oned.jsonl" 16,32,64 4 1
gen "$T/onerow.jsonl" 32 4 1
gen "$T/mixed.jsonl" 16,32,64 2,4,8,16 1
gen "$T/more.jsonl" 16,32,64 4,8 1 4000000
cat "$T/more.jsonl" >>"$T/mixed.jsonl"
gen "$T/wide.jsonl" 16,4096 1,2,4,8,16,32,64,128 1 2000000 pow
printf 'depth,width,params,tokens,loss\n2,16,10240,2e6,3.1\n4,16,16384,2e6,nan\n8,16,28672,2e6,3.0\n2,32,20000,2e6,2.9\n4,32,30000,2e6,2.8\n8,32,50000,2e6,\n16,32,90000,2e6,2.85\n' >"$T/nan.csv"

# a law with 24 bootstrap draws, fitted to tau.jsonl (one token count: B = 0, δ fixed)
run fit "$T/tau.jsonl" --form shape:log --fix B=0,delta=0.095 --n-source shape --bootstrap 24 \
    --threads 1 -o "$T/law.json"
expect_rc "fit the drawn law" 0

png_ok() { # NAME FILE: a non-empty PNG (signature and IHDR)
    local hex
    hex=$(od -An -tx1 -N16 "$2" 2>/dev/null | tr -d ' \n')
    if [ -s "$2" ] && [ "${hex:0:16}" = "89504e470d0a1a0a" ] && [ "${hex:24:8}" = "49484452" ]; then ok; else bad "$1: $2 is not a non-empty PNG"; fi
}
# gnuplot's own words, which must never reach the user: its error lines and warnings
GNUPLOT_TEXT='line [0-9]+:|duplicated or contradicting|warning:|gnuplot> |undefined variable|invalid expression|all points'
no_gnuplot_text() { # NAME FILE
    if grep -qE "$GNUPLOT_TEXT" "$2"; then bad "$1: gnuplot's own text in $(basename "$2"): $(grep -E "$GNUPLOT_TEXT" "$2" | head -2)"; else ok; fi
}
# one_sentence NAME: stderr, less notes and the skipped-rows line, is one line
one_sentence() {
    local n
    n=$(grep -v -e ': note: ' -e 'left out (--skip-bad-rows)' -e 'not fitted:' -e 'absorbed into E' "$T/err" | grep -c .)
    if [ "$n" -eq 1 ]; then ok; else bad "$1: $n lines of explanation on stderr: $(head -c 400 "$T/err")"; fi
}

args_for() { # KIND INPUT -> options
    case $1 in
    parity) echo "--law depth-delusion --form shape:log" ;;
    gradients | tau) echo "" ;;
    *) echo "--law depth-delusion" ;;
    esac
}

# ---------------------------------------------------------------------------
# every kind on every input: an image, or one sentence

mkdir -p "$T/m"
for input in tau.jsonl notau.jsonl onew.jsonl oned.jsonl onerow.jsonl nan.csv nan.csv:skip; do
    file=${input%:skip}
    skip=
    [ "$input" != "$file" ] && skip=--skip-bad-rows
    for kind in depth gradients tau parity frontier isoflop dcrit; do
        stem=${file%.*}${skip:+_skip}_$kind
        case $kind in frontier | isoflop) budget="--compute 1e18:1e20" ;; *) budget= ;; esac
        # shellcheck disable=SC2046
        run plot "$kind" "$T/$file" $(args_for "$kind") $skip $budget -o "$T/m/$stem.png"
        name="$kind on $input"
        no_gnuplot_text "$name" "$T/err"
        if [ -e "$T/m/$stem.log" ]; then bad "$name: gnuplot printed something: $(head -c 300 "$T/m/$stem.log")"; else ok; fi
        case $RC in
        0) png_ok "$name" "$T/m/$stem.png" ;;
        1 | 3)
            one_sentence "$name"
            [ ! -e "$T/m/$stem.png" ] && ok || bad "$name: refused (exit $RC) but left $stem.png"
            ;;
        *) bad "$name: exit $RC: $(head -c 400 "$T/err")" ;;
        esac
    done
done
# which refuse, and how: NaN losses without --skip-bad-rows name the line; tau needs τ at two
# runs
run plot depth "$T/nan.csv" --law depth-delusion -o "$T/m/x.png"
expect_rc "NaN loss refused" 3
has "$T/err" "NaN loss" "nan.csv:3" "--skip-bad-rows"
run plot tau "$T/notau.jsonl" -o "$T/m/x.png"
expect_rc "tau without a τ" 1
has "$T/err" "tau without a τ" "decay toward the input"
# gradients with no run that has a τ: the runs are drawn, joined by lines (issue 15: gnuplot
# 5.4 refused 'lw 0.8 ls 1')
run plot gradients "$T/notau.jsonl" -o "$T/m/g.png"
expect_rc "gradients without τ" 0
png_ok "gradients without τ" "$T/m/g.png"
has "$T/m/g.gp" "gradients without τ" "with linespoints ls 1 lw 0.8"

# ---------------------------------------------------------------------------
# depth

run plot depth "$T/tau.jsonl" --law depth-delusion -o "$T/m/d.png"
expect_rc "depth" 0
# each block of runs.dat in ascending depth (the file is shuffled)
if awk '/^#/ || NF == 0 { prev = -1; next } { if (prev >= 0 && $1 < prev) exit 1; prev = $1 }' "$T/m/d_runs.dat"; then ok; else bad "depth: runs not in ascending depth: $(grep -v '^#' "$T/m/d_runs.dat" | head -5 | tr '\n' ' ')"; fi
has "$T/m/d.gp" "depth title" "runs trained on T = 2.00M tokens"
# a law whose D_crit is far beyond the runs: the axis stays on the runs (2..16), the key says so
run fit "$T/tau.jsonl" --form shape:log --fix B=0,delta=0.095,kappa=60 --n-source shape \
    -o "$T/lawk.json"
expect_rc "fit a law with D_crit far beyond the runs" 0
run plot depth "$T/tau.jsonl" --law "$T/lawk.json" --n-source shape -o "$T/m/d3.png"
expect_rc "depth, far law" 0
read -r xlo xhi < <(sed -n 's/^set xrange \[\(.*\):\(.*\)\]$/\1 \2/p' "$T/m/d3.gp")
check "depth: x range [$xlo, $xhi] within the runs' span (2..16, a little beyond)" \
    "awk -v a='$xlo' -v b='$xhi' 'BEGIN { exit !(a >= 1.5 && b <= 21) }'"
has "$T/m/d3.gp" "depth, far law" "off the plot"
grep -q "beyond the depths run" "$T/out" && ok || bad "depth: the caption does not say the law's D_crit is off the plot"
for g in d d3; do
    if grep -q "^set key .*outside\|^set key outside" "$T/m/$g.gp"; then bad "depth: key outside the plot in $g.gp"; else ok; fi
    grep -qE "^set key (inside|below)" "$T/m/$g.gp" && ok || bad "depth: no inside/below key in $g.gp"
done
# runs at another token count: left out, and the title and the caption say so
run plot depth "$T/mixed.jsonl" -o "$T/m/dm.png"
expect_rc "depth, two token counts" 0
has "$T/m/dm.gp" "depth title, two token counts" "runs at other token counts not drawn"
has "$T/out" "depth caption, two token counts" "at other token counts are not drawn"

# ---------------------------------------------------------------------------
# dcrit

run plot dcrit "$T/wide.jsonl" -o "$T/m/c.png"
expect_rc "dcrit, wide" 0
has "$T/m/c.gp" "dcrit log axis" "set logscale y"
run plot dcrit "$T/tau.jsonl" --law depth-delusion -o "$T/m/c2.png"
expect_rc "dcrit" 0
if grep -q "set logscale y" "$T/m/c2.gp"; then bad "dcrit: a log axis for values within 2x"; else ok; fi
has "$T/m/c2.gp" "dcrit title" "a loss minimum inside the depths run at 3 of 3 widths"
# κ fitted here is the paper's 2.43: the curves coincide; markers at intervals tell them apart
has "$T/m/c2.gp" "dcrit markers" " pi 11 " " pi 17 "
has "$T/out" "dcrit caption" "coincide"
run plot dcrit "$T/oned.jsonl" --law depth-delusion -o "$T/m/c3.png"
expect_rc "dcrit, no minimum" 0
if grep -q "more layers raise the loss" "$T/m/c3.gp"; then bad "dcrit: the title claims a rise the runs do not show"; else ok; fi
has "$T/m/c3.gp" "dcrit title, no minimum" "no width has a loss minimum inside the depths run"
for g in c c2 c3; do
    if grep -q "^set key .*outside" "$T/m/$g.gp"; then bad "dcrit: key outside in $g.gp"; else ok; fi
done

# ---------------------------------------------------------------------------
# isoflop and frontier: the runs, their range, bands from the law's draws

run plot isoflop "$T/tau.jsonl" --law "$T/law.json" --n-source shape --budgets 1e15,1e17 -o "$T/m/i.png"
expect_rc "isoflop with runs" 0
png_ok "isoflop with runs" "$T/m/i.png"
has "$T/m/i.gp" "isoflop" "i_runs.dat" "i_band.dat' index 0 using 1:2:3 with filledcurves" \
    "# the depths run"
[ -s "$T/m/i_band.dat" ] && ok || bad "isoflop: no band data"
if grep -q "^set key .*outside" "$T/m/i.gp"; then bad "isoflop: key outside"; else ok; fi
run plot isoflop --law depth-delusion --compute 1e18:1e20 -o "$T/m/i2.png"
expect_rc "isoflop, law alone" 0
has "$T/err" "isoflop without draws" "no band: the law file has no bootstrap draws"

run plot frontier "$T/tau.jsonl" --law "$T/law.json" --n-source shape --compute 1e14:1e17 -o "$T/m/f.png"
expect_rc "frontier with runs" 0
has "$T/m/f.gp" "frontier" "f_runs.dat' using 1:2 with points" "f_band.dat' using 1:2:3 with filledcurves" \
    "# the runs' compute"
if grep -q "paper0" "$T/m/f.gp"; then bad "frontier: the paper's slopes beside a law that is not the paper's"; else ok; fi
run plot frontier --law depth-delusion --compute 1e18:1e20 -o "$T/m/f2.png"
expect_rc "frontier, the paper's law" 0
has "$T/m/f2.gp" "frontier, the paper's law" "paper0(x) with lines"

# ---------------------------------------------------------------------------
# parity

run plot parity "$T/tau.jsonl" --law depth-delusion --form shape:log -o "$T/m/p.png"
expect_rc "parity" 0
n=$(sed -n 's/^set xrange \(.*\)$/\1/p' "$T/m/p.gp" | sort -u | grep -vc '^\[0:1\]$')
[ "$n" -ge 2 ] && ok || bad "parity: the panels share one range ($n distinct)"
has "$T/m/p.gp" "parity held out" "using 1:3 with points"
has "$T/out" "parity held out" "Held out"
run plot parity "$SRC/examples/runs/synthetic_runs.jsonl" --n-source shape --form separable:W,D,N \
    -o "$T/m/p2.png"
expect_rc "parity, a fit that did not converge" 0
has "$T/m/p2.gp" "parity not converged" "the optimiser did not converge"

# ---------------------------------------------------------------------------
# a law that does not describe the runs: said on the figures that plan with it, and the report

run plot frontier "$T/tau.jsonl" --law depth-delusion --compute 1e18:1e20 -o "$T/m/fw.png"
expect_rc "frontier, a law off the runs" 0
has "$T/m/fw.gp" "frontier warning" "the law does not describe these runs"
has "$T/out" "frontier warning caption" "Warning: the law fits the runs given with R²"
run report "$T/tau.jsonl" --law depth-delusion --no-cv --compute 1e18:1e20 -o "$T/rep"
expect_rc "report" 0
has "$T/rep/index.html" "report warning" "does not describe these runs" "class=\"warn\""
has "$T/rep/isoflop.gp" "report isoflop warning" "the law does not describe these runs"
no_gnuplot_text "report" "$T/rep/index.html"

# ---------------------------------------------------------------------------
# gnuplot failing: one sentence, no empty image, the log beside the script

mkdir -p "$T/bin"
cat >"$T/bin/gnuplot" <<'EOF'
#!/bin/sh
# a stand-in for a gnuplot that fails on every script, as 5.4 did on 'lw 0.8 ls 1'
[ "$2" = exit ] && exit 0
dir=$(printf '%s' "$2" | sed "s/^cd '//; s/'\$//")
stem=${3%.gp}
: >"$dir/$stem.png"
printf '\nplot "x.dat" with linespoints lw 0.8 ls 1\n                                         ^\n"%s", line 27: duplicated or contradicting arguments in style specifiers\n\n' "$3" >&2
exit 1
EOF
chmod +x "$T/bin/gnuplot"
mkdir -p "$T/fail"
PATH="$T/bin:$PATH" "$DWPLAN" plot depth "$T/tau.jsonl" -o "$T/fail/depth.png" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "gnuplot failing" 4
one_sentence "gnuplot failing"
has "$T/err" "gnuplot failing" "gnuplot could not draw" "depth.log"
no_gnuplot_text "gnuplot failing" "$T/err"
[ ! -e "$T/fail/depth.png" ] && ok || bad "gnuplot failing: an empty depth.png was left"
has "$T/fail/depth.log" "gnuplot failing log" "duplicated or contradicting"
PATH="$T/bin:$PATH" "$DWPLAN" report "$T/tau.jsonl" --law depth-delusion --no-cv \
    --compute 1e18:1e20 -o "$T/failrep" >"$T/out" 2>"$T/err"
RC=$?
expect_rc "report, gnuplot failing" 4
no_gnuplot_text "report, gnuplot failing" "$T/failrep/index.html"
has "$T/failrep/index.html" "report, gnuplot failing" "gnuplot could not draw" "href=\"depth.log\""
n=$(find "$T/failrep" -name '*.png' | wc -l)
[ "$n" -eq 0 ] && ok || bad "report, gnuplot failing: $n empty images left"

finish cli_plot_cases
