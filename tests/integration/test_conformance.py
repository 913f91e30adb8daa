"""The OCI distribution-spec conformance suite against stele, with token
authentication on: every test of push, pull, content discovery and
content management must pass."""
import os
import subprocess
from pathlib import Path

import pytest

from registry_util import ADMIN, ROOT, registry  # noqa: F401

CONF = ROOT / ".cache/peers/conformance-v0.0.0-20260831232431-97274622c111.test"


@pytest.mark.skipif(not CONF.exists(), reason="run scripts/setup-peers.sh")
def test_conformance_all_categories_pass(registry, tmp_path):
    registry.start()
    env = dict(os.environ)
    env.update({
        "OCI_REGISTRY": registry.host, "OCI_TLS": "disabled",
        "OCI_REPO1": "conformance/repo1", "OCI_REPO2": "conformance/repo2",
        "OCI_USERNAME": ADMIN[0], "OCI_PASSWORD": ADMIN[1],
        "OCI_VERSION": "1.1", "OCI_RESULTS_DIR": str(tmp_path / "results"),
        # The four categories of the suite, all on.
        "OCI_API_PULL": "true", "OCI_API_PUSH": "true",
        "OCI_API_TAGS_LIST": "true", "OCI_API_REFERRER": "true",
        "OCI_API_TAGS_DELETE": "true", "OCI_API_MANIFESTS_DELETE": "true",
        "OCI_API_BLOBS_DELETE": "true",
        "OCI_API_BLOBS_UPLOAD_CANCEL": "true",
        "OCI_API_MANIFESTS_TAG_PARAM": "true",
        "OCI_API_BLOBS_DIGEST_HEADER": "true",
        "OCI_API_MANIFESTS_DIGEST_HEADER": "true",
        "OCI_API_BLOBS_MOUNT_ANONYMOUS": "true",
        # Every kind of test data, including the optional ones.
        "OCI_DATA_SHA512": "true", "OCI_DATA_SPARSE": "true",
    })
    p = subprocess.run([str(CONF)], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    out = p.stdout
    assert "FAIL..........................:          0" in out, out[-4000:]
    assert "Error.........................:          0" in out, out[-4000:]
    # nothing skipped as unsupported, nothing disabled
    assert "Skip..........................:          0" in out, out[-4000:]
    assert "Disabled......................:          0" in out, out[-4000:]
    assert "OCI Conformance Test: Pass" in out, out[-4000:]
    assert p.returncode == 0, p.stderr[-2000:]
