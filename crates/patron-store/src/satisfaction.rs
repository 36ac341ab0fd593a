//! Satisfaction ratings and the loyalty matrix (METHOD §2.3): staff record a customer's product
//! and service satisfaction (1–5); the latest rating of each aspect (by day, then by when it was
//! recorded) places the customer in a quadrant of the matrix ([`patron_core::classify::matrix`]).

use chrono::{DateTime, NaiveDate, Utc};
use patron_core::classify::{Aspect, Quadrant};
use patron_core::{CustomerId, UserId};
use serde::Serialize;

/// One recorded rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rating {
    pub id: i64,
    pub customer_id: CustomerId,
    pub aspect: Aspect,
    /// 1 (very dissatisfied) to 5 (very satisfied); 3 and above count as satisfied.
    pub score: u8,
    /// What the score says (below 3 dissatisfied, 3 basically, above very satisfied).
    #[schema(value_type = String)]
    pub level: patron_core::survey::Level,
    pub note: Option<String>,
    /// The survey answer it came from (`None`: a staff rating).
    pub response_id: Option<i64>,
    /// Who recorded it (`None`: the command line, or a user since deleted).
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    pub rated_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// A customer's latest rating of each aspect and its quadrant of the loyalty matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustomerSatisfaction {
    pub customer_id: CustomerId,
    pub product: Option<Rating>,
    pub service: Option<Rating>,
    /// `unknown` until both aspects are rated.
    pub quadrant: Quadrant,
}
