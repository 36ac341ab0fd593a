//! Key-account development plans (METHOD §3.4, 大客户发展计划): for each key account — an
//! A-class customer — its short-, medium- and long-term goals; the projects where we are strong
//! (win them), where a competitor leads (work harder) and where we are weak (don't give up);
//! actions with an owner, a due day and a review day; and the plan's own review cycle.
//!
//! A customer has at most one plan: the plan is revised in place at each review rather than
//! versioned, because what the method asks for is the current goals and the next review date;
//! every review is recorded on the plan (`last_reviewed_on`) and, when done from the agenda, as
//! a meeting in the customer's interactions.
//!
//! The plan's next review date puts an `account_review` item on its owner's agenda, and each
//! open action's review date a `plan_action` item on the action owner's (see
//! `sql/key_accounts.rs`).

use chrono::{DateTime, Months, NaiveDate, Utc};
use patron_core::{CustomerId, FieldError, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest goal text (each horizon), in characters.
pub const MAX_GOALS: usize = 4000;
/// Longest project name, competitor name or action text, in characters.
pub const MAX_NAME: usize = 300;
/// Longest notes, in characters.
pub const MAX_NOTES: usize = 2000;
/// Review cycle bounds, in months.
pub const REVIEW_MONTHS: std::ops::RangeInclusive<u32> = 1..=24;
/// The default review cycle: a quarter.
pub const DEFAULT_REVIEW_MONTHS: u32 = 3;
/// How far ahead a review date may be set, in days (three years).
pub const MAX_AHEAD_DAYS: i64 = 3 * 366;
/// Days before a plan's review it appears under "later" on the owner's agenda: a review is
/// prepared (figures, the projects' state), not just held.
pub const REVIEW_NOTICE_DAYS: u64 = 14;

/// Where a project of the customer's stands (METHOD §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    /// Our strong project: win it.
    OursStrong,
    /// A competitor's project: work harder.
    Competitor,
    /// Our weak project: don't give up.
    OursWeak,
}

impl ProjectKind {
    pub const ALL: [ProjectKind; 3] = [
        ProjectKind::OursStrong,
        ProjectKind::Competitor,
        ProjectKind::OursWeak,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectKind::OursStrong => "ours_strong",
            ProjectKind::Competitor => "competitor",
            ProjectKind::OursWeak => "ours_weak",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectKind> {
        ProjectKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    #[default]
    Open,
    Done,
    /// Given up on, with the reason in the notes; kept so the plan's history shows it.
    Dropped,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [
        ActionStatus::Open,
        ActionStatus::Done,
        ActionStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::Dropped => "dropped",
        }
    }

    pub fn parse(s: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A plan's goals, owner and review cycle, as written by staff.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Who keeps the plan and gets its review on their agenda (default: the customer's
    /// relationship manager, else its owner). Must be an active user in charge of the customer.
    #[serde(default)]
    pub owner_id: Option<UserId>,
    #[serde(default)]
    pub short_term_goals: Option<String>,
    #[serde(default)]
    pub medium_term_goals: Option<String>,
    #[serde(default)]
    pub long_term_goals: Option<String>,
    /// Months between reviews, 1–24 (default 3 for a new plan, unchanged for an existing one).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 24)]
    pub review_every_months: Option<u32>,
    /// The next review (default: one cycle from today for a new plan, unchanged for an existing
    /// one). A date that is changed may not be before today.
    #[serde(default)]
    pub next_review_on: Option<NaiveDate>,
}

/// [`PlanInput`] checked, with its defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPlan {
    pub short_term_goals: Option<String>,
    pub medium_term_goals: Option<String>,
    pub long_term_goals: Option<String>,
    pub review_every_months: u32,
    pub next_review_on: NaiveDate,
}

/// Trimmed text, `None` when empty.
pub(crate) fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn too_long(errs: &mut Vec<FieldError>, field: &str, v: &Option<String>, max: usize) {
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        errs.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
}

/// A review date as set by staff: within range, and — when it is new (`previous` is the date
/// already stored) — not before today.
fn check_review_date(
    errs: &mut Vec<FieldError>,
    field: &str,
    d: NaiveDate,
    previous: Option<NaiveDate>,
    today: NaiveDate,
) {
    if previous == Some(d) {
        // An overdue date kept as it was stays valid: editing the goals of an overdue plan
        // must not force a new date.
        return;
    }
    if d < today {
        errs.push(FieldError::new(
            field,
            "in_past",
            "a review date cannot be before today",
        ));
    } else if (d - today).num_days() > MAX_AHEAD_DAYS {
        errs.push(FieldError::new(
            field,
            "too_far",
            "a review date is at most three years ahead",
        ));
    }
}

impl PlanInput {
    /// Checks the plan: at least one goal, texts within length, a review cycle of 1–24 months,
    /// a valid next review date. `previous` is the stored plan's next review date (updates).
    pub fn validate(
        &self,
        previous: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<ValidPlan, ValidationErrors> {
        let mut errs = Vec::new();
        let (s, m, l) = (
            trimmed(&self.short_term_goals),
            trimmed(&self.medium_term_goals),
            trimmed(&self.long_term_goals),
        );
        if s.is_none() && m.is_none() && l.is_none() {
            errs.push(FieldError::new(
                "short_term_goals",
                "goals_required",
                "a plan states at least one goal (short-, medium- or long-term)",
            ));
        }
        too_long(&mut errs, "short_term_goals", &s, MAX_GOALS);
        too_long(&mut errs, "medium_term_goals", &m, MAX_GOALS);
        too_long(&mut errs, "long_term_goals", &l, MAX_GOALS);
        let every = self.review_every_months.unwrap_or(DEFAULT_REVIEW_MONTHS);
        if !REVIEW_MONTHS.contains(&every) {
            errs.push(FieldError::new(
                "review_every_months",
                "out_of_range",
                "a plan is reviewed every 1 to 24 months",
            ));
        }
        let next = match (self.next_review_on, previous) {
            (Some(d), _) => {
                check_review_date(&mut errs, "next_review_on", d, previous, today);
                d
            }
            (None, Some(p)) => p,
            (None, None) => next_review(today, every),
        };
        if errs.is_empty() {
            Ok(ValidPlan {
                short_term_goals: s,
                medium_term_goals: m,
                long_term_goals: l,
                review_every_months: every,
                next_review_on: next,
            })
        } else {
            Err(ValidationErrors(errs))
        }
    }
}

/// The review after one held on `on`: `every` months later (the month's last day when the day
/// does not exist, e.g. 31 January + 1 month = 28/29 February).
pub fn next_review(on: NaiveDate, every: u32) -> NaiveDate {
    on.checked_add_months(Months::new(every.max(1)))
        .unwrap_or(on)
}

/// A project of the customer's, as written by staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub kind: ProjectKind,
    pub name: String,
    /// The competitor involved (most useful on a competitor's project).
    #[serde(default)]
    pub competitor: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The project's estimated value in minor units (cents), at least 0.
    #[serde(default)]
    pub value_minor: Option<i64>,
    /// ISO 4217 code of the value (default: the shop's currency).
    #[serde(default)]
    pub currency: Option<String>,
}

impl ProjectInput {
    /// Checks the project; returns it trimmed. The currency is checked (and defaulted) by the
    /// store, which knows the shop's currency.
    pub fn validate(&self) -> Result<ProjectInput, ValidationErrors> {
        let mut errs = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errs.push(FieldError::new("name", "required", "a project has a name"));
        }
        let name_opt = Some(name.clone());
        too_long(&mut errs, "name", &name_opt, MAX_NAME);
        let competitor = trimmed(&self.competitor);
        too_long(&mut errs, "competitor", &competitor, MAX_NAME);
        let notes = trimmed(&self.notes);
        too_long(&mut errs, "notes", &notes, MAX_NOTES);
        match self.value_minor {
            Some(v) if v < 0 => errs.push(FieldError::new(
                "value_minor",
                "negative",
                "a project's value is not negative",
            )),
            Some(v) if v > 1_000_000_000_000_000 => errs.push(FieldError::new(
                "value_minor",
                "too_large",
                "the value is too large",
            )),
            _ => {}
        }
        if errs.is_empty() {
            Ok(ProjectInput {
                kind: self.kind,
                name,
                competitor,
                notes,
                value_minor: self.value_minor,
                currency: trimmed(&self.currency),
            })
        } else {
            Err(ValidationErrors(errs))
        }
    }
}

/// An action of a plan, as written by staff.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// What is to be done.
    pub what: String,
    /// Who does it and gets its review on their agenda (default: the plan's owner). Must be an
    /// active user in charge of the customer.
    #[serde(default)]
    pub owner_id: Option<UserId>,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// When the owner looks at it again (an agenda item while the action is open). A date that
    /// is changed may not be before today.
    #[serde(default)]
    pub review_on: Option<NaiveDate>,
    #[serde(default)]
    pub status: ActionStatus,
    /// The day it was done or dropped (default today; only for those statuses).
    #[serde(default)]
    pub done_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl ActionInput {
    /// Checks the action; `previous_review` is the stored action's review date (updates).
    pub fn validate(
        &self,
        previous_review: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<ActionInput, ValidationErrors> {
        let mut errs = Vec::new();
        let what = self.what.trim().to_owned();
        if what.is_empty() {
            errs.push(FieldError::new(
                "what",
                "required",
                "say what is to be done",
            ));
        }
        too_long(&mut errs, "what", &Some(what.clone()), MAX_NAME);
        let notes = trimmed(&self.notes);
        too_long(&mut errs, "notes", &notes, MAX_NOTES);
        if let Some(d) = self.review_on {
            check_review_date(&mut errs, "review_on", d, previous_review, today);
        }
        if let Some(d) = self.due_on {
            if (d - today).num_days().abs() > MAX_AHEAD_DAYS * 3 {
                errs.push(FieldError::new(
                    "due_on",
                    "out_of_range",
                    "the due day is too far from today",
                ));
            }
        }
        let done_on = match self.status {
            ActionStatus::Open => {
                if self.done_on.is_some() {
                    errs.push(FieldError::new(
                        "done_on",
                        "not_closed",
                        "an open action has no day it was done",
                    ));
                }
                None
            }
            ActionStatus::Done | ActionStatus::Dropped => {
                let d = self.done_on.unwrap_or(today);
                if d > today {
                    errs.push(FieldError::new(
                        "done_on",
                        "in_future",
                        "an action cannot be done after today",
                    ));
                }
                Some(d)
            }
        };
        if errs.is_empty() {
            Ok(ActionInput {
                what,
                owner_id: self.owner_id,
                due_on: self.due_on,
                review_on: self.review_on,
                status: self.status,
                done_on,
                notes,
            })
        } else {
            Err(ValidationErrors(errs))
        }
    }
}

/// One project of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanProject {
    pub id: i64,
    pub plan_id: i64,
    pub kind: ProjectKind,
    pub name: String,
    pub competitor: Option<String>,
    pub notes: Option<String>,
    pub value_minor: Option<i64>,
    pub currency: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanAction {
    pub id: i64,
    pub plan_id: i64,
    pub what: String,
    pub owner_id: UserId,
    pub owner_name: String,
    pub due_on: Option<NaiveDate>,
    /// The next review (none: none set; "done" on the agenda item clears it, see
    /// `sql/key_accounts.rs`).
    pub review_on: Option<NaiveDate>,
    /// The last time its owner reviewed it from the agenda.
    pub reviewed_on: Option<NaiveDate>,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A key account's development plan with its projects and actions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AccountPlan {
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// The customer's current ABC class (none: not classified); a plan outlives its customer
    /// leaving the A class.
    pub abc: Option<String>,
    pub owner_id: UserId,
    pub owner_name: String,
    pub short_term_goals: Option<String>,
    pub medium_term_goals: Option<String>,
    pub long_term_goals: Option<String>,
    pub review_every_months: u32,
    pub next_review_on: NaiveDate,
    pub last_reviewed_on: Option<NaiveDate>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_by: Option<UserId>,
    pub updated_at: DateTime<Utc>,
    /// Ours strong, competitors', ours weak; each by name.
    pub projects: Vec<PlanProject>,
    /// Open ones first, by review and due day.
    pub actions: Vec<PlanAction>,
}

/// Where a plan's review stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// The review is more than [`REVIEW_NOTICE_DAYS`] away.
    Scheduled,
    /// The review is today or within [`REVIEW_NOTICE_DAYS`].
    Due,
    /// The review day has passed without a review.
    Overdue,
}

impl ReviewStatus {
    pub fn on(next_review: NaiveDate, today: NaiveDate) -> ReviewStatus {
        if next_review < today {
            ReviewStatus::Overdue
        } else if (next_review - today).num_days() <= REVIEW_NOTICE_DAYS as i64 {
            ReviewStatus::Due
        } else {
            ReviewStatus::Scheduled
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Scheduled => "scheduled",
            ReviewStatus::Due => "due",
            ReviewStatus::Overdue => "overdue",
        }
    }
}

/// A plan in the key-account list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanSummary {
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub abc: Option<String>,
    pub owner_id: UserId,
    pub owner_name: String,
    pub next_review_on: NaiveDate,
    pub last_reviewed_on: Option<NaiveDate>,
    pub review_every_months: u32,
    pub open_actions: i64,
    pub status: ReviewStatus,
}

/// A key account (A-class customer) that has no plan yet.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyAccountWithoutPlan {
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// Revenue of the classification's window, minor units of `currency`.
    pub revenue_minor: i64,
    pub currency: String,
    pub owner_name: Option<String>,
    pub relationship_manager_name: Option<String>,
}

/// Most key accounts without a plan listed at once (biggest first); the total is counted.
pub const WITHOUT_PLAN_LIMIT: i64 = 200;

/// The key accounts in a user's scope: every plan, and the A-class customers without one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KeyAccountList {
    /// The day the review statuses are computed for (the shop's today).
    pub as_of: NaiveDate,
    /// Overdue first, then by next review.
    pub plans: Vec<PlanSummary>,
    /// A-class customers without a plan, biggest first (at most [`WITHOUT_PLAN_LIMIT`]).
    pub without_plan: Vec<KeyAccountWithoutPlan>,
    pub without_plan_total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn plans_need_a_goal_and_a_sane_cycle() {
        let today = d(2026, 1, 31);
        let e = PlanInput::default()
            .validate(None, today)
            .expect_err("no goals");
        assert_eq!(e.0[0].field, "short_term_goals");
        let p = PlanInput {
            long_term_goals: Some("  become their sole supplier ".into()),
            ..Default::default()
        }
        .validate(None, today)
        .expect("valid");
        assert_eq!(
            p.long_term_goals.as_deref(),
            Some("become their sole supplier")
        );
        assert_eq!(p.review_every_months, 3);
        assert_eq!(p.next_review_on, d(2026, 4, 30));
        let e = PlanInput {
            short_term_goals: Some("x".into()),
            review_every_months: Some(0),
            next_review_on: Some(d(2026, 1, 30)),
            ..Default::default()
        }
        .validate(None, today)
        .expect_err("bad");
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["review_every_months", "next_review_on"]);
        // An overdue date kept unchanged is fine on update.
        let p = PlanInput {
            short_term_goals: Some("x".into()),
            next_review_on: Some(d(2026, 1, 2)),
            ..Default::default()
        }
        .validate(Some(d(2026, 1, 2)), today)
        .expect("kept");
        assert_eq!(p.next_review_on, d(2026, 1, 2));
        assert_eq!(next_review(d(2026, 1, 31), 1), d(2026, 2, 28));
    }

    #[test]
    fn actions_and_projects() {
        let today = d(2026, 3, 1);
        let e = ActionInput {
            what: " ".into(),
            status: ActionStatus::Open,
            done_on: Some(today),
            ..Default::default()
        }
        .validate(None, today)
        .expect_err("bad");
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["what", "done_on"]);
        let a = ActionInput {
            what: "Demo the new grinder".into(),
            status: ActionStatus::Done,
            ..Default::default()
        }
        .validate(None, today)
        .expect("ok");
        assert_eq!(a.done_on, Some(today));
        let e = ProjectInput {
            kind: ProjectKind::Competitor,
            name: "".into(),
            competitor: None,
            notes: None,
            value_minor: Some(-1),
            currency: None,
        }
        .validate()
        .expect_err("bad");
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "value_minor"]);
        assert_eq!(ReviewStatus::on(d(2026, 3, 15), today), ReviewStatus::Due);
        assert_eq!(
            ReviewStatus::on(d(2026, 3, 16), today),
            ReviewStatus::Scheduled
        );
        assert_eq!(
            ReviewStatus::on(d(2026, 2, 28), today),
            ReviewStatus::Overdue
        );
    }
}
