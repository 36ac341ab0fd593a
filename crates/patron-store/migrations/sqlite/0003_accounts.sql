-- Accounts, sessions, API tokens, sign-in attempts, the audit log and owner history (issue #3),
-- SQLite dialect. Mirrors postgres/0003_accounts.sql: change both together, never edit a landed
-- migration. (0002 is taken by the import work that lands beside this.)

-- argon2id PHC string; NULL = this user cannot sign in yet (no password set).
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- The user's chosen UI language (en, zh-CN, zh-TW, ko); NULL = follow the browser.
ALTER TABLE users ADD COLUMN language TEXT;

-- METHOD §2.1: A-class customers get a named relationship manager, who may see them too.
ALTER TABLE customers ADD COLUMN relationship_manager_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX customers_relationship_manager ON customers(relationship_manager_id, id)
    WHERE relationship_manager_id IS NOT NULL;

-- Server-side sessions: the cookie holds a random token, the table only its hash, so a copy of
-- the database does not hand out live sessions. Several servers share them through the database.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Personal API tokens (Authorization: Bearer), stored hashed; revoked ones stay listed.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);

-- Sign-in attempts, for rate limiting by account and by client address.
CREATE TABLE login_attempts (
    id        INTEGER PRIMARY KEY,
    email_key TEXT NOT NULL,
    ip        TEXT NOT NULL,
    at        TEXT NOT NULL,
    ok        INTEGER NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts(email_key, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- Who changed what, field by field. No foreign key on customer_id: the history of a deleted or
-- merged customer stays. Append-only: the triggers refuse updates and deletes.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    entity      TEXT NOT NULL CHECK (entity IN ('customer','key_person','order','interaction')),
    entity_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create','update','delete','merge')),
    changes     TEXT NOT NULL
);
CREATE INDEX audit_log_customer ON audit_log(customer_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Owner reassignments (METHOD §1: one dedicated person keeps each archive; moving it is recorded).
CREATE TABLE owner_changes (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    from_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    to_user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    changed_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    at           TEXT NOT NULL
);
CREATE INDEX owner_changes_customer ON owner_changes(customer_id, id);
