//! Customers' opinions and requests that must be answered within 24 hours (METHOD §3.3): SQL shared by SQLite and PostgreSQL.
//!
//! Every unreplied request is a `reply_due` item on the agenda of the person who must reply,
//! due on the shop's day on which the 24 hours run out. The list flags a request overdue from
//! the exact instant, not the day: a request voiced at 23:30 is due by 23:30 the next day.
//! Replying — on the request page or by marking the agenda item done — records the reply,
//! logs it as an interaction, and so ends the item.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use super::records as r;
use super::touch::{check_key_person, log_interaction};
use super::SqlStore;
use crate::error::{StoreError, StoreResult};
use crate::touch::{
    is_overdue, reply_due_at, CustomerRequest, ReplyInput, RequestInput, RequestKind, RequestQuery,
};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::contact::ContactSettings;
use patron_core::contact::{ItemKey, ItemKind, Obligation, Why};
use patron_core::validation::{clean_text, required_text, MAX_TEXT};
use patron_core::{
    CustomerId, FieldError, InteractionInput, InteractionKind, KeyPersonId, Scope, User, UserId,
    ValidationErrors,
};

/// How much of a request's text the agenda repeats.
const AGENDA_TEXT_CHARS: usize = 120;

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct RequestRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    key_person_id: Option<i64>,
    key_person_name: Option<String>,
    voiced_at: DateTime<Utc>,
    kind: String,
    text: String,
    received_by: Option<i64>,
    received_by_name: Option<String>,
    assigned_to: Option<i64>,
    assigned_to_name: Option<String>,
    replied_at: Option<DateTime<Utc>>,
    reply: Option<String>,
    replied_by: Option<i64>,
    replied_by_name: Option<String>,
    interaction_id: Option<i64>,
}

impl RequestRow {
    fn into_request(self, now: DateTime<Utc>) -> StoreResult<CustomerRequest> {
        let due = reply_due_at(self.voiced_at);
        Ok(CustomerRequest {
            id: self.id,
            customer_id: CustomerId(self.customer_id),
            customer_name: self.customer_name,
            key_person_id: self.key_person_id.map(KeyPersonId),
            key_person_name: self.key_person_name,
            voiced_at: self.voiced_at,
            kind: RequestKind::parse(&self.kind).ok_or_else(|| {
                StoreError::other(
                    "reading a stored customer request",
                    std::io::Error::other(format!("unknown kind {}", self.kind)),
                )
            })?,
            text: self.text,
            received_by: self.received_by.map(UserId),
            received_by_name: self.received_by_name,
            assigned_to: self.assigned_to.map(UserId),
            assigned_to_name: self.assigned_to_name,
            reply_due_at: due,
            overdue: self.replied_at.is_none() && is_overdue(self.voiced_at, now),
            replied_late: self.replied_at.is_some_and(|t| t > due),
            replied_at: self.replied_at,
            reply: self.reply,
            replied_by: self.replied_by.map(UserId),
            replied_by_name: self.replied_by_name,
            interaction_id: self.interaction_id,
        })
    }
}

const SELECT: &str = "SELECT r.id, r.customer_id, c.name AS customer_name, r.key_person_id, \
     k.name AS key_person_name, r.voiced_at, r.kind, r.text, r.received_by, \
     ur.name AS received_by_name, r.assigned_to, ua.name AS assigned_to_name, r.replied_at, \
     r.reply, r.replied_by, up.name AS replied_by_name, r.interaction_id \
     FROM customer_requests r JOIN customers c ON c.id = r.customer_id \
     LEFT JOIN key_persons k ON k.id = r.key_person_id \
     LEFT JOIN users ur ON ur.id = r.received_by \
     LEFT JOIN users ua ON ua.id = r.assigned_to \
     LEFT JOIN users up ON up.id = r.replied_by";

async fn load(c: &mut Conn<'_>, id: i64, now: DateTime<Utc>) -> StoreResult<CustomerRequest> {
    let row: Option<RequestRow> = c
        .fetch_optional(&format!("{SELECT} WHERE r.id = $1"), args![id])
        .await?;
    row.ok_or_else(|| StoreError::not_found("customer request", id))?
        .into_request(now)
}

pub(crate) async fn get(
    store: &SqlStore,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<CustomerRequest> {
    let mut pc = store.acquire().await?;
    load(&mut pc.conn(), id, now).await
}

/// Unreplied first (oldest first: the most urgent), then replied ones, newest first.
pub(crate) async fn list(store: &SqlStore, q: &RequestQuery) -> StoreResult<Vec<CustomerRequest>> {
    let now = q.as_of.unwrap_or_else(super::now);
    let mut pc = store.acquire().await?;
    let mut a: Vec<Arg> = Vec::new();
    let mut wh = vec!["1 = 1".to_owned()];
    push_scope(q.scope, "c", &mut wh, &mut a);
    if let Some(cid) = q.customer_id {
        a.push(cid.0.into());
        wh.push(format!("r.customer_id = ${}", a.len()));
    }
    if let Some(u) = q.assigned_to {
        a.push(u.0.into());
        wh.push(format!("r.assigned_to = ${}", a.len()));
    }
    if q.open || q.overdue {
        wh.push("r.replied_at IS NULL".into());
    }
    if q.overdue {
        a.push((now - chrono::Duration::hours(crate::touch::REPLY_WITHIN_HOURS)).into());
        wh.push(format!("r.voiced_at < ${}", a.len()));
    }
    a.push(super::page_limit(q.limit).into());
    let rows: Vec<RequestRow> = pc
        .conn()
        .fetch_all(
            &format!(
                "{SELECT} WHERE {} ORDER BY CASE WHEN r.replied_at IS NULL THEN 0 ELSE 1 END, \
                 CASE WHEN r.replied_at IS NULL THEN r.voiced_at END, r.voiced_at DESC, r.id \
                 LIMIT ${}",
                wh.join(" AND "),
                a.len()
            ),
            a,
        )
        .await?;
    rows.into_iter().map(|r| r.into_request(now)).collect()
}

/// Records what a customer voiced, as `by`'s (`None`: the command line). Who must reply
/// defaults to the customer's relationship manager, else its owner, else `by`; whoever it is
/// must be an active user able to see the customer.
pub(crate) async fn create(
    store: &SqlStore,
    by: Option<UserId>,
    input: RequestInput,
    now: DateTime<Utc>,
) -> StoreResult<CustomerRequest> {
    let mut errs = ValidationErrors::default();
    let text = errs.take(required_text("text", Some(&input.text), MAX_TEXT));
    let voiced_at = input.voiced_at.unwrap_or(now);
    if voiced_at > now + chrono::Duration::minutes(5) {
        errs.push(FieldError::new(
            "voiced_at",
            "in_future",
            "a request cannot be voiced in the future",
        ));
    }
    errs.take(patron_core::check_date(
        "voiced_at",
        Some(voiced_at.date_naive()),
    ));
    let text = match (text, errs.is_empty()) {
        (Some(t), true) => t,
        _ => return Err(errs.into()),
    };
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let holders: Option<(Option<i64>, Option<i64>)> = c
        .fetch_optional(
            "SELECT relationship_manager_id, owner_id FROM customers WHERE id = $1",
            args![input.customer_id.0],
        )
        .await?;
    let Some((rm, owner)) = holders else {
        return Err(StoreError::invalid(
            "customer_id",
            "unknown_reference",
            format!("there is no customer {}", input.customer_id),
        ));
    };
    check_key_person(&mut c, input.customer_id, input.key_person_id).await?;
    let assigned = match input.assigned_to {
        Some(u) => Some(u),
        None => rm.or(owner).map(UserId).or(by),
    };
    if let Some(u) = assigned {
        let Some(user) = r::get_user(&mut c, u).await?.filter(|u| u.active) else {
            return Err(StoreError::invalid(
                "assigned_to",
                "unknown_reference",
                format!("there is no active user {u}"),
            ));
        };
        if !super::customers::in_scope(&mut c, input.customer_id, Scope::of(&user)).await? {
            return Err(StoreError::invalid(
                "assigned_to",
                "outside_scope",
                format!("{} cannot see this customer", user.name),
            ));
        }
    }
    let id = c
        .scalar_i64(
            "INSERT INTO customer_requests (customer_id, key_person_id, voiced_at, kind, text, \
             received_by, assigned_to, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
            args![
                input.customer_id.0,
                input.key_person_id.map(|k| k.0),
                voiced_at,
                input.kind.unwrap_or(RequestKind::Opinion).as_str(),
                text,
                by.map(|u| u.0),
                assigned.map(|u| u.0),
                super::now()
            ],
        )
        .await?;
    let out = load(&mut c, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Stores the reply of request `id` (which must still be open) and links the interaction.
async fn record_reply(
    c: &mut Conn<'_>,
    id: i64,
    by: UserId,
    text: Option<String>,
    interaction: Option<i64>,
) -> StoreResult<u64> {
    c.execute(
        "UPDATE customer_requests SET replied_at = $1, reply = $2, replied_by = $3, \
         interaction_id = $4 WHERE id = $5 AND replied_at IS NULL",
        args![super::now(), text, by.0, interaction, id],
    )
    .await
}

/// Replies to a request as `by`: logs the reply as an interaction (a call unless `kind` says
/// otherwise) and records it, which takes the request off the agenda. A request already
/// replied to is a conflict.
pub(crate) async fn reply(
    store: &SqlStore,
    by: UserId,
    id: i64,
    input: ReplyInput,
    now: DateTime<Utc>,
) -> StoreResult<CustomerRequest> {
    let text = required_text("text", Some(&input.text), MAX_TEXT)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let req = load(&mut c, id, now).await?;
    if req.replied_at.is_some() {
        return Err(StoreError::conflict(
            Some("text"),
            "this request has already been replied to",
        ));
    }
    let interaction = log_interaction(
        &mut c,
        Some(by),
        InteractionInput {
            customer_id: req.customer_id,
            kind: input.kind.unwrap_or(InteractionKind::Call),
            occurred_at: None,
            staff_id: Some(by),
            key_person_id: req.key_person_id,
            outcome: Some(format!("reply to {} #{}", req.kind.as_str(), req.id)),
            notes: Some(text.clone()),
            follow_up_on: None,
            follow_up: None,
        },
    )
    .await?;
    record_reply(&mut c, id, by, Some(text), Some(interaction)).await?;
    let out = load(&mut c, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// The agenda items of `user` on any day that this module's records call for: every
/// unreplied request they must answer, due on the shop's day its 24 hours run out.
pub(crate) async fn obligations(
    c: &mut Conn<'_>,
    user: &User,
    settings: &ContactSettings,
) -> StoreResult<Vec<Obligation>> {
    let rows: Vec<(i64, i64, String, DateTime<Utc>, String)> = c
        .fetch_all(
            "SELECT r.id, r.customer_id, c.name, r.voiced_at, r.text FROM customer_requests r \
             JOIN customers c ON c.id = r.customer_id \
             WHERE r.assigned_to = $1 AND r.replied_at IS NULL ORDER BY r.voiced_at, r.id",
            args![user.id.0],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, cid, name, voiced_at, text)| {
            let due = settings.local_day(reply_due_at(voiced_at));
            let mut what: String = text.chars().take(AGENDA_TEXT_CHARS).collect();
            if text.chars().count() > AGENDA_TEXT_CHARS {
                what.push('…');
            }
            Obligation {
                kind: ItemKind::ReplyDue,
                subject: id,
                key_date: None,
                customer_id: CustomerId(cid),
                customer_name: name,
                due,
                latest: due,
                why: Why::Reply {
                    request_id: id,
                    voiced_at,
                    what,
                },
                visible_from: None,
            }
        })
        .collect())
}

/// What "done" on one of this module's agenda items changes in its record: the request counts
/// as replied by `user` now, with the interaction "done" logged (its notes, else its outcome,
/// are the reply).
pub(crate) async fn agenda_done(
    c: &mut Conn<'_>,
    user: &User,
    key: &ItemKey,
    interaction: Option<i64>,
    _today: NaiveDate,
) -> StoreResult<()> {
    if key.kind != ItemKind::ReplyDue {
        return Ok(());
    }
    let text = match interaction {
        Some(i) => {
            let row: Option<(Option<String>, Option<String>)> = c
                .fetch_optional(
                    "SELECT notes, outcome FROM interactions WHERE id = $1",
                    args![i],
                )
                .await?;
            row.and_then(|(n, o)| n.or(o))
        }
        None => None,
    };
    let text = clean_text("reply", text.as_deref(), MAX_TEXT).unwrap_or(None);
    record_reply(c, key.subject, user.id, text, interaction).await?;
    Ok(())
}
