# tests/harness.sh — the assertions of the CLI test scripts that source it:
#   . "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# ok / bad MESSAGE count a pass or a failure; check NAME 'SHELL CONDITION' evaluates the
# condition; $tmp is a fresh directory removed on exit; finish NAME prints the counts and
# returns the exit status (0 when nothing failed).
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
