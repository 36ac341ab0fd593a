//! The contact plan on both databases: the policy in settings, each user's agenda from the
//! archive's facts (policy visits and calls, birthdays, thank-you cards, pre-season calls,
//! promised follow-ups), done / snooze / dismiss, scope, time zones, and the compliance report.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use patron_core::contact::{ContactPolicy, Frequency, ItemKind, Period, Season};
use patron_core::*;
use patron_store::contact::{self, AgendaAction};
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn field_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected Invalid, got {other:?}"),
    }
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

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, minor: i64) -> Order {
    s.create_order(OrderInput {
        customer_id: c,
        order_ref: None,
        order_date: day,
        currency: None,
        asked_by_name: false,
        notes: None,
        lines: vec![OrderLineInput {
            product_id: None,
            product_line: Some("Tea".into()),
            quantity: 1,
            unit_price_minor: None,
            amount_minor: Some(minor),
        }],
    })
    .await
    .expect("order")
}

fn contact_at(
    c: CustomerId,
    kind: InteractionKind,
    staff: UserId,
    at: chrono::DateTime<Utc>,
) -> InteractionInput {
    InteractionInput {
        customer_id: c,
        kind,
        occurred_at: Some(at),
        staff_id: Some(staff),
        key_person_id: None,
        outcome: None,
        notes: None,
        follow_up_on: None,
        follow_up: None,
    }
}

fn at(day: NaiveDate, h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(h, m, 0).expect("time"))
}

/// Builds `user`'s agendas of today and the next three weeks from one read of the facts for all
/// four, and checks each against that day's own agenda.
async fn span_matches_each_day(s: &Arc<dyn Store>, user: &User, today: NaiveDate) {
    let policy = contact::load_policy(s.as_ref()).await.expect("policy");
    let settings = contact::load_settings(s.as_ref()).await.expect("settings");
    let mut input = s
        .agenda_facts(user, today, today + Duration::days(21), &policy, &settings)
        .await
        .expect("facts")
        .input;
    for week in 0..4 {
        let day = today + Duration::days(7 * week);
        input.date = Some(day);
        let keep = |i: &patron_core::contact::AgendaItem| week == 0 || !i.overdue;
        let from_span: Vec<(String, NaiveDate, String)> =
            patron_core::contact::build_agenda(&input)
                .into_iter()
                .filter(keep)
                .map(|i| (i.key, i.due, i.section))
                .collect();
        let own: Vec<(String, NaiveDate, String)> = contact::agenda(s.as_ref(), user, Some(day))
            .await
            .expect("agenda")
            .items
            .into_iter()
            .filter(keep)
            .map(|i| (i.key, i.due, i.section))
            .collect();
        assert_eq!(from_span, own, "{} in week {week}", user.email);
    }
}

fn keys_of(a: &contact::Agenda, kind: ItemKind) -> Vec<String> {
    a.items
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.key.clone())
        .collect()
}

#[tokio::test]
async fn the_agenda_from_policy_dates_orders_seasons_and_promises() {
    each(|s| async move {
        let today = Utc::now().date_naive();
        let manager = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(manager.id),
        )
        .await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let big = customer(&s, "Big Tea House", Some(rep.id)).await;
        let small = customer(&s, "Small Shop", Some(rep.id)).await;
        let theirs = customer(&s, "Their Shop", Some(other.id)).await;

        // Big buys a lot (the latest order, 3 days ago, is the largest of the year); the others
        // little. Classified today: Big is A.
        for k in [200, 150, 100] {
            order(&s, big, today - Duration::days(k), 300_000).await;
            order(&s, small, today - Duration::days(k), 5_000).await;
            order(&s, theirs, today - Duration::days(k), 4_000).await;
        }
        let large = order(&s, big, today - Duration::days(3), 2_000_000).await;
        classes::run_classification(s.as_ref(), Some(today))
            .await
            .expect("classify");
        let cls = s
            .customer_classes(big)
            .await
            .expect("classes")
            .expect("classed");
        assert_eq!(cls.abc, patron_core::classify::AbcClass::A);

        // The rep visited Big 12 days ago: A is visited 3× a month, so the next visit was due
        // 2 days ago (overdue); the visit counts as a call, and calls (2–3× a month) were due
        // 2 days ago at the latest in 3 days: today's.
        s.create_interaction(contact_at(
            big,
            InteractionKind::Visit,
            rep.id,
            at(today - Duration::days(12), 10, 0),
        ))
        .await
        .expect("visit");
        // A key person's birthday in three days; one without dates.
        let kp = s
            .create_key_person(
                big,
                KeyPersonInput {
                    name: "Li Na".into(),
                    birthday: Some(
                        NaiveDate::from_ymd_opt(
                            1988,
                            (today + Duration::days(3)).month(),
                            (today + Duration::days(3)).day(),
                        )
                        .expect("birthday"),
                    ),
                    ..Default::default()
                },
            )
            .await
            .expect("key person");
        s.create_key_person(
            big,
            KeyPersonInput {
                name: "No Dates".into(),
                ..Default::default()
            },
        )
        .await
        .expect("key person");
        // A follow-up promised to Small, due in two days.
        let promise = s
            .create_interaction(InteractionInput {
                follow_up_on: Some(today + Duration::days(2)),
                follow_up: Some("send the price list".into()),
                ..contact_at(
                    small,
                    InteractionKind::Call,
                    rep.id,
                    at(today - Duration::days(1), 9, 0),
                )
            })
            .await
            .expect("promise");
        // A launch in five days.
        let mut cs = contact::load_settings(s.as_ref()).await.expect("settings");
        cs.seasons.push(Season {
            name: "Autumn launch".into(),
            starts: today + Duration::days(5),
            kind: "launch".into(),
            lead_days: 14,
        });
        contact::save_settings(s.as_ref(), &cs)
            .await
            .expect("save settings");

        // What `patron serve` does every ten minutes: the day's large-order amount, cached.
        contact::warm(s.as_ref()).await.expect("warm");
        let a = contact::agenda(s.as_ref(), &rep, Some(today))
            .await
            .expect("agenda");
        let find = |kind: ItemKind, c: CustomerId| {
            a.items
                .iter()
                .find(|i| i.kind == kind && i.customer_id == c)
                .unwrap_or_else(|| panic!("no {kind:?} for {c:?} in {:#?}", a.items))
        };
        let visit = find(ItemKind::Visit, big);
        assert_eq!(visit.due, today - Duration::days(2));
        assert!(visit.overdue);
        // The calendar reads the facts of four weeks at once: each week's agenda built from
        // them is that week's own agenda (overdue items come from the first week only).
        for u in [&rep, &manager] {
            span_matches_each_day(&s, u, today).await;
        }
        assert_eq!(visit.section, "overdue");
        assert!(
            visit
                .reason
                .starts_with("A-class customer: policy visit 3× per month"),
            "{}",
            visit.reason
        );
        let call = find(ItemKind::Call, big);
        assert_eq!(
            (call.due, call.latest),
            (today - Duration::days(2), today + Duration::days(3))
        );
        assert_eq!(call.section, "today");
        let bday = find(ItemKind::Birthday, big);
        assert_eq!(bday.due, today + Duration::days(3));
        assert_eq!(bday.key_person_id, Some(kp.id.0));
        let card = find(ItemKind::ThankYouCard, big);
        assert_eq!(card.key, format!("thank_you_card:{}", large.id.0));
        assert_eq!(card.latest, today - Duration::days(3) + Duration::days(7));
        let pre = find(ItemKind::PreseasonCall, big);
        assert_eq!(pre.due, today + Duration::days(4));
        assert!(pre.reason.contains("Autumn launch"));
        let f = find(ItemKind::FollowUp, small);
        assert_eq!(f.key, format!("follow_up:{}", promise.id.0));
        assert!(f.reason.contains("send the price list"));
        assert!(
            a.items.iter().all(|i| i.customer_id != theirs),
            "another rep's customer"
        );
        assert_eq!(a.a_without_relationship_manager, 1);
        // …and the list of them names Big, within each one's scope.
        let l = s
            .value_list(lists::ListName::Unmanaged, Scope::Own(rep.id))
            .await
            .expect("list");
        assert_eq!(
            l.rows.iter().map(|r| r.customer_id).collect::<Vec<_>>(),
            vec![big]
        );
        let l = s
            .value_list(lists::ListName::Unmanaged, Scope::Own(other.id))
            .await
            .expect("list");
        assert!(l.rows.is_empty());
        assert_eq!(
            a.counts.overdue + a.counts.today + a.counts.week + a.counts.later,
            a.items.len()
        );

        // The same facts give the same items: nothing is generated twice.
        let again = contact::agenda(s.as_ref(), &rep, Some(today))
            .await
            .expect("agenda");
        let ks = |a: &contact::Agenda| a.items.iter().map(|i| i.key.clone()).collect::<Vec<_>>();
        assert_eq!(ks(&a), ks(&again));

        // The manager gets neither the cards nor the calls before the launch (not the keeper).
        let m = contact::agenda(s.as_ref(), &manager, Some(today))
            .await
            .expect("agenda");
        assert!(m.items.iter().all(|i| !matches!(
            i.kind,
            ItemKind::Birthday | ItemKind::ThankYouCard | ItemKind::PreseasonCall
        )));

        // Done logs the visit; the next one is due in ten days.
        let done = contact::act(
            s.as_ref(),
            &rep,
            &visit.key,
            AgendaAction::Done {
                kind: None,
                outcome: Some("ordered more".into()),
                notes: None,
            },
        )
        .await
        .expect("done");
        let logged = s
            .get_interaction(InteractionId(done.interaction_id.expect("logged")))
            .await
            .expect("interaction");
        assert_eq!(logged.kind, InteractionKind::Visit);
        assert_eq!(logged.staff_id, Some(rep.id));
        assert_eq!(logged.outcome.as_deref(), Some("ordered more"));
        // Done on the birthday sends a card to the key person.
        let card_done = contact::act(
            s.as_ref(),
            &rep,
            &bday.key,
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: None,
            },
        )
        .await
        .expect("card");
        let card_i = s
            .get_interaction(InteractionId(card_done.interaction_id.expect("logged")))
            .await
            .expect("interaction");
        assert_eq!(
            (card_i.kind, card_i.key_person_id),
            (InteractionKind::Card, Some(kp.id))
        );

        // Snooze the follow-up to the day after tomorrow's next; dismiss the pre-season call.
        let snooze_to = today + Duration::days(4);
        contact::act(
            s.as_ref(),
            &rep,
            &f.key,
            AgendaAction::Snooze { until: snooze_to },
        )
        .await
        .expect("snooze");
        let e = contact::act(
            s.as_ref(),
            &rep,
            &pre.key,
            AgendaAction::Dismiss {
                reason: "  ".into(),
            },
        )
        .await
        .expect_err("no reason");
        assert_eq!(field_of(&e), "reason");
        contact::act(
            s.as_ref(),
            &rep,
            &pre.key,
            AgendaAction::Dismiss {
                reason: "their buyer is on leave".into(),
            },
        )
        .await
        .expect("dismiss");
        let e = contact::act(
            s.as_ref(),
            &rep,
            &f.key,
            AgendaAction::Snooze { until: today },
        )
        .await
        .expect_err("not after today");
        assert_eq!(field_of(&e), "until");
        let e = contact::act(
            s.as_ref(),
            &rep,
            "visit:x",
            AgendaAction::Dismiss { reason: "x".into() },
        )
        .await
        .expect_err("bad key");
        assert_eq!(field_of(&e), "key");
        // Another representative cannot act on this rep's customer.
        let e = contact::act(
            s.as_ref(),
            &other,
            &f.key,
            AgendaAction::Dismiss { reason: "x".into() },
        )
        .await
        .expect_err("out of scope");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        let after = contact::agenda(s.as_ref(), &rep, Some(today))
            .await
            .expect("agenda");
        let visits = keys_of(&after, ItemKind::Visit);
        assert!(!visits.contains(&visit.key));
        let next = after
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Visit && i.customer_id == big);
        assert!(next.is_none(), "the next visit is ten days away: {next:?}");
        assert!(keys_of(&after, ItemKind::Birthday).is_empty());
        assert!(keys_of(&after, ItemKind::PreseasonCall).is_empty());
        let snoozed = after
            .items
            .iter()
            .find(|i| i.key == f.key)
            .expect("snoozed follow-up");
        assert!(snoozed.snoozed);
        assert_eq!(snoozed.due, snooze_to);
        // Ten days later the visit is due again.
        let later = contact::agenda(s.as_ref(), &rep, Some(today + Duration::days(10)))
            .await
            .expect("agenda");
        let v = later
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Visit && i.customer_id == big)
            .expect("next visit");
        assert_eq!(v.due, today + Duration::days(10));

        // A general manager sees every customer; the agenda reads only those that can be due:
        // Big (A) was last visited by them 400 days ago (A: a yearly visit), the others were
        // added today.
        let gm = user(&s, "gm@x.com", StaffLevel::GeneralManager, None).await;
        s.create_interaction(contact_at(
            big,
            InteractionKind::Visit,
            gm.id,
            at(today - Duration::days(400), 10, 0),
        ))
        .await
        .expect("visit");
        let g = contact::agenda(s.as_ref(), &gm, Some(today))
            .await
            .expect("agenda");
        let v = g
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Visit && i.customer_id == big)
            .expect("the general manager's yearly visit");
        assert!(v.overdue, "{v:?}");
        assert!(
            g.items.iter().all(|i| i.customer_id == big),
            "{:#?}",
            g.items
        );
        span_matches_each_day(&s, &gm, today).await;

        // The compliance report: the rep's visits to A this month include today's.
        let rows = contact::compliance(s.as_ref(), Some(today), 1)
            .await
            .expect("compliance");
        let row = rows
            .iter()
            .find(|r| r.user_id == rep.id && r.class == "A")
            .expect("rep A row");
        assert_eq!(row.customers, 1);
        assert!(row.visits_done >= 1);
        assert!(row.visits_due > 2.9, "{row:?}");
        assert!(rows
            .iter()
            .any(|r| r.user_id == manager.id && r.class == "A"));
        let e = contact::compliance(s.as_ref(), None, 0)
            .await
            .expect_err("months");
        assert_eq!(field_of(&e), "months");
    })
    .await;
}

#[tokio::test]
async fn policy_settings_and_time_zones() {
    each(|s| async move {
        // The method's default until changed; a change is validated naming the cell.
        let p = contact::load_policy(s.as_ref()).await.expect("policy");
        assert_eq!(p, ContactPolicy::default());
        let mut bad = p;
        bad.business_manager.b.visit = Frequency::Every {
            min: 3,
            max: 2,
            unit: Period::Month,
        };
        let e = contact::save_policy(s.as_ref(), &bad)
            .await
            .expect_err("backwards");
        assert_eq!(field_of(&e), "business_manager.b.visit");
        let mut p2 = p;
        p2.sales_representative.c.visit = Frequency::WhenNecessary;
        contact::save_policy(s.as_ref(), &p2).await.expect("save");
        assert_eq!(contact::load_policy(s.as_ref()).await.expect("policy"), p2);

        let mut cs = contact::load_settings(s.as_ref()).await.expect("settings");
        cs.time_zone = "Nowhere/Special".into();
        let e = contact::save_settings(s.as_ref(), &cs)
            .await
            .expect_err("tz");
        assert_eq!(field_of(&e), "time_zone");
        cs.time_zone = "Asia/Seoul".into();
        contact::save_settings(s.as_ref(), &cs).await.expect("tz");

        // A visit logged at 23:30 UTC is the next day in Seoul: C customers are visited once
        // a month (every 30 days) from that day.
        let today = Utc::now().date_naive();
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        let c = customer(&s, "Night Owl", Some(rep.id)).await;
        let day = today - Duration::days(40);
        s.create_interaction(contact_at(
            c,
            InteractionKind::Call,
            rep.id,
            at(day, 23, 30),
        ))
        .await
        .expect("call");
        let a = contact::agenda(s.as_ref(), &rep, Some(today))
            .await
            .expect("agenda");
        let call = a
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Call)
            .expect("call item");
        assert_eq!(call.due, day + Duration::days(31));
        // Visits to C are "when necessary" now: none scheduled, but the customer, never
        // visited, gets no visit item.
        assert!(a.items.iter().all(|i| i.kind != ItemKind::Visit));
        // A promise cannot be made without its day, nor dated before the interaction.
        let e = s
            .create_interaction(InteractionInput {
                follow_up: Some("call back".into()),
                ..contact_at(c, InteractionKind::Call, rep.id, at(today, 9, 0))
            })
            .await
            .expect_err("no day");
        assert_eq!(field_of(&e), "follow_up_on");
        let e = s
            .create_interaction(InteractionInput {
                follow_up_on: Some(today - Duration::days(1)),
                ..contact_at(c, InteractionKind::Call, rep.id, at(today, 9, 0))
            })
            .await
            .expect_err("before");
        assert_eq!(field_of(&e), "follow_up_on");
    })
    .await;
}

/// The store narrows the customers it reads to those whose cycle can come due this week; a
/// recent call must not hide a visit that is due, nor a recent contact by someone else count.
#[tokio::test]
async fn a_recent_call_does_not_hide_a_due_visit() {
    each(|s| async move {
        let today = Utc::now().date_naive();
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        let mate = user(&s, "mate@x.com", StaffLevel::SalesRepresentative, None).await;
        let c = customer(&s, "Unclassified Ltd", Some(rep.id)).await;
        let quiet = customer(&s, "Quiet Ltd", Some(rep.id)).await;
        s.create_interaction(contact_at(
            c,
            InteractionKind::Visit,
            rep.id,
            at(today - Duration::days(40), 10, 0),
        ))
        .await
        .expect("visit");
        s.create_interaction(contact_at(
            c,
            InteractionKind::Call,
            rep.id,
            at(today - Duration::days(1), 10, 0),
        ))
        .await
        .expect("call");
        // A colleague's visit to the other customer does not count for this rep's policy.
        s.create_interaction(contact_at(
            quiet,
            InteractionKind::Visit,
            mate.id,
            at(today - Duration::days(2), 10, 0),
        ))
        .await
        .expect("mate's visit");
        let a = contact::agenda(s.as_ref(), &rep, Some(today + Duration::days(30)))
            .await
            .expect("agenda");
        let kinds_of = |id: CustomerId| {
            a.items
                .iter()
                .filter(|i| i.customer_id == id)
                .map(|i| i.kind)
                .collect::<Vec<_>>()
        };
        // Unclassified: column C, a visit and a call a month. The visit (40 + 30 days ago) is
        // overdue; the call (yesterday, 30 days on) is due today.
        assert!(kinds_of(c).contains(&ItemKind::Visit), "{:#?}", a.items);
        assert!(kinds_of(c).contains(&ItemKind::Call), "{:#?}", a.items);
        // Quiet: never contacted by the rep, added today: both due in 30 days.
        assert_eq!(kinds_of(quiet).len(), 2, "{:#?}", a.items);
        let now = contact::agenda(s.as_ref(), &rep, Some(today))
            .await
            .expect("agenda");
        let c_items: Vec<ItemKind> = now
            .items
            .iter()
            .filter(|i| i.customer_id == c)
            .map(|i| i.kind)
            .collect();
        assert_eq!(
            c_items,
            vec![ItemKind::Visit],
            "the call was yesterday: {:#?}",
            now.items
        );
    })
    .await;
}

/// METHOD §3.2: moving a customer's relationship manager (or owner) is recorded with who did
/// it, and the report lists the moves of the reader's own customers only.
#[tokio::test]
async fn reassignments_are_recorded_and_reported_in_scope() {
    each(|s| async move {
        let gm = user(&s, "gm@x.com", StaffLevel::GeneralManager, None).await;
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let c = customer(&s, "Key Account Ltd", Some(rep.id)).await;
        let elsewhere = customer(&s, "Elsewhere Ltd", Some(other.id)).await;
        // Assign, then move the relationship manager, then move the owner of the other.
        for (id, rm, owner) in [
            (c, Some(rep.id), Some(rep.id)),
            (c, Some(other.id), Some(rep.id)),
            (elsewhere, None, Some(gm.id)),
        ] {
            let mut input = CustomerInput::from(s.get_customer(id).await.expect("get"));
            input.relationship_manager_id = rm;
            input.owner_id = owner;
            s.update_customer_by(Some(gm.id), id, input)
                .await
                .expect("update");
        }
        // An update that moves nobody records nothing.
        let same = CustomerInput::from(s.get_customer(c).await.expect("get"));
        s.update_customer_by(Some(gm.id), c, same)
            .await
            .expect("update");

        let all = contact::reassignments(
            s.as_ref(),
            Scope::All,
            &contact::ReassignmentFilter::default(),
        )
        .await
        .expect("report");
        let moves: Vec<(&str, &str, Option<&str>, Option<&str>)> = all
            .iter()
            .map(|r| {
                (
                    r.customer_name.as_str(),
                    r.role.as_str(),
                    r.from_user_name.as_deref(),
                    r.to_user_name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            moves,
            vec![
                ("Elsewhere Ltd", "owner", Some("other"), Some("gm")),
                (
                    "Key Account Ltd",
                    "relationship_manager",
                    Some("rep"),
                    Some("other")
                ),
                ("Key Account Ltd", "relationship_manager", None, Some("rep")),
            ]
        );
        assert!(all
            .iter()
            .all(|r| r.changed_by_name.as_deref() == Some("gm")));
        // The owner history of the customer page carries the role too.
        let hist = s.owner_history(c).await.expect("history");
        assert_eq!(hist.len(), 2);
        assert!(hist.iter().all(|h| h.role == "relationship_manager"));

        // A representative sees the moves of the customers in their charge only.
        let mine = contact::reassignments(
            s.as_ref(),
            Scope::Own(rep.id),
            &contact::ReassignmentFilter::default(),
        )
        .await
        .expect("report");
        assert_eq!(mine.len(), 2, "{mine:#?}");
        assert!(mine.iter().all(|r| r.customer_id == c));
        // Filters: role, and a period that ends before today holds nothing.
        let owners = contact::reassignments(
            s.as_ref(),
            Scope::All,
            &contact::ReassignmentFilter {
                role: Some("owner".into()),
                ..Default::default()
            },
        )
        .await
        .expect("report");
        assert_eq!(owners.len(), 1);
        let yesterday = Utc::now().date_naive() - Duration::days(2);
        let old = contact::reassignments(
            s.as_ref(),
            Scope::All,
            &contact::ReassignmentFilter {
                to: Some(yesterday),
                ..Default::default()
            },
        )
        .await
        .expect("report");
        assert!(old.is_empty());
        // Bad filters name the field.
        for (f, field) in [
            (
                contact::ReassignmentFilter {
                    role: Some("boss".into()),
                    ..Default::default()
                },
                "role",
            ),
            (
                contact::ReassignmentFilter {
                    from: Some(yesterday),
                    to: Some(yesterday - Duration::days(1)),
                    ..Default::default()
                },
                "from",
            ),
            (
                contact::ReassignmentFilter {
                    class: Some("D".into()),
                    ..Default::default()
                },
                "class",
            ),
        ] {
            let e = contact::reassignments(s.as_ref(), Scope::All, &f)
                .await
                .expect_err("invalid");
            assert_eq!(field_of(&e), field);
        }
    })
    .await;
}

/// The digest's settings are off by default, validated, keep a stored password when a form
/// sends none, and each user's day is claimed once.
#[tokio::test]
async fn digest_settings_and_the_once_a_day_claim() {
    each(|s| async move {
        let d = contact::load_digest(s.as_ref()).await.expect("load");
        assert!(!d.enabled);
        let mut on = patron_core::contact::DigestSettings {
            enabled: true,
            smtp_host: "mail.example.com".into(),
            from: "crm@example.com".into(),
            username: Some("crm".into()),
            password: Some("secret".into()),
            ..Default::default()
        };
        contact::save_digest(s.as_ref(), &on).await.expect("save");
        on.password = None; // a form that does not show the password
        on.send_at = "06:30".into();
        let saved = contact::save_digest(s.as_ref(), &on).await.expect("save");
        assert_eq!(saved.password.as_deref(), Some("secret"));
        assert_eq!(
            contact::load_digest(s.as_ref())
                .await
                .expect("load")
                .send_at,
            "06:30"
        );
        on.smtp_host.clear();
        let e = contact::save_digest(s.as_ref(), &on)
            .await
            .expect_err("no host");
        assert_eq!(field_of(&e), "smtp_host");

        let u = user(&s, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("day");
        assert!(s.claim_digest(u.id, day).await.expect("claim"));
        assert!(!s.claim_digest(u.id, day).await.expect("claim again"));
        s.finish_digest(u.id, day, contact::DigestStatus::Sent, 3, None)
            .await
            .expect("finish");
        assert!(s
            .claim_digest(u.id, day + Duration::days(1))
            .await
            .expect("next day"));
    })
    .await;
}
