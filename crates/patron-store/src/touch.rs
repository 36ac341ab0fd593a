//! Keeping in touch (METHOD §3.3, "dynamic tracking"): message templates for the letters,
//! cards, gifts and questionnaires staff send; customer meetings and seminars with their
//! invitations, replies and attendance; and the opinions and requests customers voice, each of
//! which must get a reply within 24 hours.
//!
//! Templates are rendered by [`render`], a pure function: `{customer}`, `{key_person}`,
//! `{date}`, `{staff}` and `{company}` are filled in, `{{` and `}}` stand for literal braces, and
//! any other `{name}` is refused with an error naming it — a template with a typo is caught when
//! it is saved, not when a customer receives "Dear {custmer}".

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use patron_core::validation::{clean_text, required_text, MAX_SHORT, MAX_TEXT};
use patron_core::{CustomerId, FieldError, InteractionKind, KeyPersonId, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a customer waits for a reply at most (METHOD §3.3: "within 24 hours").
pub const REPLY_WITHIN_HOURS: i64 = 24;

/// The languages a template can be written in (those of the UI).
pub const TEMPLATE_LANGUAGES: [&str; 4] = ["en", "zh-CN", "zh-TW", "ko"];

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["customer", "key_person", "date", "staff", "company"];

/// What a template is for: each kind is logged as the interaction of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    Letter,
    Card,
    Gift,
    Questionnaire,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 4] = [
        TemplateKind::Letter,
        TemplateKind::Card,
        TemplateKind::Gift,
        TemplateKind::Questionnaire,
    ];

    pub fn as_str(self) -> &'static str {
        self.interaction().as_str()
    }

    /// The interaction a use of the template logs.
    pub fn interaction(self) -> InteractionKind {
        match self {
            TemplateKind::Letter => InteractionKind::Letter,
            TemplateKind::Card => InteractionKind::Card,
            TemplateKind::Gift => InteractionKind::Gift,
            TemplateKind::Questionnaire => InteractionKind::Questionnaire,
        }
    }

    /// The code or any alias the interaction vocabulary accepts (`贺卡`, `설문지` …); other
    /// interaction kinds are refused with an error naming `field`.
    pub fn parse(field: &str, s: &str) -> Result<TemplateKind, FieldError> {
        let k = InteractionKind::parse(field, s).ok();
        TemplateKind::ALL
            .into_iter()
            .find(|t| Some(t.interaction()) == k)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "invalid_kind",
                    "one of: letter, card, gift, questionnaire",
                )
            })
    }
}

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MessageTemplate {
    pub id: i64,
    pub kind: TemplateKind,
    pub name: String,
    /// `en`, `zh-CN`, `zh-TW` or `ko`.
    pub language: String,
    pub subject: Option<String>,
    /// The text with placeholders such as `{customer}`.
    pub body: String,
    /// Retired templates stay for the record but are not offered.
    pub active: bool,
    #[schema(value_type = Option<i64>)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn default_true() -> bool {
    true
}

/// A template as written (create and replace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub kind: TemplateKind,
    pub name: String,
    /// `en`, `zh-CN`, `zh-TW` or `ko`.
    pub language: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub body: String,
    #[serde(default = "default_true")]
    pub active: bool,
}

impl TemplateInput {
    /// Trims the texts and checks them: a name and a body are required, the language is one of
    /// the UI's, and the subject and body use known placeholders only.
    pub fn validate(mut self) -> Result<TemplateInput, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if let Some(v) = errs.take(required_text("name", Some(&self.name), MAX_SHORT)) {
            self.name = v;
        }
        match TEMPLATE_LANGUAGES
            .iter()
            .find(|l| l.eq_ignore_ascii_case(self.language.trim()))
        {
            Some(l) => self.language = (*l).to_owned(),
            None => errs.push(FieldError::new(
                "language",
                "invalid_language",
                format!("one of: {}", TEMPLATE_LANGUAGES.join(", ")),
            )),
        }
        if let Some(v) = errs.take(clean_text("subject", self.subject.as_deref(), MAX_SHORT)) {
            self.subject = v;
        }
        if let Some(v) = errs.take(required_text("body", Some(&self.body), MAX_TEXT)) {
            self.body = v;
        }
        let probe = Fill::default();
        if let Some(s) = &self.subject {
            errs.take(render("subject", s, &probe));
        }
        errs.take(render("body", &self.body, &probe));
        errs.into_result(self)
    }
}

/// The values placeholders are filled with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fill {
    pub customer: String,
    /// The key person addressed; the customer's name when none is.
    pub key_person: Option<String>,
    /// Today, already written in the template's language.
    pub date: String,
    pub staff: String,
    /// The customer's company (an organisation's own name when it has none).
    pub company: String,
}

/// Fills `text`'s placeholders. `{{` and `}}` are literal braces. An unknown placeholder, or a
/// brace that opens nothing it closes, is an error on `field` that names it.
pub fn render(field: &str, text: &str, fill: &Fill) -> Result<String, FieldError> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '{' if chars.peek().map(|c| c.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|c| c.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &text[i + 1..];
                let Some(end) = rest.find('}') else {
                    return Err(FieldError::new(
                        field,
                        "unclosed_placeholder",
                        "a '{' opens a placeholder that is never closed (write {{ for a brace)",
                    ));
                };
                let name = &rest[..end];
                let value = match name.trim() {
                    "customer" => fill.customer.as_str(),
                    "key_person" => fill.key_person.as_deref().unwrap_or(&fill.customer),
                    "date" => fill.date.as_str(),
                    "staff" => fill.staff.as_str(),
                    "company" => fill.company.as_str(),
                    _ => {
                        return Err(FieldError::new(
                            field,
                            "unknown_placeholder",
                            format!(
                                "{{{}}} is not a placeholder; use {}",
                                name.chars().take(40).collect::<String>(),
                                PLACEHOLDERS
                                    .iter()
                                    .map(|p| format!("{{{p}}}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ))
                    }
                };
                out.push_str(value);
                // Skip the name and its closing brace.
                for _ in 0..name.chars().count() + 1 {
                    chars.next();
                }
            }
            '}' => {
                return Err(FieldError::new(
                    field,
                    "unopened_placeholder",
                    "a '}' closes no placeholder (write }} for a brace)",
                ))
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A day written as people of the template's language write it.
pub fn long_date(language: &str, d: NaiveDate) -> String {
    let (y, m, day) = (d.year(), d.month(), d.day());
    match language {
        "zh-CN" | "zh-TW" => format!("{y}年{m}月{day}日"),
        "ko" => format!("{y}년 {m}월 {day}일"),
        _ => d.format("%-d %B %Y").to_string(),
    }
}

/// A template filled in for one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rendered {
    pub template_id: i64,
    pub kind: TemplateKind,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    pub subject: Option<String>,
    pub body: String,
}

impl Rendered {
    /// The notes of the interaction a use logs: the subject line, a blank line, the text.
    pub fn notes(&self) -> String {
        match &self.subject {
            Some(s) => format!("{s}\n\n{}", self.body),
            None => self.body.clone(),
        }
    }
}

/// What using a template did: the text and the interaction it logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TemplateUse {
    pub rendered: Rendered,
    pub interaction_id: i64,
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// A customer meeting, a seminar, or another gathering customers are invited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Meeting,
    Seminar,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::Meeting, EventKind::Seminar, EventKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Meeting => "meeting",
            EventKind::Seminar => "seminar",
            EventKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_lowercase())
    }
}

/// An event with its invitations counted (those the reader may see).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub kind: EventKind,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub created_by: Option<UserId>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub invited: i64,
    pub accepted: i64,
    pub declined: i64,
    pub attended: i64,
}

/// An event as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub kind: EventKind,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl EventInput {
    pub fn validate(mut self) -> Result<EventInput, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if let Some(v) = errs.take(required_text("title", Some(&self.title), MAX_SHORT)) {
            self.title = v;
        }
        if let Some(v) = errs.take(clean_text("place", self.place.as_deref(), MAX_SHORT)) {
            self.place = v;
        }
        if let Some(v) = errs.take(clean_text(
            "description",
            self.description.as_deref(),
            MAX_TEXT,
        )) {
            self.description = v;
        }
        for (field, t) in [
            ("starts_at", Some(self.starts_at)),
            ("ends_at", self.ends_at),
        ] {
            errs.take(patron_core::check_date(field, t.map(|t| t.date_naive())));
        }
        if self.ends_at.is_some_and(|e| e < self.starts_at) {
            errs.push(FieldError::new(
                "ends_at",
                "before_start",
                "an event cannot end before it starts",
            ));
        }
        errs.into_result(self)
    }
}

/// A customer's answer to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationReply {
    Pending,
    Accepted,
    Declined,
}

impl InvitationReply {
    pub const ALL: [InvitationReply; 3] = [
        InvitationReply::Pending,
        InvitationReply::Accepted,
        InvitationReply::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvitationReply::Pending => "pending",
            InvitationReply::Accepted => "accepted",
            InvitationReply::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<InvitationReply> {
        InvitationReply::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_lowercase())
    }
}

/// One customer (or one of its key persons) invited to an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub event_id: i64,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    pub key_person_name: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub invited_by: Option<UserId>,
    pub invited_at: DateTime<Utc>,
    pub reply: InvitationReply,
    pub replied_at: Option<DateTime<Utc>>,
    /// `None` until attendance is taken.
    pub attended: Option<bool>,
    /// The meeting interaction logged for the customer's attendance.
    pub interaction_id: Option<i64>,
}

/// A change of an invitation: the reply, the attendance, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationChange {
    #[serde(default)]
    pub reply: Option<InvitationReply>,
    /// `true`: attended (logs a meeting with the customer once); `false`: did not come (removes
    /// that meeting again).
    #[serde(default)]
    pub attended: Option<bool>,
}

/// What an invitation round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct InviteReport {
    /// Invitations created.
    pub invited: u64,
    /// Customers (or key persons) already invited, left as they were.
    pub already: u64,
}

// ---------------------------------------------------------------------------------------------
// Customer requests
// ---------------------------------------------------------------------------------------------

/// What a customer voiced (METHOD §3.3: opinions and requests; praise and criticism from the
/// customer's letters and calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Opinion,
    Request,
    Praise,
    Criticism,
}

impl RequestKind {
    pub const ALL: [RequestKind; 4] = [
        RequestKind::Opinion,
        RequestKind::Request,
        RequestKind::Praise,
        RequestKind::Criticism,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Opinion => "opinion",
            RequestKind::Request => "request",
            RequestKind::Praise => "praise",
            RequestKind::Criticism => "criticism",
        }
    }

    pub fn parse(s: &str) -> Option<RequestKind> {
        RequestKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_lowercase())
    }
}

/// An opinion or request a customer voiced, and its reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CustomerRequest {
    pub id: i64,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    pub key_person_name: Option<String>,
    pub voiced_at: DateTime<Utc>,
    pub kind: RequestKind,
    pub text: String,
    #[schema(value_type = Option<i64>)]
    pub received_by: Option<UserId>,
    pub received_by_name: Option<String>,
    /// Who must reply.
    #[schema(value_type = Option<i64>)]
    pub assigned_to: Option<UserId>,
    pub assigned_to_name: Option<String>,
    /// `voiced_at` plus 24 hours.
    pub reply_due_at: DateTime<Utc>,
    /// Unreplied and more than 24 hours old (as of when the list was read).
    pub overdue: bool,
    pub replied_at: Option<DateTime<Utc>>,
    pub reply: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub replied_by: Option<UserId>,
    pub replied_by_name: Option<String>,
    /// Replied, but more than 24 hours after it was voiced.
    pub replied_late: bool,
    /// The interaction the reply was logged as.
    pub interaction_id: Option<i64>,
}

/// The instant a reply is due.
pub fn reply_due_at(voiced_at: DateTime<Utc>) -> DateTime<Utc> {
    voiced_at + Duration::hours(REPLY_WITHIN_HOURS)
}

/// Whether an unreplied request voiced at `voiced_at` is overdue at `now`: exactly 24 hours
/// later it is not yet; a moment after it is.
pub fn is_overdue(voiced_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now > reply_due_at(voiced_at)
}

/// An opinion or request as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    /// When the customer voiced it (default now; not in the future).
    #[serde(default)]
    pub voiced_at: Option<DateTime<Utc>>,
    /// Default `opinion`.
    #[serde(default)]
    pub kind: Option<RequestKind>,
    pub text: String,
    /// Who must reply (default: the customer's relationship manager, else its owner, else
    /// whoever records it). They must be able to see the customer.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub assigned_to: Option<UserId>,
}

/// A reply to a request, logged as an interaction with the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    pub text: String,
    /// How the reply was given (default `call`).
    #[serde(default)]
    pub kind: Option<InteractionKind>,
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    pub scope: patron_core::Scope,
    pub customer_id: Option<CustomerId>,
    pub assigned_to: Option<UserId>,
    /// Only those still waiting for a reply.
    pub open: bool,
    /// Only unreplied ones older than 24 hours.
    pub overdue: bool,
    /// The instant "overdue" is judged at (default now).
    pub as_of: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> Fill {
        Fill {
            customer: "Acme Ltd".into(),
            key_person: Some("Ms Li".into()),
            date: "5 March 2026".into(),
            staff: "Ann".into(),
            company: "Acme".into(),
        }
    }

    #[test]
    fn placeholders_are_filled_and_braces_escaped() {
        let out = render(
            "body",
            "Dear {key_person}, thank you ({customer}, {company}) — {staff}, {date} {{ok}}",
            &fill(),
        )
        .expect("renders");
        assert_eq!(
            out,
            "Dear Ms Li, thank you (Acme Ltd, Acme) — Ann, 5 March 2026 {ok}"
        );
        let no_kp = Fill {
            key_person: None,
            ..fill()
        };
        assert_eq!(
            render("body", "亲爱的{key_person}：", &no_kp).expect("cjk"),
            "亲爱的Acme Ltd："
        );
    }

    #[test]
    fn unknown_and_broken_placeholders_name_themselves() {
        let e = render("body", "Dear {custmer}", &fill()).expect_err("typo");
        assert_eq!(e.field, "body");
        assert_eq!(e.code, "unknown_placeholder");
        assert!(e.message.contains("{custmer}"), "{}", e.message);
        assert_eq!(
            render("subject", "Hello {name", &fill())
                .expect_err("open")
                .code,
            "unclosed_placeholder"
        );
        assert_eq!(
            render("body", "a } b", &fill()).expect_err("close").code,
            "unopened_placeholder"
        );
    }

    #[test]
    fn template_input_is_checked() {
        let t = TemplateInput {
            kind: TemplateKind::Card,
            name: "  Birthday ".into(),
            language: "ZH-cn".into(),
            subject: Some(" ".into()),
            body: "祝{key_person}生日快乐".into(),
            active: true,
        }
        .validate()
        .expect("valid");
        assert_eq!(t.name, "Birthday");
        assert_eq!(t.language, "zh-CN");
        assert_eq!(t.subject, None);
        let e = TemplateInput {
            language: "fr".into(),
            body: "{nope}".into(),
            ..t
        }
        .validate()
        .expect_err("invalid");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["language", "body"]);
    }

    #[test]
    fn kinds_follow_the_interaction_vocabulary() {
        assert_eq!(
            TemplateKind::parse("kind", "问卷"),
            Ok(TemplateKind::Questionnaire)
        );
        assert_eq!(TemplateKind::parse("kind", "카드"), Ok(TemplateKind::Card));
        assert_eq!(
            TemplateKind::parse("kind", "visit")
                .expect_err("visit")
                .field,
            "kind"
        );
        assert_eq!(
            TemplateKind::Questionnaire.interaction(),
            InteractionKind::Questionnaire
        );
    }

    #[test]
    fn overdue_after_exactly_24_hours() {
        let at = DateTime::parse_from_rfc3339("2026-03-05T23:30:00Z")
            .expect("t")
            .with_timezone(&Utc);
        assert!(!is_overdue(at, at + Duration::hours(24)));
        assert!(is_overdue(
            at,
            at + Duration::hours(24) + Duration::seconds(1)
        ));
    }

    #[test]
    fn dates_in_each_language() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).expect("d");
        assert_eq!(long_date("en", d), "5 March 2026");
        assert_eq!(long_date("zh-TW", d), "2026年3月5日");
        assert_eq!(long_date("ko", d), "2026년 3월 5일");
    }
}
