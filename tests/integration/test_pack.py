"""stele pack / unpack / list / inspect / tag / rm against the local store,
including crafted and damaged content."""
import hashlib
import io
import json
import os
import resource
import signal
import subprocess
import tarfile
from pathlib import Path

import pytest


def write(p, data):
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode())


@pytest.fixture
def model(tmp_path):
    d = tmp_path / "model"
    write(d / "Kitfile", """manifestVersion: 1.0.0
package:
  name: demo
model:
  name: demo
  path: weights
code:
  - path: src
docs:
  - path: README.md
prompts:
  - path: prompts
""")
    write(d / "weights" / "model.bin", os.urandom(300000))
    write(d / "weights" / "sub" / "config.json", "{}")
    write(d / "src" / "train.py", "print('hi')\n")
    write(d / "README.md", "# demo\n")
    write(d / "prompts" / "system.txt", "You are helpful.\n")
    return d


def store_dir(stele):
    return Path(stele.env["STELE_HOME"]) / "store"


def blob(stele, digest):
    return store_dir(stele) / "blobs" / "sha256" / digest.split(":")[1]


def inspect(stele, ref):
    return json.loads(stele.run("inspect", ref, "--format", "json").stdout)


def one_line_error(p):
    assert p.returncode == 1, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_pack_twice_gives_same_digest(stele, model):
    a = stele.run("pack", model, "-t", "demo/m:1").stdout.strip()
    b = stele.run("pack", model, "-t", "demo/m:2").stdout.strip()
    assert a.startswith("sha256:") and a == b


def test_manifest_shape(stele, model):
    stele.run("pack", model, "-t", "demo/m:1")
    m = inspect(stele, "demo/m:1")["manifest"]
    assert m["artifactType"] == \
        "application/vnd.kitops.modelkit.manifest.v1+json"
    assert m["config"]["mediaType"] == \
        "application/vnd.kitops.modelkit.config.v1+json"
    types = [(l["mediaType"].split(".")[3], l["annotations"]) for l in
             m["layers"]]
    assert types == [
        ("model", {"org.cncf.model.filepath": "weights"}),
        ("code", {"org.cncf.model.filepath": "src"}),
        ("docs", {"org.cncf.model.filepath": "README.md"}),
        ("code", {"org.cncf.model.filepath": "prompts",
                  "ml.kitops.modelkit.layer-subtype": "prompt"}),
    ]
    # The config records each layer's digest and diffId.
    cfg = inspect(stele, "demo/m:1")["config"]
    assert cfg["model"]["digest"] == m["layers"][0]["digest"]
    assert cfg["model"]["diffId"] == m["layers"][0]["digest"]


def test_source_date_epoch_sets_created(stele, model):
    a = stele.run("pack", model, "-t", "demo/m:1",
                  env={"SOURCE_DATE_EPOCH": "1700000000"}).stdout.strip()
    m = inspect(stele, "demo/m:1")["manifest"]
    assert m["annotations"]["org.opencontainers.image.created"] == \
        "2023-11-14T22:13:20Z"
    b = stele.run("pack", model, "-t", "demo/m:2",
                  env={"SOURCE_DATE_EPOCH": "0"}).stdout.strip()
    assert a != b
    layers2 = [l["digest"] for l in inspect(stele, "demo/m:2")
               ["manifest"]["layers"]]
    assert layers2 == [l["digest"] for l in m["layers"]]
    p = stele.run("pack", model, "-t", "demo/m:3", check=False,
                  env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert "SOURCE_DATE_EPOCH" in one_line_error(p)


def test_tar_layers_are_reproducible_and_kit_shaped(stele, model):
    stele.run("pack", model, "-t", "demo/m:1")
    layer = inspect(stele, "demo/m:1")["manifest"]["layers"][0]
    with tarfile.open(blob(stele, layer["digest"])) as t:
        members = t.getmembers()
    assert [m.name for m in members] == [
        "weights", "weights/model.bin", "weights/sub",
        "weights/sub/config.json"]
    for m in members:
        assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == \
            (1000, 0, "", "", 0)


@pytest.mark.parametrize("comp", ["gzip", "zstd"])
def test_compressed_roundtrip_keeps_diff_ids(stele, model, tmp_path, comp):
    stele.run("pack", model, "-t", "demo/plain:1")
    stele.run("pack", model, "-t", "demo/z:1", "--compression", comp)
    plain = inspect(stele, "demo/plain:1")
    z = inspect(stele, "demo/z:1")
    assert z["manifest"]["layers"][0]["mediaType"].endswith("+" + comp)
    assert z["config"]["model"]["diffId"] == \
        plain["manifest"]["layers"][0]["digest"]
    out = tmp_path / "out"
    stele.run("unpack", "demo/z:1", "-d", out)
    assert (out / "weights" / "model.bin").read_bytes() == \
        (model / "weights" / "model.bin").read_bytes()


def test_unpack_roundtrip_and_filter(stele, model, tmp_path):
    stele.run("pack", model, "-t", "demo/m:1")
    out = tmp_path / "out"
    stele.run("unpack", "demo/m:1", "-d", out)
    for rel in ["weights/model.bin", "weights/sub/config.json",
                "src/train.py", "README.md", "prompts/system.txt"]:
        assert (out / rel).read_bytes() == (model / rel).read_bytes()
    assert "manifestVersion" in (out / "Kitfile").read_text()
    only = tmp_path / "only"
    stele.run("unpack", "demo/m:1", "-d", only, "--filter", "prompts")
    assert sorted(p.name for p in only.iterdir()) == ["prompts"]
    p = stele.run("unpack", "demo/m:1", "-d", only, "--filter", "bogus",
                  check=False)
    assert p.returncode == 2


def test_unpack_never_overwrites_without_o(stele, model, tmp_path):
    stele.run("pack", model, "-t", "demo/m:1")
    out = tmp_path / "out"
    write(out / "README.md", "mine\n")
    p = stele.run("unpack", "demo/m:1", "-d", out, check=False)
    assert "already exists; use -o" in one_line_error(p)
    assert (out / "README.md").read_text() == "mine\n"
    assert sorted(x.name for x in out.iterdir()) == ["README.md"]
    stele.run("unpack", "demo/m:1", "-d", out, "-o")
    assert (out / "README.md").read_text() == "# demo\n"


def test_symlink_gives_clear_message(stele, model):
    os.symlink("/etc/passwd", model / "weights" / "link")
    p = stele.run("pack", model, "-t", "demo/m:1", check=False)
    err = one_line_error(p)
    assert "'weights/link' is a symbolic link" in err
    assert stele.run("list", "--format", "json").stdout.strip() == "[]"


def test_fifo_gives_clear_message(stele, model):
    os.mkfifo(model / "src" / "pipe")
    p = stele.run("pack", model, "-t", "demo/m:1", check=False)
    assert "'src/pipe' is a FIFO" in one_line_error(p)


def test_ignored_symlink_is_fine(stele, model):
    os.symlink("/etc/passwd", model / "weights" / "link")
    write(model / ".kitignore", "weights/link\n")
    stele.run("pack", model, "-t", "demo/m:1")


def test_missing_path_names_it(stele, model):
    (model / "README.md").unlink()
    p = stele.run("pack", model, "-t", "demo/m:1", check=False)
    assert "README.md" in one_line_error(p)


def test_list_tag_rm_prune(stele, model):
    d = stele.run("pack", model, "-t", "demo/m:1").stdout.strip()
    stele.run("tag", "demo/m:1", "localhost:5000/other/m:v2")
    rows = json.loads(stele.run("list", "--format", "json").stdout)
    assert [(r["reference"], r["digest"]) for r in rows] == [
        ("demo/m:1", d), ("localhost:5000/other/m:v2", d)]
    assert rows[0]["size"] > 300000
    assert "demo/m:1" in stele.run("list").stdout
    stele.run("rm", "demo/m:1")
    assert stele.run("rm", "demo/m:1", check=False).returncode == 1
    before = len(list((store_dir(stele) / "blobs" / "sha256").iterdir()))
    assert "pruned 0 blobs" in stele.run("rm", "--prune").stdout
    stele.run("rm", "localhost:5000/other/m:v2", "--prune")
    after = list((store_dir(stele) / "blobs" / "sha256").iterdir())
    assert before == 6 and after == []


# ---- crafted and damaged store content ----

def put_blob(stele, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    write(blob(stele, digest), data)
    return digest


def craft_modelkit(stele, ref, layer_bytes,
                   media="application/vnd.kitops.modelkit.model.v1.tar",
                   diff_id=None):
    """Store a ModelKit whose single layer is the given bytes."""
    stele.run("list")  # creates the layout
    ld = put_blob(stele, layer_bytes)
    cfg = json.dumps({"manifestVersion": "1.0.0",
                      "model": {"path": "m", "digest": ld,
                                "diffId": diff_id or ld}}).encode()
    cd = put_blob(stele, cfg)
    man = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.kitops.modelkit.manifest.v1+json",
        "config": {"mediaType":
                   "application/vnd.kitops.modelkit.config.v1+json",
                   "digest": cd, "size": len(cfg)},
        "layers": [{"mediaType": media, "digest": ld,
                    "size": len(layer_bytes)}]}).encode()
    md = put_blob(stele, man)
    idx_path = store_dir(stele) / "index.json"
    idx = json.loads(idx_path.read_text())
    idx["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": md, "size": len(man),
        "annotations": {"org.opencontainers.image.ref.name": ref}})
    idx_path.write_text(json.dumps(idx))
    return ld


def tar_with(*members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data else None)
    return b.getvalue()


def entry(name, data=b"", kind=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.linkname = link
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    return i, data


@pytest.mark.parametrize("members,word", [
    ([entry("m/ok", b"x"), entry("../evil", b"x")], "'../evil' escapes"),
    ([entry("/etc/cron.d/x", b"x")], "absolute path"),
    ([entry("m/link", kind=tarfile.SYMTYPE, link="/etc/passwd")],
     "'m/link' is a symbolic link"),
    ([entry("m/hard", kind=tarfile.LNKTYPE, link="m/ok")],
     "'m/hard' is a hard link"),
    ([entry("m/dev", kind=tarfile.CHRTYPE)], "character device"),
    ([entry("m/" + "a" * 120 + "/../../../x", b"x")], "escapes"),
])
def test_crafted_layers_are_refused(stele, tmp_path, members, word):
    craft_modelkit(stele, "evil/m:1", tar_with(*members))
    out = tmp_path / "out"
    p = stele.run("unpack", "evil/m:1", "-d", out, check=False)
    assert word in one_line_error(p)
    assert not out.exists()
    assert not (tmp_path / "evil").exists()
    assert [x for x in tmp_path.iterdir() if "stele-unpack" in x.name] == []


def test_crafted_layer_with_wrong_diff_id_is_refused(stele, tmp_path):
    good = tar_with(entry("m/a", b"a"))
    gz = subprocess.run(["gzip", "-c"], input=good,
                        capture_output=True).stdout
    ld = craft_modelkit(stele, "x/m:1", gz,
                        "application/vnd.kitops.modelkit.model.v1.tar+gzip")
    p = stele.run("unpack", "x/m:1", "-d", tmp_path / "out", check=False)
    # The crafted config claims diffId == digest, which gzip breaks.
    assert "diffId" in one_line_error(p) and ld in p.stderr
    assert not (tmp_path / "out").exists()


def test_uncompressed_layer_with_wrong_diff_id_is_refused(stele, tmp_path):
    wrong = "sha256:" + "0" * 64
    craft_modelkit(stele, "x/m:1", tar_with(entry("m/a", b"a")),
                   diff_id=wrong)
    p = stele.run("unpack", "x/m:1", "-d", tmp_path / "out", check=False)
    assert wrong in one_line_error(p)
    assert not (tmp_path / "out").exists()


def test_truncated_blob_is_refused(stele, model, tmp_path):
    stele.run("pack", model, "-t", "demo/m:1")
    layer = inspect(stele, "demo/m:1")["manifest"]["layers"][0]
    path = blob(stele, layer["digest"])
    path.write_bytes(path.read_bytes()[:4096])
    p = stele.run("unpack", "demo/m:1", "-d", tmp_path / "out",
                  check=False)
    assert "truncated" in one_line_error(p)
    assert not (tmp_path / "out").exists()


def test_corrupt_blob_is_refused(stele, model, tmp_path):
    stele.run("pack", model, "-t", "demo/m:1")
    layer = inspect(stele, "demo/m:1")["manifest"]["layers"][0]
    path = blob(stele, layer["digest"])
    data = bytearray(path.read_bytes())
    data[2000] ^= 0xFF  # inside model.bin's content
    path.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    p = stele.run("unpack", "demo/m:1", "-d", out, check=False)
    assert "is corrupt" in one_line_error(p)
    assert list(out.iterdir()) == []


def test_modelpack_artifact_unpacks(stele, tmp_path):
    stele.run("list")
    weights = b"\x00" * 1000
    wd = put_blob(stele, weights)
    docs = tar_with(entry("README.md", b"# mp\n"))
    dd = put_blob(stele, docs)
    cfg = json.dumps({"descriptor": {"name": "mp"},
                      "rootfs": {"type": "layers",
                                 "diff_ids": [wd, dd]}}).encode()
    cd = put_blob(stele, cfg)
    man = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.model.config.v1+json",
                   "digest": cd, "size": len(cfg)},
        "layers": [
            {"mediaType": "application/vnd.cncf.model.weight.v1.raw",
             "digest": wd, "size": len(weights),
             "annotations": {"org.cncf.model.filepath": "w/model.gguf"}},
            {"mediaType": "application/vnd.cnai.model.doc.v1.tar",
             "digest": dd, "size": len(docs)}]}).encode()
    md = put_blob(stele, man)
    stele.run("tag", "x/unused@" + md, "mp/m:1")
    out = tmp_path / "out"
    stele.run("unpack", "mp/m:1", "-d", out)
    assert (out / "w" / "model.gguf").read_bytes() == weights
    assert (out / "README.md").read_text() == "# mp\n"


def test_enospc_leaves_store_consistent(stele, model, tmp_path):
    home = Path(stele.env["STELE_HOME"])
    home.mkdir(parents=True)
    big = model / "weights" / "huge.bin"
    big.write_bytes(os.urandom(8 << 20))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(home)],
        capture_output=True).returncode == 0

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    try:
        stele.run("list")
        idx = (home / "store" / "index.json").read_bytes()
        cmd = [os.environ.get("STELE_BIN"), "pack", str(model), "-t",
               "demo/m:1"]
        p = subprocess.run(cmd, env=stele.env, capture_output=True,
                           text=True, preexec_fn=None if mounted else limit)
        err = one_line_error(p)
        assert "No space left" in err or "too large" in err
        assert (home / "store" / "index.json").read_bytes() == idx
        assert list((home / "store" / "tmp").iterdir()) == []
        for b in (home / "store" / "blobs" / "sha256").iterdir():
            assert hashlib.sha256(b.read_bytes()).hexdigest() == b.name
        assert stele.run("list", "--format", "json").stdout.strip() == "[]"
    finally:
        if mounted:
            subprocess.run(["umount", str(home)])


# ---- other OCI tools on the same layout ----

def tool(name):
    import shutil
    found = shutil.which(name) or shutil.which(
        name, path=os.path.expanduser("~/go/bin"))
    if not found:
        pytest.skip(f"{name} not installed (scripts/setup-peers.sh)")
    return found


def test_skopeo_copies_out_of_the_store(stele, model, tmp_path):
    skopeo = tool("skopeo")
    d = stele.run("pack", model, "-t", "demo/m:1").stdout.strip()
    dest = tmp_path / "copy"
    subprocess.run([skopeo, "copy", f"oci:{store_dir(stele)}:demo/m:1",
                    f"oci:{dest}:v1"], check=True, capture_output=True)
    idx = json.loads((dest / "index.json").read_text())
    assert idx["manifests"][0]["digest"] == d


def test_oras_modelpack_artifact_unpacks(stele, tmp_path):
    oras, skopeo = tool("oras"), tool("skopeo")
    work = tmp_path / "oras"
    write(work / "model.gguf", b"GGUF weights")
    write(work / "cfg.json", json.dumps({"rootfs": {"type": "layers",
                                                    "diff_ids": []}}))
    layout = tmp_path / "layout"
    subprocess.run([oras, "push", "--oci-layout", f"{layout}:v1",
                    "--artifact-type",
                    "application/vnd.cncf.model.manifest.v1+json",
                    "--config",
                    "cfg.json:application/vnd.cncf.model.config.v1+json",
                    "model.gguf:application/vnd.cncf.model.weight.v1.raw"],
                   check=True, cwd=work, capture_output=True)
    stele.run("list")
    subprocess.run([skopeo, "copy", f"oci:{layout}:v1",
                    f"oci:{store_dir(stele)}:mp/m:1"], check=True,
                   capture_output=True)
    out = tmp_path / "out"
    stele.run("unpack", "mp/m:1", "-d", out)
    assert (out / "model.gguf").read_bytes() == b"GGUF weights"
