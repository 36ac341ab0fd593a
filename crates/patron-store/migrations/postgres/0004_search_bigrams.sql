-- Two-character CJK/Hangul search (issue #3 speed), PostgreSQL dialect. Mirrors
-- sqlite/0004_search_bigrams.sql: change both together, never edit a landed migration.
--
-- pg_trgm extracts no trigram from a two-character LIKE pattern, so LIKE '%张伟%' read the whole
-- trigram index. This table holds every two-character window of `customers.search_text` that
-- contains a non-ASCII character, so one index lookup answers a two-character CJK/Hangul query
-- exactly. ASCII-only windows (in every e-mail and phone number) and windows with a space (never
-- in a trimmed two-character query) are left out to keep it small. A trigger keeps it in step
-- with every write path, COPY included.
CREATE TABLE customer_bigrams (
    gram        TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    PRIMARY KEY (gram, customer_id)
);

-- The indexed windows of a search text, each once.
CREATE FUNCTION customer_bigrams_of(t TEXT) RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT DISTINCT g FROM (
        SELECT substr(t, i, 2) AS g FROM generate_series(1, char_length(t) - 1) AS i
    ) w
    WHERE octet_length(g) > 2 AND position(' ' IN g) = 0
$$;

INSERT INTO customer_bigrams (gram, customer_id)
SELECT g, c.id FROM customers c, customer_bigrams_of(c.search_text) AS g
ON CONFLICT DO NOTHING;

CREATE FUNCTION customer_bigrams_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'UPDATE' AND OLD.search_text IS NOT DISTINCT FROM NEW.search_text THEN
            RETURN NULL;
        END IF;
        DELETE FROM customer_bigrams
        WHERE customer_id = OLD.id AND gram IN (SELECT customer_bigrams_of(OLD.search_text));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO customer_bigrams (gram, customer_id)
        SELECT g, NEW.id FROM customer_bigrams_of(NEW.search_text) AS g
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_bigrams_sync AFTER INSERT OR DELETE OR UPDATE OF search_text ON customers
    FOR EACH ROW EXECUTE FUNCTION customer_bigrams_sync();
