"""Real clients against stele on loopback with authentication on: skopeo
copy both ways, podman login/push/pull, oras push/pull/attach/discover,
crane, and cosign sign/verify with a key (tag fallback and the referrers
API)."""
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from registry_util import ADMIN, registry  # noqa: F401

GOBIN = Path(os.environ.get("GOBIN", Path.home() / "go/bin"))


def tool(name):
    p = shutil.which(name) or (GOBIN / name if (GOBIN / name).exists()
                               else None)
    if not p:
        pytest.skip(f"{name} not installed (scripts/setup-peers.sh)")
    return str(p)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def oci_layout(dst, payload=b"model weights\n"):
    """A one-layer OCI image layout written by hand."""
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        info = tarfile.TarInfo("model.bin")
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
    raw = tar.getvalue()
    layer = gzip.compress(raw, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers",
                                    "diff_ids": ["sha256:" + sha(raw)]}}
                        ).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(config), "size": len(config)},
        "layers": [{"mediaType":
                    "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + sha(layer), "size": len(layer)}],
    }).encode()
    blobs = dst / "blobs/sha256"
    blobs.mkdir(parents=True)
    for b in (layer, config, manifest):
        (blobs / sha(b)).write_bytes(b)
    (dst / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (dst / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + sha(manifest), "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    return "sha256:" + sha(manifest)


@pytest.fixture
def env(registry, tmp_path):
    registry.start()
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    auth = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    (home / ".docker/config.json").write_text(json.dumps(
        {"auths": {registry.host: {"auth": auth}}}))
    e = dict(os.environ, HOME=str(home), DOCKER_CONFIG=str(home /
                                                           ".docker"))
    e.pop("XDG_RUNTIME_DIR", None)
    return registry, e


def run(args, e, cwd=None, input=None):
    p = subprocess.run(args, env=e, cwd=cwd, capture_output=True,
                       text=True, timeout=300, input=input)
    assert p.returncode == 0, f"{args}\n{p.stdout}\n{p.stderr}"
    return p.stdout


def test_skopeo_copy_both_ways(env, tmp_path):
    reg, e = env
    skopeo = tool("skopeo")
    src = tmp_path / "src"
    want = oci_layout(src)
    creds = f"{ADMIN[0]}:{ADMIN[1]}"
    run([skopeo, "copy", "--dest-tls-verify=false", "--dest-creds", creds,
         f"oci:{src}:v1", f"docker://{reg.host}/models/skopeo:v1"], e)
    out = run([skopeo, "inspect", "--raw", "--tls-verify=false", "--creds",
               creds, f"docker://{reg.host}/models/skopeo:v1"], e)
    assert "sha256:" + sha(out.encode()) == want
    back = tmp_path / "back"
    run([skopeo, "copy", "--src-tls-verify=false", "--src-creds", creds,
         f"docker://{reg.host}/models/skopeo:v1", f"oci:{back}:v1"], e)
    idx = json.loads((back / "index.json").read_text())
    assert idx["manifests"][0]["digest"] == want


def test_skopeo_without_credentials_is_refused(env, tmp_path):
    reg, e = env
    skopeo = tool("skopeo")
    src = tmp_path / "src"
    oci_layout(src)
    p = subprocess.run([skopeo, "copy", "--dest-tls-verify=false",
                        "--dest-no-creds", f"oci:{src}:v1",
                        f"docker://{reg.host}/models/x:v1"], env=e,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert "unauthorized" in p.stderr.lower() or "authentication" in \
        p.stderr.lower()


def test_podman_login_push_pull(env, tmp_path):
    reg, e = env
    podman = tool("podman")
    # podman refuses a run root path longer than 50 characters
    runroot = tempfile.mkdtemp(prefix="stele-pm-", dir="/tmp")
    base = [podman, "--root", str(tmp_path / "root"), "--runroot",
            runroot, "--storage-driver", "vfs"]
    try:
        podman_round_trip(reg, e, tmp_path, base)
    finally:
        subprocess.run([*base, "rmi", "-a", "-f"], env=e,
                       capture_output=True)
        shutil.rmtree(runroot, ignore_errors=True)


def podman_round_trip(reg, e, tmp_path, base):
    src = tmp_path / "src"
    oci_layout(src)
    authfile = str(tmp_path / "auth.json")
    image_id = run([*base, "pull", f"oci:{src}:v1"], e).split()[-1]
    run([*base, "login", "--tls-verify=false", "--authfile", authfile,
         "-u", ADMIN[0], "--password-stdin", reg.host], e,
        input=ADMIN[1] + "\n")
    ref = f"{reg.host}/models/podman:1.0.0"
    run([*base, "tag", image_id, ref], e)
    run([*base, "push", "--tls-verify=false", "--authfile", authfile,
         "--format", "oci", ref], e)
    st, h, _ = reg.request("GET", "/v2/models/podman/manifests/1.0.0",
                           auth=ADMIN)
    assert st == 200
    pushed = h["Docker-Content-Digest"]
    run([*base, "rmi", "-a", "-f"], e)
    run([*base, "pull", "--tls-verify=false", "--authfile", authfile, ref],
        e)
    out = run([*base, "image", "inspect", "--format", "{{.Digest}}", ref],
              e)
    assert out.strip() == pushed
    p = subprocess.run([*base, "pull", "--tls-verify=false", "--creds",
                        "admin:wrong-password", ref], env=e,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0


def test_oras_push_pull_attach_discover(env, tmp_path):
    reg, e = env
    oras = tool("oras")
    auth = ["--plain-http", "-u", ADMIN[0], "-p", ADMIN[1]]
    work = tmp_path / "w"
    work.mkdir()
    (work / "weights.bin").write_bytes(os.urandom(300000))
    (work / "README.md").write_text("a model\n")
    ref = f"{reg.host}/models/oras:1.0.0"
    run([oras, "push", *auth, "--artifact-type",
         "application/vnd.stele.test", ref, "weights.bin", "README.md"],
        e, cwd=work)
    out = tmp_path / "out"
    out.mkdir()
    run([oras, "pull", *auth, ref], e, cwd=out)
    assert (out / "weights.bin").read_bytes() == \
        (work / "weights.bin").read_bytes()
    (work / "sbom.json").write_text("{}")
    run([oras, "attach", *auth, "--artifact-type", "application/vnd.sbom",
         ref, "sbom.json"], e, cwd=work)
    (work / "sig.txt").write_text("sig")
    run([oras, "attach", *auth, "--artifact-type", "application/vnd.sig",
         ref, "sig.txt"], e, cwd=work)
    found = json.loads(run([oras, "discover", *auth, "--format", "json",
                            ref], e))
    kinds = sorted(r["artifactType"] for r in found["referrers"])
    assert kinds == ["application/vnd.sbom", "application/vnd.sig"]
    found = json.loads(run([oras, "discover", *auth, "--format", "json",
                            "--artifact-type", "application/vnd.sig",
                            ref], e))
    assert [r["artifactType"] for r in found["referrers"]] == \
        ["application/vnd.sig"]
    # the version tag is immutable for oras as for anyone
    (work / "weights.bin").write_bytes(b"changed")
    p = subprocess.run([oras, "push", *auth, ref, "weights.bin"], env=e,
                       cwd=work, capture_output=True, text=True)
    assert p.returncode != 0 and "denied" in p.stderr
    assert "immutable" in p.stderr


def test_crane_copy_ls_digest_delete(env, tmp_path):
    reg, e = env
    crane = tool("crane")
    skopeo = tool("skopeo")
    src = tmp_path / "src"
    want = oci_layout(src)
    creds = f"{ADMIN[0]}:{ADMIN[1]}"
    run([skopeo, "copy", "--dest-tls-verify=false", "--dest-creds", creds,
         f"oci:{src}:v1", f"docker://{reg.host}/models/a:latest"], e)
    run([crane, "--insecure", "copy", f"{reg.host}/models/a:latest",
         f"{reg.host}/models/b:latest"], e)
    assert run([crane, "--insecure", "digest",
                f"{reg.host}/models/b:latest"], e).strip() == want
    run([crane, "--insecure", "tag", f"{reg.host}/models/b:latest",
         "extra"], e)
    tags = run([crane, "--insecure", "ls", f"{reg.host}/models/b"], e)
    assert tags.split() == ["extra", "latest"]
    repos = run([crane, "--insecure", "catalog", reg.host], e).split()
    assert repos == ["models/a", "models/b"]
    run([crane, "--insecure", "delete", f"{reg.host}/models/b@{want}"], e)
    assert run([crane, "--insecure", "ls", f"{reg.host}/models/b"],
               e).split() == []


@pytest.mark.parametrize("mode", ["legacy", "oci-1-1"])
def test_cosign_sign_verify_with_key(env, tmp_path, mode):
    reg, e = env
    cosign = tool("cosign")
    skopeo = tool("skopeo")
    src = tmp_path / "src"
    want = oci_layout(src)
    creds = f"{ADMIN[0]}:{ADMIN[1]}"
    run([skopeo, "copy", "--dest-tls-verify=false", "--dest-creds", creds,
         f"oci:{src}:v1", f"docker://{reg.host}/models/signed:v1"], e)
    e = dict(e, COSIGN_PASSWORD="", COSIGN_YES="true")
    run([cosign, "generate-key-pair"], e, cwd=tmp_path)
    image = f"{reg.host}/models/signed@{want}"
    extra = []
    if mode == "oci-1-1":
        e["COSIGN_EXPERIMENTAL"] = "1"
        extra = ["--registry-referrers-mode=oci-1-1"]
    run([cosign, "sign", "--key", "cosign.key", "--tlog-upload=false",
         "--allow-http-registry", *extra, image], e, cwd=tmp_path)
    vextra = ["--experimental-oci11"] if mode == "oci-1-1" else []
    run([cosign, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog",
         "--allow-http-registry", *vextra, image], e, cwd=tmp_path)
    if mode == "oci-1-1":
        st, _, body = reg.request("GET", f"/v2/models/signed/referrers/"
                                  f"{want}", auth=ADMIN)
        assert st == 200 and len(json.loads(body)["manifests"]) == 1
    else:
        tag = want.replace(":", "-") + ".sig"
        st, _, _ = reg.request("GET", f"/v2/models/signed/manifests/{tag}",
                               auth=ADMIN)
        assert st == 200
