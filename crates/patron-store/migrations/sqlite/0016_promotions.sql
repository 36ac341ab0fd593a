-- Promotions (METHOD §7): a promotion run with one or more customers (typically dealers), its
-- cost lines, the extra sales and gross margin it is expected to bring, and who took part with
-- their attitude. The actual effect is computed from the participants' orders when asked for,
-- so nothing here goes stale when an order is corrected later. Money: integer minor units of
-- the promotion's currency; the margin in basis points (3000 = 30%).
CREATE TABLE promotions (
    id                         INTEGER PRIMARY KEY,
    name                       TEXT NOT NULL,
    description                TEXT,
    starts_on                  TEXT NOT NULL,
    ends_on                    TEXT NOT NULL,
    currency                   TEXT NOT NULL,
    budget_minor               INTEGER NOT NULL DEFAULT 0 CHECK (budget_minor >= 0),
    expected_extra_sales_minor INTEGER NOT NULL DEFAULT 0 CHECK (expected_extra_sales_minor >= 0),
    gross_margin_bp            INTEGER NOT NULL CHECK (gross_margin_bp BETWEEN 0 AND 10000),
    status                     TEXT NOT NULL DEFAULT 'planned'
                               CHECK (status IN ('planned','running','done','cancelled')),
    baseline                   TEXT NOT NULL DEFAULT 'preceding'
                               CHECK (baseline IN ('preceding','previous_year')),
    created_by                 INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX promotions_starts ON promotions(starts_on);

CREATE TABLE promotion_costs (
    id           INTEGER PRIMARY KEY,
    promotion_id INTEGER NOT NULL REFERENCES promotions(id) ON DELETE CASCADE,
    line_no      INTEGER NOT NULL,
    kind         TEXT NOT NULL
                 CHECK (kind IN ('material_discount','gift','advertising','display','staff','other')),
    description  TEXT,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    UNIQUE (promotion_id, line_no)
);

CREATE TABLE promotion_participants (
    id           INTEGER PRIMARY KEY,
    promotion_id INTEGER NOT NULL REFERENCES promotions(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    attitude     TEXT NOT NULL DEFAULT 'neutral'
                 CHECK (attitude IN ('enthusiastic','positive','neutral','reluctant','refused')),
    notes        TEXT,
    added_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    added_at     TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (promotion_id, customer_id)
);
-- A customer's promotions (the scope check of a representative's list).
CREATE INDEX promotion_participants_customer ON promotion_participants(customer_id);
