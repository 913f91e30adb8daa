"""Crash safety: kill -9 in the middle of a blob upload and of manifest
pushes, restart, and check that no tag points at missing content and no
partial blob is visible."""
import hashlib
import http.client
import json
import threading
import time

from registry_util import ADMIN, registry  # noqa: F401
from test_registry import digest, image, push_blob, put_manifest, rw


def stream_upload(reg, tok, loc, total, sent):
    """PATCH a large body in chunks; the server dies on the way."""
    c = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=30)
    try:
        c.putrequest("PATCH", loc)
        c.putheader("Authorization", "Bearer " + tok)
        c.putheader("Content-Type", "application/octet-stream")
        c.putheader("Content-Length", str(total))
        c.endheaders()
        chunk = b"\x5a" * (1 << 20)
        while sent[0] < total:
            c.send(chunk)
            sent[0] += len(chunk)
    except OSError:
        pass
    finally:
        c.close()


def check_invariants(reg):
    tok = rw(reg, "crash/m")
    st, _, body = reg.request("GET", "/v2/crash/m/tags/list", bearer=tok)
    assert st == 200
    tags = json.loads(body)["tags"]
    assert "good" in tags
    for t in tags:
        st, h, man = reg.request("GET", f"/v2/crash/m/manifests/{t}",
                                 bearer=tok)
        assert st == 200, t
        assert digest(man) == h["Docker-Content-Digest"]
        m = json.loads(man)
        for d in [m["config"]] + m["layers"]:
            st, _, blob = reg.request("GET", f"/v2/crash/m/blobs/"
                                      f"{d['digest']}", bearer=tok)
            assert st == 200 and digest(blob) == d["digest"]
    # Every file in the store is complete: its name is its hash.
    root = reg.data / "blobs/sha256"
    for sub in root.iterdir():
        for f in sub.iterdir():
            h = hashlib.sha256(f.read_bytes()).hexdigest()
            assert h == f.name, f
    return tags


def test_kill_during_blob_upload_and_manifest_puts(registry):
    registry.start()
    tok = rw(registry, "crash/m")
    good = image(registry, "crash/m", tok, b"good layer")
    assert put_manifest(registry, "crash/m", "good", good, tok)[0] == 201

    # 1. kill -9 while a 512 MiB PATCH streams in
    st, h, _ = registry.request("POST", "/v2/crash/m/blobs/uploads/",
                                bearer=tok)
    loc = h["Location"]
    sent = [0]
    t = threading.Thread(target=stream_upload,
                         args=(registry, tok, loc, 512 << 20, sent))
    t.start()
    while sent[0] < (64 << 20):
        time.sleep(0.01)
    registry.crash()
    t.join()

    registry.start()
    tok = rw(registry, "crash/m")
    check_invariants(registry)
    st, h, _ = registry.request("GET", loc, bearer=tok)
    assert st == 204 and h["Range"] == "0-0"
    partial = b"\x5a" * (64 << 20)
    assert registry.request("HEAD", f"/v2/crash/m/blobs/{digest(partial)}",
                            bearer=tok)[0] == 404
    # the session still works after the crash
    data = b"after the crash"
    st, _, _ = registry.request("PUT", f"{loc}?digest={digest(data)}",
                                body=data, bearer=tok)
    assert st == 201

    # 2. kill -9 while many manifest pushes are in flight
    bodies = [image(registry, "crash/m", tok, f"layer {i}".encode())
              for i in range(40)]

    def pusher(i):
        try:
            put_manifest(registry, "crash/m", f"t{i}", bodies[i], tok)
        except OSError:
            pass

    threads = [threading.Thread(target=pusher, args=(i,))
               for i in range(40)]
    for th in threads:
        th.start()
    time.sleep(0.05)
    registry.crash()
    for th in threads:
        th.join()

    registry.start()
    tags = check_invariants(registry)
    assert "good" in tags
