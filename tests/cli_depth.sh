#!/usr/bin/env bash
# tests/cli_depth.sh — drives `dwplan fit DATA --critical-depth [--json]` (DESIGN §4.3
# "Gradient persistence", "Critical depth"; cli/fit_depth.c).
#
#   - on examples/runs/synthetic_runs.jsonl (truth τ = 0.9·W^0.44, D_crit = 2.43·ln W) the JSON
#     gives β within 0.1 of 0.44 and κ within 0.3 of 2.43, every width an interior minimum;
#   - the text report shows τ(W) both ways, D_crit per width and κ against the paper;
#   - runs whose status is not "ok" are left out; --map grad_norms=COL; --where;
#   - exit 1 when nothing can be estimated, 3 for bad data (file:line and column named).
#
# usage: bash tests/cli_depth.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree, for examples/runs)
# Exits 77 (skip) while `fit --critical-depth` is not recognised by the binary, and after the
# other checks when python3 is missing (the JSON checks cannot run; 1 if anything failed).
set -u

DWPLAN=${1:?usage: cli_depth.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=$SRC/examples/runs/synthetic_runs.jsonl
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
TMP=$tmp

HAVE_PY=0
if command -v python3 >/dev/null 2>&1; then HAVE_PY=1; else echo "cli_depth: python3 not found: skipping the JSON checks"; fi

# py NAME SCRIPT: runs SCRIPT with the JSON on stdin as `d`; the script raises on failure
py() {
    [ "$HAVE_PY" -eq 1 ] || return 0
    local name=$1 script=$2 msg
    if msg=$(python3 -c "import json, math, sys
d = json.load(sys.stdin)
$script" <"$TMP/out" 2>&1); then ok; else bad "$name: $msg"; fi
}

# ---------------------------------------------------------------------------
# wired yet?

run fit "$DATA" --critical-depth --json
if [ "$RC" -eq 2 ] && grep -qiE "unknown option|critical-depth" "$TMP/err"; then
    echo "cli_depth: 'dwplan fit --critical-depth' not recognised yet: skipped ($(head -c 200 "$TMP/err"))"
    exit 77
fi

# ---------------------------------------------------------------------------
# the synthetic example: recovery of the truth

if [ "$RC" -eq 0 ]; then ok; else bad "example --json: exit $RC (stderr: $(head -c 300 "$TMP/err"))"; fi
py "example --json" '
tw, k = d["tau_width"], d["kappa"]
assert set(d) >= {"tau_runs", "tau_width", "dcrit", "kappa"}, sorted(d)
assert tw["ok"] and abs(tw["power"]["beta"] - 0.44) < 0.1, tw
assert tw["power"]["beta_se"] > 0 and tw["power"]["r2"] > tw["log"]["r2"], tw
assert tw["n"] == 35 and tw["nskipped"] == 5 and tw["nwidths"] == 5, tw
assert k["ok"] and abs(k["kappa"] - 2.43) < 0.3 and k["kappa_se"] > 0, k
assert k["power"] is not None and k["power"]["beta_se"] > 0, k
assert len(d["tau_runs"]) == 40 and sum(r["ok"] for r in d["tau_runs"]) == 35
assert all(r["why"] == "needs >= 3 layers, have 2" for r in d["tau_runs"] if not r["ok"])
assert len(d["dcrit"]) == 5 and all(x["kind"] == "interior" for x in d["dcrit"]), d["dcrit"]
for x in d["dcrit"]:
    truth = 2.43 * math.log(x["width"])
    assert x["lo"] < x["dcrit"] < x["hi"] and abs(x["dcrit"] / truth - 1) < 0.15, (x, truth)
    assert x["tokens"] == 2e9 and len(x["curve"]) == 8
assert d["columns"]["loss"] == "val_loss" and d["columns"]["grad_norms"] == "grad_norms"
'

run fit "$DATA" --critical-depth
if [ "$RC" -eq 0 ]; then ok; else bad "example text: exit $RC"; fi
has "$TMP/out" "example text" "tau = t0·W^beta" "tau = a + b·ln W" "paper: beta ≈ 0.44, R² 0.98 (power) vs 0.60 (log)" \
    "W = 1024, tokens 2.00e9" "D_crit = kappa·ln W" "paper: kappa = 2.43" "D_crit = c·W^beta" \
    "needs >= 3 layers, have 2" " ± "

# --where to one width: τ(W) and κ cannot be estimated, D_crit still can
run fit "$DATA" --critical-depth --json --where width=256
if [ "$RC" -eq 0 ]; then ok; else bad "--where width=256: exit $RC"; fi
py "--where width=256" '
assert not d["tau_width"]["ok"] and "2 distinct widths" in d["tau_width"]["why"], d["tau_width"]
assert not d["kappa"]["ok"] and ">= 2 widths" in d["kappa"]["why"], d["kappa"]
assert len(d["dcrit"]) == 1 and d["dcrit"][0]["kind"] == "interior"
'

# ---------------------------------------------------------------------------
# status, --map, tokens

{
    grep '"width":128,' "$DATA"
    grep '"width":512,' "$DATA"
    grep '"width":1024,' "$DATA"
} | sed 's/"grad_norms"/"g"/' >"$TMP/mapped.jsonl"
echo '{"depth":64,"width":512,"tokens":2000000000,"val_loss":1.0,"g":[1,2,3],"status":"diverged"}' >>"$TMP/mapped.jsonl"
echo '{"depth":8,"width":512,"tokens":4000000000,"val_loss":1.5,"g":[1,2,3],"status":"ok"}' >>"$TMP/mapped.jsonl"
run fit "$TMP/mapped.jsonl" --critical-depth --json --map grad_norms=g
if [ "$RC" -eq 0 ]; then ok; else bad "--map grad_norms=g: exit $RC (stderr: $(head -c 300 "$TMP/err"))"; fi
py "--map grad_norms=g, status, tokens" '
assert d["columns"]["grad_norms"] == "g" and d["runs_skipped_status"] == 1, d["columns"]
assert d["runs"] == 25 and d["tau_width"]["ok"] and d["tau_width"]["n"] == 22, d["tau_width"]
w512 = [x for x in d["dcrit"] if x["width"] == 512][0]
assert w512["ndropped"] == 1 and w512["tokens"] == 2e9 and w512["kind"] == "interior", w512
assert d["kappa"]["ok"] and d["kappa"]["power"] is not None
'

# ---------------------------------------------------------------------------
# nothing to estimate: exit 1, the report still says why

printf 'depth,width,loss\n2,256,3.0\n4,256,2.9\n8,256,2.8\n' >"$TMP/mono.csv"
run fit "$TMP/mono.csv" --critical-depth
if [ "$RC" -eq 1 ]; then ok; else bad "monotone: exit $RC, want 1"; fi
has "$TMP/out" "monotone" "no interior minimum: lowest loss at the largest depth (8)" "no grad_norms column"
has "$TMP/err" "monotone stderr" "mono.csv" "nothing could be estimated"

# ---------------------------------------------------------------------------
# bad data: exit 3, file:line and column on stderr, nothing on stdout

# expect3 NAME [FILE]: FILE defaults to bad.jsonl
expect3() {
    local name=$1 file=${2:-$TMP/bad.jsonl}
    run fit "$file" --critical-depth
    if [ "$RC" -eq 3 ]; then ok; else bad "$name: exit $RC, want 3 (stderr: $(head -c 300 "$TMP/err"))"; fi
    if [ ! -s "$TMP/out" ]; then ok; else bad "$name: wrote to stdout"; fi
}

head -n 3 "$DATA" >"$TMP/bad.jsonl"
echo '{"depth":4,"width":64,"tokens":2000000000,"val_loss":3.5,"grad_norms":[0.1,0.2,0,0.4]}' >>"$TMP/bad.jsonl"
expect3 "zero gradient norm"
has "$TMP/err" "zero gradient norm" "bad.jsonl:4" "'grad_norms'" "layer 2" "must be positive and finite"

head -n 2 "$DATA" >"$TMP/bad.jsonl"
echo '{"depth":4,"width":64,"tokens":2000000000,"val_loss":3.5,"grad_norms":"high"}' >>"$TMP/bad.jsonl"
expect3 "grad_norms not an array"
has "$TMP/err" "grad_norms not an array" "bad.jsonl:3" "'grad_norms'" "not a JSON array"

head -n 2 "$DATA" >"$TMP/bad.jsonl"
echo '{"depth":4,"width":-64,"tokens":2000000000,"val_loss":3.5}' >>"$TMP/bad.jsonl"
expect3 "negative width"
has "$TMP/err" "negative width" "bad.jsonl:3" "'width'" "'-64' is not a positive number"

head -n 2 "$DATA" >"$TMP/bad.jsonl"
echo '{"depth":4,"width":64,"tokens":2000000000,"val_loss":"n/a"}' >>"$TMP/bad.jsonl"
expect3 "loss not a number"
has "$TMP/err" "loss not a number" "bad.jsonl:3" "'val_loss'" "is not a positive number"

printf 'n,width,loss\n2,256,3.0\n4,256,2.9\n8,256,2.8\n' >"$TMP/bad.csv"
expect3 "no depth column" "$TMP/bad.csv"
has "$TMP/err" "no depth column" "needs a depth column" "--map depth="

[ "$HAVE_PY" -eq 1 ] || skip_rest cli_depth "python3 not found: the JSON checks did not run"
finish cli_depth
