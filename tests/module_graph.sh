#!/usr/bin/env bash
# tests/module_graph.sh — every #include "..." in a module's sources names a header of the
# module itself or of a module it may use (the graph in CMakeLists.txt, docs/modules.md).
# The link-check libraries catch a backward *call*; this catches a backward include that
# uses only a header's types or macros. It also checks the table here against itself: a
# violation planted in a temporary tree must be found (so the check can fail).
# usage: tests/module_graph.sh [SOURCE_DIR]
set -u
SRC=${1:-${DW_SOURCE_DIR:-$(dirname "$0")/..}}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

declare -A ALLOW=(
    [common]="common"
    [kernels]="kernels common"
    [datasets]="datasets common"
    [fit]="fit datasets common"
    [planner]="planner fit datasets common"
    [probe]="probe kernels datasets planner common"
    [plots]="plots planner fit datasets common"
)

# violations ROOT: prints "file: includes module/header" for each forbidden include
violations() {
    local root=$1 mod f inc dir target top
    for mod in "${!ALLOW[@]}"; do
        [ -d "$root/$mod" ] || continue
        while IFS= read -r f; do
            dir=$(dirname "${f#"$root"/}")
            while IFS= read -r inc; do
                # "x/y.h" from the source root, or relative to the including file
                if [ -e "$root/$dir/$inc" ]; then
                    target=$(realpath -m --relative-to="$root" "$root/$dir/$inc")
                else
                    target=$(realpath -m --relative-to="$root" "$root/$inc")
                fi
                top=${target%%/*}
                [ "$top" = "$target" ] && continue # a system or build-tree header
                case " ${ALLOW[$mod]} " in *" $top "*) ;; *) echo "${f#"$root"/}: includes $target" ;; esac
            done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
        done < <(find "$root/$mod" -name '*.[ch]' -o -name '*.cu' -o -name '*.cpp' | sort)
    done
}

out=$(violations "$SRC")
check "no include crosses the module graph backward${out:+: $out}" '[ -z "$out" ]'

# the check must be able to fail: a copy of two modules with a planted backward include
mkdir -p "$tmp/t/fit" "$tmp/t/plots" "$tmp/t/common"
printf '#include "plots/plot.h"\n' >"$tmp/t/fit/bad.c"
printf '/* */\n' >"$tmp/t/plots/plot.h"
printf '#include "../common/dw.h"\n#include "plot.h"\n' >"$tmp/t/plots/good.c"
printf '/* */\n' >"$tmp/t/common/dw.h"
planted=$(violations "$tmp/t")
check "a planted backward include is found" '[ "$planted" = "fit/bad.c: includes plots/plot.h" ]'
finish module_graph
