//! Moving a whole installation between databases (issue 7, point 3): `patron export --all` of a
//! SQLite demo installation, `patron import --all` into PostgreSQL, exported again and imported
//! into a new SQLite file. Every table of all three must hold the same rows (instants compared
//! as instants, booleans as 0/1), the customer list must read the same, and the moved
//! installation must go on working (new ids past the copied ones). Without PostgreSQL outside CI
//! the middle step is a second SQLite file.
//!
//! Also the refusals: an archive into a database that already holds data, a truncated archive
//! (nothing imported), an existing file as the export's target.

mod support;

use patron_store::testkit::TestDb;
use patron_store::transfer::{comparable, read_archive, ArchiveContents};
use serde_json::Value;
use std::process::Command;
use support::{patron, run};

fn ok_json(cmd: &mut Command) -> Value {
    support::run_json(cmd, None).0
}

fn table_rows(v: &Value, table: &str) -> u64 {
    v["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == table)
        .and_then(|t| t["rows"].as_u64())
        .unwrap_or(0)
}

/// Each table's rows as comparable values, using the PostgreSQL column types of `typed` (an
/// archive from PostgreSQL) when there is one.
fn normalised(
    a: &ArchiveContents,
    typed: Option<&ArchiveContents>,
) -> Vec<(String, Vec<Vec<Value>>)> {
    a.tables
        .iter()
        .map(|(name, t)| {
            let types: Vec<String> = match typed.and_then(|p| p.tables.get(name)) {
                Some(p) => t
                    .columns
                    .iter()
                    .map(|c| {
                        let i = p.columns.iter().position(|x| x == c).expect("same columns");
                        p.types[i].clone()
                    })
                    .collect(),
                None => vec![String::new(); t.columns.len()],
            };
            let rows = t
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(&types)
                        .map(|(v, ty)| comparable(v, ty))
                        .collect()
                })
                .collect();
            (name.clone(), rows)
        })
        .collect()
}

fn assert_same(
    what: &str,
    a: &ArchiveContents,
    b: &ArchiveContents,
    typed: Option<&ArchiveContents>,
) {
    let (na, nb) = (normalised(a, typed), normalised(b, typed));
    assert_eq!(
        na.iter().map(|t| &t.0).collect::<Vec<_>>(),
        nb.iter().map(|t| &t.0).collect::<Vec<_>>(),
        "{what}: the same tables"
    );
    for ((table, ra), (_, rb)) in na.iter().zip(&nb) {
        assert_eq!(ra.len(), rb.len(), "{what}: rows of {table}");
        for (i, (x, y)) in ra.iter().zip(rb).enumerate() {
            assert_eq!(x, y, "{what}: {table} row {i}");
        }
    }
}

/// Rows for the tables the demo leaves empty (sign-ins, plans, overrides…), written straight
/// into the SQLite file, so that every table has something to move. Also a manager with a
/// higher id than the user they manage: a reference PostgreSQL must get after both rows.
fn fill_the_rest(url: &str) {
    let path = patron_store::sqlite_path(url).expect("sqlite");
    let c = rusqlite::Connection::open(path).expect("open");
    c.execute_batch(
        "PRAGMA foreign_keys = ON;
         UPDATE users SET manager_id = (SELECT MAX(id) FROM users) WHERE id = 4;
         INSERT INTO custom_fields (key, label, field_type, choices, position)
             VALUES ('shoe_size', '鞋码', 'number', '', 1);
         INSERT INTO customer_custom_values (customer_id, field_key, value) VALUES (1, 'shoe_size', '42');
         INSERT INTO indicator_counts VALUES ('2026-Q3', 'all', '', 10, 8, 5, 20, 3, 1, 2, 4, 3);
         INSERT INTO login_attempts (email_key, ip, at, ok)
             VALUES ('rep1@demo.patron.example', '127.0.0.1', '2026-11-02T09:00:00.123456Z', 0);
         INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
             VALUES ('hash-of-a-session', 6, 'csrf', '2026-11-02T09:00:00+00:00', '2026-11-03T09:00:00+00:00');
         INSERT INTO visit_plans (id, user_id, period, starts_on, created_at, updated_at)
             VALUES (1, 6, 'month', '2026-12-01', '2026-11-30T08:00:00+00:00', '2026-11-30T08:00:00+00:00');
         INSERT INTO visit_plan_entries (plan_id, customer_id, class, visits, calls, source)
             VALUES (1, 1, 'A', 2, 1, 'policy');
         INSERT INTO visit_plan_days (plan_id, customer_id, day) VALUES (1, 1, '2026-12-07');
         INSERT INTO calendar_feeds (user_id, token_hash, created_at, revoked_at)
             VALUES (6, 'hash-of-a-feed', '2026-11-02T09:00:00+00:00', NULL);
         INSERT INTO digest_log (user_id, day, items, status, error, at)
             VALUES (6, '2026-12-01', 3, 'failed', 'SMTP 421 — 稍后再试', '2026-12-01T07:00:00+00:00');
         INSERT INTO loyalty_overrides (customer_id, loyalty, reason, user_id, at)
             VALUES (2, 'loyal', 'buys from us only, says so', 4, '2026-11-02T09:00:00+00:00');
         INSERT INTO credit_overrides (customer_id, order_id, user_id, reason, order_minor,
                                       outstanding_minor, limit_minor, over_limit_minor, currency, at)
             VALUES (1, 1, 4, 'long-standing customer', 120000, 50000, 100000, 70000, 'CNY',
                     '2026-11-02T09:00:00+00:00');
         INSERT INTO agenda_marks (user_id, item_key, kind, customer_id, action, until, reason,
                                   interaction_id, marked_on, at)
             VALUES (6, 'visit:1', 'visit', 1, 'snoozed', '2026-12-10', 'away', 1, '2026-12-03',
                     '2026-12-03T10:00:00+00:00');
         INSERT INTO owner_changes (customer_id, from_user_id, to_user_id, changed_by, at, role)
             VALUES (1, 6, 7, 4, '2026-11-02T09:00:00+00:00', 'owner');
         INSERT INTO imports (at, user_id, entity, file_name, created, updated, unchanged, rejected)
             VALUES ('2026-11-02T09:00:00+00:00', 1, 'customers', 'kunden.csv', 10, 2, 0, 1);",
    )
    .expect("fill");
}

fn customers_list(url: &str) -> Value {
    ok_json(patron(url).args(["customers", "list", "--limit", "500", "--json"]))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_installation_moves_to_postgresql_and_back_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let a = TestDb::sqlite();
    let demo = run(
        patron(&a.url).args([
            "demo",
            "--customers",
            "300",
            "--no-serve",
            "--force",
            "--json",
        ]),
        None,
    );
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    // A user made on the command line with a manager: a reference within one table.
    let made = run(
        patron(&a.url).args([
            "user",
            "add",
            "lead@example.com",
            "--role",
            "admin",
            "--json",
        ]),
        Some("a long enough password\n"),
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    for args in [
        &["model", "fit", "--json"][..],
        &["model", "score", "--json"],
        &["token", "create", "lead@example.com", "--json"],
    ] {
        let out = run(patron(&a.url).args(args), None);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fill_the_rest(&a.url);

    let a_file = dir.path().join("a.patron");
    let exported = ok_json(
        patron(&a.url)
            .args(["export", "--all"])
            .arg(&a_file)
            .arg("--json"),
    );
    for table in [
        "users",
        "customers",
        "orders",
        "order_lines",
        "interactions",
        "complaints",
        "class_changes",
        "audit_log",
        "settings",
    ] {
        assert!(
            table_rows(&exported, table) > 0,
            "the demo fills {table}: {exported}"
        );
    }
    let empty: Vec<&Value> = exported["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter(|t| t["rows"] == 0)
        .collect();
    assert!(
        empty.is_empty(),
        "every table holds rows to move: {empty:?}"
    );
    assert_eq!(exported["source"], "sqlite");
    assert!(!exported["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .any(|t| t["table"] == "customer_bigrams" || t["table"] == "customers_fts"));

    // Into PostgreSQL (or a second SQLite file without it).
    let b = match TestDb::postgres().await {
        Some(pg) => pg,
        None => TestDb::sqlite(),
    };
    let imported = ok_json(
        patron(&b.url)
            .args(["import", "--all"])
            .arg(&a_file)
            .arg("--json"),
    );
    assert_eq!(imported["rows"], exported["rows"]);
    assert_eq!(imported["tables"], exported["tables"]);
    let b_file = dir.path().join("b.patron");
    ok_json(
        patron(&b.url)
            .args(["export", "--all"])
            .arg(&b_file)
            .arg("--json"),
    );

    // And back into a new SQLite file.
    let c = TestDb::sqlite();
    ok_json(
        patron(&c.url)
            .args(["import", "--all"])
            .arg(&b_file)
            .arg("--json"),
    );
    let c_file = dir.path().join("c.patron");
    ok_json(
        patron(&c.url)
            .args(["export", "--all"])
            .arg(&c_file)
            .arg("--json"),
    );

    let (ra, rb, rc) = (
        read_archive(&a_file).expect("a"),
        read_archive(&b_file).expect("b"),
        read_archive(&c_file).expect("c"),
    );
    let typed = (rb.source == "postgres").then_some(&rb);
    assert_same("sqlite → other", &ra, &rb, typed);
    assert_same("sqlite → other → sqlite", &ra, &rc, typed);
    assert_eq!(ra.schema_version, rc.schema_version);

    // The same customers through the program, on every database.
    let list = customers_list(&a.url);
    assert!(
        list["items"].as_array().is_some_and(|v| !v.is_empty()),
        "{list}"
    );
    assert_eq!(customers_list(&b.url), list);
    assert_eq!(customers_list(&c.url), list);

    // The moved installations go on: new rows get new ids (PostgreSQL's sequences moved past
    // the copied ids).
    for url in [&b.url, &c.url] {
        let added =
            ok_json(patron(url).args(["customers", "add", "--name", "After the move", "--json"]));
        let max_before = ra.tables["customers"]
            .rows
            .iter()
            .filter_map(|r| r[0].as_i64())
            .max()
            .expect("customers");
        assert!(added["id"].as_i64().expect("id") > max_before, "{added}");
    }

    // Refusals. Into a database that holds data: nothing changes.
    let again = run(patron(&c.url).args(["import", "--all"]).arg(&a_file), None);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds"), "{err}");

    // A truncated archive: the import fails naming the place and leaves nothing behind.
    let bytes = std::fs::read(&a_file).expect("read");
    let cut = dir.path().join("cut.patron");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let d = TestDb::sqlite();
    let failed = run(patron(&d.url).args(["import", "--all"]).arg(&cut), None);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("cut.patron"), "{err}");
    let empty = customers_list(&d.url);
    assert_eq!(empty["items"].as_array().map(Vec::len), Some(0), "{empty}");

    // Not a Patron archive at all.
    let junk = dir.path().join("junk.patron");
    std::fs::write(&junk, b"customer,name\n1,Ana\n").expect("write");
    let failed = run(patron(&d.url).args(["import", "--all"]).arg(&junk), None);
    assert!(!failed.status.success());

    // The export never overwrites.
    let refused = run(patron(&a.url).args(["export", "--all"]).arg(&a_file), None);
    assert!(!refused.status.success());
    assert_eq!(std::fs::read(&a_file).expect("read"), bytes);

    for db in [a, b, c, d] {
        db.cleanup().await;
    }
}
