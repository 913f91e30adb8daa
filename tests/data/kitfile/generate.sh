#!/usr/bin/env bash
# Regenerate the expected config JSON for every Kitfile fixture here with
# tests/interop/kitjson, a Go mirror of kit's KitFile struct: NAME.yaml
# gives NAME.json (no layer digests) and NAME.digests.json (fake digests
# in packing order, see kitjson's -digests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(mktemp -d)/kitjson"
trap 'rm -rf "$(dirname "$bin")"' EXIT
(cd "$here/../../interop/kitjson" && go build -o "$bin" .)
for y in "$here"/*.yaml; do
	base="${y%.yaml}"
	"$bin" "$y" >"$base.json"
	"$bin" -digests "$y" >"$base.digests.json"
done
