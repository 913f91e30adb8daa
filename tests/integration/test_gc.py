"""Online garbage collection with a grace window."""
import time

from registry_util import registry  # noqa: F401
from test_registry import digest, image, push_blob, put_manifest, rw


def blob_file(reg, d):
    hexd = d.split(":")[1]
    return reg.data / "blobs/sha256" / hexd[:2] / hexd


def test_gc_removes_only_unreferenced_content_after_grace(registry,
                                                          tmp_path):
    cfg = tmp_path / "gc.yaml"
    cfg.write_text("gc_interval: 1\ngc_grace: 2\nupload_grace: 2\n")
    registry.config = str(cfg)
    registry.start()
    tok = rw(registry, "gc/m")
    body = image(registry, "gc/m", tok, b"kept layer")
    assert put_manifest(registry, "gc/m", "kept", body, tok)[0] == 201
    lone = push_blob(registry, "gc/m", b"lone blob", tok)
    deleted = push_blob(registry, "gc/m", b"deleted blob", tok)
    assert registry.request("DELETE", f"/v2/gc/m/blobs/{deleted}",
                            bearer=tok)[0] == 202
    st, h, _ = registry.request("POST", "/v2/gc/m/blobs/uploads/",
                                bearer=tok)
    loc = h["Location"]
    # what a crash leaves: a placed but unrecorded blob, a temporary file
    stray = b"placed but never recorded"
    stray_file = blob_file(registry, digest(stray))
    stray_file.parent.mkdir(parents=True, exist_ok=True)
    stray_file.write_bytes(stray)
    tmp_file = registry.data / "uploads/.tmp-crashed"
    tmp_file.write_bytes(b"partial manifest")
    # inside the grace window nothing goes
    assert blob_file(registry, deleted).exists()
    time.sleep(5)
    tok = rw(registry, "gc/m")
    assert not blob_file(registry, deleted).exists()
    assert not blob_file(registry, lone).exists()
    assert registry.request("GET", loc, bearer=tok)[0] == 404
    assert not stray_file.exists() and not tmp_file.exists()
    assert blob_file(registry, digest(body)).exists()
    st, _, got = registry.request("GET", "/v2/gc/m/manifests/kept",
                                  bearer=tok)
    assert st == 200 and got == body
    assert registry.request("GET", f"/v2/gc/m/blobs/{digest(b'kept layer')}",
                            bearer=tok)[0] == 200
