//! Dynamic classification (METHOD §2): every customer's ABC class by value (§2.1), loyalty by
//! behaviour (§2.2) and RFM segment, each with the numbers that explain it.
//!
//! The store aggregates each customer's orders into one [`ValueSummary`] (one grouped scan); the
//! functions here turn a whole customer base's summaries into classes. They are pure and
//! deterministic (ties are broken by customer id), so a re-run on the same data changes nothing
//! and the class history only records real movement.
//!
//! Every threshold is a field of [`ClassRules`], kept in the settings; the defaults are the
//! method's.

pub mod abc;
pub mod loyalty;
pub mod matrix;
pub mod rfm;

pub use abc::{
    classify_abc, classify_territories, AbcClass, AbcMethod, AbcReason, AbcRule, AbcRules,
    TerritoryClass,
};
pub use loyalty::{derive_loyalty, purchase_pace, Loyalty, LoyaltyReason, LoyaltyRules};
pub use matrix::{quadrant, Aspect, Quadrant, SATISFIED_FROM};
pub use rfm::{quintile_scores, score_rfm, Rfm, RfmBounds, RfmSegment};

use crate::CustomerId;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// One customer's purchases as of a day, aggregated by the database (amounts in minor units of
/// one currency; orders in other currencies are left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueSummary {
    pub customer_id: CustomerId,
    /// Revenue inside the ABC window (`as_of` minus the window, `as_of`].
    pub window_minor: i64,
    /// Revenue in each of the last three 12-month years before `as_of`, newest first (the growth
    /// rule compares them).
    pub yearly_minor: [i64; 3],
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// Distinct purchase days up to `as_of`.
    pub days: i64,
    /// Revenue of all purchases up to `as_of`.
    pub total_minor: i64,
}

/// The day boundaries a classification as of a day needs: the ABC window's start and the three
/// years of the growth rule (each an exclusive lower bound: a year is `(start, end]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Periods {
    pub as_of: NaiveDate,
    pub window_start: NaiveDate,
    /// `[as_of − 1y, as_of − 2y, as_of − 3y]`.
    pub year_starts: [NaiveDate; 3],
}

impl Periods {
    pub fn new(as_of: NaiveDate, window_months: u32) -> Periods {
        let back = |m: u32| {
            as_of
                .checked_sub_months(Months::new(m))
                .unwrap_or(NaiveDate::MIN)
        };
        Periods {
            as_of,
            window_start: back(window_months),
            year_starts: [back(12), back(24), back(36)],
        }
    }
}

/// All the rules of a classification run; stored as JSON in the setting [`RULES_SETTING`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClassRules {
    pub abc: AbcRules,
    pub loyalty: LoyaltyRules,
}

/// The settings key of [`ClassRules`].
pub const RULES_SETTING: &str = "classify.rules";

impl ClassRules {
    /// Checks every threshold; the error names the field (as a form or `--json` reports it).
    pub fn validate(&self) -> Result<(), crate::FieldError> {
        self.abc.validate()?;
        self.loyalty.validate()
    }
}

/// How often `patron serve` reclassifies on its own (METHOD §2: "re-evaluated periodically,
/// default monthly"); the setting [`SCHEDULE_SETTING`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Daily,
    Weekly,
    #[default]
    Monthly,
    Off,
}

/// The settings key of [`Schedule`].
pub const SCHEDULE_SETTING: &str = "classify.schedule";

impl Schedule {
    pub fn parse(s: &str) -> Option<Schedule> {
        match s.trim() {
            "daily" => Some(Schedule::Daily),
            "weekly" => Some(Schedule::Weekly),
            "monthly" => Some(Schedule::Monthly),
            "off" => Some(Schedule::Off),
            _ => None,
        }
    }

    /// Whether a run is due on `today` when the latest run was as of `last` (`None`: never):
    /// daily once a day, weekly once an ISO week, monthly once a calendar month.
    pub fn is_due(self, last: Option<NaiveDate>, today: NaiveDate) -> bool {
        use chrono::Datelike;
        let Some(last) = last else {
            return self != Schedule::Off;
        };
        match self {
            Schedule::Off => false,
            Schedule::Daily => last < today,
            Schedule::Weekly => last.iso_week() != today.iso_week() && last < today,
            Schedule::Monthly => (last.year(), last.month()) < (today.year(), today.month()),
        }
    }
}

/// Which classification a class belongs to (a row of the class history).
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
pub enum Dimension {
    Abc,
    Loyalty,
    Rfm,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Dimension::Abc, Dimension::Loyalty, Dimension::Rfm];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Abc => "abc",
            Dimension::Loyalty => "loyalty",
            Dimension::Rfm => "rfm",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The classes of this dimension, in the order reports show them.
    pub fn classes(self) -> Vec<&'static str> {
        match self {
            Dimension::Abc => AbcClass::ALL.iter().map(|c| c.as_str()).collect(),
            Dimension::Loyalty => Loyalty::ALL.iter().map(|c| c.as_str()).collect(),
            Dimension::Rfm => RfmSegment::ALL.iter().map(|c| c.as_str()).collect(),
        }
    }
}

/// One customer's classes from one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classified {
    pub customer_id: CustomerId,
    pub abc: AbcClass,
    pub abc_reason: AbcReason,
    /// Loyalty derived from behaviour (a staff override, if any, is applied by the store).
    pub loyalty: Loyalty,
    pub loyalty_reason: LoyaltyReason,
    /// `None` for a customer who never bought (RFM scores only buyers).
    pub rfm: Option<Rfm>,
}

/// Classifies a whole customer base as of `periods.as_of` (one element per summary, same order).
pub fn classify_all(
    summaries: &[ValueSummary],
    rules: &ClassRules,
    periods: &Periods,
) -> Vec<Classified> {
    let abc = classify_abc(summaries, &rules.abc);
    let rfm = score_rfm(summaries, periods.as_of);
    summaries
        .iter()
        .zip(abc)
        .zip(rfm)
        .map(|((s, (class, reason)), rfm)| {
            let (loyalty, loyalty_reason) = derive_loyalty(s, periods.as_of, &rules.loyalty);
            Classified {
                customer_id: s.customer_id,
                abc: class,
                abc_reason: reason,
                loyalty,
                loyalty_reason,
                rfm,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_count_back_whole_months() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let p = Periods::new(d(2024, 2, 29), 12);
        assert_eq!(p.window_start, d(2023, 2, 28));
        assert_eq!(
            p.year_starts,
            [d(2023, 2, 28), d(2022, 2, 28), d(2021, 2, 28)]
        );
        let p = Periods::new(d(2026, 12, 3), 6);
        assert_eq!(p.window_start, d(2026, 6, 3));
    }

    #[test]
    fn schedules() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let m = Schedule::Monthly;
        assert!(m.is_due(None, d(2026, 12, 3)));
        assert!(!m.is_due(Some(d(2026, 12, 1)), d(2026, 12, 31)));
        assert!(m.is_due(Some(d(2026, 11, 30)), d(2026, 12, 1)));
        assert!(m.is_due(Some(d(2025, 12, 31)), d(2026, 1, 1)));
        assert!(!Schedule::Off.is_due(None, d(2026, 12, 3)));
        assert!(Schedule::Daily.is_due(Some(d(2026, 12, 2)), d(2026, 12, 3)));
        assert!(!Schedule::Daily.is_due(Some(d(2026, 12, 3)), d(2026, 12, 3)));
        // 2026-12-06 is a Sunday, 2026-12-07 a Monday.
        assert!(!Schedule::Weekly.is_due(Some(d(2026, 12, 1)), d(2026, 12, 6)));
        assert!(Schedule::Weekly.is_due(Some(d(2026, 12, 6)), d(2026, 12, 7)));
        assert_eq!(Schedule::parse("weekly"), Some(Schedule::Weekly));
        assert_eq!(Schedule::parse("hourly"), None);
    }

    #[test]
    fn dimensions_round_trip() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(d));
            assert!(!d.classes().is_empty());
        }
        assert_eq!(Dimension::parse("x"), None);
    }

    #[test]
    fn default_rules_are_valid_and_serialise() {
        let r = ClassRules::default();
        assert!(r.validate().is_ok());
        let json = serde_json::to_string(&r).expect("json");
        let back: ClassRules = serde_json::from_str(&json).expect("back");
        assert_eq!(back, r);
        // Missing fields take their defaults (settings written by an older version).
        let partial: ClassRules =
            serde_json::from_str(r#"{"abc":{"method":"customer_share"}}"#).expect("partial");
        assert_eq!(partial.abc.method, AbcMethod::CustomerShare);
        assert_eq!(partial.abc.window_months, 12);
    }
}
