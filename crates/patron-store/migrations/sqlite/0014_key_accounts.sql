-- Key-account development plans (METHOD §3.4): for each key account its short-, medium- and
-- long-term goals, the projects where we are strong (win them), where a competitor leads (work
-- harder) and where we are weak (don't give up), and actions with owners and review dates. The
-- plan's and the open actions' review dates put reminders on their owners' agendas.
CREATE TABLE account_plans (
    id                  INTEGER PRIMARY KEY,
    -- One plan per customer: the plan is the account's, revised in place at every review.
    customer_id         INTEGER NOT NULL UNIQUE REFERENCES customers(id) ON DELETE CASCADE,
    owner_id            INTEGER NOT NULL REFERENCES users(id),
    short_term_goals    TEXT,
    medium_term_goals   TEXT,
    long_term_goals     TEXT,
    review_every_months INTEGER NOT NULL CHECK (review_every_months BETWEEN 1 AND 24),
    next_review_on      TEXT NOT NULL,
    last_reviewed_on    TEXT,
    created_by          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at          TEXT NOT NULL,
    updated_by          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    updated_at          TEXT NOT NULL
);
-- The agenda: a user's plans by review date.
CREATE INDEX account_plans_review ON account_plans(owner_id, next_review_on);

CREATE TABLE account_plan_projects (
    id              INTEGER PRIMARY KEY,
    plan_id         INTEGER NOT NULL REFERENCES account_plans(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('ours_strong','competitor','ours_weak')),
    name            TEXT NOT NULL,
    competitor      TEXT,
    notes           TEXT,
    value_minor     INTEGER CHECK (value_minor IS NULL OR value_minor >= 0),
    currency        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX account_plan_projects_plan ON account_plan_projects(plan_id, kind);

CREATE TABLE account_plan_actions (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER NOT NULL REFERENCES account_plans(id) ON DELETE CASCADE,
    what        TEXT NOT NULL,
    owner_id    INTEGER NOT NULL REFERENCES users(id),
    due_on      TEXT,
    review_on   TEXT,
    reviewed_on TEXT,
    status      TEXT NOT NULL CHECK (status IN ('open','done','dropped')),
    done_on     TEXT,
    notes       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX account_plan_actions_plan ON account_plan_actions(plan_id);
-- The agenda: a user's open actions by review date.
CREATE INDEX account_plan_actions_review ON account_plan_actions(owner_id, status, review_on);
