//! The credit system (METHOD §2.6): credit classes AAA / AA / A / none, each with a credit limit
//! and a payment term; credit granted only after a recorded credit review; the outstanding and
//! overdue balance of a customer's orders and payments; and the check that refuses an order over
//! the limit.
//!
//! Pure rules only. The store keeps the reviews and payments and hands the orders and payments
//! of one customer to [`balance`]; the web layer asks [`would_exceed`] before saving an order.
//!
//! Conventions:
//! - amounts are minor units of one currency (the default currency); the store leaves out
//!   orders and payments in other currencies, because a limit in yuan cannot be compared with
//!   an order in dollars without an exchange rate the archive does not keep;
//! - payments settle the oldest orders first (FIFO): a payment is not tied to an order, which is
//!   how a customer paying "on account" is booked, and it makes the oldest debt the one that
//!   becomes overdue first;
//! - an order is due `term_days` after its date; its unpaid part is overdue from the day after.

use crate::validation::{clean_text, FieldError, ValidationErrors, MAX_TEXT};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest limit, deposit or payment accepted (the same bound as any parsed amount): keeps sums
/// of many of them far inside `i64`.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;
/// Longest payment term accepted (ten years): anything longer is a typing mistake.
pub const MAX_TERM_DAYS: u32 = 3650;
/// The settings key of the [`CreditPolicy`] (JSON).
pub const POLICY_SETTING: &str = "credit.policy";

/// A customer's credit class (信用等级). `None` is "no credit": the customer pays before or on
/// delivery, and any unpaid order is over the limit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum CreditClass {
    #[serde(rename = "AAA")]
    Aaa,
    #[serde(rename = "AA")]
    Aa,
    #[serde(rename = "A")]
    A,
    #[serde(rename = "none")]
    None,
}

impl CreditClass {
    /// Best first, as reports list them.
    pub const ALL: [CreditClass; 4] = [
        CreditClass::Aaa,
        CreditClass::Aa,
        CreditClass::A,
        CreditClass::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CreditClass::Aaa => "AAA",
            CreditClass::Aa => "AA",
            CreditClass::A => "A",
            CreditClass::None => "none",
        }
    }

    /// Accepts the serialised names in any case (`aa`, `AA`, `None`).
    pub fn parse(s: &str) -> Option<CreditClass> {
        let t = s.trim();
        CreditClass::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
    }

    /// [`CreditClass::parse`] with an error naming `field`.
    pub fn parse_field(field: &str, s: &str) -> Result<CreditClass, FieldError> {
        CreditClass::parse(s).ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_choice",
                format!(
                    "'{}' is not a credit class (AAA, AA, A or none)",
                    s.chars().take(40).collect::<String>()
                ),
            )
        })
    }
}

impl std::fmt::Display for CreditClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a class grants: how much may be outstanding, and how long an order may stay unpaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditTerms {
    /// The credit limit, minor units of the default currency.
    pub limit_minor: i64,
    /// Days after the order date by which it must be paid.
    pub term_days: u32,
}

impl CreditTerms {
    /// Checks the terms of `class`; errors name `prefix` + `limit_minor` / `term_days`.
    pub fn validate(&self, class: CreditClass, prefix: &str) -> Result<(), FieldError> {
        let limit = format!("{prefix}limit_minor");
        if self.limit_minor < 0 {
            return Err(FieldError::new(
                &limit,
                "negative",
                "a credit limit cannot be negative",
            ));
        }
        if self.limit_minor > MAX_AMOUNT_MINOR {
            return Err(FieldError::new(&limit, "too_large", "is implausibly large"));
        }
        if class == CreditClass::None && self.limit_minor != 0 {
            return Err(FieldError::new(
                &limit,
                "out_of_range",
                "the class 'none' grants no credit: its limit is 0",
            ));
        }
        if self.term_days > MAX_TERM_DAYS {
            return Err(FieldError::new(
                &format!("{prefix}term_days"),
                "out_of_range",
                format!("a payment term must be between 0 and {MAX_TERM_DAYS} days"),
            ));
        }
        Ok(())
    }
}

/// The default terms of each class, applied by a review that does not name its own (stored as
/// JSON in the setting [`POLICY_SETTING`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreditPolicy {
    #[serde(rename = "AAA")]
    pub aaa: CreditTerms,
    #[serde(rename = "AA")]
    pub aa: CreditTerms,
    #[serde(rename = "A")]
    pub a: CreditTerms,
    pub none: CreditTerms,
}

impl CreditPolicy {
    /// The method's example terms in a currency with `minor_digits` decimals: AAA 100,000 for
    /// 60 days, AA 50,000 for 45, A 20,000 for 30, none 0 (whole currency units, so a shop
    /// counting in won gets ₩100,000, not ₩1,000).
    pub fn defaults(minor_digits: u32) -> CreditPolicy {
        let unit = 10i64.pow(minor_digits.min(6));
        let t = |major: i64, term_days| CreditTerms {
            limit_minor: major * unit,
            term_days,
        };
        CreditPolicy {
            aaa: t(100_000, 60),
            aa: t(50_000, 45),
            a: t(20_000, 30),
            none: t(0, 0),
        }
    }

    pub fn terms(&self, class: CreditClass) -> CreditTerms {
        match class {
            CreditClass::Aaa => self.aaa,
            CreditClass::Aa => self.aa,
            CreditClass::A => self.a,
            CreditClass::None => self.none,
        }
    }

    /// Checks every class's terms; the error names the field (`AA.limit_minor`).
    pub fn validate(&self) -> Result<(), FieldError> {
        for c in CreditClass::ALL {
            self.terms(c).validate(c, &format!("{}.", c.as_str()))?;
        }
        Ok(())
    }
}

impl Default for CreditPolicy {
    /// For a currency with cents (the default currency is USD).
    fn default() -> Self {
        CreditPolicy::defaults(2)
    }
}

/// A credit review as entered (METHOD §2.6: credit is granted only after a review). Terms left
/// out come from the class's default in the [`CreditPolicy`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditReviewInput {
    /// `AAA`, `AA`, `A` or `none`.
    #[schema(value_type = String, example = "AA")]
    pub class: String,
    /// Default: the class's limit in the policy.
    #[serde(default)]
    pub limit_minor: Option<i64>,
    /// Default: the class's term in the policy.
    #[serde(default)]
    pub term_days: Option<u32>,
    /// The day of the review (default today); not in the future.
    #[serde(default)]
    pub reviewed_on: Option<NaiveDate>,
    /// A deposit held as security, if the review asked for one (recorded, not netted against
    /// the balance: it is returned when the relationship ends).
    #[serde(default)]
    pub deposit_minor: Option<i64>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A review that passed validation, with its terms filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCreditReview {
    pub class: CreditClass,
    pub terms: CreditTerms,
    pub reviewed_on: NaiveDate,
    pub deposit_minor: Option<i64>,
    pub notes: Option<String>,
}

impl CreditReviewInput {
    /// Checks every field (all problems at once) against `policy` and `today`.
    pub fn validate(
        &self,
        policy: &CreditPolicy,
        today: NaiveDate,
    ) -> Result<ValidCreditReview, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        let class = errs.take(CreditClass::parse_field("class", &self.class));
        let reviewed_on = self.reviewed_on.unwrap_or(today);
        if reviewed_on > today {
            errs.push(FieldError::new(
                "reviewed_on",
                "in_future",
                "a review cannot be dated after today",
            ));
        }
        if let Some(d) = self.deposit_minor {
            if d < 0 {
                errs.push(FieldError::new(
                    "deposit_minor",
                    "negative",
                    "a deposit cannot be negative",
                ));
            } else if d > MAX_AMOUNT_MINOR {
                errs.push(FieldError::new(
                    "deposit_minor",
                    "too_large",
                    "is implausibly large",
                ));
            }
        }
        let notes = errs
            .take(clean_text("notes", self.notes.as_deref(), MAX_TEXT))
            .flatten();
        let Some(class) = class else {
            return Err(errs);
        };
        let default = policy.terms(class);
        let terms = CreditTerms {
            limit_minor: self.limit_minor.unwrap_or(default.limit_minor),
            term_days: self.term_days.unwrap_or(default.term_days),
        };
        if let Err(e) = terms.validate(class, "") {
            errs.push(e);
        }
        errs.into_result(ValidCreditReview {
            class,
            terms,
            reviewed_on,
            deposit_minor: self.deposit_minor,
            notes,
        })
    }
}

/// A payment received from a customer, as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// Minor units of the default currency; more than zero.
    pub amount_minor: i64,
    /// The day the money arrived (default today); not in the future.
    #[serde(default)]
    pub paid_on: Option<NaiveDate>,
    /// The bank or receipt reference.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A payment that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPayment {
    pub amount_minor: i64,
    pub paid_on: NaiveDate,
    pub reference: Option<String>,
    pub notes: Option<String>,
}

impl PaymentInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ValidPayment, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if self.amount_minor <= 0 {
            errs.push(FieldError::new(
                "amount_minor",
                "not_positive",
                "must be greater than zero",
            ));
        } else if self.amount_minor > MAX_AMOUNT_MINOR {
            errs.push(FieldError::new(
                "amount_minor",
                "too_large",
                "is implausibly large",
            ));
        }
        let paid_on = self.paid_on.unwrap_or(today);
        if paid_on > today {
            errs.push(FieldError::new(
                "paid_on",
                "in_future",
                "a payment cannot be dated after today",
            ));
        }
        let reference = errs
            .take(clean_text(
                "reference",
                self.reference.as_deref(),
                crate::validation::MAX_SHORT,
            ))
            .flatten();
        let notes = errs
            .take(clean_text("notes", self.notes.as_deref(), MAX_TEXT))
            .flatten();
        errs.into_result(ValidPayment {
            amount_minor: self.amount_minor,
            paid_on,
            reference,
            notes,
        })
    }
}

/// Checks the reason a manager gives for overriding a limit: required, one paragraph at most.
pub fn override_reason(field: &str, reason: &str) -> Result<String, FieldError> {
    crate::validation::required_text(field, Some(reason), 1000)
}

/// A customer's balance from its orders and payments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Balance {
    /// The orders counted, in total.
    pub ordered_minor: i64,
    /// The payments counted, in total.
    pub paid_minor: i64,
    /// What the orders still owe after the payments settled the oldest first (never negative).
    pub outstanding_minor: i64,
    /// Payments beyond every order (paid in advance); settles the next orders.
    pub unapplied_minor: i64,
    /// The unpaid parts of orders due before the as-of day.
    pub overdue_minor: i64,
    /// The due date of the oldest order with an overdue part.
    pub oldest_overdue_due: Option<NaiveDate>,
    /// Days from that due date to the as-of day (0 when nothing is overdue).
    pub days_overdue: i64,
}

impl Balance {
    /// What the customer owes net of payments in advance (negative when in credit): the amount
    /// the limit is compared with.
    pub fn exposure_minor(&self) -> i64 {
        self.outstanding_minor.saturating_sub(self.unapplied_minor)
    }

    /// How much more may be ordered within `limit_minor` (negative when already over it).
    pub fn available_minor(&self, limit_minor: i64) -> i64 {
        limit_minor.saturating_sub(self.exposure_minor())
    }
}

/// The balance of `orders` and `payments` (each `(day, amount)`, minor units of one currency)
/// with payment term `term_days`, overdue as of `as_of`.
///
/// Payments settle the oldest orders first (orders of the same day in the order given, so pass
/// them by id). Every order and payment given counts, whatever its day; the caller chooses which
/// to pass. Amounts below zero do not occur in the store (a CHECK and validation keep them out)
/// and are treated as zero here, so a bad row cannot make a balance negative.
pub fn balance(
    orders: &[(NaiveDate, i64)],
    payments: &[(NaiveDate, i64)],
    term_days: u32,
    as_of: NaiveDate,
) -> Balance {
    let mut sorted: Vec<(NaiveDate, i64)> = orders.iter().map(|(d, a)| (*d, (*a).max(0))).collect();
    // Stable: same-day orders keep the caller's order.
    sorted.sort_by_key(|o| o.0);
    let paid: i64 = payments
        .iter()
        .fold(0i64, |s, (_, a)| s.saturating_add((*a).max(0)));
    let ordered: i64 = sorted.iter().fold(0i64, |s, o| s.saturating_add(o.1));
    let mut pool = paid;
    let mut b = Balance {
        ordered_minor: ordered,
        paid_minor: paid,
        ..Default::default()
    };
    for (day, amount) in sorted {
        let settled = pool.min(amount);
        pool -= settled;
        let unpaid = amount - settled;
        if unpaid == 0 {
            continue;
        }
        b.outstanding_minor = b.outstanding_minor.saturating_add(unpaid);
        // A due date past chrono's range is never reached.
        let Some(due) = day.checked_add_days(chrono::Days::new(u64::from(term_days))) else {
            continue;
        };
        if due < as_of {
            b.overdue_minor = b.overdue_minor.saturating_add(unpaid);
            if b.oldest_overdue_due.is_none_or(|o| due < o) {
                b.oldest_overdue_due = Some(due);
            }
        }
    }
    b.unapplied_minor = pool;
    b.days_overdue = b
        .oldest_overdue_due
        .map_or(0, |d| (as_of - d).num_days().max(0));
    b
}

/// Whether an order of `order_minor` would take a customer whose exposure is `outstanding_minor`
/// (net of payments in advance, see [`Balance::exposure_minor`]) over `limit_minor`; `Some(by
/// how much)` if so. An order that adds nothing (`order_minor <= 0`) is never refused, so a free
/// sample or a correction can always be recorded for a customer who is already over the limit.
pub fn would_exceed(limit_minor: i64, outstanding_minor: i64, order_minor: i64) -> Option<i64> {
    if order_minor <= 0 {
        return None;
    }
    let after = outstanding_minor.saturating_add(order_minor);
    (after > limit_minor).then(|| after.saturating_sub(limit_minor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn classes_serialise_as_the_method_names_them() {
        let v = serde_json::to_value(CreditClass::ALL).expect("json");
        assert_eq!(v, serde_json::json!(["AAA", "AA", "A", "none"]));
        assert_eq!(CreditClass::parse("aa"), Some(CreditClass::Aa));
        assert_eq!(CreditClass::parse(" None "), Some(CreditClass::None));
        assert_eq!(CreditClass::parse("B"), None);
        let e = CreditClass::parse_field("class", "AAAA").expect_err("bad");
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("class", "invalid_choice")
        );
    }

    #[test]
    fn policy_defaults_and_validation_name_the_field() {
        let p = CreditPolicy::default();
        assert_eq!(p.terms(CreditClass::Aaa).limit_minor, 10_000_000);
        assert_eq!(p.terms(CreditClass::Aa).term_days, 45);
        assert_eq!(p.terms(CreditClass::None).limit_minor, 0);
        assert_eq!(CreditPolicy::defaults(0).aa.limit_minor, 50_000);
        assert!(p.validate().is_ok());
        let mut bad = p;
        bad.aa.limit_minor = -1;
        assert_eq!(bad.validate().expect_err("neg").field, "AA.limit_minor");
        let mut bad = p;
        bad.a.term_days = MAX_TERM_DAYS + 1;
        assert_eq!(bad.validate().expect_err("term").field, "A.term_days");
        let mut bad = p;
        bad.none.limit_minor = 1;
        assert_eq!(bad.validate().expect_err("none").field, "none.limit_minor");
        // The JSON form is the one the setting keeps.
        let v = serde_json::to_value(p).expect("json");
        assert_eq!(v["AA"]["term_days"], 45);
        let back: CreditPolicy = serde_json::from_value(v).expect("back");
        assert_eq!(back, p);
    }

    #[test]
    fn reviews_take_policy_terms_unless_given_and_say_what_is_wrong() {
        let today = d(2026, 3, 1);
        let p = CreditPolicy::default();
        let r = CreditReviewInput {
            class: "AA".into(),
            ..Default::default()
        }
        .validate(&p, today)
        .expect("valid");
        assert_eq!(r.terms, p.aa);
        assert_eq!(r.reviewed_on, today);
        let r = CreditReviewInput {
            class: "A".into(),
            limit_minor: Some(123),
            term_days: Some(7),
            ..Default::default()
        }
        .validate(&p, today)
        .expect("valid");
        assert_eq!((r.terms.limit_minor, r.terms.term_days), (123, 7));
        let e = CreditReviewInput {
            class: "Z".into(),
            reviewed_on: Some(d(2026, 3, 2)),
            deposit_minor: Some(-5),
            ..Default::default()
        }
        .validate(&p, today)
        .expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["class", "reviewed_on", "deposit_minor"]);
        let e = CreditReviewInput {
            class: "none".into(),
            limit_minor: Some(100),
            ..Default::default()
        }
        .validate(&p, today)
        .expect_err("none with a limit");
        assert_eq!(e.0[0].field, "limit_minor");
    }

    #[test]
    fn payments_are_positive_and_not_in_the_future() {
        let today = d(2026, 3, 1);
        let ok = PaymentInput {
            amount_minor: 500,
            reference: Some("  TT-1 ".into()),
            ..Default::default()
        }
        .validate(today)
        .expect("ok");
        assert_eq!((ok.paid_on, ok.reference.as_deref()), (today, Some("TT-1")));
        let e = PaymentInput {
            amount_minor: 0,
            paid_on: Some(d(2026, 3, 2)),
            ..Default::default()
        }
        .validate(today)
        .expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["amount_minor", "paid_on"]);
        assert!(override_reason("r", "  ").is_err());
        assert_eq!(override_reason("r", " ok ").as_deref(), Ok("ok"));
    }

    #[test]
    fn payments_settle_the_oldest_orders_first() {
        let as_of = d(2026, 3, 1);
        // Term 30: January's orders are due in February (overdue), February's are not.
        let orders = [
            (d(2026, 1, 5), 1_000),
            (d(2026, 2, 10), 2_000),
            (d(2026, 1, 20), 500),
        ];
        let payments = [(d(2026, 2, 1), 1_200)];
        let b = balance(&orders, &payments, 30, as_of);
        assert_eq!(b.ordered_minor, 3_500);
        assert_eq!(b.paid_minor, 1_200);
        assert_eq!(b.outstanding_minor, 2_300);
        // 1,000 (Jan 5) settled, 200 of Jan 20's 500: 300 overdue since Feb 19.
        assert_eq!(b.overdue_minor, 300);
        assert_eq!(b.oldest_overdue_due, Some(d(2026, 2, 19)));
        assert_eq!(b.days_overdue, 10);
        assert_eq!(b.unapplied_minor, 0);
        assert_eq!(b.exposure_minor(), 2_300);
        assert_eq!(b.available_minor(5_000), 2_700);
        // Due on the as-of day is not overdue yet.
        let b = balance(&[(d(2026, 1, 30), 100)], &[], 30, as_of);
        assert_eq!((b.overdue_minor, b.days_overdue), (0, 0));
        let b = balance(&[(d(2026, 1, 29), 100)], &[], 30, as_of);
        assert_eq!((b.overdue_minor, b.days_overdue), (100, 1));
    }

    #[test]
    fn paying_more_than_owed_leaves_credit_for_the_next_orders() {
        let as_of = d(2026, 3, 1);
        let b = balance(&[(d(2026, 1, 1), 100)], &[(d(2025, 12, 1), 250)], 0, as_of);
        assert_eq!((b.outstanding_minor, b.unapplied_minor), (0, 150));
        assert_eq!(b.exposure_minor(), -150);
        // A cash customer (limit 0) may order what it paid in advance, not more.
        assert_eq!(would_exceed(0, b.exposure_minor(), 150), None);
        assert_eq!(would_exceed(0, b.exposure_minor(), 151), Some(1));
    }

    #[test]
    fn the_limit_check() {
        assert_eq!(would_exceed(50_000, 46_000, 4_000), None);
        assert_eq!(would_exceed(50_000, 46_000, 12_000), Some(8_000));
        assert_eq!(would_exceed(50_000, 60_000, 0), None, "adds nothing");
        assert_eq!(would_exceed(0, 0, 1), Some(1));
        assert_eq!(would_exceed(i64::MAX, i64::MAX, i64::MAX), None);
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (0i64..800).prop_map(|n| d(2025, 1, 1) + chrono::Duration::days(n))
    }

    proptest! {
        #[test]
        fn balances_are_consistent(
            orders in proptest::collection::vec((day(), -100i64..1_000_000), 0..30),
            payments in proptest::collection::vec((day(), 0i64..2_000_000), 0..30),
            term in 0u32..120,
            as_of in day(),
        ) {
            let b = balance(&orders, &payments, term, as_of);
            prop_assert!(b.outstanding_minor >= 0);
            prop_assert!(b.unapplied_minor >= 0);
            prop_assert!(b.overdue_minor >= 0);
            prop_assert!(b.overdue_minor <= b.outstanding_minor);
            prop_assert!(b.outstanding_minor <= b.ordered_minor);
            prop_assert_eq!(b.exposure_minor(), b.ordered_minor - b.paid_minor);
            prop_assert!(b.outstanding_minor == 0 || b.unapplied_minor == 0);
            prop_assert_eq!(b.days_overdue > 0, b.overdue_minor > 0);
            // Another payment never raises what is owed or overdue.
            let mut more = payments.clone();
            more.push((as_of, 1_000));
            let after = balance(&orders, &more, term, as_of);
            prop_assert!(after.outstanding_minor <= b.outstanding_minor);
            prop_assert!(after.overdue_minor <= b.overdue_minor);
        }

        #[test]
        fn orders_within_the_limit_pass_and_beyond_it_are_refused(
            limit in 0i64..1_000_000,
            outstanding in -1_000_000i64..2_000_000,
            order in 1i64..1_000_000,
        ) {
            match would_exceed(limit, outstanding, order) {
                None => prop_assert!(outstanding + order <= limit),
                Some(x) => prop_assert_eq!(x, outstanding + order - limit),
            }
        }
    }
}
