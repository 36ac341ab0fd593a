//! Each user's agenda (METHOD §3): what to do today, this week, and what is overdue, every item
//! saying why it is there.
//!
//! Items are *derived*, never stored: the store gathers the facts (the customers a user is
//! responsible for, their classes and last contacts, key persons' dates, recent orders, promised
//! follow-ups, the seasons) and [`build`] turns them into items with stable keys. Only what a
//! user did about an item — done, snoozed to a day, dismissed with a reason — is stored, as a
//! [`Mark`] under the item's key. So an item is never generated twice, and a restart loses
//! nothing: the same facts give the same keys.

use super::policy::{ContactPolicy, Frequency};
use crate::archive::StaffLevel;
use crate::classify::AbcClass;
use crate::ids::CustomerId;
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Settings key of [`ThankYouRules`].
pub const THANK_YOU_SETTING: &str = "contact.thank_you";
/// Settings key of the dated seasons and launches ([`Season`] list).
pub const SEASONS_SETTING: &str = "contact.seasons";

/// What an agenda item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Visit,
    Call,
    Birthday,
    Anniversary,
    ThankYouCard,
    PreseasonCall,
    FollowUp,
    Delivery,
    Installation,
    ReplyDue,
    /// A satisfaction follow-up call after a delivery or installation (METHOD §6).
    AfterSalesCall,
    /// A key-account development plan is due for review (METHOD §3.4).
    AccountReview,
    /// An action of a key-account plan is due for review by its owner.
    PlanAction,
    /// A complaint waits for its first reply (METHOD §4: within 24 hours).
    ComplaintReply,
    /// A complaint of someone in the user's team is past its first-reply deadline.
    ComplaintEscalation,
}

impl ItemKind {
    pub const ALL: [ItemKind; 15] = [
        ItemKind::Visit,
        ItemKind::Call,
        ItemKind::Birthday,
        ItemKind::Anniversary,
        ItemKind::ThankYouCard,
        ItemKind::PreseasonCall,
        ItemKind::FollowUp,
        ItemKind::Delivery,
        ItemKind::Installation,
        ItemKind::ReplyDue,
        ItemKind::AfterSalesCall,
        ItemKind::AccountReview,
        ItemKind::PlanAction,
        ItemKind::ComplaintReply,
        ItemKind::ComplaintEscalation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Visit => "visit",
            ItemKind::Call => "call",
            ItemKind::Birthday => "birthday",
            ItemKind::Anniversary => "anniversary",
            ItemKind::ThankYouCard => "thank_you_card",
            ItemKind::PreseasonCall => "preseason_call",
            ItemKind::FollowUp => "follow_up",
            ItemKind::Delivery => "delivery",
            ItemKind::Installation => "installation",
            ItemKind::ReplyDue => "reply_due",
            ItemKind::AfterSalesCall => "after_sales_call",
            ItemKind::AccountReview => "account_review",
            ItemKind::PlanAction => "plan_action",
            ItemKind::ComplaintReply => "complaint_reply",
            ItemKind::ComplaintEscalation => "complaint_escalation",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The interaction "done" logs for this item: a visit for a visit, a card for a card, a
    /// call for calls and follow-ups (most promises are kept by phone; the user may choose
    /// another kind).
    pub fn logs(self) -> crate::archive::InteractionKind {
        use crate::archive::InteractionKind as I;
        match self {
            ItemKind::Visit => I::Visit,
            ItemKind::Birthday | ItemKind::Anniversary | ItemKind::ThankYouCard => I::Card,
            ItemKind::Delivery => I::Delivery,
            ItemKind::Installation => I::Installation,
            ItemKind::Call
            | ItemKind::PreseasonCall
            | ItemKind::FollowUp
            | ItemKind::ReplyDue
            | ItemKind::AfterSalesCall
            | ItemKind::ComplaintReply
            | ItemKind::ComplaintEscalation => I::Call,
            // A review is a meeting of the account team about the customer.
            ItemKind::AccountReview | ItemKind::PlanAction => I::Meeting,
        }
    }
}

/// The parts of an item key (`kind:subject:date`, the date absent for one-off subjects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    pub kind: ItemKind,
    /// The customer (visit, call, preseason call), key person (birthday, anniversary), order
    /// (thank-you card), interaction (follow-up), service job (delivery, installation,
    /// after-sales call), customer request (reply due), key-account plan (review) or plan
    /// action the item is about.
    pub subject: i64,
    pub date: Option<NaiveDate>,
}

impl ItemKey {
    pub fn new(kind: ItemKind, subject: i64, date: Option<NaiveDate>) -> ItemKey {
        ItemKey {
            kind,
            subject,
            date,
        }
    }

    pub fn parse(s: &str) -> Option<ItemKey> {
        let mut parts = s.split(':');
        let kind = ItemKind::parse(parts.next()?)?;
        let subject = parts.next()?.parse().ok()?;
        let date = match parts.next() {
            Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(ItemKey {
            kind,
            subject,
            date,
        })
    }
}

impl std::fmt::Display for ItemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.subject)?;
        if let Some(d) = self.date {
            write!(f, ":{}", d.format("%Y-%m-%d"))?;
        }
        Ok(())
    }
}

/// What a user did about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkAction {
    Done,
    Snoozed,
    Dismissed,
}

impl MarkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkAction::Done => "done",
            MarkAction::Snoozed => "snoozed",
            MarkAction::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<MarkAction> {
        match s {
            "done" => Some(MarkAction::Done),
            "snoozed" => Some(MarkAction::Snoozed),
            "dismissed" => Some(MarkAction::Dismissed),
            _ => None,
        }
    }
}

/// A stored mark on an item key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub key: String,
    pub action: MarkAction,
    /// The day a snoozed item comes back.
    pub until: Option<NaiveDate>,
    /// The day the mark was made (a dismissed visit's cycle restarts from it).
    pub on: NaiveDate,
}

/// When a purchase is large enough for a thank-you card (METHOD §3.2): an order in the top
/// `top_share` of all order amounts of the last `window_months`, or at least `own_multiple` times
/// the customer's own average order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ThankYouRules {
    pub top_share: f64,
    pub window_months: u32,
    pub own_multiple: f64,
    /// Days after the order within which the card goes out.
    pub within_days: u32,
}

impl Default for ThankYouRules {
    fn default() -> Self {
        ThankYouRules {
            top_share: 0.10,
            window_months: 12,
            own_multiple: 3.0,
            within_days: 7,
        }
    }
}

impl ThankYouRules {
    pub fn validate(&self) -> Result<(), crate::FieldError> {
        use crate::FieldError;
        if !(self.top_share > 0.0 && self.top_share < 1.0) {
            return Err(FieldError::new(
                "top_share",
                "out_of_range",
                "the top share is a fraction between 0 and 1 (0.10 = the top 10%)",
            ));
        }
        if !(1..=60).contains(&self.window_months) {
            return Err(FieldError::new(
                "window_months",
                "out_of_range",
                "1 to 60 months",
            ));
        }
        if self.own_multiple.is_nan() || self.own_multiple < 1.0 {
            return Err(FieldError::new(
                "own_multiple",
                "out_of_range",
                "at least 1",
            ));
        }
        if !(1..=60).contains(&self.within_days) {
            return Err(FieldError::new(
                "within_days",
                "out_of_range",
                "1 to 60 days",
            ));
        }
        Ok(())
    }
}

/// A new sales season or product launch (METHOD §3.2: phone every A-class customer before it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Season {
    pub name: String,
    pub starts: NaiveDate,
    /// `season` or `launch`.
    #[serde(default = "season_kind")]
    pub kind: String,
    /// How many days before the start the calls begin.
    #[serde(default = "lead_days")]
    pub lead_days: u32,
}

fn season_kind() -> String {
    "season".into()
}

fn lead_days() -> u32 {
    14
}

impl Season {
    pub fn validate(&self, i: usize) -> Result<(), crate::FieldError> {
        use crate::FieldError;
        if self.name.trim().is_empty() {
            return Err(FieldError::new(
                &format!("seasons[{i}].name"),
                "required",
                "a name is required",
            ));
        }
        if self.kind != "season" && self.kind != "launch" {
            return Err(FieldError::new(
                &format!("seasons[{i}].kind"),
                "invalid_kind",
                "either season or launch",
            ));
        }
        if !(1..=90).contains(&self.lead_days) {
            return Err(FieldError::new(
                &format!("seasons[{i}].lead_days"),
                "out_of_range",
                "1 to 90 days",
            ));
        }
        Ok(())
    }
}

/// A customer in a user's charge, with what the agenda needs of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Held {
    pub id: CustomerId,
    pub name: String,
    pub class: Option<AbcClass>,
    /// The user owns it or is its relationship manager (cards and calls before seasons are the
    /// direct keeper's job; managers only get their own visits by policy).
    pub direct: bool,
    /// The day the customer entered the archive: the start of the first cycle when nobody has
    /// contacted it yet.
    pub since: NaiveDate,
    /// This user's last visit and last call (policy counts each person's own contacts).
    pub last_visit: Option<NaiveDate>,
    pub last_call: Option<NaiveDate>,
    /// Anyone's last card and last call (a card or pre-season call someone else already made
    /// clears the item).
    pub last_card_any: Option<NaiveDate>,
    pub last_call_any: Option<NaiveDate>,
}

/// A key person's dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDates {
    pub id: i64,
    pub customer_id: CustomerId,
    pub name: String,
    pub birthday: Option<NaiveDate>,
    pub anniversary: Option<NaiveDate>,
}

/// A recent order of a directly held customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentOrder {
    pub id: i64,
    pub customer_id: CustomerId,
    pub date: NaiveDate,
    pub total_minor: i64,
    pub currency: String,
    /// The customer's average order before this one, in the same currency (none: first order).
    pub previous_average_minor: Option<i64>,
}

/// A follow-up promised in an earlier interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    pub interaction_id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub on: NaiveDate,
    pub what: Option<String>,
}

/// Everything [`build`] needs; the store gathers it.
#[derive(Debug, Clone, Default)]
pub struct AgendaInput {
    pub date: Option<NaiveDate>,
    pub level: Option<StaffLevel>,
    pub policy: Option<ContactPolicy>,
    pub customers: Vec<Held>,
    pub key_persons: Vec<KeyDates>,
    pub orders: Vec<RecentOrder>,
    /// The order amount from which an order is in the top share (default currency), if known.
    pub large_order_minor: Option<i64>,
    pub default_currency: String,
    pub thank_you: ThankYouRules,
    pub seasons: Vec<Season>,
    pub promises: Vec<Promise>,
    /// Dated duties kept in their own records (deliveries, installations, after-sales calls,
    /// plan reviews, replies due): already selected for this user by the store.
    pub obligations: Vec<Obligation>,
    pub marks: Vec<Mark>,
}

/// Days ahead the agenda looks ("this week": today and the six days after).
pub const WEEK_DAYS: u64 = 6;
/// Days back a missed card (birthday, anniversary, thank-you) stays on the agenda as overdue.
pub const CARD_GRACE_DAYS: u64 = 7;
/// Days ahead a key person's birthday or anniversary appears.
pub const DATES_AHEAD: u64 = 7;

/// Why an item is there, with the numbers; the web UI words it in the reader's language, the
/// API and CLI carry [`AgendaItem::reason`] in English as well.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Why {
    /// Policy: `frequency` for this user's level and the customer's class.
    Policy {
        class: Option<String>,
        frequency: String,
        last: Option<NaiveDate>,
    },
    KeyDate {
        person: String,
        date: NaiveDate,
    },
    LargeOrder {
        order_id: i64,
        order_date: NaiveDate,
        amount_minor: i64,
        currency: String,
        /// `top_share` (the order is among the largest) or `own_multiple`.
        test: String,
    },
    Season {
        name: String,
        kind: String,
        starts: NaiveDate,
    },
    Promise {
        interaction_id: i64,
        what: Option<String>,
    },
    /// A delivery or installation promised to the customer (METHOD §6).
    Service {
        job_id: i64,
        order_id: Option<i64>,
        /// The promised time window, e.g. `09:00-12:00`.
        window: Option<String>,
        /// Whether the customer was told before the delivery (the method's step).
        notified: bool,
    },
    /// The satisfaction call after a delivery or installation done on `done_on`.
    AfterSales {
        job_id: i64,
        /// `delivery` or `installation`.
        job_kind: String,
        done_on: NaiveDate,
    },
    /// A key-account plan (`action_id` absent) or one of its actions is due for review.
    Review {
        plan_id: i64,
        action_id: Option<i64>,
        what: String,
    },
    /// A customer's opinion or request must be answered within 24 hours (METHOD §3.3).
    Reply {
        request_id: i64,
        voiced_at: chrono::DateTime<chrono::Utc>,
        what: String,
    },
    /// A complaint's first reply is due (METHOD §4); `escalated_from` names the team member
    /// whose complaint is overdue (an escalation item).
    Complaint {
        complaint_id: i64,
        recorded_at: chrono::DateTime<chrono::Utc>,
        reply_due_at: chrono::DateTime<chrono::Utc>,
        what: String,
        escalated_from: Option<String>,
    },
}

/// A dated duty kept in its own record (a delivery, a plan review, a reply due…): the store
/// finds those of a user, the agenda places them and applies the user's marks like any other
/// item.
#[derive(Debug, Clone, PartialEq)]
pub struct Obligation {
    pub kind: ItemKind,
    /// The record (service job, plan, plan action, request) the item is about.
    pub subject: i64,
    /// Part of the key when one record comes due more than once (a plan's review dates).
    pub key_date: Option<NaiveDate>,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub due: NaiveDate,
    pub latest: NaiveDate,
    pub why: Why,
    /// Shown under "later" from this day on, before it is due within the week.
    pub visible_from: Option<NaiveDate>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgendaItem {
    /// Stable identity (`kind:subject[:date]`): marks are stored under it.
    pub key: String,
    pub kind: ItemKind,
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// The day it is due (a snoozed item: the day it was snoozed to).
    pub due: NaiveDate,
    /// The last acceptable day (policy ranges; otherwise the due day).
    pub latest: NaiveDate,
    pub overdue: bool,
    pub snoozed: bool,
    /// The section it belongs to: `overdue`, `today`, `week` or `later`.
    pub section: String,
    /// Why it is there, in English.
    pub reason: String,
    pub why: Why,
    pub key_person_id: Option<i64>,
}

/// The user's agenda on a day.
pub fn build(input: &AgendaInput) -> Vec<AgendaItem> {
    let Some(date) = input.date else {
        return Vec::new();
    };
    let week_end = date + Days::new(WEEK_DAYS);
    let marks: HashMap<&str, &Mark> = input.marks.iter().map(|m| (m.key.as_str(), m)).collect();
    // A dismissed policy item restarts its cycle on the day of the dismissal.
    let mut restarted: HashMap<(ItemKind, i64), NaiveDate> = HashMap::new();
    for m in &input.marks {
        if m.action != MarkAction::Dismissed {
            continue;
        }
        if let Some(k) = ItemKey::parse(&m.key) {
            if matches!(k.kind, ItemKind::Visit | ItemKind::Call) {
                let e = restarted.entry((k.kind, k.subject)).or_insert(m.on);
                *e = (*e).max(m.on);
            }
        }
    }
    let names: HashMap<CustomerId, &Held> = input.customers.iter().map(|c| (c.id, c)).collect();
    let mut out = Vec::new();
    let mut push = |key: ItemKey,
                    customer: (CustomerId, &str),
                    due: NaiveDate,
                    latest: NaiveDate,
                    why: Why,
                    kp: Option<i64>,
                    visible_from: Option<NaiveDate>| {
        let key_s = key.to_string();
        let (mut due, mut latest, mut snoozed) = (due, latest, false);
        if let Some(m) = marks.get(key_s.as_str()) {
            match (m.action, m.until) {
                (MarkAction::Snoozed, Some(until)) => {
                    due = until;
                    latest = latest.max(until);
                    snoozed = true;
                }
                _ => return,
            }
        }
        let overdue = latest < date;
        let section = if overdue {
            "overdue"
        } else if due <= date {
            "today"
        } else if due <= week_end {
            "week"
        } else if !snoozed && visible_from.is_some_and(|v| v <= date) {
            "later"
        } else {
            return;
        };
        let reason = reason_text(key.kind, &why);
        out.push(AgendaItem {
            key: key_s,
            kind: key.kind,
            customer_id: customer.0,
            customer_name: customer.1.to_owned(),
            due,
            latest,
            overdue,
            snoozed,
            section: section.into(),
            reason,
            why,
            key_person_id: kp,
        });
    };

    // 1. Visits and calls by policy.
    if let (Some(level), Some(policy)) = (input.level, input.policy.as_ref()) {
        for c in &input.customers {
            let Some(cadence) = policy.cadence(level, c.class) else {
                continue;
            };
            for (kind, freq, last) in [
                (ItemKind::Visit, cadence.visit, c.last_visit),
                // A visit is also a conversation: it counts as a call.
                (ItemKind::Call, cadence.call, c.last_call.max(c.last_visit)),
            ] {
                if !freq.is_scheduled() {
                    continue;
                }
                let base = [last, restarted.get(&(kind, c.id.0)).copied()]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(c.since);
                let Some(w) = freq.next_after(base) else {
                    continue;
                };
                let why = Why::Policy {
                    class: c.class.map(|k| k.as_str().to_owned()),
                    frequency: describe(&freq),
                    last,
                };
                push(
                    ItemKey::new(kind, c.id.0, Some(w.due)),
                    (c.id, &c.name),
                    w.due,
                    w.latest,
                    why,
                    None,
                    None,
                );
            }
        }
    }

    // 2. Birthdays and wedding anniversaries of key persons of directly held customers.
    for kp in &input.key_persons {
        let Some(c) = names.get(&kp.customer_id).filter(|c| c.direct) else {
            continue;
        };
        for (kind, d) in [
            (ItemKind::Birthday, kp.birthday),
            (ItemKind::Anniversary, kp.anniversary),
        ] {
            let Some(d) = d else { continue };
            for year in [date.year() - 1, date.year(), date.year() + 1] {
                let Some(occ) = occurrence(d, year) else {
                    continue;
                };
                let from = date
                    .checked_sub_days(Days::new(CARD_GRACE_DAYS))
                    .unwrap_or(date);
                if occ < from || occ > date + Days::new(DATES_AHEAD) {
                    continue;
                }
                if c.last_card_any.is_some_and(|l| {
                    l >= occ - Days::new(14) && l <= occ + Days::new(CARD_GRACE_DAYS)
                }) {
                    continue;
                }
                let why = Why::KeyDate {
                    person: kp.name.clone(),
                    date: occ,
                };
                push(
                    ItemKey::new(kind, kp.id, Some(occ)),
                    (c.id, &c.name),
                    occ,
                    occ,
                    why,
                    Some(kp.id),
                    Some(occ - Days::new(DATES_AHEAD)),
                );
            }
        }
    }

    // 3. Thank-you cards after large purchases.
    for o in &input.orders {
        let Some(c) = names.get(&o.customer_id).filter(|c| c.direct) else {
            continue;
        };
        let latest = o.date + Days::new(u64::from(input.thank_you.within_days));
        if latest + Days::new(CARD_GRACE_DAYS) < date || o.date > date {
            continue;
        }
        if c.last_card_any.is_some_and(|l| l >= o.date) {
            continue;
        }
        let top = o.currency == input.default_currency
            && input.large_order_minor.is_some_and(|t| o.total_minor >= t);
        let own = o.previous_average_minor.is_some_and(|avg| {
            avg > 0 && (o.total_minor as f64) >= input.thank_you.own_multiple * avg as f64
        });
        if !top && !own {
            continue;
        }
        let why = Why::LargeOrder {
            order_id: o.id,
            order_date: o.date,
            amount_minor: o.total_minor,
            currency: o.currency.clone(),
            test: if top { "top_share" } else { "own_multiple" }.into(),
        };
        push(
            ItemKey::new(ItemKind::ThankYouCard, o.id, None),
            (c.id, &c.name),
            o.date,
            latest,
            why,
            None,
            None,
        );
    }

    // 4. A phone interview with every A-class customer before a season or launch.
    for s in &input.seasons {
        let start = s
            .starts
            .checked_sub_days(Days::new(u64::from(s.lead_days)))
            .unwrap_or(s.starts);
        if s.starts <= date || start > date {
            continue;
        }
        let due = s.starts - Days::new(1);
        for c in input
            .customers
            .iter()
            .filter(|c| c.direct && c.class == Some(AbcClass::A))
        {
            if c.last_call_any.is_some_and(|l| l >= start) {
                continue;
            }
            let why = Why::Season {
                name: s.name.clone(),
                kind: s.kind.clone(),
                starts: s.starts,
            };
            push(
                ItemKey::new(ItemKind::PreseasonCall, c.id.0, Some(s.starts)),
                (c.id, &c.name),
                due,
                due,
                why,
                None,
                Some(start),
            );
        }
    }

    // 5. Follow-ups promised in earlier interactions.
    for p in &input.promises {
        let why = Why::Promise {
            interaction_id: p.interaction_id,
            what: p.what.clone(),
        };
        push(
            ItemKey::new(ItemKind::FollowUp, p.interaction_id, None),
            (p.customer_id, &p.customer_name),
            p.on,
            p.on,
            why,
            None,
            None,
        );
    }

    // 6. Duties kept in their own records.
    for o in &input.obligations {
        push(
            ItemKey::new(o.kind, o.subject, o.key_date),
            (o.customer_id, &o.customer_name),
            o.due,
            o.latest,
            o.why.clone(),
            None,
            o.visible_from,
        );
    }

    out.sort_by(|a, b| {
        (
            section_rank(&a.section),
            a.due,
            a.kind.as_str(),
            a.customer_id,
        )
            .cmp(&(
                section_rank(&b.section),
                b.due,
                b.kind.as_str(),
                b.customer_id,
            ))
    });
    out
}

fn section_rank(s: &str) -> u8 {
    match s {
        "overdue" => 0,
        "today" => 1,
        "week" => 2,
        _ => 3,
    }
}

fn describe(f: &Frequency) -> String {
    f.describe()
}

/// The day a yearly date falls on in `year`; 29 February falls on 28 February in other years.
pub fn occurrence(d: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, d.month(), d.day() - 1))
}

fn reason_text(kind: ItemKind, why: &Why) -> String {
    match why {
        Why::Policy {
            class,
            frequency,
            last,
        } => {
            let what = if kind == ItemKind::Visit {
                "visit"
            } else {
                "call"
            };
            let class = match class {
                Some(c) => format!("{c}-class customer"),
                None => "unclassified customer (treated as C)".into(),
            };
            let last = match last {
                Some(d) => format!("last {what} {d}"),
                None => format!("no {what} logged yet"),
            };
            format!("{class}: policy {what} {frequency}; {last}")
        }
        Why::KeyDate { person, date } => {
            let what = if kind == ItemKind::Birthday {
                "birthday"
            } else {
                "wedding anniversary"
            };
            format!("{person}'s {what} on {date}: send a card or greeting")
        }
        Why::LargeOrder {
            order_date,
            amount_minor,
            currency,
            test,
            ..
        } => {
            let why = if test == "top_share" {
                "among the largest orders of the last year"
            } else {
                "several times this customer's average order"
            };
            format!(
                "large purchase on {order_date} ({} {currency}, {why}): send a thank-you card within a week and ask for their opinion of our products and service",
                crate::money::Currency::parse("currency", currency)
                    .map(|c| crate::money::format_minor(*amount_minor, &c))
                    .unwrap_or_else(|_| amount_minor.to_string())
            )
        }
        Why::Season { name, kind, starts } => {
            let what = if kind == "launch" {
                "product launch"
            } else {
                "sales season"
            };
            format!(
                "A-class customer: phone interview before the {what} \"{name}\" starting {starts}"
            )
        }
        Why::Promise {
            interaction_id,
            what,
        } => match what {
            Some(w) => format!("follow-up promised in interaction #{interaction_id}: {w}"),
            None => format!("follow-up promised in interaction #{interaction_id}"),
        },
        Why::Service {
            order_id,
            window,
            notified,
            ..
        } => {
            let what = if kind == ItemKind::Installation {
                "installation"
            } else {
                "delivery"
            };
            let mut s = format!("{what} promised");
            if let Some(o) = order_id {
                s.push_str(&format!(" for order #{o}"));
            }
            if let Some(w) = window {
                s.push_str(&format!(", {w}"));
            }
            if !notified {
                s.push_str("; tell the customer before it arrives");
            }
            s
        }
        Why::AfterSales {
            job_kind, done_on, ..
        } => format!("{job_kind} done on {done_on}: call to ask whether the customer is satisfied"),
        Why::Review {
            action_id, what, ..
        } => match action_id {
            Some(_) => format!("key-account plan action due for review: {what}"),
            None => format!("key-account development plan due for review: {what}"),
        },
        Why::Reply {
            voiced_at, what, ..
        } => format!(
            "the customer voiced an opinion or request at {} UTC: reply within 24 hours ({what})",
            voiced_at.format("%Y-%m-%d %H:%M")
        ),
        Why::Complaint {
            complaint_id,
            reply_due_at,
            what,
            escalated_from,
            ..
        } => match escalated_from {
            Some(who) => format!(
                "complaint #{complaint_id} handled by {who} had no first reply by {} UTC: \
                 escalated to you ({what})",
                reply_due_at.format("%Y-%m-%d %H:%M")
            ),
            None => format!(
                "complaint #{complaint_id}: first reply due by {} UTC ({what})",
                reply_due_at.format("%Y-%m-%d %H:%M")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::policy::ContactPolicy;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn held(id: i64, class: Option<AbcClass>) -> Held {
        Held {
            id: CustomerId(id),
            name: format!("Customer {id}"),
            class,
            direct: true,
            since: d(2026, 1, 1),
            ..Default::default()
        }
    }

    fn input(date: NaiveDate) -> AgendaInput {
        AgendaInput {
            date: Some(date),
            level: Some(StaffLevel::SalesRepresentative),
            policy: Some(ContactPolicy::default()),
            default_currency: "USD".into(),
            ..Default::default()
        }
    }

    fn kinds(items: &[AgendaItem]) -> Vec<(&str, &str)> {
        items
            .iter()
            .map(|i| (i.kind.as_str(), i.section.as_str()))
            .collect()
    }

    #[test]
    fn keys_round_trip() {
        let k = ItemKey::new(ItemKind::Visit, 42, Some(d(2026, 3, 1)));
        assert_eq!(k.to_string(), "visit:42:2026-03-01");
        assert_eq!(ItemKey::parse("visit:42:2026-03-01"), Some(k));
        assert_eq!(
            ItemKey::parse("thank_you_card:7"),
            Some(ItemKey::new(ItemKind::ThankYouCard, 7, None))
        );
        for bad in [
            "",
            "visit",
            "visit:x",
            "nope:1",
            "visit:1:2026-13-01",
            "visit:1:2026-01-01:x",
        ] {
            assert_eq!(ItemKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn policy_visit_is_due_ten_days_after_the_last_for_an_a_customer() {
        let mut i = input(d(2026, 3, 11));
        let mut c = held(1, Some(AbcClass::A));
        c.last_visit = Some(d(2026, 3, 1));
        c.last_call = Some(d(2026, 3, 5));
        i.customers.push(c);
        let items = build(&i);
        let visit = items
            .iter()
            .find(|x| x.kind == ItemKind::Visit)
            .expect("visit");
        assert_eq!(visit.due, d(2026, 3, 11));
        assert_eq!(visit.section, "today");
        assert!(!visit.overdue);
        assert_eq!(visit.key, "visit:1:2026-03-11");
        assert!(
            visit
                .reason
                .contains("A-class customer: policy visit 3× per month; last visit 2026-03-01"),
            "{}",
            visit.reason
        );
        // The call: due 10 days after 5 March (the 15th), this week.
        let call = items
            .iter()
            .find(|x| x.kind == ItemKind::Call)
            .expect("call");
        assert_eq!(
            (call.due, call.latest, call.section.as_str()),
            (d(2026, 3, 15), d(2026, 3, 20), "week")
        );
    }

    #[test]
    fn overdue_only_after_the_latest_day_of_the_range() {
        let mut i = input(d(2026, 3, 18));
        let mut c = held(1, Some(AbcClass::A));
        c.last_visit = Some(d(2026, 3, 1));
        i.customers.push(c);
        let items = build(&i);
        // Call 2–3×/month: due on the 11th, latest the 16th: overdue on the 18th.
        let call = items
            .iter()
            .find(|x| x.kind == ItemKind::Call)
            .expect("call");
        assert!(call.overdue);
        assert_eq!(call.section, "overdue");
    }

    #[test]
    fn never_contacted_customers_start_from_the_day_they_were_added() {
        let mut i = input(d(2026, 1, 31));
        i.customers.push(held(1, Some(AbcClass::C)));
        let items = build(&i);
        // C: visit and call once a month, from 1 January: due 31 January.
        assert_eq!(kinds(&items), vec![("call", "today"), ("visit", "today")]);
        assert!(items[0].reason.contains("no call logged yet"));
    }

    #[test]
    fn unclassified_customers_follow_c_and_say_so() {
        let mut i = input(d(2026, 1, 31));
        i.customers.push(held(1, None));
        let items = build(&i);
        assert_eq!(items.len(), 2);
        assert!(items[0]
            .reason
            .contains("unclassified customer (treated as C)"));
    }

    #[test]
    fn when_necessary_and_none_schedule_nothing() {
        let mut i = input(d(2026, 6, 1));
        i.level = Some(StaffLevel::GeneralManager);
        i.customers.push(held(1, Some(AbcClass::B)));
        i.customers.push(held(2, Some(AbcClass::C)));
        assert!(build(&i).is_empty());
        i.level = Some(StaffLevel::Administrator);
        i.customers.push(held(3, Some(AbcClass::A)));
        assert!(build(&i).is_empty());
    }

    #[test]
    fn marks_hide_snooze_and_restart_items() {
        let date = d(2026, 1, 31);
        let mut i = input(date);
        i.customers.push(held(1, Some(AbcClass::C)));
        i.marks.push(Mark {
            key: "visit:1:2026-01-31".into(),
            action: MarkAction::Snoozed,
            until: Some(d(2026, 2, 3)),
            on: date,
        });
        i.marks.push(Mark {
            key: "call:1:2026-01-31".into(),
            action: MarkAction::Dismissed,
            until: None,
            on: date,
        });
        let items = build(&i);
        // The visit moved to the 3rd (this week); the dismissed call's next cycle starts on the
        // day of the dismissal: due a month later, off this week's agenda.
        assert_eq!(kinds(&items), vec![("visit", "week")]);
        assert!(items[0].snoozed);
        assert_eq!(items[0].due, d(2026, 2, 3));
        // Snoozed beyond the week: gone until then.
        i.marks[0].until = Some(d(2026, 2, 20));
        assert!(build(&i).is_empty());
        i.date = Some(d(2026, 2, 20));
        let items = build(&i);
        assert!(items
            .iter()
            .any(|x| x.kind == ItemKind::Visit && x.section == "today" && x.snoozed));
    }

    #[test]
    fn birthdays_in_the_next_week_and_feb_29_in_common_years() {
        let mut i = input(d(2027, 2, 25));
        i.level = Some(StaffLevel::Administrator); // no policy items
        i.customers.push(held(1, Some(AbcClass::B)));
        i.key_persons.push(KeyDates {
            id: 9,
            customer_id: CustomerId(1),
            name: "Li Na".into(),
            birthday: Some(d(1988, 2, 29)),
            anniversary: Some(d(2015, 6, 1)),
        });
        let items = build(&i);
        assert_eq!(kinds(&items), vec![("birthday", "week")]);
        assert_eq!(items[0].due, d(2027, 2, 28));
        assert_eq!(items[0].key, "birthday:9:2027-02-28");
        assert_eq!(items[0].key_person_id, Some(9));
        assert!(items[0].reason.contains("Li Na's birthday on 2027-02-28"));
        // In a leap year it is on the 29th.
        i.date = Some(d(2028, 2, 25));
        assert_eq!(build(&i)[0].due, d(2028, 2, 29));
        // A card already sent clears it.
        i.customers[0].last_card_any = Some(d(2028, 2, 24));
        assert!(build(&i).is_empty());
        // Missed: overdue for a week, then gone.
        i.customers[0].last_card_any = None;
        i.date = Some(d(2028, 3, 2));
        assert_eq!(kinds(&build(&i)), vec![("birthday", "overdue")]);
        i.date = Some(d(2028, 3, 10));
        assert!(build(&i).is_empty());
    }

    #[test]
    fn key_persons_without_dates_and_managers_get_no_cards() {
        let mut i = input(d(2026, 5, 1));
        i.level = Some(StaffLevel::Administrator);
        let mut c = held(1, Some(AbcClass::A));
        c.direct = false;
        i.customers.push(c);
        i.key_persons.push(KeyDates {
            id: 1,
            customer_id: CustomerId(1),
            name: "A".into(),
            birthday: Some(d(1980, 5, 2)),
            anniversary: None,
        });
        i.key_persons.push(KeyDates {
            id: 2,
            customer_id: CustomerId(1),
            name: "B".into(),
            birthday: None,
            anniversary: None,
        });
        assert!(build(&i).is_empty());
    }

    #[test]
    fn thank_you_card_after_a_large_order() {
        let mut i = input(d(2026, 4, 3));
        i.level = Some(StaffLevel::Administrator);
        i.customers.push(held(1, Some(AbcClass::B)));
        i.large_order_minor = Some(100_000);
        let order = |id, total, avg| RecentOrder {
            id,
            customer_id: CustomerId(1),
            date: d(2026, 4, 1),
            total_minor: total,
            currency: "USD".into(),
            previous_average_minor: avg,
        };
        i.orders = vec![
            order(1, 150_000, None),
            order(2, 30_000, Some(10_000)),
            order(3, 20_000, Some(10_000)),
        ];
        let items = build(&i);
        assert_eq!(
            kinds(&items),
            vec![("thank_you_card", "today"), ("thank_you_card", "today")]
        );
        assert_eq!(items[0].latest, d(2026, 4, 8));
        let keys: Vec<&str> = items.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, vec!["thank_you_card:1", "thank_you_card:2"]);
        assert!(items[0].reason.contains("ask for their opinion"));
        match &items[1].why {
            Why::LargeOrder { test, .. } => assert_eq!(test, "own_multiple"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn preseason_calls_to_a_class_customers_only() {
        let mut i = input(d(2026, 2, 20));
        i.level = Some(StaffLevel::Administrator);
        i.customers.push(held(1, Some(AbcClass::A)));
        i.customers.push(held(2, Some(AbcClass::B)));
        i.seasons.push(Season {
            name: "Spring".into(),
            starts: d(2026, 3, 1),
            kind: "season".into(),
            lead_days: 14,
        });
        let items = build(&i);
        assert_eq!(kinds(&items), vec![("preseason_call", "later")]);
        assert_eq!(items[0].due, d(2026, 2, 28));
        assert_eq!(items[0].key, "preseason_call:1:2026-03-01");
        // A call in the lead-up clears it.
        i.customers[0].last_call_any = Some(d(2026, 2, 16));
        assert!(build(&i).is_empty());
        // Once the season started it is no longer "before".
        i.customers[0].last_call_any = None;
        i.date = Some(d(2026, 3, 1));
        assert!(build(&i).is_empty());
    }

    #[test]
    fn promised_follow_ups() {
        let mut i = input(d(2026, 4, 3));
        i.level = Some(StaffLevel::Administrator);
        i.customers.push(held(1, Some(AbcClass::C)));
        i.promises.push(Promise {
            interaction_id: 5,
            customer_id: CustomerId(1),
            customer_name: "Customer 1".into(),
            on: d(2026, 4, 1),
            what: Some("send the price list".into()),
        });
        let items = build(&i);
        assert_eq!(kinds(&items), vec![("follow_up", "overdue")]);
        assert!(items[0].reason.contains("send the price list"));
        i.marks.push(Mark {
            key: "follow_up:5".into(),
            action: MarkAction::Done,
            until: None,
            on: d(2026, 4, 3),
        });
        assert!(build(&i).is_empty());
    }
}
