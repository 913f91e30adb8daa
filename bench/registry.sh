#!/usr/bin/env bash
# Push and pull a 1 GiB blob and hammer one manifest with concurrent GETs,
# with the same client (curl, wrk) against stele and Debian's
# docker-registry (CNCF distribution) in one run; print the ratios and
# stele's peak RSS during a 4 GiB streamed push.
#   bench/registry.sh [STELE_BIN]     (default: a release build in build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."

stele=${1:-}
if [ -z "$stele" ]; then
	[ -d build-bench ] || meson setup build-bench --buildtype=release \
		>/dev/null
	ninja -C build-bench >/dev/null
	stele=$PWD/build-bench/stele
fi
command -v docker-registry >/dev/null || { echo "needs docker-registry"; exit 1; }
work=$(mktemp -d /tmp/stele-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
sport=$(port)
dport=$(port)

# stele, with an account and a token for the bench client
echo "bench-password-1" | "$stele" user add bench --role admin \
	--password-stdin --data "$work/stele" >/dev/null
"$stele" serve --listen 127.0.0.1:$sport --data "$work/stele" \
	--log-level warn >"$work/stele.out" 2>"$work/stele.err" &
pids+=($!)
stele_pid=$!

cat >"$work/distribution.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/distribution
http:
  addr: 127.0.0.1:$dport
YAML
docker-registry serve "$work/distribution.yml" >"$work/dist.log" 2>&1 &
pids+=($!)

for p in $sport $dport; do
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$p/v2/" && break
		sleep 0.1
	done
done
token=$(curl -s -u bench:bench-password-1 \
	"http://127.0.0.1:$sport/token?service=stele&scope=repository:bench/m:pull,push" |
	python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
auth_s=(-H "Authorization: Bearer $token")
auth_d=()

head -c 1G /dev/urandom >"$work/blob"
digest=sha256:$(sha256sum "$work/blob" | cut -d' ' -f1)

# push: POST then PUT ?digest= with the body streamed by curl
push() { # base auth...
	local base=$1; shift
	local loc
	loc=$(curl -s -D - -o /dev/null -X POST "$@" \
		"$base/v2/bench/m/blobs/uploads/" | tr -d '\r' |
		awk 'tolower($1)=="location:"{print $2}')
	case $loc in http*) ;; *) loc=$base$loc ;; esac
	case $loc in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X PUT "$@" \
		-H 'Content-Type: application/octet-stream' \
		-T "$work/blob" "$loc"
}
pull() { # base auth...
	local base=$1; shift
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$@" \
		"$base/v2/bench/m/blobs/$digest"
}
secs() { awk -v c="$1" '{ if ($1 != c) { print "bad status " $1 > "/dev/stderr"; exit 1 } print $2 }'; }

sync
ps_=$(push "http://127.0.0.1:$sport" "${auth_s[@]}" | secs 201)
pd=$(push "http://127.0.0.1:$dport" | secs 201)
# pulls from a cold page cache when we may drop it (root)
cold() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
cold
pld=$(pull "http://127.0.0.1:$dport" | secs 200)
cold
pls=$(pull "http://127.0.0.1:$sport" "${auth_s[@]}" | secs 200)
# and from a warm cache, where the server's own cost shows
pld_w=$(pull "http://127.0.0.1:$dport" | secs 200)
pls_w=$(pull "http://127.0.0.1:$sport" "${auth_s[@]}" | secs 200)

# one small manifest in each, then concurrent GETs with wrk
cfg='{}'
cfgd=sha256:$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":1073741824}]}' "$cfgd" "$digest")
for base in "http://127.0.0.1:$sport" "http://127.0.0.1:$dport"; do
	a=()
	[ "$base" = "http://127.0.0.1:$sport" ] && a=("${auth_s[@]}")
	curl -s -o /dev/null -X POST "${a[@]}" --data-binary "$cfg" \
		-H 'Content-Type: application/octet-stream' \
		"$base/v2/bench/m/blobs/uploads/?digest=$cfgd"
	curl -s -o /dev/null -X PUT "${a[@]}" --data-binary "$man" \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		"$base/v2/bench/m/manifests/latest"
done
rps() { # url auth-header...
	wrk -t2 -c32 -d8s "$@" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' |
		awk '/Requests\/sec/{print $2}'
}
if command -v wrk >/dev/null; then
	rs=$(rps "http://127.0.0.1:$sport/v2/bench/m/manifests/latest" \
		-H "Authorization: Bearer $token")
	rd=$(rps "http://127.0.0.1:$dport/v2/bench/m/manifests/latest")
else
	rs=0 rd=1
	echo "wrk not installed: manifest GETs skipped"
fi

# stele's peak memory while a 4 GiB body streams in (chunked PATCH)
loc=$(curl -s -D - -o /dev/null -X POST "${auth_s[@]}" \
	"http://127.0.0.1:$sport/v2/bench/m/blobs/uploads/" | tr -d '\r' |
	awk 'tolower($1)=="location:"{print $2}')
head -c 4G /dev/zero | curl -s -o /dev/null -X PATCH "${auth_s[@]}" \
	-H 'Content-Type: application/octet-stream' -T - \
	"http://127.0.0.1:$sport$loc"
rss=$(awk '/VmHWM/{print $2}' /proc/$stele_pid/status)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-28s %10s %10s %8s\n' test stele distribution ratio
printf '%-28s %9.2fs %9.2fs %7sx\n' "push 1 GiB" "$ps_" "$pd" "$(ratio "$pd" "$ps_")"
printf '%-28s %9.2fs %9.2fs %7sx\n' "pull 1 GiB (cold cache)" "$pls" "$pld" "$(ratio "$pld" "$pls")"
printf '%-28s %9.2fs %9.2fs %7sx\n' "pull 1 GiB (warm cache)" "$pls_w" "$pld_w" "$(ratio "$pld_w" "$pls_w")"
printf '%-28s %10s %10s %7sx\n' "manifest GET req/s (c=32)" "$rs" "$rd" "$(ratio "$rs" "$rd")"
printf '%-28s %7d MiB\n' "stele peak RSS, 4 GiB push" $((rss / 1024))
