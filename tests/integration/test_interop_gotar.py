"""Layer bytes against Go's archive/tar.

The real kit CLI cannot be built here (the Go module proxy refuses
github.com/kitops-ml/kitops), so tests/interop/gotar stands in for it: a
small Go program that walks and writes a layer with archive/tar using the
same header settings and path rules as kit's pkg/lib/filesystem/tar.go.
stele's layer digests must equal its output byte for byte."""
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def gotar(tmp_path_factory):
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not os.path.exists(go):
        pytest.skip("Go toolchain not installed (scripts/setup-peers.sh)")
    out = tmp_path_factory.mktemp("gotar") / "gotar"
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="")
    subprocess.run([go, "build", "-o", str(out), "."], check=True,
                   cwd=ROOT / "tests/interop/gotar", env=env)
    return out


def write(p, data, mode=None):
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    if mode is not None:
        os.chmod(p, mode)


@pytest.fixture
def tree(tmp_path):
    d = tmp_path / "ctx"
    write(d / "models" / "weights.bin", os.urandom(70000))
    write(d / "models" / "exact512", b"x" * 512)
    write(d / "models" / "empty", b"")
    write(d / "models" / "private.key", b"k", 0o600)
    write(d / "models" / "run.sh", b"#!/bin/sh\n", 0o755)
    write(d / "models" / ("d" * 120) / "f", b"split-prefix")
    write(d / "models" / ("e" * 130), b"pax-path")
    write(d / "models" / "h\u00e9llo-\u4e16\u754c.txt", b"utf8")
    (d / "models" / "emptydir").mkdir()
    write(d / "models" / "a.txt", b"order")
    write(d / "models" / "a" / "b.txt", b"order")
    write(d / "models" / "nested-code" / "train.py", b"code")
    write(d / "models" / "tokenizer.json", b"{}")
    write(d / "data" / "train.csv", b"a,b\n1,2\n")
    write(d / "README.md", b"# readme\n")
    write(d / "notes.md", b"notes\n")
    os.chmod(d / "models" / "emptydir", 0o2775)
    return d


KITFILE = """manifestVersion: 1.0.0
model:
  path: {model}
  parts:
    - path: models/tokenizer.json
code:
  - path: models/nested-code
datasets:
  - path: ./data/
docs:
  - path: README.md
"""


def layer_paths(model):
    return [model, "models/tokenizer.json", "models/nested-code", "data",
            "README.md"]


def go_digest(gotar, ctx, layer, others, tmp_path):
    out = tmp_path / "go.tar"
    cmd = [str(gotar), "-C", str(ctx), "-layer", layer, "-o", str(out)]
    for o in others:
        cmd += ["-also", o]
    subprocess.run(cmd, check=True)
    return "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.mark.parametrize("model", ["models", "."])
def test_layer_digests_equal_go_archive_tar(stele, gotar, tree, tmp_path,
                                           model):
    (tree / "Kitfile").write_text(KITFILE.format(model=model))
    stele.run("pack", tree, "-t", "interop/m:1")
    p = stele.run("inspect", "interop/m:1")
    layers = json.loads(p.stdout)["manifest"]["layers"]
    paths = layer_paths(model)
    assert len(layers) == len(paths)
    for layer, path in zip(layers, paths):
        want = go_digest(gotar, tree, path, paths, tmp_path)
        assert layer["digest"] == want, path


def test_gzip_diff_ids_equal_go_archive_tar(stele, gotar, tree, tmp_path):
    (tree / "Kitfile").write_text(KITFILE.format(model="models"))
    stele.run("pack", tree, "-t", "interop/m:gz", "--compression", "gzip")
    cfg = json.loads(stele.run("inspect", "interop/m:gz").stdout)["config"]
    paths = layer_paths("models")
    assert cfg["model"]["diffId"] == go_digest(gotar, tree, "models", paths,
                                               tmp_path)
    assert cfg["datasets"][0]["diffId"] == go_digest(gotar, tree, "data",
                                                     paths, tmp_path)


def test_dotdot_names_are_refused_not_dropped(stele, tree):
    (tree / "Kitfile").write_text(KITFILE.format(model="models"))
    write(tree / "models" / "v1..v2.patch", b"x")
    p = stele.run("pack", tree, "-t", "interop/m:1", check=False)
    assert p.returncode == 1
    assert "'models/v1..v2.patch'" in p.stderr
