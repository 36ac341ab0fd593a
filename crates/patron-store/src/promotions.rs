//! Promotions (METHOD §7): what is stored about a promotion — its terms, cost lines and
//! participants with their attitude — and the records the store hands out. The arithmetic
//! (expectation, break-even, actual effect) is [`patron_core::promotion`]'s; the store counts the
//! participants' orders for it.
//!
//! Access: a promotion is seen by whoever sees all customers, by the user who created it, and by
//! anyone who sees one of its participants — a representative sees the promotions their dealers
//! take part in, and of the participants only their own (the others are counted as hidden, and
//! the evaluation covers the participants the reader sees). Creating, changing and deleting
//! promotions and their participant lists is for business managers and above
//! ([`may_manage`]); the representative records their customers' attitude.

use crate::error::StoreResult;
use crate::store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::promotion::{
    Attitude, Baseline, CostKind, Expectation, PromotionStatus, DEFAULT_MARGIN_BP,
};
use patron_core::{Currency, CustomerId, Permissions, User, UserId};
use serde::Serialize;

/// Settings key of the gross margin (basis points) a promotion gets when it names none.
pub const MARGIN_KEY: &str = "promotion_gross_margin_bp";

/// Whether `user` may create, change and delete promotions and their participant lists: the
/// same roles that make archive-wide changes (business managers and above, METHOD §0), since a
/// promotion commits the company's money. Representatives record their customers' attitude.
pub fn may_manage(user: &User) -> bool {
    user.can_change_archive()
}

/// The gross margin a promotion gets when it names none: the setting [`MARGIN_KEY`], else 30%.
pub async fn default_margin_bp(store: &dyn Store) -> StoreResult<u32> {
    Ok(store
        .get_setting(MARGIN_KEY)
        .await?
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|v| *v <= patron_core::promotion::FULL_RATE_BP)
        .unwrap_or(DEFAULT_MARGIN_BP))
}

/// Sets the default gross margin (validated: 0–10000 basis points, the error naming `field`).
pub async fn set_default_margin_bp(store: &dyn Store, field: &str, bp: i64) -> StoreResult<u32> {
    let v = patron_core::promotion::margin_bp(field, bp)
        .map_err(|e| crate::StoreError::Invalid(e.into()))?;
    store.set_setting(MARGIN_KEY, &v.to_string()).await?;
    Ok(v)
}

/// One cost line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PromotionCost {
    /// Position in the promotion's list, from 1.
    pub line_no: i64,
    pub kind: CostKind,
    pub description: Option<String>,
    pub amount_minor: i64,
}

/// A promotion with its cost lines and its expectation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Promotion {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[schema(value_type = String)]
    pub currency: Currency,
    pub budget_minor: i64,
    pub expected_extra_sales_minor: i64,
    /// Basis points (3000 = 30%).
    pub gross_margin_bp: u32,
    pub status: PromotionStatus,
    /// The evaluation's default baseline.
    pub baseline: Baseline,
    pub costs: Vec<PromotionCost>,
    /// The participants the reader sees, and of them those who did not refuse.
    pub participants: i64,
    pub taking_part: i64,
    #[schema(value_type = Option<i64>)]
    pub created_by: Option<UserId>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the terms make of it: cost, budget left, expected gross profit and net effect,
    /// break-even extra sales.
    pub expectation: Expectation,
}

/// A customer taking part in a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Participant {
    pub promotion_id: i64,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub attitude: Attitude,
    /// What they said about it, their suggestions.
    pub notes: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub added_by: Option<UserId>,
    pub added_by_name: Option<String>,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A promotion with the participants the reader may see.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PromotionDetail {
    pub promotion: Promotion,
    pub participants: Vec<Participant>,
    /// Participants outside the reader's scope: counted, not shown.
    pub hidden_participants: i64,
}
