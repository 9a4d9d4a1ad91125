#!/usr/bin/env bash
# Load on `leadscore serve`, from wrk on 127.0.0.1 only, bounded in time (about 2 minutes in all):
#   1. single-lead POST /v1/score: requests/s, p50/p99 latency (wrk --latency), at 16 and 64 connections,
#      with the default request log (one JSON line per request, to a file) and with --log-level notice;
#   2. batch POST /v1/score (1,000 leads of JSON Lines per request): leads/s, against
#      `leadscore score` on the same leads (JSON Lines in and out, and the same leads as CSV).
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
for name in ("one.json", "batch.jsonl"):
    body = open(f"{out}/{name}").read()
    open(f"{out}/{name}.lua", "w").write(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ' + json.dumps(body) + "\n")
PY

start_server() {  # start_server LOGFILE ARGS...: starts serve on a free port, sets SERVER and PORT
    local log=$1; shift
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
echo "== batch, POST /v1/score with 1,000 leads of JSON Lines per request ($(wc -c < "$OUT/batch.jsonl") bytes)"
start_server "$OUT/serve-batch.log" --log-level notice
wrk -t1 -c4 -d"$DURATION" --latency -s "$OUT/batch.jsonl.lua" "http://127.0.0.1:$PORT/v1/score" > "$OUT/wrk.txt"
stop_server
batch_rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
batch_p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
awk -v r="$batch_rps" -v p="$batch_p99" 'BEGIN { printf "serve batch: %.1f requests/s = %.0f leads/s (p99 %s per 1,000-lead request)\n", r, r * 1000, p }'

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
awk -v t="$jsonl_s" -v c="$csv_s" -v r="$batch_rps" 'BEGIN {
    served = r * 1000
    printf "leadscore score, JSON Lines in and out: 200000 leads in %.3f s = %.0f leads/s; serve batch / score = %.2f\n", t, 200000 / t, served / (200000 / t)
    printf "leadscore score, CSV in and out:        200000 leads in %.3f s = %.0f leads/s; serve batch / score = %.2f\n", c, 200000 / c, served / (200000 / c)
}'
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
