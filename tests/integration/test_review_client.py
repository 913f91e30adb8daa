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


def test_second_push_says_exists_not_pushed(stele, registry, tmp_path):
    # The registry already had every blob, yet push printed "pushed".
    registry.start()
    model = tmp_path / "m"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    (model / "Kitfile").write_text("manifestVersion: 1.0.0\n"
                                   "model:\n  path: w.bin\n")
    ref = f"{registry.host}/a/b:1.0.0"
    env = {"STELE_USERNAME": ADMIN[0], "STELE_PASSWORD": ADMIN[1]}
    stele.run("pack", model, "-t", ref)
    first = stele.run("push", ref, env=env)
    assert ": pushed " in first.stderr and ": exists " not in first.stderr
    second = stele.run("push", ref, env=env)
    assert ": exists " in second.stderr
    assert ": pushed " not in second.stderr
