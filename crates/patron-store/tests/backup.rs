//! Backup and restore of a SQLite database in use (see `patron_store::backup`): a backup taken
//! while another task keeps writing is consistent and passes the integrity check; restoring it
//! under the open store brings the store's own connections back to the backup's content; bad
//! files are refused before anything is touched; PostgreSQL URLs are refused.

use patron_core::{CustomerInput, CustomerKind};
use patron_store::testkit::TestDb;
use patron_store::{backup, CustomerQuery, StoreError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn field_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn person(name: String) -> CustomerInput {
    CustomerInput {
        kind: CustomerKind::Person,
        name,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_writes_restores_under_a_running_store() {
    let db = TestDb::sqlite();
    let store = patron_store::connect(&db.url).await.expect("connect");
    for i in 0..200 {
        store
            .create_customer(person(format!("before {i}")))
            .await
            .expect("customer");
    }
    // A writer keeps adding customers while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                store
                    .create_customer(person(format!("during {n}")))
                    .await
                    .expect("write during the backup");
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("patron-backup.db");
    let url = db.url.clone();
    let to = file.clone();
    let copied = tokio::task::spawn_blocking(move || backup::backup(&url, &to))
        .await
        .expect("join")
        .expect("backup");
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert!(written > 0, "the writer ran during the backup");
    assert!(copied.customers >= 200, "{copied:?}");
    assert!(copied.customers <= 200 + written, "{copied:?}");
    assert!(copied.bytes > 0 && copied.schema_version > 0);
    assert_eq!(
        backup::check(&file).expect("check").customers,
        copied.customers
    );

    // A backup never overwrites a file.
    let url = db.url.clone();
    let again = backup::backup(&url, &file).expect_err("exists");
    assert!(matches!(again, StoreError::Conflict { .. }), "{again:?}");

    // Changes after the backup…
    for i in 0..5 {
        store
            .create_customer(person(format!("after {i}")))
            .await
            .expect("customer");
    }
    // …are gone once it is restored, as the still-open store sees.
    let restored = backup::restore(&db.url, &file).expect("restore");
    assert_eq!(restored.customers, copied.customers);
    let page = store
        .list_customers(&CustomerQuery {
            q: Some("after".into()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(page.items.is_empty(), "{:?}", page.items);
    store
        .create_customer(person("after the restore".into()))
        .await
        .expect("the store writes on");

    // Bad files are refused before the database is touched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database at all, just text").expect("junk");
    assert!(backup::restore(&db.url, &junk).is_err());
    let foreign = dir.path().join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).expect("foreign");
        c.execute("CREATE TABLE t (x INTEGER)", []).expect("table");
    }
    let e = backup::restore(&db.url, &foreign).expect_err("not patron");
    assert_eq!(field_of(&e), "file");
    assert_eq!(
        backup::check(&patron_store::sqlite_path(&db.url).expect("path"))
            .expect("still fine")
            .customers,
        copied.customers + 1
    );

    // PostgreSQL has its own tools.
    let e = backup::backup("postgres://localhost/x", &dir.path().join("pg.db")).expect_err("pg");
    assert_eq!(field_of(&e), "database");
}
