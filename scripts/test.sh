#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds with address and
# undefined-behaviour sanitizers, runs unit tests, fuzz corpora, the
# integration tests against real peers, and a short libFuzzer smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --test

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if [ ! -d build-test ]; then
	meson setup build-test -Db_sanitize=address,undefined \
		-Db_lundef=false --buildtype=debug >/dev/null
fi
ninja -C build-test

# The demo builds optimised; -O2 finds warnings the debug build does not.
echo "== optimised build"
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

echo "== unit tests and fuzz corpus replay"
meson test -C build-test --print-errorlogs --num-processes 2

echo "== integration tests"
STELE_BIN="$PWD/build-test/stele" .venv/bin/python -m pytest -q \
	tests/integration

if command -v clang >/dev/null; then
	echo "== libFuzzer smoke run (${FUZZ_SECONDS:=5}s per target)"
	scripts/fuzz.sh "$FUZZ_SECONDS"
fi
