"""stele scan --no-digest: null digests, payloads skipped, same verdicts."""
import hashlib
import json
import pickletools
import shutil
import struct
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"
JOBLIB = MODELS / "benign" / "arrays.joblib"
# ONNX cases whose external data is a link laid beside them (as in
# test_scan.py): the links make the case, so they are built here too.
ONNX_LINKS = {"onnx_external_link.onnx": ("link.bin", "/etc/passwd"),
              "onnx_external_dir_link.onnx": ("sub", "/etc")}


def scan(stele, *args):
    p = stele.run("scan", "--format", "json", *args, check=False)
    return p.returncode, json.loads(p.stdout)


def corpus_cases(tmp_path):
    """Every fixture file as its own scan target (ONNX link cases laid
    out in a directory of their own)."""
    cases = []
    for p in sorted(MODELS.rglob("*")):
        if not p.is_file() or p.suffix in (".py", ".sh", ".txt") and \
                p.parent == MODELS:
            continue
        if p.name in ONNX_LINKS and p.parent.name == "malicious":
            d = tmp_path / p.stem
            d.mkdir()
            shutil.copy(p, d / "model.onnx")
            link, dest = ONNX_LINKS[p.name]
            (d / link).symlink_to(dest)
            p = d
        cases.append(p)
    return cases


def per_file(rep):
    """Files by path: format, size, complete; findings by path."""
    files = {f["path"]: (f["format"], f["size"], f["complete"])
             for f in rep["files"]}
    finds = sorted((f["path"], f["rule"], f["severity"], f["message"])
                   for f in rep["findings"])
    return files, finds


def test_verdicts_identical_over_whole_fixture_corpus(stele, tmp_path):
    cases = corpus_cases(tmp_path)
    assert len(cases) > 150
    seen = set()
    for target in cases:
        rc_d, rep_d = scan(stele, target)
        rc_n, rep_n = scan(stele, "--no-digest", target)
        assert (rc_n, rep_n["verdict"]) == (rc_d, rep_d["verdict"]), target
        assert per_file(rep_n) == per_file(rep_d), target
        assert all(f["sha256"] is None for f in rep_n["files"]), target
        assert all(len(f["sha256"]) == 64 for f in rep_d["files"])
        seen.add(rep_d["verdict"])
    assert {"clean", "malicious", "incomplete"} <= seen


def test_null_digest_in_json_and_no_hashes_in_sarif(stele):
    target = MODELS / "benign" / "model.safetensors"
    rc, rep = scan(stele, "--no-digest", target)
    assert rc == 0 and rep["verdict"] == "clean"
    f = rep["files"][0]
    assert f["sha256"] is None
    assert f["size"] == target.stat().st_size
    assert f["complete"] is True
    p = stele.run("scan", "--format", "sarif", "--no-digest", target,
                  check=False)
    art = json.loads(p.stdout)["runs"][0]["artifacts"][0]
    assert "hashes" not in art
    assert art["length"] == target.stat().st_size
    p = stele.run("scan", "--format", "sarif", target, check=False)
    art = json.loads(p.stdout)["runs"][0]["artifacts"][0]
    assert art["hashes"]["sha-256"] == \
        hashlib.sha256(target.read_bytes()).hexdigest()


def test_no_digest_exit_codes(stele, tmp_path):
    rc, rep = scan(stele, "--no-digest",
                   MODELS / "malicious" / "os_system_p4.pkl")
    assert rc == 1 and rep["verdict"] == "malicious"
    (tmp_path / "cut.pkl").write_bytes(
        (MODELS / "benign" / "plain_p4.pkl").read_bytes()[:-3])
    rc, rep = scan(stele, "--no-digest", tmp_path / "cut.pkl")
    assert rc == 2 and rep["verdict"] == "incomplete"
    p = stele.run("scan", "--no-digest", tmp_path / "absent", check=False)
    assert p.returncode == 2


def joblib_with_big_array(extra):
    """arrays.joblib with its 4x4 float64 array reshaped to 255x255 (the
    same opcode lengths, so the pickle frame stays valid) and `extra`
    bytes of array data following the original 128; the pickle's tail
    follows only when all 520200 bytes are there."""
    d = JOBLIB.read_bytes()
    assert d[107:112] == b"K\x04K\x04\x86"
    i = d.index(b"numpy_array_alignment_bytes")
    build = next(pos for op, _, pos in pickletools.genops(d)
                 if pos > i and op.name == "BUILD")
    end = build + 2 + d[build + 1] + 4 * 4 * 8
    d = d[:107] + b"K\xffK\xff\x86" + d[112:]
    tail = d[end:] if extra == FULL else b""
    return d[:end] + b"\0" * extra + tail


FULL = 255 * 255 * 8 - 128


def test_joblib_array_is_seeked_over_and_stays_clean(stele, tmp_path):
    # 255 x 255 float64: 520200 bytes of array, two read buffers.
    data = joblib_with_big_array(FULL)
    f = tmp_path / "big.joblib"
    f.write_bytes(data)
    rc_d, rep_d = scan(stele, f)
    rc_n, rep_n = scan(stele, "--no-digest", f)
    assert rc_d == rc_n == 0, (rep_d, rep_n)
    assert rep_n["files"][0]["size"] == len(data)
    assert rep_d["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("digest", [True, False])
def test_skip_past_end_is_truncation_incomplete(stele, tmp_path, digest):
    # The wrapper claims 520200 bytes of array; 100 KB of it are there.
    data = joblib_with_big_array(100 << 10)
    f = tmp_path / "cut.joblib"
    f.write_bytes(data)
    args = [] if digest else ["--no-digest"]
    rc, rep = scan(stele, *args, f)
    assert rc == 2, rep
    assert rep["verdict"] == "incomplete"
    assert "truncated" in rep["files"][0]["reason"]


def test_truncated_safetensors_same_verdict(stele, tmp_path):
    data = (MODELS / "benign" / "model.safetensors").read_bytes()
    f = tmp_path / "cut.safetensors"
    f.write_bytes(data[:-16])
    rc_d, rep_d = scan(stele, f)
    rc_n, rep_n = scan(stele, "--no-digest", f)
    assert rc_d == rc_n == 1
    assert per_file(rep_d) == per_file(rep_n)


def test_help_documents_no_digest(stele):
    p = stele.run("scan", "--help")
    assert "--no-digest" in p.stdout


def test_no_digest_refused_for_a_registry_reference(stele):
    p = stele.run("scan", "--no-digest", "127.0.0.1:9/repo:tag",
                  check=False)
    assert p.returncode == 2
    assert "--no-digest" in p.stderr
