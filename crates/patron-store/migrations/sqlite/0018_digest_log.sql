-- The daily agenda digest (issue 5, point 9): one row per user and day, claimed before the mail
-- is sent, so a restart or a second server never sends the same day's digest twice.
CREATE TABLE digest_log (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    items    INTEGER NOT NULL DEFAULT 0,
    status   TEXT NOT NULL CHECK (status IN ('sending','sent','skipped','failed')),
    error    TEXT,
    at       TEXT NOT NULL,
    PRIMARY KEY (user_id, day)
);
