-- The contact plan (METHOD §3). Agenda items are derived from the archive each time (policy,
-- classes, last contacts, key persons' dates, orders, promised follow-ups); only what a user did
-- about an item is stored, under the item's stable key, so nothing is generated twice and a
-- restart loses nothing.
ALTER TABLE interactions ADD COLUMN follow_up_on TEXT;
ALTER TABLE interactions ADD COLUMN follow_up TEXT;
CREATE INDEX interactions_follow_up ON interactions(follow_up_on) WHERE follow_up_on IS NOT NULL;
-- Each person's last visit and call per customer (the policy counts a person's own contacts).
CREATE INDEX interactions_staff_customer ON interactions(staff_id, customer_id, kind, occurred_at)
    WHERE staff_id IS NOT NULL;

CREATE TABLE agenda_marks (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    item_key       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    customer_id    INTEGER REFERENCES customers(id) ON DELETE CASCADE,
    action         TEXT NOT NULL CHECK (action IN ('done','snoozed','dismissed')),
    until          TEXT,
    reason         TEXT,
    interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
    marked_on      TEXT NOT NULL,
    at             TEXT NOT NULL,
    UNIQUE (user_id, item_key)
);
CREATE INDEX agenda_marks_customer ON agenda_marks(customer_id);
