"""The registry's scanning pipeline against a real `stele serve`: pushes
queue scans and never wait, workers scan and sign, results and
vulnerability answers come back over REST and `stele scan REF`, an
advisory import re-evaluates stored versions, and a crash loses nothing.
"""
import json
import os
import pickle
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import stele_bin
from registry_util import ADMIN, Registry

SCAN = "https://stele.dev/attestations/scan/v1"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
SNAPSHOT = Path(os.environ.get(
    "STELE_OSV_SNAPSHOT",
    Path(__file__).resolve().parents[2].parent.parent / "shared" / "osv" /
    "pypa-advisory-database"))
if not SNAPSHOT.exists():
    SNAPSHOT = Path("/work/shared/osv/pypa-advisory-database")


class Evil:
    """Pickles to a call of os.system: what a malicious model does."""
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class World:
    def __init__(self, tmp):
        self.tmp = tmp
        self.reg = Registry(tmp)
        self.home = tmp / "home"
        self.home.mkdir()
        self.env = dict(os.environ, HOME=str(self.home),
                        STELE_HOME=str(self.home / "stele"),
                        DOCKER_CONFIG=str(self.home / "docker"),
                        COSIGN_PASSWORD="pipeline-test-key")
        self.logged_in = False

    def start(self, *extra):
        self.reg.start("--scan-workers", "2", *extra)
        if not self.logged_in:
            self.run("login", self.reg.host, "-u", ADMIN[0],
                     "--password-stdin", input=ADMIN[1] + "\n")
            self.logged_in = True

    def run(self, *args, input=None, check=True, timeout=300):
        p = subprocess.run([stele_bin(), *map(str, args)], env=self.env,
                           input=input, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"stele {args}: {p.stderr}")
        return p

    def publish(self, repo, tag, files):
        src = self.tmp / f"src-{repo.replace('/', '-')}-{tag}"
        src.mkdir()
        for name, data in files.items():
            (src / name).write_bytes(data)
        kit = ["manifestVersion: 1.0.0",
               f"package:\n  name: {repo.split('/')[-1]}",
               "model:\n  name: m\n  path: model.bin"]
        code = [n for n in files if n != "model.bin"]
        if code:
            kit.append("code:\n" + "".join(f"  - path: {n}\n" for n in code))
        (src / "Kitfile").write_text("\n".join(kit) + "\n")
        ref = f"{self.reg.host}/{repo}:{tag}"
        self.run("pack", src, "-t", ref)
        t0 = time.monotonic()
        self.run("push", ref)
        pushed = time.monotonic() - t0
        p = self.run("inspect", ref, "--format", "json")
        return ref, json.loads(p.stdout)["digest"], pushed

    def scan(self, repo, digest):
        st, _, body = self.reg.request(
            "GET", f"/api/v1/repositories/{repo}/scans/{digest}", auth=ADMIN)
        assert st == 200, body
        return json.loads(body)

    def wait(self, repo, digest, until=("done", "failed"), timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.scan(repo, digest)
            if s["status"] in until:
                return s
            time.sleep(0.2)
        raise AssertionError(f"scan of {repo}@{digest} stuck: {s}")

    def referrers(self, repo, digest):
        st, _, body = self.reg.request(
            "GET", f"/v2/{repo}/referrers/{digest}", auth=ADMIN)
        assert st == 200, body
        return [m for m in json.loads(body)["manifests"]
                if m.get("annotations", {}).get(
                    "dev.sigstore.bundle.predicateType") == SCAN]

    def import_advisories(self, source):
        return self.run("vulndb", "import", "--data", self.reg.data, source)

    def audit(self, action):
        db = sqlite3.connect(self.reg.data / "meta.db")
        try:
            return db.execute("SELECT actor, repo, digest, result, reason"
                              " FROM audit WHERE action=? ORDER BY seq",
                              (action,)).fetchall()
        finally:
            db.close()

    def jobs(self):
        db = sqlite3.connect(self.reg.data / "meta.db")
        try:
            return dict(db.execute("SELECT state, count(*) FROM "
                                   "pipeline_jobs GROUP BY state"))
        finally:
            db.close()


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.reg.stop()


def advisory(rid, pkg, fixed, modified="2026-12-01T00:00:00Z"):
    return {"id": rid, "modified": modified, "aliases": [],
            "summary": f"problem {rid}",
            "affected": [{"package": {"ecosystem": "PyPI", "name": pkg},
                          "ranges": [{"type": "ECOSYSTEM", "events": [
                              {"introduced": "0"}, {"fixed": fixed}]}]}]}


def test_push_scanned_signed_and_verifiable(world):
    world.start()
    ref, digest, _ = world.publish("team/clean", "v1.0.0",
                                   {"model.bin": b"\x00" * 4096})
    s = world.wait("team/clean", digest)
    assert s["status"] == "done", s
    assert s["verdict"] == "clean"
    assert s["started"] and s["finished"] and s["attestation"]
    refs = world.referrers("team/clean", digest)
    assert [r["digest"] for r in refs] == [s["attestation"]]
    assert refs[0]["artifactType"] == BUNDLE
    pub = world.reg.data / "keys" / "signing.pub"
    assert (world.reg.data / "keys" / "signing.key").stat().st_mode & 0o077 \
        == 0
    p = world.run("verify-attestation", ref, "--key", pub, "--type", SCAN)
    assert p.returncode == 0
    # Another key must not verify it.
    world.run("key", "generate", "--output-key-prefix", world.tmp / "other")
    p = world.run("verify-attestation", ref, "--key",
                  world.tmp / "other.pub", "--type", SCAN, check=False)
    assert p.returncode != 0


def test_malicious_pickle_verdict_and_scan_ref(world):
    world.start()
    evil = pickle.dumps(Evil(), protocol=2)
    ref, digest, _ = world.publish("team/evil", "v1.0.0",
                                   {"model.bin": evil})
    p = world.run("scan", ref, "--wait", "--format", "json", check=False)
    assert p.returncode == 1, p.stderr
    s = json.loads(p.stdout)
    assert s["status"] == "done" and s["verdict"] == "malicious"
    assert s["counts"]["critical"] >= 1
    assert s["kinds"]["model"] >= 1
    assert any(f["path"].endswith("model.bin") for f in s["findings"])
    text = world.run("scan", ref, check=False)
    assert "verdict malicious" in text.stdout
    # The finished scan is in the audit log, by the registry itself.
    [(actor, repo, dig, result, reason)] = world.audit("scan")
    assert (actor, repo, dig, result) == ("stele", "team/evil", digest,
                                          "ok")
    assert reason.startswith("verdict malicious: ") and \
        f"{s['counts']['critical']} critical" in reason


def test_unknown_scan_and_bad_queries(world):
    world.start()
    st, _, _ = world.reg.request(
        "GET", "/api/v1/repositories/team/none/scans/sha256:" + "0" * 64,
        auth=ADMIN)
    assert st == 404
    st, _, _ = world.reg.request("GET", "/api/v1/vulnerabilities",
                                 auth=ADMIN)
    assert st == 400
    st, _, _ = world.reg.request(
        "GET", "/api/v1/vulnerabilities?id=CVE-1&package=x", auth=ADMIN)
    assert st == 400
    st, _, _ = world.reg.request("GET", "/api/v1/vulnerabilities?id=CVE-1")
    assert st == 401


def test_jinja2_cve_found_and_registry_wide_answer(world):
    imp = world.import_advisories(SNAPSHOT / "vulns" / "jinja2")
    assert "added" in imp.stdout
    world.start()
    ref, digest, _ = world.publish(
        "team/web", "v1.0.0",
        {"model.bin": b"weights", "requirements.txt": b"jinja2==2.10\n"})
    s = world.wait("team/web", digest)
    deps = [f for f in s["findings"] if f.get("package") == "jinja2"]
    ids = {f["id"] for f in deps}
    assert "CVE-2019-10906" in ids, ids
    assert s["kinds"]["dependency"] == len(deps)
    assert s["advisory_db"]
    # An environment runs it (governance moves environment tags; this
    # stands in for a promotion).
    db = sqlite3.connect(world.reg.data / "meta.db")
    db.execute("INSERT INTO tags(repo, tag, digest, updated) VALUES"
               "('team/web', 'prod', ?, 0)", (digest,))
    db.commit()
    db.close()
    p = world.run("vulns", "--registry", world.reg.host, "--id",
                  "CVE-2019-10906", "--format", "json", check=False)
    assert p.returncode == 3, p.stderr
    out = json.loads(p.stdout)
    [hit] = out["affected"]
    assert hit["repository"] == "team/web" and hit["digest"] == digest
    assert hit["versions"] == ["v1.0.0"]
    assert hit["environments"] == ["prod"]
    p = world.run("vulns", "--registry", world.reg.host, "--package",
                  "Jinja2", check=False)
    assert p.returncode == 3 and "team/web@" in p.stdout
    assert "environments: prod" in p.stdout
    p = world.run("vulns", "--registry", world.reg.host, "--package",
                  "numpy", check=False)
    assert p.returncode == 0 and "no stored version" in p.stdout


def test_new_advisories_flag_stored_version_with_newer_attestation(world):
    world.start()
    ref, digest, _ = world.publish(
        "team/dep", "v1.0.0",
        {"model.bin": b"weights",
         "requirements.txt": b"# pinned\ndemo-pipeline-pkg==1.0\n"})
    s = world.wait("team/dep", digest)
    assert s["verdict"] == "clean" and s["kinds"]["dependency"] == 0
    first = s["attestation"]
    adv = world.tmp / "adv"
    adv.mkdir()
    (adv / "DEMO-1.json").write_text(json.dumps(advisory(
        "DEMO-1", "demo-pipeline-pkg", "1.5")))
    p = world.import_advisories(adv)
    assert "1 changed, 1 newly affected" in p.stdout or \
        "queued for the server" in p.stdout, p.stdout
    end = time.monotonic() + 60
    while time.monotonic() < end:
        s = world.scan("team/dep", digest)
        if s["attestation"] != first and s["changed"]:
            break
        time.sleep(0.2)
    assert s["attestation"] != first, s
    [f] = [f for f in s["findings"] if f.get("id") == "DEMO-1"]
    assert f["package"] == "demo-pipeline-pkg" and f["line"] == 2
    assert f["fixed"] == ["1.5"]
    refs = world.referrers("team/dep", digest)
    assert {r["digest"] for r in refs} == {first, s["attestation"]}
    # The same import again changes nothing and signs nothing.
    p = world.import_advisories(adv)
    assert "0 changed" in p.stdout or "queued" in p.stdout


def test_push_does_not_wait_for_scan(world):
    world.start("--scan-workers", "1")
    big = os.urandom(64 << 20)
    _, digest, _ = world.publish("team/big", "v1.0.0", {"model.bin": big})
    # Right after the push answered, its scan has not finished: hashing
    # and scanning 64 MiB takes longer than the inspect in between.
    s = world.scan("team/big", digest)
    assert s["status"] in ("pending", "running"), s
    assert world.wait("team/big", digest)["status"] == "done"


def test_crash_mid_scan_resumes(world):
    world.start("--scan-workers", "1")
    digests = []
    for i in range(2):
        _, d, _ = world.publish(f"team/c{i}", "v1.0.0",
                                {"model.bin": os.urandom(1 << 20)})
        digests.append((f"team/c{i}", d))
    # A version of many files takes seconds to extract and scan.
    src = world.tmp / "many"
    (src / "code").mkdir(parents=True)
    for i in range(6000):
        (src / "code" / f"f{i}.py").write_text(f"x = {i}\n")
    (src / "model.bin").write_bytes(b"w")
    (src / "Kitfile").write_text(
        "manifestVersion: 1.0.0\npackage:\n  name: many\n"
        "model:\n  name: m\n  path: model.bin\ncode:\n  - path: code\n")
    ref = f"{world.reg.host}/team/many:v1.0.0"
    world.run("pack", src, "-t", ref)
    world.run("push", ref)
    d = json.loads(world.run("inspect", ref, "--format", "json").stdout)
    digests.append(("team/many", d["digest"]))
    # Kill -9 while that scan is still pending or running.
    state = world_scan_state(world, "team/many", d["digest"])
    world.reg.crash()
    assert state in ("pending", "running"), state
    world.start()
    for repo, d in digests:
        s = world.wait(repo, d)
        assert s["status"] == "done" and s["verdict"] == "clean", s
        assert s["attestation"] in {
            r["digest"] for r in world.referrers(repo, d)}
    jobs = world.jobs()
    assert jobs.get("running", 0) == 0 and jobs.get("pending", 0) == 0
    assert jobs.get("failed", 0) == 0
    assert jobs.get("done", 0) == 3
    assert not any((world.reg.data / "scratch").iterdir())


def world_scan_state(world, repo, digest):
    db = sqlite3.connect(world.reg.data / "meta.db")
    try:
        [(st,)] = db.execute("SELECT status FROM scans WHERE repo=? AND "
                             "digest=?", (repo, digest)).fetchall()
        return st
    finally:
        db.close()


def test_crash_mid_import_old_or_new(world):
    world.start()
    _, digest, _ = world.publish(
        "team/imp", "v1.0.0",
        {"model.bin": b"w", "requirements.txt": b"jinja2==2.10\n"})
    world.wait("team/imp", digest)
    p = subprocess.Popen([stele_bin(), "vulndb", "import", "--data",
                          world.reg.data, SNAPSHOT], env=world.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.kill()
    p.wait()
    st = world.run("vulndb", "status", "--data", world.reg.data)
    n = int(st.stdout.split("advisories:")[1].split()[0])
    assert n == 0 or n > 1000, st.stdout
    # Import to the end; the server's scan then shows the CVE.
    world.import_advisories(SNAPSHOT / "vulns" / "jinja2")
    end = time.monotonic() + 60
    while time.monotonic() < end:
        s = world.scan("team/imp", digest)
        if any(f.get("id") == "CVE-2019-10906" for f in s["findings"]):
            break
        time.sleep(0.2)
    assert any(f.get("id") == "CVE-2019-10906" for f in s["findings"])


def test_import_without_reevaluation_is_caught_up_on_start(world):
    """The importer dies after its import and before re-evaluating: the
    server notices the new database version on start."""
    world.start()
    _, digest, _ = world.publish(
        "team/late", "v1.0.0",
        {"model.bin": b"w", "requirements.txt": b"demo-late-pkg==1.0\n"})
    first = world.wait("team/late", digest)["attestation"]
    world.reg.stop()
    adv = world.tmp / "adv"
    adv.mkdir()
    (adv / "LATE-1.json").write_text(json.dumps(advisory(
        "LATE-1", "demo-late-pkg", "2.0")))
    # A plain import into the server's database: no re-evaluation.
    world.run("vulndb", "import", "--db", world.reg.data / "vulndb.sqlite",
              adv)
    world.start()
    end = time.monotonic() + 60
    while time.monotonic() < end:
        s = world.scan("team/late", digest)
        if s["attestation"] != first:
            break
        time.sleep(0.2)
    assert [f["id"] for f in s["findings"] if f.get("package")] == \
        ["LATE-1"]
    assert s["attestation"] != first and s["changed"]


def test_storage_initializer_reads_the_registry_scan(world):
    """The KServe initializer trusts the registry's key and finds its
    signed scan as a referrer: a malicious version never lands."""
    world.start()
    evil = pickle.dumps(Evil(), protocol=2)
    ref, digest, _ = world.publish("team/kserve", "v1.0.0",
                                   {"model.bin": evil})
    world.wait("team/kserve", digest)
    keys = world.tmp / "trusted"
    keys.mkdir()
    (keys / "registry.pub").write_bytes(
        (world.reg.data / "keys" / "signing.pub").read_bytes())
    dest = world.tmp / "mnt-models"
    env = dict(STELE_TRUSTED_KEYS=str(keys),
               STELE_TERMINATION_LOG=str(world.tmp / "termination-log"),
               STELE_USERNAME=ADMIN[0], STELE_PASSWORD=ADMIN[1])
    p = subprocess.run([stele_bin(), "storage-initializer",
                        f"stele://{ref}", dest], env=dict(world.env, **env),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert "malicious" in (world.tmp / "termination-log").read_text()
    assert not dest.exists() or not any(dest.iterdir())


def test_local_scan_covers_dependencies(world, tmp_path):
    """`stele scan DIR` matches dependency files against --vulndb, or the
    default database in $STELE_HOME when it exists."""
    home_db = world.home / "stele" / "vulndb.sqlite"
    home_db.parent.mkdir(parents=True)
    world.run("vulndb", "import", "--db", home_db,
              SNAPSHOT / "vulns" / "jinja2")
    d = tmp_path / "model"
    d.mkdir()
    (d / "requirements.txt").write_text("numpy\njinja2==2.10\n")
    for extra in ((), ("--vulndb", home_db)):
        p = world.run("scan", "--format", "json", "--fail-on", "medium",
                      *extra, d, check=False)
        assert p.returncode == 1, p.stderr
        out = json.loads(p.stdout)
        [f] = [f for f in out["findings"]
               if f.get("id") == "CVE-2019-10906"]
        assert f["package"] == "jinja2" and f["version"] == "2.10"
        assert f["line"] == 2 and "2.10.1" in f["fixed"]
        assert any(x["path"] == "requirements.txt" for x in out["files"])
    # Without a database there is nothing to match: no dependency finding.
    home_db.unlink()
    p = world.run("scan", "--format", "json", d, check=False)
    assert not [f for f in json.loads(p.stdout)["findings"]
                if f.get("package")]
    p = world.run("scan", "--vulndb", tmp_path / "missing" / "x.sqlite",
                  d, check=False)
    assert p.returncode == 2 and "stele scan:" in p.stderr


def put_blob(world, repo, data):
    import hashlib
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    st, _, body = world.reg.request(
        "POST", f"/v2/{repo}/blobs/uploads/?digest={d}", body=data,
        headers={"Content-Type": "application/octet-stream"}, auth=ADMIN)
    assert st == 201, body
    return {"digest": d, "size": len(data)}


def test_layer_escaping_scratch_fails_the_scan(world):
    """A layer pushed by another client with a '..' entry is refused by
    the extraction: the scan fails with the reason, never clean."""
    import io
    import tarfile
    world.start()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
    layer = put_blob(world, "team/bad", buf.getvalue())
    cfg = put_blob(world, "team/bad", json.dumps(
        {"manifestVersion": "1.0.0", "package": {"name": "bad"}}).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(cfg, mediaType=
                       "application/vnd.kitops.modelkit.config.v1+json"),
        "layers": [dict(layer, mediaType=
                        "application/vnd.kitops.modelkit.code.v1.tar")]}
    st, h, body = world.reg.request(
        "PUT", "/v2/team/bad/manifests/v1.0.0",
        body=json.dumps(manifest).encode(),
        headers={"Content-Type":
                 "application/vnd.oci.image.manifest.v1+json"}, auth=ADMIN)
    assert st == 201, body
    digest = h["Docker-Content-Digest"]
    s = world.wait("team/bad", digest)
    assert s["status"] == "failed" and s["verdict"] is None, s
    assert ".." in s["error"]
    assert not (world.reg.data / "escape.txt").exists()
    assert not (world.reg.data / "scratch" / "escape.txt").exists()
    assert world.referrers("team/bad", digest) == []
    p = world.run("scan", f"{world.reg.host}/team/bad:v1.0.0", check=False)
    assert p.returncode == 2 and "failed" in p.stdout
    [(actor, _, dig, result, reason)] = world.audit("scan")
    assert (actor, dig, result) == ("stele", digest, "error")
    assert ".." in reason
