"""Defects found in review of the registry client, one test each."""
from registry_util import ADMIN, registry  # noqa: F401


def test_missing_digest_is_named_with_at(stele, registry):
    # "repo:sha256:..." is not a reference anyone can paste back.
    registry.start()
    ref = f"{registry.host}/a/b@sha256:" + "0" * 64
    p = stele.run("pull", ref, check=False,
                  env={"STELE_USERNAME": ADMIN[0],
                       "STELE_PASSWORD": ADMIN[1]})
    assert p.returncode == 1
    assert "'a/b@sha256:" + "0" * 64 + "'" in p.stderr
    assert p.stderr.count("\n") == 1
