-- Every import that committed: who ran it, when, on which file, and what it did. The audit rows
-- of the records it created or changed point at it (audit_log.import_id), so a customer's history
-- says "imported from orders.csv by Li Na" instead of nothing.
CREATE TABLE imports (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    entity    TEXT NOT NULL CHECK (entity IN ('customers','contacts','products','orders')),
    file_name TEXT,
    created   INTEGER NOT NULL DEFAULT 0,
    updated   INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX imports_at ON imports(at);

-- The audit log gains the import a row came from, and the action 'import': one row per customer
-- summarising the orders an import added to it (a field-level row per imported order would
-- double a large import's writes). SQLite cannot alter a CHECK constraint: the table is rebuilt.
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    entity      TEXT NOT NULL CHECK (entity IN ('customer','key_person','order','interaction')),
    entity_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create','update','delete','merge','import')),
    changes     TEXT NOT NULL,
    import_id   INTEGER REFERENCES imports(id)
);
INSERT INTO audit_log_new (id, at, user_id, entity, entity_id, customer_id, action, changes)
    SELECT id, at, user_id, entity, entity_id, customer_id, action, changes FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_customer ON audit_log(customer_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
