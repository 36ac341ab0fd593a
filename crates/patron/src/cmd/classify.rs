//! `patron classify` and `patron classes movement|rules`: dynamic classification (METHOD §2).
//!
//! The run itself is `patron_store::classes::run_classification`, the same call the server's
//! schedule and the web UI's button make, so all three classify alike.

use crate::cli::{ClassesCommand, ClassifyArgs, MovementArgs, RulesArgs};
use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use patron_core::classify::{ClassRules, Dimension};
use patron_store::classes::{load_rules, run_classification, save_rules};
use std::process::ExitCode;

fn date(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag}: '{s}' is not a date (YYYY-MM-DD)"))
}

pub async fn classify(settings: &Settings, a: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let as_of = a.as_of.as_deref().map(|s| date("--as-of", s)).transpose()?;
    let store = super::open(settings).await?;
    let t = std::time::Instant::now();
    let r = run_classification(store.as_ref(), as_of).await?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "classify: done");
    if a.json {
        output::json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "classified {} customers as of {} ({}, {}-month window, {}){}",
        r.customers,
        r.as_of,
        r.method,
        r.window_months,
        r.currency,
        if r.current {
            ""
        } else {
            "; history only — a later day is already classified"
        }
    );
    let cur = patron_core::Currency::parse("currency", &r.currency).unwrap_or_default();
    for (class, n) in &r.abc {
        let rev = r.revenue_by_abc.get(class).copied().unwrap_or(0);
        println!(
            "  {class}  {n:>9} customers  {:>16} {}",
            patron_core::money::format_minor(rev, &cur),
            r.currency
        );
    }
    let line = |title: &str, m: &std::collections::BTreeMap<String, u64>| {
        let parts: Vec<String> = m
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!("  {title}: {}", parts.join(", "));
    };
    if !r.territories.is_empty() {
        println!("  territories:");
        for t in &r.territories {
            println!(
                "    {}  {:<24} {:>6} customers  {}",
                t.class.as_str(),
                t.territory,
                t.customers,
                t.reason.describe(t.class, &cur)
            );
        }
    }
    line("loyalty", &r.loyalty);
    line("RFM", &r.rfm);
    line("changes", &r.changes_by_dimension);
    println!("  {} changes of class recorded", r.changes);
    if r.current {
        println!(
            "  {} of {} customers' current classes rewritten (the rest unchanged)",
            r.rows_written, r.customers
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn classes(settings: &Settings, c: ClassesCommand) -> anyhow::Result<ExitCode> {
    match c {
        ClassesCommand::Movement(a) => movement(settings, a).await,
        ClassesCommand::Rules(a) => rules(settings, a).await,
    }
}

async fn movement(settings: &Settings, a: MovementArgs) -> anyhow::Result<ExitCode> {
    let from = date("--from", &a.from)?;
    let to = date("--to", &a.to)?;
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let Some(dim) = Dimension::parse(a.dimension.trim()) else {
        bail!("--dimension: '{}' is not abc, loyalty or rfm", a.dimension);
    };
    let store = super::open(settings).await?;
    let cells = store.class_movement(dim, from, to).await?;
    if a.json {
        output::json(&serde_json::json!({
            "dimension": dim,
            "from": from,
            "to": to,
            "movement": cells,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let classes = dim.classes();
    let mut rows: Vec<Option<&str>> = vec![None];
    rows.extend(classes.iter().map(|c| Some(*c)));
    println!("{} on {from} (rows) → on {to} (columns)", dim.as_str());
    let w = classes.iter().map(|c| c.len()).max().unwrap_or(1).max(6) + 2;
    print!("{:<20}", "");
    for c in &classes {
        print!("{c:>w$}");
    }
    println!();
    for row in rows {
        let label = row.unwrap_or("(not classified)");
        let counts: Vec<i64> = classes
            .iter()
            .map(|col| {
                cells
                    .iter()
                    .filter(|m| m.from.as_deref() == row && m.to == *col)
                    .map(|m| m.customers)
                    .sum()
            })
            .collect();
        if row.is_none() && counts.iter().all(|n| *n == 0) {
            continue;
        }
        print!("{:<20}", short(label));
        for n in counts {
            print!("{n:>w$}");
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

fn short(s: &str) -> String {
    s.chars().take(18).collect()
}

/// Sets `path` (`abc.revenue_a`) in the rules' JSON form to `value` (JSON if it parses as such —
/// numbers, booleans — else a string).
fn set_rule(rules: &ClassRules, assignment: &str) -> anyhow::Result<ClassRules> {
    let Some((path, value)) = assignment.split_once('=') else {
        bail!("--set: '{assignment}' is not KEY=VALUE");
    };
    let mut doc = serde_json::to_value(rules)?;
    let mut at = &mut doc;
    let keys: Vec<&str> = path.trim().split('.').collect();
    for (i, k) in keys.iter().enumerate() {
        let obj = at
            .as_object_mut()
            .with_context(|| format!("--set: '{path}' is not a rule"))?;
        if !obj.contains_key(*k) {
            bail!("--set: '{path}' is not a rule (see `patron classes rules --json`)");
        }
        let next = obj
            .get_mut(*k)
            .with_context(|| format!("--set: '{path}' is not a rule"))?;
        if i + 1 == keys.len() {
            let v = value.trim();
            *next = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
            break;
        }
        at = next;
    }
    serde_json::from_value(doc)
        .with_context(|| format!("--set: '{value}' is not a value for {path}"))
}

async fn rules(settings: &Settings, a: RulesArgs) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let mut rules = if a.reset {
        ClassRules::default()
    } else {
        load_rules(store.as_ref()).await?
    };
    for s in &a.set {
        rules = set_rule(&rules, s)?;
    }
    if a.reset || !a.set.is_empty() {
        if let Err(e) = rules.validate() {
            bail!("{}: {}", e.field, e.message);
        }
        save_rules(store.as_ref(), &rules).await?;
    }
    if a.json {
        output::json(&rules)?;
    } else {
        println!("{}", serde_json::to_string_pretty(&rules)?);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::classify::AbcMethod;

    #[test]
    fn rules_are_set_by_path() {
        let r = ClassRules::default();
        let r = set_rule(&r, "abc.method=customer_share").expect("method");
        assert_eq!(r.abc.method, AbcMethod::CustomerShare);
        let r = set_rule(&r, "abc.revenue_a = 0.7").expect("share");
        assert!((r.abc.revenue_a - 0.7).abs() < 1e-12);
        let r = set_rule(&r, "abc.growth_b=true").expect("flag");
        assert!(r.abc.growth_b);
        let r = set_rule(&r, "loyalty.lapse_days=120").expect("days");
        assert_eq!(r.loyalty.lapse_days, 120);
        for bad in [
            "abc.nope=1",
            "abc=1",
            "abc.method=sideways",
            "abc.window_months=x",
            "x",
        ] {
            assert!(set_rule(&r, bad).is_err(), "{bad}");
        }
    }
}
