-- The current classes keep what stays put from one day to the next, and readers work out what
-- moves with the day. A run on the next day used to rewrite every customer's row because the
-- as-of day, the recency, the days since the last purchase, the purchase days a year, the rank
-- and the cumulative share had all moved, though only about 1% of the classes and revenues had:
-- on 1,000,000 customers that rewrite was 4 s of a 6.3 s run on SQLite.
--
-- - first_day / last_day: the customer's first and last purchase day as of the run, from which
--   readers compute recency, days since the last purchase and purchase days a year against the
--   latest run's day. Rows written before this migration keep those numbers in their reasons
--   and recency_days, and readers use the stored numbers where they are present (an RFM refresh
--   between runs still stores its recency).
-- - class_ranks: each ranked customer's revenue rank and cumulative share of the latest run, a
--   narrow table rewritten only when a run's ranking differs from the one before. It is read
--   only through customer_classes (whose rows go with their customer) and has no foreign key:
--   checking one on each of half a million rows doubled its rewrite on SQLite (0.54-0.83 s
--   against 0.21 s). A deleted customer's rank stays unread until the next run's ranking,
--   which differs by that customer, replaces the table.
ALTER TABLE customer_classes ADD COLUMN first_day TEXT;
ALTER TABLE customer_classes ADD COLUMN last_day TEXT;

CREATE TABLE class_ranks (
    customer_id      INTEGER PRIMARY KEY,
    rank             INTEGER NOT NULL,
    cumulative_share REAL NOT NULL
);
