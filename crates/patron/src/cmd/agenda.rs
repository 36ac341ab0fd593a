//! `patron agenda` (a user's agenda; done / snooze / dismiss) and `patron contact` (policy,
//! settings, compliance report) — the contact plan of METHOD §3.

use crate::cli::{AgendaArgs, AgendaCommand, ContactCommand};
use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use patron_core::classify::AbcClass;
use patron_core::contact::{ContactPolicy, ContactSettings, Frequency, POLICY_LEVELS};
use patron_core::{InteractionKind, User};
use patron_store::contact::{self, AgendaAction};
use patron_store::{Store, StoreError};
use serde::Serialize;
use std::process::ExitCode;

fn date(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag}: '{s}' is not a date (YYYY-MM-DD)"))
}

/// A validation error names the flag and says why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| match f.field.as_str() {
                        "key" => format!("KEY: {}", f.message),
                        flag => format!("--{flag}: {}", f.message),
                    })
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => other.into(),
    }
}

async fn user(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    store
        .find_user(email)
        .await?
        .with_context(|| format!("--user: no user has the e-mail '{email}'"))
}

/// One agenda item as `--json` prints it: the item plus whose it is.
#[derive(Serialize)]
struct Item<'a> {
    #[serde(flatten)]
    item: &'a patron_core::contact::AgendaItem,
    user_id: i64,
    user_email: &'a str,
}

#[derive(Serialize)]
struct AgendaOut<'a> {
    date: NaiveDate,
    time_zone: String,
    users: Vec<UserOut<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct UserOut<'a> {
    user_id: i64,
    email: &'a str,
    name: &'a str,
    counts: contact::AgendaCounts,
    a_without_relationship_manager: i64,
}

pub async fn agenda(settings: &Settings, a: AgendaArgs) -> anyhow::Result<ExitCode> {
    if let Some(cmd) = a.action {
        return act(settings, cmd).await;
    }
    let day = a.date.as_deref().map(|s| date("--date", s)).transpose()?;
    let store = super::open(settings).await?;
    let store = store.as_ref();
    let users: Vec<User> = match a.user.as_deref() {
        Some(email) => vec![user(store, email).await?],
        None => store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect(),
    };
    let mut agendas = Vec::with_capacity(users.len());
    for u in &users {
        agendas.push(contact::agenda(store, u, day).await?);
    }
    let cs = contact::load_settings(store).await?;
    let day = day.unwrap_or_else(|| contact::today(&cs));
    if a.json {
        let out = AgendaOut {
            date: day,
            time_zone: cs.time_zone.clone(),
            users: users
                .iter()
                .zip(&agendas)
                .map(|(u, ag)| UserOut {
                    user_id: u.id.0,
                    email: &u.email,
                    name: &u.name,
                    counts: ag.counts,
                    a_without_relationship_manager: ag.a_without_relationship_manager,
                })
                .collect(),
            items: users
                .iter()
                .zip(&agendas)
                .flat_map(|(u, ag)| {
                    ag.items.iter().map(move |item| Item {
                        item,
                        user_id: u.id.0,
                        user_email: &u.email,
                    })
                })
                .collect(),
        };
        output::json(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (u, ag) in users.iter().zip(&agendas) {
        if a.user.is_none() && ag.items.is_empty() {
            continue;
        }
        println!(
            "{} <{}> — agenda of {} ({}): {} overdue, {} today, {} this week, {} later",
            u.name,
            u.email,
            ag.date,
            ag.time_zone,
            ag.counts.overdue,
            ag.counts.today,
            ag.counts.week,
            ag.counts.later
        );
        if ag.a_without_relationship_manager > 0 {
            println!(
                "  ! {} A-class customers in this user's charge have no relationship manager",
                ag.a_without_relationship_manager
            );
        }
        let mut section = "";
        for i in &ag.items {
            if i.section != section {
                section = &i.section;
                println!("  {}:", section_title(section));
            }
            let due = if i.latest != i.due {
                format!("{} (latest {})", i.due, i.latest)
            } else {
                i.due.to_string()
            };
            println!(
                "    {:<15} {:<24} {}  {}{}",
                i.kind.as_str(),
                output::cell(&i.customer_name, 24),
                due,
                i.reason,
                if i.snoozed { " [snoozed]" } else { "" }
            );
            println!("    {:<15} key {}", "", i.key);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn section_title(s: &str) -> &'static str {
    match s {
        "overdue" => "Overdue",
        "today" => "Today",
        "week" => "This week",
        _ => "Later",
    }
}

async fn act(settings: &Settings, cmd: AgendaCommand) -> anyhow::Result<ExitCode> {
    let (key, email, action, json) = match cmd {
        AgendaCommand::Digest {
            user: email,
            date: day,
            send,
            due,
            json,
        } => {
            let store = super::open(settings).await?;
            let store = store.as_ref();
            if due {
                let done = patron_web::digest::run_due(store).await?;
                if json {
                    output::json(&serde_json::json!({ "digests": done }))?;
                } else if done.is_empty() {
                    println!("no digest is due now (off, before the send time, or all sent)");
                } else {
                    for o in done {
                        println!(
                            "{:<32} {:<8} {:>4} item(s) {}",
                            o.email,
                            o.status,
                            o.items,
                            o.error.unwrap_or_default()
                        );
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            let email = email.context("--user is required")?;
            let u = user(store, &email).await?;
            let day = day.as_deref().map(|s| date("--date", s)).transpose()?;
            let digest = contact::load_digest(store).await?;
            let mail = if send {
                if digest.smtp_host.is_empty() || digest.from.is_empty() {
                    anyhow::bail!(
                        "set the mail server and the sender first: patron contact digest --set …"
                    );
                }
                patron_web::digest::send_now(store, &digest, &u, day)
                    .await
                    .map_err(|e| anyhow::anyhow!("the digest could not be sent: {e}"))?
            } else {
                let agenda = contact::agenda(store, &u, day).await?;
                patron_web::digest::compose(store, &u, &agenda, &digest).await?
            };
            if json {
                output::json(&mail)?;
            } else {
                if send {
                    eprintln!("sent to {}", mail.to);
                }
                println!(
                    "To: {}\nSubject: {}\n\n{}",
                    mail.to, mail.subject, mail.body
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        AgendaCommand::Calendar {
            user: email,
            revoke,
            print,
        } => {
            let store = super::open(settings).await?;
            let store = store.as_ref();
            let u = user(store, &email).await?;
            if print {
                print!("{}", contact::calendar(store, &u).await?);
            } else if revoke {
                let n = store.revoke_calendar_feeds(u.id).await?;
                println!("{n} calendar feed(s) of {} revoked", u.email);
            } else {
                let secret = store.create_calendar_feed(u.id).await?;
                println!("/calendar/{secret}.ics");
                eprintln!(
                    "Append this path to the server's address (e.g. http://127.0.0.1:8080); \
                     an earlier feed of {} no longer works.",
                    u.email
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        AgendaCommand::Done {
            key,
            user,
            kind,
            outcome,
            json,
        } => {
            let kind = kind
                .as_deref()
                .map(|k| {
                    InteractionKind::parse("kind", k)
                        .map_err(|e| anyhow::anyhow!("--kind: {}", e.message))
                })
                .transpose()?;
            (
                key,
                user,
                AgendaAction::Done {
                    kind,
                    outcome,
                    notes: None,
                },
                json,
            )
        }
        AgendaCommand::Snooze {
            key,
            user,
            until,
            json,
        } => (
            key,
            user,
            AgendaAction::Snooze {
                until: date("--until", &until)?,
            },
            json,
        ),
        AgendaCommand::Dismiss {
            key,
            user,
            reason,
            json,
        } => (key, user, AgendaAction::Dismiss { reason }, json),
    };
    let store = super::open(settings).await?;
    let store = store.as_ref();
    let u = user(store, &email).await?;
    let done = contact::act(store, &u, &key, action)
        .await
        .map_err(invalid)?;
    if json {
        output::json(&done)?;
    } else {
        match done.interaction_id {
            Some(id) => println!("{}: {} (interaction #{id} logged)", done.key, done.action),
            None => println!("{}: {}", done.key, done.action),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads `--set`'s value: a file's contents when it names one, else the text itself.
fn json_arg(s: &str) -> anyhow::Result<String> {
    let p = std::path::Path::new(s);
    if !s.trim_start().starts_with('{') && p.is_file() {
        return std::fs::read_to_string(p)
            .with_context(|| format!("--set: reading {}", p.display()));
    }
    Ok(s.to_owned())
}

/// Applies `CELL=FREQUENCY` (`sales_representative.a.visit=3/month`) to a policy.
fn set_cell(p: &mut ContactPolicy, assignment: &str) -> anyhow::Result<()> {
    let Some((cell, value)) = assignment.split_once('=') else {
        bail!("--set: '{assignment}' is neither JSON nor CELL=FREQUENCY (e.g. sales_representative.a.visit=3/month)");
    };
    let parts: Vec<&str> = cell.trim().split('.').collect();
    let [level, class, what] = parts.as_slice() else {
        bail!("--set: '{cell}' is not LEVEL.CLASS.visit|call (e.g. business_manager.b.visit)");
    };
    let level = POLICY_LEVELS
        .into_iter()
        .find(|l| l.as_str() == *level)
        .with_context(|| format!("--set: '{level}' is not a staff level of the policy"))?;
    let class =
        AbcClass::parse(class).with_context(|| format!("--set: '{class}' is not A, B or C"))?;
    let freq = Frequency::parse_text(value).with_context(|| {
        format!("--set: '{value}' is not a frequency (3/month, 2-3/month, every 1-2 months, when_necessary, none)")
    })?;
    let row = p
        .level_mut(level)
        .with_context(|| format!("--set: {level} has no row"))?;
    let cad = row.for_class_mut(class);
    match *what {
        "visit" => cad.visit = freq,
        "call" => cad.call = freq,
        other => bail!("--set: '{other}' is not visit or call"),
    }
    Ok(())
}

fn print_policy(p: &ContactPolicy) {
    println!(
        "{:<22} {:<34} {:<34} {:<34}",
        "staff level", "A customers", "B customers", "C customers"
    );
    for level in POLICY_LEVELS {
        let Some(row) = p.level(level) else { continue };
        let cell = |c: AbcClass| {
            let cad = row.for_class(c);
            format!(
                "visit {}, call {}",
                cad.visit.describe(),
                cad.call.describe()
            )
        };
        println!(
            "{:<22} {:<34} {:<34} {:<34}",
            level.as_str(),
            cell(AbcClass::A),
            cell(AbcClass::B),
            cell(AbcClass::C)
        );
    }
}

pub async fn contact(settings: &Settings, c: ContactCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        ContactCommand::Policy { set, json } => {
            let mut p = contact::load_policy(store).await?;
            if let Some(s) = set {
                let text = json_arg(&s)?;
                if text.trim_start().starts_with('{') {
                    p = serde_json::from_str(&text).context("--set: not a policy in JSON")?;
                } else {
                    for a in text.split(',').filter(|a| !a.trim().is_empty()) {
                        set_cell(&mut p, a.trim())?;
                    }
                }
                contact::save_policy(store, &p).await.map_err(|e| match e {
                    StoreError::Invalid(v) => anyhow::anyhow!(
                        "--set: {}",
                        v.0.iter()
                            .map(|f| format!("{}: {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => other.into(),
                })?;
            }
            if json {
                output::json(&p)?;
            } else {
                print_policy(&p);
            }
        }
        ContactCommand::Settings { set } => {
            let mut s = contact::load_settings(store).await?;
            if let Some(v) = set {
                let text = json_arg(&v)?;
                s = serde_json::from_str::<ContactSettings>(&text).context(
                    "--set: not contact settings in JSON (see `patron contact settings`)",
                )?;
                contact::save_settings(store, &s).await.map_err(invalid)?;
                s = contact::load_settings(store).await?;
            }
            output::json(&s)?;
        }
        ContactCommand::Compliance {
            months,
            until,
            json,
        } => {
            let until = until.as_deref().map(|s| date("--until", s)).transpose()?;
            let rows = contact::compliance(store, until, months)
                .await
                .map_err(invalid)?;
            if json {
                output::json(&serde_json::json!({ "rows": rows }))?;
            } else {
                println!(
                    "{:<24} {:<22} {:<5} {:<7} {:>9} {:>11} {:>11} {:>10} {:>10}",
                    "person",
                    "level",
                    "class",
                    "month",
                    "customers",
                    "visits due",
                    "visits done",
                    "calls due",
                    "calls done"
                );
                for r in rows {
                    println!(
                        "{:<24} {:<22} {:<5} {:<7} {:>9} {:>11.1} {:>11} {:>10.1} {:>10}",
                        output::cell(&r.user_name, 24),
                        r.staff_level.as_str(),
                        r.class,
                        r.month,
                        r.customers,
                        r.visits_due,
                        r.visits_done,
                        r.calls_due,
                        r.calls_done
                    );
                }
            }
        }
        ContactCommand::Digest { set } => {
            let mut d = contact::load_digest(store).await?;
            if let Some(v) = set {
                let text = json_arg(&v)?;
                let mut new: patron_core::contact::DigestSettings = serde_json::from_str(&text)
                    .context("--set: not digest settings in JSON (see `patron contact digest`)")?;
                if !text.contains("\"password\"") {
                    new.password = None;
                }
                d = contact::save_digest(store, &new).await.map_err(invalid)?;
            }
            let password_set = d.password.take().is_some();
            let mut v = serde_json::to_value(&d)?;
            if let Some(m) = v.as_object_mut() {
                m.remove("password");
                m.insert("password_set".into(), password_set.into());
            }
            output::json(&v)?;
        }
        ContactCommand::Reassignments {
            from,
            to,
            role,
            class,
            as_user,
            json,
        } => {
            let scope = super::scope_as(store, as_user.as_deref()).await?;
            let filter = contact::ReassignmentFilter {
                from: from.as_deref().map(|s| date("--from", s)).transpose()?,
                to: to.as_deref().map(|s| date("--to", s)).transpose()?,
                role,
                class,
            };
            let rows = contact::reassignments(store, scope, &filter)
                .await
                .map_err(invalid)?;
            if json {
                output::json(&serde_json::json!({ "rows": rows }))?;
            } else {
                println!(
                    "{:<20} {:>8} {:<24} {:<5} {:<20} {:<20} {:<20} {:<20}",
                    "when (UTC)", "customer", "name", "class", "role", "from", "to", "by"
                );
                let who = |n: &Option<String>| n.clone().unwrap_or_else(|| "-".into());
                for r in rows {
                    println!(
                        "{:<20} {:>8} {:<24} {:<5} {:<20} {:<20} {:<20} {:<20}",
                        r.at.format("%Y-%m-%d %H:%M"),
                        r.customer_id.0,
                        output::cell(&r.customer_name, 24),
                        r.class.as_deref().unwrap_or("-"),
                        r.role,
                        output::cell(&who(&r.from_user_name), 20),
                        output::cell(&who(&r.to_user_name), 20),
                        output::cell(&who(&r.changed_by_name), 20)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
