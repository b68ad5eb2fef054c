#!/usr/bin/env bash
# Regenerates dwplan's default law, datasets/laws/gemstones-epoch-logsq.json, from public
# training runs with dwplan's own fitter, and prints the out-of-sample evidence that chose its
# form (examples/default-law/README.md has the numbers and what they mean).
#
#   examples/default-law/regenerate.sh [path/to/dwplan] [--evidence]
#
# Data (datasets/public/, see its README for sources and licences):
# - gemstones_valloss_cooldown_end.csv: the Gemstones runs (McLeish et al. 2025) after their
#   learning-rate cool-down, the loss a finished model sees: 20 shapes from 256x80 to 1792x7
#   (width x depth), 10-100B tokens. The reference source: the law's floor and conventions
#   (untied 50304-token embeddings, SwiGLU blocks with RMSNorm and no biases, N counting
#   every parameter, which the fit infers from the params column).
# - epoch_chinchilla.csv: Epoch AI's 240 extracted Chinchilla points (no depth or width; the
#   5 rows Epoch excluded as outliers are left out). A second source with its own floor
#   (another tokenizer and eval set); its rows inform only the floor, N and T terms.
#
# Form: logsq:log, L = E + A·N^-alpha + B·T^-delta + gamma·ln²(D / (d0·ln W)), chosen out of
# sample (--evidence reruns the comparison): best leave-one-shape-out CV on the two sources
# (tied with logsq:power, which has one parameter more), best hot -> cool-down transfer
# (fit on the pre-cool-down checkpoints, predict the cool-down end points with their offset
# removed), and the form whose best depth grows like ln W, as Levine et al. (2020) derive.
# Objective: Huber on ln L with delta 1e-4 (Gemstones' and Epoch's). 400 bootstrap refits,
# whole shapes resampled within each source, stored in the law file as its draws.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dwplan=${1:-$root/build/dwplan}
data=$root/datasets/public
conv=(--flops 6NT --vocab 50304 --swiglu --mlp-ratio 3.6667 --rmsnorm --no-biases --seq-len 2048)
obj=(--objective huber --delta 1e-4)
where=(--where epoch_chinchilla:epoch_outlier_excluded=0)
cool=$data/gemstones_valloss_cooldown_end.csv
hot=$data/gemstones_valloss_hot_every10B.csv
chin=$data/epoch_chinchilla.csv

if [ "${2:-}" = "--evidence" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "== forms on cool-down + Chinchilla: leave-one-shape-out and leave-one-source-out CV"
    "$dwplan" fit "$cool" "$chin" "${where[@]}" "${conv[@]}" "${obj[@]}" \
        --compare chinchilla,logsq:log,logsq:power,shape:power,shape:log 2>/dev/null
    echo "== hot -> cool-down: fitted on the pre-cool-down checkpoints + Chinchilla"
    for f in chinchilla logsq:log logsq:power shape:power shape:log; do
        "$dwplan" fit "$hot" "$chin" "${where[@]}" "${conv[@]}" "${obj[@]}" --form "$f" \
            -o "$tmp/law.json" >/dev/null 2>&1
        printf '%-12s ' "$f"
        "$dwplan" fit "$cool" --predict "$tmp/law.json" 2>/dev/null | tail -1
    done
    echo "== every preset on the public tables (offset removed; shape pairs ordered)"
    for p in $("$dwplan" law list | awk '{print $1}'); do
        echo "-- $p"
        "$dwplan" fit "$cool" "$hot" --predict "$p" 2>/dev/null | sed -n '/^prediction per source/,$p' | sed -n '2,3p'
    done
    exit 0
fi

"$dwplan" fit "$cool" "$chin" "${where[@]}" "${conv[@]}" "${obj[@]}" \
    --form logsq:log --bootstrap 400 --by-shape --seed 1 --cv \
    --name gemstones-epoch-logsq \
    --description "logsq:log fitted by dwplan to the Gemstones cool-down end points (reference) and Epoch's Chinchilla points (own floor): the default" \
    --source "Gemstones (McLeish et al. 2025) cool-down table and Epoch AI's Chinchilla extraction (Besiroglu et al. 2024), datasets/public; fitted by examples/default-law/regenerate.sh" \
    -o "$root/datasets/laws/gemstones-epoch-logsq.json"
echo "rebuild (cmake --build build) to embed the new preset"
