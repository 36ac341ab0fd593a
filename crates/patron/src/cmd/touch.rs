//! Keeping in touch (METHOD §3.3) on the command line:
//!
//! * `patron templates list|add|render` — message templates for letters, cards, gifts and
//!   questionnaires, filled in for a customer (`--log` records it as sent);
//! * `patron events list|add|invite|reply|attend` — customer meetings and seminars;
//! * `patron requests list [--overdue] [--json] | add --customer ID --text T | reply ID --text T`
//!   — what customers voiced, each to be answered within 24 hours.
//!
//! The command line runs with the database owner's authority (every customer); `--as EMAIL`
//! records who did it.

use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDateTime, Utc};
use clap::Subcommand;
use patron_core::classify::AbcClass;
use patron_core::{CustomerId, InteractionKind, KeyPersonId, Scope, UserId};
use patron_store::touch::{
    EventInput, EventKind, InvitationChange, InvitationReply, ReplyInput, RequestInput,
    RequestKind, RequestQuery, TemplateInput, TemplateKind,
};
use patron_store::{Store, StoreError};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the templates (offered ones; --all with the retired).
    List {
        /// letter, card, gift or questionnaire.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add a template. Placeholders: {customer} {key_person} {date} {staff} {company}.
    Add {
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        /// en, zh-CN, zh-TW or ko.
        #[arg(long)]
        language: String,
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        body: String,
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Fill a template in for a customer; --log records it as sent (needs --as).
    Render {
        id: i64,
        /// The customer: reference, #ID or id.
        #[arg(long)]
        customer: String,
        #[arg(long, value_name = "ID")]
        key_person: Option<i64>,
        /// Who writes it ({staff}).
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
        #[arg(long)]
        log: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Upcoming events with their invitations counted (--past: all).
    List {
        #[arg(long)]
        past: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add an event.
    Add {
        /// meeting, seminar or other.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: String,
        /// "YYYY-MM-DD HH:MM" in UTC (or RFC 3339).
        #[arg(long)]
        starts: String,
        #[arg(long)]
        ends: Option<String>,
        #[arg(long)]
        place: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Invite customers (repeat --customer), or every customer of an ABC class (--class A).
    Invite {
        event: i64,
        #[arg(long)]
        customer: Vec<String>,
        /// A key person of the one customer given.
        #[arg(long, value_name = "ID")]
        key_person: Option<i64>,
        #[arg(long)]
        class: Option<String>,
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
    },
    /// Record a customer's reply: accepted, declined or pending.
    Reply {
        event: i64,
        #[arg(long)]
        customer: String,
        #[arg(long, value_name = "ID")]
        key_person: Option<i64>,
        #[arg(long)]
        reply: String,
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
    },
    /// Record that a customer attended (logs a meeting), or with --no that they did not.
    Attend {
        event: i64,
        #[arg(long)]
        customer: String,
        #[arg(long, value_name = "ID")]
        key_person: Option<i64>,
        #[arg(long)]
        no: bool,
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// Opinions and requests, unreplied first; overdue ones (over 24 hours) flagged.
    List {
        #[arg(long)]
        overdue: bool,
        /// Only those still waiting for a reply.
        #[arg(long)]
        open: bool,
        /// Only those this user must answer.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record what a customer voiced.
    Add {
        #[arg(long)]
        customer: String,
        #[arg(long)]
        text: String,
        /// opinion (default), request, praise or criticism.
        #[arg(long)]
        kind: Option<String>,
        /// When it was voiced, "YYYY-MM-DD HH:MM" UTC (default now).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_name = "ID")]
        key_person: Option<i64>,
        /// Who must reply (default the relationship manager, else the owner).
        #[arg(long, value_name = "EMAIL")]
        assign: Option<String>,
        /// Who took it down.
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Reply to a request (logged as an interaction, a call unless --kind).
    Reply {
        id: i64,
        #[arg(long)]
        text: String,
        #[arg(long)]
        kind: Option<String>,
        /// Who replied (default whoever must reply).
        #[arg(long, value_name = "EMAIL")]
        r#as: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// A validation error names the flag and says why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| {
                        // The flag that set the field.
                        let flag = match f.field.as_str() {
                            "starts_at" => "starts",
                            "ends_at" => "ends",
                            "voiced_at" => "at",
                            "assigned_to" => "assign",
                            "customer_id" => "customer",
                            "key_person_id" => "key-person",
                            other => other,
                        };
                        format!("--{}: {}", flag.replace('_', "-"), f.message)
                    })
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => other.into(),
    }
}

async fn user_id(store: &dyn Store, email: Option<&str>) -> anyhow::Result<Option<UserId>> {
    match email {
        None => Ok(None),
        Some(e) => Ok(Some(
            store
                .find_user(e)
                .await?
                .with_context(|| format!("--as: no user has the e-mail '{e}'"))?
                .id,
        )),
    }
}

/// "YYYY-MM-DD HH:MM" (UTC) or RFC 3339.
fn instant(flag: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .map(|n| n.and_utc())
        .with_context(|| format!("--{flag}: '{t}' is not a time (YYYY-MM-DD HH:MM, UTC)"))
}

pub async fn templates(settings: &Settings, c: TemplatesCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        TemplatesCommand::List { kind, all, json } => {
            let kind = kind
                .map(|k| {
                    TemplateKind::parse("kind", &k)
                        .map_err(|e| anyhow::anyhow!("--kind: {}", e.message))
                })
                .transpose()?;
            let list = store.list_templates(kind, !all).await?;
            if json {
                output::json(&list)?;
            } else if list.is_empty() {
                println!("no templates");
            } else {
                for t in &list {
                    println!(
                        "#{:<4} {:<13} {:<5} {}{}",
                        t.id,
                        t.kind.as_str(),
                        t.language,
                        t.name,
                        if t.active { "" } else { " (retired)" }
                    );
                }
            }
        }
        TemplatesCommand::Add {
            kind,
            name,
            language,
            subject,
            body,
            r#as,
            json,
        } => {
            let kind = TemplateKind::parse("kind", &kind)
                .map_err(|e| anyhow::anyhow!("--kind: {}", e.message))?;
            let by = user_id(store, r#as.as_deref()).await?;
            let t = store
                .create_template(
                    by,
                    TemplateInput {
                        kind,
                        name,
                        language,
                        subject,
                        body,
                        active: true,
                    },
                )
                .await
                .map_err(invalid)?;
            if json {
                output::json(&t)?;
            } else {
                println!("template #{} added", t.id);
            }
        }
        TemplatesCommand::Render {
            id,
            customer,
            key_person,
            r#as,
            log,
            json,
        } => {
            let cid = super::resolve_customer(store, &customer).await?;
            let by = user_id(store, r#as.as_deref()).await?;
            let kp = key_person.map(KeyPersonId);
            let (rendered, interaction) = if log {
                let Some(by) = by else {
                    bail!("--log needs --as EMAIL: who sent it");
                };
                let used = store.use_template(by, id, cid, kp).await.map_err(invalid)?;
                (used.rendered, Some(used.interaction_id))
            } else {
                (
                    store
                        .render_template(id, cid, kp, by)
                        .await
                        .map_err(invalid)?,
                    None,
                )
            };
            if json {
                output::json(
                    &serde_json::json!({"rendered": rendered, "interaction_id": interaction}),
                )?;
            } else {
                if let Some(s) = &rendered.subject {
                    println!("{s}\n");
                }
                println!("{}", rendered.body);
                if let Some(i) = interaction {
                    println!("\n(logged as {} #{i})", rendered.kind.as_str());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The invitation of `customer` (and key person) to `event`.
async fn invitation_of(
    store: &dyn Store,
    event: i64,
    customer: CustomerId,
    key_person: Option<i64>,
) -> anyhow::Result<i64> {
    store
        .list_invitations(event, Scope::All)
        .await?
        .into_iter()
        .find(|i| i.customer_id == customer && i.key_person_id.map(|k| k.0) == key_person)
        .map(|i| i.id)
        .with_context(|| format!("customer #{customer} is not invited to event #{event}"))
}

pub async fn events(settings: &Settings, c: EventsCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        EventsCommand::List { past, json } => {
            let list = store
                .list_events(Scope::All, (!past).then(Utc::now))
                .await?;
            if json {
                output::json(&list)?;
            } else if list.is_empty() {
                println!("no events");
            } else {
                for e in &list {
                    println!(
                        "#{:<4} {} {:<8} {}  invited {}, accepted {}, declined {}, attended {}",
                        e.id,
                        e.starts_at.format("%Y-%m-%d %H:%M UTC"),
                        e.kind.as_str(),
                        e.title,
                        e.invited,
                        e.accepted,
                        e.declined,
                        e.attended
                    );
                }
            }
        }
        EventsCommand::Add {
            kind,
            title,
            starts,
            ends,
            place,
            description,
            r#as,
            json,
        } => {
            let kind = EventKind::parse(&kind).with_context(|| {
                format!("--kind: '{kind}' is not one of: meeting, seminar, other")
            })?;
            let input = EventInput {
                kind,
                title,
                starts_at: instant("starts", &starts)?,
                ends_at: ends.as_deref().map(|e| instant("ends", e)).transpose()?,
                place,
                description,
            };
            let by = user_id(store, r#as.as_deref()).await?;
            let e = store.create_event(by, input).await.map_err(invalid)?;
            if json {
                output::json(&e)?;
            } else {
                println!("event #{} added", e.id);
            }
        }
        EventsCommand::Invite {
            event,
            customer,
            key_person,
            class,
            r#as,
        } => {
            if customer.is_empty() && class.is_none() {
                bail!("give --customer (repeatable) or --class");
            }
            if key_person.is_some() && customer.len() != 1 {
                bail!("--key-person goes with exactly one --customer");
            }
            let by = user_id(store, r#as.as_deref()).await?;
            let mut targets = Vec::new();
            for c in &customer {
                targets.push((
                    super::resolve_customer(store, c).await?,
                    key_person.map(KeyPersonId),
                ));
            }
            let mut rep = store
                .invite_to_event(by, event, &targets)
                .await
                .map_err(invalid)?;
            if let Some(class) = class {
                let class = AbcClass::parse(&class)
                    .with_context(|| format!("--class: '{class}' is not A, B or C"))?;
                let more = store
                    .invite_class_to_event(by, event, Scope::All, class)
                    .await?;
                rep.invited += more.invited;
                rep.already += more.already;
            }
            println!("{} invited, {} already invited", rep.invited, rep.already);
        }
        EventsCommand::Reply {
            event,
            customer,
            key_person,
            reply,
            r#as,
        } => {
            let reply = InvitationReply::parse(&reply).with_context(|| {
                format!("--reply: '{reply}' is not one of: accepted, declined, pending")
            })?;
            let cid = super::resolve_customer(store, &customer).await?;
            let inv = invitation_of(store, event, cid, key_person).await?;
            let by = user_id(store, r#as.as_deref()).await?;
            let i = store
                .change_invitation(
                    by,
                    inv,
                    InvitationChange {
                        reply: Some(reply),
                        attended: None,
                    },
                )
                .await?;
            println!("{}: {}", i.customer_name, i.reply.as_str());
        }
        EventsCommand::Attend {
            event,
            customer,
            key_person,
            no,
            r#as,
        } => {
            let cid = super::resolve_customer(store, &customer).await?;
            let inv = invitation_of(store, event, cid, key_person).await?;
            let by = user_id(store, r#as.as_deref()).await?;
            let i = store
                .change_invitation(
                    by,
                    inv,
                    InvitationChange {
                        reply: None,
                        attended: Some(!no),
                    },
                )
                .await
                .map_err(invalid)?;
            match i.interaction_id {
                Some(m) => println!("{}: attended (meeting #{m} logged)", i.customer_name),
                None => println!("{}: did not attend", i.customer_name),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn requests(settings: &Settings, c: RequestsCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        RequestsCommand::List {
            overdue,
            open,
            user,
            json,
        } => {
            let assigned_to = match user.as_deref() {
                None => None,
                Some(e) => Some(
                    store
                        .find_user(e)
                        .await?
                        .with_context(|| format!("--user: no user has the e-mail '{e}'"))?
                        .id,
                ),
            };
            let list = store
                .list_requests(&RequestQuery {
                    assigned_to,
                    open,
                    overdue,
                    limit: Some(patron_store::MAX_LIMIT),
                    ..Default::default()
                })
                .await?;
            if json {
                output::json(&list)?;
            } else if list.is_empty() {
                println!("no requests");
            } else {
                for r in &list {
                    let state = match (r.replied_at, r.overdue) {
                        (Some(t), _) => format!("replied {}", t.format("%Y-%m-%d %H:%M")),
                        (None, true) => "OVERDUE".to_owned(),
                        (None, false) => {
                            format!("due by {}", r.reply_due_at.format("%Y-%m-%d %H:%M"))
                        }
                    };
                    println!(
                        "#{:<4} {} {:<9} {} — {}  [{}{}]",
                        r.id,
                        r.voiced_at.format("%Y-%m-%d %H:%M"),
                        r.kind.as_str(),
                        r.customer_name,
                        r.text,
                        state,
                        r.assigned_to_name
                            .as_deref()
                            .map(|n| format!(", {n}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        RequestsCommand::Add {
            customer,
            text,
            kind,
            at,
            key_person,
            assign,
            r#as,
            json,
        } => {
            let kind = kind
                .map(|k| {
                    RequestKind::parse(&k).with_context(|| {
                        format!("--kind: '{k}' is not one of: opinion, request, praise, criticism")
                    })
                })
                .transpose()?;
            let cid = super::resolve_customer(store, &customer).await?;
            let by = user_id(store, r#as.as_deref()).await?;
            let assigned_to = match assign.as_deref() {
                None => None,
                Some(e) => Some(
                    store
                        .find_user(e)
                        .await?
                        .with_context(|| format!("--assign: no user has the e-mail '{e}'"))?
                        .id,
                ),
            };
            let r = store
                .create_request(
                    by,
                    RequestInput {
                        customer_id: cid,
                        key_person_id: key_person.map(KeyPersonId),
                        voiced_at: at.as_deref().map(|a| instant("at", a)).transpose()?,
                        kind,
                        text,
                        assigned_to,
                    },
                )
                .await
                .map_err(invalid)?;
            if json {
                output::json(&r)?;
            } else {
                println!(
                    "request #{} recorded; reply due by {} ({})",
                    r.id,
                    r.reply_due_at.format("%Y-%m-%d %H:%M UTC"),
                    r.assigned_to_name.as_deref().unwrap_or("nobody assigned")
                );
            }
        }
        RequestsCommand::Reply {
            id,
            text,
            kind,
            r#as,
            json,
        } => {
            let kind = kind
                .map(|k| {
                    InteractionKind::parse("kind", &k)
                        .map_err(|e| anyhow::anyhow!("--kind: {}", e.message))
                })
                .transpose()?;
            let by = match user_id(store, r#as.as_deref()).await? {
                Some(u) => u,
                None => store
                    .get_request(id)
                    .await?
                    .assigned_to
                    .context("--as EMAIL: nobody is assigned to reply to this request")?,
            };
            let r = store
                .reply_request(by, id, ReplyInput { text, kind })
                .await
                .map_err(invalid)?;
            if json {
                output::json(&r)?;
            } else {
                println!(
                    "request #{} replied{}",
                    r.id,
                    if r.replied_late {
                        " (more than 24 hours after it was voiced)"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
