"""DuckDB timed inside its own process (the Python package, DuckDB 2.x): the clock starts after
`import duckdb` and `connect()`, and stops when `COPY (query) TO 'out.csv'` returns, so neither
Python's start-up nor the import is counted. Prints the seconds of each run, one per line.

  python3 bench/duckdb_inprocess.py --repeat 3 "SET threads = 2; COPY (...) TO '...' (HEADER);"

The script is run by bench/run.py beside the DuckDB shell's whole-process figure: whichever is
faster is DuckDB's figure in the ratios (its best honest setup).
"""
import argparse
import time

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sql", help="statements separated by '; ', the last one timed")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--warm", help="a file to read once before each run (page cache)")
    args = ap.parse_args()
    statements = [s for s in args.sql.split("; ") if s.strip()]
    con = duckdb.connect()
    for s in statements[:-1]:
        con.execute(s)
    for _ in range(args.repeat):
        if args.warm:
            with open(args.warm, "rb") as f:
                while f.read(1 << 24):
                    pass
        start = time.perf_counter()
        con.execute(statements[-1])
        print(f"{time.perf_counter() - start:.4f}", flush=True)


if __name__ == "__main__":
    main()
