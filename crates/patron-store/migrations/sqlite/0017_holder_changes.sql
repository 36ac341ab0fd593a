-- Reassignments of relationship managers are recorded like those of owners (METHOD §3.2: every
-- A-class customer has a named relationship manager; who moved it, when, from whom to whom).
ALTER TABLE owner_changes ADD COLUMN role TEXT NOT NULL DEFAULT 'owner'
    CHECK (role IN ('owner', 'relationship_manager'));
CREATE INDEX owner_changes_at ON owner_changes(at);
