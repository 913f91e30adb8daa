#!/usr/bin/env bash
# Advisory database benchmark: import time and size of the PyPA snapshot,
# then dependency matching throughput on generated requirements files.
#   bench/vulndb.sh [SNAPSHOT_DIR] [N_DEPS]
# Uses an optimised build without sanitizers in build-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
snap=${1:-../../shared/osv/pypa-advisory-database}
[ -d "$snap" ] || snap=/work/shared/osv/pypa-advisory-database
n=${2:-50000}

if [ ! -d build-bench ]; then
	meson setup build-bench --buildtype=release >/dev/null
fi
ninja -j2 -C build-bench stele >/dev/null
bin=$PWD/build-bench/stele

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export STELE_HOME=$work/home

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }

t0=$(now)
"$bin" vulndb import "$snap" >/dev/null
t1=$(now)
records=$(find "$snap" -name '*.yaml' -o -name '*.json' | wc -l)
size=$(stat -c %s "$STELE_HOME/vulndb.sqlite")
printf 'import: %d records in %.2fs (%.0f records/s), database %.1f MiB\n' \
	"$records" "$(calc "$t1 - $t0")" \
	"$(calc "$records / ($t1 - $t0)")" \
	"$(calc "$size / 1048576")"

t0=$(now)
"$bin" vulndb import "$snap" >/dev/null
t1=$(now)
printf 're-import (all unchanged): %.2fs\n' "$(calc "$t1 - $t0")"

# Pins of every package in the snapshot at versions its records list, so
# most lookups walk real ranges; spread over files of 1000 lines.
mkdir -p "$work/deps"
find "$snap" -name '*.yaml' | head -2000 | while read -r f; do
	pkg=$(awk '/^    name:/ {print $2; exit}' "$f")
	ver=$(awk '/^  versions:/ {getline; print $2; exit}' "$f" | tr -d "\"'")
	[ -n "$pkg" ] && echo "$pkg==${ver:-1.0}"
done | sort -u >"$work/pins.txt"
pins=$(wc -l <"$work/pins.txt")
i=0
while [ $((i * pins)) -lt "$n" ]; do
	cat "$work/pins.txt"
	i=$((i + 1))
done | head -n "$n" | split -l 1000 -a 4 --additional-suffix=.txt - \
	"$work/deps/requirements-"
# CPU time too: the machine may be shared, wall time alone misleads.
TIMEFORMAT='%R %U %S'
t=$({ time "$bin" vulns check "$work/deps" >"$work/out.txt" 2>/dev/null \
	|| true; } 2>&1)
read -r wall user sys <<<"$t"
printf 'matching: %s in %.2fs wall, %.2fs CPU (%.0f dependencies/s of '\
'CPU)\n' "$(tail -1 "$work/out.txt")" "$wall" "$(calc "$user + $sys")" \
	"$(calc "$n / ($user + $sys)")"

# Registry re-evaluation after an import (docs/pipeline.md): a synthetic
# dependency index of N_VERSIONS stored versions with 10 pins each, drawn
# from the pins above, then one import into the registry's data directory.
nv=${3:-100000}
data=$work/registry
mkdir -p "$data" "$work/empty"
"$bin" vulndb import --data "$data" "$work/empty" >/dev/null
python3 - "$data/meta.db" "$work/pins.txt" "$nv" <<'PY'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
pins = [l.strip().split("==") for l in open(sys.argv[2]) if "==" in l]
random.seed(1)
rows, deps = [], []
for v in range(int(sys.argv[3])):
    repo, digest = f"team/m{v // 100}", f"sha256:{v:064x}"
    rows.append((repo, digest))
    for line, (pkg, ver) in enumerate(random.sample(pins, 10), 1):
        deps.append((repo, digest, pkg.lower(), "==" + ver, ver,
                     "requirements.txt", line))
db.executemany("INSERT INTO scans(repo, digest, status, verdict, findings)"
               " VALUES(?, ?, 'done', 'clean', '[]')", rows)
db.executemany("INSERT INTO scan_deps VALUES(?,?,?,?,?,?,?)", deps)
db.commit()
PY
t=$({ time "$bin" vulndb import --data "$data" "$snap" \
	>"$work/reeval.txt" 2>/dev/null; } 2>&1)
read -r wall user sys <<<"$t"
printf 'registry re-evaluation (%d versions, %d dependencies): %s\n' \
	"$nv" "$((nv * 10))" "$(grep -o 're-evaluated.*' "$work/reeval.txt")"
printf '  import + re-evaluation: %.2fs wall, %.2fs CPU\n' "$wall" \
	"$(calc "$user + $sys")"
t=$({ time "$bin" vulndb import --data "$data" "$snap" \
	>"$work/reeval2.txt" 2>/dev/null; } 2>&1)
read -r wall user sys <<<"$t"
printf 'again, nothing changed: %s (%.2fs wall)\n' \
	"$(grep -o 're-evaluated.*' "$work/reeval2.txt")" "$wall"
