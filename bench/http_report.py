#!/usr/bin/env python3
"""Assembles bench/http.sh's records (one JSON line per wrk run or memory reading) into one
result file, with each endpoint's share of the ceiling (GET /healthz at the same connection
count) and the targets of issue 7.

Usage: http_report.py RECORDS.jsonl OUT.json BACKEND CUSTOMERS ORDERS DURATION GEN_S UPTIME_S RECOUNTS
"""
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

PATHS = {
    "healthz": ("GET", "/healthz"),
    "overview": ("GET", "/api/v1/customers/{id}/overview"),
    "search": ("GET", "/api/v1/customers?q=张伟"),
    "agenda": ("GET", "/api/v1/agenda"),
    "indicators": ("GET", "/api/v1/indicators"),
    "interaction": ("POST", "/api/v1/interactions"),
}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "unknown")
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "mem_total_kb": mem,
            "system": platform.platform(), "shared": True}


def main():
    recs_path, out, backend = sys.argv[1:4]
    customers, orders, duration = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    gen_s, uptime_s, recounts = float(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
    memory, runs = {}, []
    for line in open(recs_path):
        r = json.loads(line)
        if "memory" in r:
            memory[r.pop("memory")] = r
            continue
        secs = r["duration_us"] / 1e6
        lat = r["latency_us"]
        errors = dict(r["errors"])
        errors["total"] = sum(r["errors"].values())
        method, path = PATHS[r["endpoint"]]
        runs.append({
            "endpoint": r["endpoint"], "method": method, "path": path,
            "connections": r["connections"], "wrk_threads": r["threads"],
            "seconds": round(secs, 3), "requests": r["requests"],
            "requests_per_s": round(r["requests"] / secs, 1),
            "latency_ms": {k: round(lat[k] / 1000, 3)
                           for k in ("mean", "p50", "p90", "p99", "p999", "max")},
            "errors": errors,
            "loadavg_start": r["loadavg_start"], "loadavg_end": r["loadavg_end"],
        })
    ceiling = {r["connections"]: r["requests_per_s"] for r in runs if r["endpoint"] == "healthz"}
    for r in runs:
        c = ceiling.get(r["connections"])
        r["share_of_ceiling"] = round(r["requests_per_s"] / c, 4) if c else None

    def find(ep, c):
        return next((r for r in runs if r["endpoint"] == ep and r["connections"] == c), None)

    ov64 = find("overview", 64)
    hwm_kb = max((m.get("VmHWM_kb", 0) for m in memory.values()), default=0)
    targets = {
        "overview_share_of_ceiling_at_64": {
            "target": 0.5, "applies_to": "sqlite",
            "measured": ov64 and ov64["share_of_ceiling"],
            "met": bool(ov64 and ov64["share_of_ceiling"] is not None
                        and ov64["share_of_ceiling"] >= 0.5)},
        "overview_p99_ms_at_64": {
            "target": 10, "applies_to": "sqlite",
            "measured": ov64 and ov64["latency_ms"]["p99"],
            "met": bool(ov64 and ov64["latency_ms"]["p99"] < 10)},
        "server_vmhwm_mb": {
            "target": 200, "applies_to": "1,000,000 customers",
            "measured": round(hwm_kb / 1024, 1), "met": hwm_kb / 1024 < 200},
    }
    res = {
        "benchmark": "HTTP load with wrk over loopback (bench/http.sh)",
        "backend": backend,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "customers": customers, "orders": orders,
        "demo_generation_s": gen_s or None,
        "wrk_seconds_per_measurement": duration,
        "server_uptime_s": uptime_s,
        "indicator_recounts_in_server_log": recounts,
        "server_log_filter": os.environ.get("SERVE_RUST_LOG") or "default (info,sqlx=warn)",
        "sqlite_mmap_mb": os.environ.get("PATRON_SQLITE_MMAP_MB", "the server's default"),
        "user": "gm@demo.patron.example (general manager, sees every customer), Bearer token",
        "machine": machine(),
        "git_head": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                   text=True).stdout.strip(),
        "server_memory_kb": memory,
        "results": runs,
        "targets": targets,
        "notes": [
            "errors = wrk socket errors (connect, read, write, timeout) + responses with status >= 400",
            "latency percentiles are wrk's (closed loop, per connection)",
            "wrk and the server share the machine's cores",
            "on PostgreSQL the server's memory excludes the PostgreSQL server's own processes",
        ],
    }
    with open(out, "w") as f:
        json.dump(res, f, indent=2, ensure_ascii=False)
    print(f"http.sh: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
