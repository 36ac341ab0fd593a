//! Complaints (METHOD §4): the words a complaint is recorded with, the order its status moves in,
//! the six steps the method asks for before a complaint may move on, and the settings that make
//! the 24-hour rule and the compensation authority a shop's own.
//!
//! Pure rules only; the store keeps the records and the web layer and CLI word them.

use crate::archive::StaffLevel;
use crate::promotion::Word;
use crate::validation::FieldError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest summary of a complaint (the board shows it in one line).
pub const MAX_SUMMARY: usize = 200;
/// The default number of hours within which a complaint gets its first reply.
pub const DEFAULT_REPLY_HOURS: u32 = 24;

/// Declares a snake_case word enum implementing [`Word`], in the order lists show it.
macro_rules! words {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $var),* }

        impl Word for $name {
            const ALL: &'static [Self] = &[$($name::$var),*];
            fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),* }
            }
        }
    };
}

words!(
    /// How the complaint reached us.
    Channel {
        Visit = "visit",
        Call = "call",
        Letter = "letter",
        Hotline = "hotline",
        Email = "email",
        InStore = "in_store",
        /// The customer's own public form.
        WebForm = "web_form",
    }
);

words!(
    /// The root-cause categories of METHOD §4.
    Cause {
        ExpectationGap = "expectation_gap",
        ProductQuality = "product_quality",
        StaffAttitude = "staff_attitude",
        Delivery = "delivery",
        Installation = "installation",
        Price = "price",
        Other = "other",
    }
);

words!(
    /// Where a complaint stands; it only moves forward (see [`Status::check_move`]).
    Status {
        Open = "open",
        Acknowledged = "acknowledged",
        Investigating = "investigating",
        Resolved = "resolved",
        FollowedUp = "followed_up",
        Closed = "closed",
    }
);

words!(
    /// The method's six steps of handling a complaint, in order.
    Step {
        /// Listen and accept the criticism sincerely.
        Listen = "listen",
        Apologise = "apologise",
        /// Ask questions to find the root cause (restate it at once).
        RootCause = "root_cause",
        /// Propose and carry out a solution quickly.
        Solve = "solve",
        /// Follow up with the customer afterwards and apologise again.
        FollowUp = "follow_up",
        /// Record it in detail and learn from it.
        Record = "record",
    }
);

words!(
    /// What the customer was given to make up for it.
    CompensationKind {
        Refund = "refund",
        Replacement = "replacement",
        Repair = "repair",
        Discount = "discount",
        Gift = "gift",
        Credit = "credit",
        Other = "other",
    }
);

words!(
    /// Whether the promise made to the customer was kept.
    PromiseOutcome {
        Kept = "kept",
        Broken = "broken",
    }
);

impl Status {
    /// The steps that must be done before a complaint may be in this status: the method's order
    /// made a rule, so "resolved" means someone listened, apologised, found the cause and solved
    /// it, and "closed" means all six were done, including the record.
    pub fn required_steps(self) -> &'static [Step] {
        match self {
            Status::Open | Status::Acknowledged | Status::Investigating => &[],
            Status::Resolved => &[Step::Listen, Step::Apologise, Step::RootCause, Step::Solve],
            Status::FollowedUp => &[
                Step::Listen,
                Step::Apologise,
                Step::RootCause,
                Step::Solve,
                Step::FollowUp,
            ],
            Status::Closed => Step::ALL,
        }
    }

    /// Whether a complaint in `self` may move to `to` with `done` steps done: forward only
    /// (skipping is allowed: a complaint solved on the phone goes from open to resolved), never
    /// out of closed (a new complaint is recorded instead, so the closed one's record stands),
    /// and only with the steps `to` requires.
    pub fn check_move(self, to: Status, done: &[Step]) -> Result<(), MoveError> {
        if self == Status::Closed {
            return Err(MoveError::Closed);
        }
        if to <= self {
            return Err(MoveError::Backwards { from: self, to });
        }
        let missing: Vec<Step> = to
            .required_steps()
            .iter()
            .copied()
            .filter(|s| !done.contains(s))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(MoveError::StepsMissing { to, missing })
        }
    }

    pub fn is_closed(self) -> bool {
        self == Status::Closed
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveError {
    Closed,
    Backwards { from: Status, to: Status },
    StepsMissing { to: Status, missing: Vec<Step> },
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::Closed => f.write_str(
                "a closed complaint cannot be reopened; record a new complaint for the customer",
            ),
            MoveError::Backwards { from, to } => write!(
                f,
                "a complaint moves forward only: it is {} and cannot become {}",
                from.as_str(),
                to.as_str()
            ),
            MoveError::StepsMissing { to, missing } => {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                write!(
                    f,
                    "to be {} these steps must be done first: {}",
                    to.as_str(),
                    names.join(", ")
                )
            }
        }
    }
}

/// When the first reply to a complaint recorded at `recorded_at` is due.
pub fn reply_due_at(recorded_at: DateTime<Utc>, reply_hours: u32) -> DateTime<Utc> {
    recorded_at + Duration::hours(i64::from(reply_hours))
}

/// Whether a complaint still waiting for its first reply is overdue at `now`: from the exact
/// instant, so one recorded at 23:30 is overdue at 23:31 the next day, not at midnight.
pub fn is_overdue(
    due_at: DateTime<Utc>,
    first_reply_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    first_reply_at.is_none() && now > due_at
}

/// The complaint settings a shop can change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ComplaintSettings {
    /// Hours within which every complaint gets its first reply (the method's 24).
    pub reply_hours: u32,
    /// The most compensation (in the default currency's minor units) each staff level may give
    /// on its own authority; absent means no limit.
    pub compensation_limits: Vec<CompensationLimit>,
}

/// One level's compensation authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompensationLimit {
    pub level: StaffLevel,
    /// `None`: any amount.
    pub max_minor: Option<i64>,
}

impl Default for ComplaintSettings {
    /// A representative may give up to 200.00, a business manager 2,000.00, the marketing
    /// director 10,000.00; the general manager and administrators any amount.
    fn default() -> Self {
        ComplaintSettings {
            reply_hours: DEFAULT_REPLY_HOURS,
            compensation_limits: vec![
                CompensationLimit {
                    level: StaffLevel::SalesRepresentative,
                    max_minor: Some(20_000),
                },
                CompensationLimit {
                    level: StaffLevel::BusinessManager,
                    max_minor: Some(200_000),
                },
                CompensationLimit {
                    level: StaffLevel::MarketingDirector,
                    max_minor: Some(1_000_000),
                },
                CompensationLimit {
                    level: StaffLevel::GeneralManager,
                    max_minor: None,
                },
                CompensationLimit {
                    level: StaffLevel::Administrator,
                    max_minor: None,
                },
            ],
        }
    }
}

impl ComplaintSettings {
    /// The most a user of `level` may approve; a level missing from the list may approve
    /// nothing (a new level gets no money by accident).
    pub fn limit_for(&self, level: StaffLevel) -> Limit {
        match self.compensation_limits.iter().find(|l| l.level == level) {
            Some(CompensationLimit {
                max_minor: Some(m), ..
            }) => Limit::UpTo(*m),
            Some(CompensationLimit {
                max_minor: None, ..
            }) => Limit::Any,
            None => Limit::UpTo(0),
        }
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if !(1..=24 * 14).contains(&self.reply_hours) {
            return Err(FieldError::new(
                "reply_hours",
                "out_of_range",
                "the first reply must be due within 1 to 336 hours",
            ));
        }
        for (i, l) in self.compensation_limits.iter().enumerate() {
            if l.max_minor
                .is_some_and(|m| !(0..=crate::credit::MAX_AMOUNT_MINOR).contains(&m))
            {
                return Err(FieldError::new(
                    &format!("compensation_limits[{i}].max_minor"),
                    "out_of_range",
                    "a limit must be zero or more and within the largest amount",
                ));
            }
            if self.compensation_limits[..i]
                .iter()
                .any(|o| o.level == l.level)
            {
                return Err(FieldError::new(
                    &format!("compensation_limits[{i}].level"),
                    "duplicate",
                    format!("{} has two limits", l.level.as_str()),
                ));
            }
        }
        Ok(())
    }
}

/// What a level may approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    UpTo(i64),
    Any,
}

impl Limit {
    pub fn allows(self, amount_minor: i64) -> bool {
        match self {
            Limit::Any => true,
            Limit::UpTo(m) => amount_minor <= m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn status_moves_forward_only_and_needs_its_steps() {
        assert_eq!(Status::Open.check_move(Status::Acknowledged, &[]), Ok(()));
        assert_eq!(
            Status::Investigating.check_move(Status::Acknowledged, &[]),
            Err(MoveError::Backwards {
                from: Status::Investigating,
                to: Status::Acknowledged
            })
        );
        let e = Status::Open
            .check_move(Status::Resolved, &[Step::Listen])
            .expect_err("steps missing");
        assert_eq!(
            e,
            MoveError::StepsMissing {
                to: Status::Resolved,
                missing: vec![Step::Apologise, Step::RootCause, Step::Solve]
            }
        );
        assert!(e.to_string().contains("apologise, root_cause, solve"));
        assert_eq!(
            Status::Open.check_move(
                Status::Resolved,
                &[Step::Solve, Step::RootCause, Step::Apologise, Step::Listen]
            ),
            Ok(())
        );
        assert_eq!(
            Status::FollowedUp.check_move(Status::Closed, &Step::ALL[..5]),
            Err(MoveError::StepsMissing {
                to: Status::Closed,
                missing: vec![Step::Record]
            })
        );
        assert_eq!(
            Status::FollowedUp.check_move(Status::Closed, Step::ALL),
            Ok(())
        );
        // Reopening.
        assert_eq!(
            Status::Closed.check_move(Status::Open, Step::ALL),
            Err(MoveError::Closed)
        );
        assert!(MoveError::Closed.to_string().contains("new complaint"));
    }

    #[test]
    fn the_reply_clock_runs_to_the_instant() {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 23, 30, 0)
            .single()
            .expect("t");
        let due = reply_due_at(at, 24);
        assert_eq!(
            due,
            Utc.with_ymd_and_hms(2026, 3, 2, 23, 30, 0)
                .single()
                .expect("t")
        );
        assert!(!is_overdue(due, None, due));
        assert!(is_overdue(due, None, due + Duration::seconds(1)));
        assert!(!is_overdue(due, Some(due), due + Duration::hours(5)));
    }

    #[test]
    fn compensation_limits_by_level() {
        let s = ComplaintSettings::default();
        assert!(s.limit_for(StaffLevel::SalesRepresentative).allows(20_000));
        assert!(!s.limit_for(StaffLevel::SalesRepresentative).allows(20_001));
        assert!(s.limit_for(StaffLevel::GeneralManager).allows(i64::MAX));
        let none = ComplaintSettings {
            compensation_limits: vec![],
            ..ComplaintSettings::default()
        };
        assert!(!none.limit_for(StaffLevel::Administrator).allows(1));
        assert!(none.limit_for(StaffLevel::Administrator).allows(0));
        assert_eq!(s.validate(), Ok(()));
        let bad = ComplaintSettings {
            reply_hours: 0,
            ..ComplaintSettings::default()
        };
        assert_eq!(bad.validate().expect_err("0 h").field, "reply_hours");
        let dup = ComplaintSettings {
            compensation_limits: vec![
                CompensationLimit {
                    level: StaffLevel::BusinessManager,
                    max_minor: Some(1),
                },
                CompensationLimit {
                    level: StaffLevel::BusinessManager,
                    max_minor: None,
                },
            ],
            ..ComplaintSettings::default()
        };
        assert_eq!(dup.validate().expect_err("dup").code, "duplicate");
    }

    #[test]
    fn words_round_trip() {
        for c in Cause::ALL {
            assert_eq!(Cause::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Step::ALL.len(), 6);
        assert!(Status::parse("reopened").is_none());
    }
}
