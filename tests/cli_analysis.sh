#!/usr/bin/env bash
# tests/cli_analysis.sh — the CLI renders what the analysis library decided (issue 11): data
# that cannot determine a result exit 3 (DW_EDATA), a result the data allow but the analysis
# does not reach exits 1, runs whose status is not "ok" are left out and counted, a sweep at
# one token count can be compared (B = 0 absorbed into E, with a note), and `check
# --depth --width` uses the planner's head width.
# usage: tests/cli_analysis.sh path/to/dwplan
set -u
DWPLAN=${1:?usage: cli_analysis.sh path/to/dwplan}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
cd "$tmp"

# rows of chinchilla at one token count (losses from E + A·N^-0.3, N = 12·D·W² + 13·D·W)
python3 - >one_t.csv <<'PY'
print("depth,width,tokens,loss")
for w in (64, 128, 256):
    for d in (2, 4, 8):
        n = d * (12 * w * w + 13 * w)
        print(f"{d},{w},2e9,{1.8 + 400 * n ** -0.3:.12f}")
PY

# 1. data that cannot determine the fit: exit 3, with the reason
run fit one_t.csv --form chinchilla
expect_rc "one token count, chinchilla" 3
has "$tmp/err" "one token count" "all 9 rows have tokens = 2e+09" "fix that term's parameters"
printf 'depth,width,tokens,loss\n2,64,1e9,3.0\n4,128,2e9,2.8\n' >two.csv
run fit two.csv --form chinchilla
expect_rc "two rows, five parameters" 3
has "$tmp/err" "two rows" "2 rows cannot determine"
run fit one_t.csv --form chinchilla --fix B=0,delta=0.1
expect_rc "B fixed at 0: identifiable" 0
has "$tmp/out" "B fixed" "columns: depth 'depth', width 'width', params none, tokens 'tokens'"

# 2. --compare on the same rows: B·T^-delta absorbed into E and said so
run fit one_t.csv --compare chinchilla,shape:log
expect_rc "compare at one token count" 0
has "$tmp/out" "compare" "note: chinchilla: every row has T = 2e9: B·T^-delta is a constant absorbed into E"
run fit one_t.csv --compare chinchilla --json
expect_rc "compare --json" 0
check "compare --json names the note" 'python3 -c "import json,sys; d=json.load(open(\"$tmp/out\")); assert \"absorbed into E\" in d[\"forms\"][0][\"note\"]"'

# 3. runs that diverged or failed are left out of every analysis, and counted
cat >status.jsonl <<'J'
{"depth":2,"width":64,"tokens":1e9,"val_loss":3.2,"status":"ok"}
{"depth":4,"width":64,"tokens":1e9,"val_loss":3.0,"status":"ok"}
{"depth":8,"width":64,"tokens":1e9,"val_loss":3.1,"status":"ok"}
{"depth":16,"width":64,"tokens":1e9,"val_loss":null,"status":"diverged"}
{"depth":2,"width":128,"tokens":1e9,"val_loss":3.1,"status":"ok"}
{"depth":4,"width":128,"tokens":1e9,"val_loss":2.9,"status":"ok"}
{"depth":8,"width":128,"tokens":1e9,"val_loss":2.95,"status":"ok"}
J
run fit status.jsonl --critical-depth
expect_rc "critical depth with a diverged run" 0
has "$tmp/out" "status" "left out: 1 row whose status is not \"ok\"" "W = 64, tokens 1.00e9: 3 depths, 3 runs"
run fit status.jsonl --form chinchilla --fix B=0,delta=0.1
expect_rc "fit with a diverged run" 0
has "$tmp/out" "fit status" "left out: 1 row whose status is not \"ok\"" "(6 rows, 6 shapes"

# 4. --critical-depth: nothing estimable is exit 1; a missing width column is exit 3
printf 'depth,width,tokens,loss\n2,64,1e9,3.0\n4,64,1e9,2.9\n8,64,1e9,2.8\n' >mono.csv
run fit mono.csv --critical-depth
expect_rc "no interior minimum, no gradients" 1
has "$tmp/err" "nothing estimable" "nothing could be estimated"
printf 'depth,tokens,loss\n2,1e9,3.0\n4,1e9,2.9\n' >nowidth.csv
run fit nowidth.csv --critical-depth
expect_rc "no width column" 3
has "$tmp/err" "no width" "needs a width column (looked for width, d_model" "--map width=COLUMN"

# 5. check --depth --width: the planner's head width (32 below W = 256)
run check --depth 4 --width 128 --json
expect_rc "check 4x128" 0
check "check 4x128 has 4 heads of 32" 'python3 -c "import json; s=json.load(open(\"$tmp/out\"))[\"shape\"]; assert (s[\"heads\"], s[\"head_dim\"]) == (4, 32), s"'
run check --depth 12 --width 2048 --json
check "check 12x2048 has 16 heads of 128" 'python3 -c "import json; s=json.load(open(\"$tmp/out\"))[\"shape\"]; assert (s[\"heads\"], s[\"head_dim\"]) == (16, 128), s"'

finish cli_analysis
