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


def test_nul_in_url_is_refused_not_truncated(registry):
    # "v1%00x" used to act as tag "v1": the decoded NUL ended the C string.
    registry.start()
    tok = registry.token("repository:a/b:pull,push")
    cfg = b"{}"
    st, _, _ = registry.request(
        "POST", "/v2/a/b/blobs/uploads/?digest=" + digest(cfg), body=cfg,
        bearer=tok, headers={"Content-Type": "application/octet-stream"})
    assert st == 201
    man = ('{"schemaVersion":2,"mediaType":'
           '"application/vnd.oci.image.manifest.v1+json","config":'
           '{"mediaType":"application/vnd.oci.image.config.v1+json",'
           f'"digest":"{digest(cfg)}","size":2}},"layers":[]}}').encode()
    ct = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
    st, _, _ = registry.request("PUT", "/v2/a/b/manifests/v1%00x",
                                body=man, bearer=tok, headers=ct)
    assert st == 400
    st, _, _ = registry.request("GET", "/v2/a/b/manifests/v1", bearer=tok)
    assert st == 404
    st, _, _ = registry.request("GET", f"/v2/a/b/blobs/{digest(cfg)}%00",
                                bearer=tok)
    assert st == 400
    st, _, _ = registry.request("GET", f"/v2/a/b/blobs/{digest(cfg)}",
                                bearer=tok)
    assert st == 200


def test_malformed_request_is_one_debug_log_line(registry):
    # stele's client probes loopback registries with a TLS hello first;
    # libmicrohttpd printed a raw HTML error for each one to stderr.
    import socket
    registry.start()
    with socket.create_connection(("127.0.0.1", registry.port)) as s:
        s.settimeout(30)
        s.sendall(b"\x16\x03\x01\x00\xa5\x01\x00 \x03\x03\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 400")
    st, _, _ = registry.request("GET", "/v2/", auth=ADMIN)
    assert st == 200
    registry.stop()
    log = registry.log.read_text()
    assert "Request malformed" not in log
    assert "Error processing request" not in log
