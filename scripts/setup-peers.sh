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

# cosign, for the signature round trips (tests/integration/test_sign.py).
if command -v go >/dev/null; then
	gobin="$(go env GOPATH)/bin"
	if [ ! -x "$gobin/cosign" ]; then
		echo "setup: building cosign v2.6.5 from the Go module proxy"
		go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
	fi
else
	echo "setup: no Go toolchain; cosign round-trip tests will be skipped"
fi
