#!/usr/bin/env bash
# Advisory database benchmark: import time and size of the PyPA snapshot,
# then dependency matching throughput on generated requirements files.
#   bench/vulndb.sh [SNAPSHOT_DIR] [N_DEPS]
# Uses an optimised build without sanitizers in build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
snap=${1:-../../shared/osv/pypa-advisory-database}
[ -d "$snap" ] || snap=/work/shared/osv/pypa-advisory-database
n=${2:-50000}

if [ ! -d build-bench ]; then
	meson setup build-bench --buildtype=release >/dev/null
fi
ninja -j2 -C build-bench stele >/dev/null
bin=$PWD/build-bench/stele

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export STELE_HOME=$work/home

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }

t0=$(now)
"$bin" vulndb import "$snap" >/dev/null
t1=$(now)
records=$(find "$snap" -name '*.yaml' -o -name '*.json' | wc -l)
size=$(stat -c %s "$STELE_HOME/vulndb.sqlite")
printf 'import: %d records in %.2fs (%.0f records/s), database %.1f MiB\n' \
	"$records" "$(calc "$t1 - $t0")" \
	"$(calc "$records / ($t1 - $t0)")" \
	"$(calc "$size / 1048576")"

t0=$(now)
"$bin" vulndb import "$snap" >/dev/null
t1=$(now)
printf 're-import (all unchanged): %.2fs\n' "$(calc "$t1 - $t0")"

# Pins of every package in the snapshot at versions its records list, so
# most lookups walk real ranges; spread over files of 1000 lines.
mkdir -p "$work/deps"
find "$snap" -name '*.yaml' | head -2000 | while read -r f; do
	pkg=$(awk '/^    name:/ {print $2; exit}' "$f")
	ver=$(awk '/^  versions:/ {getline; print $2; exit}' "$f" | tr -d "\"'")
	[ -n "$pkg" ] && echo "$pkg==${ver:-1.0}"
done | sort -u >"$work/pins.txt"
pins=$(wc -l <"$work/pins.txt")
i=0
while [ $((i * pins)) -lt "$n" ]; do
	cat "$work/pins.txt"
	i=$((i + 1))
done | head -n "$n" | split -l 1000 -a 4 --additional-suffix=.txt - \
	"$work/deps/requirements-"
# CPU time too: the machine may be shared, wall time alone misleads.
TIMEFORMAT='%R %U %S'
t=$({ time "$bin" vulns check "$work/deps" >"$work/out.txt" 2>/dev/null \
	|| true; } 2>&1)
read -r wall user sys <<<"$t"
printf 'matching: %s in %.2fs wall, %.2fs CPU (%.0f dependencies/s of '\
'CPU)\n' "$(tail -1 "$work/out.txt")" "$wall" "$(calc "$user + $sys")" \
	"$(calc "$n / ($user + $sys)")"
