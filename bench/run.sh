#!/usr/bin/env bash
# The whole benchmark in one command (issue 7, point 1). Builds in release mode, then:
#   1. import rate: bench/import.sh IMPORT_ROWS IMPORT_RUNS (an orders CSV into SQLite and into
#      PostgreSQL, against `sqlite3 .import`; it always measures PostgreSQL, so SKIP_PG=1 skips
#      it too);
#   2. classify + model fit + model score: bench/classify.sh CUSTOMERS CLASSIFY_RUNS (its own
#      demo databases, on SQLite and PostgreSQL);
#   3. HTTP load: bench/http.sh CUSTOMERS (the demo database on SQLite and on PostgreSQL; wrk at
#      1, 16 and 64 connections on the customer overview, a CJK list search, the agenda, the
#      indicators and logging a visit, each as a share of GET /healthz; the server's peak
#      memory);
#   4. soak: bench/soak.sh SOAK_MINUTES on SQLite (a mixed load at half the maximum rate).
# Each step writes its own JSON under bench/results/; this script gathers them, with the machine
# and the load average before and after each step, into bench/results/run-<date>[-<customers>].json.
# See docs/performance.md for the figures and bench/README.md for each step.
#
# Usage: bench/run.sh [CUSTOMERS]   (default 1000000; orders 10 per customer)
#   SKIP_PG=1 SKIP_IMPORT=1 SKIP_CLASSIFY=1 SKIP_HTTP=1 SKIP_SOAK=1   leave steps out
#   DURATION=10        wrk seconds per HTTP measurement
#   IMPORT_ROWS=CUSTOMERS  IMPORT_RUNS=3  CLASSIFY_RUNS=3  SOAK_MINUTES=10
#   PATRON_BENCH_PG_URL=postgres://…/db   the PostgreSQL server (default: scripts/pg-up)
#   PATRON_BENCH_BIN=path   HTTP and soak steps use this binary as it is, and nothing is built
#                           (import.sh and classify.sh always build and use target/release)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
export DURATION=${DURATION:-10}
IMPORT_ROWS=${IMPORT_ROWS:-$CUSTOMERS}
IMPORT_RUNS=${IMPORT_RUNS:-3}
CLASSIFY_RUNS=${CLASSIFY_RUNS:-3}
SOAK_MINUTES=${SOAK_MINUTES:-10}
day=$(date +%Y-%m-%d)
suffix=""
[ "$CUSTOMERS" = 1000000 ] || suffix="-$CUSTOMERS"
mkdir -p bench/results/tmp
steps=bench/results/tmp/run-steps-$$.jsonl
: >"$steps"
log() { echo "run.sh: $*" >&2; }

if [ -z "${PATRON_BENCH_BIN:-}" ]; then
  nice -n 10 cargo build --release -p patron >&2
  export PATRON_BENCH_BIN=$PWD/target/release/patron
fi

# step NAME RESULT_FILE COMMAND...: runs one step, records its time, load average and result.
step() {
  local name=$1 result=$2 t0 la0 rc=0
  shift 2
  log "$name: $*"
  la0=$(cut -d' ' -f1-3 /proc/loadavg)
  t0=$(date +%s)
  "$@" || rc=$?
  python3 - "$name" "$result" "$la0" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(($(date +%s) - t0))" \
    "$rc" "$*" >>"$steps" <<'PY'
import json, os, sys
name, result, la0, la1, secs, rc, cmd = sys.argv[1:8]
print(json.dumps({"step": name, "command": cmd, "exit_status": int(rc), "seconds": int(secs),
                  "loadavg_start": la0, "loadavg_end": la1, "result_file": result,
                  "result": json.load(open(result)) if int(rc) == 0 and os.path.exists(result) else None}))
PY
  [ "$rc" = 0 ] || log "$name failed (exit status $rc); going on"
}

if [ "${SKIP_IMPORT:-0}" != 1 ] && [ "${SKIP_PG:-0}" != 1 ]; then
  step import "bench/results/import-$day.json" bench/import.sh "$IMPORT_ROWS" "$IMPORT_RUNS"
fi
if [ "${SKIP_CLASSIFY:-0}" != 1 ]; then
  step classify "bench/results/classify-$day.json" bench/classify.sh "$CUSTOMERS" "$CLASSIFY_RUNS"
fi
if [ "${SKIP_HTTP:-0}" != 1 ]; then
  step http "bench/results/http-sqlite-$day$suffix.json" bench/http.sh "$CUSTOMERS"
  if [ "${SKIP_PG:-0}" != 1 ]; then
    # bench/http.sh measured both backends; record PostgreSQL's file as a step of its own.
    python3 - "bench/results/http-postgres-$day$suffix.json" >>"$steps" <<'PY'
import json, os, sys
f = sys.argv[1]
print(json.dumps({"step": "http-postgres", "result_file": f,
                  "result": json.load(open(f)) if os.path.exists(f) else None}))
PY
  fi
fi
if [ "${SKIP_SOAK:-0}" != 1 ]; then
  step soak "bench/results/soak-sqlite-$day$suffix.json" \
    env CUSTOMERS="$CUSTOMERS" BACKEND=sqlite bench/soak.sh "$SOAK_MINUTES"
fi

out="bench/results/run-$day$suffix.json"
python3 - "$steps" "$out" "$CUSTOMERS" <<'PY'
import json, os, platform, sys
from datetime import datetime, timezone
steps = [json.loads(l) for l in open(sys.argv[1])]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
env = {k: os.environ[k] for k in ("SKIP_PG", "SKIP_IMPORT", "SKIP_CLASSIFY", "SKIP_HTTP",
                                   "SKIP_SOAK", "DURATION", "IMPORT_ROWS", "IMPORT_RUNS",
                                   "CLASSIFY_RUNS", "SOAK_MINUTES") if k in os.environ}
res = {"benchmark": "bench/run.sh", "customers": int(sys.argv[3]), "orders": int(sys.argv[3]) * 10,
       "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "options": env,
       "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "mem_total_kb": mem,
                   "system": platform.platform(), "shared": True},
       "steps": steps}
json.dump(res, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
print(f"run.sh: wrote {sys.argv[2]}", file=sys.stderr)
PY
rm -f "$steps"
