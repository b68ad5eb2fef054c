#!/usr/bin/env bash
# tests/cli_examples.sh — every example runs from a fresh clone (issue 12, case 15).
#
# Collects, at run time:
#   - the "example:"/"examples:" section of `dwplan --help`, of every command's --help
#     (commands from the usage list of `dwplan --help`) and of every subcommand's --help
#     (each word W where "dwplan C W" appears in C's help, or the first word of a line of
#     its "subcommands:" section, whose `dwplan C W --help` succeeds with its own text);
#     a line "  dwplan ..." starts a command, a trailing "\" continues it;
#   - every command line of README.md, docs/*.md and examples/*/README.md in a fenced block
#     marked sh, bash, shell or console that starts with `dwplan`, `./build/dwplan` or
#     `$ ` and one of those (with "\" continuations), and the command of each
#     `<!-- readme-check: CMD -->` marker.
# Each help text and each document is a group: its commands run in order in one scratch
# directory of their own (so a later example may read what an earlier one wrote), which
# holds links to the clone's top-level files (so repository paths resolve and outputs land
# in the scratch directory). `dwplan` and `./build/dwplan` are the binary under test; the
# data directory is a fresh one. Each command gets a timeout (DW_EXAMPLE_TIMEOUT, 120 s)
# and must exit 0, or N when its line carries the marker "[exit N]" (in a trailing shell
# comment, e.g. `dwplan fit ... # [exit 1] no interior minimum`).
#
# Skipped, each with its reason printed and counted: the commands matched by SKIPS below
# (tools this machine may lack, network downloads, and a short list of trainings too long
# for a test), and commands a skipped one's output feeds.
#
# usage: bash tests/cli_examples.sh /path/to/dwplan
# env:   DW_SOURCE_DIR (the repository to clone), DW_EXAMPLE_TIMEOUT, DW_EXAMPLES_LIST=1
#        (print the commands and exit)
set -u
DWPLAN=${1:?usage: cli_examples.sh /path/to/dwplan}
DWPLAN=$(cd "$(dirname "$DWPLAN")" && pwd)/$(basename "$DWPLAN")
SRC=${DW_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
TIMEOUT=${DW_EXAMPLE_TIMEOUT:-120}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

if ! command -v git >/dev/null || ! git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    skip_rest cli_examples "no git repository at $SRC to clone"
fi
if ! command -v timeout >/dev/null; then skip_rest cli_examples "timeout(1) missing"; fi

# ---------------------------------------------------------------------------
# the allow-list: "ERE on the command<TAB>reason"; GPU and Slurm entries only where the
# machine lacks them
SKIPS=(
    $'data fetch\tdownloads a corpus from Debian or npm (network)'
    $'--corpus (sotu|brown|kjv|python-stdlib)|shards/sotu|shards/mix\treads a fetched corpus (data fetch: network)'
    $'--corpus notes\\.txt\tnotes.txt stands for the reader\'s own text file'
    $'probe run --depth 4 --width 128 --tokens 2M\ttime: trains 2M tokens (over 10 min on two busy cores)'
    $'probe run --depth 8 --width 256 --steps 3000\ttime: 3000 steps at width 256'
    $'probe sweep --depths 1-8 --widths 32,64,128 --tokens 2M\ttime: 24 runs of up to 2M tokens (about 30 min on two cores)'
    $'probe sweep --depths 2,4,8,16 --widths 64\ttime: 12 runs at 1e15 FLOPs each'
    $'--tokens 100M\ttime: 100M tokens per run'
    $'gemstones_valloss_hot_every10B\.csv.*(--compare|--form|-o gemstones)\ttime: fits forms to 770 Gemstones rows (minutes; tests/cli_readme.sh checks the README\'s comparison)'
    $'probe sweep --depths 1-6 --widths 32,64 --tokens 300k\ttime: 12 runs, about 2 min on two cores'
    $'report probe_runs\.jsonl\treads the runs of the skipped sweep above'
    $'fit runs\\.jsonl --critical-depth\treads the runs of the skipped sweep above'
    $'probe (eval --checkpoint|run --resume) (ck|ckpt)/\treads the checkpoint of a skipped run above'
)
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    SKIPS+=($'--backend cuda\tneeds a CUDA GPU (none here)')
fi
if ! command -v sbatch >/dev/null; then SKIPS+=($'(^|&& )sbatch \tneeds Slurm (sbatch)'); fi

# ---------------------------------------------------------------------------
# collect: groups as files of commands, one per line (continuations joined)
lists=$tmp/lists
mkdir -p "$lists"
ngroups=0

# stdin: a help text; stdout: its example commands, one per line
help_examples() {
    awk '
        /^examples?:[ \t]*$/ { inx = 1; next }
        inx && /^[^ \t]/ { inx = 0 }
        inx && /^[ \t]*$/ { if (cmd == "") inx = 0; next }
        inx {
            line = $0
            sub(/^[ \t]+/, "", line)
            if (cmd == "" && line !~ /^dwplan /) next
            cont = line ~ /\\$/
            if (cont) sub(/[ \t]*\\$/, "", line)
            cmd = cmd == "" ? line : cmd " " line
            if (!cont) { print cmd; cmd = "" }
        }
        END { if (cmd != "") print cmd }'
}

add_group() { # NAME FILE-OF-COMMANDS
    [ -s "$2" ] || return 0
    local h
    h=$(md5sum <"$2" | cut -c1-12)
    [ -e "$lists/seen_$h" ] && return 0
    : >"$lists/seen_$h"
    ngroups=$((ngroups + 1))
    printf '%s\n' "$1" >"$lists/group_$(printf %03d $ngroups).name"
    cp "$2" "$lists/group_$(printf %03d $ngroups).cmds"
}

"$DWPLAN" --help >"$tmp/help_top.txt" 2>&1
help_examples <"$tmp/help_top.txt" >"$tmp/ex.txt"
add_group "dwplan --help" "$tmp/ex.txt"
cmds=$(awk '/^usage:/ { u = 1; next } u && /^[ \t]*$/ { u = 0 } u { sub(/^[ \t]*dwplan[ \t]+/, "");
            sub(/^\[/, ""); sub(/\].*/, ""); split($0, w, /[ \t|]/); print w[1] }' \
       "$tmp/help_top.txt" | sort -u)
check "dwplan --help lists commands" '[ -n "$cmds" ]'
for c in $cmds; do
    "$DWPLAN" "$c" --help >"$tmp/h.txt" 2>&1 || { bad "dwplan $c --help exits $?"; continue; }
    help_examples <"$tmp/h.txt" >"$tmp/ex.txt"
    add_group "dwplan $c --help" "$tmp/ex.txt"
    subs=$( { grep -oE "dwplan $c [a-z][a-z-]*" "$tmp/h.txt" | awk '{print $3}'
              awk '/^subcommands:/ { s = 1; next } s && /^[^ \t]/ { s = 0 } s && /^  [a-z]/ { print $1 }' \
                  "$tmp/h.txt"; } | sort -u)
    for w in $subs; do
        "$DWPLAN" "$c" "$w" --help >"$tmp/hs.txt" 2>/dev/null || continue
        cmp -s "$tmp/h.txt" "$tmp/hs.txt" && continue
        help_examples <"$tmp/hs.txt" >"$tmp/ex.txt"
        add_group "dwplan $c $w --help" "$tmp/ex.txt"
    done
done

# stdin: a markdown file; stdout: its shell blocks' dwplan commands and readme-check commands
doc_commands() {
    awk '
        /^[ \t]*<!-- readme-check: .* -->/ {
            l = $0; sub(/^[ \t]*<!-- readme-check: /, "", l); sub(/ -->.*/, "", l); print l; next }
        /^[ \t]*```/ {
            if (inb) { inb = 0; next }
            lang = $0; sub(/^[ \t]*```[ \t]*/, "", lang)
            inb = 1; shell = lang ~ /^(sh|bash|shell|console)$/; next }
        !inb || !shell { next }
        {
            line = $0
            sub(/^[ \t]+/, "", line)
            if (cmd == "") {
                sub(/^\$ /, "", line)
                if (line !~ /^(\.\/build\/)?dwplan( |$)/) next
            }
            cont = line ~ /\\$/
            if (cont) sub(/[ \t]*\\$/, "", line)
            cmd = cmd == "" ? line : cmd " " line
            if (!cont) { print cmd; cmd = "" }
        }'
}
for f in README.md docs/*.md examples/*/README.md; do
    [ -f "$SRC/$f" ] || continue
    doc_commands <"$SRC/$f" >"$tmp/ex.txt"
    add_group "$f" "$tmp/ex.txt"
done
check "found example groups ($ngroups)" '[ "$ngroups" -ge 5 ]'

if [ "${DW_EXAMPLES_LIST:-}" = 1 ]; then
    for g in "$lists"/group_*.cmds; do
        echo "== $(cat "${g%.cmds}.name")"
        cat "$g"
    done
    exit 0
fi

# ---------------------------------------------------------------------------
# run from a fresh clone
git clone -q "$SRC" "$tmp/clone" || skip_rest cli_examples "git clone $SRC failed"
mkdir -p "$tmp/bin" "$tmp/data"
ln -s "$DWPLAN" "$tmp/bin/dwplan"
export PATH="$tmp/bin:$PATH" DWPLAN_DATA="$tmp/data" DWPLAN="$DWPLAN"

skip_reason() { # CMD: prints the reason when the allow-list matches
    local e
    for e in "${SKIPS[@]}"; do
        if printf '%s' "$1" | tr -s ' ' | grep -qE -- "${e%%$'\t'*}"; then
            printf '%s' "${e#*$'\t'}"
            return 0
        fi
    done
    return 1
}

nrun=0 nskip=0
: >"$tmp/skipped.txt"
t0=$(date +%s)
for g in "$lists"/group_*.cmds; do
    name=$(cat "${g%.cmds}.name")
    work=$tmp/work/$(basename "${g%.cmds}")
    mkdir -p "$work/build"
    for e in "$tmp/clone"/* "$tmp/clone"/.[!.]*; do
        [ -e "$e" ] && [ "$(basename "$e")" != build ] && [ "$(basename "$e")" != .git ] &&
            ln -s "$e" "$work/$(basename "$e")"
    done
    ln -s "$DWPLAN" "$work/build/dwplan"
    while IFS= read -r cmd; do
        if why=$(skip_reason "$cmd"); then
            nskip=$((nskip + 1))
            printf '  %s: %s\n      (%s)\n' "$why" "$cmd" "$name" >>"$tmp/skipped.txt"
            continue
        fi
        want=0
        if [[ $cmd =~ \[exit\ ([0-9]+)\] ]]; then want=${BASH_REMATCH[1]}; fi
        s=$(date +%s)
        (cd "$work" && timeout "$TIMEOUT" bash -c "$cmd") >"$work/out.txt" 2>"$work/err.txt" </dev/null
        rc=$?
        nrun=$((nrun + 1))
        echo "  [$(($(date +%s) - s)) s, exit $rc] $cmd"
        if [ "$rc" -eq "$want" ]; then
            ok
        else
            [ "$rc" -eq 124 ] && echo "      timed out after $TIMEOUT s" >>"$work/err.txt"
            bad "$name: '$cmd' exits $rc, want $want: $(tail -c 400 "$work/err.txt")"
        fi
    done <"$g"
done
echo "cli_examples: ran $nrun commands from $ngroups groups in $(($(date +%s) - t0)) s"
echo "skipped $nskip:"
cat "$tmp/skipped.txt"
finish cli_examples
