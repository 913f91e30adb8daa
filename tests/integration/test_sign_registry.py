"""stele sign/verify/attest against Debian's docker-registry on loopback,
checked with the real cosign in both directions."""
import hashlib
import json
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from test_sign import cosign, needs_cosign, st, work  # noqa: F401

REGISTRY = shutil.which("docker-registry")
pytestmark = pytest.mark.skipif(REGISTRY is None,
                                reason="docker-registry not installed")
BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    d = tmp_path_factory.mktemp("registry")
    port = free_port()
    (d / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {d}/data\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n")
    p = subprocess.Popen([REGISTRY, "serve", str(d / "config.yml")],
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    host = f"127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield host
    p.terminate()
    p.wait(timeout=10)


def put_blob(host, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    r = urllib.request.urlopen(urllib.request.Request(
        f"http://{host}/v2/{repo}/blobs/uploads/", method="POST"))
    loc = r.headers["Location"]
    sep = "&" if "?" in loc else "?"
    if loc.startswith("/"):
        loc = f"http://{host}{loc}"
    urllib.request.urlopen(urllib.request.Request(
        f"{loc}{sep}digest={digest}", data=data, method="PUT",
        headers={"Content-Type": "application/octet-stream"}))
    return digest


def push_image(host, repo, tag, content):
    """A minimal OCI artifact: empty config, one layer."""
    cfg = put_blob(host, repo, b"{}")
    layer = put_blob(host, repo, content)
    m = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "size": 2, "digest": cfg},
        "layers": [{"mediaType": "application/octet-stream",
                    "size": len(content), "digest": layer}],
    }).encode()
    urllib.request.urlopen(urllib.request.Request(
        f"http://{host}/v2/{repo}/manifests/{tag}", data=m, method="PUT",
        headers={"Content-Type":
                 "application/vnd.oci.image.manifest.v1+json"}))
    return "sha256:" + hashlib.sha256(m).hexdigest()


def get_json(host, repo, ref):
    r = urllib.request.urlopen(urllib.request.Request(
        f"http://{host}/v2/{repo}/manifests/{ref}", headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json, "
                      "application/vnd.oci.image.index.v1+json"}))
    return json.loads(r.read())


@pytest.fixture
def keys(stele, work):
    st(stele, work, "key", "generate", "--output-key-prefix", "k")
    st(stele, work, "key", "generate", "--output-key-prefix", "other")
    return work / "k.key", work / "k.pub"


def cosign_reg(work, *args, check=True):
    return cosign(work, *args, "--allow-insecure-registry", check=check)


def test_sign_writes_both_formats_and_verifies(stele, work, registry, keys):
    key, pub = keys
    d = push_image(registry, "models/both", "v1", b"weights")
    ref = f"{registry}/models/both:v1"
    p = st(stele, work, "sign", ref, "--key", key)
    assert p.stdout.strip() == f"signed {registry}/models/both@{d}"
    sig = get_json(registry, "models/both", f"sha256-{d[7:]}.sig")
    layer = sig["layers"][0]
    assert layer["mediaType"] == ("application/vnd.dev.cosign."
                                  "simplesigning.v1+json")
    assert "dev.cosignproject.cosign/signature" in layer["annotations"]
    idx = get_json(registry, "models/both", f"sha256-{d[7:]}")
    assert idx["manifests"][0]["artifactType"] == BUNDLE_TYPE
    p = st(stele, work, "verify", ref, "--key", pub)
    lines = p.stdout.splitlines()
    assert len(lines) == 2 and all(l.startswith("OK ") for l in lines)
    p = st(stele, work, "verify", ref, "--key", work / "other.pub",
           check=False)
    assert p.returncode == 1
    assert "no valid signature by" in p.stderr
    assert p.stdout.count("INVALID") == 2


def test_signing_twice_keeps_both_legacy_signatures(stele, work, registry,
                                                     keys):
    key, pub = keys
    d = push_image(registry, "models/twice", "v1", b"w2")
    ref = f"{registry}/models/twice:v1"
    st(stele, work, "sign", ref, "--key", key, "--signature-format",
       "legacy")
    st(stele, work, "sign", ref, "--key", work / "other.key",
       "--signature-format", "legacy")
    sig = get_json(registry, "models/twice", f"sha256-{d[7:]}.sig")
    assert len(sig["layers"]) == 2
    p = st(stele, work, "verify", ref, "--key", work / "other.pub")
    assert "OK " in p.stdout and "INVALID" in p.stdout


@needs_cosign
def test_cosign_verifies_stele_signatures(stele, work, registry, keys):
    key, pub = keys
    push_image(registry, "models/legacy", "v1", b"w3")
    push_image(registry, "models/bundle", "v1", b"w4")
    st(stele, work, "sign", f"{registry}/models/legacy:v1", "--key", key,
       "--signature-format", "legacy")
    st(stele, work, "sign", f"{registry}/models/bundle:v1", "--key", key,
       "--signature-format", "bundle")
    cosign_reg(work, "verify", "--key", pub, "--insecure-ignore-tlog",
               f"{registry}/models/legacy:v1")
    cosign_reg(work, "verify", "--key", pub, "--insecure-ignore-tlog",
               "--new-bundle-format", "--trusted-root", "trusted_root.json",
               f"{registry}/models/bundle:v1")
    p = cosign_reg(work, "verify", "--key", work / "other.pub",
                   "--insecure-ignore-tlog", f"{registry}/models/legacy:v1",
                   check=False)
    assert p.returncode != 0


@needs_cosign
def test_stele_verifies_cosign_signatures(stele, work, registry, keys):
    key, pub = keys
    push_image(registry, "models/bycosign", "v1", b"w5")
    ref = f"{registry}/models/bycosign:v1"
    cosign_reg(work, "sign", "--key", key, "--tlog-upload=false", ref)
    cosign_reg(work, "sign", "--key", key, "--tlog-upload=false",
               "--new-bundle-format", ref)
    p = st(stele, work, "verify", ref, "--key", pub)
    lines = p.stdout.splitlines()
    assert len(lines) == 2 and all(l.startswith("OK ") for l in lines)


@needs_cosign
def test_attestations_round_trip_with_cosign(stele, work, registry, keys):
    key, pub = keys
    push_image(registry, "models/att", "v1", b"w6")
    ref = f"{registry}/models/att:v1"
    st(stele, work, "attest", ref, "--key", key, "--predicate",
       "pred.json", "--type", "https://stele.dev/scan/v1")
    cosign_reg(work, "verify-attestation", "--key", pub,
               "--insecure-ignore-tlog", "--new-bundle-format",
               "--trusted-root", "trusted_root.json", "--type",
               "https://stele.dev/scan/v1", ref)
    cosign_reg(work, "attest", "--key", key, "--tlog-upload=false",
               "--new-bundle-format", "--predicate", "pred.json",
               "--type", "slsaprovenance1", ref, check=False)
    (work / "slsa.json").write_text(json.dumps({
        "buildDefinition": {"buildType": "https://stele.dev/build/v1",
                            "externalParameters": {}},
        "runDetails": {"builder": {"id": "https://stele.dev/ci"}}}))
    cosign_reg(work, "attest", "--key", key, "--tlog-upload=false",
               "--new-bundle-format", "--predicate", "slsa.json",
               "--type", "slsaprovenance1", ref)
    p = st(stele, work, "verify-attestation", ref, "--key", pub,
           "--type", "slsaprovenance1")
    assert "https://slsa.dev/provenance/v1" in p.stdout
    p = st(stele, work, "verify-attestation", ref, "--key", pub)
    assert p.stdout.count("OK ") == 2
    assert '"verdict":"clean"' in p.stdout


def test_bundle_attached_to_another_manifest_is_refused(stele, work,
                                                        registry, keys):
    key, pub = keys
    a = push_image(registry, "models/subj", "a", b"model a")
    b = push_image(registry, "models/subj", "b", b"model b")
    st(stele, work, "attest", f"{registry}/models/subj:a", "--key", key,
       "--predicate", "pred.json", "--type", "custom")
    idx = get_json(registry, "models/subj", f"sha256-{a[7:]}")
    ref_m = get_json(registry, "models/subj", idx["manifests"][0]["digest"])
    # Re-attach A's bundle as a referrer of B, with B as subject.
    ref_m["subject"]["digest"] = b
    body = json.dumps(ref_m).encode()
    md = "sha256:" + hashlib.sha256(body).hexdigest()
    urllib.request.urlopen(urllib.request.Request(
        f"http://{registry}/v2/models/subj/manifests/{md}", data=body,
        method="PUT", headers={"Content-Type":
                               "application/vnd.oci.image.manifest.v1+json"}))
    fallback = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{"mediaType":
                               "application/vnd.oci.image.manifest.v1+json",
                               "digest": md, "size": len(body),
                               "artifactType": BUNDLE_TYPE}]}
    urllib.request.urlopen(urllib.request.Request(
        f"http://{registry}/v2/models/subj/manifests/sha256-{b[7:]}",
        data=json.dumps(fallback).encode(), method="PUT",
        headers={"Content-Type":
                 "application/vnd.oci.image.index.v1+json"}))
    p = st(stele, work, "verify-attestation", f"{registry}/models/subj:b",
           "--key", pub, check=False)
    assert p.returncode == 1
    assert (f"in-toto statement subject digest mismatch: no subject names "
            f"{b}") in p.stdout


def test_unsigned_manifest_fails_verification(stele, work, registry, keys):
    _, pub = keys
    push_image(registry, "models/unsigned", "v1", b"w7")
    p = st(stele, work, "verify", f"{registry}/models/unsigned:v1", "--key",
           pub, check=False)
    assert p.returncode == 1
    assert p.stdout == ""
    assert "no valid signature" in p.stderr


def test_verify_with_key_directory_names_the_signer(stele, work, registry,
                                                     keys):
    push_image(registry, "models/ring", "v1", b"w8")
    ref = f"{registry}/models/ring:v1"
    st(stele, work, "sign", ref, "--key", work / "other.key")
    trusted = work / "trusted"
    trusted.mkdir()
    shutil.copy(work / "k.pub", trusted / "alice.pub")
    shutil.copy(work / "other.pub", trusted / "bob.pub")
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in",
                          work / "other.pub", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    fp = "sha256:" + hashlib.sha256(der).hexdigest()
    p = st(stele, work, "verify", ref, "--key", trusted)
    lines = p.stdout.splitlines()
    assert len(lines) == 2
    assert all(l.endswith(f"signed by bob.pub ({fp})") for l in lines), \
        p.stdout
    (trusted / "junk.pem").write_text("not a key\n")
    p = st(stele, work, "verify", ref, "--key", trusted, check=False)
    assert p.returncode == 1
    assert "holds no PEM PUBLIC KEY block" in p.stderr


def test_verify_json_output(stele, work, registry, keys):
    key, pub = keys
    d = push_image(registry, "models/json", "v1", b"w9")
    ref = f"{registry}/models/json:v1"
    st(stele, work, "sign", ref, "--key", key)
    st(stele, work, "attest", ref, "--key", key, "--predicate",
       "pred.json", "--type", "vuln")
    out = json.loads(st(stele, work, "verify", ref, "--key", pub,
                        "--format", "json").stdout)
    assert out["reference"] == f"{registry}/models/json@{d}"
    assert out["verified"] is True
    assert sorted(s["kind"] for s in out["signatures"]) == ["bundle",
                                                           "legacy"]
    assert all(s["valid"] and s["subject"] == d and s["key"] == str(pub)
               for s in out["signatures"])
    out = json.loads(st(stele, work, "verify-attestation", ref, "--key",
                        pub, "--format", "json").stdout)
    (att,) = out["attestations"]
    assert att["predicateType"] == ("https://cosign.sigstore.dev/"
                                    "attestation/vuln/v1")
    assert att["predicate"] == {"verdict": "clean", "counts": {"high": 0}}
    p = st(stele, work, "verify", ref, "--key", work / "other.pub",
           "--format", "json", check=False)
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["verified"] is False
    assert all(not s["valid"] and s["reason"] for s in out["signatures"])


@needs_cosign
def test_cosign_legacy_attestation_verifies_with_stele(stele, work,
                                                       registry, keys):
    key, pub = keys
    d = push_image(registry, "models/att-legacy", "v1", b"w10")
    ref = f"{registry}/models/att-legacy:v1"
    cosign_reg(work, "attest", "--key", key, "--tlog-upload=false",
               "--predicate", "pred.json", "--type",
               "https://stele.dev/scan/v1", ref)
    p = st(stele, work, "verify-attestation", ref, "--key", pub, "--type",
           "https://stele.dev/scan/v1")
    assert p.stdout.startswith(f"OK      sha256-{d[7:]}.att layer 0 ")
    assert '"verdict":"clean"' in p.stdout
    p = st(stele, work, "verify-attestation", ref, "--key",
           work / "other.pub", check=False)
    assert p.returncode == 1
    assert "INVALID" in p.stdout


@needs_cosign
def test_stele_legacy_attestation_verifies_with_cosign(stele, work,
                                                       registry, keys):
    key, pub = keys
    d = push_image(registry, "models/att-mine", "v1", b"w11")
    ref = f"{registry}/models/att-mine:v1"
    st(stele, work, "attest", ref, "--key", key, "--predicate",
       "pred.json", "--type", "https://stele.dev/scan/v1",
       "--attestation-format", "legacy")
    att = get_json(registry, "models/att-mine", f"sha256-{d[7:]}.att")
    assert att["layers"][0]["mediaType"] == ("application/vnd.dsse."
                                             "envelope.v1+json")
    cosign_reg(work, "verify-attestation", "--key", pub,
               "--insecure-ignore-tlog", "--type",
               "https://stele.dev/scan/v1", ref)
    p = st(stele, work, "verify-attestation", ref, "--key", pub)
    lines = [l for l in p.stdout.splitlines() if l.startswith("OK")]
    assert len(lines) == 1
    assert lines[0].startswith(f"OK      sha256-{d[7:]}.att layer 0 ")
    # cosign prefers bundles once a referrer exists, so "both" is checked
    # with stele only.
    st(stele, work, "attest", ref, "--key", key, "--predicate",
       "pred.json", "--type", "vuln", "--attestation-format", "both")
    p = st(stele, work, "verify-attestation", ref, "--key", pub)
    assert len([l for l in p.stdout.splitlines()
                if l.startswith("OK")]) == 3
