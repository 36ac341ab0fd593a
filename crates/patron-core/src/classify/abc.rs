//! ABC by value (METHOD §2.1): "grasp A, take care of B".
//!
//! Three methods, chosen in the settings:
//! - **revenue share** (the default Pareto cut): customers sorted by revenue over the window
//!   (default the last 12 months); A are the customers who make the first 80% of the cumulative
//!   revenue (the customer who crosses 80% included), B the next 15%, C the last 5%;
//! - **customer share**: the top 20% of the buying customers are A, the next 30% B, the rest C;
//! - **top and growth** (the Korean variant): the top 20% are A; B are the customers whose sales
//!   grew in each of the last two 12-month years by at least 10%; C all others.
//!
//! In every method a customer with no positive revenue in the window is C, and only customers
//! with positive revenue are ranked. With `growth_b` the growth rule also lifts a customer the
//! cut would make C into B under the two share methods. Ties in revenue are broken by customer
//! id, so the same data always give the same classes.

use super::ValueSummary;
use crate::money::format_minor;
use crate::{Currency, FieldError};
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
pub enum AbcClass {
    A,
    B,
    C,
}

impl AbcClass {
    pub const ALL: [AbcClass; 3] = [AbcClass::A, AbcClass::B, AbcClass::C];

    pub fn as_str(self) -> &'static str {
        match self {
            AbcClass::A => "A",
            AbcClass::B => "B",
            AbcClass::C => "C",
        }
    }

    pub fn parse(s: &str) -> Option<AbcClass> {
        match s.trim() {
            "A" | "a" => Some(AbcClass::A),
            "B" | "b" => Some(AbcClass::B),
            "C" | "c" => Some(AbcClass::C),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbcMethod {
    RevenueShare,
    CustomerShare,
    TopAndGrowth,
}

impl AbcMethod {
    pub const ALL: [AbcMethod; 3] = [
        AbcMethod::RevenueShare,
        AbcMethod::CustomerShare,
        AbcMethod::TopAndGrowth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AbcMethod::RevenueShare => "revenue_share",
            AbcMethod::CustomerShare => "customer_share",
            AbcMethod::TopAndGrowth => "top_and_growth",
        }
    }

    pub fn parse(s: &str) -> Option<AbcMethod> {
        AbcMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The thresholds of ABC (fractions, not percentages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AbcRules {
    pub method: AbcMethod,
    /// The revenue window, in months back from the classification day.
    pub window_months: u32,
    /// Revenue share: A's share of cumulative revenue (0.80) and B's (0.15); C has the rest.
    pub revenue_a: f64,
    pub revenue_b: f64,
    /// Customer share (and top and growth's A): A's share of the buying customers (0.20) and
    /// B's (0.30).
    pub customers_a: f64,
    pub customers_b: f64,
    /// The growth rule: sales up by at least this fraction in each of the last two years (0.10).
    pub growth: f64,
    /// Under the two share methods, also make B whoever the growth rule picks out of C.
    pub growth_b: bool,
}

impl Default for AbcRules {
    fn default() -> Self {
        AbcRules {
            method: AbcMethod::RevenueShare,
            window_months: 12,
            revenue_a: 0.80,
            revenue_b: 0.15,
            customers_a: 0.20,
            customers_b: 0.30,
            growth: 0.10,
            growth_b: false,
        }
    }
}

impl AbcRules {
    pub fn validate(&self) -> Result<(), FieldError> {
        let share = |field: &str, v: f64| {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(FieldError::new(
                    field,
                    "out_of_range",
                    format!("{field} must be a fraction between 0 and 1, not {v}"),
                ))
            }
        };
        share("abc.revenue_a", self.revenue_a)?;
        share("abc.revenue_b", self.revenue_b)?;
        share("abc.customers_a", self.customers_a)?;
        share("abc.customers_b", self.customers_b)?;
        if self.revenue_a + self.revenue_b > 1.0 + 1e-9 {
            return Err(FieldError::new(
                "abc.revenue_b",
                "out_of_range",
                "A's and B's revenue shares add up to more than 100%",
            ));
        }
        if self.customers_a + self.customers_b > 1.0 + 1e-9 {
            return Err(FieldError::new(
                "abc.customers_b",
                "out_of_range",
                "A's and B's customer shares add up to more than 100%",
            ));
        }
        if !(self.growth.is_finite() && (0.0..=10.0).contains(&self.growth)) {
            return Err(FieldError::new(
                "abc.growth",
                "out_of_range",
                format!(
                    "the growth rule must be between 0 and 10 (1000%), not {}",
                    self.growth
                ),
            ));
        }
        if !(1..=120).contains(&self.window_months) {
            return Err(FieldError::new(
                "abc.window_months",
                "out_of_range",
                "the window must be between 1 and 120 months",
            ));
        }
        Ok(())
    }
}

/// Which rule gave the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbcRule {
    /// The revenue-share cut.
    RevenueShare,
    /// The customer-share cut (also top and growth's A).
    CustomerShare,
    /// Sales grew in each of the last two years by at least the rule's fraction.
    Growth,
    /// Ranked, but below the A and B cuts (and not growing).
    Remainder,
    /// No positive revenue in the window.
    NoRevenue,
}

/// The numbers behind a customer's ABC class, kept with the class and its history so a page can
/// say why ("A: 12-month revenue 182,340.00, rank 41 of 1,204, cumulative share 61%").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AbcReason {
    pub rule: AbcRule,
    pub method: AbcMethod,
    pub window_months: u32,
    /// Revenue in the window, minor units.
    pub revenue_minor: i64,
    /// 1-based rank by revenue among the customers with positive revenue.
    pub rank: Option<u64>,
    /// How many customers were ranked.
    pub ranked: u64,
    /// Share of all ranked revenue made by ranks 1 to `rank` (this customer included).
    pub cumulative_share: Option<f64>,
    /// Year-on-year growth of the last year and of the year before (`None` where the earlier
    /// year had no sales), when the growth rule was looked at.
    pub growth: Option<[Option<f64>; 2]>,
}

impl AbcReason {
    /// An English sentence for the command line; the web UI renders the same fields in the
    /// reader's language.
    pub fn describe(&self, class: AbcClass, currency: &Currency) -> String {
        let mut s = format!("{}: ", class.as_str());
        match self.rule {
            AbcRule::NoRevenue => {
                s += &format!("no revenue in the last {} months", self.window_months);
                return s;
            }
            AbcRule::Growth => {
                let pct = |g: Option<f64>| {
                    g.map(|g| format!("{:+.0}%", g * 100.0))
                        .unwrap_or_else(|| "n/a".into())
                };
                if let Some([g0, g1]) = self.growth {
                    s += &format!(
                        "sales grew {} last year and {} the year before; ",
                        pct(g0),
                        pct(g1)
                    );
                }
            }
            _ => {}
        }
        s += &format!(
            "{}-month revenue {} {}",
            self.window_months,
            format_minor(self.revenue_minor, currency),
            currency.as_str()
        );
        if let Some(rank) = self.rank {
            s += &format!(", rank {rank} of {}", self.ranked);
        }
        if let Some(c) = self.cumulative_share {
            s += &format!(", cumulative share {:.0}%", c * 100.0);
        }
        s
    }
}

/// Year-on-year growth of `now` over `before` (`None` when `before` had no sales).
fn growth_of(now: i64, before: i64) -> Option<f64> {
    (before > 0).then(|| (now - before) as f64 / before as f64)
}

/// Whether sales grew in each of the last two years by at least `rule`, and the two growths.
fn grew(s: &ValueSummary, rule: f64) -> (bool, [Option<f64>; 2]) {
    let [y0, y1, y2] = s.yearly_minor;
    let g = [growth_of(y0, y1), growth_of(y1, y2)];
    // Integer comparison of y_now ≥ y_before × (1 + rule) up to float rounding of the rule.
    let ok = |now: i64, before: i64| before > 0 && now as f64 >= before as f64 * (1.0 + rule);
    (ok(y0, y1) && ok(y1, y2), g)
}

/// The ABC class of every customer (same order as `summaries`) and the numbers behind it.
pub fn classify_abc(summaries: &[ValueSummary], rules: &AbcRules) -> Vec<(AbcClass, AbcReason)> {
    // Rank the customers with positive revenue: revenue descending, then customer id.
    let mut ranked: Vec<usize> = (0..summaries.len())
        .filter(|&i| summaries[i].window_minor > 0)
        .collect();
    ranked.sort_by(|&a, &b| {
        summaries[b]
            .window_minor
            .cmp(&summaries[a].window_minor)
            .then(summaries[a].customer_id.cmp(&summaries[b].customer_id))
    });
    let n = ranked.len() as u64;
    let total: i128 = ranked
        .iter()
        .map(|&i| summaries[i].window_minor as i128)
        .sum();
    let base = |s: &ValueSummary, rule: AbcRule| AbcReason {
        rule,
        method: rules.method,
        window_months: rules.window_months,
        revenue_minor: s.window_minor,
        rank: None,
        ranked: n,
        cumulative_share: None,
        growth: None,
    };
    let mut out: Vec<(AbcClass, AbcReason)> = summaries
        .iter()
        .map(|s| {
            let mut r = base(s, AbcRule::NoRevenue);
            if rules.method == AbcMethod::TopAndGrowth {
                // The growth rule is about yearly sales, not the window: look at it anyway.
                let (ok, g) = grew(s, rules.growth);
                r.growth = Some(g);
                if ok {
                    r.rule = AbcRule::Growth;
                    return (AbcClass::B, r);
                }
            }
            (AbcClass::C, r)
        })
        .collect();
    // Customer cuts: the first ceil(share × n) ranks.
    let cut = |share: f64| (share * n as f64 - 1e-9).ceil().max(0.0) as u64;
    let (a_customers, ab_customers) = (
        cut(rules.customers_a),
        cut(rules.customers_a + rules.customers_b),
    );
    let mut before: i128 = 0;
    for (k, &i) in ranked.iter().enumerate() {
        let s = &summaries[i];
        let rank = k as u64 + 1;
        let share_before = if total > 0 {
            before as f64 / total as f64
        } else {
            0.0
        };
        before += s.window_minor as i128;
        let cumulative = if total > 0 {
            before as f64 / total as f64
        } else {
            0.0
        };
        let mut r = base(s, AbcRule::Remainder);
        r.rank = Some(rank);
        r.cumulative_share = Some(cumulative);
        let class = match rules.method {
            AbcMethod::RevenueShare => {
                r.rule = AbcRule::RevenueShare;
                // The customer who crosses the A line belongs to A: the first 80% is theirs.
                if share_before < rules.revenue_a - 1e-12 {
                    AbcClass::A
                } else if share_before < rules.revenue_a + rules.revenue_b - 1e-12 {
                    AbcClass::B
                } else {
                    r.rule = AbcRule::Remainder;
                    AbcClass::C
                }
            }
            AbcMethod::CustomerShare => {
                r.rule = AbcRule::CustomerShare;
                if rank <= a_customers {
                    AbcClass::A
                } else if rank <= ab_customers {
                    AbcClass::B
                } else {
                    r.rule = AbcRule::Remainder;
                    AbcClass::C
                }
            }
            AbcMethod::TopAndGrowth => {
                let (ok, g) = grew(s, rules.growth);
                r.growth = Some(g);
                if rank <= a_customers {
                    r.rule = AbcRule::CustomerShare;
                    AbcClass::A
                } else if ok {
                    r.rule = AbcRule::Growth;
                    AbcClass::B
                } else {
                    AbcClass::C
                }
            }
        };
        let class =
            if class == AbcClass::C && rules.growth_b && rules.method != AbcMethod::TopAndGrowth {
                let (ok, g) = grew(s, rules.growth);
                r.growth = Some(g);
                if ok {
                    r.rule = AbcRule::Growth;
                    AbcClass::B
                } else {
                    class
                }
            } else {
                class
            };
        out[i] = (class, r);
    }
    out
}

/// One sales territory's ABC class (METHOD §2.1: "sales territories can be graded A/B/C the
/// same way"): its customers' revenue added up and cut by the same rules as customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TerritoryClass {
    pub territory: String,
    pub class: AbcClass,
    pub reason: AbcReason,
    /// Customers in the territory.
    pub customers: u64,
}

/// Grades territories: each is the sum of its customers' summaries (the territory of a customer
/// is the value of its `territory` custom field), classified by `rules` like customers, ties
/// broken by name. Sorted by rank (territories without revenue last, by name).
pub fn classify_territories(
    members: &[(String, &ValueSummary)],
    rules: &AbcRules,
) -> Vec<TerritoryClass> {
    let mut groups: std::collections::BTreeMap<&str, (ValueSummary, u64)> =
        std::collections::BTreeMap::new();
    for (t, s) in members {
        let g = groups.entry(t.as_str()).or_default();
        g.0.window_minor += s.window_minor;
        for i in 0..3 {
            g.0.yearly_minor[i] += s.yearly_minor[i];
        }
        g.1 += 1;
    }
    // The map is sorted by name, so position order breaks ties by name.
    let sums: Vec<ValueSummary> = groups
        .values()
        .enumerate()
        .map(|(i, (s, _))| ValueSummary {
            customer_id: crate::CustomerId(i as i64),
            ..s.clone()
        })
        .collect();
    let graded = classify_abc(&sums, rules);
    let mut out: Vec<TerritoryClass> = groups
        .into_iter()
        .zip(graded)
        .map(|((name, (_, n)), (class, reason))| TerritoryClass {
            territory: name.to_owned(),
            class,
            reason,
            customers: n,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.reason.rank.is_none(), a.reason.rank, &a.territory).cmp(&(
            b.reason.rank.is_none(),
            b.reason.rank,
            &b.territory,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CustomerId;

    fn s(id: i64, window: i64) -> ValueSummary {
        ValueSummary {
            customer_id: CustomerId(id),
            window_minor: window,
            yearly_minor: [window, 0, 0],
            days: i64::from(window > 0),
            total_minor: window,
            ..Default::default()
        }
    }

    fn classes(out: &[(AbcClass, AbcReason)]) -> String {
        out.iter().map(|(c, _)| c.as_str()).collect()
    }

    #[test]
    fn revenue_share_cut_puts_the_crossing_customer_in_a() {
        // Revenue 50, 25, 10, 6, 5, 4 (total 100): cumulative 50, 75, 85, 91, 96, 100.
        let data = [
            s(1, 50),
            s(2, 25),
            s(3, 10),
            s(4, 6),
            s(5, 5),
            s(6, 4),
            s(7, 0),
        ];
        let out = classify_abc(&data, &AbcRules::default());
        // A: 50 (before 0%), 25 (before 50%), 10 (before 75% < 80%, crosses it).
        // B: 6 (before 85%), 5 (before 91%); C: 4 (before 96% ≥ 95%) and the one without revenue.
        assert_eq!(classes(&out), "AAABBCC");
        let (_, r) = &out[2];
        assert_eq!(r.rank, Some(3));
        assert_eq!(r.ranked, 6);
        assert!((r.cumulative_share.unwrap_or(0.0) - 0.85).abs() < 1e-12);
        assert_eq!(out[6].1.rule, AbcRule::NoRevenue);
        assert_eq!(out[6].1.rank, None);
        assert_eq!(out[5].1.rule, AbcRule::Remainder);
    }

    #[test]
    fn ties_are_broken_by_id_and_order_of_input_does_not_matter() {
        let a = [s(3, 10), s(1, 10), s(2, 10), s(4, 10), s(5, 10)];
        let mut b = a.clone();
        b.reverse();
        let by_id = |data: &[ValueSummary]| {
            let out = classify_abc(data, &AbcRules::default());
            let mut v: Vec<(i64, AbcClass, Option<u64>)> = data
                .iter()
                .zip(out)
                .map(|(s, (c, r))| (s.customer_id.0, c, r.rank))
                .collect();
            v.sort();
            v
        };
        assert_eq!(by_id(&a), by_id(&b));
        // Five equal customers: the cut at 80% takes the first four ranks (before 0, 20, 40, 60%).
        let v = by_id(&a);
        assert_eq!(v[0], (1, AbcClass::A, Some(1)));
        assert_eq!(v[4], (5, AbcClass::B, Some(5)));
    }

    #[test]
    fn customer_share_cut_counts_buying_customers() {
        let data: Vec<ValueSummary> = (1..=10).map(|i| s(i, 100 - i)).chain([s(11, 0)]).collect();
        let rules = AbcRules {
            method: AbcMethod::CustomerShare,
            ..Default::default()
        };
        let out = classify_abc(&data, &rules);
        assert_eq!(classes(&out), "AABBBCCCCCC");
        assert_eq!(out[0].1.rule, AbcRule::CustomerShare);
        // One buyer alone is the top 20%.
        let out = classify_abc(&[s(1, 5)], &rules);
        assert_eq!(out[0].0, AbcClass::A);
    }

    #[test]
    fn top_and_growth_takes_growers_into_b() {
        let mut data: Vec<ValueSummary> = (1..=10).map(|i| s(i, 1000 - i)).collect();
        // #6: 1100 ← 1000 ← 900 (+10%, +11.1%): B. #7: 1200 ← 1000 ← 950 (+20%, +5.3%): C.
        data[5].yearly_minor = [1100, 1000, 900];
        data[6].yearly_minor = [1200, 1000, 950];
        // A customer with no revenue in a 6-month window can still not grow (y0 = 0).
        let rules = AbcRules {
            method: AbcMethod::TopAndGrowth,
            ..Default::default()
        };
        let out = classify_abc(&data, &rules);
        assert_eq!(classes(&out), "AACCCBCCCC");
        assert_eq!(out[5].1.rule, AbcRule::Growth);
        let g = out[5].1.growth.expect("growth looked at");
        assert!((g[0].unwrap_or(0.0) - 0.10).abs() < 1e-12);
        assert!(out[5]
            .1
            .describe(AbcClass::B, &Currency::default())
            .contains("+10% last year"));
        assert_eq!(out[6].1.rule, AbcRule::Remainder);
    }

    #[test]
    fn growth_b_lifts_growing_c_customers_under_the_share_methods() {
        let mut data = vec![s(1, 1000), s(2, 10)];
        data[1].yearly_minor = [10, 5, 2];
        let rules = AbcRules {
            growth_b: true,
            ..Default::default()
        };
        let out = classify_abc(&data, &rules);
        assert_eq!(classes(&out), "AB");
        assert_eq!(out[1].1.rule, AbcRule::Growth);
    }

    #[test]
    fn describe_says_why() {
        let data = [s(1, 18_234_000), s(2, 1)];
        let out = classify_abc(&data, &AbcRules::default());
        let text = out[0].1.describe(out[0].0, &Currency::default());
        assert_eq!(
            text,
            "A: 12-month revenue 182340.00 USD, rank 1 of 2, cumulative share 100%"
        );
        let none = classify_abc(&[s(9, 0)], &AbcRules::default());
        assert_eq!(
            none[0].1.describe(none[0].0, &Currency::default()),
            "C: no revenue in the last 12 months"
        );
    }

    #[test]
    fn territories_are_graded_like_customers() {
        let data = [s(1, 600), s(2, 300), s(3, 50), s(4, 100), s(5, 0)];
        let members: Vec<(String, &ValueSummary)> = vec![
            ("North".into(), &data[0]),
            ("South".into(), &data[1]),
            ("South".into(), &data[2]),
            ("East".into(), &data[3]),
            ("West".into(), &data[4]),
        ];
        let t = classify_territories(&members, &AbcRules::default());
        let got: Vec<(&str, AbcClass, u64)> = t
            .iter()
            .map(|x| (x.territory.as_str(), x.class, x.customers))
            .collect();
        // Of 1,050: North 600 (57%), South 350 (crosses 80%: A), East 100 (starts at 90%: B),
        // West nothing (C).
        assert_eq!(
            got,
            vec![
                ("North", AbcClass::A, 1),
                ("South", AbcClass::A, 2),
                ("East", AbcClass::B, 1),
                ("West", AbcClass::C, 1)
            ]
        );
        assert_eq!(t[1].reason.revenue_minor, 350);
        assert_eq!(t[1].reason.rank, Some(2));
        assert!(classify_territories(&[], &AbcRules::default()).is_empty());
    }

    #[test]
    fn empty_and_refund_only_bases() {
        assert!(classify_abc(&[], &AbcRules::default()).is_empty());
        let out = classify_abc(&[s(1, -500), s(2, 0)], &AbcRules::default());
        assert_eq!(classes(&out), "CC");
        assert!(out.iter().all(|(_, r)| r.rule == AbcRule::NoRevenue));
    }

    #[test]
    fn invalid_rules_name_their_field() {
        let r = AbcRules {
            revenue_a: 0.9,
            revenue_b: 0.2,
            ..Default::default()
        };
        assert_eq!(
            r.validate().map_err(|e| e.field),
            Err("abc.revenue_b".into())
        );
        let r = AbcRules {
            customers_a: f64::NAN,
            ..Default::default()
        };
        assert_eq!(
            r.validate().map_err(|e| e.field),
            Err("abc.customers_a".into())
        );
        let r = AbcRules {
            window_months: 0,
            ..Default::default()
        };
        assert!(r.validate().is_err());
    }
}
