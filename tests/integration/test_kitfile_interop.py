"""The config JSON fixtures stele's unit tests compare against are what a
Go mirror of kit's KitFile struct (tests/interop/kitjson) prints: rebuild
it, regenerate, and require the committed bytes."""
import re
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
    # kit is built with a current Go; encoding/json before Go 1.22 wrote
    # \b and \f as \u0008 and \u000c, so older toolchains cannot judge.
    ver = subprocess.run(["go", "env", "GOVERSION"], capture_output=True,
                         text=True, check=True).stdout.strip()
    m = re.match(r"go(\d+)\.(\d+)", ver)
    if not m or (int(m[1]), int(m[2])) < (1, 22):
        pytest.skip(f"{ver} is older than the Go kit is built with")
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
