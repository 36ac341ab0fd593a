-- Kept in step with PostgreSQL's 0023 (both databases share schema versions: an archive names
-- the version it was written at). There it makes the count of A-class customers without a
-- relationship manager read indexes alone. SQLite needs no change: its index on the class
-- already carries the customer id (customer_classes' key is the rowid), and its plan for the
-- count walks that index and looks each customer up by rowid. The statement below changes
-- nothing on a database at version 22.
CREATE INDEX IF NOT EXISTS customer_classes_abc ON customer_classes(abc);
