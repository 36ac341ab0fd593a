-- Per-user iCalendar feeds (METHOD §3): a secret URL a calendar program subscribes to. Only the
-- secret's hash is kept; a new feed replaces the old one (revoked), so a leaked URL is cut off
-- by making a new one or revoking it.
CREATE TABLE calendar_feeds (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX calendar_feeds_user ON calendar_feeds(user_id, id);
