"""stele login/logout/push/pull against Debian's docker-registry on
loopback: anonymous, htpasswd Basic, and the bearer token flow."""
import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

import ocilayout
from conftest import stele_bin
from distribution import Registry, TokenService

USERS = {"alice": "s3cret-pw"}


@pytest.fixture(scope="module")
def anon_registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("anon"))
    yield r
    r.stop()


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("basic"), auth="htpasswd",
                 users=USERS)
    yield r
    r.stop()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    t = TokenService(tmp_path_factory.mktemp("token"), USERS)
    r = Registry(tmp_path_factory.mktemp("tokreg"), auth="token", token=t)
    r.tokens = t
    yield r
    r.stop()
    t.stop()


def login(stele, host, password="s3cret-pw", user="alice", check=True):
    return stele.run("login", host, "-u", user, "--password-stdin",
                     input=password + "\n", check=check)


def layout_blobs(root):
    d = Path(root) / "blobs" / "sha256"
    return {p.name: p.read_bytes() for p in d.iterdir()}


def small_kit(tmp_path, tag="v1"):
    src = tmp_path / "src"
    md = ocilayout.make_layout(src, tag, [b"weights " * 1000,
                                          os.urandom(300000)])
    return src, md


def test_login_wrong_password_is_one_clear_line(stele, basic_registry):
    p = login(stele, basic_registry.host, password="nope", check=False)
    assert p.returncode == 1
    assert p.stderr.splitlines() == [
        f"stele login: authentication failed for registry "
        f"'{basic_registry.host}': wrong user name or password"]
    assert not (Path(stele.env["HOME"]) / ".docker/config.json").exists()


def test_login_stores_docker_config_and_logout_removes(stele,
                                                       basic_registry):
    cfg = Path(stele.env["HOME"]) / ".docker" / "config.json"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(json.dumps({"credsStore": "", "HttpHeaders":
                               {"X-Keep": "1"}}))
    p = login(stele, basic_registry.host)
    assert p.stdout.strip() == "Login Succeeded"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    doc = json.loads(cfg.read_text())
    assert doc["HttpHeaders"] == {"X-Keep": "1"}
    import base64
    assert base64.b64decode(doc["auths"][basic_registry.host]["auth"]) \
        == b"alice:s3cret-pw"

    p = stele.run("logout", basic_registry.host)
    assert basic_registry.host not in json.loads(
        cfg.read_text())["auths"]
    p = stele.run("logout", basic_registry.host, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (f"stele logout: not logged in to "
                                f"'{basic_registry.host}'")


def test_login_honours_docker_config_env(stele, basic_registry, tmp_path):
    dc = tmp_path / "dockercfg"
    p = stele.run("login", basic_registry.host, "-u", "alice",
                  "--password-stdin", input="s3cret-pw\n",
                  env={"DOCKER_CONFIG": str(dc)})
    assert (dc / "config.json").exists()


def test_push_without_credentials_asks_for_login(stele, basic_registry,
                                                 tmp_path):
    src, _ = small_kit(tmp_path)
    p = stele.run("push", f"{basic_registry.host}/team/m:v1", "--layout",
                  src, check=False)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1] == (
        f"stele push: registry '{basic_registry.host}' requires "
        f"authentication (run 'stele login {basic_registry.host}')")


@pytest.mark.parametrize("auth", ["anon", "basic", "token"])
def test_push_pull_round_trip_is_byte_exact(stele, tmp_path, auth,
                                            anon_registry, basic_registry,
                                            token_registry):
    reg = {"anon": anon_registry, "basic": basic_registry,
           "token": token_registry}[auth]
    if auth != "anon":
        login(stele, reg.host)
    src, md = small_kit(tmp_path)
    ref = f"{reg.host}/team/round-{auth}:v1"
    p = stele.run("push", ref, "--layout", src, "--format", "json")
    assert json.loads(p.stdout) == {"reference": ref, "digest": md}

    dst = tmp_path / "dst"
    p = stele.run("pull", ref, "--layout", dst)
    assert p.stdout.strip() == f"pulled {ref}@{md}"
    assert layout_blobs(dst) == layout_blobs(src)
    assert ocilayout.tagged_digest(dst, "v1") == md

    # By digest, into a fresh layout: the same bytes again.
    dst2 = tmp_path / "dst2"
    stele.run("pull", f"{reg.host}/team/round-{auth}@{md}", "--layout",
              dst2)
    assert layout_blobs(dst2) == layout_blobs(src)


def test_token_flow_fetches_one_token_per_scope(stele, tmp_path,
                                                token_registry):
    login(stele, token_registry.host)
    src, _ = small_kit(tmp_path)
    token_registry.tokens.requests.clear()
    stele.run("push", f"{token_registry.host}/team/scoped:v1", "--layout",
              src, "-j", "4")
    scopes = [s for _, s in token_registry.tokens.requests]
    assert scopes == [["repository:team/scoped:push,pull"]]
    assert all(u == "alice" for u, _ in token_registry.tokens.requests)


def test_token_flow_wrong_password(stele, token_registry):
    p = login(stele, token_registry.host, password="bad", check=False)
    assert p.returncode == 1
    assert p.stderr.splitlines() == [
        f"stele login: authentication failed for registry "
        f"'{token_registry.host}': wrong user name or password"]


def test_manifest_with_wrong_digest_is_refused(stele, tmp_path,
                                               anon_registry):
    src, md = small_kit(tmp_path)
    ref = f"{anon_registry.host}/team/tampered:v1"
    stele.run("push", ref, "--layout", src)
    data = anon_registry.blob_data(md)
    orig = data.read_bytes()
    tampered = orig.replace(b'"size":8000', b'"size":8001')
    assert tampered != orig
    data.write_bytes(tampered)
    try:
        dst = tmp_path / "dst"
        p = stele.run("pull", ref, "--layout", dst, check=False)
        assert p.returncode == 1
        assert p.stderr.strip().endswith(f"not the {md} the registry "
                                         f"claims")
        p = stele.run("pull", f"{anon_registry.host}/team/tampered@{md}",
                      "--layout", dst, check=False)
        assert p.returncode == 1
        assert "has digest sha256:" in p.stderr
        assert ocilayout.tagged_digest(dst, "v1") is None
    finally:
        data.write_bytes(orig)


def test_corrupt_blob_is_refused_and_not_kept(stele, tmp_path,
                                              anon_registry):
    layer = os.urandom(50000)
    src = tmp_path / "src"
    ocilayout.make_layout(src, "v1", [layer])
    ref = f"{anon_registry.host}/team/badblob:v1"
    stele.run("push", ref, "--layout", src)
    import hashlib
    ld = "sha256:" + hashlib.sha256(layer).hexdigest()
    data = anon_registry.blob_data(ld)
    data.write_bytes(b"X" + layer[1:])
    dst = tmp_path / "dst"
    p = stele.run("pull", ref, "--layout", dst, check=False)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1] == (
        f"stele pull: blob {ld} from registry '{anon_registry.host}' has "
        f"digest sha256:" + hashlib.sha256(b"X" + layer[1:]).hexdigest())
    assert not ocilayout.blob_path(dst, ld).exists()
    assert not list((dst / ".partial").iterdir())
    assert ocilayout.tagged_digest(dst, "v1") is None


def test_missing_tag_is_not_found(stele, tmp_path, anon_registry):
    p = stele.run("pull", f"{anon_registry.host}/team/none:v9", "--layout",
                  tmp_path / "d", check=False)
    assert p.returncode == 1
    assert "HTTP 404" in p.stderr and "MANIFEST_UNKNOWN" in p.stderr


def test_push_of_missing_local_tag(stele, tmp_path, anon_registry):
    src, _ = small_kit(tmp_path)
    p = stele.run("push", f"{anon_registry.host}/team/m:nope", "--layout",
                  src, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (f"stele push: no manifest 'nope' in "
                                f"layout '{src}'")


def test_unreachable_registry_is_one_line(stele, tmp_path):
    from distribution import free_port
    host = f"127.0.0.1:{free_port()}"
    p = stele.run("pull", f"{host}/team/m:v1", "--layout", tmp_path / "d",
                  check=False)
    assert p.returncode == 1
    assert len(p.stderr.strip().splitlines()) == 1
    assert "Couldn't connect to server" in p.stderr


def _run_rss(stele, *args):
    """Run stele; return (exit status, peak RSS in KiB, stderr)."""
    err = Path(stele.env["HOME"]) / "stderr.txt"
    err.parent.mkdir(parents=True, exist_ok=True)
    with open(err, "w") as f:
        proc = subprocess.Popen([stele_bin(), *map(str, args)],
                                env=stele.env, stdout=subprocess.DEVNULL,
                                stderr=f)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, err.read_text()


def _big_file(path, size):
    with open(path, "wb") as f:
        chunk = os.urandom(1 << 20)
        for i in range(size >> 20):
            f.write(chunk[:-8] + i.to_bytes(8, "little"))


BIG = 200 << 20


@pytest.fixture(scope="module")
def big_kit(tmp_path_factory, anon_registry):
    d = tmp_path_factory.mktemp("big")
    _big_file(d / "model.bin", BIG)
    src = d / "src"
    md = ocilayout.make_layout(src, "v1", [d / "model.bin"])
    return src, md, d / "model.bin"


def test_large_blob_round_trip_with_flat_memory(stele, tmp_path,
                                                anon_registry, big_kit):
    src, md, model = big_kit
    small, _ = small_kit(tmp_path)
    host = anon_registry.host
    rc, small_push, _ = _run_rss(stele, "push", f"{host}/team/small:v1",
                                 "--layout", small)
    assert rc == 0
    rc, big_push, err = _run_rss(stele, "push", f"{host}/team/big:v1",
                                 "--layout", src)
    assert rc == 0, err
    rc, big_pull, err = _run_rss(stele, "pull", f"{host}/team/big:v1",
                                 "--layout", tmp_path / "dst")
    assert rc == 0, err
    got = ocilayout.blob_path(tmp_path / "dst", ocilayout.blob_digest(
        model))
    assert got.stat().st_size == BIG
    assert ocilayout.file_digest(got) == ocilayout.file_digest(model)
    # 200 MiB moved both ways; memory stays within a small constant of
    # a tiny push (the sanitizer build's baseline included).
    print(f"peak RSS KiB: small push {small_push}, 200 MiB push "
          f"{big_push}, 200 MiB pull {big_pull}")
    assert big_push - small_push < 32 * 1024
    assert big_pull - small_push < 32 * 1024


def test_pull_resumes_after_a_killed_transfer(stele, tmp_path,
                                              anon_registry, big_kit):
    src, md, model = big_kit
    host = anon_registry.host
    ref = f"{host}/team/resume:v1"
    stele.run("push", ref, "--layout", src)
    dst = tmp_path / "dst"
    ld = ocilayout.blob_digest(model)
    partial = dst / ".partial" / ("sha256-" + ld[7:])
    proc = subprocess.Popen([stele_bin(), "pull", ref, "--layout", dst,
                             "-j", "1"], env=stele.env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if partial.exists() and partial.stat().st_size > (40 << 20):
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    have = partial.stat().st_size
    assert (40 << 20) < have < BIG
    assert ocilayout.tagged_digest(dst, "v1") is None

    p = stele.run("pull", ref, "--layout", dst)
    assert f"{ld[:19]}: resuming at byte {have}" in p.stderr
    assert ocilayout.tagged_digest(dst, "v1") == md
    assert ocilayout.file_digest(ocilayout.blob_path(dst, ld)) == ld
    assert not partial.exists()


def test_resume_with_a_corrupt_partial_file_starts_clean(stele, tmp_path,
                                                         anon_registry,
                                                         big_kit):
    src, md, model = big_kit
    ref = f"{anon_registry.host}/team/resume2:v1"
    stele.run("push", ref, "--layout", src)
    dst = tmp_path / "dst"
    ld = ocilayout.blob_digest(model)
    partial = dst / ".partial" / ("sha256-" + ld[7:])
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"garbage that is not the blob prefix")
    p = stele.run("pull", ref, "--layout", dst, check=False)
    assert p.returncode == 1
    assert "has digest" in p.stderr
    assert not partial.exists() or partial.stat().st_size == 0
    stele.run("pull", ref, "--layout", dst)
    assert ocilayout.file_digest(ocilayout.blob_path(dst, ld)) == ld


def test_store_pack_push_pull_unpack_round_trip(stele, tmp_path,
                                                basic_registry):
    login(stele, basic_registry.host)
    kit = tmp_path / "kit"
    kit.mkdir()
    weights = os.urandom(3 << 20)
    (kit / "model.bin").write_bytes(weights)
    (kit / "Kitfile").write_text("manifestVersion: 1.0.0\npackage:\n"
                                 "  name: demo\nmodel:\n  name: demo\n"
                                 "  path: model.bin\n")
    ref = f"{basic_registry.host}/team/demo:v1"
    stele.run("pack", kit, "-t", ref)
    pushed = json.loads(stele.run("push", ref, "--format",
                                  "json").stdout)["digest"]

    # A second machine: empty store, same credentials file.
    other = dict(stele.env, STELE_HOME=str(tmp_path / "other"))
    p = stele.run("pull", ref, env=other)
    assert p.stdout.strip() == f"pulled {ref}@{pushed}"
    listed = stele.run("list", env=other).stdout
    assert ref in listed and pushed in listed
    stele.run("unpack", ref, "-d", tmp_path / "out", env=other)
    assert (tmp_path / "out" / "model.bin").read_bytes() == weights

    # Pulling again finds every blob in place.
    p = stele.run("pull", ref, env=other)
    assert p.stderr.count(": exists ") == 2


def _fake_helper(bindir, name, script):
    bindir.mkdir(exist_ok=True)
    p = bindir / f"docker-credential-{name}"
    p.write_text("#!/bin/sh\n" + script)
    p.chmod(0o755)


def test_credential_helper_supplies_credentials(stele, tmp_path,
                                                basic_registry):
    bindir = tmp_path / "bin"
    # The helper checks it was asked "get" for this very registry.
    _fake_helper(bindir, "stelefake",
                 f'[ "$1" = get ] || exit 3\n'
                 f'read -r host || true\n'
                 f'[ "$host" = "{basic_registry.host}" ] || exit 4\n'
                 f'echo \'{{"ServerURL":"{basic_registry.host}",'
                 f'"Username":"alice","Secret":"s3cret-pw"}}\'\n')
    _fake_helper(bindir, "stelenone",
                 'echo "credentials not found in native keychain"\n'
                 'exit 1\n')
    cfg = Path(stele.env["HOME"]) / ".docker" / "config.json"
    cfg.parent.mkdir(parents=True)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}"}
    src, md = small_kit(tmp_path)
    ref = f"{basic_registry.host}/team/helper:v1"

    cfg.write_text(json.dumps({"credHelpers": {basic_registry.host:
                                               "stelefake"}}))
    p = stele.run("push", ref, "--layout", src, "--format", "json",
                  env=env)
    assert json.loads(p.stdout)["digest"] == md

    cfg.write_text(json.dumps({"credsStore": "stelenone"}))
    p = stele.run("pull", ref, "--layout", tmp_path / "d", env=env,
                  check=False)
    assert p.returncode == 1
    assert p.stderr.strip().endswith("requires authentication (run "
                                     f"'stele login {basic_registry.host}')")


def test_plain_http_only_for_loopback_or_insecure(stele, tmp_path,
                                                  anon_registry):
    # An IPv4-mapped IPv6 address reaches the loopback registry but is
    # not one of the names stele treats as loopback: HTTPS is required.
    host = f"[::ffff:127.0.0.1]:{anon_registry.port}"
    src, md = small_kit(tmp_path)
    stele.run("push", f"{anon_registry.host}/team/plain:v1", "--layout",
              src)
    ref = f"{host}/team/plain:v1"
    p = stele.run("pull", ref, "--layout", tmp_path / "a", check=False)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1].endswith(
        "SSL connect error (plain HTTP needs a loopback host, "
        "STELE_INSECURE_REGISTRIES or --insecure)")
    p = stele.run("pull", ref, "--layout", tmp_path / "b",
                  env={"STELE_INSECURE_REGISTRIES":
                       f"example.invalid:1, {host}"})
    assert p.stdout.strip() == f"pulled {ref}@{md}"
    p = stele.run("pull", ref, "--layout", tmp_path / "c", "--insecure")
    assert p.stdout.strip() == f"pulled {ref}@{md}"


def test_login_and_logout_through_credential_store(stele, tmp_path,
                                                   basic_registry):
    bindir = tmp_path / "bin"
    vault = tmp_path / "vault.json"
    # A helper keeping one credential in a file: store, get, erase.
    _fake_helper(bindir, "stelefile",
                 f'case "$1" in\n'
                 f'store) cat > {vault} ;;\n'
                 f'get) [ -f {vault} ] || {{ echo "credentials not '
                 f'found"; exit 1; }}; cat {vault} ;;\n'
                 f'erase) rm -f {vault} ;;\n'
                 f'*) exit 2 ;;\nesac\n')
    env = {"PATH": f"{bindir}:{os.environ['PATH']}"}
    cfg = Path(stele.env["HOME"]) / ".docker" / "config.json"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(json.dumps({"credsStore": "stelefile"}))

    stele.run("login", basic_registry.host, "-u", "alice",
              "--password-stdin", input="s3cret-pw\n", env=env)
    doc = json.loads(cfg.read_text())
    assert doc["auths"] == {basic_registry.host: {}}
    assert json.loads(vault.read_text()) == {
        "ServerURL": basic_registry.host, "Username": "alice",
        "Secret": "s3cret-pw"}

    src, md = small_kit(tmp_path)
    p = stele.run("push", f"{basic_registry.host}/team/vault:v1",
                  "--layout", src, "--format", "json", env=env)
    assert json.loads(p.stdout)["digest"] == md

    stele.run("logout", basic_registry.host, env=env)
    assert not vault.exists()
    assert json.loads(cfg.read_text())["auths"] == {}


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("tls"), auth="htpasswd",
                 users=USERS, tls=True)
    yield r
    r.stop()


def test_https_registry_with_custom_ca(stele, tmp_path, tls_registry):
    host = tls_registry.host
    # Not trusted: one line, and no fallback to plain HTTP although the
    # registry is on loopback.
    p = login(stele, host, check=False)
    assert p.returncode == 1
    assert p.stderr.splitlines() == [
        f"stele login: GET /v2/ on registry '{host}': SSL peer "
        f"certificate or SSH remote key was not OK"]

    ca = {"STELE_CA_FILE": str(tls_registry.ca)}
    stele.run("login", host, "-u", "alice", "--password-stdin",
              input="s3cret-pw\n", env=ca)
    src, md = small_kit(tmp_path)
    ref = f"{host}/team/tls:v1"
    stele.run("push", ref, "--layout", src, env=ca)
    stele.run("pull", ref, "--layout", tmp_path / "dst", env=ca)
    assert layout_blobs(tmp_path / "dst") == layout_blobs(src)
