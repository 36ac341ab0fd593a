//! The visit and call policy (METHOD §3.1): how often each staff level visits and calls customers
//! of each ABC class, and from it, when the next contact is due.
//!
//! A frequency is a range because the method states ranges ("call 2–3×/month", "visit every
//! 1–2 months"): the stricter end is the *aim* — the day a contact becomes due — and the looser
//! end is the *latest* acceptable day; only after it is a contact overdue. A single number
//! ("3×/month") makes both ends the same day.

use crate::archive::StaffLevel;
use crate::classify::AbcClass;
use crate::validation::FieldError;
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The settings key the policy is kept under (JSON of [`ContactPolicy`]).
pub const POLICY_SETTING: &str = "contact.policy";

/// A period of the calendar a frequency counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    pub const ALL: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// Its length in days when a frequency divides it ("3×/month" is every 10 days): a month is
    /// 30 days, a quarter 91, a year 365.
    pub fn days(self) -> u32 {
        match self {
            Period::Week => 7,
            Period::Month => 30,
            Period::Quarter => 91,
            Period::Year => 365,
        }
    }

    /// `n` periods after `d` on the calendar (months and years keep the day of the month, or the
    /// month's last day when it has fewer days).
    pub fn add(self, d: NaiveDate, n: u32) -> Option<NaiveDate> {
        match self {
            Period::Week => d.checked_add_days(Days::new(7 * u64::from(n))),
            Period::Month => d.checked_add_months(Months::new(n)),
            Period::Quarter => d.checked_add_months(Months::new(3 * n)),
            Period::Year => d.checked_add_months(Months::new(12 * n)),
        }
    }
}

/// How often one kind of contact is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Frequency {
    /// `min`–`max` contacts per period ("call 2–3×/month").
    Times { min: u32, max: u32, per: Period },
    /// One contact every `min`–`max` periods ("visit every 1–2 months").
    Every { min: u32, max: u32, unit: Period },
    /// No schedule: staff decide case by case (the method's "when necessary").
    WhenNecessary,
    /// Not this level's job for this class (the method's "—").
    None,
}

/// The due window of the next contact after one made on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueWindow {
    /// The day the next contact is due (the frequency's stricter end).
    pub due: NaiveDate,
    /// The last acceptable day (the looser end); after it the contact is overdue.
    pub latest: NaiveDate,
}

impl Frequency {
    /// Whether this frequency schedules anything.
    pub fn is_scheduled(&self) -> bool {
        matches!(self, Frequency::Times { .. } | Frequency::Every { .. })
    }

    /// The next contact's window after a contact on `last`; `None` when nothing is scheduled.
    pub fn next_after(&self, last: NaiveDate) -> Option<DueWindow> {
        match *self {
            Frequency::Times { min, max, per } => {
                let step = |times: u32| per.days() / times.max(1);
                let due = last.checked_add_days(Days::new(u64::from(step(max).max(1))))?;
                let latest = last.checked_add_days(Days::new(u64::from(step(min).max(1))))?;
                Some(DueWindow { due, latest })
            }
            Frequency::Every { min, max, unit } => Some(DueWindow {
                due: unit.add(last, min.max(1))?,
                latest: unit.add(last, max.max(1))?,
            }),
            Frequency::WhenNecessary | Frequency::None => None,
        }
    }

    /// How many contacts this frequency expects over `days` days (the compliance report's "due"),
    /// counted at the stricter end, so a month of "2–3×/month" expects 3.
    pub fn expected_in(&self, days: u32) -> f64 {
        match *self {
            Frequency::Times { max, per, .. } => {
                f64::from(max) * f64::from(days) / f64::from(per.days())
            }
            Frequency::Every { min, unit, .. } => {
                f64::from(days) / (f64::from(unit.days()) * f64::from(min.max(1)))
            }
            Frequency::WhenNecessary | Frequency::None => 0.0,
        }
    }

    /// Checks the numbers; `field` names the matrix cell in the error.
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        let (min, max, limit) = match *self {
            Frequency::Times { min, max, per } => (min, max, per.days()),
            Frequency::Every { min, max, .. } => (min, max, 120),
            Frequency::WhenNecessary | Frequency::None => return Ok(()),
        };
        if min == 0 || max == 0 {
            return Err(FieldError::new(
                field,
                "zero_frequency",
                "a frequency of zero schedules nothing; choose \"when necessary\" or \"none\" instead",
            ));
        }
        if min > max {
            return Err(FieldError::new(
                field,
                "contradictory_frequency",
                format!("the range {min}–{max} runs backwards; the smaller number comes first"),
            ));
        }
        if max > limit {
            return Err(FieldError::new(
                field,
                "frequency_too_high",
                format!("{max} is more than this period allows (at most {limit})"),
            ));
        }
        Ok(())
    }

    /// Parses the short form the CLI takes (and [`Frequency::describe`] nearly prints):
    /// `3/month`, `2-3/month`, `every month`, `every 1-2 months`, `when_necessary`, `none`.
    /// The numbers are checked by [`Frequency::validate`].
    pub fn parse_text(s: &str) -> Option<Frequency> {
        let t = s.trim().to_lowercase().replace('–', "-").replace('×', "");
        let t = t.trim();
        match t {
            "when_necessary" | "when necessary" => return Some(Frequency::WhenNecessary),
            "none" | "-" => return Some(Frequency::None),
            _ => {}
        }
        let range = |r: &str| -> Option<(u32, u32)> {
            let r = r.trim();
            match r.split_once('-') {
                Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
                None => {
                    let n = r.parse().ok()?;
                    Some((n, n))
                }
            }
        };
        let period = |p: &str| Period::parse(p.trim().trim_end_matches('s'));
        if let Some(rest) = t.strip_prefix("every ") {
            let rest = rest.trim();
            return match rest.rsplit_once(' ') {
                Some((n, unit)) => {
                    let (min, max) = range(n)?;
                    Some(Frequency::Every {
                        min,
                        max,
                        unit: period(unit)?,
                    })
                }
                None => Some(Frequency::Every {
                    min: 1,
                    max: 1,
                    unit: period(rest)?,
                }),
            };
        }
        let (n, per) = t.split_once('/').or_else(|| t.split_once(" per "))?;
        let (min, max) = range(n)?;
        Some(Frequency::Times {
            min,
            max,
            per: period(per)?,
        })
    }

    /// A short English description ("2–3× per month", "every 1–2 months") for the CLI and logs;
    /// the web UI words it in the reader's language from the same fields.
    pub fn describe(&self) -> String {
        let range = |min: u32, max: u32| {
            if min == max {
                min.to_string()
            } else {
                format!("{min}–{max}")
            }
        };
        match *self {
            Frequency::Times { min, max, per } => {
                format!("{}× per {}", range(min, max), per.as_str())
            }
            Frequency::Every { min, max, unit } => {
                if min == 1 && max == 1 {
                    format!("every {}", unit.as_str())
                } else {
                    format!("every {} {}s", range(min, max), unit.as_str())
                }
            }
            Frequency::WhenNecessary => "when necessary".into(),
            Frequency::None => "none".into(),
        }
    }
}

/// Visits and calls for one staff level and one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cadence {
    pub visit: Frequency,
    pub call: Frequency,
}

impl Cadence {
    const fn new(visit: Frequency, call: Frequency) -> Cadence {
        Cadence { visit, call }
    }
}

/// One staff level's row of the matrix: a cadence per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LevelPolicy {
    pub a: Cadence,
    pub b: Cadence,
    pub c: Cadence,
}

impl LevelPolicy {
    pub fn for_class(&self, class: AbcClass) -> &Cadence {
        match class {
            AbcClass::A => &self.a,
            AbcClass::B => &self.b,
            AbcClass::C => &self.c,
        }
    }

    pub fn for_class_mut(&mut self, class: AbcClass) -> &mut Cadence {
        match class {
            AbcClass::A => &mut self.a,
            AbcClass::B => &mut self.b,
            AbcClass::C => &mut self.c,
        }
    }
}

/// The class × staff-level matrix (METHOD §3.1). Administrators have no row: they keep the
/// system, not customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactPolicy {
    pub sales_representative: LevelPolicy,
    pub business_manager: LevelPolicy,
    pub marketing_director: LevelPolicy,
    pub general_manager: LevelPolicy,
}

/// Staff levels the policy has a row for, in the method's order.
pub const POLICY_LEVELS: [StaffLevel; 4] = [
    StaffLevel::SalesRepresentative,
    StaffLevel::BusinessManager,
    StaffLevel::MarketingDirector,
    StaffLevel::GeneralManager,
];

const fn times(min: u32, max: u32, per: Period) -> Frequency {
    Frequency::Times { min, max, per }
}

const fn every(min: u32, max: u32, unit: Period) -> Frequency {
    Frequency::Every { min, max, unit }
}

impl Default for ContactPolicy {
    /// The method's table (METHOD §3.1). Where it names only a visit for a level above the
    /// representative, calls are left to that person ("when necessary").
    fn default() -> Self {
        use Frequency::{None as No, WhenNecessary as Wn};
        use Period::*;
        ContactPolicy {
            sales_representative: LevelPolicy {
                a: Cadence::new(times(3, 3, Month), times(2, 3, Month)),
                b: Cadence::new(times(2, 2, Month), times(1, 2, Month)),
                c: Cadence::new(times(1, 1, Month), times(1, 1, Month)),
            },
            business_manager: LevelPolicy {
                a: Cadence::new(every(1, 2, Month), Wn),
                b: Cadence::new(every(2, 3, Month), Wn),
                c: Cadence::new(Wn, Wn),
            },
            marketing_director: LevelPolicy {
                a: Cadence::new(every(6, 6, Month), Wn),
                b: Cadence::new(every(6, 12, Month), Wn),
                c: Cadence::new(Wn, Wn),
            },
            general_manager: LevelPolicy {
                a: Cadence::new(every(1, 1, Year), Wn),
                b: Cadence::new(Wn, Wn),
                c: Cadence::new(No, No),
            },
        }
    }
}

impl ContactPolicy {
    /// The row of a staff level; `None` for administrators.
    pub fn level(&self, level: StaffLevel) -> Option<&LevelPolicy> {
        match level {
            StaffLevel::SalesRepresentative => Some(&self.sales_representative),
            StaffLevel::BusinessManager => Some(&self.business_manager),
            StaffLevel::MarketingDirector => Some(&self.marketing_director),
            StaffLevel::GeneralManager => Some(&self.general_manager),
            StaffLevel::Administrator => None,
        }
    }

    pub fn level_mut(&mut self, level: StaffLevel) -> Option<&mut LevelPolicy> {
        match level {
            StaffLevel::SalesRepresentative => Some(&mut self.sales_representative),
            StaffLevel::BusinessManager => Some(&mut self.business_manager),
            StaffLevel::MarketingDirector => Some(&mut self.marketing_director),
            StaffLevel::GeneralManager => Some(&mut self.general_manager),
            StaffLevel::Administrator => None,
        }
    }

    /// The cadence of `level` for a customer of `class`. A customer without a class yet (never
    /// classified, or no purchases) is treated as C: every customer gets at least the lowest
    /// class's attention.
    pub fn cadence(&self, level: StaffLevel, class: Option<AbcClass>) -> Option<&Cadence> {
        self.level(level)
            .map(|l| l.for_class(class.unwrap_or(AbcClass::C)))
    }

    /// Checks every cell; the error names it as `<level>.<class>.<visit|call>`
    /// (e.g. `sales_representative.a.call`).
    pub fn validate(&self) -> Result<(), FieldError> {
        for level in POLICY_LEVELS {
            let Some(row) = self.level(level) else {
                continue;
            };
            for class in AbcClass::ALL {
                let c = row.for_class(class);
                let cell = format!("{}.{}", level.as_str(), class.as_str().to_lowercase());
                c.visit.validate(&format!("{cell}.visit"))?;
                c.call.validate(&format!("{cell}.call"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn default_is_the_methods_table_and_valid() {
        let p = ContactPolicy::default();
        p.validate().expect("valid");
        let rep = p.level(StaffLevel::SalesRepresentative).expect("row");
        assert_eq!(rep.a.visit.describe(), "3× per month");
        assert_eq!(rep.a.call.describe(), "2–3× per month");
        assert_eq!(p.business_manager.b.visit.describe(), "every 2–3 months");
        assert_eq!(p.general_manager.a.visit.describe(), "every year");
        assert_eq!(p.general_manager.c.visit, Frequency::None);
        assert!(p.level(StaffLevel::Administrator).is_none());
    }

    #[test]
    fn times_per_period_divides_the_period() {
        // 2–3 calls a month: aim every 10 days, at the latest every 15.
        let w = times(2, 3, Period::Month)
            .next_after(d(2026, 3, 1))
            .expect("window");
        assert_eq!((w.due, w.latest), (d(2026, 3, 11), d(2026, 3, 16)));
        let w = times(3, 3, Period::Month)
            .next_after(d(2026, 3, 1))
            .expect("window");
        assert_eq!(w.due, w.latest);
    }

    #[test]
    fn every_n_months_follows_the_calendar() {
        // Every 1–2 months from 31 January: due on the last day of February, latest 31 March.
        let w = every(1, 2, Period::Month)
            .next_after(d(2027, 1, 31))
            .expect("window");
        assert_eq!((w.due, w.latest), (d(2027, 2, 28), d(2027, 3, 31)));
        // Once a year from 29 February: 28 February of the next year.
        let w = every(1, 1, Period::Year)
            .next_after(d(2028, 2, 29))
            .expect("window");
        assert_eq!(w.due, d(2029, 2, 28));
    }

    #[test]
    fn unscheduled_frequencies_have_no_window() {
        assert!(Frequency::WhenNecessary.next_after(d(2026, 1, 1)).is_none());
        assert!(Frequency::None.next_after(d(2026, 1, 1)).is_none());
        assert_eq!(Frequency::None.expected_in(30), 0.0);
    }

    #[test]
    fn zero_and_contradictory_frequencies_are_refused_naming_the_cell() {
        let mut p = ContactPolicy::default();
        p.sales_representative.a.call = times(0, 2, Period::Month);
        let e = p.validate().expect_err("zero");
        assert_eq!(e.field, "sales_representative.a.call");
        assert_eq!(e.code, "zero_frequency");
        p.sales_representative.a.call = times(3, 2, Period::Month);
        let e = p.validate().expect_err("backwards");
        assert_eq!(e.code, "contradictory_frequency");
        p.sales_representative.a.call = times(2, 40, Period::Month);
        assert_eq!(
            p.validate().expect_err("too many").code,
            "frequency_too_high"
        );
        p.sales_representative.a.call = every(3, 2, Period::Month);
        assert_eq!(
            p.validate().expect_err("backwards").code,
            "contradictory_frequency"
        );
    }

    #[test]
    fn the_short_form_parses() {
        assert_eq!(
            Frequency::parse_text("3/month"),
            Some(times(3, 3, Period::Month))
        );
        assert_eq!(
            Frequency::parse_text("2–3× per month"),
            Some(times(2, 3, Period::Month))
        );
        assert_eq!(
            Frequency::parse_text("every 1-2 months"),
            Some(every(1, 2, Period::Month))
        );
        assert_eq!(
            Frequency::parse_text("every year"),
            Some(every(1, 1, Period::Year))
        );
        assert_eq!(
            Frequency::parse_text("when_necessary"),
            Some(Frequency::WhenNecessary)
        );
        assert_eq!(Frequency::parse_text("none"), Some(Frequency::None));
        for bad in ["", "3", "x/month", "3/fortnight", "every", "every x months"] {
            assert_eq!(Frequency::parse_text(bad), None, "{bad}");
        }
        // Every description parses back.
        let p = ContactPolicy::default();
        for level in POLICY_LEVELS {
            let row = p.level(level).expect("row");
            for class in AbcClass::ALL {
                for f in [row.for_class(class).visit, row.for_class(class).call] {
                    assert_eq!(
                        Frequency::parse_text(&f.describe()),
                        Some(f),
                        "{}",
                        f.describe()
                    );
                }
            }
        }
    }

    #[test]
    fn unclassified_customers_follow_the_c_column() {
        let p = ContactPolicy::default();
        let c = p
            .cadence(StaffLevel::SalesRepresentative, None)
            .expect("row");
        assert_eq!(c, &p.sales_representative.c);
    }

    #[test]
    fn expected_contacts_count_at_the_stricter_end() {
        assert!((times(2, 3, Period::Month).expected_in(30) - 3.0).abs() < 1e-9);
        assert!((every(6, 12, Period::Month).expected_in(30) - 1.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn policy_round_trips_as_json() {
        let p = ContactPolicy::default();
        let s = serde_json::to_string(&p).expect("json");
        assert!(
            s.contains(r#""visit":{"kind":"times","min":3,"max":3,"per":"month"}"#),
            "{s}"
        );
        let back: ContactPolicy = serde_json::from_str(&s).expect("parse");
        assert_eq!(back, p);
    }
}
