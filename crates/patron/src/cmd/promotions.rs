//! `patron promotions` (METHOD §7): list, show, add and change promotions run with customers,
//! their participants and attitude, and evaluate expected against actual effect from the
//! participants' orders. Amounts are typed in major units of the promotion's currency
//! ("12,000.50"), the gross margin in percent ("30", "27.5"). `--as EMAIL` narrows what is seen
//! to that user's scope (and records them as the author); without it the command line, as the
//! database's operator, sees every promotion and participant.

use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use patron_core::money::format_minor;
use patron_core::promotion::{
    Attitude, Baseline, CostInput, CostKind, Evaluation, Expectation, ParticipantChange,
    ParticipantInput, PromotionInput, PromotionStatus, Word,
};
use patron_core::{parse_amount, Currency, Scope, UserId};
use patron_store::promotions::PromotionDetail;
use patron_store::{Store, StoreError};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PromotionsCommand {
    /// The promotions (latest start first) with their cost and expected net effect.
    List(ListArgs),
    /// One promotion: terms, cost lines, expectation and participants.
    Show(ShowArgs),
    /// Create a promotion (status planned).
    Add(AddArgs),
    /// Change a promotion's status; running and done need a participant who did not refuse.
    Status(StatusArgs),
    /// Delete a promotion with its cost lines and participants (orders are not touched).
    Delete(ShowArgs),
    /// Add, change or remove a participant.
    #[command(subcommand)]
    Participant(ParticipantCommand),
    /// Expected against actual: the participants' orders in the period against the baseline.
    Evaluate(EvaluateArgs),
    /// Print, or with a value set, the gross margin (%) promotions get when they name none.
    DefaultMargin(DefaultMarginArgs),
}

#[derive(Debug, Args)]
pub struct Common {
    /// See what this user sees (e-mail), and act as them.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only promotions of this status.
    #[arg(long, value_parser = ["planned", "running", "done", "cancelled"])]
    pub status: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The promotion's id.
    pub id: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    pub name: String,
    /// First day, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub starts: String,
    /// Last day (inclusive), YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub ends: String,
    #[arg(long)]
    pub description: Option<String>,
    /// Default: the shop's default currency.
    #[arg(long)]
    pub currency: Option<String>,
    /// The budget set aside.
    #[arg(long, value_name = "AMOUNT")]
    pub budget: Option<String>,
    /// The extra sales expected.
    #[arg(long = "expected-extra", value_name = "AMOUNT")]
    pub expected_extra: Option<String>,
    /// Gross margin on the extra sales in percent (default: `patron promotions default-margin`).
    #[arg(long, value_name = "PERCENT")]
    pub margin: Option<String>,
    /// What the evaluation compares with by default.
    #[arg(long, value_parser = ["preceding", "previous_year"])]
    pub baseline: Option<String>,
    /// A cost line, KIND=AMOUNT or KIND=AMOUNT:DESCRIPTION; KIND is material_discount, gift,
    /// advertising, display, staff or other. Repeat for several lines.
    #[arg(long = "cost", value_name = "KIND=AMOUNT[:WHAT]")]
    pub costs: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub id: i64,
    #[arg(value_parser = ["planned", "running", "done", "cancelled"])]
    pub status: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
    /// Add a customer to a promotion.
    Add(ParticipantArgs),
    /// Record a participant's attitude or notes.
    Set(ParticipantArgs),
    /// Remove a customer from a promotion.
    Remove(ParticipantArgs),
}

#[derive(Debug, Args)]
pub struct ParticipantArgs {
    /// The promotion's id.
    pub id: i64,
    /// Customer reference, or id (#ID forces an id).
    #[arg(long)]
    pub customer: String,
    #[arg(long, value_parser = ["enthusiastic", "positive", "neutral", "reluctant", "refused"])]
    pub attitude: Option<String>,
    /// What they said about it, their suggestions.
    #[arg(long)]
    pub notes: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    pub id: i64,
    /// Default: the promotion's own choice.
    #[arg(long, value_parser = ["preceding", "previous_year"])]
    pub baseline: Option<String>,
    /// The day of the evaluation, YYYY-MM-DD (default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct DefaultMarginArgs {
    /// The new default in percent (0–100).
    pub percent: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// The domain's field names as the flags that carry them.
fn flag_of(field: &str) -> String {
    match field {
        "starts_on" => "--starts".into(),
        "ends_on" => "--ends".into(),
        "budget_minor" => "--budget".into(),
        "expected_extra_sales_minor" => "--expected-extra".into(),
        "gross_margin_bp" => "--margin".into(),
        "customer_id" => "--customer".into(),
        f if f.starts_with("costs[") => {
            let n = f
                .trim_start_matches("costs[")
                .split(']')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .map_or(0, |n| n + 1);
            format!("--cost #{n}")
        }
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// A validation error names the flag and says why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| format!("{}: {}", flag_of(&f.field), f.message))
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        StoreError::Conflict {
            field: Some(f),
            message,
        } => anyhow::anyhow!("{}: {message}", flag_of(&f)),
        other => other.into(),
    }
}

fn date(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag}: '{s}' is not a date (YYYY-MM-DD)"))
}

fn amount(flag: &str, s: &str, cur: &Currency) -> anyhow::Result<i64> {
    parse_amount(flag, s, cur).map_err(|e| anyhow::anyhow!("{flag}: {}", e.message))
}

/// A percentage typed as "30", "27.5" or "30%" in basis points.
fn percent(flag: &str, s: &str) -> anyhow::Result<i64> {
    let t = s.trim().trim_end_matches('%').trim().replace(',', ".");
    let v: f64 = t
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .with_context(|| format!("{flag}: '{s}' is not a percentage"))?;
    Ok((v * 100.0).round() as i64)
}

fn money(m: i64, cur: &Currency) -> String {
    format!("{} {}", format_minor(m, cur), cur.as_str())
}

fn pct_bp(bp: u32) -> String {
    format!("{}%", f64::from(bp) / 100.0)
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{:.1}%", r * 100.0))
}

/// The user of `--as` (must exist and be active) with their scope; the operator otherwise.
async fn who(store: &dyn Store, email: Option<&str>) -> anyhow::Result<(Option<UserId>, Scope)> {
    let scope = super::scope_as(store, email).await?;
    let id = match email {
        None => None,
        Some(e) => store.find_user(e).await?.map(|u| u.id),
    };
    Ok((id, scope))
}

fn print_expectation(e: &Expectation, cur: &Currency) {
    println!("  budget:                 {}", money(e.budget_minor, cur));
    println!("  cost:                   {}", money(e.cost_minor, cur));
    for k in &e.cost_by_kind {
        println!("    {:<20} {}", k.kind.as_str(), money(k.amount_minor, cur));
    }
    println!(
        "  budget left:            {}{}",
        money(e.budget_left_minor, cur),
        if e.over_budget { " (over budget)" } else { "" }
    );
    println!(
        "  expected extra sales:   {}",
        money(e.expected_extra_sales_minor, cur)
    );
    println!("  gross margin:           {}", pct_bp(e.gross_margin_bp));
    println!(
        "  expected gross profit:  {}",
        money(e.expected_gross_profit_minor, cur)
    );
    println!(
        "  expected net effect:    {}",
        money(e.expected_net_effect_minor, cur)
    );
    println!(
        "  break-even extra sales: {}",
        e.break_even_extra_sales_minor
            .map_or_else(|| "none (zero margin)".into(), |m| money(m, cur))
    );
}

fn print_detail(d: &PromotionDetail) {
    let p = &d.promotion;
    println!(
        "#{} {} [{}] {} – {} ({} days), {}",
        p.id,
        p.name,
        p.status.as_str(),
        p.starts_on,
        p.ends_on,
        patron_core::promotion::days(p.starts_on, p.ends_on),
        p.currency
    );
    if let Some(desc) = &p.description {
        println!("  {desc}");
    }
    println!("cost lines:");
    for c in &p.costs {
        println!(
            "  {}. {:<18} {:>16}  {}",
            c.line_no,
            c.kind.as_str(),
            money(c.amount_minor, &p.currency),
            c.description.as_deref().unwrap_or("")
        );
    }
    println!("expectation:");
    print_expectation(&p.expectation, &p.currency);
    println!("participants:");
    for x in &d.participants {
        println!(
            "  #{} {} — {}{}",
            x.customer_id,
            x.customer_name,
            x.attitude.as_str(),
            x.notes
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
    }
    if d.hidden_participants > 0 {
        println!("  ({} more outside your scope)", d.hidden_participants);
    }
}

fn print_evaluation(ev: &Evaluation) {
    let cur = &ev.currency;
    match (ev.period, ev.baseline_period) {
        (Some(p), Some(b)) => println!(
            "orders of {} – {} against {} – {} ({}, {} days each){}",
            p.from,
            p.to,
            b.from,
            b.to,
            ev.baseline.as_str(),
            p.days(),
            if ev.complete { "" } else { "; still running" }
        ),
        _ => println!("not started on {}: nothing to measure yet", ev.as_of),
    }
    println!(
        "{:<32} {:>18} {:>18} {:>10}",
        "", "expected", "actual", "ratio"
    );
    let x = &ev.expected;
    let a = &ev.actual;
    for (label, e, v, r) in [
        (
            "extra sales",
            x.expected_extra_sales_minor,
            a.extra_sales_minor,
            a.extra_sales_ratio,
        ),
        (
            "extra gross profit",
            x.expected_gross_profit_minor,
            a.gross_profit_minor,
            patron_core::promotion::ratio(a.gross_profit_minor, x.expected_gross_profit_minor),
        ),
        (
            "net effect (after cost)",
            x.expected_net_effect_minor,
            a.net_effect_minor,
            a.net_effect_ratio,
        ),
    ] {
        println!(
            "{:<32} {:>18} {:>18} {:>10}",
            label,
            money(e, cur),
            money(v, cur),
            pct(r)
        );
    }
    println!(
        "cost {}; {} participant(s) counted; {}",
        money(x.cost_minor, cur),
        a.participants_counted,
        if a.broke_even {
            "the extra gross profit covered the cost"
        } else {
            "the extra gross profit did not cover the cost"
        }
    );
    if a.other_currency_orders > 0 {
        println!(
            "{} order(s) in other currencies not counted",
            a.other_currency_orders
        );
    }
    println!("by participant:");
    for p in &ev.participants {
        println!(
            "  #{:<6} {} {:<12} period {:>16} ({} order(s))  baseline {:>16} ({} order(s))  extra {:>16}{}",
            p.customer_id.0,
            output::cell(&p.customer_name, 24),
            p.attitude.as_str(),
            money(p.period_minor, cur),
            p.period_orders,
            money(p.baseline_minor, cur),
            p.baseline_orders,
            money(p.extra_sales_minor, cur),
            if p.counted { "" } else { "  (refused: not counted)" }
        );
    }
}

pub async fn run(settings: &Settings, c: PromotionsCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        PromotionsCommand::List(a) => {
            let (_, scope) = who(store, a.common.as_user.as_deref()).await?;
            let status = a.status.as_deref().and_then(PromotionStatus::parse);
            let items = store.list_promotions(scope, status).await?;
            if a.common.json {
                output::json(&serde_json::json!({ "items": items }))?;
            } else if items.is_empty() {
                eprintln!("no promotions");
            } else {
                for p in &items {
                    println!(
                        "#{:<5} {} {:<9} {} – {}  {:>3} participant(s)  cost {:>16}  expected net {:>16}",
                        p.id,
                        output::cell(&p.name, 28),
                        p.status.as_str(),
                        p.starts_on,
                        p.ends_on,
                        p.participants,
                        money(p.expectation.cost_minor, &p.currency),
                        money(p.expectation.expected_net_effect_minor, &p.currency),
                    );
                }
            }
        }
        PromotionsCommand::Show(a) => {
            let (_, scope) = who(store, a.common.as_user.as_deref()).await?;
            let d = store
                .get_promotion(a.id, scope)
                .await
                .with_context(|| format!("promotion #{}", a.id))?;
            if a.common.json {
                output::json(&d)?;
            } else {
                print_detail(&d);
            }
        }
        PromotionsCommand::Add(a) => {
            let (by, _) = who(store, a.common.as_user.as_deref()).await?;
            let currency = match a.currency.as_deref() {
                Some(c) => Currency::parse("currency", c)
                    .map_err(|e| anyhow::anyhow!("--currency: {}", e.message))?,
                None => store
                    .get_setting("default_currency")
                    .await?
                    .and_then(|c| Currency::parse("currency", &c).ok())
                    .unwrap_or_default(),
            };
            let mut costs = Vec::new();
            for spec in &a.costs {
                let (kind, rest) = spec
                    .split_once('=')
                    .with_context(|| format!("--cost: '{spec}' is not KIND=AMOUNT[:WHAT]"))?;
                let kind = CostKind::parse(kind).with_context(|| {
                    let kinds: Vec<&str> = CostKind::ALL.iter().map(|k| k.as_str()).collect();
                    format!("--cost: '{kind}' is not one of {}", kinds.join(", "))
                })?;
                let (amt, what) = match rest.split_once(':') {
                    Some((a, w)) => (a, Some(w.to_owned())),
                    None => (rest, None),
                };
                costs.push(CostInput {
                    kind,
                    description: what,
                    amount_minor: amount("--cost", amt, &currency)?,
                });
            }
            let input = PromotionInput {
                name: a.name,
                description: a.description,
                starts_on: date("--starts", &a.starts)?,
                ends_on: date("--ends", &a.ends)?,
                currency: Some(currency.clone()),
                budget_minor: a
                    .budget
                    .as_deref()
                    .map(|s| amount("--budget", s, &currency))
                    .transpose()?
                    .unwrap_or(0),
                expected_extra_sales_minor: a
                    .expected_extra
                    .as_deref()
                    .map(|s| amount("--expected-extra", s, &currency))
                    .transpose()?
                    .unwrap_or(0),
                gross_margin_bp: a
                    .margin
                    .as_deref()
                    .map(|s| percent("--margin", s))
                    .transpose()?,
                status: None,
                baseline: a.baseline.as_deref().and_then(Baseline::parse),
                costs,
            };
            let d = store.create_promotion(by, input).await.map_err(invalid)?;
            if a.common.json {
                output::json(&d)?;
            } else {
                print_detail(&d);
            }
        }
        PromotionsCommand::Status(a) => {
            let (_, scope) = who(store, a.common.as_user.as_deref()).await?;
            let d = store
                .get_promotion(a.id, scope)
                .await
                .with_context(|| format!("promotion #{}", a.id))?;
            let p = d.promotion;
            let input = PromotionInput {
                name: p.name,
                description: p.description,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
                currency: Some(p.currency),
                budget_minor: p.budget_minor,
                expected_extra_sales_minor: p.expected_extra_sales_minor,
                gross_margin_bp: Some(i64::from(p.gross_margin_bp)),
                status: PromotionStatus::parse(&a.status),
                baseline: Some(p.baseline),
                costs: p
                    .costs
                    .into_iter()
                    .map(|c| CostInput {
                        kind: c.kind,
                        description: c.description,
                        amount_minor: c.amount_minor,
                    })
                    .collect(),
            };
            let d = store
                .update_promotion(a.id, scope, input)
                .await
                .map_err(invalid)?;
            if a.common.json {
                output::json(&d)?;
            } else {
                println!("promotion #{} is {}", a.id, d.promotion.status.as_str());
            }
        }
        PromotionsCommand::Delete(a) => {
            let (_, scope) = who(store, a.common.as_user.as_deref()).await?;
            store
                .delete_promotion(a.id, scope)
                .await
                .with_context(|| format!("promotion #{}", a.id))?;
            eprintln!("promotion #{} deleted", a.id);
        }
        PromotionsCommand::Participant(p) => return participant(store, p).await,
        PromotionsCommand::Evaluate(a) => {
            let (_, scope) = who(store, a.common.as_user.as_deref()).await?;
            let as_of = match a.date.as_deref() {
                Some(s) => date("--date", s)?,
                None => chrono::Utc::now().date_naive(),
            };
            let baseline = a.baseline.as_deref().and_then(Baseline::parse);
            let ev = store
                .evaluate_promotion(a.id, scope, baseline, as_of)
                .await
                .with_context(|| format!("promotion #{}", a.id))?;
            if a.common.json {
                output::json(&ev)?;
            } else {
                print_evaluation(&ev);
            }
        }
        PromotionsCommand::DefaultMargin(a) => {
            let bp = match a.percent.as_deref() {
                Some(s) => patron_store::promotions::set_default_margin_bp(
                    store,
                    "gross_margin_bp",
                    percent("PERCENT", s)?,
                )
                .await
                .map_err(|e| match e {
                    StoreError::Invalid(_) => anyhow::anyhow!("PERCENT: must be between 0 and 100"),
                    other => other.into(),
                })?,
                None => patron_store::promotions::default_margin_bp(store).await?,
            };
            if a.json {
                output::json(&serde_json::json!({ "gross_margin_bp": bp }))?;
            } else {
                println!("default gross margin of promotions: {}", pct_bp(bp));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn participant(store: &dyn Store, c: ParticipantCommand) -> anyhow::Result<ExitCode> {
    let (a, action) = match c {
        ParticipantCommand::Add(a) => (a, "add"),
        ParticipantCommand::Set(a) => (a, "set"),
        ParticipantCommand::Remove(a) => (a, "remove"),
    };
    let (by, scope) = who(store, a.common.as_user.as_deref()).await?;
    let customer = super::resolve_customer(store, &a.customer)
        .await
        .context("--customer")?;
    let attitude = a.attitude.as_deref().and_then(Attitude::parse);
    let done = match action {
        "add" => Some(
            store
                .add_promotion_participant(
                    by,
                    a.id,
                    scope,
                    ParticipantInput {
                        customer_id: customer,
                        attitude,
                        notes: a.notes,
                    },
                )
                .await
                .map_err(invalid)?,
        ),
        "set" => Some(
            store
                .change_promotion_participant(
                    a.id,
                    customer,
                    scope,
                    ParticipantChange {
                        attitude,
                        notes: a.notes,
                    },
                )
                .await
                .map_err(invalid)?,
        ),
        _ => {
            store
                .remove_promotion_participant(a.id, customer, scope)
                .await
                .map_err(invalid)?;
            None
        }
    };
    match done {
        Some(p) if a.common.json => output::json(&p)?,
        Some(p) => println!(
            "promotion #{}: #{} {} — {}",
            a.id,
            p.customer_id,
            p.customer_name,
            p.attitude.as_str()
        ),
        None if a.common.json => output::json(&serde_json::json!({"removed": customer}))?,
        None => println!("promotion #{}: customer #{customer} removed", a.id),
    }
    Ok(ExitCode::SUCCESS)
}
