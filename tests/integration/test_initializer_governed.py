"""The storage initializer against promotions the registry itself made
and signed: promote through the governance API, trust the server's
public key as registry.pub, and run the initializer as KServe does."""
import json
import shutil

import pytest

from test_initializer import World, listing, secret  # noqa: F401

CONFIG = """\
environments:
  staging:
  prod:
    signature: required
    from: staging
trusted_keys:
  "team/*": {pub}
"""


@pytest.fixture
def gworld(tmp_path, secret):  # noqa: F811
    w = World(tmp_path, secret)
    w.reg.stop()
    (tmp_path / "trusted").mkdir()
    shutil.copy(secret / "publisher.pub", tmp_path / "trusted")
    w.reg.config = tmp_path / "stele.yaml"
    w.reg.config.write_text(CONFIG.format(pub=tmp_path / "trusted"))
    w.reg.start()
    # Trust exactly the registry's own key for promotions; the scan
    # attestations still come from the test key until the scan pipeline
    # signs them with the registry key.
    (w.keys / "registry.pub").unlink()
    shutil.copy(w.reg.data / "keys" / "signing.pub",
                w.keys / "registry.pub")
    shutil.copy(secret / "registry.pub", w.keys / "registry-scanner.pub")
    yield w
    w.reg.stop()


def promote(w, ref, env, check=True):
    return w.run("promote", ref, "--env", env, "--reason", "test",
                 check=check)


def test_registry_signed_promotion_lands(gworld):
    w = gworld
    ref, digest = w.publish("team/model", "v1.0.0")
    w.scan(ref)
    w.sign(ref)
    promote(w, ref, "staging")
    promote(w, ref, "prod")
    dest = w.tmp / "mnt" / "models"
    p = w.init(f"stele://{ref}", dest, env="prod")
    assert p.returncode == 0, p.stderr
    assert (dest / "model.safetensors").read_bytes() == b"weights-v1"
    assert (dest / ".stele-complete").read_text() == digest
    # The tag the initializer may resolve is the environment itself.
    p = w.init(f"stele://{w.reg.host}/team/model:prod", w.tmp / "d2",
               env="prod")
    assert p.returncode == 0, p.stderr


def test_refused_promotion_leaves_nothing_to_deploy(gworld):
    w = gworld
    ref, _ = w.publish("team/model", "v1.0.0")
    w.scan(ref)
    promote(w, ref, "staging")
    p = promote(w, ref, "prod", check=False)   # unsigned: refused
    assert p.returncode == 1 and "signature" in p.stderr
    dest = w.tmp / "d"
    dest.mkdir()
    before = listing(dest)
    p = w.init(f"stele://{ref}", dest, env="prod")
    assert p.returncode == 1
    assert "never promoted" in w.termination()
    assert listing(dest) == before


def test_staging_promotion_does_not_deploy_to_prod(gworld):
    w = gworld
    ref, _ = w.publish("team/model", "v1.0.0")
    w.scan(ref)
    w.sign(ref)
    promote(w, ref, "staging")
    p = w.init(f"stele://{ref}", w.tmp / "d", env="prod")
    assert p.returncode == 1
    assert "never promoted" in w.termination()


def test_rollback_is_deployable_and_old_version_is_refused(gworld):
    w = gworld
    r1, d1 = w.publish("team/model", "v1.0.0")
    r2, d2 = w.publish("team/model", "v2.0.0", b"weights-v2")
    for r in (r1, r2):
        w.scan(r)
        w.sign(r)
        promote(w, r, "staging")
        promote(w, r, "prod")
    w.run("rollback", "team/model", "--env", "prod", "--reason", "bad",
          env={"STELE_REGISTRY": w.reg.host})
    hist = json.loads(w.run("history", f"{w.reg.host}/team/model",
                            "--env", "prod", "--format", "json").stdout)
    assert hist[0]["action"] == "rollback" and hist[0]["digest"] == d1
    p = w.init(f"stele://{w.reg.host}/team/model:prod", w.tmp / "d",
               env="prod")
    assert p.returncode == 0, p.stderr
    assert (w.tmp / "d" / ".stele-complete").read_text() == d1
    # v2 was promoted once, but prod has moved on from it.
    p = w.init(f"stele://{r2}", w.tmp / "d3", env="prod")
    assert p.returncode == 1
