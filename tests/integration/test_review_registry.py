"""Defects found in review of the registry server, one test each."""
import hashlib
import os

from registry_util import ADMIN, registry  # noqa: F401


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def test_monolithic_upload_with_wrong_digest_leaves_no_session(registry):
    # The client never learns the session of a one-request upload, so a
    # refused one must not stay on disk until upload_grace expires.
    registry.start()
    tok = registry.token("repository:a/b:pull,push")
    body = os.urandom(256 * 1024)
    for _ in range(3):
        st, _, _ = registry.request(
            "POST", "/v2/a/b/blobs/uploads/?digest=sha256:" + "0" * 64,
            body=body, bearer=tok,
            headers={"Content-Type": "application/octet-stream"})
        assert st == 400
    assert os.listdir(registry.data / "uploads") == []
    st, _, _ = registry.request(
        "POST", "/v2/a/b/blobs/uploads/?digest=" + digest(body),
        body=body, bearer=tok,
        headers={"Content-Type": "application/octet-stream"})
    assert st == 201
    assert os.listdir(registry.data / "uploads") == []
