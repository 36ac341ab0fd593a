//! Keeping in touch (see [`crate::touch`]): message templates and events with their
//! invitations. Every statement is shared by both databases. The customer requests and their
//! replies live in [`super::requests`]; both log interactions through [`log_interaction`].

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use super::records as r;
use super::{audit, SqlStore};
use crate::accounts::AuditEntity;
use crate::error::{StoreError, StoreResult};
use crate::touch::*;
use chrono::{DateTime, Utc};
use patron_core::classify::AbcClass;
use patron_core::contact::{ContactSettings, SETTINGS_KEY};
use patron_core::{
    CustomerId, InteractionId, InteractionInput, InteractionKind, KeyPersonId, Scope, UserId,
};

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored {what}"),
        std::io::Error::other(e.to_string()),
    )
}

fn invalid(e: patron_core::FieldError) -> StoreError {
    StoreError::Invalid(e.into())
}

/// Logs an interaction as `by`'s, validated and checked like any other, with its audit entry;
/// returns its id.
pub(crate) async fn log_interaction(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    input: InteractionInput,
) -> StoreResult<i64> {
    let i = input.validate(super::now())?;
    r::check_interaction(c, &i).await?;
    let id = r::insert_interaction(c, &i).await?;
    let i = r::get_interaction(c, id).await?;
    audit::record(
        c,
        by,
        AuditEntity::Interaction,
        id.0,
        i.customer_id,
        "create",
        None,
        Some(&i),
    )
    .await?;
    Ok(id.0)
}

/// Deletes an interaction logged by this module (an attendance taken back), with its audit entry.
async fn unlog_interaction(c: &mut Conn<'_>, by: Option<UserId>, id: i64) -> StoreResult<()> {
    let before = match r::get_interaction(c, InteractionId(id)).await {
        Ok(i) => i,
        // Deleted by hand meanwhile: nothing left to take back.
        Err(StoreError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    c.execute("DELETE FROM interactions WHERE id = $1", args![id])
        .await?;
    audit::record(
        c,
        by,
        AuditEntity::Interaction,
        id,
        before.customer_id,
        "delete",
        Some(&before),
        None,
    )
    .await
}

/// Checks that a key person belongs to the customer; the error names `key_person_id`.
pub(crate) async fn check_key_person(
    c: &mut Conn<'_>,
    customer: CustomerId,
    kp: Option<KeyPersonId>,
) -> StoreResult<Option<String>> {
    let Some(kp) = kp else { return Ok(None) };
    let row: Option<(i64, String)> = c
        .fetch_optional(
            "SELECT customer_id, name FROM key_persons WHERE id = $1",
            args![kp.0],
        )
        .await?;
    match row {
        Some((cid, name)) if cid == customer.0 => Ok(Some(name)),
        _ => Err(StoreError::invalid(
            "key_person_id",
            "unknown_reference",
            format!("customer {customer} has no key person {kp}"),
        )),
    }
}

/// The shop's contact settings (its time zone makes "today").
pub(crate) async fn settings(c: &mut Conn<'_>) -> StoreResult<ContactSettings> {
    Ok(match r::get_setting(c, SETTINGS_KEY).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            StoreError::other(
                format!("the setting {SETTINGS_KEY} is not contact settings"),
                e,
            )
        })?,
        None => ContactSettings::default(),
    })
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct TemplateRow {
    id: i64,
    kind: String,
    name: String,
    language: String,
    subject: Option<String>,
    body: String,
    active: bool,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<TemplateRow> for MessageTemplate {
    type Error = StoreError;
    fn try_from(t: TemplateRow) -> StoreResult<Self> {
        Ok(MessageTemplate {
            id: t.id,
            kind: TemplateKind::parse("kind", &t.kind).map_err(|e| bad_row("template", e))?,
            name: t.name,
            language: t.language,
            subject: t.subject,
            body: t.body,
            active: t.active,
            created_by: t.created_by.map(UserId),
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
    }
}

const TEMPLATE_COLS: &str =
    "id, kind, name, language, subject, body, active, created_by, created_at, updated_at";

async fn load_template(c: &mut Conn<'_>, id: i64) -> StoreResult<MessageTemplate> {
    let row: Option<TemplateRow> = c
        .fetch_optional(
            &format!("SELECT {TEMPLATE_COLS} FROM message_templates WHERE id = $1"),
            args![id],
        )
        .await?;
    row.ok_or_else(|| StoreError::not_found("template", id))?
        .try_into()
}

pub(crate) async fn list_templates(
    store: &SqlStore,
    kind: Option<TemplateKind>,
    active_only: bool,
) -> StoreResult<Vec<MessageTemplate>> {
    let mut pc = store.acquire().await?;
    let mut wh = vec!["1 = 1".to_owned()];
    let mut a: Vec<Arg> = Vec::new();
    if let Some(k) = kind {
        a.push(k.as_str().into());
        wh.push(format!("kind = ${}", a.len()));
    }
    if active_only {
        wh.push("active = TRUE".into());
    }
    let rows: Vec<TemplateRow> = pc
        .conn()
        .fetch_all(
            &format!(
                "SELECT {TEMPLATE_COLS} FROM message_templates WHERE {} \
                 ORDER BY kind, language, name, id",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(crate) async fn get_template(store: &SqlStore, id: i64) -> StoreResult<MessageTemplate> {
    let mut pc = store.acquire().await?;
    load_template(&mut pc.conn(), id).await
}

pub(crate) async fn create_template(
    store: &SqlStore,
    by: Option<UserId>,
    input: TemplateInput,
) -> StoreResult<MessageTemplate> {
    let t = input.validate()?;
    let mut tx = store.begin().await?;
    let now = super::now();
    let id = tx
        .conn()
        .scalar_i64(
            "INSERT INTO message_templates (kind, name, language, subject, body, active, \
             created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
            args![
                t.kind.as_str(),
                t.name,
                t.language,
                t.subject,
                t.body,
                t.active,
                by.map(|u| u.0),
                now,
                now
            ],
        )
        .await?;
    let out = load_template(&mut tx.conn(), id).await?;
    tx.commit().await?;
    Ok(out)
}

pub(crate) async fn update_template(
    store: &SqlStore,
    id: i64,
    input: TemplateInput,
) -> StoreResult<MessageTemplate> {
    let t = input.validate()?;
    let mut tx = store.begin().await?;
    let n = tx
        .conn()
        .execute(
            "UPDATE message_templates SET kind = $1, name = $2, language = $3, subject = $4, \
             body = $5, active = $6, updated_at = $7 WHERE id = $8",
            args![
                t.kind.as_str(),
                t.name,
                t.language,
                t.subject,
                t.body,
                t.active,
                super::now(),
                id
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("template", id));
    }
    let out = load_template(&mut tx.conn(), id).await?;
    tx.commit().await?;
    Ok(out)
}

pub(crate) async fn delete_template(store: &SqlStore, id: i64) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let n = tx
        .conn()
        .execute("DELETE FROM message_templates WHERE id = $1", args![id])
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("template", id));
    }
    tx.commit().await
}

/// Fills template `id` for a customer (and key person) as `staff` writes it today (in the
/// shop's time zone).
async fn render_for(
    c: &mut Conn<'_>,
    id: i64,
    customer: CustomerId,
    key_person: Option<KeyPersonId>,
    staff: Option<UserId>,
) -> StoreResult<Rendered> {
    let t = load_template(c, id).await?;
    let row: Option<(String, Option<String>)> = c
        .fetch_optional(
            "SELECT name, company FROM customers WHERE id = $1",
            args![customer.0],
        )
        .await?;
    let Some((name, company)) = row else {
        return Err(StoreError::invalid(
            "customer_id",
            "unknown_reference",
            format!("there is no customer {customer}"),
        ));
    };
    let kp_name = check_key_person(c, customer, key_person).await?;
    let staff_name = match staff {
        Some(u) => r::get_user(c, u).await?.map(|u| u.name).unwrap_or_default(),
        None => String::new(),
    };
    let today = settings(c).await?.local_day(Utc::now());
    let fill = Fill {
        company: company.unwrap_or_else(|| name.clone()),
        customer: name,
        key_person: kp_name,
        date: long_date(&t.language, today),
        staff: staff_name,
    };
    Ok(Rendered {
        template_id: t.id,
        kind: t.kind,
        customer_id: customer,
        key_person_id: key_person,
        subject: t
            .subject
            .as_deref()
            .map(|s| render("subject", s, &fill))
            .transpose()
            .map_err(invalid)?,
        body: render("body", &t.body, &fill).map_err(invalid)?,
    })
}

pub(crate) async fn render_template(
    store: &SqlStore,
    id: i64,
    customer: CustomerId,
    key_person: Option<KeyPersonId>,
    staff: Option<UserId>,
) -> StoreResult<Rendered> {
    let mut pc = store.acquire().await?;
    render_for(&mut pc.conn(), id, customer, key_person, staff).await
}

/// Renders the template and logs it as an interaction of its kind, with the text as notes.
pub(crate) async fn use_template(
    store: &SqlStore,
    by: UserId,
    id: i64,
    customer: CustomerId,
    key_person: Option<KeyPersonId>,
) -> StoreResult<TemplateUse> {
    let mut tx = store.begin().await?;
    let rendered = render_for(&mut tx.conn(), id, customer, key_person, Some(by)).await?;
    let interaction_id = log_interaction(
        &mut tx.conn(),
        Some(by),
        InteractionInput {
            customer_id: customer,
            kind: rendered.kind.interaction(),
            occurred_at: None,
            staff_id: Some(by),
            key_person_id: key_person,
            outcome: None,
            notes: Some(rendered.notes()),
            follow_up_on: None,
            follow_up: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TemplateUse {
        rendered,
        interaction_id,
    })
}

// ---------------------------------------------------------------------------------------------
// Events and invitations
// ---------------------------------------------------------------------------------------------

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct EventRow {
    id: i64,
    kind: String,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    place: Option<String>,
    description: Option<String>,
    created_by: Option<i64>,
    created_by_name: Option<String>,
    created_at: DateTime<Utc>,
    invited: i64,
    accepted: i64,
    declined: i64,
    attended: i64,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(e: EventRow) -> StoreResult<Self> {
        Ok(Event {
            id: e.id,
            kind: EventKind::parse(&e.kind).ok_or_else(|| bad_row("event kind", &e.kind))?,
            title: e.title,
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            place: e.place,
            description: e.description,
            created_by: e.created_by.map(UserId),
            created_by_name: e.created_by_name,
            created_at: e.created_at,
            invited: e.invited,
            accepted: e.accepted,
            declined: e.declined,
            attended: e.attended,
        })
    }
}

/// Events with their invitations counted within `scope`; `extra` filters `e`.
async fn events_where(
    c: &mut Conn<'_>,
    scope: Scope,
    extra: &str,
    mut a: Vec<Arg>,
    order: &str,
) -> StoreResult<Vec<Event>> {
    let mut wh = vec!["1 = 1".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let sql = format!(
        "SELECT e.id, e.kind, e.title, e.starts_at, e.ends_at, e.place, e.description, \
         e.created_by, u.name AS created_by_name, e.created_at, \
         CAST(COALESCE(x.invited, 0) AS BIGINT) AS invited, \
         CAST(COALESCE(x.accepted, 0) AS BIGINT) AS accepted, \
         CAST(COALESCE(x.declined, 0) AS BIGINT) AS declined, \
         CAST(COALESCE(x.attended, 0) AS BIGINT) AS attended \
         FROM events e LEFT JOIN users u ON u.id = e.created_by \
         LEFT JOIN (SELECT i.event_id, COUNT(*) AS invited, \
           SUM(CASE WHEN i.reply = 'accepted' THEN 1 ELSE 0 END) AS accepted, \
           SUM(CASE WHEN i.reply = 'declined' THEN 1 ELSE 0 END) AS declined, \
           SUM(CASE WHEN i.attended THEN 1 ELSE 0 END) AS attended \
           FROM event_invitations i JOIN customers c ON c.id = i.customer_id \
           WHERE {} GROUP BY i.event_id) x ON x.event_id = e.id \
         WHERE {extra} ORDER BY {order}",
        wh.join(" AND ")
    );
    let rows: Vec<EventRow> = c.fetch_all(&sql, a).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Events from `from` on (all when `None`), soonest first.
pub(crate) async fn list_events(
    store: &SqlStore,
    scope: Scope,
    from: Option<DateTime<Utc>>,
) -> StoreResult<Vec<Event>> {
    let mut pc = store.acquire().await?;
    match from {
        Some(t) => {
            events_where(
                &mut pc.conn(),
                scope,
                "COALESCE(e.ends_at, e.starts_at) >= $1",
                args![t],
                "e.starts_at, e.id",
            )
            .await
        }
        None => {
            events_where(
                &mut pc.conn(),
                scope,
                "1 = 1",
                vec![],
                "e.starts_at DESC, e.id",
            )
            .await
        }
    }
}

async fn load_event(c: &mut Conn<'_>, id: i64, scope: Scope) -> StoreResult<Event> {
    events_where(c, scope, "e.id = $1", args![id], "e.id")
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("event", id))
}

pub(crate) async fn get_event(store: &SqlStore, id: i64, scope: Scope) -> StoreResult<Event> {
    let mut pc = store.acquire().await?;
    load_event(&mut pc.conn(), id, scope).await
}

pub(crate) async fn create_event(
    store: &SqlStore,
    by: Option<UserId>,
    input: EventInput,
) -> StoreResult<Event> {
    let e = input.validate()?;
    let mut tx = store.begin().await?;
    let id = tx
        .conn()
        .scalar_i64(
            "INSERT INTO events (kind, title, starts_at, ends_at, place, description, created_by, \
             created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
            args![
                e.kind.as_str(),
                e.title,
                e.starts_at,
                e.ends_at,
                e.place,
                e.description,
                by.map(|u| u.0),
                super::now()
            ],
        )
        .await?;
    let out = load_event(&mut tx.conn(), id, Scope::All).await?;
    tx.commit().await?;
    Ok(out)
}

pub(crate) async fn update_event(
    store: &SqlStore,
    id: i64,
    input: EventInput,
) -> StoreResult<Event> {
    let e = input.validate()?;
    let mut tx = store.begin().await?;
    let n = tx
        .conn()
        .execute(
            "UPDATE events SET kind = $1, title = $2, starts_at = $3, ends_at = $4, place = $5, \
             description = $6 WHERE id = $7",
            args![
                e.kind.as_str(),
                e.title,
                e.starts_at,
                e.ends_at,
                e.place,
                e.description,
                id
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("event", id));
    }
    let out = load_event(&mut tx.conn(), id, Scope::All).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes an event and its invitations; the meetings logged for attendance stay in the
/// customers' service records.
pub(crate) async fn delete_event(store: &SqlStore, id: i64) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let n = tx
        .conn()
        .execute("DELETE FROM events WHERE id = $1", args![id])
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("event", id));
    }
    tx.commit().await
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct InvitationRow {
    id: i64,
    event_id: i64,
    customer_id: i64,
    customer_name: String,
    key_person_id: Option<i64>,
    key_person_name: Option<String>,
    invited_by: Option<i64>,
    invited_at: DateTime<Utc>,
    reply: String,
    replied_at: Option<DateTime<Utc>>,
    attended: Option<bool>,
    interaction_id: Option<i64>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = StoreError;
    fn try_from(i: InvitationRow) -> StoreResult<Self> {
        Ok(Invitation {
            id: i.id,
            event_id: i.event_id,
            customer_id: CustomerId(i.customer_id),
            customer_name: i.customer_name,
            key_person_id: i.key_person_id.map(KeyPersonId),
            key_person_name: i.key_person_name,
            invited_by: i.invited_by.map(UserId),
            invited_at: i.invited_at,
            reply: InvitationReply::parse(&i.reply).ok_or_else(|| bad_row("reply", &i.reply))?,
            replied_at: i.replied_at,
            attended: i.attended,
            interaction_id: i.interaction_id,
        })
    }
}

const INVITATION_SELECT: &str = "SELECT i.id, i.event_id, i.customer_id, c.name AS customer_name, \
     i.key_person_id, k.name AS key_person_name, i.invited_by, i.invited_at, i.reply, \
     i.replied_at, i.attended, i.interaction_id \
     FROM event_invitations i JOIN customers c ON c.id = i.customer_id \
     LEFT JOIN key_persons k ON k.id = i.key_person_id";

/// An event's invitations of customers inside `scope`, by customer name.
pub(crate) async fn list_invitations(
    store: &SqlStore,
    event: i64,
    scope: Scope,
) -> StoreResult<Vec<Invitation>> {
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    load_event(&mut c, event, Scope::All).await?;
    let mut a: Vec<Arg> = args![event];
    let mut wh = vec!["i.event_id = $1".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let rows: Vec<InvitationRow> = c
        .fetch_all(
            &format!(
                "{INVITATION_SELECT} WHERE {} ORDER BY c.name, c.id, i.id",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

async fn load_invitation(c: &mut Conn<'_>, id: i64) -> StoreResult<Invitation> {
    let row: Option<InvitationRow> = c
        .fetch_optional(&format!("{INVITATION_SELECT} WHERE i.id = $1"), args![id])
        .await?;
    row.ok_or_else(|| StoreError::not_found("invitation", id))?
        .try_into()
}

pub(crate) async fn get_invitation(store: &SqlStore, id: i64) -> StoreResult<Invitation> {
    let mut pc = store.acquire().await?;
    load_invitation(&mut pc.conn(), id).await
}

/// Invites customers (each, or one of its key persons); those already invited are counted, not
/// invited twice. Unknown customers name `customer_ids[i]`.
pub(crate) async fn invite(
    store: &SqlStore,
    by: Option<UserId>,
    event: i64,
    targets: &[(CustomerId, Option<KeyPersonId>)],
) -> StoreResult<InviteReport> {
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    load_event(&mut c, event, Scope::All).await?;
    let mut rep = InviteReport::default();
    let now = super::now();
    for (n, (cid, kp)) in targets.iter().enumerate() {
        r::require_customer(&mut c, *cid, &format!("customer_ids[{n}]")).await?;
        check_key_person(&mut c, *cid, *kp).await?;
        let added = c
            .execute(
                "INSERT INTO event_invitations (event_id, customer_id, key_person_id, invited_by, \
                 invited_at, reply) VALUES ($1, $2, $3, $4, $5, 'pending') ON CONFLICT DO NOTHING",
                args![event, cid.0, kp.map(|k| k.0), by.map(|u| u.0), now],
            )
            .await?;
        if added > 0 {
            rep.invited += 1;
        } else {
            rep.already += 1;
        }
    }
    tx.commit().await?;
    Ok(rep)
}

/// Invites every customer of ABC class `class` inside `scope` (lost ones excepted).
pub(crate) async fn invite_class(
    store: &SqlStore,
    by: Option<UserId>,
    event: i64,
    scope: Scope,
    class: AbcClass,
) -> StoreResult<InviteReport> {
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    load_event(&mut c, event, Scope::All).await?;
    // The same filter twice: counted (every match), then inserted (the new ones).
    let filter = |a: &mut Vec<Arg>| {
        a.push(class.as_str().into());
        let mut wh = vec![
            format!("cc.abc = ${}", a.len()),
            "c.stage <> 'lost'".to_owned(),
        ];
        push_scope(scope, "c", &mut wh, a);
        wh.join(" AND ")
    };
    let mut a: Vec<Arg> = Vec::new();
    let wh = filter(&mut a);
    let total = c
        .scalar_i64(
            &format!(
                "SELECT COUNT(*) FROM customers c JOIN customer_classes cc \
                 ON cc.customer_id = c.id WHERE {wh}"
            ),
            a,
        )
        .await?;
    let mut a: Vec<Arg> = args![event, by.map(|u| u.0), super::now()];
    let wh = filter(&mut a);
    let added = c
        .execute(
            &format!(
                "INSERT INTO event_invitations (event_id, customer_id, key_person_id, invited_by, \
                 invited_at, reply) SELECT $1, c.id, NULL, $2, $3, 'pending' FROM customers c \
                 JOIN customer_classes cc ON cc.customer_id = c.id WHERE {wh} \
                 ON CONFLICT DO NOTHING"
            ),
            a,
        )
        .await?;
    tx.commit().await?;
    Ok(InviteReport {
        invited: added,
        already: u64::try_from(total).unwrap_or(0).saturating_sub(added),
    })
}

/// Records a reply and/or the attendance. Attending logs one meeting with the customer (at the
/// event's start, or now if it has not started); "did not attend" takes that meeting back.
pub(crate) async fn change_invitation(
    store: &SqlStore,
    by: Option<UserId>,
    id: i64,
    change: InvitationChange,
) -> StoreResult<Invitation> {
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let inv = load_invitation(&mut c, id).await?;
    let now = super::now();
    if let Some(reply) = change.reply {
        let at = (reply != InvitationReply::Pending).then_some(now);
        c.execute(
            "UPDATE event_invitations SET reply = $1, replied_at = $2 WHERE id = $3",
            args![reply.as_str(), at, id],
        )
        .await?;
    }
    match change.attended {
        Some(true) => {
            let mut interaction = inv.interaction_id;
            if interaction.is_none() {
                let event = load_event(&mut c, inv.event_id, Scope::All).await?;
                let mut notes = event.title.clone();
                if let Some(p) = &event.place {
                    notes.push_str(&format!(" — {p}"));
                }
                interaction = Some(
                    log_interaction(
                        &mut c,
                        by,
                        InteractionInput {
                            customer_id: inv.customer_id,
                            kind: InteractionKind::Meeting,
                            occurred_at: Some(event.starts_at.min(now)),
                            staff_id: by,
                            key_person_id: inv.key_person_id,
                            outcome: Some(format!("attended {}", event.kind.as_str())),
                            notes: Some(notes),
                            follow_up_on: None,
                            follow_up: None,
                        },
                    )
                    .await?,
                );
            }
            c.execute(
                "UPDATE event_invitations SET attended = $1, interaction_id = $2 WHERE id = $3",
                args![true, interaction, id],
            )
            .await?;
        }
        Some(false) => {
            if let Some(i) = inv.interaction_id {
                unlog_interaction(&mut c, by, i).await?;
            }
            c.execute(
                "UPDATE event_invitations SET attended = $1, interaction_id = NULL WHERE id = $2",
                args![false, id],
            )
            .await?;
        }
        None => {}
    }
    let out = load_invitation(&mut c, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Moves a merged customer's invitations and requests to the kept one (an invitation the kept
/// customer already has to the same event is dropped).
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    c.execute(
        "DELETE FROM event_invitations WHERE customer_id = $2 AND EXISTS (SELECT 1 FROM \
         event_invitations k WHERE k.customer_id = $1 AND k.event_id = event_invitations.event_id \
         AND COALESCE(k.key_person_id, 0) = COALESCE(event_invitations.key_person_id, 0))",
        args![keep.0, other.0],
    )
    .await?;
    for table in ["event_invitations", "customer_requests"] {
        c.execute(
            &format!("UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"),
            args![keep.0, other.0],
        )
        .await?;
    }
    Ok(())
}
