#!/usr/bin/env bash
# UI speed benchmark (issue #3: customer list first page, a CJK search and the customer page
# each render in under 50 ms at the median with 1,000,000 customers).
#
# Builds release, generates the demo database once (kept in bench/results/tmp/ for reruns),
# starts `patron serve`, signs in through the sign-in form and times REQUESTS sequential GETs of
# each page over one keep-alive connection (bench/ui_timing.py). Latency is measured at the client
# on localhost, so it is an upper bound of the server-side render time. Writes p50/p95 as JSON to
# bench/results/ui-<date>.json.
#
# Usage: bench/ui.sh [CUSTOMERS] [ORDERS] [REQUESTS]     (defaults: 1000000, 10× customers, 200)
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${1:-1000000}
ORDERS=${2:-$((CUSTOMERS * 10))}
REQUESTS=${3:-200}
work=bench/results/tmp
mkdir -p "$work"
db="$work/ui-$CUSTOMERS-$ORDERS.db"
# Niced: the machine may be shared; the timing itself runs at normal priority.
nice -n 15 cargo build --release -p patron >&2
bin=target/release/patron

gen_seconds=null
if [ ! -f "$db" ]; then
  echo "ui bench: generating $CUSTOMERS customers, $ORDERS orders into $db" >&2
  "$bin" --db "sqlite://$db" demo --customers "$CUSTOMERS" --orders "$ORDERS" --no-serve --force --json \
    > "$work/ui-demo.json"
  gen_seconds=$(python3 -c "import json;print(json.load(open('$work/ui-demo.json'))['seconds'])")
  echo "ui bench: generated in $gen_seconds s" >&2
fi
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" --db "sqlite://$db" serve --addr "127.0.0.1:$port" 2> "$work/ui-serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
out="bench/results/ui-$(date +%Y-%m-%d).json"
python3 bench/ui_timing.py "http://127.0.0.1:$port" "$db" "$REQUESTS" "$CUSTOMERS" "$ORDERS" "$gen_seconds" > "$out"
cat "$out"
