-- The latest model scores of each customer (`patron model score`): what the customer page and
-- lists show without refitting. Replaced as a whole by each scoring run. NULL: the model had no
-- answer for that customer (documented in patron_core::analytics).
CREATE TABLE customer_scores (
    customer_id        BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    p_alive            DOUBLE PRECISION,
    expected_purchases DOUBLE PRECISION,
    expected_spend     DOUBLE PRECISION,
    clv                DOUBLE PRECISION,
    currency           TEXT NOT NULL,
    horizon_days       BIGINT NOT NULL,
    as_of              DATE NOT NULL,
    scored_at          TIMESTAMPTZ NOT NULL
);
