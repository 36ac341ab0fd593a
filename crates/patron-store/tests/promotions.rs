//! Promotions (METHOD §7) on both databases: validation naming the field, the expectation from
//! the cost lines, the default margin from the settings, participants within the reader's scope,
//! and the evaluation from real orders with known totals (preceding and year-earlier baselines,
//! part of the period, other currencies, a refusal not counted).

use chrono::NaiveDate;
use patron_core::promotion::*;
use patron_core::*;
use patron_store::*;
use std::sync::Arc;

use patron_store::testkit::each_store as each;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn user(s: &Arc<dyn Store>, email: &str, level: StaffLevel) -> User {
    s.create_user(UserInput {
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        staff_level: level,
        manager_id: None,
    })
    .await
    .expect("user")
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

/// An order of one line totalling `minor` in `currency`.
async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, minor: i64, currency: &str) {
    s.create_order(OrderInput {
        customer_id: c,
        order_ref: None,
        order_date: day,
        currency: Some(Currency::parse("currency", currency).expect("currency")),
        asked_by_name: false,
        notes: None,
        lines: vec![OrderLineInput {
            product_id: None,
            product_line: Some("machines".into()),
            quantity: 1,
            unit_price_minor: Some(minor),
            amount_minor: None,
        }],
    })
    .await
    .expect("order");
}

fn usd() -> Currency {
    Currency::parse("currency", "USD").expect("usd")
}

fn spring() -> PromotionInput {
    PromotionInput {
        name: "Spring dealer push".into(),
        description: Some("10% off machines for dealers who stock the new grinder".into()),
        starts_on: d(2025, 3, 1),
        ends_on: d(2025, 3, 31),
        currency: Some(usd()),
        budget_minor: 2_500_000,
        expected_extra_sales_minor: 10_000_000,
        gross_margin_bp: Some(3000),
        status: None,
        baseline: None,
        costs: vec![
            CostInput {
                kind: CostKind::MaterialDiscount,
                description: Some("10% off machines".into()),
                amount_minor: 1_200_000,
            },
            CostInput {
                kind: CostKind::Gift,
                description: None,
                amount_minor: 300_000,
            },
            CostInput {
                kind: CostKind::Advertising,
                description: Some("trade magazine".into()),
                amount_minor: 500_000,
            },
        ],
    }
}

fn fields(e: &StoreError) -> Vec<String> {
    match e {
        StoreError::Invalid(v) => v.0.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn create_validate_participants_and_evaluate_from_orders() {
    each(|s| async move {
        let manager = user(&s, "boss@x.com", StaffLevel::BusinessManager).await;
        let rep1 = user(&s, "rep1@x.com", StaffLevel::SalesRepresentative).await;
        let rep2 = user(&s, "rep2@x.com", StaffLevel::SalesRepresentative).await;
        let rep3 = user(&s, "rep3@x.com", StaffLevel::SalesRepresentative).await;
        let (own1, own2, own3) = (
            Scope::Own(rep1.id),
            Scope::Own(rep2.id),
            Scope::Own(rep3.id),
        );
        let d1 = customer(&s, "Alpha Dealer", Some(rep1.id)).await;
        let d2 = customer(&s, "Beta Dealer", Some(rep1.id)).await;
        let d3 = customer(&s, "Gamma Dealer", Some(rep2.id)).await;
        let d4 = customer(&s, "Delta Dealer", Some(rep1.id)).await;

        // Validation names every field at once; starting needs a participant.
        let mut bad = spring();
        bad.name = "  ".into();
        bad.ends_on = d(2025, 2, 1);
        bad.gross_margin_bp = Some(12_000);
        bad.costs[2].amount_minor = -1;
        let e = s
            .create_promotion(Some(manager.id), bad)
            .await
            .expect_err("bad");
        assert_eq!(
            fields(&e),
            [
                "name",
                "ends_on",
                "gross_margin_bp",
                "costs[2].amount_minor"
            ]
        );
        let mut running = spring();
        running.status = Some(PromotionStatus::Running);
        let e = s
            .create_promotion(Some(manager.id), running)
            .await
            .expect_err("no participants");
        assert_eq!(fields(&e), ["status"]);

        // The expectation: 20,000.00 of cost against 100,000.00 × 30%.
        let p = s
            .create_promotion(Some(manager.id), spring())
            .await
            .expect("create");
        let id = p.promotion.id;
        let x = &p.promotion.expectation;
        assert_eq!(p.promotion.status, PromotionStatus::Planned);
        assert_eq!(p.promotion.created_by, Some(manager.id));
        assert_eq!(p.promotion.costs.len(), 3);
        assert_eq!(p.promotion.costs[2].line_no, 3);
        assert_eq!(x.cost_minor, 2_000_000);
        assert_eq!(x.material_discounts_minor, 1_200_000);
        assert_eq!(x.budget_left_minor, 500_000);
        assert_eq!(x.expected_gross_profit_minor, 3_000_000);
        assert_eq!(x.expected_net_effect_minor, 1_000_000);
        assert_eq!(x.break_even_extra_sales_minor, Some(6_666_667));

        // The margin defaults from the settings; the currency from the shop's.
        s.set_setting(promotions::MARGIN_KEY, "2500")
            .await
            .expect("setting");
        s.set_setting("default_currency", "EUR")
            .await
            .expect("setting");
        let mut other = spring();
        other.name = "Autumn".into();
        other.gross_margin_bp = None;
        other.currency = None;
        other.costs.clear();
        let autumn = s.create_promotion(None, other).await.expect("autumn");
        assert_eq!(autumn.promotion.gross_margin_bp, 2500);
        assert_eq!(autumn.promotion.currency.as_str(), "EUR");
        assert_eq!(
            promotions::default_margin_bp(s.as_ref())
                .await
                .expect("margin"),
            2500
        );
        let e = promotions::set_default_margin_bp(s.as_ref(), "margin", 10_001)
            .await
            .expect_err("over 100%");
        assert_eq!(fields(&e), ["margin"]);

        // Participants: the manager adds four; the representatives add none of others'.
        for (c, a) in [
            (d1, Attitude::Enthusiastic),
            (d2, Attitude::Positive),
            (d3, Attitude::Neutral),
            (d4, Attitude::Refused),
        ] {
            s.add_promotion_participant(
                Some(manager.id),
                id,
                Scope::All,
                ParticipantInput {
                    customer_id: c,
                    attitude: Some(a),
                    notes: None,
                },
            )
            .await
            .expect("participant");
        }
        let dup = s
            .add_promotion_participant(
                None,
                id,
                Scope::All,
                ParticipantInput {
                    customer_id: d1,
                    attitude: None,
                    notes: None,
                },
            )
            .await
            .expect_err("twice");
        assert!(
            matches!(&dup, StoreError::Conflict { field: Some(f), .. } if f == "customer_id"),
            "{dup:?}"
        );
        let e = s
            .add_promotion_participant(
                None,
                autumn.promotion.id,
                own2,
                ParticipantInput {
                    customer_id: d1,
                    attitude: None,
                    notes: None,
                },
            )
            .await
            .expect_err("not rep2's promotion");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
        let e = s
            .add_promotion_participant(
                None,
                id,
                own2,
                ParticipantInput {
                    customer_id: d1,
                    attitude: None,
                    notes: None,
                },
            )
            .await
            .expect_err("rep1's customer");
        assert_eq!(fields(&e), ["customer_id"]);

        // Who sees what: rep1 their three dealers (one hidden), rep3 nothing at all.
        let mine = s.get_promotion(id, own1).await.expect("rep1 sees it");
        let names: Vec<&str> = mine
            .participants
            .iter()
            .map(|p| p.customer_name.as_str())
            .collect();
        assert_eq!(names, ["Alpha Dealer", "Beta Dealer", "Delta Dealer"]);
        assert_eq!(mine.hidden_participants, 1);
        assert_eq!(mine.promotion.participants, 3);
        assert_eq!(mine.promotion.taking_part, 2);
        let listed = s.list_promotions(own1, None).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].participants, 3);
        assert!(s
            .list_promotions(own3, None)
            .await
            .expect("list")
            .is_empty());
        assert!(matches!(
            s.get_promotion(id, own3).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            s.list_promotions(Scope::All, None)
                .await
                .expect("all")
                .len(),
            2
        );
        assert_eq!(
            s.list_promotions(Scope::All, Some(PromotionStatus::Done))
                .await
                .expect("done")
                .len(),
            0
        );
        // The creator sees their promotion before anyone takes part.
        let team = Scope::Team(manager.id);
        assert_eq!(s.list_promotions(team, None).await.expect("team").len(), 1);

        // Attitude: rep1 records their dealer's, not rep2's.
        let ch = s
            .change_promotion_participant(
                id,
                d2,
                own1,
                ParticipantChange {
                    attitude: Some(Attitude::Reluctant),
                    notes: Some("wants a longer period".into()),
                },
            )
            .await
            .expect("attitude");
        assert_eq!(ch.attitude, Attitude::Reluctant);
        assert_eq!(ch.notes.as_deref(), Some("wants a longer period"));
        let e = s
            .change_promotion_participant(
                id,
                d3,
                own1,
                ParticipantChange {
                    attitude: Some(Attitude::Refused),
                    notes: None,
                },
            )
            .await
            .expect_err("rep2's dealer");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        // Orders with known totals. Preceding baseline: 29 January – 28 February 2025.
        order(&s, d1, d(2025, 1, 10), 1_000_000, "USD").await; // before both windows
        order(&s, d1, d(2025, 2, 10), 200_000, "USD").await; // baseline
        order(&s, d1, d(2025, 3, 5), 500_000, "USD").await; // period
        order(&s, d1, d(2025, 3, 20), 400_000, "USD").await; // period
        order(&s, d1, d(2025, 3, 21), 777_700, "EUR").await; // other currency
        order(&s, d1, d(2024, 3, 15), 100_000, "USD").await; // a year earlier
        order(&s, d2, d(2025, 2, 1), 150_000, "USD").await; // baseline
        order(&s, d2, d(2025, 3, 31), 100_000, "USD").await; // period, last day
        order(&s, d3, d(2025, 3, 1), 300_000, "USD").await; // period, first day
        order(&s, d4, d(2025, 3, 15), 400_000, "USD").await; // refused: not counted
        order(&s, d4, d(2025, 4, 1), 999_900, "USD").await; // after the period

        let ev = s
            .evaluate_promotion(id, Scope::All, None, d(2025, 6, 1))
            .await
            .expect("evaluate");
        assert!(ev.started && ev.complete);
        assert_eq!(ev.baseline, Baseline::Preceding);
        let b = ev.baseline_period.expect("baseline");
        assert_eq!((b.from, b.to), (d(2025, 1, 29), d(2025, 2, 28)));
        let a = &ev.actual;
        assert_eq!(a.participants_counted, 3);
        assert_eq!(a.period_minor, 1_300_000);
        assert_eq!(a.baseline_minor, 350_000);
        assert_eq!(a.extra_sales_minor, 950_000);
        assert_eq!(a.gross_profit_minor, 285_000);
        assert_eq!(a.net_effect_minor, -1_715_000);
        assert_eq!(a.extra_sales_ratio, Some(0.095));
        assert!(!a.broke_even);
        assert_eq!(a.other_currency_orders, 1);
        let by: Vec<(&str, i64, i64, i64, bool)> = ev
            .participants
            .iter()
            .map(|p| {
                (
                    p.customer_name.as_str(),
                    p.period_minor,
                    p.baseline_minor,
                    p.extra_sales_minor,
                    p.counted,
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                ("Alpha Dealer", 900_000, 200_000, 700_000, true),
                ("Beta Dealer", 100_000, 150_000, -50_000, true),
                ("Delta Dealer", 400_000, 0, 400_000, false),
                ("Gamma Dealer", 300_000, 0, 300_000, true),
            ]
        );
        assert_eq!(ev.participants[0].period_orders, 2);

        // rep1's evaluation covers only their dealers.
        let ev1 = s
            .evaluate_promotion(id, own1, None, d(2025, 6, 1))
            .await
            .expect("rep1");
        assert_eq!(ev1.participants.len(), 3);
        assert_eq!(ev1.actual.extra_sales_minor, 650_000);

        // A year earlier: only d1's 1,000.00 of March 2024.
        let ev = s
            .evaluate_promotion(id, Scope::All, Some(Baseline::PreviousYear), d(2025, 6, 1))
            .await
            .expect("previous year");
        assert_eq!(ev.actual.baseline_minor, 100_000);
        assert_eq!(ev.actual.extra_sales_minor, 1_200_000);

        // Ten days in: 1–10 March against 19–28 February.
        let ev = s
            .evaluate_promotion(id, Scope::All, None, d(2025, 3, 10))
            .await
            .expect("partial");
        assert!(ev.started && !ev.complete);
        assert_eq!(ev.actual.period_minor, 800_000);
        assert_eq!(ev.actual.baseline_minor, 0);
        // Before it starts there is nothing to measure.
        let ev = s
            .evaluate_promotion(id, Scope::All, None, d(2025, 2, 1))
            .await
            .expect("not started");
        assert!(!ev.started);
        assert_eq!(ev.actual.period_minor, 0);

        // Now it may run; edits replace the cost lines.
        let mut edit = spring();
        edit.status = Some(PromotionStatus::Done);
        edit.costs.truncate(1);
        let done = s
            .update_promotion(id, Scope::All, edit)
            .await
            .expect("done");
        assert_eq!(done.promotion.status, PromotionStatus::Done);
        assert_eq!(done.promotion.expectation.cost_minor, 1_200_000);
        let e = s
            .update_promotion(id, own3, spring())
            .await
            .expect_err("unseen");
        assert!(matches!(e, StoreError::NotFound { .. }));

        // Removing participants; deleting the promotion takes everything with it.
        s.remove_promotion_participant(id, d4, own1)
            .await
            .expect("remove");
        assert!(matches!(
            s.remove_promotion_participant(id, d3, own1).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            s.get_promotion(id, Scope::All)
                .await
                .expect("get")
                .participants
                .len(),
            3
        );
        assert!(matches!(
            s.delete_promotion(id, own3).await,
            Err(StoreError::NotFound { .. })
        ));
        s.delete_promotion(id, Scope::All).await.expect("delete");
        assert!(matches!(
            s.get_promotion(id, Scope::All).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_merged_customer_keeps_taking_part() {
    each(|s| async move {
        let keep = customer(&s, "Alpha Dealer", None).await;
        let other = customer(&s, "Alpha Dealer Ltd", None).await;
        let add = |id: i64, c: CustomerId, a: Attitude| {
            let s = s.clone();
            async move {
                s.add_promotion_participant(
                    None,
                    id,
                    Scope::All,
                    ParticipantInput {
                        customer_id: c,
                        attitude: Some(a),
                        notes: None,
                    },
                )
                .await
                .expect("participant");
            }
        };
        let both = s.create_promotion(None, spring()).await.expect("p1");
        let mut second = spring();
        second.name = "Only the duplicate".into();
        let only = s.create_promotion(None, second).await.expect("p2");
        add(both.promotion.id, keep, Attitude::Positive).await;
        add(both.promotion.id, other, Attitude::Refused).await;
        add(only.promotion.id, other, Attitude::Enthusiastic).await;
        s.merge_customers(keep, other).await.expect("merge");
        let b = s
            .get_promotion(both.promotion.id, Scope::All)
            .await
            .expect("both");
        let got: Vec<(CustomerId, Attitude)> = b
            .participants
            .iter()
            .map(|p| (p.customer_id, p.attitude))
            .collect();
        assert_eq!(got, [(keep, Attitude::Positive)]);
        let o = s
            .get_promotion(only.promotion.id, Scope::All)
            .await
            .expect("only");
        let got: Vec<(CustomerId, Attitude)> = o
            .participants
            .iter()
            .map(|p| (p.customer_id, p.attitude))
            .collect();
        assert_eq!(got, [(keep, Attitude::Enthusiastic)]);
    })
    .await;
}
