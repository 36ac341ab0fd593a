-- Satisfaction surveys (METHOD §5) and the public links customers answer them through.
-- A questionnaire's title, introduction and aspects (with labels in the four UI languages) are
-- kept as JSON: they are read and written whole, never queried inside.
CREATE TABLE surveys (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    intro       TEXT NOT NULL,
    aspects     TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A link a customer opens without signing in: only the hash of its secret is kept; it expires,
-- is used once, and can be revoked.
CREATE TABLE public_links (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL CHECK (purpose IN ('survey','complaint')),
    survey_id    INTEGER REFERENCES surveys(id) ON DELETE CASCADE,
    language     TEXT NOT NULL,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT,
    revoked_at   TEXT,
    -- What the customer sent through it (a complaint link's complaint).
    complaint_id INTEGER REFERENCES complaints(id) ON DELETE SET NULL,
    CHECK ((purpose = 'survey') = (survey_id IS NOT NULL))
);
CREATE INDEX public_links_customer ON public_links(customer_id, id);

CREATE TABLE survey_responses (
    id            INTEGER PRIMARY KEY,
    survey_id     INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    -- 'call': staff recorded it; 'public_form': the customer answered through a link.
    channel       TEXT NOT NULL CHECK (channel IN ('call','public_form')),
    user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    link_id       INTEGER REFERENCES public_links(id) ON DELETE SET NULL,
    language      TEXT NOT NULL,
    would_praise  INTEGER,
    asked_by_name INTEGER,
    comment       TEXT,
    answered_at   TEXT NOT NULL
);
CREATE INDEX survey_responses_customer ON survey_responses(customer_id, answered_at);
CREATE INDEX survey_responses_survey ON survey_responses(survey_id, answered_at);

CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
    aspect      TEXT NOT NULL,
    expected    INTEGER NOT NULL CHECK (expected BETWEEN 1 AND 5),
    perceived   INTEGER NOT NULL CHECK (perceived BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, aspect)
);

-- A survey's product and service answers place the customer in the loyalty matrix like a
-- staff rating does; the rating remembers the answer it came from.
ALTER TABLE satisfaction_ratings ADD COLUMN response_id INTEGER REFERENCES survey_responses(id) ON DELETE CASCADE;
