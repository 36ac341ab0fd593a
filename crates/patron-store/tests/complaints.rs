//! Complaints (METHOD §4) on both databases: recording one (who handles it, the 24-hour reply
//! clock, the history), fields named in errors, scope, overdue judged at an instant, the list's
//! order, filters and counts, the status moving forward only and only with its steps, the first
//! reply however it is given, compensation within the approver's authority, the promise, the
//! agenda items of the owner and (once overdue) of the owner's business manager, and the
//! `complaining` value list.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use patron_core::classify::ClassRules;
use patron_core::complaint::{
    Cause, Channel, CompensationKind, CompensationLimit, ComplaintSettings, PromiseOutcome, Status,
    Step,
};
use patron_core::contact::ItemKind;
use patron_core::promotion::Word;
use patron_core::*;
use patron_store::complaints::{
    self, CompensationInput, ComplaintChange, ComplaintDetail, ComplaintInput, ComplaintQuery,
    PromiseInput, StatusInput, StepInput,
};
use patron_store::contact::{self, AgendaAction};
use patron_store::lists::{Cell, ListName};
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

/// Now, to the second: both databases give back exactly the instant they were given.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn first_error(e: &StoreError) -> FieldError {
    match e {
        StoreError::Invalid(v) => v.first().cloned().expect("an error"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn field_of(e: &StoreError) -> String {
    first_error(e).field
}

/// The message of a conflict (and that it is one).
fn conflict(e: StoreError) -> String {
    match e {
        StoreError::Conflict { message, .. } => message,
        other => panic!("expected Conflict, got {other:?}"),
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

async fn customer(
    s: &Arc<dyn Store>,
    name: &str,
    owner: Option<UserId>,
    rm: Option<UserId>,
) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        owner_id: owner,
        relationship_manager_id: rm,
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

async fn order(s: &Arc<dyn Store>, c: CustomerId, days_ago: i64, minor: i64) -> i64 {
    s.create_order(OrderInput {
        customer_id: c,
        order_date: Utc::now().date_naive() - Duration::days(days_ago),
        lines: vec![OrderLineInput {
            quantity: 1,
            amount_minor: Some(minor),
            product_line: Some("Coffee".into()),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .expect("order")
    .id
    .0
}

fn input(c: CustomerId, summary: &str) -> ComplaintInput {
    ComplaintInput {
        customer_id: c,
        key_person_id: None,
        order_id: None,
        channel: Channel::Call,
        cause: None,
        summary: summary.into(),
        details: None,
        owner_id: None,
    }
}

/// Records a complaint in `Scope::All` at `at`.
async fn record(
    s: &Arc<dyn Store>,
    by: Option<UserId>,
    i: ComplaintInput,
    at: DateTime<Utc>,
) -> ComplaintDetail {
    s.create_complaint(by, Scope::All, i, at)
        .await
        .expect("complaint")
}

async fn step(s: &Arc<dyn Store>, by: &User, id: i64, st: Step, at: DateTime<Utc>) {
    s.complaint_step(
        Some(by.id),
        Scope::All,
        id,
        StepInput {
            step: st,
            note: Some(format!("{} done", st.as_str())),
        },
        at,
    )
    .await
    .expect("step");
}

async fn move_to(
    s: &Arc<dyn Store>,
    by: Option<UserId>,
    id: i64,
    to: Status,
    at: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    s.move_complaint(
        by,
        Scope::All,
        id,
        StatusInput {
            status: to,
            note: None,
        },
        at,
    )
    .await
}

async fn list(s: &Arc<dyn Store>, q: ComplaintQuery) -> Vec<i64> {
    s.list_complaints(&q)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

fn actions(d: &ComplaintDetail) -> Vec<&str> {
    d.events.iter().map(|e| e.action.as_str()).collect()
}

#[tokio::test]
async fn recording_a_complaint_names_its_handler_starts_the_clock_and_checks_its_fields() {
    each(|s| async move {
        let t = now();
        let admin = user(&s, "admin@x.com", StaffLevel::Administrator, None).await;
        let boss = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let rm = user(&s, "rm@x.com", StaffLevel::SalesRepresentative, None).await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&s, "Acme", Some(rep.id), None).await;
        let managed = customer(&s, "Managed", Some(rep.id), Some(rm.id)).await;
        let orphan = customer(&s, "Orphan", None, None).await;
        let theirs = customer(&s, "Theirs", Some(other.id), None).await;
        let li = s
            .create_key_person(
                acme,
                KeyPersonInput {
                    name: "Ms Li".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("key person")
            .id;
        let acme_order = order(&s, acme, 3, 12_000).await;
        let their_order = order(&s, theirs, 3, 12_000).await;

        // The owner handles it; whoever takes it down is the recorder.
        let d = record(
            &s,
            Some(other.id),
            ComplaintInput {
                key_person_id: Some(li),
                order_id: Some(acme_order),
                details: Some("Two of the ten bags were torn".into()),
                ..input(acme, "Coffee beans arrived damaged")
            },
            t,
        )
        .await;
        let c = &d.complaint;
        assert_eq!(c.owner_id, Some(rep.id));
        assert_eq!(c.owner_name.as_deref(), Some("rep"));
        assert_eq!(c.recorded_by, Some(other.id));
        assert_eq!(c.recorded_by_name.as_deref(), Some("other"));
        assert_eq!(c.customer_name, "Acme");
        assert_eq!(c.key_person_name.as_deref(), Some("Ms Li"));
        assert_eq!(c.order_id, Some(acme_order));
        assert_eq!(c.details.as_deref(), Some("Two of the ten bags were torn"));
        assert_eq!(c.channel, Channel::Call);
        // Until the root cause is found, the cause is "other".
        assert_eq!(c.cause, Cause::Other);
        assert_eq!(c.status, Status::Open);
        assert_eq!(c.recorded_at, t);
        assert_eq!(c.reply_due_at, t + Duration::hours(24));
        assert_eq!((c.first_reply_at, c.first_reply_by), (None, None));
        assert!(!c.overdue && !c.replied_late);
        assert_eq!((c.escalated_to, c.closed_at, c.steps_done), (None, None, 0));
        assert_eq!(
            d.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
            Step::ALL
        );
        assert!(d.steps.iter().all(|s| !s.done && s.done_at.is_none()));
        assert!(d.compensations.is_empty());
        assert_eq!(actions(&d), ["recorded"]);
        assert_eq!(d.events[0].detail.as_deref(), Some("call"));
        assert_eq!(d.events[0].user_id, Some(other.id));
        assert_eq!(d.events[0].at, t);

        // A relationship manager comes before the owner; with neither, the recorder.
        let d = record(&s, Some(admin.id), input(managed, "Rude driver"), t).await;
        assert_eq!(d.complaint.owner_id, Some(rm.id));
        let d = record(&s, Some(admin.id), input(orphan, "No invoice"), t).await;
        assert_eq!(d.complaint.owner_id, Some(admin.id));
        // Or whoever is named.
        let d = record(
            &s,
            None,
            ComplaintInput {
                owner_id: Some(boss.id),
                cause: Some(Cause::Price),
                channel: Channel::WebForm,
                ..input(acme, "Price went up")
            },
            t,
        )
        .await;
        assert_eq!(d.complaint.owner_id, Some(boss.id));
        assert_eq!(d.complaint.recorded_by, None);
        assert_eq!(d.complaint.cause, Cause::Price);
        assert_eq!(d.events[0].detail.as_deref(), Some("web_form"));

        // Invalid input names the field.
        let e = s
            .create_complaint(None, Scope::All, input(acme, "  "), t)
            .await
            .expect_err("empty summary");
        assert_eq!(field_of(&e), "summary");
        let e = s
            .create_complaint(None, Scope::All, input(acme, &"x".repeat(201)), t)
            .await
            .expect_err("long summary");
        assert_eq!(field_of(&e), "summary");
        let e = s
            .create_complaint(
                None,
                Scope::All,
                ComplaintInput {
                    order_id: Some(their_order),
                    ..input(acme, "Wrong order")
                },
                t,
            )
            .await
            .expect_err("another customer's order");
        assert_eq!(field_of(&e), "order_id");
        let e = s
            .create_complaint(
                None,
                Scope::All,
                ComplaintInput {
                    owner_id: Some(other.id),
                    ..input(acme, "Handled by a stranger")
                },
                t,
            )
            .await
            .expect_err("owner cannot see the customer");
        let f = first_error(&e);
        assert_eq!(
            (f.field.as_str(), f.code.as_str()),
            ("owner_id", "outside_scope")
        );
        let e = s
            .create_complaint(None, Scope::All, input(CustomerId(999_999), "x"), t)
            .await
            .expect_err("unknown customer");
        assert_eq!(field_of(&e), "customer_id");
        // A representative cannot record one for a customer they cannot see.
        let e = s
            .create_complaint(Some(other.id), Scope::of(&other), input(acme, "x"), t)
            .await
            .expect_err("outside scope");
        assert_eq!(field_of(&e), "customer_id");

        // Scope: the owner and their manager see Acme's complaints; another representative
        // finds none, not even by id.
        let first = s
            .list_complaints(&ComplaintQuery {
                customer_id: Some(acme),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(first.len(), 2);
        let id = first[0].id;
        assert!(s.get_complaint(Scope::of(&rep), id, t).await.is_ok());
        assert!(s.get_complaint(Scope::of(&boss), id, t).await.is_ok());
        assert!(matches!(
            s.get_complaint(Scope::of(&other), id, t).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.move_complaint(
                Some(other.id),
                Scope::of(&other),
                id,
                StatusInput {
                    status: Status::Acknowledged,
                    note: None
                },
                t
            )
            .await,
            Err(StoreError::NotFound { .. })
        ));
        let theirs_only = s
            .list_complaints(&ComplaintQuery {
                scope: Scope::of(&other),
                ..Default::default()
            })
            .await
            .expect("other's list");
        assert!(theirs_only.is_empty());
        assert_eq!(
            s.list_complaints(&ComplaintQuery {
                scope: Scope::of(&rep),
                ..Default::default()
            })
            .await
            .expect("rep's list")
            .len(),
            3,
            "Acme's two and Managed's"
        );
    })
    .await;
}

#[tokio::test]
async fn overdue_from_the_instant_and_the_list_order_filters_and_counts() {
    each(|s| async move {
        let t = now();
        let boss = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let rm = user(&s, "rm@x.com", StaffLevel::SalesRepresentative, None).await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&s, "Acme", Some(rep.id), None).await;
        let managed = customer(&s, "Managed", Some(rep.id), Some(rm.id)).await;

        // A: three days old; B: 30 hours old; C: just now.
        let a = record(
            &s,
            Some(rep.id),
            ComplaintInput {
                cause: Some(Cause::ProductQuality),
                ..input(acme, "Grinder broke")
            },
            t - Duration::days(3),
        )
        .await
        .complaint
        .id;
        let b = record(
            &s,
            Some(rep.id),
            ComplaintInput {
                cause: Some(Cause::Delivery),
                ..input(acme, "Delivery late")
            },
            t - Duration::hours(30),
        )
        .await
        .complaint
        .id;
        let c = record(&s, Some(rep.id), input(managed, "Wrong tea"), t)
            .await
            .complaint
            .id;

        // Overdue from the exact instant the 24 hours run out, and then escalated to the
        // owner's business manager (C's owner has none).
        let got = s.get_complaint(Scope::All, a, t).await.expect("a");
        assert!(got.complaint.overdue);
        assert_eq!(got.complaint.escalated_to, Some(boss.id));
        assert_eq!(got.complaint.escalated_to_name.as_deref(), Some("boss"));
        let due = t + Duration::hours(24);
        let at_due = s.get_complaint(Scope::All, c, due).await.expect("c");
        assert!(!at_due.complaint.overdue);
        let later = s
            .get_complaint(Scope::All, c, due + Duration::seconds(1))
            .await
            .expect("c");
        assert!(later.complaint.overdue);
        assert_eq!(later.complaint.escalated_to, None);
        let in_25h = t + Duration::hours(25);
        let q = |as_of: DateTime<Utc>| ComplaintQuery {
            as_of: Some(as_of),
            ..Default::default()
        };

        // Waiting for a reply first, the most overdue on top.
        assert_eq!(list(&s, q(t)).await, [a, b, c]);
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    overdue: true,
                    ..q(t)
                }
            )
            .await,
            [a, b]
        );
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    overdue: true,
                    ..q(in_25h)
                }
            )
            .await,
            [a, b, c]
        );
        let flagged: Vec<bool> = s
            .list_complaints(&q(in_25h))
            .await
            .expect("list")
            .iter()
            .map(|c| c.overdue)
            .collect();
        assert_eq!(flagged, [true, true, true]);

        // B is acknowledged (its first reply, late): replied ones come after the waiting ones.
        let acked = move_to(&s, Some(rep.id), b, Status::Acknowledged, t)
            .await
            .expect("ack");
        assert!(acked.complaint.replied_late && !acked.complaint.overdue);
        assert_eq!(list(&s, q(t)).await, [a, c, b]);
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    overdue: true,
                    ..q(in_25h)
                }
            )
            .await,
            [a, c]
        );

        // A is handled through all six steps and closed.
        for st in Step::ALL {
            step(&s, &rep, a, *st, t).await;
        }
        move_to(&s, Some(rep.id), a, Status::Closed, t)
            .await
            .expect("close");

        // Filters.
        let by_status = |st: Status| ComplaintQuery {
            status: Some(st),
            ..q(t)
        };
        assert_eq!(list(&s, by_status(Status::Acknowledged)).await, [b]);
        assert_eq!(list(&s, by_status(Status::Closed)).await, [a]);
        assert_eq!(list(&s, by_status(Status::Open)).await, [c]);
        assert!(list(&s, by_status(Status::Resolved)).await.is_empty());
        let by_cause = |cause: Cause| ComplaintQuery {
            cause: Some(cause),
            ..q(t)
        };
        assert_eq!(list(&s, by_cause(Cause::Delivery)).await, [b]);
        assert_eq!(list(&s, by_cause(Cause::ProductQuality)).await, [a]);
        assert_eq!(list(&s, by_cause(Cause::Other)).await, [c]);
        assert!(list(&s, by_cause(Cause::Price)).await.is_empty());
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    owner_id: Some(rm.id),
                    ..q(t)
                }
            )
            .await,
            [c]
        );
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    owner_id: Some(rep.id),
                    ..q(t)
                }
            )
            .await,
            [b, a],
            "open before closed"
        );
        assert_eq!(
            list(&s, ComplaintQuery { open: true, ..q(t) }).await,
            [c, b]
        );
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    customer_id: Some(managed),
                    ..q(t)
                }
            )
            .await,
            [c]
        );
        assert_eq!(
            list(
                &s,
                ComplaintQuery {
                    limit: Some(1),
                    ..q(t)
                }
            )
            .await,
            [c]
        );

        // Counts: every status and cause present, zeros included.
        let n = s.count_complaints(Scope::All, t).await.expect("counts");
        assert_eq!(
            n.by_status,
            vec![
                (Status::Open, 1),
                (Status::Acknowledged, 1),
                (Status::Investigating, 0),
                (Status::Resolved, 0),
                (Status::FollowedUp, 0),
                (Status::Closed, 1),
            ]
        );
        assert_eq!(n.by_cause.len(), Cause::ALL.len());
        let cause_n = |n: &complaints::ComplaintCounts, c: Cause| {
            n.by_cause
                .iter()
                .find(|x| x.0 == c)
                .map(|x| x.1)
                .expect("cause counted")
        };
        assert_eq!(cause_n(&n, Cause::ProductQuality), 1);
        assert_eq!(cause_n(&n, Cause::Delivery), 1);
        assert_eq!(cause_n(&n, Cause::Other), 1);
        assert_eq!(cause_n(&n, Cause::Price), 0);
        assert_eq!(n.overdue, 0);
        let n = s
            .count_complaints(Scope::All, in_25h)
            .await
            .expect("counts");
        assert_eq!(n.overdue, 1);
        // Another representative counts nothing.
        let n = s
            .count_complaints(Scope::of(&other), in_25h)
            .await
            .expect("counts");
        assert_eq!(n.by_status.len(), Status::ALL.len());
        assert!(n.by_status.iter().all(|x| x.1 == 0));
        assert_eq!(n.overdue, 0);
    })
    .await;
}

#[tokio::test]
async fn the_status_moves_forward_only_and_only_with_its_steps() {
    each(|s| async move {
        let t = now();
        let boss = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let rm = user(&s, "rm@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&s, "Acme", Some(rep.id), None).await;
        let id = record(
            &s,
            None,
            input(acme, "Machine leaks"),
            t - Duration::hours(2),
        )
        .await
        .complaint
        .id;

        // Leaving "open" is the first reply.
        let d = s
            .move_complaint(
                Some(rep.id),
                Scope::All,
                id,
                StatusInput {
                    status: Status::Acknowledged,
                    note: Some("called back".into()),
                },
                t,
            )
            .await
            .expect("acknowledged");
        assert_eq!(d.complaint.status, Status::Acknowledged);
        assert_eq!(d.complaint.first_reply_at, Some(t));
        assert_eq!(d.complaint.first_reply_by, Some(rep.id));
        assert!(!d.complaint.replied_late);
        assert_eq!(actions(&d), ["recorded", "first_reply", "status"]);
        assert_eq!(
            d.events[2].detail.as_deref(),
            Some("acknowledged: called back")
        );

        // Never backwards, never sideways.
        let m = conflict(
            move_to(&s, Some(rep.id), id, Status::Open, t)
                .await
                .expect_err("backwards"),
        );
        assert!(m.contains("forward"), "{m}");
        conflict(
            move_to(&s, Some(rep.id), id, Status::Acknowledged, t)
                .await
                .expect_err("same status"),
        );
        // Resolved needs someone to have listened, apologised, found the cause and solved it.
        let m = conflict(
            move_to(&s, Some(rep.id), id, Status::Resolved, t)
                .await
                .expect_err("no steps"),
        );
        assert!(m.contains("listen, apologise, root_cause, solve"), "{m}");
        step(&s, &rep, id, Step::Listen, t).await;
        step(&s, &rep, id, Step::Apologise, t).await;
        let m = conflict(
            move_to(&s, Some(rep.id), id, Status::Resolved, t)
                .await
                .expect_err("two steps missing"),
        );
        assert!(
            m.contains("root_cause, solve") && !m.contains("listen"),
            "{m}"
        );
        // Investigating needs no step; skipping is allowed.
        move_to(&s, Some(rep.id), id, Status::Investigating, t)
            .await
            .expect("investigating");
        step(&s, &rep, id, Step::RootCause, t).await;
        step(&s, &rep, id, Step::Solve, t).await;
        let d = move_to(&s, Some(rep.id), id, Status::Resolved, t)
            .await
            .expect("resolved");
        assert_eq!(d.complaint.steps_done, 4);
        let m = conflict(
            move_to(&s, Some(rep.id), id, Status::Closed, t)
                .await
                .expect_err("follow-up and record missing"),
        );
        assert!(m.contains("follow_up, record"), "{m}");
        // Ticking a step again replaces who and the note, not the count.
        step(&s, &boss, id, Step::Solve, t).await;
        step(&s, &rep, id, Step::FollowUp, t).await;
        step(&s, &rep, id, Step::Record, t).await;
        let closed_at = t + Duration::minutes(5);
        let d = move_to(&s, Some(rep.id), id, Status::Closed, closed_at)
            .await
            .expect("closed after all six steps");
        assert_eq!(d.complaint.status, Status::Closed);
        assert_eq!(d.complaint.closed_at, Some(closed_at));
        assert_eq!(d.complaint.steps_done, 6);
        assert!(d.steps.iter().all(|s| s.done && s.done_at == Some(t)));
        let solve = d
            .steps
            .iter()
            .find(|s| s.step == Step::Solve)
            .expect("solve");
        assert_eq!(solve.done_by, Some(boss.id));
        assert_eq!(solve.done_by_name.as_deref(), Some("boss"));
        assert_eq!(solve.note.as_deref(), Some("solve done"));
        assert_eq!(
            d.events.iter().filter(|e| e.action == "step").count(),
            7,
            "every tick is in the history"
        );
        assert_eq!(d.complaint.updated_at, closed_at);
        // The first reply stays the first.
        assert_eq!(d.complaint.first_reply_at, Some(t));

        // Closed is final: a new complaint is recorded instead.
        let m = conflict(
            move_to(&s, Some(rep.id), id, Status::Open, t)
                .await
                .expect_err("reopened"),
        );
        assert!(m.contains("new complaint"), "{m}");
        conflict(
            s.change_complaint(
                Some(rep.id),
                Scope::All,
                id,
                ComplaintChange {
                    cause: Some(Cause::Delivery),
                    ..Default::default()
                },
                t,
            )
            .await
            .expect_err("changing a closed complaint"),
        );
        conflict(
            s.complaint_step(
                Some(rep.id),
                Scope::All,
                id,
                StepInput {
                    step: Step::Listen,
                    note: None,
                },
                t,
            )
            .await
            .expect_err("a step of a closed complaint"),
        );
        let unchanged = s.get_complaint(Scope::All, id, t).await.expect("get");
        assert_eq!(unchanged.complaint.cause, Cause::Other);

        // Listening or apologising is a reply too; finding the cause first is not.
        for (st, replied) in [
            (Step::Listen, true),
            (Step::Apologise, true),
            (Step::RootCause, false),
        ] {
            let other = record(&s, None, input(acme, "Another"), t - Duration::hours(30))
                .await
                .complaint
                .id;
            step(&s, &rep, other, st, t).await;
            let d = s.get_complaint(Scope::All, other, t).await.expect("get");
            assert_eq!(d.complaint.first_reply_at.is_some(), replied, "{st:?}");
            assert_eq!(d.complaint.overdue, !replied, "{st:?}");
            assert_eq!(d.complaint.replied_late, replied, "{st:?}: after 30 hours");
            assert_eq!(d.complaint.status, Status::Open, "a step moves no status");
        }

        // The cause once found, another owner, the details — each in the history.
        let open = record(&s, None, input(acme, "Noisy grinder"), t)
            .await
            .complaint
            .id;
        let e = s
            .change_complaint(
                Some(rep.id),
                Scope::All,
                open,
                ComplaintChange {
                    owner_id: Some(rm.id),
                    ..Default::default()
                },
                t,
            )
            .await
            .expect_err("rm cannot see Acme");
        assert_eq!(field_of(&e), "owner_id");
        let d = s
            .change_complaint(
                Some(rep.id),
                Scope::All,
                open,
                ComplaintChange {
                    cause: Some(Cause::Installation),
                    owner_id: Some(boss.id),
                    details: Some("Installed without the dampers".into()),
                },
                t,
            )
            .await
            .expect("change");
        assert_eq!(d.complaint.cause, Cause::Installation);
        assert_eq!(d.complaint.owner_id, Some(boss.id));
        assert_eq!(
            d.complaint.details.as_deref(),
            Some("Installed without the dampers")
        );
        assert_eq!(actions(&d), ["recorded", "cause", "owner", "details"]);
        assert_eq!(d.events[2].detail.as_deref(), Some("boss"));
        assert!(d.complaint.first_reply_at.is_none(), "a change is no reply");
    })
    .await;
}

#[tokio::test]
async fn compensation_within_the_approvers_authority_and_the_promise() {
    each(|s| async move {
        let t = now();
        let boss = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let acme = customer(&s, "Acme", Some(rep.id), None).await;
        let id = record(&s, None, input(acme, "Machine leaks"), t)
            .await
            .complaint
            .id;
        let give = |by: Option<UserId>, amount: &str, currency: Option<&str>| {
            let s = Arc::clone(&s);
            let input = CompensationInput {
                kind: CompensationKind::Refund,
                amount: amount.into(),
                currency: currency.map(str::to_owned),
                note: Some("for the trouble".into()),
            };
            async move { s.compensate_complaint(by, Scope::All, id, input, t).await }
        };

        // A representative may give up to 200.00 (the shop's default currency, USD here).
        let d = give(Some(rep.id), "150.00", None).await.expect("within");
        let p = &d.compensations[0];
        assert_eq!(p.kind, CompensationKind::Refund);
        assert_eq!((p.amount_minor, p.currency.as_str()), (15_000, "USD"));
        assert_eq!(p.approved_by, Some(rep.id));
        assert_eq!(p.approved_by_name.as_deref(), Some("rep"));
        assert_eq!(p.approved_at, t);
        assert_eq!(p.note.as_deref(), Some("for the trouble"));
        let last = d.events.last().expect("event");
        assert_eq!(last.action, "compensation");
        assert_eq!(last.detail.as_deref(), Some("refund 150.00 USD"));
        give(Some(rep.id), "200.00", None)
            .await
            .expect("the limit itself");
        let e = give(Some(rep.id), "200.01", None)
            .await
            .expect_err("above the limit");
        let f = first_error(&e);
        assert_eq!(
            (f.field.as_str(), f.code.as_str()),
            ("amount", "above_limit")
        );
        assert!(f.message.contains("200.00"), "{}", f.message);
        // Limits are in the default currency: another currency needs someone without a limit.
        let e = give(Some(rep.id), "10.00", Some("EUR"))
            .await
            .expect_err("another currency");
        assert_eq!(first_error(&e).code, "above_limit");
        assert!(first_error(&e).message.contains("USD"));
        // The business manager may give more; the command line (nobody) any amount.
        give(Some(boss.id), "1500.00", None).await.expect("manager");
        let e = give(Some(boss.id), "2000.01", None)
            .await
            .expect_err("above the manager's");
        assert_eq!(first_error(&e).code, "above_limit");
        let d = give(None, "50000.00", Some("EUR")).await.expect("operator");
        assert_eq!(d.compensations.len(), 4);
        assert_eq!(d.compensations[3].approved_by, None);
        assert_eq!(d.compensations[3].currency, "EUR");
        for bad in ["abc", "-5.00"] {
            let e = give(None, bad, None).await.expect_err("bad amount");
            assert_eq!(field_of(&e), "amount", "{bad}");
        }

        // A shop may change the limits (and the reply hours, for complaints recorded later).
        let mut settings = complaints::load_settings(s.as_ref()).await.expect("load");
        assert_eq!(settings, ComplaintSettings::default());
        settings.reply_hours = 48;
        settings.compensation_limits = vec![CompensationLimit {
            level: StaffLevel::SalesRepresentative,
            max_minor: Some(30_000),
        }];
        complaints::save_settings(s.as_ref(), &settings)
            .await
            .expect("save");
        assert_eq!(
            complaints::load_settings(s.as_ref()).await.expect("load"),
            settings
        );
        give(Some(rep.id), "250.00", None)
            .await
            .expect("within the new limit");
        let e = give(Some(rep.id), "300.01", None)
            .await
            .expect_err("above the new limit");
        assert!(first_error(&e).message.contains("300.00"));
        // A level left out of the limits may approve nothing.
        let e = give(Some(boss.id), "0.01", None)
            .await
            .expect_err("no limit for managers now");
        assert_eq!(first_error(&e).code, "above_limit");
        let later = record(&s, None, input(acme, "Later"), t).await;
        assert_eq!(later.complaint.reply_due_at, t + Duration::hours(48));
        let earlier = s.get_complaint(Scope::All, id, t).await.expect("get");
        assert_eq!(earlier.complaint.reply_due_at, t + Duration::hours(24));
        let e = complaints::save_settings(
            s.as_ref(),
            &ComplaintSettings {
                reply_hours: 0,
                ..ComplaintSettings::default()
            },
        )
        .await
        .expect_err("0 hours");
        assert_eq!(field_of(&e), "reply_hours");

        // The promise made, then kept.
        let due = t.date_naive() + Duration::days(3);
        let e = s
            .complaint_promise(
                Some(rep.id),
                Scope::All,
                id,
                PromiseInput {
                    promise: " ".into(),
                    due: None,
                    outcome: None,
                },
                t,
            )
            .await
            .expect_err("empty promise");
        assert_eq!(field_of(&e), "promise");
        let promise = PromiseInput {
            promise: "A new pump fitted by Friday".into(),
            due: Some(due),
            outcome: None,
        };
        let d = s
            .complaint_promise(Some(rep.id), Scope::All, id, promise.clone(), t)
            .await
            .expect("promise");
        assert_eq!(
            d.complaint.promise.as_deref(),
            Some("A new pump fitted by Friday")
        );
        assert_eq!(d.complaint.promise_due, Some(due));
        assert_eq!(d.complaint.promise_outcome, None);
        let d = s
            .complaint_promise(
                Some(rep.id),
                Scope::All,
                id,
                PromiseInput {
                    outcome: Some(PromiseOutcome::Kept),
                    ..promise.clone()
                },
                t,
            )
            .await
            .expect("kept");
        assert_eq!(d.complaint.promise_outcome, Some(PromiseOutcome::Kept));
        let last = d.events.last().expect("event");
        assert_eq!(
            (last.action.as_str(), last.detail.as_deref()),
            ("promise", Some("kept: A new pump fitted by Friday"))
        );

        // Once closed: no more compensation or promises, only whether the promise was kept.
        for st in Step::ALL {
            step(&s, &rep, id, *st, t).await;
        }
        move_to(&s, Some(rep.id), id, Status::Closed, t)
            .await
            .expect("closed");
        conflict(
            give(None, "1.00", None)
                .await
                .expect_err("compensation after closing"),
        );
        conflict(
            s.complaint_promise(Some(rep.id), Scope::All, id, promise.clone(), t)
                .await
                .expect_err("a new promise after closing"),
        );
        let d = s
            .complaint_promise(
                Some(rep.id),
                Scope::All,
                id,
                PromiseInput {
                    outcome: Some(PromiseOutcome::Broken),
                    ..promise
                },
                t,
            )
            .await
            .expect("marked broken after closing");
        assert_eq!(d.complaint.promise_outcome, Some(PromiseOutcome::Broken));
    })
    .await;
}

#[tokio::test]
async fn replies_and_the_agenda_of_the_owner_and_their_manager() {
    each(|s| async move {
        let t = now();
        let boss = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&s, "Acme", Some(rep.id), None).await;
        // Recorded 25 hours ago: an hour overdue by the clock.
        let late = record(
            &s,
            Some(rep.id),
            input(acme, "Machine leaks"),
            t - Duration::hours(25),
        )
        .await
        .complaint
        .id;
        let fresh = record(&s, Some(rep.id), input(acme, "Cups too thin"), t)
            .await
            .complaint
            .id;
        let third = record(&s, Some(rep.id), input(acme, "Invoice wrong"), t)
            .await
            .complaint
            .id;

        // The owner's agenda: each complaint waiting for its first reply.
        let keys = |a: &contact::Agenda, kind: ItemKind| -> Vec<String> {
            a.items
                .iter()
                .filter(|i| i.kind == kind)
                .map(|i| i.key.clone())
                .collect()
        };
        let mine = contact::agenda(s.as_ref(), &rep, None)
            .await
            .expect("agenda");
        let mut replies = keys(&mine, ItemKind::ComplaintReply);
        replies.sort();
        let mut want = vec![
            format!("complaint_reply:{late}"),
            format!("complaint_reply:{fresh}"),
            format!("complaint_reply:{third}"),
        ];
        want.sort();
        assert_eq!(replies, want);
        assert!(keys(&mine, ItemKind::ComplaintEscalation).is_empty());
        let item = mine
            .items
            .iter()
            .find(|i| i.key == format!("complaint_reply:{fresh}"))
            .expect("fresh");
        assert_eq!(item.customer_id, acme);
        assert!(
            item.reason.contains(&format!("complaint #{fresh}"))
                && item.reason.contains("Cups too thin"),
            "{}",
            item.reason
        );

        // Overdue: also on the business manager's agenda, naming whose it is.
        let theirs = contact::agenda(s.as_ref(), &boss, None)
            .await
            .expect("agenda");
        assert_eq!(
            keys(&theirs, ItemKind::ComplaintEscalation),
            [format!("complaint_escalation:{late}")]
        );
        assert!(keys(&theirs, ItemKind::ComplaintReply).is_empty());
        let esc = theirs
            .items
            .iter()
            .find(|i| i.kind == ItemKind::ComplaintEscalation)
            .expect("escalation");
        assert!(esc.reason.contains("rep"), "{}", esc.reason);
        assert!(esc.overdue || esc.section == "today", "{}", esc.section);
        let nobody = contact::agenda(s.as_ref(), &other, None)
            .await
            .expect("agenda");
        assert!(nobody.items.iter().all(|i| !matches!(
            i.kind,
            ItemKind::ComplaintReply | ItemKind::ComplaintEscalation
        )));

        // "Done" on the owner's item is the first reply, and acknowledges the complaint.
        let acted = contact::act(
            s.as_ref(),
            &rep,
            &format!("complaint_reply:{fresh}"),
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: Some("Promised thicker cups".into()),
            },
        )
        .await
        .expect("done");
        assert!(acted.interaction_id.is_some());
        let d = s
            .get_complaint(Scope::All, fresh, now())
            .await
            .expect("get");
        assert!(d.complaint.first_reply_at.is_some());
        assert_eq!(d.complaint.first_reply_by, Some(rep.id));
        assert_eq!(d.complaint.status, Status::Acknowledged);
        let last = d.events.last().expect("event");
        assert_eq!(
            last.detail.as_deref(),
            Some("acknowledged: Promised thicker cups")
        );
        let calls = s
            .list_interactions(&InteractionQuery {
                customer_id: Some(acme),
                kind: Some(InteractionKind::Call),
                ..Default::default()
            })
            .await
            .expect("calls")
            .items;
        assert_eq!(calls.len(), 1, "done logs a call");

        // So is "done" on the manager's escalation item.
        contact::act(
            s.as_ref(),
            &boss,
            &format!("complaint_escalation:{late}"),
            AgendaAction::Done {
                kind: None,
                outcome: Some("Apologised".into()),
                notes: None,
            },
        )
        .await
        .expect("done by the manager");
        let d = s.get_complaint(Scope::All, late, now()).await.expect("get");
        assert_eq!(d.complaint.first_reply_by, Some(boss.id));
        assert_eq!(d.complaint.status, Status::Acknowledged);
        assert!(!d.complaint.overdue && d.complaint.replied_late);
        let mine = contact::agenda(s.as_ref(), &rep, None)
            .await
            .expect("agenda");
        assert_eq!(
            keys(&mine, ItemKind::ComplaintReply),
            [format!("complaint_reply:{third}")]
        );
        let theirs = contact::agenda(s.as_ref(), &boss, None)
            .await
            .expect("agenda");
        assert!(keys(&theirs, ItemKind::ComplaintEscalation).is_empty());
        // Another representative cannot mark the owner's item done.
        let e = contact::act(
            s.as_ref(),
            &other,
            &format!("complaint_reply:{third}"),
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: None,
            },
        )
        .await
        .expect_err("out of scope");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        // A reply from the complaint's page logs the interaction and is the first reply.
        let e = s
            .reply_complaint(rep.id, Scope::All, third, " ", None, t)
            .await
            .expect_err("empty reply");
        assert_eq!(field_of(&e), "text");
        assert!(matches!(
            s.reply_complaint(other.id, Scope::of(&other), third, "x", None, t)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let d = s
            .reply_complaint(
                rep.id,
                Scope::of(&rep),
                third,
                "The corrected invoice is on its way",
                Some(InteractionKind::Letter),
                t,
            )
            .await
            .expect("reply");
        assert_eq!(d.complaint.first_reply_at, Some(t));
        assert_eq!(d.complaint.first_reply_by, Some(rep.id));
        assert_eq!(d.complaint.status, Status::Acknowledged);
        assert!(!d.complaint.replied_late);
        assert_eq!(actions(&d), ["recorded", "first_reply", "reply"]);
        let letters = s
            .list_interactions(&InteractionQuery {
                customer_id: Some(acme),
                kind: Some(InteractionKind::Letter),
                ..Default::default()
            })
            .await
            .expect("letters")
            .items;
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].staff_id, Some(rep.id));
        assert_eq!(
            letters[0].notes.as_deref(),
            Some("The corrected invoice is on its way")
        );
        assert_eq!(
            letters[0].outcome.as_deref(),
            Some(format!("reply to complaint #{third}").as_str())
        );
        let mine = contact::agenda(s.as_ref(), &rep, None)
            .await
            .expect("agenda");
        assert!(keys(&mine, ItemKind::ComplaintReply).is_empty());
    })
    .await;
}

#[tokio::test]
async fn big_customers_complaining_twice_in_a_year_are_listed() {
    each(|s| async move {
        let t = now();
        let today = t.date_naive();
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        // A: big; B: mid; C: the small ones (80% / 15% / 5% of the year's revenue).
        let big = customer(&s, "Big Co", Some(rep.id), None).await;
        let mid = customer(&s, "Mid Co", None, None).await;
        let small = customer(&s, "Small Co", Some(rep.id), None).await;
        let tiny = customer(&s, "Tiny Co", None, None).await;
        order(&s, big, 30, 5_000_000).await;
        order(&s, mid, 30, 1_000_000).await;
        order(&s, small, 30, 10_000).await;
        order(&s, tiny, 30, 10_000).await;

        // Unclassified, the list says why it is empty.
        let l = s
            .value_list(ListName::Complaining, Scope::All)
            .await
            .expect("list");
        assert!(l.rows.is_empty() && l.note.is_some());
        s.classify(today, &ClassRules::default(), &Currency::default())
            .await
            .expect("classify");
        let l = s
            .value_list(ListName::Complaining, Scope::All)
            .await
            .expect("list");
        assert!(l.rows.is_empty(), "no complaints yet");

        // Big: two this year (one closed) and one 13 months ago; Mid: one this year and one
        // long ago; Small (class C): three this year.
        let at = |days: i64| t - Duration::days(days);
        let b1 = record(&s, None, input(big, "Grinder broke"), at(100))
            .await
            .complaint
            .id;
        for st in Step::ALL {
            step(&s, &rep, b1, *st, at(99)).await;
        }
        move_to(&s, None, b1, Status::Closed, at(99))
            .await
            .expect("closed");
        record(&s, None, input(big, "Late delivery"), at(1)).await;
        record(&s, None, input(big, "Old story"), at(400)).await;
        record(&s, None, input(mid, "Wrong tea"), at(10)).await;
        record(&s, None, input(mid, "Old story"), at(500)).await;
        for d in [5, 6, 7] {
            record(&s, None, input(small, "Always something"), at(d)).await;
        }
        let l = s
            .value_list(ListName::Complaining, Scope::All)
            .await
            .expect("list");
        let names: Vec<&str> = l.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Big Co"], "{l:?}");
        assert_eq!(l.note, None);
        let value = |key: &str| {
            let i = l
                .columns
                .iter()
                .position(|c| c.key == key)
                .unwrap_or_else(|| panic!("no column {key}"));
            l.rows[0].values[i].clone()
        };
        assert_eq!(value("complaints"), Cell::Int(2));
        assert_eq!(value("open_complaints"), Cell::Int(1));
        assert_eq!(value("revenue_12m"), Cell::Int(5_000_000));
        assert_eq!(value("abc"), Cell::Text("A".into()));

        // A second complaint this year puts the B-class customer on the list too, after the
        // bigger one with as many complaints.
        record(&s, None, input(mid, "Wrong coffee"), at(2)).await;
        let l = s
            .value_list(ListName::Complaining, Scope::All)
            .await
            .expect("list");
        let names: Vec<&str> = l.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Big Co", "Mid Co"]);
        // A representative sees only their own customers on it.
        let l = s
            .value_list(ListName::Complaining, Scope::Own(rep.id))
            .await
            .expect("scoped");
        assert_eq!(
            l.rows.iter().map(|r| r.customer_id).collect::<Vec<_>>(),
            [big]
        );
    })
    .await;
}
