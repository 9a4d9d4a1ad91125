#!/usr/bin/env python3
"""Reference figures for `leadscore sla`, computed with pandas/numpy on the bundled CRM export.

Run from the repository root:  LEADSCORE_BIN=.build/release/leadscore python3 Tests/Fixtures/make_sla_fixtures.py
Needs: pip install numpy pandas

Input: datasets/crm-leads.csv (`make datasets`: leadscore generate --rows 5000 --seed 9 --crm) and
models/leads.json. Acceptance probabilities and grades are `leadscore score`'s output; the rest is
computed here:
  - days to decision = (decided_at - handed_off_at) in days; median and 90th percentile by
    numpy.percentile (linear interpolation), mean, share <= max_days, acceptance rate;
  - held past max_days: decided after more than max_days, or undecided and (as_of - hand-off) > max_days,
    with as_of the latest hand-off or decision time in the file;
  - recycle: rejected leads whose reason is not_ready and whose probability is at least the file's
    acceptance rate (patterns' rule); the others are discarded;
  - came back: leads with a returned_from id, their acceptance rate, and those whose earlier lead was
    recommended for recycling.
"""
import io
import json
import os
import subprocess

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("LEADSCORE_BIN", os.path.join(ROOT, ".build", "release", "leadscore"))
DATA = "datasets/crm-leads.csv"
MODEL = "models/leads.json"
MAX_DAYS = 5.0


def days(series):
    return pd.to_datetime(series, utc=True, errors="coerce")


def times(d, accepted):
    done = d.dropna()
    return {"decided": int(len(done)), "undecided": int(d.isna().sum()),
            "median_days": float(np.percentile(done, 50)), "p90_days": float(np.percentile(done, 90)),
            "mean_days": float(done.mean()), "within_max_days": float((done <= MAX_DAYS).mean()),
            "acceptance_rate": float(accepted[d.notna()].mean())}


def main():
    df = pd.read_csv(os.path.join(ROOT, DATA), dtype=str, keep_default_na=False)
    out = subprocess.run([BIN, "score", DATA, "--model", MODEL, "--quiet"], check=True, capture_output=True, cwd=ROOT).stdout
    scored = pd.read_csv(io.BytesIO(out), dtype={"grade": str})
    assert (scored["lead_id"] == df["lead_id"]).all()
    h = days(df["handed_off_at"])
    dec = days(df["decided_at"].replace("", None))
    d = (dec - h).dt.total_seconds() / 86400
    accepted = (df["status"] == "accepted")
    as_of = max(h.max(), dec.max())
    held = d.where(d.notna(), (as_of - h).dt.total_seconds() / 86400)
    rate = accepted.mean()
    rejected = ~accepted
    recycle = rejected & (df["reject_reason"] == "not_ready") & (scored["probability"] >= rate)
    recommended = set(df.loc[recycle, "lead_id"])
    back = df["returned_from"] != ""
    came = {"returned": int(back.sum()), "accepted": int((back & accepted).sum()),
            "acceptance_rate": float(accepted[back].mean()), "other_acceptance_rate": float(accepted[~back].mean()),
            "recommended_before": int((back & df["returned_from"].isin(recommended)).sum()),
            "recommended_accepted": int((back & df["returned_from"].isin(recommended) & accepted).sum())}
    ref = {"data": DATA, "model": MODEL, "max_days": MAX_DAYS, "leads": int(len(df)),
           "overall": times(d, accepted),
           "by_owner": {o: times(d[df["owner"] == o], accepted[df["owner"] == o]) for o in sorted(df["owner"].unique())},
           "by_source": {s: times(d[df["lead_source"] == s], accepted[df["lead_source"] == s]) for s in sorted(df["lead_source"].unique())},
           "by_grade": {g: times(d[scored["grade"] == g], accepted[scored["grade"] == g]) for g in sorted(scored["grade"].unique())},
           "held_past_max_days": int((held > MAX_DAYS).sum()),
           "recycle": {"rejected": int(rejected.sum()), "recycle": int(recycle.sum()), "discard": int((rejected & ~recycle).sum()),
                       "threshold": float(rate)},
           "returned": came,
           "made_by": "Tests/Fixtures/make_sla_fixtures.py (pandas, numpy)"}
    with open(os.path.join(ROOT, "Tests", "Fixtures", "sla-reference.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote Tests/Fixtures/sla-reference.json")


if __name__ == "__main__":
    main()
