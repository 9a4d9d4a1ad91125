#!/usr/bin/env bash
# Load on `leadscore serve`, from wrk on 127.0.0.1 only, bounded in time (about 2 minutes in all):
#   1. single-lead POST /v1/score: requests/s, p50/p99 latency (wrk --latency), at 16 and 64 connections,
#      with the default request log (one JSON line per request, to a file) and with --log-level notice;
#   2. batch POST /v1/score (1,000 leads of JSON Lines per request; 1,000 and 10,000 leads of CSV,
#      Content-Type: text/csv): leads/s, against `leadscore score` on the same leads (JSON Lines in
#      and out, and the same leads as CSV; and 1,000,000 leads of CSV, where the start is amortized).
# Usage: bench/serve.sh [BIN]   (default .build/release/leadscore; make bench-serve builds it)
# Needs wrk (apt-get install wrk) and python3 (to write the request bodies). Prints figures only:
# it is a benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/leadscore}
MODEL=models/leads.json
DURATION=${DURATION:-10s}
OUT=$(mktemp -d /tmp/leadscore-bench-serve.XXXXXX)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$OUT"' EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

# Leads: 200,000 new synthetic leads (seed 11), as CSV and as JSON Lines (numbers as numbers).
"$BIN" generate --rows 200000 --seed 11 --unlabeled --out "$OUT/leads.csv"
python3 - "$OUT" <<'PY'
import csv, json, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/leads.csv")))
def typed(k, v):
    if k in ("lead_id", "created_at"): return v
    if v == "": return None
    try: return int(v)
    except ValueError: return v
with open(f"{out}/leads.jsonl", "w") as f:
    for r in rows: f.write(json.dumps({k: typed(k, v) for k, v in r.items()}) + "\n")
lines = open(f"{out}/leads.jsonl").read().splitlines(True)
open(f"{out}/one.json", "w").write(lines[0])
open(f"{out}/batch.jsonl", "w").write("".join(lines[:1000]))
csv_lines = open(f"{out}/leads.csv").read().splitlines(True)
open(f"{out}/batch.csv", "w").write("".join(csv_lines[:1001]))
open(f"{out}/batch10k.csv", "w").write("".join(csv_lines[:10001]))
for name, kind in (("one.json", "application/json"), ("batch.jsonl", "application/json"),
                   ("batch.csv", "text/csv"), ("batch10k.csv", "text/csv")):
    body = open(f"{out}/{name}").read()
    open(f"{out}/{name}.lua", "w").write(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "{kind}"\nwrk.body = ' + json.dumps(body) + "\n")
PY

start_server() {  # start_server LOGFILE ARGS...: starts serve on a free port, sets SERVER and PORT
    local log=$1; shift
    : > "$log"  # emptied first: the server's redirection may come after the first look for its port
    "$BIN" serve --model "$MODEL" --port 0 "$@" 2>"$log" &
    SERVER=$!
    for _ in $(seq 1 200); do
        PORT=$(grep -o '"msg":"listening".*"port":[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' || true)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    echo "serve did not start"; cat "$log"; exit 1
}
stop_server() { kill -TERM "$SERVER"; wait "$SERVER" || true; }

# The responses are right before they are fast: the batch answer equals `score`'s rows.
start_server "$OUT/check.log"
curl -s --data-binary @"$OUT/batch.jsonl" "http://127.0.0.1:$PORT/v1/score" > "$OUT/served.jsonl"
head -n 1000 "$OUT/leads.jsonl" > "$OUT/first.jsonl"
"$BIN" score "$OUT/first.jsonl" --model "$MODEL" --format jsonl --reasons 3 --quiet > "$OUT/cli.jsonl"
cmp -s "$OUT/served.jsonl" "$OUT/cli.jsonl" && echo "check: /v1/score on 1,000 leads = leadscore score, byte for byte" \
    || { echo "check FAILED: /v1/score differs from leadscore score"; exit 1; }
for name in batch.csv batch10k.csv; do
    curl -s -H 'Content-Type: text/csv' --data-binary @"$OUT/$name" "http://127.0.0.1:$PORT/v1/score" > "$OUT/served.csv"
    "$BIN" score "$OUT/$name" --model "$MODEL" --reasons 3 --quiet > "$OUT/cli.csv"
    cmp -s "$OUT/served.csv" "$OUT/cli.csv" && echo "check: /v1/score on $name (text/csv) = leadscore score, byte for byte" \
        || { echo "check FAILED: /v1/score on $name differs from leadscore score"; exit 1; }
done
stop_server

echo
echo "== single lead, POST /v1/score ($(wc -c < "$OUT/one.json") bytes), wrk 1 thread, $DURATION each"
printf "%-34s %12s %9s %9s %9s\n" "setup" "requests/s" "p50" "p99" "errors"
for logging in info notice; do
    for conns in 16 64; do
        start_server "$OUT/serve-$logging.log" --log-level "$logging"
        wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$OUT/one.json.lua" "http://127.0.0.1:$PORT/v1/score" > "$OUT/wrk.txt"
        stop_server
        rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
        p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
        errors=$(awk '/Non-2xx|Socket errors/ {print}' "$OUT/wrk.txt" | tr '\n' ' ')
        printf "%-34s %12s %9s %9s %9s\n" "log $logging, $conns connections" "$rps" "$p50" "$p99" "${errors:-0}"
    done
done

echo
echo "== batch, POST /v1/score, wrk 1 thread, 4 connections, $DURATION each"
batch_run() {  # batch_run BODY LEADS LABEL: prints leads/s and sets RATE (leads/s)
    start_server "$OUT/serve-batch.log" --log-level notice
    wrk -t1 -c4 -d"$DURATION" --latency -s "$OUT/$1.lua" "http://127.0.0.1:$PORT/v1/score" > "$OUT/wrk.txt"
    stop_server
    local rps p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' "$OUT/wrk.txt" | tr '\n' ' ')
    RATE=$(awk -v r="$rps" -v n="$2" 'BEGIN { printf "%.0f", r * n }')
    printf "serve batch, %-34s %8.1f requests/s = %8.0f leads/s (p99 %s per request; errors %s)\n" "$3 ($(wc -c < "$OUT/$1") bytes):" "$rps" "$RATE" "$p99" "${errors:-0}"
}
batch_run batch.jsonl 1000 "1,000 leads of JSON Lines"; batch_rps=$(awk -v r="$RATE" 'BEGIN { print r / 1000 }')
batch_run batch.csv 1000 "1,000 leads of CSV"; csv_rate=$RATE
batch_run batch10k.csv 10000 "10,000 leads of CSV"; csv10k_rate=$RATE

# leadscore score on the 200,000 leads: best of three, wall time.
best() {  # best CMD...: the least wall seconds of three runs
    local b=""
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
        b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { t = e - s; if (b == "" || t < b) print t; else print b }')
    done
    echo "$b"
}
jsonl_s=$(best "$BIN" score "$OUT/leads.jsonl" --model "$MODEL" --format jsonl --reasons 3 --quiet)
csv_s=$(best "$BIN" score "$OUT/leads.csv" --model "$MODEL" --reasons 3 --quiet)
# And on 1,000,000 leads of the same generator: the start and the model's load (a few ms) amortized.
"$BIN" generate --rows 1000000 --seed 11 --unlabeled --out "$OUT/leads1m.csv"
csv1m_s=$(best "$BIN" score "$OUT/leads1m.csv" --model "$MODEL" --reasons 3 --quiet)
rm -f "$OUT/leads1m.csv"
awk -v t="$jsonl_s" -v c="$csv_s" -v m="$csv1m_s" -v r="$batch_rps" -v c1="$csv_rate" -v c10="$csv10k_rate" 'BEGIN {
    served = r * 1000
    printf "leadscore score, JSON Lines in and out: 200000 leads in %.3f s = %.0f leads/s; JSON Lines batch / score = %.2f\n", t, 200000 / t, served / (200000 / t)
    printf "leadscore score, CSV in and out:        200000 leads in %.3f s = %.0f leads/s; JSON Lines batch / score = %.2f\n", c, 200000 / c, served / (200000 / c)
    printf "                                        CSV batch of 1,000 / score = %.2f, of 10,000 / score = %.2f\n", c1 / (200000 / c), c10 / (200000 / c)
    printf "leadscore score, CSV, 1,000,000 leads:  %.3f s = %.0f leads/s; CSV batch of 1,000 / score = %.2f, of 10,000 / score = %.2f\n", m, 1000000 / m, c1 / (1000000 / m), c10 / (1000000 / m)
}'
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
