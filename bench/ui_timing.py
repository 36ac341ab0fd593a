#!/usr/bin/env python3
"""Times the UI pages of bench/ui.sh: signs in with the form (demo password), then GETs each page
REQUESTS times over one keep-alive connection and prints p50/p95/max in milliseconds as JSON.

Usage: ui_timing.py BASE_URL DB_PATH REQUESTS CUSTOMERS ORDERS GEN_SECONDS|null"""
import http.client
import json
import os
import platform
import re
import sqlite3
import statistics
import sys
import time
import urllib.parse

base, db_path, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
customers, orders, gen_seconds = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
host = urllib.parse.urlparse(base).netloc
conn = http.client.HTTPConnection(host, timeout=60)

def request(method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheader("set-cookie") or "", r.getheader("location") or "", data

# The users to sign in as: a general manager (sees every customer), a sales representative
# (their own book) and that representative's business manager (the team's books).
db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
director = db.execute("SELECT email FROM users WHERE staff_level='general_manager' ORDER BY id LIMIT 1").fetchone()[0]
rep_id, rep, rep_manager = db.execute(
    "SELECT u.id, u.email, u.manager_id FROM users u WHERE staff_level='sales_representative' ORDER BY id LIMIT 1").fetchone()
manager = db.execute(
    "SELECT email FROM users WHERE id=? AND staff_level='business_manager'", (rep_manager,)).fetchone()[0]
# A customer with orders and contacts, in the representative's scope, for the customer page.
cust = db.execute(
    "SELECT c.id FROM customers c WHERE c.owner_id=? AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id=c.id) "
    "ORDER BY c.id LIMIT 1", (rep_id,)).fetchone()[0]
db.close()

def sign_in(email):
    body = urllib.parse.urlencode({"email": email, "password": "patron-demo", "next": "/customers"})
    status, cookie, _, _ = request("POST", "/sign-in", body, {"content-type": "application/x-www-form-urlencoded"})
    assert status == 303, f"sign-in as {email}: {status}"
    return cookie.split(";")[0]

def timings(path, cookie):
    ms = []
    for i in range(requests + 5):
        t0 = time.perf_counter()
        status, _, _, data = request("GET", path, headers={"cookie": cookie})
        t1 = time.perf_counter()
        assert status == 200, f"{path}: {status}"
        if i >= 5:  # warm-up
            ms.append((t1 - t0) * 1000)
    ms.sort()
    return {
        "path": path,
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 2),
        "max_ms": round(ms[-1], 2),
        "bytes": len(data),
        "rows_on_page": len(re.findall(rb'<tr>\s*<td><a href="/customers/', data)),
    }

q = urllib.parse.quote
results = {}
for who, email in [("general_manager", director), ("sales_representative", rep),
                   ("business_manager", manager)]:
    cookie = sign_in(email)
    results[who] = {
        "customer_list_first_page": timings("/customers", cookie),
        "cjk_search_张伟": timings("/customers?q=" + q("张伟"), cookie),
        "cjk_search_rare_三丰": timings("/customers?q=" + q("三丰"), cookie),
        "korean_search_김민": timings("/customers?q=" + q("김민"), cookie),
        "customer_page": timings(f"/customers/{cust}", cookie),
    }
print(json.dumps({
    "benchmark": "ui",
    "target": "median < 50 ms for list, CJK search, customer page",
    "customers": customers,
    "orders": orders,
    "demo_generation_seconds": None if gen_seconds == "null" else float(gen_seconds),
    "backend": "sqlite",
    "measured_at": "client on localhost (upper bound of server-side render time)",
    "host": {"cpus": os.cpu_count(), "machine": platform.machine()},
    "results": results,
}, indent=2, ensure_ascii=False))
