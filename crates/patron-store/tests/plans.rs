//! Visit plans and the day's route (METHOD §3.1) on both databases: customers' coordinates and
//! their validation, plans built from the policy per class, the conflict and rebuild of an
//! existing plan, hand edits, planned against done after logging visits, and the day's route
//! with no, one and many located customers.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use patron_core::contact::{EntryEdit, EntrySource, PlanPeriod, Point};
use patron_core::*;
use patron_store::plans;
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

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, minor: i64) {
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
    .expect("order");
}

async fn contact(
    s: &Arc<dyn Store>,
    c: CustomerId,
    kind: InteractionKind,
    by: UserId,
    day: NaiveDate,
) {
    s.create_interaction(InteractionInput {
        customer_id: c,
        kind,
        occurred_at: Some(Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).expect("time"))),
        staff_id: Some(by),
        key_person_id: None,
        outcome: None,
        notes: None,
        follow_up_on: None,
        follow_up: None,
    })
    .await
    .expect("interaction");
}

fn pt(lat: f64, lon: f64) -> Point {
    Point {
        latitude: lat,
        longitude: lon,
    }
}

#[tokio::test]
async fn locations_are_validated_stored_audited_and_removed() {
    each(|s| async move {
        let c = customer(&s, "Seoul Tea", None).await;
        assert!(s.customer_location(c).await.expect("none").is_none());

        // Out of range: the field is named, nothing is stored.
        for (lat, lon, field) in [
            (91.0, 0.0, "latitude"),
            (-90.5, 0.0, "latitude"),
            (0.0, 180.5, "longitude"),
            (f64::NAN, 0.0, "latitude"),
        ] {
            let e = s
                .set_customer_location(None, c, Some(pt(lat, lon)))
                .await
                .expect_err("out of range");
            assert_eq!(field_of(&e), field, "{lat},{lon}");
        }
        assert!(s.customer_location(c).await.expect("none").is_none());

        // The exact value comes back (both databases store a double).
        let l = s
            .set_customer_location(None, c, Some(pt(37.566_535_7, 126.977_969_2)))
            .await
            .expect("set")
            .expect("stored");
        assert_eq!((l.latitude, l.longitude), (37.566_535_7, 126.977_969_2));
        // The edges are valid.
        s.set_customer_location(None, c, Some(pt(-90.0, 180.0)))
            .await
            .expect("edge");
        let l = s.customer_location(c).await.expect("get").expect("set");
        assert_eq!((l.latitude, l.longitude), (-90.0, 180.0));

        // Changes are in the customer's history.
        let h = s.customer_history(c, 50).await.expect("history");
        assert!(
            h.iter().any(|e| e.changes.get("latitude").is_some()),
            "{h:?}"
        );

        // Removing, and an unknown customer.
        assert!(s
            .set_customer_location(None, c, None)
            .await
            .expect("clear")
            .is_none());
        assert!(s.customer_location(c).await.expect("get").is_none());
        assert!(matches!(
            s.set_customer_location(None, CustomerId(999_999), Some(pt(1.0, 1.0)))
                .await,
            Err(StoreError::NotFound { .. })
        ));

        // A located customer can still be deleted: its coordinates go with it.
        s.set_customer_location(None, c, Some(pt(1.0, 1.0)))
            .await
            .expect("set");
        s.delete_customer(c).await.expect("delete");
        assert!(matches!(
            s.customer_location(c).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_plan_from_the_policy_per_class_its_conflict_edits_and_progress() {
    each(|s| async move {
        let today = Utc::now().date_naive();
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative).await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative).await;
        let big = customer(&s, "Big Tea House", Some(rep.id)).await;
        let mid = customer(&s, "Middle Mart", Some(rep.id)).await;
        let small = customer(&s, "Small Shop", Some(rep.id)).await;
        let new = customer(&s, "New Kiosk", Some(rep.id)).await;
        let theirs = customer(&s, "Their Shop", Some(other.id)).await;
        // Revenue: Big 80%, Middle 15%, Small 5% → A, B, C; New has no orders (C too).
        for (c, minor) in [(big, 800_000), (mid, 150_000), (small, 50_000)] {
            order(&s, c, today - Duration::days(30), minor).await;
        }
        classes::run_classification(s.as_ref(), Some(today))
            .await
            .expect("classify");
        // Added after the run: not classified yet, planned as C.
        let late = customer(&s, "Late Stall", Some(rep.id)).await;

        // Last month's plan, so that every contact below lies in the past.
        let start =
            PlanPeriod::Month.start_of(PlanPeriod::Month.start_of(today) - Duration::days(1));
        // A start that is not the first day of the period names the field.
        let e = plans::build(
            s.as_ref(),
            &rep,
            PlanPeriod::Month,
            start + Duration::days(1),
            false,
        )
        .await
        .expect_err("not a period start");
        assert_eq!(field_of(&e), "starts_on");
        let p = plans::build(s.as_ref(), &rep, PlanPeriod::Month, start, false)
            .await
            .expect("build");
        let counts: Vec<(CustomerId, Option<String>, u32, u32)> = p
            .entries
            .iter()
            .map(|e| (e.customer_id, e.class.clone(), e.visits, e.calls))
            .collect();
        // The method's table for a representative: A 3 visits 3 calls (2–3 counted at 3),
        // B 2 and 2, C 1 and 1; unclassified as C. Ordered by class, then name; only the
        // rep's own customers.
        assert_eq!(
            counts,
            vec![
                (big, Some("A".into()), 3, 3),
                (mid, Some("B".into()), 2, 2),
                (new, Some("C".into()), 1, 1),
                (small, Some("C".into()), 1, 1),
                (late, None, 1, 1),
            ]
        );
        assert!(p.entries.iter().all(|e| e.source == EntrySource::Policy));
        assert_eq!(p.entries[0].days.len(), 3, "month plans suggest days");
        assert_eq!(
            (p.summary.visits, p.summary.calls, p.summary.customers),
            (8, 8, 5)
        );
        assert_eq!(
            p.summary.ends_on,
            PlanPeriod::Month.end(start) - Duration::days(1)
        );

        // Building again is a conflict naming the period; rebuilding keeps the id.
        let e = plans::build(s.as_ref(), &rep, PlanPeriod::Month, start, false)
            .await
            .expect_err("exists");
        assert!(
            matches!(&e, StoreError::Conflict { field: Some(f), .. } if f == "starts_on"),
            "{e:?}"
        );
        let again = plans::build(s.as_ref(), &rep, PlanPeriod::Month, start, true)
            .await
            .expect("rebuild");
        assert_eq!(again.summary.id, p.summary.id);
        let found = s
            .find_visit_plan(rep.id, PlanPeriod::Month, start)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found.id, p.summary.id);

        // A year plan of the same user is another plan: 12× the month's for monthly rates.
        let y = plans::build(
            s.as_ref(),
            &rep,
            PlanPeriod::Year,
            PlanPeriod::Year.start_of(today),
            false,
        )
        .await
        .expect("year");
        assert_eq!((y.entries[0].visits, y.entries[0].calls), (36, 36));
        assert!(y.entries[0].days.is_empty());
        let listed = s
            .list_visit_plans(Some(&[rep.id]), None, None)
            .await
            .expect("list");
        assert_eq!(listed.len(), 2);
        assert!(s
            .list_visit_plans(Some(&[other.id]), None, None)
            .await
            .expect("list")
            .is_empty());

        // Edits: fewer visits to Big with one chosen day, Small removed, their customer refused,
        // a day outside the month refused naming the entry.
        let id = p.summary.id;
        let day = start + Duration::days(4);
        let edited = plans::edit(
            s.as_ref(),
            id,
            &[
                EntryEdit {
                    customer_id: big,
                    visits: 2,
                    calls: 3,
                    days: Some(vec![day]),
                },
                EntryEdit {
                    customer_id: small,
                    visits: 0,
                    calls: 0,
                    days: None,
                },
            ],
        )
        .await
        .expect("edit");
        let b = edited
            .entries
            .iter()
            .find(|e| e.customer_id == big)
            .expect("big");
        assert_eq!(
            (b.visits, b.calls, b.days.clone(), b.source),
            (2, 3, vec![day], EntrySource::Edited)
        );
        assert!(edited.entries.iter().all(|e| e.customer_id != small));
        let e = plans::edit(
            s.as_ref(),
            id,
            &[EntryEdit {
                customer_id: theirs,
                visits: 1,
                calls: 0,
                days: None,
            }],
        )
        .await
        .expect_err("not the rep's");
        assert_eq!(field_of(&e), "entries[0].customer_id");
        let e = plans::edit(
            s.as_ref(),
            id,
            &[
                EntryEdit {
                    customer_id: mid,
                    visits: 2,
                    calls: 2,
                    days: None,
                },
                EntryEdit {
                    customer_id: mid,
                    visits: 1,
                    calls: 2,
                    days: Some(vec![PlanPeriod::Month.end(start)]),
                },
            ],
        )
        .await
        .expect_err("bad");
        assert_eq!(field_of(&e), "entries[1].days");
        // Small comes back as added by hand.
        let added = plans::edit(
            s.as_ref(),
            id,
            &[EntryEdit {
                customer_id: small,
                visits: 1,
                calls: 0,
                days: None,
            }],
        )
        .await
        .expect("add");
        assert_eq!(
            added
                .entries
                .iter()
                .find(|e| e.customer_id == small)
                .map(|e| e.source),
            Some(EntrySource::Added)
        );

        // Planned against done: the rep visits Big twice and calls it once, visits Their Shop
        // (not in the plan); another person's visit does not count.
        let in_month = |k: i64| start + Duration::days(k);
        contact(&s, big, InteractionKind::Visit, rep.id, in_month(1)).await;
        contact(&s, big, InteractionKind::Visit, rep.id, in_month(2)).await;
        contact(&s, big, InteractionKind::Call, rep.id, in_month(2)).await;
        contact(&s, mid, InteractionKind::Visit, other.id, in_month(3)).await;
        contact(&s, theirs, InteractionKind::Visit, rep.id, in_month(3)).await;
        // Before the period: not counted.
        contact(
            &s,
            mid,
            InteractionKind::Visit,
            rep.id,
            start - Duration::days(1),
        )
        .await;
        let pr = plans::progress(s.as_ref(), id).await.expect("progress");
        let row = |c: CustomerId| pr.rows.iter().find(|r| r.customer_id == c).expect("row");
        assert_eq!(
            (
                row(big).visits_planned,
                row(big).visits_done,
                row(big).calls_done
            ),
            (2, 2, 1)
        );
        assert_eq!(row(big).share, Some(0.6));
        assert_eq!(row(mid).visits_done, 0);
        assert_eq!(pr.totals.visits_unplanned, 1);
        // Planned: Big 2+3, Middle 2+2, New 1+1, Small 1+0, Late 1+1 = 14; kept 3.
        assert_eq!(pr.totals.visits_planned + pr.totals.calls_planned, 14);
        assert_eq!(pr.totals.share, Some(3.0 / 14.0));
        assert_eq!(pr.state, "past");
    })
    .await;
}

#[tokio::test]
async fn routes_with_none_one_and_many_located_customers() {
    each(|s| async move {
        let today = Utc::now().date_naive();
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative).await;
        let a = customer(&s, "Alpha", Some(rep.id)).await;
        let b = customer(&s, "Beta", Some(rep.id)).await;
        let c = customer(&s, "Gamma", Some(rep.id)).await;
        let d = customer(&s, "Delta", Some(rep.id)).await;
        let start = PlanPeriod::Month.start_of(today);
        let p = plans::build(s.as_ref(), &rep, PlanPeriod::Month, start, false)
            .await
            .expect("build");
        // Plan every customer's one visit for today.
        let edits: Vec<EntryEdit> = [a, b, c, d]
            .iter()
            .map(|id| EntryEdit {
                customer_id: *id,
                visits: 1,
                calls: 1,
                days: Some(vec![today]),
            })
            .collect();
        plans::edit(s.as_ref(), p.summary.id, &edits)
            .await
            .expect("days");
        assert_eq!(
            s.planned_visits_on(rep.id, today)
                .await
                .expect("planned")
                .len(),
            4
        );

        // No located customer: an empty route, everyone listed as not located.
        let r = plans::day_route(s.as_ref(), &rep, Some(today), None)
            .await
            .expect("route");
        assert!(r.route.stops.is_empty());
        assert_eq!(r.route.total_km, 0.0);
        assert_eq!(r.route.not_located.len(), 4);

        // One located: one stop of 0 km, three not located.
        s.set_customer_location(None, b, Some(pt(37.5665, 126.9780)))
            .await
            .expect("set");
        let r = plans::day_route(s.as_ref(), &rep, Some(today), None)
            .await
            .expect("route");
        assert_eq!(r.route.stops.len(), 1);
        assert_eq!(r.route.stops[0].customer_id, b);
        assert_eq!((r.route.stops[0].leg_km, r.route.total_km), (0.0, 0.0));
        assert_eq!(r.route.not_located.len(), 3);

        // Many: on a line west to east, the route runs along it without doubling back.
        s.set_customer_locations(&[
            (a, pt(37.5665, 126.9000)),
            (c, pt(37.5665, 127.0500)),
            (d, pt(37.5665, 127.1000)),
        ])
        .await
        .expect("bulk");
        let r = plans::day_route(s.as_ref(), &rep, Some(today), None)
            .await
            .expect("route");
        let order: Vec<CustomerId> = r.route.stops.iter().map(|x| x.customer_id).collect();
        assert_eq!(order.len(), 4);
        assert!(
            order == vec![a, b, c, d] || order == vec![d, c, b, a],
            "{order:?}"
        );
        let straight =
            patron_core::contact::route::haversine_km(pt(37.5665, 126.9000), pt(37.5665, 127.1000));
        assert!(
            (r.route.total_km - straight).abs() < 0.05,
            "{}",
            r.route.total_km
        );
        assert!(r.route.not_located.is_empty());

        // A stored start location: the route starts from it (the nearest end first).
        plans::set_route_start(s.as_ref(), rep.id, Some((37.5665, 127.2)))
            .await
            .expect("start");
        let r = plans::day_route(s.as_ref(), &rep, Some(today), None)
            .await
            .expect("route");
        assert_eq!(r.start_from, plans::StartFrom::Setting);
        assert_eq!(r.route.stops[0].customer_id, d);
        assert!(r.route.stops[0].leg_km > 8.0);
        let e = plans::set_route_start(s.as_ref(), rep.id, Some((0.0, 200.0)))
            .await
            .expect_err("bad start");
        assert_eq!(field_of(&e), "longitude");

        // A day far ahead has nothing planned, but the agenda has every monthly visit overdue
        // by then: they make the route.
        let later = today + Duration::days(400);
        assert!(s
            .planned_visits_on(rep.id, later)
            .await
            .expect("planned")
            .is_empty());
        let r = plans::day_route(s.as_ref(), &rep, Some(later), None)
            .await
            .expect("route");
        assert_eq!(r.route.stops.len(), 4);
    })
    .await;
}
