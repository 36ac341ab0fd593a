//! Promotions (METHOD §7): a promotion run with one or more customers (typically dealers). Patron
//! helps to work out what it costs and what it should bring — its cost lines (material discounts,
//! gifts, advertising, staff…), the budget set aside, the extra sales expected and the gross
//! margin they carry — records who took part and their attitude to it, and afterwards compares
//! the expectation with what the participants actually ordered.
//!
//! Everything here is pure arithmetic over integers of minor units, so the web page, the API and
//! the command line show the same figures to the cent:
//!
//! * **expected gross profit** = expected extra sales × gross margin rate;
//! * **expected net effect** = expected gross profit − total cost;
//! * **break-even extra sales** = total cost ÷ gross margin rate (the extra sales at which the
//!   promotion pays for itself; none when the margin is zero);
//! * **actual extra sales** = the participants' orders in the promotion period − their orders in
//!   a baseline period of the same length (by default the one just before; or the same days a
//!   year earlier, which keeps seasonal business out of the effect);
//! * **actual gross profit** and **actual net effect** likewise, and each actual figure's
//!   **ratio to the expectation**.
//!
//! The gross margin rate is kept in basis points (1% = 100) so it stays an integer too.

use crate::ids::CustomerId;
use crate::money::Currency;
use crate::validation::{clean_text, required_text, FieldError, ValidationErrors, MAX_SHORT};
use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// 100% in basis points.
pub const FULL_RATE_BP: u32 = 10_000;
/// The gross margin assumed when neither the promotion nor the settings give one (30%).
pub const DEFAULT_MARGIN_BP: u32 = 3_000;
/// The longest promotion, in days: a year (a leap year's). Longer "promotions" are price lists,
/// and a year-earlier baseline would overlap the period itself.
pub const MAX_DAYS: i64 = 366;
/// The most cost lines one promotion may have (the form shows them all at once).
pub const MAX_COST_LINES: usize = 50;
/// The largest amount accepted anywhere here (the same bound as credit amounts).
pub const MAX_AMOUNT_MINOR: i64 = crate::credit::MAX_AMOUNT_MINOR;
/// Longest description or participant note.
pub const MAX_NOTES: usize = 2000;

/// The words of a closed vocabulary: stored, serialised and accepted in forms and flags.
pub trait Word: Copy + PartialEq + 'static {
    /// Every value, in the order lists show them.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        Self::ALL.iter().copied().find(|v| v.as_str() == t)
    }
    /// [`Word::parse`] with an error naming `field` and listing the words.
    fn parse_field(field: &str, s: &str) -> Result<Self, FieldError> {
        Self::parse(s).ok_or_else(|| {
            let words: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
            FieldError::new(
                field,
                "invalid",
                format!("must be one of {}", words.join(", ")),
            )
        })
    }
}

/// Where a promotion stands. Only a planned promotion may lack participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    Planned,
    Running,
    Done,
    Cancelled,
}

impl Word for PromotionStatus {
    const ALL: &'static [Self] = &[
        PromotionStatus::Planned,
        PromotionStatus::Running,
        PromotionStatus::Done,
        PromotionStatus::Cancelled,
    ];
    fn as_str(self) -> &'static str {
        match self {
            PromotionStatus::Planned => "planned",
            PromotionStatus::Running => "running",
            PromotionStatus::Done => "done",
            PromotionStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for PromotionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a cost line pays for. Material discounts (the price off the goods the participants
/// buy during the promotion) are usually the largest item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    MaterialDiscount,
    Gift,
    Advertising,
    Display,
    Staff,
    Other,
}

impl Word for CostKind {
    const ALL: &'static [Self] = &[
        CostKind::MaterialDiscount,
        CostKind::Gift,
        CostKind::Advertising,
        CostKind::Display,
        CostKind::Staff,
        CostKind::Other,
    ];
    fn as_str(self) -> &'static str {
        match self {
            CostKind::MaterialDiscount => "material_discount",
            CostKind::Gift => "gift",
            CostKind::Advertising => "advertising",
            CostKind::Display => "display",
            CostKind::Staff => "staff",
            CostKind::Other => "other",
        }
    }
}

impl std::fmt::Display for CostKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A participant's attitude to the promotion (METHOD §1 "attitude to promotions"). A customer
/// who refused is still recorded — the refusal is worth knowing — but is not counted in the
/// promotion's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attitude {
    Enthusiastic,
    Positive,
    Neutral,
    Reluctant,
    Refused,
}

impl Word for Attitude {
    const ALL: &'static [Self] = &[
        Attitude::Enthusiastic,
        Attitude::Positive,
        Attitude::Neutral,
        Attitude::Reluctant,
        Attitude::Refused,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Attitude::Enthusiastic => "enthusiastic",
            Attitude::Positive => "positive",
            Attitude::Neutral => "neutral",
            Attitude::Reluctant => "reluctant",
            Attitude::Refused => "refused",
        }
    }
}

impl std::fmt::Display for Attitude {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Attitude {
    /// Whether a participant with this attitude took part (and so counts in the effect).
    pub fn takes_part(self) -> bool {
        self != Attitude::Refused
    }
}

/// What the promotion period's sales are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The same number of days just before the promotion (the default).
    #[default]
    Preceding,
    /// The same days a year earlier: seasonal business does not count as effect.
    PreviousYear,
}

impl Word for Baseline {
    const ALL: &'static [Self] = &[Baseline::Preceding, Baseline::PreviousYear];
    fn as_str(self) -> &'static str {
        match self {
            Baseline::Preceding => "preceding",
            Baseline::PreviousYear => "previous_year",
        }
    }
}

impl std::fmt::Display for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cost line as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostInput {
    pub kind: CostKind,
    /// What exactly (e.g. "10% off espresso machines"), at most 300 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Minor units of the promotion's currency; zero or more.
    pub amount_minor: i64,
}

/// A promotion as entered (create, or a full replacement on update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    /// The last day of the promotion (inclusive); not before `starts_on`, at most 366 days in all.
    pub ends_on: NaiveDate,
    /// Default: the shop's default currency. Only orders in this currency count in the effect.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "CNY")]
    pub currency: Option<Currency>,
    /// The money set aside for the promotion, in minor units (compared with the cost lines).
    #[serde(default)]
    pub budget_minor: i64,
    /// The extra sales the promotion is expected to bring, in minor units.
    #[serde(default)]
    pub expected_extra_sales_minor: i64,
    /// Gross margin on the extra sales in basis points (3000 = 30%); default: the setting
    /// `promotion_gross_margin_bp` (30% when unset).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub gross_margin_bp: Option<i64>,
    /// Default `planned`. `running` and `done` need a participant who did not refuse.
    #[serde(default)]
    pub status: Option<PromotionStatus>,
    /// The evaluation's default baseline; `preceding` when omitted.
    #[serde(default)]
    pub baseline: Option<Baseline>,
    #[serde(default)]
    pub costs: Vec<CostInput>,
}

/// A cost line that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCost {
    pub kind: CostKind,
    pub description: Option<String>,
    pub amount_minor: i64,
}

/// A promotion that passed validation, with its defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPromotion {
    pub name: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub currency: Currency,
    pub budget_minor: i64,
    pub expected_extra_sales_minor: i64,
    pub gross_margin_bp: u32,
    pub status: PromotionStatus,
    pub baseline: Baseline,
    pub costs: Vec<ValidCost>,
}

fn amount(errs: &mut ValidationErrors, field: &str, v: i64) {
    if v < 0 {
        errs.push(FieldError::new(field, "negative", "must not be negative"));
    } else if v > MAX_AMOUNT_MINOR {
        errs.push(FieldError::new(field, "too_large", "is implausibly large"));
    }
}

/// Checks a gross margin rate in basis points: 0 to 10000 (0–100%).
pub fn margin_bp(field: &str, v: i64) -> Result<u32, FieldError> {
    u32::try_from(v)
        .ok()
        .filter(|v| *v <= FULL_RATE_BP)
        .ok_or_else(|| FieldError::new(field, "out_of_range", "must be between 0% and 100%"))
}

impl PromotionInput {
    /// Checks every field at once; `default_currency` and `default_margin_bp` fill the gaps.
    /// Whether the status is allowed given the participants is the store's check
    /// ([`check_status`]), since only the store knows them.
    pub fn validate(
        &self,
        default_currency: &Currency,
        default_margin_bp: u32,
    ) -> Result<ValidPromotion, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        let name = errs.take(required_text("name", Some(&self.name), MAX_SHORT));
        let description = errs
            .take(clean_text(
                "description",
                self.description.as_deref(),
                MAX_NOTES,
            ))
            .flatten();
        if self.ends_on < self.starts_on {
            errs.push(FieldError::new(
                "ends_on",
                "before_start",
                "the last day cannot come before the first",
            ));
        } else if days(self.starts_on, self.ends_on) > MAX_DAYS {
            errs.push(FieldError::new(
                "ends_on",
                "too_long",
                format!("a promotion runs at most {MAX_DAYS} days"),
            ));
        }
        let currency = match &self.currency {
            None => Some(default_currency.clone()),
            Some(c) => errs.take(Currency::parse("currency", c.as_str())),
        };
        amount(&mut errs, "budget_minor", self.budget_minor);
        amount(
            &mut errs,
            "expected_extra_sales_minor",
            self.expected_extra_sales_minor,
        );
        let margin = match self.gross_margin_bp {
            None => Some(default_margin_bp.min(FULL_RATE_BP)),
            Some(v) => errs.take(margin_bp("gross_margin_bp", v)),
        };
        if self.costs.len() > MAX_COST_LINES {
            errs.push(FieldError::new(
                "costs",
                "too_many",
                format!("at most {MAX_COST_LINES} cost lines"),
            ));
        }
        let mut costs = Vec::with_capacity(self.costs.len());
        for (i, c) in self.costs.iter().enumerate().take(MAX_COST_LINES) {
            amount(
                &mut errs,
                &format!("costs[{i}].amount_minor"),
                c.amount_minor,
            );
            let description = errs
                .take(clean_text(
                    &format!("costs[{i}].description"),
                    c.description.as_deref(),
                    MAX_SHORT,
                ))
                .flatten();
            costs.push(ValidCost {
                kind: c.kind,
                description,
                amount_minor: c.amount_minor,
            });
        }
        let (Some(name), Some(currency), Some(gross_margin_bp)) = (name, currency, margin) else {
            return Err(errs);
        };
        errs.into_result(ValidPromotion {
            name,
            description,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            currency,
            budget_minor: self.budget_minor,
            expected_extra_sales_minor: self.expected_extra_sales_minor,
            gross_margin_bp,
            status: self.status.unwrap_or(PromotionStatus::Planned),
            baseline: self.baseline.unwrap_or_default(),
            costs,
        })
    }
}

/// Whether `status` is allowed with `taking_part` participants who did not refuse: a promotion
/// is run *with* customers, so it cannot be running or done without one.
pub fn check_status(status: PromotionStatus, taking_part: usize) -> Result<(), FieldError> {
    match status {
        PromotionStatus::Running | PromotionStatus::Done if taking_part == 0 => {
            Err(FieldError::new(
                "status",
                "no_participants",
                "add a participant who takes part before starting the promotion",
            ))
        }
        _ => Ok(()),
    }
}

/// A customer added to a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    /// Default `neutral`.
    #[serde(default)]
    pub attitude: Option<Attitude>,
    /// What they said about it, their suggestions (at most 2000 characters).
    #[serde(default)]
    pub notes: Option<String>,
}

/// A change of a participant's attitude or notes; what is left out stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantChange {
    #[serde(default)]
    pub attitude: Option<Attitude>,
    /// Replaces the notes; an empty text clears them.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Checks a participant's note (their suggestions, what they said).
pub fn participant_notes(v: Option<&str>) -> Result<Option<String>, FieldError> {
    clean_text("notes", v, MAX_NOTES)
}

/// Days from `from` to `to`, both included.
pub fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days() + 1
}

/// `amount × bp / 10000`, rounded half away from zero, saturating at the i64 range.
pub fn apply_rate(amount_minor: i64, bp: u32) -> i64 {
    let p = i128::from(amount_minor) * i128::from(bp);
    let d = i128::from(FULL_RATE_BP);
    let q = if p >= 0 {
        (p + d / 2) / d
    } else {
        (p - d / 2) / d
    };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// The extra sales whose gross profit covers `cost_minor` at `bp` (rounded up to the next minor
/// unit, so reaching it really breaks even); `None` at a zero margin, where nothing does.
pub fn break_even(cost_minor: i64, bp: u32) -> Option<i64> {
    if bp == 0 {
        return None;
    }
    let c = i128::from(cost_minor.max(0)) * i128::from(FULL_RATE_BP);
    let b = i128::from(bp);
    i64::try_from((c + b - 1) / b).ok()
}

/// `actual ÷ expected`, for showing as a percentage; `None` when nothing was expected.
pub fn ratio(actual: i64, expected: i64) -> Option<f64> {
    (expected != 0).then(|| actual as f64 / expected as f64)
}

/// The cost of one kind, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CostSubtotal {
    pub kind: CostKind,
    pub amount_minor: i64,
}

/// What a promotion should bring, from its terms alone.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Expectation {
    /// The cost lines summed.
    pub cost_minor: i64,
    /// The cost per kind, in [`CostKind::ALL`] order, kinds without lines left out.
    pub cost_by_kind: Vec<CostSubtotal>,
    /// Of which material discounts (METHOD §7 names them apart).
    pub material_discounts_minor: i64,
    pub budget_minor: i64,
    /// Budget − cost: negative when the cost lines overrun the budget.
    pub budget_left_minor: i64,
    pub over_budget: bool,
    pub expected_extra_sales_minor: i64,
    pub gross_margin_bp: u32,
    /// Expected extra sales × margin.
    pub expected_gross_profit_minor: i64,
    /// Expected gross profit − cost.
    pub expected_net_effect_minor: i64,
    /// The extra sales at which gross profit equals cost; `None` at a zero margin.
    pub break_even_extra_sales_minor: Option<i64>,
    /// Expected net effect ÷ cost (the return on the promotion's money); `None` without cost.
    pub expected_return: Option<f64>,
}

/// The expectation of a promotion with these terms.
pub fn expectation(
    costs: &[(CostKind, i64)],
    budget_minor: i64,
    expected_extra_sales_minor: i64,
    gross_margin_bp: u32,
) -> Expectation {
    let cost_minor = costs
        .iter()
        .map(|(_, a)| *a)
        .fold(0i64, i64::saturating_add);
    let cost_by_kind: Vec<CostSubtotal> = CostKind::ALL
        .iter()
        .filter_map(|k| {
            let mut lines = costs.iter().filter(|(kind, _)| kind == k).peekable();
            lines.peek()?;
            Some(CostSubtotal {
                kind: *k,
                amount_minor: lines.map(|(_, a)| *a).fold(0, i64::saturating_add),
            })
        })
        .collect();
    let material_discounts_minor = cost_by_kind
        .iter()
        .find(|s| s.kind == CostKind::MaterialDiscount)
        .map_or(0, |s| s.amount_minor);
    let gross = apply_rate(expected_extra_sales_minor, gross_margin_bp);
    let net = gross.saturating_sub(cost_minor);
    Expectation {
        cost_minor,
        cost_by_kind,
        material_discounts_minor,
        budget_minor,
        budget_left_minor: budget_minor.saturating_sub(cost_minor),
        over_budget: cost_minor > budget_minor,
        expected_extra_sales_minor,
        gross_margin_bp,
        expected_gross_profit_minor: gross,
        expected_net_effect_minor: net,
        break_even_extra_sales_minor: break_even(cost_minor, gross_margin_bp),
        expected_return: ratio(net, cost_minor),
    }
}

/// A span of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    pub fn days(&self) -> i64 {
        days(self.from, self.to)
    }
}

/// The periods an evaluation on `today` compares: the promotion's days so far (all of them once
/// it is over) and the baseline of the same length. `None` before the promotion starts. While it
/// runs, the baseline is cut to the same number of days, so half a promotion is not compared
/// with a whole baseline.
pub fn windows(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    baseline: Baseline,
    today: NaiveDate,
) -> Option<(Window, Window)> {
    if today < starts_on {
        return None;
    }
    let to = ends_on.min(today);
    let period = Window {
        from: starts_on,
        to,
    };
    let n = period.days();
    let base = match baseline {
        Baseline::Preceding => Window {
            from: starts_on - Duration::days(n),
            to: starts_on - Duration::days(1),
        },
        Baseline::PreviousYear => {
            let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
            Window {
                from: back(starts_on),
                to: back(to),
            }
        }
    };
    Some((period, base))
}

/// One participant's orders in the two periods, as the store counted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantSales {
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub attitude: Attitude,
    /// Orders in the promotion's currency during the period: their total and count.
    pub period_minor: i64,
    pub period_orders: i64,
    /// The same for the baseline.
    pub baseline_minor: i64,
    pub baseline_orders: i64,
    /// Orders in either period in another currency (not counted, but reported).
    pub other_currency_orders: i64,
}

/// One participant's effect.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParticipantEffect {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub attitude: Attitude,
    /// Whether this participant counts in the totals (those who refused do not).
    pub counted: bool,
    pub period_minor: i64,
    pub period_orders: i64,
    pub baseline_minor: i64,
    pub baseline_orders: i64,
    /// Period − baseline (negative when they bought less).
    pub extra_sales_minor: i64,
    /// Extra sales × margin.
    pub gross_profit_minor: i64,
    pub other_currency_orders: i64,
}

/// The actual effect in total, over the participants who took part.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActualEffect {
    pub participants_counted: i64,
    pub period_minor: i64,
    pub baseline_minor: i64,
    pub extra_sales_minor: i64,
    pub gross_profit_minor: i64,
    /// Gross profit − cost.
    pub net_effect_minor: i64,
    /// Actual ÷ expected extra sales; `None` when none were expected.
    pub extra_sales_ratio: Option<f64>,
    /// Actual ÷ expected net effect; `None` when the expectation was exactly zero.
    pub net_effect_ratio: Option<f64>,
    /// Whether the extra gross profit covered the cost.
    pub broke_even: bool,
    pub other_currency_orders: i64,
}

/// Expected against actual.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Evaluation {
    pub currency: Currency,
    pub baseline: Baseline,
    /// The evaluation's day.
    pub as_of: NaiveDate,
    /// Whether the promotion has started by `as_of` (without it there is nothing to measure).
    pub started: bool,
    /// Whether it is over, so the figures are final.
    pub complete: bool,
    /// The promotion's days measured and the baseline they are compared with.
    pub period: Option<Window>,
    pub baseline_period: Option<Window>,
    pub expected: Expectation,
    pub actual: ActualEffect,
    pub participants: Vec<ParticipantEffect>,
}

/// Compares the expectation with the participants' sales (see the module's formulas).
pub fn evaluate(
    expected: Expectation,
    currency: Currency,
    baseline: Baseline,
    as_of: NaiveDate,
    ends_on: NaiveDate,
    windows: Option<(Window, Window)>,
    sales: &[ParticipantSales],
) -> Evaluation {
    let bp = expected.gross_margin_bp;
    let participants: Vec<ParticipantEffect> = sales
        .iter()
        .map(|s| {
            let extra = s.period_minor.saturating_sub(s.baseline_minor);
            ParticipantEffect {
                customer_id: s.customer_id,
                customer_name: s.customer_name.clone(),
                attitude: s.attitude,
                counted: s.attitude.takes_part(),
                period_minor: s.period_minor,
                period_orders: s.period_orders,
                baseline_minor: s.baseline_minor,
                baseline_orders: s.baseline_orders,
                extra_sales_minor: extra,
                gross_profit_minor: apply_rate(extra, bp),
                other_currency_orders: s.other_currency_orders,
            }
        })
        .collect();
    let counted: Vec<&ParticipantEffect> = participants.iter().filter(|p| p.counted).collect();
    let sum = |f: fn(&ParticipantEffect) -> i64| {
        counted.iter().map(|p| f(p)).fold(0i64, i64::saturating_add)
    };
    let period_minor = sum(|p| p.period_minor);
    let baseline_minor = sum(|p| p.baseline_minor);
    let extra = period_minor.saturating_sub(baseline_minor);
    // The total's gross profit is taken from the total extra sales (not the sum of rounded
    // per-participant figures), so it agrees with the expectation's formula to the cent.
    let gross = apply_rate(extra, bp);
    let net = gross.saturating_sub(expected.cost_minor);
    let actual = ActualEffect {
        participants_counted: counted.len() as i64,
        period_minor,
        baseline_minor,
        extra_sales_minor: extra,
        gross_profit_minor: gross,
        net_effect_minor: net,
        extra_sales_ratio: ratio(extra, expected.expected_extra_sales_minor),
        net_effect_ratio: ratio(net, expected.expected_net_effect_minor),
        broke_even: gross >= expected.cost_minor,
        other_currency_orders: participants.iter().map(|p| p.other_currency_orders).sum(),
    };
    Evaluation {
        currency,
        baseline,
        as_of,
        started: windows.is_some(),
        complete: as_of > ends_on,
        period: windows.map(|w| w.0),
        baseline_period: windows.map(|w| w.1),
        expected,
        actual,
        participants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn input() -> PromotionInput {
        PromotionInput {
            name: "Spring dealer push".into(),
            description: None,
            starts_on: d(2025, 3, 1),
            ends_on: d(2025, 3, 31),
            currency: None,
            budget_minor: 2_500_000,
            expected_extra_sales_minor: 10_000_000,
            gross_margin_bp: Some(3000),
            status: None,
            baseline: None,
            costs: vec![
                CostInput {
                    kind: CostKind::MaterialDiscount,
                    description: Some("10% off machines".into()),
                    amount_minor: 1_200_000,
                },
                CostInput {
                    kind: CostKind::Gift,
                    description: None,
                    amount_minor: 300_000,
                },
                CostInput {
                    kind: CostKind::Advertising,
                    description: None,
                    amount_minor: 500_000,
                },
            ],
        }
    }

    fn field_codes(e: &ValidationErrors) -> Vec<(String, String)> {
        e.0.iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect()
    }

    /// The worked example of the help text: 20,000 of cost (12,000 of it material discounts)
    /// against 100,000 of expected extra sales at a 30% margin.
    #[test]
    fn the_expectation_of_the_worked_example() {
        let v = input().validate(&Currency::default(), 2500).expect("valid");
        assert_eq!(v.gross_margin_bp, 3000);
        assert_eq!(v.status, PromotionStatus::Planned);
        assert_eq!(v.baseline, Baseline::Preceding);
        let costs: Vec<(CostKind, i64)> =
            v.costs.iter().map(|c| (c.kind, c.amount_minor)).collect();
        let e = expectation(&costs, v.budget_minor, v.expected_extra_sales_minor, 3000);
        assert_eq!(e.cost_minor, 2_000_000);
        assert_eq!(e.material_discounts_minor, 1_200_000);
        assert_eq!(e.budget_left_minor, 500_000);
        assert!(!e.over_budget);
        assert_eq!(e.expected_gross_profit_minor, 3_000_000);
        assert_eq!(e.expected_net_effect_minor, 1_000_000);
        // 20,000.00 / 30% = 66,666.666… → 66,666.67, rounded up so it really breaks even.
        assert_eq!(e.break_even_extra_sales_minor, Some(6_666_667));
        assert!(apply_rate(6_666_667, 3000) >= 2_000_000);
        assert!(apply_rate(6_666_666, 3000) < 2_000_001);
        assert_eq!(e.expected_return, Some(0.5));
        let kinds: Vec<CostKind> = e.cost_by_kind.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                CostKind::MaterialDiscount,
                CostKind::Gift,
                CostKind::Advertising
            ]
        );
    }

    #[test]
    fn over_budget_zero_margin_and_rounding() {
        let e = expectation(&[(CostKind::Staff, 150), (CostKind::Staff, 50)], 100, 0, 0);
        assert_eq!(e.cost_minor, 200);
        assert!(e.over_budget);
        assert_eq!(e.budget_left_minor, -100);
        assert_eq!(e.break_even_extra_sales_minor, None);
        assert_eq!(e.expected_net_effect_minor, -200);
        assert_eq!(e.cost_by_kind.len(), 1);
        // Half a cent rounds away from zero, both ways.
        assert_eq!(apply_rate(5, 1000), 1);
        assert_eq!(apply_rate(-5, 1000), -1);
        assert_eq!(apply_rate(4, 1000), 0);
        assert_eq!(apply_rate(i64::MAX, 10_000), i64::MAX);
        assert_eq!(break_even(0, 3000), Some(0));
        assert_eq!(break_even(1, 10_000), Some(1));
        assert_eq!(ratio(1, 0), None);
    }

    #[test]
    fn validation_names_every_field() {
        let mut i = input();
        i.name = " ".into();
        i.ends_on = d(2025, 2, 28);
        i.currency = Some(Currency::parse("c", "usd").expect("usd"));
        i.budget_minor = -1;
        i.expected_extra_sales_minor = -5;
        i.gross_margin_bp = Some(10_001);
        i.costs[1].amount_minor = -3;
        let e = i.validate(&Currency::default(), 3000).expect_err("invalid");
        assert_eq!(
            field_codes(&e),
            vec![
                ("name".into(), "required".into()),
                ("ends_on".into(), "before_start".into()),
                ("budget_minor".into(), "negative".into()),
                ("expected_extra_sales_minor".into(), "negative".into()),
                ("gross_margin_bp".into(), "out_of_range".into()),
                ("costs[1].amount_minor".into(), "negative".into()),
            ]
        );
        let mut i = input();
        i.ends_on = d(2026, 3, 2);
        i.gross_margin_bp = Some(-1);
        let e = i.validate(&Currency::default(), 3000).expect_err("invalid");
        assert_eq!(
            field_codes(&e),
            vec![
                ("ends_on".into(), "too_long".into()),
                ("gross_margin_bp".into(), "out_of_range".into()),
            ]
        );
        // A year (a leap year's 366 days) is allowed, as are 0% and 100% margins.
        let mut i = input();
        i.starts_on = d(2024, 1, 1);
        i.ends_on = d(2024, 12, 31);
        i.gross_margin_bp = Some(10_000);
        assert!(i.validate(&Currency::default(), 3000).is_ok());
        i.gross_margin_bp = None;
        let v = i.validate(&Currency::default(), 1234).expect("valid");
        assert_eq!(v.gross_margin_bp, 1234);
        assert_eq!(
            Attitude::parse_field("attitude", "keen")
                .expect_err("x")
                .field,
            "attitude"
        );
    }

    #[test]
    fn starting_needs_someone_who_takes_part() {
        assert!(check_status(PromotionStatus::Planned, 0).is_ok());
        assert!(check_status(PromotionStatus::Cancelled, 0).is_ok());
        assert_eq!(
            check_status(PromotionStatus::Running, 0)
                .expect_err("x")
                .code,
            "no_participants"
        );
        assert!(check_status(PromotionStatus::Done, 1).is_ok());
        assert!(!Attitude::Refused.takes_part());
        assert!(Attitude::Reluctant.takes_part());
    }

    #[test]
    fn baselines_are_as_long_as_the_days_measured() {
        // March 2025: 31 days; the preceding 31 days run from 29 January to 28 February.
        let (p, b) = windows(
            d(2025, 3, 1),
            d(2025, 3, 31),
            Baseline::Preceding,
            d(2025, 6, 1),
        )
        .expect("started");
        assert_eq!((p.from, p.to), (d(2025, 3, 1), d(2025, 3, 31)));
        assert_eq!((b.from, b.to), (d(2025, 1, 29), d(2025, 2, 28)));
        assert_eq!(b.days(), p.days());
        // Halfway through: ten days measured against the ten days before.
        let (p, b) = windows(
            d(2025, 3, 1),
            d(2025, 3, 31),
            Baseline::Preceding,
            d(2025, 3, 10),
        )
        .expect("started");
        assert_eq!(p.to, d(2025, 3, 10));
        assert_eq!((b.from, b.to), (d(2025, 2, 19), d(2025, 2, 28)));
        // A year earlier; 29 February falls back to the 28th.
        let (_, b) = windows(
            d(2024, 2, 1),
            d(2024, 2, 29),
            Baseline::PreviousYear,
            d(2024, 5, 1),
        )
        .expect("started");
        assert_eq!((b.from, b.to), (d(2023, 2, 1), d(2023, 2, 28)));
        assert_eq!(
            windows(
                d(2025, 3, 1),
                d(2025, 3, 31),
                Baseline::Preceding,
                d(2025, 2, 28)
            ),
            None
        );
    }

    #[test]
    fn actual_effect_against_the_expectation() {
        let e = expectation(
            &[
                (CostKind::MaterialDiscount, 1_200_000),
                (CostKind::Gift, 800_000),
            ],
            2_500_000,
            10_000_000,
            3000,
        );
        let p = |id: i64, attitude, period, base| ParticipantSales {
            customer_id: CustomerId(id),
            customer_name: format!("D{id}"),
            attitude,
            period_minor: period,
            period_orders: 2,
            baseline_minor: base,
            baseline_orders: 1,
            other_currency_orders: id % 2,
        };
        let sales = vec![
            p(1, Attitude::Enthusiastic, 9_000_000, 2_000_000),
            p(2, Attitude::Reluctant, 1_000_000, 1_500_000),
            p(3, Attitude::Refused, 4_000_000, 1_000_000),
        ];
        let w = windows(
            d(2025, 3, 1),
            d(2025, 3, 31),
            Baseline::Preceding,
            d(2025, 4, 2),
        );
        let ev = evaluate(
            e,
            Currency::default(),
            Baseline::Preceding,
            d(2025, 4, 2),
            d(2025, 3, 31),
            w,
            &sales,
        );
        assert!(ev.started && ev.complete);
        assert_eq!(ev.participants[1].extra_sales_minor, -500_000);
        assert_eq!(ev.participants[1].gross_profit_minor, -150_000);
        assert!(!ev.participants[2].counted);
        let a = &ev.actual;
        assert_eq!(a.participants_counted, 2);
        assert_eq!(a.period_minor, 10_000_000);
        assert_eq!(a.baseline_minor, 3_500_000);
        assert_eq!(a.extra_sales_minor, 6_500_000);
        assert_eq!(a.gross_profit_minor, 1_950_000);
        assert_eq!(a.net_effect_minor, -50_000);
        assert!(!a.broke_even);
        assert_eq!(a.extra_sales_ratio, Some(0.65));
        assert_eq!(a.net_effect_ratio, Some(-0.05));
        assert_eq!(a.other_currency_orders, 2);
    }
}
