-- The latest model scores of each customer (`patron model score`): what the customer page and
-- lists show without refitting. Replaced as a whole by each scoring run. NULL: the model had no
-- answer for that customer (documented in patron_core::analytics).
CREATE TABLE customer_scores (
    customer_id        INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    p_alive            REAL,
    expected_purchases REAL,
    expected_spend     REAL,
    clv                REAL,
    currency           TEXT NOT NULL,
    horizon_days       INTEGER NOT NULL,
    as_of              TEXT NOT NULL,
    scored_at          TEXT NOT NULL
);
