#!/usr/bin/env python3
"""Reference figures for `leadscore evaluate` and `leadscore compare`, computed with numpy,
scikit-learn, SciPy and statsmodels on the bundled data.

Run from the repository root:  LEADSCORE_BIN=.build/release/leadscore python3 Tests/Fixtures/make_evaluation_fixtures.py
Needs: pip install numpy pandas scipy scikit-learn statsmodels

Inputs (committed): two frozen models in Tests/Fixtures/evaluation/ -- challenger.json (the bundled
models/leads.json of 2026-11: `make demo`'s training) and champion.json (the same training without
page_views: `--exclude reject_reason,page_views`) -- and datasets/leads.csv. The probabilities and
grades are `leadscore score`'s output (scoring is checked elsewhere); every figure computed from them
here is independent of LeadScore:
  - AUC: the fast DeLong algorithm (Sun & Xu 2014) written below with numpy, its AUC cross-checked
    with sklearn.metrics.roc_auc_score; 95% interval auc +- 1.959964 * se, clipped to [0, 1];
    paired difference (challenger - champion) with the covariance of the two;
  - log loss: sklearn.metrics.log_loss; Brier: sklearn.metrics.brier_score_loss;
  - KS: scipy.stats.ks_2samp(p[y==1], p[y==0]).statistic (and sklearn's max(tpr - fpr) agrees);
  - calibration intercept and slope: statsmodels Logit(y, [1, logit(p)]) with its standard errors;
  - deciles: rows sorted by (-p, row order), decile k = positions floor(k*N/10) .. floor((k+1)*N/10);
  - per grade: acceptance rate with statsmodels proportion_confint(method="wilson");
  - grade migration: pandas.crosstab(champion grade, challenger grade);
  - drift (PSI) of datasets/new-leads.csv against a profile of the training rows of
    datasets/leads.csv (created_at up to 2026-06-30: the holdout of `make demo`'s training is after it)
    taken through challenger.json's design: numeric and boolean columns binned at the deciles of the training
    values (sorted v, edges v[floor(k*n/10)] for k = 1..9, repeats and the maximum dropped; bin k =
    (edge k-1, edge k]) plus a missing bin; categorical columns by level group (rare levels pooled
    as the model pools them, levels never seen in a bin of their own); the score (leadscore score's
    0-100 score) likewise; PSI = sum (a - e) ln(a / e) with shares floored at 0.0001.
"""
import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import ks_2samp
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve
from statsmodels.stats.proportion import proportion_confint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "Tests", "Fixtures", "evaluation")
BIN = os.environ.get("LEADSCORE_BIN", os.path.join(ROOT, ".build", "release", "leadscore"))
DATA = "datasets/leads.csv"
Z95 = 1.959963984540054


def midrank(x):
    order = np.argsort(x, kind="mergesort")
    z = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and z[j] == z[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def fast_delong(scores, y):
    """scores: k x N array; y: N 0/1. Returns (aucs, covariance k x k)."""
    pos = scores[:, y == 1]
    neg = scores[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    k = scores.shape[0]
    tx = np.array([midrank(pos[r]) for r in range(k)])
    ty = np.array([midrank(neg[r]) for r in range(k)])
    tz = np.array([midrank(np.concatenate([pos[r], neg[r]])) for r in range(k)])
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    return aucs, sx / m + sy / n


def score(model, data=DATA):
    out = subprocess.run([BIN, "score", os.path.join(ROOT, data), "--model", model, "--quiet"],
                         check=True, capture_output=True, cwd=ROOT).stdout
    return pd.read_csv(io.BytesIO(out), dtype={"grade": str})


def figures(p, y):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    f = {"leads": int(len(y)), "positives": int(y.sum()), "positive_rate": float(y.mean()),
         "mean_probability": float(p.mean()), "log_loss": float(log_loss(y, p, labels=[0, 1])),
         "brier": float(brier_score_loss(y, p))}
    if 0 < y.sum() < len(y):
        aucs, cov = fast_delong(p[None, :], y)
        auc, se = float(aucs[0]), float(np.sqrt(cov[0, 0]))
        sk = roc_auc_score(y, p)
        assert abs(sk - auc) < 1e-12, (sk, auc)
        f["auc"] = {"auc": auc, "standard_error": se, "low": max(0.0, auc - Z95 * se), "high": min(1.0, auc + Z95 * se)}
        f["ks"] = float(ks_2samp(p[y == 1], p[y == 0]).statistic)
        fpr, tpr, _ = roc_curve(y, p)
        assert abs(np.max(tpr - fpr) - f["ks"]) < 1e-12
        x = sm.add_constant(np.log(p) - np.log1p(-p))
        fit = sm.Logit(y, x).fit(disp=0, tol=1e-12, maxiter=100)
        f["calibration"] = {"intercept": float(fit.params[0]), "slope": float(fit.params[1]),
                            "intercept_standard_error": float(fit.bse[0]), "slope_standard_error": float(fit.bse[1])}
    return f


def deciles(p, y):
    n = len(p)
    order = np.lexsort((np.arange(n), -p))
    total = y.sum()
    rows, cum_leads, cum_pos = [], 0, 0
    for k in range(10):
        idx = order[k * n // 10:(k + 1) * n // 10]
        pos = int(y[idx].sum())
        cum_leads += len(idx)
        cum_pos += pos
        rate = pos / len(idx)
        rows.append({"decile": k + 1, "leads": int(len(idx)), "positives": pos, "observed_rate": rate,
                     "mean_probability": float(p[idx].mean()), "cumulative_gain": cum_pos / total,
                     "lift": rate / y.mean(), "cumulative_lift": cum_pos / cum_leads / y.mean()})
    return rows


def grades(model_path, g, y):
    model = json.load(open(model_path))
    rows = []
    for band in model["grades"]:
        mask = g == band["grade"]
        n, k = int(mask.sum()), int(y[mask].sum())
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson") if n else (None, None)
        rows.append({"grade": band["grade"], "leads": n, "positives": k, "rate": k / n if n else None,
                     "low": low, "high": high})
    return rows


def decile_edges(v):
    v = np.sort(v[~np.isnan(v)])
    edges = []
    for k in range(1, 10):
        e = v[min(len(v) - 1, (k * len(v)) // 10)]
        if not edges or edges[-1] != e:
            edges.append(e)
    if edges and edges[-1] == v[-1]:
        edges.pop()
    return edges or [v[0]]


def psi(expected, actual):
    e = np.maximum(np.asarray(expected, dtype=float), 1e-4)
    a = np.maximum(np.asarray(actual, dtype=float), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_bins(v, edges):
    return np.searchsorted(np.asarray(edges), v[~np.isnan(v)], side="left")


def column_values(df, col):
    raw = df[col["name"]].str.strip()
    if col["type"] == "boolean":
        return raw.str.lower().map({"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0, "": np.nan}).to_numpy(dtype=float)
    return pd.to_numeric(raw.replace("", np.nan)).to_numpy(dtype=float)


def drift(model_path):
    model = json.load(open(model_path))
    train = pd.read_csv(os.path.join(ROOT, DATA), dtype=str, keep_default_na=False)
    training = (train["created_at"] <= "2026-06-30").to_numpy()
    train = train[training].reset_index(drop=True)
    new = pd.read_csv(os.path.join(ROOT, "datasets/new-leads.csv"), dtype=str, keep_default_na=False)
    columns = {}
    for col in model["design"]["columns"]:
        name = col["name"]
        if col["type"] == "categorical":
            groups = [g["value"] for g in col["groups"]]
            pooled = {v: "(other)" for g in col["groups"] for v in g.get("pooled", [])}

            def shares(df):
                vals = df[name].str.strip().map(lambda v: pooled.get(v, v))
                counts = [int((vals == g).sum()) for g in groups] + [int((~vals.isin(groups)).sum())]
                return np.array(counts) / len(df)
            e, a = shares(train), shares(new)
            e[-1] = 0.0
            columns[name] = {"psi": psi(e, a), "unseen_rate": float(a[-1])}
        else:
            vt, vn = column_values(train, col), column_values(new, col)
            edges = decile_edges(vt)
            mt, mn = np.isnan(vt).mean(), np.isnan(vn).mean()
            e = np.bincount(numeric_bins(vt, edges), minlength=len(edges) + 1) / len(vt)
            a = np.bincount(numeric_bins(vn, edges), minlength=len(edges) + 1) / len(vn)
            columns[name] = {"psi": psi(np.append(e, mt), np.append(a, mn)), "edges": [float(x) for x in edges],
                             "missing_rate": float(mn), "training_missing_rate": float(mt)}
    st = score(model_path)["score"].to_numpy(dtype=float)[training]
    sn = score(model_path, "datasets/new-leads.csv")["score"].to_numpy(dtype=float)
    edges = decile_edges(st)
    e = np.bincount(numeric_bins(st, edges), minlength=len(edges) + 1) / len(st)
    a = np.bincount(numeric_bins(sn, edges), minlength=len(edges) + 1) / len(sn)
    return {"training": DATA, "training_rows": int(training.sum()), "training_until": "2026-06-30",
            "data": "datasets/new-leads.csv", "columns": columns,
            "score": {"psi": psi(e, a), "edges": [float(x) for x in edges]}}


def main():
    data = pd.read_csv(os.path.join(ROOT, DATA), dtype=str, keep_default_na=False)
    y = (data["status"] == "accepted").to_numpy().astype(int)
    new = score(os.path.join(HERE, "challenger.json"))
    old = score(os.path.join(HERE, "champion.json"))
    assert (new["lead_id"] == data["lead_id"]).all() and (old["lead_id"] == data["lead_id"]).all()
    p_new = new["probability"].to_numpy()
    p_old = old["probability"].to_numpy()

    by = []
    for level, idx in data.groupby("lead_source").indices.items():
        by.append({"level": level, "figures": figures(p_new[idx], y[idx])})
    evaluate = {"model": "Tests/Fixtures/evaluation/challenger.json", "data": DATA, "by_column": "lead_source",
                "overall": figures(p_new, y), "deciles": deciles(p_new, y),
                "grades": grades(os.path.join(HERE, "challenger.json"), new["grade"].to_numpy(), y), "by": by}

    aucs, cov = fast_delong(np.vstack([p_old, p_new]), y)
    diff = float(aucs[1] - aucs[0])
    se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
    migration = pd.crosstab(old["grade"], new["grade"])
    compare = {"old": "Tests/Fixtures/evaluation/champion.json", "new": "Tests/Fixtures/evaluation/challenger.json",
               "data": DATA, "auc_old": float(aucs[0]), "auc_new": float(aucs[1]),
               "difference": {"difference": diff, "standard_error": se, "low": diff - Z95 * se, "high": diff + Z95 * se},
               "changed_grade": int((old["grade"] != new["grade"]).sum()),
               "migration": {f"{a}->{b}": int(migration.loc[a, b]) for a in migration.index for b in migration.columns}}

    out = {"evaluate": evaluate, "compare": compare, "drift": drift(os.path.join(HERE, "challenger.json")),
           "made_by": "Tests/Fixtures/make_evaluation_fixtures.py (numpy fast DeLong, scikit-learn, SciPy, statsmodels)"}
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", os.path.join(HERE, "reference.json"))


if __name__ == "__main__":
    main()
