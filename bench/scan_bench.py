"""Time stele, picklescan and modelscan on one generated pickle corpus."""
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


def timed(cmd, runs):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, p.returncode


def main():
    stele, runs = sys.argv[1], int(sys.argv[2])
    d = Path(tempfile.mkdtemp(prefix="stele-bench-"))
    try:
        make_corpus(d)
        size = sum(f.stat().st_size for f in d.iterdir())
        venv_bin = Path(sys.executable).parent
        tools = [("stele", [stele, "scan", "--format", "json", str(d)]),
                 ("picklescan", [str(venv_bin / "picklescan"), "-p",
                                 str(d)]),
                 ("modelscan", [str(venv_bin / "modelscan"), "-p",
                                str(d)])]
        print(f"corpus: {len(list(d.iterdir()))} files, "
              f"{size / 1e6:.1f} MB (best of {runs})")
        res = {}
        for name, cmd in tools:
            if not Path(cmd[0]).exists():
                print(f"{name:12s} not installed")
                continue
            dt, rc = timed(cmd, runs)
            res[name] = dt
            print(f"{name:12s} {dt:8.3f} s  {size / 1e6 / dt:8.1f} MB/s"
                  f"  (exit {rc})")
        for peer in ("picklescan", "modelscan"):
            if "stele" in res and peer in res:
                print(f"ratio: stele is {res[peer] / res['stele']:.1f}x "
                      f"{peer}")
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
