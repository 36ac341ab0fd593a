//! `patron credit review|pay|show|accounts|policy`: the credit system (METHOD §2.6) from the
//! command line — grant credit after a review, record payments, show a customer's credit and
//! balance, list every customer under credit management, and the default terms per class.
//!
//! Amounts are typed as people write them ("50,000", "1234.50") in the default currency and
//! printed in minor units with `--json`, like the API.

use crate::cli::{CreditCommand, CreditPayArgs, CreditPolicyArgs, CreditReviewArgs};
use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use patron_core::credit::{CreditClass, CreditPolicy, CreditReviewInput, PaymentInput};
use patron_core::money::format_minor;
use patron_core::{parse_amount, Currency, Permissions};
use patron_store::credit::{load_policy, save_policy};
use patron_store::{Store, StoreError};
use std::process::ExitCode;

fn date(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag}: '{s}' is not a date (YYYY-MM-DD)"))
}

fn amount(flag: &str, s: &str, currency: &Currency) -> anyhow::Result<i64> {
    parse_amount(flag, s, currency).map_err(|e| anyhow::anyhow!("{flag}: {}", e.message))
}

/// A validation error says which field (as the flag) and why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| format!("{}: {}", flag_of(&f.field), f.message))
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => other.into(),
    }
}

/// The flag a domain field is typed as.
fn flag_of(field: &str) -> String {
    match field {
        "limit_minor" => "--limit".into(),
        "deposit_minor" => "--deposit".into(),
        "amount_minor" => "AMOUNT".into(),
        "reviewed_on" | "paid_on" => "--date".into(),
        "term_days" => "--term-days".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// The user an `--as EMAIL` names.
async fn as_user(
    store: &dyn Store,
    email: Option<&str>,
) -> anyhow::Result<Option<patron_core::User>> {
    let Some(email) = email else { return Ok(None) };
    Ok(Some(store.find_user(email).await?.with_context(|| {
        format!("--as: no user has the e-mail '{email}'")
    })?))
}

pub async fn run(settings: &Settings, c: CreditCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        CreditCommand::Review(a) => review(store, a).await,
        CreditCommand::Pay(a) => pay(store, a).await,
        CreditCommand::Show(a) => show(store, &a.customer, a.json).await,
        CreditCommand::Accounts(a) => accounts(store, a.as_user.as_deref(), a.json).await,
        CreditCommand::Policy(a) => policy(store, a).await,
    }
}

async fn review(store: &dyn Store, a: CreditReviewArgs) -> anyhow::Result<ExitCode> {
    let currency = patron_store::classes::default_currency(store).await?;
    let class = CreditClass::parse_field("class", &a.class)
        .map_err(|e| anyhow::anyhow!("--class: {}", e.message))?;
    let input = CreditReviewInput {
        class: class.as_str().to_owned(),
        limit_minor: a
            .limit
            .as_deref()
            .map(|s| amount("--limit", s, &currency))
            .transpose()?,
        term_days: a.term_days,
        reviewed_on: a.date.as_deref().map(|s| date("--date", s)).transpose()?,
        deposit_minor: a
            .deposit
            .as_deref()
            .map(|s| amount("--deposit", s, &currency))
            .transpose()?,
        notes: a.notes,
    };
    let by = as_user(store, a.as_user.as_deref()).await?;
    if let Some(u) = &by {
        // Granting credit is a manager's decision; the record must not say otherwise.
        if !u.can_manage_credit() {
            bail!(
                "--as: {} is a sales representative; only business managers and above grant credit",
                u.email
            );
        }
    }
    let id = super::resolve_customer(store, &a.customer).await?;
    let r = store
        .record_credit_review(by.map(|u| u.id), id, input)
        .await
        .map_err(invalid)?;
    if a.json {
        output::json(&r)?;
    } else {
        println!(
            "customer #{}: credit class {} from {}, limit {} {}, {} days to pay",
            id,
            r.class,
            r.reviewed_on,
            format_minor(r.limit_minor, &currency),
            r.currency,
            r.term_days
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn pay(store: &dyn Store, a: CreditPayArgs) -> anyhow::Result<ExitCode> {
    let currency = patron_store::classes::default_currency(store).await?;
    let input = PaymentInput {
        amount_minor: amount("AMOUNT", &a.amount, &currency)?,
        paid_on: a.date.as_deref().map(|s| date("--date", s)).transpose()?,
        reference: a.reference,
        notes: a.notes,
    };
    let by = as_user(store, a.as_user.as_deref()).await?;
    let id = super::resolve_customer(store, &a.customer).await?;
    let p = store
        .record_payment(by.map(|u| u.id), id, input)
        .await
        .map_err(invalid)?;
    if a.json {
        output::json(&p)?;
    } else {
        println!(
            "customer #{}: payment of {} {} on {} recorded (#{})",
            id,
            format_minor(p.amount_minor, &currency),
            p.currency,
            p.paid_on,
            p.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(store: &dyn Store, customer: &str, json: bool) -> anyhow::Result<ExitCode> {
    let id = super::resolve_customer(store, customer).await?;
    let credit = store.customer_credit(id).await?;
    let reviews = store.credit_reviews(id).await?;
    let payments = store.list_payments(id, 500).await?;
    let overrides = store.credit_overrides(id, 500).await?;
    if json {
        output::json(&serde_json::json!({
            "customer_id": id,
            "credit": credit,
            "reviews": reviews,
            "payments": payments,
            "overrides": overrides,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(k) = credit else {
        println!("customer #{id} is not under credit management (no credit review yet)");
        return Ok(ExitCode::SUCCESS);
    };
    let cur = Currency::parse("currency", &k.currency).unwrap_or_default();
    let m = |v: i64| format!("{} {}", format_minor(v, &cur), cur);
    let b = &k.balance;
    println!(
        "customer #{id}: credit class {}, limit {}, {} days to pay (reviewed {}, counted from {})",
        k.class,
        m(k.limit_minor),
        k.term_days,
        k.reviewed_on,
        k.since
    );
    println!("  outstanding  {}", m(b.outstanding_minor));
    match b.oldest_overdue_due {
        Some(due) => println!(
            "  overdue      {} ({} days, due {due})",
            m(b.overdue_minor),
            b.days_overdue
        ),
        None => println!("  overdue      none"),
    }
    println!("  available    {}", m(k.available_minor));
    for p in payments.iter().take(10) {
        println!(
            "  paid {}  {}  {}",
            p.paid_on,
            m(p.amount_minor),
            p.reference.as_deref().unwrap_or("")
        );
    }
    for o in &overrides {
        println!(
            "  override {}  {} over the limit by {}: {}",
            o.at.format("%Y-%m-%d"),
            o.user_name.as_deref().unwrap_or("(command line)"),
            m(o.over_limit_minor),
            o.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn accounts(
    store: &dyn Store,
    as_user: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let scope = super::scope_as(store, as_user).await?;
    let as_of = chrono::Utc::now().date_naive();
    let items = store.credit_accounts_as_of(scope, as_of).await?;
    if json {
        output::json(&serde_json::json!({ "as_of": as_of, "items": items }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if items.is_empty() {
        eprintln!("no customer is under credit management");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>8}  {}  {:<5} {:>16} {:>16} {:>16} {:>6}",
        "id",
        output::cell("name", 24),
        "class",
        "limit",
        "outstanding",
        "overdue",
        "days"
    );
    for a in &items {
        let cur = Currency::parse("currency", &a.currency).unwrap_or_default();
        println!(
            "{:>8}  {}  {:<5} {:>16} {:>16} {:>16} {:>6}",
            a.customer_id.0,
            output::cell(&a.name, 24),
            a.class.as_str(),
            format_minor(a.limit_minor, &cur),
            format_minor(a.outstanding_minor, &cur),
            format_minor(a.overdue_minor, &cur),
            a.days_overdue
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets one term of the policy: `AA.limit=50,000` (an amount) or `AA.term_days=45`.
fn set_term(p: &mut CreditPolicy, assignment: &str, currency: &Currency) -> anyhow::Result<()> {
    let Some((key, value)) = assignment.split_once('=') else {
        bail!("--set: '{assignment}' is not CLASS.limit=AMOUNT or CLASS.term_days=DAYS");
    };
    let Some((class, term)) = key.trim().split_once('.') else {
        bail!("--set: '{key}' is not CLASS.limit or CLASS.term_days");
    };
    let class = CreditClass::parse(class)
        .with_context(|| format!("--set: '{class}' is not AAA, AA, A or none"))?;
    let t = match class {
        CreditClass::Aaa => &mut p.aaa,
        CreditClass::Aa => &mut p.aa,
        CreditClass::A => &mut p.a,
        CreditClass::None => &mut p.none,
    };
    match term.trim() {
        "limit" => t.limit_minor = amount("--set", value, currency)?,
        "term_days" => {
            t.term_days = value
                .trim()
                .parse()
                .with_context(|| format!("--set: '{value}' is not a number of days"))?
        }
        other => bail!("--set: '{other}' is not limit or term_days"),
    }
    Ok(())
}

async fn policy(store: &dyn Store, a: CreditPolicyArgs) -> anyhow::Result<ExitCode> {
    let currency = patron_store::classes::default_currency(store).await?;
    let mut p = if a.reset {
        CreditPolicy::defaults(currency.minor_digits())
    } else {
        load_policy(store).await?
    };
    for s in &a.set {
        set_term(&mut p, s, &currency)?;
    }
    if a.reset || !a.set.is_empty() {
        if let Err(e) = p.validate() {
            bail!("{}: {}", e.field, e.message);
        }
        save_policy(store, &p).await?;
    }
    if a.json {
        output::json(&serde_json::json!({ "currency": currency, "policy": p }))?;
    } else {
        for c in CreditClass::ALL {
            let t = p.terms(c);
            println!(
                "{:<5} limit {:>16} {}  {:>4} days",
                c.as_str(),
                format_minor(t.limit_minor, &currency),
                currency,
                t.term_days
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_terms_are_set_by_class_and_name() {
        let usd = Currency::default();
        let mut p = CreditPolicy::default();
        set_term(&mut p, "AA.limit=60,000", &usd).expect("limit");
        set_term(&mut p, "aa.term_days = 20", &usd).expect("term");
        assert_eq!((p.aa.limit_minor, p.aa.term_days), (6_000_000, 20));
        for bad in [
            "AA=1",
            "B.limit=1",
            "AA.limit=lots",
            "AA.days=3",
            "A.term_days=-1",
        ] {
            assert!(set_term(&mut p, bad, &usd).is_err(), "{bad}");
        }
        assert_eq!(flag_of("limit_minor"), "--limit");
        assert_eq!(flag_of("notes"), "--notes");
    }
}
