-- Complaints (METHOD §4): each with its 24-hour first-reply clock, the six steps, who did what
-- and when, compensation given and the promise made.
CREATE TABLE complaints (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    key_person_id   INTEGER REFERENCES key_persons(id) ON DELETE SET NULL,
    order_id        INTEGER REFERENCES orders(id) ON DELETE SET NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('visit','call','letter','hotline','email','in_store','web_form')),
    cause           TEXT NOT NULL CHECK (cause IN ('expectation_gap','product_quality','staff_attitude','delivery','installation','price','other')),
    summary         TEXT NOT NULL,
    details         TEXT,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','investigating','resolved','followed_up','closed')),
    -- Who handles it (default: the customer's relationship manager, else its owner).
    owner_id        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    recorded_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- The 24-hour clock starts here; the due instant is kept as it was promised.
    recorded_at     TEXT NOT NULL,
    reply_due_at    TEXT NOT NULL,
    first_reply_at  TEXT,
    first_reply_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    promise         TEXT,
    promise_due     TEXT,
    promise_outcome TEXT CHECK (promise_outcome IN ('kept','broken')),
    closed_at       TEXT,
    updated_at      TEXT NOT NULL
);
-- The agenda and the overdue filter read complaints still waiting for their first reply.
CREATE INDEX complaints_unreplied ON complaints(owner_id, reply_due_at) WHERE first_reply_at IS NULL;
CREATE INDEX complaints_status ON complaints(status, recorded_at);
CREATE INDEX complaints_customer ON complaints(customer_id, recorded_at);

CREATE TABLE complaint_steps (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    step         TEXT NOT NULL CHECK (step IN ('listen','apologise','root_cause','solve','follow_up','record')),
    done_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    done_at      TEXT NOT NULL,
    note         TEXT,
    PRIMARY KEY (complaint_id, step)
);

CREATE TABLE complaint_compensations (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('refund','replacement','repair','discount','gift','credit','other')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    approved_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    approved_at  TEXT NOT NULL,
    note         TEXT
);
CREATE INDEX complaint_compensations_complaint ON complaint_compensations(complaint_id);

-- Who did what and when: every change to a complaint, in order.
CREATE TABLE complaint_events (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    detail       TEXT
);
CREATE INDEX complaint_events_complaint ON complaint_events(complaint_id, id);
