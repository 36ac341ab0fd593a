//! The contact plan (METHOD §3): the visit and call policy by class and staff level, and each
//! user's agenda derived from it and from the archive's dates.

pub mod agenda;
pub mod digest;
pub mod plan;
pub mod policy;
pub mod route;

pub use agenda::{
    build as build_agenda, AgendaInput, AgendaItem, Held, ItemKey, ItemKind, KeyDates, Mark,
    MarkAction, Obligation, Promise, RecentOrder, Season, ThankYouRules, Why,
};
pub use digest::{DigestSettings, SmtpSecurity, DIGEST_SETTING};
pub use plan::{
    EntryEdit, EntrySource, PlanCustomer, PlanEntry, PlanPeriod, ProgressRow, ProgressTotals,
};
pub use policy::{
    Cadence, ContactPolicy, DueWindow, Frequency, LevelPolicy, Period, POLICY_LEVELS,
};
pub use route::{Point, Route, Stop, Unrouted};

use serde::{Deserialize, Serialize};

/// Settings key of [`ContactSettings`].
pub const SETTINGS_KEY: &str = "contact.settings";

/// The contact plan's settings besides the policy matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContactSettings {
    /// The IANA time zone the shop works in (`Asia/Shanghai`, `Europe/London`): "today", the
    /// day of a visit logged at 23:30 UTC, and due dates across a DST change are all counted in
    /// it.
    pub time_zone: String,
    pub thank_you: ThankYouRules,
    /// New sales seasons and product launches, each with its date.
    pub seasons: Vec<Season>,
}

impl Default for ContactSettings {
    fn default() -> Self {
        ContactSettings {
            time_zone: "UTC".into(),
            thank_you: ThankYouRules::default(),
            seasons: Vec::new(),
        }
    }
}

impl ContactSettings {
    /// The time zone; an unknown name (which validation refuses) falls back to UTC.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn validate(&self) -> Result<(), crate::FieldError> {
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(crate::FieldError::new(
                "time_zone",
                "invalid_time_zone",
                format!(
                    "'{}' is not a time zone name such as Asia/Shanghai or Europe/London",
                    self.time_zone.chars().take(40).collect::<String>()
                ),
            ));
        }
        self.thank_you.validate()?;
        for (i, s) in self.seasons.iter().enumerate() {
            s.validate(i)?;
        }
        Ok(())
    }

    /// The day an instant falls on in the shop's time zone.
    pub fn local_day(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.tz()).date_naive()
    }

    /// The instant a local day starts (on a day whose midnight a DST change skips, the first
    /// instant that exists).
    pub fn day_start(&self, day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        let tz = self.tz();
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        match tz.from_local_datetime(&midnight) {
            chrono::LocalResult::Single(t) => t.with_timezone(&chrono::Utc),
            chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&chrono::Utc),
            chrono::LocalResult::None => tz
                .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(|| midnight.and_utc()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn local_days_follow_the_time_zone_across_dst() {
        let s = ContactSettings {
            time_zone: "America/New_York".into(),
            ..Default::default()
        };
        // 02:30 UTC on 9 March 2026 is still 8 March in New York (EDT began at 2:00 that day).
        let at = Utc
            .with_ymd_and_hms(2026, 3, 9, 2, 30, 0)
            .single()
            .expect("time");
        assert_eq!(
            s.local_day(at),
            NaiveDate::from_ymd_opt(2026, 3, 8).expect("d")
        );
        let seoul = ContactSettings {
            time_zone: "Asia/Seoul".into(),
            ..Default::default()
        };
        let at = Utc
            .with_ymd_and_hms(2026, 3, 8, 16, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            seoul.local_day(at),
            NaiveDate::from_ymd_opt(2026, 3, 9).expect("d")
        );
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        let s = ContactSettings {
            time_zone: "Mars/Olympus".into(),
            ..Default::default()
        };
        assert_eq!(s.validate().expect_err("bad").field, "time_zone");
        ContactSettings::default()
            .validate()
            .expect("default is valid");
    }
}
