//! `patron indicators [--period YYYY-MM|YYYY-Qn] [--by class|owner] [--refresh] [--json]`: the
//! method's five indicators (METHOD §5) per month and quarter, with the counts behind each.
//!
//! Read from the kept counts (`patron serve` recounts every five minutes); `--refresh` recounts
//! first, and so does the first run on an archive that was never counted.

use crate::output;
use crate::settings::Settings;
use clap::Args;
use patron_core::indicators::{Period, NAMES};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    /// One period: a month (2026-11) or a quarter (2026-Q4); default every kept month and
    /// quarter.
    #[arg(long, value_name = "YYYY-MM|YYYY-Qn")]
    pub period: Option<String>,
    /// Break each period down per ABC class or per owner (user id) instead of the whole archive.
    #[arg(long, value_name = "class|owner")]
    pub by: Option<String>,
    /// Recount from the orders, contacts and complaints first.
    #[arg(long)]
    pub refresh: bool,
    /// Print JSON: {"periods":[{"period","sales_power","complaint_rate","repeat_purchase_rate",
    /// "name_recognition","reputation","counts":{…}}],"refreshed_at",…} (fractions 0–1 or null).
    #[arg(long)]
    pub json: bool,
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |f| format!("{:.1}%", f * 100.0))
}

pub async fn run(settings: &Settings, a: IndicatorsArgs) -> anyhow::Result<ExitCode> {
    let period = match a.period.as_deref() {
        Some(p) => Some(Period::parse(p).ok_or_else(|| {
            anyhow::anyhow!("--period: '{p}' is not a month (2026-11) or a quarter (2026-Q4)")
        })?),
        None => None,
    };
    let dimension = a.by.as_deref().unwrap_or("all");
    if !patron_store::indicators::DIMENSIONS.contains(&dimension) {
        anyhow::bail!("--by: '{dimension}' is not one of: class, owner");
    }
    let store = super::open(settings).await?;
    let mut t = store.indicator_table().await?;
    if a.refresh || t.refreshed_at.is_none() {
        let r = store
            .refresh_indicators(chrono::Utc::now().date_naive())
            .await?;
        if !a.json {
            eprintln!("counted {} customers", r.customers);
        }
        t = store.indicator_table().await?;
    }
    let report = patron_store::indicators::report(&t, period, dimension);
    if a.json {
        output::json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if report.periods.is_empty() {
        eprintln!("no counts for that period (the last 24 months and 8 quarters are kept)");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{:<9}", "period");
    if dimension != "all" {
        print!(" {:<8}", dimension);
    }
    for n in NAMES {
        print!(" {n:>21}");
    }
    println!(" {:>8} {:>8} {:>8}", "served", "buyers", "orders");
    for p in &report.periods {
        print!("{:<9}", p.period);
        if let Some(s) = &p.segment {
            print!(" {s:<8}");
        }
        for n in NAMES {
            print!(" {:>21}", percent(p.indicators.get(n)));
        }
        println!(
            " {:>8} {:>8} {:>8}",
            p.counts.served, p.counts.buyers, p.counts.orders
        );
    }
    for (k, v) in &report.definitions {
        eprintln!("{k}: {v}");
    }
    Ok(ExitCode::SUCCESS)
}
