//! Complaints (METHOD §4) as stored: the complaint with its 24-hour first-reply clock, the six
//! steps (who did each and when), compensation with its approver, the promise made, and every
//! change in order. The rules live in [`patron_core::complaint`]; this module holds the records
//! and the settings' load and save.
//!
//! Every complaint still waiting for its first reply is a `complaint_reply` item on its owner's
//! agenda, due on the shop's day the reply hours run out; once overdue it is also a
//! `complaint_escalation` item on the agenda of the owner's business manager (`manager_id`).
//! The first reply is recorded when the complaint is acknowledged (or moved further), or when
//! either agenda item is marked done.

use crate::error::{StoreError, StoreResult};
use crate::store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::complaint::{
    Cause, Channel, CompensationKind, ComplaintSettings, PromiseOutcome, Status, Step,
};
use patron_core::{CustomerId, KeyPersonId, Scope, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The settings key the complaint settings are kept under (JSON).
pub const SETTINGS_KEY: &str = "complaint_settings";

/// A complaint as listed and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Complaint {
    pub id: i64,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    pub key_person_name: Option<String>,
    pub order_id: Option<i64>,
    pub channel: Channel,
    pub cause: Cause,
    pub summary: String,
    pub details: Option<String>,
    pub status: Status,
    /// Who handles it.
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub recorded_by: Option<UserId>,
    pub recorded_by_name: Option<String>,
    /// When the complaint was recorded: the reply clock starts here.
    pub recorded_at: DateTime<Utc>,
    /// When the first reply is due (recorded_at plus the reply hours in force then).
    pub reply_due_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<i64>)]
    pub first_reply_by: Option<UserId>,
    /// No first reply and past its due instant (as of when it was read).
    pub overdue: bool,
    /// The first reply came after its due instant.
    pub replied_late: bool,
    /// Overdue and so on the agenda of the owner's business manager, named here.
    #[schema(value_type = Option<i64>)]
    pub escalated_to: Option<UserId>,
    pub escalated_to_name: Option<String>,
    pub promise: Option<String>,
    pub promise_due: Option<NaiveDate>,
    pub promise_outcome: Option<PromiseOutcome>,
    pub closed_at: Option<DateTime<Utc>>,
    /// How many of the six steps are done.
    pub steps_done: i64,
    pub updated_at: DateTime<Utc>,
}

/// One of the six steps, done or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StepRecord {
    pub step: Step,
    pub done: bool,
    #[schema(value_type = Option<i64>)]
    pub done_by: Option<UserId>,
    pub done_by_name: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// Compensation given, with who approved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Compensation {
    pub id: i64,
    pub kind: CompensationKind,
    pub amount_minor: i64,
    pub currency: String,
    #[schema(value_type = Option<i64>)]
    pub approved_by: Option<UserId>,
    pub approved_by_name: Option<String>,
    pub approved_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Who did what and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComplaintEvent {
    pub at: DateTime<Utc>,
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    /// `recorded`, `status`, `step`, `compensation`, `promise`, `owner`, `first_reply`.
    pub action: String,
    pub detail: Option<String>,
}

/// A complaint with its steps (all six, in order), compensation and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComplaintDetail {
    #[serde(flatten)]
    pub complaint: Complaint,
    pub steps: Vec<StepRecord>,
    pub compensations: Vec<Compensation>,
    pub events: Vec<ComplaintEvent>,
}

/// A complaint as recorded by staff (or by the customer's public form, channel `web_form`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintInput {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    /// The order complained about, if any (must be the customer's).
    #[serde(default)]
    pub order_id: Option<i64>,
    pub channel: Channel,
    /// Default `other` until the root cause is found.
    #[serde(default)]
    pub cause: Option<Cause>,
    pub summary: String,
    #[serde(default)]
    pub details: Option<String>,
    /// Who handles it (default: the customer's relationship manager, else its owner, else
    /// whoever records it); they must be able to see the customer.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
}

/// A change of a complaint's fields other than its status (cause once found, owner, details).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintChange {
    #[serde(default)]
    pub cause: Option<Cause>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    #[serde(default)]
    pub details: Option<String>,
}

/// Moves the status forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

/// Ticks one of the six steps (again: the note and who did it are replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub step: Step,
    #[serde(default)]
    pub note: Option<String>,
}

/// Compensation given on the approver's authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompensationInput {
    pub kind: CompensationKind,
    /// A decimal amount such as `150.00` in `currency`.
    pub amount: String,
    /// Default: the shop's default currency.
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The promise made to the customer, and later whether it was kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseInput {
    pub promise: String,
    #[serde(default)]
    pub due: Option<NaiveDate>,
    #[serde(default)]
    pub outcome: Option<PromiseOutcome>,
}

/// Which complaints to list.
#[derive(Debug, Clone, Default)]
pub struct ComplaintQuery {
    pub scope: Scope,
    pub status: Option<Status>,
    pub cause: Option<Cause>,
    pub owner_id: Option<UserId>,
    pub customer_id: Option<CustomerId>,
    /// Waiting for a first reply past its due instant.
    pub overdue: bool,
    /// Not closed.
    pub open: bool,
    pub limit: Option<u32>,
    /// The instant "overdue" is judged at (default now; tests and the web layer's clock set it).
    pub as_of: Option<DateTime<Utc>>,
}

/// Complaints counted on the board's tabs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComplaintCounts {
    /// Per status, every status present (zero counts included).
    pub by_status: Vec<(Status, i64)>,
    pub by_cause: Vec<(Cause, i64)>,
    pub overdue: i64,
}

/// The complaint settings in force (the method's defaults until someone changes them).
pub async fn load_settings(store: &dyn Store) -> StoreResult<ComplaintSettings> {
    match store.get_setting(SETTINGS_KEY).await? {
        Some(text) => parse_settings(&text),
        None => Ok(ComplaintSettings::default()),
    }
}

pub(crate) fn parse_settings(text: &str) -> StoreResult<ComplaintSettings> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::other(
            format!("the setting {SETTINGS_KEY} is not complaint settings"),
            e,
        )
    })
}

/// Validates and stores the complaint settings; complaints recorded from now on get the new
/// reply hours (those recorded earlier keep the due instant they were given).
pub async fn save_settings(store: &dyn Store, settings: &ComplaintSettings) -> StoreResult<()> {
    settings
        .validate()
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let text = serde_json::to_string(settings)
        .map_err(|e| StoreError::other("writing the complaint settings", e))?;
    store.set_setting(SETTINGS_KEY, &text).await
}
