//! Complaints (METHOD §4): SQL shared by SQLite and PostgreSQL. See [`crate::complaints`].
//!
//! Every write runs in one transaction that also appends to `complaint_events`, so the history
//! of who did what and when cannot miss a change. A complaint whose customer lies outside the
//! caller's scope is not found.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use super::records as r;
use super::touch::{check_key_person, log_interaction};
use super::SqlStore;
use crate::complaints::{
    Compensation, CompensationInput, Complaint, ComplaintChange, ComplaintCounts, ComplaintDetail,
    ComplaintEvent, ComplaintInput, ComplaintQuery, PromiseInput, StatusInput, StepInput,
    StepRecord,
};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::complaint::{
    is_overdue, reply_due_at, Cause, CompensationKind, ComplaintSettings, Limit, PromiseOutcome,
    Status, Step, MAX_SUMMARY,
};
use patron_core::contact::{ContactSettings, ItemKey, ItemKind, Obligation, Why};
use patron_core::promotion::Word;
use patron_core::validation::{clean_text, required_text, MAX_TEXT};
use patron_core::{
    CustomerId, InteractionInput, InteractionKind, KeyPersonId, Scope, User, UserId,
    ValidationErrors,
};

fn word<W: Word>(what: &str, s: &str) -> StoreResult<W> {
    W::parse(s).ok_or_else(|| {
        StoreError::other(
            format!("reading a stored complaint's {what}"),
            std::io::Error::other(format!("unknown value {s}")),
        )
    })
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ComplaintRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    key_person_id: Option<i64>,
    key_person_name: Option<String>,
    order_id: Option<i64>,
    channel: String,
    cause: String,
    summary: String,
    details: Option<String>,
    status: String,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    manager_id: Option<i64>,
    manager_name: Option<String>,
    recorded_by: Option<i64>,
    recorded_by_name: Option<String>,
    recorded_at: DateTime<Utc>,
    reply_due_at: DateTime<Utc>,
    first_reply_at: Option<DateTime<Utc>>,
    first_reply_by: Option<i64>,
    promise: Option<String>,
    promise_due: Option<NaiveDate>,
    promise_outcome: Option<String>,
    closed_at: Option<DateTime<Utc>>,
    steps_done: i64,
    updated_at: DateTime<Utc>,
}

impl ComplaintRow {
    fn into_complaint(self, now: DateTime<Utc>) -> StoreResult<Complaint> {
        let overdue = is_overdue(self.reply_due_at, self.first_reply_at, now);
        let (escalated_to, escalated_to_name) = if overdue {
            (self.manager_id.map(UserId), self.manager_name)
        } else {
            (None, None)
        };
        Ok(Complaint {
            id: self.id,
            customer_id: CustomerId(self.customer_id),
            customer_name: self.customer_name,
            key_person_id: self.key_person_id.map(KeyPersonId),
            key_person_name: self.key_person_name,
            order_id: self.order_id,
            channel: word("channel", &self.channel)?,
            cause: word("cause", &self.cause)?,
            summary: self.summary,
            details: self.details,
            status: word("status", &self.status)?,
            owner_id: self.owner_id.map(UserId),
            owner_name: self.owner_name,
            recorded_by: self.recorded_by.map(UserId),
            recorded_by_name: self.recorded_by_name,
            recorded_at: self.recorded_at,
            reply_due_at: self.reply_due_at,
            replied_late: self.first_reply_at.is_some_and(|t| t > self.reply_due_at),
            first_reply_at: self.first_reply_at,
            first_reply_by: self.first_reply_by.map(UserId),
            overdue,
            escalated_to,
            escalated_to_name,
            promise: self.promise,
            promise_due: self.promise_due,
            promise_outcome: self
                .promise_outcome
                .as_deref()
                .map(|s| word::<PromiseOutcome>("promise outcome", s))
                .transpose()?,
            closed_at: self.closed_at,
            steps_done: self.steps_done,
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str = "SELECT x.id, x.customer_id, c.name AS customer_name, x.key_person_id, \
     k.name AS key_person_name, x.order_id, x.channel, x.cause, x.summary, x.details, x.status, \
     x.owner_id, uo.name AS owner_name, um.id AS manager_id, um.name AS manager_name, \
     x.recorded_by, ur.name AS recorded_by_name, x.recorded_at, x.reply_due_at, \
     x.first_reply_at, x.first_reply_by, x.promise, x.promise_due, x.promise_outcome, \
     x.closed_at, (SELECT COUNT(*) FROM complaint_steps s WHERE s.complaint_id = x.id) \
     AS steps_done, x.updated_at \
     FROM complaints x JOIN customers c ON c.id = x.customer_id \
     LEFT JOIN key_persons k ON k.id = x.key_person_id \
     LEFT JOIN users uo ON uo.id = x.owner_id \
     LEFT JOIN users um ON um.id = uo.manager_id AND um.active \
     LEFT JOIN users ur ON ur.id = x.recorded_by";

/// The complaint if its customer is inside `scope`.
async fn load(
    c: &mut Conn<'_>,
    scope: Scope,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<Complaint> {
    let mut a: Vec<Arg> = args![id];
    let mut wh = vec!["x.id = $1".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let row: Option<ComplaintRow> = c
        .fetch_optional(&format!("{SELECT} WHERE {}", wh.join(" AND ")), a)
        .await?;
    row.ok_or_else(|| StoreError::not_found("complaint", id))?
        .into_complaint(now)
}

/// The complaint, unless it is closed: a closed complaint's record stands as it was closed
/// (a conflict naming `field`; the customer gets a new complaint instead).
async fn load_open(
    c: &mut Conn<'_>,
    scope: Scope,
    id: i64,
    now: DateTime<Utc>,
    field: Option<&str>,
) -> StoreResult<Complaint> {
    let cur = load(c, scope, id, now).await?;
    if cur.status.is_closed() {
        return Err(StoreError::conflict(
            field,
            "a closed complaint cannot be changed; record a new complaint for the customer",
        ));
    }
    Ok(cur)
}

async fn detail(
    c: &mut Conn<'_>,
    scope: Scope,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let complaint = load(c, scope, id, now).await?;
    #[allow(clippy::type_complexity)]
    let done: Vec<(
        String,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
        Option<String>,
    )> = c
        .fetch_all(
            "SELECT s.step, s.done_by, u.name, s.done_at, s.note FROM complaint_steps s \
             LEFT JOIN users u ON u.id = s.done_by WHERE s.complaint_id = $1",
            args![id],
        )
        .await?;
    let steps = Step::ALL
        .iter()
        .map(|&step| match done.iter().find(|d| d.0 == step.as_str()) {
            Some((_, by, name, at, note)) => StepRecord {
                step,
                done: true,
                done_by: by.map(UserId),
                done_by_name: name.clone(),
                done_at: Some(*at),
                note: note.clone(),
            },
            None => StepRecord {
                step,
                done: false,
                done_by: None,
                done_by_name: None,
                done_at: None,
                note: None,
            },
        })
        .collect();
    #[allow(clippy::type_complexity)]
    let comps: Vec<(
        i64,
        String,
        i64,
        String,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
        Option<String>,
    )> = c
        .fetch_all(
            "SELECT p.id, p.kind, p.amount_minor, p.currency, p.approved_by, u.name, \
             p.approved_at, p.note FROM complaint_compensations p \
             LEFT JOIN users u ON u.id = p.approved_by WHERE p.complaint_id = $1 ORDER BY p.id",
            args![id],
        )
        .await?;
    let compensations = comps
        .into_iter()
        .map(|(id, kind, amount_minor, currency, by, name, at, note)| {
            Ok(Compensation {
                id,
                kind: word::<CompensationKind>("compensation kind", &kind)?,
                amount_minor,
                currency,
                approved_by: by.map(UserId),
                approved_by_name: name,
                approved_at: at,
                note,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    #[allow(clippy::type_complexity)]
    let events: Vec<(
        DateTime<Utc>,
        Option<i64>,
        Option<String>,
        String,
        Option<String>,
    )> = c
        .fetch_all(
            "SELECT e.at, e.user_id, u.name, e.action, e.detail FROM complaint_events e \
             LEFT JOIN users u ON u.id = e.user_id WHERE e.complaint_id = $1 ORDER BY e.id",
            args![id],
        )
        .await?;
    let events = events
        .into_iter()
        .map(|(at, user, name, action, detail)| ComplaintEvent {
            at,
            user_id: user.map(UserId),
            user_name: name,
            action,
            detail,
        })
        .collect();
    Ok(ComplaintDetail {
        complaint,
        steps,
        compensations,
        events,
    })
}

async fn event(
    c: &mut Conn<'_>,
    id: i64,
    by: Option<UserId>,
    now: DateTime<Utc>,
    action: &str,
    detail: Option<String>,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO complaint_events (complaint_id, at, user_id, action, detail) \
         VALUES ($1, $2, $3, $4, $5)",
        args![id, now, by.map(|u| u.0), action, detail],
    )
    .await?;
    c.execute(
        "UPDATE complaints SET updated_at = $1 WHERE id = $2",
        args![now, id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn settings(c: &mut Conn<'_>) -> StoreResult<ComplaintSettings> {
    match r::get_setting(c, crate::complaints::SETTINGS_KEY).await? {
        Some(t) => crate::complaints::parse_settings(&t),
        None => Ok(ComplaintSettings::default()),
    }
}

pub(crate) async fn get(
    store: &SqlStore,
    scope: Scope,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let mut pc = store.acquire().await?;
    detail(&mut pc.conn(), scope, id, now).await
}

/// Waiting for a first reply first (the most overdue on top), then the rest by status (open
/// before closed) and newest first.
pub(crate) async fn list(store: &SqlStore, q: &ComplaintQuery) -> StoreResult<Vec<Complaint>> {
    let now = q.as_of.unwrap_or_else(super::now);
    let mut pc = store.acquire().await?;
    let mut a: Vec<Arg> = Vec::new();
    let mut wh = vec!["1 = 1".to_owned()];
    push_scope(q.scope, "c", &mut wh, &mut a);
    if let Some(cid) = q.customer_id {
        a.push(cid.0.into());
        wh.push(format!("x.customer_id = ${}", a.len()));
    }
    if let Some(u) = q.owner_id {
        a.push(u.0.into());
        wh.push(format!("x.owner_id = ${}", a.len()));
    }
    if let Some(s) = q.status {
        a.push(s.as_str().into());
        wh.push(format!("x.status = ${}", a.len()));
    }
    if let Some(cause) = q.cause {
        a.push(cause.as_str().into());
        wh.push(format!("x.cause = ${}", a.len()));
    }
    if q.open {
        wh.push("x.status <> 'closed'".into());
    }
    if q.overdue {
        a.push(now.into());
        wh.push(format!(
            "x.first_reply_at IS NULL AND x.reply_due_at < ${}",
            a.len()
        ));
    }
    a.push(super::page_limit(q.limit).into());
    let rows: Vec<ComplaintRow> = pc
        .conn()
        .fetch_all(
            &format!(
                "{SELECT} WHERE {} ORDER BY CASE WHEN x.first_reply_at IS NULL THEN 0 ELSE 1 END, \
                 CASE WHEN x.first_reply_at IS NULL THEN x.reply_due_at END, \
                 CASE x.status WHEN 'closed' THEN 1 ELSE 0 END, x.recorded_at DESC, x.id DESC \
                 LIMIT ${}",
                wh.join(" AND "),
                a.len()
            ),
            a,
        )
        .await?;
    rows.into_iter().map(|r| r.into_complaint(now)).collect()
}

/// Counts for the board's tabs, inside `scope`.
pub(crate) async fn counts(
    store: &SqlStore,
    scope: Scope,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintCounts> {
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    let mut a: Vec<Arg> = Vec::new();
    let mut wh = vec!["1 = 1".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let from = "FROM complaints x JOIN customers c ON c.id = x.customer_id";
    let rows: Vec<(String, i64)> = c
        .fetch_all(
            &format!(
                "SELECT x.status, COUNT(*) {from} WHERE {} GROUP BY x.status",
                wh.join(" AND ")
            ),
            a.clone(),
        )
        .await?;
    let by_status = Status::ALL
        .iter()
        .map(|s| {
            let n = rows.iter().find(|r| r.0 == s.as_str()).map_or(0, |r| r.1);
            (*s, n)
        })
        .collect();
    let rows: Vec<(String, i64)> = c
        .fetch_all(
            &format!(
                "SELECT x.cause, COUNT(*) {from} WHERE {} GROUP BY x.cause",
                wh.join(" AND ")
            ),
            a.clone(),
        )
        .await?;
    let by_cause = Cause::ALL
        .iter()
        .map(|s| {
            let n = rows.iter().find(|r| r.0 == s.as_str()).map_or(0, |r| r.1);
            (*s, n)
        })
        .collect();
    a.push(now.into());
    let overdue = c
        .scalar_i64(
            &format!(
                "SELECT COUNT(*) {from} WHERE {} AND x.first_reply_at IS NULL \
                 AND x.reply_due_at < ${}",
                wh.join(" AND "),
                a.len()
            ),
            a,
        )
        .await?;
    Ok(ComplaintCounts {
        by_status,
        by_cause,
        overdue,
    })
}

/// Checks that `u` is an active user who can see `customer`; `field` names the input.
async fn check_handler(
    c: &mut Conn<'_>,
    field: &str,
    u: UserId,
    customer: CustomerId,
) -> StoreResult<()> {
    let Some(user) = r::get_user(c, u).await?.filter(|u| u.active) else {
        return Err(StoreError::invalid(
            field,
            "unknown_reference",
            format!("there is no active user {u}"),
        ));
    };
    if !super::customers::in_scope(c, customer, Scope::of(&user)).await? {
        return Err(StoreError::invalid(
            field,
            "outside_scope",
            format!("{} cannot see this customer", user.name),
        ));
    }
    Ok(())
}

/// Records a complaint as `by`'s at `now` (the reply clock starts then).
pub(crate) async fn create(
    store: &SqlStore,
    by: Option<UserId>,
    scope: Scope,
    input: ComplaintInput,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let mut errs = ValidationErrors::default();
    let summary = errs.take(required_text("summary", Some(&input.summary), MAX_SUMMARY));
    let details = errs
        .take(clean_text("details", input.details.as_deref(), MAX_TEXT))
        .flatten();
    let summary = match (summary, errs.is_empty()) {
        (Some(s), true) => s,
        _ => return Err(errs.into()),
    };
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let mut a: Vec<Arg> = args![input.customer_id.0];
    let mut wh = vec!["c.id = $1".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let holders: Option<(Option<i64>, Option<i64>)> = c
        .fetch_optional(
            &format!(
                "SELECT c.relationship_manager_id, c.owner_id FROM customers c WHERE {}",
                wh.join(" AND ")
            ),
            a,
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
    if let Some(o) = input.order_id {
        let of: Option<(i64,)> = c
            .fetch_optional("SELECT customer_id FROM orders WHERE id = $1", args![o])
            .await?;
        if of.map(|r| r.0) != Some(input.customer_id.0) {
            return Err(StoreError::invalid(
                "order_id",
                "unknown_reference",
                format!("order {o} is not an order of this customer"),
            ));
        }
    }
    let handler = match input.owner_id {
        Some(u) => Some(u),
        None => rm.or(owner).map(UserId).or(by),
    };
    if let Some(u) = handler {
        check_handler(&mut c, "owner_id", u, input.customer_id).await?;
    }
    let hours = settings(&mut c).await?.reply_hours;
    let id = c
        .scalar_i64(
            "INSERT INTO complaints (customer_id, key_person_id, order_id, channel, cause, \
             summary, details, status, owner_id, recorded_by, recorded_at, reply_due_at, \
             updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,'open',$8,$9,$10,$11,$10) RETURNING id",
            args![
                input.customer_id.0,
                input.key_person_id.map(|k| k.0),
                input.order_id,
                input.channel.as_str(),
                input.cause.unwrap_or(Cause::Other).as_str(),
                summary,
                details,
                handler.map(|u| u.0),
                by.map(|u| u.0),
                now,
                reply_due_at(now, hours)
            ],
        )
        .await?;
    event(
        &mut c,
        id,
        by,
        now,
        "recorded",
        Some(input.channel.as_str().to_owned()),
    )
    .await?;
    let out = detail(&mut c, Scope::All, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Changes the cause, the owner or the details.
pub(crate) async fn change(
    store: &SqlStore,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    input: ComplaintChange,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let details = clean_text("details", input.details.as_deref(), MAX_TEXT)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let cur = load_open(&mut c, scope, id, now, None).await?;
    if let Some(cause) = input.cause.filter(|c| *c != cur.cause) {
        c.execute(
            "UPDATE complaints SET cause = $1 WHERE id = $2",
            args![cause.as_str(), id],
        )
        .await?;
        event(
            &mut c,
            id,
            by,
            now,
            "cause",
            Some(cause.as_str().to_owned()),
        )
        .await?;
    }
    if let Some(u) = input.owner_id.filter(|u| Some(*u) != cur.owner_id) {
        check_handler(&mut c, "owner_id", u, cur.customer_id).await?;
        c.execute(
            "UPDATE complaints SET owner_id = $1 WHERE id = $2",
            args![u.0, id],
        )
        .await?;
        let name = r::get_user(&mut c, u).await?.map(|u| u.name);
        event(&mut c, id, by, now, "owner", name).await?;
    }
    if input.details.is_some() && details != cur.details {
        c.execute(
            "UPDATE complaints SET details = $1 WHERE id = $2",
            args![details, id],
        )
        .await?;
        event(&mut c, id, by, now, "details", None).await?;
    }
    let out = detail(&mut c, scope, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Records the first reply (once) as `by`'s at `now`.
async fn first_reply(
    c: &mut Conn<'_>,
    id: i64,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE complaints SET first_reply_at = $1, first_reply_by = $2 \
             WHERE id = $3 AND first_reply_at IS NULL",
            args![now, by.map(|u| u.0), id],
        )
        .await?;
    if n > 0 {
        event(c, id, by, now, "first_reply", None).await?;
    }
    Ok(())
}

async fn done_steps(c: &mut Conn<'_>, id: i64) -> StoreResult<Vec<Step>> {
    let rows: Vec<(String,)> = c
        .fetch_all(
            "SELECT step FROM complaint_steps WHERE complaint_id = $1",
            args![id],
        )
        .await?;
    rows.iter().map(|r| word::<Step>("step", &r.0)).collect()
}

/// Moves the status forward (see [`Status::check_move`]); leaving `open` is the first reply.
pub(crate) async fn move_status(
    store: &SqlStore,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    input: StatusInput,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let note = clean_text("note", input.note.as_deref(), MAX_TEXT)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let cur = load(&mut c, scope, id, now).await?;
    let done = done_steps(&mut c, id).await?;
    cur.status
        .check_move(input.status, &done)
        .map_err(|e| StoreError::conflict(Some("status"), e.to_string()))?;
    first_reply(&mut c, id, by, now).await?;
    let closed_at = input.status.is_closed().then_some(now);
    c.execute(
        "UPDATE complaints SET status = $1, closed_at = $2 WHERE id = $3",
        args![input.status.as_str(), closed_at, id],
    )
    .await?;
    let what = match note {
        Some(n) => format!("{}: {n}", input.status.as_str()),
        None => input.status.as_str().to_owned(),
    };
    event(&mut c, id, by, now, "status", Some(what)).await?;
    let out = detail(&mut c, scope, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Ticks a step as `by`'s (again: replaces who, when and the note).
pub(crate) async fn step(
    store: &SqlStore,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    input: StepInput,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let note = clean_text("note", input.note.as_deref(), MAX_TEXT)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    load_open(&mut c, scope, id, now, Some("step")).await?;
    c.execute(
        "INSERT INTO complaint_steps (complaint_id, step, done_by, done_at, note) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (complaint_id, step) DO UPDATE SET \
         done_by = excluded.done_by, done_at = excluded.done_at, note = excluded.note",
        args![id, input.step.as_str(), by.map(|u| u.0), now, &note],
    )
    .await?;
    // Listening to the customer and apologising is a reply.
    if matches!(input.step, Step::Listen | Step::Apologise) {
        first_reply(&mut c, id, by, now).await?;
    }
    let what = match note {
        Some(n) => format!("{}: {n}", input.step.as_str()),
        None => input.step.as_str().to_owned(),
    };
    event(&mut c, id, by, now, "step", Some(what)).await?;
    let out = detail(&mut c, scope, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Records compensation approved by `by` (`None`: the command line, with the database owner's
/// authority); above the approver's limit it is refused, naming the limit.
pub(crate) async fn compensate(
    store: &SqlStore,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    input: CompensationInput,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let note = clean_text("note", input.note.as_deref(), MAX_TEXT)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    load_open(&mut c, scope, id, now, Some("amount")).await?;
    // The shop's default currency as the rest of the store reads it (the built-in default when
    // unset), so compensation and the limits are in the currency orders are in.
    let default = r::get_setting(&mut c, super::store_impl::DEFAULT_CURRENCY_KEY)
        .await?
        .and_then(|v| patron_core::Currency::parse("currency", &v).ok())
        .unwrap_or_default()
        .as_str()
        .to_owned();
    let currency =
        patron_core::Currency::parse("currency", input.currency.as_deref().unwrap_or(&default))
            .map_err(|e| StoreError::Invalid(e.into()))?;
    let amount = patron_core::parse_amount("amount", &input.amount, &currency)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    if !(0..=patron_core::promotion::MAX_AMOUNT_MINOR).contains(&amount) {
        return Err(StoreError::invalid(
            "amount",
            "out_of_range",
            "compensation must be zero or more and within the largest amount",
        ));
    }
    if let Some(u) = by {
        let user = r::get_user(&mut c, u)
            .await?
            .ok_or_else(|| StoreError::not_found("user", u))?;
        let limit = settings(&mut c).await?.limit_for(user.staff_level);
        let same_currency = currency.as_str() == default;
        let allowed = match limit {
            Limit::Any => true,
            Limit::UpTo(_) if !same_currency => false,
            Limit::UpTo(_) => limit.allows(amount),
        };
        if !allowed {
            let msg = match limit {
                Limit::UpTo(m) if same_currency => format!(
                    "{} may approve compensation up to {}; ask someone with more authority",
                    user.name,
                    patron_core::money::format_minor(m, &currency)
                ),
                _ => format!(
                    "limits are set in {default}; compensation in {} needs someone with no limit",
                    currency.as_str()
                ),
            };
            return Err(StoreError::invalid("amount", "above_limit", msg));
        }
    }
    c.execute(
        "INSERT INTO complaint_compensations (complaint_id, kind, amount_minor, currency, \
         approved_by, approved_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            id,
            input.kind.as_str(),
            amount,
            currency.as_str(),
            by.map(|u| u.0),
            now,
            note
        ],
    )
    .await?;
    event(
        &mut c,
        id,
        by,
        now,
        "compensation",
        Some(format!(
            "{} {} {}",
            input.kind.as_str(),
            patron_core::money::format_minor(amount, &currency),
            currency.as_str()
        )),
    )
    .await?;
    let out = detail(&mut c, scope, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Records the promise made, or whether it was kept.
pub(crate) async fn promise(
    store: &SqlStore,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    input: PromiseInput,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let mut errs = ValidationErrors::default();
    let text = errs.take(required_text("promise", Some(&input.promise), MAX_TEXT));
    errs.take(patron_core::check_date("due", input.due));
    let text = match (text, errs.is_empty()) {
        (Some(t), true) => t,
        _ => return Err(errs.into()),
    };
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let cur = load(&mut c, scope, id, now).await?;
    if cur.status.is_closed() && input.outcome.is_none() {
        return Err(StoreError::conflict(
            Some("promise"),
            "a closed complaint's promise can only be marked kept or broken",
        ));
    }
    c.execute(
        "UPDATE complaints SET promise = $1, promise_due = $2, promise_outcome = $3 WHERE id = $4",
        args![
            &text,
            input.due,
            input.outcome.map(|o| o.as_str().to_owned()),
            id
        ],
    )
    .await?;
    let what = match input.outcome {
        Some(o) => format!("{}: {text}", o.as_str()),
        None => text,
    };
    event(&mut c, id, by, now, "promise", Some(what)).await?;
    let out = detail(&mut c, scope, id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// How much of a complaint's summary the agenda repeats.
const AGENDA_TEXT_CHARS: usize = 120;

/// The agenda items of `user`: every complaint they handle still waiting for its first reply
/// (`complaint_reply`, due on the shop's day its reply hours run out), and every overdue one
/// handled by someone who reports to them (`complaint_escalation`, due the day it became
/// overdue).
pub(crate) async fn obligations(
    c: &mut Conn<'_>,
    user: &User,
    settings: &ContactSettings,
) -> StoreResult<Vec<Obligation>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        i64,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        String,
        i64,
        String,
    )> = c
        .fetch_all(
            "SELECT x.id, x.customer_id, c.name, x.recorded_at, x.reply_due_at, x.summary, \
             CAST(CASE WHEN x.owner_id = $1 THEN 0 ELSE 1 END AS BIGINT), COALESCE(u.name, '') \
             FROM complaints x JOIN customers c ON c.id = x.customer_id \
             LEFT JOIN users u ON u.id = x.owner_id \
             WHERE x.first_reply_at IS NULL AND (x.owner_id = $1 OR (u.manager_id = $1 \
             AND x.reply_due_at < $2)) ORDER BY x.reply_due_at, x.id",
            args![user.id.0, super::now()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, cid, name, recorded_at, due_at, summary, escalated, owner)| {
                let due = settings.local_day(due_at);
                let mut what: String = summary.chars().take(AGENDA_TEXT_CHARS).collect();
                if summary.chars().count() > AGENDA_TEXT_CHARS {
                    what.push('…');
                }
                let escalated = escalated == 1;
                Obligation {
                    kind: if escalated {
                        ItemKind::ComplaintEscalation
                    } else {
                        ItemKind::ComplaintReply
                    },
                    subject: id,
                    key_date: None,
                    customer_id: CustomerId(cid),
                    customer_name: name,
                    due,
                    latest: due,
                    why: Why::Complaint {
                        complaint_id: id,
                        recorded_at,
                        reply_due_at: due_at,
                        what,
                        escalated_from: escalated.then_some(owner),
                    },
                    visible_from: None,
                }
            },
        )
        .collect())
}

/// "Done" on a complaint's agenda item is its first reply, given by `user` now, with the
/// logged interaction's notes in the history.
pub(crate) async fn agenda_done(
    c: &mut Conn<'_>,
    user: &User,
    key: &ItemKey,
    interaction: Option<i64>,
    _today: NaiveDate,
) -> StoreResult<()> {
    if !matches!(
        key.kind,
        ItemKind::ComplaintReply | ItemKind::ComplaintEscalation
    ) {
        return Ok(());
    }
    let now = super::now();
    first_reply(c, key.subject, Some(user.id), now).await?;
    let status: Option<(String,)> = c
        .fetch_optional(
            "SELECT status FROM complaints WHERE id = $1",
            args![key.subject],
        )
        .await?;
    if status.is_some_and(|s| s.0 == Status::Open.as_str()) {
        c.execute(
            "UPDATE complaints SET status = 'acknowledged' WHERE id = $1",
            args![key.subject],
        )
        .await?;
        let note = match interaction {
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
        let what = match note {
            Some(n) => format!("acknowledged: {n}"),
            None => "acknowledged".to_owned(),
        };
        event(c, key.subject, Some(user.id), now, "status", Some(what)).await?;
    }
    Ok(())
}

/// Logs a reply to the customer as an interaction and records it as the first reply.
pub(crate) async fn reply(
    store: &SqlStore,
    by: UserId,
    scope: Scope,
    id: i64,
    text: &str,
    kind: Option<InteractionKind>,
    now: DateTime<Utc>,
) -> StoreResult<ComplaintDetail> {
    let text =
        required_text("text", Some(text), MAX_TEXT).map_err(|e| StoreError::Invalid(e.into()))?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let cur = load(&mut c, scope, id, now).await?;
    log_interaction(
        &mut c,
        Some(by),
        InteractionInput {
            customer_id: cur.customer_id,
            kind: kind.unwrap_or(InteractionKind::Call),
            occurred_at: None,
            staff_id: Some(by),
            key_person_id: cur.key_person_id,
            outcome: Some(format!("reply to complaint #{id}")),
            notes: Some(text.clone()),
            follow_up_on: None,
            follow_up: None,
        },
    )
    .await?;
    first_reply(&mut c, id, Some(by), now).await?;
    if cur.status == Status::Open {
        c.execute(
            "UPDATE complaints SET status = 'acknowledged' WHERE id = $1",
            args![id],
        )
        .await?;
    }
    event(&mut c, id, Some(by), now, "reply", Some(text)).await?;
    let out = detail(&mut c, scope, id, now).await?;
    tx.commit().await?;
    Ok(out)
}
