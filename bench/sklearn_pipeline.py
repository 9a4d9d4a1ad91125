"""The scikit-learn pipeline a data scientist would write for the same job (benchmark peer only).

  fit:   python3 bench/sklearn_pipeline.py fit TRAIN.csv PIPELINE.joblib
  score: python3 bench/sklearn_pipeline.py score PIPELINE.joblib LEADS.csv OUT.csv
"""
import sys
import time

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORICAL = ["lead_source", "industry", "country", "job_level", "email_type", "webinar_attended", "budget_confirmed", "newsletter"]
NUMERIC = ["company_size", "page_views", "days_since_last_activity", "marketing_touches"]


def pipeline():
    categorical = Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
        ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, drop="first")),
    ])
    numeric = Pipeline([("impute", SimpleImputer(strategy="mean", add_indicator=True)), ("scale", StandardScaler())])
    return Pipeline([
        ("design", ColumnTransformer([("cat", categorical, CATEGORICAL), ("num", numeric, NUMERIC)])),
        ("model", LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100, tol=1e-8)),
    ])


def read(path):
    return pd.read_csv(path, dtype={c: object for c in CATEGORICAL + ["lead_id"]})


if __name__ == "__main__":
    t0 = time.time()
    if sys.argv[1] == "fit":
        df = read(sys.argv[2])
        y = (df["status"] == "accepted").astype(int)
        p = pipeline().fit(df[CATEGORICAL + NUMERIC], y)
        joblib.dump(p, sys.argv[3])
    else:
        p = joblib.load(sys.argv[2])
        df = read(sys.argv[3])
        prob = p.predict_proba(df[CATEGORICAL + NUMERIC])[:, 1]
        pd.DataFrame({"lead_id": df["lead_id"], "probability": prob}).to_csv(sys.argv[4], index=False)
    print(f"inner seconds {time.time() - t0:.2f}", file=sys.stderr)
