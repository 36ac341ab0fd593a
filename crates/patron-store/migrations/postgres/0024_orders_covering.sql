-- The orders' per-customer index also carries each order's currency and amount (INCLUDE), so
-- the per-customer aggregates of classification and the customer-base models can be index-only
-- scans in (customer, day) order. Kept in step with SQLite's 0024, which needs it for its
-- single-pass fold (sql/order_scan.rs); every query that used (customer_id, order_date) uses
-- the same key.
DROP INDEX orders_customer_date;
CREATE INDEX orders_customer_date ON orders(customer_id, order_date) INCLUDE (currency, total_minor);
