#!/usr/bin/env bash
# Import benchmark (issue: ≥ 250,000 rows/s into SQLite and ≥ half of `sqlite3 .import`;
# ≥ 150,000 rows/s into PostgreSQL). Generates a 1,000,000-row orders CSV, then times, RUNS times
# each on a fresh database: `patron import orders` into SQLite, into PostgreSQL, and
# `sqlite3 .import` of the same file into a bare table (the ceiling). Prints and writes medians
# as JSON to bench/results/import-<date>.json.
#
# Usage: bench/import.sh [ROWS] [RUNS]      (PATRON_BENCH_PG_URL overrides the PostgreSQL server)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
RUNS=${2:-3}
work=bench/results/tmp
mkdir -p "$work"
csv="$work/orders-$ROWS.csv"
[ -f "$csv" ] || python3 bench/gen_orders.py "$ROWS" "$csv"
cargo build --release -p patron >&2
bin=target/release/patron
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed for the ceiling (apt-get install sqlite3)" >&2; exit 1; }
pg_admin=${PATRON_BENCH_PG_URL:-$(scripts/pg-up)}
pg_base=${pg_admin%/*}

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

sqlite_times=(); pg_times=(); ceiling_times=()
# Each timed run starts on a quiet machine: the previous run's dirty pages are written out
# (sync) and PostgreSQL's checkpoint after a million-row load is done (CHECKPOINT) before the
# clock starts, so no run pays for another's aftermath. The ceiling and the SQLite import run
# back to back, alternating, so a drift of the machine affects both alike.
settle() { sync; psql -q "$pg_admin" -c "CHECKPOINT" >/dev/null; sleep 2; }
for i in $(seq 1 "$RUNS"); do
  rm -f "$work"/ceiling.db
  settle
  t0=$(now)
  sqlite3 "$work/ceiling.db" \
    "CREATE TABLE orders (customer_ref TEXT, date TEXT, product_ref TEXT, product_line TEXT, quantity INTEGER, amount REAL);" \
    ".mode csv" ".import --skip 1 $csv orders"
  t1=$(now); ceiling_times+=("$(echo "$t1 - $t0" | bc)")

  rm -f "$work"/bench.db*
  settle
  t0=$(now)
  "$bin" --db "sqlite://$work/bench.db" import orders "$csv" --json > "$work/sqlite.json"
  t1=$(now); sqlite_times+=("$(echo "$t1 - $t0" | bc)")

  db="patron_bench_$$_$i"
  psql -q "$pg_admin" -c "CREATE DATABASE $db" >/dev/null
  settle
  t0=$(now)
  "$bin" --db "$pg_base/$db" import orders "$csv" --json > "$work/pg.json"
  t1=$(now); pg_times+=("$(echo "$t1 - $t0" | bc)")
  psql -q "$pg_admin" -c "DROP DATABASE $db" >/dev/null
done
created=$(python3 -c "import json;print(json.load(open('$work/sqlite.json'))['created'])")
[ "$created" = "$ROWS" ] || { echo "SQLite import created $created of $ROWS" >&2; exit 1; }
created=$(python3 -c "import json;print(json.load(open('$work/pg.json'))['created'])")
[ "$created" = "$ROWS" ] || { echo "PostgreSQL import created $created of $ROWS" >&2; exit 1; }

s=$(printf '%s\n' "${sqlite_times[@]}" | median)
p=$(printf '%s\n' "${pg_times[@]}" | median)
c=$(printf '%s\n' "${ceiling_times[@]}" | median)
out="bench/results/import-$(date +%Y-%m-%d).json"
python3 - "$ROWS" "$RUNS" "$s" "$p" "$c" "$out" <<'PY'
import json, os, platform, sys
rows, runs = int(sys.argv[1]), int(sys.argv[2])
s, p, c = map(float, sys.argv[3:6])
res = {
    "benchmark": "import orders CSV",
    "rows": rows, "runs": runs, "statistic": "median",
    "machine": {"cpus": os.cpu_count(), "system": platform.platform()},
    "sqlite": {"seconds": s, "rows_per_second": rows / s},
    "postgres": {"seconds": p, "rows_per_second": rows / p},
    "sqlite3_import_ceiling": {"seconds": c, "rows_per_second": rows / c},
    "sqlite_share_of_ceiling": c / s,
    "targets": {"sqlite_rows_per_second": 250000, "sqlite_share_of_ceiling": 0.5, "postgres_rows_per_second": 150000},
}
json.dump(res, open(sys.argv[6], "w"), indent=2)
print(json.dumps(res, indent=2))
PY
