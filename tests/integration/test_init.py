"""stele init: Kitfile generation, overwrite protection, bad input."""
import os

import pytest


def make_model_dir(root):
    (root / "model.safetensors").write_bytes(b"\0" * 8192)
    (root / "adapter.safetensors").write_bytes(b"\0" * 64)
    (root / "config.json").write_text("{}")
    (root / "README.md").write_text("# Model\n")
    (root / "LICENSE").write_text("MIT License\n\nPermission is hereby "
                                  "granted, free of charge, ...\n")
    (root / "train.py").write_text("print('train')\n")
    (root / "system.prompt.md").write_text("You are helpful.\n")
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("a,b\n1,2\n")
    (root / "src").mkdir()
    (root / "src" / "infer.py").write_text("pass\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: x\n")
    (root / "debug.log").write_text("noise\n")
    (root / ".kitignore").write_text("*.log\n")


EXPECTED = """manifestVersion: 1.0.0
package:
  name: mymodel
model:
  name: model
  path: model.safetensors
  license: MIT
  parts:
    - path: adapter.safetensors
    - path: config.json
code:
  - path: src/
  - path: train.py
datasets:
  - path: data/
docs:
  - path: LICENSE
    description: License file
  - path: README.md
    description: Readme file
prompts:
  - path: system.prompt.md
"""


def test_init_writes_classified_kitfile(stele, tmp_path):
    d = tmp_path / "mymodel"
    d.mkdir()
    make_model_dir(d)
    p = stele.run("init", d)
    assert p.stdout.strip() == f"Wrote {d}/Kitfile with 9 layers"
    assert (d / "Kitfile").read_text() == EXPECTED


def test_init_defaults_to_current_directory_and_name_option(stele, tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    (d / "weights.gguf").write_bytes(b"GGUF")
    stele.run("init", "--name", "llama-tiny", cwd=d)
    text = (d / "Kitfile").read_text()
    assert "  name: llama-tiny\n" in text
    assert "  path: weights.gguf\n" in text


def test_init_refuses_to_overwrite_without_force(stele, tmp_path):
    (tmp_path / "Kitfile").write_text("manifestVersion: 1.0.0\n")
    (tmp_path / "m.onnx").write_bytes(b"x")
    p = stele.run("init", tmp_path, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (f"stele init: '{tmp_path}/Kitfile' already "
                                "exists (use --force to replace it)")
    assert (tmp_path / "Kitfile").read_text() == "manifestVersion: 1.0.0\n"
    stele.run("init", tmp_path, "--force")
    assert "path: m.onnx" in (tmp_path / "Kitfile").read_text()


def test_init_missing_directory_fails_with_one_line(stele, tmp_path):
    p = stele.run("init", tmp_path / "nope", check=False)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("stele init: ")
    assert "nope" in lines[0]


def test_init_bad_kitignore_is_reported(stele, tmp_path):
    (tmp_path / "m.pt").write_bytes(b"x")
    (tmp_path / ".kitignore").write_text("ok\n[abc\n")
    p = stele.run("init", tmp_path, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ("stele init: .kitignore:2: syntax error in "
                                "pattern '[abc'")
    assert not (tmp_path / "Kitfile").exists()


@pytest.mark.parametrize("args,msg", [
    (["--bogus"], "unknown option '--bogus'"),
    (["a", "b"], "more than one directory given"),
    (["--name"], "--name needs a value"),
])
def test_init_usage_errors(stele, tmp_path, args, msg):
    p = stele.run("init", *args, check=False, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.splitlines()[0] == f"stele init: {msg}"


def test_init_kitfile_is_not_written_when_directory_is_read_only(
        stele, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    d = tmp_path / "ro"
    d.mkdir()
    (d / "m.pt").write_bytes(b"x")
    d.chmod(0o555)
    try:
        p = stele.run("init", d, check=False)
    finally:
        d.chmod(0o755)
    assert p.returncode == 1
    assert p.stderr.startswith("stele init: ")
    assert not (d / "Kitfile").exists()
    assert [x.name for x in d.iterdir()] == ["m.pt"]
