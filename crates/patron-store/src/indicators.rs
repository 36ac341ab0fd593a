//! The five indicators' counts as kept (METHOD §5; rules in [`patron_core::indicators`]).
//!
//! A refresh scans orders, contacts and complaints once, customer by customer, and replaces the
//! counts of the last [`MONTHS`] months and [`QUARTERS`] quarters for the whole archive, for each
//! ABC class and for each owner. Pages and the CLI read these counts: a few hundred rows, however
//! large the archive. Periods are calendar months and quarters in UTC.

use chrono::{DateTime, Utc};
use patron_core::indicators::Counts;
use serde::Serialize;
use utoipa::ToSchema;

/// Months kept (two years, so a month can be compared with the same month a year before).
pub const MONTHS: usize = 24;
/// Quarters kept.
pub const QUARTERS: usize = 8;
/// The settings key of the last refresh's time (RFC 3339).
pub const REFRESHED_KEY: &str = "indicators_refreshed_at";

/// The counts of one period and segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorRow {
    /// `2026-11` or `2026-Q4`.
    pub period: String,
    /// `all`, `class` or `owner`.
    pub dimension: String,
    /// The class (`A`, `B`, `C`), the owner's user id, `-` for none, or empty for `all`.
    pub segment: String,
    pub counts: Counts,
}

/// Every kept row, and when they were computed (`None`: never).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorTable {
    pub refreshed_at: Option<DateTime<Utc>>,
    pub rows: Vec<IndicatorRow>,
}

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RefreshReport {
    pub refreshed_at: DateTime<Utc>,
    pub rows: usize,
    pub customers: i64,
}

/// One period's (and segment's) indicators with the counts behind them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PeriodIndicators {
    /// `2026-11` or `2026-Q4`.
    pub period: String,
    /// The class, the owner's user id or `-` (absent for the whole archive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(flatten)]
    pub indicators: patron_core::indicators::Indicators,
    pub counts: Counts,
}

/// The indicators as the API and the CLI give them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorReport {
    /// When the counts were computed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// `all`, `class` or `owner`.
    pub dimension: String,
    /// Oldest first: the months, then the quarters (or the one period asked for).
    pub periods: Vec<PeriodIndicators>,
    /// Each indicator's definition.
    pub definitions: std::collections::BTreeMap<String, String>,
}

/// Which rows of `t` a report shows: those of `dimension`, of `period` when given (`None`:
/// every kept month, then every kept quarter).
pub fn report(
    t: &IndicatorTable,
    period: Option<patron_core::indicators::Period>,
    dimension: &str,
) -> IndicatorReport {
    let wanted = period.map(|p| p.to_string());
    let mut rows: Vec<&IndicatorRow> = t
        .rows
        .iter()
        .filter(|r| r.dimension == dimension)
        .filter(|r| wanted.as_ref().is_none_or(|w| *w == r.period))
        .collect();
    // Months before quarters, each oldest first (`2026-Q4` sorts after `2026-12` as text, but
    // `2025-Q4` would sort among 2025's months).
    rows.sort_by(|a, b| {
        (a.period.contains('Q'), &a.period, &a.segment).cmp(&(
            b.period.contains('Q'),
            &b.period,
            &b.segment,
        ))
    });
    IndicatorReport {
        refreshed_at: t.refreshed_at,
        dimension: dimension.to_owned(),
        periods: rows
            .into_iter()
            .map(|r| PeriodIndicators {
                period: r.period.clone(),
                segment: (dimension != "all").then(|| r.segment.clone()),
                indicators: r.counts.indicators(),
                counts: r.counts,
            })
            .collect(),
        definitions: patron_core::indicators::DEFINITIONS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// The dimensions a report can be broken down by.
pub const DIMENSIONS: [&str; 3] = ["all", "class", "owner"];
