//! What an orders import changes in the schema for its own duration, inside its own
//! transaction, and puts back before it commits — the bulk-loading recipe of both databases'
//! manuals: maintain a search index once for the new rows instead of row by row, and, for a
//! large import, build indexes and check foreign keys once over the table instead of once per
//! row.
//!
//! DDL is transactional on both databases, so a failed or rolled-back import restores
//! everything with the data; a crash midway leaves the schema as it was.
//!
//! **Always (SQLite):** the insert triggers that keep the search index (`customers_fts`) and the
//! two-character index (`customer_bigrams`) up to date are dropped and re-created from their own
//! stored SQL; the new customers are indexed with one statement each before commit. The import
//! holds SQLite's write lock anyway and readers keep reading the committed schema, so nobody
//! notices.
//!
//! **Large imports** ([`is_bulk`]): the non-unique indexes of `orders` and `order_lines` are
//! dropped and rebuilt at the end (a sort instead of a million random index inserts). On
//! PostgreSQL also their foreign keys (each checked row by row costs a query per row, more than
//! the COPY itself; re-adding validates the table with one join) and the two-character trigger
//! (a PL/pgSQL call per customer) are set aside; on both, the trigger that notes customers whose
//! orders changed (nothing is kept to note against, see [`Deferred::start`]). Unique indexes
//! stay: they guard correctness.
//! On PostgreSQL this takes the order and customer tables for the import's transaction
//! (`ACCESS EXCLUSIVE`), so other sessions wait for it; `--online` keeps the row-by-row path.

use super::conn::{Arg, Conn};
use crate::error::StoreResult;
use chrono::{DateTime, Utc};

/// An import of at least this many rows may restructure (below it, rebuilding costs more than
/// it saves).
pub(crate) const BULK_MIN_ROWS: u64 = 50_000;

/// Whether an import of about `expected` rows into a table of `existing` orders is large enough
/// to rebuild indexes and foreign keys: rebuilding costs time in proportion to the whole table,
/// the saving is in proportion to the rows imported, so the import must at least double it.
pub(crate) fn is_bulk(expected: Option<u64>, existing: i64, online_required: bool) -> bool {
    match expected {
        Some(n) => {
            !online_required && n >= BULK_MIN_ROWS && u64::try_from(existing).unwrap_or(0) <= n
        }
        None => false,
    }
}

/// About how many rows `table` holds, cheaply: SQLite's largest id (an overestimate after
/// deletes, which only makes the bulk path rarer); PostgreSQL's planner estimate, which index
/// builds and ANALYZE keep current (its ids are no guide: sequences skip what rolled back),
/// counted when the table was never analysed.
pub(crate) async fn row_estimate(c: &mut Conn<'_>, table: &str) -> StoreResult<i64> {
    if c.is_sqlite() {
        return c
            .scalar_i64(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), vec![])
            .await;
    }
    c.scalar_i64(
        &format!(
            "SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint \
             ELSE (SELECT count(*) FROM {table}) END \
             FROM pg_class WHERE oid = to_regclass('{table}')"
        ),
        vec![],
    )
    .await
}

/// Whether a large import (see [`is_bulk`]) also rebuilds the customers' non-unique indexes:
/// when the customers stored are few against the rows coming (a tenth: orders files hold
/// several orders per customer), so most customers after the import are new ones.
pub(crate) fn is_bulk_customers(expected: Option<u64>, existing_customers: i64) -> bool {
    let existing = u64::try_from(existing_customers).unwrap_or(0);
    expected.is_some_and(|n| existing.saturating_mul(10) <= n)
}

/// Schema set aside by [`Deferred::start`], restored by [`Deferred::finish`].
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    /// Customers with a greater id are new (ids continue after the maximum; on PostgreSQL the
    /// table is locked against other writers before the maximum is read).
    max_customer_before: i64,
    /// Fill `customers_fts` for the new customers.
    fts: bool,
    /// Fill `customer_bigrams` for the new customers.
    bigrams: bool,
    /// Statements that rebuild indexes, in order.
    indexes: Vec<String>,
    /// Statements that re-add foreign keys (after the indexes).
    foreign_keys: Vec<String>,
    /// Statements that restore triggers and defaults (last, after the backfills).
    restore: Vec<String>,
    /// `orders.created_at` defaults to the import's time meanwhile: leave it out of the rows.
    pub created_by_default: bool,
    /// Whether the large-import path was taken.
    pub bulk: bool,
    /// Whether the customers' non-unique indexes are rebuilt too (see [`is_bulk_customers`]).
    pub customers: bool,
}

/// Tables whose non-unique indexes (and, on PostgreSQL, foreign keys) a large import rebuilds.
const ORDER_TABLES: [&str; 2] = ["orders", "order_lines"];

impl Deferred {
    /// The tables whose non-unique indexes are dropped and rebuilt.
    fn index_tables(&self) -> Vec<&'static str> {
        let mut t = Vec::new();
        if self.bulk {
            t.extend(ORDER_TABLES);
        }
        if self.customers {
            t.push("customers");
        }
        t
    }

    /// Sets schema aside for an import inside the open transaction on `c`.
    /// `at`: the import's time, the default of `orders.created_at` on PostgreSQL's bulk path.
    pub(crate) async fn start(
        c: &mut Conn<'_>,
        bulk: bool,
        customers: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<Self> {
        let mut d = Deferred {
            bulk,
            customers: bulk && customers,
            ..Default::default()
        };
        if bulk {
            // A large import is most of the orders: every customer is folded again at the next
            // run, and the triggers that note changed customers have nothing to note.
            super::purchase_folds::forget_all(c).await?;
        }
        if c.is_sqlite() {
            d.start_sqlite(c).await?;
        } else if bulk {
            d.start_pg(c, at).await?;
        }
        Ok(d)
    }

    async fn start_sqlite(&mut self, c: &mut Conn<'_>) -> StoreResult<()> {
        self.fts = self.drop_trigger_sqlite(c, "customers_fts_insert").await?;
        self.bigrams = self
            .drop_trigger_sqlite(c, "customer_bigrams_insert")
            .await?;
        if self.bulk {
            // With nothing kept (see `start`) it notes nothing, but SQLite still runs its
            // `WHEN` as a sub-program for every order inserted: without it a 1,000,000-row
            // import took 0.85-0.92 of the time (five alternated pairs, median 0.874).
            self.drop_trigger_sqlite(c, "orders_fold_insert").await?;
        }
        self.max_customer_before = c
            .scalar_i64("SELECT COALESCE(MAX(id), 0) FROM customers", vec![])
            .await?;
        for table in self.index_tables() {
            let create = super::table_rewrite::drop_secondary_indexes_sqlite(c, table).await?;
            self.indexes.extend(create);
        }
        Ok(())
    }

    /// Drops the SQLite trigger `name` when it exists, and notes its stored SQL to re-create
    /// it at the end; whether it did.
    async fn drop_trigger_sqlite(&mut self, c: &mut Conn<'_>, name: &str) -> StoreResult<bool> {
        let sql: Option<(String,)> = c
            .fetch_optional(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                vec![Arg::from(name)],
            )
            .await?;
        let Some((sql,)) = sql else {
            return Ok(false);
        };
        c.execute(&format!("DROP TRIGGER {name}"), vec![]).await?;
        self.restore.push(sql);
        Ok(true)
    }

    /// Disables `table`'s trigger `name` (PostgreSQL) when it exists and is enabled, and notes
    /// its re-enabling for the end; whether it did.
    async fn disable_trigger(
        &mut self,
        c: &mut Conn<'_>,
        table: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let enabled: Option<(String,)> = c
            .fetch_optional(
                "SELECT tgname::text FROM pg_trigger \
                 WHERE tgrelid = to_regclass($1) AND tgname = $2 AND tgenabled <> 'D'",
                vec![Arg::from(table), Arg::from(name)],
            )
            .await?;
        if enabled.is_none() {
            return Ok(false);
        }
        c.execute(
            &format!("ALTER TABLE {table} DISABLE TRIGGER {name}"),
            vec![],
        )
        .await?;
        self.restore
            .push(format!("ALTER TABLE {table} ENABLE TRIGGER {name}"));
        Ok(true)
    }

    async fn start_pg(&mut self, c: &mut Conn<'_>, at: DateTime<Utc>) -> StoreResult<()> {
        // Index builds at the end sort in memory rather than on disk.
        c.execute("SET LOCAL maintenance_work_mem = '256MB'", vec![])
            .await?;
        let tables: Vec<Arg> = ORDER_TABLES.iter().map(|t| Arg::from(*t)).collect();
        let fks: Vec<(String, String, String)> = c
            .fetch_all(
                "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) \
                 FROM pg_constraint WHERE contype = 'f' \
                 AND conrelid IN (to_regclass($1), to_regclass($2)) ORDER BY conname",
                tables.clone(),
            )
            .await?;
        for (table, name, def) in fks {
            c.execute(
                &format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""),
                vec![],
            )
            .await?;
            self.foreign_keys.push(format!(
                "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"
            ));
        }
        drop(tables);
        for table in self.index_tables() {
            let indexes: Vec<(String, String)> = c
                .fetch_all(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
                     FROM pg_index i WHERE i.indrelid = to_regclass($1) \
                     AND NOT i.indisunique AND NOT i.indisprimary ORDER BY 1",
                    vec![Arg::from(table)],
                )
                .await?;
            for (name, def) in indexes {
                c.execute(&format!("DROP INDEX {name}"), vec![]).await?;
                self.indexes.push(def);
            }
        }
        // Also locks `customers` against other writers, so the maximum below is exact.
        self.bigrams = self
            .disable_trigger(c, "customers", "customer_bigrams_sync")
            .await?;
        // With nothing kept (see `start`), it would only collect the imported rows for nothing.
        self.disable_trigger(c, "orders", "orders_fold_insert")
            .await?;
        // Dropping the foreign keys took `orders`, `order_lines` and `customers` exclusively;
        // say so explicitly (and for the tables without one), and let `reserve_ids` claim id
        // ranges with one `setval` (nobody else can draw from these sequences meanwhile).
        c.execute(
            "LOCK TABLE customers, orders, order_lines IN SHARE ROW EXCLUSIVE MODE",
            vec![],
        )
        .await?;
        c.execute("SET LOCAL patron.ids_locked = 'on'", vec![])
            .await?;
        // Every imported order gets the import's time: as the column default, so COPY need
        // not send (and the server parse) it per row. The previous default comes back at the end.
        let previous: Option<(Option<String>,)> = c
            .fetch_optional(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d \
                 JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum \
                 WHERE d.adrelid = to_regclass('orders') AND a.attname = 'created_at'",
                vec![],
            )
            .await?;
        let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        c.execute(
            &format!(
                "ALTER TABLE orders ALTER COLUMN created_at SET DEFAULT '{stamp}'::timestamptz"
            ),
            vec![],
        )
        .await?;
        self.restore.push(match previous.and_then(|p| p.0) {
            Some(expr) => format!("ALTER TABLE orders ALTER COLUMN created_at SET DEFAULT {expr}"),
            None => "ALTER TABLE orders ALTER COLUMN created_at DROP DEFAULT".into(),
        });
        self.created_by_default = true;
        self.max_customer_before = c
            .scalar_i64("SELECT COALESCE(MAX(id), 0) FROM customers", vec![])
            .await?;
        Ok(())
    }

    /// Restores what [`Deferred::start`] set aside and indexes the new customers; call before
    /// commit (a rollback restores the schema by itself).
    pub(crate) async fn finish(self, c: &mut Conn<'_>) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let max = self.max_customer_before;
        if self.bulk && !c.is_sqlite() {
            // The import planned its lookups with sequential scans off; index builds and the
            // foreign keys' validating joins want them, and memory to hash in.
            for sql in [
                "SET LOCAL enable_seqscan = on",
                "SET LOCAL work_mem = '64MB'",
            ] {
                c.execute(sql, vec![]).await?;
            }
        }
        for sql in &self.indexes {
            c.execute(sql, vec![]).await?;
        }
        let indexes_done = started.elapsed();
        for sql in &self.foreign_keys {
            c.execute(sql, vec![]).await?;
        }
        let fks_done = started.elapsed();
        if self.fts {
            c.execute(
                "INSERT INTO customers_fts(rowid, search_text) \
                 SELECT id, search_text FROM customers WHERE id > ?",
                vec![Arg::from(max)],
            )
            .await?;
        }
        if self.bigrams {
            // Only texts with a non-ASCII character have indexed windows (see migration 0004).
            let sql = if c.is_sqlite() {
                "INSERT OR IGNORE INTO customer_bigrams (gram, customer_id) \
                 SELECT substr(c.search_text, p.key + 1, 2), c.id \
                 FROM customers c, json_each('[' || substr(replace(hex(zeroblob(max(length(c.search_text) - 1, 0))), '00', ',0'), 2) || ']') p \
                 WHERE c.id > ? AND length(CAST(c.search_text AS BLOB)) > length(c.search_text) \
                 AND length(CAST(substr(c.search_text, p.key + 1, 2) AS BLOB)) > 2 \
                 AND instr(substr(c.search_text, p.key + 1, 2), ' ') = 0"
            } else {
                "INSERT INTO customer_bigrams (gram, customer_id) \
                 SELECT g, c.id FROM customers c, customer_bigrams_of(c.search_text) AS g \
                 WHERE c.id > $1 AND octet_length(c.search_text) > char_length(c.search_text) \
                 ON CONFLICT DO NOTHING"
            };
            c.execute(sql, vec![Arg::from(max)]).await?;
        }
        for sql in &self.restore {
            c.execute(sql, vec![]).await?;
        }
        tracing::debug!(
            bulk = self.bulk,
            indexes_ms = indexes_done.as_millis() as u64,
            foreign_keys_ms = (fks_done - indexes_done).as_millis() as u64,
            search_ms = (started.elapsed() - fks_done).as_millis() as u64,
            "import: schema restored"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_only_for_large_imports_that_at_least_double_the_table() {
        assert!(!is_bulk(None, 0, false));
        assert!(!is_bulk(Some(BULK_MIN_ROWS - 1), 0, false));
        assert!(is_bulk(Some(BULK_MIN_ROWS), 0, false));
        assert!(is_bulk(Some(1_000_000), 1_000_000, false));
        assert!(!is_bulk(Some(1_000_000), 1_000_001, false));
        assert!(!is_bulk(Some(1_000_000), 0, true));
        assert!(is_bulk_customers(Some(1_000_000), 100_000));
        assert!(!is_bulk_customers(Some(1_000_000), 100_001));
        assert!(!is_bulk_customers(None, 0));
    }
}
