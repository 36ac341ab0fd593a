#!/usr/bin/env bash
# Soak test (issue 7, point 1): `patron serve` on the demo database under a mixed load at half
# of the measured maximum rate for MINUTES minutes, in one-minute slices, each reporting the
# requests, errors, p50/p99 latency and the server's memory at its end.
#   1. The maximum: wrk with bench/http.lua's mix (customer overview 40%, CJK list search 30%,
#      agenda 10%, indicators 18%, logging a visit 2%) at 16 and at 64 connections for DURATION
#      seconds each (after WARMUP seconds); the higher rate of successful requests is the
#      maximum (RATE=N overrides it).
#   2. The soak: oha at a fixed rate (wrk cannot hold a rate) with latency correction (latencies
#      counted from when each request was due, so a stall is not hidden): the GET mix from a
#      file of URLs at 98% of the rate, and POST /api/v1/interactions at 2%, side by side, one
#      oha run per minute. After each minute: VmRSS/VmHWM/RssAnon of the server and the load
#      average.
# Verdict: no errors; the server's RSS grows at most 10% from the end of minute 1 to the end;
# p99 stable (no minute's p99 above twice the median of the minutes' p99s).
# The server's own jobs run during the soak as in production (the indicator recount every five
# minutes). The demo database is the one bench/http.sh keeps (bench/results/tmp/http-<customers>.db,
# or PostgreSQL database patron_http_bench_<customers>), generated when missing. Writes
# bench/results/soak-<backend>-<date>[-<customers>].json.
#
# Usage: bench/soak.sh [MINUTES]   (default 10)
#   CUSTOMERS=1000000  size of the demo database (orders 10 per customer)
#   BACKEND=sqlite|postgres  (default sqlite; PATRON_BENCH_PG_URL as in bench/http.sh)
#   DURATION=10  WARMUP=3  seconds of the maximum's measurement
#   RATE=N  requests/s of the soak (default: half the measured maximum)
#   PATRON_BENCH_BIN=path  use this binary as it is (default: cargo build --release -p patron)
# Needs wrk (apt-get install -y wrk) and oha (cargo install oha).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
CUSTOMERS=${CUSTOMERS:-1000000}
ORDERS=$((CUSTOMERS * 10))
BACKEND=${BACKEND:-sqlite}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
work=bench/results/tmp
mkdir -p "$work"
day=$(date +%Y-%m-%d)
suffix=""
[ "$CUSTOMERS" = 1000000 ] || suffix="-$CUSTOMERS"
PATH=$PATH:$HOME/.cargo/bin
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)" >&2; exit 1; }
LOADGEN=oha
command -v oha >/dev/null || {
  echo "soak.sh: oha not found (cargo install oha): falling back to wrk with a pause per request" >&2
  LOADGEN=wrk
}
if [ -n "${PATRON_BENCH_BIN:-}" ]; then
  bin=$PATRON_BENCH_BIN
else
  nice -n 10 cargo build --release -p patron >&2
  bin=$PWD/target/release/patron
fi
log() { echo "soak.sh: $*" >&2; }

case "$BACKEND" in
  sqlite) db="sqlite://$work/http-$CUSTOMERS.db"; port=18951 ;;
  postgres)
    pg_admin=${PATRON_BENCH_PG_URL:-$(scripts/pg-up)}
    psql -q "$pg_admin" -c "CREATE DATABASE patron_http_bench_$CUSTOMERS" >/dev/null 2>&1 || true
    db="${pg_admin%/*}/patron_http_bench_$CUSTOMERS"; port=18952 ;;
  *) log "BACKEND is sqlite or postgres"; exit 1 ;;
esac
sql() {
  case "$1" in
    sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
    *) psql -q -t -A "$1" -c "$2" ;;
  esac
}
if [ "$(sql "$db" "SELECT COUNT(*) FROM customers" 2>/dev/null || echo 0)" != "$CUSTOMERS" ]; then
  log "generating the demo database ($CUSTOMERS customers, $ORDERS orders) in $db"
  "$bin" --db "$db" demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-serve --force >/dev/null 2>&1
fi
token=$("$bin" --db "$db" token create gm@demo.patron.example --json \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
base="http://127.0.0.1:$port"
serve_log="$work/soak-serve-$BACKEND.log"
"$bin" --db "$db" serve --addr "127.0.0.1:$port" >"$serve_log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
log "waiting for the server's start-up indicator recount"
for _ in $(seq 1 600); do grep -q "indicators counted" "$serve_log" && break; sleep 1; done
sleep 2

# wrk_mix CONNECTIONS SECONDS: prints the mix's successful requests/s (errors left out), its
# errors and its p99 in ms.
wrk_mix() {
  local threads=2 f="$work/soak-wrk-$$.json"
  [ "$1" -ge 2 ] || threads=1
  PATRON_TOKEN=$token BENCH_ENDPOINT=mix BENCH_CUSTOMERS=$CUSTOMERS BENCH_OUT=$f \
    wrk -t"$threads" -c"$1" -d"$2s" --timeout 10s -s bench/http.lua "$base" >/dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); e=sum(r["errors"].values()); print(round(max(0, r["requests"]-e)/(r["duration_us"]/1e6), 1), e, r["latency_us"]["p99"]/1000)' "$f"
  rm -f "$f"
}
max_la0=$(cut -d' ' -f1-3 /proc/loadavg)
wrk_mix 16 "$WARMUP" >/dev/null
read -r max16 err16 p99_16 < <(wrk_mix 16 "$DURATION")
read -r max64 err64 p99_64 < <(wrk_mix 64 "$DURATION")
max_la1=$(cut -d' ' -f1-3 /proc/loadavg)
max=$(python3 -c "print(max($max16, $max64))")
rate=${RATE:-$(python3 -c "print(max(1, round($max / 2)))")}
get_rate=$(python3 -c "print(max(1, round($rate * 0.98, 1)))")
post_rate=$(python3 -c "print(max(0.5, round($rate * 0.02, 1)))")
log "mix maximum: $max16 req/s at 16 connections, $max64 at 64; soak at $rate req/s ($get_rate GET + $post_rate POST)"

# The GET mix as a file of URLs, in the same proportions as the wrk mix (less the 2% writes).
urls="$work/soak-urls-$$.txt"
python3 - "$base" "$CUSTOMERS" "$urls" <<'PY'
import random, sys, urllib.parse
base, customers, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(11)
q = urllib.parse.quote("张伟")
with open(out, "w") as f:
    for _ in range(20000):
        r = rnd.randrange(98)
        if r < 40:
            f.write(f"{base}/api/v1/customers/{rnd.randint(1, customers)}/overview\n")
        elif r < 70:
            f.write(f"{base}/api/v1/customers?q={q}\n")
        elif r < 80:
            f.write(f"{base}/api/v1/agenda\n")
        else:
            f.write(f"{base}/api/v1/indicators\n")
PY

records="$work/soak-$BACKEND-$$.jsonl"
: >"$records"
for minute in $(seq 1 "$MINUTES"); do
  la0=$(cut -d' ' -f1-3 /proc/loadavg)
  if [ "$LOADGEN" = oha ]; then
    oha --no-tui --output-format json --latency-correction -z 60s -c 16 -q "$get_rate" \
      -H "Authorization: Bearer $token" --urls-from-file "$urls" >"$work/soak-get-$$.json" &
    get_pid=$!
    oha --no-tui --output-format json --latency-correction -z 60s -c 2 -q "$post_rate" \
      -H "Authorization: Bearer $token" -m POST -T application/json \
      -d "{\"customer_id\":$((RANDOM % CUSTOMERS + 1)),\"kind\":\"visit\",\"outcome\":\"soak\"}" \
      "$base/api/v1/interactions" >"$work/soak-post-$$.json"
    wait "$get_pid"
  else
    # 16 connections, each pausing 16/rate s before a request: about RATE requests/s while the
    # latency is small against the pause. The whole mix in one run, reported as "get_mix".
    PATRON_TOKEN=$token BENCH_ENDPOINT=mix BENCH_CUSTOMERS=$CUSTOMERS \
      BENCH_DELAY_MS=$(python3 -c "print(max(1, round(16000 / $rate)))") \
      BENCH_OUT="$work/soak-wrk-minute-$$.json" \
      wrk -t2 -c16 -d60s --timeout 10s -s bench/http.lua "$base" >/dev/null
    python3 - "$work/soak-wrk-minute-$$.json" "$work/soak-get-$$.json" "$work/soak-post-$$.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
e = r["errors"]
socket = {k: e[k] for k in ("connect", "read", "write", "timeout") if e[k]}
ok = r["requests"] - e["status"]
json.dump({"summary": {"requestsPerSec": r["requests"] / (r["duration_us"] / 1e6),
                       "slowest": r["latency_us"]["max"] / 1e6},
           "statusCodeDistribution": {"2xx": ok, "4xx/5xx": e["status"]} if e["status"] else {"2xx": ok},
           "errorDistribution": socket,
           "latencyPercentiles": {"p50": r["latency_us"]["p50"] / 1e6, "p99": r["latency_us"]["p99"] / 1e6}},
          open(sys.argv[2], "w"))
json.dump({"summary": {}, "statusCodeDistribution": {}, "errorDistribution": {},
           "latencyPercentiles": {}}, open(sys.argv[3], "w"))
PY
  fi
  la1=$(cut -d' ' -f1-3 /proc/loadavg)
  python3 - "$minute" "$pid" "$work/soak-get-$$.json" "$work/soak-post-$$.json" "$la0" "$la1" \
    >>"$records" <<'PY'
import json, sys
minute, pid, get_f, post_f, la0, la1 = sys.argv[1:7]
mem = {}
for line in open(f"/proc/{pid}/status"):
    k, _, v = line.partition(":")
    if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
        mem[k + "_kb"] = int(v.split()[0])
def part(path):
    r = json.load(open(path))
    codes = {str(k): v for k, v in r.get("statusCodeDistribution", {}).items()}
    ok = sum(v for k, v in codes.items() if k.startswith("2"))
    kinds = r.get("errorDistribution", {})
    # Requests still in flight when the minute ends are cut by oha itself: not server errors.
    cut = sum(v for k, v in kinds.items() if "deadline" in k)
    socket_errors = sum(kinds.values()) - cut
    p = r.get("latencyPercentiles", {})
    ms = lambda v: None if v is None else round(v * 1000, 3)
    return {"requests": sum(codes.values()) + socket_errors, "ok": ok, "cut_at_end": cut,
            "non_2xx": sum(codes.values()) - ok, "socket_errors": socket_errors,
            "status_codes": codes, "error_kinds": r.get("errorDistribution", {}),
            "requests_per_s": round(r["summary"].get("requestsPerSec") or 0, 1),
            "latency_ms": {"p50": ms(p.get("p50")), "p99": ms(p.get("p99")),
                           "max": ms(r["summary"].get("slowest"))}}
g, w = part(get_f), part(post_f)
print(json.dumps({"minute": int(minute), "get_mix": g, "interaction_post": w,
                  "requests": g["requests"] + w["requests"],
                  "errors": g["non_2xx"] + g["socket_errors"] + w["non_2xx"] + w["socket_errors"],
                  "server_memory_kb": mem, "loadavg_start": la0, "loadavg_end": la1}))
PY
  python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][-1]; print("soak.sh: minute %d: %d requests, %d errors, GET p50 %.2f ms p99 %.2f ms, POST p99 %.2f ms, RSS %d MiB" % (r["minute"], r["requests"], r["errors"], r["get_mix"]["latency_ms"]["p50"], r["get_mix"]["latency_ms"]["p99"], r["interaction_post"]["latency_ms"]["p99"] or 0, r["server_memory_kb"]["VmRSS_kb"] // 1024))' "$records" >&2
done
kill "$pid"; wait "$pid" 2>/dev/null || true
trap - EXIT
recounts=$(grep -c "indicators counted" "$serve_log" || true)
out="bench/results/soak-$BACKEND-$day$suffix.json"
python3 - "$records" "$out" "$BACKEND" "$CUSTOMERS" "$ORDERS" "$MINUTES" "$max16" "$max64" \
  "$err16" "$err64" "$p99_16" "$p99_64" "$rate" "$get_rate" "$post_rate" "$max_la0" "$max_la1" \
  "$recounts" "$LOADGEN" <<'PY'
import json, os, platform, statistics, sys
from datetime import datetime, timezone
a = sys.argv
minutes = [json.loads(l) for l in open(a[1])]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_total = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
errors = sum(m["errors"] for m in minutes)
rss = [m["server_memory_kb"]["VmRSS_kb"] for m in minutes]
growth = (rss[-1] - rss[0]) / rss[0] if rss else None
# RssAnon is the server's own memory (heap, stacks): what a leak grows. VmRSS also counts the
# pages of the memory-mapped SQLite file that requests have touched so far (shared with the page
# cache, dropped by the kernel under pressure), which rises as the load reaches more customers.
anon = [m["server_memory_kb"].get("RssAnon_kb") for m in minutes]
anon_growth = (anon[-1] - anon[0]) / anon[0] if anon and anon[0] and anon[-1] is not None else None
p99s = [m["get_mix"]["latency_ms"]["p99"] for m in minutes]
p99_median = statistics.median(p99s) if p99s else None
p99_stable = all(p <= 2 * p99_median for p in p99s) if p99s else None
res = {
    "benchmark": "soak: mixed load at half the maximum rate, one-minute slices (bench/soak.sh)",
    "backend": a[3], "customers": int(a[4]), "orders": int(a[5]), "minutes": int(a[6]),
    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    "machine": {"nproc": os.cpu_count(), "cpu_model": cpu, "mem_total_kb": mem_total,
                "system": platform.platform(), "shared": True},
    "mix": {"overview": 0.40, "search_zhang_wei": 0.30, "agenda": 0.10, "indicators": 0.18,
            "interaction_post": 0.02},
    "maximum": {"tool": "wrk (closed loop)",
                "connections_16": {"requests_per_s": float(a[7]), "errors": int(a[9]), "p99_ms": float(a[11])},
                "connections_64": {"requests_per_s": float(a[8]), "errors": int(a[10]), "p99_ms": float(a[12])},
                "loadavg_start": a[16], "loadavg_end": a[17]},
    "rate": {"requests_per_s": float(a[13]), "get_mix_per_s": float(a[14]),
             "interaction_post_per_s": float(a[15]),
             "tool": "oha -q with --latency-correction, 16 + 2 connections" if a[19] == "oha"
                     else "wrk, 16 connections pausing 16/rate s before each request (no oha; not corrected for coordinated omission)"},
    "indicator_recounts_in_server_log": int(a[18]),
    "sqlite_mmap_mb": os.environ.get("PATRON_SQLITE_MMAP_MB", "the server's default"),
    "per_minute": minutes,
    "verdict": {
        "errors": errors, "no_errors": errors == 0,
        "rss_end_of_minute_1_kb": rss[0] if rss else None, "rss_end_kb": rss[-1] if rss else None,
        "rss_growth": None if growth is None else round(growth, 4),
        "rss_growth_within_10_percent": None if growth is None else growth <= 0.10,
        "rss_anon_end_of_minute_1_kb": anon[0] if anon else None, "rss_anon_end_kb": anon[-1] if anon else None,
        "rss_anon_growth": None if anon_growth is None else round(anon_growth, 4),
        "rss_anon_growth_within_10_percent": None if anon_growth is None else anon_growth <= 0.10,
        "get_p99_ms_per_minute": p99s, "get_p99_median_ms": p99_median,
        "p99_stable": p99_stable,
        "p99_stable_rule": "no minute's p99 above twice the median of the minutes' p99s",
    },
}
res["verdict"]["passed"] = bool(res["verdict"]["no_errors"] and res["verdict"]["rss_growth_within_10_percent"] and p99_stable)
# The same verdict with the server's own memory in place of VmRSS (see above).
res["verdict"]["passed_on_anonymous_memory"] = bool(res["verdict"]["no_errors"] and res["verdict"]["rss_anon_growth_within_10_percent"] and p99_stable)
json.dump(res, open(a[2], "w"), indent=2, ensure_ascii=False)
print(json.dumps(res["verdict"], indent=2))
print(f"soak.sh: wrote {a[2]}", file=sys.stderr)
PY
rm -f "$records" "$urls" "$work/soak-get-$$.json" "$work/soak-post-$$.json" "$work/soak-wrk-minute-$$.json"
