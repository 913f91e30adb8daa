#!/usr/bin/env bash
# Install what stele needs on a Debian machine, then build it.
#   scripts/setup.sh            build dependencies and a release build
#   scripts/setup.sh --test     plus test peers (Python venv, Go tools, ...)
#   scripts/setup.sh --demo     plus what scripts/demo.sh needs
# Safe to run again: every step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
want_demo=0
[ "${1:-}" = "--demo" ] && want_demo=1

# One package per line, so parallel changes merge line by line.
build_pkgs=(
	meson
	ninja-build
	gcc
	pkg-config
	clang
	libclang-rt-14-dev
	llvm
	libmicrohttpd-dev
	libcurl4-openssl-dev
	libssl-dev
	libsqlite3-dev
	sqlite3
	libarchive-dev
	libjansson-dev
	libyaml-dev
	libzstd-dev
	zlib1g-dev
	libsodium-dev
	libcmocka-dev
)
test_pkgs=(
	python3-venv
	curl
	jq
	skopeo
	docker-registry
	openssl
	umoci
	apache2-utils
	wrk
	podman
)
# The demo trains its model in a Python virtual environment.
demo_pkgs=(
	python3-venv
)
# Go builds test peers; the machines come with a current Go in /usr/local.
command -v go >/dev/null || test_pkgs+=(golang-go)

apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "setup: installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

apt_install "${build_pkgs[@]}"
[ $want_demo -eq 1 ] && apt_install "${demo_pkgs[@]}"
if [ $want_test -eq 1 ]; then
	apt_install "${test_pkgs[@]}"
	scripts/setup-peers.sh
fi
