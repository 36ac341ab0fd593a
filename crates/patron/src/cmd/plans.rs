//! `patron plans build|show`, `patron route` and `patron customers locate` — visit plans per
//! year, quarter and month, planned against done, a day's visits in a short order, and
//! customers' coordinates (METHOD §3.1).

use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use patron_core::contact::{PlanPeriod, Point};
use patron_core::User;
use patron_store::plans::{self, DayRoute, PlanProgress};
use patron_store::{Store, StoreError};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// Build a person's plan for a period from the visit and call policy (for the customers
    /// now in their charge, by their current class).
    Build(BuildArgs),
    /// A plan against what was done: per customer, visits and calls planned and logged.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Whose plan (e-mail).
    #[arg(long, value_name = "EMAIL")]
    pub user: String,
    /// month | quarter | year
    #[arg(long, default_value = "month")]
    pub period: String,
    /// The period's first day, YYYY-MM-DD (default: the current period's).
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Rebuild an existing plan from the policy (hand edits are lost).
    #[arg(long)]
    pub replace: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Whose plan (e-mail).
    #[arg(long, value_name = "EMAIL")]
    pub user: String,
    /// month | quarter | year
    #[arg(long, default_value = "month")]
    pub period: String,
    /// The period's first day, YYYY-MM-DD (default: the current period's).
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Print JSON: {"plan":{…},"state","rows":[{customer_id, visits_planned, visits_done, …}],"totals":{…}}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Whose route (e-mail).
    #[arg(long, value_name = "EMAIL")]
    pub user: String,
    /// The day, YYYY-MM-DD (default today in the shop's time zone).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Start here instead of the user's start location: LAT,LON in degrees.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Print JSON: {"stops":[{position, customer_id, customer_name, leg_km, cumulative_km,…}],"total_km","not_located":[…],…}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Customer reference, or id (#ID forces an id).
    pub customer: String,
    /// Latitude in degrees, -90 to 90 (north positive).
    #[arg(long, allow_negative_numbers = true, required_unless_present = "clear")]
    pub lat: Option<f64>,
    /// Longitude in degrees, -180 to 180 (east positive).
    #[arg(long, allow_negative_numbers = true, required_unless_present = "clear")]
    pub lon: Option<f64>,
    /// Remove the coordinates instead.
    #[arg(long, conflicts_with_all = ["lat", "lon"])]
    pub clear: bool,
    #[arg(long)]
    pub json: bool,
}

fn date(flag: &str, s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag}: '{s}' is not a date (YYYY-MM-DD)"))
}

fn period(s: &str) -> anyhow::Result<PlanPeriod> {
    PlanPeriod::parse(s).with_context(|| format!("--period: '{s}' is not month, quarter or year"))
}

/// A validation error names the flag and says why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| {
                        let flag = match f.field.as_str() {
                            "starts_on" => "start",
                            "latitude" => "lat",
                            "longitude" => "lon",
                            other => other,
                        };
                        format!("--{flag}: {}", f.message)
                    })
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        StoreError::Conflict { message, .. } => anyhow::anyhow!("{message} (--replace rebuilds)"),
        other => other.into(),
    }
}

async fn user(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    store
        .find_user(email)
        .await?
        .with_context(|| format!("--user: no user has the e-mail '{email}'"))
}

async fn start_of(
    store: &dyn Store,
    p: PlanPeriod,
    start: Option<&str>,
) -> anyhow::Result<NaiveDate> {
    match start {
        Some(s) => Ok(date("--start", s)?),
        None => Ok(plans::current_start(store, p).await?),
    }
}

pub async fn run(settings: &Settings, c: PlansCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        PlansCommand::Build(a) => {
            let p = period(&a.period)?;
            let u = user(store, &a.user).await?;
            let start = start_of(store, p, a.start.as_deref()).await?;
            let plan = plans::build(store, &u, p, start, a.replace)
                .await
                .map_err(invalid)?;
            if a.json {
                output::json(&plan)?;
            } else {
                let s = &plan.summary;
                println!(
                    "plan {} for {}: {} {} – {}: {} customers, {} visits, {} calls",
                    s.id,
                    s.user_name,
                    s.period.as_str(),
                    s.starts_on,
                    s.ends_on,
                    s.customers,
                    s.visits,
                    s.calls
                );
            }
        }
        PlansCommand::Show(a) => {
            let p = period(&a.period)?;
            let u = user(store, &a.user).await?;
            let start = start_of(store, p, a.start.as_deref()).await?;
            p.check_start(start)
                .map_err(|e| anyhow::anyhow!("--start: {}", e.message))?;
            let Some(found) = store.find_visit_plan(u.id, p, start).await? else {
                bail!(
                    "{} has no {} plan starting {start}; `patron plans build` makes one",
                    u.email,
                    p.as_str()
                );
            };
            let pr = plans::progress(store, found.id).await?;
            if a.json {
                output::json(&pr)?;
            } else {
                print_progress(&pr);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn share(s: Option<f64>) -> String {
    s.map(|s| format!("{:.0}%", s * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn print_progress(pr: &PlanProgress) {
    let s = &pr.plan;
    println!(
        "{}: {} plan {} – {} ({})",
        s.user_name,
        s.period.as_str(),
        s.starts_on,
        s.ends_on,
        pr.state
    );
    println!(
        "{:<8} {:<32} {:>5} {:>7} {:>7} {:>6} {:>6} {:>5}",
        "id", "customer", "class", "visits", "done", "calls", "done", "kept"
    );
    for r in &pr.rows {
        println!(
            "{:<8} {:<32} {:>5} {:>7} {:>7} {:>6} {:>6} {:>5}",
            r.customer_id.0,
            r.customer_name.chars().take(32).collect::<String>(),
            r.class.as_deref().unwrap_or("-"),
            r.visits_planned,
            r.visits_done,
            r.calls_planned,
            r.calls_done,
            share(r.share)
        );
    }
    let t = pr.totals;
    println!(
        "total: visits {}/{}, calls {}/{}, kept {}; outside the plan: {} visits, {} calls",
        t.visits_done,
        t.visits_planned,
        t.calls_done,
        t.calls_planned,
        share(t.share),
        t.visits_unplanned,
        t.calls_unplanned
    );
}

/// `patron route`.
pub async fn route(settings: &Settings, a: RouteArgs) -> anyhow::Result<ExitCode> {
    let day = a.date.as_deref().map(|s| date("--date", s)).transpose()?;
    let from = match a.from.as_deref() {
        None => None,
        Some(t) => {
            let (lat, lon) = t
                .split_once(',')
                .context("--from: give LAT,LON, e.g. 37.5665,126.978")?;
            let parse = |s: &str| {
                s.trim()
                    .parse::<f64>()
                    .with_context(|| format!("--from: '{}' is not a number", s.trim()))
            };
            Some(
                Point::new(parse(lat)?, parse(lon)?)
                    .map_err(|e| anyhow::anyhow!("--from: {}", e.message))?,
            )
        }
    };
    let store = super::open(settings).await?;
    let store = store.as_ref();
    let u = user(store, &a.user).await?;
    let r = plans::day_route(store, &u, day, from).await?;
    if a.json {
        output::json(&r)?;
    } else {
        print_route(&r);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_route(r: &DayRoute) {
    println!("{}: route of {}", r.user_name, r.date);
    if r.route.stops.is_empty() {
        println!("  no located customer to visit");
    }
    for s in &r.route.stops {
        println!(
            "{:>3}. {:<32} {:>8.1} km {:>8.1} km  (#{}, {}, {})",
            s.position,
            s.customer_name.chars().take(32).collect::<String>(),
            s.leg_km,
            s.cumulative_km,
            s.customer_id.0,
            s.latitude,
            s.longitude
        );
    }
    if !r.route.stops.is_empty() {
        println!(
            "total {:.1} km over {} stops",
            r.route.total_km,
            r.route.stops.len()
        );
    }
    if !r.route.not_located.is_empty() {
        println!("not located (no coordinates; `patron customers locate` sets them):");
        for u in &r.route.not_located {
            println!("  #{} {}", u.customer_id.0, u.customer_name);
        }
    }
    if !r.route.left_out.is_empty() {
        println!("left out (too many stops for one route):");
        for u in &r.route.left_out {
            println!("  #{} {}", u.customer_id.0, u.customer_name);
        }
    }
}

/// `patron customers locate`.
pub async fn locate(settings: &Settings, a: LocateArgs) -> anyhow::Result<ExitCode> {
    let at = match (a.clear, a.lat, a.lon) {
        (true, _, _) => None,
        (false, Some(lat), Some(lon)) => Some(plans::check_point(lat, lon).map_err(invalid)?),
        _ => bail!("give --lat and --lon, or --clear"),
    };
    let store = super::open(settings).await?;
    let store = store.as_ref();
    let id = super::resolve_customer(store, &a.customer).await?;
    let l = store
        .set_customer_location(None, id, at)
        .await
        .map_err(invalid)?;
    if a.json {
        output::json(&l)?;
    } else {
        match l {
            Some(l) => println!("customer #{id}: {}, {}", l.latitude, l.longitude),
            None => println!("customer #{id}: coordinates removed"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
