//! Classification runs on both databases: classes and their reasons, the history of changes,
//! runs as of past days, the movement matrix, loyalty overrides, list filters, the summary.

use chrono::NaiveDate;
use patron_core::classify::{AbcClass, AbcRule, ClassRules, Dimension, Loyalty, RfmSegment};
use patron_core::*;
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn customer(s: &Arc<dyn Store>, name: &str) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, amount: i64) {
    s.create_order(patron_store::testkit::one_line_order(c, day, amount))
        .await
        .expect("order");
}

fn usd() -> Currency {
    Currency::default()
}

#[tokio::test]
async fn classification_records_classes_reasons_and_history() {
    each(|s| async move {
        let big = customer(&s, "大客户").await;
        let mid = customer(&s, "중간 고객").await;
        let small = customer(&s, "Small shop").await;
        let never = customer(&s, "Prospect").await;
        // Window (2025-06-30, 2026-06-30]: big 7,600 (79%), mid 1,500 (crosses 80%), small 500.
        for (m, day) in [(1, 10), (3, 10), (5, 10), (6, 10)] {
            order(&s, big, d(2026, m, day), 190_000).await;
        }
        order(&s, mid, d(2025, 12, 1), 150_000).await;
        order(&s, small, d(2025, 8, 1), 50_000).await;
        // Outside the window (and in another currency) count for nothing.
        order(&s, small, d(2024, 1, 1), 9_000_000).await;
        let rules = ClassRules::default();
        let as_of = d(2026, 6, 30);
        let r = s.classify(as_of, &rules, &usd()).await.expect("classify");
        assert_eq!(r.customers, 4);
        assert!(r.current);
        assert_eq!(r.abc["A"], 2, "{r:?}");
        assert_eq!(r.abc["B"], 1);
        assert_eq!(r.abc["C"], 1);
        assert_eq!(r.revenue_by_abc["A"], 910_000);
        // Every customer's first classification is a change in ABC and loyalty; RFM for buyers.
        assert_eq!(r.changes_by_dimension["abc"], 4);
        assert_eq!(r.changes_by_dimension["loyalty"], 4);
        assert_eq!(r.changes_by_dimension["rfm"], 3);
        assert_eq!(r.changes, 11);

        let k = s
            .customer_classes(big)
            .await
            .expect("read")
            .expect("classified");
        assert_eq!(k.abc, AbcClass::A);
        assert_eq!(k.abc_reason.rule, AbcRule::RevenueShare);
        assert_eq!((k.abc_reason.rank, k.abc_reason.ranked), (Some(1), 3));
        assert_eq!(k.revenue_minor, 760_000);
        assert!((k.abc_reason.cumulative_share.expect("share") - 760.0 / 960.0).abs() < 1e-9);
        assert_eq!(k.loyalty, Loyalty::Loyal);
        let rfm = k.rfm.expect("buyer");
        assert_eq!((rfm.frequency, rfm.recency_days), (4, 20));
        assert_eq!(k.as_of, as_of);
        let m = s.customer_classes(mid).await.expect("read").expect("mid");
        assert_eq!(m.abc, AbcClass::A, "the customer crossing 80% is A");
        let sm = s
            .customer_classes(small)
            .await
            .expect("read")
            .expect("small");
        assert_eq!(sm.abc, AbcClass::B);
        assert_eq!(sm.loyalty, Loyalty::Switcher, "two purchase days, lapsed");
        let n = s
            .customer_classes(never)
            .await
            .expect("read")
            .expect("never");
        assert_eq!(n.abc, AbcClass::C);
        assert_eq!(n.abc_reason.rule, AbcRule::NoRevenue);
        assert_eq!(n.loyalty, Loyalty::Unknown);
        assert!(n.rfm.is_none());

        assert_eq!(r.rows_written, 4, "the first run writes every row");

        // The same run again changes nothing and rewrites no row, yet the classes count as
        // confirmed by it.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let again = s.classify(as_of, &rules, &usd()).await.expect("again");
        assert_eq!(again.changes, 0);
        assert_eq!(again.rows_written, 0, "{again:?}");
        let k2 = s.customer_classes(big).await.expect("read").expect("big");
        assert!(k2.classified_at > k.classified_at, "{k2:?}");
        assert_eq!((k2.abc, k2.revenue_minor), (k.abc, k.revenue_minor));
        let listed = s.customer_classes_of(&[big]).await.expect("list");
        assert_eq!(listed[0].classified_at, k2.classified_at);
        let summary = s.class_summary().await.expect("summary");
        assert_eq!(summary.classified_at, Some(k2.classified_at));

        // The small shop buys big: it moves to A, with the reason.
        order(&s, small, d(2026, 6, 20), 5_000_000).await;
        let r2 = s.classify(d(2026, 7, 31), &rules, &usd()).await.expect("2");
        assert!(r2.changes_by_dimension["abc"] >= 1);
        let h = s.class_history(small).await.expect("history");
        let abc: Vec<_> = h.iter().filter(|c| c.dimension == Dimension::Abc).collect();
        assert_eq!(abc.len(), 2, "{h:?}");
        assert_eq!(abc[0].old_class.as_deref(), Some("B"));
        assert_eq!(abc[0].new_class, "A");
        assert_eq!(abc[0].as_of, d(2026, 7, 31));
        assert_eq!(abc[0].reason["rank"], 1);
        assert_eq!(abc[1].old_class, None);

        // A run as of an earlier day fills the history and leaves the current classes alone.
        let past = s
            .classify(d(2025, 6, 30), &rules, &usd())
            .await
            .expect("past");
        assert!(!past.current);
        let now = s
            .customer_classes(small)
            .await
            .expect("read")
            .expect("small");
        assert_eq!((now.abc, now.as_of), (AbcClass::A, d(2026, 7, 31)));
        let mv = s
            .class_movement(Dimension::Abc, d(2025, 6, 30), d(2026, 7, 31))
            .await
            .expect("movement");
        let count = |from: Option<&str>, to: &str| {
            mv.iter()
                .filter(|m| m.from.as_deref() == from && m.to == to)
                .map(|m| m.customers)
                .sum::<i64>()
        };
        // Nobody had revenue in the window (2024-06-30, 2025-06-30], so everyone was C then;
        // on 2026-07-31 the small shop is A (5,050), big B, mid and the prospect C.
        assert_eq!(count(Some("C"), "A"), 1, "{mv:?}");
        assert_eq!(count(Some("C"), "B"), 1, "{mv:?}");
        assert_eq!(count(Some("C"), "C"), 2, "{mv:?}");
        assert_eq!(mv.iter().map(|m| m.customers).sum::<i64>(), 4);
        // Before anything was classified, everyone is new.
        let mv = s
            .class_movement(Dimension::Abc, d(2020, 1, 1), d(2026, 7, 31))
            .await
            .expect("movement");
        assert!(mv.iter().all(|m| m.from.is_none()), "{mv:?}");

        // Summary of the current classes.
        let sum = s.class_summary().await.expect("summary");
        assert_eq!(sum.as_of, Some(d(2026, 7, 31)));
        let a = sum.abc.iter().find(|c| c.class == "A").expect("A");
        assert_eq!((a.customers, a.revenue_minor), (1, 5_050_000));
        assert_eq!(sum.abc.len(), 3);
        assert_eq!(sum.segments.len(), RfmSegment::ALL.len());
        assert_eq!(sum.rfm_grid.iter().map(|c| c.customers).sum::<i64>(), 3);

        // List filters.
        let page = s
            .list_customers(&CustomerQuery {
                abc: Some(AbcClass::C),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(
            page.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![mid, never]
        );
        let page = s
            .list_customers(&CustomerQuery {
                loyalty: Some(Loyalty::Unknown),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(page.items.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn loyalty_overrides_need_a_reason_and_survive_runs() {
    each(|s| async move {
        let rep = s
            .create_user(UserInput {
                email: "rep@x.com".into(),
                name: "Rep".into(),
                staff_level: StaffLevel::SalesRepresentative,
                manager_id: None,
            })
            .await
            .expect("user");
        let c = customer(&s, "Loyal Ltd").await;
        order(&s, c, d(2026, 1, 5), 1000).await;
        let as_of = d(2026, 2, 1);
        let rules = ClassRules::default();
        s.classify(as_of, &rules, &usd()).await.expect("classify");
        let before = s.customer_classes(c).await.expect("r").expect("c");
        assert_eq!(before.loyalty, Loyalty::NoLoyalty);

        let e = s
            .set_loyalty_override(Some(rep.id), c, Some((Loyalty::Loyal, "  ")))
            .await
            .expect_err("no reason");
        match e {
            StoreError::Invalid(v) => {
                assert_eq!(v.first().map(|f| f.field.as_str()), Some("reason"))
            }
            other => panic!("{other:?}"),
        }
        s.set_loyalty_override(
            Some(rep.id),
            c,
            Some((Loyalty::Loyal, "buys only from us, says the owner")),
        )
        .await
        .expect("override");
        let k = s.customer_classes(c).await.expect("r").expect("c");
        assert_eq!(k.loyalty, Loyalty::Loyal);
        assert_eq!(k.derived_loyalty, Loyalty::NoLoyalty);
        assert!(k.loyalty_overridden);
        let h = s.class_history(c).await.expect("h");
        assert_eq!(h[0].dimension, Dimension::Loyalty);
        assert_eq!(h[0].user_id, Some(rep.id));
        assert_eq!(
            (h[0].old_class.as_deref(), h[0].new_class.as_str()),
            (Some("no_loyalty"), "loyal")
        );
        assert_eq!(
            h[0].reason["override_reason"],
            "buys only from us, says the owner"
        );

        // A later run keeps the override and records nothing new for loyalty; the row the
        // override changed is rewritten (its content as the run sees it).
        let r = s.classify(as_of, &rules, &usd()).await.expect("again");
        assert_eq!(r.changes_by_dimension["loyalty"], 0, "{r:?}");
        assert_eq!(r.loyalty["loyal"], 1);
        assert_eq!(r.rows_written, 1, "{r:?}");
        let k = s.customer_classes(c).await.expect("r").expect("c");
        assert_eq!((k.loyalty, k.loyalty_overridden), (Loyalty::Loyal, true));
        let r = s.classify(as_of, &rules, &usd()).await.expect("third");
        assert_eq!(r.rows_written, 0, "{r:?}");
        let filtered = s
            .list_customers(&CustomerQuery {
                loyalty: Some(Loyalty::Loyal),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(filtered.items.len(), 1);

        // Removing it brings back what the rules derive.
        s.set_loyalty_override(Some(rep.id), c, None)
            .await
            .expect("remove");
        let k = s.customer_classes(c).await.expect("r").expect("c");
        assert_eq!(k.loyalty, Loyalty::NoLoyalty);
        assert!(!k.loyalty_overridden);
        // First run: ABC, loyalty, RFM; then the override and its removal.
        assert_eq!(s.class_history(c).await.expect("h").len(), 5);
    })
    .await;
}

#[tokio::test]
async fn empty_archives_and_bad_rules() {
    each(|s| async move {
        let r = s
            .classify(d(2026, 1, 1), &ClassRules::default(), &usd())
            .await
            .expect("empty archive");
        assert_eq!((r.customers, r.changes), (0, 0));
        assert_eq!(s.class_summary().await.expect("summary").as_of, None);
        let mut bad = ClassRules::default();
        bad.abc.revenue_a = 1.5;
        match s.classify(d(2026, 1, 1), &bad, &usd()).await {
            Err(StoreError::Invalid(v)) => {
                assert_eq!(v.first().map(|f| f.field.as_str()), Some("abc.revenue_a"))
            }
            other => panic!("{other:?}"),
        }
        // Rules round-trip through the settings.
        let mut rules = ClassRules::default();
        rules.abc.window_months = 6;
        classes::save_rules(s.as_ref(), &rules).await.expect("save");
        assert_eq!(classes::load_rules(s.as_ref()).await.expect("load"), rules);
        assert!(classes::save_rules(s.as_ref(), &bad).await.is_err());
        // A customer whose only order is free (orders cannot be negative) is C with no revenue.
        let c = customer(&s, "Free sample").await;
        order(&s, c, d(2025, 12, 1), 0).await;
        let r = classes::run_classification(s.as_ref(), Some(d(2026, 1, 1)))
            .await
            .expect("run");
        assert_eq!(r.abc["C"], 1);
        assert_eq!(r.window_months, 6);
        let k = s.customer_classes(c).await.expect("r").expect("c");
        assert_eq!(k.abc_reason.rule, AbcRule::NoRevenue);
        assert_eq!(k.revenue_minor, 0);
        assert!(k.rfm.is_some(), "a purchase day is a purchase day");
        let last = s
            .get_setting(classes::LAST_RUN_SETTING)
            .await
            .expect("setting")
            .expect("kept");
        assert!(last.contains("\"as_of\":\"2026-01-01\""), "{last}");
        // The server's schedule: monthly by default, once per calendar month.
        let due = |day| classes::run_if_due(s.as_ref(), day);
        assert!(due(d(2026, 1, 20)).await.expect("not due").is_none());
        let r = due(d(2026, 2, 1)).await.expect("due").expect("ran");
        assert_eq!(r.as_of, d(2026, 2, 1));
        s.set_setting(patron_core::classify::SCHEDULE_SETTING, "off")
            .await
            .expect("off");
        assert!(due(d(2026, 5, 1)).await.expect("off").is_none());
        s.set_setting(patron_core::classify::SCHEDULE_SETTING, "hourly")
            .await
            .expect("set");
        assert!(
            due(d(2026, 5, 1)).await.is_err(),
            "a bad schedule is an error"
        );
    })
    .await;
}

/// RFM follows orders as they arrive between runs (scored against the last run's base); ABC
/// waits for the next run.
#[tokio::test]
async fn rfm_is_kept_up_to_date_as_orders_arrive() {
    each(|s| async move {
        let today = chrono::Utc::now().date_naive();
        let ago = |n: i64| today - chrono::Duration::days(n);
        let mut ids = Vec::new();
        for i in 0..10i64 {
            let c = customer(&s, &format!("客户{i}")).await;
            for k in 0..=i {
                order(&s, c, ago(30 + 60 * i + k), 1000 * (i + 1)).await;
            }
            ids.push(c);
        }
        s.classify(today, &ClassRules::default(), &usd())
            .await
            .expect("classify");
        let sleepy = ids[0];
        let before = s.customer_classes(sleepy).await.expect("r").expect("c");
        let rfm = before.rfm.expect("buyer");
        assert_eq!((rfm.recency_days, rfm.frequency), (30, 1));
        let history = s.class_history(sleepy).await.expect("h").len();

        // Five purchase days up to today: recent, frequent — scored against the run's
        // boundaries at once (new customer → potential loyalist).
        for k in 0..5 {
            order(&s, sleepy, ago(k), 50_000).await;
        }
        let after = s.customer_classes(sleepy).await.expect("r").expect("c");
        let rfm = after.rfm.expect("buyer");
        assert_eq!((rfm.recency_days, rfm.frequency), (0, 6));
        assert_eq!(rfm.monetary_minor, 1000 + 250_000);
        assert_eq!((rfm.r, rfm.m), (5, 5));
        assert_eq!(
            after.abc, before.abc,
            "ABC moves with the runs, not with each order"
        );
        let h = s.class_history(sleepy).await.expect("h");
        assert!(h.len() > history, "the segment change is recorded");
        assert_eq!(h[0].dimension, Dimension::Rfm);
        assert_eq!(
            (h[0].old_class.as_deref(), h[0].new_class.as_str()),
            (Some("new_customers"), "potential_loyalists")
        );
        assert_eq!(h[0].as_of, today);

        // Deleting every order takes the customer out of RFM.
        let orders = s
            .list_orders(&OrderQuery {
                customer_id: Some(sleepy),
                limit: Some(100),
                ..Default::default()
            })
            .await
            .expect("orders");
        for o in orders.items {
            s.delete_order(o.id).await.expect("delete");
        }
        let gone = s.customer_classes(sleepy).await.expect("r").expect("c");
        assert!(gone.rfm.is_none());
        assert_eq!(
            s.class_history(sleepy).await.expect("h")[0].new_class,
            "none"
        );
        // A customer never classified is left alone.
        let new = customer(&s, "New").await;
        order(&s, new, today, 100).await;
        assert!(s.customer_classes(new).await.expect("r").is_none());
    })
    .await;
}

/// Sales territories (the `territory` custom field) are graded like customers, in every run.
#[tokio::test]
async fn territories_are_graded_by_their_customers_revenue() {
    each(|s| async move {
        s.define_custom_field(CustomFieldDef {
            key: "territory".into(),
            label: "Territory".into(),
            field_type: CustomFieldType::Text,
            choices: vec![],
        })
        .await
        .expect("field");
        let in_territory = |name: &str, t: &str| CustomerInput {
            kind: CustomerKind::Organisation,
            name: name.into(),
            custom: [("territory".to_string(), t.to_string())].into(),
            ..Default::default()
        };
        let day = d(2026, 5, 1);
        let mut amounts = Vec::new();
        for (name, t, amount) in [
            ("华北一号", "华北", 600_000),
            ("华南一号", "华南", 300_000),
            ("华南二号", "华南", 50_000),
            ("华东一号", "华东", 100_000),
            ("西部一号", "西部", 0),
        ] {
            let c = s.create_customer(in_territory(name, t)).await.expect("c");
            if amount > 0 {
                order(&s, c.id, day, amount).await;
            }
            amounts.push(c.id);
        }
        customer(&s, "No territory").await;
        let r = s
            .classify(d(2026, 6, 30), &ClassRules::default(), &usd())
            .await
            .expect("classify");
        let got: Vec<(&str, AbcClass, u64)> = r
            .territories
            .iter()
            .map(|t| (t.territory.as_str(), t.class, t.customers))
            .collect();
        assert_eq!(
            got,
            vec![
                ("华北", AbcClass::A, 1),
                ("华南", AbcClass::A, 2),
                ("华东", AbcClass::B, 1),
                ("西部", AbcClass::C, 1)
            ]
        );
        assert_eq!(r.territories[1].reason.revenue_minor, 350_000);
        // The dashboard reads them from the latest run.
        classes::run_classification(s.as_ref(), Some(d(2026, 6, 30)))
            .await
            .expect("run");
        let sum = s.class_summary().await.expect("summary");
        assert_eq!(sum.territories.len(), 4);
        assert_eq!(sum.territories[0].territory, "华北");
    })
    .await;
}

/// A run on the next day rewrites only the rows whose classes, revenue or purchases changed
/// (migration 0027), and what is read afterwards — the reasons' ranks, shares, days since the
/// last purchase, purchase days a year, the RFM recency, the drag list — equals what a database
/// classified only on that day shows.
#[tokio::test]
async fn a_next_day_run_reads_like_a_fresh_one() {
    for (a_db, b_db) in patron_store::testkit::TestDb::each()
        .await
        .into_iter()
        .zip(patron_store::testkit::TestDb::each().await)
    {
        let a = connect(&a_db.url).await.expect("a");
        let b = connect(&b_db.url).await.expect("b");
        let mut ids = Vec::new();
        for s in [&a, &b] {
            ids.clear();
            for i in 0..40i64 {
                let id = customer(s, &format!("客户 {i}")).await;
                // Buyers of different sizes and paces; every fifth never buys, and customer 7
                // buys for the last time on the second day's window edge.
                if i % 5 == 4 {
                    ids.push(id);
                    continue;
                }
                for k in 0..(1 + i % 6) {
                    let day = d(2024, 1, 1) + chrono::Days::new((i * 37 + k * 101) as u64 % 900);
                    order(s, id, day, 10_000 + i * 1_000 + k * 7).await;
                }
                if i == 7 {
                    order(s, id, d(2025, 6, 30), 500_000).await;
                }
                ids.push(id);
            }
        }
        let rules = ClassRules::default();
        let (day1, day2) = (d(2026, 6, 29), d(2026, 6, 30));
        let first = a.classify(day1, &rules, &usd()).await.expect("a day 1");
        assert_eq!(first.rows_written, 40);
        let next = a.classify(day2, &rules, &usd()).await.expect("a day 2");
        let fresh = b.classify(day2, &rules, &usd()).await.expect("b day 2");
        assert_eq!(fresh.rows_written, 40);
        assert!(
            (1..10).contains(&next.rows_written),
            "only the customers whose classes or revenue moved are rewritten: {next:?}"
        );
        let read = |s: Arc<dyn Store>, ids: Vec<CustomerId>| async move {
            let mut k = s.customer_classes_of(&ids).await.expect("classes");
            k.sort_by_key(|c| c.customer_id);
            for c in &mut k {
                c.classified_at = chrono::DateTime::UNIX_EPOCH;
            }
            k
        };
        let (ka, kb) = (
            read(a.clone(), ids.clone()).await,
            read(b.clone(), ids.clone()).await,
        );
        assert_eq!(ka.len(), 40);
        for (x, y) in ka.iter().zip(&kb) {
            assert_eq!(x, y, "customer {:?}", x.customer_id);
            assert_eq!(x.as_of, day2);
        }
        let buyer = ka.iter().find(|k| k.rfm.is_some()).expect("a buyer");
        assert!(buyer.loyalty_reason.days_since_last.is_some());
        assert!(buyer.loyalty_reason.days_per_year.is_some());
        assert!(ka.iter().any(|k| k.abc_reason.rank == Some(1)));
        let ranked = ka[0].abc_reason.ranked;
        assert!(ranked > 0 && ka.iter().all(|k| k.abc_reason.ranked == ranked));
        // Customer 7's big order of 2025-06-30 left the window on the second day.
        let seventh = ka.iter().find(|k| k.customer_id == ids[7]).expect("7");
        assert!(seventh.revenue_minor < 500_000, "{seventh:?}");
        assert_eq!(
            a.class_summary().await.expect("a").as_of,
            Some(day2),
            "the summary's day is the run's, rewritten rows or not"
        );
        let drag_a = a
            .value_list(patron_store::lists::ListName::Drag, Scope::All)
            .await
            .expect("drag a");
        let drag_b = b
            .value_list(patron_store::lists::ListName::Drag, Scope::All)
            .await
            .expect("drag b");
        assert!(!drag_a.rows.is_empty(), "{drag_b:?}");
        assert_eq!(drag_a.rows, drag_b.rows);
        assert_eq!(drag_a.as_of, day2);
        // Same day again: nothing rewritten, the ranking kept.
        let again = a.classify(day2, &rules, &usd()).await.expect("again");
        assert_eq!((again.rows_written, again.changes), (0, 0));
        assert_eq!(read(a.clone(), ids.clone()).await, ka);
        a_db.cleanup().await;
        b_db.cleanup().await;
    }
}
