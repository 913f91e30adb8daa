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
    assert "libmicrohttpd" not in log


def test_manifest_naming_missing_content_is_refused(registry):
    # A version tag is fixed for good; it must not be given to a manifest
    # whose blobs are not in the repository (or to an index whose
    # manifests are not), which nobody could ever pull.
    registry.start()
    tok = registry.token("repository:a/b:pull,push")
    other = registry.token("repository:c/d:pull,push")
    ct = "application/octet-stream"
    cfg, layer = b"{}", b"private layer"
    for repo, t, data in (("a/b", tok, cfg), ("c/d", other, layer)):
        st, _, _ = registry.request(
            "POST", f"/v2/{repo}/blobs/uploads/?digest={digest(data)}",
            body=data, bearer=t, headers={"Content-Type": ct})
        assert st == 201
    oci = "application/vnd.oci.image.manifest.v1+json"

    def man(lay):
        return ('{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":'
                '"application/vnd.oci.image.config.v1+json","digest":"%s",'
                '"size":2},"layers":[{"mediaType":"%s","digest":"%s",'
                '"size":%d}]}' % (oci, digest(cfg), ct, digest(lay),
                                  len(lay))).encode()
    # Never uploaded anywhere, and uploaded only to another repository.
    for lay in (b"never uploaded", layer):
        st, _, body = registry.request(
            "PUT", "/v2/a/b/manifests/1.0.0", body=man(lay), bearer=tok,
            headers={"Content-Type": oci})
        assert st == 400 and b"MANIFEST_BLOB_UNKNOWN" in body
    idx = ('{"schemaVersion":2,"mediaType":'
           '"application/vnd.oci.image.index.v1+json","manifests":[{'
           '"mediaType":"%s","digest":"%s","size":10}]}'
           % (oci, "sha256:" + "1" * 64)).encode()
    st, _, body = registry.request(
        "PUT", "/v2/a/b/manifests/1.0.1", body=idx, bearer=tok,
        headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
    assert st == 400 and b"MANIFEST_BLOB_UNKNOWN" in body
    # A tag that can move again may name blobs kept elsewhere, as the
    # distribution spec allows (sparse manifests, foreign layers).
    st, _, _ = registry.request(
        "PUT", "/v2/a/b/manifests/latest", body=man(b"never uploaded"),
        bearer=tok, headers={"Content-Type": oci})
    assert st == 201
    # The tag is still free for the right content.
    st, _, _ = registry.request(
        "POST", f"/v2/a/b/blobs/uploads/?digest={digest(layer)}",
        body=layer, bearer=tok, headers={"Content-Type": ct})
    assert st == 201
    st, _, _ = registry.request("PUT", "/v2/a/b/manifests/1.0.0",
                                body=man(layer), bearer=tok,
                                headers={"Content-Type": oci})
    assert st == 201


def test_second_server_on_same_data_directory_is_refused(registry):
    # Upload sessions and the GC lock live in one process's memory; a
    # second server on the same directory started happily and raced them.
    import subprocess
    from conftest import stele_bin
    from registry_util import free_port
    registry.start()
    p = subprocess.run([stele_bin(), "serve", "--listen",
                        f"127.0.0.1:{free_port()}", "--data", registry.data],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "in use by another stele serve" in p.stderr
    registry.crash()
    registry.start()  # kill -9 releases the lock
    st, _, _ = registry.request("GET", "/v2/", auth=ADMIN)
    assert st == 200
