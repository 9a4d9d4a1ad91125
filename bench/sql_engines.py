#!/usr/bin/env python3
"""Scoring 10M leads with the SQL of `leadscore export sql`: Spark SQL (local mode) and DuckDB,
beside `leadscore score`, on the same file with the same model.

  python3 bench/sql_engines.py [--rows 10000000] [--bin .build/release/leadscore] [--spark-threads 2]

Data: `leadscore generate --rows N --seed 1 --unlabeled` (made once into bench/out/). Model: the
bundled models/leads.json. Every peer writes id, probability, score, grade and three reason codes to
a CSV file. Figures:
  leadscore  wall time of the process (`/usr/bin/time`), start-up included (it is a few ms)
  DuckDB     timed inside its Python process around the one COPY statement (read_csv → query → CSV),
             2 threads; the columns read as text (all_varchar) and, for comparison, typed by
             DuckDB's own read_csv detection (the query casts them back to text)
  Spark      timed inside the driver around the query and its CSV write, local[N]; the JVM's
             start-up is given apart
Each run reads the input once beforehand so it starts from the page cache. The outputs are checked
to agree with leadscore score on the first 100,000 leads (probabilities to 1e-12 relative, the rest
equal), so every peer computes the same thing.
"""
import argparse
import csv
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def sql_query(binary, model, dialect, table="leads"):
    """The exported query without its comment lines and final semicolon, to embed in COPY or spark.sql."""
    text = subprocess.run([binary, "export", "sql", "--model", model, "--dialect", dialect, "--table", table, "--reasons", "3", "--quiet"],
                          check=True, capture_output=True, text=True).stdout
    lines = [line for line in text.splitlines() if not line.startswith("--")]
    return "\n".join(lines).rstrip().rstrip(";")


def first_rows(path, n=100_000):
    rows = {}
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            rows[row[0]] = row
            if len(rows) >= n:
                break
    return rows


def agree(reference, path_or_rows, label):
    other = path_or_rows if isinstance(path_or_rows, dict) else first_rows(path_or_rows, 10**9)
    worst = 0.0
    checked = 0
    for lead, row in reference.items():
        o = other.get(lead)
        if o is None:
            continue
        checked += 1
        p, q = float(row[1]), float(o[1])
        worst = max(worst, abs(p - q) / max(abs(p), 1e-300))
        if float(row[2]) != float(o[2]) or row[3] != o[3] or [x or "" for x in row[4:7]] != [x or "" for x in o[4:7]]:
            sys.exit(f"{label} disagrees with leadscore score on {lead}: {o} vs {row}")
    if worst > 1e-12 or checked < min(len(reference), 1000):
        sys.exit(f"{label}: {checked} leads checked, worst relative probability difference {worst:.1e}")
    return worst, checked


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "leadscore"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "leads.json"))
    ap.add_argument("--spark-threads", type=int, default=2)
    ap.add_argument("--skip", default="", help="comma-separated peers to leave out: duckdb,spark")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    binary = os.path.abspath(args.bin)
    data = os.path.join(OUT, f"new-leads-{args.rows}.csv")
    if not os.path.exists(data):
        subprocess.run([binary, "generate", "--rows", str(args.rows), "--seed", "1", "--unlabeled", "--out", data], check=True)
    size = os.path.getsize(data) / 2**20
    print(f"{args.rows:,} leads, {size:.0f} MB: {os.path.relpath(data, ROOT)}; model {os.path.relpath(args.model, ROOT)}; {os.cpu_count()} cores")
    results = {}

    # leadscore
    out = os.path.join(OUT, f"sql-bench-leadscore-{args.rows}.csv")
    warm(data)
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", binary, "score", data, "--model", args.model, "--reasons", "3", "--out", out, "--quiet"],
                       capture_output=True, text=True, check=True)
    seconds, kb = r.stderr.strip().splitlines()[-1].split()
    results["leadscore score --reasons 3 (2 threads)"] = (float(seconds), f"{int(kb) / 1024:.0f} MB peak")
    reference = first_rows(out)

    # DuckDB, in its own process, timed around the COPY
    if "duckdb" not in args.skip:
        query = sql_query(binary, args.model, "duckdb")
        for mode, reader in [("text columns (all_varchar)", "all_varchar = true"), ("typed columns (read_csv detection)", "")]:
            dout = os.path.join(OUT, f"sql-bench-duckdb-{args.rows}.csv")
            view = f"CREATE VIEW leads AS SELECT * FROM read_csv({data!r}, header = true{', ' + reader if reader else ''})"
            copy = "COPY (" + query + ") TO " + repr(dout) + " (HEADER, DELIMITER ',')"
            script = (
                "import duckdb, sys, time\n"
                "con = duckdb.connect(); con.execute('SET threads = 2')\n"
                f"con.execute({view!r})\n"
                "t = time.perf_counter()\n"
                f"con.execute({copy!r})\n"
                "print(time.perf_counter() - t)\n")
            warm(data)
            r = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-c", script], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"duckdb failed: {r.stderr[-3000:]}")
            inside = float(r.stdout.strip().splitlines()[-1])
            kb = r.stderr.strip().splitlines()[-1].split()[1]
            worst, n = agree(reference, first_rows(dout), "DuckDB")
            results[f"DuckDB 2 threads, {mode}"] = (inside, f"{int(kb) / 1024:.0f} MB peak; agrees on {n:,} leads ({worst:.0e})")
            os.remove(dout)

    # Spark SQL, local mode, one driver
    if "spark" not in args.skip:
        query = sql_query(binary, args.model, "spark")
        sout = os.path.join(OUT, f"sql-bench-spark-{args.rows}")
        script = (
            "import time\n"
            "t0 = time.perf_counter()\n"
            "from pyspark.sql import SparkSession\n"
            f"spark = (SparkSession.builder.master('local[{args.spark_threads}]').config('spark.ui.enabled', 'false')"
            ".config('spark.ui.showConsoleProgress', 'false').config('spark.driver.memory', '4g').getOrCreate())\n"
            "spark.sparkContext.setLogLevel('ERROR')\n"
            "t1 = time.perf_counter()\n"
            f"spark.read.option('header', True).csv({data!r}).createOrReplaceTempView('leads')\n"
            f"spark.sql({query!r}).write.mode('overwrite').option('header', True).csv({sout!r})\n"
            "t2 = time.perf_counter()\n"
            "print(t1 - t0, t2 - t1)\n")
        warm(data)
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-c", script], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"spark failed: {r.stderr[-3000:]}")
        startup, inside = (float(x) for x in r.stdout.strip().splitlines()[-1].split())
        kb = r.stderr.strip().splitlines()[-1].split()[1]
        parts = {}
        for part in sorted(glob.glob(os.path.join(sout, "part-*.csv"))):
            parts.update(first_rows(part, 10**9))
            if len(parts) > 2_000_000:
                break
        worst, n = agree(reference, parts, "Spark")
        results[f"Spark SQL local[{args.spark_threads}]"] = (inside, f"JVM start-up {startup:.1f} s apart; {int(kb) / 1024:.0f} MB peak; agrees on {n:,} leads ({worst:.0e})")
        subprocess.run(["rm", "-rf", sout])

    os.remove(out)
    print()
    for label, (seconds, note) in results.items():
        print(f"  {label:48} {seconds:7.2f} s  {args.rows / seconds / 1e6:5.2f} M leads/s  {1e6 * seconds / args.rows:6.3f} s per million   {note}")


if __name__ == "__main__":
    main()
