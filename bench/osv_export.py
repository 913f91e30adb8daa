#!/usr/bin/env python3
"""Turn the PyPA advisory database (YAML) into the layout osv-scanner reads
in offline mode: OUT/osv-scanner/PyPI/all.zip, one JSON record per member,
as in the osv.dev per-ecosystem export.

    osv_export.py SNAPSHOT_DIR OUT_DIR

Every YAML scalar is kept as a string (BaseLoader): an unquoted version such
as 0.10 must not become the float 0.1. Prints the number of records.
"""
import json
import sys
import zipfile
from pathlib import Path

import yaml

# The C loader when PyYAML has it: same string-only resolution, 5x faster.
LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def export(snapshot, out):
    dest = Path(out) / "osv-scanner" / "PyPI"
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / "all.zip.tmp"
    n = 0
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(Path(snapshot).rglob("*.yaml")):
            with open(f, encoding="utf-8") as fh:
                rec = yaml.load(fh, Loader=LOADER)
            if not isinstance(rec, dict) or "id" not in rec:
                continue
            z.writestr(f"{rec['id']}.json", json.dumps(rec))
            n += 1
    tmp.replace(dest / "all.zip")
    return n


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: osv_export.py SNAPSHOT_DIR OUT_DIR")
    print(export(sys.argv[1], sys.argv[2]))
