#!/usr/bin/env bash
# examples/report/walkthrough.sh — two reports and a figure for a paper, from data at hand
# (see README.md beside this script).
#
#   1. Gemstones (datasets/public, 770 real runs, 22 shapes): fit a depth-width law
#      (shape:power, Huber δ = 1e-4, the table's own counting conventions), then build the
#      report against it — figures, narrative, form comparison, planner.
#   2. The synthetic sweep (examples/runs/synthetic_runs.jsonl: 40 runs with per-layer gradient
#      norms at one token count) against the paper's law (depth-delusion preset).
#   3. One figure as a PDF for a paper, and a restyled redraw from its script alone.
#
#   4. (PROBE=1 only) a small probe sweep (`dwplan probe sweep`, about two minutes on two cores)
#      and its report — the same command as step 2 on the sweep's runs.jsonl.
#
# usage: bash examples/report/walkthrough.sh [OUTDIR]      (default: report-walkthrough)
# env:   DWPLAN (default: build/dwplan in the source tree); PROBE=1 to run step 4 (about
#        a minute and a half on two cores)
# Takes about a minute, most of it step 1's form comparison (six forms, 22-fold CV).
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
DWPLAN=${DWPLAN:-$SRC/build/dwplan}
OUT=${1:-report-walkthrough}
GEM=$SRC/datasets/public/gemstones_valloss_hot_every10B.csv
RUNS=$SRC/examples/runs/synthetic_runs.jsonl

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "walkthrough: gnuplot is not installed (Debian: apt-get install gnuplot-nox);" >&2
    echo "walkthrough: the reports will hold scripts and data but no images" >&2
fi
mkdir -p "$OUT"

# ---------------------------------------------------------------------------
# 1. Gemstones: fit, then report
if [ -f "$GEM" ]; then
    echo "== 1. Gemstones: fit shape:power (Huber, delta 1e-4), then the report"
    # N is the table's params_active_precise: every parameter of an untied 50304-token
    # SwiGLU/RMSNorm model (dwplan infers "total" from the block flags), and C = 6NT: say so
    # in the law, so that the planner counts the same way
    "$DWPLAN" fit "$GEM" --form shape:power --objective huber --delta 1e-4 \
        --flops 6NT --vocab 50304 --swiglu --mlp-ratio 3.6667 --rmsnorm --no-biases --seq-len 2048 \
        --name gemstones-shape-power --source "dwplan fit on the Gemstones table (examples/report)" \
        -o "$OUT/gemstones-law.json"
    "$DWPLAN" report "$GEM" --law "$OUT/gemstones-law.json" --objective huber --delta 1e-4 \
        -o "$OUT/gemstones"
else
    echo "== 1. skipped: $GEM not found"
fi

# ---------------------------------------------------------------------------
# 2. the synthetic sweep against the paper's law
echo "== 2. synthetic sweep against the depth-delusion preset"
# the law counts non-embedding parameters; the records' `params` include the embedding, so
# count N from depth and width (--n-source shape)
"$DWPLAN" report "$RUNS" --law depth-delusion --n-source shape -o "$OUT/synthetic"

# ---------------------------------------------------------------------------
# 3. one figure for a paper, and a restyled redraw without dwplan
echo "== 3. tau as a PDF; dcrit restyled from its script"
"$DWPLAN" plot tau "$RUNS" -o "$OUT/tau.pdf"
if command -v gnuplot >/dev/null 2>&1; then
    # e.g. thicker lines and a serif font: edit the script, run gnuplot in its directory
    sed -e "s/font 'DejaVu Sans,11'/font 'DejaVu Serif,12'/" -e 's/lw 2 pt 7/lw 3 pt 7/' \
        -e "s/set output 'dcrit.png'/set output 'dcrit-serif.png'/" \
        "$OUT/synthetic/dcrit.gp" >"$OUT/synthetic/dcrit-serif.gp"
    (cd "$OUT/synthetic" && gnuplot dcrit-serif.gp)
fi

# ---------------------------------------------------------------------------
# 4. a probe sweep (opt-in: it trains twelve small models)
if [ "${PROBE:-0}" = 1 ]; then
    echo "== 4. probe sweep: depths 1-6 x widths 32, 64 at 300k tokens, then its report"
    "$DWPLAN" probe sweep --depths 1-6 --widths 32,64 --tokens 300k --jobs 2 --quiet \
        -o "$OUT/probe_runs.jsonl"
    "$DWPLAN" report "$OUT/probe_runs.jsonl" --law depth-delusion --n-source shape -o "$OUT/probe"
fi

echo
echo "open $OUT/gemstones/index.html and $OUT/synthetic/index.html"
