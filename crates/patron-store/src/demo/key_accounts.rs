//! Demo key-account development plans (METHOD §3.4): the three biggest A-class organisations
//! get a plan kept by their relationship manager (else owner) — goals on three horizons, one
//! project of each kind, two actions — with reviews spread so the demo shows one overdue, one
//! due this week and one scheduled, and an action review on the agenda.
//!
//! Runs after the demo's classification (the A class must exist), from `patron demo`.

use crate::error::StoreResult;
use crate::key_accounts::{ActionInput, PlanInput, ProjectInput, ProjectKind};
use crate::store::Store;
use chrono::Days;
use patron_core::classify::AbcClass;
use patron_core::CustomerKind;

/// Writes the demo plans; returns how many.
pub async fn plans(store: &dyn Store) -> StoreResult<u64> {
    let big = store
        .list_customers(&crate::CustomerQuery {
            abc: Some(AbcClass::A),
            kind: Some(CustomerKind::Organisation),
            limit: Some(3),
            ..Default::default()
        })
        .await?;
    let today = crate::contact::today(&crate::contact::load_settings(store).await?);
    let mut n = 0;
    for (i, c) in big.items.iter().enumerate() {
        let keeper = c.relationship_manager_id.or(c.owner_id);
        let Some(keeper) = keeper else { continue };
        let plan = store
            .create_account_plan(
                Some(keeper),
                c.id,
                PlanInput {
                    owner_id: Some(keeper),
                    short_term_goals: Some(
                        "Win the spring restocking order; fix the late-delivery complaint".into(),
                    ),
                    medium_term_goals: Some(
                        "Raise our share of their coffee purchases from about 40% to 60%".into(),
                    ),
                    long_term_goals: Some(
                        "Become their sole supplier of coffee and equipment in three years".into(),
                    ),
                    review_every_months: Some(3),
                    next_review_on: None,
                },
            )
            .await?;
        for (kind, name, competitor) in [
            (
                ProjectKind::OursStrong,
                "Espresso blend for all branches",
                None,
            ),
            (
                ProjectKind::Competitor,
                "Grinder replacement programme",
                Some("Bean & Burr Ltd"),
            ),
            (ProjectKind::OursWeak, "Office pantry supply", None),
        ] {
            store
                .add_plan_project(
                    Some(keeper),
                    plan.id,
                    ProjectInput {
                        kind,
                        name: name.into(),
                        competitor: competitor.map(str::to_owned),
                        notes: None,
                        value_minor: Some(2_500_000 * (i as i64 + 1)),
                        currency: None,
                    },
                )
                .await?;
        }
        store
            .add_plan_action(
                Some(keeper),
                plan.id,
                ActionInput {
                    what: "Invite their buyers to a tasting of the new blend".into(),
                    owner_id: Some(keeper),
                    due_on: today.checked_add_days(Days::new(21)),
                    review_on: today.checked_add_days(Days::new(2 + i as u64)),
                    ..Default::default()
                },
            )
            .await?;
        store
            .add_plan_action(
                Some(keeper),
                plan.id,
                ActionInput {
                    what: "Send a quote for the grinder programme".into(),
                    owner_id: Some(keeper),
                    due_on: today.checked_add_days(Days::new(30)),
                    ..Default::default()
                },
            )
            .await?;
        // Reviews spread: the first one overdue (last held four months ago), the second due
        // this week, the third a month away.
        match i {
            0 => {
                let held = today.checked_sub_days(Days::new(100)).unwrap_or(today);
                let next = today.checked_sub_days(Days::new(8)).unwrap_or(today);
                store
                    .account_plan_reviewed(Some(keeper), plan.id, Some(held), Some(next))
                    .await?;
            }
            1 => {
                store
                    .update_account_plan(
                        Some(keeper),
                        plan.id,
                        PlanInput {
                            next_review_on: today.checked_add_days(Days::new(4)),
                            short_term_goals: plan.short_term_goals.clone(),
                            medium_term_goals: plan.medium_term_goals.clone(),
                            long_term_goals: plan.long_term_goals.clone(),
                            review_every_months: Some(3),
                            owner_id: None,
                        },
                    )
                    .await?;
            }
            _ => {
                store
                    .update_account_plan(
                        Some(keeper),
                        plan.id,
                        PlanInput {
                            next_review_on: today.checked_add_days(Days::new(30)),
                            short_term_goals: plan.short_term_goals.clone(),
                            medium_term_goals: plan.medium_term_goals.clone(),
                            long_term_goals: plan.long_term_goals.clone(),
                            review_every_months: Some(3),
                            owner_id: None,
                        },
                    )
                    .await?;
            }
        }
        n += 1;
    }
    Ok(n)
}
