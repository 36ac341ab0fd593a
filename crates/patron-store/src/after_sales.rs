//! After-sales service (METHOD §6): deliveries and installations promised to a customer, usually
//! for an order. The method asks four things of them, and a job records each:
//!
//! * **tell the customer before delivering** — [`ServiceJob::notified_at`];
//! * **keep the promised time** — the promised day and time window, and whether it was done;
//! * **if late, say why and agree a new time** — marking a job late needs the reason and the newly
//!   agreed day (and window); the new promise replaces the old one, which is kept with the reason
//!   and who changed it in [`ServiceJob::changes`];
//! * after the job, a satisfaction call ([`AFTER_SALES_CALL_FROM_DAYS`]).
//!
//! Each open job is on the agenda of the person it is assigned to on its promised day (kinds
//! `delivery` and `installation`); a done job puts an `after_sales_call` there until the call is
//! made. The agenda, its API and the iCalendar feed show them with everything else.

use crate::contact;
use crate::{Store, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use patron_core::contact::ItemKind;
use patron_core::{CustomerId, FieldError, Scope, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The satisfaction call after a delivery or installation comes due this many days after the
/// job was done: METHOD §6 keeps customers with after-sales service, and §3.3 asks for "visits
/// and calls after each sale"; the day after gives the customer a night with the goods before
/// they are asked how it went.
pub const AFTER_SALES_CALL_FROM_DAYS: u64 = 1;
/// …and is late (overdue on the agenda) after this many days: a call a week later no longer
/// reads as care about this delivery.
pub const AFTER_SALES_CALL_WITHIN_DAYS: u64 = 3;
/// A call nobody made leaves the agenda this many days after the job (the job's page still
/// offers it): the agenda is for what can still be done well.
pub const AFTER_SALES_CALL_KEEP_DAYS: u64 = 30;
/// An open job shows under "later" on the agenda from this many days before its promised day
/// (this week's are shown anyway), so deliveries can be prepared.
pub const NOTICE_DAYS: u64 = 14;
/// The longest address or note, in characters.
pub const MAX_TEXT: usize = 1000;
/// The longest reason (late, cancelled), in characters.
pub const MAX_REASON: usize = 500;
/// The most jobs one list returns.
pub const MAX_LIST: u32 = 500;

/// What is done at the customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Delivery,
    Installation,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 2] = [ServiceKind::Delivery, ServiceKind::Installation];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Delivery => "delivery",
            ServiceKind::Installation => "installation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The agenda item a job of this kind is.
    pub fn item_kind(self) -> ItemKind {
        match self {
            ServiceKind::Delivery => ItemKind::Delivery,
            ServiceKind::Installation => ItemKind::Installation,
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Promised and not yet done.
    Planned,
    /// The promise was missed, the customer told why and a new time agreed; still to be done.
    Late,
    Done,
    Cancelled,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 4] = [
        ServiceStatus::Planned,
        ServiceStatus::Late,
        ServiceStatus::Done,
        ServiceStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Planned => "planned",
            ServiceStatus::Late => "late",
            ServiceStatus::Done => "done",
            ServiceStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Still to be done (planned, or late with a new time).
    pub fn is_open(self) -> bool {
        matches!(self, ServiceStatus::Planned | ServiceStatus::Late)
    }

    /// The statuses a list filter names: one status, or `open` for planned and late.
    pub fn filter(s: &str) -> Option<Vec<ServiceStatus>> {
        match s.trim() {
            "open" => Some(vec![ServiceStatus::Planned, ServiceStatus::Late]),
            other => Self::parse(other).map(|x| vec![x]),
        }
    }
}

/// A delivery or installation to record (and, as a whole, the body a PATCH is merged onto).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceJobInput {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    /// The order it is for (one of the customer's); none for a job without an order.
    #[serde(default)]
    pub order_id: Option<i64>,
    pub kind: ServiceKind,
    /// The promised day (not before the order's day).
    pub promised_on: NaiveDate,
    /// Start of the promised time window, `HH:MM` (with `window_to`, or neither).
    #[serde(default)]
    pub window_from: Option<String>,
    /// End of the promised time window, `HH:MM`, after `window_from`.
    #[serde(default)]
    pub window_to: Option<String>,
    /// Where (default: the customer's address, as the page shows it).
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Who does it or answers for it (default: the customer's owner, else its relationship
    /// manager, else whoever records the job). They must be able to see the customer.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub assigned_to: Option<UserId>,
}

impl From<&ServiceJob> for ServiceJobInput {
    fn from(j: &ServiceJob) -> Self {
        ServiceJobInput {
            customer_id: j.customer_id,
            order_id: j.order_id,
            kind: j.kind,
            promised_on: j.promised_on,
            window_from: j.window_from.clone(),
            window_to: j.window_to.clone(),
            address: j.address.clone(),
            notes: j.notes.clone(),
            assigned_to: j.assigned_to,
        }
    }
}

/// One earlier promise of a job and what replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceJobChange {
    pub id: i64,
    /// `late` (the promise was missed and a new time agreed) or `moved` (rescheduled by an edit).
    pub change: String,
    pub old_promised_on: NaiveDate,
    pub old_window: Option<String>,
    /// When the customer had been told of the old promise (a new promise is told again).
    pub old_notified_at: Option<DateTime<Utc>>,
    pub new_promised_on: NaiveDate,
    pub new_window: Option<String>,
    pub reason: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub changed_by: Option<UserId>,
    pub changed_by_name: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// A delivery or installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceJob {
    pub id: i64,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub order_id: Option<i64>,
    /// The order's day and reference, when there is an order.
    pub order_date: Option<NaiveDate>,
    pub order_ref: Option<String>,
    pub kind: ServiceKind,
    pub status: ServiceStatus,
    /// The current promise.
    pub promised_on: NaiveDate,
    pub window_from: Option<String>,
    pub window_to: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub assigned_to: Option<UserId>,
    pub assigned_name: Option<String>,
    /// When the customer was told before the job (cleared when a new time is agreed).
    pub notified_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<i64>)]
    pub notified_by: Option<UserId>,
    pub done_on: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<i64>)]
    pub done_by: Option<UserId>,
    /// The interaction logged when the job was marked done on the agenda.
    pub done_interaction_id: Option<i64>,
    /// The reason given the last time it was late.
    pub late_reason: Option<String>,
    /// How many times the promise was missed.
    pub times_late: i64,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When the satisfaction call after the job is due (done jobs).
    pub after_sales_call_due: Option<NaiveDate>,
    pub after_sales_call_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<i64>)]
    pub after_sales_call_by: Option<UserId>,
    /// The interaction that recorded the call.
    pub after_sales_interaction_id: Option<i64>,
    #[schema(value_type = Option<i64>)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every earlier promise, oldest first.
    pub changes: Vec<ServiceJobChange>,
}

impl ServiceJob {
    /// The promised window as `HH:MM-HH:MM`.
    pub fn window(&self) -> Option<String> {
        window_text(self.window_from.as_deref(), self.window_to.as_deref())
    }

    /// Open and its promised day has passed: it must be done or marked late with a new time.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status.is_open() && self.promised_on < today
    }
}

/// `HH:MM-HH:MM` from the two ends (none unless both).
pub fn window_text(from: Option<&str>, to: Option<&str>) -> Option<String> {
    match (from, to) {
        (Some(f), Some(t)) => Some(format!("{f}-{t}")),
        _ => None,
    }
}

/// Which jobs a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceJobQuery {
    /// Only jobs of customers inside this scope.
    pub scope: Scope,
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<i64>,
    /// Any of these statuses (empty: every status).
    pub statuses: Vec<ServiceStatus>,
    pub kind: Option<ServiceKind>,
    pub assigned_to: Option<UserId>,
    /// Promised on or after this day.
    pub from: Option<NaiveDate>,
    /// Promised on or before this day.
    pub to: Option<NaiveDate>,
    /// Latest promise first (default: earliest first).
    pub newest_first: bool,
    /// At most this many (default and maximum [`MAX_LIST`]).
    pub limit: Option<u32>,
}

/// What someone does about a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceJobAction {
    /// The customer was told before the job (METHOD §6: "tell the customer before delivering").
    Notified,
    /// Done on a day (default today; not after today).
    Done { done_on: Option<NaiveDate> },
    /// The promise is missed: why, and the newly agreed day (today or later) and window.
    Late {
        reason: String,
        promised_on: NaiveDate,
        window_from: Option<String>,
        window_to: Option<String>,
    },
    /// Called off (the reason is optional).
    Cancel { reason: Option<String> },
    /// The satisfaction call after a done job: logged as a call on the customer's timeline.
    AfterSalesCall {
        outcome: Option<String>,
        notes: Option<String>,
    },
}

/// Parses a time of day written `HH:MM` (24-hour, two digits each) into its canonical text.
pub fn parse_hhmm(field: &str, s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    let ok = t.len() == 5
        && t.as_bytes()[2] == b':'
        && t.bytes()
            .enumerate()
            .all(|(i, b)| i == 2 || b.is_ascii_digit());
    match ok
        .then(|| NaiveTime::parse_from_str(t, "%H:%M").ok())
        .flatten()
    {
        Some(time) => Ok(time.format("%H:%M").to_string()),
        None => Err(FieldError::new(
            field,
            "invalid_time",
            "a time of day is written HH:MM (00:00 to 23:59)",
        )),
    }
}

/// Checks a promised window: both ends or neither, each `HH:MM`, the start before the end.
/// Returns the canonical ends; every error names its field.
pub fn check_window(
    from: Option<&str>,
    to: Option<&str>,
    prefix: &str,
) -> Result<Option<(String, String)>, ValidationErrors> {
    fn blank(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let (f_name, t_name) = (format!("{prefix}window_from"), format!("{prefix}window_to"));
    let mut errs = ValidationErrors::default();
    match (blank(from), blank(to)) {
        (None, None) => Ok(None),
        (Some(_), None) => {
            errs.push(FieldError::new(
                &t_name,
                "required",
                "a window needs its end as well as its start",
            ));
            Err(errs)
        }
        (None, Some(_)) => {
            errs.push(FieldError::new(
                &f_name,
                "required",
                "a window needs its start as well as its end",
            ));
            Err(errs)
        }
        (Some(f), Some(t)) => {
            let f = errs.take(parse_hhmm(&f_name, f));
            let t = errs.take(parse_hhmm(&t_name, t));
            if let (Some(f), Some(t)) = (&f, &t) {
                if f >= t {
                    errs.push(FieldError::new(
                        &t_name,
                        "window_order",
                        "the window must end after it starts",
                    ));
                }
            }
            match (f, t) {
                (Some(f), Some(t)) if errs.is_empty() => Ok(Some((f, t))),
                _ => Err(errs),
            }
        }
    }
}

/// Splits `HH:MM-HH:MM` (the command line's and the forms' way of writing a window) into its
/// ends, checked.
pub fn parse_window(field: &str, s: &str) -> Result<Option<(String, String)>, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let Some((f, t)) = s.split_once('-') else {
        return Err(FieldError::new(
            field,
            "invalid_window",
            "a window is written HH:MM-HH:MM",
        ));
    };
    check_window(Some(f), Some(t), "").map_err(|e| {
        let (code, message) = match e.first() {
            Some(x) => (x.code.clone(), x.message.clone()),
            None => (
                "invalid_window".to_owned(),
                "a window is written HH:MM-HH:MM".to_owned(),
            ),
        };
        FieldError::new(field, &code, message)
    })
}

/// A free text field: trimmed, empty as none, at most `max` characters.
pub(crate) fn text(
    field: &str,
    s: Option<&str>,
    max: usize,
    errs: &mut ValidationErrors,
) -> Option<String> {
    let s = s.map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > max {
        errs.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    Some(s.to_owned())
}

/// The checks of a job that need no database: window, texts, the year. The store adds the
/// checks against other records (the order's day and customer, the assigned person).
pub fn check_input(input: &ServiceJobInput) -> Result<ValidInput, ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let window = match check_window(input.window_from.as_deref(), input.window_to.as_deref(), "") {
        Ok(w) => w,
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    };
    let address = text("address", input.address.as_deref(), MAX_TEXT, &mut errs);
    let notes = text("notes", input.notes.as_deref(), MAX_TEXT, &mut errs);
    check_year("promised_on", input.promised_on, &mut errs);
    if input.order_id.is_some_and(|o| o <= 0) {
        errs.push(FieldError::new(
            "order_id",
            "unknown_reference",
            "there is no order with this id",
        ));
    }
    errs.into_result(ValidInput {
        window,
        address,
        notes,
    })
}

/// The cleaned parts of a checked input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidInput {
    pub window: Option<(String, String)>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

/// Dates stay within four-digit years (both databases store them; see the web layer's range).
pub(crate) fn check_year(field: &str, d: NaiveDate, errs: &mut ValidationErrors) {
    use chrono::Datelike;
    if !(1..=9999).contains(&d.year()) {
        errs.push(FieldError::new(
            field,
            "out_of_range",
            "the year must be between 1 and 9999",
        ));
    }
}

/// Today in the shop's time zone (the day promises and "done" are counted in).
pub async fn shop_today(store: &dyn Store) -> StoreResult<NaiveDate> {
    Ok(contact::today(&contact::load_settings(store).await?))
}

/// Does something about a job (see [`ServiceJobAction`]), today in the shop's time zone.
pub async fn act(
    store: &dyn Store,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    action: ServiceJobAction,
) -> StoreResult<ServiceJob> {
    let today = shop_today(store).await?;
    store.act_on_service_job(by, scope, id, action, today).await
}

/// The error for an action a job's status does not allow.
pub(crate) fn wrong_status(status: ServiceStatus, what: &str) -> StoreError {
    StoreError::conflict(
        Some("status"),
        format!("a {} job cannot be {what}", status.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day() {
        assert_eq!(parse_hhmm("w", "09:30").as_deref(), Ok("09:30"));
        assert_eq!(parse_hhmm("w", " 23:59 ").as_deref(), Ok("23:59"));
        for bad in [
            "9:30", "24:00", "12:60", "1230", "ab:cd", "12:3x", "", "12:00:00",
        ] {
            let e = parse_hhmm("w", bad).expect_err(bad);
            assert_eq!((e.field.as_str(), e.code.as_str()), ("w", "invalid_time"));
        }
    }

    #[test]
    fn windows() {
        assert_eq!(check_window(None, Some(" "), ""), Ok(None));
        assert_eq!(
            check_window(Some("09:00"), Some("12:00"), ""),
            Ok(Some(("09:00".into(), "12:00".into())))
        );
        let e = check_window(Some("12:00"), Some("09:00"), "").expect_err("order");
        assert_eq!(e.0[0].field, "window_to");
        assert_eq!(e.0[0].code, "window_order");
        let e = check_window(Some("12:00"), Some("12:00"), "").expect_err("empty");
        assert_eq!(e.0[0].code, "window_order");
        let e = check_window(Some("09:00"), None, "").expect_err("half");
        assert_eq!(
            (e.0[0].field.as_str(), e.0[0].code.as_str()),
            ("window_to", "required")
        );
        let e = check_window(None, Some("09:00"), "").expect_err("half");
        assert_eq!(e.0[0].field, "window_from");
        let e = check_window(Some("9"), Some("x"), "").expect_err("both bad");
        assert_eq!(e.0.len(), 2);
        assert_eq!(
            parse_window("window", "09:00-12:00"),
            Ok(Some(("09:00".into(), "12:00".into())))
        );
        assert_eq!(parse_window("window", ""), Ok(None));
        assert_eq!(
            parse_window("window", "0900").map_err(|e| e.code),
            Err("invalid_window".into())
        );
        assert_eq!(
            parse_window("window", "12:00-09:00").map_err(|e| (e.field, e.code)),
            Err(("window".into(), "window_order".into()))
        );
    }

    #[test]
    fn statuses_and_filters() {
        assert!(ServiceStatus::Late.is_open() && !ServiceStatus::Done.is_open());
        assert_eq!(ServiceStatus::filter("open").map(|v| v.len()), Some(2));
        assert_eq!(
            ServiceStatus::filter("done"),
            Some(vec![ServiceStatus::Done])
        );
        assert_eq!(ServiceStatus::filter("nope"), None);
        assert_eq!(
            ServiceKind::parse("installation"),
            Some(ServiceKind::Installation)
        );
        assert_eq!(ServiceKind::Delivery.item_kind(), ItemKind::Delivery);
    }

    #[test]
    fn input_checks_name_the_field() {
        let input = ServiceJobInput {
            customer_id: CustomerId(1),
            order_id: None,
            kind: ServiceKind::Delivery,
            promised_on: NaiveDate::from_ymd_opt(2026, 5, 1).expect("date"),
            window_from: Some("14:00".into()),
            window_to: Some("13:00".into()),
            address: Some("x".repeat(MAX_TEXT + 1)),
            notes: Some("  ".into()),
            assigned_to: None,
        };
        let e = check_input(&input).expect_err("invalid");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["window_to", "address"]);
        let ok = check_input(&ServiceJobInput {
            window_to: Some("17:00".into()),
            address: None,
            ..input
        })
        .expect("valid");
        assert_eq!(ok.notes, None);
        assert_eq!(ok.window, Some(("14:00".into(), "17:00".into())));
    }
}
