-- Satisfaction ratings (METHOD §2.3): staff record a customer's product and service satisfaction
-- (1–5); the latest of each aspect places the customer in the loyalty matrix.
CREATE TABLE satisfaction_ratings (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    aspect      TEXT NOT NULL CHECK (aspect IN ('product','service')),
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    note        TEXT,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    rated_on    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX satisfaction_ratings_latest ON satisfaction_ratings(customer_id, aspect, rated_on, id);
