//! Rewriting every row of a derived table (the current classes, the scores) in one transaction.
//!
//! A scoring run on the next day changes nearly every row (P(alive) moves for everyone); a
//! classification run does when the rules changed, and rewrites the ranking (`class_ranks`)
//! whenever one customer's revenue moved. Writing a million rows into a table that keeps
//! its secondary indexes and, on PostgreSQL, checks its foreign key per row cost 9.0 s on SQLite
//! and 23.4 s on PostgreSQL for the classes alone — the per-row foreign-key check on PostgreSQL
//! also locks every customer row (`FOR KEY SHARE`), dirtying the whole customers table. The bulk
//! loading advice of both manuals applies: load into a table without indexes, then build each
//! index once and validate each foreign key with one join. DDL is transactional on both
//! backends, so a failed run restores the schema by its rollback.
//!
//! - SQLite: the secondary indexes are dropped, the table emptied, the rows inserted, the
//!   indexes created again. Readers (WAL) see the old rows until the commit.
//! - PostgreSQL: the rows go into a fresh table built like the old one (`LIKE … INCLUDING`),
//!   copied already frozen; its keys, indexes and foreign keys are added under temporary names,
//!   and only then is the old table dropped and the new one renamed into its place. The old
//!   table stays readable until that last step, so the scheduler's nightly run inside `patron
//!   serve` does not hold the customer pages up while it loads. A table a site has built on
//!   (a view over it, its own trigger, grants, row security, a publication) is rewritten in
//!   place instead, as before: the swap would lose those.

use super::bulk::{write_rows, write_rows_frozen, RowSource};
use super::conn::{Arg, Conn};
use crate::error::StoreResult;

/// A rewrite of at least this many rows empties the table and rebuilds its indexes; below it,
/// the rebuild (a pass over the whole table per index) costs more than it saves.
pub(crate) const REWRITE_MIN_ROWS: usize = 50_000;

/// A table being rewritten; [`Rewrite::finish`] puts back what [`Rewrite::empty`] set aside.
#[must_use = "the table's indexes come back only through `finish`"]
pub(crate) struct Rewrite {
    /// Where the new rows go: the table itself (SQLite), or its fresh twin (PostgreSQL).
    target: String,
    /// Statements that complete the rewrite, in order.
    finish: Vec<String>,
    /// PostgreSQL: the target was created in this transaction, so `COPY … FREEZE` may write its
    /// rows already frozen (no later vacuum pass over a million fresh rows).
    fresh: bool,
}

impl Rewrite {
    /// Starts replacing every row of `table` inside the open transaction on `c` (see the
    /// module's documentation). `table` is one of the store's own table names, never user input.
    pub(crate) async fn empty(c: &mut Conn<'_>, table: &'static str) -> StoreResult<Self> {
        if c.is_sqlite() {
            Self::empty_sqlite(c, table).await
        } else {
            Self::empty_pg(c, table).await
        }
    }

    async fn empty_sqlite(c: &mut Conn<'_>, table: &'static str) -> StoreResult<Self> {
        let finish = drop_secondary_indexes_sqlite(c, table).await?;
        // Without a WHERE clause (and with no trigger on these tables) SQLite frees the table's
        // pages instead of deleting row by row.
        c.execute(&format!("DELETE FROM {table}"), vec![]).await?;
        Ok(Rewrite {
            target: table.to_owned(),
            finish,
            fresh: false,
        })
    }

    async fn empty_pg(c: &mut Conn<'_>, table: &'static str) -> StoreResult<Self> {
        // The swap would lose what a site added to the table itself — a view over it (the drop
        // would fail), triggers, grants, row security, a publication. With any of those the
        // rows are replaced in place, checked row by row as before.
        let plain = c
            .scalar_i64(
                "SELECT CASE WHEN (SELECT relacl IS NULL AND NOT relrowsecurity FROM pg_class \
                 WHERE oid = to_regclass($1)) \
                 AND NOT EXISTS (SELECT 1 FROM pg_trigger \
                   WHERE tgrelid = to_regclass($1) AND NOT tgisinternal) \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend \
                   WHERE refobjid = to_regclass($1) AND classid = 'pg_rewrite'::regclass) \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = to_regclass($1)) \
                 AND NOT EXISTS (SELECT 1 FROM pg_publication_rel WHERE prrelid = to_regclass($1)) \
                 THEN 1::bigint ELSE 0::bigint END",
                vec![Arg::from(table)],
            )
            .await?
            == 1;
        if !plain {
            c.execute(&format!("DELETE FROM {table}"), vec![]).await?;
            return Ok(Rewrite {
                target: table.to_owned(),
                finish: Vec::new(),
                fresh: false,
            });
        }
        // Index builds sort in memory rather than on disk; the validating joins hash.
        for sql in [
            "SET LOCAL maintenance_work_mem = '256MB'",
            "SET LOCAL work_mem = '64MB'",
        ] {
            c.execute(sql, vec![]).await?;
        }
        let twin = format!("{table}_rewrite");
        let temp = |name: &str| format!("{name}_rw");
        // Keys and foreign keys by their definition; CHECK constraints, defaults, comments and
        // statistics objects come with `LIKE`.
        let constraints: Vec<(String, String, String)> = c
            .fetch_all(
                "SELECT conname::text, contype::text, pg_get_constraintdef(oid) \
                 FROM pg_constraint WHERE conrelid = to_regclass($1) \
                 AND contype IN ('p', 'u', 'f') ORDER BY contype DESC, conname",
                vec![Arg::from(table)],
            )
            .await?;
        // The indexes that back no constraint.
        let indexes: Vec<(String, String)> = c
            .fetch_all(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
                 FROM pg_index i WHERE i.indrelid = to_regclass($1) AND NOT EXISTS \
                 (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid \
                  AND k.conrelid = i.indrelid) ORDER BY 1",
                vec![Arg::from(table)],
            )
            .await?;
        c.execute(
            &format!("CREATE TABLE {twin} (LIKE {table} INCLUDING ALL EXCLUDING INDEXES)"),
            vec![],
        )
        .await?;
        let mut finish = Vec::new();
        let mut renames = Vec::new();
        // Keys first (their indexes), then the other indexes, then the foreign keys.
        // Added to the twin under a temporary name, renamed after the swap.
        let constraint = |name: &str, def: &str| {
            (
                format!("ALTER TABLE {twin} ADD CONSTRAINT \"{}\" {def}", temp(name)),
                format!(
                    "ALTER TABLE {table} RENAME CONSTRAINT \"{}\" TO \"{name}\"",
                    temp(name)
                ),
            )
        };
        for (name, _, def) in constraints.iter().filter(|k| k.1 != "f") {
            let (add, rename) = constraint(name, def);
            finish.push(add);
            renames.push(rename);
        }
        for (name, def) in &indexes {
            let Some((_, method)) = def.split_once(" USING ") else {
                return Err(crate::error::StoreError::other(
                    format!("rewriting {table}: the definition of index {name}"),
                    std::io::Error::other(def.clone()),
                ));
            };
            let unique = if def.starts_with("CREATE UNIQUE") {
                "UNIQUE "
            } else {
                ""
            };
            finish.push(format!(
                "CREATE {unique}INDEX \"{}\" ON {twin} USING {method}",
                temp(name)
            ));
            renames.push(format!(
                "ALTER INDEX \"{}\" RENAME TO \"{name}\"",
                temp(name)
            ));
        }
        for (name, _, def) in constraints.iter().filter(|k| k.1 == "f") {
            let (add, rename) = constraint(name, def);
            finish.push(add);
            renames.push(rename);
        }
        // Fresh statistics, so the next queries are planned for a million rows.
        finish.push(format!("ANALYZE {twin}"));
        // The swap: the only step that takes the old table exclusively, just before commit.
        finish.push(format!("DROP TABLE {table}"));
        finish.push(format!("ALTER TABLE {twin} RENAME TO {table}"));
        finish.extend(renames);
        Ok(Rewrite {
            target: twin,
            finish,
            fresh: true,
        })
    }

    /// Writes the new rows (see [`write_rows`]; frozen on PostgreSQL, see [`write_rows_frozen`]).
    pub(crate) async fn write<S: RowSource>(
        &self,
        c: &mut Conn<'_>,
        cols: &[&str],
        src: &mut S,
    ) -> StoreResult<()> {
        if self.fresh {
            write_rows_frozen(c, &self.target, cols, src).await
        } else {
            write_rows(c, &self.target, cols, src).await
        }
    }

    /// Builds the indexes, validates the foreign keys and (PostgreSQL) swaps the tables; call
    /// after the rows are written and before commit.
    pub(crate) async fn finish(self, c: &mut Conn<'_>) -> StoreResult<()> {
        for sql in &self.finish {
            c.execute(sql, vec![]).await?;
        }
        Ok(())
    }
}

/// Drops `table`'s secondary (non-unique) indexes on SQLite and returns the statements that
/// create them again (a large import and a large rewrite both build them once at the end).
pub(crate) async fn drop_secondary_indexes_sqlite(
    c: &mut Conn<'_>,
    table: &str,
) -> StoreResult<Vec<String>> {
    let indexes: Vec<(String, String)> = c
        .fetch_all(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = ? AND sql IS NOT NULL \
             AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
            vec![Arg::from(table)],
        )
        .await?;
    let mut create = Vec::with_capacity(indexes.len());
    for (name, sql) in indexes {
        c.execute(&format!("DROP INDEX \"{name}\""), vec![]).await?;
        create.push(sql);
    }
    Ok(create)
}
