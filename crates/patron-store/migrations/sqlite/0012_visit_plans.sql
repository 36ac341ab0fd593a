-- Visit plans and the day's route (METHOD §3.1: plans per year, quarter and month; a day's
-- visits ordered into a short route for customers with coordinates).
--
-- Coordinates live in their own table, not as columns of `customers`: most archives locate few
-- customers, and the customers table is the one the bulk import writes, so it stays narrow.
CREATE TABLE customer_locations (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    latitude    REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude   REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    updated_at  TEXT NOT NULL
);

-- One person's plan for one period (starts_on: the period's first day).
CREATE TABLE visit_plans (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    period     TEXT NOT NULL CHECK (period IN ('year','quarter','month')),
    starts_on  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_id, period, starts_on)
);

-- Per customer: visits and calls planned in the period, the class it was planned for, and
-- whether the numbers are the policy's or a person's.
CREATE TABLE visit_plan_entries (
    plan_id     INTEGER NOT NULL REFERENCES visit_plans(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    class       TEXT CHECK (class IN ('A','B','C')),
    visits      INTEGER NOT NULL CHECK (visits >= 0),
    calls       INTEGER NOT NULL CHECK (calls >= 0),
    source      TEXT NOT NULL CHECK (source IN ('policy','edited','added')),
    PRIMARY KEY (plan_id, customer_id)
);
CREATE INDEX visit_plan_entries_customer ON visit_plan_entries(customer_id);

-- The days a customer's planned visits fall on (the day's route starts from them).
CREATE TABLE visit_plan_days (
    plan_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    day         TEXT NOT NULL,
    PRIMARY KEY (plan_id, customer_id, day),
    FOREIGN KEY (plan_id, customer_id) REFERENCES visit_plan_entries(plan_id, customer_id)
        ON DELETE CASCADE
);
CREATE INDEX visit_plan_days_day ON visit_plan_days(day, plan_id);
