-- After-sales service (METHOD §6): deliveries and installations promised to customers, usually
-- for an order. Each job keeps its promise (day and time window), whether the customer was told
-- before it came, whether it was done or late (with the reason and the newly agreed time), and
-- the satisfaction call that follows it. The promised day puts the job on the agenda of the
-- person it is assigned to; once done, the follow-up call comes due a few days later.
CREATE TABLE service_jobs (
    id                      INTEGER PRIMARY KEY,
    customer_id             INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    -- The job outlives a deleted order (it still happened); the order must be the customer's.
    order_id                INTEGER REFERENCES orders(id) ON DELETE SET NULL,
    kind                    TEXT NOT NULL CHECK (kind IN ('delivery','installation')),
    -- The current promise; earlier ones are in service_job_changes.
    promised_on             TEXT NOT NULL,
    window_from             TEXT,
    window_to               TEXT,
    address                 TEXT,
    notes                   TEXT,
    -- Who does it or answers for it (default: the customer's owner).
    assigned_to             INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- 'late': the promise was missed and a new time agreed; still to be done.
    status                  TEXT NOT NULL DEFAULT 'planned'
                            CHECK (status IN ('planned','late','done','cancelled')),
    notified_at             TEXT,
    notified_by             INTEGER REFERENCES users(id) ON DELETE SET NULL,
    done_on                 TEXT,
    done_at                 TEXT,
    done_by                 INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- The interaction the agenda logged when the job was marked done there.
    done_interaction_id     INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
    late_reason             TEXT,
    cancel_reason           TEXT,
    cancelled_at            TEXT,
    after_sales_call_at     TEXT,
    after_sales_call_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    after_sales_interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
    created_by              INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    CHECK ((window_from IS NULL) = (window_to IS NULL))
);
-- The agenda: a person's open jobs by promised day, and their done jobs awaiting the call.
CREATE INDEX service_jobs_agenda ON service_jobs(assigned_to, status, promised_on);
CREATE INDEX service_jobs_call ON service_jobs(assigned_to, done_on) WHERE after_sales_call_at IS NULL;
CREATE INDEX service_jobs_customer ON service_jobs(customer_id, promised_on);
CREATE INDEX service_jobs_order ON service_jobs(order_id) WHERE order_id IS NOT NULL;
CREATE INDEX service_jobs_status ON service_jobs(status, promised_on);

-- Every earlier promise of a job: what was promised, what replaced it, why and who changed it
-- ('late': the promise was missed and a new time agreed with the customer; 'moved': the job was
-- rescheduled by an edit).
CREATE TABLE service_job_changes (
    id                  INTEGER PRIMARY KEY,
    job_id              INTEGER NOT NULL REFERENCES service_jobs(id) ON DELETE CASCADE,
    customer_id         INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    change_kind         TEXT NOT NULL CHECK (change_kind IN ('late','moved')),
    old_promised_on     TEXT NOT NULL,
    old_window_from     TEXT,
    old_window_to       TEXT,
    old_notified_at     TEXT,
    new_promised_on     TEXT NOT NULL,
    new_window_from     TEXT,
    new_window_to       TEXT,
    reason              TEXT,
    changed_by          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    changed_at          TEXT NOT NULL
);
CREATE INDEX service_job_changes_job ON service_job_changes(job_id, id);
CREATE INDEX service_job_changes_customer ON service_job_changes(customer_id);
