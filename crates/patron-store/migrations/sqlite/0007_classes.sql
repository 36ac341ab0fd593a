-- Dynamic classification (METHOD §2): each customer's current classes, every change of class
-- with its reason (the history the movement matrix is read from), and staff overrides of the
-- loyalty class. Reasons are JSON documents of the core's reason types, so pages can explain a
-- class in the reader's language.
CREATE TABLE customer_classes (
    customer_id     INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    abc             TEXT NOT NULL CHECK (abc IN ('A','B','C')),
    abc_reason      TEXT NOT NULL,
    loyalty         TEXT NOT NULL CHECK (loyalty IN ('loyal','switcher','no_loyalty','unknown')),
    derived_loyalty TEXT NOT NULL CHECK (derived_loyalty IN ('loyal','switcher','no_loyalty','unknown')),
    loyalty_reason  TEXT NOT NULL,
    rfm_segment     TEXT,
    rfm_r           INTEGER,
    rfm_f           INTEGER,
    rfm_m           INTEGER,
    recency_days    INTEGER,
    frequency       INTEGER,
    monetary_minor  INTEGER,
    revenue_minor   INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    as_of           TEXT NOT NULL,
    classified_at   TEXT NOT NULL
);
CREATE INDEX customer_classes_abc ON customer_classes(abc);
CREATE INDEX customer_classes_segment ON customer_classes(rfm_segment);
CREATE INDEX customer_classes_loyalty ON customer_classes(loyalty);

CREATE TABLE class_changes (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    dimension   TEXT NOT NULL CHECK (dimension IN ('abc','loyalty','rfm')),
    old_class   TEXT,
    new_class   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX class_changes_customer ON class_changes(customer_id, id);
CREATE INDEX class_changes_as_of ON class_changes(dimension, as_of);

CREATE TABLE loyalty_overrides (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    loyalty     TEXT NOT NULL CHECK (loyalty IN ('loyal','switcher','no_loyalty','unknown')),
    reason      TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    at          TEXT NOT NULL
);
