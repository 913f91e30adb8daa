"""What a new user of `stele serve` meets first: configuration errors that
say what is wrong in one line, a busy port, trusted keys added after the
start, an audit log without challenge noise, and a clear refusal when a
signed-in user's role does not allow a push."""
import json
import os
import socket
import subprocess

import pytest

from conftest import stele_bin
from registry_util import free_port
from test_governance import PASSWORD, Gov


def serve(*args, cwd=None):
    return subprocess.run([stele_bin(), "serve", *map(str, args)],
                          capture_output=True, text=True, timeout=60,
                          cwd=cwd)


def one_line(p):
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


# --- configuration --------------------------------------------------------

def test_missing_trusted_keys_folder_is_the_one_error(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "stele.yaml").write_text('trusted_keys:\n  "demo/*": '
                                     'keys/trusted\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Relative to the configuration file, not to the working directory.
    p = serve("--config", conf / "stele.yaml", "--listen",
              f"127.0.0.1:{free_port()}", "--data", tmp_path / "data",
              cwd=elsewhere)
    line = one_line(p)
    assert line == (f"stele serve: {conf / 'stele.yaml'}: trusted_keys "
                    f"'demo/*': cannot use '{conf / 'keys/trusted'}': "
                    "No such file or directory"), line


def test_relative_data_is_under_the_config_directory(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    port = free_port()
    (conf / "stele.yaml").write_text(f"listen: 127.0.0.1:{port}\n"
                                     "data: reg-data\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.Popen([stele_bin(), "serve", "--config",
                             conf / "stele.yaml"], cwd=elsewhere,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().startswith("listening on")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert (conf / "reg-data" / "meta.db").exists()
    assert not (elsewhere / "reg-data").exists()


@pytest.fixture
def late_keys(tmp_path):
    """A publisher key pair and an empty trusted folder."""
    d = tmp_path / "late-keys"
    d.mkdir()
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD)
    subprocess.run([stele_bin(), "key", "generate", "--output-key-prefix",
                    str(d / "publisher")], env=env, check=True,
                   capture_output=True, timeout=120)
    (d / "trusted").mkdir()
    return d


def test_empty_trusted_folder_warns_and_later_keys_count(tmp_path,
                                                         late_keys):
    run = tmp_path / "run"
    run.mkdir()
    gov = Gov(run, late_keys)
    try:
        log = gov.reg.log.read_text()
        assert f"no .pub or .pem keys in '{late_keys / 'trusted'}'" in log
        ref, digest = gov.publish("v1.0.0")
        gov.sign(ref)
        first = gov.audit(action="signature", digest=digest)
        assert first and {r["result"] for r in first} == {"untrusted"}
        # The key arrives while the server runs: no restart needed.
        (late_keys / "publisher.pub").rename(late_keys / "trusted" /
                                             "publisher.pub")
        gov.sign(ref)
        recs = gov.audit(action="signature", digest=digest)[len(first):]
        assert recs and {r["result"] for r in recs} == {"ok"}
        p = gov.run("dep", "policy", "check", ref, "--env", "prod",
                    "--format", "json", check=False)
        rules = {r["rule"]: r for r in json.loads(p.stdout)["results"]}
        assert rules["signature"]["passed"], rules["signature"]
    finally:
        gov.reg.stop()


# --- a busy port ----------------------------------------------------------

def test_busy_port_is_one_line_and_creates_nothing(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = serve("--listen", f"127.0.0.1:{port}", "--data",
                  tmp_path / "data")
    assert one_line(p) == (f"stele serve: cannot listen on 127.0.0.1:"
                           f"{port}: address already in use (another "
                           "server? use --listen)")
    assert not (tmp_path / "data").exists()


# --- the audit log --------------------------------------------------------

@pytest.fixture
def gov(tmp_path):
    d = tmp_path / "keys"
    d.mkdir()
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD)
    subprocess.run([stele_bin(), "key", "generate", "--output-key-prefix",
                    str(d / "publisher")], env=env, check=True,
                   capture_output=True, timeout=120)
    (d / "trusted").mkdir()
    (d / "publisher.pub").rename(d / "trusted" / "publisher.pub")
    run = tmp_path / "run"
    run.mkdir()
    g = Gov(run, d)
    yield g
    g.reg.stop()


def test_signed_in_commands_leave_no_challenge_noise(gov):
    ref, digest = gov.publish("v1.0.0")
    before = len(gov.audit())
    gov.run("view", "history", "team/model")
    gov.run("dep", "policy", "show")
    gov.run("dep", "policy", "check", ref, "--env", "staging")
    gov.run("dep", "promote", ref, "--env", "staging", "--reason", "qa")
    gov.run("appr", "approve", ref, "--env", "prod")
    new = gov.audit()[before:]
    assert [r for r in new if r["actor"] == "anonymous"] == []
    assert [(r["actor"], r["action"], r["result"]) for r in new] == [
        ("dep", "promote", "ok"), ("appr", "approve", "ok")]


def test_denials_use_the_actions_of_successes(gov):
    # No credentials at all: the challenge, not an audited attempt.
    for path in ("promotions", "approvals", "rollbacks", "waivers"):
        st, _, _ = gov.reg.request("POST", f"/api/v1/{path}", b"{}")
        assert st == 401
    st, _, _ = gov.reg.request("GET", "/api/v1/history?repo=team/model")
    assert st == 401
    assert gov.audit(actor="anonymous") == []
    # Wrong credentials are audited, naming the user they tried.
    st, _, _ = gov.reg.request("POST", "/api/v1/promotions", b"{}",
                               auth=("dep", "wrong-password-x"))
    assert st == 401
    recs = gov.audit(action="login", result="denied")
    assert [r["reason"] for r in recs] == \
        ["bad credentials for user 'dep'"]
    # A signed-in user without the role: denied under the same name a
    # successful promotion is recorded with.
    gov.publish("v1.0.0")
    body = {"repo": "team/model", "reference": "v1.0.0", "environment":
            "staging", "reason": "x"}
    st, _ = gov.api("view", "POST", "/api/v1/promotions", body)
    assert st == 403
    assert gov.audit(action="promote", actor="view", result="denied")
    assert gov.audit(action="promotions") == []


# --- a push the role does not allow ---------------------------------------

def test_approver_push_is_told_the_role_not_the_password(gov):
    src = gov.tmp / "src-appr"
    src.mkdir()
    (src / "model.safetensors").write_bytes(b"approver weights")
    (src / "Kitfile").write_text("manifestVersion: 1.0.0\npackage:\n"
                                 "  name: model\nmodel:\n  name: m\n"
                                 "  path: model.safetensors\n")
    ref = f"{gov.reg.host}/team/model:v9.0.0"
    gov.run("appr", "pack", src, "-t", ref)
    p = gov.run("appr", "push", ref, check=False)
    assert p.returncode != 0
    assert "'appr' (approver) may not push to 'team/model'" in p.stderr, \
        p.stderr
    assert "password" not in p.stderr, p.stderr
