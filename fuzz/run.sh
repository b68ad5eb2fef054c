#!/usr/bin/env bash
# fuzz/run.sh — runs libFuzzer harnesses of fuzz/ one after another, each for SECONDS from
# its seed corpus, and prints one line per harness (executions, coverage, corpus growth).
#   fuzz/run.sh BUILD_DIR [SECONDS] [HARNESS...]
# BUILD_DIR is a DWPLAN_FUZZ=ON build (fuzz/README.md); SECONDS defaults to 30; HARNESS
# names (fuzz_law, ...) default to every fuzz_* executable in BUILD_DIR. New inputs go to a
# scratch directory, never into fuzz/corpus/. A crash, leak, timeout or out-of-memory stops
# that harness: its log tail and the reproducer's path are printed, the reproducer is kept
# in $FUZZ_ARTIFACTS (default BUILD_DIR/fuzz-artifacts), and the script exits 1 after the
# other harnesses have run. Environment: DWPLAN_FUZZ_RANKS (fuzz_tokenizer's GPT-2 ranks).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS] [HARNESS...]}"
secs="${2:-30}"
shift $(($# >= 2 ? 2 : 1))
build="$(cd "$build" && pwd)" || exit 2
art="${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}"
mkdir -p "$art"
if [ $# -gt 0 ]; then
    harnesses=("$@")
else
    harnesses=()
    for f in "$build"/fuzz_*; do
        [ -x "$f" ] && [ -f "$f" ] && harnesses+=("$(basename "$f")")
    done
fi
[ ${#harnesses[@]} -gt 0 ] || { echo "fuzz/run.sh: no fuzz_* executables in $build" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/dwplan-fuzz-run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failed=0
nfailed=0
for h in "${harnesses[@]}"; do
    name="${h#fuzz_}"
    seeds="$here/corpus/$name"
    exe="$build/$h"
    if [ ! -x "$exe" ]; then
        echo "$h: FAILED (no executable $exe)"
        failed=1
        nfailed=$((nfailed + 1))
        continue
    fi
    if [ ! -d "$seeds" ]; then
        echo "$h: FAILED (no seed corpus $seeds)"
        failed=1
        nfailed=$((nfailed + 1))
        continue
    fi
    mkdir -p "$work/$name" "$work/tmp-$name"
    nseeds=$(find "$seeds" -type f | wc -l)
    log="$work/$name.log"
    # one thread: OpenMP's and OpenBLAS's idle workers would spin beside the fuzzer
    TMPDIR="$work/tmp-$name" OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$exe" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
        -artifact_prefix="$art/$h-" "$work/$name" "$seeds" >"$log" 2>&1
    rc=$?
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    execs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 runs in \2 s/p' "$log" | tail -1)
    cov=$(echo "$last" | sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, ft \2, corpus '"$nseeds"' -> \3/p')
    if [ $rc -eq 0 ]; then
        echo "$h: ok, ${execs:-? runs}, ${cov:-no coverage line}"
    else
        failed=1
        nfailed=$((nfailed + 1))
        repro=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
        echo "$h: FAILED (exit $rc), ${cov:-no coverage line}; reproducer: ${repro:-none}"
        # the error and the first frames of its stack
        grep -m1 -A10 -E 'ERROR: |runtime error|ALARM|out-of-memory|^==[0-9]+== ?ERROR' "$log" |
            sed 's/ (BuildId: [0-9a-f]*)//; s/^/    /'
    fi
done
echo "fuzz: $((${#harnesses[@]} - nfailed)) passed, $nfailed failed"
exit $failed
