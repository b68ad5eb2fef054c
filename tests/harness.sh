# tests/harness.sh — the assertions of the CLI test scripts that source it:
#   . "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# ok / bad MESSAGE count a pass or a failure; check NAME 'SHELL CONDITION' evaluates the
# condition; $tmp is a fresh directory removed on exit; finish NAME prints the counts and
# returns the exit status (0 when nothing failed); skip_rest NAME WHY prints the counts and
# exits 77 (skipped) or 1 when something already failed. For scripts that drive $DWPLAN:
# run ARGS... (stdout, stderr to $tmp/out, $tmp/err; exit code in $RC), expect_rc NAME WANT,
# has FILE NAME STRING... (each STRING must occur in FILE).
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
skip_rest() {
    echo "$1: $2"
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ] && exit 77
    exit 1
}
run() {
    "$DWPLAN" "$@" >"$tmp/out" 2>"$tmp/err"
    RC=$?
}
expect_rc() { # NAME WANT
    if [ "$RC" -eq "$2" ]; then ok; else bad "$1: exit $RC, want $2: $(tail -c 600 "$tmp/err")"; fi
}
has() { # FILE NAME STRING...
    local f=$1 name=$2 p
    shift 2
    for p in "$@"; do
        if grep -qF -- "$p" "$f"; then ok; else bad "$name: $(basename "$f") lacks '$p': $(head -c 300 "$f")"; fi
    done
}
