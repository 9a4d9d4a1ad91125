#!/usr/bin/env python3
"""EBM with a given number of pairs on QUALITY.md's split: how much of EBM's lead comes from pairs.

  python3 bench/ebm_pairs.py x-education 0     # EBM without pairs (its shapes alone)
  python3 bench/ebm_pairs.py x-education 5     # EBM with its 5 best pairs (printed)

Same data, columns and stratified 70/30 split (seed 42) as bench/quality.py; needs
pip install interpret-core scikit-learn pandas.
"""
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score, log_loss
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality as Q  # noqa: E402


def main():
    name, pairs = sys.argv[1], int(sys.argv[2])
    from interpret.glassbox import ExplainableBoostingClassifier
    spec = dict(Q.DATASETS[name])
    if name == "synthetic":
        spec["path"] = os.path.join(Q.OUT, "synthetic-shapes.csv")  # written by bench/quality.py
    header, rows = Q.read_rows(spec["path"], spec["delimiter"])
    y_all = [1 if r[header.index(spec["target"])].strip() == spec["positive"] else 0 for r in rows]
    tr, te = train_test_split(np.arange(len(rows)), test_size=0.3, stratify=y_all, random_state=42)
    tr, te = np.sort(tr), np.sort(te)
    x, y, _, _ = Q.frame(header, rows, spec)
    model = ExplainableBoostingClassifier(random_state=42, interactions=pairs)
    model.fit(x.iloc[tr], y[tr])
    p = np.clip(model.predict_proba(x.iloc[te])[:, 1], 1e-15, 1 - 1e-15)
    print("pairs:", [n for n in model.term_names_ if " & " in n])
    print(f"{name} EBM with {pairs} pairs: AUC {roc_auc_score(y[te], p):.4f}  log loss {log_loss(y[te], p):.4f}")


if __name__ == "__main__":
    main()
