//! What the credit system (METHOD §2.6) stores and reads back: credit reviews, payments, the
//! overrides of a limit, a customer's credit with its balance, and the list of every customer
//! under credit management.
//!
//! A customer is under credit management from its first review on: before that nothing is
//! checked, and orders dated before the first review do not count towards the balance — they
//! belong to a time when nobody kept the customer's payments, so counting them would make an
//! imported history look like unpaid debt. From then on its credit is its latest review (by
//! review day, then by when it was recorded), and its balance is the orders and payments in the
//! default currency dated on or after the first review, settled oldest first
//! ([`patron_core::credit::balance`]).
//!
//! The limit is enforced where orders are taken by staff — the order methods with a credit check
//! ([`crate::Store::create_order_checked`]) — in the same transaction that saves the order, so two
//! orders taken at once cannot both squeeze under the same limit. Imports are never checked: an
//! import records orders that have already happened (a history), and refusing a row of it would
//! only make the archive disagree with the books.

use chrono::{DateTime, NaiveDate, Utc};
use patron_core::credit::{Balance, CreditClass, CreditPolicy, POLICY_SETTING};
use patron_core::{CustomerId, OrderId, PaymentId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

/// One recorded credit review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditReview {
    pub id: i64,
    pub customer_id: CustomerId,
    pub reviewed_on: NaiveDate,
    /// Who reviewed (`None`: the command line without `--as`, or a removed user).
    pub reviewer_id: Option<UserId>,
    pub reviewer_name: Option<String>,
    pub class: CreditClass,
    pub limit_minor: i64,
    pub term_days: u32,
    pub currency: String,
    pub deposit_minor: Option<i64>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One payment received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Payment {
    pub id: PaymentId,
    pub customer_id: CustomerId,
    pub paid_on: NaiveDate,
    pub amount_minor: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub notes: Option<String>,
    pub created_by: Option<UserId>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An order a manager let through over the customer's limit, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditOverride {
    pub id: i64,
    pub customer_id: CustomerId,
    /// `None` once the order has been deleted (the override stays on record).
    pub order_id: Option<OrderId>,
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    pub reason: String,
    /// What the order added to the balance.
    pub order_minor: i64,
    /// The outstanding balance with the order.
    pub outstanding_minor: i64,
    pub limit_minor: i64,
    /// By how much the order took the balance over the limit.
    pub over_limit_minor: i64,
    pub currency: String,
    pub at: DateTime<Utc>,
}

/// A customer's credit in force (its latest review) and its balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CustomerCredit {
    pub customer_id: CustomerId,
    pub class: CreditClass,
    pub limit_minor: i64,
    pub term_days: u32,
    pub deposit_minor: Option<i64>,
    /// The latest review's day.
    pub reviewed_on: NaiveDate,
    /// The first review's day: orders and payments from this day on count.
    pub since: NaiveDate,
    /// The currency of the balance (the default currency).
    pub currency: String,
    pub as_of: NaiveDate,
    pub balance: Balance,
    /// `limit_minor` minus what the customer owes net of payments in advance (negative: over the
    /// limit).
    pub available_minor: i64,
}

/// One row of the credit list: a customer under credit management with its exposure (METHOD §8
/// "credit exposure"; the `credit` value list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditAccount {
    pub customer_id: CustomerId,
    pub name: String,
    pub owner_id: Option<UserId>,
    pub class: CreditClass,
    pub limit_minor: i64,
    pub term_days: u32,
    pub reviewed_on: NaiveDate,
    pub currency: String,
    pub outstanding_minor: i64,
    pub overdue_minor: i64,
    pub days_overdue: i64,
    pub oldest_overdue_due: Option<NaiveDate>,
    pub available_minor: i64,
}

/// Why an order was refused: it would take the customer over its credit limit. Carries the
/// numbers, so each caller can say it in its own language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditRefusal {
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub class: CreditClass,
    pub limit_minor: i64,
    /// What the customer owes before the order (net of payments in advance).
    pub outstanding_minor: i64,
    /// What the order adds (for an edit: the increase over the order as it was).
    pub order_minor: i64,
    /// The balance the order would leave.
    pub after_minor: i64,
    pub over_limit_minor: i64,
    #[schema(value_type = String)]
    pub currency: patron_core::Currency,
}

impl CreditRefusal {
    /// The refusal in English with plain amounts ("12000.00 CNY"); the web layer words it with
    /// the reader's money format.
    pub fn describe(&self, money: impl Fn(i64) -> String) -> String {
        format!(
            "this order of {} would take {} to {} outstanding, over its credit limit of {} ({})",
            money(self.order_minor),
            self.customer_name,
            money(self.after_minor),
            money(self.limit_minor),
            self.class,
        )
    }
}

/// The credit policy in force: the setting [`POLICY_SETTING`], else the method's example terms in
/// the default currency. A stored value that no longer parses is an error, not a silent reset.
pub async fn load_policy(store: &dyn crate::Store) -> crate::StoreResult<CreditPolicy> {
    match store.get_setting(POLICY_SETTING).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            crate::StoreError::other(
                format!("the setting {POLICY_SETTING} is not a valid credit policy"),
                e,
            )
        }),
        None => {
            let cur = crate::classes::default_currency(store).await?;
            Ok(CreditPolicy::defaults(cur.minor_digits()))
        }
    }
}

/// Validates and stores the credit policy (reviews from now on default to it).
pub async fn save_policy(
    store: &dyn crate::Store,
    policy: &CreditPolicy,
) -> crate::StoreResult<()> {
    policy
        .validate()
        .map_err(|e| crate::StoreError::Invalid(e.into()))?;
    let text = serde_json::to_string(policy)
        .map_err(|e| crate::StoreError::other("credit policy to JSON", e))?;
    store.set_setting(POLICY_SETTING, &text).await
}
