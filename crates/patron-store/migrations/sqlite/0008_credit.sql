-- The credit system (METHOD §2.6). A customer is under credit management from its first credit
-- review on; its credit (class, limit, payment term) is its latest review. Payments are recorded
-- against the customer, not an order: they settle the oldest orders first (patron_core::credit).
-- Every order let through over a limit is recorded with who allowed it and why. Amounts are minor
-- units of `currency` (the default currency when recorded).
CREATE TABLE credit_reviews (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    reviewed_on   TEXT NOT NULL,
    reviewer_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    class         TEXT NOT NULL CHECK (class IN ('AAA','AA','A','none')),
    limit_minor   INTEGER NOT NULL CHECK (limit_minor >= 0),
    term_days     INTEGER NOT NULL CHECK (term_days >= 0),
    currency      TEXT NOT NULL,
    deposit_minor INTEGER CHECK (deposit_minor >= 0),
    notes         TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX credit_reviews_customer ON credit_reviews(customer_id, reviewed_on, id);

CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    paid_on      TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    reference    TEXT,
    notes        TEXT,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX payments_customer ON payments(customer_id, paid_on);

-- order_id is kept NULL-able: deleting the order later must not erase who let it through.
CREATE TABLE credit_overrides (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    order_id          INTEGER REFERENCES orders(id) ON DELETE SET NULL,
    user_id           INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason            TEXT NOT NULL,
    order_minor       INTEGER NOT NULL,
    outstanding_minor INTEGER NOT NULL,
    limit_minor       INTEGER NOT NULL,
    over_limit_minor  INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    at                TEXT NOT NULL
);
CREATE INDEX credit_overrides_customer ON credit_overrides(customer_id, id);
