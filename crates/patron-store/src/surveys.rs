//! Satisfaction surveys (METHOD §5) and the public links customers answer them through.
//!
//! A questionnaire ([`patron_core::survey::SurveyDef`]) is answered either by staff from a call
//! or by the customer through a [`PublicLink`]: a link per customer and purpose whose secret
//! only the customer's copy holds (the database keeps its hash), which expires, is used once and
//! can be revoked. An answer's product and service scores are recorded as satisfaction ratings
//! too, so the loyalty matrix (§2.3) follows the latest answers; its praise answers feed the
//! reputation indicator.

use chrono::{DateTime, Utc};
use patron_core::survey::{Answers, Level, SurveyDef};
use patron_core::{CustomerId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The default number of days a public link stays valid.
pub const DEFAULT_LINK_DAYS: i64 = 14;
/// The longest a public link may be made to stay valid, in days.
pub const MAX_LINK_DAYS: i64 = 90;

/// A questionnaire as kept.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Survey {
    pub id: i64,
    #[serde(flatten)]
    pub def: SurveyDef,
    /// How many answers it has.
    pub responses: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How an answer reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseChannel {
    /// Staff asked the questions on a call and recorded the answers.
    Call,
    /// The customer answered through a public link.
    PublicForm,
}

impl ResponseChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseChannel::Call => "call",
            ResponseChannel::PublicForm => "public_form",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "call" => Some(ResponseChannel::Call),
            "public_form" => Some(ResponseChannel::PublicForm),
            _ => None,
        }
    }
}

/// One aspect of a kept answer, with its satisfaction level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AnswerView {
    pub aspect: String,
    pub expected: u8,
    pub perceived: u8,
    pub level: Level,
}

/// A kept answer to a questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Response {
    pub id: i64,
    pub survey_id: i64,
    /// The questionnaire's English title.
    pub survey_title: String,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub channel: ResponseChannel,
    /// Who recorded it (a call); `None` for the customer's own answer.
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    /// The language the questions were asked in.
    pub language: String,
    pub aspects: Vec<AnswerView>,
    pub would_praise: Option<bool>,
    pub asked_by_name: Option<bool>,
    pub comment: Option<String>,
    pub answered_at: DateTime<Utc>,
}

/// Answers recorded by staff (or the command line): the questionnaire, the language it was
/// asked in, and the answers (as in [`Answers`], written out so the document describes one flat
/// object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    pub survey_id: i64,
    /// The language the questions were asked in (default English).
    #[serde(default)]
    pub language: Option<String>,
    /// Expected and perceived, 1–5, per aspect of the questionnaire.
    #[serde(default)]
    pub aspects: Vec<patron_core::survey::AspectAnswer>,
    /// "Would you praise us to others?"
    #[serde(default)]
    pub would_praise: Option<bool>,
    /// "Did you ask for us by name?"
    #[serde(default)]
    pub asked_by_name: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

impl ResponseInput {
    /// The input for `survey` in `language` with these answers.
    pub fn new(survey_id: i64, language: Option<String>, a: Answers) -> ResponseInput {
        ResponseInput {
            survey_id,
            language,
            aspects: a.aspects,
            would_praise: a.would_praise,
            asked_by_name: a.asked_by_name,
            comment: a.comment,
        }
    }

    /// The answers alone.
    pub fn answers(&self) -> Answers {
        Answers {
            aspects: self.aspects.clone(),
            would_praise: self.would_praise,
            asked_by_name: self.asked_by_name,
            comment: self.comment.clone(),
        }
    }
}

/// One aspect's answers summed over a questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AspectSummary {
    pub aspect: String,
    pub answers: i64,
    pub mean_expected: Option<f64>,
    pub mean_perceived: Option<f64>,
    pub dissatisfied: i64,
    pub basically_satisfied: i64,
    pub very_satisfied: i64,
}

/// A questionnaire's answers summed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SurveySummary {
    pub survey_id: i64,
    pub responses: i64,
    pub aspects: Vec<AspectSummary>,
    /// Answers to "would you praise us": yes, and all.
    pub praise_yes: i64,
    pub praise_answers: i64,
    /// Answers to "did you ask for us by name": yes, and all.
    pub named_yes: i64,
    pub named_answers: i64,
}

/// What a public link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Answer a questionnaire.
    Survey,
    /// Voice a complaint or an opinion.
    Complaint,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Survey => "survey",
            LinkPurpose::Complaint => "complaint",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "survey" => Some(LinkPurpose::Survey),
            "complaint" => Some(LinkPurpose::Complaint),
            _ => None,
        }
    }
}

/// A request for a public link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    pub purpose: LinkPurpose,
    /// Required for a survey link.
    #[serde(default)]
    pub survey_id: Option<i64>,
    /// The customer's language: `en`, `zh-CN`, `zh-TW` or `ko` (default English).
    #[serde(default)]
    pub language: Option<String>,
    /// Days until it expires (default 14, at most 90).
    #[serde(default)]
    pub days: Option<i64>,
}

/// A public link as kept (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicLink {
    pub id: i64,
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    pub purpose: LinkPurpose,
    pub survey_id: Option<i64>,
    pub language: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The complaint sent through it.
    pub complaint_id: Option<i64>,
}

impl PublicLink {
    /// Whether the customer can still use it at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A link just made: the secret is shown once, to be sent to the customer.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub secret: String,
    pub link: PublicLink,
}

/// What a customer opening a link may see: the form and nothing of the archive.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkState {
    /// Unknown secret, expired or revoked: one answer for all, so a guess learns nothing.
    Invalid,
    /// Already answered (the language the link was made in, for the notice).
    Used { language: String },
    /// The form to show.
    Open {
        link: PublicLink,
        survey: Option<Box<Survey>>,
    },
}

/// What a customer sends through a complaint link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicComplaint {
    pub summary: String,
    #[serde(default)]
    pub details: Option<String>,
}
