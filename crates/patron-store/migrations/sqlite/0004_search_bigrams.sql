-- Two-character CJK/Hangul search (issue #3 speed), SQLite dialect. Mirrors
-- postgres/0004_search_bigrams.sql: change both together, never edit a landed migration.
--
-- The FTS5 trigram index cannot answer a query shorter than three characters, and the usual
-- Chinese and Korean names are two (张伟, 김민): those searches scanned every customer. This table
-- holds every two-character window of `customers.search_text` that contains a non-ASCII character
-- (so one lookup answers a two-character CJK query exactly, in id order). Windows made only of
-- ASCII are left out: they are in every e-mail and phone number and would multiply the table
-- several times for queries that a scan answers quickly anyway. Windows with a space are left
-- out: a trimmed two-character query never contains one.
--
-- Triggers keep it in step with every write path (forms, API, import, the demo's bulk insert,
-- merge, delete). They never rely on INSERT OR IGNORE: an outer statement's conflict clause
-- (the bulk path's INSERT OR ROLLBACK) overrides the one inside a trigger, so repeated windows
-- ("张伟张伟") are removed with DISTINCT and NOT EXISTS instead. Triggers cannot hold a WITH clause, so the positions 0..n-2 come from
-- json_each over an array of n-1 zeros built from zeroblob(n-1).
CREATE TABLE customer_bigrams (
    gram        TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (gram, customer_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO customer_bigrams (gram, customer_id)
SELECT substr(c.search_text, p.key + 1, 2), c.id
FROM customers c,
     json_each('[' || substr(replace(hex(zeroblob(max(length(c.search_text) - 1, 0))), '00', ',0'), 2) || ']') p
WHERE length(CAST(substr(c.search_text, p.key + 1, 2) AS BLOB)) > 2
  AND instr(substr(c.search_text, p.key + 1, 2), ' ') = 0;

CREATE TRIGGER customer_bigrams_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_bigrams (gram, customer_id)
    SELECT DISTINCT substr(new.search_text, p.key + 1, 2), new.id
    FROM json_each('[' || substr(replace(hex(zeroblob(max(length(new.search_text) - 1, 0))), '00', ',0'), 2) || ']') p
    WHERE length(CAST(substr(new.search_text, p.key + 1, 2) AS BLOB)) > 2
      AND instr(substr(new.search_text, p.key + 1, 2), ' ') = 0
      AND NOT EXISTS (SELECT 1 FROM customer_bigrams b
                      WHERE b.gram = substr(new.search_text, p.key + 1, 2) AND b.customer_id = new.id);
END;

CREATE TRIGGER customer_bigrams_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customer_bigrams
    WHERE customer_id = old.id AND gram IN (
        SELECT substr(old.search_text, p.key + 1, 2)
        FROM json_each('[' || substr(replace(hex(zeroblob(max(length(old.search_text) - 1, 0))), '00', ',0'), 2) || ']') p);
END;

CREATE TRIGGER customer_bigrams_update AFTER UPDATE OF search_text ON customers
WHEN old.search_text IS NOT new.search_text BEGIN
    DELETE FROM customer_bigrams
    WHERE customer_id = old.id AND gram IN (
        SELECT substr(old.search_text, p.key + 1, 2)
        FROM json_each('[' || substr(replace(hex(zeroblob(max(length(old.search_text) - 1, 0))), '00', ',0'), 2) || ']') p);
    INSERT INTO customer_bigrams (gram, customer_id)
    SELECT DISTINCT substr(new.search_text, p.key + 1, 2), new.id
    FROM json_each('[' || substr(replace(hex(zeroblob(max(length(new.search_text) - 1, 0))), '00', ',0'), 2) || ']') p
    WHERE length(CAST(substr(new.search_text, p.key + 1, 2) AS BLOB)) > 2
      AND instr(substr(new.search_text, p.key + 1, 2), ' ') = 0
      AND NOT EXISTS (SELECT 1 FROM customer_bigrams b
                      WHERE b.gram = substr(new.search_text, p.key + 1, 2) AND b.customer_id = new.id);
END;
