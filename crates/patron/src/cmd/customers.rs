//! `patron customers list|show|add|edit`.

use crate::cli::{CustomerFields, CustomersCommand, ListArgs, SortArg};
use crate::output::{self, cell};
use crate::settings::Settings;
use anyhow::{bail, Context};
use patron_core::classify::{AbcClass, Loyalty, RfmSegment};
use patron_core::*;
use patron_store::{CustomerQuery, CustomerSort, Store};
use std::process::ExitCode;

pub async fn run(settings: &Settings, c: CustomersCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    match c {
        CustomersCommand::List(a) => list(store.as_ref(), a).await?,
        CustomersCommand::Locate(a) => return super::plans::locate(settings, a).await,
        CustomersCommand::Show(a) => {
            let id = super::resolve_customer(store.as_ref(), &a.customer).await?;
            let ov = store.customer_overview(id).await?;
            if a.json {
                output::json(&ov)?;
            } else {
                print_overview(&ov);
            }
        }
        CustomersCommand::Add(a) => {
            let name = a.fields.name.clone().context("--name is required")?;
            let mut input = CustomerInput {
                name,
                kind: CustomerKind::Person,
                ..Default::default()
            };
            apply_fields(store.as_ref(), &a.fields, &[], &mut input).await?;
            let c = store.create_customer(input).await.map_err(describe)?;
            if a.json {
                output::json(&c)?;
            } else {
                eprintln!("created customer {} ({})", c.id, c.name);
            }
        }
        CustomersCommand::Edit(a) => {
            let id = super::resolve_customer(store.as_ref(), &a.customer).await?;
            let mut input = CustomerInput::from(store.get_customer(id).await?);
            apply_fields(store.as_ref(), &a.fields, &a.clear, &mut input).await?;
            let c = store.update_customer(id, input).await.map_err(describe)?;
            if a.json {
                output::json(&c)?;
            } else {
                eprintln!("updated customer {} ({})", c.id, c.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns validation errors into one readable line naming each field.
fn describe(e: patron_store::StoreError) -> anyhow::Error {
    match e {
        patron_store::StoreError::Invalid(v) => anyhow::anyhow!("invalid customer: {v}"),
        e => e.into(),
    }
}

fn parse<T>(flag: &str, r: Result<T, FieldError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("--{flag}: {}", e.message))
}

async fn apply_fields(
    store: &dyn Store,
    f: &CustomerFields,
    clear: &[String],
    to: &mut CustomerInput,
) -> anyhow::Result<()> {
    if let Some(v) = &f.name {
        to.name.clone_from(v);
    }
    if let Some(v) = &f.kind {
        to.kind = parse("kind", CustomerKind::parse("kind", v))?;
    }
    for (slot, v) in [
        (&mut to.external_ref, &f.reference),
        (&mut to.phone, &f.phone),
        (&mut to.email, &f.email),
        (&mut to.address, &f.address),
        (&mut to.company, &f.company),
        (&mut to.fax, &f.fax),
        (&mut to.level, &f.level),
        (&mut to.source, &f.source),
        (&mut to.notes, &f.notes),
        (&mut to.churn_reason, &f.churn_reason),
    ] {
        if v.is_some() {
            slot.clone_from(v);
        }
    }
    if let Some(v) = &f.gender {
        to.gender = Some(parse("gender", Gender::parse("gender", v))?);
    }
    if let Some(v) = &f.birth_date {
        to.birth_date = Some(parse(
            "birth-date",
            patron_core::values::parse_date("birth_date", v, None),
        )?);
    }
    if let Some(v) = &f.stage {
        let s = parse("stage", LifecycleStage::parse("stage", v))?;
        to.stage = Some(s);
        if s != LifecycleStage::Lost && f.churn_reason.is_none() {
            to.churn_reason = None;
        }
    }
    if let Some(v) = &f.owner {
        to.owner_id = Some(super::resolve_user(store, v).await?);
    }
    if !f.tags.is_empty() {
        to.tags.clone_from(&f.tags);
    }
    for field in clear {
        match field.as_str() {
            "ref" => to.external_ref = None,
            "phone" => to.phone = None,
            "email" => to.email = None,
            "address" => to.address = None,
            "company" => to.company = None,
            "fax" => to.fax = None,
            "level" => to.level = None,
            "source" => to.source = None,
            "notes" => to.notes = None,
            "gender" => to.gender = None,
            "birth_date" => to.birth_date = None,
            "owner" => to.owner_id = None,
            "tags" => to.tags.clear(),
            other => bail!("--clear: '{other}' is not a field that can be cleared"),
        }
    }
    Ok(())
}

async fn list(store: &dyn Store, a: ListArgs) -> anyhow::Result<()> {
    let q = CustomerQuery {
        q: a.query.clone(),
        stage: a
            .stage
            .as_deref()
            .map(|s| parse("stage", LifecycleStage::parse("stage", s)))
            .transpose()?,
        owner_id: match &a.owner {
            Some(o) => Some(super::resolve_user(store, o).await?),
            None => None,
        },
        tag: a.tag.clone(),
        kind: a
            .kind
            .as_deref()
            .map(|k| parse("kind", CustomerKind::parse("kind", k)))
            .transpose()?,
        abc: a
            .abc
            .as_deref()
            .map(|v| {
                AbcClass::parse(v).ok_or_else(|| anyhow::anyhow!("--abc: '{v}' is not A, B or C"))
            })
            .transpose()?,
        segment: a
            .segment
            .as_deref()
            .map(|v| {
                RfmSegment::parse(v)
                    .ok_or_else(|| anyhow::anyhow!("--segment: '{v}' is not an RFM segment"))
            })
            .transpose()?,
        loyalty: a
            .loyalty
            .as_deref()
            .map(|v| {
                Loyalty::parse(v)
                    .ok_or_else(|| anyhow::anyhow!("--loyalty: '{v}' is not a loyalty class"))
            })
            .transpose()?,
        quadrant: a
            .quadrant
            .as_deref()
            .map(|v| {
                patron_core::classify::Quadrant::parse(v).ok_or_else(|| {
                    anyhow::anyhow!("--quadrant: '{v}' is not a quadrant of the loyalty matrix")
                })
            })
            .transpose()?,
        p_alive_max: match a.p_alive_max {
            Some(p) if !(p.is_finite() && (0.0..=1.0).contains(&p)) => {
                anyhow::bail!("--p-alive-max: {p} is not a probability between 0 and 1")
            }
            other => other,
        },
        clv_min: match a.clv_min {
            Some(v) if !v.is_finite() => anyhow::bail!("--clv-min: {v} is not a number"),
            other => other,
        },
        sort: match a.sort {
            SortArg::Id => CustomerSort::Id,
            SortArg::Name => CustomerSort::Name,
            SortArg::Created => CustomerSort::Created,
            SortArg::Updated => CustomerSort::Updated,
        },
        desc: a.desc,
        cursor: a.cursor.clone(),
        limit: Some(a.limit),
        // The command line acts with the database owner's authority.
        scope: patron_core::Scope::All,
    };
    let page = store.list_customers(&q).await.map_err(|e| match e {
        patron_store::StoreError::Invalid(v) => anyhow::anyhow!("{v}"),
        e => e.into(),
    })?;
    if a.json {
        return output::json(&page);
    }
    println!(
        "{}  {}  {}  {}  {}  E-MAIL",
        cell("ID", 8),
        cell("REF", 10),
        cell("NAME", 24),
        cell("STAGE", 10),
        cell("PHONE", 18),
    );
    for c in &page.items {
        println!(
            "{}  {}  {}  {}  {}  {}",
            cell(&c.id.to_string(), 8),
            cell(c.external_ref.as_deref().unwrap_or(""), 10),
            cell(&c.name, 24),
            cell(c.stage.as_str(), 10),
            cell(c.phone.as_deref().unwrap_or(""), 18),
            c.email.as_deref().unwrap_or("")
        );
    }
    if let Some(n) = &page.next_cursor {
        eprintln!("more: --cursor {n}");
    }
    Ok(())
}

fn print_overview(ov: &CustomerOverview) {
    let c = &ov.customer;
    println!(
        "{} #{} ({}, {})",
        c.name,
        c.id,
        c.kind.as_str(),
        c.stage.as_str()
    );
    for (label, v) in [
        ("ref", c.external_ref.clone()),
        ("phone", c.phone.clone()),
        ("e-mail", c.email.clone()),
        ("address", c.address.clone()),
        ("company", c.company.clone()),
        ("owner", c.owner_id.map(|o| o.to_string())),
        ("churn reason", c.churn_reason.clone()),
    ] {
        if let Some(v) = v {
            println!("  {label:<12} {v}");
        }
    }
    if !c.tags.is_empty() {
        println!("  {:<12} {}", "tags", c.tags.join(", "));
    }
    for w in &ov.warnings {
        println!("  ! {}", w.message);
    }
    let o = &ov.orders;
    println!(
        "Orders: {} (first {}, last {})",
        o.count,
        o.first_order_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into()),
        o.last_order_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    for m in &o.revenue_12m {
        println!(
            "  revenue last 12 months: {} {}",
            patron_core::money::format_minor(m.amount_minor, &m.currency),
            m.currency
        );
    }
    if !ov.key_persons.is_empty() {
        println!("Key persons:");
        for k in &ov.key_persons {
            println!(
                "  {} {} {} {}",
                k.name,
                k.title.as_deref().unwrap_or(""),
                k.phone.as_deref().or(k.mobile.as_deref()).unwrap_or(""),
                k.birthday
                    .map(|b| format!("birthday {}", b.format("%m-%d")))
                    .unwrap_or_default()
            );
        }
    }
    if !ov.recent_interactions.is_empty() {
        println!("Last contacts:");
        for i in &ov.recent_interactions {
            println!(
                "  {} {:<12} {}",
                i.occurred_at.format("%Y-%m-%d"),
                i.kind.as_str(),
                i.outcome.as_deref().unwrap_or("")
            );
        }
    }
}
