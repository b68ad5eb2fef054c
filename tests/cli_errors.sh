#!/usr/bin/env bash
# tests/cli_errors.sh — bad input gives the documented exit code (cli/cli.h: 2 usage, 3 bad
# input data, 4 system), a message on stderr that names the problem, and nothing on stdout.
#
# usage: bash tests/cli_errors.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree, for examples/models)
set -u

DWPLAN=${1:?usage: cli_errors.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
TMP=$tmp

# expect CODE NAME PATTERN... -- ARGS...
#   runs dwplan ARGS; the exit status must be CODE, stdout empty, stderr non-empty and
#   containing every PATTERN (fixed strings, case-sensitive).
expect() {
    local want=$1 name=$2
    shift 2
    local pats=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        pats+=("$1")
        shift
    done
    shift # the --
    "$DWPLAN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit $rc, want $want (stderr: $(head -c 300 "$TMP/err"))"; fi
    if [ ! -s "$TMP/out" ]; then ok; else bad "$name: wrote to stdout: $(head -c 200 "$TMP/out")"; fi
    if [ -s "$TMP/err" ]; then ok; else bad "$name: no message on stderr"; fi
    local p
    for p in "${pats[@]}"; do
        if grep -qF -- "$p" "$TMP/err"; then ok; else bad "$name: stderr lacks '$p': $(head -c 300 "$TMP/err")"; fi
    done
}

# ---------------------------------------------------------------------------
# budgets (usage errors: 2)

expect 2 "--compute abc" "--compute" "abc" -- --compute abc
expect 2 "--compute -1" "--compute" -- --compute -1
expect 2 "--compute inf" "--compute" "inf" -- --compute inf
expect 2 "--compute 0" "--compute" -- --compute 0
expect 2 "--compute 1e40" "--compute" "1e+40" -- --compute 1e40
expect 2 "unknown option" "--no-such-option" -- --compute 1e22 --no-such-option
expect 2 "--gpu nosuch" "nosuch" "h100" -- --gpu nosuch --gpus 1 --days 1

# ---------------------------------------------------------------------------
# laws

expect 2 "--law nosuchpreset" "nosuchpreset" "depth-delusion" "chinchilla-epoch" \
    -- --compute 1e22 --law nosuchpreset
expect 4 "--law /nonexistent.json" "/nonexistent.json" -- --compute 1e22 --law /nonexistent.json

printf '{"form": "chinchilla", "params": {"E": 1.8,\n' >"$TMP/malformed.json"
expect 3 "malformed law JSON" "malformed.json" -- --compute 1e22 --law "$TMP/malformed.json"

printf '{"form": "chinchilla", "params": {"E": 1.8172, "A": 477.84, "alpha": 0.34731, "B": 2143.86}}\n' \
    >"$TMP/missing.json"
expect 3 "law missing a parameter" "missing.json" "params.delta" \
    -- --compute 1e22 --law "$TMP/missing.json"

printf '{"form": "no-such-form", "params": {"E": 1.8}}\n' >"$TMP/badform.json"
expect 3 "law with unknown form" "badform.json" "no-such-form" \
    -- --compute 1e22 --law "$TMP/badform.json"

# ---------------------------------------------------------------------------
# check: a Hugging Face config without hidden_size

grep -v '"hidden_size"' "$SRC/examples/models/llama-2-7b.json" >"$TMP/nohidden.json"
if grep -q hidden_size "$TMP/nohidden.json"; then
    bad "could not build a config without hidden_size"
else
    expect 3 "check: config without hidden_size" "nohidden.json" "hidden_size" \
        -- check --hf-config "$TMP/nohidden.json"
fi

# ---------------------------------------------------------------------------
# fit

expect 2 "fit with no file" "fit" -- fit

printf 'depth,width,params,tokens,loss\n2,512,57768960,6.4e9,3.945\n8,512,76683264,6.4e9,abc\n16,512,101902336,6.4e9,3.435\n' \
    >"$TMP/badloss.csv"
expect 3 "fit: non-numeric loss" "badloss.csv:3" "abc" -- fit "$TMP/badloss.csv" --form chinchilla

finish cli_errors
