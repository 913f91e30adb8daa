#!/usr/bin/env bash
# Packing throughput and memory: stele pack against the `tar | sha256sum`
# bound for the same bytes, on a 1 GiB model plus a few thousand small
# files. Usage: bench/pack.sh [MODEL_MIB] [SMALL_FILES]
#
# kit itself cannot be built here (the Go module proxy refuses
# github.com/kitops-ml/kitops), so there is no kit column; the tar bound
# is what any packer that reads and hashes the bytes once must pay.
set -euo pipefail
cd "$(dirname "$0")/.."

mib=${1:-1024}
nsmall=${2:-3000}
build=build-bench

if [ ! -x "$build/stele" ]; then
	meson setup "$build" --buildtype=release -Dwerror=false >/dev/null
fi
ninja -C "$build" stele >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ctx=$work/ctx
mkdir -p "$ctx/weights" "$ctx/src"
head -c "$((mib << 20))" /dev/urandom >"$ctx/weights/model.bin"
for i in $(seq 1 "$nsmall"); do
	head -c 4096 /dev/urandom >"$ctx/src/file$i.py"
done
cat >"$ctx/Kitfile" <<'KIT'
manifestVersion: 1.0.0
model:
  path: weights
code:
  - path: src
KIT
bytes=$(du -sb "$ctx" | cut -f1)

# Warm the page cache so both runs read from memory.
cat "$ctx/weights/model.bin" >/dev/null

now() { date +%s.%N; }

t0=$(now)
(cd "$ctx" && tar --format=posix -cf - weights src | sha256sum >/dev/null)
t1=$(now)
tar_s=$(echo "$t1 - $t0" | bc -l)

export STELE_HOME=$work/home
/usr/bin/time -v -o "$work/time.txt" "$build/stele" pack "$ctx" \
	-t bench/model:1 >/dev/null
stele_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {
	n = split($2, p, ":"); s = 0
	for (i = 1; i <= n; i++) s = s * 60 + p[i]
	print s }' "$work/time.txt")
rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' \
	"$work/time.txt")

/usr/bin/time -v -o "$work/time-unpack.txt" "$build/stele" unpack \
	bench/model:1 -d "$work/out" >/dev/null
unpack_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {
	n = split($2, p, ":"); s = 0
	for (i = 1; i <= n; i++) s = s * 60 + p[i]
	print s }' "$work/time-unpack.txt")
rss_unpack=$(awk -F': ' '/Maximum resident set size/ {print $2}' \
	"$work/time-unpack.txt")
cmp "$ctx/weights/model.bin" "$work/out/weights/model.bin"
rm -rf "$work/out"

# Memory must not follow model size: pack a model 1/8 the size.
rm -rf "$STELE_HOME"
truncate -s "$(((mib / 8) << 20))" "$ctx/weights/model.bin"
/usr/bin/time -v -o "$work/time-small.txt" "$build/stele" pack "$ctx" \
	-t bench/model:2 >/dev/null
rss_small=$(awk -F': ' '/Maximum resident set size/ {print $2}' \
	"$work/time-small.txt")

mbps() { echo "scale=1; $bytes / 1048576 / $1" | bc -l; }
printf 'data: %d MiB model + %d small files (%d bytes)\n' "$mib" \
	"$nsmall" "$bytes"
printf 'tar | sha256sum   %6.2f s  %8s MiB/s\n' "$tar_s" "$(mbps "$tar_s")"
printf 'stele pack        %6.2f s  %8s MiB/s\n' "$stele_s" \
	"$(mbps "$stele_s")"
printf 'stele / tar bound %6.2f x time (aim: <= 1.3)\n' \
	"$(echo "$stele_s / $tar_s" | bc -l)"
printf 'stele unpack      %6.2f s  %8s MiB/s  (verifies digests)\n' \
	"$unpack_s" "$(mbps "$unpack_s")"
printf 'stele peak RSS    pack %d KiB (%d MiB model: %d KiB), unpack %d KiB\n' \
	"$rss_kib" "$((mib / 8))" "$rss_small" "$rss_unpack"
echo "kit: not measured -- kit cannot be built here (Go module proxy" \
	"refuses github.com/kitops-ml/kitops)"
