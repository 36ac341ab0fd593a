//! What the customer-base models read from the archive: one row per customer, aggregated by the
//! database over its purchase days, so a 10,000,000-order archive is one grouped scan and a
//! million small rows, not ten million rows through the application.

use chrono::NaiveDate;
use patron_core::CustomerId;
use serde::Serialize;

/// A customer's purchases up to a date, by purchase day (several orders on one day are one day,
/// their amounts summed): the inputs of RFM, BG/NBD and Gamma-Gamma.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseHistory {
    pub customer_id: CustomerId,
    pub customer_ref: Option<String>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Distinct purchase days.
    pub days: i64,
    /// All days' amounts, minor units.
    pub total_minor: i64,
    /// The first day's amount, minor units (Gamma-Gamma leaves the first day out).
    pub first_day_minor: i64,
}

/// One customer's model scores (`patron model score`), as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerScore {
    pub customer_id: CustomerId,
    /// `None` where the model has no answer (never NaN).
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    pub expected_spend: Option<f64>,
    pub clv: Option<f64>,
    /// The money of `expected_spend` and `clv`.
    pub currency: String,
    /// The horizon of `expected_purchases` and `clv`, in days.
    pub horizon_days: i64,
    /// The day the history was scored up to.
    pub as_of: NaiveDate,
    pub scored_at: chrono::DateTime<chrono::Utc>,
}
