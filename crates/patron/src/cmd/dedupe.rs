//! `patron duplicates` and `patron merge`.

use crate::cli::{DuplicatesArgs, MergeArgs};
use crate::output::{self, cell};
use crate::settings::Settings;
use std::process::ExitCode;

pub async fn duplicates(settings: &Settings, a: DuplicatesArgs) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let pairs = store.find_duplicates(a.limit).await?;
    if a.json {
        output::json(&serde_json::json!({ "items": pairs }))?;
    } else {
        for p in &pairs {
            println!(
                "{} {}  ~  {} {}   ({})",
                cell(&p.a.to_string(), 8),
                cell(&p.a_name, 28),
                cell(&p.b.to_string(), 8),
                cell(&p.b_name, 28),
                p.reason
            );
        }
        eprintln!(
            "{} likely duplicate pair(s). Merge one into the other with: patron merge KEEP OTHER",
            pairs.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn merge(settings: &Settings, a: MergeArgs) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let keep = super::resolve_customer(store.as_ref(), &a.keep).await?;
    let other = super::resolve_customer(store.as_ref(), &a.other).await?;
    let rep = store.merge_customers(keep, other).await?;
    if a.json {
        output::json(&rep)?;
    } else {
        eprintln!(
            "merged {} into {}: {} orders, {} key persons, {} interactions moved; {} tags added; filled: {}",
            rep.removed,
            rep.kept,
            rep.orders_moved,
            rep.key_persons_moved,
            rep.interactions_moved,
            rep.tags_added,
            if rep.fields_filled.is_empty() { "-".to_string() } else { rep.fields_filled.join(", ") }
        );
    }
    Ok(ExitCode::SUCCESS)
}
