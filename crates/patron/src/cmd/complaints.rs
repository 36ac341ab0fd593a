//! `patron complaints …`: complaints (METHOD §4) on the command line — list them (waiting for a
//! first reply first, the most overdue on top), show one with its six steps, compensation and
//! history, and record a new one.
//!
//! The command line runs with the database owner's authority: every customer (`Scope::All`),
//! recorded as nobody's, judged "overdue" at the clock's now.

use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use chrono::{SubsecRound, Utc};
use clap::Subcommand;
use patron_core::complaint::{Cause, Channel, Status};
use patron_core::promotion::Word;
use patron_core::Scope;
use patron_store::complaints::{Complaint, ComplaintDetail, ComplaintInput, ComplaintQuery};
use patron_store::StoreError;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ComplaintsCommand {
    /// Complaints waiting for a first reply first (the most overdue on top), then the rest,
    /// open before closed, newest first.
    List {
        /// open, acknowledged, investigating, resolved, followed_up or closed.
        #[arg(long)]
        status: Option<String>,
        /// Only those past their first-reply deadline without a reply.
        #[arg(long)]
        overdue: bool,
        /// Only those handled by this user (id, e-mail or name).
        #[arg(long, value_name = "EMAIL_OR_NAME")]
        owner: Option<String>,
        /// Only this customer's (reference, id or #id).
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        /// Print JSON: {"items":[{"id","customer_id","status","cause","reply_due_at","overdue",…}]}.
        #[arg(long)]
        json: bool,
    },
    /// One complaint with its six steps, compensation and history.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Record a complaint; its first reply is due within the reply hours (24 by default).
    Add {
        /// The customer (reference, id or #id).
        #[arg(long, value_name = "ID")]
        customer: String,
        /// visit, call, letter, hotline, email, in_store or web_form.
        #[arg(long)]
        channel: String,
        /// One line: what the customer complains about.
        #[arg(long)]
        summary: String,
        /// expectation_gap, product_quality, staff_attitude, delivery, installation, price or
        /// other (the default until the root cause is found).
        #[arg(long)]
        cause: Option<String>,
        #[arg(long)]
        details: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Parses a flag's word, or says which words it takes.
fn word<W: Word>(flag: &str, s: &str) -> anyhow::Result<W> {
    W::parse(s).with_context(|| {
        let words: Vec<&str> = W::ALL.iter().map(|w| w.as_str()).collect();
        format!("--{flag}: '{s}' is not one of: {}", words.join(", "))
    })
}

/// A validation error names the flag that set the field; a refusal says why.
fn explain(e: StoreError) -> anyhow::Error {
    super::explain_flags(e, |f| match f {
        "customer_id" => "customer",
        other => other,
    })
}

/// Where the first reply stands: replied (late or not), overdue, or due by when.
fn reply_state(c: &Complaint) -> String {
    match c.first_reply_at {
        Some(t) => format!(
            "replied {}{}",
            t.format("%Y-%m-%d %H:%M"),
            if c.replied_late { " (late)" } else { "" }
        ),
        None if c.overdue => "OVERDUE".to_owned(),
        None => format!("due by {}", c.reply_due_at.format("%Y-%m-%d %H:%M")),
    }
}

/// One line of the list.
fn line(c: &Complaint) -> String {
    format!(
        "#{:<6} {} {:<13} {:<15} {} {} {}  [{}]",
        c.id,
        c.recorded_at.format("%Y-%m-%d"),
        c.status.as_str(),
        c.cause.as_str(),
        output::cell(&c.customer_name, 24),
        output::cell(c.owner_name.as_deref().unwrap_or("-"), 14),
        c.summary,
        reply_state(c)
    )
}

fn print_detail(d: &ComplaintDetail, json: bool) -> anyhow::Result<()> {
    if json {
        return output::json(d);
    }
    let c = &d.complaint;
    println!(
        "complaint #{} — {} (customer #{})",
        c.id, c.customer_name, c.customer_id
    );
    println!("  {}", c.summary);
    if let Some(t) = &c.details {
        println!("  details: {t}");
    }
    println!(
        "  status {}, cause {}, via {}, recorded {} UTC{}",
        c.status.as_str(),
        c.cause.as_str(),
        c.channel.as_str(),
        c.recorded_at.format("%Y-%m-%d %H:%M"),
        c.recorded_by_name
            .as_deref()
            .map(|n| format!(" by {n}"))
            .unwrap_or_default()
    );
    println!(
        "  handled by {}; first reply: {}",
        c.owner_name.as_deref().unwrap_or("nobody"),
        reply_state(c)
    );
    if let Some(m) = &c.escalated_to_name {
        println!("  escalated to {m}");
    }
    if let Some(k) = &c.key_person_name {
        println!("  key person: {k}");
    }
    if let Some(o) = c.order_id {
        println!("  order #{o}");
    }
    println!("  steps ({} of 6):", c.steps_done);
    for s in &d.steps {
        let done = match (s.done, s.done_at) {
            (true, Some(at)) => format!(
                "done {}{}",
                at.format("%Y-%m-%d %H:%M"),
                s.done_by_name
                    .as_deref()
                    .map(|n| format!(" by {n}"))
                    .unwrap_or_default()
            ),
            _ => "not done".to_owned(),
        };
        println!(
            "    [{}] {:<10} {done}{}",
            if s.done { "x" } else { " " },
            s.step.as_str(),
            s.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
    }
    for p in &d.compensations {
        let amount = patron_core::Currency::parse("currency", &p.currency)
            .map(|cur| patron_core::money::format_minor(p.amount_minor, &cur))
            .unwrap_or_else(|_| p.amount_minor.to_string());
        println!(
            "  compensation: {} {amount} {}{}",
            p.kind.as_str(),
            p.currency,
            p.approved_by_name
                .as_deref()
                .map(|n| format!(", approved by {n}"))
                .unwrap_or_default()
        );
    }
    if let Some(p) = &c.promise {
        println!(
            "  promise: {p}{}{}",
            c.promise_due
                .map(|d| format!(" (by {d})"))
                .unwrap_or_default(),
            c.promise_outcome
                .map(|o| format!(" — {}", o.as_str()))
                .unwrap_or_default()
        );
    }
    println!("  history:");
    for e in &d.events {
        println!(
            "    {} {:<12} {}{}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.action,
            e.detail.as_deref().unwrap_or(""),
            e.user_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

pub async fn run(settings: &Settings, c: ComplaintsCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        ComplaintsCommand::List {
            status,
            overdue,
            owner,
            customer,
            json,
        } => {
            let status = status
                .as_deref()
                .map(|s| word::<Status>("status", s))
                .transpose()?;
            let owner_id = match owner.as_deref() {
                Some(o) => Some(
                    super::resolve_user(store, o)
                        .await
                        .map_err(|e| anyhow::anyhow!("--owner: {e}"))?,
                ),
                None => None,
            };
            let customer_id = match customer.as_deref() {
                Some(c) => Some(super::resolve_customer(store, c).await?),
                None => None,
            };
            let items = store
                .list_complaints(&ComplaintQuery {
                    scope: Scope::All,
                    status,
                    owner_id,
                    customer_id,
                    overdue,
                    limit: Some(patron_store::MAX_LIMIT),
                    as_of: Some(Utc::now()),
                    ..Default::default()
                })
                .await?;
            if json {
                output::json(&serde_json::json!({ "items": items }))?;
            } else if items.is_empty() {
                eprintln!("no complaints");
            } else {
                for c in &items {
                    println!("{}", line(c));
                }
            }
        }
        ComplaintsCommand::Show { id, json } => {
            let d = match store.get_complaint(Scope::All, id, Utc::now()).await {
                Ok(d) => d,
                Err(StoreError::NotFound { .. }) => anyhow::bail!("there is no complaint #{id}"),
                Err(e) => return Err(e.into()),
            };
            print_detail(&d, json)?;
        }
        ComplaintsCommand::Add {
            customer,
            channel,
            summary,
            cause,
            details,
            json,
        } => {
            let channel = word::<Channel>("channel", &channel)?;
            let cause = cause
                .as_deref()
                .map(|c| word::<Cause>("cause", c))
                .transpose()?;
            let customer_id = super::resolve_customer(store, &customer).await?;
            let d = store
                .create_complaint(
                    None,
                    Scope::All,
                    ComplaintInput {
                        customer_id,
                        key_person_id: None,
                        order_id: None,
                        channel,
                        cause,
                        summary,
                        details,
                        owner_id: None,
                    },
                    // To the microsecond, as both databases keep it.
                    Utc::now().trunc_subsecs(6),
                )
                .await
                .map_err(explain)?;
            if !json {
                eprintln!(
                    "complaint #{} recorded; first reply due by {} UTC ({})",
                    d.complaint.id,
                    d.complaint.reply_due_at.format("%Y-%m-%d %H:%M"),
                    d.complaint
                        .owner_name
                        .as_deref()
                        .unwrap_or("nobody handles it yet")
                );
            }
            print_detail(&d, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
