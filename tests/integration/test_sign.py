"""Signing and verification against the real cosign binary, both ways,
and an independent check of raw signatures with the OpenSSL CLI."""
import base64
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

PW = "correct horse"


def cosign_bin():
    gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True,
                            text=True).stdout.strip() if shutil.which(
                                "go") else ""
    for c in (shutil.which("cosign"),
              gopath and os.path.join(gopath, "bin", "cosign"),
              "/root/go/bin/cosign"):
        if c and os.access(c, os.X_OK):
            return c
    return None


COSIGN = cosign_bin()
needs_cosign = pytest.mark.skipif(COSIGN is None,
                                  reason="cosign not installed "
                                  "(scripts/setup-peers.sh builds it)")


@pytest.fixture
def work(tmp_path):
    d = tmp_path / "w"
    d.mkdir()
    (d / "model.bin").write_bytes(os.urandom(100000))
    (d / "pred.json").write_text('{"verdict":"clean","counts":{"high":0}}')
    # cosign only ever talks to its TUF mirror here: a closed loopback port.
    (d / "trusted_root.json").write_text(json.dumps(
        {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;"
                      "version=0.1"}))
    return d


def cosign(work, *args, check=True):
    env = dict(os.environ, COSIGN_PASSWORD=PW, HOME=str(work),
               TUF_ROOT=str(work / "tuf"), TUF_MIRROR="http://127.0.0.1:9",
               COSIGN_YES="true")
    p = subprocess.run([COSIGN, *map(str, args)], env=env, cwd=work,
                       capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"cosign {args} exited {p.returncode}\n"
                             f"{p.stdout}\n{p.stderr}")
    return p


def st(stele, work, *args, check=True, password=PW):
    return stele.run(*args, check=check, cwd=work,
                     env={"COSIGN_PASSWORD": password})


def stele_keys(stele, work, prefix="stele"):
    st(stele, work, "key", "generate", "--output-key-prefix", prefix)
    return work / f"{prefix}.key", work / f"{prefix}.pub"


def cosign_keys(work):
    cosign(work, "generate-key-pair")
    return work / "cosign.key", work / "cosign.pub"


def test_key_generate_writes_cosign_format(stele, work):
    key, pub = stele_keys(stele, work)
    assert key.stat().st_mode & 0o777 == 0o600
    text = key.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY---")
    body = json.loads(base64.b64decode("".join(text.splitlines()[1:-1])))
    assert body["kdf"]["name"] == "scrypt"
    assert body["kdf"]["params"] == {"N": 65536, "r": 8, "p": 1}
    assert len(base64.b64decode(body["kdf"]["salt"])) == 32
    assert body["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(body["cipher"]["nonce"])) == 24
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_key_generate_refuses_to_overwrite(stele, work):
    stele_keys(stele, work)
    p = st(stele, work, "key", "generate", "--output-key-prefix", "stele",
           check=False)
    assert p.returncode == 1
    assert "use --force" in p.stderr


@needs_cosign
def test_cosign_signs_with_stele_key_and_both_verify(stele, work):
    key, pub = stele_keys(stele, work)
    cosign(work, "sign-blob", "--key", key, "--tlog-upload=false",
           "--output-signature", "c.sig", "model.bin")
    st(stele, work, "verify-blob", "model.bin", "--key", pub,
       "--signature", "c.sig")
    cosign(work, "verify-blob", "--key", pub, "--signature", "c.sig",
           "--insecure-ignore-tlog", "model.bin")


@needs_cosign
def test_stele_signatures_verify_with_cosign(stele, work):
    key, pub = cosign_keys(work)
    p = st(stele, work, "sign-blob", "model.bin", "--key", key,
           "--bundle", "s.bundle", "--output-signature", "s.sig")
    assert p.stdout.strip() == (work / "s.sig").read_text()
    cosign(work, "verify-blob", "--key", pub, "--signature", "s.sig",
           "--insecure-ignore-tlog", "model.bin")
    cosign(work, "verify-blob", "--key", pub, "--bundle", "s.bundle",
           "--new-bundle-format", "--trusted-root", "trusted_root.json",
           "--insecure-ignore-tlog", "model.bin")
    (work / "model.bin").write_bytes(b"other")
    p = cosign(work, "verify-blob", "--key", pub, "--bundle", "s.bundle",
               "--new-bundle-format", "--trusted-root", "trusted_root.json",
               "--insecure-ignore-tlog", "model.bin", check=False)
    assert p.returncode != 0


@needs_cosign
def test_cosign_signatures_verify_with_stele(stele, work):
    key, pub = cosign_keys(work)
    cosign(work, "sign-blob", "--key", key, "--tlog-upload=false",
           "--new-bundle-format", "--bundle", "c.bundle",
           "--output-signature", "c.sig", "model.bin")
    p = st(stele, work, "verify-blob", "model.bin", "--key", pub,
           "--bundle", "c.bundle")
    assert p.stdout.strip() == "Verified OK"
    cosign(work, "sign-blob", "--key", key, "--tlog-upload=false",
           "--bundle", "old.bundle", "model.bin")
    assert "base64Signature" in (work / "old.bundle").read_text()
    st(stele, work, "verify-blob", "model.bin", "--key", pub, "--bundle",
       "old.bundle")
    st(stele, work, "verify-blob", "model.bin", "--key", pub,
       "--signature", (work / "c.sig").read_text())
    (work / "model.bin").write_bytes(b"tampered")
    p = st(stele, work, "verify-blob", "model.bin", "--key", pub,
           "--bundle", "old.bundle", check=False)
    assert p.returncode == 1
    p = st(stele, work, "verify-blob", "model.bin", "--key", pub,
           "--bundle", "c.bundle", check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ("stele verify-blob: sigstore bundle "
                                "message digest is not the artifact's "
                                "SHA-256")
    p = st(stele, work, "verify-blob", "model.bin", "--key", pub,
           "--signature", "c.sig", check=False)
    assert p.stderr.strip() == ("stele verify-blob: signature does not "
                                "verify with this key")


def test_openssl_verifies_raw_signature(stele, work):
    key, pub = stele_keys(stele, work)
    p = st(stele, work, "sign-blob", "model.bin", "--key", key)
    (work / "sig.der").write_bytes(base64.b64decode(p.stdout.strip()))
    o = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub,
                        "-signature", work / "sig.der", work / "model.bin"],
                       capture_output=True, text=True)
    assert o.returncode == 0 and o.stdout.strip() == "Verified OK"
    (work / "model.bin").write_bytes(b"x")
    o = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub,
                        "-signature", work / "sig.der", work / "model.bin"],
                       capture_output=True, text=True)
    assert o.returncode == 1


def test_openssl_signature_verifies_with_stele(stele, work):
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", work / "ec.pem"], check=True)
    subprocess.run(["openssl", "ec", "-in", work / "ec.pem", "-pubout",
                    "-out", work / "ec.pub"], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "dgst", "-sha256", "-sign", work / "ec.pem",
                    "-out", work / "sig.der", work / "model.bin"],
                   check=True)
    sig = base64.b64encode((work / "sig.der").read_bytes()).decode()
    st(stele, work, "verify-blob", "model.bin", "--key", "ec.pub",
       "--signature", sig)


def test_wrong_password_is_refused(stele, work):
    key, _ = stele_keys(stele, work)
    p = st(stele, work, "sign-blob", "model.bin", "--key", key,
           password="wrong", check=False)
    assert p.returncode == 1
    assert "wrong password or altered key file" in p.stderr


def test_wrong_curve_key_is_refused(stele, work):
    subprocess.run(["openssl", "ecparam", "-name", "secp384r1", "-genkey",
                    "-noout", "-out", work / "p384.pem"], check=True)
    subprocess.run(["openssl", "ec", "-in", work / "p384.pem", "-pubout",
                    "-out", work / "p384.pub"], check=True,
                   capture_output=True)
    p = st(stele, work, "verify-blob", "model.bin", "--key", "p384.pub",
           "--signature", "AAAA", check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ("stele verify-blob: key 'p384.pub' uses "
                                "curve secp384r1, not P-256")


def test_truncated_signature_is_refused(stele, work):
    key, pub = stele_keys(stele, work)
    sig = st(stele, work, "sign-blob", "model.bin", "--key",
             key).stdout.strip()
    p = st(stele, work, "verify-blob", "model.bin", "--key", pub,
           "--signature", sig[:-2], check=False)
    assert p.returncode == 1
    assert "truncated base64" in p.stderr


def test_bundle_with_duplicate_keys_is_refused(stele, work):
    key, pub = stele_keys(stele, work)
    st(stele, work, "sign-blob", "model.bin", "--key", key, "--bundle",
       "b.json")
    text = (work / "b.json").read_text()
    dup = text.replace('"signature":',
                       '"signature":"AAAA","signature":', 1)
    (work / "dup.json").write_text(dup)
    p = st(stele, work, "verify-blob", "model.bin", "--key", pub,
           "--bundle", "dup.json", check=False)
    assert p.returncode == 1
    assert "duplicate object key" in p.stderr


@needs_cosign
def test_blob_attestations_round_trip_with_cosign(stele, work):
    key, pub = cosign_keys(work)
    st(stele, work, "attest-blob", "model.bin", "--key", key,
       "--predicate", "pred.json", "--type", "vuln", "--bundle", "s.att")
    bundle = json.loads((work / "s.att").read_text())
    payload = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert payload["_type"] == "https://in-toto.io/Statement/v1"
    assert payload["subject"][0]["name"] == "model.bin"
    cosign(work, "verify-blob-attestation", "--key", pub, "--bundle",
           "s.att", "--new-bundle-format", "--trusted-root",
           "trusted_root.json", "--insecure-ignore-tlog", "--type", "vuln",
           "model.bin")
    cosign(work, "attest-blob", "--key", key, "--tlog-upload=false",
           "--new-bundle-format", "--bundle", "c.att", "--predicate",
           "pred.json", "--type", "https://stele.dev/scan/v1", "model.bin")
    p = st(stele, work, "verify-blob-attestation", "model.bin", "--key",
           pub, "--bundle", "c.att", "--type", "https://stele.dev/scan/v1")
    assert '"verdict":"clean"' in p.stdout


def test_attestation_about_another_file_is_refused(stele, work):
    key, pub = stele_keys(stele, work)
    (work / "other.bin").write_bytes(b"other model")
    st(stele, work, "attest-blob", "other.bin", "--key", key,
       "--predicate", "pred.json", "--type", "custom", "--bundle", "a.att")
    p = st(stele, work, "verify-blob-attestation", "model.bin", "--key",
           pub, "--bundle", "a.att", check=False)
    assert p.returncode == 1
    assert "subject digest mismatch" in p.stderr


def test_envelope_with_mismatched_payload_type_is_refused(stele, work):
    key, pub = stele_keys(stele, work)
    st(stele, work, "attest-blob", "model.bin", "--key", key,
       "--predicate", "pred.json", "--type", "custom", "--bundle", "a.att")
    b = json.loads((work / "a.att").read_text())
    env = b["dsseEnvelope"]
    env["payloadType"] = "application/json"
    (work / "env.json").write_text(json.dumps(env))
    p = st(stele, work, "verify-blob-attestation", "model.bin", "--key",
           pub, "--bundle", "env.json", check=False)
    assert p.returncode == 1
    assert ("DSSE payloadType 'application/json' is not the expected "
            "'application/vnd.in-toto+json'") in p.stderr


def test_signature_over_another_payload_is_refused(stele, work):
    key, pub = stele_keys(stele, work)
    (work / "other.bin").write_bytes(b"other model")
    st(stele, work, "attest-blob", "model.bin", "--key", key,
       "--predicate", "pred.json", "--type", "custom", "--bundle", "a.att")
    st(stele, work, "attest-blob", "other.bin", "--key", key,
       "--predicate", "pred.json", "--type", "custom", "--bundle", "b.att")
    a = json.loads((work / "a.att").read_text())
    b = json.loads((work / "b.att").read_text())
    # Payload about model.bin with the signature over other.bin's PAE.
    a["dsseEnvelope"]["signatures"] = b["dsseEnvelope"]["signatures"]
    (work / "mix.att").write_text(json.dumps(a))
    p = st(stele, work, "verify-blob-attestation", "model.bin", "--key",
           pub, "--bundle", "mix.att", check=False)
    assert p.returncode == 1
    assert "no DSSE signature verifies" in p.stderr


def prompt_run(stele, work, args, answers):
    """Run stele on a pseudo-terminal with no password variable set."""
    import pty
    import select
    env = {k: v for k, v in stele.env.items()
           if k not in ("COSIGN_PASSWORD", "STELE_KEY_PASSWORD")}
    path = stele_path()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(work)
            os.execve(path, ["stele", *map(str, args)], env)
        finally:
            os._exit(127)
    out = b""
    answered = 0
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 5)
        if not r:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        # Answer only a prompt that appeared after the last answer.
        if pending and out[answered:].rstrip().endswith(b":"):
            os.write(fd, pending.pop(0).encode() + b"\n")
            answered = len(out)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        # Still waiting for input it will never get: fail, do not hang.
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def stele_path():
    from conftest import stele_bin
    return stele_bin()


def test_key_generate_prompts_without_echo(stele, work):
    rc, out = prompt_run(stele, work, ["key", "generate",
                                       "--output-key-prefix", "tty"],
                         ["typed secret", "typed secret"])
    assert rc == 0, out
    assert "Enter password for private key:" in out
    assert "typed secret" not in out
    st(stele, work, "sign-blob", "model.bin", "--key", "tty.key",
       password="typed secret")


def test_key_generate_prompt_mismatch_fails(stele, work):
    rc, out = prompt_run(stele, work, ["key", "generate",
                                       "--output-key-prefix", "tty"],
                         ["one", "two"])
    assert rc == 1
    assert "the two passwords differ" in out
    assert not (work / "tty.key").exists()
