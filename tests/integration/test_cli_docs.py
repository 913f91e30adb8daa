"""docs/cli/ is generated from the binary's help; it must match it."""
import subprocess

from conftest import ROOT, stele_bin

DOCS = ROOT / "docs" / "cli"
FIX = "docs/cli is stale: run scripts/gen-cli-docs.sh and commit it"


def help_text(*args):
    p = subprocess.run([stele_bin(), *args], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def commands():
    out = help_text("help").split("Commands:", 1)[1]
    return [line.split()[0] for line in out.splitlines()
            if line.startswith("   ") and line.split()]


def test_every_command_has_a_page_that_matches_its_help():
    cmds = commands()
    assert "promote" in cmds and "storage-initializer" in cmds
    for c in cmds:
        page = DOCS / f"{c}.md"
        assert page.exists(), f"no {page.name}; {FIX}"
        assert help_text(c, "--help") in page.read_text(), \
            f"{page.name} differs from 'stele {c} --help'; {FIX}"


def test_no_page_for_a_command_that_does_not_exist():
    cmds = set(commands())
    pages = {p.stem for p in DOCS.glob("*.md")} - {"README"}
    assert pages <= cmds, f"pages without a command: {pages - cmds}"
    assert help_text("help") in (DOCS / "README.md").read_text(), FIX
