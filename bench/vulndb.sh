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
# dependency index of N_VERSIONS stored versions with 10 pins each. Nine
# pins come from packages without advisories; with probability 1/20 the
# tenth is a vulnerable pin from above (each such version gets about a
# hundred findings). Three imports: the first rewrites the affected
# versions, the second finds nothing changed (the pure re-evaluation
# cost), the third adds one advisory that flags 1% of the versions.
nv=${3:-100000}
data=$work/registry
mkdir -p "$data" "$work/empty" "$work/extra"
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
    mine = [(f"bench-safe-{random.randrange(2000)}", "1.0")
            for _ in range(9)]
    if v % 100 == 0:
        mine[0] = ("bench-late", "1.0")
    if random.random() < 0.05:
        mine.append(tuple(random.choice(pins)))
    else:
        mine.append((f"bench-safe-{random.randrange(2000)}", "2.0"))
    for line, (pkg, ver) in enumerate(mine, 1):
        deps.append((repo, digest, pkg.lower(), "==" + ver, ver,
                     "requirements.txt", line))
db.executemany("INSERT INTO scans(repo, digest, status, verdict, findings)"
               " VALUES(?, ?, 'done', 'clean', '[]')", rows)
db.executemany("INSERT INTO scan_deps VALUES(?,?,?,?,?,?,?)", deps)
db.commit()
PY
cat >"$work/extra/BENCH-1.json" <<'JSON'
{"id": "BENCH-1", "modified": "2026-12-01T00:00:00Z",
 "affected": [{"package": {"ecosystem": "PyPI", "name": "bench-late"},
   "ranges": [{"type": "ECOSYSTEM",
     "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}
JSON
reeval() {
	local t wall user sys
	t=$({ time "$bin" vulndb import --data "$data" "$1" \
		>"$work/reeval.txt" 2>/dev/null; } 2>&1)
	read -r wall user sys <<<"$t"
	printf '  %s: %s\n    import + re-evaluation %.2fs wall, %.2fs CPU\n' \
		"$2" "$(grep -o 're-evaluated.*in [0-9.]*s: [0-9]* changed' \
		"$work/reeval.txt")" "$wall" "$(calc "$user + $sys")"
}
printf 'registry re-evaluation, %d versions, %d dependencies:\n' "$nv" \
	"$((nv * 10))"
reeval "$snap" "first import (about 5% affected)"
reeval "$snap" "same import again"
reeval "$work/extra" "one new advisory (1% affected)"
