#!/usr/bin/env bash
# Time until a 2 GiB model is ready on disk, in one run, with peak RSS:
#   stele storage-initializer  pulls the ModelKit from `stele serve`,
#                              verifies promotion, scan and signature,
#                              checks every digest, stages and commits;
#   kserve-storage             KServe's own Python initializer (PyPI,
#                              venv in .cache/kserve-venv) fetching the
#                              ModelKit's model layer, a plain tar, from
#                              `python3 -m http.server` (http:// URI: it
#                              downloads the file, sees application/x-tar,
#                              then extracts it and deletes the archive);
#   curl | tar                 the same tar from the same server, streamed.
# All on loopback; the tar is byte for byte the layer stele fetches.
#   bench/initializer.sh [STELE_BIN] [SIZE]  (default: release build, 2G)
set -euo pipefail
cd "$(dirname "$0")/.."

stele=${1:-}
size=${2:-2G}
if [ -z "$stele" ]; then
	[ -d build-bench ] || meson setup build-bench --buildtype=release \
		>/dev/null
	ninja -C build-bench >/dev/null
	stele=$PWD/build-bench/stele
fi
kvenv=$PWD/.cache/kserve-venv
if [ ! -x "$kvenv/bin/python" ]; then
	python3 -m venv "$kvenv"
	"$kvenv/bin/pip" install -q --disable-pip-version-check \
		kserve-storage==0.21.0
fi

work=$(mktemp -d /tmp/stele-bench-init.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home STELE_HOME=$work/home/stele \
	DOCKER_CONFIG=$work/home/docker COSIGN_PASSWORD=bench-key-password
mkdir -p "$HOME"

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
sport=$(port)
hport=$(port)
host=127.0.0.1:$sport

echo "bench-password-1" | "$stele" user add bench --role admin \
	--password-stdin --data "$work/registry" >/dev/null
"$stele" serve --listen "$host" --data "$work/registry" \
	--log-level warn >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
for _ in $(seq 50); do
	curl -s -o /dev/null "http://$host/v2/" && break
	sleep 0.1
done
echo "bench-password-1" | "$stele" login "$host" -u bench \
	--password-stdin >/dev/null

# The keys: the registry's (promotion, scan) and a publisher's.
mkdir -p "$work/keys" "$work/secret"
for k in registry publisher; do
	"$stele" key generate --output-key-prefix "$work/secret/$k" >/dev/null
	cp "$work/secret/$k.pub" "$work/keys/"
done

# A ModelKit with one 2 GiB weights file (random: nothing compresses).
mkdir -p "$work/src"
head -c "$size" /dev/urandom >"$work/src/model.safetensors"
cat >"$work/src/Kitfile" <<EOF
manifestVersion: 1.0.0
package:
  name: bench
model:
  name: bench
  path: model.safetensors
EOF
# The environment is an unconfigured name: the registry lets only a
# governed promotion move its configured ones (dev, staging, prod), and
# the promotion attestation below is made by hand, as in the tests.
ref=$host/bench/model:v1.0.0
"$stele" pack "$work/src" -t "$ref" >/dev/null
"$stele" push "$ref" >/dev/null 2>&1
"$stele" tag "$ref" "$host/bench/model:bench-env" >/dev/null
"$stele" push "$host/bench/model:bench-env" >/dev/null 2>&1
cat >"$work/scan.json" <<EOF
{"verdict":"clean","time":"2026-12-01T00:00:00Z","scanner":"bench",
 "advisoryDatabase":"","counts":{"critical":0,"high":0,"medium":0,
 "low":0,"info":0}}
EOF
cat >"$work/promo.json" <<EOF
{"environment":"bench-env","repository":"bench/model","version":"v1.0.0",
 "action":"promote","actor":"bench","reason":"bench",
 "time":"2026-12-01T00:00:00Z","previous":null,"requireSignature":true,
 "breakGlass":false}
EOF
"$stele" attest "$ref" --predicate "$work/scan.json" --type \
	https://stele.dev/attestations/scan/v1 --key "$work/secret/registry.key" \
	>/dev/null
"$stele" attest "$ref" --predicate "$work/promo.json" --type \
	https://stele.dev/attestations/promotion/v1 \
	--key "$work/secret/registry.key" >/dev/null
"$stele" sign "$ref" --key "$work/secret/publisher.key" >/dev/null
rm -f "$work/src/model.safetensors"

# The same layer bytes as a file served over plain HTTP.
layer=$("$stele" inspect "$ref" --format json | python3 -c '
import json, sys
m = json.load(sys.stdin)
m = m.get("manifest", m)
print(max(m["layers"], key=lambda l: l["size"])["digest"])')
token=$(curl -s -u bench:bench-password-1 \
	"http://$host/token?service=stele&scope=repository:bench/model:pull" |
	python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
mkdir -p "$work/http"
curl -sf -H "Authorization: Bearer $token" -o "$work/http/model.tar" \
	"http://$host/v2/bench/model/blobs/$layer"
echo "$layer  (layer digest)"
echo "sha256:$(sha256sum "$work/http/model.tar" | cut -d' ' -f1)  (served tar)"
(cd "$work/http" && exec python3 -m http.server "$hport" \
	--bind 127.0.0.1 >/dev/null 2>&1) &
pids+=($!)
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$hport/" && break
	sleep 0.1
done

measure() { # name command...
	local name=$1; shift
	sync
	/usr/bin/time -f '%e %M' -o "$work/time.$name" "$@" \
		>"$work/out.$name" 2>&1 || {
		echo "$name failed:"; tail -5 "$work/out.$name"; exit 1; }
	read -r secs rss <"$work/time.$name"
	printf '%-28s %8.2f s %8.1f MiB\n' "$name" "$secs" \
		"$(echo "$rss / 1024" | bc -l)"
}

echo
echo "time until ready, $size model, peak RSS:"
measure stele env STELE_REGISTRY="$host" STELE_TRUSTED_KEYS="$work/keys" \
	STELE_ENVIRONMENT=bench-env \
	STELE_USERNAME=bench STELE_PASSWORD=bench-password-1 \
	STELE_TERMINATION_LOG="$work/termination-log" \
	"$stele" storage-initializer "stele://bench/model:v1.0.0" \
	"$work/dest-stele"
measure kserve-storage "$kvenv/bin/python" -c "
from kserve_storage import Storage
Storage.download('http://127.0.0.1:$hport/model.tar', '$work/dest-kserve')"
sed -n 's/^time=\([^ ]*\) level=info event=\([^ ]*\) .*/  stele \2 at \1/p' \
	"$work/out.stele"
mkdir -p "$work/dest-curl"
measure curl-tar sh -c "curl -sf http://127.0.0.1:$hport/model.tar |
	tar -x -C '$work/dest-curl'"
echo "kit unpack                   not measured: kit cannot be built here" \
	"(the Go module proxy refuses github.com/kitops-ml/kitops)"

for d in kserve curl; do
	cmp -s "$work/dest-stele/model.safetensors" \
		"$work/dest-$d/model.safetensors" ||
		{ echo "dest-$d differs from stele's result"; exit 1; }
done
ratio() { echo "scale=2; $1 / $2" | bc -l; }
s=$(cut -d' ' -f1 "$work/time.stele")
k=$(cut -d' ' -f1 "$work/time.kserve-storage")
c=$(cut -d' ' -f1 "$work/time.curl-tar")
echo
echo "stele / curl|tar time:       $(ratio "$s" "$c") (aim <= 1.2)"
echo "kserve-storage / stele time: $(ratio "$k" "$s")"
echo "all three results are byte-identical"
