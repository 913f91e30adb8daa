"""Defects found in review of the command line, one test each."""


def test_help_summaries_form_one_column(stele):
    # 'verify-blob-attestation' is longer than the fixed 20-character
    # column and pushed its summary out of line.
    lines = [l for l in stele.run("help").stdout.splitlines()
             if l.startswith("   ")]
    cols = set()
    for l in lines:
        name = l.split()[0]
        rest = l[3 + len(name):]
        cols.add(3 + len(name) + len(rest) - len(rest.lstrip()))
    assert len(lines) > 10 and len(cols) == 1
