"""Load the model the way a model server would, from the directory the
KServe storage initializer filled, and answer one prediction.

    python predict.py MODEL_DIR
"""
import json
import sys

import joblib
from sklearn.datasets import load_breast_cancer


def main():
    model = joblib.load(f"{sys.argv[1]}/model.joblib")
    sample = load_breast_cancer().data[:1]
    label = int(model.predict(sample)[0])
    proba = float(model.predict_proba(sample)[0][label])
    print(json.dumps({"prediction": ["malignant", "benign"][label],
                      "probability": round(proba, 4)}))


if __name__ == "__main__":
    main()
