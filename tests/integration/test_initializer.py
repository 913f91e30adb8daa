"""The KServe storage initializer, run exactly as KServe runs it: argument
pairs, settings in the environment, a termination log. The registry's
attestations are made here with `stele attest` and a key named like the
registry's, so the initializer is tested on its own before governance
signs them for real."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import stele_bin
from registry_util import ADMIN, Registry

SCAN = "https://stele.dev/attestations/scan/v1"
PROMO = "https://stele.dev/attestations/promotion/v1"
PASSWORD = "initializer-test-key"


class World:
    def __init__(self, tmp, secret):
        self.tmp = tmp
        self.reg = Registry(tmp)
        self.reg.start()
        self.home = tmp / "home"
        self.home.mkdir()
        self.env = dict(os.environ, HOME=str(self.home),
                        STELE_HOME=str(self.home / "stele"),
                        DOCKER_CONFIG=str(self.home / "docker"),
                        COSIGN_PASSWORD=PASSWORD)
        self.keys = tmp / "keys"
        self.keys.mkdir()
        self.secret = secret
        shutil.copy(self.secret / "registry.pub", self.keys / "registry.pub")
        shutil.copy(self.secret / "publisher.pub",
                    self.keys / "publisher.pub")
        self.run("login", self.reg.host, "-u", ADMIN[0],
                 "--password-stdin", input=ADMIN[1] + "\n")

    def run(self, *args, input=None, check=True, env=None):
        e = dict(self.env, **(env or {}))
        p = subprocess.run([stele_bin(), *map(str, args)], env=e,
                           input=input, capture_output=True, text=True,
                           timeout=300)
        if check and p.returncode != 0:
            raise AssertionError(f"stele {args}: {p.stderr}")
        return p

    def publish(self, repo, tag, payload=b"weights-v1", compression="none"):
        src = self.tmp / f"src-{repo.replace('/', '-')}-{tag}"
        src.mkdir()
        (src / "model.safetensors").write_bytes(payload)
        (src / "README.md").write_text("model card\n")
        (src / "Kitfile").write_text(
            "manifestVersion: 1.0.0\n"
            f"package:\n  name: {repo.split('/')[-1]}\n"
            "model:\n  name: m\n  path: model.safetensors\n"
            "docs:\n  - path: README.md\n")
        ref = f"{self.reg.host}/{repo}:{tag}"
        self.run("pack", src, "-t", ref, "--compression", compression)
        self.run("push", ref)
        p = self.run("inspect", ref, "--format", "json")
        return ref, json.loads(p.stdout)["digest"]

    def tag(self, ref, new_tag):
        base = ref.rsplit(":", 1)[0]
        self.run("tag", ref, f"{base}:{new_tag}")
        self.run("push", f"{base}:{new_tag}")

    def attest(self, ref, ptype, predicate, key="registry"):
        f = self.tmp / "predicate.json"
        f.write_text(json.dumps(predicate))
        self.run("attest", ref, "--predicate", f, "--type", ptype,
                 "--key", self.secret / f"{key}.key")

    def scan(self, ref, verdict="clean", high=0, time="2026-12-01T00:00:00Z"):
        self.attest(ref, SCAN, {
            "verdict": verdict, "time": time, "scanner": "test",
            "advisoryDatabase": "",
            "counts": {"critical": 0, "high": high, "medium": 0, "low": 0,
                       "info": 0}})

    def promote(self, ref, env, repo, sig=True, key="registry"):
        self.attest(ref, PROMO, {
            "environment": env, "repository": repo, "version": "v1.0.0",
            "action": "promote", "actor": "dora", "reason": "test",
            "time": "2026-12-01T00:00:00Z", "previous": None,
            "requireSignature": sig, "breakGlass": False}, key=key)

    def sign(self, ref, key="publisher"):
        self.run("sign", ref, "--key", self.secret / f"{key}.key")

    def init(self, uri, dest, env=None, **settings):
        e = {"STELE_TRUSTED_KEYS": str(self.keys),
             "STELE_TERMINATION_LOG": str(self.tmp / "termination-log"),
             "STELE_USERNAME": ADMIN[0], "STELE_PASSWORD": ADMIN[1]}
        if env:
            e["STELE_ENVIRONMENT"] = env
        e.update(settings)
        return self.run("storage-initializer", uri, dest, check=False,
                        env=e)

    def termination(self):
        return (self.tmp / "termination-log").read_text().strip()


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    """Key pairs, made once: scrypt makes each one slow on purpose."""
    d = tmp_path_factory.mktemp("secret")
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD)
    for name in ("registry", "publisher", "stranger"):
        subprocess.run([stele_bin(), "key", "generate",
                        "--output-key-prefix", str(d / name)], env=env,
                       check=True, capture_output=True, timeout=120)
    return d


@pytest.fixture
def world(tmp_path, secret):
    w = World(tmp_path, secret)
    yield w
    w.reg.stop()


def listing(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*"))


def ready(world, repo="team/model", payload=b"weights-v1",
          compression="none"):
    ref, digest = world.publish(repo, "v1.0.0", payload, compression)
    world.tag(ref, "qa")
    world.scan(ref)
    world.promote(ref, "qa", repo)
    world.sign(ref)
    return ref, digest


def test_promoted_signed_scanned_version_lands(world):
    ref, digest = ready(world)
    dest = world.tmp / "mnt" / "models"
    p = world.init(f"stele://{ref}", dest, env="qa")
    assert p.returncode == 0, p.stderr
    assert (dest / "model.safetensors").read_bytes() == b"weights-v1"
    assert (dest / "Kitfile").exists()
    assert not (dest / "README.md").exists()       # docs not in filter
    assert (dest / ".stele-complete").read_text() == digest
    assert "event=ready" in p.stderr
    # One 'stele sign' writes both formats: one key, counted once.
    assert 'detail="signed by 1 trusted publisher key"' in p.stderr
    # KServe reuses the volume: a second run finds it in place.
    p = world.init(f"stele://{ref}", dest, env="qa")
    assert p.returncode == 0 and "already" in p.stderr


def test_registry_from_environment_and_kit_scheme(world):
    ref, digest = ready(world)
    dest = world.tmp / "d1"
    p = world.init("stele://team/model@" + digest, dest, env="qa",
                   STELE_REGISTRY=world.reg.host)
    assert p.returncode == 0, p.stderr
    p = world.init(f"kit://{ref}", world.tmp / "d2", env="qa")
    assert p.returncode == 0, p.stderr


def refused(world, uri, dest, needle, env="qa", **settings):
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "keep.txt").write_text("was here")
    before = listing(dest)
    p = world.init(uri, dest, env=env, **settings)
    assert p.returncode == 1, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("stele storage-initializer: ")
    assert needle in last, last
    assert needle in world.termination()
    assert listing(dest) == before
    return last


def test_unpromoted_version_refused(world):
    ref, _ = world.publish("team/model", "v1.0.0")
    world.tag(ref, "qa")
    world.scan(ref)
    world.sign(ref)
    refused(world, f"stele://{ref}", world.tmp / "d", "never promoted")


def test_promotion_for_another_environment_refused(world):
    ref, _ = world.publish("team/model", "v1.0.0")
    world.tag(ref, "qa")
    world.scan(ref)
    world.sign(ref)
    world.promote(ref, "uat", "team/model")
    refused(world, f"stele://{ref}", world.tmp / "d", "never promoted")


def test_promotion_signed_by_publisher_key_refused(world):
    ref, _ = world.publish("team/model", "v1.0.0")
    world.tag(ref, "qa")
    world.scan(ref)
    world.sign(ref)
    world.promote(ref, "qa", "team/model", key="publisher")
    refused(world, f"stele://{ref}", world.tmp / "d", "never promoted")


def test_unsigned_version_refused(world):
    ref, _ = world.publish("team/model", "v1.0.0")
    world.tag(ref, "qa")
    world.scan(ref)
    world.promote(ref, "qa", "team/model")
    refused(world, f"stele://{ref}", world.tmp / "d",
            "not signed by a trusted publisher key")


def test_signed_by_untrusted_key_refused(world):
    ref, _ = world.publish("team/model", "v1.0.0")
    world.tag(ref, "qa")
    world.scan(ref)
    world.promote(ref, "qa", "team/model")
    world.sign(ref, key="stranger")
    refused(world, f"stele://{ref}", world.tmp / "d",
            "not signed by a trusted publisher key")


def test_newly_vulnerable_version_refused(world):
    ref, _ = ready(world)
    world.scan(ref, verdict="suspicious", high=1,
               time="2026-12-02T00:00:00Z")
    refused(world, f"stele://{ref}", world.tmp / "d", "1 high finding")


def test_malicious_scan_refused(world):
    ref, _ = world.publish("team/model", "v1.0.0")
    world.tag(ref, "qa")
    world.scan(ref, verdict="malicious")
    world.promote(ref, "qa", "team/model")
    world.sign(ref)
    refused(world, f"stele://{ref}", world.tmp / "d", "'malicious'")


def test_environment_moved_on_refused(world):
    ref, digest = ready(world)
    ref2, digest2 = world.publish("team/model", "v2.0.0", b"weights-v2")
    world.tag(ref2, "qa")
    refused(world, f"stele://{ref}", world.tmp / "d", "now runs " + digest2)


def test_no_trusted_keys_refused(world):
    ref, _ = ready(world)
    refused(world, f"stele://{ref}", world.tmp / "d", "STELE_TRUSTED_KEYS",
            STELE_TRUSTED_KEYS="")


def test_missing_credentials_name_the_variables(world):
    """stele login cannot reach the init container: the hint says what
    does."""
    ref, _ = ready(world)
    refused(world, f"stele://{ref}", world.tmp / "d",
            f"registry '{world.reg.host}' requires authentication (set "
            "STELE_USERNAME and STELE_PASSWORD, or STELE_TOKEN)",
            STELE_USERNAME="", STELE_PASSWORD="")


def test_corrupt_blob_refused_and_dest_untouched(world):
    ref, digest = ready(world)
    # Flip a byte of the weights layer in the registry's blob store.
    blobs = [p for p in (world.reg.data).rglob("*")
             if p.is_file() and p.stat().st_size > 0]
    for b in blobs:
        data = b.read_bytes()
        if b"weights-v1" in data:
            b.write_bytes(data.replace(b"weights-v1", b"weights-v9"))
            break
    else:
        pytest.fail("weights blob not found in the data directory")
    last = refused(world, f"stele://{ref}", world.tmp / "d", "sha256:")
    assert "digest" in last or "does not match" in last, last


def test_bad_usage(world):
    p = world.run("storage-initializer", "stele://a/b:v1", check=False)
    assert p.returncode == 2
    assert "URI DEST pairs" in p.stderr
    p = world.init("s3://bucket/model", world.tmp / "d")
    assert p.returncode == 1 and "unsupported storage URI" in p.stderr
