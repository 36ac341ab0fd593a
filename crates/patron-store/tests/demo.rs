//! The demo generator against real databases: what it reports is what the store holds, on
//! SQLite and (when configured) PostgreSQL, and the same seed gives the same archive on both.

use chrono::NaiveDate;
use patron_core::classify::ClassRules;
use patron_core::complaint::Status;
use patron_core::{Currency, CustomerKind, LifecycleStage, Scope, StaffLevel};
use patron_store::complaints::ComplaintQuery;
use patron_store::demo::{generate, DemoOptions, DemoProgress, DemoReport};
use patron_store::lists::ListName;
use patron_store::testkit::TestDb;
use patron_store::{CustomerQuery, OrderQuery, Store, StoreError};
use std::sync::Mutex;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).expect("date")
}

fn counts(r: &DemoReport) -> String {
    format!(
        "{} users, {} products, {} customers, {} key persons, {} orders, {} interactions",
        r.users.len(),
        r.products,
        r.customers,
        r.key_persons,
        r.orders,
        r.interactions
    )
}

/// Every customer of the store, in id order.
async fn all_customers(store: &dyn Store) -> Vec<patron_core::Customer> {
    let mut out = Vec::new();
    let mut q = CustomerQuery {
        limit: Some(500),
        ..Default::default()
    };
    loop {
        let page = store.list_customers(&q).await.expect("list customers");
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    out
}

/// A fingerprint of the archive that must not depend on the backend.
async fn fingerprint(store: &dyn Store) -> Vec<String> {
    let mut v: Vec<String> = all_customers(store)
        .await
        .into_iter()
        .map(|c| {
            format!(
                "{} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?}",
                c.id,
                c.external_ref,
                c.name,
                c.phone,
                c.email,
                c.stage,
                c.churn_reason,
                c.owner_id,
                c.tags
            )
        })
        .collect();
    let page = store
        .list_orders(&OrderQuery {
            limit: Some(200),
            ..Default::default()
        })
        .await
        .expect("list orders");
    v.extend(page.items.into_iter().map(|o| {
        format!(
            "{} {} {:?} {} {} {}",
            o.id,
            o.customer_id,
            o.order_ref,
            o.order_date,
            o.total_minor,
            o.lines.len()
        )
    }));
    // Complaints, each with its steps, compensation and history.
    for c in store
        .list_complaints(&ComplaintQuery {
            limit: Some(500),
            as_of: Some(as_of()),
            ..Default::default()
        })
        .await
        .expect("list complaints")
    {
        let d = store
            .get_complaint(Scope::All, c.id, as_of())
            .await
            .expect("complaint");
        v.push(format!("{:?}", d));
    }
    v
}

/// The instant the demo's complaints are judged at: the start of its day.
fn as_of() -> chrono::DateTime<chrono::Utc> {
    today().and_hms_opt(0, 0, 0).expect("time").and_utc()
}

#[tokio::test]
async fn generates_the_default_demo_on_every_backend() {
    let mut prints: Vec<Vec<String>> = Vec::new();
    for db in TestDb::each().await {
        let store = patron_store::connect(&db.url).await.expect("connect");
        let opts = DemoOptions::new(today());
        let seen: Mutex<Vec<DemoProgress>> = Mutex::new(Vec::new());
        let record = |p: DemoProgress| seen.lock().expect("lock").push(p);
        let started = std::time::Instant::now();
        let report: DemoReport = generate(store.as_ref(), &opts, Some(&record))
            .await
            .expect("generate");
        eprintln!(
            "{:?}: default demo in {:?}: {}",
            db.backend,
            started.elapsed(),
            counts(&report)
        );

        // The report matches the request and the store.
        assert_eq!(report.customers, 300);
        assert!(
            (report.orders as f64 - 3000.0).abs() / 3000.0 < 0.05,
            "{} orders",
            report.orders
        );
        assert_eq!(report.products, 42);
        assert!(report.key_persons > 0 && report.interactions > 0);
        assert_eq!(store.count_customers().await.expect("count"), 300);
        let progress = seen.lock().expect("lock").clone();
        let last = progress.last().expect("progress reported");
        assert_eq!(
            (last.customers, last.orders),
            (report.customers, report.orders)
        );

        // Staff: one administrator, two managers, six reps who each report to a manager.
        let users = store.list_users().await.expect("users");
        assert_eq!(users.len(), report.users.len());
        let reps: Vec<_> = users
            .iter()
            .filter(|u| u.staff_level == StaffLevel::SalesRepresentative)
            .collect();
        assert_eq!(reps.len(), 6);
        for r in &reps {
            let m = r.manager_id.expect("rep has a manager");
            let manager = users.iter().find(|u| u.id == m).expect("manager exists");
            assert_eq!(manager.staff_level, StaffLevel::BusinessManager);
        }
        assert!(store
            .find_user("admin@demo.patron.example")
            .await
            .expect("find")
            .is_some());

        // Customers: owned by reps, a mix of kinds and stages, showcase names searchable.
        let customers = all_customers(store.as_ref()).await;
        assert_eq!(customers.len(), 300);
        assert!(customers
            .iter()
            .all(|c| c.owner_id.is_some_and(|o| reps.iter().any(|r| r.id == o))));
        assert!(customers
            .iter()
            .any(|c| c.kind == CustomerKind::Organisation));
        assert!(customers
            .iter()
            .any(|c| c.stage == LifecycleStage::Lost && c.churn_reason.is_some()));
        let found = store
            .list_customers(&CustomerQuery {
                q: Some("张三".into()),
                ..Default::default()
            })
            .await
            .expect("search");
        assert!(
            found.items.iter().any(|c| c.name == "张三丰"),
            "张三丰 not found by search"
        );

        // Orders are stored with their lines, and the page of one customer adds up.
        let first = &customers[0];
        let orders = store
            .list_orders(&OrderQuery {
                customer_id: Some(first.id),
                limit: Some(500),
                ..Default::default()
            })
            .await
            .expect("orders");
        assert!(!orders.items.is_empty());
        for o in &orders.items {
            assert_eq!(o.customer_id, first.id);
            assert!(!o.lines.is_empty());
            assert_eq!(
                o.total_minor,
                o.lines.iter().map(|l| l.amount_minor).sum::<i64>()
            );
            assert!(o.order_date <= today());
        }
        let overview = store.customer_overview(first.id).await.expect("overview");
        assert_eq!(overview.orders.count as usize, orders.items.len());

        // Complaints of the last year: a few in hand (one overdue, escalated to the owner's
        // manager), most closed after all six steps; once classified, big customers who
        // complained twice are on the complaining list.
        assert!(report.complaints > 0);
        let complaints = store
            .list_complaints(&ComplaintQuery {
                limit: Some(500),
                as_of: Some(as_of()),
                ..Default::default()
            })
            .await
            .expect("complaints");
        assert_eq!(complaints.len() as u64, report.complaints);
        let overdue: Vec<_> = complaints.iter().filter(|c| c.overdue).collect();
        assert!(!overdue.is_empty());
        assert!(overdue.iter().any(|c| c.escalated_to.is_some()));
        let closed: Vec<_> = complaints
            .iter()
            .filter(|c| c.status == Status::Closed)
            .collect();
        assert!(closed.len() * 2 > complaints.len(), "most are closed");
        assert!(closed.iter().all(|c| c.steps_done == 6));
        let counts = store
            .count_complaints(Scope::All, as_of())
            .await
            .expect("counts");
        assert_eq!(counts.overdue as usize, overdue.len());
        store
            .classify(today(), &ClassRules::default(), &Currency::default())
            .await
            .expect("classify");
        let l = store
            .value_list(ListName::Complaining, Scope::All)
            .await
            .expect("complaining");
        assert!(!l.rows.is_empty(), "{l:?}");

        // A second run into the same database is refused before it writes anything.
        let again = generate(store.as_ref(), &opts, None).await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        assert_eq!(store.count_customers().await.expect("count"), 300);

        prints.push(fingerprint(store.as_ref()).await);
        drop(store);
        db.cleanup().await;
    }
    // Same seed, same archive, whichever database holds it.
    if let [a, b] = prints.as_slice() {
        assert_eq!(a, b, "SQLite and PostgreSQL hold different demo data");
    }
}

/// The scale check: `cargo test --release -p patron-store --test demo -- --ignored --nocapture`.
/// `PATRON_DEMO_CUSTOMERS` overrides the size (default 100,000 customers, 1,000,000 orders).
#[tokio::test]
#[ignore]
async fn generates_at_scale_on_sqlite() {
    let customers: u64 = std::env::var("PATRON_DEMO_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let db = TestDb::sqlite();
    let store = patron_store::connect(&db.url).await.expect("connect");
    let opts = DemoOptions::new(today()).with_customers(customers);
    let started = std::time::Instant::now();
    let report_progress = |p: DemoProgress| {
        if p.customers % 50_000 == 0 || p.customers == p.customers_total {
            eprintln!(
                "  {}/{} customers, {} orders",
                p.customers, p.customers_total, p.orders
            );
        }
    };
    let report = generate(store.as_ref(), &opts, Some(&report_progress))
        .await
        .expect("generate");
    eprintln!(
        "{customers} customers on SQLite in {:?}: {}",
        started.elapsed(),
        counts(&report)
    );
    assert_eq!(report.customers, customers);
    assert_eq!(
        store.count_customers().await.expect("count"),
        customers as i64
    );
    let target = opts.orders as f64;
    assert!((report.orders as f64 - target).abs() / target < 0.05);
    drop(store);
    db.cleanup().await;
}
