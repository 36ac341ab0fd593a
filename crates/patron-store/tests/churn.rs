//! Churn (METHOD §2.5, §6) on both databases: lost customers by reason next to the reference
//! shares, the reason list extended and reworded (bad codes and shares refused), and the
//! churn-risk list's three signals — a high-value customer whose P(alive) fell, repeated
//! complaints, an A-class customer whose visit is overdue.

use chrono::Utc;
use patron_core::classify::ClassRules;
use patron_core::complaint::Channel;
use patron_core::*;
use patron_store::analytics::CustomerScore;
use patron_store::churn::ChurnReasonInput;
use patron_store::complaints::ComplaintInput;
use patron_store::lists::ListName;
use patron_store::*;
use std::sync::Arc;

use patron_store::testkit::each_store as each;

async fn customer(s: &Arc<dyn Store>, name: &str, lost: Option<&str>) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        stage: lost.map(|_| LifecycleStage::Lost),
        churn_reason: lost.map(str::to_owned),
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

#[tokio::test]
async fn churn_reasons_and_the_risk_list() {
    each(|s| async move {
        for (i, reason) in [
            "supplier_problems",
            "supplier_problems",
            "supplier_problems",
            "better_product",
        ]
        .iter()
        .enumerate()
        {
            customer(&s, &format!("Lost {i}"), Some(reason)).await;
        }
        customer(&s, "Still here", None).await;
        let r = s.churn_report(Scope::All).await.expect("report");
        assert_eq!(r.lost, 4);
        let by = |code: &str| {
            r.reasons
                .iter()
                .find(|x| x.code == code)
                .cloned()
                .expect("reason")
        };
        assert_eq!(by("supplier_problems").count, 3);
        assert_eq!(by("supplier_problems").share, Some(0.75));
        assert_eq!(by("supplier_problems").reference_percent, Some(70));
        assert_eq!(by("bankruptcy_relocation").count, 0);
        assert_eq!(by("other").reference_percent, Some(2));
        assert_eq!(r.reasons.len(), 4);

        // The list is editable: a new reason, a reworded one; bad input refused.
        s.save_churn_reason(
            "price_too_high",
            ChurnReasonInput {
                label: "Price too high".into(),
                reference_percent: None,
            },
        )
        .await
        .expect("new reason");
        s.save_churn_reason(
            "other",
            ChurnReasonInput {
                label: "Something else".into(),
                reference_percent: Some(2),
            },
        )
        .await
        .expect("reworded");
        let r = s.churn_report(Scope::All).await.expect("report");
        assert_eq!(r.reasons.len(), 5);
        assert_eq!(r.reasons[4].code, "price_too_high");
        assert!(r.reasons.iter().any(|x| x.label == "Something else"));
        for (code, label, p, field) in [
            ("Bad Code!", "x", None, "code"),
            ("fine", "  ", None, "label"),
            ("fine", "x", Some(101), "reference_percent"),
        ] {
            let e = s
                .save_churn_reason(
                    code,
                    ChurnReasonInput {
                        label: label.into(),
                        reference_percent: p,
                    },
                )
                .await
                .expect_err("refused");
            match e {
                StoreError::Invalid(v) => {
                    assert_eq!(v.first().map(|f| f.field.as_str()), Some(field))
                }
                other => panic!("{other:?}"),
            }
        }
        // A lost customer may now give the new reason.
        customer(&s, "Lost to price", Some("price_too_high")).await;

        // The risk list: a high-value customer with a low P(alive), repeated complaints, and
        // an A-class customer never visited (added long enough ago to be overdue).
        let big = customer(&s, "Big but fading", None).await;
        let moaner = customer(&s, "Moaner", None).await;
        let quiet = customer(&s, "Quiet A", None).await;
        let today = Utc::now().date_naive();
        for (c, amount) in [(big, 900_000), (quiet, 5_000_000)] {
            s.create_order(OrderInput {
                customer_id: c,
                order_date: today - chrono::Days::new(30),
                lines: vec![OrderLineInput {
                    product_line: Some("sofa".into()),
                    quantity: 1,
                    unit_price_minor: Some(amount),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("order");
        }
        s.replace_customer_scores(&[CustomerScore {
            customer_id: big,
            p_alive: Some(0.2),
            expected_purchases: Some(0.1),
            expected_spend: Some(100.0),
            clv: Some(5000.0),
            currency: "USD".into(),
            horizon_days: 365,
            as_of: today,
            scored_at: Utc::now(),
        }])
        .await
        .expect("scores");
        for _ in 0..2 {
            s.create_complaint(
                None,
                Scope::All,
                ComplaintInput {
                    customer_id: moaner,
                    key_person_id: None,
                    order_id: None,
                    channel: Channel::Call,
                    cause: None,
                    summary: "again".into(),
                    details: None,
                    owner_id: None,
                },
                Utc::now(),
            )
            .await
            .expect("complaint");
        }
        // The quiet big buyer was last visited 200 days ago.
        s.create_interaction(InteractionInput {
            customer_id: quiet,
            kind: InteractionKind::Visit,
            occurred_at: Some(Utc::now() - chrono::Duration::days(200)),
            staff_id: None,
            key_person_id: None,
            outcome: None,
            notes: None,
            follow_up_on: None,
            follow_up: None,
        })
        .await
        .expect("visit");
        s.classify(today, &ClassRules::default(), &Currency::default())
            .await
            .expect("classify");
        let l = s
            .value_list(ListName::ChurnRisk, Scope::All)
            .await
            .expect("list");
        let signals = |c: CustomerId| {
            l.rows
                .iter()
                .find(|r| r.customer_id == c)
                .map(|r| format!("{:?}", r.values[0]))
        };
        assert!(signals(big).is_some_and(|t| t.contains("p_alive")), "{l:?}");
        assert!(
            signals(moaner).is_some_and(|t| t.contains("complaints")),
            "{l:?}"
        );
        let quiet_class = s.customer_classes(quiet).await.expect("classes");
        assert_eq!(
            quiet_class.map(|k| k.abc),
            Some(patron_core::classify::AbcClass::A)
        );
        assert!(
            signals(quiet).is_some_and(|t| t.contains("visit_overdue")),
            "{l:?}"
        );
        let row = l.rows.iter().find(|r| r.customer_id == quiet).expect("row");
        assert!(format!("{:?}", row.values[4]).contains(
            &(Utc::now() - chrono::Duration::days(200))
                .date_naive()
                .to_string()
        ));
        assert_eq!(l.columns[0].key, "signals");
    })
    .await;
}
