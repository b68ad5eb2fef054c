#!/usr/bin/env bash
# tests/cli_output.sh — what `-o PATH` is decides how dwplan writes it (issue 14, findings 4
# and 7; common/dw.h states the rules, common/dwout.c implements them):
#
#   - a character device is written through, never replaced: first a private null device
#     made with mknod in $tmp (root only), then — only once that one survived, or when we are
#     not root and could not replace it anyway — the system's /dev/null, which must still be
#     a character device afterwards;
#   - a FIFO is written through to its reader and stays a FIFO;
#   - a symlink is followed: its target gets the law, the link stays, stderr says so;
#     a dangling link is refused (exit 2) and left alone;
#   - a directory (exit 2), a missing directory (exit 4) and a read-only file system (exit 4,
#     root: a read-only tmpfs) are refused before the fit runs: nothing on stdout;
#   - law.json.tmp.PID of a dead process is removed by the next fit -o law.json; one of a
#     running process is kept and mentioned;
#   - plot -o DIR.png (a directory) and report -o FILE (a file) are refused before any work;
#   - probe run -o /dev/null and -o FIFO: the run's record is appended through, exit 0;
#   - probe run -o DIR / --checkpoint FILE, probe sweep -o DIR, data generate -o DIR and
#     data prepare -o FILE are refused before their work; data generate and plot -o through a
#     symlink write its target and keep the link;
#   - a checkpoint's DIR.tmp.PID/ of a dead writer is removed by the next save.
#
# usage: bash tests/cli_output.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (source tree), DW_DATA_DIR (published tables)
set -u
DWPLAN=$1
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DW_DATA_DIR:-$SRC/datasets/public}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
csv=$DATA/epoch_chinchilla.csv
[ -f "$csv" ] || skip_rest cli_output "no $csv"
fit() { run fit "$csv" --form chinchilla --n-convention total --flops 6NT "$@"; }

# 1. character devices: a private one first, /dev/null only once that one held
dev_ok=
if mknod "$tmp/null" c 1 3 2>/dev/null && : >"$tmp/null" 2>/dev/null; then
    fit -o "$tmp/null"
    expect_rc "fit -o private null device" 0
    if [ -c "$tmp/null" ]; then ok; dev_ok=1; else bad "fit -o $tmp/null replaced the device"; fi
elif [ "$(id -u)" -ne 0 ]; then
    dev_ok=1 # not root: the rename into /dev would fail, /dev/null cannot be replaced
else
    echo "cli_output: no mknod here; /dev/null not tried as root" >&2
fi
if [ -n "$dev_ok" ]; then
    fit -o /dev/null
    expect_rc "fit -o /dev/null" 0
    check "/dev/null is still a character device" '[ -c /dev/null ]'
    check "/dev/null holds nothing" '[ ! -s /dev/null ]'
    check "no temporary in /dev" '! ls /dev/null.tmp.* >/dev/null 2>&1'
fi

# 2. a FIFO: the reader gets the law, the FIFO stays
mkfifo "$tmp/fifo"
timeout 20 cat "$tmp/fifo" >"$tmp/fifo.out" &
reader=$!
timeout 20 "$DWPLAN" fit "$csv" --form chinchilla --n-convention total --flops 6NT \
    -o "$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
RC=$?
expect_rc "fit -o FIFO" 0
wait "$reader"
check "FIFO is still a FIFO" '[ -p "$tmp/fifo" ]'
has "$tmp/fifo.out" "FIFO reader" '"dwplan_law"' '"chinchilla"'

# 3. symlinks: followed; a dangling one refused
mkdir "$tmp/d"
echo old >"$tmp/d/real.json"
ln -s d/real.json "$tmp/link.json"
fit -o "$tmp/link.json"
expect_rc "fit -o symlink" 0
check "symlink kept" '[ -L "$tmp/link.json" ]'
has "$tmp/d/real.json" "symlink target" '"dwplan_law"'
has "$tmp/err" "symlink note" "is a symlink: writing to the file it points to" "real.json"
ln -s nowhere/law.json "$tmp/dangling.json"
fit -o "$tmp/dangling.json"
expect_rc "fit -o dangling symlink" 2
has "$tmp/err" "dangling message" "nowhere/law.json" "does not exist"
check "dangling link left alone" '[ -L "$tmp/dangling.json" ] && [ ! -e "$tmp/d/nowhere" ]'
check "dangling: refused before the fit" '[ ! -s "$tmp/out" ]'

# 4. refused before the work: a directory, a missing directory, a read-only file system
fit -o "$tmp/d"
expect_rc "fit -o DIR" 2
has "$tmp/err" "directory message" "is a directory"
check "directory: refused before the fit" '[ ! -s "$tmp/out" ]'
check "directory: still a directory" '[ -d "$tmp/d" ] && [ -f "$tmp/d/real.json" ]'
fit -o "$tmp/no/such/law.json"
expect_rc "fit -o missing dir" 4
has "$tmp/err" "missing dir message" "$tmp/no/such"
check "missing dir: refused before the fit" '[ ! -s "$tmp/out" ]'
if mkdir "$tmp/ro" && mount -t tmpfs -o size=64k,ro tmpfs "$tmp/ro" 2>/dev/null; then
    fit -o "$tmp/ro/law.json"
    expect_rc "fit -o on a read-only fs" 4
    has "$tmp/err" "read-only message" "not writable" "Read-only file system"
    check "read-only: refused before the fit" '[ ! -s "$tmp/out" ]'
    umount "$tmp/ro"
elif [ "$(id -u)" -ne 0 ]; then
    chmod 555 "$tmp/ro"
    fit -o "$tmp/ro/law.json"
    expect_rc "fit -o in a read-only dir" 4
    check "read-only: refused before the fit" '[ ! -s "$tmp/out" ]'
fi

# 5. temporaries: a dead writer's removed, a live one's kept and mentioned
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo '{"half a la' >"$tmp/law.json.tmp.$dead"
echo 'running' >"$tmp/law.json.tmp.$$"
fit -o "$tmp/law.json"
expect_rc "fit -o with stale temporaries" 0
check "dead writer's temporary removed" '[ ! -e "$tmp/law.json.tmp.$dead" ]'
check "live writer's temporary kept" '[ -e "$tmp/law.json.tmp.$$" ]'
has "$tmp/err" "live temporary note" "running processes"
has "$tmp/law.json" "law written" '"dwplan_law"'

# 6. plot and report: the wrong kind of output path, refused before any work
mkdir "$tmp/fig.png"
run plot frontier --law depth-delusion -o "$tmp/fig.png"
expect_rc "plot -o DIR.png" 2
has "$tmp/err" "plot directory message" "is a directory"
check "plot: nothing written" '[ -z "$(ls -A "$tmp/fig.png")" ] && [ ! -e "$tmp/fig.gp" ]'
echo keep >"$tmp/rep"
run report --law depth-delusion -o "$tmp/rep"
expect_rc "report -o FILE" 2
has "$tmp/err" "report file message" "not a directory"
check "report: file untouched" '[ "$(cat "$tmp/rep")" = keep ]'

# 7. probe run appends its record through to /dev/null and to a FIFO (no fsync error after
#    the run, no record lost)
P="--depth 2 --width 16 --steps 2 --batch 2 --seq 16 --val-batches 2 --synthetic-tokens 65536"
P="$P --threads 1 --quiet"
run probe run $P -o /dev/null
expect_rc "probe run -o /dev/null" 0
check "/dev/null still a character device after probe run" '[ -c /dev/null ]'
timeout 60 cat "$tmp/fifo" >"$tmp/fifo2.out" &
reader=$!
timeout 60 "$DWPLAN" probe run $P -o "$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
RC=$?
expect_rc "probe run -o FIFO" 0
wait "$reader"
check "probe run: one record through the FIFO" \
    '[ "$(wc -l <"$tmp/fifo2.out")" -eq 1 ] && grep -q "\"depth\"" "$tmp/fifo2.out"'

# 8. every command with an output refuses the wrong kind of path before its work (a run of a
#    million steps would time out if it started), and the figure behind a symlink is written
#    to the link's target (the link stays)
L="--depth 2 --width 16 --steps 1000000 --batch 2 --seq 16 --synthetic-tokens 65536 --quiet"
trun() { timeout 20 "$DWPLAN" "$@" >"$tmp/out" 2>"$tmp/err"; RC=$?; }
trun probe run $L -o "$tmp/d"
expect_rc "probe run -o DIR" 2
has "$tmp/err" "probe run -o DIR message" "is a directory"
check "probe run -o DIR: refused before the run" '[ ! -s "$tmp/out" ]'
echo keep >"$tmp/ckfile"
trun probe run $L --checkpoint "$tmp/ckfile"
expect_rc "probe run --checkpoint FILE" 2
has "$tmp/err" "checkpoint FILE message" "ckfile" "not a directory"
check "checkpoint FILE: refused before the run, untouched" \
    '[ ! -s "$tmp/out" ] && [ "$(cat "$tmp/ckfile")" = keep ]'
trun probe sweep --depths 1 --widths 16 --steps 1000000 --batch 2 --seq 16 \
    --synthetic-tokens 65536 --threads 1 --quiet -o "$tmp/d"
expect_rc "probe sweep -o DIR" 2
has "$tmp/err" "probe sweep -o DIR message" "is a directory"
trun data generate --tokens 100G -o "$tmp/d"
expect_rc "data generate -o DIR" 2
run data prepare --corpus synthetic --tokens 4000 -o "$tmp/ckfile" --quiet
expect_rc "data prepare -o FILE" 2
check "data prepare -o FILE: untouched" '[ "$(cat "$tmp/ckfile")" = keep ]'
run data generate --tokens 1000 -o "$tmp/link.json"
expect_rc "data generate -o symlink" 0
check "data generate -o symlink: the target holds the text, the link stays" \
    '[ -L "$tmp/link.json" ] && [ "$(wc -c <"$tmp/d/real.json")" -eq 1000 ]'
if command -v gnuplot >/dev/null 2>&1; then
    echo old >"$tmp/d/real.png"
    ln -s d/real.png "$tmp/fig2.png"
    run plot frontier --law depth-delusion -o "$tmp/fig2.png"
    expect_rc "plot -o symlink" 0
    check "plot -o symlink: link kept, target is a PNG" \
        '[ -L "$tmp/fig2.png" ] && head -c 8 "$tmp/d/real.png" | grep -q PNG'
fi

# 9. a checkpoint's temporary directory left by a killed writer goes on the next save
sh -c 'exit 0' &
dead=$!
wait "$dead"
mkdir "$tmp/ck.tmp.$dead"
head -c 4096 /dev/zero >"$tmp/ck.tmp.$dead/model.safetensors"
run probe run $P --checkpoint "$tmp/ck"
expect_rc "probe run --checkpoint with a dead writer's temporary" 0
check "dead writer's checkpoint temporary removed" '[ ! -e "$tmp/ck.tmp.$dead" ]'
check "checkpoint written" '[ -f "$tmp/ck/model.safetensors" ]'

finish cli_output
