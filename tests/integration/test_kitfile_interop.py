"""The config JSON fixtures stele's unit tests compare against are what a
Go mirror of kit's KitFile struct (tests/interop/kitjson) prints: rebuild
it, regenerate, and require the committed bytes."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "kitfile"
FIXTURES = sorted(p.stem for p in DATA.glob("*.yaml"))


@pytest.fixture(scope="module")
def kitjson(tmp_path_factory):
    if not shutil.which("go"):
        pytest.skip("go is not installed")
    out = tmp_path_factory.mktemp("kitjson") / "kitjson"
    subprocess.run(["go", "build", "-o", str(out), "."], check=True,
                   cwd=ROOT / "tests" / "interop" / "kitjson", timeout=600)
    return out


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("digests", [False, True])
def test_committed_config_json_is_what_go_writes(kitjson, name, digests):
    args = [str(kitjson)] + (["-digests"] if digests else [])
    got = subprocess.run(args + [str(DATA / f"{name}.yaml")],
                         capture_output=True, check=True).stdout
    want = DATA / (f"{name}.digests.json" if digests else f"{name}.json")
    assert got == want.read_bytes()


def test_fixture_set_is_not_empty():
    assert len(FIXTURES) >= 5
