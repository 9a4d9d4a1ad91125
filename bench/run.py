#!/usr/bin/env python3
"""LeadScore benchmarks, with the peers run side by side on the same files in one run.

  make bench                      # 1M and 10M rows
  python3 bench/run.py --rows 1000000

Needs: a release build (make bench does it), /usr/bin/time, pip install duckdb-cli scikit-learn pandas joblib.
Prints wall time, rows per second and peak memory (max RSS) of each run, and the ratios the
goals are stated in. Results also go to bench/out/results.json. Every figure is the wall time of a
whole process, start-up included: leadscore, the DuckDB command-line shell (pip install duckdb-cli;
no Python in its process) and the scikit-learn scripts.

DuckDB is given its best honest setup, the way a user would score a CSV file with it: its own
`read_csv` with type detection, two threads, the model as SQL (`leadscore export sql --input typed`:
numeric columns used as DuckDB typed them), `COPY (query) TO` a CSV. The floors are timed beside them:
`cat FILE > /dev/null` (reading the file), DuckDB reading every column with its typed reader, and
LeadScore's own reader: `score --stop-after parse` (records read and split into fields, nothing
written) and `--stop-after resolve` (then the model's values parsed and looked up).
Each measurement is the median of --repeat runs (default 3; scikit-learn scoring above 1M rows runs
once, about a minute); before every run the input file is read once so all peers start from the
page cache.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
BIN = os.path.join(ROOT, ".build", "release", "leadscore")
DUCKDB = None
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "Fixtures"))


def warm(path):
    """Reads a file once so every peer starts from the page cache (the 10M files push it out)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def timed(cmd, env=None, repeat=1, data=None):
    """Runs cmd under /usr/bin/time (for the peak memory) `repeat` times, the input `data` read into the page cache before
    each run; returns (median seconds, peak MB over the runs) and records every run in RUNS."""
    times, peaks = [], []
    for _ in range(repeat):
        if data:
            warm(data)
        full = ["/usr/bin/time", "-f", "%e %M"] + cmd
        start = time.perf_counter()
        r = subprocess.run(full, capture_output=True, text=True, env={**os.environ, **(env or {})})
        elapsed = time.perf_counter() - start
        if r.returncode not in (0,):
            sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
        _, kb = r.stderr.strip().splitlines()[-1].split()
        times.append(elapsed)  # wall time to the millisecond (/usr/bin/time's %e has 10 ms steps)
        peaks.append(int(kb) / 1024)
    RUNS.append({"command": " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))[:160], "seconds": times})
    return sorted(times)[len(times) // 2], max(peaks)


RUNS = []


def ensure_data(rows):
    path = os.path.join(OUT, f"leads-{rows}.csv")
    if not os.path.exists(path):
        subprocess.run([BIN, "generate", "--rows", str(rows), "--seed", "11", "--out", path], check=True)
    return path


def duckdb_binary():
    """The DuckDB command-line shell: the native binary of the duckdb-cli wheel (not its Python
    launcher), or `duckdb` on PATH."""
    try:
        import duckdb_cli
        path = os.path.join(os.path.dirname(duckdb_cli.__file__), "duckdb")
        if os.path.isfile(path):
            return path
    except ImportError:
        pass
    path = shutil.which("duckdb")
    if not path:
        sys.exit("no DuckDB shell: pip install duckdb-cli")
    return path


def scoring_query(model, input_kind, reasons=0):
    """The query `leadscore export sql --dialect duckdb` writes for the model, over a view `leads`."""
    query = subprocess.run([BIN, "export", "sql", "--model", model, "--dialect", "duckdb", "--table", "leads", "--input", input_kind,
                            "--reasons", str(reasons), "--quiet"], check=True, capture_output=True, text=True).stdout
    return "\n".join(line for line in query.splitlines() if not line.startswith("--")).rstrip().rstrip(";")


def duckdb_cmd(model, source, target, typed=True, reasons=0):
    """DuckDB scoring in its own shell process: typed read_csv (its type detection) and the typed
    query, or (typed=False) every column read as text and parsed as `score` parses it."""
    read = f"read_csv('{source}')" if typed else f"read_csv('{source}', header = true, all_varchar = true)"
    columns = "lead_id, probability, score" + "".join(f", reason_{k}" for k in range(1, reasons + 1))
    sql = (f"SET threads = 2; CREATE VIEW leads AS SELECT * FROM {read}; "
           f"COPY (SELECT {columns} FROM ({scoring_query(model, 'typed' if typed else 'text', reasons)}) AS scored) "
           f"TO '{target}' (HEADER, DELIMITER ',');")
    return [DUCKDB, "-c", sql]


def inprocess(sql, repeat, data):
    """Median seconds of the last statement of `sql`, timed inside DuckDB's Python process."""
    r = subprocess.run([sys.executable, os.path.join(HERE, "duckdb_inprocess.py"), "--repeat", str(repeat), "--warm", data, sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"DuckDB in-process run failed:\n{r.stderr[-2000:]}")
    times = [float(t) for t in r.stdout.split()]
    RUNS.append({"command": "duckdb in-process: " + sql[-120:], "seconds": times})
    return sorted(times)[len(times) // 2]


def duckdb_read_cmd(source):
    """DuckDB's floor: every column read by its typed CSV reader, nothing computed or written."""
    return [DUCKDB, "-c", f"SET threads = 2; SELECT count(*), max(COLUMNS(*)) FROM read_csv('{source}');"]


def main():
    global DUCKDB, BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append", help="scoring sizes (default 1M and 10M)")
    ap.add_argument("--train-rows", type=int, default=1_000_000)
    ap.add_argument("--no-sklearn-above", type=int, default=10_000_000, help="skip scikit-learn scoring above this size")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement, median reported (scikit-learn scoring above 1M rows: one run)")
    ap.add_argument("--bin", default=BIN, help="the leadscore binary (default .build/release/leadscore)")
    args = ap.parse_args()
    BIN = os.path.abspath(args.bin)
    sizes = args.rows or [1_000_000, 10_000_000]
    DUCKDB = duckdb_binary()
    duckdb_version = subprocess.run([DUCKDB, "--version"], capture_output=True, text=True).stdout.strip()
    os.makedirs(OUT, exist_ok=True)
    results = {"machine": os.uname().machine, "cores": os.cpu_count(), "duckdb": duckdb_version, "scoring": [], "training": {}}

    # Training: leadscore vs the scikit-learn pipeline, same data, same L2 (C = 1 = 1/lambda), the
    # same straight-line design (so the coefficients can be compared term by term).
    train = ensure_data(args.train_rows)
    model = os.path.join(OUT, "model.json")
    t_ls, m_ls = timed([BIN, "train", train, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                        "--exclude", "reject_reason,created_at", "--holdout", "0", "--lambda", "1", "--numeric", "linear",
                        "--interactions", "none", "--out", model, "--quiet"], repeat=args.repeat, data=train)
    # LeadScore's default training (splines or steps chosen per column and pairs searched on a
    # 50,000-row sample, λ chosen on a held-out sample) plus one given interaction: the model the
    # scoring runs below use.
    shaped = os.path.join(OUT, "model-shapes.json")
    t_default, m_default = timed([BIN, "train", train, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                  "--exclude", "reject_reason,created_at", "--holdout", "0", "--interaction", "lead_source:job_level",
                                  "--out", shaped, "--quiet"], repeat=args.repeat, data=train)
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
                           "default_s": t_default, "default_mb": m_default,
                           "encoded_matrix_mb": encoded_mb, "coefficient_max_rel_diff": worst}
    del df, X

    for rows in sizes:
        data = ensure_data(rows)
        row = {"rows": rows}
        out = os.path.join(OUT, f"scores-{rows}.csv")
        # Medians everywhere; the scikit-learn run at 10M (about a minute) once.
        rep = {"repeat": args.repeat, "data": data}
        sk_rep = {"repeat": args.repeat if rows <= 1_000_000 else 1, "data": data}
        row["cat_s"], _ = timed(["sh", "-c", f"cat '{data}' > /dev/null"], **rep)
        row["duckdb_read_s"], row["duckdb_read_mb"] = timed(duckdb_read_cmd(data), **rep)
        # LeadScore's own floors (#15): the same run stopped after reading and splitting the records
        # (parse) or after resolving the model's values (resolve), writing nothing.
        for stage in ("parse", "resolve"):
            row[f"floor_{stage}_s"], _ = timed([BIN, "score", data, "--model", model, "--stop-after", stage, "--quiet"], **rep)
        row["leadscore_s"], row["leadscore_mb"] = timed([BIN, "score", data, "--model", shaped, "--out", out, "--quiet"], **rep)
        row["leadscore_1thread_s"], _ = timed([BIN, "score", data, "--model", shaped, "--out", out + ".1t", "--quiet"], env={"LEADSCORE_THREADS": "1"}, **rep)
        row["reasons3_s"], row["reasons3_mb"] = timed([BIN, "score", data, "--model", shaped, "--reasons", "3", "--out", out + ".r3", "--quiet"], **rep)
        duck_out = os.path.join(OUT, f"duckdb-{rows}.csv")
        row["duckdb_s"], row["duckdb_mb"] = timed(duckdb_cmd(shaped, data, duck_out), **rep)
        row["duckdb_reasons3_s"], row["duckdb_reasons3_mb"] = timed(duckdb_cmd(shaped, data, duck_out + ".r3", reasons=3), **rep)
        if rows <= 1_000_000:
            row["duckdb_text_s"], row["duckdb_text_mb"] = timed(duckdb_cmd(shaped, data, duck_out + ".text", typed=False), **rep)
        row["linear_s"], row["linear_mb"] = timed([BIN, "score", data, "--model", model, "--out", out + ".lin", "--quiet"], **rep)
        row["duckdb_linear_s"], _ = timed(duckdb_cmd(model, data, duck_out + ".lin"), **rep)
        # The setup: the straight-line model as one hand-written expression over typed columns.
        import duckdb_expression
        expr_out = os.path.join(OUT, f"duckdb-expr-{rows}.csv")
        row["duckdb_expr_s"], row["duckdb_expr_mb"] = timed([DUCKDB, "-c", duckdb_expression.scoring_sql(json.load(open(model)), data, expr_out)], **rep)
        # The same two queries timed inside DuckDB's own Python process (2.x), start-up and import
        # excluded: DuckDB's figure in the ratios is the faster of the shell and this.
        row["duckdb_expr_inprocess_s"] = inprocess(duckdb_expression.scoring_sql(json.load(open(model)), data, expr_out), args.repeat, data)
        row["duckdb_inprocess_s"] = inprocess(duckdb_cmd(shaped, data, duck_out)[-1], args.repeat, data)
        row["duckdb_reasons3_inprocess_s"] = inprocess(duckdb_cmd(shaped, data, duck_out + ".r3", reasons=3)[-1], args.repeat, data)
        if rows <= 1_000_000:
            both = pd.read_csv(out + ".lin").merge(pd.read_csv(expr_out), on="lead_id", suffixes=("", "_duckdb"))
            if len(both) != rows:
                sys.exit(f"DuckDB's expression and leadscore scored different leads: {len(both)} of {rows} in common")
            row["max_abs_diff_expr"] = float((both["probability"] - both["probability_duckdb"]).abs().max())
        os.remove(expr_out)
        if rows <= args.no_sklearn_above:
            sk_out = os.path.join(OUT, f"sklearn-{rows}.csv")
            row["sklearn_s"], row["sklearn_mb"] = timed([sys.executable, os.path.join(HERE, "sklearn_pipeline.py"), "score", pipeline, data, sk_out], **sk_rep)
        if rows <= 1_000_000:
            # DuckDB's COPY does not keep the file's row order at two threads: matched by id.
            both = pd.read_csv(out).merge(pd.read_csv(duck_out), on="lead_id", suffixes=("", "_duckdb"))
            if len(both) != rows:
                sys.exit(f"DuckDB and leadscore scored different leads: {len(both)} of {rows} in common")
            row["max_abs_diff_vs_duckdb"] = float((both["probability"] - both["probability_duckdb"]).abs().max())
        for f in (out + ".1t", out + ".r3", out + ".lin", duck_out + ".r3", duck_out + ".text", duck_out + ".lin"):
            if os.path.exists(f):
                os.remove(f)
        results["scoring"].append(row)

    results["runs"] = RUNS
    json.dump(results, open(os.path.join(OUT, "results.json"), "w"), indent=1)
    tr = results["training"]
    print(f"machine: {results['machine']}, {results['cores']} cores, load average {os.getloadavg()[0]:.1f} at the end; DuckDB shell {duckdb_version}; "
          f"median of {args.repeat} runs (scikit-learn scoring above 1M rows: one run); inputs read into the page cache before each run")
    print("\nevery run (seconds):")
    for run in RUNS:
        print(f"  {' '.join(f'{t:.2f}' for t in run['seconds']):20}  {run['command']}")
    print(f"\nTRAINING {tr['rows']:,} rows")
    print(f"  leadscore, straight lines, L2 λ=1  {tr['leadscore_s']:7.2f} s  {tr['leadscore_mb']:7.0f} MB peak")
    print(f"  leadscore default (shapes, λ auto) + 1 interaction  {tr['default_s']:7.2f} s  {tr['default_mb']:7.0f} MB peak")
    print(f"  scikit-learn (C=1)  {tr['sklearn_s']:7.2f} s  {tr['sklearn_mb']:7.0f} MB peak")
    print(f"  time ratio leadscore/sklearn {tr['leadscore_s'] / tr['sklearn_s']:.2f}, default {tr['default_s'] / tr['sklearn_s']:.2f} (goal ≤ 0.2)")
    print(f"  peak memory / encoded matrix ({tr['encoded_matrix_mb']:.0f} MB): {tr['leadscore_mb'] / tr['encoded_matrix_mb']:.2f} (goal ≤ 1.5)")
    print(f"  coefficients vs scikit-learn on the same design: max relative difference {tr['coefficient_max_rel_diff']:.1e}")
    for row in results["scoring"]:
        n = row["rows"]
        print(f"\nSCORING {n:,} rows, CSV in → CSV out (model: shapes + 1 interaction unless said)")
        for key, label in [("cat", "floor: cat > /dev/null"), ("duckdb_read", "floor: DuckDB typed read only"),
                           ("floor_parse", "floor: leadscore parse only"), ("floor_resolve", "floor: leadscore parse+resolve"),
                           ("leadscore", "leadscore (2 threads)"), ("leadscore_1thread", "leadscore (1 thread)"), ("reasons3", "leadscore --reasons 3"),
                           ("duckdb", "DuckDB shell, typed (2 thr.)"), ("duckdb_reasons3", "DuckDB typed, 3 reasons"), ("duckdb_text", "DuckDB, text columns"),
                           ("linear", "leadscore, straight lines"), ("duckdb_expr", "DuckDB, one expression, str. lines"),
                           ("duckdb_linear", "DuckDB exported typed, str. lines"),
                           ("sklearn", "scikit-learn (straight lines)")]:
            if key + "_s" in row:
                mb = row.get(key + "_mb")
                print(f"  {label:32} {row[key + '_s']:7.2f} s  {n / row[key + '_s'] / 1e6:6.2f} M rows/s" + (f"  {mb:7.0f} MB peak" if mb else ""))
        def best(key):
            return min(row[key + "_s"], row.get(key + "_inprocess_s", float("inf")))
        for key, label in [("duckdb_expr", "one expression, in-process"), ("duckdb", "exported typed, in-process"), ("duckdb_reasons3", "3 reasons, in-process")]:
            if key + "_inprocess_s" in row:
                print(f"  DuckDB {label:28} {row[key + '_inprocess_s']:7.2f} s  {n / row[key + '_inprocess_s'] / 1e6:6.2f} M rows/s  (query only)")
        print(f"  ratio vs DuckDB's best (rows/s, goal ≥ 2): straight lines vs one hand-written expression {best('duckdb_expr') / row['linear_s']:.2f}×; "
              f"shapes + interaction vs the exported typed query {best('duckdb') / row['leadscore_s']:.2f}×; "
              f"with 3 reasons {best('duckdb_reasons3') / row['reasons3_s']:.2f}× (goal ≥ 1.5)")
        print(f"  leadscore's time over the cat floor: {row['leadscore_s'] / row['cat_s']:.1f}×; DuckDB's over its read-only floor: {row['duckdb_s'] / row['duckdb_read_s']:.1f}×")
        if "floor_parse_s" in row:
            print(f"  straight lines over leadscore's own parse floor: {row['linear_s'] / row['floor_parse_s']:.2f}×, over parse+resolve: {row['linear_s'] / row['floor_resolve_s']:.2f}×")
        if "sklearn_s" in row:
            print(f"  ratio vs scikit-learn (straight lines both): {row['sklearn_s'] / row['linear_s']:.1f}× (goal ≥ 10)")
        if "max_abs_diff_vs_duckdb" in row:
            print(f"  probabilities vs DuckDB: max abs difference {row['max_abs_diff_vs_duckdb']:.1e} (exported query), "
                  f"{row['max_abs_diff_expr']:.1e} (hand-written expression)")


if __name__ == "__main__":
    main()
