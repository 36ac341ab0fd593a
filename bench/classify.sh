#!/usr/bin/env bash
# Classification and model benchmark (issue: `patron classify` + `patron model fit` + `patron
# model score` on the 1,000,000-customer / 10,000,000-order demo database under 5 s on SQLite and
# under 10 s on PostgreSQL). Builds in release mode, generates the demo database on each backend
# (not timed; the demo already classifies, fits and scores once, writing every customer's first
# classes and scores and keeping every customer's folded orders), then times RUNS rounds of
# classify (a re-run the same day: the classes recomputed from the kept folds and compared, only
# the rows whose content changed written — none when no order arrived), model fit and model score
# (which writes nothing but its time when the scores are the last run's). Last, RUNS rounds of
# the daily sequence, each as of the next day in turn: the classify refolds the customers with an
# order at a moved boundary and rewrites the class rows whose classes, revenue or purchases
# changed (about 1%; the values that move with the day alone are not stored, see migration
# 0027) and the ranking; the fit and score after it (no order arrived, so the calibration end
# and the scores stay). Prints and writes medians as JSON to bench/results/classify-<date>.json.
#
# Usage: bench/classify.sh [CUSTOMERS] [RUNS]   (orders: 10 per customer; PATRON_BENCH_PG_URL
#                                                overrides the PostgreSQL server; SKIP_PG=1 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
RUNS=${2:-3}
ORDERS=$((CUSTOMERS * 10))
work=bench/results/tmp
mkdir -p "$work"
cargo build --release -p patron >&2
bin=target/release/patron

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
timed() { local t0 t1; t0=$(now); "$@" >/dev/null; t1=$(now); echo "$t1 - $t0" | bc; }

# Times one backend; prints "classify fit score new_day new_day_fit new_day_score" (medians of
# RUNS rounds each; the new-day rounds run as of the next RUNS days in turn).
measure() {
  local db=$1 c=() f=() s=() n=() nf=() ns=()
  "$bin" --db "$db" demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-serve --force >/dev/null 2>&1
  for _ in $(seq 1 "$RUNS"); do
    sync
    c+=("$(timed "$bin" --db "$db" classify --json)")
    f+=("$(timed "$bin" --db "$db" model fit --json)")
    s+=("$(timed "$bin" --db "$db" model score --json)")
  done
  for i in $(seq 1 "$RUNS"); do
    sync
    n+=("$(timed "$bin" --db "$db" classify --as-of "$(date -u -d "+$i days" +%Y-%m-%d)" --json)")
    nf+=("$(timed "$bin" --db "$db" model fit --json)")
    ns+=("$(timed "$bin" --db "$db" model score --json)")
  done
  echo "$(printf '%s\n' "${c[@]}" | median) $(printf '%s\n' "${f[@]}" | median) $(printf '%s\n' "${s[@]}" | median)" \
    "$(printf '%s\n' "${n[@]}" | median) $(printf '%s\n' "${nf[@]}" | median) $(printf '%s\n' "${ns[@]}" | median)"
}

rm -f "$work"/classify.db*
read -r s_c s_f s_s s_n s_nf s_ns < <(measure "sqlite://$work/classify.db")
p_c=null p_f=null p_s=null p_n=null p_nf=null p_ns=null
if [ "${SKIP_PG:-0}" != 1 ]; then
  pg_admin=${PATRON_BENCH_PG_URL:-$(scripts/pg-up)}
  pg_db="patron_classify_bench_$$"
  psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null
  read -r p_c p_f p_s p_n p_nf p_ns < <(measure "${pg_admin%/*}/$pg_db")
  psql -q "$pg_admin" -c "DROP DATABASE $pg_db" >/dev/null
fi
out="bench/results/classify-$(date +%Y-%m-%d).json"
python3 - "$CUSTOMERS" "$ORDERS" "$RUNS" "$out" "$s_c" "$s_f" "$s_s" "$s_n" "$s_nf" "$s_ns" \
  "$p_c" "$p_f" "$p_s" "$p_n" "$p_nf" "$p_ns" <<'PY'
import json, os, platform, sys
customers, orders, runs, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def backend(v):
    if v[0] == "null":
        return None
    c, f, s, n, nf, ns = map(float, v)
    return {"classify_s": c, "model_fit_s": f, "model_score_s": s,
            "classify_fit_score_s": c + f + s, "classify_new_day_s": n,
            "new_day_fit_s": nf, "new_day_score_s": ns,
            "new_day_classify_fit_score_s": n + nf + ns}
res = {
    "benchmark": "classify + model fit + model score",
    "customers": customers, "orders": orders, "runs": runs, "statistic": "median",
    "machine": {"cpus": os.cpu_count(), "system": platform.platform()},
    "sqlite": backend(sys.argv[5:11]),
    "postgres": backend(sys.argv[11:17]),
    "targets": {"sqlite_s": 5, "postgres_s": 10},
}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
