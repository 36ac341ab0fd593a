//! Writes abandoned halfway (a client that goes away drops its request's future at any await)
//! must not leave a pooled connection inside a transaction. The load benchmark found exactly
//! that: a `BEGIN IMMEDIATE` dropped between the database running it and sqlx handing out the
//! transaction kept SQLite's write lock on a pooled connection for good; every later write then
//! failed ("non-zero transaction depth", "database is locked") until a restart.

use patron_store::testkit::each_store as each;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_cancelled_at_any_point_leave_the_pool_usable() {
    each(|s| async move {
        // Cancel 1,600 concurrent writes after 0–700 µs: some before the BEGIN, some inside it,
        // some after the transaction began.
        let mut tasks = Vec::new();
        for t in 0..16u64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100u64 {
                    let _ = tokio::time::timeout(
                        Duration::from_micros((i * 37 + t * 101) % 700),
                        s.record_login_attempt("gone@example.com", "192.0.2.1", false),
                    )
                    .await;
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        // Every connection of the pool still writes, promptly.
        for i in 0..40 {
            tokio::time::timeout(
                Duration::from_secs(5),
                s.record_login_attempt("back@example.com", "192.0.2.2", i % 2 == 0),
            )
            .await
            .unwrap_or_else(|_| {
                panic!("write {i} waited more than 5 s: a connection holds the lock")
            })
            .unwrap_or_else(|e| panic!("write {i} after the cancelled ones failed: {e}"));
        }
        let failures = s
            .login_failures(
                "back@example.com",
                "192.0.2.2",
                chrono::Utc::now() - chrono::Duration::hours(1),
            )
            .await
            .expect("read");
        assert_eq!(
            failures.by_ip, 20,
            "every write after the cancelled ones is there: {failures:?}"
        );
    })
    .await;
}
