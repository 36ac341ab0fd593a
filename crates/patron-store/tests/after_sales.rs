//! After-sales service (METHOD §6) on both databases: recording deliveries and installations
//! with their checks, "customer notified", late with the reason and a newly agreed time (the old
//! promise kept), done, the satisfaction call that follows on the right person's agenda on the
//! right day, the agenda's "done" on a delivery, and access by scope.

use chrono::{Days, NaiveDate};
use patron_core::contact::ItemKind;
use patron_core::*;
use patron_store::after_sales::*;
use patron_store::contact::{self, AgendaAction};
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

async fn staff(
    s: &Arc<dyn Store>,
    email: &str,
    level: StaffLevel,
    manager: Option<UserId>,
) -> User {
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

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate) -> i64 {
    s.create_order(OrderInput {
        customer_id: c,
        order_date: day,
        currency: Some(Currency::parse("currency", "USD").expect("usd")),
        lines: vec![OrderLineInput {
            product_line: Some("Sofa".into()),
            quantity: 1,
            unit_price_minor: Some(90_000),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .expect("order")
    .id
    .0
}

fn job(c: CustomerId, order: Option<i64>, on: NaiveDate) -> ServiceJobInput {
    ServiceJobInput {
        customer_id: c,
        order_id: order,
        kind: ServiceKind::Delivery,
        promised_on: on,
        window_from: Some("09:00".into()),
        window_to: Some("12:00".into()),
        address: Some("1 Harbour Road".into()),
        notes: None,
        assigned_to: None,
    }
}

fn fields(e: &StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(v) => {
            v.0.iter()
                .map(|f| (f.field.clone(), f.code.clone()))
                .collect()
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn field(e: &StoreError) -> String {
    fields(e).first().map(|f| f.0.clone()).unwrap_or_default()
}

#[tokio::test]
async fn jobs_are_checked_and_assigned() {
    each(|s| async move {
        let today = shop_today(s.as_ref()).await.expect("today");
        let ann = staff(&s, "ann@x.com", StaffLevel::SalesRepresentative, None).await;
        let ben = staff(&s, "ben@x.com", StaffLevel::SalesRepresentative, None).await;
        let a = customer(&s, "Alpha", Some(ann.id)).await;
        let b = customer(&s, "Beta", Some(ben.id)).await;
        let nobody = customer(&s, "Gamma", None).await;
        let o = order(&s, a, today - Days::new(3)).await;
        let ob = order(&s, b, today).await;

        // Recorded: planned, assigned to the customer's owner by default, with the order's day.
        let j = s
            .create_service_job(Some(ann.id), Scope::Own(ann.id), job(a, Some(o), today))
            .await
            .expect("job");
        assert_eq!(j.status, ServiceStatus::Planned);
        assert_eq!(j.assigned_to, Some(ann.id));
        assert_eq!(j.assigned_name.as_deref(), Some("ann"));
        assert_eq!(j.order_date, Some(today - Days::new(3)));
        assert_eq!(j.window().as_deref(), Some("09:00-12:00"));
        assert_eq!(j.customer_name, "Alpha");
        assert!(j.changes.is_empty() && j.notified_at.is_none());

        // Without an owner: whoever records it, if they can see the customer; else nobody.
        let ada = staff(&s, "ada@x.com", StaffLevel::Administrator, None).await;
        let k = s
            .create_service_job(Some(ada.id), Scope::All, job(nobody, None, today))
            .await
            .expect("job");
        assert_eq!(k.assigned_to, Some(ada.id));
        let k = s
            .create_service_job(Some(ben.id), Scope::All, job(nobody, None, today))
            .await
            .expect("job");
        assert_eq!(k.assigned_to, None);

        // Each check names its field.
        let mut bad = job(a, Some(o), today);
        bad.window_from = Some("13:00".into());
        let e = s
            .create_service_job(None, Scope::All, bad)
            .await
            .expect_err("window");
        assert_eq!(
            fields(&e),
            vec![("window_to".into(), "window_order".into())]
        );
        let mut bad = job(a, Some(o), today);
        bad.window_to = Some("9".into());
        let e = s
            .create_service_job(None, Scope::All, bad)
            .await
            .expect_err("format");
        assert_eq!(
            fields(&e),
            vec![("window_to".into(), "invalid_time".into())]
        );
        let mut bad = job(a, Some(o), today);
        bad.window_to = None;
        let e = s
            .create_service_job(None, Scope::All, bad)
            .await
            .expect_err("half a window");
        assert_eq!(field(&e), "window_to");
        let e = s
            .create_service_job(None, Scope::All, job(a, Some(o), today - Days::new(4)))
            .await
            .expect_err("before the order");
        assert_eq!(
            fields(&e),
            vec![("promised_on".into(), "before_order".into())]
        );
        let e = s
            .create_service_job(None, Scope::All, job(a, Some(ob), today))
            .await
            .expect_err("another customer's order");
        assert_eq!(
            fields(&e),
            vec![("order_id".into(), "other_customer".into())]
        );
        let e = s
            .create_service_job(None, Scope::All, job(a, Some(999_999), today))
            .await
            .expect_err("unknown order");
        assert_eq!(
            fields(&e),
            vec![("order_id".into(), "unknown_reference".into())]
        );
        let mut bad = job(a, None, today);
        bad.assigned_to = Some(ben.id);
        let e = s
            .create_service_job(None, Scope::All, bad)
            .await
            .expect_err("ben cannot see Alpha");
        assert_eq!(
            fields(&e),
            vec![("assigned_to".into(), "cannot_see_customer".into())]
        );
        let mut bad = job(a, None, today);
        bad.assigned_to = Some(UserId(999_999));
        let e = s
            .create_service_job(None, Scope::All, bad)
            .await
            .expect_err("unknown user");
        assert_eq!(field(&e), "assigned_to");
        let mut bad = job(a, None, today);
        bad.notes = Some("x".repeat(MAX_TEXT + 1));
        let e = s
            .create_service_job(None, Scope::All, bad)
            .await
            .expect_err("notes");
        assert_eq!(fields(&e), vec![("notes".into(), "too_long".into())]);

        // Out of scope: the customer is not found, for creating and for reading.
        let e = s
            .create_service_job(Some(ann.id), Scope::Own(ann.id), job(b, None, today))
            .await
            .expect_err("ben's customer");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
        let theirs = s
            .create_service_job(Some(ben.id), Scope::Own(ben.id), job(b, Some(ob), today))
            .await
            .expect("ben's job");
        let e = s
            .get_service_job(Scope::Own(ann.id), theirs.id)
            .await
            .expect_err("ann cannot see it");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
        let e = s
            .act_on_service_job(
                Some(ann.id),
                Scope::Own(ann.id),
                theirs.id,
                ServiceJobAction::Notified,
                today,
            )
            .await
            .expect_err("nor act on it");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
        let anns = s
            .list_service_jobs(&ServiceJobQuery {
                scope: Scope::Own(ann.id),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(anns.iter().map(|j| j.id).collect::<Vec<_>>(), vec![j.id]);
        let all = s
            .list_service_jobs(&ServiceJobQuery::default())
            .await
            .expect("list");
        assert_eq!(all.len(), 4);
        let by_order = s
            .list_service_jobs(&ServiceJobQuery {
                order_id: Some(ob),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(
            by_order.iter().map(|j| j.id).collect::<Vec<_>>(),
            vec![theirs.id]
        );

        // An edit that moves the promise is kept in the history and must be told again.
        s.act_on_service_job(None, Scope::All, j.id, ServiceJobAction::Notified, today)
            .await
            .expect("notified");
        let mut edit = ServiceJobInput::from(&j);
        edit.promised_on = today + Days::new(2);
        edit.notes = Some("Call at the gate".into());
        let moved = s
            .update_service_job(Some(ann.id), Scope::Own(ann.id), j.id, edit.clone())
            .await
            .expect("moved");
        assert_eq!(moved.promised_on, today + Days::new(2));
        assert!(moved.notified_at.is_none());
        assert_eq!(moved.changes.len(), 1);
        assert_eq!(moved.changes[0].change, "moved");
        assert_eq!(moved.changes[0].old_promised_on, today);
        assert!(moved.changes[0].old_notified_at.is_some());
        assert_eq!(moved.times_late, 0);
        // A note alone changes no promise.
        edit.notes = None;
        let same = s
            .update_service_job(None, Scope::All, j.id, edit.clone())
            .await
            .expect("edit");
        assert_eq!(same.changes.len(), 1);
        edit.customer_id = b;
        let e = s
            .update_service_job(None, Scope::All, j.id, edit)
            .await
            .expect_err("another customer");
        assert_eq!(field(&e), "customer_id");
    })
    .await;
}

#[tokio::test]
async fn notified_late_done_and_the_after_sales_call() {
    each(|s| async move {
        let today = shop_today(s.as_ref()).await.expect("today");
        let mia = staff(&s, "mia@x.com", StaffLevel::BusinessManager, None).await;
        let ann = staff(
            &s,
            "ann@x.com",
            StaffLevel::SalesRepresentative,
            Some(mia.id),
        )
        .await;
        let ben = staff(
            &s,
            "ben@x.com",
            StaffLevel::SalesRepresentative,
            Some(mia.id),
        )
        .await;
        let a = customer(&s, "Alpha", Some(ann.id)).await;
        let o = order(&s, a, today - Days::new(10)).await;

        // Installed by Ben (in Mia's team, but he does not hold Alpha: he cannot see it).
        let mut input = job(a, Some(o), today - Days::new(1));
        input.kind = ServiceKind::Installation;
        input.assigned_to = Some(ben.id);
        let e = s
            .create_service_job(Some(mia.id), Scope::Team(mia.id), input.clone())
            .await
            .expect_err("ben cannot see it");
        assert_eq!(field(&e), "assigned_to");
        input.assigned_to = Some(mia.id);
        let j = s
            .create_service_job(Some(mia.id), Scope::Team(mia.id), input)
            .await
            .expect("job");
        assert_eq!(j.assigned_to, Some(mia.id));

        // On Mia's agenda (not Ann's), overdue since yesterday, with the window and the
        // "tell the customer" step.
        let agenda = contact::agenda(s.as_ref(), &mia, Some(today))
            .await
            .expect("agenda");
        let item = agenda
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Installation)
            .expect("installation on Mia's agenda");
        assert_eq!(item.key, format!("installation:{}:{}", j.id, j.promised_on));
        assert_eq!(item.section, "overdue");
        assert!(item.reason.contains("09:00-12:00"), "{}", item.reason);
        assert!(item.reason.contains("tell the customer"), "{}", item.reason);
        let anns = contact::agenda(s.as_ref(), &ann, Some(today))
            .await
            .expect("agenda");
        assert!(!anns.items.iter().any(|i| i.kind == ItemKind::Installation));

        // Told before it comes.
        let j = s
            .act_on_service_job(
                Some(mia.id),
                Scope::All,
                j.id,
                ServiceJobAction::Notified,
                today,
            )
            .await
            .expect("notified");
        assert_eq!(j.notified_by, Some(mia.id));
        let agenda = contact::agenda(s.as_ref(), &mia, Some(today))
            .await
            .expect("agenda");
        let item = agenda
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Installation)
            .expect("still due");
        assert!(
            !item.reason.contains("tell the customer"),
            "{}",
            item.reason
        );

        // Late: the reason and a new day (today or later) are required.
        let late = |reason: &str, on: NaiveDate, w: Option<(&str, &str)>| ServiceJobAction::Late {
            reason: reason.into(),
            promised_on: on,
            window_from: w.map(|w| w.0.to_owned()),
            window_to: w.map(|w| w.1.to_owned()),
        };
        let e = s
            .act_on_service_job(None, Scope::All, j.id, late("  ", today, None), today)
            .await
            .expect_err("no reason");
        assert_eq!(fields(&e), vec![("reason".into(), "required".into())]);
        let e = s
            .act_on_service_job(
                None,
                Scope::All,
                j.id,
                late("Van broke down", today - Days::new(1), None),
                today,
            )
            .await
            .expect_err("new day in the past");
        assert_eq!(
            fields(&e),
            vec![("promised_on".into(), "before_today".into())]
        );
        let e = s
            .act_on_service_job(
                None,
                Scope::All,
                j.id,
                late("Van broke down", today, Some(("15:00", "14:00"))),
                today,
            )
            .await
            .expect_err("window");
        assert_eq!(field(&e), "window_to");
        let new_day = today + Days::new(2);
        let j = s
            .act_on_service_job(
                Some(mia.id),
                Scope::Team(mia.id),
                j.id,
                late("Van broke down", new_day, Some(("14:00", "16:00"))),
                today,
            )
            .await
            .expect("late");
        assert_eq!(j.status, ServiceStatus::Late);
        assert_eq!(
            (j.promised_on, j.window().as_deref()),
            (new_day, Some("14:00-16:00"))
        );
        assert_eq!(j.late_reason.as_deref(), Some("Van broke down"));
        assert_eq!(j.times_late, 1);
        assert!(j.notified_at.is_none(), "a new promise is told again");
        let h = &j.changes[0];
        assert_eq!(h.change, "late");
        assert_eq!(h.old_promised_on, today - Days::new(1));
        assert_eq!(h.old_window.as_deref(), Some("09:00-12:00"));
        assert!(h.old_notified_at.is_some());
        assert_eq!(h.new_promised_on, new_day);
        assert_eq!(h.new_window.as_deref(), Some("14:00-16:00"));
        assert_eq!(h.reason.as_deref(), Some("Van broke down"));
        assert_eq!(h.changed_by_name.as_deref(), Some("mia"));
        // The missed promise left the agenda; the new one is this week's.
        let agenda = contact::agenda(s.as_ref(), &mia, Some(today))
            .await
            .expect("agenda");
        let items: Vec<_> = agenda
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Installation)
            .collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].key, format!("installation:{}:{new_day}", j.id));
        assert_eq!(items[0].section, "week");
        // Open jobs listed as such.
        let open = s
            .list_service_jobs(&ServiceJobQuery {
                statuses: ServiceStatus::filter("open").expect("open"),
                ..Default::default()
            })
            .await
            .expect("open");
        assert_eq!(open.len(), 1);

        // Done: no later than today.
        let e = s
            .act_on_service_job(
                None,
                Scope::All,
                j.id,
                ServiceJobAction::Done {
                    done_on: Some(today + Days::new(1)),
                },
                today,
            )
            .await
            .expect_err("tomorrow");
        assert_eq!(fields(&e), vec![("done_on".into(), "in_future".into())]);
        let e = s
            .act_on_service_job(
                None,
                Scope::All,
                j.id,
                ServiceJobAction::AfterSalesCall {
                    outcome: None,
                    notes: None,
                },
                today,
            )
            .await
            .expect_err("not done yet");
        assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
        let j = s
            .act_on_service_job(
                Some(mia.id),
                Scope::All,
                j.id,
                ServiceJobAction::Done { done_on: None },
                today,
            )
            .await
            .expect("done");
        assert_eq!((j.status, j.done_on), (ServiceStatus::Done, Some(today)));
        assert_eq!(
            j.after_sales_call_due,
            Some(today + Days::new(AFTER_SALES_CALL_FROM_DAYS))
        );
        // Nothing more can be done to a done job but the call.
        for action in [
            ServiceJobAction::Notified,
            ServiceJobAction::Done { done_on: None },
            ServiceJobAction::Cancel { reason: None },
        ] {
            let e = s
                .act_on_service_job(None, Scope::All, j.id, action, today)
                .await
                .expect_err("closed");
            assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
        }

        // The satisfaction call: on Mia's agenda from the day after, overdue after three days.
        let agenda = contact::agenda(s.as_ref(), &mia, Some(today))
            .await
            .expect("agenda");
        assert!(!agenda
            .items
            .iter()
            .any(|i| i.kind == ItemKind::Installation));
        let call = agenda
            .items
            .iter()
            .find(|i| i.kind == ItemKind::AfterSalesCall)
            .expect("after-sales call");
        assert_eq!(call.key, format!("after_sales_call:{}", j.id));
        assert_eq!(call.due, today + Days::new(1));
        assert_eq!(call.section, "week");
        assert!(
            call.reason.contains("installation done on"),
            "{}",
            call.reason
        );
        let later = contact::agenda(
            s.as_ref(),
            &mia,
            Some(today + Days::new(AFTER_SALES_CALL_WITHIN_DAYS + 1)),
        )
        .await
        .expect("agenda");
        let call = later
            .items
            .iter()
            .find(|i| i.kind == ItemKind::AfterSalesCall)
            .expect("still there");
        assert!(call.overdue);
        let anns = contact::agenda(s.as_ref(), &ann, Some(today + Days::new(1)))
            .await
            .expect("agenda");
        assert!(!anns
            .items
            .iter()
            .any(|i| i.kind == ItemKind::AfterSalesCall));

        // Made from the job's page: logged as a call, linked, gone from the agenda.
        let j = s
            .act_on_service_job(
                Some(mia.id),
                Scope::All,
                j.id,
                ServiceJobAction::AfterSalesCall {
                    outcome: Some("Very happy with the fitting".into()),
                    notes: None,
                },
                today,
            )
            .await
            .expect("call");
        let iid = j.after_sales_interaction_id.expect("linked interaction");
        let i = s
            .get_interaction(InteractionId(iid))
            .await
            .expect("interaction");
        assert_eq!(i.kind, InteractionKind::Call);
        assert_eq!(i.staff_id, Some(mia.id));
        assert_eq!(i.outcome.as_deref(), Some("Very happy with the fitting"));
        let agenda = contact::agenda(s.as_ref(), &mia, Some(today + Days::new(1)))
            .await
            .expect("agenda");
        assert!(!agenda
            .items
            .iter()
            .any(|i| i.kind == ItemKind::AfterSalesCall));
        let e = s
            .act_on_service_job(
                None,
                Scope::All,
                j.id,
                ServiceJobAction::AfterSalesCall {
                    outcome: None,
                    notes: None,
                },
                today,
            )
            .await
            .expect_err("twice");
        assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");

        // Cancelled jobs leave the agenda.
        let c = s
            .create_service_job(None, Scope::All, job(a, Some(o), today))
            .await
            .expect("job");
        let c = s
            .act_on_service_job(
                None,
                Scope::All,
                c.id,
                ServiceJobAction::Cancel {
                    reason: Some("Customer collected it".into()),
                },
                today,
            )
            .await
            .expect("cancel");
        assert_eq!(c.status, ServiceStatus::Cancelled);
        let agenda = contact::agenda(s.as_ref(), &ann, Some(today))
            .await
            .expect("agenda");
        assert!(!agenda.items.iter().any(|i| i.kind == ItemKind::Delivery));
    })
    .await;
}

#[tokio::test]
async fn done_on_the_agenda_marks_the_job_done_and_brings_the_call() {
    each(|s| async move {
        let today = shop_today(s.as_ref()).await.expect("today");
        let ann = staff(&s, "ann@x.com", StaffLevel::SalesRepresentative, None).await;
        let ben = staff(&s, "ben@x.com", StaffLevel::SalesRepresentative, None).await;
        let a = customer(&s, "Alpha", Some(ann.id)).await;
        let j = s
            .create_service_job(Some(ann.id), Scope::Own(ann.id), job(a, None, today))
            .await
            .expect("job");
        let agenda = contact::agenda(s.as_ref(), &ann, None)
            .await
            .expect("agenda");
        let item = agenda
            .items
            .iter()
            .find(|i| i.kind == ItemKind::Delivery)
            .expect("delivery today");
        assert_eq!(item.section, "today");

        // Someone who cannot see the customer cannot do it.
        let e = contact::act(
            s.as_ref(),
            &ben,
            &item.key,
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: None,
            },
        )
        .await
        .expect_err("ben");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        let acted = contact::act(
            s.as_ref(),
            &ann,
            &item.key,
            AgendaAction::Done {
                kind: None,
                outcome: Some("Delivered to reception".into()),
                notes: None,
            },
        )
        .await
        .expect("done");
        let iid = acted.interaction_id.expect("logged");
        let logged = s.get_interaction(InteractionId(iid)).await.expect("logged");
        assert_eq!(logged.kind, InteractionKind::Delivery);
        let j = s.get_service_job(Scope::All, j.id).await.expect("job");
        assert_eq!(j.status, ServiceStatus::Done);
        assert_eq!(j.done_on, Some(today));
        assert_eq!(j.done_by, Some(ann.id));
        assert_eq!(j.done_interaction_id, Some(iid));

        // Tomorrow: the satisfaction call is Ann's, due that day.
        let tomorrow = today + Days::new(1);
        let agenda = contact::agenda(s.as_ref(), &ann, Some(tomorrow))
            .await
            .expect("agenda");
        let call = agenda
            .items
            .iter()
            .find(|i| i.kind == ItemKind::AfterSalesCall)
            .expect("call");
        assert_eq!((call.due, call.section.as_str()), (tomorrow, "today"));
        assert!(!agenda.items.iter().any(|i| i.kind == ItemKind::Delivery));

        // Done on the agenda: the call is recorded with the logged interaction.
        let acted = contact::act(
            s.as_ref(),
            &ann,
            &call.key,
            AgendaAction::Done {
                kind: None,
                outcome: Some("Happy".into()),
                notes: None,
            },
        )
        .await
        .expect("call done");
        let j = s.get_service_job(Scope::All, j.id).await.expect("job");
        assert_eq!(j.after_sales_interaction_id, acted.interaction_id);
        assert_eq!(j.after_sales_call_by, Some(ann.id));
        let i = s
            .get_interaction(InteractionId(acted.interaction_id.expect("id")))
            .await
            .expect("call");
        assert_eq!(i.kind, InteractionKind::Call);

        // Merging moves the jobs with the customer.
        let dup = customer(&s, "Alpha Ltd", Some(ann.id)).await;
        let k = s
            .create_service_job(None, Scope::All, job(dup, None, today))
            .await
            .expect("job");
        s.merge_customers(a, dup).await.expect("merge");
        let k = s.get_service_job(Scope::All, k.id).await.expect("moved");
        assert_eq!(k.customer_id, a);
    })
    .await;
}
