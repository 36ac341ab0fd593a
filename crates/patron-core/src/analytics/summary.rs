//! A customer's purchase history reduced to what the "buy till you die" models use: repeat
//! purchase count, recency, age and mean repeat spend (the RFM summary of Fader, Hardie & Lee).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The time unit in which recency, age and forecast horizons are expressed. The fitted BG/NBD
/// α is in this unit, so parameters fitted in one unit must not be used with the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Day,
    /// 7 days; durations are fractional (10 days = 1.428… weeks), as in the published CDNOW
    /// summaries.
    Week,
}

impl TimeUnit {
    /// Length of the unit in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
        }
    }

    /// "day"/"days"/"d" or "week"/"weeks"/"w", case-insensitive, surrounding blanks ignored.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "days" | "d" => Some(TimeUnit::Day),
            "week" | "weeks" | "w" => Some(TimeUnit::Week),
            _ => None,
        }
    }

    /// The serialised name: "day" or "week".
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        }
    }

    /// Number of units in a year of 365.25 days (for annual discount rates).
    pub fn per_year(self) -> f64 {
        365.25 / self.days()
    }
}

/// One customer's calibration-period summary, in a [`TimeUnit`].
///
/// The models count purchase *days*: several orders on one day are one transaction, because a
/// customer splitting a basket into two orders has not bought twice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// number of distinct purchase days after the first purchase day (in the calibration period)
    pub frequency: f64,
    /// time from first to last purchase day, in the unit
    pub recency: f64,
    /// time from first purchase day to calibration end, in the unit
    pub t: f64,
    /// Gamma-Gamma spend: mean over the repeat purchase days of the amount spent that day
    /// (first day excluded; several purchases on one day summed); 0.0 when frequency == 0
    pub monetary: f64,
}

/// Summarises one customer's purchases up to and including `calibration_end`.
///
/// `days`: one customer's purchases as (date, amount in MAJOR currency units, e.g. dollars), in
/// any order, several per day allowed. Purchases after `calibration_end` are ignored. `None`
/// when the customer has no purchase on or before `calibration_end`.
///
/// Definitions (Fader, Hardie & Lee 2005), with d₁ the first and dₗ the last purchase day:
/// - `frequency` = number of distinct purchase days − 1;
/// - `recency` = (dₗ − d₁) in days ÷ the unit's length;
/// - `t` = (`calibration_end` − d₁) in days ÷ the unit's length. The calibration end day itself
///   is the end point, not the day after it: this is how the published CDNOW summary counts
///   (a first purchase on 1997-01-01 with the period ending 1997-09-30 gives T = 272/7 =
///   38.86 weeks, not 39). A purchase on the end day therefore has recency = T;
/// - `monetary` = the mean, over the repeat purchase days, of the day's total. The first day is
///   left out because the Gamma-Gamma model describes repeat spend (the first order is often
///   atypical, e.g. an introductory offer). Amounts that are not finite numbers count as 0.
///   Zero or negative results (free orders, refunds) are kept here and left out of the
///   Gamma-Gamma fit, which needs positive spend.
pub fn summarise(
    days: &[(NaiveDate, f64)],
    calibration_end: NaiveDate,
    unit: TimeUnit,
) -> Option<CustomerSummary> {
    let mut purchases: Vec<(NaiveDate, f64)> = days
        .iter()
        .copied()
        .filter(|(d, _)| *d <= calibration_end)
        .collect();
    if purchases.is_empty() {
        return None;
    }
    purchases.sort_unstable_by_key(|(d, _)| *d);
    let first = purchases[0].0;
    let mut last = first;
    let mut repeat_days = 0_u32;
    let mut repeat_total = 0.0;
    for &(day, amount) in &purchases {
        let amount = if amount.is_finite() { amount } else { 0.0 };
        if day == first {
            continue;
        }
        if day != last {
            repeat_days += 1;
            last = day;
        }
        repeat_total += amount;
    }
    let unit_days = unit.days();
    let span = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / unit_days;
    let frequency = f64::from(repeat_days);
    Some(CustomerSummary {
        frequency,
        recency: span(first, last),
        t: span(first, calibration_end),
        monetary: if repeat_days == 0 {
            0.0
        } else {
            repeat_total / frequency
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn unit_names_round_trip() {
        for u in [TimeUnit::Day, TimeUnit::Week] {
            assert_eq!(TimeUnit::parse(u.as_str()), Some(u));
            assert_eq!(
                serde_json::to_string(&u).expect("serialises"),
                format!("\"{}\"", u.as_str())
            );
        }
        assert_eq!(TimeUnit::parse(" Weeks "), Some(TimeUnit::Week));
        assert_eq!(TimeUnit::parse("month"), None);
        assert_eq!(TimeUnit::Week.days(), 7.0);
    }

    #[test]
    fn one_purchase_and_none() {
        let end = d(1997, 9, 30);
        assert_eq!(summarise(&[], end, TimeUnit::Week), None);
        assert_eq!(
            summarise(&[(d(1997, 10, 1), 10.0)], end, TimeUnit::Week),
            None
        );
        let s = summarise(&[(d(1997, 9, 23), 10.0)], end, TimeUnit::Week).expect("one purchase");
        assert_eq!(
            s,
            CustomerSummary {
                frequency: 0.0,
                recency: 0.0,
                t: 1.0,
                monetary: 0.0
            }
        );
    }

    #[test]
    fn days_are_distinct_and_first_day_excluded_from_spend() {
        let end = d(1997, 9, 30);
        let s = summarise(
            &[
                (d(1997, 1, 15), 5.0),
                (d(1997, 1, 1), 100.0), // first day, two orders: not in monetary
                (d(1997, 1, 1), 50.0),
                (d(1997, 1, 15), 7.0), // same day as the other 1-15 order: one repeat day
                (d(1997, 9, 30), 30.0), // on the end day: counted
                (d(1997, 10, 1), 999.0), // after the end: ignored
                (d(1997, 3, 1), f64::NAN), // not a number: a purchase day worth 0
            ],
            end,
            TimeUnit::Day,
        )
        .expect("purchases");
        assert_eq!(s.frequency, 3.0);
        assert_eq!(s.recency, 272.0);
        assert_eq!(s.t, 272.0);
        assert!((s.monetary - (12.0 + 0.0 + 30.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn refunds_can_make_spend_non_positive() {
        let end = d(2024, 12, 31);
        let s = summarise(
            &[(d(2024, 1, 1), 20.0), (d(2024, 2, 1), -20.0)],
            end,
            TimeUnit::Week,
        )
        .expect("purchases");
        assert_eq!(s.frequency, 1.0);
        assert_eq!(s.monetary, -20.0);
    }
}
