#!/usr/bin/env bash
# The floor under SQLite's share of the ceiling: how long SQLite itself takes to write what a
# 1,000,000-row orders import must write (the orders, their lines, the orders index, and the
# commit), with no parsing, no validation and no binding at all — INSERT … SELECT from a database
# the import already filled, in the sqlite3 shell — next to `sqlite3 .import` of the same CSV into
# one bare table (the ceiling). Neither figure includes the 100,000 customers the import also
# creates. Prints the medians of RUNS runs.
#
# Usage: bench/sqlite_floor.sh [RUNS]     (run bench/import.sh first: it leaves the CSV and a
#                                          filled database under bench/results/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
work=bench/results/tmp
csv="$work/orders-1000000.csv"
src="$work/bench.db"
[ -f "$csv" ] && [ -f "$src" ] || { echo "run bench/import.sh first" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
schema_orders=$(sqlite3 "$src" "SELECT sql FROM sqlite_master WHERE name = 'orders'")
schema_lines=$(sqlite3 "$src" "SELECT sql FROM sqlite_master WHERE name = 'order_lines'")
index=$(sqlite3 "$src" "SELECT sql FROM sqlite_master WHERE name = 'orders_customer_date'")
floor=(); ceiling=()
for i in $(seq 1 "$RUNS"); do
  rm -f "$work"/floor.db* "$work"/ceiling.db
  sync
  t0=$(now)
  sqlite3 "$work/floor.db" "PRAGMA journal_mode = WAL;" "PRAGMA synchronous = FULL;" \
    "ATTACH '$src' AS src;" "BEGIN;" "$schema_orders;" "$schema_lines;" \
    "INSERT INTO orders SELECT * FROM src.orders;" "$index;" \
    "INSERT INTO order_lines SELECT * FROM src.order_lines;" "COMMIT;" >/dev/null
  t1=$(now); floor+=("$(echo "$t1 - $t0" | bc)")
  sync
  t0=$(now)
  sqlite3 "$work/ceiling.db" \
    "CREATE TABLE orders (customer_ref TEXT, date TEXT, product_ref TEXT, product_line TEXT, quantity INTEGER, amount REAL);" \
    ".mode csv" ".import --skip 1 $csv orders"
  t1=$(now); ceiling+=("$(echo "$t1 - $t0" | bc)")
done
f=$(printf '%s\n' "${floor[@]}" | median)
c=$(printf '%s\n' "${ceiling[@]}" | median)
echo "SQLite writing the import's orders, lines and index (INSERT … SELECT): median ${f} s"
echo "sqlite3 .import ceiling:                                            median ${c} s"
echo "best share of the ceiling an import could reach: $(echo "scale=2; $c / $f" | bc)"
