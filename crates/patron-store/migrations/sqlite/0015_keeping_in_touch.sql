-- Keeping in touch (METHOD §3.3): message templates for letters, cards, gifts and
-- questionnaires; customer meetings and seminars with their invitations, replies and attendance;
-- and every opinion or request a customer voices, which must get a reply within 24 hours.
-- (interactions.kind has no CHECK constraint: the new kind `questionnaire` needs no change.)

CREATE TABLE message_templates (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('letter','card','gift','questionnaire')),
    name       TEXT NOT NULL,
    language   TEXT NOT NULL,
    subject    TEXT,
    body       TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX message_templates_kind ON message_templates(kind, language);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('meeting','seminar','other')),
    title       TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT,
    place       TEXT,
    description TEXT,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX events_starts ON events(starts_at);

CREATE TABLE event_invitations (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    customer_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    key_person_id  INTEGER REFERENCES key_persons(id) ON DELETE CASCADE,
    invited_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    invited_at     TEXT NOT NULL,
    reply          TEXT NOT NULL DEFAULT 'pending' CHECK (reply IN ('pending','accepted','declined')),
    replied_at     TEXT,
    attended       INTEGER,
    -- The meeting interaction logged when the customer attended.
    interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
    UNIQUE (event_id, customer_id, key_person_id)
);
-- NULLs are distinct in a UNIQUE constraint: this index also makes "the customer itself"
-- (no key person) invited at most once per event.
CREATE UNIQUE INDEX event_invitations_once ON event_invitations(event_id, customer_id, COALESCE(key_person_id, 0));
CREATE INDEX event_invitations_customer ON event_invitations(customer_id);

CREATE TABLE customer_requests (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    key_person_id  INTEGER REFERENCES key_persons(id) ON DELETE SET NULL,
    voiced_at      TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('opinion','request','praise','criticism')),
    text           TEXT NOT NULL,
    received_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- Who must reply (default: the customer's relationship manager, else its owner).
    assigned_to    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    replied_at     TEXT,
    reply          TEXT,
    replied_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL
);
-- The agenda reads each user's unreplied requests.
CREATE INDEX customer_requests_open ON customer_requests(assigned_to, voiced_at) WHERE replied_at IS NULL;
CREATE INDEX customer_requests_customer ON customer_requests(customer_id, voiced_at);
