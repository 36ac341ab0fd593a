//! What dynamic classification (METHOD §2) stores and reads back: each customer's current
//! classes with the numbers behind them, the history of every change of class, the movement
//! between two dates, and the counts a dashboard shows.
//!
//! A classification run (`Store::classify`) aggregates every customer's orders in the database
//! (one grouped scan), classifies them in the core ([`patron_core::classify`]), and writes in one
//! transaction: the current classes (when the run is as of the latest day classified so far) and
//! one history row per customer and dimension whose class changed since the latest earlier run.
//! Runs as of past days fill the history backwards without touching the current classes, so
//! `patron classify --as-of` can rebuild a year of movement.

use chrono::{DateTime, NaiveDate, Utc};
use patron_core::classify::{AbcClass, AbcReason, Dimension, Loyalty, LoyaltyReason, Rfm};
use patron_core::{CustomerId, UserId};
use serde::Serialize;
use std::collections::BTreeMap;

/// A customer's current classes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerClasses {
    pub customer_id: CustomerId,
    pub abc: AbcClass,
    pub abc_reason: AbcReason,
    /// The loyalty in force: staff's override where there is one, else `derived_loyalty`.
    pub loyalty: Loyalty,
    pub loyalty_reason: LoyaltyReason,
    /// What the behaviour rules say.
    pub derived_loyalty: Loyalty,
    pub loyalty_overridden: bool,
    /// `None` for a customer who never bought.
    pub rfm: Option<Rfm>,
    /// Revenue in the ABC window, minor units of `currency`.
    pub revenue_minor: i64,
    pub currency: String,
    pub as_of: NaiveDate,
    pub classified_at: DateTime<Utc>,
}

/// One change of class.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClassChange {
    pub id: i64,
    pub customer_id: CustomerId,
    pub dimension: Dimension,
    /// `None`: the customer's first classification.
    pub old_class: Option<String>,
    pub new_class: String,
    /// The reason as the core describes it (an `AbcReason`, a `LoyaltyReason`, or the RFM values).
    #[schema(value_type = Object)]
    pub reason: serde_json::Value,
    pub as_of: NaiveDate,
    pub changed_at: DateTime<Utc>,
    /// Who overrode the class (`None`: a classification run).
    pub user_id: Option<UserId>,
}

/// What `patron classify --json` prints (the counts per class and the number of changes are the
/// issue's contract).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ClassifyReport {
    pub as_of: NaiveDate,
    pub customers: u64,
    /// Customers per ABC class (`A`, `B`, `C`).
    pub abc: BTreeMap<String, u64>,
    /// Window revenue per ABC class, minor units of `currency`.
    pub revenue_by_abc: BTreeMap<String, i64>,
    /// Customers per loyalty class in force (overrides applied).
    pub loyalty: BTreeMap<String, u64>,
    /// Buyers per RFM segment.
    pub rfm: BTreeMap<String, u64>,
    /// Changes of class recorded by this run, all dimensions.
    pub changes: u64,
    pub changes_by_dimension: BTreeMap<String, u64>,
    /// Whether the run replaced the current classes (it is as of the latest day classified).
    pub current: bool,
    /// Current class rows the run wrote: only the rows whose content (classes, reasons, RFM
    /// values, revenue, day) changed since they were written; 0 for a run that is not current.
    #[serde(default)]
    pub rows_written: u64,
    pub currency: String,
    pub method: String,
    pub window_months: u32,
    /// Sales territories (the `territory` custom field of the customers) graded by the same
    /// rules, best first; empty when no customer has a territory.
    #[serde(default)]
    pub territories: Vec<patron_core::classify::TerritoryClass>,
}

/// How many customers moved from one class to another between two days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Movement {
    /// The class on the first day (`None`: not classified then).
    pub from: Option<String>,
    pub to: String,
    pub customers: i64,
}

/// One class's count and revenue (the dashboard's Pareto chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClassCount {
    pub class: String,
    pub customers: i64,
    pub revenue_minor: i64,
}

/// Buyers per cell of the RFM grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RfmCell {
    pub r: u8,
    pub f: u8,
    pub customers: i64,
}

/// The current classes counted (the classification dashboard).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClassSummary {
    /// The day of the latest run (`None`: never classified).
    pub as_of: Option<NaiveDate>,
    pub classified_at: Option<DateTime<Utc>>,
    pub currency: Option<String>,
    pub abc: Vec<ClassCount>,
    pub loyalty: Vec<ClassCount>,
    pub segments: Vec<ClassCount>,
    pub rfm_grid: Vec<RfmCell>,
    /// The sales territories as the latest run graded them.
    pub territories: Vec<patron_core::classify::TerritoryClass>,
}

/// The custom field naming a customer's sales territory (define it with `patron custom-fields
/// add --key territory …`); territories are graded from it.
pub const TERRITORY_FIELD: &str = "territory";

/// The settings key of the latest run's report (what the dashboard says about the last run).
pub const LAST_RUN_SETTING: &str = "classify.last";

/// The classification rules in force: the setting [`patron_core::classify::RULES_SETTING`], else
/// the method's defaults. A stored value that no longer parses is an error, not a silent reset.
pub async fn load_rules(
    store: &dyn crate::Store,
) -> crate::StoreResult<patron_core::classify::ClassRules> {
    match store
        .get_setting(patron_core::classify::RULES_SETTING)
        .await?
    {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            crate::StoreError::other(
                format!(
                    "the setting {} is not valid classification rules",
                    patron_core::classify::RULES_SETTING
                ),
                e,
            )
        }),
        None => Ok(Default::default()),
    }
}

/// Validates and stores the classification rules (the next run uses them).
pub async fn save_rules(
    store: &dyn crate::Store,
    rules: &patron_core::classify::ClassRules,
) -> crate::StoreResult<()> {
    rules
        .validate()
        .map_err(|e| crate::StoreError::Invalid(e.into()))?;
    let text =
        serde_json::to_string(rules).map_err(|e| crate::StoreError::other("rules to JSON", e))?;
    store
        .set_setting(patron_core::classify::RULES_SETTING, &text)
        .await
}

/// The money classification counts in: the setting `default_currency`, else USD.
pub async fn default_currency(
    store: &dyn crate::Store,
) -> crate::StoreResult<patron_core::Currency> {
    Ok(match store.get_setting("default_currency").await? {
        Some(c) => patron_core::Currency::parse("currency", &c).unwrap_or_default(),
        None => patron_core::Currency::default(),
    })
}

/// One classification run as the CLI, the scheduler and the web UI start it: the rules and
/// currency from the settings, as of `as_of` (default today, UTC); the report is kept as the
/// setting [`LAST_RUN_SETTING`].
pub async fn run_classification(
    store: &dyn crate::Store,
    as_of: Option<NaiveDate>,
) -> crate::StoreResult<ClassifyReport> {
    let rules = load_rules(store).await?;
    let currency = default_currency(store).await?;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let report = store.classify(as_of, &rules, &currency).await?;
    if report.current {
        let text = serde_json::to_string(&report)
            .map_err(|e| crate::StoreError::other("report to JSON", e))?;
        store.set_setting(LAST_RUN_SETTING, &text).await?;
    }
    Ok(report)
}

/// What the server's schedule does when it wakes up: runs a classification if one is due by the
/// setting [`patron_core::classify::SCHEDULE_SETTING`] (default monthly) since the latest run.
/// Returns the run's report, or `None` when nothing was due.
pub async fn run_if_due(
    store: &dyn crate::Store,
    today: NaiveDate,
) -> crate::StoreResult<Option<ClassifyReport>> {
    use patron_core::classify::{Schedule, SCHEDULE_SETTING};
    let schedule = match store.get_setting(SCHEDULE_SETTING).await? {
        Some(s) => Schedule::parse(&s).ok_or_else(|| {
            crate::StoreError::invalid(
                SCHEDULE_SETTING,
                "invalid_choice",
                format!("'{s}' is not daily, weekly, monthly or off"),
            )
        })?,
        None => Schedule::default(),
    };
    let last = store.class_summary().await?.as_of;
    if !schedule.is_due(last, today) {
        return Ok(None);
    }
    run_classification(store, Some(today)).await.map(Some)
}
