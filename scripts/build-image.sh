#!/usr/bin/env bash
# Build the storage-initializer container image without a Docker daemon:
# an OCI image layout made with umoci from Debian, holding the stele
# binary, the shared libraries it links, CA certificates and a non-root
# user. Push it with skopeo:
#   scripts/build-image.sh build/image
#   skopeo copy oci:build/image:0.1.0 docker://REGISTRY/stele-init:0.1.0
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build/image}
tag=${TAG:-$(sed -n "s/^  version : '\(.*\)',/\1/p" meson.build)}
bin=${STELE_BIN:-build/stele}
uid=65532

command -v umoci >/dev/null || {
	echo "build-image: needs umoci (apt-get install umoci)" >&2
	exit 1
}
[ -x "$bin" ] || {
	echo "build-image: no stele binary at $bin; run ninja -C build" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/bundle/rootfs

rm -rf "$out"
umoci init --layout "$out"
umoci new --image "$out:$tag"
umoci unpack --rootless --image "$out:$tag" "$work/bundle" >/dev/null

# The binary and every shared object it loads, at the same paths.
install -D -m 0755 "$bin" "$rootfs/usr/local/bin/stele"
for lib in $(ldd "$bin" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
	install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
done
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt \
	"$rootfs/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$rootfs/tmp" "$rootfs/mnt/models" "$rootfs/etc/stele/keys"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0::/root:/sbin/nologin\nstele:x:%d:%d::/tmp:/sbin/nologin\n' \
	$uid $uid >"$rootfs/etc/passwd"
printf 'root:x:0:\nstele:x:%d:\n' $uid >"$rootfs/etc/group"

umoci repack --image "$out:$tag" "$work/bundle" >/dev/null
umoci config --image "$out:$tag" \
	--config.user "$uid:$uid" \
	--config.entrypoint /usr/local/bin/stele \
	--config.entrypoint storage-initializer \
	--config.workingdir /tmp \
	--config.env STELE_TRUSTED_KEYS=/etc/stele/keys \
	--config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	--config.label org.opencontainers.image.title=stele-storage-initializer \
	--config.label "org.opencontainers.image.version=$tag"
umoci gc --layout "$out"
echo "image: oci:$out:$tag"
