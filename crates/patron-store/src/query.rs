//! Query and result types of the store's list, import and maintenance operations.

use chrono::NaiveDate;
use patron_core::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Default and maximum page sizes of list operations.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// Sort keys of the customer list; each pages by keyset (value, id), never OFFSET.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerSort {
    #[default]
    Id,
    Name,
    Created,
    Updated,
}

/// A customer list request: search, filters, sort and keyset cursor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerQuery {
    /// Substring search over name, company, e-mail, phone digits and reference; CJK-aware.
    pub q: Option<String>,
    pub stage: Option<LifecycleStage>,
    pub owner_id: Option<UserId>,
    pub tag: Option<String>,
    pub kind: Option<CustomerKind>,
    /// Current ABC class, RFM segment and loyalty in force (customers never classified match none).
    pub abc: Option<patron_core::classify::AbcClass>,
    pub segment: Option<patron_core::classify::RfmSegment>,
    pub loyalty: Option<patron_core::classify::Loyalty>,
    /// Loyalty-matrix quadrant of the latest product and service satisfaction (METHOD §2.3).
    pub quadrant: Option<patron_core::classify::Quadrant>,
    /// Latest model scores (`patron model score`): P(alive) at most this fraction, lifetime
    /// value at least this amount (major units of the scores' currency). Customers never scored
    /// match neither.
    pub p_alive_max: Option<f64>,
    pub clv_min: Option<f64>,
    pub sort: CustomerSort,
    pub desc: bool,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Record-level access: only customers (and their records) inside this scope.
    pub scope: Scope,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductQuery {
    pub q: Option<String>,
    pub product_line: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderQuery {
    pub customer_id: Option<CustomerId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Record-level access: only customers (and their records) inside this scope.
    pub scope: Scope,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InteractionQuery {
    pub customer_id: Option<CustomerId>,
    pub kind: Option<InteractionKind>,
    pub staff_id: Option<UserId>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Record-level access: only customers (and their records) inside this scope.
    pub scope: Scope,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyPersonQuery {
    pub customer_id: Option<CustomerId>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Record-level access: only customers (and their records) inside this scope.
    pub scope: Scope,
}

/// Two customers that look like the same one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DuplicatePair {
    pub a: CustomerId,
    pub a_name: String,
    pub b: CustomerId,
    pub b_name: String,
    /// `same_phone`, `same_email`, `similar_name`.
    pub reason: String,
}

/// What a merge moved from the removed customer to the kept one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MergeReport {
    pub kept: CustomerId,
    pub removed: CustomerId,
    pub orders_moved: u64,
    pub key_persons_moved: u64,
    pub interactions_moved: u64,
    pub tags_added: u64,
    /// Empty fields of the kept customer filled from the removed one.
    pub fields_filled: Vec<String>,
}
