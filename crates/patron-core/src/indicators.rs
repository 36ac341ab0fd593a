//! The method's five satisfaction and loyalty indicators (METHOD §5), per month and per quarter:
//! the periods, the counts behind each indicator, and the indicators computed from them.
//!
//! Each indicator is a fraction of a count of customers (or orders) in the period, `None` when
//! the count it divides by is zero — "no data" is not "0%". The definitions are in
//! [`DEFINITIONS`] so the UI and the CLI show the same words the numbers were computed with.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A month (`2026-11`) or a quarter (`2026-Q4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    /// Reads `YYYY-MM` or `YYYY-Qn` (the quarter letter in either case).
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (y, rest) = s.split_once('-')?;
        if y.len() != 4 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let quarter: u32 = q.parse().ok()?;
            return (1..=4)
                .contains(&quarter)
                .then_some(Period::Quarter { year, quarter });
        }
        if rest.len() != 2 {
            return None;
        }
        let month: u32 = rest.parse().ok()?;
        (1..=12)
            .contains(&month)
            .then_some(Period::Month { year, month })
    }

    pub fn month_of(d: NaiveDate) -> Period {
        Period::Month {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn quarter_of(d: NaiveDate) -> Period {
        Period::Quarter {
            year: d.year(),
            quarter: (d.month() - 1) / 3 + 1,
        }
    }

    pub fn is_quarter(self) -> bool {
        matches!(self, Period::Quarter { .. })
    }

    /// The first day.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The period before.
    pub fn previous(self) -> Period {
        match self {
            Period::Month { year, month: 1 } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month - 1,
            },
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
        }
    }

    /// The `n` months up to and including the month of `today`, oldest first.
    pub fn last_months(today: NaiveDate, n: usize) -> Vec<Period> {
        let mut out = vec![Period::month_of(today)];
        while out.len() < n {
            let p = out[out.len() - 1].previous();
            out.push(p);
        }
        out.reverse();
        out
    }

    /// The `n` quarters up to and including the quarter of `today`, oldest first.
    pub fn last_quarters(today: NaiveDate, n: usize) -> Vec<Period> {
        let mut out = vec![Period::quarter_of(today)];
        while out.len() < n {
            let p = out[out.len() - 1].previous();
            out.push(p);
        }
        out.reverse();
        out
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
        }
    }
}

/// The counts behind the indicators of one period and segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// Customers served: who ordered, were contacted (a visit, call, card…) or complained.
    pub served: i64,
    /// Customers who bought (at least one order).
    pub buyers: i64,
    /// Customers with two or more orders.
    pub repeat_buyers: i64,
    pub orders: i64,
    /// Orders where the customer asked for our brand by name.
    pub named_orders: i64,
    /// Customers who complained at least once.
    pub complainers: i64,
    pub complaints: i64,
    /// Customers who answered a satisfaction survey.
    pub surveyed: i64,
    /// Surveyed customers who said they would praise us.
    pub praising: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.served += o.served;
        self.buyers += o.buyers;
        self.repeat_buyers += o.repeat_buyers;
        self.orders += o.orders;
        self.named_orders += o.named_orders;
        self.complainers += o.complainers;
        self.complaints += o.complaints;
        self.surveyed += o.surveyed;
        self.praising += o.praising;
    }

    pub fn indicators(&self) -> Indicators {
        Indicators {
            sales_power: ratio(self.buyers, self.served),
            complaint_rate: ratio(self.complainers, self.served),
            repeat_purchase_rate: ratio(self.repeat_buyers, self.buyers),
            name_recognition: ratio(self.named_orders, self.orders),
            reputation: ratio(self.praising, self.surveyed),
        }
    }
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The five indicators as fractions 0–1 (`None`: nothing to divide by).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Indicators {
    pub sales_power: Option<f64>,
    pub complaint_rate: Option<f64>,
    pub repeat_purchase_rate: Option<f64>,
    pub name_recognition: Option<f64>,
    pub reputation: Option<f64>,
}

/// The indicators' names in the order they are shown.
pub const NAMES: [&str; 5] = [
    "sales_power",
    "complaint_rate",
    "repeat_purchase_rate",
    "name_recognition",
    "reputation",
];

impl Indicators {
    /// The value of the indicator called `name` (one of [`NAMES`]).
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "sales_power" => self.sales_power,
            "complaint_rate" => self.complaint_rate,
            "repeat_purchase_rate" => self.repeat_purchase_rate,
            "name_recognition" => self.name_recognition,
            "reputation" => self.reputation,
            _ => None,
        }
    }
}

/// Each indicator's definition, in English (the UI has them in every language).
pub const DEFINITIONS: [(&str, &str); 5] = [
    (
        "sales_power",
        "customers who bought ÷ customers served (ordered, were contacted or complained)",
    ),
    (
        "complaint_rate",
        "customers who complained ÷ customers served",
    ),
    (
        "repeat_purchase_rate",
        "customers with two or more orders ÷ customers who bought",
    ),
    (
        "name_recognition",
        "orders where the customer asked for our brand by name ÷ orders",
    ),
    (
        "reputation",
        "surveyed customers who would praise us ÷ customers surveyed",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_print_and_step() {
        let m = Period::parse("2026-11").expect("month");
        assert_eq!(m.to_string(), "2026-11");
        assert_eq!(m.previous().to_string(), "2026-10");
        assert_eq!(
            Period::parse("2026-01").map(|p| p.previous().to_string()),
            Some("2025-12".into())
        );
        let q = Period::parse("2026-q1").expect("quarter");
        assert_eq!(q.to_string(), "2026-Q1");
        assert_eq!(q.previous().to_string(), "2025-Q4");
        assert_eq!(q.start(), NaiveDate::from_ymd_opt(2026, 1, 1).expect("d"));
        for bad in [
            "2026-13", "2026-Q5", "26-01", "2026-1", "", "2026", "2026-Qx",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).expect("d");
        let months = Period::last_months(d, 3);
        assert_eq!(
            months.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            ["2026-10", "2026-11", "2026-12"]
        );
        assert_eq!(
            Period::last_quarters(d, 2)
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["2026-Q3", "2026-Q4"]
        );
    }

    #[test]
    fn indicators_are_fractions_or_none() {
        let c = Counts {
            served: 10,
            buyers: 5,
            repeat_buyers: 2,
            orders: 8,
            named_orders: 2,
            complainers: 1,
            complaints: 3,
            surveyed: 0,
            praising: 0,
        };
        let i = c.indicators();
        assert_eq!(i.sales_power, Some(0.5));
        assert_eq!(i.complaint_rate, Some(0.1));
        assert_eq!(i.repeat_purchase_rate, Some(0.4));
        assert_eq!(i.name_recognition, Some(0.25));
        assert_eq!(i.reputation, None);
        assert_eq!(Counts::default().indicators(), Indicators::default());
        let mut sum = c;
        sum.add(&c);
        assert_eq!(sum.indicators().sales_power, Some(0.5));
        assert_eq!(sum.complaints, 6);
    }
}
