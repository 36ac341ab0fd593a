//! Crash safety (issue 7, point 2) on SQLite and PostgreSQL: the real `patron` binary killed with
//! SIGKILL in the middle of a large import and in the middle of a stream of API writes. After a
//! restart the SQLite file passes its integrity check, the import is wholly present or wholly
//! absent, and every customer whose creation the API acknowledged (201) is there. Also the
//! running server's operations endpoints: `/readyz` and the Prometheus metrics on their own
//! address (`--metrics-addr`).

mod support;

use patron_store::testkit::TestDb;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{free_port, wait_up};

fn json_of(cmd: &mut Command, stdin: Option<&str>) -> Value {
    support::run_json(cmd, stdin).0
}

/// An administrator's personal API token, made on the command line.
fn admin_token(db: &TestDb) -> String {
    json_of(
        support::patron(&db.url).args([
            "user",
            "add",
            "ops@example.com",
            "--role",
            "admin",
            "--json",
        ]),
        Some("a long enough password\n"),
    );
    json_of(
        support::patron(&db.url).args(["token", "create", "ops@example.com", "--json"]),
        None,
    )["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn inspect(db: &TestDb, table: &str) -> (i64, bool) {
    // Opening the store runs recovery (SQLite's WAL replay) and the migrations, as a restart does.
    let store = patron_store::connect(&db.url)
        .await
        .expect("reopen after the crash");
    drop(store);
    match patron_store::sqlite_path(&db.url) {
        Some(path) => {
            let c = patron_store::backup::check(&path);
            let n = {
                let conn = rusqlite::Connection::open(&path).expect("open");
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                    .expect("count")
            };
            (n, c.is_ok())
        }
        None => {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
                .await
                .expect("connect");
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut conn)
                .await
                .expect("count");
            (n, true)
        }
    }
}

fn write_customers(path: &Path, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("csv"));
    writeln!(f, "ref,name,phone,address").expect("header");
    for i in 0..rows {
        writeln!(
            f,
            "K{i:07},顾客 {i},+86 138 {:04} {:04},上海",
            i / 10_000,
            i % 10_000
        )
        .expect("row");
    }
}

/// A file of `rows` one-line orders without order numbers, ten per customer.
fn write_orders(path: &Path, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("csv"));
    writeln!(
        f,
        "customer_ref,date,product_ref,product_line,quantity,amount"
    )
    .expect("header");
    for i in 0..rows {
        writeln!(
            f,
            "C{:06},2025-{:02}-{:02},P{:03},Line {},{},{}.{:02}",
            i / 10,
            1 + i % 12,
            1 + i % 28,
            i % 50,
            i % 5,
            1 + i % 4,
            5 + i % 300,
            i % 100
        )
        .expect("row");
    }
}

/// Starts `patron import ENTITY csv` and kills it (SIGKILL) after each of `waits` in turn,
/// each time checking after a restart that the file passes its integrity check, that `table`
/// holds none or all of the `rows`, and (SQLite) that the file is in WAL mode; stops once the
/// import got through. Whether a kill caught the import running.
async fn kill_import_at(
    db: &TestDb,
    entity: &str,
    csv: &Path,
    table: &str,
    rows: usize,
    waits: [u64; 3],
) -> bool {
    let mut killed_running = false;
    for wait_ms in waits {
        let mut child = support::patron(&db.url)
            .args(["import", entity])
            .arg(csv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn import");
        std::thread::sleep(Duration::from_millis(wait_ms));
        let finished = child.try_wait().expect("poll").is_some();
        let _ = child.kill();
        let _ = child.wait();
        let (n, intact) = inspect(db, table).await;
        eprintln!(
            "{:?}: {entity} import killed at {wait_ms} ms (had finished: {finished}): {n} {table}",
            db.backend
        );
        assert!(intact, "integrity check after a kill at {wait_ms} ms");
        assert!(
            n == 0 || n == rows as i64,
            "after a kill at {wait_ms} ms (finished: {finished}) {n} of {rows} {table}"
        );
        if let Some(mode) = db.sqlite_journal_mode() {
            assert_eq!(mode, "wal", "after a kill at {wait_ms} ms");
        }
        killed_running |= !finished;
        if n > 0 {
            break;
        }
    }
    killed_running
}

/// Runs `patron import ENTITY csv` to its end; it must succeed.
fn import_whole(db: &TestDb, entity: &str, csv: &Path) {
    let out = support::patron(&db.url)
        .args(["import", entity])
        .arg(csv)
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A large orders import into an empty archive takes the bulk path: on SQLite a rollback
/// journal instead of the write-ahead log (no other connection is open), indexes rebuilt at the
/// end; on PostgreSQL indexes and foreign keys rebuilt at the end. Killed at any moment, it is
/// wholly absent or wholly present after a restart, the file passes its integrity check and
/// SQLite is back in WAL mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_large_orders_import_is_wholly_absent_or_wholly_present() {
    for db in TestDb::each().await {
        let dir = tempfile::tempdir().expect("dir");
        let csv = dir.path().join("orders.csv");
        let rows = 120_000;
        write_orders(&csv, rows);
        let caught = kill_import_at(&db, "orders", &csv, "orders", rows, [400, 1500, 4000]).await;
        assert!(caught, "no kill caught the orders import running");
        import_whole(&db, "orders", &csv);
        // The import itself returned the file to WAL (nothing has reopened it yet).
        if let Some(mode) = db.sqlite_journal_mode() {
            assert_eq!(mode, "wal", "after a whole import");
        }
        let (n, intact) = inspect(&db, "orders").await;
        assert!(
            intact && n == rows as i64,
            "{n} of {rows} after a whole import"
        );
        let (lines, _) = inspect(&db, "order_lines").await;
        assert_eq!(lines, rows as i64);
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_is_wholly_absent_or_wholly_present() {
    for db in TestDb::each().await {
        let dir = tempfile::tempdir().expect("dir");
        let csv = dir.path().join("customers.csv");
        let rows = 30_000;
        write_customers(&csv, rows);
        // Kill it at a different moment of its life each time: while reading, while writing,
        // around the commit.
        let caught =
            kill_import_at(&db, "customers", &csv, "customers", rows, [200, 800, 2000]).await;
        assert!(caught, "no kill caught the import running");
        // Left alone, the same import completes: the kills left nothing in its way.
        import_whole(&db, "customers", &csv);
        let (n, intact) = inspect(&db, "customers").await;
        assert!(
            intact && n == rows as i64,
            "{n} of {rows} after a whole import"
        );
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_api_write_survives_a_kill() {
    for db in TestDb::each().await {
        let token = admin_token(&db);
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = support::patron(&db.url)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let client = reqwest::Client::new();
        wait_up(&client, &base).await;
        // Eight writers create customers until the server dies under them.
        let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
        let mut writers = Vec::new();
        for w in 0..8 {
            let (client, base, token, acked) =
                (client.clone(), base.clone(), token.clone(), acked.clone());
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let r = client
                        .post(format!("{base}/api/v1/customers"))
                        .bearer_auth(&token)
                        .json(&json!({"kind": "person", "name": format!("writer {w} #{i}")}))
                        .send()
                        .await;
                    let Ok(r) = r else { break };
                    if r.status().as_u16() != 201 {
                        break;
                    }
                    let Ok(body) = r.json::<Value>().await else {
                        break;
                    };
                    if let Some(id) = body["id"].as_i64() {
                        acked.lock().expect("lock").push(id);
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill().expect("kill -9");
        let _ = server.wait();
        for w in writers {
            let _ = w.await;
        }
        let acked = acked.lock().expect("lock").clone();
        assert!(
            acked.len() > 10,
            "the writers got going ({} writes)",
            acked.len()
        );
        let (n, intact) = inspect(&db, "customers").await;
        assert!(intact, "integrity check after the kill");
        let store = patron_store::connect(&db.url).await.expect("restart");
        for id in &acked {
            store
                .get_customer(patron_core::CustomerId(*id))
                .await
                .unwrap_or_else(|e| panic!("acknowledged customer {id} lost: {e}"));
        }
        assert!(n >= acked.len() as i64);
        eprintln!(
            "{:?}: {} acknowledged writes, {n} customers after the kill",
            db.backend,
            acked.len()
        );
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reports_readiness_and_prometheus_metrics() {
    let db = TestDb::sqlite();
    let token = admin_token(&db);
    let (port, mport) = (free_port(), free_port());
    let logs = tempfile::NamedTempFile::new().expect("log file");
    let mut server = support::patron(&db.url)
        .args([
            "--log-format",
            "json",
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--metrics-addr", &format!("127.0.0.1:{mport}")])
        .stdout(Stdio::null())
        .stderr(Stdio::from(logs.reopen().expect("log file")))
        .spawn()
        .expect("serve");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_up(&client, &base).await;
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    for _ in 0..3 {
        let r = client
            .get(format!("{base}/api/v1/customers/7"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 404);
    }
    // Not on the application's address…
    let r = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 404);
    // …but on its own. The background jobs' first runs start with the server and may still be
    // running on a busy machine: their counter is waited for (up to 30 s), then asserted below.
    let mut text = String::new();
    for _ in 0..150 {
        text = client
            .get(format!("http://127.0.0.1:{mport}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("body");
        if text.contains("patron_background_runs_total") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        text.contains(
            "patron_http_requests_total{method=\"GET\",route=\"/api/v1/customers/{id}\",status=\"404\"} 3"
        ),
        "{text}"
    );
    assert!(
        text.contains("patron_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("patron_db_pool_connections{state=\"open\"}"),
        "{text}"
    );
    assert!(text.contains("patron_background_runs_total"), "{text}");
    server.kill().expect("stop");
    let _ = server.wait();
    // Structured logs: the server's log lines are JSON objects with a level and fields.
    let text = std::fs::read_to_string(logs.path()).expect("logs");
    let json_lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    assert!(
        json_lines
            .iter()
            .any(|v| v["level"] == "INFO" && v["fields"]["message"].is_string()),
        "{text}"
    );
    db.cleanup().await;
}
