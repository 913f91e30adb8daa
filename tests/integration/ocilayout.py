"""Build small OCI image layouts holding ModelKit-shaped manifests."""
import hashlib
import json
import os
from pathlib import Path

KIT_MANIFEST = "application/vnd.kitops.modelkit.manifest.v1+json"
KIT_CONFIG = "application/vnd.kitops.modelkit.config.v1+json"
KIT_MODEL = "application/vnd.kitops.modelkit.model.v1.tar"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _put_blob(root, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    p = Path(root) / "blobs" / "sha256" / d[7:]
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return d


def _put_file_blob(root, src):
    h = hashlib.sha256()
    with open(src, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    d = "sha256:" + h.hexdigest()
    p = Path(root) / "blobs" / "sha256" / d[7:]
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        os.link(src, p) if os.stat(src).st_dev == os.stat(
            p.parent).st_dev else p.write_bytes(Path(src).read_bytes())
    return d, os.path.getsize(src)


def make_layout(root, tag, layers, media_type=False):
    """layers: list of bytes or paths; returns the manifest digest."""
    root = Path(root)
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    cfg = json.dumps({"manifestVersion": "1.0.0",
                      "package": {"name": tag}}).encode()
    descs = []
    for i, l in enumerate(layers):
        if isinstance(l, (bytes, bytearray)):
            d, n = _put_blob(root, bytes(l)), len(l)
        else:
            d, n = _put_file_blob(root, l)
        descs.append({"mediaType": KIT_MODEL, "digest": d, "size": n,
                      "annotations": {"org.cncf.model.filepath":
                                      f"model{i}.bin"}})
    m = {"schemaVersion": 2, "artifactType": KIT_MANIFEST,
         "config": {"mediaType": KIT_CONFIG,
                    "digest": _put_blob(root, cfg), "size": len(cfg)},
         "layers": descs}
    if media_type:
        m["mediaType"] = OCI_MANIFEST
    body = json.dumps(m, separators=(",", ":")).encode()
    md = _put_blob(root, body)
    idx_path = root / "index.json"
    idx = (json.loads(idx_path.read_text()) if idx_path.exists()
           else {"schemaVersion": 2, "manifests": []})
    idx["manifests"].append({
        "mediaType": OCI_MANIFEST, "digest": md, "size": len(body),
        "annotations": {"org.opencontainers.image.ref.name": tag}})
    idx_path.write_text(json.dumps(idx))
    return md


def blob_path(root, digest):
    return Path(root) / "blobs" / "sha256" / digest[7:]


def tagged_digest(root, tag):
    idx = json.loads((Path(root) / "index.json").read_text())
    for m in idx["manifests"]:
        if m.get("annotations", {}).get(
                "org.opencontainers.image.ref.name") == tag:
            return m["digest"]
    return None


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def blob_digest(path):
    return file_digest(path)
