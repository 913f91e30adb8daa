"""Shared fixtures: the stele binary under test and an isolated home."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def stele_bin():
    return os.environ.get("STELE_BIN", str(ROOT / "build" / "stele"))


class Stele:
    """Runs the stele binary with an environment of the test's own."""

    def __init__(self, home):
        self.env = dict(os.environ)
        self.env["STELE_HOME"] = str(home)
        self.env["HOME"] = str(home)
        self.env.pop("DOCKER_CONFIG", None)

    def run(self, *args, check=True, input=None, cwd=None, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([stele_bin(), *map(str, args)], env=e,
                           capture_output=True, text=True, input=input,
                           cwd=cwd, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError(
                f"stele {' '.join(map(str, args))} exited "
                f"{p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return p


@pytest.fixture
def stele(tmp_path):
    return Stele(tmp_path / "home")
