//! `GET /agenda`: the signed-in user's agenda (METHOD §3) — what is overdue, what is due today,
//! this week and later, every item saying in the reader's language why it is there — and what
//! the user does about an item: `POST /agenda/done` (logs the contact in the same step),
//! `POST /agenda/snooze` (to a later day) and `POST /agenda/dismiss` (with a reason).
//!
//! The items come from [`patron_store::contact::agenda`], the same agenda the JSON API and the
//! CLI show; this page only words them. A refused action (a day that is not after today, an
//! empty reason) shows the agenda again with the message under the item's form.

use super::contact_policy::frequency_text;
use super::forms::{add_error, blank, field_errors, optional_date, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{Days, NaiveDate};
use fluent_bundle::FluentValue;
use patron_core::classify::AbcClass;
use patron_core::contact::{AgendaItem, ContactPolicy, ItemKind, ThankYouRules, Why};
use patron_core::{Currency, StaffLevel};
use patron_store::contact::AgendaAction;
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The agenda's sections, in the order the page shows them.
const SECTIONS: [&str; 4] = ["overdue", "today", "week", "later"];
/// Days ahead the snooze form proposes.
const SNOOZE_DAYS: u64 = 7;

#[derive(Debug, Default, Deserialize)]
pub struct AgendaParams {
    /// Another day's agenda (`YYYY-MM-DD`); empty: today in the shop's time zone.
    #[serde(default)]
    date: String,
    /// Set by the redirects after an action, for the notice.
    #[serde(default)]
    done: String,
    #[serde(default)]
    snoozed: String,
    #[serde(default)]
    dismissed: String,
}

/// An action that was refused: the item, which of its forms, what was typed and the messages.
struct Failed {
    key: String,
    form: Act,
    values: Value,
    errors: Map<String, Value>,
}

/// What the user does about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Done,
    Snooze,
    Dismiss,
}

impl Act {
    fn as_str(self) -> &'static str {
        match self {
            Act::Done => "done",
            Act::Snooze => "snooze",
            Act::Dismiss => "dismiss",
        }
    }
}

/// An element id for an item: its key with `_` for `:` (`visit_12_2026-03-01`), so tests and
/// stylesheets can select it without escaping.
fn slug(key: &str) -> String {
    key.replace(':', "_")
}

/// What the reason wording needs besides the item: the policy the user's visits follow and the
/// thank-you rule.
/// Why `item` is there, in `lang` (the digest mail words its items like the page).
pub(crate) fn reason_in(
    lang: Lang,
    policy: &ContactPolicy,
    level: StaffLevel,
    thank_you: ThankYouRules,
    item: &AgendaItem,
) -> String {
    Wording {
        lang,
        policy,
        level,
        thank_you,
    }
    .reason(item)
}

struct Wording<'a> {
    lang: Lang,
    policy: &'a ContactPolicy,
    level: StaffLevel,
    thank_you: ThankYouRules,
}

impl Wording<'_> {
    fn tr(&self, key: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, FluentValue<'_>)> = args
            .iter()
            .map(|(k, v)| (*k, FluentValue::from(v.clone())))
            .collect();
        i18n::tr(self.lang, key, &args)
    }

    fn date(&self, d: NaiveDate) -> String {
        i18n::date(self.lang, d)
    }

    /// Why the item is there, in the reader's language; the English `reason` when the numbers
    /// behind it cannot be worded (a policy changed between the two reads).
    fn reason(&self, item: &AgendaItem) -> String {
        match &item.why {
            Why::Policy {
                class,
                frequency,
                last,
            } => {
                let what = if item.kind == ItemKind::Visit {
                    "visit"
                } else {
                    "call"
                };
                let abc = class.as_deref().and_then(AbcClass::parse);
                let freq = self.policy.cadence(self.level, abc).map(|c| {
                    if what == "visit" {
                        c.visit
                    } else {
                        c.call
                    }
                });
                let Some(freq) = freq.filter(|f| f.describe() == *frequency) else {
                    return item.reason.clone();
                };
                let class_text = match abc {
                    Some(c) => self.tr("agenda-class", &[("class", c.as_str().to_owned())]),
                    None => self.tr("agenda-class-none", &[]),
                };
                let last_text = match last {
                    Some(d) => self.tr(&format!("agenda-last-{what}"), &[("date", self.date(*d))]),
                    None => self.tr(&format!("agenda-never-{what}"), &[]),
                };
                self.tr(
                    &format!("agenda-why-{what}"),
                    &[
                        ("class", class_text),
                        ("frequency", frequency_text(self.lang, &freq)),
                        ("last", last_text),
                    ],
                )
            }
            Why::KeyDate { person, date } => {
                let key = if item.kind == ItemKind::Birthday {
                    "agenda-why-birthday"
                } else {
                    "agenda-why-anniversary"
                };
                self.tr(
                    key,
                    &[("person", person.clone()), ("date", self.date(*date))],
                )
            }
            Why::LargeOrder {
                order_date,
                amount_minor,
                currency,
                test,
                ..
            } => {
                let amount = match Currency::parse("currency", currency) {
                    Ok(c) => i18n::money_parts(self.lang, *amount_minor, &c),
                    Err(_) => format!("{currency} {}", i18n::number(*amount_minor)),
                };
                let mut args = vec![
                    ("date", self.date(*order_date)),
                    ("amount", amount),
                    ("by", self.date(item.latest)),
                ];
                let key = if test == "top_share" {
                    args.push((
                        "share",
                        format!("{}%", (self.thank_you.top_share * 100.0).round()),
                    ));
                    args.push(("months", self.thank_you.window_months.to_string()));
                    "agenda-why-order-top"
                } else {
                    args.push((
                        "multiple",
                        format!("{}", (self.thank_you.own_multiple * 10.0).round() / 10.0),
                    ));
                    "agenda-why-order-own"
                };
                self.tr(key, &args)
            }
            Why::Season { name, kind, starts } => {
                let key = if kind == "launch" {
                    "agenda-why-launch"
                } else {
                    "agenda-why-season"
                };
                self.tr(key, &[("name", name.clone()), ("date", self.date(*starts))])
            }
            Why::Promise { what, .. } => match what {
                Some(w) => self.tr("agenda-why-promise", &[("what", w.clone())]),
                None => self.tr("agenda-why-promise-plain", &[]),
            },
            Why::Service {
                order_id,
                window,
                notified,
                ..
            } => {
                let what = self.tr(&format!("agenda-kind-{}", item.kind.as_str()), &[]);
                let mut s = self.tr(
                    "agenda-why-service",
                    &[
                        ("what", what),
                        ("date", self.date(item.due)),
                        // Fluent selects on "none" for an absent part.
                        ("window", window.clone().unwrap_or_else(|| "none".into())),
                        (
                            "order",
                            order_id.map_or_else(|| "none".into(), |o| o.to_string()),
                        ),
                    ],
                );
                if !notified {
                    s.push(' ');
                    s.push_str(&self.tr("agenda-why-service-notify", &[]));
                }
                s
            }
            Why::AfterSales {
                job_kind, done_on, ..
            } => self.tr(
                "agenda-why-after-sales",
                &[
                    ("what", self.tr(&format!("agenda-kind-{job_kind}"), &[])),
                    ("date", self.date(*done_on)),
                ],
            ),
            Why::Review {
                action_id, what, ..
            } => {
                let key = if action_id.is_some() {
                    "agenda-why-plan-action"
                } else {
                    "agenda-why-account-review"
                };
                self.tr(key, &[("what", what.clone())])
            }
            Why::Reply {
                voiced_at, what, ..
            } => self.tr(
                "agenda-why-reply",
                &[
                    ("what", what.clone()),
                    ("at", voiced_at.format("%Y-%m-%d %H:%M UTC").to_string()),
                ],
            ),
            Why::Complaint {
                complaint_id,
                reply_due_at,
                what,
                escalated_from,
                ..
            } => {
                let mut args = vec![
                    ("id", complaint_id.to_string()),
                    ("what", what.clone()),
                    ("at", reply_due_at.format("%Y-%m-%d %H:%M UTC").to_string()),
                ];
                match escalated_from {
                    Some(who) => {
                        args.push(("who", who.clone()));
                        self.tr("agenda-why-complaint-escalated", &args)
                    }
                    None => self.tr("agenda-why-complaint", &args),
                }
            }
        }
    }
}

/// What the page shows besides the agenda itself.
#[derive(Default)]
struct View {
    /// The day asked for (`None`: today).
    date: Option<NaiveDate>,
    /// The `date` parameter as typed, shown again when it could not be read.
    date_typed: String,
    date_errors: Map<String, Value>,
    notice: Option<String>,
    failed: Option<Failed>,
}

async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    view: View,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    let store = state.store.as_ref();
    let agenda = patron_store::contact::agenda(store, &caller.user, view.date).await?;
    let policy = patron_store::contact::load_policy(store).await?;
    let settings = patron_store::contact::load_settings(store).await?;
    let today = patron_store::contact::today(&settings);
    let wording = Wording {
        lang,
        policy: &policy,
        level: caller.user.staff_level,
        thank_you: settings.thank_you,
    };
    let snooze_default = (today + Days::new(SNOOZE_DAYS))
        .format("%Y-%m-%d")
        .to_string();
    let failed = view.failed.as_ref();
    let item_view = |i: &AgendaItem| {
        // The refused form of this item, with what was typed and the messages.
        let form = failed
            .filter(|f| f.key == i.key)
            .map(|f| json!({"name": f.form.as_str(), "v": f.values, "errors": f.errors}));
        json!({
            "key": i.key,
            "slug": slug(&i.key),
            "kind": i.kind.as_str(),
            "kind_label": i18n::tr(lang, &format!("agenda-kind-{}", i.kind.as_str()), &[]),
            // What "done" logs unless the user picks another kind of contact.
            "logs": i.kind.logs().as_str(),
            "customer_id": i.customer_id.0,
            "customer_name": i.customer_name,
            "due": i18n::date(lang, i.due),
            "latest": (i.latest != i.due).then(|| i18n::date(lang, i.latest)),
            "overdue": i.overdue,
            "snoozed": i.snoozed,
            "reason": wording.reason(i),
            "form": form,
        })
    };
    let sections: Vec<Value> = SECTIONS
        .iter()
        .map(|&name| {
            let items: Vec<Value> = agenda
                .items
                .iter()
                .filter(|i| i.section == name)
                .map(item_view)
                .collect();
            json!({"name": name, "count": items.len(), "items": items})
        })
        .collect();
    // A refused action on an item no longer on the agenda (or a key that names nothing) is
    // said at the top of the page.
    let unplaced = failed.filter(|f| !agenda.items.iter().any(|i| i.key == f.key));
    let page_error = failed.map(|f| {
        if f.errors.contains_key("key") || unplaced.is_some() {
            page.t("agenda-bad-item")
        } else {
            page.t("form-errors")
        }
    });
    let c = agenda.counts;
    Ok(page.render_status(
        status,
        "agenda.html",
        json!({
            "date": i18n::date(lang, agenda.date),
            "date_value": if view.date_errors.is_empty() {
                agenda.date.format("%Y-%m-%d").to_string()
            } else {
                view.date_typed.clone()
            },
            "date_errors": view.date_errors,
            "is_today": agenda.date == today,
            "time_zone": agenda.time_zone,
            "sections": sections,
            "interaction_kinds": patron_core::InteractionKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>(),
            "counts": {"overdue": c.overdue, "today": c.today, "week": c.week, "later": c.later},
            "total": agenda.items.len(),
            "unmanaged": agenda.a_without_relationship_manager,
            "snooze_default": snooze_default,
            "snooze_min": (today + Days::new(1)).format("%Y-%m-%d").to_string(),
            // The day to come back to after an action (empty: today).
            "back_date": view.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            "page_error": page_error,
            "notice": view.notice,
        }),
    ))
}

/// `GET /agenda`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<AgendaParams>,
) -> Response {
    let run = async {
        let mut errs = Map::new();
        let date = optional_date(&p.date, "date", &mut errs);
        let notice = if !p.done.is_empty() {
            Some(page.t("agenda-done-notice"))
        } else if let Ok(d) = NaiveDate::parse_from_str(p.snoozed.trim(), "%Y-%m-%d") {
            Some(i18n::tr(
                page.lang,
                "agenda-snoozed-notice",
                &[("date", FluentValue::from(i18n::date(page.lang, d)))],
            ))
        } else if !p.dismissed.is_empty() {
            Some(page.t("agenda-dismissed-notice"))
        } else {
            None
        };
        let status = if errs.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        render(
            &state,
            &page,
            status,
            View {
                date,
                date_typed: p.date.chars().take(40).collect(),
                date_errors: errs,
                notice,
                failed: None,
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// The forms of an item, as typed (each form sends the fields it has).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ActForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    key: String,
    /// The agenda's day to return to (empty: today).
    #[serde(default, skip_serializing)]
    date: String,
    #[serde(default)]
    outcome: String,
    /// The kind of contact "done" logs (empty: the item's own).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

/// `POST /agenda/done`: done, and the contact logged as the signed-in user's.
pub async fn done(State(state): State<AppState>, page: Page, Form(f): Form<ActForm>) -> Response {
    respond(act(&state, &page, f, Act::Done).await, &page)
}

/// `POST /agenda/snooze`: back on the agenda on a later day.
pub async fn snooze(State(state): State<AppState>, page: Page, Form(f): Form<ActForm>) -> Response {
    respond(act(&state, &page, f, Act::Snooze).await, &page)
}

/// `POST /agenda/dismiss`: off the agenda, with the reason (a visit or call starts its next
/// cycle today).
pub async fn dismiss(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<ActForm>,
) -> Response {
    respond(act(&state, &page, f, Act::Dismiss).await, &page)
}

async fn act(state: &AppState, page: &Page, f: ActForm, what: Act) -> Result<Response, UiError> {
    let caller = page.check_csrf(&f.csrf)?;
    // Only a real day goes back into the redirect's URL.
    let back = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d").ok();
    let mut errs = Map::new();
    let action = match what {
        Act::Done => {
            let kind = match f.kind.trim() {
                "" => Ok(None),
                k => patron_core::InteractionKind::parse("kind", k).map(Some),
            };
            match kind {
                Ok(kind) => Some(AgendaAction::Done {
                    kind,
                    outcome: blank(&f.outcome),
                    notes: None,
                }),
                Err(_) => {
                    add_error(&mut errs, "kind", "invalid");
                    None
                }
            }
        }
        Act::Snooze => {
            let until = optional_date(&f.until, "until", &mut errs);
            if until.is_none() && !errs.contains_key("until") {
                add_error(&mut errs, "until", "required");
            }
            until.map(|until| AgendaAction::Snooze { until })
        }
        Act::Dismiss => Some(AgendaAction::Dismiss {
            reason: f.reason.clone(),
        }),
    };
    if let Some(action) = action {
        match patron_store::contact::act(state.store.as_ref(), &caller.user, f.key.trim(), action)
            .await
        {
            Ok(_) => {
                let notice = match (what, &action_until(&f)) {
                    (Act::Done, _) => "done=1".to_owned(),
                    (Act::Snooze, Some(d)) => format!("snoozed={}", d.format("%Y-%m-%d")),
                    (Act::Snooze, None) => "snoozed=1".to_owned(),
                    (Act::Dismiss, _) => "dismissed=1".to_owned(),
                };
                let to = match back {
                    Some(d) => format!("/agenda?date={}&{notice}", d.format("%Y-%m-%d")),
                    None => format!("/agenda?{notice}"),
                };
                return Ok(super::see_other(&to));
            }
            Err(StoreError::Invalid(e)) => errs = field_errors(&e),
            Err(e) => return Err(e.into()),
        }
    }
    render(
        state,
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        View {
            date: back,
            failed: Some(Failed {
                key: f.key.trim().to_owned(),
                form: what,
                values: json!(f),
                errors: errs,
            }),
            ..Default::default()
        },
    )
    .await
}

/// The snooze form's day, for the notice.
fn action_until(f: &ActForm) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(f.until.trim(), "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::contact::Frequency;
    use patron_core::CustomerId;

    fn item(kind: ItemKind, why: Why) -> AgendaItem {
        let d = NaiveDate::from_ymd_opt(2026, 3, 10).expect("d");
        AgendaItem {
            key: format!("{}:1:2026-03-10", kind.as_str()),
            kind,
            customer_id: CustomerId(1),
            customer_name: "甲".into(),
            due: d,
            latest: d,
            overdue: false,
            snoozed: false,
            section: "today".into(),
            reason: "English reason".into(),
            why,
            key_person_id: None,
        }
    }

    #[test]
    fn reasons_are_worded_in_the_readers_language() {
        let policy = ContactPolicy::default();
        let freq = policy.sales_representative.a.visit;
        let w = |lang| Wording {
            lang,
            policy: &policy,
            level: StaffLevel::SalesRepresentative,
            thank_you: ThankYouRules::default(),
        };
        let visit = item(
            ItemKind::Visit,
            Why::Policy {
                class: Some("A".into()),
                frequency: freq.describe(),
                last: NaiveDate::from_ymd_opt(2026, 2, 28),
            },
        );
        let en = w(Lang::En).reason(&visit);
        assert!(
            en.contains("A-class") && en.contains("3× per month"),
            "{en}"
        );
        assert!(en.contains("28 Feb 2026"), "{en}");
        let zh = w(Lang::ZhCn).reason(&visit);
        assert!(zh.contains("A类客户") && zh.contains("每月3次"), "{zh}");
        // A policy that changed since: the English reason, not a wrong number.
        let stale = item(
            ItemKind::Visit,
            Why::Policy {
                class: Some("A".into()),
                frequency: Frequency::WhenNecessary.describe(),
                last: None,
            },
        );
        assert_eq!(w(Lang::Ko).reason(&stale), "English reason");
        let promise = item(
            ItemKind::FollowUp,
            Why::Promise {
                interaction_id: 3,
                what: Some("寄样品".into()),
            },
        );
        assert!(w(Lang::Ko).reason(&promise).contains("寄样品"));
    }

    /// Every kind of item and every period a frequency counts in has its words in every
    /// language (the completeness test then checks the other languages have the same keys).
    #[test]
    fn every_item_kind_and_period_is_worded() {
        use patron_core::contact::Period;
        let mut keys: Vec<String> = ItemKind::ALL
            .iter()
            .map(|k| format!("agenda-kind-{}", k.as_str()))
            .collect();
        for p in Period::ALL {
            for prefix in ["period-", "freq-every-", "freq-every-one-"] {
                keys.push(format!("{prefix}{}", p.as_str()));
            }
        }
        for l in Lang::ALL {
            for k in &keys {
                let text = i18n::tr(l, k, &[]);
                assert_ne!(&text, k, "{} lacks {k}", l.tag());
                if l != Lang::En && k.starts_with("agenda-kind-") {
                    assert_ne!(text, i18n::tr(Lang::En, k, &[]), "{} {k}", l.tag());
                }
            }
        }
    }

    #[test]
    fn slugs_need_no_escaping() {
        assert_eq!(slug("visit:12:2026-03-01"), "visit_12_2026-03-01");
    }
}
