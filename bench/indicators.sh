#!/usr/bin/env bash
# Indicators benchmark (issue: the indicators page for the whole 1,000,000-customer demo
# database, with its complaints, under 200 ms at the median, served from kept counts rather than
# a scan per request). Builds release (or uses PATRON_BENCH_BIN), generates the demo database on
# each backend (not timed; reused when it has the same size — the agenda benchmark's databases),
# times one recount (`patron indicators --refresh`, a whole process: what `patron serve` does
# every five minutes in the background), then starts `patron serve` and times RUNS GETs of the
# indicators page (signed in as the demo's general manager through the sign-in form) and of
# GET /api/v1/indicators, over loopback (curl's total time), after WARMUP untimed rounds.
# Prints and writes medians as JSON to bench/results/indicators-<date>.json.
#
# Usage: bench/indicators.sh [CUSTOMERS] [RUNS]   (orders: 10 per customer; SKIP_PG=1 skips
#                                                  PostgreSQL; PATRON_BENCH_PG_URL overrides it)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
RUNS=${2:-21}
WARMUP=${WARMUP:-5}
ORDERS=$((CUSTOMERS * 10))
work=bench/results/tmp
mkdir -p "$work"
if [ -n "${PATRON_BENCH_BIN:-}" ]; then
  bin=$PATRON_BENCH_BIN
else
  cargo build --release -p patron >&2
  bin=$PWD/target/release/patron
fi
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
sql() {
  case "$1" in
    sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
    *) psql -q -t -A "$1" -c "$2" ;;
  esac
}

# measure DB PORT NAME: prints "refresh_s page_ms api_ms complaints".
measure() {
  local db=$1 port=$2 name=$3
  if [ "$(sql "$db" "SELECT COUNT(*) FROM customers" 2>/dev/null || echo 0)" != "$CUSTOMERS" ] \
    || [ "$(sql "$db" "SELECT COUNT(*) FROM complaints" 2>/dev/null || echo 0)" = "0" ]; then
    "$bin" --db "$db" demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-serve --force >/dev/null 2>&1
  fi
  local complaints t0 t1
  complaints=$(sql "$db" "SELECT COUNT(*) FROM complaints")
  t0=$(date +%s.%N)
  "$bin" --db "$db" indicators --refresh --json >/dev/null
  t1=$(date +%s.%N)
  local refresh_s
  refresh_s=$(python3 -c "print(round($t1 - $t0, 2))")
  local token
  token=$("$bin" --db "$db" token create gm@demo.patron.example --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  "$bin" --db "$db" serve --addr "127.0.0.1:$port" >"$work/indicators-serve-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  local jar="$work/indicators-cookies-$name.txt"
  rm -f "$jar"
  curl -fs -o /dev/null -c "$jar" -d "email=gm@demo.patron.example&password=patron-demo&next=/" \
    "http://127.0.0.1:$port/sign-in"
  curl -fs -o /dev/null -b "$jar" "http://127.0.0.1:$port/indicators" \
    || { echo "indicators page failed" >&2; kill "$pid"; exit 1; }
  for _ in $(seq 1 "$WARMUP"); do
    curl -fs -o /dev/null -b "$jar" "http://127.0.0.1:$port/indicators"
    curl -fs -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/indicators"
  done
  local page=() api=()
  for _ in $(seq 1 "$RUNS"); do
    page+=("$(curl -fs -o /dev/null -w '%{time_total}' -b "$jar" "http://127.0.0.1:$port/indicators")")
    api+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/indicators")")
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local page_ms api_ms
  page_ms=$(printf '%s\n' "${page[@]}" | median | awk '{printf "%.1f", $1*1000}')
  api_ms=$(printf '%s\n' "${api[@]}" | median | awk '{printf "%.1f", $1*1000}')
  echo "$refresh_s $page_ms $api_ms $complaints"
}

read -r s_refresh s_page s_api s_complaints < <(measure "sqlite://$PWD/$work/agenda.db" 18431 sqlite)
echo "sqlite: recount ${s_refresh} s, page ${s_page} ms, api ${s_api} ms (${s_complaints} complaints)" >&2
pg_json=null
if [ "${SKIP_PG:-0}" != 1 ]; then
  base=${PATRON_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
  psql -q "$base" -c "CREATE DATABASE patron_agenda_bench" 2>/dev/null || true
  pg="${base%/*}/patron_agenda_bench"
  read -r p_refresh p_page p_api p_complaints < <(measure "$pg" 18432 postgres)
  echo "postgres: recount ${p_refresh} s, page ${p_page} ms, api ${p_api} ms (${p_complaints} complaints)" >&2
  pg_json="{\"recount_s\": $p_refresh, \"page_ms\": $p_page, \"api_ms\": $p_api, \"complaints\": $p_complaints}"
fi
out="bench/results/indicators-$(date +%Y-%m-%d).json"
cat > "$out" <<JSON
{"customers": $CUSTOMERS, "orders": $ORDERS, "runs": $RUNS, "warmup": $WARMUP,
 "target_page_ms": 200,
 "sqlite": {"recount_s": $s_refresh, "page_ms": $s_page, "api_ms": $s_api, "complaints": $s_complaints},
 "postgres": $pg_json}
JSON
cat "$out"
