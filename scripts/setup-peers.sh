#!/usr/bin/env bash
# Test peers that do not come from Debian: a Python virtual environment for
# the integration tests and Go tools built from the Go module proxy. Each
# is cached (.venv, $GOBIN) so a second run costs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

py=python3
if [ ! -x .venv/bin/python ]; then
	$py -m venv .venv
fi
if ! .venv/bin/python -c 'import pytest' 2>/dev/null; then
	.venv/bin/pip install -q --disable-pip-version-check -r \
		tests/requirements.txt
fi

# The Go mirror of kit's Kitfile struct (tests/interop/kitjson) needs
# go-yaml from the Go module proxy; fetch it once into the module cache.
if command -v go >/dev/null; then
	(cd tests/interop/kitjson && go mod download)
fi
