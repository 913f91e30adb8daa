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


def test_prune_counts_partial_blobs_it_removes(stele, tmp_path):
    # A killed pull leaves store/tmp/.tmp-*; prune removed it but said
    # "pruned 0 blobs, 0 bytes".
    model = tmp_path / "m"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    (model / "Kitfile").write_text("manifestVersion: 1.0.0\n"
                                   "model:\n  path: w.bin\n")
    stele.run("pack", model, "-t", "m:1")
    tmp = tmp_path / "home" / "store" / "tmp"
    (tmp / ".tmp-killed").write_bytes(b"x" * 12345)
    p = stele.run("rm", "--prune")
    assert "12345 bytes" in p.stdout
    assert list(tmp.iterdir()) == []
    assert "m:1" in stele.run("list").stdout
