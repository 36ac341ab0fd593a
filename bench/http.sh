#!/usr/bin/env bash
# HTTP load benchmark (issue 7, point 1): `patron serve` on the demo database under wrk over
# loopback, at 1, 16 and 64 connections, for the main endpoints of the API:
#   healthz      GET /healthz — a constant through the same server stack: the ceiling
#   overview     GET /api/v1/customers/{id}/overview (the customer page's data; random ids)
#   search       GET /api/v1/customers?q=张伟 (the customer list with a two-character CJK search)
#   agenda       GET /api/v1/agenda (the demo's general manager, who sees every customer)
#   indicators   GET /api/v1/indicators
#   interaction  POST /api/v1/interactions (logging a visit: a write, so measured last)
# All API requests carry the general manager's personal API token (Authorization: Bearer).
# For each measurement: requests/s, latency p50/p90/p99/max (wrk's, from bench/http.lua's
# done() hook), errors (socket errors + responses ≥ 400), the share of the ceiling's
# requests/s at the same connection count, and the load average before and after. The server's
# memory (VmHWM, VmRSS, RssAnon, RssFile of /proc/<pid>/status) is read after the reads and
# again after the writes. Before measuring, the server's start-up jobs (the indicator recount,
# the agenda warm-up) are waited for, each endpoint is checked to answer 2xx and warmed for
# WARMUP seconds at 16 connections.
# Demo databases are kept (bench/results/tmp/http-<customers>.db; PostgreSQL database
# patron_http_bench_<customers>)
# and reused when they hold CUSTOMERS customers. Writes
# bench/results/http-<backend>-<date>[-<customers>].json.
#
# Usage: bench/http.sh [CUSTOMERS]   (default 1000000; orders 10 per customer)
#   DURATION=10      wrk seconds per measurement        WARMUP=3    warm-up seconds per endpoint
#   CONNECTIONS="1 16 64"                               SKIP_PG=1   SQLite only
#   SKIP_SQLITE=1  PostgreSQL only
#   ENDPOINTS="healthz overview"  only these (healthz first: the others' share is of its rate)
#   PATRON_BENCH_PG_URL=postgres://…/db  the PostgreSQL server (default: scripts/pg-up)
#   PATRON_BENCH_BIN=path  use this binary as it is (default: cargo build --release -p patron)
#   SERVE_RUST_LOG   the server's log filter (default: the server's own, info: a line per request)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
ORDERS=$((CUSTOMERS * 10))
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-1 16 64}
work=bench/results/tmp
mkdir -p "$work"
day=$(date +%Y-%m-%d)
suffix=""
[ "$CUSTOMERS" = 1000000 ] || suffix="-$CUSTOMERS"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)" >&2; exit 1; }
if [ -n "${PATRON_BENCH_BIN:-}" ]; then
  bin=$PATRON_BENCH_BIN
else
  nice -n 10 cargo build --release -p patron >&2
  bin=$PWD/target/release/patron
fi
log() { echo "http.sh: $*" >&2; }

# sql DB STATEMENT: runs one statement with the backend's own shell.
sql() {
  case "$1" in
    sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
    *) psql -q -t -A "$1" -c "$2" ;;
  esac
}

# prepare DB: generates the demo database unless it already holds CUSTOMERS customers; prints
# the seconds the generation took (0 when reused).
prepare() {
  local db=$1 t0
  if [ "$(sql "$db" "SELECT COUNT(*) FROM customers" 2>/dev/null || echo 0)" = "$CUSTOMERS" ]; then
    echo 0; return
  fi
  log "generating the demo database ($CUSTOMERS customers, $ORDERS orders) in $db"
  t0=$(date +%s.%N)
  "$bin" --db "$db" demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-serve --force >/dev/null 2>&1
  echo "$(date +%s.%N) - $t0" | bc
}

# status_of METHOD PATH [BODY]: the HTTP status of one request.
status_of() {
  local args=(-s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$base$2"
}

# one_run ENDPOINT CONNECTIONS SECONDS [RECORD]: one wrk run; with RECORD, appends its result
# (one JSON line) to $records.
one_run() {
  local ep=$1 c=$2 secs=$3 threads=2 la0 la1 f="$work/wrk-$$.json"
  [ "$c" -ge 2 ] || threads=1
  la0=$(cut -d' ' -f1-3 /proc/loadavg)
  rm -f "$f"
  PATRON_TOKEN=$token BENCH_ENDPOINT=$ep BENCH_CUSTOMERS=$CUSTOMERS BENCH_OUT=$f \
    wrk -t"$threads" -c"$c" -d"${secs}s" --timeout 10s -s bench/http.lua "$base" >"$work/wrk-$$.txt"
  la1=$(cut -d' ' -f1-3 /proc/loadavg)
  [ -s "$f" ] || { cat "$work/wrk-$$.txt" >&2; log "wrk wrote no result"; exit 1; }
  if [ -n "${4:-}" ]; then
    python3 - "$f" "$ep" "$c" "$threads" "$la0" "$la1" >>"$records" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(endpoint=sys.argv[2], connections=int(sys.argv[3]), threads=int(sys.argv[4]),
         loadavg_start=sys.argv[5], loadavg_end=sys.argv[6])
print(json.dumps(r))
PY
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); e=r["errors"]; print("http.sh: %-11s c=%-3s %9.1f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %d" % (sys.argv[2], sys.argv[3], r["requests"]/(r["duration_us"]/1e6), r["latency_us"]["p50"]/1000, r["latency_us"]["p99"]/1000, sum(e.values())))' "$f" "$ep" "$c" >&2
  fi
}

# memory NAME: appends the server's memory figures to $records as one JSON line.
memory() {
  python3 - "$pid" "$1" >>"$records" <<'PY'
import json, sys
st = {}
for line in open(f"/proc/{sys.argv[1]}/status"):
    k, _, v = line.partition(":")
    if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
        st[k + "_kb"] = int(v.split()[0])
print(json.dumps({"memory": sys.argv[2], **st}))
PY
}

# measure DB PORT NAME: the whole benchmark on one backend.
measure() {
  local db=$1 port=$2 name=$3 gen_s out t_start
  gen_s=$(prepare "$db")
  token=$("$bin" --db "$db" token create gm@demo.patron.example --json \
    | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  base="http://127.0.0.1:$port"
  records="$work/http-$name-$$.jsonl"
  : >"$records"
  local serve_log="$work/http-serve-$name.log"
  if [ -n "${SERVE_RUST_LOG:-}" ]; then
    RUST_LOG=$SERVE_RUST_LOG "$bin" --db "$db" serve --addr "127.0.0.1:$port" >"$serve_log" 2>&1 &
  else
    "$bin" --db "$db" serve --addr "127.0.0.1:$port" >"$serve_log" 2>&1 &
  fi
  pid=$!
  t_start=$(date +%s)
  for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
  # The start-up jobs (indicator recount: about 16 s at 1,000,000 customers) would compete with
  # the first measurements.
  log "$name: waiting for the server's start-up indicator recount"
  for _ in $(seq 1 600); do grep -q "indicators counted" "$serve_log" && break; sleep 1; done
  sleep 2
  memory started
  local body
  body=$(printf '{"customer_id":%d,"kind":"visit","outcome":"benchmark"}' "$CUSTOMERS")
  for check in "GET /healthz" "GET /api/v1/customers/1/overview" \
    "GET /api/v1/customers?q=%E5%BC%A0%E4%BC%9F" "GET /api/v1/agenda" "GET /api/v1/indicators"; do
    s=$(status_of "${check%% *}" "${check#* }")
    case "$s" in 2??) ;; *) log "$check answered $s"; kill "$pid"; exit 1 ;; esac
  done
  s=$(status_of POST /api/v1/interactions "$body")
  case "$s" in 2??) ;; *) log "POST /api/v1/interactions answered $s"; kill "$pid"; exit 1 ;; esac
  for ep in ${ENDPOINTS:-healthz overview search agenda indicators interaction}; do
    [ "$ep" = interaction ] && memory after_reads
    one_run "$ep" 16 "$WARMUP"
    for c in $CONNECTIONS; do one_run "$ep" "$c" "$DURATION" record; done
  done
  memory after_writes
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local recounts
  recounts=$(grep -c "indicators counted" "$serve_log" || true)
  out="bench/results/http-$name-$day$suffix.json"
  python3 bench/http_report.py "$records" "$out" "$name" "$CUSTOMERS" "$ORDERS" "$DURATION" \
    "$gen_s" "$(($(date +%s) - t_start))" "$recounts"
  rm -f "$records" "$work/wrk-$$.json" "$work/wrk-$$.txt"
}

if [ "${SKIP_SQLITE:-0}" != 1 ]; then
  measure "sqlite://$work/http-$CUSTOMERS.db" 18941 sqlite
fi
if [ "${SKIP_PG:-0}" != 1 ]; then
  pg_admin=${PATRON_BENCH_PG_URL:-$(scripts/pg-up)}
  pg_db=patron_http_bench_$CUSTOMERS
  psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null 2>&1 || true
  measure "${pg_admin%/*}/$pg_db" 18942 postgres
fi
