#!/bin/sh
# bootstrap.sh — the README's first command: installs the Debian packages dwplan needs (only
# those missing), builds it in ./build, and runs `dwplan --compute 1e22`.
#   ./bootstrap.sh            (as root, or a user with sudo)
# Environment: DWPLAN_WERROR=ON builds our C code with warnings as errors (CI does);
# DWPLAN_EXTRA_PKGS adds Debian packages (CI adds the ones its optional tests use).
set -eu
cd "$(dirname "$0")"
pkgs="build-essential cmake pkg-config libgsl-dev libcjson-dev libopenblas-dev python3 gnuplot-nox ${DWPLAN_EXTRA_PKGS:-}"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "bootstrap: installing$missing" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
cmake -S . -B build -DDWPLAN_WERROR="${DWPLAN_WERROR:-OFF}" >/dev/null
cmake --build build -j"$(nproc)"
./build/dwplan --compute 1e22
