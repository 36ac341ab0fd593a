//! Why customers were lost (METHOD §2.5): the actual distribution of churn reasons next to the
//! method's reference survey (70 / 13 / 15 / 2), and the reason list itself, which a shop may
//! extend or reword (a reason in use cannot disappear: lost customers keep theirs).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One reason with how many lost customers gave it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChurnReasonCount {
    pub code: String,
    pub label: String,
    /// The share the method's survey measured, in percent.
    pub reference_percent: Option<i64>,
    pub count: i64,
    /// `count` ÷ lost customers with a reason (`None` when none).
    pub share: Option<f64>,
}

/// Lost customers by reason, inside the caller's scope.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChurnReport {
    /// Lost customers.
    pub lost: i64,
    /// Every reason of the list, in its order, with its count (zero included).
    pub reasons: Vec<ChurnReasonCount>,
}

/// A reason added or reworded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnReasonInput {
    pub label: String,
    #[serde(default)]
    pub reference_percent: Option<i64>,
}
