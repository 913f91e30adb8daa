"""What a new user meets first, without a registry: the bare command, an
empty model folder, a missing Kitfile, accounts for a data directory
that is not there, a login without a terminal."""


def test_bare_command_prints_usage_on_stderr_and_exits_2(stele):
    p = stele.run(check=False)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.startswith("usage: stele <command>")
    assert "\n   init " in p.stderr
    assert stele.run("--help").stdout == p.stderr


def test_init_of_an_empty_folder_refuses_with_a_hint(stele, tmp_path):
    d = tmp_path / "mymodel"
    d.mkdir()
    p = stele.run("init", d, check=False)
    assert p.returncode == 1
    assert p.stderr == (f"stele init: nothing to package in '{d}': put the "
                        "model file(s) there (and code, datasets, docs), "
                        f"then run 'stele init {d}' again\n")
    assert not (d / "Kitfile").exists()


def test_pack_without_kitfile_suggests_init(stele, tmp_path):
    (tmp_path / "bad").mkdir()
    p = stele.run("pack", "bad", "-t", "x:1", cwd=tmp_path, check=False)
    assert p.returncode == 1
    assert p.stderr == ("stele pack: no Kitfile in 'bad' (run 'stele init "
                        "bad' to write one, or use -f KITFILE)\n")


def test_unnamed_model_path_error_has_no_stray_space(stele, tmp_path):
    (tmp_path / "Kitfile").write_text(
        "manifestVersion: 1.0.0\nmodel:\n  path: /abs/m.gguf\n")
    p = stele.run("pack", tmp_path, "-t", "x:1", check=False)
    assert p.returncode == 1
    assert "(path /abs/m.gguf in model)" in p.stderr


def test_login_without_terminal_names_what_is_missing(stele):
    p = stele.run("login", "127.0.0.1:9", "-u", "pat", check=False,
                  input="")
    assert p.returncode == 1
    assert "no password given and standard input is not a terminal " \
        "(use --password-stdin)" in p.stderr


def test_user_add_needs_the_servers_data_dir(stele, tmp_path):
    p = stele.run("user", "add", "pat", "--role", "publisher",
                  cwd=tmp_path, check=False)
    assert p.returncode == 1
    assert p.stderr == ("stele user: no data directory: ./stele-data does "
                        "not exist; give the server's --config FILE or "
                        "--data DIR\n")
    assert not (tmp_path / "stele-data").exists()
    # Through the server's configuration: the account lands in its data.
    data = tmp_path / "regdata"
    (tmp_path / "stele.yaml").write_text(f"data: {data}\n")
    p = stele.run("user", "add", "pat", "--role", "publisher", "--config",
                  tmp_path / "stele.yaml", cwd=tmp_path)
    assert p.stdout.startswith("password for pat: ")
    assert p.stderr == f"added 'pat' (publisher) to {data}/meta.db\n"
    # An existing ./stele-data is used as before.
    p = stele.run("user", "add", "alex", "--role", "approver",
                  "--password-stdin", cwd=data.parent, check=False,
                  input="a-long-password\n")
    assert p.returncode == 1
    (tmp_path / "stele-data").mkdir()
    p = stele.run("user", "add", "alex", "--role", "approver",
                  "--password-stdin", cwd=tmp_path,
                  input="a-long-password\n")
    assert p.stdout == ""
    assert p.stderr == "added 'alex' (approver) to stele-data/meta.db\n"
    listing = stele.run("user", "list", cwd=tmp_path).stdout
    assert "alex\tapprover" in listing


def test_scan_summary_counts_in_the_singular(stele, tmp_path):
    f = tmp_path / "m.safetensors"
    f.write_bytes(b"\x02\0\0\0\0\0\0\0{}")
    p = stele.run("scan", f)
    assert p.stdout == "verdict: clean (1 file, 0 findings, 0 incomplete)\n"
