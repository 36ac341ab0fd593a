//! Moving a whole installation between databases (issue 7, point 3): `patron export --all` of a
//! SQLite demo installation, `patron import --all` into PostgreSQL, exported again and imported
//! into a new SQLite file. Every table of all three must hold the same rows (instants compared
//! as instants, booleans as 0/1), the customer list must read the same, and the moved
//! installation must go on working (new ids past the copied ones). Without PostgreSQL outside CI
//! the middle step is a second SQLite file.
//!
//! Also the refusals: an archive into a database that already holds data, a truncated archive
//! (nothing imported), an existing file as the export's target.

use assert_cmd::cargo::CommandCargoExt;
use patron_store::testkit::TestDb;
use patron_store::transfer::{comparable, read_archive, ArchiveContents};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn patron(url: &str) -> Command {
    let mut c = Command::cargo_bin("patron").expect("binary");
    c.env_remove("PATRON_DATABASE_URL")
        .env_remove("PATRON_CONFIG")
        .arg("--db")
        .arg(url);
    c
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let (Some(text), Some(mut i)) = (stdin, child.stdin.take()) {
        i.write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("run")
}

fn ok_json(cmd: &mut Command) -> Value {
    let out = run(cmd, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
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
            "120",
            "--orders",
            "1500",
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
        !list["items"].as_array().map_or(true, Vec::is_empty),
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
