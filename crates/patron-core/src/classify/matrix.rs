//! The loyalty matrix (METHOD §2.3): a customer's quadrant from its latest product and service
//! satisfaction scores.
//!
//! |                      | service satisfied | service dissatisfied |
//! |----------------------|-------------------|----------------------|
//! | product satisfied    | loyal             | easily taken         |
//! | product dissatisfied | still hopeful     | destructive          |
//!
//! Scores run from 1 to 5; [`SATISFIED_FROM`] ("basically satisfied") and above count as
//! satisfied. A customer missing either score is **unknown**.

use serde::{Deserialize, Serialize};

/// The lowest score counted as satisfied: 3, "basically satisfied" on the 1–5 scale.
pub const SATISFIED_FROM: u8 = 3;
/// The lowest score a rating may have.
pub const MIN_SCORE: u8 = 1;
/// The highest score a rating may have.
pub const MAX_SCORE: u8 = 5;

/// What a satisfaction score rates.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Product,
    Service,
}

impl Aspect {
    pub const ALL: [Aspect; 2] = [Aspect::Product, Aspect::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Product => "product",
            Aspect::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// A cell of the loyalty matrix.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// Product and service satisfied (忠诚型客户).
    Loyal,
    /// Product satisfied, service dissatisfied (易遭竞争对手抢夺的客户).
    EasilyTaken,
    /// Product dissatisfied, service satisfied (对公司仍然抱有希望的客户).
    StillHopeful,
    /// Both dissatisfied (破坏型客户).
    Destructive,
    /// A score is missing.
    Unknown,
}

impl Quadrant {
    pub const ALL: [Quadrant; 5] = [
        Quadrant::Loyal,
        Quadrant::EasilyTaken,
        Quadrant::StillHopeful,
        Quadrant::Destructive,
        Quadrant::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::Loyal => "loyal",
            Quadrant::EasilyTaken => "easily_taken",
            Quadrant::StillHopeful => "still_hopeful",
            Quadrant::Destructive => "destructive",
            Quadrant::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Quadrant> {
        Quadrant::ALL.into_iter().find(|q| q.as_str() == s.trim())
    }
}

/// Whether a score counts as satisfied.
pub fn satisfied(score: u8) -> bool {
    score >= SATISFIED_FROM
}

/// The quadrant of the latest product and service scores; unknown when either is missing.
pub fn quadrant(product: Option<u8>, service: Option<u8>) -> Quadrant {
    match (product.map(satisfied), service.map(satisfied)) {
        (Some(true), Some(true)) => Quadrant::Loyal,
        (Some(true), Some(false)) => Quadrant::EasilyTaken,
        (Some(false), Some(true)) => Quadrant::StillHopeful,
        (Some(false), Some(false)) => Quadrant::Destructive,
        _ => Quadrant::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell() {
        assert_eq!(quadrant(Some(5), Some(3)), Quadrant::Loyal);
        assert_eq!(quadrant(Some(3), Some(2)), Quadrant::EasilyTaken);
        assert_eq!(quadrant(Some(4), Some(1)), Quadrant::EasilyTaken);
        assert_eq!(quadrant(Some(2), Some(4)), Quadrant::StillHopeful);
        assert_eq!(quadrant(Some(1), Some(2)), Quadrant::Destructive);
    }

    #[test]
    fn missing_scores_are_unknown() {
        assert_eq!(quadrant(None, Some(5)), Quadrant::Unknown);
        assert_eq!(quadrant(Some(5), None), Quadrant::Unknown);
        assert_eq!(quadrant(None, None), Quadrant::Unknown);
    }

    #[test]
    fn threshold_is_basically_satisfied() {
        assert!(satisfied(SATISFIED_FROM));
        assert!(!satisfied(SATISFIED_FROM - 1));
    }

    #[test]
    fn names_round_trip() {
        for q in Quadrant::ALL {
            assert_eq!(Quadrant::parse(q.as_str()), Some(q));
            assert_eq!(
                serde_json::to_value(q).expect("json"),
                serde_json::json!(q.as_str())
            );
        }
        for a in Aspect::ALL {
            assert_eq!(Aspect::parse(a.as_str()), Some(a));
        }
        assert_eq!(Aspect::parse("price"), None);
    }
}
