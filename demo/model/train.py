"""Train the demo model: a logistic regression on the breast-cancer
dataset that ships with scikit-learn, saved with joblib.

    python train.py OUTDIR [--seed N]

Writes OUTDIR/model.joblib, OUTDIR/data/sample.csv (a few rows of the
training data, for lineage) and prints the held-out accuracy.
"""
import argparse
import csv
import os

import joblib
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--c", type=float, default=1.0)
    args = ap.parse_args()

    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=args.seed)
    model = make_pipeline(StandardScaler(),
                          LogisticRegression(C=args.c, max_iter=1000))
    model.fit(x_train, y_train)

    os.makedirs(os.path.join(args.outdir, "data"), exist_ok=True)
    joblib.dump(model, os.path.join(args.outdir, "model.joblib"))
    with open(os.path.join(args.outdir, "data", "sample.csv"), "w",
              newline="") as f:
        w = csv.writer(f)
        w.writerow(list(data.feature_names) + ["target"])
        for row, target in zip(x_test[:20], y_test[:20]):
            w.writerow([f"{v:.6g}" for v in row] + [int(target)])
    print(f"accuracy {model.score(x_test, y_test):.3f}")


if __name__ == "__main__":
    main()
