-- Patron's customer archive (METHOD.md §1), SQLite dialect. Mirrors postgres/0001_archive.sql:
-- change both together, never edit a landed migration.
-- Dates are TEXT 'YYYY-MM-DD', instants TEXT RFC 3339 UTC, booleans INTEGER 0/1, money INTEGER
-- minor units with a currency code beside it.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    staff_level TEXT NOT NULL CHECK (staff_level IN ('sales_representative','business_manager','marketing_director','general_manager','administrator')),
    manager_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);
CREATE INDEX users_manager ON users(manager_id);

CREATE TABLE churn_reasons (
    code              TEXT PRIMARY KEY,
    label             TEXT NOT NULL,
    reference_percent INTEGER,
    position          INTEGER NOT NULL
);
INSERT INTO churn_reasons (code, label, reference_percent, position) VALUES
    ('supplier_problems', 'Our own problems (service, quality, delivery)', 70, 1),
    ('better_product', 'Found a better product elsewhere', 13, 2),
    ('bankruptcy_relocation', 'Bankruptcy or relocation', 15, 3),
    ('other', 'Other', 2, 4);

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    external_ref TEXT,
    kind         TEXT NOT NULL CHECK (kind IN ('person','organisation')),
    name         TEXT NOT NULL,
    gender       TEXT CHECK (gender IN ('female','male','other')),
    birth_date   TEXT,
    company      TEXT,
    address      TEXT,
    phone        TEXT,
    phone_key    TEXT,
    fax          TEXT,
    email        TEXT,
    email_key    TEXT,
    level        TEXT,
    source       TEXT,
    stage        TEXT NOT NULL CHECK (stage IN ('interested','contacted','customer','lost')),
    churn_reason TEXT REFERENCES churn_reasons(code),
    owner_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    notes        TEXT,
    search_text  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK ((stage = 'lost') = (churn_reason IS NOT NULL))
);
-- Partial unique indexes: rows without a reference (most imported orders) cost no index entry.
CREATE UNIQUE INDEX customers_external_ref_key ON customers(external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX customers_phone_key ON customers(phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX customers_email_key ON customers(email_key) WHERE email_key IS NOT NULL;
CREATE INDEX customers_owner ON customers(owner_id, id);
CREATE INDEX customers_stage ON customers(stage, id);
CREATE INDEX customers_name ON customers(name, id);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX customers_updated ON customers(updated_at, id);

-- Substring search (CJK included) over name, company, e-mail, phone digits and reference: the
-- trigram tokenizer indexes every 3-character window; shorter queries scan search_text.
CREATE VIRTUAL TABLE customers_fts USING fts5(
    search_text, content='customers', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF search_text ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TABLE customer_background (
    customer_id               INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    family_background         TEXT,
    occupation                TEXT,
    personality               TEXT,
    annual_income             TEXT,
    capital                   TEXT,
    education                 TEXT,
    network                   TEXT,
    financial_strength        TEXT,
    cost_budget               TEXT,
    sales_situation           TEXT,
    cost_recovery             TEXT,
    owner_interpersonal_skill TEXT,
    owner_management_level    TEXT,
    buying_values             TEXT,
    purchase_motives          TEXT,
    promotion_attitude        TEXT,
    suggestions               TEXT
);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags(tag, customer_id);

CREATE TABLE custom_fields (
    key        TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    field_type TEXT NOT NULL CHECK (field_type IN ('text','number','date','choice')),
    choices    TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE customer_custom_values (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    field_key   TEXT NOT NULL REFERENCES custom_fields(key) ON DELETE CASCADE,
    value       TEXT NOT NULL,
    PRIMARY KEY (customer_id, field_key)
) WITHOUT ROWID;
CREATE INDEX customer_custom_values_field ON customer_custom_values(field_key);

CREATE TABLE key_persons (
    id                  INTEGER PRIMARY KEY,
    customer_id         INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    title               TEXT,
    phone               TEXT,
    mobile              TEXT,
    email               TEXT,
    hobbies             TEXT,
    birthday            TEXT,
    wedding_anniversary TEXT,
    notes               TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX key_persons_customer ON key_persons(customer_id, id);

CREATE TABLE products (
    id               INTEGER PRIMARY KEY,
    external_ref     TEXT,
    name             TEXT NOT NULL,
    product_line     TEXT,
    unit_price_minor INTEGER,
    currency         TEXT NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1,
    search_text      TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX products_external_ref_key ON products(external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX products_line ON products(product_line, id);

-- import_key identifies an imported order so re-importing a file never doubles it, even for
-- rows without an order number (key = content hash + occurrence within the file).
-- import_hash is the content fingerprint that tells "unchanged" from "updated".
CREATE TABLE orders (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    order_ref     TEXT,
    import_key    TEXT,
    import_hash   TEXT,
    order_date    TEXT NOT NULL,
    currency      TEXT NOT NULL,
    total_minor   INTEGER NOT NULL,
    asked_by_name INTEGER NOT NULL DEFAULT 0,
    notes         TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX orders_customer_date ON orders(customer_id, order_date);
CREATE UNIQUE INDEX orders_order_ref_key ON orders(order_ref) WHERE order_ref IS NOT NULL;

CREATE TABLE order_lines (
    order_id         INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    customer_id      INTEGER NOT NULL,
    product_id       INTEGER REFERENCES products(id) ON DELETE SET NULL,
    product_line     TEXT,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL,
    amount_minor     INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

CREATE TABLE interactions (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    staff_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    key_person_id INTEGER REFERENCES key_persons(id) ON DELETE SET NULL,
    outcome       TEXT,
    notes         TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX interactions_customer ON interactions(customer_id, occurred_at);
CREATE INDEX interactions_staff ON interactions(staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX interactions_key_person ON interactions(key_person_id) WHERE key_person_id IS NOT NULL;
