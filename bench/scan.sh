#!/usr/bin/env bash
# Throughput of `stele scan` against picklescan and modelscan (PyPI) on one
# pickle-heavy corpus made fresh by bench/scan_bench.py; prints MB/s and
# the ratios.
# Usage: bench/scan.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-peers.sh
if [ ! -d build-bench ]; then
	meson setup build-bench --buildtype=release >/dev/null
fi
ninja -C build-bench stele >/dev/null
exec .venv/bin/python bench/scan_bench.py build-bench/stele "${1:-3}"
