//! The value lists on both databases: who is on each list, the numbers behind each row, the
//! caller's scope, and lists that wait for a classification or model scores.

use chrono::{Duration, NaiveDate, Utc};
use patron_core::classify::ClassRules;
use patron_core::*;
use patron_store::lists::{Cell, ListName};
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

async fn org(s: &Arc<dyn Store>, name: &str, owner: Option<UserId>) -> CustomerId {
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

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, amount: i64, line: &str) {
    s.create_order(OrderInput {
        customer_id: c,
        order_date: day,
        lines: vec![OrderLineInput {
            quantity: 1,
            amount_minor: Some(amount),
            product_line: Some(line.into()),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .expect("order");
}

fn names(l: &lists::ValueList) -> Vec<String> {
    l.rows.iter().map(|r| r.name.clone()).collect()
}

fn value<'a>(l: &'a lists::ValueList, row: usize, key: &str) -> &'a Cell {
    let i = l
        .columns
        .iter()
        .position(|c| c.key == key)
        .unwrap_or_else(|| panic!("no column {key}"));
    &l.rows[row].values[i]
}

#[tokio::test]
async fn the_value_lists() {
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
        let today = Utc::now().date_naive();
        let ago = |days: i64| today - Duration::days(days);
        // A big buyer whose purchases fell: 10,000 a year ago, 1,000 in the last 12 months.
        let falling = org(&s, "下滑商行", Some(rep.id)).await;
        order(&s, falling, ago(400), 1_000_000, "Tea").await;
        order(&s, falling, ago(30), 100_000, "Tea").await;
        // A steady big buyer of three lines.
        let steady = org(&s, "Steady Co", None).await;
        for (d, line) in [(380, "Tea"), (200, "Coffee"), (20, "Gifts")] {
            order(&s, steady, ago(d), 500_000, line).await;
        }
        // Small buyers long gone (drag) and a tagged target without key persons.
        let gone = org(&s, "오래된 고객", None).await;
        order(&s, gone, ago(700), 100, "Tea").await;
        let target = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Organisation,
                name: "Target Ltd".into(),
                tags: vec!["target".into()],
                ..Default::default()
            })
            .await
            .expect("target")
            .id;

        // Before any classification, lists reading classes say so.
        let drag = s
            .value_list(ListName::Drag, Scope::All)
            .await
            .expect("drag");
        assert!(drag.rows.is_empty() && drag.note.is_some());
        let targets = s
            .value_list(ListName::Targets, Scope::All)
            .await
            .expect("t");
        assert_eq!(
            names(&targets),
            vec!["Target Ltd"],
            "tagged targets even unclassified"
        );
        assert!(targets.note.is_some());
        let gold = s
            .value_list(ListName::Gold, Scope::All)
            .await
            .expect("gold");
        assert!(gold.rows.is_empty());
        assert!(gold.note.as_deref().unwrap_or("").contains("model score"));

        s.classify(today, &ClassRules::default(), &Currency::default())
            .await
            .expect("classify");

        // Slipping: last year's top 20% (of 2 buyers last year: 1) who bought less since.
        let l = s
            .value_list(ListName::Slipping, Scope::All)
            .await
            .expect("slip");
        assert_eq!(names(&l), vec!["下滑商行"], "{l:?}");
        assert_eq!(value(&l, 0, "last_year"), &Cell::Int(1_000_000));
        assert_eq!(value(&l, 0, "this_year"), &Cell::Int(100_000));
        assert_eq!(value(&l, 0, "change"), &Cell::Number(-0.9));

        // Drag: the bottom 20% of buyers (1 of 3) with no order for over a year.
        let l = s
            .value_list(ListName::Drag, Scope::All)
            .await
            .expect("drag");
        assert_eq!(names(&l), vec!["오래된 고객"]);
        assert_eq!(value(&l, 0, "days_since_last_order"), &Cell::Int(700));

        // Targets: A and B organisations and tagged ones with fewer than three key persons.
        let l = s
            .value_list(ListName::Targets, Scope::All)
            .await
            .expect("t");
        let mut n = names(&l);
        n.sort();
        assert!(n.contains(&"Target Ltd".to_owned()) && n.contains(&"Steady Co".to_owned()));
        assert!(
            !n.contains(&"오래된 고객".to_owned()),
            "C and untagged: {n:?}"
        );
        for i in 0..3 {
            s.create_key_person(
                steady,
                KeyPersonInput {
                    name: format!("Person {i}"),
                    ..Default::default()
                },
            )
            .await
            .expect("key person");
        }
        let l = s
            .value_list(ListName::Targets, Scope::All)
            .await
            .expect("t");
        assert!(
            !names(&l).contains(&"Steady Co".to_owned()),
            "three contacts now"
        );

        // Narrow: buyers of the last 12 months with one or two lines; the lines they do not buy.
        let l = s
            .value_list(ListName::Narrow, Scope::All)
            .await
            .expect("narrow");
        let i = l
            .rows
            .iter()
            .position(|r| r.customer_id == falling)
            .expect("falling buys only tea");
        assert_eq!(l.rows[i].values[0], Cell::Text("Tea".into()));
        assert_eq!(l.rows[i].values[1], Cell::Text("Coffee, Gifts".into()));
        let i = l
            .rows
            .iter()
            .position(|r| r.customer_id == steady)
            .expect("steady bought two of the three lines in 12 months");
        assert_eq!(l.rows[i].values[1], Cell::Text("Tea".into()));
        assert_eq!(l.rows[i].values[2], Cell::Int(2));
        assert!(
            l.rows.iter().all(|r| r.customer_id != gone),
            "not a buyer of the last year"
        );

        // Gold: the top 5% by lifetime value, once scored.
        let score = |c: CustomerId, clv: f64| patron_store::analytics::CustomerScore {
            customer_id: c,
            p_alive: Some(0.9),
            expected_purchases: Some(2.5),
            expected_spend: Some(100.0),
            clv: Some(clv),
            currency: "USD".into(),
            horizon_days: 364,
            as_of: today,
            scored_at: Utc::now(),
        };
        s.replace_customer_scores(&[
            score(steady, 8000.0),
            score(falling, 120.5),
            score(gone, 1.0),
        ])
        .await
        .expect("scores");
        let l = s
            .value_list(ListName::Gold, Scope::All)
            .await
            .expect("gold");
        assert_eq!(names(&l), vec!["Steady Co"]);
        assert_eq!(value(&l, 0, "clv"), &Cell::Int(800_000));
        assert_eq!(value(&l, 0, "rank"), &Cell::Int(1));
        assert_eq!(value(&l, 0, "abc"), &Cell::Text("A".into()));

        // A representative sees only their own customers on every list.
        let mine = Scope::Own(rep.id);
        for name in ListName::ALL {
            let l = s.value_list(name, mine).await.expect("scoped");
            assert!(
                l.rows.iter().all(|r| r.customer_id == falling),
                "{name:?}: {:?}",
                names(&l)
            );
        }
        assert!(s
            .value_list(ListName::Gold, mine)
            .await
            .expect("g")
            .rows
            .is_empty());
        assert_eq!(
            names(&s.value_list(ListName::Slipping, mine).await.expect("s")),
            vec!["下滑商行"]
        );
        let l = s
            .value_list(ListName::Complaining, Scope::All)
            .await
            .expect("c");
        // Nobody complained (the list itself is tested in tests/complaints.rs).
        assert!(l.rows.is_empty(), "{:?}", names(&l));
        let _ = target;
    })
    .await;
}
