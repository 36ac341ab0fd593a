//! Key-account development plans (METHOD §3.4) on both databases: creating and validating plans,
//! projects and actions; the plan's review on its owner's agenda (later, today, overdue) and
//! "done" moving the next review on; an action's review on the action owner's agenda; the list
//! of key accounts with and without a plan, inside each user's scope; a merge keeps the plan.

use chrono::{Duration, NaiveDate};
use patron_core::contact::ItemKind;
use patron_core::*;
use patron_store::contact::{self, AgendaAction};
use patron_store::key_accounts::*;
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn fields_of(e: &StoreError) -> Vec<String> {
    match e {
        StoreError::Invalid(v) => v.0.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn code_of(e: &StoreError, field: &str) -> String {
    match e {
        StoreError::Invalid(v) => {
            v.0.iter()
                .find(|f| f.field == field)
                .map(|f| f.code.clone())
                .unwrap_or_default()
        }
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

fn items(a: &contact::Agenda, kind: ItemKind) -> Vec<&patron_core::contact::AgendaItem> {
    a.items.iter().filter(|i| i.kind == kind).collect()
}

fn goals(short: &str) -> PlanInput {
    PlanInput {
        short_term_goals: Some(short.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn plans_reviews_actions_and_scope() {
    each(|s| async move {
        let today = contact::today(&contact::load_settings(s.as_ref()).await.expect("settings"));
        let manager = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(manager.id),
        )
        .await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let gone = user(&s, "gone@x.com", StaffLevel::SalesRepresentative, None).await;
        s.set_user_active(gone.id, false).await.expect("deactivate");
        let big = customer(&s, "Big Tea House", Some(rep.id)).await;
        let small = customer(&s, "Small Shop", Some(rep.id)).await;
        let theirs = customer(&s, "Their Shop", Some(other.id)).await;
        for k in [200, 150, 100] {
            order(&s, big, today - Duration::days(k), 900_000).await;
            order(&s, small, today - Duration::days(k), 5_000).await;
            order(&s, theirs, today - Duration::days(k), 4_000).await;
        }
        classes::run_classification(s.as_ref(), Some(today))
            .await
            .expect("classify");

        // Before any plan: Big is a key account without one, in the rep's scope, not in the
        // other rep's.
        let l = s
            .key_accounts(Scope::Own(rep.id), None)
            .await
            .expect("list");
        assert!(l.plans.is_empty());
        assert_eq!(l.without_plan_total, 1, "{l:?}");
        assert_eq!(l.without_plan[0].customer_id, big);
        assert_eq!(l.without_plan[0].owner_name.as_deref(), Some("rep"));
        let l = s
            .key_accounts(Scope::Own(other.id), None)
            .await
            .expect("list");
        assert_eq!(l.without_plan_total, 0);

        // Validation names the fields, all at once.
        let e = s
            .create_account_plan(Some(rep.id), big, PlanInput::default())
            .await
            .expect_err("no goals");
        assert_eq!(fields_of(&e), ["short_term_goals"]);
        assert_eq!(code_of(&e, "short_term_goals"), "goals_required");
        let e = s
            .create_account_plan(
                Some(rep.id),
                big,
                PlanInput {
                    owner_id: Some(other.id),
                    review_every_months: Some(30),
                    next_review_on: Some(today - Duration::days(1)),
                    ..goals("x")
                },
            )
            .await
            .expect_err("bad");
        assert_eq!(
            fields_of(&e),
            ["review_every_months", "next_review_on", "owner_id"]
        );
        assert_eq!(code_of(&e, "owner_id"), "outside_scope");
        let e = s
            .create_account_plan(
                None,
                big,
                PlanInput {
                    owner_id: Some(gone.id),
                    ..goals("x")
                },
            )
            .await
            .expect_err("inactive owner");
        assert_eq!(code_of(&e, "owner_id"), "inactive_user");
        let e = s
            .create_account_plan(None, CustomerId(999_999), goals("x"))
            .await
            .expect_err("no customer");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        // A valid plan: owner defaults to the customer's keeper, first review one quarter on.
        let plan = s
            .create_account_plan(
                Some(rep.id),
                big,
                PlanInput {
                    medium_term_goals: Some("  Double the tea volume by next year ".into()),
                    long_term_goals: Some("Sole supplier of every shop".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("plan");
        assert_eq!(plan.owner_id, rep.id);
        assert_eq!(plan.customer_id, big);
        assert_eq!(plan.abc.as_deref(), Some("A"));
        assert_eq!(plan.short_term_goals, None);
        assert_eq!(
            plan.medium_term_goals.as_deref(),
            Some("Double the tea volume by next year")
        );
        assert_eq!(plan.review_every_months, 3);
        assert_eq!(plan.next_review_on, next_review(today, 3));
        assert_eq!(plan.created_by, Some(rep.id));
        let e = s
            .create_account_plan(None, big, goals("again"))
            .await
            .expect_err("second plan");
        assert!(
            matches!(&e, StoreError::Conflict { field: Some(f), .. } if f == "customer_id"),
            "{e:?}"
        );
        assert_eq!(
            s.account_plan_of(big).await.expect("of").map(|p| p.id),
            Some(plan.id)
        );
        assert!(s.account_plan_of(small).await.expect("of").is_none());

        // Projects: ours strong, a competitor's, ours weak; the value takes the shop currency.
        let comp = s
            .add_plan_project(
                Some(rep.id),
                plan.id,
                ProjectInput {
                    kind: ProjectKind::Competitor,
                    name: "Hotel chain tender".into(),
                    competitor: Some("Leaf & Co".into()),
                    notes: None,
                    value_minor: Some(12_000_000),
                    currency: None,
                },
            )
            .await
            .expect("project");
        assert_eq!(comp.currency.as_deref(), Some("USD"));
        for (kind, name) in [
            (ProjectKind::OursWeak, "Office coffee"),
            (ProjectKind::OursStrong, "Store shelves"),
        ] {
            s.add_plan_project(
                None,
                plan.id,
                ProjectInput {
                    kind,
                    name: name.into(),
                    competitor: None,
                    notes: None,
                    value_minor: None,
                    currency: None,
                },
            )
            .await
            .expect("project");
        }
        let e = s
            .add_plan_project(
                None,
                plan.id,
                ProjectInput {
                    kind: ProjectKind::OursStrong,
                    name: "x".into(),
                    competitor: None,
                    notes: None,
                    value_minor: Some(1),
                    currency: Some("dollars".into()),
                },
            )
            .await
            .expect_err("currency");
        assert_eq!(fields_of(&e), ["currency"]);
        let p = s.account_plan(plan.id).await.expect("plan");
        let kinds: Vec<_> = p.projects.iter().map(|j| j.kind).collect();
        assert_eq!(
            kinds,
            [
                ProjectKind::OursStrong,
                ProjectKind::Competitor,
                ProjectKind::OursWeak
            ]
        );
        let upd = s
            .update_plan_project(
                None,
                comp.id,
                ProjectInput {
                    kind: ProjectKind::OursStrong,
                    name: "Hotel chain tender (won the trial)".into(),
                    competitor: Some("Leaf & Co".into()),
                    notes: None,
                    value_minor: None,
                    currency: None,
                },
            )
            .await
            .expect("update project");
        assert_eq!(upd.kind, ProjectKind::OursStrong);
        assert_eq!(upd.currency, None);
        s.delete_plan_project(None, upd.id).await.expect("delete");
        assert!(matches!(
            s.plan_project(upd.id).await,
            Err(StoreError::NotFound { .. })
        ));

        // The review on the owner's agenda: under "later" 14 days ahead, today on the day,
        // overdue the day after; nobody else's agenda has it.
        let due = today + Duration::days(20);
        let plan = s
            .update_account_plan(
                Some(rep.id),
                plan.id,
                PlanInput {
                    next_review_on: Some(due),
                    ..goals("Win the hotel tender")
                },
            )
            .await
            .expect("update");
        assert_eq!(plan.next_review_on, due);
        assert_eq!(
            plan.short_term_goals.as_deref(),
            Some("Win the hotel tender")
        );
        assert_eq!(plan.owner_id, rep.id, "owner kept");
        let on = |d: NaiveDate| {
            let s = s.clone();
            let rep = rep.clone();
            async move {
                contact::agenda(s.as_ref(), &rep, Some(d))
                    .await
                    .expect("agenda")
            }
        };
        assert!(items(&on(due - Duration::days(15)).await, ItemKind::AccountReview).is_empty());
        let a = on(due - Duration::days(14)).await;
        let r = items(&a, ItemKind::AccountReview);
        assert_eq!(r.len(), 1, "{:?}", a.items);
        assert_eq!(r[0].section, "later");
        assert_eq!(r[0].key, format!("account_review:{}:{due}", plan.id));
        assert!(
            r[0].reason.contains("Win the hotel tender"),
            "{}",
            r[0].reason
        );
        assert_eq!(r[0].customer_id, big);
        assert_eq!(
            items(&on(due - Duration::days(3)).await, ItemKind::AccountReview)[0].section,
            "week"
        );
        assert_eq!(
            items(&on(due).await, ItemKind::AccountReview)[0].section,
            "today"
        );
        let late = on(due + Duration::days(1)).await;
        let r = items(&late, ItemKind::AccountReview);
        assert!(r[0].overdue && r[0].section == "overdue", "{:?}", r[0]);
        let theirs_agenda = contact::agenda(s.as_ref(), &other, Some(due))
            .await
            .expect("agenda");
        assert!(items(&theirs_agenda, ItemKind::AccountReview).is_empty());

        // Plan status in the list.
        let l = s
            .key_accounts(Scope::Own(rep.id), None)
            .await
            .expect("list");
        assert_eq!(l.plans.len(), 1);
        assert_eq!(l.plans[0].status, ReviewStatus::Scheduled);
        assert_eq!(l.without_plan_total, 0);

        // An action owned by the manager, reviewed in three days: on the manager's agenda, not
        // on the rep's. An owner not in charge of the customer is refused.
        let e = s
            .add_plan_action(
                None,
                plan.id,
                ActionInput {
                    what: "".into(),
                    owner_id: Some(other.id),
                    review_on: Some(today - Duration::days(2)),
                    ..Default::default()
                },
            )
            .await
            .expect_err("bad action");
        assert_eq!(fields_of(&e), ["what", "review_on", "owner_id"]);
        let review = today + Duration::days(3);
        let act = s
            .add_plan_action(
                Some(rep.id),
                plan.id,
                ActionInput {
                    what: "Taste test with the hotel buyers".into(),
                    owner_id: Some(manager.id),
                    due_on: Some(today + Duration::days(30)),
                    review_on: Some(review),
                    ..Default::default()
                },
            )
            .await
            .expect("action");
        assert_eq!(act.owner_name, "boss");
        assert_eq!(act.status, ActionStatus::Open);
        let mine = s
            .add_plan_action(
                None,
                plan.id,
                ActionInput {
                    what: "Send the tender price list".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("action");
        assert_eq!(mine.owner_id, rep.id, "defaults to the plan's owner");
        let boss_agenda = contact::agenda(s.as_ref(), &manager, Some(today))
            .await
            .expect("agenda");
        let r = items(&boss_agenda, ItemKind::PlanAction);
        assert_eq!(r.len(), 1, "{:?}", boss_agenda.items);
        assert_eq!(r[0].key, format!("plan_action:{}:{review}", act.id));
        assert_eq!(r[0].section, "week");
        assert!(r[0].reason.contains("Taste test"), "{}", r[0].reason);
        let rep_agenda = contact::agenda(s.as_ref(), &rep, Some(today))
            .await
            .expect("agenda");
        assert!(items(&rep_agenda, ItemKind::PlanAction).is_empty());
        let l = s
            .key_accounts(Scope::Own(rep.id), None)
            .await
            .expect("list");
        assert_eq!(l.plans[0].open_actions, 2);

        // "Done" on the action's item records the review and clears the date; the item goes.
        let key = r[0].key.clone();
        let acted = contact::act(
            s.as_ref(),
            &manager,
            &key,
            AgendaAction::Done {
                kind: None,
                outcome: Some("buyers liked the blend".into()),
                notes: None,
            },
        )
        .await
        .expect("done");
        assert!(acted.interaction_id.is_some());
        let a = s.plan_action(act.id).await.expect("action");
        assert_eq!(a.review_on, None);
        assert_eq!(a.reviewed_on, Some(today));
        assert_eq!(a.status, ActionStatus::Open);
        let boss_agenda = contact::agenda(s.as_ref(), &manager, Some(today))
            .await
            .expect("agenda");
        assert!(items(&boss_agenda, ItemKind::PlanAction).is_empty());
        // A closed action has no review on the agenda even with a date.
        let closed = s
            .update_plan_action(
                None,
                act.id,
                ActionInput {
                    what: a.what.clone(),
                    review_on: Some(today + Duration::days(1)),
                    status: ActionStatus::Done,
                    ..Default::default()
                },
            )
            .await
            .expect("close");
        assert_eq!(closed.done_on, Some(today));
        assert_eq!(closed.owner_id, manager.id, "owner kept");
        let boss_agenda = contact::agenda(s.as_ref(), &manager, Some(today))
            .await
            .expect("agenda");
        assert!(items(&boss_agenda, ItemKind::PlanAction).is_empty());
        s.delete_plan_action(None, mine.id)
            .await
            .expect("delete action");

        // "Done" on the overdue review: reviewed today, the next one a cycle later.
        let key = format!("account_review:{}:{due}", plan.id);
        contact::act(
            s.as_ref(),
            &rep,
            &key,
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: None,
            },
        )
        .await
        .expect("review done");
        let p = s.account_plan(plan.id).await.expect("plan");
        assert_eq!(p.last_reviewed_on, Some(today));
        assert_eq!(p.next_review_on, next_review(today, 3));
        assert!(items(&on(due + Duration::days(1)).await, ItemKind::AccountReview).is_empty());
        // Done again on the stale key changes nothing.
        contact::act(
            s.as_ref(),
            &rep,
            &key,
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: None,
            },
        )
        .await
        .expect("again");
        assert_eq!(
            s.account_plan(plan.id).await.expect("plan").next_review_on,
            next_review(today, 3)
        );

        // Marked reviewed from the plan page, with a chosen next date.
        let next = today + Duration::days(45);
        let p = s
            .account_plan_reviewed(Some(rep.id), plan.id, None, Some(next))
            .await
            .expect("reviewed");
        assert_eq!(p.next_review_on, next);
        let e = s
            .account_plan_reviewed(None, plan.id, None, Some(today))
            .await
            .expect_err("next must follow");
        assert_eq!(fields_of(&e), ["next_review_on"]);

        // Scope: the business manager sees the plan of their rep's customer, the other rep not.
        let l = s
            .key_accounts(Scope::Team(manager.id), None)
            .await
            .expect("list");
        assert_eq!(l.plans.len(), 1);
        let l = s
            .key_accounts(Scope::Own(other.id), None)
            .await
            .expect("list");
        assert!(l.plans.is_empty());
        let l = s.key_accounts(Scope::All, Some(small)).await.expect("list");
        assert!(l.plans.is_empty() && l.without_plan.is_empty());

        // A merge keeps the plan on the kept customer.
        s.merge_customers(small, big).await.expect("merge");
        let p = s.account_plan_of(small).await.expect("of").expect("moved");
        assert_eq!(p.id, plan.id);

        // Deleting the plan deletes its actions.
        s.delete_account_plan(plan.id).await.expect("delete plan");
        assert!(matches!(
            s.plan_action(act.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}
