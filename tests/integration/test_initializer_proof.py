"""The storage initializer under attack and failure, run exactly as KServe
runs it (URI DEST pairs, settings in the environment, a termination log):
a proxy that damages, cuts or slows blob responses, hand-made layers that
carry traversal and links, a size limit, kill -9 mid-download, a full
disk, and several models in one run."""
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from conftest import stele_bin
from proxy_util import Proxy
from registry_util import ADMIN
from test_initializer import listing, ready, refused, secret, world  # noqa

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
KIT_MANIFEST = "application/vnd.kitops.modelkit.manifest.v1+json"
KIT_CONFIG = "application/vnd.kitops.modelkit.config.v1+json"
KIT_MODEL = "application/vnd.kitops.modelkit.model.v1.tar"
LOG_LINE = re.compile(r'^time=\S+Z level=(info|error) event=[a-z-]+ '
                      r'uri="[^"]*" detail="([^"\\]|\\.)*"$')


def check_log(stderr, ok):
    """Every line is a structured event; a failure ends with one plain
    line that repeats the reason (what KServe shows)."""
    lines = stderr.strip().splitlines()
    tail = [] if ok else lines[-1:]
    for line in lines[:len(lines) - len(tail)]:
        assert LOG_LINE.match(line), line
    if not ok:
        assert "level=error event=failed" in lines[-2], lines[-2]
    return [re.search(r"event=(\S+)", x).group(1)
            for x in lines[:len(lines) - len(tail)]]


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def upload(world, repo, data):
    st, h, body = world.reg.request("POST", f"/v2/{repo}/blobs/uploads/",
                                    b"", auth=ADMIN)
    assert st == 202, body
    loc = h["Location"]
    loc = loc.split(world.reg.host, 1)[-1]
    sep = "&" if "?" in loc else "?"
    st, _, body = world.reg.request(
        "PUT", f"{loc}{sep}digest={sha(data)}", data, auth=ADMIN,
        headers={"Content-Type": "application/octet-stream"})
    assert st == 201, body
    return {"digest": sha(data), "size": len(data)}


def push_crafted(world, repo, layer):
    """Push a ModelKit whose one model layer is the given tar, by raw HTTP
    (stele pack would never write such a layer), tag it v1.0.0 and qa, and
    give it everything the initializer asks for, so only the layer is
    wrong."""
    cfg = json.dumps({"manifestVersion": "1.0.0",
                      "package": {"name": "crafted"}}).encode()
    c = upload(world, repo, cfg)
    lay = upload(world, repo, layer)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
         "artifactType": KIT_MANIFEST,
         "config": dict(c, mediaType=KIT_CONFIG),
         "layers": [dict(lay, mediaType=KIT_MODEL)]}
    body = json.dumps(m).encode()
    for tag in ("v1.0.0", "qa"):
        st, _, b = world.reg.request(
            "PUT", f"/v2/{repo}/manifests/{tag}", body, auth=ADMIN,
            headers={"Content-Type": OCI_MANIFEST})
        assert st == 201, b
    ref = f"{world.reg.host}/{repo}:v1.0.0"
    world.scan(ref)
    world.promote(ref, "qa", repo)
    world.sign(ref)
    return ref


def tar_of(*members):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w",
                      format=tarfile.USTAR_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


def file_member(name, data):
    i = tarfile.TarInfo(name)
    i.size = len(data)
    i.mode = 0o644
    return i, data


def link_member(name, target, kind):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.linkname = target
    return i, None


def layer_digest(world, ref):
    p = world.run("inspect", ref, "--format", "json")
    m = json.loads(p.stdout)
    layers = m.get("manifest", m).get("layers", [])
    return max(layers, key=lambda x: x["size"])["digest"]


def refused_logged(world, uri, dest, needle, **settings):
    last = refused(world, uri, dest, needle, **settings)
    assert not list(Path(dest).glob(".stele-*")), listing(dest)
    return last


# --- a hostile network ------------------------------------------------------

@pytest.fixture
def proxy(world):
    made = []

    def make(**kw):
        p = Proxy(world.reg.host, **kw).start()
        made.append(p)
        return p
    yield make
    for p in made:
        p.stop()


def via(proxy_, ref):
    return "stele://" + proxy_.host + "/" + ref.split("/", 1)[1]


def test_layer_tampered_in_transit_refused(world, proxy):
    # Large enough that the flipped byte lands in file data, which only
    # the digest can catch (the file was already extracted into staging).
    ref, _ = ready(world, payload=os.urandom(256 * 1024))
    px = proxy(digest=layer_digest(world, ref), mode="flip")
    dest = world.tmp / "d"
    refused_logged(world, via(px, ref), dest, "has digest sha256:")
    assert px.blob_gets()
    p = world.init(via(px, ref), dest, env="qa")
    check_log(p.stderr, ok=False)


def test_tar_header_tampered_in_transit_refused(world, proxy):
    ref, _ = ready(world)
    px = proxy(digest=layer_digest(world, ref), mode="flip")
    refused_logged(world, via(px, ref), world.tmp / "d",
                   "bad tar header checksum")


def test_longer_blob_than_manifest_refused(world, proxy):
    ref, _ = ready(world)
    px = proxy(digest=layer_digest(world, ref), mode="extra")
    refused_logged(world, via(px, ref), world.tmp / "d",
                   "registry sent more than")


def test_truncated_responses_resumed_with_range(world, proxy):
    ref, digest = ready(world, payload=os.urandom(300 * 1024))
    px = proxy(digest=layer_digest(world, ref), mode="halve")
    dest = world.tmp / "d"
    p = world.init(via(px, ref), dest, env="qa")
    assert p.returncode == 0, p.stderr
    assert (dest / ".stele-complete").read_text() == digest
    gets = px.blob_gets()
    assert len(gets) > 2 and all(r for _, _, r in gets[1:]), gets
    assert "ready" in check_log(p.stderr, ok=True)


def test_truncated_for_good_refused(world, proxy):
    ref, _ = ready(world, payload=os.urandom(100 * 1024))
    px = proxy(digest=layer_digest(world, ref), mode="cut",
               cut_at=50 * 1024)
    last = refused_logged(world, via(px, ref), world.tmp / "d",
                          "partial file", STELE_DEADLINE_SECONDS="4")
    assert px.blob_gets()[0][1] in last
    assert len(px.blob_gets()) > 1      # it did try to resume


# --- hostile content --------------------------------------------------------

@pytest.mark.parametrize("members,needle", [
    ([file_member("../escape.txt", b"x")], "escapes the destination"),
    ([file_member("a/../../escape.txt", b"x")], "escapes the destination"),
    ([file_member("/etc/escape.txt", b"x")], "absolute path"),
    ([link_member("link", "/etc/passwd", tarfile.SYMTYPE)],
     "only regular files and directories"),
    ([file_member("w.bin", b"x"),
      link_member("hard", "../../etc/passwd", tarfile.LNKTYPE)],
     "only regular files and directories"),
])
def test_hostile_layer_refused(world, members, needle):
    ref = push_crafted(world, "team/crafted", tar_of(*members))
    dest = world.tmp / "mnt" / "models"
    refused_logged(world, f"stele://{ref}", dest, needle)
    assert not (world.tmp / "mnt" / "escape.txt").exists()
    assert not (dest / "link").exists()


def test_hostile_entry_stops_the_download(world, proxy):
    """The layer is extracted while it downloads: a bad entry at its
    start ends the transfer instead of waiting for the rest."""
    big = os.urandom(4 << 20)
    layer = tar_of(file_member("../escape.txt", b"x"),
                   file_member("weights.bin", big))
    ref = push_crafted(world, "team/crafted", layer)
    px = proxy(digest=sha(layer), mode="slow", delay=0.05)
    refused_logged(world, via(px, ref), world.tmp / "d",
                   "escapes the destination")
    assert px.blob_bytes < (1 << 20), px.blob_bytes


def test_oversized_refused_before_download(world, proxy):
    ref, _ = ready(world, payload=os.urandom(64 * 1024))
    px = proxy(digest=layer_digest(world, ref))
    last = refused_logged(world, via(px, ref), world.tmp / "d",
                          "STELE_MAX_BYTES=32768", STELE_MAX_BYTES="32K")
    assert "needs more than" in last
    assert px.requests and not px.blob_gets(), px.requests


def test_max_bytes_malformed_refused(world):
    ref, _ = ready(world)
    p = world.init(f"stele://{ref}", world.tmp / "d", env="qa",
                   STELE_MAX_BYTES="lots")
    assert p.returncode == 1 and "STELE_MAX_BYTES" in p.stderr


# --- crashes and disks ------------------------------------------------------

def test_killed_mid_download_then_rerun_is_clean(world, proxy):
    ref, digest = ready(world, payload=os.urandom(8 << 20))
    px = proxy(digest=layer_digest(world, ref), mode="slow", delay=0.05)
    dest = world.tmp / "mnt" / "models"
    dest.mkdir(parents=True)
    (dest / "keep.txt").write_text("was here")
    e = dict(world.env, STELE_TRUSTED_KEYS=str(world.keys),
             STELE_TERMINATION_LOG=str(world.tmp / "termination-log"),
             STELE_USERNAME=ADMIN[0], STELE_PASSWORD=ADMIN[1],
             STELE_ENVIRONMENT="qa")
    proc = subprocess.Popen([stele_bin(), "storage-initializer",
                             via(px, ref), str(dest)], env=e,
                            stderr=subprocess.DEVNULL)
    t0 = time.time()
    while px.blob_bytes < (1 << 20) and time.time() - t0 < 60:
        time.sleep(0.05)
    assert px.blob_bytes >= (1 << 20)
    proc.kill()
    proc.wait()
    left = listing(dest)
    assert any(x.startswith(".stele-staging") for x in left), left
    assert "model.safetensors" not in left

    p = world.init(f"stele://{ref}", dest, env="qa")
    assert p.returncode == 0, p.stderr
    assert sorted(x for x in os.listdir(dest)) == [
        ".stele-complete", "Kitfile", "keep.txt", "model.safetensors"]
    assert (dest / ".stele-complete").read_text() == digest


@pytest.fixture
def tmpfs(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                        str(d)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"mount not permitted: {p.stderr.strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=True)


def used(path):
    v = os.statvfs(path)
    return (v.f_blocks - v.f_bfree) * v.f_frsize


def test_full_disk_refused_before_download(world, tmpfs):
    ref, _ = ready(world, payload=os.urandom(3 << 20))
    before = used(tmpfs)
    last = refused_logged(world, f"stele://{ref}", tmpfs,
                          "No space left on device")
    assert "bytes free" in last
    assert used(tmpfs) <= before + 8192


def test_disk_filling_while_extracting_refused(world, tmpfs):
    # 3 MiB of zeros compress to almost nothing: the download fits and
    # passes the free-space check, the extracted file does not fit.
    ref, _ = ready(world, payload=bytes(3 << 20), compression="zstd")
    (tmpfs / "keep.txt").write_text("was here")
    before = used(tmpfs)
    refused_logged(world, f"stele://{ref}", tmpfs,
                   "No space left on device")
    assert used(tmpfs) <= before + 8192


# --- several models ---------------------------------------------------------

def test_multiple_uri_dest_pairs(world):
    ref_a, dig_a = ready(world, "team/a")
    ref_b, dig_b = ready(world, "team/b", payload=b"weights-b")
    root = world.tmp / "mnt" / "models"
    p = world.run("storage-initializer", f"stele://{ref_a}", root / "a",
                  f"stele://{ref_b}", root / "b", check=False, env={
                      "STELE_TRUSTED_KEYS": str(world.keys),
                      "STELE_TERMINATION_LOG":
                          str(world.tmp / "termination-log"),
                      "STELE_USERNAME": ADMIN[0],
                      "STELE_PASSWORD": ADMIN[1],
                      "STELE_ENVIRONMENT": "qa"})
    assert p.returncode == 0, p.stderr
    assert (root / "a" / ".stele-complete").read_text() == dig_a
    assert (root / "b" / ".stele-complete").read_text() == dig_b
    assert (root / "b" / "model.safetensors").read_bytes() == b"weights-b"
    events = check_log(p.stderr, ok=True)
    assert events.count("ready") == 2
    assert not (world.tmp / "termination-log").exists()


def test_multiple_pairs_stop_at_first_refusal(world):
    ref_a, _ = ready(world, "team/a")
    ref_b, _ = world.publish("team/b", "v1.0.0")      # never promoted
    root = world.tmp / "mnt" / "models"
    (root / "b").mkdir(parents=True)
    p = world.run("storage-initializer", f"stele://{ref_a}", root / "a",
                  f"stele://{ref_b}", root / "b", check=False, env={
                      "STELE_TRUSTED_KEYS": str(world.keys),
                      "STELE_TERMINATION_LOG":
                          str(world.tmp / "termination-log"),
                      "STELE_USERNAME": ADMIN[0],
                      "STELE_PASSWORD": ADMIN[1],
                      "STELE_ENVIRONMENT": "qa"})
    assert p.returncode == 1
    assert f"stele://{ref_b}: " in world.termination()
    assert "never promoted" in world.termination()
    assert os.listdir(root / "b") == []
    check_log(p.stderr, ok=False)
