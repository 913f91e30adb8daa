"""Advisory import and dependency matching against the real PyPA snapshot."""
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest

from conftest import stele_bin

# The PyPA advisory database snapshot (see ../shared/osv/README.md).
SNAPSHOT = Path(os.environ.get(
    "STELE_OSV_SNAPSHOT",
    Path(__file__).resolve().parents[2].parent.parent / "shared" / "osv" /
    "pypa-advisory-database"))
if not SNAPSHOT.exists():
    SNAPSHOT = Path("/work/shared/osv/pypa-advisory-database")


def record(rid, modified, pkg="demo-pkg", fixed="1.5", aliases=(),
           **extra):
    r = {
        "id": rid, "modified": modified, "aliases": list(aliases),
        "summary": f"problem {rid}",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": pkg},
            "ranges": [{"type": "ECOSYSTEM", "events": [
                {"introduced": "0"}, {"fixed": fixed}]}],
        }],
    }
    r.update(extra)
    return r


def write_records(d, records):
    d.mkdir(parents=True, exist_ok=True)
    for r in records:
        (d / f"{r['id']}.json").write_text(json.dumps(r))


@pytest.fixture(scope="module")
def snapshot_home(tmp_path_factory):
    """One import of the real snapshot shared by the matching tests."""
    home = tmp_path_factory.mktemp("vulnhome")
    env = dict(os.environ, STELE_HOME=str(home))
    t0 = time.monotonic()
    p = subprocess.run([stele_bin(), "vulndb", "import", str(SNAPSHOT)],
                       env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    assert elapsed < 60, f"snapshot import took {elapsed:.1f}s"
    return home, p


def check(stele, home, d, *extra):
    return stele.run("vulns", "check", "--format", "json", *extra, d,
                     check=False, env={"STELE_HOME": str(home)})


def test_snapshot_import_and_status(snapshot_home, stele):
    home, imp = snapshot_home
    assert "0 skipped" in imp.stdout
    assert "10 withdrawn" in imp.stdout
    st = stele.run("vulndb", "status", env={"STELE_HOME": str(home)})
    n = int(st.stdout.split("advisories:")[1].split()[0])
    assert n > 2600
    assert "packages:" in st.stdout and str(SNAPSHOT) in st.stdout
    assert "newest:     2024-10-10" in st.stdout


def test_reimport_is_incremental(tmp_path, stele):
    src = tmp_path / "src"
    write_records(src, [record("PYSEC-1", "2024-01-01T00:00:00Z")])
    stele.run("vulndb", "import", src)
    again = stele.run("vulndb", "import", src)
    assert "0 added, 0 updated, 1 unchanged" in again.stdout


def test_known_vulnerable_pins(snapshot_home, stele, tmp_path):
    home, _ = snapshot_home
    (tmp_path / "requirements.txt").write_text(
        "# model runtime\njinja2==2.10\npillow==6.2.0 \\\n"
        "    --hash=sha256:0000\njinja2-time==0.2.0\n"
        "markupsafe==2.1.5\n")
    p = check(stele, home, tmp_path)
    assert p.returncode == 3, p.stderr
    out = json.loads(p.stdout)
    by_id = {(f["package"], f["id"]): f for f in out["findings"]}
    j = by_id[("jinja2", "CVE-2019-10906")]
    assert j["rule"] == "dep-vulnerable"
    assert j["version"] == "2.10" and j["line"] == 2
    assert j["fixed"] == ["2.10.1"]
    assert "PYSEC-2019-217" in j["aliases"]
    assert "GHSA-462w-v97r-4m45" in j["aliases"]
    pil = by_id[("pillow", "CVE-2020-5313")]
    assert pil["fixed"] == ["6.2.2"] and pil["line"] == 3
    # One issue is reported once, under its CVE id.
    ids = [f["id"] for f in out["findings"] if f["package"] == "jinja2"]
    assert len(ids) == len(set(ids))
    assert not any(i.startswith("PYSEC-2019-217") for i in ids)
    assert not [f for f in out["findings"] if f["package"] == "markupsafe"]


def test_lock_files_and_manifests(snapshot_home, stele, tmp_path):
    home, _ = snapshot_home
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "Jinja2"\nversion = "2.10"\n'
        'description = "x"\n\n[metadata]\nlock-version = "2.0"\n')
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "pillow"\nversion = "6.2.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n')
    (tmp_path / "Pipfile.lock").write_text(json.dumps(
        {"_meta": {}, "default": {"flask": {"version": "==0.12"}},
         "develop": {}}, indent=4))
    (tmp_path / "environment.yml").write_text(
        "name: m\ndependencies:\n  - python=3.10\n  - pip:\n"
        "    - urllib3==1.24.1\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "m"\ndependencies = ["requests==2.19.0"]\n'
        '[tool.poetry.dependencies]\npython = "^3.9"\n'
        'jinja2 = "^3.1.4"\n')
    (tmp_path / "bom.cdx.json").write_text(json.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "purl": "pkg:pypi/pyyaml@5.3"}]}))
    out = json.loads(check(stele, home, tmp_path).stdout)
    hits = {(f["file"], f["package"]) for f in out["findings"]}
    for want in [("poetry.lock", "jinja2"), ("uv.lock", "pillow"),
                 ("Pipfile.lock", "flask"), ("environment.yml", "urllib3"),
                 ("pyproject.toml", "requests"),
                 ("bom.cdx.json", "pyyaml")]:
        assert want in hits, want
    assert ("pyproject.toml", "jinja2") not in hits
    assert out["problems"] == []


def test_range_reports_safe_versions(snapshot_home, stele, tmp_path):
    home, _ = snapshot_home
    (tmp_path / "requirements.txt").write_text(
        "jinja2>=2.10,<2.11\njinja2>=3.1.4\n")
    out = json.loads(check(stele, home, tmp_path).stdout)
    f = [f for f in out["findings"] if f["id"] == "CVE-2019-10906"]
    assert len(f) == 1
    assert f[0]["rule"] == "dep-range-vulnerable"
    assert f[0]["version"] == ">=2.10,<2.11"
    assert f[0]["safe"] == ">=2.10.1,<2.11"
    assert all(x["line"] == 1 for x in out["findings"])


def test_cyclic_includes(snapshot_home, stele, tmp_path):
    home, _ = snapshot_home
    (tmp_path / "requirements.txt").write_text(
        "-r requirements-dev.txt\njinja2==2.10\n")
    (tmp_path / "requirements-dev.txt").write_text(
        "-r requirements.txt\n-r ../outside.txt\n-r fifo\n"
        "-r link.txt\npillow==6.2.0\n")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path.parent / "secret.txt").write_text("django==1.0\n")
    (tmp_path / "link.txt").symlink_to(tmp_path.parent / "secret.txt")
    out = json.loads(check(stele, home, tmp_path).stdout)
    pkgs = {f["package"] for f in out["findings"]}
    assert pkgs == {"jinja2", "pillow"}
    reasons = " ".join(p["reason"] for p in out["problems"])
    assert "cyclic include" in reasons
    assert "outside.txt" in reasons
    assert "'fifo' is not a regular file" in reasons
    assert "link.txt' leaves the package directory" in reasons


def test_vulns_by_id_and_package(snapshot_home, stele):
    home, _ = snapshot_home
    env = {"STELE_HOME": str(home)}
    for key in ["CVE-2019-10906", "PYSEC-2019-217", "GHSA-462w-v97r-4m45"]:
        p = stele.run("vulns", "--id", key, "--format", "json", env=env)
        got = json.loads(p.stdout)
        assert [a["id"] for a in got] == ["CVE-2019-10906"]
        assert got[0]["fixed"] == ["2.10.1"]
    p = stele.run("vulns", "--package", "Jinja2", env=env)
    assert "CVE-2019-10906 jinja2" in p.stdout


def test_malformed_records_are_skipped(tmp_path, stele):
    src = tmp_path / "src"
    write_records(src, [record("PYSEC-GOOD-1", "2024-01-01T00:00:00Z")])
    (src / "broken.json").write_text('{"id": "X-1", "modified": ')
    (src / "dupkey.json").write_text(
        '{"id": "X-2", "id": "X-3", "modified": "2024-01-01T00:00:00Z"}')
    (src / "badrange.json").write_text(json.dumps(record(
        "X-4", "2024-01-01T00:00:00Z") | {"affected": [{"package": {
            "ecosystem": "PyPI", "name": "a"}, "ranges": [{
                "type": "ECOSYSTEM", "events": [{"introduced": 7}]}]}]}))
    (src / "dup.yaml").write_text(
        "id: X-5\nid: X-6\nmodified: 2024-01-01T00:00:00Z\n")
    (src / "bad.yaml").write_text("id: [unclosed\n")
    (src / "absurd.json").write_text(json.dumps(record(
        "X-7", "2024-01-01T00:00:00Z", fixed="1." + "9" * 300)))
    p = stele.run("vulndb", "import", src)
    assert "1 added" in p.stdout or "2 added" in p.stdout
    assert "5 skipped" in p.stdout or "6 skipped" in p.stdout
    for name in ["broken.json", "dupkey.json", "badrange.json",
                 "dup.yaml", "bad.yaml"]:
        assert f"skipped {name}" in p.stderr, p.stderr
    assert "duplicate" in p.stderr
    got = stele.run("vulns", "--id", "PYSEC-GOOD-1", "--format", "json")
    assert json.loads(got.stdout)[0]["fixed"] == ["1.5"]


def test_later_modified_wins_and_withdrawn_removes(tmp_path, stele):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    # Another record keeps the database non-empty after the withdrawal
    # (an empty one is refused: see test_no_advisories_fails_closed).
    write_records(a, [record("GHSA-t-1", "2024-02-01T00:00:00Z",
                             fixed="2.0", aliases=["CVE-2099-1"]),
                      record("GHSA-other-1", "2024-02-01T00:00:00Z",
                             pkg="other-pkg")])
    write_records(b, [record("GHSA-t-1", "2024-01-01T00:00:00Z",
                             fixed="9.0", aliases=["CVE-2099-1"])])
    write_records(c, [record("GHSA-t-1", "2024-03-01T00:00:00Z",
                             withdrawn="2024-03-01T00:00:00Z")])
    stele.run("vulndb", "import", a)
    stele.run("vulndb", "import", b)
    got = json.loads(stele.run("vulns", "--id", "CVE-2099-1", "--format",
                               "json").stdout)
    assert got[0]["fixed"] == ["2.0"]
    p = stele.run("vulndb", "import", c)
    assert "1 withdrawn" in p.stdout
    got = json.loads(stele.run("vulns", "--id", "CVE-2099-1", "--format",
                               "json").stdout)
    assert got == []


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_zip_export_from_file_and_url(tmp_path, stele):
    z = tmp_path / "PyPI.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(3):
            zf.writestr(f"PYSEC-Z-{i}.json", json.dumps(record(
                f"PYSEC-Z-{i}", "2024-01-01T00:00:00Z", pkg=f"zpkg{i}")))
        zf.writestr("README.txt", "not a record")
        zf.writestr("bad.json", "{")
    p = stele.run("vulndb", "import", z)
    assert "3 added" in p.stdout and "1 skipped" in p.stdout

    handler = lambda *a, **k: _Quiet(*a, directory=str(tmp_path), **k)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/PyPI.zip"
        p = stele.run("vulndb", "import", "--db", tmp_path / "u.sqlite", url)
        assert "3 added" in p.stdout
        missing = stele.run("vulndb", "import", "--db",
                            tmp_path / "u.sqlite", url + ".nope",
                            check=False)
        assert missing.returncode == 1 and "404" in missing.stderr
    finally:
        srv.shutdown()


def test_kill_mid_import_keeps_old_state(tmp_path, stele):
    first = tmp_path / "first"
    write_records(first, [record("PYSEC-OLD-1", "2024-01-01T00:00:00Z")])
    stele.run("vulndb", "import", first)
    big = tmp_path / "big"
    write_records(big, [record(f"PYSEC-BIG-{i}", "2024-01-01T00:00:00Z",
                               pkg=f"pkg{i}") for i in range(20000)])
    proc = subprocess.Popen([stele_bin(), "vulndb", "import", str(big)],
                            env=stele.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(1.0)
    assert proc.poll() is None, "import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    st = stele.run("vulndb", "status")
    assert "advisories: 1 " in st.stdout
    # The database is usable afterwards and the import can be redone.
    p = stele.run("vulndb", "import", first)
    assert "1 unchanged" in p.stdout


def test_usage_errors(stele, tmp_path):
    assert stele.run("vulns", check=False).returncode == 2
    assert stele.run("vulndb", "frobnicate", check=False).returncode == 2
    p = stele.run("vulndb", "import", tmp_path / "missing", check=False)
    assert p.returncode == 1 and "missing" in p.stderr
    p = stele.run("vulns", "check", tmp_path / "missing", check=False)
    assert p.returncode == 1


def test_huge_and_absurd_inputs(snapshot_home, stele, tmp_path):
    home, _ = snapshot_home
    d = tmp_path / "m"
    d.mkdir()
    (d / "requirements.txt").write_text(
        "jinja2==2.10\n" + "x" * 70000 + "\n"
        "pkg==1.99999999999999999999999\n"
        "pkg2==" + "1." * 40 + "0\n")
    (d / "requirements-big.txt").write_text("a==1\n" * 2_000_000)
    out = json.loads(check(stele, home, d).stdout)
    assert {f["package"] for f in out["findings"]} == {"jinja2"}
    reasons = {p["file"]: p["reason"] for p in out["problems"]}
    assert "8388608" in reasons["requirements-big.txt"] or \
        "limit" in reasons["requirements-big.txt"]
    allr = " ".join(p["reason"] for p in out["problems"])
    assert "line 2 longer than 65536 bytes; skipped" in allr
    # Lines after the long one are still read.
    assert "pkg==1.99999" in allr and "line 4" in allr

    src = tmp_path / "src"
    write_records(src, [record("PYSEC-SMALL-1", "2024-01-01T00:00:00Z")])
    huge = record("PYSEC-HUGE-1", "2024-01-01T00:00:00Z")
    huge["details"] = "y" * (5 << 20)
    (src / "huge.json").write_text(json.dumps(huge))
    p = stele.run("vulndb", "import", "--db", tmp_path / "h.sqlite", src)
    assert "1 added" in p.stdout and "1 skipped" in p.stdout
    assert "huge.json: record larger than" in p.stderr


def test_no_advisories_fails_closed(tmp_path, stele):
    """Matching against nothing must not call a dependency safe."""
    d = tmp_path / "model"
    d.mkdir()
    (d / "requirements.txt").write_text("joblib==1.1.0\n")
    db = tmp_path / "home" / "vulndb.sqlite"
    for args in (["vulns", "check", d], ["vulns", "--id", "CVE-2022-21797"],
                 ["vulns", "--package", "joblib"]):
        p = stele.run(*args, check=False)
        assert p.returncode == 1, p.stdout + p.stderr
        assert p.stdout == ""
        assert p.stderr == (f"stele vulns: no advisories loaded ({db} does "
                            "not exist): run 'stele vulndb import PATH'\n")
        assert not db.exists()
    # A scan reads the file but says it could not be checked.
    p = stele.run("scan", "--format", "json", d, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    out = json.loads(p.stdout)
    assert out["verdict"] == "incomplete"
    req = [f for f in out["files"] if f["path"] == "requirements.txt"
           and f["format"] == "python-dependencies"]
    assert req and req[0]["complete"] is False
    assert "no advisories loaded" in req[0]["reason"]
    # An existing but empty database is refused the same way.
    empty = tmp_path / "empty.sqlite"
    stele.run("vulndb", "status", "--db", empty)
    p = stele.run("vulns", "check", "--db", empty, d, check=False)
    assert p.returncode == 1
    assert f"({empty} is empty)" in p.stderr
    p = stele.run("scan", "--vulndb", empty, d, check=False)
    assert p.returncode == 2 and "is empty" in p.stdout
    # With advisories: checked, complete, and counted in the singular.
    write_records(tmp_path / "adv", [record("GHSA-x-1", "2024-01-01T00:00:00Z",
                                            pkg="other")])
    stele.run("vulndb", "import", tmp_path / "adv")
    p = stele.run("vulns", "check", d)
    assert p.stdout == "1 dependency, 0 vulnerable\n"
    out = json.loads(stele.run("scan", "--format", "json", d).stdout)
    assert out["verdict"] == "clean"


def test_local_modelkit_dependencies_are_matched(tmp_path, stele):
    d = tmp_path / "kit"
    d.mkdir()
    (d / "model.safetensors").write_bytes(b"\x02\0\0\0\0\0\0\0{}")
    (d / "requirements.txt").write_text("demo-pkg==1.0\n")
    (d / "Kitfile").write_text(
        "manifestVersion: 1.0.0\nmodel:\n  path: model.safetensors\n"
        "code:\n  - path: requirements.txt\n")
    stele.run("pack", d, "-t", "kit:v1")
    p = stele.run("scan", "--format", "json", "kit:v1", check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    out = json.loads(p.stdout)
    assert out["verdict"] == "incomplete"
    dep = [f for f in out["files"] if f["format"] == "python-dependencies"]
    assert [f["path"] for f in dep] == ["requirements.txt"]
    assert "no advisories loaded" in dep[0]["reason"]
    write_records(tmp_path / "adv", [record("GHSA-k-1",
                                            "2024-01-01T00:00:00Z")])
    stele.run("vulndb", "import", tmp_path / "adv")
    p = stele.run("scan", "--format", "json", "--fail-on", "critical",
                  "kit:v1")
    out = json.loads(p.stdout)
    assert out["verdict"] != "incomplete"
    assert [(f["rule"], f["package"], f["id"]) for f in out["findings"]] \
        == [("dep-vulnerable", "demo-pkg", "GHSA-k-1")]
