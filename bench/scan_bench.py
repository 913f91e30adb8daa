"""Time stele against picklescan, modelscan and ModelAudit.

Two sections: a generated pickle-heavy corpus every scanner reads, and big
files (safetensors and GGUF of real bytes, made once into .cache/big by
bench/gen_big.py) timed for stele with and without --no-digest, the
SHA-256 bound (openssl dgst, sha256sum) and the peers.

Usage: scan_bench.py STELE RUNS [BIG_GIB]   (BIG_GIB 0 skips big files)
"""
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_corpus(d):
    import joblib
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=400, n_features=20,
                               random_state=0)
    rf = RandomForestClassifier(n_estimators=150, random_state=0).fit(X, y)
    for proto in (2, 4, 5):
        (d / f"forest_p{proto}.pkl").write_bytes(
            pickle.dumps(rf, protocol=proto))
    joblib.dump(rf, d / "forest.joblib")
    records = [{"id": i, "name": f"token-{i}", "score": i * 0.5,
                "tags": ["a", "b", str(i)]} for i in range(200000)]
    (d / "records.pkl").write_bytes(pickle.dumps(records, protocol=4))
    (d / "records_p0.pkl").write_bytes(pickle.dumps(records[:50000],
                                                   protocol=0))
    np.save(d / "objects.npy", np.array(records[:20000], dtype=object),
            allow_pickle=True)


ROOT = Path(__file__).resolve().parents[1]
# ModelAudit reports usage to its vendor unless told not to, and caches
# results (a second run would time the cache).
PEER_ENV = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1",
                NO_ANALYTICS="1")


def evict(paths):
    """Drop these files from the page cache (only theirs)."""
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(cmd, runs, cold=None):
    """Best wall time of runs; cold: files evicted before each run."""
    best = None
    for _ in range(runs):
        if cold:
            evict(cold)
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=PEER_ENV)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, p.returncode


def peers(venv_bin, target):
    return [("picklescan", [str(venv_bin / "picklescan"), "-p", target]),
            ("modelscan", [str(venv_bin / "modelscan"), "-p", target]),
            ("modelaudit", [str(venv_bin / "modelaudit"), "scan",
                            "--no-cache", "-q", "-f", "json", target])]


def report(name, dt, size, rc):
    print(f"  {name:22s} {dt:8.3f} s  {size / 1e6 / dt:9.1f} MB/s"
          f"  (exit {rc})")


def corpus_section(stele, runs, venv_bin):
    d = Path(tempfile.mkdtemp(prefix="stele-bench-"))
    try:
        make_corpus(d)
        size = sum(f.stat().st_size for f in d.iterdir())
        tools = [("stele", [stele, "scan", "--format", "json", str(d)])]
        tools += peers(venv_bin, str(d))
        print(f"pickle corpus: {len(list(d.iterdir()))} files, "
              f"{size / 1e6:.1f} MB (best of {runs})")
        res = {}
        for name, cmd in tools:
            if not Path(cmd[0]).exists():
                print(f"  {name:22s} not installed")
                continue
            dt, rc = timed(cmd, runs)
            res[name] = dt
            report(name, dt, size, rc)
        for peer in ("picklescan", "modelscan", "modelaudit"):
            if "stele" in res and peer in res:
                print(f"  ratio: stele is {res[peer] / res['stele']:.1f}x "
                      f"{peer}")
    finally:
        shutil.rmtree(d)


def big_section(stele, runs, venv_bin, gib):
    d = ROOT / ".cache" / "big"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_big.py"),
                    str(d), str(gib)], check=True)
    for ext in ("safetensors", "gguf"):
        f = str(d / f"big-{gib}g.{ext}")
        size = os.path.getsize(f)
        print(f"\n{ext}: {size / 2**30:.2f} GiB of real bytes "
              f"(best of {runs}; warm = in page cache, cold = evicted)")
        tools = [("stele (warm)", [stele, "scan", "--format", "json", f]),
                 ("stele --no-digest", [stele, "scan", "--format", "json",
                                        "--no-digest", f]),
                 ("openssl dgst (warm)", ["openssl", "dgst", "-sha256", f]),
                 ("sha256sum (warm)", ["sha256sum", f])]
        tools += [(n, c) for n, c in peers(venv_bin, f)]
        res = {}
        subprocess.run(["cat", f], stdout=subprocess.DEVNULL)
        for name, cmd in tools:
            if not Path(cmd[0]).exists() and "/" in cmd[0]:
                print(f"  {name:22s} not installed")
                continue
            dt, rc = timed(cmd, runs)
            res[name] = dt
            report(name, dt, size, rc)
        for name, cmd in (("stele (cold)", tools[0][1]),
                          ("openssl dgst (cold)", tools[2][1]),
                          ("cat (cold)", ["cat", f])):
            dt, rc = timed(cmd, runs, cold=[f])
            res[name] = dt
            report(name, dt, size, rc)
        base = res["stele --no-digest"]
        for name in res:
            if name != "stele --no-digest":
                print(f"  ratio: stele --no-digest is "
                      f"{res[name] / base:.1f}x {name}")
        print(f"  ratio: stele (warm) / openssl dgst (warm) = "
              f"{res['stele (warm)'] / res['openssl dgst (warm)']:.2f}")


def main():
    stele, runs = sys.argv[1], int(sys.argv[2])
    gib = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    venv_bin = Path(sys.executable).parent
    corpus_section(stele, runs, venv_bin)
    if gib:
        big_section(stele, runs, venv_bin, gib)


if __name__ == "__main__":
    main()
