#!/usr/bin/env bash
# Build every fuzz target with clang and libFuzzer, then run each for the
# given number of seconds on a copy of its corpus. Crashes are saved under
# build-fuzz/crashes and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}

if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		--buildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz >build-fuzz.log 2>&1 || { tail -40 build-fuzz.log; exit 1; }
mkdir -p build-fuzz/crashes
for exe in build-fuzz/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	name=${exe##*/fuzz_}
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	cp -n fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
	"$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix=build-fuzz/crashes/"$name"- "$work" \
		>"build-fuzz/$name.log" 2>&1 || {
		echo "fuzz: $name failed; see build-fuzz/$name.log"
		tail -30 "build-fuzz/$name.log"
		exit 1
	}
	echo "fuzz: $name $(grep -E '^#[0-9]+.*DONE' "build-fuzz/$name.log" |
		tail -1 | awk '{print $1, "runs"}')"
done
