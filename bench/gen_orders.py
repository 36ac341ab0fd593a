#!/usr/bin/env python3
"""Writes a deterministic orders CSV for the import benchmark.

Usage: gen_orders.py ROWS OUT.csv
Columns: customer_ref,date,product_ref,product_line,quantity,amount — rows without an order
number (the CDNOW shape), 1 row = 1 order, so the import's re-import key path is exercised.
Customers = ROWS / 10, products = 200 in 8 lines, dates over three years.
"""
import random
import sys
from datetime import date, timedelta

def main():
    rows = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(7)
    customers = max(1, rows // 10)
    lines = ["Coffee", "Tea", "Equipment", "Accessories", "Pastry", "Services", "Gifts", "Syrups"]
    start = date(2023, 1, 1)
    days = [(start + timedelta(d)).strftime("%Y-%m-%d") for d in range(3 * 365)]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("customer_ref,date,product_ref,product_line,quantity,amount\n")
        for _ in range(rows):
            c = rnd.randrange(customers)
            p = rnd.randrange(200)
            q = rnd.randint(1, 5)
            cents = rnd.randint(150, 25000) * q
            f.write(f"C{c:07d},{rnd.choice(days)},P{p:04d},{lines[p % 8]},{q},{cents // 100}.{cents % 100:02d}\n")

if __name__ == "__main__":
    main()
