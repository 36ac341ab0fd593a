//! `patron deliveries …`: deliveries and installations (METHOD §6) — list, show, add, and the
//! method's steps: the customer notified before the job, done, late (the reason and the newly
//! agreed day and window; the old promise is kept), cancelled, and the satisfaction call after.
//!
//! Without `--as` the command line acts as the database's operator (every customer, recorded as
//! nobody's); with `--as EMAIL` it sees and records as that person, as the web UI would.

use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use patron_core::{Scope, UserId};
use patron_store::after_sales::{
    self, parse_window, ServiceJob, ServiceJobAction, ServiceJobInput, ServiceJobQuery,
    ServiceKind, ServiceStatus,
};
use patron_store::{Store, StoreError};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List jobs (open ones, nearest promise first, unless --status).
    List {
        /// Only this customer's (reference, id or #id).
        #[arg(long)]
        customer: Option<String>,
        /// planned, late, done, cancelled, open (planned and late) or all (default open).
        #[arg(long, default_value = "open")]
        status: String,
        #[arg(long, value_parser = ["delivery", "installation"])]
        kind: Option<String>,
        /// Only the jobs assigned to this person (e-mail).
        #[arg(long, value_name = "EMAIL")]
        assigned: Option<String>,
        /// Promised on or after this day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Promised on or before this day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// See only what this user may see.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        /// Print JSON: {"items":[{"id","customer_id","kind","status","promised_on",…}]}.
        #[arg(long)]
        json: bool,
    },
    /// One job with its history of promises.
    Show {
        id: i64,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record a delivery or installation promised to a customer.
    Add {
        /// The customer (reference, id or #id).
        #[arg(long)]
        customer: String,
        /// The order it is for (one of the customer's).
        #[arg(long)]
        order: Option<i64>,
        #[arg(long, value_parser = ["delivery", "installation"])]
        kind: String,
        /// The promised day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        on: String,
        /// The promised time window, HH:MM-HH:MM (e.g. 09:00-12:00).
        #[arg(long, value_name = "FROM-TO")]
        window: Option<String>,
        /// Who does it or answers for it (e-mail; default the customer's owner).
        #[arg(long, value_name = "EMAIL")]
        assigned: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// Record it as this user's (and within what they may see).
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The customer was told before the job.
    Notified {
        id: i64,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The job is done (today unless --on).
    Done {
        id: i64,
        /// The day it was done, YYYY-MM-DD (not after today).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The promise is missed: why, and the newly agreed day (and window).
    Late {
        id: i64,
        /// What the customer was told.
        #[arg(long)]
        reason: String,
        /// The newly agreed day, YYYY-MM-DD (today or later).
        #[arg(long, value_name = "DATE")]
        on: String,
        /// The newly agreed window, HH:MM-HH:MM.
        #[arg(long, value_name = "FROM-TO")]
        window: Option<String>,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Call the job off.
    Cancel {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record the satisfaction call after a done job (logged as a call).
    Call {
        id: i64,
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// The flag a store field comes from.
fn flag(field: &str) -> &str {
    match field {
        "promised_on" | "done_on" => "on",
        "window_from" | "window_to" => "window",
        "assigned_to" => "assigned",
        "order_id" => "order",
        "customer_id" => "customer",
        other => other,
    }
}

/// A validation error names the flag and says why; a refused step says why too.
fn explain(e: StoreError) -> anyhow::Error {
    super::explain_flags(e, flag)
}

fn date(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("--{flag}: '{s}' is not a date (YYYY-MM-DD)"))
}

fn window(s: Option<&str>) -> anyhow::Result<Option<(String, String)>> {
    match s {
        None => Ok(None),
        Some(s) => {
            parse_window("window", s).map_err(|e| anyhow::anyhow!("--window: {}", e.message))
        }
    }
}

/// Who acts (`--as`) and what they may see; without it the operator, seeing everything.
async fn acting(store: &dyn Store, email: Option<&str>) -> anyhow::Result<(Option<UserId>, Scope)> {
    let Some(email) = email else {
        return Ok((None, Scope::All));
    };
    let user = store
        .find_user(email)
        .await?
        .with_context(|| format!("--as: no user has the e-mail '{email}'"))?;
    if !user.active {
        anyhow::bail!("--as: {} is deactivated", user.email);
    }
    Ok((Some(user.id), Scope::of(&user)))
}

fn line(j: &ServiceJob) -> String {
    let mut s = format!(
        "#{:<6} {} {:<11} {:<12} {} ",
        j.id,
        j.promised_on,
        j.window().unwrap_or_else(|| "any time".into()),
        j.kind.as_str(),
        output::cell(&j.customer_name, 24),
    );
    s.push_str(j.status.as_str());
    if j.status.is_open() {
        s.push_str(if j.notified_at.is_some() {
            ", notified"
        } else {
            ", not notified"
        });
    }
    if let Some(o) = j.order_id {
        s.push_str(&format!(", order #{o}"));
    }
    if let Some(a) = &j.assigned_name {
        s.push_str(&format!(", {a}"));
    }
    if j.status == ServiceStatus::Done {
        match (j.after_sales_call_at, j.after_sales_call_due) {
            (Some(at), _) => s.push_str(&format!(", called {}", at.format("%Y-%m-%d"))),
            (None, Some(due)) => s.push_str(&format!(", call due {due}")),
            _ => {}
        }
    }
    s
}

fn print(j: &ServiceJob, json: bool) -> anyhow::Result<()> {
    if json {
        return output::json(j);
    }
    println!("{}", line(j));
    if let Some(a) = &j.address {
        println!("  address: {a}");
    }
    if let Some(n) = &j.notes {
        println!("  notes: {n}");
    }
    if let Some(r) = &j.cancel_reason {
        println!("  cancelled: {r}");
    }
    for c in &j.changes {
        println!(
            "  {} {}{} -> {}{}{}{}",
            c.change,
            c.old_promised_on,
            c.old_window
                .as_deref()
                .map(|w| format!(" {w}"))
                .unwrap_or_default(),
            c.new_promised_on,
            c.new_window
                .as_deref()
                .map(|w| format!(" {w}"))
                .unwrap_or_default(),
            c.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
            c.changed_by_name
                .as_deref()
                .map(|w| format!(" ({w})"))
                .unwrap_or_default(),
        );
    }
    Ok(())
}

pub async fn run(settings: &Settings, c: DeliveriesCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        DeliveriesCommand::List {
            customer,
            status,
            kind,
            assigned,
            from,
            to,
            as_user,
            json,
        } => {
            let statuses = if status == "all" {
                Vec::new()
            } else {
                ServiceStatus::filter(&status).with_context(|| {
                    format!(
                        "--status: '{status}' is not planned, late, done, cancelled, open or all"
                    )
                })?
            };
            let (_, scope) = acting(store, as_user.as_deref()).await?;
            let customer_id = match customer {
                Some(c) => Some(super::resolve_customer(store, &c).await?),
                None => None,
            };
            let assigned_to = match assigned {
                Some(e) => Some(
                    store
                        .find_user(&e)
                        .await?
                        .with_context(|| format!("--assigned: no user has the e-mail '{e}'"))?
                        .id,
                ),
                None => None,
            };
            let q = ServiceJobQuery {
                scope,
                customer_id,
                statuses,
                kind: kind.as_deref().and_then(ServiceKind::parse),
                assigned_to,
                from: from.as_deref().map(|s| date("from", s)).transpose()?,
                to: to.as_deref().map(|s| date("to", s)).transpose()?,
                ..Default::default()
            };
            let jobs = store.list_service_jobs(&q).await?;
            if json {
                output::json(&serde_json::json!({ "items": jobs }))?;
            } else if jobs.is_empty() {
                eprintln!("no deliveries or installations");
            } else {
                for j in &jobs {
                    println!("{}", line(j));
                }
            }
        }
        DeliveriesCommand::Show { id, as_user, json } => {
            let (_, scope) = acting(store, as_user.as_deref()).await?;
            let j = store
                .get_service_job(scope, id)
                .await
                .with_context(|| format!("job #{id}"))?;
            print(&j, json)?;
        }
        DeliveriesCommand::Add {
            customer,
            order,
            kind,
            on,
            window: w,
            assigned,
            address,
            notes,
            as_user,
            json,
        } => {
            let kind = ServiceKind::parse(&kind)
                .with_context(|| format!("--kind: '{kind}' is not delivery or installation"))?;
            let promised_on = date("on", &on)?;
            let w = window(w.as_deref())?;
            let (by, scope) = acting(store, as_user.as_deref()).await?;
            let customer_id = super::resolve_customer(store, &customer).await?;
            let assigned_to = match assigned {
                Some(e) => Some(
                    store
                        .find_user(&e)
                        .await?
                        .with_context(|| format!("--assigned: no user has the e-mail '{e}'"))?
                        .id,
                ),
                None => None,
            };
            let (window_from, window_to) = w.unzip();
            let input = ServiceJobInput {
                customer_id,
                order_id: order,
                kind,
                promised_on,
                window_from,
                window_to,
                address,
                notes,
                assigned_to,
            };
            let j = store
                .create_service_job(by, scope, input)
                .await
                .map_err(explain)?;
            if !json {
                eprintln!("{} #{} recorded", j.kind.as_str(), j.id);
            }
            print(&j, json)?;
        }
        DeliveriesCommand::Notified { id, as_user, json } => {
            step(store, id, as_user, json, ServiceJobAction::Notified).await?;
        }
        DeliveriesCommand::Done {
            id,
            on,
            as_user,
            json,
        } => {
            let done_on = on.as_deref().map(|s| date("on", s)).transpose()?;
            step(store, id, as_user, json, ServiceJobAction::Done { done_on }).await?;
        }
        DeliveriesCommand::Late {
            id,
            reason,
            on,
            window: w,
            as_user,
            json,
        } => {
            let promised_on = date("on", &on)?;
            let (window_from, window_to) = window(w.as_deref())?.unzip();
            let action = ServiceJobAction::Late {
                reason,
                promised_on,
                window_from,
                window_to,
            };
            step(store, id, as_user, json, action).await?;
        }
        DeliveriesCommand::Cancel {
            id,
            reason,
            as_user,
            json,
        } => {
            step(
                store,
                id,
                as_user,
                json,
                ServiceJobAction::Cancel { reason },
            )
            .await?;
        }
        DeliveriesCommand::Call {
            id,
            outcome,
            notes,
            as_user,
            json,
        } => {
            let action = ServiceJobAction::AfterSalesCall { outcome, notes };
            step(store, id, as_user, json, action).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn step(
    store: &dyn Store,
    id: i64,
    as_user: Option<String>,
    json: bool,
    action: ServiceJobAction,
) -> anyhow::Result<()> {
    let (by, scope) = acting(store, as_user.as_deref()).await?;
    let j = match after_sales::act(store, by, scope, id, action).await {
        Ok(j) => j,
        Err(StoreError::NotFound { .. }) => anyhow::bail!("there is no job #{id}"),
        Err(e) => return Err(explain(e)),
    };
    print(&j, json)
}
