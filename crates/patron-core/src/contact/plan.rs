//! Visit plans (METHOD §3.1: "plans exist per year, quarter and month"): how many visits and
//! calls a person plans for each customer in their charge over a period, built from the visit
//! and call policy and then edited by hand, and how the plan compares with what was done.
//!
//! # The pulse
//!
//! The policy speaks in rates ("visit every 6 months", "call 2–3× a month"), a plan in whole
//! contacts per period. A rate that does not divide the period evenly (a sixth of a visit a
//! month) is turned into whole visits by a steady *pulse*: each customer gets a phase `φ` in
//! `[0, 1)`, and period number `k` (months, quarters or years counted from year 0) holds
//! `⌊(k+1)·x + φ⌋ − ⌊k·x + φ⌋` contacts, where `x` is the rate per period. Over time the count
//! averages exactly `x`; a customer visited every six months gets its visit in one month of
//! every six; the phases are spread by the golden ratio, so customers with the same rate get
//! their visits in different months and every month carries about the same load. Because the
//! formula telescopes, the plans nest: the twelve month plans of a year add up to its year
//! plan, and its four quarter plans do too.
//!
//! Within a month the planned visits get suggested days on the same beat (evenly spaced,
//! shifted by the customer's phase), which the day's route starts from.
//!
//! Rates are counted at the stricter end of the policy's ranges, as the agenda and the
//! compliance report count them ("2–3× a month" plans 3 calls).

use super::policy::{ContactPolicy, Frequency, Period};
use crate::archive::StaffLevel;
use crate::classify::AbcClass;
use crate::ids::CustomerId;
use crate::validation::FieldError;
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most visits or calls one entry may plan (more than one a day for a year is no plan).
pub const MAX_PER_ENTRY: u32 = 1000;

/// The length of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanPeriod {
    Month,
    Quarter,
    Year,
}

impl PlanPeriod {
    pub const ALL: [PlanPeriod; 3] = [PlanPeriod::Year, PlanPeriod::Quarter, PlanPeriod::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanPeriod::Month => "month",
            PlanPeriod::Quarter => "quarter",
            PlanPeriod::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<PlanPeriod> {
        PlanPeriod::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
    }

    fn months(self) -> u32 {
        match self {
            PlanPeriod::Month => 1,
            PlanPeriod::Quarter => 3,
            PlanPeriod::Year => 12,
        }
    }

    /// The first day of the period that contains `d`.
    pub fn start_of(self, d: NaiveDate) -> NaiveDate {
        let m0 = d.month0() / self.months() * self.months();
        NaiveDate::from_ymd_opt(d.year(), m0 + 1, 1).unwrap_or(d)
    }

    /// Checks that `d` is the first day of a period (1 January for a year; 1 January, April,
    /// July or October for a quarter; the 1st for a month).
    pub fn check_start(self, d: NaiveDate) -> Result<NaiveDate, FieldError> {
        if self.start_of(d) == d {
            Ok(d)
        } else {
            Err(FieldError::new(
                "starts_on",
                "not_period_start",
                format!(
                    "a {} plan starts on the first day of its {} ({} for this date)",
                    self.as_str(),
                    self.as_str(),
                    self.start_of(d)
                ),
            ))
        }
    }

    /// The day after the period starting on `start` (exclusive end).
    pub fn end(self, start: NaiveDate) -> NaiveDate {
        start
            .checked_add_months(Months::new(self.months()))
            .unwrap_or(start)
    }

    /// Days in the period starting on `start`.
    pub fn days(self, start: NaiveDate) -> u32 {
        u32::try_from((self.end(start) - start).num_days()).unwrap_or(0)
    }

    /// Whether `d` falls in the period starting on `start`.
    pub fn contains(self, start: NaiveDate, d: NaiveDate) -> bool {
        d >= start && d < self.end(start)
    }

    /// The period's number counted from year 0 (months, quarters or years): the `k` of the
    /// pulse.
    fn index(self, start: NaiveDate) -> i64 {
        let months = i64::from(start.year()) * 12 + i64::from(start.month0());
        months.div_euclid(i64::from(self.months()))
    }
}

/// How many periods of a policy frequency fit in a plan period: the calendar's own ratios for
/// months, quarters and years (a quarter holds 3 months, whatever their days), days ÷ 7 for
/// weeks.
fn units(per: Period, plan: PlanPeriod, start: NaiveDate) -> f64 {
    let months = f64::from(plan.months());
    match per {
        Period::Month => months,
        Period::Quarter => months / 3.0,
        Period::Year => months / 12.0,
        Period::Week => f64::from(plan.days(start)) / 7.0,
    }
}

/// The contacts a frequency asks for over a plan period, at its stricter end (may be a
/// fraction: "every 6 months" is 1/6 a month).
pub fn rate_in(f: &Frequency, plan: PlanPeriod, start: NaiveDate) -> f64 {
    match *f {
        Frequency::Times { max, per, .. } => f64::from(max) * units(per, plan, start),
        Frequency::Every { min, unit, .. } => units(unit, plan, start) / f64::from(min.max(1)),
        Frequency::WhenNecessary | Frequency::None => 0.0,
    }
}

/// A customer's phase on the pulse, spread by the golden ratio so that neighbouring ids get
/// distant phases.
pub fn phase(customer: CustomerId) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    (customer.0.rem_euclid(1 << 30) as f64 * GOLDEN).fract()
}

/// Whole contacts in period number `k` for a rate of `x` per period and phase `phi` (see the
/// module's "pulse").
fn pulse(x: f64, k: i64, phi: f64) -> u32 {
    if x <= 0.0 {
        return 0;
    }
    // Counted relative to a recent origin, so the products stay small and exact enough.
    let k = k.rem_euclid(1 << 20) as f64;
    let n = ((k + 1.0) * x + phi + 1e-9).floor() - (k * x + phi + 1e-9).floor();
    (n.max(0.0) as u32).min(MAX_PER_ENTRY)
}

/// Planned contacts of one frequency for one customer in the period starting on `start`.
pub fn planned_count(
    f: &Frequency,
    plan: PlanPeriod,
    start: NaiveDate,
    customer: CustomerId,
) -> u32 {
    pulse(rate_in(f, plan, start), plan.index(start), phase(customer))
}

/// Suggested days for `n` visits in the period: evenly spaced, shifted by the customer's phase.
pub fn suggested_days(
    n: u32,
    plan: PlanPeriod,
    start: NaiveDate,
    customer: CustomerId,
) -> Vec<NaiveDate> {
    let len = plan.days(start);
    if n == 0 || len == 0 {
        return Vec::new();
    }
    let phi = phase(customer);
    let mut days: Vec<NaiveDate> = (0..n.min(len))
        .filter_map(|i| {
            let off = ((f64::from(i) + phi) * f64::from(len) / f64::from(n.min(len))).floor();
            let off = (off as u64).min(u64::from(len - 1));
            start.checked_add_days(Days::new(off))
        })
        .collect();
    days.dedup();
    days
}

/// A customer a plan can be built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCustomer {
    pub id: CustomerId,
    pub name: String,
    /// The current ABC class (none yet: planned as C, like the agenda).
    pub class: Option<AbcClass>,
}

/// Where an entry's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    /// As the policy gave them.
    Policy,
    /// Changed by hand after the plan was built.
    Edited,
    /// Added by hand (the policy planned nothing for this customer).
    Added,
}

impl EntrySource {
    pub fn as_str(self) -> &'static str {
        match self {
            EntrySource::Policy => "policy",
            EntrySource::Edited => "edited",
            EntrySource::Added => "added",
        }
    }

    pub fn parse(s: &str) -> Option<EntrySource> {
        [EntrySource::Policy, EntrySource::Edited, EntrySource::Added]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// One customer's line of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanEntry {
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// `A`, `B` or `C` when the plan was built (none: unclassified, planned as C).
    pub class: Option<String>,
    pub visits: u32,
    pub calls: u32,
    /// Days the visits are planned on (at most `visits`, inside the period).
    pub days: Vec<NaiveDate>,
    pub source: EntrySource,
}

/// Builds the entries of `level`'s plan for the period starting on `start` (validated by the
/// caller): every customer the policy plans at least one visit or call for, in the given order.
/// Month plans also get suggested visit days.
pub fn build(
    policy: &ContactPolicy,
    level: StaffLevel,
    plan: PlanPeriod,
    start: NaiveDate,
    customers: &[PlanCustomer],
) -> Vec<PlanEntry> {
    let mut out = Vec::new();
    for c in customers {
        let Some(cad) = policy.cadence(level, c.class) else {
            continue;
        };
        let visits = planned_count(&cad.visit, plan, start, c.id);
        let calls = planned_count(&cad.call, plan, start, c.id);
        if visits == 0 && calls == 0 {
            continue;
        }
        let days = if plan == PlanPeriod::Month {
            suggested_days(visits, plan, start, c.id)
        } else {
            Vec::new()
        };
        out.push(PlanEntry {
            customer_id: c.id,
            customer_name: c.name.clone(),
            class: c.class.map(|k| k.as_str().to_owned()),
            visits,
            calls,
            days,
            source: EntrySource::Policy,
        });
    }
    out
}

/// An edit of one entry: the new numbers and, when given, the new days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryEdit {
    pub customer_id: CustomerId,
    /// Visits planned in the period (0 and 0 calls removes the customer from the plan).
    pub visits: u32,
    pub calls: u32,
    /// The visit days; left out: the days stay as they were (cut to the new number of visits).
    #[serde(default)]
    pub days: Option<Vec<NaiveDate>>,
}

/// Checks an edit against the plan's period; `index` names the entry in the error
/// (`entries[2].days`).
pub fn validate_edit(
    e: &EntryEdit,
    index: usize,
    plan: PlanPeriod,
    start: NaiveDate,
) -> Result<(), FieldError> {
    let field = |f: &str| format!("entries[{index}].{f}");
    for (name, n) in [("visits", e.visits), ("calls", e.calls)] {
        if n > MAX_PER_ENTRY {
            return Err(FieldError::new(
                &field(name),
                "out_of_range",
                format!("at most {MAX_PER_ENTRY} in one plan"),
            ));
        }
    }
    if let Some(days) = &e.days {
        if days.len() > e.visits as usize {
            return Err(FieldError::new(
                &field("days"),
                "more_days_than_visits",
                format!(
                    "{} days for {} visits: plan a visit for each day",
                    days.len(),
                    e.visits
                ),
            ));
        }
        if let Some(d) = days.iter().find(|d| !plan.contains(start, **d)) {
            return Err(FieldError::new(
                &field("days"),
                "outside_period",
                format!(
                    "{d} is outside the plan's {} starting {start}",
                    plan.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// One customer's plan against what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgressRow {
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub class: Option<String>,
    pub visits_planned: u32,
    pub visits_done: u32,
    pub calls_planned: u32,
    pub calls_done: u32,
    /// Done ÷ planned over visits and calls, each counted up to what was planned (`None` when
    /// nothing was planned).
    pub share: Option<f64>,
}

/// A plan's totals.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct ProgressTotals {
    pub visits_planned: u32,
    pub visits_done: u32,
    pub calls_planned: u32,
    pub calls_done: u32,
    /// Visits and calls made to customers the plan does not list.
    pub visits_unplanned: u32,
    pub calls_unplanned: u32,
    /// The share of the plan kept: per customer, done contacts counted up to those planned (a
    /// fourth visit to one customer does not make up for a missed visit to another), over all
    /// planned. `None` for an empty plan.
    pub share: Option<f64>,
}

/// Done contacts of one customer in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Done {
    pub customer_id: CustomerId,
    pub visits: u32,
    pub calls: u32,
}

fn share(kept: u32, planned: u32) -> Option<f64> {
    (planned > 0).then(|| f64::from(kept) / f64::from(planned))
}

/// Planned against done: one row per entry (in the plan's order) and the totals. Visits and
/// calls are counted apart: a visit does not count as a call here.
pub fn progress(entries: &[PlanEntry], done: &[Done]) -> (Vec<ProgressRow>, ProgressTotals) {
    let mut t = ProgressTotals::default();
    let mut kept_all = 0u32;
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let d = done
            .iter()
            .filter(|d| d.customer_id == e.customer_id)
            .fold((0u32, 0u32), |(v, c), d| (v + d.visits, c + d.calls));
        let kept = d.0.min(e.visits) + d.1.min(e.calls);
        kept_all += kept;
        t.visits_planned += e.visits;
        t.calls_planned += e.calls;
        t.visits_done += d.0;
        t.calls_done += d.1;
        rows.push(ProgressRow {
            customer_id: e.customer_id,
            customer_name: e.customer_name.clone(),
            class: e.class.clone(),
            visits_planned: e.visits,
            visits_done: d.0,
            calls_planned: e.calls,
            calls_done: d.1,
            share: share(kept, e.visits + e.calls),
        });
    }
    for d in done {
        if !entries.iter().any(|e| e.customer_id == d.customer_id) {
            t.visits_unplanned += d.visits;
            t.calls_unplanned += d.calls;
        }
    }
    t.share = share(kept_all, t.visits_planned + t.calls_planned);
    (rows, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn cust(id: i64, class: Option<AbcClass>) -> PlanCustomer {
        PlanCustomer {
            id: CustomerId(id),
            name: format!("c{id}"),
            class,
        }
    }

    #[test]
    fn periods_start_on_their_first_day() {
        assert_eq!(PlanPeriod::Quarter.start_of(d(2026, 5, 17)), d(2026, 4, 1));
        assert_eq!(PlanPeriod::Year.start_of(d(2026, 5, 17)), d(2026, 1, 1));
        assert_eq!(PlanPeriod::Month.start_of(d(2026, 5, 17)), d(2026, 5, 1));
        assert!(PlanPeriod::Quarter.check_start(d(2026, 7, 1)).is_ok());
        let e = PlanPeriod::Quarter
            .check_start(d(2026, 8, 1))
            .expect_err("August");
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("starts_on", "not_period_start")
        );
        assert_eq!(PlanPeriod::Month.days(d(2028, 2, 1)), 29);
        assert_eq!(PlanPeriod::Year.end(d(2026, 1, 1)), d(2027, 1, 1));
        assert_eq!(PlanPeriod::parse(" Quarter"), Some(PlanPeriod::Quarter));
        assert_eq!(PlanPeriod::parse("week"), None);
    }

    #[test]
    fn a_representatives_month_follows_the_methods_table() {
        let p = ContactPolicy::default();
        let cs = [
            cust(1, Some(AbcClass::A)),
            cust(2, Some(AbcClass::B)),
            cust(3, Some(AbcClass::C)),
            cust(4, None),
        ];
        let e = build(
            &p,
            StaffLevel::SalesRepresentative,
            PlanPeriod::Month,
            d(2026, 3, 1),
            &cs,
        );
        let counts: Vec<(u32, u32)> = e.iter().map(|x| (x.visits, x.calls)).collect();
        // A: visit 3×, call 2–3× (3); B: 2×, 1–2× (2); C and unclassified: 1×, 1×.
        assert_eq!(counts, vec![(3, 3), (2, 2), (1, 1), (1, 1)]);
        // Month plans suggest a day for each visit, inside the month, all different.
        assert_eq!(e[0].days.len(), 3);
        assert!(e[0]
            .days
            .iter()
            .all(|x| PlanPeriod::Month.contains(d(2026, 3, 1), *x)));
        let q = build(
            &p,
            StaffLevel::SalesRepresentative,
            PlanPeriod::Quarter,
            d(2026, 4, 1),
            &cs,
        );
        assert_eq!((q[0].visits, q[0].calls), (9, 9));
        assert!(q[0].days.is_empty(), "only month plans get days");
        let y = build(
            &p,
            StaffLevel::SalesRepresentative,
            PlanPeriod::Year,
            d(2026, 1, 1),
            &cs,
        );
        assert_eq!((y[1].visits, y[1].calls), (24, 24));
    }

    #[test]
    fn the_pulse_spreads_rare_visits_and_the_plans_nest() {
        let p = ContactPolicy::default();
        // A marketing director visits B customers every 6–12 months: twice a year, once in a
        // month out of six, never in the month plan's "when necessary" calls.
        let cs: Vec<PlanCustomer> = (1..=60).map(|i| cust(i, Some(AbcClass::B))).collect();
        let lvl = StaffLevel::MarketingDirector;
        let year = build(&p, lvl, PlanPeriod::Year, d(2026, 1, 1), &cs);
        assert_eq!(year.len(), 60);
        assert!(year.iter().all(|e| e.visits == 2 && e.calls == 0));
        let mut per_month = Vec::new();
        let mut per_customer = std::collections::HashMap::<i64, u32>::new();
        for m in 1..=12 {
            let month = build(&p, lvl, PlanPeriod::Month, d(2026, m, 1), &cs);
            per_month.push(month.len());
            for e in month {
                *per_customer.entry(e.customer_id.0).or_default() += e.visits;
            }
        }
        // The twelve month plans add up to the year plan for every customer ...
        assert!(per_customer.values().all(|n| *n == 2), "{per_customer:?}");
        assert_eq!(per_customer.len(), 60);
        // ... and the load is level: 60 customers × 2 visits / 12 months = 10 a month.
        assert!(
            per_month.iter().all(|n| (8..=12).contains(n)),
            "{per_month:?}"
        );
        // Four quarter plans add up to the year too.
        let quarters: u32 = [1, 4, 7, 10]
            .iter()
            .flat_map(|m| build(&p, lvl, PlanPeriod::Quarter, d(2026, *m, 1), &cs))
            .map(|e| e.visits)
            .sum();
        assert_eq!(quarters, 120);
    }

    #[test]
    fn a_general_managers_year_visits_a_customers_once() {
        let p = ContactPolicy::default();
        let cs = [cust(7, Some(AbcClass::A)), cust(8, Some(AbcClass::C))];
        let y = build(
            &p,
            StaffLevel::GeneralManager,
            PlanPeriod::Year,
            d(2026, 1, 1),
            &cs,
        );
        assert_eq!(y.len(), 1, "C is not the general manager's to visit");
        assert_eq!((y[0].visits, y[0].calls), (1, 0));
        assert!(build(
            &p,
            StaffLevel::Administrator,
            PlanPeriod::Year,
            d(2026, 1, 1),
            &cs
        )
        .is_empty());
    }

    #[test]
    fn edits_are_checked_against_the_period() {
        let start = d(2026, 3, 1);
        let ok = EntryEdit {
            customer_id: CustomerId(1),
            visits: 2,
            calls: 0,
            days: Some(vec![d(2026, 3, 2), d(2026, 3, 31)]),
        };
        validate_edit(&ok, 0, PlanPeriod::Month, start).expect("valid");
        let mut e = ok.clone();
        e.days = Some(vec![d(2026, 4, 1)]);
        let err = validate_edit(&e, 3, PlanPeriod::Month, start).expect_err("April");
        assert_eq!(
            (err.field.as_str(), err.code.as_str()),
            ("entries[3].days", "outside_period")
        );
        e.visits = 0;
        assert_eq!(
            validate_edit(&e, 0, PlanPeriod::Month, start)
                .expect_err("more days")
                .code,
            "more_days_than_visits"
        );
        e.days = None;
        e.calls = MAX_PER_ENTRY + 1;
        assert_eq!(
            validate_edit(&e, 0, PlanPeriod::Month, start)
                .expect_err("too many")
                .field,
            "entries[0].calls"
        );
    }

    #[test]
    fn progress_counts_done_up_to_planned() {
        let entry = |id: i64, visits, calls| PlanEntry {
            customer_id: CustomerId(id),
            customer_name: format!("c{id}"),
            class: Some("A".into()),
            visits,
            calls,
            days: vec![],
            source: EntrySource::Policy,
        };
        let entries = [entry(1, 2, 2), entry(2, 2, 0)];
        let done = [
            Done {
                customer_id: CustomerId(1),
                visits: 4,
                calls: 1,
            },
            Done {
                customer_id: CustomerId(9),
                visits: 1,
                calls: 2,
            },
        ];
        let (rows, t) = progress(&entries, &done);
        assert_eq!(rows[0].visits_done, 4);
        assert_eq!(rows[0].share, Some(0.75));
        assert_eq!(rows[1].share, Some(0.0));
        // 3 of 6 planned contacts kept: the extra visits to customer 1 do not cover customer 2.
        assert_eq!(t.share, Some(0.5));
        assert_eq!((t.visits_done, t.calls_done), (4, 1));
        assert_eq!((t.visits_unplanned, t.calls_unplanned), (1, 2));
        assert_eq!(progress(&[], &[]).1.share, None);
    }
}
