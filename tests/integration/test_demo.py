"""The README's main command, run as CI runs it: scripts/demo.sh against
the binary under test. The demo asserts every step itself (exit status
non-zero at the first step that does not behave as described); this test
checks that it passed and that the evidence of the key steps is there."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, stele_bin

DEMO = ROOT / "scripts" / "demo.sh"
VENV = ROOT / ".cache" / "demo-venv"


def demo_env(tmp_path):
    env = dict(os.environ, STELE_DEMO_BIN=stele_bin(), TMPDIR=str(tmp_path))
    # The sanitizer build's leak report would fail every short-lived
    # command the demo runs; leaks are the unit tests' business.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    env["ASAN_OPTIONS"] += ":detect_leaks=0"
    for k in ("STELE_REGISTRY", "STELE_ENVIRONMENT", "STELE_TRUSTED_KEYS",
              "DOCKER_CONFIG", "STELE_DEMO_KEEP"):
        env.pop(k, None)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not shutil.which("python3"):
        pytest.skip("python3 is needed to train the demo model")
    tmp = tmp_path_factory.mktemp("demo")
    p = subprocess.run(["bash", str(DEMO), "--ci"], env=demo_env(tmp),
                       capture_output=True, text=True, timeout=900)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr[-4000:])
    return p, tmp


def test_demo_passes_every_step(demo):
    p, _ = demo
    assert p.returncode == 0, p.stderr[-2000:]
    assert "demo passed" in p.stdout
    for n in range(1, 10):
        assert f"==> {n}." in p.stdout


def test_demo_evidence(demo):
    out = demo[0].stdout
    assert "verdict clean" in out
    assert '"prediction"' in out
    assert "promotion refused" in out and "critical" in out
    assert "storage initializer refused it" in out
    assert "was never created" in out
    assert "CVE-2022-21797" in out and "fixed in 1.2.0" in out
    assert "environments: staging" in out
    assert "prod runs v1.0.0 again" in out
    assert "hash chain holds" in out


def test_demo_cleans_up_after_itself(demo):
    # A successful run removes its temporary directory and stops the
    # server it started.
    _, tmp = demo
    assert not list(Path(tmp).glob("stele-demo.*"))
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True,
                        text=True).stdout
    assert str(tmp) not in ps


def test_demo_fails_loudly_without_a_binary(tmp_path):
    env = demo_env(tmp_path)
    env["STELE_DEMO_BIN"] = str(tmp_path / "no-such-stele")
    p = subprocess.run(["bash", str(DEMO), "--ci"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "demo FAILED" in p.stderr and "no stele binary" in p.stderr
