//! Bulk insertion of generated data (the demo generator and benchmarks): one transaction per
//! chunk, multi-row statements on SQLite, COPY on PostgreSQL. Records refer to customers by their
//! index in the chunk, because ids are only known once the chunk is written.

use chrono::{DateTime, NaiveDate, Utc};
use patron_core::complaint::{Cause, Channel, CompensationKind, PromiseOutcome, Status, Step};
use patron_core::{
    CustomerId, InteractionInput, KeyPersonInput, UserId, ValidCustomer, ValidOrder,
};

#[derive(Debug, Default)]
pub struct BulkChunk {
    pub customers: Vec<ValidCustomer>,
    /// (index into `customers`, key person)
    pub key_persons: Vec<(usize, KeyPersonInput)>,
    /// Orders; `customer_id` is ignored and `customer` (an index into `customers`) used instead.
    pub orders: Vec<BulkOrder>,
    /// (index into `customers`, interaction); the input's `customer_id` is ignored.
    pub interactions: Vec<(usize, InteractionInput)>,
    /// Complaints with their steps, compensation and history (METHOD §4).
    pub complaints: Vec<BulkComplaint>,
}

/// A complaint as it stands after its history, written as it is: the generator, not the
/// store's rules, decides its status and steps, so the record must already be consistent (the
/// steps its status requires done, the first reply before the reply, events in time order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkComplaint {
    /// Index into the chunk's `customers`.
    pub customer: usize,
    /// Index into the chunk's `key_persons` (one of this customer's).
    pub key_person: Option<usize>,
    /// Index into the chunk's `orders` (one of this customer's).
    pub order: Option<usize>,
    pub channel: Channel,
    pub cause: Cause,
    pub summary: String,
    pub details: Option<String>,
    pub status: Status,
    pub owner_id: Option<UserId>,
    pub recorded_by: Option<UserId>,
    pub recorded_at: DateTime<Utc>,
    pub reply_due_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub first_reply_by: Option<UserId>,
    pub promise: Option<String>,
    pub promise_due: Option<NaiveDate>,
    pub promise_outcome: Option<PromiseOutcome>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub steps: Vec<BulkStep>,
    pub compensations: Vec<BulkCompensation>,
    /// In time order: they are numbered in the order given.
    pub events: Vec<BulkEvent>,
}

/// One of the six steps, done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkStep {
    pub step: Step,
    pub done_by: Option<UserId>,
    pub done_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Compensation given, in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkCompensation {
    pub kind: CompensationKind,
    pub amount_minor: i64,
    pub currency: String,
    pub approved_by: Option<UserId>,
    pub approved_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// One line of a complaint's history (the actions the store writes: `recorded`, `first_reply`,
/// `step`, `status`, `compensation`, `promise`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkEvent {
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub action: String,
    pub detail: Option<String>,
}

#[derive(Debug)]
pub struct BulkOrder {
    pub customer: usize,
    pub order: ValidOrder,
}

/// Ids given to the chunk's customers, in chunk order.
#[derive(Debug, Default)]
pub struct BulkIds {
    pub customers: Vec<CustomerId>,
}
