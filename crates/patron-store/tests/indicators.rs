//! The five indicators' counts (METHOD §5) on both databases: a refresh counts customers served,
//! buyers, repeat buyers, orders asked for by name and complainers per month and quarter, for the
//! archive, per ABC class and per owner; a period without activity has zero counts (no data);
//! a second refresh replaces the counts.

use chrono::{NaiveDate, TimeZone, Utc};
use patron_core::complaint::Channel;
use patron_core::indicators::Counts;
use patron_core::*;
use patron_store::complaints::ComplaintInput;
use patron_store::indicators::IndicatorTable;
use patron_store::*;
use std::sync::Arc;

use patron_store::testkit::each_store as each;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn customer(s: &Arc<dyn Store>, name: &str, owner: Option<UserId>) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        owner_id: owner,
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, named: bool) {
    s.create_order(OrderInput {
        customer_id: c,
        order_ref: None,
        order_date: day,
        currency: None,
        asked_by_name: named,
        notes: None,
        lines: vec![OrderLineInput {
            product_line: Some("sofa".into()),
            quantity: 1,
            unit_price_minor: Some(10_000),
            ..Default::default()
        }],
    })
    .await
    .expect("order");
}

fn counts(t: &IndicatorTable, period: &str, dim: &str, seg: &str) -> Counts {
    t.rows
        .iter()
        .find(|r| r.period == period && r.dimension == dim && r.segment == seg)
        .map(|r| r.counts)
        .unwrap_or_else(|| panic!("no row {period} {dim} {seg}: {:?}", t.rows))
}

#[tokio::test]
async fn indicator_counts_per_period_class_and_owner() {
    each(|s| async move {
        let rep = s
            .create_user(UserInput {
                email: "rep@x.com".into(),
                name: "Rep".into(),
                staff_level: StaffLevel::SalesRepresentative,
                manager_id: None,
            })
            .await
            .expect("rep");
        let a = customer(&s, "A", Some(rep.id)).await;
        let b = customer(&s, "B", Some(rep.id)).await;
        let c = customer(&s, "C", None).await;
        let quiet = customer(&s, "Quiet", None).await;
        let _ = quiet;
        // November: A buys twice (once by name), B once; C is only called and complains.
        order(&s, a, d(2026, 11, 3), true).await;
        order(&s, a, d(2026, 11, 20), false).await;
        order(&s, b, d(2026, 11, 5), false).await;
        s.create_interaction(InteractionInput {
            customer_id: c,
            kind: InteractionKind::Call,
            occurred_at: Some(
                Utc.with_ymd_and_hms(2026, 11, 10, 9, 0, 0)
                    .single()
                    .expect("t"),
            ),
            staff_id: None,
            key_person_id: None,
            outcome: None,
            notes: None,
            follow_up_on: None,
            follow_up: None,
        })
        .await
        .expect("call");
        s.create_complaint(
            None,
            Scope::All,
            ComplaintInput {
                customer_id: c,
                key_person_id: None,
                order_id: None,
                channel: Channel::Call,
                cause: None,
                summary: "late".into(),
                details: None,
                owner_id: None,
            },
            Utc.with_ymd_and_hms(2026, 11, 11, 9, 0, 0)
                .single()
                .expect("t"),
        )
        .await
        .expect("complaint");
        // October: B buys once more (the quarter has B twice).
        order(&s, b, d(2026, 10, 15), false).await;

        let before = s.indicator_table().await.expect("table");
        assert_eq!(before.refreshed_at, None);
        assert!(before.rows.is_empty());
        let report = s.refresh_indicators(d(2026, 12, 3)).await.expect("refresh");
        assert_eq!(report.customers, 4);
        let t = s.indicator_table().await.expect("table");
        assert_eq!(t.refreshed_at, Some(report.refreshed_at));

        let nov = counts(&t, "2026-11", "all", "");
        assert_eq!(
            nov,
            Counts {
                served: 3,
                buyers: 2,
                repeat_buyers: 1,
                orders: 3,
                named_orders: 1,
                complainers: 1,
                complaints: 1,
                surveyed: 0,
                praising: 0,
            }
        );
        let i = nov.indicators();
        assert_eq!(i.sales_power, Some(2.0 / 3.0));
        assert_eq!(i.repeat_purchase_rate, Some(0.5));
        assert_eq!(i.name_recognition, Some(1.0 / 3.0));
        assert_eq!(i.complaint_rate, Some(1.0 / 3.0));
        assert_eq!(i.reputation, None);
        // The quarter: A and B both bought twice.
        let q4 = counts(&t, "2026-Q4", "all", "");
        assert_eq!((q4.buyers, q4.repeat_buyers, q4.orders), (2, 2, 4));
        // December (no activity yet): zero counts, no data.
        let dec = counts(&t, "2026-12", "all", "");
        assert_eq!(dec, Counts::default());
        assert_eq!(dec.indicators().sales_power, None);
        // Per owner: the representative's customers, and those without an owner.
        let mine = counts(&t, "2026-11", "owner", &rep.id.0.to_string());
        assert_eq!((mine.served, mine.buyers, mine.orders), (2, 2, 3));
        let nobody = counts(&t, "2026-11", "owner", "-");
        assert_eq!((nobody.served, nobody.complainers), (1, 1));
        // Not classified: every customer is in class "-".
        assert_eq!(counts(&t, "2026-11", "class", "-"), nov);
        // 24 months and 8 quarters kept.
        let periods: std::collections::BTreeSet<&str> = t
            .rows
            .iter()
            .filter(|r| r.dimension == "all")
            .map(|r| r.period.as_str())
            .collect();
        assert_eq!(periods.len(), 32, "{periods:?}");

        // A new order and a second refresh replace the counts.
        order(&s, c, d(2026, 11, 28), true).await;
        s.refresh_indicators(d(2026, 12, 3)).await.expect("refresh");
        let t = s.indicator_table().await.expect("table");
        let nov = counts(&t, "2026-11", "all", "");
        assert_eq!((nov.served, nov.buyers, nov.named_orders), (3, 3, 2));
    })
    .await;
}
