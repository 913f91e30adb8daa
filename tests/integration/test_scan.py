"""stele scan against the committed benign and malicious model corpora."""
import json
import pickle
import tarfile
import shutil
import zipfile
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"
BENIGN = MODELS / "benign"
FORMATS = MODELS / "formats"
# Both generators' malicious cases: gen_malicious.py and gen_formats.py.
MALICIOUS = sorted(p.name for p in (MODELS / "malicious").iterdir())
MALICIOUS_FORMATS = sorted(p.name for p in (FORMATS / "malicious").iterdir())


def scan_json(stele, *args):
    p = stele.run("scan", "--format", "json", *args, check=False)
    return p.returncode, json.loads(p.stdout) if p.stdout else None, p


def test_benign_corpus_is_clean_and_complete(stele):
    rc, rep, p = scan_json(stele, BENIGN, FORMATS / "benign")
    assert rc == 0, p.stdout
    assert rep["verdict"] == "clean"
    assert all(f["complete"] for f in rep["files"]), rep["files"]
    bad = [f for f in rep["findings"]
           if f["severity"] in ("medium", "high", "critical")]
    assert bad == []
    formats = {f["format"] for f in rep["files"]}
    for fmt in ("pickle", "pytorch-zip", "pytorch-legacy", "npy", "npz",
                "zlib", "gzip", "safetensors", "gguf", "keras", "onnx",
                "keras-h5", "tf-savedmodel", "chat-template", "hf-config",
                "python", "text", "torchscript", "keras-metadata"):
        assert fmt in formats, formats


# Files written by torch and TensorFlow themselves (gen_frameworks.py):
# each on its own, with the format the walker must see at its top.
FRAMEWORKS = BENIGN / "frameworks"
FRAMEWORK_FORMATS = {
    "torch_state_dict.pt": "pytorch-zip",
    "torch_legacy.pt": "pytorch-legacy",
    "torch_checkpoint.pt": "pytorch-zip",
    "torch_dtypes.pt": "pytorch-zip",
    "torch_nested.pt": "pytorch-zip",
    "torchscript_script.pt": "torchscript",
    "torchscript_trace.pt": "torchscript",
    "tf_keras2.h5": "keras-h5",
    "tf_module_savedmodel": "tf-savedmodel",
    "tf1_defun_savedmodel": "tf-savedmodel",
    "keras3_export_savedmodel": "tf-savedmodel",
    "tf_keras2_savedmodel": "tf-savedmodel",
}


def test_framework_fixture_list_is_complete():
    assert sorted(p.name for p in FRAMEWORKS.iterdir()) == \
        sorted(FRAMEWORK_FORMATS)


@pytest.mark.parametrize("name", sorted(FRAMEWORK_FORMATS))
def test_real_framework_file_is_clean_and_complete(stele, name):
    rc, rep, p = scan_json(stele, FRAMEWORKS / name)
    assert rc == 0, p.stdout
    assert rep["verdict"] == "clean"
    assert all(f["complete"] for f in rep["files"]), rep["files"]
    assert [f for f in rep["findings"] if f["severity"] not in
            ("info", "low")] == []
    formats = [f["format"] for f in rep["files"]]
    if FRAMEWORK_FORMATS[name] == "tf-savedmodel":
        assert formats.count("tf-savedmodel") == 1, formats
    else:
        assert formats[0] == FRAMEWORK_FORMATS[name], formats


# Real files with one edit (gen_frameworks.py): the rule each must raise.
FRAMEWORK_MALICIOUS = {
    "fw_torch_zip_os_system.pt": "pickle-global-dangerous",
    "fw_torch_checkpoint_os_system.pt": "pickle-global-dangerous",
    "fw_torchscript_os_system.pt": "pickle-global-dangerous",
    "fw_savedmodel_pyfunc": "savedmodel-python-op",
    "fw_savedmodel_custom_op": "savedmodel-unknown-op",
    "fw_tf_keras_lambda_savedmodel": "keras-lambda-layer",
}


@pytest.mark.parametrize("name", sorted(FRAMEWORK_MALICIOUS))
def test_edited_framework_file_raises_its_rule(stele, name):
    rc, rep, p = scan_json(stele, MODELS / "malicious" / name)
    assert rc == 1, p.stdout
    assert FRAMEWORK_MALICIOUS[name] in {f["rule"] for f in rep["findings"]}
    assert all(f["complete"] for f in rep["files"]), rep["files"]


def test_torch_zip64_archive_with_prefix_is_still_flagged(stele, tmp_path):
    """torch.save writes zip64 end records: with data before the archive
    the zip is still found, read, and the prefix reported."""
    data = (FRAMEWORKS / "torch_state_dict.pt").read_bytes()
    (tmp_path / "w.pt").write_bytes(b"\0" * 100 + data)
    rc, rep, p = scan_json(stele, tmp_path / "w.pt")
    assert rep["files"][0]["format"] == "pytorch-zip", p.stdout
    assert all(f["complete"] for f in rep["files"]), rep["files"]
    assert [(f["rule"], f["message"]) for f in rep["findings"]] == [
        ("zip-prefix-data", "data precedes the zip archive "
         "(100 bytes by its offsets)")]


def test_real_savedmodel_is_recognised_by_content_not_name(stele, tmp_path):
    shutil.copy(MODELS / "malicious" / "fw_savedmodel_pyfunc" /
                "saved_model.pb", tmp_path / "graph.bin")
    shutil.copy(FRAMEWORKS / "keras3_export_savedmodel" / "saved_model.pb",
                tmp_path / "model.dat")
    rc, rep, p = scan_json(stele, tmp_path)
    assert rc == 1, p.stdout
    assert {f["path"]: f["format"] for f in rep["files"]} == {
        "graph.bin": "tf-savedmodel", "model.dat": "tf-savedmodel"}
    assert "savedmodel-python-op" in {f["rule"] for f in rep["findings"]}


@pytest.mark.parametrize("name", MALICIOUS)
def test_every_malicious_case_fails_the_default_gate(stele, name):
    rc, rep, p = scan_json(stele, MODELS / "malicious" / name)
    assert rc == 1, p.stdout
    assert rep["verdict"] in ("malicious", "suspicious", "incomplete")
    assert any(f["severity"] in ("high", "critical")
               for f in rep["findings"])


# ONNX cases whose external data location is a link laid beside them.
ONNX_LINKS = {"onnx_external_link.onnx": ("link.bin", "/etc/passwd"),
              "onnx_external_dir_link.onnx": ("sub", "/etc")}


@pytest.mark.parametrize("name", MALICIOUS_FORMATS)
def test_every_format_malicious_case_fails_the_default_gate(stele, name,
                                                           tmp_path):
    target = FORMATS / "malicious" / name
    if name in ONNX_LINKS:
        shutil.copy(target, tmp_path / "model.onnx")
        link, dest = ONNX_LINKS[name]
        (tmp_path / link).symlink_to(dest)
        target = tmp_path / "model.onnx"
    rc, rep, p = scan_json(stele, target)
    assert rc == 1, p.stdout
    assert any(f["severity"] in ("high", "critical")
               for f in rep["findings"])


def test_json_contract_fields(stele):
    rc, rep, _ = scan_json(stele, MODELS / "malicious" / "os_system_p4.pkl")
    assert rc == 1 and rep["verdict"] == "malicious"
    f = rep["findings"][0]
    assert f["rule"] == "pickle-global-dangerous"
    assert f["severity"] == "critical"
    assert f["path"].endswith("os_system_p4.pkl")
    assert "os.system" in f["message"]
    fi = rep["files"][0]
    assert fi["format"] == "pickle" and fi["complete"] is True
    import hashlib
    data = (MODELS / "malicious" / "os_system_p4.pkl").read_bytes()
    assert fi["sha256"] == hashlib.sha256(data).hexdigest()


def test_sarif_output_is_2_1_0(stele):
    p = stele.run("scan", "--format", "sarif",
                  MODELS / "malicious" / "memo_confusion.pkl", check=False)
    assert p.returncode == 1
    s = json.loads(p.stdout)
    assert s["version"] == "2.1.0"
    run = s["runs"][0]
    assert run["tool"]["driver"]["name"] == "stele"
    res = run["results"][0]
    assert res["ruleId"] == "pickle-global-dangerous"
    assert res["level"] == "error"
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids[res["ruleIndex"]] == res["ruleId"]
    assert run["artifacts"][0]["hashes"]["sha-256"]


def test_truncated_pickle_is_incomplete_exit_2(stele, tmp_path):
    (tmp_path / "cut.pkl").write_bytes(pickle.dumps({"a": 1})[:-3])
    rc, rep, _ = scan_json(stele, tmp_path)
    assert rc == 2
    assert rep["verdict"] == "incomplete"
    assert rep["files"][0]["complete"] is False
    assert "offset" in rep["files"][0]["reason"]


def test_finding_wins_over_incomplete(stele, tmp_path):
    (tmp_path / "cut.pkl").write_bytes(pickle.dumps({"a": 1})[:-3])
    (tmp_path / "evil.pkl").write_bytes(
        (MODELS / "malicious" / "os_system_p4.pkl").read_bytes())
    rc, rep, _ = scan_json(stele, tmp_path)
    assert rc == 1
    assert rep["verdict"] == "malicious"


def test_fail_on_threshold(stele):
    target = MODELS / "malicious" / "unknown_module.pkl"
    assert scan_json(stele, target)[0] == 1
    assert scan_json(stele, "--fail-on", "critical", target)[0] == 0
    p = stele.run("scan", "--fail-on", "bogus", target, check=False)
    assert p.returncode == 2 and "fail-on" in p.stderr


def test_profile_flag_widens_allowlist(stele, tmp_path):
    # A plain pickle of torch globals is denied until --profile torch.
    data = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00.")
    (tmp_path / "t.pkl").write_bytes(data)
    assert scan_json(stele, tmp_path / "t.pkl")[0] == 1
    assert scan_json(stele, "--profile", "torch", tmp_path / "t.pkl")[0] == 0


def test_symlink_out_of_tree_not_followed(stele, tmp_path):
    outside = tmp_path / "outside.pkl"
    outside.write_bytes((MODELS / "malicious" / "os_system_p4.pkl")
                        .read_bytes())
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.pkl").symlink_to(outside)
    rc, rep, _ = scan_json(stele, tree)
    assert rc == 0
    assert [f["rule"] for f in rep["findings"]] == ["fs-symlink-escape"]
    assert rep["files"] == []


def test_missing_path_exits_2(stele, tmp_path):
    p = stele.run("scan", tmp_path / "nope", check=False)
    assert p.returncode == 2
    assert "nope" in p.stderr
    p = stele.run("scan", "--format", "json", tmp_path / "nope",
                  MODELS / "malicious" / "os_system_p4.pkl", check=False)
    assert p.returncode == 1
    rep = json.loads(p.stdout)
    assert rep["verdict"] == "malicious"
    assert rep["files"][0]["complete"] is False


def test_zip_member_paths_use_bang(stele, tmp_path):
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as z:
        z.writestr("dir/inner.pkl",
                   (MODELS / "malicious" / "os_system_p4.pkl").read_bytes())
    rc, rep, _ = scan_json(stele, tmp_path / "m.zip")
    assert rc == 1
    assert rep["findings"][0]["path"].endswith("m.zip!dir/inner.pkl")


def test_text_output_summarises(stele):
    p = stele.run("scan", BENIGN, check=False)
    assert p.returncode == 0
    assert p.stdout.strip().splitlines()[-1].startswith("verdict: clean")


def test_help(stele):
    p = stele.run("scan", "--help")
    assert "--fail-on" in p.stdout and "sarif" in p.stdout


def test_fifo_is_reported_not_read(stele, tmp_path):
    import os
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "ok.pkl").write_bytes(pickle.dumps([1, 2], protocol=4))
    rc, rep, _ = scan_json(stele, tmp_path)
    assert rc == 0
    assert [f["rule"] for f in rep["findings"]] == ["fs-special-file"]
    assert [f["path"] for f in rep["files"]] == ["ok.pkl"]


def test_multiple_paths_and_hidden_files(stele, tmp_path):
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x").write_bytes(
        (MODELS / "malicious" / "os_system_p4.pkl").read_bytes())
    other = tmp_path / "other.npy"
    other.write_bytes((BENIGN / "weights.npy").read_bytes())
    rc, rep, _ = scan_json(stele, tmp_path / ".cache", other)
    assert rc == 1
    assert {f["path"] for f in rep["files"]} == {
        str(tmp_path / ".cache" / "x"), str(other)}


def test_every_top_level_hash_and_size_match(stele, tmp_path):
    import hashlib
    files = [p for p in sorted(BENIGN.iterdir()) if p.is_file()]
    files += [p for p in sorted((MODELS / "malicious").iterdir())
              if p.is_file()][:40]
    rc, rep, _ = scan_json(stele, *files)
    by_path = {f["path"]: f for f in rep["files"]}
    for p in files:
        data = p.read_bytes()
        assert by_path[str(p)]["sha256"] == hashlib.sha256(data).hexdigest()
        assert by_path[str(p)]["size"] == len(data)


# ---- stele scan REF: a ModelKit in the local store ----

TORCH_PICKLE = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00."


def pack_kit(stele, tmp_path, ref, framework, files):
    d = tmp_path / ref.replace(":", "_").replace("/", "_")
    fw = f"  framework: {framework}\n" if framework else ""
    (d / "weights").mkdir(parents=True)
    (d / "src").mkdir()
    (d / "Kitfile").write_text(
        "manifestVersion: 1.0.0\npackage:\n  name: kit\nmodel:\n"
        "  name: kit\n  path: weights\n" + fw +
        "code:\n  - path: src\ndocs:\n  - path: README.md\n")
    (d / "README.md").write_text("# kit\n")
    for rel, data in files.items():
        (d / rel).write_bytes(data)
    stele.run("pack", d, "-t", ref)


def test_scan_ref_uses_kitfile_framework_profiles(stele, tmp_path):
    files = {"weights/t.pt": TORCH_PICKLE,
             "src/infer.py": b"import torch\nprint(torch.ones(1))\n"}
    pack_kit(stele, tmp_path, "kits/torch:1", "PyTorch", files)
    pack_kit(stele, tmp_path, "kits/plain:1", None, files)
    rc, rep, p = scan_json(stele, "kits/torch:1")
    assert rc == 0, p.stdout + p.stderr
    paths = {f["path"] for f in rep["files"]}
    assert {"Kitfile", "model:weights/t.pt", "code:src/infer.py",
            "docs:README.md"} <= paths, paths
    assert all(f["complete"] for f in rep["files"])
    # The same pickle without the framework is outside the allowlists.
    rc, rep, _ = scan_json(stele, "kits/plain:1")
    assert rc == 1
    assert {f["path"] for f in rep["findings"]} == {"model:weights/t.pt"}


def test_scan_ref_finds_remote_code_and_templates(stele, tmp_path):
    evil = (FORMATS / "malicious" / "modeling_evil.py").read_bytes()
    tpl = (FORMATS / "malicious" / "template_ssti.jinja").read_bytes()
    pack_kit(stele, tmp_path, "kits/evil:1", "PyTorch",
             {"src/modeling_evil.py": evil,
              "weights/chat_template.jinja": tpl})
    rc, rep, p = scan_json(stele, "kits/evil:1")
    assert rc == 1, p.stdout
    rules = {(f["path"], f["rule"]) for f in rep["findings"]}
    assert ("code:src/modeling_evil.py", "python-exec") in rules, rules
    assert ("model:weights/chat_template.jinja",
            "template-dunder-access") in rules, rules


def test_scan_ref_unknown_exits_2(stele):
    p = stele.run("scan", "kits/absent:1", check=False)
    assert p.returncode == 2
    assert "kits/absent:1" in p.stderr


def test_text_checks_run_inside_archives(stele, tmp_path):
    mal = FORMATS / "malicious"
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.write(mal / "modeling_evil.py", "modeling_evil.py")
    with tarfile.open(tmp_path / "b.tgz", "w:gz") as t:
        t.add(mal / "config.json", "config.json")
        t.add(mal / "README_secrets.md", "README_secrets.md")
    rc, rep, p = scan_json(stele, tmp_path / "a.zip", tmp_path / "b.tgz")
    assert rc == 1, p.stdout
    rules = {(f["path"], f["rule"]) for f in rep["findings"]}
    assert {(str(tmp_path / "a.zip") + "!modeling_evil.py", "python-exec"),
            (str(tmp_path / "b.tgz") + "!config.json", "hf-auto-map"),
            (str(tmp_path / "b.tgz") + "!README_secrets.md",
             "secret-private-key")} <= rules, rules


def test_onnx_is_recognised_by_content_not_name(stele, tmp_path):
    shutil.copy(FORMATS / "malicious" / "onnx_python_op.onnx",
                tmp_path / "weights.dat")
    shutil.copy(FORMATS / "benign" / "model.onnx", tmp_path / "x.bin")
    rc, rep, p = scan_json(stele, tmp_path)
    assert rc == 1, p.stdout
    assert {f["path"]: f["format"] for f in rep["files"]} == {
        "weights.dat": "onnx", "x.bin": "onnx"}
    assert [f["rule"] for f in rep["findings"]] == ["onnx-python-op"]


def test_ext_opcode_in_raw_bytes_waits_for_proof(stele, tmp_path):
    # Raw tensor bytes may open with EXT2: not a pickle unless the stream
    # completes; a headerless EXT stream that reaches STOP is critical.
    raw = tmp_path / "shard.bin"
    raw.write_bytes(bytes([0x83, 0x01, 0x80, 0x3F]) * 16)
    rc, rep, _ = scan_json(stele, raw)
    assert rc == 0 and rep["verdict"] == "clean"
    assert rep["files"][0]["format"] == "data"
    ext = tmp_path / "ext.bin"
    ext.write_bytes(b"\x82\x01.")
    rc, rep, _ = scan_json(stele, ext)
    assert rc == 1
    assert [f["rule"] for f in rep["findings"]] == ["pickle-ext-opcode"]


def test_keras_metadata_is_read_by_content(stele, tmp_path):
    # tf_keras revives layers from keras_metadata.pb; a renamed copy is
    # still recognised by its structure.
    src = (MODELS / "malicious" / "fw_tf_keras_lambda_savedmodel" /
           "keras_metadata.pb")
    copy = tmp_path / "meta.bin"
    copy.write_bytes(src.read_bytes())
    rc, rep, _ = scan_json(stele, copy)
    assert rc == 1
    assert rep["files"][0]["format"] == "keras-metadata"
    assert "keras-lambda-layer" in {f["rule"] for f in rep["findings"]}
    cut = tmp_path / "keras_metadata.pb"
    cut.write_bytes(src.read_bytes()[:200])
    rc, rep, _ = scan_json(stele, cut)
    assert rc != 0 and not rep["files"][0]["complete"]
