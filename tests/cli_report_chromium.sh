#!/usr/bin/env bash
# tests/cli_report_chromium.sh — renders a report's index.html in headless Chromium and checks
# that every image loaded (plots/report.c).
#
#   - builds a report from examples/runs/synthetic_runs.jsonl and the depth-delusion preset;
#   - in a copy of the page (check.html, beside index.html so relative paths still resolve)
#     adds a small inline script that, on the load event, marks each <img> with
#     data-loaded="1" when it decoded (complete and naturalWidth > 0) and "0" otherwise, and the
#     body with the number of images; `chromium --dump-dom` prints the DOM after load;
#   - every one of the 7 images must be marked 1, none 0;
#   - control: with one PNG deleted the same check must report exactly one 0 (so the check can
#     fail);
#   - `chromium --screenshot` of index.html writes a PNG of the window size.
#
# usage: bash tests/cli_report_chromium.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree)
# Exits 77 (skip) when Chromium (Debian package: chromium) or gnuplot is not installed.
set -u

DWPLAN=${1:?usage: cli_report_chromium.sh /path/to/dwplan}
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
RUNS=$SRC/examples/runs/synthetic_runs.jsonl

CHROME=
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
        CHROME=$c
        break
    fi
done
if [ -z "$CHROME" ]; then
    echo "cli_report_chromium: Chromium not found (Debian: apt-get install chromium): skipped"
    exit 77
fi
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "cli_report_chromium: gnuplot not found (Debian: gnuplot-nox): skipped"
    exit 77
fi

. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
TMP=$tmp

# chrome ARGS...: headless, no network, no profile of the user's, bounded in time
chrome() {
    HOME=$TMP timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --user-data-dir="$(mktemp -d "$TMP/profile.XXXXXX")" "$@" 2>>"$TMP/chrome.err"
}

# marks DIR: writes DIR/check.html (index.html plus the marking script), dumps the DOM after
# load, sets LOADED, FAILED (image counts) and NIMG (the body's count)
MARK='<script>window.addEventListener("load",function(){var a=document.images;for(var i=0;i<a.length;i++){a[i].setAttribute("data-loaded",a[i].complete\&\&a[i].naturalWidth>0?"1":"0");}document.body.setAttribute("data-images",String(a.length));});</script></body>'
marks() {
    sed "s|</body>|$MARK|" "$1/index.html" >"$1/check.html"
    chrome --dump-dom "file://$1/check.html" >"$TMP/dom.html"
    LOADED=$(grep -o 'data-loaded="1"' "$TMP/dom.html" | wc -l | tr -d ' ')
    FAILED=$(grep -o 'data-loaded="0"' "$TMP/dom.html" | wc -l | tr -d ' ')
    NIMG=$(grep -o 'data-images="[0-9]*"' "$TMP/dom.html" | grep -o '[0-9]*' | head -1)
}

D=$TMP/report
if ! "$DWPLAN" report "$RUNS" --law depth-delusion --n-source shape --no-cv -o "$D" >"$TMP/out" 2>"$TMP/err"; then
    bad "dwplan report failed: $(tail -c 600 "$TMP/err")"
    finish cli_report_chromium
    exit 1
fi
D=$(cd "$D" && pwd)

marks "$D"
if [ "${NIMG:-}" = 7 ]; then ok; else bad "the page has '${NIMG:-?}' images after load, want 7 (chromium: $(tail -c 300 "$TMP/chrome.err"))"; fi
if [ "$LOADED" -eq 7 ] && [ "$FAILED" -eq 0 ]; then ok; else bad "$LOADED images loaded, $FAILED failed, want 7 and 0"; fi

# control: a missing image must be seen as missing
cp -r "$D" "$TMP/broken"
rm -f "$TMP/broken/tau.png"
marks "$TMP/broken"
if [ "$LOADED" -eq 6 ] && [ "$FAILED" -eq 1 ]; then ok; else bad "control: with tau.png deleted, $LOADED loaded and $FAILED failed, want 6 and 1"; fi

# a screenshot of the page
chrome --window-size=1200,3000 --screenshot="$TMP/shot.png" "file://$D/index.html" >/dev/null
hex=$(od -An -tx1 -N24 "$TMP/shot.png" 2>/dev/null | tr -d ' \n')
if [ "${hex:0:16}" = "89504e470d0a1a0a" ] && [ "$((16#${hex:32:8}))" -eq 1200 ]; then ok; else bad "screenshot: not a 1200-wide PNG"; fi

finish cli_report_chromium
