#!/usr/bin/env python3
"""Model quality: LeadScore's default against scikit-learn (plain and spline logistic), LightGBM and
EBM on one stratified 70/30 split (seed 42) of three data sets. AUC and log loss on the 30%.

    pip install interpret-core lightgbm scikit-learn pandas
    python3 bench/quality.py [--bin .build/release/leadscore] [--only bank] [--skip-ebm] [--leadscore-only]

LeadScore runs twice: its defaults (`leadscore`: `--numeric auto --interactions auto`) and additive
splines without the searches (`leadscore_additive`: `--numeric spline --interactions none`).

Data sets:
  x-education   ../shared/datasets/x-education-leads/Leads.csv, without Tags, Lead Quality and the
                Asymmetrique columns (sales-entered or derived after contact); "Select" is missing
  bank          datasets/bank-marketing/bank-additional-full.csv (';'), without duration (known only
                after the call)
  synthetic     `leadscore generate --rows 20000 --seed 21 --shapes`: non-linear effects (a log-shaped
                company size, a threshold on inactivity, saturating page views) and a planted
                interaction (lead_source=event × job_level=individual)

The split is made here (sklearn's train_test_split, stratified, random_state=42) and written as two
CSV files with the input's own header and delimiter, so LeadScore reads the very rows the peers fit
on: `leadscore train <train> --holdout 0` with its defaults, then `leadscore score <test>`.

Peers, each with a fair setup (no tuning on the test rows):
  plain logistic   one-hot (levels seen < 10 times pooled) + mean-imputed, standardized numbers
                   with missing indicators; LogisticRegression(C=1, newton-cholesky)
  spline logistic  the same with SplineTransformer(5 quantile knots, cubic) on every numeric column
  LightGBM         LGBMClassifier on pandas categoricals, learning rate 0.05, early stopping on a
                   stratified 15% of the training rows (at most 2000 trees)
  EBM              ExplainableBoostingClassifier(random_state=42), its defaults (pairs included)

Results go to bench/out/quality.json and a Markdown table on standard output (QUALITY.md).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.metrics import roc_auc_score, log_loss

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out", "quality")
SHARED = os.path.join(ROOT, "..", "shared", "datasets")

DATASETS = {
    "x-education": dict(
        path=os.path.join(SHARED, "x-education-leads", "Leads.csv"), delimiter=",", target="Converted",
        positive="1", id="Prospect ID", missing=["Select"],
        drop=["Lead Number", "Tags", "Lead Quality", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
              "Asymmetrique Activity Score", "Asymmetrique Profile Score"]),
    "bank": dict(
        path=os.path.join(ROOT, "datasets", "bank-marketing", "bank-additional-full.csv"), delimiter=";",
        target="y", positive="yes", id=None, missing=[], drop=["duration"]),
    "synthetic": dict(
        path=None, delimiter=",", target="status", positive="accepted", id="lead_id", missing=[],
        drop=["reject_reason", "created_at"]),
}


def read_rows(path, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader)
        return header, list(reader)


def write_rows(path, header, rows, delimiter):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def frame(header, rows, spec):
    df = pd.DataFrame(rows, columns=header)
    y = (df[spec["target"]].str.strip() == spec["positive"]).astype(int).to_numpy()
    drop = [spec["target"]] + spec["drop"] + ([spec["id"]] if spec["id"] else [])
    x = df.drop(columns=[c for c in drop if c in df.columns])
    missing = set(["", "NA", "N/A", "null", "NULL", "NaN", "nan"] + spec["missing"])
    numeric, categorical = [], []
    for c in x.columns:
        s = x[c].str.strip()
        s = s.where(~s.isin(missing), None)
        conv = pd.to_numeric(s, errors="coerce")
        if conv.notna().sum() == s.notna().sum() and s.notna().any():
            x[c] = conv.astype(float)
            numeric.append(c)
        else:
            x[c] = s.fillna("(missing)")
            categorical.append(c)
    return x, y, numeric, categorical


def sklearn_logistic(xtr, ytr, xte, numeric, categorical, spline):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler
    num_steps = [SimpleImputer(strategy="mean", add_indicator=True)]
    if spline:
        num_steps.append(ColumnTransformer(
            [("s", SplineTransformer(n_knots=5, degree=3, knots="quantile", extrapolation="constant"),
              list(range(len(numeric))))], remainder="passthrough"))
    num_steps.append(StandardScaler())
    pre = ColumnTransformer([
        ("num", make_pipeline(*num_steps), numeric),
        ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, drop="first",
                              sparse_output=False), categorical),
    ])
    model = make_pipeline(pre, LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=1000))
    model.fit(xtr, ytr)
    return model.predict_proba(xte)[:, 1]


def lightgbm(xtr, ytr, xte, categorical):
    import lightgbm as lgb
    xtr, xte = xtr.copy(), xte.copy()
    for c in categorical:
        cats = pd.CategoricalDtype(sorted(set(xtr[c])))
        xtr[c] = xtr[c].astype(cats)
        xte[c] = xte[c].where(xte[c].isin(cats.categories)).astype(cats)
    a, b, ya, yb = train_test_split(xtr, ytr, test_size=0.15, stratify=ytr, random_state=42)
    model = lgb.LGBMClassifier(n_estimators=2000, learning_rate=0.05, random_state=42, verbose=-1)
    model.fit(a, ya, eval_set=[(b, yb)], eval_metric="binary_logloss",
              callbacks=[lgb.early_stopping(50, verbose=False)])
    return model.predict_proba(xte)[:, 1], model.best_iteration_


def ebm(xtr, ytr, xte):
    from interpret.glassbox import ExplainableBoostingClassifier
    model = ExplainableBoostingClassifier(random_state=42)
    model.fit(xtr, ytr)
    terms = [n for n in model.term_names_ if " & " in n]
    return model.predict_proba(xte)[:, 1], terms


def leadscore(bin_path, name, spec, train_path, test_path, header, extra=()):
    model = os.path.join(OUT, f"{name}.json")
    cmd = [bin_path, "train", train_path, "--target", spec["target"], "--positive", spec["positive"],
           "--holdout", "0", "--out", model, "--quiet", "--delimiter", spec["delimiter"]] + list(extra)
    if spec["id"]:
        cmd += ["--id", spec["id"]]
    for m in spec["missing"]:
        cmd += ["--missing", m]
    drop = [c for c in spec["drop"] if c in header]
    if drop:
        cmd += ["--exclude", ",".join(drop)]
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.time() - t0
    scores = os.path.join(OUT, f"{name}-scores.csv")
    subprocess.run([bin_path, "score", test_path, "--model", model, "--out", scores, "--delimiter", spec["delimiter"],
                    "--quiet"], check=True)
    p = pd.read_csv(scores)["probability"].to_numpy()
    with open(model) as f:
        m = json.load(f)
    return p, seconds, m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "leadscore"))
    ap.add_argument("--only", action="append")
    ap.add_argument("--skip-ebm", action="store_true")
    ap.add_argument("--leadscore-only", action="store_true",
                    help="rerun LeadScore only; the peers' figures are kept from bench/out/quality.json")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results = {}
    for name, spec in DATASETS.items():
        if args.only and name not in args.only:
            continue
        spec = dict(spec)
        if name == "synthetic":
            spec["path"] = os.path.join(OUT, "synthetic-shapes.csv")
            subprocess.run([args.bin, "generate", "--rows", "20000", "--seed", "21", "--shapes", "--out", spec["path"]],
                           check=True)
        if not os.path.exists(spec["path"]):
            print(f"skipping {name}: {spec['path']} is absent", file=sys.stderr)
            continue
        header, rows = read_rows(spec["path"], spec["delimiter"])
        y_all = [1 if r[header.index(spec["target"])].strip() == spec["positive"] else 0 for r in rows]
        idx = np.arange(len(rows))
        tr, te = train_test_split(idx, test_size=0.3, stratify=y_all, random_state=42)
        tr, te = np.sort(tr), np.sort(te)
        train_path = os.path.join(OUT, f"{name}-train.csv")
        test_path = os.path.join(OUT, f"{name}-test.csv")
        write_rows(train_path, header, [rows[i] for i in tr], spec["delimiter"])
        write_rows(test_path, header, [rows[i] for i in te], spec["delimiter"])
        x, y, numeric, categorical = frame(header, rows, spec)
        xtr, xte, ytr, yte = x.iloc[tr], x.iloc[te], y[tr], y[te]
        r = {"rows_train": int(len(tr)), "rows_test": int(len(te)), "positive_rate": float(y.mean())}

        def record(key, p, **extra):
            p = np.clip(p, 1e-15, 1 - 1e-15)
            r[key] = dict(auc=float(roc_auc_score(yte, p)), log_loss=float(log_loss(yte, p)), **extra)
            print(f"{name:12s} {key:16s} AUC {r[key]['auc']:.4f}  log loss {r[key]['log_loss']:.4f}  {extra}",
                  file=sys.stderr)

        # The defaults: `--numeric auto` (spline or steps per column) and `--interactions auto`.
        p, secs, m = leadscore(args.bin, name, spec, train_path, test_path, header)
        sel = m.get("lambda_selection") or {}
        search = m.get("interaction_search") or {}
        shapes = m.get("shape_search") or {}
        record("leadscore", p, train_seconds=round(secs, 2), lambda_=sel.get("chosen"),
               steps=[t["column"] for t in shapes.get("trials", []) if t["kept"]],
               kept=[f"{t['first']}:{t['second']}" for t in search.get("trials", []) if t["kept"]],
               rejected=[f"{t['first']}:{t['second']}" for t in search.get("trials", []) if not t["kept"]])
        # Additive splines, no searches: the default before the searches became the default.
        p, secs, m = leadscore(args.bin, name + "-additive", spec, train_path, test_path, header,
                               ["--interactions", "none", "--numeric", "spline"])
        record("leadscore_additive", p, train_seconds=round(secs, 2), lambda_=(m.get("lambda_selection") or {}).get("chosen"))
        if args.leadscore_only:
            results[name] = r
            continue
        t0 = time.time()
        record("plain_logistic", sklearn_logistic(xtr, ytr, xte, numeric, categorical, spline=False),
               seconds=round(time.time() - t0, 2))
        t0 = time.time()
        record("spline_logistic", sklearn_logistic(xtr, ytr, xte, numeric, categorical, spline=True),
               seconds=round(time.time() - t0, 2))
        t0 = time.time()
        p, trees = lightgbm(xtr, ytr, xte, categorical)
        record("lightgbm", p, seconds=round(time.time() - t0, 2), trees=int(trees))
        if not args.skip_ebm:
            t0 = time.time()
            p, pairs = ebm(xtr, ytr, xte)
            record("ebm", p, seconds=round(time.time() - t0, 2), pairs=pairs)
        results[name] = r
    path = os.path.join(ROOT, "bench", "out", "quality.json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
    for name, r in results.items():
        old.setdefault(name, {}).update(r)
    with open(path, "w") as f:
        json.dump(old, f, indent=2)
    peers = ["leadscore", "leadscore_additive", "plain_logistic", "spline_logistic", "lightgbm", "ebm"]
    print("| data | " + " | ".join(peers) + " |")
    print("|---|" + "---|" * len(peers))
    for name, r in old.items():
        cells = [f"{r[k]['auc']:.4f} / {r[k]['log_loss']:.4f}" if k in r else "–" for k in peers]
        print(f"| {name} (AUC / log loss) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
