"""The storage-initializer container image, built without a daemon."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("umoci") is None,
                                reason="umoci is not installed")


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    out = tmp_path_factory.mktemp("img") / "layout"
    # The image ships the optimised build, as a release would: a
    # sanitizer build cannot run in a root without /proc.
    binary = ROOT / "build" / "stele"
    if not binary.exists():
        pytest.skip("no optimised build in build/")
    env = dict(os.environ, STELE_BIN=str(binary), TAG="test")
    subprocess.run([str(ROOT / "scripts" / "build-image.sh"), str(out)],
                   env=env, check=True, capture_output=True, timeout=300)
    return out


def test_image_runs_as_non_root_with_entrypoint(image):
    p = subprocess.run(["skopeo", "inspect", "--config",
                        f"oci:{image}:test"], capture_output=True,
                       text=True, check=True)
    cfg = json.loads(p.stdout)["config"]
    assert cfg["User"] == "65532:65532"
    assert cfg["Entrypoint"] == ["/usr/local/bin/stele",
                                 "storage-initializer"]
    assert "Cmd" not in cfg or not cfg["Cmd"]


def test_image_binary_runs_in_its_own_root(image, tmp_path):
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{image}:test",
                    str(bundle)], check=True, capture_output=True)
    p = subprocess.run(["chroot", "--userspec=65532:65532",
                        str(bundle / "rootfs"), "/usr/local/bin/stele",
                        "version"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("stele ")
