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
# The OpenAPI test's validators, for a .venv made before they were listed,
# and schemathesis in a venv of its own (it needs a newer pytest).
if ! .venv/bin/python -c 'import openapi_spec_validator, jsonschema' \
	2>/dev/null; then
	.venv/bin/pip install -q --disable-pip-version-check -r \
		tests/requirements.txt
fi
st_venv=.cache/peers/schemathesis
if [ ! -x "$st_venv/bin/schemathesis" ]; then
	$py -m venv "$st_venv"
	"$st_venv/bin/pip" install -q --disable-pip-version-check -r \
		tests/requirements-schemathesis.txt
fi

# Registry peers (server): the OCI conformance suite as a test binary,
# and the Go clients the interop tests drive.
gobin=$(go env GOPATH)/bin
conf_ver=v0.0.0-20260831232431-97274622c111
conf_bin=.cache/peers/conformance-$conf_ver.test
if [ ! -x "$conf_bin" ]; then
	mkdir -p .cache/peers/conformance-mod
	(cd .cache/peers/conformance-mod &&
		{ [ -f go.mod ] || go mod init stele.local/conformance >/dev/null 2>&1; } &&
		go get github.com/opencontainers/distribution-spec/conformance@$conf_ver >/dev/null 2>&1 &&
		go test -c -o "../conformance-$conf_ver.test" \
			github.com/opencontainers/distribution-spec/conformance)
fi
for tool in oras.land/oras/cmd/oras@v1.3.6 \
	github.com/google/go-containerregistry/cmd/crane@v0.22.1 \
	github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5; do
	name=${tool%@*}
	name=${name##*/}
	[ -x "$gobin/$name" ] || go install "$tool"
done
# The Go mirror of kit's Kitfile struct (tests/interop/kitjson) needs
# go-yaml from the Go module proxy; fetch it once into the module cache.
if command -v go >/dev/null; then
	(cd tests/interop/kitjson && go mod download)
fi
# Dependency vulnerabilities (vuln): osv-scanner, run offline against the
# PyPA snapshot by tests/integration/test_osv_compare.py and
# bench/vulndb.sh. v2 needs Go >= 1.27, so the last v1 release.
[ -x "$gobin/osv-scanner" ] ||
	go install github.com/google/osv-scanner/cmd/osv-scanner@v1.9.2
