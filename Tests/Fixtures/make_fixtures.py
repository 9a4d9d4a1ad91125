#!/usr/bin/env python3
"""Reference results for LeadScore's fitting, computed with statsmodels and scikit-learn.

Run from the repository root:  python3 Tests/Fixtures/make_fixtures.py
Needs: pip install pandas numpy statsmodels scikit-learn
Reads the bundled synthetic data (datasets/leads.csv), the bundled copy of UCI bank marketing
(datasets/bank-marketing, CC BY 4.0) and X Education from ../shared/datasets (no licence to
redistribute: never copied into the project; only the fitted numbers are committed).

The design is rebuilt here independently from LeadScore's documented rules (README, "The design"):
  - missing: "", NA, N/A, null, NULL plus extra markers, after trimming;
  - a column is numeric when every non-missing value is a decimal number, boolean when every one is
    true/false/yes/no (any case), date when every one is an ISO date, otherwise categorical;
  - numeric (with --numeric linear: the spline fixtures are make_spline_fixtures.py's):
    (x - mean) / population sd over the training rows; missing -> 0, plus an indicator term
    "col=(missing)" when the training rows had at least min_level_count missing values;
  - boolean: x - mean (0/1, centered, not scaled, like a level), dropped when its rarer value has
    fewer than min_level_count training rows; missing as for numeric;
  - categorical: levels (missing is the level "") seen fewer than min_level_count times in the
    training rows pooled into "(other)"; groups ordered by count desc, then by value (code points);
    the first is the reference; each other group is a 0/1 term "col=level";
  - a level not seen in the training rows maps to "(other)" when it exists, otherwise to the
    frequency-weighted average of the groups (each term gets its group's training share);
  - constant columns and date columns are dropped; the intercept is unpenalized.
The holdout is LeadScore's SplitMix64 draw per data row: u = (mix(mix(seed) + index) >> 11) * 2^-53.
"""
import json
import math
import os
import re
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, log_loss

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared", "datasets")
OUT = os.path.join(ROOT, "Tests", "Fixtures")
M64 = (1 << 64) - 1
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$")
BOOL = {"true", "false", "yes", "no"}


def mix(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def holdout_mask(n, seed, fraction):
    if fraction <= 0:
        return np.zeros(n, dtype=bool)
    s = mix(seed)
    return np.array([((mix((s + i) & M64) >> 11) * 2.0 ** -53) < fraction for i in range(n)])


def build_design(df, features, train, missing, min_level_count):
    """Returns (term names, full design matrix for all rows, column kinds)."""
    cols, names = [], []
    for c in features:
        raw = df[c].astype(str).str.strip()
        miss = raw.isin(missing)
        vals = raw[~miss]
        if len(vals) > 0 and vals.map(lambda v: bool(NUMBER.match(v))).all():
            kind = "numeric"
            x = pd.to_numeric(raw.where(~miss), errors="raise").astype(float)
        elif len(vals) > 0 and vals.str.lower().isin(BOOL).all():
            kind = "boolean"
            x = raw.where(~miss).str.lower().map({"true": 1.0, "yes": 1.0, "false": 0.0, "no": 0.0}).astype(float)
        elif len(vals) > 0 and vals.map(lambda v: bool(DATE.match(v))).all():
            continue  # dates are not model terms
        else:
            kind = "categorical"
        if kind in ("numeric", "boolean"):
            xt = x[train & ~miss]
            if len(xt) == 0:
                continue
            mean = xt.mean()
            sd = math.sqrt(((xt - mean) ** 2).mean())
            if not sd > 0:
                continue
            if kind == "boolean":
                # A yes/no column is a centered 0/1 term (never divided by its sd), dropped when its
                # rarer value has fewer than min_level_count training rows.
                yes = xt.sum()
                if min(yes, len(xt) - yes) < min_level_count:
                    continue
                sd = 1.0
            cols.append(((x - mean) / sd).fillna(0.0).to_numpy())
            names.append(c)
            # A missing indicator needs min_level_count missing training values (else: the mean).
            if (train & miss).sum() >= min_level_count:
                cols.append(miss.astype(float).to_numpy())
                names.append(f"{c}=(missing)")
        else:
            level = raw.where(~miss, "")
            counts = level[train].value_counts()
            rare = sorted(v for v, k in counts.items() if k < min_level_count)
            groups = [(v, int(k)) for v, k in counts.items() if k >= min_level_count]
            if rare:
                groups.append(("(other)", int(sum(counts[v] for v in rare))))
            if len(groups) < 2:
                continue
            groups.sort(key=lambda g: (-g[1], g[0]))
            mapped = level.where(~level.isin(rare), "(other)") if rare else level
            # A level never seen in the training rows: "(other)" when that group exists, otherwise the
            # frequency-weighted average of the groups (fractional one-hot).
            unseen = ~level.isin(set(counts.index))
            if rare:
                mapped = mapped.where(~unseen, "(other)")
            total = sum(k for _, k in groups)
            for v, k in groups[1:]:
                col = (mapped == v).astype(float)
                if not rare:
                    col = col.where(~unseen, k / total)
                cols.append(col.to_numpy())
                names.append(f"{c}=" + ("(missing)" if v == "" else v))
    X = np.column_stack(cols) if cols else np.zeros((len(df), 0))
    return names, X


def sample_rows(n, k=200):
    step = max(1, n // k)
    return list(range(0, n, step))


def fit_statsmodels(X, y):
    Xc = np.column_stack([X, np.ones(len(y))])
    res = sm.Logit(y, Xc).fit(method="newton", maxiter=200, tol=1e-14, disp=False)
    p = res.predict(Xc)
    return res.params, res.bse, p


def fit_sklearn(X, y, lam, balanced=False):
    clf = LogisticRegression(C=1.0 / lam, solver="newton-cholesky", tol=1e-12, max_iter=1000,
                             class_weight="balanced" if balanced else None)
    clf.fit(X, y)
    return clf


def dataset_fixture(name, path, sep, target, positive, exclude, id_col, extra_missing, min_level_count,
                    lam, seed, holdout, statsmodels_ok=True, balanced=False):
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    missing = {"", "NA", "N/A", "null", "NULL", *extra_missing}
    y_all = (df[target].str.strip() == positive).astype(float).to_numpy()
    features = [c for c in df.columns if c != target and c not in exclude and c != id_col]
    out = {"dataset": name, "file": os.path.relpath(path, ROOT), "delimiter": sep, "target": target,
           "positive": positive, "exclude": exclude, "id": id_col, "missing": extra_missing,
           "min_level_count": min_level_count, "lambda": lam, "class_weight": "balanced" if balanced else "none"}

    # Full-data fits (holdout 0).
    train = np.ones(len(df), dtype=bool)
    names, X = build_design(df, features, pd.Series(train), missing, min_level_count)
    out["terms"] = names
    rows = sample_rows(len(df))
    out["sample_rows"] = rows
    if statsmodels_ok:
        params, bse, p = fit_statsmodels(X, y_all)
        out["statsmodels"] = {
            "coefficients": dict(zip(names, params[:-1].tolist())), "intercept": float(params[-1]),
            "std_errors": dict(zip(names, bse[:-1].tolist())), "intercept_std_error": float(bse[-1]),
            "probabilities": [float(p[i]) for i in rows],
        }
    clf = fit_sklearn(X, y_all, lam, balanced)
    p = clf.predict_proba(X)[:, 1]
    out["sklearn"] = {"coefficients": dict(zip(names, clf.coef_[0].tolist())), "intercept": float(clf.intercept_[0]),
                      "probabilities": [float(p[i]) for i in rows]}

    # Holdout comparison on LeadScore's seeded split.
    hold = holdout_mask(len(df), seed, holdout)
    names_h, Xh = build_design(df, features, pd.Series(~hold), missing, min_level_count)
    clf_h = fit_sklearn(Xh[~hold], y_all[~hold], lam, balanced)
    ph = clf_h.predict_proba(Xh[hold])[:, 1]
    out["holdout"] = {"fraction": holdout, "seed": seed, "rows": int(hold.sum()),
                      "sklearn_auc": float(roc_auc_score(y_all[hold], ph)),
                      "sklearn_log_loss": float(log_loss(y_all[hold], ph))}
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{name}: {len(names)} terms, {len(df)} rows, holdout sklearn AUC {out['holdout']['sklearn_auc']:.4f}")


def main():
    dataset_fixture("synthetic-leads", os.path.join(ROOT, "datasets", "leads.csv"), ",", "status", "accepted",
                    ["reject_reason", "created_at"], "lead_id", [], 10, 1.0, 42, 0.2)
    dataset_fixture("synthetic-leads-balanced", os.path.join(ROOT, "datasets", "leads.csv"), ",", "status", "accepted",
                    ["reject_reason", "created_at"], "lead_id", [], 10, 0.5, 42, 0.2, statsmodels_ok=False, balanced=True)
    # bank: `duration` is known only after the call (leakage, per UCI). For the unpenalized reference,
    # `default` (3 'yes' rows, all negative: separation) and `loan` (loan=unknown is the same 990 rows as
    # housing=unknown: exact collinearity) are left out, since the MLE does not exist or is not unique.
    dataset_fixture("bank-marketing", os.path.join(ROOT, "datasets", "bank-marketing", "bank-additional-full.csv"), ";", "y",
                    "yes", ["duration", "default", "loan"], None, [], 10, 1.0, 42, 0.2)
    dataset_fixture("bank-marketing-full", os.path.join(ROOT, "datasets", "bank-marketing", "bank-additional-full.csv"), ";", "y",
                    "yes", ["duration"], None, [], 10, 1.0, 42, 0.2, statsmodels_ok=False)
    # X Education: Tags and Lead Quality are sales-entered outcomes (leakage); many sparse levels make the
    # unpenalized MLE not exist, so only the L2 fit is a reference here.
    dataset_fixture("x-education", os.path.join(SHARED, "x-education-leads", "Leads.csv"), ",", "Converted", "1",
                    ["Lead Number", "Tags", "Lead Quality"], "Prospect ID", ["Select"], 10, 1.0, 42, 0.2,
                    statsmodels_ok=False)


if __name__ == "__main__":
    main()
