//! RFM: recency, frequency and monetary value, each scored 1–5 by quintile among the customers
//! who bought, and a named segment from the recency and frequency scores.
//!
//! - **R** = days from the last purchase day to the classification day (fewer is better);
//! - **F** = distinct purchase days up to the classification day;
//! - **M** = revenue of all purchases up to the classification day.
//!
//! A score is the quintile of the customer's mid-rank: customers with equal values share one
//! score (the middle of the ranks they occupy), so a base where most customers bought once does
//! not split identical customers across scores by accident of order.
//!
//! Segments (R score × F score; M is shown beside them):
//!
//! | R \ F | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | 5 | new customers | potential loyalists | potential loyalists | champions | champions |
//! | 4 | promising | potential loyalists | potential loyalists | loyal customers | loyal customers |
//! | 3 | about to sleep | about to sleep | need attention | loyal customers | loyal customers |
//! | 1–2 | hibernating | hibernating | at risk | at risk | can't lose them |

use super::ValueSummary;
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
pub enum RfmSegment {
    Champions,
    LoyalCustomers,
    PotentialLoyalists,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
}

impl RfmSegment {
    pub const ALL: [RfmSegment; 10] = [
        RfmSegment::Champions,
        RfmSegment::LoyalCustomers,
        RfmSegment::PotentialLoyalists,
        RfmSegment::NewCustomers,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CantLoseThem,
        RfmSegment::Hibernating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RfmSegment::Champions => "champions",
            RfmSegment::LoyalCustomers => "loyal_customers",
            RfmSegment::PotentialLoyalists => "potential_loyalists",
            RfmSegment::NewCustomers => "new_customers",
            RfmSegment::Promising => "promising",
            RfmSegment::NeedAttention => "need_attention",
            RfmSegment::AboutToSleep => "about_to_sleep",
            RfmSegment::AtRisk => "at_risk",
            RfmSegment::CantLoseThem => "cant_lose_them",
            RfmSegment::Hibernating => "hibernating",
        }
    }

    pub fn parse(s: &str) -> Option<RfmSegment> {
        RfmSegment::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// The segment of a recency and a frequency score (1–5; out-of-range scores are clamped).
    pub fn of(r: u8, f: u8) -> RfmSegment {
        use RfmSegment::*;
        let (r, f) = (r.clamp(1, 5), f.clamp(1, 5));
        match (r, f) {
            (5, 1) => NewCustomers,
            (4 | 5, 2 | 3) => PotentialLoyalists,
            (5, _) => Champions,
            (4, 1) => Promising,
            (3 | 4, _) => {
                if f >= 4 {
                    LoyalCustomers
                } else if f == 3 {
                    NeedAttention
                } else {
                    AboutToSleep
                }
            }
            (_, 1 | 2) => Hibernating,
            (_, 3 | 4) => AtRisk,
            _ => CantLoseThem,
        }
    }
}

/// One buyer's RFM values and scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rfm {
    pub recency_days: i64,
    pub frequency: i64,
    pub monetary_minor: i64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: RfmSegment,
}

/// Where a run's scores changed, so a customer whose orders change between runs can be scored
/// against the same base without re-ranking everyone: for each score 2–5, the largest recency
/// (days) that still scored it, and the smallest frequency and monetary value that did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RfmBounds {
    pub r: [Option<i64>; 4],
    pub f: [Option<i64>; 4],
    pub m: [Option<i64>; 4],
}

impl RfmBounds {
    /// The bounds of one run's scores.
    pub fn of(scored: &[Rfm]) -> RfmBounds {
        let mut b = RfmBounds::default();
        for x in scored {
            for s in 2..=5u8 {
                let i = usize::from(s - 2);
                if x.r >= s {
                    b.r[i] = Some(b.r[i].map_or(x.recency_days, |v| v.max(x.recency_days)));
                }
                if x.f >= s {
                    b.f[i] = Some(b.f[i].map_or(x.frequency, |v| v.min(x.frequency)));
                }
                if x.m >= s {
                    b.m[i] = Some(b.m[i].map_or(x.monetary_minor, |v| v.min(x.monetary_minor)));
                }
            }
        }
        b
    }

    /// Scores new values against the run's base (the highest score whose bound they reach).
    pub fn score(&self, recency_days: i64, frequency: i64, monetary_minor: i64) -> Rfm {
        let top = |ok: &dyn Fn(usize) -> bool| {
            (2..=5u8)
                .rev()
                .find(|s| ok(usize::from(s - 2)))
                .unwrap_or(1)
        };
        let r = top(&|i| self.r[i].is_some_and(|b| recency_days <= b));
        let f = top(&|i| self.f[i].is_some_and(|b| frequency >= b));
        let m = top(&|i| self.m[i].is_some_and(|b| monetary_minor >= b));
        Rfm {
            recency_days,
            frequency,
            monetary_minor,
            r,
            f,
            m,
            segment: RfmSegment::of(r, f),
        }
    }
}

/// Quintile scores 1–5 of `values` (higher value, higher score), by mid-rank: equal values
/// share a score. One value alone scores 3.
pub fn quintile_scores(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0u8; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let mid = (start + end) as f64 / 2.0;
        let score = (1.0 + (5.0 * mid / n as f64).floor()).min(5.0) as u8;
        for &i in &order[start..end] {
            out[i] = score;
        }
        start = end;
    }
    out
}

/// RFM of every customer (same order as `summaries`); `None` for those who never bought.
pub fn score_rfm(summaries: &[ValueSummary], as_of: NaiveDate) -> Vec<Option<Rfm>> {
    let buyers: Vec<(usize, NaiveDate)> = summaries
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.last_day.filter(|_| s.days > 0).map(|d| (i, d)))
        .collect();
    let recency: Vec<i64> = buyers
        .iter()
        .map(|&(_, last)| (as_of - last).num_days().max(0))
        .collect();
    // Fewer days since the last purchase score higher: score the negated recency.
    let r = quintile_scores(&recency.iter().map(|&d| -(d as f64)).collect::<Vec<_>>());
    let f = quintile_scores(
        &buyers
            .iter()
            .map(|&(i, _)| summaries[i].days as f64)
            .collect::<Vec<_>>(),
    );
    let m = quintile_scores(
        &buyers
            .iter()
            .map(|&(i, _)| summaries[i].total_minor as f64)
            .collect::<Vec<_>>(),
    );
    let mut out = vec![None; summaries.len()];
    for (k, &(i, _)) in buyers.iter().enumerate() {
        out[i] = Some(Rfm {
            recency_days: recency[k],
            frequency: summaries[i].days,
            monetary_minor: summaries[i].total_minor,
            r: r[k],
            f: f[k],
            m: m[k],
            segment: RfmSegment::of(r[k], f[k]),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CustomerId;
    use proptest::prelude::*;

    #[test]
    fn quintiles_of_distinct_values() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quintile_scores(&v), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(quintile_scores(&[7.0]), vec![3]);
        assert!(quintile_scores(&[]).is_empty());
    }

    #[test]
    fn equal_values_share_a_score() {
        // Six of ten bought once: they share the mid-rank 3/10 → score 2.
        let v = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 5.0, 9.0];
        assert_eq!(quintile_scores(&v), vec![2, 2, 2, 2, 2, 2, 4, 4, 5, 5]);
    }

    #[test]
    fn every_cell_of_the_grid_has_a_segment() {
        use RfmSegment::*;
        assert_eq!(RfmSegment::of(5, 5), Champions);
        assert_eq!(RfmSegment::of(5, 4), Champions);
        assert_eq!(RfmSegment::of(5, 1), NewCustomers);
        assert_eq!(RfmSegment::of(4, 1), Promising);
        assert_eq!(RfmSegment::of(4, 2), PotentialLoyalists);
        assert_eq!(RfmSegment::of(4, 5), LoyalCustomers);
        assert_eq!(RfmSegment::of(3, 4), LoyalCustomers);
        assert_eq!(RfmSegment::of(3, 3), NeedAttention);
        assert_eq!(RfmSegment::of(3, 2), AboutToSleep);
        assert_eq!(RfmSegment::of(2, 5), CantLoseThem);
        assert_eq!(RfmSegment::of(1, 4), AtRisk);
        assert_eq!(RfmSegment::of(2, 3), AtRisk);
        assert_eq!(RfmSegment::of(1, 1), Hibernating);
        assert_eq!(RfmSegment::of(0, 9), CantLoseThem);
        for s in RfmSegment::ALL {
            assert_eq!(RfmSegment::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn scores_buyers_only() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let s = |id, last: Option<NaiveDate>, days, total| ValueSummary {
            customer_id: CustomerId(id),
            first_day: last,
            last_day: last,
            days,
            total_minor: total,
            ..Default::default()
        };
        let data = [
            s(1, Some(d(11, 30)), 20, 50_000),
            s(2, None, 0, 0),
            s(3, Some(d(1, 2)), 1, 100),
        ];
        let out = score_rfm(&data, d(12, 1));
        assert!(out[1].is_none());
        let a = out[0].expect("buyer");
        let b = out[2].expect("buyer");
        assert_eq!(a.recency_days, 1);
        assert!(a.r > b.r && a.f > b.f && a.m > b.m);
        // Two buyers: the better one's mid-rank is the 75th percentile, score 4.
        assert_eq!((a.r, a.f, a.m), (4, 4, 4));
        assert_eq!(a.segment, RfmSegment::LoyalCustomers);
        assert_eq!(b.segment, RfmSegment::Hibernating);
    }

    #[test]
    fn bounds_score_new_values_like_the_run() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let data: Vec<ValueSummary> = (1..=20)
            .map(|i| ValueSummary {
                customer_id: CustomerId(i),
                first_day: Some(d(1, 1)),
                last_day: Some(d(1, 1) + chrono::Duration::days(i * 9)),
                days: i % 7 + 1,
                total_minor: i * 1000,
                ..Default::default()
            })
            .collect();
        let as_of = d(12, 1);
        let scored: Vec<Rfm> = score_rfm(&data, as_of).into_iter().flatten().collect();
        let b = RfmBounds::of(&scored);
        // Every customer of the run scores the same against the bounds.
        for x in &scored {
            assert_eq!(b.score(x.recency_days, x.frequency, x.monetary_minor), *x);
        }
        // A customer who just bought a lot, often, is a champion.
        let top = b.score(0, 100, 10_000_000);
        assert_eq!(
            (top.r, top.f, top.m, top.segment),
            (5, 5, 5, RfmSegment::Champions)
        );
        let low = b.score(10_000, 1, 0);
        assert_eq!((low.r, low.f, low.m), (1, 1, 1));
        assert_eq!(
            RfmBounds::default().score(1, 1, 1).segment,
            RfmSegment::Hibernating
        );
    }

    proptest! {
        #[test]
        fn scores_are_in_range_and_monotone(v in proptest::collection::vec(-1e6f64..1e6, 0..200)) {
            let s = quintile_scores(&v);
            prop_assert_eq!(s.len(), v.len());
            for i in 0..v.len() {
                prop_assert!((1..=5).contains(&s[i]));
                for j in 0..v.len() {
                    if v[i] < v[j] { prop_assert!(s[i] <= s[j]); }
                    if v[i] == v[j] { prop_assert_eq!(s[i], s[j]); }
                }
            }
        }
    }
}
