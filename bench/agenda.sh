#!/usr/bin/env bash
# Agenda benchmark (issue: building one user's agenda in the 1,000,000-customer demo database —
# a representative with 2,000 customers under 50 ms, a general manager who sees all under
# 500 ms, at the median). Builds in release mode, generates the demo database on each backend
# (not timed; reused when it is there with the same size), gives a benchmark representative every
# 500th customer (2,000 of 1,000,000) and one visit to each of a tenth of them, starts
# `patron serve`, and times RUNS requests of GET /api/v1/agenda for that representative and for
# the demo's general manager, and of the representative's iCalendar feed (four weeks), over
# loopback (curl's total time: the whole request, server work included). Prints and writes
# medians as JSON to bench/results/agenda-<date>.json. The server logs each agenda's steps
# (RUST_LOG=info,patron_store=debug; it waits for the start-up indicator recount first) to bench/results/tmp/agenda-serve-<backend>.log.
#
# Usage: bench/agenda.sh [CUSTOMERS] [RUNS]   (orders: 10 per customer; PATRON_BENCH_PG_URL
#                                              overrides the PostgreSQL server; SKIP_PG=1 skips it,
#                                              SKIP_SQLITE=1 skips SQLite; OUT names the JSON;
#                                              PATRON_BENCH_BIN uses a built binary as it is;
#                                              WARMUP rounds, untimed, first: default 10, as a
#                                              server that has been running a while)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
RUNS=${2:-21}
WARMUP=${WARMUP:-10}
ORDERS=$((CUSTOMERS * 10))
EVERY=$((CUSTOMERS / 2000))
[ "$EVERY" -ge 1 ] || EVERY=1
work=bench/results/tmp
mkdir -p "$work"
if [ -n "${PATRON_BENCH_BIN:-}" ]; then
  bin=$PATRON_BENCH_BIN
else
  cargo build --release -p patron >&2
  bin=$PWD/target/release/patron
fi
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# sql DB STATEMENT: runs one statement with the backend's own shell.
sql() {
  case "$1" in
    sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
    *) psql -q -t -A "$1" -c "$2" ;;
  esac
}

# measure DB PORT NAME: prints "rep_ms gm_ms rep_items gm_items feed_ms feed_events".
measure() {
  local db=$1 port=$2 name=$3
  if [ "$(sql "$db" "SELECT COUNT(*) FROM customers" 2>/dev/null || echo 0)" != "$CUSTOMERS" ]; then
    "$bin" --db "$db" demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-serve --force >/dev/null 2>&1
  fi
  if [ -z "$(sql "$db" "SELECT id FROM users WHERE email = 'bench-rep@example.com'")" ]; then
    echo "bench-password" | "$bin" --db "$db" user add bench-rep@example.com --role sales \
      --name "Bench Rep" >/dev/null
    sql "$db" "UPDATE customers SET owner_id = (SELECT id FROM users WHERE email = 'bench-rep@example.com'), relationship_manager_id = NULL WHERE id % $EVERY = 0" >/dev/null
    sql "$db" "INSERT INTO interactions (customer_id, kind, occurred_at, staff_id, created_at) SELECT id, 'visit', created_at, owner_id, created_at FROM customers WHERE id % ($EVERY * 10) = 0" >/dev/null
  fi
  local rep_token gm_token
  rep_token=$("$bin" --db "$db" token create bench-rep@example.com --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  gm_token=$("$bin" --db "$db" token create gm@demo.patron.example --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  RUST_LOG=info,patron_store=debug "$bin" --db "$db" serve --addr "127.0.0.1:$port" \
    >"$work/agenda-serve-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  # The start-up indicator recount (11-16 s at 1,000,000 customers) would compete for the two
  # cores with the requests measured.
  for _ in $(seq 1 600); do grep -q "indicators counted" "$work/agenda-serve-$name.log" && break; sleep 1; done
  local rep=() gm=() rep_n gm_n
  rep_n=$(curl -fs -H "Authorization: Bearer $rep_token" "http://127.0.0.1:$port/api/v1/agenda" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))')
  gm_n=$(curl -fs -H "Authorization: Bearer $gm_token" "http://127.0.0.1:$port/api/v1/agenda" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))')
  local feed feed_n feeds=()
  feed=$(curl -fs -X POST -H "Authorization: Bearer $rep_token" "http://127.0.0.1:$port/api/v1/agenda/calendar-feed" | python3 -c 'import json,sys;print(json.load(sys.stdin)["path"])')
  feed_n=$(curl -fs "http://127.0.0.1:$port$feed" | grep -c '^BEGIN:VEVENT' || true)
  for _ in $(seq 1 "$WARMUP"); do
    for t in "$rep_token" "$gm_token"; do
      curl -fs -o /dev/null -H "Authorization: Bearer $t" "http://127.0.0.1:$port/api/v1/agenda"
    done
    curl -fs -o /dev/null "http://127.0.0.1:$port$feed"
  done
  for _ in $(seq 1 "$RUNS"); do
    rep+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $rep_token" "http://127.0.0.1:$port/api/v1/agenda")")
    gm+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $gm_token" "http://127.0.0.1:$port/api/v1/agenda")")
    feeds+=("$(curl -fs -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$feed")")
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(printf '%s\n' "${rep[@]}" | median | awk '{print $1*1000}') $(printf '%s\n' "${gm[@]}" | median | awk '{print $1*1000}') $rep_n $gm_n $(printf '%s\n' "${feeds[@]}" | median | awk '{print $1*1000}') $feed_n"
}

s_rep=null s_gm=null s_rn=null s_gn=null s_feed=null s_fn=null
if [ "${SKIP_SQLITE:-0}" != 1 ]; then
  read -r s_rep s_gm s_rn s_gn s_feed s_fn < <(measure "sqlite://$work/agenda.db" 18931 sqlite)
fi
p_rep=null p_gm=null p_rn=null p_gn=null p_feed=null p_fn=null
if [ "${SKIP_PG:-0}" != 1 ]; then
  pg_admin=${PATRON_BENCH_PG_URL:-$(scripts/pg-up)}
  pg_db="patron_agenda_bench"
  psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null 2>&1 || true
  read -r p_rep p_gm p_rn p_gn p_feed p_fn < <(measure "${pg_admin%/*}/$pg_db" 18932 postgres)
fi
out=${OUT:-bench/results/agenda-$(date +%Y-%m-%d).json}
python3 - "$CUSTOMERS" "$RUNS" "$out" "$s_rep" "$s_gm" "$s_rn" "$s_gn" "$s_feed" "$s_fn" \
  "$p_rep" "$p_gm" "$p_rn" "$p_gn" "$p_feed" "$p_fn" <<'PY'
import json, os, platform, sys
customers, runs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def backend(v):
    if v[0] == "null":
        return None
    return {"representative_2000_customers_ms": float(v[0]), "general_manager_ms": float(v[1]),
            "representative_items": int(v[2]), "general_manager_items": int(v[3]),
            "representative_calendar_feed_ms": float(v[4]),
            "representative_calendar_events": int(v[5])}
res = {
    "benchmark": "GET /api/v1/agenda (whole request over loopback)",
    "customers": customers, "runs": runs, "warmup_rounds": int(os.environ.get("WARMUP", "10")),
    "statistic": "median",
    "machine": {"cpus": os.cpu_count(), "system": platform.platform()},
    "sqlite": backend(sys.argv[4:10]),
    "postgres": backend(sys.argv[10:16]),
    "targets_ms": {"representative_2000_customers": 50, "general_manager": 500,
                   "calendar_feed": 100},
}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
