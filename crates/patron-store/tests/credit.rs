//! The credit system on both databases: reviews and the credit in force, balances with FIFO
//! settlement and overdue days, payments, the limit check of an order write with and without a
//! manager's override, the credit list and its scope, merges.

use chrono::NaiveDate;
use patron_core::credit::{CreditClass, CreditPolicy, CreditReviewInput, PaymentInput};
use patron_core::*;
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn user(s: &Arc<dyn Store>, email: &str, level: StaffLevel, manager: Option<UserId>) -> User {
    s.create_user(UserInput {
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        staff_level: level,
        manager_id: manager,
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

fn order_input(c: CustomerId, day: NaiveDate, amount: i64) -> OrderInput {
    patron_store::testkit::one_line_order(c, day, amount)
}

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, amount: i64) -> Order {
    s.create_order(order_input(c, day, amount))
        .await
        .expect("order")
}

async fn review(
    s: &Arc<dyn Store>,
    by: Option<UserId>,
    c: CustomerId,
    class: &str,
    limit: Option<i64>,
    term: Option<u32>,
    on: NaiveDate,
) -> patron_store::credit::CreditReview {
    s.record_credit_review(
        by,
        c,
        CreditReviewInput {
            class: class.into(),
            limit_minor: limit,
            term_days: term,
            reviewed_on: Some(on),
            ..Default::default()
        },
    )
    .await
    .expect("review")
}

async fn pay(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, amount: i64) -> PaymentId {
    s.record_payment(
        None,
        c,
        PaymentInput {
            amount_minor: amount,
            paid_on: Some(day),
            reference: Some("TT".into()),
            ..Default::default()
        },
    )
    .await
    .expect("payment")
    .id
}

fn field_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn balances_settle_the_oldest_orders_first_and_count_from_the_first_review() {
    each(|s| async move {
        let boss = user(&s, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let c = customer(&s, "王记商行", None).await;
        // Before any review: not under credit management, nothing checked.
        assert!(s.customer_credit(c).await.expect("credit").is_none());
        order(&s, c, d(2024, 12, 1), 999_999).await;
        let big = s
            .create_order_checked(
                Some(boss.id),
                order_input(c, d(2024, 12, 2), 10_000_000),
                None,
            )
            .await
            .expect("write");
        assert!(big.is_ok(), "a customer without a review is never checked");

        let r = review(
            &s,
            Some(boss.id),
            c,
            "AA",
            Some(50_000),
            Some(30),
            d(2025, 1, 1),
        )
        .await;
        assert_eq!(
            (r.class, r.limit_minor, r.term_days),
            (CreditClass::Aa, 50_000, 30)
        );
        assert_eq!(r.reviewer_name.as_deref(), Some("boss"));
        assert_eq!(r.currency, "USD");
        // Orders on and after the review day count; the December ones do not.
        order(&s, c, d(2025, 1, 10), 10_000).await;
        order(&s, c, d(2025, 3, 1), 20_000).await;
        order(&s, c, d(2025, 5, 20), 15_000).await;
        // Another currency is not counted (no exchange rate).
        s.create_order(OrderInput {
            currency: Some(Currency::parse("c", "EUR").expect("eur")),
            ..order_input(c, d(2025, 2, 1), 77_777)
        })
        .await
        .expect("eur order");
        pay(&s, c, d(2025, 3, 20), 12_000).await;
        // A payment before the first review settles nothing counted here.
        pay(&s, c, d(2024, 12, 15), 5_000).await;

        let k = s
            .customer_credit_as_of(c, d(2025, 6, 1))
            .await
            .expect("credit")
            .expect("under credit management");
        assert_eq!(k.since, d(2025, 1, 1));
        assert_eq!(
            (k.class, k.limit_minor, k.term_days),
            (CreditClass::Aa, 50_000, 30)
        );
        let b = k.balance;
        assert_eq!((b.ordered_minor, b.paid_minor), (45_000, 12_000));
        // 12,000 settles January's 10,000 and 2,000 of March's 20,000 (due 31 March).
        assert_eq!(b.outstanding_minor, 33_000);
        assert_eq!(b.overdue_minor, 18_000);
        assert_eq!(b.oldest_overdue_due, Some(d(2025, 3, 31)));
        assert_eq!(b.days_overdue, 62);
        assert_eq!(k.available_minor, 17_000);
        // As of the due day itself nothing is overdue yet.
        let k = s
            .customer_credit_as_of(c, d(2025, 3, 31))
            .await
            .expect("credit")
            .expect("managed");
        assert_eq!(k.balance.overdue_minor, 0);

        // A later review changes the terms in force; a back-dated one does not displace it.
        review(&s, Some(boss.id), c, "A", None, None, d(2025, 4, 1)).await;
        review(&s, None, c, "AAA", None, None, d(2025, 2, 1)).await;
        let k = s
            .customer_credit_as_of(c, d(2025, 6, 1))
            .await
            .expect("credit")
            .expect("managed");
        assert_eq!(k.class, CreditClass::A);
        assert_eq!(k.limit_minor, CreditPolicy::default().a.limit_minor);
        assert_eq!(k.term_days, 30);
        assert_eq!(k.since, d(2025, 1, 1));
        let all = s.credit_reviews(c).await.expect("reviews");
        let classes: Vec<CreditClass> = all.iter().map(|r| r.class).collect();
        assert_eq!(
            classes,
            [CreditClass::A, CreditClass::Aaa, CreditClass::Aa],
            "newest review day first"
        );
    })
    .await;
}

#[tokio::test]
async fn reviews_and_payments_are_validated_by_field() {
    each(|s| async move {
        let c = customer(&s, "김민준 상사", None).await;
        let today = chrono::Utc::now().date_naive();
        let bad = |input: CreditReviewInput| {
            let s = s.clone();
            async move {
                field_of(
                    s.record_credit_review(None, c, input)
                        .await
                        .expect_err("bad"),
                )
            }
        };
        assert_eq!(
            bad(CreditReviewInput {
                class: "AAAA".into(),
                ..Default::default()
            })
            .await,
            "class"
        );
        assert_eq!(
            bad(CreditReviewInput {
                class: "AA".into(),
                limit_minor: Some(-1),
                ..Default::default()
            })
            .await,
            "limit_minor"
        );
        assert_eq!(
            bad(CreditReviewInput {
                class: "AA".into(),
                reviewed_on: Some(today + chrono::Duration::days(1)),
                ..Default::default()
            })
            .await,
            "reviewed_on"
        );
        assert_eq!(
            bad(CreditReviewInput {
                class: "none".into(),
                limit_minor: Some(100),
                ..Default::default()
            })
            .await,
            "limit_minor"
        );
        let e = s
            .record_credit_review(
                None,
                CustomerId(999_999),
                CreditReviewInput {
                    class: "A".into(),
                    ..Default::default()
                },
            )
            .await
            .expect_err("no such customer");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        let e = s
            .record_payment(
                None,
                c,
                PaymentInput {
                    amount_minor: 0,
                    ..Default::default()
                },
            )
            .await
            .expect_err("zero");
        assert_eq!(field_of(e), "amount_minor");
        let e = s
            .record_payment(
                None,
                c,
                PaymentInput {
                    amount_minor: 5,
                    paid_on: Some(today + chrono::Duration::days(3)),
                    ..Default::default()
                },
            )
            .await
            .expect_err("future");
        assert_eq!(field_of(e), "paid_on");

        // The policy: stored values become the defaults; a bad one names its field.
        let mut p = patron_store::credit::load_policy(s.as_ref())
            .await
            .expect("policy");
        assert_eq!(p, CreditPolicy::default());
        p.aa.limit_minor = 4_200_000;
        p.aa.term_days = 21;
        patron_store::credit::save_policy(s.as_ref(), &p)
            .await
            .expect("save");
        let r = s
            .record_credit_review(
                None,
                c,
                CreditReviewInput {
                    class: "aa".into(),
                    deposit_minor: Some(100_000),
                    notes: Some("  bank reference checked  ".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("review");
        assert_eq!((r.limit_minor, r.term_days), (4_200_000, 21));
        assert_eq!(r.reviewed_on, today);
        assert_eq!(r.deposit_minor, Some(100_000));
        assert_eq!(r.notes.as_deref(), Some("bank reference checked"));
        p.a.term_days = 99_999;
        let e = patron_store::credit::save_policy(s.as_ref(), &p)
            .await
            .expect_err("bad policy");
        assert_eq!(field_of(e), "A.term_days");

        // Payments: listed newest first, read back, deleted once.
        // (Both on the review day: earlier payments would not count.)
        let p1 = pay(&s, c, today, 1_000).await;
        let p2 = pay(&s, c, today, 2_000).await;
        let list = s.list_payments(c, 50).await.expect("payments");
        let ids: Vec<PaymentId> = list.iter().map(|p| p.id).collect();
        assert_eq!(ids, [p2, p1]);
        assert_eq!(list[0].reference.as_deref(), Some("TT"));
        assert_eq!(list[0].currency, "USD");
        assert_eq!(s.get_payment(p1).await.expect("get").amount_minor, 1_000);
        let k = s
            .customer_credit(c)
            .await
            .expect("credit")
            .expect("managed");
        assert_eq!(k.balance.unapplied_minor, 3_000, "paid in advance");
        s.delete_payment(p1).await.expect("delete");
        assert!(matches!(
            s.delete_payment(p1).await,
            Err(StoreError::NotFound { .. })
        ));
        let k = s
            .customer_credit(c)
            .await
            .expect("credit")
            .expect("managed");
        assert_eq!(k.balance.paid_minor, 2_000);
    })
    .await;
}

#[tokio::test]
async fn orders_over_the_limit_are_refused_unless_overridden_and_the_override_recorded() {
    each(|s| async move {
        let boss = user(&s, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let c = customer(&s, "王记商行", None).await;
        review(
            &s,
            Some(boss.id),
            c,
            "AA",
            Some(50_000),
            Some(30),
            d(2025, 1, 1),
        )
        .await;
        let first = order(&s, c, d(2025, 2, 1), 30_000).await;
        order(&s, c, d(2025, 2, 2), 16_000).await;
        let count = |s: Arc<dyn Store>| async move {
            s.list_orders(&OrderQuery {
                customer_id: Some(c),
                ..Default::default()
            })
            .await
            .expect("orders")
            .items
            .len()
        };
        assert_eq!(count(s.clone()).await, 2);

        // 46,000 owed: 4,000 fits, 12,000 does not.
        let ok = s
            .create_order_checked(Some(boss.id), order_input(c, d(2025, 3, 1), 4_000), None)
            .await
            .expect("write");
        let fits = ok.expect("within the limit");
        let refused = s
            .create_order_checked(Some(boss.id), order_input(c, d(2025, 3, 2), 12_000), None)
            .await
            .expect("write")
            .expect_err("over the limit");
        assert_eq!(refused.customer_name, "王记商行");
        assert_eq!(refused.class, CreditClass::Aa);
        assert_eq!(
            (
                refused.outstanding_minor,
                refused.order_minor,
                refused.after_minor,
                refused.limit_minor,
                refused.over_limit_minor
            ),
            (50_000, 12_000, 62_000, 50_000, 12_000)
        );
        assert!(refused.describe(|m| m.to_string()).contains(
            "would take 王记商行 to 62000 outstanding, over its credit limit of 50000 (AA)"
        ));
        assert_eq!(count(s.clone()).await, 3, "the refused order is not saved");

        // An empty reason is no override; a reason lets it through and is recorded.
        let e = s
            .create_order_checked(
                Some(boss.id),
                order_input(c, d(2025, 3, 2), 12_000),
                Some("  "),
            )
            .await
            .expect_err("empty reason");
        assert_eq!(field_of(e), "credit_override.reason");
        let saved = s
            .create_order_checked(
                Some(boss.id),
                order_input(c, d(2025, 3, 2), 12_000),
                Some("pays on delivery of the next container"),
            )
            .await
            .expect("write")
            .expect("overridden");
        let ov = s.credit_overrides(c, 10).await.expect("overrides");
        assert_eq!(ov.len(), 1);
        assert_eq!(ov[0].order_id, Some(saved.id));
        assert_eq!(ov[0].user_id, Some(boss.id));
        assert_eq!(ov[0].user_name.as_deref(), Some("boss"));
        assert_eq!(ov[0].reason, "pays on delivery of the next container");
        assert_eq!(
            (
                ov[0].order_minor,
                ov[0].outstanding_minor,
                ov[0].over_limit_minor
            ),
            (12_000, 62_000, 12_000)
        );
        // An override given when none is needed records nothing.
        pay(&s, c, d(2025, 3, 10), 40_000).await;
        s.create_order_checked(
            Some(boss.id),
            order_input(c, d(2025, 3, 11), 1_000),
            Some("not needed"),
        )
        .await
        .expect("write")
        .expect("within the limit");
        assert_eq!(s.credit_overrides(c, 10).await.expect("ov").len(), 1);

        // Owed now: 63,000 - 40,000 = 23,000. Edits that lower an order or keep its total pass
        // even over the limit; raising one is checked against the rest.
        let mut lower = OrderInput::from(first.clone());
        lower.lines[0].amount_minor = Some(25_000);
        lower.lines[0].unit_price_minor = None;
        lower.notes = Some("discount".into());
        s.update_order_checked(Some(boss.id), first.id, lower, None)
            .await
            .expect("write")
            .expect("lowering passes");
        let mut raise = OrderInput::from(fits.clone());
        raise.lines[0].amount_minor = Some(40_000);
        raise.lines[0].unit_price_minor = None;
        let r = s
            .update_order_checked(Some(boss.id), fits.id, raise.clone(), None)
            .await
            .expect("write")
            .expect_err("raising over the limit");
        // Without this order 14,000 is owed; 40,000 more is 54,000.
        assert_eq!(
            (r.outstanding_minor, r.order_minor, r.after_minor),
            (14_000, 40_000, 54_000)
        );
        raise.lines[0].amount_minor = Some(36_000);
        s.update_order_checked(Some(boss.id), fits.id, raise, None)
            .await
            .expect("write")
            .expect("exactly at the limit passes");

        // Orders that do not count are not checked: another currency, a day before the review.
        for input in [
            OrderInput {
                currency: Some(Currency::parse("c", "EUR").expect("eur")),
                ..order_input(c, d(2025, 4, 1), 9_000_000)
            },
            order_input(c, d(2024, 12, 31), 9_000_000),
        ] {
            s.create_order_checked(Some(boss.id), input, None)
                .await
                .expect("write")
                .expect("not counted, not checked");
        }

        // The plain order methods (imports, the command line) never check.
        s.create_order(order_input(c, d(2025, 4, 2), 1_000_000))
            .await
            .expect("unchecked");
        // Deleting an overridden order keeps the override on record.
        s.delete_order(saved.id).await.expect("delete");
        let ov = s.credit_overrides(c, 10).await.expect("overrides");
        assert_eq!((ov.len(), ov[0].order_id), (1, None));
    })
    .await;
}

#[tokio::test]
async fn no_credit_means_paying_in_advance() {
    each(|s| async move {
        let c = customer(&s, "Cash & Carry", None).await;
        review(&s, None, c, "none", None, None, d(2025, 1, 1)).await;
        let k = s
            .customer_credit(c)
            .await
            .expect("credit")
            .expect("managed");
        assert_eq!(
            (k.class, k.limit_minor, k.term_days),
            (CreditClass::None, 0, 0)
        );
        let r = s
            .create_order_checked(None, order_input(c, d(2025, 2, 1), 100), None)
            .await
            .expect("write");
        assert!(r.is_err(), "no credit at all");
        pay(&s, c, d(2025, 1, 20), 500).await;
        for amount in [300, 200] {
            s.create_order_checked(None, order_input(c, d(2025, 2, 1), amount), None)
                .await
                .expect("write")
                .expect("paid in advance");
        }
        let r = s
            .create_order_checked(None, order_input(c, d(2025, 2, 2), 1), None)
            .await
            .expect("write")
            .expect_err("the advance is used up");
        assert_eq!((r.outstanding_minor, r.over_limit_minor), (0, 1));
        // A free sample adds nothing and always passes.
        s.create_order_checked(None, order_input(c, d(2025, 2, 2), 0), None)
            .await
            .expect("write")
            .expect("nothing added");
    })
    .await;
}

#[tokio::test]
async fn the_credit_list_is_scoped_and_worst_first_and_merges_keep_the_records() {
    each(|s| async move {
        let boss = user(&s, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let ann = user(
            &s,
            "ann@example.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let ben = user(&s, "ben@example.com", StaffLevel::SalesRepresentative, None).await;
        let late = customer(&s, "Late payer", Some(ann.id)).await;
        let prompt = customer(&s, "Prompt payer", Some(ann.id)).await;
        let other = customer(&s, "Ben's customer", Some(ben.id)).await;
        let unmanaged = customer(&s, "No credit review", Some(ann.id)).await;
        for c in [late, prompt, other] {
            review(
                &s,
                Some(boss.id),
                c,
                "A",
                Some(100_000),
                Some(30),
                d(2025, 1, 1),
            )
            .await;
        }
        order(&s, late, d(2025, 1, 5), 40_000).await;
        order(&s, late, d(2025, 4, 1), 10_000).await;
        order(&s, prompt, d(2025, 5, 1), 60_000).await;
        pay(&s, prompt, d(2025, 5, 2), 60_000).await;
        order(&s, other, d(2025, 5, 20), 5_000).await;
        order(&s, unmanaged, d(2025, 5, 20), 5_000).await;

        let as_of = d(2025, 6, 1);
        let all = s
            .credit_accounts_as_of(Scope::All, as_of)
            .await
            .expect("accounts");
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Late payer", "Ben's customer", "Prompt payer"]);
        let l = &all[0];
        assert_eq!((l.outstanding_minor, l.overdue_minor), (50_000, 50_000));
        assert_eq!(l.oldest_overdue_due, Some(d(2025, 2, 4)));
        assert_eq!(l.days_overdue, 117);
        assert_eq!(l.available_minor, 50_000);
        assert_eq!(
            (l.class, l.limit_minor, l.term_days),
            (CreditClass::A, 100_000, 30)
        );
        assert_eq!(l.owner_id, Some(ann.id));
        assert_eq!(all[2].outstanding_minor, 0);

        let ids = |v: Vec<patron_store::credit::CreditAccount>| {
            let mut ids: Vec<CustomerId> = v.into_iter().map(|a| a.customer_id).collect();
            ids.sort();
            ids
        };
        let ann_sees = s
            .credit_accounts_as_of(Scope::Own(ann.id), as_of)
            .await
            .expect("own");
        assert_eq!(ids(ann_sees), [late, prompt]);
        let ben_sees = s
            .credit_accounts_as_of(Scope::Own(ben.id), as_of)
            .await
            .expect("own");
        assert_eq!(ids(ben_sees), [other]);
        let team = s
            .credit_accounts_as_of(Scope::Team(boss.id), as_of)
            .await
            .expect("team");
        assert_eq!(ids(team), [late, prompt]);
        // Today's view is the same call.
        assert_eq!(s.credit_accounts(Scope::All).await.expect("today").len(), 3);

        // Merging carries reviews, payments and overrides to the kept customer.
        s.create_order_checked(
            Some(boss.id),
            order_input(other, d(2025, 5, 21), 200_000),
            Some("one-off project"),
        )
        .await
        .expect("write")
        .expect("overridden");
        s.merge_customers(prompt, other).await.expect("merge");
        assert_eq!(s.credit_reviews(prompt).await.expect("reviews").len(), 2);
        assert_eq!(
            s.list_payments(prompt, 10).await.expect("payments").len(),
            1
        );
        assert_eq!(s.credit_overrides(prompt, 10).await.expect("ov").len(), 1);
        let k = s
            .customer_credit_as_of(prompt, as_of)
            .await
            .expect("credit")
            .expect("managed");
        assert_eq!(k.balance.outstanding_minor, 205_000);
        // Deleting a customer takes its credit records with it.
        s.delete_customer(late).await.expect("delete");
        assert!(s.credit_reviews(late).await.expect("reviews").is_empty());
        assert_eq!(
            s.credit_accounts_as_of(Scope::All, as_of)
                .await
                .expect("accounts")
                .len(),
            1
        );
    })
    .await;
}
