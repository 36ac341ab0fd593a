//! `patron key-accounts …`: key-account development plans (METHOD §3.4) from the command line —
//! the list of key accounts with their plans' review status, one customer's plan, setting a
//! plan's goals, adding an action, and recording a review.

use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use patron_store::key_accounts::{AccountPlan, ActionInput, PlanInput, ProjectInput, ProjectKind};
use patron_store::{Store, StoreError};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum KeyAccountsCommand {
    /// The key accounts (A-class customers) with their plans' next review and status, and those
    /// without a plan.
    List {
        /// See only what this user may see (default: everything).
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A customer's development plan: goals, projects, actions.
    Show {
        /// Customer reference, or id (#ID forces an id).
        customer: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a customer's plan, or change its goals, owner and review cycle (flags left out
    /// keep their value on an existing plan).
    Set(SetArgs),
    /// A plan's actions.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Add a project to a plan: ours strong (win it), a competitor's (work harder), ours weak
    /// (don't give up).
    Project(ProjectArgs),
    /// Record that a plan was reviewed today; the next review is one cycle later unless --next.
    Reviewed {
        plan_id: i64,
        /// The next review, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        next: Option<String>,
        /// Record it as this user's (e-mail).
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    /// Short-term goals.
    #[arg(long)]
    pub short: Option<String>,
    /// Medium-term goals.
    #[arg(long)]
    pub medium: Option<String>,
    /// Long-term goals.
    #[arg(long)]
    pub long: Option<String>,
    /// Months between reviews (1–24; a new plan: 3).
    #[arg(long, value_name = "N")]
    pub review_every: Option<u32>,
    /// The next review, YYYY-MM-DD (a new plan: one cycle from today).
    #[arg(long, value_name = "DATE")]
    pub next_review: Option<String>,
    /// The plan's owner (e-mail; default: the relationship manager, else the owner).
    #[arg(long, value_name = "EMAIL")]
    pub owner: Option<String>,
    /// Record the change as this user's (e-mail).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an action to a plan.
    Add {
        plan_id: i64,
        /// What is to be done.
        #[arg(long)]
        what: String,
        /// Who does it (e-mail; default: the plan's owner).
        #[arg(long, value_name = "EMAIL")]
        owner: Option<String>,
        /// When it is due, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        /// When its owner reviews it (an agenda item), YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        review_on: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ProjectArgs {
    pub plan_id: i64,
    #[arg(long, value_parser = ["ours_strong", "competitor", "ours_weak"])]
    pub kind: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub competitor: Option<String>,
    /// Estimated value in minor units (cents).
    #[arg(long, value_name = "MINOR")]
    pub value_minor: Option<i64>,
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// A validation error names the flag and says why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| {
                        let flag = match f.field.as_str() {
                            "short_term_goals" => "short",
                            "medium_term_goals" => "medium",
                            "long_term_goals" => "long",
                            "review_every_months" => "review-every",
                            "next_review_on" => "next-review",
                            "owner_id" => "owner",
                            "review_on" => "review-on",
                            "due_on" => "due",
                            "value_minor" => "value-minor",
                            other => other,
                        };
                        format!("--{flag}: {}", f.message)
                    })
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => other.into(),
    }
}

fn date(flag: &str, s: Option<&str>) -> anyhow::Result<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .with_context(|| format!("--{flag}: '{s}' is not a date (YYYY-MM-DD)"))
    })
    .transpose()
}

async fn user_of(
    store: &dyn Store,
    flag: &str,
    email: Option<&str>,
) -> anyhow::Result<Option<patron_core::UserId>> {
    match email {
        None => Ok(None),
        Some(e) => Ok(Some(
            store
                .find_user(e)
                .await?
                .with_context(|| format!("--{flag}: no user has the e-mail '{e}'"))?
                .id,
        )),
    }
}

fn print_plan(p: &AccountPlan) {
    println!(
        "plan #{} of {} (customer #{}, class {})",
        p.id,
        p.customer_name,
        p.customer_id,
        p.abc.as_deref().unwrap_or("-")
    );
    println!("  owner: {}", p.owner_name);
    println!(
        "  review every {} month(s); next {}; last {}",
        p.review_every_months,
        p.next_review_on,
        p.last_reviewed_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "never".into())
    );
    for (label, g) in [
        ("short-term", &p.short_term_goals),
        ("medium-term", &p.medium_term_goals),
        ("long-term", &p.long_term_goals),
    ] {
        if let Some(g) = g {
            println!("  {label} goals: {g}");
        }
    }
    for k in ProjectKind::ALL {
        let rows: Vec<_> = p.projects.iter().filter(|j| j.kind == k).collect();
        if rows.is_empty() {
            continue;
        }
        println!("  {} projects:", k.as_str());
        for j in rows {
            let mut s = format!("    #{} {}", j.id, j.name);
            if let Some(c) = &j.competitor {
                s.push_str(&format!(" (competitor: {c})"));
            }
            if let (Some(v), Some(cur)) = (j.value_minor, &j.currency) {
                s.push_str(&format!(" {v} {cur} minor units"));
            }
            println!("{s}");
        }
    }
    if !p.actions.is_empty() {
        println!("  actions:");
        for a in &p.actions {
            println!(
                "    #{} [{}] {} — {}; due {}; review {}",
                a.id,
                a.status.as_str(),
                a.what,
                a.owner_name,
                a.due_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                a.review_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into())
            );
        }
    }
}

pub async fn run(settings: &Settings, c: KeyAccountsCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        KeyAccountsCommand::List { as_user, json } => {
            let scope = super::scope_as(store, as_user.as_deref()).await?;
            let l = store.key_accounts(scope, None).await?;
            if json {
                output::json(&l)?;
            } else {
                println!("key-account plans ({}), as of {}:", l.plans.len(), l.as_of);
                for p in &l.plans {
                    println!(
                        "  #{:<6} {:<32} next review {} ({}), owner {}, {} open action(s)",
                        p.id,
                        p.customer_name,
                        p.next_review_on,
                        p.status.as_str(),
                        p.owner_name,
                        p.open_actions
                    );
                }
                println!("A-class customers without a plan: {}", l.without_plan_total);
                for w in &l.without_plan {
                    println!("  customer #{:<6} {}", w.customer_id, w.customer_name);
                }
            }
        }
        KeyAccountsCommand::Show { customer, json } => {
            let id = super::resolve_customer(store, &customer).await?;
            let plan = store
                .account_plan_of(id)
                .await?
                .with_context(|| format!("customer #{id} has no development plan"))?;
            if json {
                output::json(&plan)?;
            } else {
                print_plan(&plan);
            }
        }
        KeyAccountsCommand::Set(a) => {
            let id = super::resolve_customer(store, &a.customer).await?;
            let by = user_of(store, "as", a.as_user.as_deref()).await?;
            let owner = user_of(store, "owner", a.owner.as_deref()).await?;
            let next = date("next-review", a.next_review.as_deref())?;
            let plan = match store.account_plan_of(id).await? {
                Some(p) => {
                    let keep = |new: Option<String>, old: &Option<String>| new.or(old.clone());
                    let input = PlanInput {
                        owner_id: owner,
                        short_term_goals: keep(a.short, &p.short_term_goals),
                        medium_term_goals: keep(a.medium, &p.medium_term_goals),
                        long_term_goals: keep(a.long, &p.long_term_goals),
                        review_every_months: a.review_every.or(Some(p.review_every_months)),
                        next_review_on: next,
                    };
                    store
                        .update_account_plan(by, p.id, input)
                        .await
                        .map_err(invalid)?
                }
                None => {
                    let input = PlanInput {
                        owner_id: owner,
                        short_term_goals: a.short,
                        medium_term_goals: a.medium,
                        long_term_goals: a.long,
                        review_every_months: a.review_every,
                        next_review_on: next,
                    };
                    store
                        .create_account_plan(by, id, input)
                        .await
                        .map_err(invalid)?
                }
            };
            if a.json {
                output::json(&plan)?;
            } else {
                print_plan(&plan);
            }
        }
        KeyAccountsCommand::Action(ActionCommand::Add {
            plan_id,
            what,
            owner,
            due,
            review_on,
            notes,
            as_user,
            json,
        }) => {
            let by = user_of(store, "as", as_user.as_deref()).await?;
            let input = ActionInput {
                what,
                owner_id: user_of(store, "owner", owner.as_deref()).await?,
                due_on: date("due", due.as_deref())?,
                review_on: date("review-on", review_on.as_deref())?,
                notes,
                ..Default::default()
            };
            let a = store
                .add_plan_action(by, plan_id, input)
                .await
                .map_err(invalid)?;
            if json {
                output::json(&a)?;
            } else {
                println!(
                    "action #{} added to plan #{plan_id}: {} — {}, review {}",
                    a.id,
                    a.what,
                    a.owner_name,
                    a.review_on
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into())
                );
            }
        }
        KeyAccountsCommand::Project(a) => {
            let by = user_of(store, "as", a.as_user.as_deref()).await?;
            let kind = ProjectKind::parse(&a.kind)
                .with_context(|| format!("--kind: '{}' is not a project kind", a.kind))?;
            let p = store
                .add_plan_project(
                    by,
                    a.plan_id,
                    ProjectInput {
                        kind,
                        name: a.name,
                        competitor: a.competitor,
                        notes: a.notes,
                        value_minor: a.value_minor,
                        currency: a.currency,
                    },
                )
                .await
                .map_err(invalid)?;
            if a.json {
                output::json(&p)?;
            } else {
                println!(
                    "project #{} added to plan #{}: {} ({})",
                    p.id,
                    a.plan_id,
                    p.name,
                    p.kind.as_str()
                );
            }
        }
        KeyAccountsCommand::Reviewed {
            plan_id,
            next,
            as_user,
            json,
        } => {
            let by = user_of(store, "as", as_user.as_deref()).await?;
            let next = date("next", next.as_deref())?;
            let p = store
                .account_plan_reviewed(by, plan_id, None, next)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid(v) => anyhow::anyhow!(
                        "{}",
                        v.0.iter()
                            .map(|f| format!("--next: {}", f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => other.into(),
                })?;
            if json {
                output::json(&p)?;
            } else {
                println!(
                    "plan #{} reviewed on {}; next review {}",
                    p.id,
                    p.last_reviewed_on
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    p.next_review_on
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
