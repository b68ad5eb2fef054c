#!/usr/bin/env bash
# tests/cli_readme.sh — the numbers the README shows are the numbers dwplan prints today, from
# a clone (the data in datasets/public, nothing outside the repository):
#   - every code block marked <!-- readme-check: COMMAND --> must appear, line for line and
#     in order, in COMMAND's standard output (run in the source tree with this build's
#     dwplan); `readme-check slow:` blocks are left out under the sanitizers (DW_SANITIZED)
#     and said so;
#   - the numbers quoted in the README's text: Epoch's Chinchilla fit (objective, parameters,
#     1000-resample bootstrap intervals), the Gemstones objectives dwplan reaches, and β and
#     κ on examples/runs/synthetic_runs.jsonl, each read out of the README and compared with
#     the command's --json output at the README's precision.
# The check can fail: a README line changed by one digit must be reported (a planted copy of
# the README is checked too).
# usage: tests/cli_readme.sh path/to/dwplan
set -u
DWPLAN=$(realpath "${1:?usage: cli_readme.sh path/to/dwplan}")
SRC=$(realpath "${DW_SOURCE_DIR:-$(dirname "$0")/..}")
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
command -v python3 >/dev/null || skip_rest cli_readme "python3 not found: README checks skipped"
[ -f "$SRC/datasets/public/epoch_chinchilla.csv" ] ||
    skip_rest cli_readme "datasets/public missing: README checks skipped"

# blocks README: checks every marked block of README against its command's output
blocks() {
    DWPLAN="$DWPLAN" SRC="$SRC" SLOW_OK="${DW_SANITIZED:+0}" python3 - "$1" <<'PY'
import os, re, shlex, subprocess, sys
readme = open(sys.argv[1], encoding="utf-8").read()
slow_ok = os.environ.get("SLOW_OK", "1") != "0"
bad = 0
for m in re.finditer(r"<!-- readme-check( slow)?: (.*?) -->\n```\n(.*?)```\n", readme, re.S):
    slow, cmd, block = m.group(1), m.group(2), m.group(3).rstrip("\n").split("\n")
    if slow and not slow_ok:
        print(f"readme: skipped under the sanitizers (slow): {cmd}")
        continue
    argv = shlex.split(cmd)
    assert argv[0] == "dwplan", cmd
    out = subprocess.run([os.environ["DWPLAN"]] + argv[1:], cwd=os.environ["SRC"],
                         capture_output=True, text=True)
    lines = out.stdout.rstrip("\n").split("\n")
    k = 0
    for want in block:
        while k < len(lines) and lines[k] != want:
            k += 1
        if k == len(lines):
            print(f"FAIL: README block of '{cmd}' (exit {out.returncode}): line not in the "
                  f"output (in order): {want!r}", file=sys.stderr)
            bad += 1
            break
        k += 1
    else:
        print(f"readme: {len(block)} lines of '{cmd}' match")
sys.exit(1 if bad else 0)
PY
}

if blocks "$SRC/README.md"; then ok; else bad "README code blocks differ from dwplan's output"; fi
# the check must be able to fail: one digit changed in a copy of the README
# (whatever depth the sample recommends: its first digit is changed to another digit)
python3 - "$SRC/README.md" "$tmp/README.md" <<'PY'
import re, sys
src = open(sys.argv[1]).read().split("\n")
for i, line in enumerate(src):
    m = re.match(r"^(  depth D +)(\d)", line)
    if m:
        d = m.group(2)
        src[i] = m.group(1) + ("8" if d == "9" else str(int(d) + 1)) + line[m.end():]
        break
open(sys.argv[2], "w").write("\n".join(src))
PY
if cmp -s "$SRC/README.md" "$tmp/README.md"; then
    bad "planted change: the README's sample output has no '  depth D  N layers' line"
elif blocks "$tmp/README.md" >/dev/null 2>&1; then
    bad "a README block changed by one digit still passed"
else
    ok
fi

# numbers quoted in the README's text, against the --json output
cd "$SRC" || exit 1
"$DWPLAN" fit datasets/public/epoch_chinchilla.csv --where epoch_outlier_excluded=0 \
    --form chinchilla --objective huber --n-convention total --flops 6NT --json >"$tmp/chin.json" 2>/dev/null
if [ -z "${DW_SANITIZED:-}" ]; then
    "$DWPLAN" fit datasets/public/epoch_chinchilla.csv --where epoch_outlier_excluded=0 \
        --form chinchilla --objective huber --n-convention total --flops 6NT --bootstrap 1000 \
        --json >"$tmp/boot.json" 2>/dev/null
    for f in W,D,N,T:1e-4 W,D,N,T:1e-3 N,T:1e-4; do
        "$DWPLAN" fit datasets/public/gemstones_valloss_hot_every10B.csv --objective huber \
            --delta "${f#*:}" --form "separable:${f%:*}" --json >"$tmp/gem_${f%:*}_${f#*:}.json" 2>/dev/null
    done
else
    echo "readme: bootstrap and Gemstones fits skipped under the sanitizers (slow)"
fi
"$DWPLAN" fit examples/runs/synthetic_runs.jsonl --critical-depth --json >"$tmp/depth.json" 2>/dev/null
python3 - "$SRC/README.md" "$tmp" <<'PY'
import json, os, re, sys
readme, tmp = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
bad = 0
def check(name, got, text):
    """got rounded to the README's digits must read as the README's text."""
    global bad
    dec = len(text.split(".")[1]) if "." in text else 0
    if f"{got:.{dec}f}" != text:
        print(f"FAIL: README {name} = {text}, dwplan gives {got:.{dec + 3}f}", file=sys.stderr)
        bad += 1
def load(name):
    p = os.path.join(tmp, name)
    return json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else None
m = re.search(r"objective (0\.\d+) from dwplan's own 36-start grid \(Epoch: [\d.]+\); "
              r"E (\d+(?:\.\d+)?), A (\d+(?:\.\d+)?), α (\d+(?:\.\d+)?), B (\d+), β (\d+(?:\.\d+)?)", readme)
chin = load("chin.json")
if not m or not chin:
    print("FAIL: no Chinchilla row in the README or no fit", file=sys.stderr); bad += 1
else:
    check("Chinchilla objective", chin["fit"]["objective"], m.group(1))
    for k, g in zip(["E", "A", "alpha", "B", "delta"], m.groups()[1:]):
        check(f"Chinchilla {k}", chin["params"][k], g)
boot = load("boot.json")
m = re.search(r"1000-resample bootstrap CIs E \[(\d+(?:\.\d+)?), (\d+(?:\.\d+)?)\], α \[(\d+(?:\.\d+)?), (\d+(?:\.\d+)?)\], "
              r"β \[(\d+(?:\.\d+)?), (\d+(?:\.\d+)?)\]", readme)
if boot and m:
    for i, k in enumerate(["E", "alpha", "delta"]):
        check(f"bootstrap {k} low", boot["ci"][k][0], m.group(2 * i + 1))
        check(f"bootstrap {k} high", boot["ci"][k][1], m.group(2 * i + 2))
elif boot:
    print("FAIL: no bootstrap intervals in the README", file=sys.stderr); bad += 1
m = re.search(r"W,D,N,T δ = 1e-4 (0\.\d+) \(published [\d.]+\), δ = 1e-3 (0\.\d+) "
              r"\([\d.]+\), N,T (0\.\d+)", readme)
gem = [load("gem_W,D,N,T_1e-4.json"), load("gem_W,D,N,T_1e-3.json"), load("gem_N,T_1e-4.json")]
if all(gem) and m:
    for j, g in zip(gem, m.groups()):
        check(f"Gemstones objective", j["fit"]["objective"], g)
elif all(gem):
    print("FAIL: no Gemstones objectives in the README", file=sys.stderr); bad += 1
m = re.search(r"it finds β = (\d+(?:\.\d+)?) ± (\d+(?:\.\d+)?) and κ = (\d+(?:\.\d+)?) ± (\d+(?:\.\d+)?)", readme)
dep = load("depth.json")
if not m or not dep:
    print("FAIL: no β/κ sentence in the README or no analysis", file=sys.stderr); bad += 1
else:
    check("tau beta", dep["tau_width"]["power"]["beta"], m.group(1))
    check("tau beta SE", dep["tau_width"]["power"]["beta_se"], m.group(2))
    check("kappa", dep["kappa"]["kappa"], m.group(3))
    check("kappa SE", dep["kappa"]["kappa_se"], m.group(4))
print(f"readme: quoted numbers checked, {bad} wrong")
sys.exit(1 if bad else 0)
PY
if [ $? -eq 0 ]; then ok; else bad "numbers quoted in the README differ from dwplan's"; fi
finish cli_readme
