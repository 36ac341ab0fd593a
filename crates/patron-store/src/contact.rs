//! The contact plan (METHOD §3): the policy and settings kept in the settings table, each user's
//! agenda, what users do about agenda items, and the compliance report. The rules live in
//! [`patron_core::contact`]; this module loads their settings, asks the store for the facts and
//! puts the two together, so the CLI, the JSON API and the web pages all get the same agenda.

use crate::{Store, StoreError, StoreResult};
use chrono::{NaiveDate, Utc};
use patron_core::contact::{
    build_agenda, policy::POLICY_SETTING, AgendaItem, ContactPolicy, ContactSettings, ItemKind,
    SETTINGS_KEY,
};
use patron_core::{InteractionKind, User, UserId};
use serde::{Deserialize, Serialize};

/// One user's agenda on a day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Agenda {
    pub user_id: UserId,
    pub user_name: String,
    pub date: NaiveDate,
    pub time_zone: String,
    pub items: Vec<AgendaItem>,
    pub counts: AgendaCounts,
    /// A-class customers in the user's charge without a relationship manager (METHOD §3.2):
    /// the dashboard flags them.
    pub a_without_relationship_manager: i64,
}

/// How many items each section holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AgendaCounts {
    pub overdue: usize,
    pub today: usize,
    pub week: usize,
    pub later: usize,
}

/// What a user does about an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AgendaAction {
    /// Done: logs the interaction in the same step (kind: the item's own — a visit for a visit,
    /// a card for a card, a call otherwise — unless given).
    Done {
        #[serde(default)]
        kind: Option<InteractionKind>,
        #[serde(default)]
        outcome: Option<String>,
        #[serde(default)]
        notes: Option<String>,
    },
    /// Snoozed to a day after today (at most a year ahead).
    Snooze { until: NaiveDate },
    /// Dismissed with a reason (a dismissed visit or call starts its next cycle today).
    Dismiss { reason: String },
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AgendaActed {
    pub key: String,
    pub action: String,
    /// The interaction "done" logged.
    pub interaction_id: Option<i64>,
}

/// The stored policy, or the method's default.
pub async fn load_policy(store: &dyn Store) -> StoreResult<ContactPolicy> {
    match store.get_setting(POLICY_SETTING).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            StoreError::other(
                format!("the setting {POLICY_SETTING} is not a contact policy"),
                e,
            )
        }),
        None => Ok(ContactPolicy::default()),
    }
}

/// Validates and stores the policy; every agenda from now on follows it.
pub async fn save_policy(store: &dyn Store, policy: &ContactPolicy) -> StoreResult<()> {
    policy
        .validate()
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let text = serde_json::to_string(policy)
        .map_err(|e| StoreError::other("the contact policy to JSON", e))?;
    store.set_setting(POLICY_SETTING, &text).await
}

/// The stored contact settings (time zone, thank-you rule, seasons), or the defaults.
pub async fn load_settings(store: &dyn Store) -> StoreResult<ContactSettings> {
    match store.get_setting(SETTINGS_KEY).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            StoreError::other(
                format!("the setting {SETTINGS_KEY} is not contact settings"),
                e,
            )
        }),
        None => Ok(ContactSettings::default()),
    }
}

/// Validates and stores the contact settings (seasons sorted by date).
pub async fn save_settings(store: &dyn Store, settings: &ContactSettings) -> StoreResult<()> {
    settings
        .validate()
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let mut s = settings.clone();
    s.seasons
        .sort_by(|a, b| (a.starts, &a.name).cmp(&(b.starts, &b.name)));
    let text =
        serde_json::to_string(&s).map_err(|e| StoreError::other("contact settings to JSON", e))?;
    store.set_setting(SETTINGS_KEY, &text).await
}

/// The stored digest settings, or the defaults (off).
pub async fn load_digest(store: &dyn Store) -> StoreResult<patron_core::contact::DigestSettings> {
    use patron_core::contact::DIGEST_SETTING;
    match store.get_setting(DIGEST_SETTING).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            StoreError::other(
                format!("the setting {DIGEST_SETTING} is not digest settings"),
                e,
            )
        }),
        None => Ok(patron_core::contact::DigestSettings::default()),
    }
}

/// Validates and stores the digest settings. A `None` password keeps the stored one (forms and
/// the API never see it, so they cannot send it back); `Some("")` removes it.
pub async fn save_digest(
    store: &dyn Store,
    digest: &patron_core::contact::DigestSettings,
) -> StoreResult<patron_core::contact::DigestSettings> {
    let mut d = digest.clone();
    d.username = d.username.filter(|u| !u.trim().is_empty());
    match d.password.as_deref() {
        None if d.username.is_some() => d.password = load_digest(store).await?.password,
        Some("") => d.password = None,
        _ => {}
    }
    d.validate().map_err(|e| StoreError::Invalid(e.into()))?;
    let text =
        serde_json::to_string(&d).map_err(|e| StoreError::other("digest settings to JSON", e))?;
    store
        .set_setting(patron_core::contact::DIGEST_SETTING, &text)
        .await?;
    Ok(d)
}

/// What became of one user's digest of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DigestStatus {
    /// Claimed, being sent (a crash here leaves the day claimed: at most once, never twice).
    Sending,
    Sent,
    /// Nothing overdue or due today and the settings say not to send empty digests.
    Skipped,
    Failed,
}

impl DigestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestStatus::Sending => "sending",
            DigestStatus::Sent => "sent",
            DigestStatus::Skipped => "skipped",
            DigestStatus::Failed => "failed",
        }
    }
}

/// Today in the shop's time zone.
pub fn today(settings: &ContactSettings) -> NaiveDate {
    settings.local_day(Utc::now())
}

/// `user`'s agenda on `date` (default: today in the shop's time zone).
pub async fn agenda(
    store: &dyn Store,
    user: &User,
    date: Option<NaiveDate>,
) -> StoreResult<Agenda> {
    let policy = load_policy(store).await?;
    let settings = load_settings(store).await?;
    let date = date.unwrap_or_else(|| today(&settings));
    let facts = store
        .agenda_facts(user, date, date, &policy, &settings)
        .await?;
    let items = build_agenda(&facts.input);
    let mut counts = AgendaCounts::default();
    for i in &items {
        match i.section.as_str() {
            "overdue" => counts.overdue += 1,
            "today" => counts.today += 1,
            "week" => counts.week += 1,
            _ => counts.later += 1,
        }
    }
    Ok(Agenda {
        user_id: user.id,
        user_name: user.name.clone(),
        date,
        time_zone: settings.time_zone.clone(),
        items,
        counts,
        a_without_relationship_manager: facts.a_without_relationship_manager.unwrap_or(0),
    })
}

/// Prepares today's agendas (see [`Store::warm_agenda`]); `patron serve` calls it every few
/// minutes so that the first agenda of a day does not wait for the day's large-order amount.
pub async fn warm(store: &dyn Store) -> StoreResult<()> {
    let settings = load_settings(store).await?;
    store.warm_agenda(today(&settings), &settings).await
}

/// Does, snoozes or dismisses an agenda item of `user`'s (`key` as the agenda gave it).
pub async fn act(
    store: &dyn Store,
    user: &User,
    key: &str,
    action: AgendaAction,
) -> StoreResult<AgendaActed> {
    let settings = load_settings(store).await?;
    let parsed = patron_core::contact::ItemKey::parse(key).ok_or_else(|| {
        StoreError::invalid(
            "key",
            "invalid_key",
            format!(
                "'{}' is not an agenda item key",
                key.chars().take(60).collect::<String>()
            ),
        )
    })?;
    let today = today(&settings);
    match &action {
        AgendaAction::Snooze { until } => {
            if *until <= today {
                return Err(StoreError::invalid(
                    "until",
                    "not_in_future",
                    "an item is snoozed to a day after today",
                ));
            }
            if *until > today + chrono::Days::new(366) {
                return Err(StoreError::invalid(
                    "until",
                    "too_far",
                    "an item is snoozed at most a year ahead",
                ));
            }
        }
        AgendaAction::Dismiss { reason } => {
            if reason.trim().is_empty() {
                return Err(StoreError::invalid(
                    "reason",
                    "required",
                    "say why the item is dismissed",
                ));
            }
            if reason.trim().chars().count() > 500 {
                return Err(StoreError::invalid(
                    "reason",
                    "too_long",
                    "at most 500 characters",
                ));
            }
        }
        AgendaAction::Done { .. } => {}
    }
    store.agenda_act(user, &parsed, action, today).await
}

/// The interaction kind "done" logs for an item kind, unless the user chose one.
pub fn done_kind(kind: ItemKind, chosen: Option<InteractionKind>) -> InteractionKind {
    chosen.unwrap_or_else(|| kind.logs())
}

/// One line of the compliance report: a person's visits and calls to one class in one month,
/// due by policy against done.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ComplianceRow {
    pub user_id: UserId,
    pub user_name: String,
    pub staff_level: patron_core::StaffLevel,
    /// `A`, `B` or `C` (customers without a class count as C).
    pub class: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Customers of this class in the person's charge (as classed now).
    pub customers: i64,
    /// Contacts the policy expects over the month (at the frequency's stricter end).
    pub visits_due: f64,
    pub visits_done: i64,
    pub calls_due: f64,
    pub calls_done: i64,
}

/// The compliance report over `months` calendar months ending with the month of `until`
/// (default: this month), every person with a row in the policy, every class.
pub async fn compliance(
    store: &dyn Store,
    until: Option<NaiveDate>,
    months: u32,
) -> StoreResult<Vec<ComplianceRow>> {
    if !(1..=36).contains(&months) {
        return Err(StoreError::invalid(
            "months",
            "out_of_range",
            "1 to 36 months",
        ));
    }
    let policy = load_policy(store).await?;
    let settings = load_settings(store).await?;
    let until = until.unwrap_or_else(|| today(&settings));
    store
        .contact_compliance(until, months, &policy, &settings)
        .await
}

/// One reassignment of a customer's owner or relationship manager (METHOD §3.2: the report
/// lets a manager see whose key accounts moved, to whom, and who moved them).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reassignment {
    pub at: chrono::DateTime<Utc>,
    pub customer_id: patron_core::CustomerId,
    pub customer_name: String,
    /// The customer's class now (`A`, `B`, `C`), if classified.
    pub class: Option<String>,
    /// `owner` or `relationship_manager`.
    pub role: String,
    pub from_user_id: Option<UserId>,
    pub from_user_name: Option<String>,
    pub to_user_id: Option<UserId>,
    pub to_user_name: Option<String>,
    pub changed_by: Option<UserId>,
    pub changed_by_name: Option<String>,
}

/// Which reassignments to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
pub struct ReassignmentFilter {
    /// First day (shop time zone), inclusive; default 90 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; default today.
    pub to: Option<NaiveDate>,
    /// `owner` or `relationship_manager`; both when absent.
    pub role: Option<String>,
    /// Only customers of this class now (`A`, `B`, `C`).
    pub class: Option<String>,
}

/// The most rows one report returns (newest first).
pub const REASSIGNMENTS_LIMIT: i64 = 1000;

/// Reassignments of customers in `scope` between two days, newest first.
pub async fn reassignments(
    store: &dyn Store,
    scope: patron_core::Scope,
    filter: &ReassignmentFilter,
) -> StoreResult<Vec<Reassignment>> {
    let settings = load_settings(store).await?;
    let to = filter.to.unwrap_or_else(|| today(&settings));
    let from = filter
        .from
        .unwrap_or_else(|| to.checked_sub_days(chrono::Days::new(90)).unwrap_or(to));
    if from > to {
        return Err(StoreError::invalid(
            "from",
            "after_to",
            "the first day is after the last",
        ));
    }
    if let Some(r) = &filter.role {
        if r != "owner" && r != "relationship_manager" {
            return Err(StoreError::invalid(
                "role",
                "invalid_role",
                "owner or relationship_manager",
            ));
        }
    }
    if let Some(c) = &filter.class {
        if patron_core::classify::AbcClass::parse(c).is_none() {
            return Err(StoreError::invalid("class", "invalid_class", "A, B or C"));
        }
    }
    let start = settings.day_start(from);
    let end = settings.day_start(to + chrono::Days::new(1));
    store
        .reassignments(
            scope,
            start,
            end,
            filter.role.as_deref(),
            filter.class.as_deref(),
        )
        .await
}

/// What the store gathers for one agenda.
#[derive(Debug, Clone, Default)]
pub struct AgendaFacts {
    pub input: patron_core::contact::AgendaInput,
    /// A-class customers in the user's charge without a relationship manager; counted only for
    /// a single day's facts.
    pub a_without_relationship_manager: Option<i64>,
}

/// Weeks of agenda the iCalendar feed covers.
pub const FEED_WEEKS: u64 = 4;

/// `user`'s iCalendar feed (RFC 5545): the agenda of today and the next weeks as all-day
/// events (overdue items on today, marked so), each with a stable UID (the item's key), so a
/// calendar program that refreshes replaces events instead of duplicating them.
pub async fn calendar(store: &dyn Store, user: &User) -> StoreResult<String> {
    use icalendar::{Calendar, Component, Event, EventLike};
    let policy = load_policy(store).await?;
    let settings = load_settings(store).await?;
    let today = today(&settings);
    // One read of the facts for all the weeks; each week's agenda is built from them.
    let last_day = today + chrono::Days::new(7 * (FEED_WEEKS - 1));
    let mut input = store
        .agenda_facts(user, today, last_day, &policy, &settings)
        .await?
        .input;
    let mut seen = std::collections::HashSet::new();
    let mut cal = Calendar::new();
    cal.name(&format!("Patron — {}", user.name));
    cal.timezone(settings.time_zone.as_str());
    for week in 0..FEED_WEEKS {
        let day = today + chrono::Days::new(7 * week);
        input.date = Some(day);
        for item in build_agenda(&input) {
            // Later weeks only add what falls in them; overdue items come from today's agenda.
            if week > 0 && (item.overdue || item.due < day) {
                continue;
            }
            if !seen.insert(item.key.clone()) {
                continue;
            }
            let on = if item.overdue { today } else { item.due };
            let title = kind_title(item.kind);
            let summary = if item.overdue {
                format!("OVERDUE {title}: {}", item.customer_name)
            } else {
                format!("{title}: {}", item.customer_name)
            };
            cal.push(
                Event::new()
                    .uid(&format!("{}@patron", item.key))
                    .all_day(on)
                    .summary(&summary)
                    .description(&item.reason)
                    .done(),
            );
        }
    }
    Ok(cal.done().to_string())
}

fn kind_title(k: ItemKind) -> &'static str {
    match k {
        ItemKind::Visit => "Visit",
        ItemKind::Call => "Call",
        ItemKind::Birthday => "Birthday card",
        ItemKind::Anniversary => "Anniversary card",
        ItemKind::ThankYouCard => "Thank-you card",
        ItemKind::PreseasonCall => "Pre-season call",
        ItemKind::FollowUp => "Follow-up",
        ItemKind::Delivery => "Delivery",
        ItemKind::Installation => "Installation",
        ItemKind::ReplyDue => "Reply due",
        ItemKind::AfterSalesCall => "After-sales call",
        ItemKind::AccountReview => "Key-account plan review",
        ItemKind::PlanAction => "Plan action review",
        ItemKind::ComplaintReply => "Complaint: first reply due",
        ItemKind::ComplaintEscalation => "Complaint overdue (escalated)",
    }
}
