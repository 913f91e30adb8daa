"""stele audit: verify, export and tamper detection on a data directory.

The records are written here by an independent Python implementation of
the chain format documented in docs/audit.md, so these tests also check
that the format is what the documentation says.
"""
import csv
import hashlib
import io
import json
import sqlite3

import pytest

ZERO = "0" * 64
FIELDS = ["actor", "action", "repo", "tag", "digest", "result", "reason",
          "addr", "agent", "request_id"]


def canonical(rec):
    obj = {"seq": rec["seq"], "time": rec["time"]}
    for f in FIELDS:
        obj[f] = rec.get(f)
    obj["prev"] = rec["prev"]
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def write_log(path, n):
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL,
          actor TEXT, action TEXT, repo TEXT, tag TEXT, digest TEXT,
          result TEXT, reason TEXT, addr TEXT, agent TEXT, request_id TEXT,
          prev TEXT NOT NULL, hash TEXT NOT NULL);""")
    prev = ZERO
    for i in range(1, n + 1):
        rec = {"seq": i, "time": f"2026-12-01T10:00:{i:02d}.000Z",
               "actor": "alice", "action": "promote", "repo": "team/m",
               "tag": "prod", "result": "ok" if i % 3 else "denied",
               "reason": f"=step {i}, \"quoted\"", "addr": "127.0.0.1",
               "agent": "stele/0.1 ✓", "prev": prev}
        rec["hash"] = hashlib.sha256(canonical(rec).encode()).hexdigest()
        db.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   [rec["seq"], rec["time"]] + [rec.get(f) for f in FIELDS]
                   + [rec["prev"], rec["hash"]])
        prev = rec["hash"]
    db.commit()
    db.close()


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    write_log(d / "meta.db", 6)
    return d


def test_verify_intact_log(stele, data):
    p = stele.run("audit", "verify", "--data", data)
    assert "6 records" in p.stdout


@pytest.mark.parametrize("sql,bad", [
    ("UPDATE audit SET reason='harmless' WHERE seq=4", 4),
    ("DELETE FROM audit WHERE seq=3", 4),
    ("UPDATE audit SET seq=100 WHERE seq=2; UPDATE audit SET seq=2 "
     "WHERE seq=5; UPDATE audit SET seq=5 WHERE seq=100", 2),
    ("INSERT INTO audit SELECT 7, time, actor, action, repo, tag, digest,"
     " result, reason, addr, agent, request_id, prev, hash FROM audit "
     "WHERE seq=6", 7),
])
def test_tampering_is_detected_at_first_bad_record(stele, data, sql, bad):
    db = sqlite3.connect(data / "meta.db")
    db.executescript(sql)
    db.commit()
    db.close()
    p = stele.run("audit", "verify", "--data", data, check=False)
    assert p.returncode == 1
    assert f"audit record {bad}:" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_export_jsonl_verifies_and_detects_edit(stele, data, tmp_path):
    out = tmp_path / "audit.jsonl"
    stele.run("audit", "export", "--data", data, "--format", "jsonl",
              "-o", out)
    lines = out.read_text().splitlines()
    assert len(lines) == 6 and json.loads(lines[0])["seq"] == 1
    stele.run("audit", "verify", "--file", out)
    lines[2] = lines[2].replace("denied", "ok").replace('"ok"', '"ok"')
    rec = json.loads(lines[1])
    rec["actor"] = "mallory"
    lines[1] = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
    out.write_text("\n".join(lines) + "\n")
    p = stele.run("audit", "verify", "--file", out, check=False)
    assert p.returncode == 1
    assert "audit record 2" in p.stderr


def test_export_csv_is_spreadsheet_safe(stele, data):
    p = stele.run("audit", "export", "--data", data, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert len(rows) == 6
    assert rows[0]["reason"] == "'=step 1, \"quoted\""
    assert rows[0]["agent"] == "stele/0.1 ✓"


def test_list_filters(stele, data):
    p = stele.run("audit", "list", "--data", data, "--result", "denied",
                  "--format", "json")
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    assert [r["seq"] for r in recs] == [3, 6]


def test_list_limit_shows_the_newest_records_oldest_first(stele, data):
    def seqs(*args):
        p = stele.run("audit", "list", "--data", data, "--format", "json",
                      *args)
        return [json.loads(l)["seq"] for l in p.stdout.splitlines()]

    assert seqs("--limit", "2") == [5, 6]
    assert seqs("--limit", "1", "--result", "denied") == [6]
    assert seqs("--limit", "100") == [1, 2, 3, 4, 5, 6]
    text = stele.run("audit", "list", "--data", data, "--limit", "3")
    assert len(text.stdout.splitlines()) == 3


def test_missing_log_is_one_line_error(stele, tmp_path):
    p = stele.run("audit", "verify", "--data", tmp_path / "none",
                  check=False)
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and "no audit log" in p.stderr


def test_config_names_the_data_directory(stele, data, tmp_path):
    # The server's configuration is enough: its data directory is read
    # relative to the file, as `stele serve` reads it.
    conf = tmp_path / "stele.yaml"
    conf.write_text("data: data\n")
    p = stele.run("audit", "verify", "--config", conf, cwd="/")
    assert p.returncode == 0, p.stderr
    bare = stele.run("audit", "export", cwd=tmp_path, check=False)
    assert bare.returncode == 1 and bare.stderr.count("\n") == 1
    assert "--config FILE" in bare.stderr
    bad = stele.run("audit", "export", "--cfg", conf, check=False)
    assert bad.returncode == 2 and "'--cfg'" in bad.stderr
    assert "unrecognized" not in bad.stderr
