//! Databases for tests: a fresh SQLite file, and a fresh PostgreSQL database created on the
//! server named by `PATRON_TEST_DATABASE_URL` and dropped again by [`TestDb::cleanup`].
//!
//! When `CI=true`, a missing or unreachable PostgreSQL fails the test instead of skipping it:
//! a green run must mean both backends were exercised.

use crate::sql::Backend;
use sqlx::postgres::PgConnection;
use sqlx::Connection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);
static SWEPT: AtomicBool = AtomicBool::new(false);

/// The test process that made a database, from its name (`patron_t_<pid>_<n>_<nanos>`).
fn maker_pid(name: &str) -> Option<u32> {
    name.strip_prefix("patron_t_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}

/// Drops, once per test process, the databases of earlier test processes that have exited:
/// a failed test leaves its database for inspection, and some tests never reach their
/// cleanup, so without this every run left a dozen behind. A process still running (another
/// suite on the same machine) keeps its databases; only where `/proc` shows which processes
/// run, and never with FORCE, so a database someone is connected to stays.
async fn sweep_stale(conn: &mut PgConnection) {
    if SWEPT.swap(true, Ordering::SeqCst) || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'patron\\_t\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let Some(pid) = maker_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .execute(&mut *conn)
            .await;
    }
}

/// A throwaway database.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    /// URL to pass to [`crate::connect`] or `patron --db`.
    pub url: String,
    admin_url: Option<String>,
    name: String,
    dir: Option<std::path::PathBuf>,
}

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "patron_t_{}_{}_{}",
        std::process::id(),
        n,
        nanos % 1_000_000
    )
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl TestDb {
    /// A new SQLite database file in a fresh temporary directory.
    pub fn sqlite() -> TestDb {
        let name = unique_name();
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("create temp dir for test database");
        let url = format!("sqlite://{}", dir.join("patron.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            admin_url: None,
            name,
            dir: Some(dir),
        }
    }

    /// A new PostgreSQL database, or `None` when `PATRON_TEST_DATABASE_URL` is unset and not in
    /// CI. Panics when the server cannot be reached and either the variable is set or `CI=true`.
    pub async fn postgres() -> Option<TestDb> {
        let admin = match std::env::var("PATRON_TEST_DATABASE_URL") {
            Ok(u) if !u.is_empty() => u,
            _ if ci() => panic!(
                "CI=true but PATRON_TEST_DATABASE_URL is not set: the PostgreSQL half of the suite must run"
            ),
            _ => {
                eprintln!("note: PATRON_TEST_DATABASE_URL unset, PostgreSQL tests skipped (set it to run them)");
                return None;
            }
        };
        let name = unique_name();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at PATRON_TEST_DATABASE_URL is unreachable: {e}")
        });
        sweep_stale(&mut conn).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = conn.close().await;
        let url = replace_db_name(&admin, &name);
        Some(TestDb {
            backend: Backend::Postgres,
            url,
            admin_url: Some(admin),
            name,
            dir: None,
        })
    }

    /// SQLite, plus PostgreSQL when configured (always in CI).
    pub async fn each() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        if let Some(pg) = TestDb::postgres().await {
            v.push(pg);
        }
        v
    }

    /// The schema of the customer and order tables, one line per index, constraint, trigger
    /// and column default: equal before and after an import means the import put back
    /// everything it set aside (see the bulk path of the orders import).
    pub async fn schema_fingerprint(&self) -> Vec<String> {
        self.schema_fingerprint_of(&["customers", "orders", "order_lines"])
            .await
    }

    /// [`TestDb::schema_fingerprint`] of the named tables.
    pub async fn schema_fingerprint_of(&self, tables: &[&str]) -> Vec<String> {
        let quoted: Vec<String> = tables.iter().map(|t| format!("'{t}'")).collect();
        let tables = format!("({})", quoted.join(", "));
        let tables = tables.as_str();
        let rows: Vec<(String,)> = match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                let sql = format!(
                    "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master \
                     WHERE tbl_name IN {tables} ORDER BY 1"
                );
                sqlx::query_as(&sql).fetch_all(&mut c).await
            }
            Backend::Postgres => {
                let mut c = PgConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                let sql = format!(
                    "SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes \
                     WHERE tablename IN {tables} \
                     UNION ALL SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) \
                     || ' valid=' || convalidated FROM pg_constraint \
                     WHERE conrelid::regclass::text IN {tables} \
                     UNION ALL SELECT 'trigger ' || tgname || ': ' || tgenabled::text FROM pg_trigger \
                     WHERE tgrelid::regclass::text IN {tables} AND NOT tgisinternal \
                     UNION ALL SELECT 'default ' || table_name || '.' || column_name || ': ' \
                     || COALESCE(column_default, '') FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name IN {tables} ORDER BY 1"
                );
                sqlx::query_as(&sql).fetch_all(&mut c).await
            }
        }
        .expect("read the schema");
        rows.into_iter().map(|r| r.0).collect()
    }

    /// Runs one statement on a connection of its own (SQL both databases accept); the rows it
    /// changed. For tests that set up what the store's API cannot, such as rows in an earlier
    /// format.
    pub async fn execute(&self, sql: &str) -> u64 {
        match self.backend {
            Backend::Sqlite => sqlx::query(sql)
                .execute(&mut self.sqlite_conn().await)
                .await
                .map(|r| r.rows_affected()),
            Backend::Postgres => sqlx::query(sql)
                .execute(&mut self.pg_conn().await)
                .await
                .map(|r| r.rows_affected()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one integer a query returns (`SELECT COUNT(*) …`), on a connection of its own.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(sql)
                    .fetch_one(&mut self.sqlite_conn().await)
                    .await
            }
            Backend::Postgres => {
                sqlx::query_scalar(sql)
                    .fetch_one(&mut self.pg_conn().await)
                    .await
            }
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The journal mode a new connection finds in the SQLite file (`None` on PostgreSQL): WAL
    /// is recorded in the file, so this tells whether something left it in another mode.
    pub fn sqlite_journal_mode(&self) -> Option<String> {
        let path = crate::sqlite_path(&self.url)?;
        let conn = rusqlite::Connection::open(path).expect("open the test database");
        Some(
            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .expect("journal mode"),
        )
    }

    async fn sqlite_conn(&self) -> sqlx::SqliteConnection {
        sqlx::SqliteConnection::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    async fn pg_conn(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// Removes the database. Call at the end of a test (a failed test leaves it for inspection).
    pub async fn cleanup(self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(admin) = &self.admin_url {
            if let Ok(mut conn) = PgConnection::connect(admin).await {
                let _ = sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                .await;
                let _ = conn.close().await;
            }
        }
    }
}

/// Replaces the database name (the path) of a postgres URL, keeping query parameters.
/// An order of one line of `amount` minor units (quantity 1, no product) on `day`: what tests of
/// classification, credit and the kept folds need of an order.
pub fn one_line_order(
    customer: patron_core::CustomerId,
    day: chrono::NaiveDate,
    amount: i64,
) -> patron_core::OrderInput {
    patron_core::OrderInput {
        customer_id: customer,
        order_date: day,
        lines: vec![patron_core::OrderLineInput {
            quantity: 1,
            amount_minor: Some(amount),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// Runs `body` once per backend (SQLite always, PostgreSQL when configured — required when
/// `CI=true`), each time on a fresh, migrated database; the database is dropped afterwards.
/// The one loop every store test file runs its cases in.
pub async fn each_store<F, Fut>(body: F)
where
    F: Fn(std::sync::Arc<dyn crate::Store>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in TestDb::each().await {
        let store = crate::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{:?}: connect: {e}", db.backend));
        eprintln!("-- backend {:?}", db.backend);
        body(store).await;
        db.cleanup().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_name() {
        assert_eq!(
            super::replace_db_name("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_db_name("postgres://h", "x"),
            "postgres://h/x"
        );
    }

    #[test]
    fn reads_the_making_process_from_a_test_database_name() {
        let name = super::unique_name();
        assert_eq!(super::maker_pid(&name), Some(std::process::id()));
        for other in [
            "patron_t_x_1_2",
            "patron_http_bench_1000000",
            "test",
            "patron_t_",
        ] {
            assert_eq!(super::maker_pid(other), None, "{other}");
        }
    }
}
