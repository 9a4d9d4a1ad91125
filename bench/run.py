#!/usr/bin/env python3
"""LeadScore benchmarks, with the peers run side by side on the same files in one run.

  make bench                      # 1M and 10M rows
  python3 bench/run.py --rows 1000000

Needs: a release build (make bench does it), /usr/bin/time, pip install duckdb scikit-learn pandas joblib.
Prints wall time, rows per second and peak memory (max RSS) of each run, and the ratios the
goals are stated in. Results also go to bench/out/results.json. Timings include process start-up.
Each measurement is the median of --repeat runs (default 3; scikit-learn scoring above 1M rows runs
once, about a minute); before every run the input file is read once so all peers start from the
page cache.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
BIN = os.path.join(ROOT, ".build", "release", "leadscore")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "Fixtures"))


def warm(path):
    """Reads a file once so every peer starts from the page cache (the 10M files push it out)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def timed(cmd, env=None, repeat=1, data=None):
    """Runs cmd under /usr/bin/time `repeat` times, the input `data` read into the page cache before
    each run; returns (median seconds, peak MB over the runs) and records every run in RUNS."""
    times, peaks = [], []
    for _ in range(repeat):
        if data:
            warm(data)
        full = ["/usr/bin/time", "-f", "%e %M"] + cmd
        r = subprocess.run(full, capture_output=True, text=True, env={**os.environ, **(env or {})})
        if r.returncode not in (0,):
            sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
        seconds, kb = r.stderr.strip().splitlines()[-1].split()
        times.append(float(seconds))
        peaks.append(int(kb) / 1024)
    RUNS.append({"command": " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))[:160], "seconds": times})
    return sorted(times)[len(times) // 2], max(peaks)


RUNS = []


def ensure_data(rows):
    path = os.path.join(OUT, f"leads-{rows}.csv")
    if not os.path.exists(path):
        subprocess.run([BIN, "generate", "--rows", str(rows), "--seed", "11", "--out", path], check=True)
    return path


def duckdb_cmd(model, source, target):
    """DuckDB scoring with the query `leadscore export sql --dialect duckdb` writes for the model (the
    leads read as text, as LeadScore reads them), keeping the columns this benchmark compares."""
    query = subprocess.run([BIN, "export", "sql", "--model", model, "--dialect", "duckdb", "--table", "leads", "--quiet"],
                           check=True, capture_output=True, text=True).stdout
    query = "\n".join(line for line in query.splitlines() if not line.startswith("--")).rstrip().rstrip(";")
    script = (
        "import duckdb; con = duckdb.connect(); con.execute('SET threads=2'); "
        "con.execute(\"CREATE VIEW leads AS SELECT * FROM read_csv(%r, header=true, all_varchar=true)\"); "
        "con.execute(%r)" % (source, f"COPY (SELECT lead_id, probability, score FROM ({query}) AS scored) TO {target!r} (HEADER, DELIMITER ',')"))
    return [sys.executable, "-c", script]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append", help="scoring sizes (default 1M and 10M)")
    ap.add_argument("--train-rows", type=int, default=1_000_000)
    ap.add_argument("--no-sklearn-above", type=int, default=10_000_000, help="skip scikit-learn scoring above this size")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement, median reported (scikit-learn scoring above 1M rows: one run)")
    args = ap.parse_args()
    sizes = args.rows or [1_000_000, 10_000_000]
    os.makedirs(OUT, exist_ok=True)
    results = {"machine": os.uname().machine, "cores": os.cpu_count(), "scoring": [], "training": {}}

    # Training: leadscore vs the scikit-learn pipeline, same data, same L2 (C = 1 = 1/lambda).
    train = ensure_data(args.train_rows)
    model = os.path.join(OUT, "model.json")
    t_ls, m_ls = timed([BIN, "train", train, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                        "--exclude", "reject_reason,created_at", "--holdout", "0", "--lambda", "1", "--out", model, "--quiet"],
                       repeat=args.repeat, data=train)
    pipeline = os.path.join(OUT, "sklearn.joblib")
    t_sk, m_sk = timed([sys.executable, os.path.join(HERE, "sklearn_pipeline.py"), "fit", train, pipeline],
                       repeat=args.repeat, data=train)
    m = json.load(open(model))
    encoded_mb = m["provenance"]["training_rows"] * (len(m["design"]["term_names"]) + 1) * 8 / 2**20
    # Agreement: scikit-learn on the identical design (independent builder from make_fixtures.py).
    import make_fixtures as mf
    from sklearn.linear_model import LogisticRegression
    df = pd.read_csv(train, dtype=str, keep_default_na=False)
    features = [c for c in df.columns if c not in ("status", "reject_reason", "created_at", "lead_id")]
    names, X = mf.build_design(df, features, pd.Series(np.ones(len(df), bool)), {"", "NA", "N/A", "null", "NULL"}, 10)
    y = (df["status"] == "accepted").astype(float).to_numpy()
    ref = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10, max_iter=200).fit(X, y)
    ours = dict(zip(m["design"]["term_names"], m["coefficients"]["terms"]))
    worst = max(abs(ours[n] - c) / max(abs(c), 1e-3) for n, c in zip(names, ref.coef_[0]))
    results["training"] = {"rows": args.train_rows, "leadscore_s": t_ls, "leadscore_mb": m_ls, "sklearn_s": t_sk, "sklearn_mb": m_sk,
                           "encoded_matrix_mb": encoded_mb, "coefficient_max_rel_diff": worst}

    for rows in sizes:
        data = ensure_data(rows)
        row = {"rows": rows}
        out = os.path.join(OUT, f"scores-{rows}.csv")
        # Medians everywhere; the scikit-learn run at 10M (about a minute) once.
        rep = {"repeat": args.repeat, "data": data}
        sk_rep = {"repeat": args.repeat if rows <= 1_000_000 else 1, "data": data}
        row["leadscore_s"], row["leadscore_mb"] = timed([BIN, "score", data, "--model", model, "--out", out, "--quiet"], **rep)
        row["leadscore_1thread_s"], _ = timed([BIN, "score", data, "--model", model, "--out", out + ".1t", "--quiet"], env={"LEADSCORE_THREADS": "1"}, **rep)
        row["reasons3_s"], row["reasons3_mb"] = timed([BIN, "score", data, "--model", model, "--reasons", "3", "--out", out + ".r3", "--quiet"], **rep)
        duck_out = os.path.join(OUT, f"duckdb-{rows}.csv")
        row["duckdb_s"], row["duckdb_mb"] = timed(duckdb_cmd(model, data, duck_out), **rep)
        if rows <= args.no_sklearn_above:
            sk_out = os.path.join(OUT, f"sklearn-{rows}.csv")
            row["sklearn_s"], row["sklearn_mb"] = timed([sys.executable, os.path.join(HERE, "sklearn_pipeline.py"), "score", pipeline, data, sk_out], **sk_rep)
        if rows <= 1_000_000:
            a = pd.read_csv(out)["probability"].to_numpy()
            b = pd.read_csv(duck_out)["probability"].to_numpy()
            row["max_abs_diff_vs_duckdb"] = float(np.max(np.abs(a - b)))
        for f in (out + ".1t", out + ".r3"):
            os.remove(f)
        results["scoring"].append(row)

    results["runs"] = RUNS
    json.dump(results, open(os.path.join(OUT, "results.json"), "w"), indent=1)
    tr = results["training"]
    print(f"machine: {results['machine']}, {results['cores']} cores; median of {args.repeat} runs (scikit-learn scoring above 1M rows: one run); inputs read into the page cache before each run")
    print("\nevery run (seconds):")
    for run in RUNS:
        print(f"  {' '.join(f'{t:.2f}' for t in run['seconds']):20}  {run['command']}")
    print(f"\nTRAINING {tr['rows']:,} rows (L2, C=1)")
    print(f"  leadscore     {tr['leadscore_s']:7.2f} s  {tr['leadscore_mb']:7.0f} MB peak")
    print(f"  scikit-learn  {tr['sklearn_s']:7.2f} s  {tr['sklearn_mb']:7.0f} MB peak")
    print(f"  time ratio leadscore/sklearn {tr['leadscore_s'] / tr['sklearn_s']:.2f} (goal ≤ 0.2)")
    print(f"  peak memory / encoded matrix ({tr['encoded_matrix_mb']:.0f} MB): {tr['leadscore_mb'] / tr['encoded_matrix_mb']:.2f} (goal ≤ 1.5)")
    print(f"  coefficients vs scikit-learn on the same design: max relative difference {tr['coefficient_max_rel_diff']:.1e}")
    for row in results["scoring"]:
        n = row["rows"]
        print(f"\nSCORING {n:,} rows, CSV in → CSV out")
        for key, label in [("leadscore", "leadscore (2 threads)"), ("leadscore_1thread", "leadscore (1 thread)"), ("reasons3", "leadscore --reasons 3"),
                           ("duckdb", "DuckDB SQL (2 threads)"), ("sklearn", "scikit-learn pipeline")]:
            if key + "_s" in row:
                mb = row.get(key + "_mb")
                print(f"  {label:26} {row[key + '_s']:7.2f} s  {n / row[key + '_s'] / 1e6:6.2f} M rows/s" + (f"  {mb:7.0f} MB peak" if mb else ""))
        print(f"  ratio vs DuckDB (rows/s): leadscore {row['duckdb_s'] / row['leadscore_s']:.2f}× (goal ≥ 1.5), with 3 reasons {row['duckdb_s'] / row['reasons3_s']:.2f}× (goal ≥ 1)")
        if "sklearn_s" in row:
            print(f"  ratio vs scikit-learn: {row['sklearn_s'] / row['leadscore_s']:.1f}× (goal ≥ 10)")
        if "max_abs_diff_vs_duckdb" in row:
            print(f"  probabilities vs DuckDB: max abs difference {row['max_abs_diff_vs_duckdb']:.1e}")


if __name__ == "__main__":
    main()
