//! A classification (under changed rules) or scoring run that rewrites at least 50,000 rows empties the table, drops
//! its secondary indexes (and, on PostgreSQL, its foreign key) and rebuilds them once after the
//! load (`sql/table_rewrite.rs`). On both databases: the rows are right, the schema afterwards is
//! exactly what it was, a run that fails midway leaves the previous rows and the schema as they
//! were, and the restored foreign keys still cascade a customer's deletion.

use chrono::NaiveDate;
use patron_core::classify::ClassRules;
use patron_core::{Currency, CustomerId};
use patron_store::analytics::CustomerScore;
use patron_store::connect;
use patron_store::import::{run_import, Entity, ImportOptions};
use patron_store::testkit::TestDb;
use sqlx::Connection;

const CUSTOMERS: usize = 52_000;
const TABLES: [&str; 2] = ["customer_classes", "customer_scores"];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// One order per customer, on varying days of 2024 and with varying amounts, so the customers
/// fall into every ABC class.
fn orders_file() -> String {
    let mut s = String::from("customer_ref,date,product_ref,quantity,amount\n");
    for k in 0..CUSTOMERS {
        s.push_str(&format!(
            "R{k:05},2024-{:02}-{:02},P{:02},1,{}.00\n",
            1 + k % 12,
            1 + k % 28,
            k % 30,
            10 + (k * 7919) % 5000
        ));
    }
    s
}

fn score(id: CustomerId, k: usize, as_of: NaiveDate) -> CustomerScore {
    CustomerScore {
        customer_id: id,
        p_alive: Some((k % 100) as f64 / 100.0),
        expected_purchases: Some(k as f64 / 1000.0),
        expected_spend: if k % 7 == 0 { None } else { Some(12.5) },
        clv: Some(k as f64),
        currency: "USD".into(),
        horizon_days: 364,
        as_of,
        scored_at: chrono::Utc::now(),
    }
}

/// The current `customer_classes` table's identity (PostgreSQL).
async fn table_oid(c: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar("SELECT 'customer_classes'::regclass::oid::bigint")
        .fetch_one(c)
        .await
        .expect("the table's oid")
}

#[tokio::test]
async fn large_rewrites_restore_the_schema_and_keep_the_rows_right() {
    for db in TestDb::each().await {
        let b = db.backend;
        let store = connect(&db.url).await.expect("connect");
        let before = db.schema_fingerprint_of(&TABLES).await;
        assert!(
            before.iter().any(|l| l.contains("customer_classes_abc")),
            "{b:?}: {before:?}"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("orders.csv");
        std::fs::write(&path, orders_file()).expect("write the orders");
        let o = ImportOptions {
            strict: true,
            ..ImportOptions::new(Entity::Orders)
        };
        let r = run_import(&*store, &path, &o, None).await.expect("import");
        assert_eq!(r.created, CUSTOMERS as u64, "{b:?}: {r:?}");

        // The first run writes every row; so does a run under another ABC window (every ABC
        // reason names its window). The next day alone no longer does: the rows hold nothing
        // that moves with the day (migration 0027).
        let usd = Currency::default();
        let rules_of = |window_months: u32| {
            let mut r = ClassRules::default();
            r.abc.window_months = window_months;
            r
        };
        let rules = rules_of(13);
        for (day, months) in [(d(2024, 12, 31), 12), (d(2025, 1, 1), 13)] {
            let run = store
                .classify(day, &rules_of(months), &usd)
                .await
                .expect("classify");
            assert_eq!(run.rows_written, CUSTOMERS as u64, "{b:?} {day}");
            assert_eq!(db.schema_fingerprint_of(&TABLES).await, before, "{b:?}");
            let summary = store.class_summary().await.expect("summary");
            assert_eq!(summary.as_of, Some(day), "{b:?}");
            let counted: i64 = summary.abc.iter().map(|c| c.customers).sum();
            assert_eq!(counted, CUSTOMERS as i64, "{b:?}");
            assert!(
                summary.abc.iter().all(|c| c.customers > 0),
                "{b:?}: every class is used: {:?}",
                summary.abc
            );
        }
        // A re-run the same day writes nothing.
        let again = store
            .classify(d(2025, 1, 1), &rules, &usd)
            .await
            .expect("classify");
        assert_eq!(again.rows_written, 0, "{b:?}");

        let ids: Vec<CustomerId> = store
            .purchase_histories(d(2025, 1, 1), &usd)
            .await
            .expect("histories")
            .iter()
            .map(|h| h.customer_id)
            .collect();
        assert_eq!(ids.len(), CUSTOMERS, "{b:?}");
        let first = ids[0];
        let biggest = *ids.iter().max().expect("an id");
        let classes = store
            .customer_classes(first)
            .await
            .expect("classes")
            .expect("classified");
        assert_eq!(classes.as_of, d(2025, 1, 1), "{b:?}");

        // Scores: every row rewritten, the values read back as written.
        let day = d(2025, 1, 1);
        let scores: Vec<CustomerScore> = ids
            .iter()
            .enumerate()
            .map(|(k, id)| score(*id, k, day))
            .collect();
        store
            .replace_customer_scores(&scores)
            .await
            .expect("scores");
        assert_eq!(db.schema_fingerprint_of(&TABLES).await, before, "{b:?}");
        let read = |s: &CustomerScore| {
            (
                s.customer_id,
                s.p_alive,
                s.expected_purchases,
                s.expected_spend,
                s.clv,
            )
        };
        let probe = [ids[0], ids[6], ids[CUSTOMERS / 2], biggest];
        let probed = || async {
            let mut v: Vec<_> = store
                .customer_scores(&probe)
                .await
                .expect("read the scores")
                .iter()
                .map(read)
                .collect();
            v.sort_by_key(|s| s.0);
            v
        };
        let stored = probed().await;
        let mut want: Vec<_> = scores
            .iter()
            .filter(|s| probe.contains(&s.customer_id))
            .map(read)
            .collect();
        want.sort_by_key(|s| s.0);
        assert_eq!(stored, want, "{b:?}");

        // A run naming a customer that does not exist fails as a whole: the previous scores
        // and the schema are as they were.
        let mut bad: Vec<CustomerScore> = ids
            .iter()
            .enumerate()
            .map(|(k, id)| score(*id, k + 1, day))
            .collect();
        bad.push(score(CustomerId(biggest.0 + 1_000), 0, day));
        assert!(
            store.replace_customer_scores(&bad).await.is_err(),
            "{b:?}: an unknown customer is refused"
        );
        assert_eq!(db.schema_fingerprint_of(&TABLES).await, before, "{b:?}");
        assert_eq!(probed().await, want, "{b:?}");

        // A table a site has built on (here a view over it) is rewritten in place: the view
        // stays and reads the new rows.
        let view = "CREATE VIEW class_report AS SELECT abc, COUNT(*) AS n FROM customer_classes \
                    GROUP BY abc";
        let counted = |rows: Vec<(String, i64)>| rows.iter().map(|r| r.1).sum::<i64>();
        let next = d(2025, 1, 3);
        let report = match b {
            patron_store::Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&db.url)
                    .await
                    .expect("sqlite");
                sqlx::query(view).execute(&mut c).await.expect("view");
                let run = store
                    .classify(next, &rules_of(15), &usd)
                    .await
                    .expect("classify");
                assert_eq!(run.rows_written, CUSTOMERS as u64, "{b:?}");
                sqlx::query_as::<_, (String, i64)>("SELECT abc, n FROM class_report")
                    .fetch_all(&mut c)
                    .await
            }
            patron_store::Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.expect("pg");
                // Without the view the table is swapped for a fresh one; with it, kept.
                let before = table_oid(&mut c).await;
                let run = store
                    .classify(d(2025, 1, 2), &rules_of(14), &usd)
                    .await
                    .expect("classify");
                assert_eq!(run.rows_written, CUSTOMERS as u64, "{b:?}");
                let swapped = table_oid(&mut c).await;
                assert_ne!(swapped, before, "the rewrite swapped the table");
                sqlx::query(view).execute(&mut c).await.expect("view");
                let run = store
                    .classify(next, &rules_of(15), &usd)
                    .await
                    .expect("classify");
                assert_eq!(run.rows_written, CUSTOMERS as u64, "{b:?}");
                assert_eq!(table_oid(&mut c).await, swapped, "kept in place");
                sqlx::query_as::<_, (String, i64)>("SELECT abc, n FROM class_report")
                    .fetch_all(&mut c)
                    .await
            }
        };
        assert_eq!(
            counted(report.expect("the view reads")),
            CUSTOMERS as i64,
            "{b:?}"
        );
        let classes = store
            .customer_classes(first)
            .await
            .expect("classes")
            .expect("classified");
        assert_eq!(classes.as_of, next, "{b:?}");

        // The restored foreign keys cascade a customer's deletion.
        store.delete_customer(first).await.expect("delete");
        assert!(store
            .customer_classes(first)
            .await
            .expect("classes")
            .is_none());
        assert!(store
            .customer_scores(&[first])
            .await
            .expect("scores")
            .is_empty());
        db.cleanup().await;
    }
}
