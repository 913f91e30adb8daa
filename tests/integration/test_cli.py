"""The command table: help, version, unknown commands."""


def test_version_prints_version(stele):
    p = stele.run("version")
    assert p.stdout.startswith("stele ")


def test_help_lists_commands(stele):
    p = stele.run("help")
    assert "version" in p.stdout


def test_unknown_command_is_usage_error(stele):
    p = stele.run("frobnicate", check=False)
    assert p.returncode == 2
    assert p.stderr.strip() == ("stele: 'frobnicate' is not a stele "
                                "command. See 'stele help'.")


def test_every_command_has_help(stele):
    names = [l.split()[0] for l in stele.run("help").stdout.splitlines()
             if l.startswith("   ")]
    assert names
    for n in names:
        p = stele.run(n, "--help")
        assert "usage: stele" in p.stdout, n
