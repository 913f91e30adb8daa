#!/usr/bin/env bash
# The main job: install, build, and walk a real model through stele.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
./build/stele version
