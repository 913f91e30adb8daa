#!/usr/bin/env bash
# Throughput of `stele scan` against picklescan, modelscan and ModelAudit
# (PyPI) on one pickle-heavy corpus made fresh by bench/scan_bench.py, then
# on a safetensors and a GGUF file of BIG_GIB GiB (real bytes, made once in
# .cache/big): stele with and without --no-digest, the SHA-256 bound
# (openssl dgst, sha256sum), cold and warm, and the peers; prints MB/s and
# the ratios. The peers and the generator's libraries live in a virtual
# environment of the benchmark's own, .cache/bench-venv, made on first use.
# Usage: bench/scan.sh [RUNS] [BIG_GIB]   (BIG_GIB defaults to 4; 0 skips)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/bench-venv
if [ ! -x "$venv/bin/python" ]; then
	python3 -m venv "$venv"
fi
if ! cmp -s bench/requirements.txt "$venv/.requirements" 2>/dev/null; then
	"$venv/bin/pip" install -q --disable-pip-version-check \
		-r bench/requirements.txt
	cp bench/requirements.txt "$venv/.requirements"
fi
if [ ! -d build-bench ]; then
	meson setup build-bench --buildtype=release >/dev/null
fi
ninja -j2 -C build-bench stele >/dev/null
exec "$venv/bin/python" bench/scan_bench.py build-bench/stele "${1:-3}" \
	"${2:-4}"
