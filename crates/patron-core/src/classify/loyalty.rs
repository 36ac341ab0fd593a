//! Loyalty by attitude to the brand (METHOD §2.2), derived from behaviour by stated rules; staff
//! may override it with a recorded reason (the store keeps the override and its history).
//!
//! The rules, in order (thresholds in [`LoyaltyRules`]):
//! 1. no purchase yet → **unknown** (there is no behaviour to judge);
//! 2. bought on at least `switcher_min_days` days (default 2) but not for more than `lapse_days`
//!    (default 180) → **brand switcher**: a repeat buyer who has gone elsewhere;
//! 3. bought on at least `loyal_min_days` days (default 3), the last time within `lapse_days`,
//!    and at a steady rate — at least `loyal_min_days_per_year` purchase days a year over their
//!    time as a customer (default 2) → **loyal**;
//! 4. otherwise (a single purchase, or occasional ones) → **no brand loyalty**.

use super::ValueSummary;
use crate::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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
pub enum Loyalty {
    Loyal,
    Switcher,
    NoLoyalty,
    Unknown,
}

impl Loyalty {
    pub const ALL: [Loyalty; 4] = [
        Loyalty::Loyal,
        Loyalty::Switcher,
        Loyalty::NoLoyalty,
        Loyalty::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Loyalty::Loyal => "loyal",
            Loyalty::Switcher => "switcher",
            Loyalty::NoLoyalty => "no_loyalty",
            Loyalty::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Loyalty> {
        Loyalty::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LoyaltyRules {
    pub loyal_min_days: i64,
    pub loyal_min_days_per_year: f64,
    pub switcher_min_days: i64,
    pub lapse_days: i64,
}

impl Default for LoyaltyRules {
    fn default() -> Self {
        LoyaltyRules {
            loyal_min_days: 3,
            loyal_min_days_per_year: 2.0,
            switcher_min_days: 2,
            lapse_days: 180,
        }
    }
}

impl LoyaltyRules {
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(1..=1000).contains(&self.loyal_min_days) {
            return Err(FieldError::new(
                "loyalty.loyal_min_days",
                "out_of_range",
                "the purchase days that make a customer loyal must be between 1 and 1000",
            ));
        }
        if !(self.loyal_min_days_per_year.is_finite()
            && (0.0..=366.0).contains(&self.loyal_min_days_per_year))
        {
            return Err(FieldError::new(
                "loyalty.loyal_min_days_per_year",
                "out_of_range",
                "purchase days a year must be between 0 and 366",
            ));
        }
        if !(1..=1000).contains(&self.switcher_min_days) {
            return Err(FieldError::new(
                "loyalty.switcher_min_days",
                "out_of_range",
                "the purchase days that make a lapsed customer a switcher must be between 1 and 1000",
            ));
        }
        if !(1..=3650).contains(&self.lapse_days) {
            return Err(FieldError::new(
                "loyalty.lapse_days",
                "out_of_range",
                "the days without a purchase after which a customer has lapsed must be between 1 and 3650",
            ));
        }
        Ok(())
    }
}

/// The behaviour a loyalty class was derived from, or the override that replaced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoyaltyReason {
    /// Distinct purchase days.
    pub days: i64,
    /// Days since the last purchase (`None`: never bought).
    pub days_since_last: Option<i64>,
    /// Purchase days a year between the first purchase and the classification day.
    pub days_per_year: Option<f64>,
    /// Set when staff overrode the derived class: their reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

impl LoyaltyReason {
    pub fn describe(&self, class: Loyalty) -> String {
        if let Some(r) = &self.override_reason {
            return format!("{}: set by staff — {r}", class.as_str());
        }
        match self.days_since_last {
            None => format!("{}: no purchase yet", class.as_str()),
            Some(since) => format!(
                "{}: {} purchase days, {:.1} a year, last purchase {since} d ago",
                class.as_str(),
                self.days,
                self.days_per_year.unwrap_or(0.0)
            ),
        }
    }
}

/// Days since the last purchase and purchase days a year, as of `as_of`, of a customer with
/// `days` purchase days from `first` to `last`. Public because the store keeps the days, not
/// these two numbers, which move every day (see the store's current classes) and are worked
/// out again when read.
pub fn purchase_pace(days: i64, first: NaiveDate, last: NaiveDate, as_of: NaiveDate) -> (i64, f64) {
    let since = (as_of - last).num_days().max(0);
    // A customer of less than a quarter is judged over a quarter: three purchases in their first
    // week are not 150 a year.
    let tenure_years = ((as_of - first).num_days().max(91) as f64) / 365.25;
    (since, days as f64 / tenure_years)
}

/// The loyalty class the rules derive from one customer's purchases as of `as_of`.
pub fn derive_loyalty(
    s: &ValueSummary,
    as_of: NaiveDate,
    rules: &LoyaltyRules,
) -> (Loyalty, LoyaltyReason) {
    let (Some(first), Some(last)) = (s.first_day, s.last_day) else {
        return (
            Loyalty::Unknown,
            LoyaltyReason {
                days: 0,
                days_since_last: None,
                days_per_year: None,
                override_reason: None,
            },
        );
    };
    let (since, per_year) = purchase_pace(s.days, first, last, as_of);
    let reason = LoyaltyReason {
        days: s.days,
        days_since_last: Some(since),
        days_per_year: Some(per_year),
        override_reason: None,
    };
    let lapsed = since > rules.lapse_days;
    let class = if s.days == 0 {
        Loyalty::Unknown
    } else if lapsed && s.days >= rules.switcher_min_days {
        Loyalty::Switcher
    } else if !lapsed && s.days >= rules.loyal_min_days && per_year >= rules.loyal_min_days_per_year
    {
        Loyalty::Loyal
    } else {
        Loyalty::NoLoyalty
    };
    (class, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn bought(first: NaiveDate, last: NaiveDate, days: i64) -> ValueSummary {
        ValueSummary {
            first_day: Some(first),
            last_day: Some(last),
            days,
            ..Default::default()
        }
    }

    #[test]
    fn the_four_rules() {
        let r = LoyaltyRules::default();
        let as_of = d(2026, 12, 1);
        let never = ValueSummary::default();
        assert_eq!(derive_loyalty(&never, as_of, &r).0, Loyalty::Unknown);
        // Six purchase days over two years, the last a month ago: loyal.
        let s = bought(d(2024, 12, 1), d(2026, 11, 1), 6);
        assert_eq!(derive_loyalty(&s, as_of, &r).0, Loyalty::Loyal);
        // The same customer silent for a year: switcher.
        let s = bought(d(2023, 12, 1), d(2025, 11, 1), 6);
        assert_eq!(derive_loyalty(&s, as_of, &r).0, Loyalty::Switcher);
        // One purchase long ago: no loyalty (never a repeat buyer, so not a switcher).
        let s = bought(d(2020, 1, 1), d(2020, 1, 1), 1);
        assert_eq!(derive_loyalty(&s, as_of, &r).0, Loyalty::NoLoyalty);
        // Three purchase days over ten years, the last recent: too rare to be loyal.
        let s = bought(d(2016, 12, 1), d(2026, 11, 1), 3);
        let (class, why) = derive_loyalty(&s, as_of, &r);
        assert_eq!(class, Loyalty::NoLoyalty);
        assert!(why.days_per_year.unwrap_or(9.0) < 0.5);
        // Three purchases in a new customer's first week: judged over a quarter, 12 a year.
        let s = bought(d(2026, 11, 25), d(2026, 11, 30), 3);
        let (class, why) = derive_loyalty(&s, as_of, &r);
        assert_eq!(class, Loyalty::Loyal);
        assert!((why.days_per_year.unwrap_or(0.0) - 3.0 / (91.0 / 365.25)).abs() < 1e-9);
        assert_eq!(
            why.describe(class),
            "loyal: 3 purchase days, 12.0 a year, last purchase 1 d ago"
        );
    }

    #[test]
    fn lapse_is_a_threshold_in_days() {
        let r = LoyaltyRules {
            lapse_days: 30,
            ..Default::default()
        };
        let as_of = d(2026, 12, 1);
        let s = bought(d(2025, 1, 1), d(2026, 11, 1), 10);
        assert_eq!(derive_loyalty(&s, as_of, &r).0, Loyalty::Loyal);
        let s = bought(d(2025, 1, 1), d(2026, 10, 31), 10);
        assert_eq!(derive_loyalty(&s, as_of, &r).0, Loyalty::Switcher);
    }

    #[test]
    fn parse_and_validate() {
        for l in Loyalty::ALL {
            assert_eq!(Loyalty::parse(l.as_str()), Some(l));
        }
        assert!(LoyaltyRules::default().validate().is_ok());
        let bad = LoyaltyRules {
            lapse_days: 0,
            ..Default::default()
        };
        assert_eq!(
            bad.validate().map_err(|e| e.field),
            Err("loyalty.lapse_days".into())
        );
    }
}
