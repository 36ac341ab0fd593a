//! `patron model fit`: the customer-base models (METHOD §6) fitted to the archive.
//!
//! The database aggregates each customer's purchase days (one grouped scan, see
//! `patron_store::analytics`); the models are fitted in the core by maximum likelihood. The fit
//! is kept in the settings (`model.fit`) so scoring and the pages use the same parameters until
//! the next fit.

use crate::cli::{ModelCommand, ModelFitArgs, ModelScoreArgs, UnitArg};
use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use chrono::NaiveDate;
use patron_core::analytics::{
    bgnbd, discounted_purchases_if_alive, gamma_gamma, with_p_alive, BgNbdParams, CustomerSummary,
    GammaGammaParams, TimeUnit,
};
use patron_core::Currency;
use patron_store::analytics::{CustomerScore, PurchaseHistory};
use patron_store::Store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::process::ExitCode;

/// The settings key the latest fit is kept under.
pub const FIT_SETTING: &str = "model.fit";

pub async fn run(settings: &Settings, c: ModelCommand) -> anyhow::Result<ExitCode> {
    match c {
        ModelCommand::Fit(a) => fit(settings, a).await,
        ModelCommand::Score(a) => score(settings, a).await,
    }
}

/// BG/NBD's part of `patron model fit --json` (the field names are a contract).
#[derive(Debug, Serialize)]
struct BgNbdOut {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    log_likelihood: f64,
    customers: usize,
    converged: bool,
    iterations: u32,
}

/// Gamma-Gamma's part of `patron model fit --json` (the field names are a contract).
#[derive(Debug, Serialize)]
struct GammaGammaOut {
    p: f64,
    q: f64,
    gamma: f64,
    log_likelihood: f64,
    customers: usize,
    converged: bool,
    iterations: u32,
}

/// Why a model has no parameters (`null` in the report).
#[derive(Debug, Default, Serialize)]
struct FitErrors {
    #[serde(skip_serializing_if = "Option::is_none")]
    bgnbd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gamma_gamma: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FitReport {
    bgnbd: Option<BgNbdOut>,
    gamma_gamma: Option<GammaGammaOut>,
    unit: &'static str,
    calibration_end: Option<NaiveDate>,
    /// The money the spend model is in (orders in other currencies are left out).
    currency: String,
    /// Customers with a purchase on or before the calibration end.
    customers_with_orders: usize,
    errors: FitErrors,
}

impl FitReport {
    /// Both models fitted and converged (the fit is then kept for scoring).
    pub(crate) fn converged(&self) -> bool {
        self.bgnbd.as_ref().is_some_and(|b| b.converged)
            && self.gamma_gamma.as_ref().is_some_and(|g| g.converged)
    }
}

/// Far enough in the future to include every order when no calibration end is given.
fn open_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// One customer's model inputs from the database's aggregate, by the definitions:
/// frequency = purchase days after the first, recency = first to last purchase day, T = first
/// purchase day to the calibration end, spend = the mean of the repeat days' amounts (major
/// units of the currency).
pub fn summary_of(
    h: &PurchaseHistory,
    end: NaiveDate,
    unit: TimeUnit,
    currency: &Currency,
) -> CustomerSummary {
    let per = unit.days();
    let scale = 10f64.powi(currency.minor_digits() as i32);
    let frequency = (h.days - 1).max(0) as f64;
    let repeat_minor = (h.total_minor - h.first_day_minor) as f64;
    CustomerSummary {
        frequency,
        recency: (h.last_day - h.first_day).num_days() as f64 / per,
        t: (end - h.first_day).num_days() as f64 / per,
        monetary: if frequency > 0.0 {
            repeat_minor / scale / frequency
        } else {
            0.0
        },
    }
}

async fn fit(settings: &Settings, a: ModelFitArgs) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let unit = match a.unit {
        UnitArg::Week => TimeUnit::Week,
        UnitArg::Day => TimeUnit::Day,
    };
    let end = a
        .calibration_end
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .with_context(|| format!("--calibration-end: '{s}' is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let report = fit_and_keep(store.as_ref(), unit, end).await?;
    if a.json {
        output::json(&report)?;
    } else {
        print_fit(&report);
    }
    Ok(if report.converged() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Fits both models to the orders up to `end` (default: the latest order's day) and keeps the
/// fit for scoring when both converged.
pub(crate) async fn fit_and_keep(
    store: &dyn Store,
    unit: TimeUnit,
    end: Option<NaiveDate>,
) -> anyhow::Result<FitReport> {
    let currency = match store.get_setting("default_currency").await? {
        Some(c) => Currency::parse("currency", &c).unwrap_or_default(),
        None => Currency::default(),
    };
    let t = std::time::Instant::now();
    let histories = store
        .purchase_histories_without_refs(end.unwrap_or_else(open_end), &currency)
        .await?;
    let histories_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();
    let end = end.or_else(|| histories.iter().map(|h| h.last_day).max());
    let mut errors = FitErrors::default();
    let (mut bg, mut gg) = (None, None);
    match end {
        None => {
            let why = format!("there are no orders in {currency} to fit to");
            errors.bgnbd = Some(why.clone());
            errors.gamma_gamma = Some(why);
        }
        Some(end) => {
            let data: Vec<CustomerSummary> = histories
                .iter()
                .map(|h| summary_of(h, end, unit, &currency))
                .collect();
            // The kept fit (in the same unit and currency) starts the optimisers: in a daily
            // run it lies next to today's maximum (see `bgnbd::fit_from`).
            let previous = match store.get_setting(FIT_SETTING).await? {
                Some(text) => serde_json::from_str::<StoredFit>(&text)
                    .ok()
                    .filter(|f| f.unit == unit && f.currency == currency.as_str()),
                None => None,
            };
            let bg_start = previous.as_ref().map(|f| &f.bgnbd);
            let gg_start = previous.as_ref().map(|f| &f.gamma_gamma);
            // The two models are independent: fitted at the same time, one per core.
            let (bg_fit, gg_fit) = std::thread::scope(|sc| {
                let gg = sc.spawn(|| {
                    let t = std::time::Instant::now();
                    let f = gamma_gamma::fit_from(&data, gg_start);
                    tracing::debug!(
                        ms = t.elapsed().as_millis() as u64,
                        "model fit: gamma-gamma"
                    );
                    f
                });
                let t = std::time::Instant::now();
                let bg = bgnbd::fit_from(&data, bg_start);
                tracing::debug!(ms = t.elapsed().as_millis() as u64, "model fit: bg/nbd");
                (
                    bg,
                    gg.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                )
            });
            match bg_fit {
                Ok(f) => {
                    bg = Some(BgNbdOut {
                        r: f.params.r,
                        alpha: f.params.alpha,
                        a: f.params.a,
                        b: f.params.b,
                        log_likelihood: f.log_likelihood,
                        customers: f.customers,
                        converged: f.converged,
                        iterations: f.iterations,
                    })
                }
                Err(e) => errors.bgnbd = Some(e.to_string()),
            }
            match gg_fit {
                Ok(f) => {
                    gg = Some(GammaGammaOut {
                        p: f.params.p,
                        q: f.params.q,
                        gamma: f.params.gamma,
                        log_likelihood: f.log_likelihood,
                        customers: f.customers,
                        converged: f.converged,
                        iterations: f.iterations,
                    })
                }
                Err(e) => errors.gamma_gamma = Some(e.to_string()),
            }
        }
    }
    let fit_ms = t.elapsed().as_millis() as u64;
    let report = FitReport {
        bgnbd: bg,
        gamma_gamma: gg,
        unit: unit.as_str(),
        calibration_end: end,
        currency: currency.as_str().to_owned(),
        customers_with_orders: histories.len(),
        errors,
    };
    let ok = report.converged();
    if ok {
        store
            .set_setting(FIT_SETTING, &serde_json::to_string(&report)?)
            .await?;
    }
    tracing::debug!(
        customers = report.customers_with_orders,
        histories_ms,
        fit_ms,
        "model fit: phases"
    );
    Ok(report)
}

fn print_fit(r: &FitReport) {
    let end = r
        .calibration_end
        .map(|d| d.to_string())
        .unwrap_or_else(|| "—".into());
    println!(
        "calibration end {end}, unit {}, {} customers with orders in {}",
        r.unit, r.customers_with_orders, r.currency
    );
    match &r.bgnbd {
        Some(b) => println!(
            "BG/NBD       r = {:.4}  alpha = {:.4}  a = {:.4}  b = {:.4}  log-likelihood = {:.2}  ({} customers{})",
            b.r,
            b.alpha,
            b.a,
            b.b,
            b.log_likelihood,
            b.customers,
            if b.converged { "" } else { ", NOT converged" }
        ),
        None => println!(
            "BG/NBD       not fitted: {}",
            r.errors.bgnbd.as_deref().unwrap_or("")
        ),
    }
    match &r.gamma_gamma {
        Some(g) => println!(
            "Gamma-Gamma  p = {:.4}  q = {:.4}  gamma = {:.4}  log-likelihood = {:.2}  ({} customers{})",
            g.p,
            g.q,
            g.gamma,
            g.log_likelihood,
            g.customers,
            if g.converged { "" } else { ", NOT converged" }
        ),
        None => println!(
            "Gamma-Gamma  not fitted: {}",
            r.errors.gamma_gamma.as_deref().unwrap_or("")
        ),
    }
}

/// The stored fit, as scoring reads it back.
#[derive(Debug, Deserialize)]
struct StoredFit {
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    unit: TimeUnit,
    calibration_end: NaiveDate,
    currency: String,
}

/// The setting holding the default discount rate.
const DISCOUNT_SETTING: &str = "model.discount_rate";

/// `52w`, `365d`, or a bare number in `unit`: the horizon in days.
fn horizon_days(s: &str, unit: TimeUnit) -> anyhow::Result<f64> {
    let t = s.trim();
    let (num, per) = if let Some(n) = t.strip_suffix(['w', 'W']) {
        (n, 7.0)
    } else if let Some(n) = t.strip_suffix(['d', 'D']) {
        (n, 1.0)
    } else {
        (t, unit.days())
    };
    match num.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n * per),
        _ => anyhow::bail!("--horizon: '{s}' is not a positive length such as 52w or 365d"),
    }
}

/// One customer's line of `patron model score --json` (the field names are a contract).
#[derive(Debug, Serialize)]
struct ScoreOut {
    customer_ref: Option<String>,
    customer_id: i64,
    p_alive: Option<f64>,
    expected_purchases: Option<f64>,
    expected_spend: Option<f64>,
    clv: Option<f64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScoreReport {
    customers: Vec<ScoreOut>,
    as_of: NaiveDate,
    horizon_days: f64,
    unit: &'static str,
    currency: String,
    discount_rate: f64,
    pub(crate) scored: usize,
}

/// What scoring a run's customers needs, shared by the threads that score them.
struct ScoreJob<'a> {
    fit: &'a StoredFit,
    as_of: NaiveDate,
    unit: TimeUnit,
    currency: &'a Currency,
    horizon: f64,
    horizon_days: i64,
    rate: f64,
    scored_at: chrono::DateTime<chrono::Utc>,
}

impl ScoreJob<'_> {
    /// Scores `histories`, in their order: the rows stored and the rows printed (which take
    /// each customer's reference over, not a copy of it: a million strings).
    fn score(&self, histories: &mut [PurchaseHistory]) -> (Vec<CustomerScore>, Vec<ScoreOut>) {
        let (fit, as_of, unit, currency) = (self.fit, self.as_of, self.unit, self.currency);
        let mut rows = Vec::with_capacity(histories.len());
        let mut out = Vec::with_capacity(histories.len());
        // The BG/NBD expectations are P(alive) (closed form, per customer) times series that
        // depend on the purchase days and T only, which customers share on a day grid: computed
        // once per (days, T) — about 17 series per customer for the discounted purchases were
        // most of the scoring time, and (days, T) pairs are far fewer than the customers' shapes
        // (days, recency, T).
        let mut by_days_t: HashMap<(i64, i64), (f64, f64)> = HashMap::new();
        for h in histories {
            let s = summary_of(h, as_of, unit, currency);
            let key = (h.days, (as_of - h.first_day).num_days());
            let (purchases_if_alive, discounted_if_alive) =
                *by_days_t.entry(key).or_insert_with(|| {
                    (
                        fit.bgnbd
                            .expected_purchases_if_alive(self.horizon, s.frequency, s.t),
                        discounted_purchases_if_alive(
                            &fit.bgnbd,
                            s.frequency,
                            s.t,
                            self.horizon,
                            unit,
                            self.rate,
                        ),
                    )
                });
            let alive = fit.bgnbd.p_alive(s.frequency, s.recency, s.t);
            let purchases = if self.horizon <= 0.0 {
                0.0
            } else {
                with_p_alive(alive, purchases_if_alive)
            };
            let discounted = if self.horizon <= 0.0 {
                0.0
            } else {
                with_p_alive(alive, discounted_if_alive)
            };
            let p_alive = finite(alive);
            let expected_purchases = finite(purchases);
            let spend = fit.gamma_gamma.expected_spend(s.frequency, s.monetary);
            let expected_spend = finite(spend);
            let value = finite(clv_of(spend, discounted, self.horizon));
            rows.push(CustomerScore {
                customer_id: h.customer_id,
                p_alive,
                expected_purchases,
                expected_spend,
                clv: value,
                currency: currency.as_str().to_owned(),
                horizon_days: self.horizon_days,
                as_of,
                scored_at: self.scored_at,
            });
            out.push(ScoreOut {
                customer_ref: h.customer_ref.take(),
                customer_id: h.customer_id.0,
                p_alive,
                expected_purchases,
                expected_spend,
                clv: value,
            });
        }
        (rows, out)
    }
}

/// [`clv`] from its two factors, as it combines them.
fn clv_of(spend: f64, discounted: f64, horizon: f64) -> f64 {
    if discounted.is_nan() {
        f64::NAN
    } else if horizon <= 0.0 {
        0.0
    } else {
        spend * discounted
    }
}

/// A model output as stored and printed: a value, or `None` where the model had no answer.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

async fn score(settings: &Settings, a: ModelScoreArgs) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let report = score_and_keep(store.as_ref(), &a.horizon, a.discount_rate).await?;
    let t = std::time::Instant::now();
    if a.json {
        output::json(&report)?;
    } else {
        print_scores(&report);
    }
    tracing::debug!(
        output_ms = t.elapsed().as_millis() as u64,
        "model score: output"
    );
    Ok(ExitCode::SUCCESS)
}

/// Scores every customer with the kept fit over `horizon` (`52w`, `365d`, or a number in the
/// fit's unit) at the yearly `discount_rate` (default: the setting, else 10%), and replaces the
/// stored scores.
pub(crate) async fn score_and_keep(
    store: &dyn Store,
    horizon: &str,
    discount_rate: Option<f64>,
) -> anyhow::Result<ScoreReport> {
    let Some(text) = store.get_setting(FIT_SETTING).await? else {
        anyhow::bail!("no model has been fitted yet: run `patron model fit` first");
    };
    let fit: StoredFit = serde_json::from_str(&text)
        .context("reading the stored fit (run `patron model fit` again)")?;
    let unit = fit.unit;
    let days = horizon_days(horizon, unit)?;
    let rate = match discount_rate {
        Some(r) => r,
        None => match store.get_setting(DISCOUNT_SETTING).await? {
            Some(v) => v
                .trim()
                .parse::<f64>()
                .with_context(|| format!("the setting {DISCOUNT_SETTING} is not a number: {v}"))?,
            None => 0.10,
        },
    };
    if !(rate.is_finite() && (0.0..10.0).contains(&rate)) {
        anyhow::bail!("--discount-rate: {rate} is not a yearly rate between 0 and 10");
    }
    let currency = Currency::parse("currency", &fit.currency)
        .map_err(|e| anyhow::anyhow!("the stored fit's currency: {}", e.message))?;
    let as_of = fit.calibration_end;
    let t = std::time::Instant::now();
    let mut histories = store.purchase_histories(as_of, &currency).await?;
    let histories_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();
    let horizon = days / unit.days();
    let job = ScoreJob {
        fit: &fit,
        as_of,
        unit,
        currency: &currency,
        horizon,
        horizon_days: days.round() as i64,
        rate,
        scored_at: chrono::Utc::now(),
    };
    // The customers are independent: scored on every core, in order, each part with its own
    // memo of history shapes.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let part = histories.len().div_ceil(workers).max(1);
    let parts: Vec<(Vec<CustomerScore>, Vec<ScoreOut>)> = std::thread::scope(|sc| {
        let running: Vec<_> = histories
            .chunks_mut(part)
            .map(|chunk| sc.spawn(|| job.score(chunk)))
            .collect();
        running
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut rows = Vec::with_capacity(histories.len());
    let mut out = Vec::with_capacity(histories.len());
    for (r, o) in parts {
        rows.extend(r);
        out.extend(o);
    }
    let score_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();
    store.replace_customer_scores(&rows).await?;
    let write_ms = t.elapsed().as_millis() as u64;
    let report = ScoreReport {
        scored: out.len(),
        customers: out,
        as_of,
        horizon_days: days,
        unit: unit.as_str(),
        currency: currency.as_str().to_owned(),
        discount_rate: rate,
    };
    tracing::debug!(
        customers = report.scored,
        histories_ms,
        score_ms,
        write_ms,
        "model score: phases"
    );
    Ok(report)
}

/// The scores' summary and the 20 customers of highest lifetime value, for a terminal.
fn print_scores(report: &ScoreReport) {
    println!(
        "scored {} customers as of {} over {} days ({}; discount {:.0}% a year)",
        report.scored,
        report.as_of,
        report.horizon_days,
        report.currency,
        report.discount_rate * 100.0
    );
    let mut top: Vec<&ScoreOut> = report.customers.iter().collect();
    top.sort_by(|a, b| b.clv.unwrap_or(0.0).total_cmp(&a.clv.unwrap_or(0.0)));
    println!(
        "{:<16} {:>8} {:>10} {:>10} {:>12}",
        "customer", "P(alive)", "purchases", "spend", "CLV"
    );
    for s in top.iter().take(20) {
        let f =
            |v: Option<f64>, d: usize| v.map(|v| format!("{v:.d$}")).unwrap_or_else(|| "—".into());
        println!(
            "{:<16} {:>8} {:>10} {:>10} {:>12}",
            s.customer_ref
                .clone()
                .unwrap_or_else(|| format!("#{}", s.customer_id)),
            f(s.p_alive, 3),
            f(s.expected_purchases, 2),
            f(s.expected_spend, 2),
            f(s.clv, 2)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_by_shape_equal_the_lifetime_value() {
        use patron_core::analytics::discounted_purchases;
        let bg = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let gg = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        for (frequency, recency, t, monetary) in [(0.0, 0.0, 38.9, 0.0), (2.0, 30.4, 38.9, 22.5)] {
            let s = CustomerSummary {
                frequency,
                recency,
                t,
                monetary,
            };
            for horizon in [0.0, 52.0, 520.0] {
                let spend = gg.expected_spend(frequency, monetary);
                let d = discounted_purchases(&bg, &s, horizon, TimeUnit::Week, 0.1);
                let whole = patron_core::analytics::clv(&bg, &gg, &s, horizon, TimeUnit::Week, 0.1);
                assert!((clv_of(spend, d, horizon) - whole).abs() <= 1e-12 * whole.abs().max(1.0));
            }
        }
    }

    #[test]
    fn horizons() {
        assert_eq!(horizon_days("52w", TimeUnit::Week).ok(), Some(364.0));
        assert_eq!(horizon_days("365d", TimeUnit::Week).ok(), Some(365.0));
        assert_eq!(horizon_days("39", TimeUnit::Week).ok(), Some(273.0));
        assert_eq!(horizon_days("10", TimeUnit::Day).ok(), Some(10.0));
        for bad in ["", "w", "-3w", "0d", "NaNd", "inf"] {
            assert!(horizon_days(bad, TimeUnit::Week).is_err(), "{bad}");
        }
    }
}
