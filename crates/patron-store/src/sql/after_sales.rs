//! Deliveries and installations (METHOD §6; see [`crate::after_sales`]): SQL shared by SQLite and
//! PostgreSQL, and the jobs' part of the agenda.
//!
//! The agenda gets two kinds of items from here, on the agenda of the person a job is assigned
//! to (or, when nobody is, the customer's owner):
//! * `delivery` / `installation` (subject: the job, key date: the promised day) while the job is
//!   open: under "later" from [`NOTICE_DAYS`] before, due on the promised day, overdue after it.
//!   The key carries the day, so a job marked late with a new time is a new item (a snooze or
//!   dismissal of the missed promise does not hide the new one). "Done" marks the job done today
//!   and links the interaction the agenda logged.
//! * `after_sales_call` (subject: the job) once the job is done and until the call is recorded:
//!   due [`AFTER_SALES_CALL_FROM_DAYS`] after, late after [`AFTER_SALES_CALL_WITHIN_DAYS`], gone
//!   after [`AFTER_SALES_CALL_KEEP_DAYS`]. "Done" records the call with the logged interaction.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use super::records as r;
use crate::after_sales::*;
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Days, NaiveDate, Utc};
use patron_core::contact::ContactSettings;
use patron_core::contact::{ItemKey, ItemKind, Obligation, Why};
use patron_core::{
    CustomerId, FieldError, InteractionInput, InteractionKind, Scope, User, UserId,
    ValidationErrors,
};

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored service job: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct JobRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    order_id: Option<i64>,
    order_date: Option<NaiveDate>,
    order_ref: Option<String>,
    kind: String,
    status: String,
    promised_on: NaiveDate,
    window_from: Option<String>,
    window_to: Option<String>,
    address: Option<String>,
    notes: Option<String>,
    assigned_to: Option<i64>,
    assigned_name: Option<String>,
    notified_at: Option<DateTime<Utc>>,
    notified_by: Option<i64>,
    done_on: Option<NaiveDate>,
    done_at: Option<DateTime<Utc>>,
    done_by: Option<i64>,
    done_interaction_id: Option<i64>,
    late_reason: Option<String>,
    times_late: i64,
    cancel_reason: Option<String>,
    cancelled_at: Option<DateTime<Utc>>,
    after_sales_call_at: Option<DateTime<Utc>>,
    after_sales_call_by: Option<i64>,
    after_sales_interaction_id: Option<i64>,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for ServiceJob {
    type Error = StoreError;
    fn try_from(r: JobRow) -> StoreResult<Self> {
        Ok(ServiceJob {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            customer_name: r.customer_name,
            order_id: r.order_id,
            order_date: r.order_date,
            order_ref: r.order_ref,
            kind: ServiceKind::parse(&r.kind).ok_or_else(|| bad_row("kind", &r.kind))?,
            status: ServiceStatus::parse(&r.status).ok_or_else(|| bad_row("status", &r.status))?,
            promised_on: r.promised_on,
            window_from: r.window_from,
            window_to: r.window_to,
            address: r.address,
            notes: r.notes,
            assigned_to: r.assigned_to.map(UserId),
            assigned_name: r.assigned_name,
            notified_at: r.notified_at,
            notified_by: r.notified_by.map(UserId),
            done_on: r.done_on,
            done_at: r.done_at,
            done_by: r.done_by.map(UserId),
            done_interaction_id: r.done_interaction_id,
            late_reason: r.late_reason,
            times_late: r.times_late,
            cancel_reason: r.cancel_reason,
            cancelled_at: r.cancelled_at,
            after_sales_call_due: r.done_on.map(|d| d + Days::new(AFTER_SALES_CALL_FROM_DAYS)),
            after_sales_call_at: r.after_sales_call_at,
            after_sales_call_by: r.after_sales_call_by.map(UserId),
            after_sales_interaction_id: r.after_sales_interaction_id,
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
            updated_at: r.updated_at,
            changes: Vec::new(),
        })
    }
}

const COLS: &str = "j.id, j.customer_id, c.name AS customer_name, j.order_id, o.order_date, \
     o.order_ref, j.kind, j.status, j.promised_on, j.window_from, j.window_to, j.address, \
     j.notes, j.assigned_to, u.name AS assigned_name, j.notified_at, j.notified_by, j.done_on, \
     j.done_at, j.done_by, j.done_interaction_id, j.late_reason, \
     (SELECT COUNT(*) FROM service_job_changes x WHERE x.job_id = j.id \
      AND x.change_kind = 'late') AS times_late, \
     j.cancel_reason, j.cancelled_at, j.after_sales_call_at, j.after_sales_call_by, \
     j.after_sales_interaction_id, j.created_by, j.created_at, j.updated_at";
const FROM: &str = "service_jobs j JOIN customers c ON c.id = j.customer_id \
     LEFT JOIN orders o ON o.id = j.order_id LEFT JOIN users u ON u.id = j.assigned_to";

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ChangeRow {
    id: i64,
    job_id: i64,
    change_kind: String,
    old_promised_on: NaiveDate,
    old_window_from: Option<String>,
    old_window_to: Option<String>,
    old_notified_at: Option<DateTime<Utc>>,
    new_promised_on: NaiveDate,
    new_window_from: Option<String>,
    new_window_to: Option<String>,
    reason: Option<String>,
    changed_by: Option<i64>,
    changed_by_name: Option<String>,
    changed_at: DateTime<Utc>,
}

impl From<ChangeRow> for ServiceJobChange {
    fn from(r: ChangeRow) -> Self {
        ServiceJobChange {
            id: r.id,
            change: r.change_kind,
            old_promised_on: r.old_promised_on,
            old_window: window_text(r.old_window_from.as_deref(), r.old_window_to.as_deref()),
            old_notified_at: r.old_notified_at,
            new_promised_on: r.new_promised_on,
            new_window: window_text(r.new_window_from.as_deref(), r.new_window_to.as_deref()),
            reason: r.reason,
            changed_by: r.changed_by.map(UserId),
            changed_by_name: r.changed_by_name,
            changed_at: r.changed_at,
        }
    }
}

/// Fills in the promise history of `jobs` (one query).
async fn with_changes(c: &mut Conn<'_>, mut jobs: Vec<ServiceJob>) -> StoreResult<Vec<ServiceJob>> {
    if jobs.is_empty() {
        return Ok(jobs);
    }
    let a: Vec<Arg> = jobs.iter().map(|j| Arg::from(j.id)).collect();
    let marks: Vec<String> = (1..=a.len()).map(|n| format!("${n}")).collect();
    let rows: Vec<ChangeRow> = c
        .fetch_all(
            &format!(
                "SELECT x.id, x.job_id, x.change_kind, x.old_promised_on, x.old_window_from, \
                 x.old_window_to, x.old_notified_at, x.new_promised_on, x.new_window_from, \
                 x.new_window_to, x.reason, x.changed_by, u.name AS changed_by_name, x.changed_at \
                 FROM service_job_changes x LEFT JOIN users u ON u.id = x.changed_by \
                 WHERE x.job_id IN ({}) ORDER BY x.job_id, x.id",
                marks.join(", ")
            ),
            a,
        )
        .await?;
    for row in rows {
        if let Some(j) = jobs.iter_mut().find(|j| j.id == row.job_id) {
            j.changes.push(row.into());
        }
    }
    Ok(jobs)
}

/// One job with its history, whatever the scope.
async fn load(c: &mut Conn<'_>, id: i64) -> StoreResult<Option<ServiceJob>> {
    let row: Option<JobRow> = c
        .fetch_optional(
            &format!("SELECT {COLS} FROM {FROM} WHERE j.id = $1"),
            args![id],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let job: ServiceJob = row.try_into()?;
    Ok(with_changes(c, vec![job]).await?.pop())
}

/// One job whose customer lies in `scope` (outside it: not found, like a missing one).
pub(crate) async fn get(c: &mut Conn<'_>, scope: Scope, id: i64) -> StoreResult<ServiceJob> {
    let job = load(c, id)
        .await?
        .ok_or_else(|| StoreError::not_found("service job", id))?;
    if !super::customers::in_scope(c, job.customer_id, scope).await? {
        return Err(StoreError::not_found("service job", id));
    }
    Ok(job)
}

/// The jobs `q` asks for, in promised order (earliest first unless `newest_first`).
pub(crate) async fn list(c: &mut Conn<'_>, q: &ServiceJobQuery) -> StoreResult<Vec<ServiceJob>> {
    let mut wh: Vec<String> = Vec::new();
    let mut a: Vec<Arg> = Vec::new();
    push_scope(q.scope, "c", &mut wh, &mut a);
    if let Some(cid) = q.customer_id {
        a.push(cid.0.into());
        wh.push(format!("j.customer_id = ${}", a.len()));
    }
    if let Some(o) = q.order_id {
        a.push(o.into());
        wh.push(format!("j.order_id = ${}", a.len()));
    }
    if !q.statuses.is_empty() {
        // The statuses are the enum's own words, never user text.
        let list: Vec<String> = q
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        wh.push(format!("j.status IN ({})", list.join(", ")));
    }
    if let Some(k) = q.kind {
        a.push(k.as_str().into());
        wh.push(format!("j.kind = ${}", a.len()));
    }
    if let Some(u) = q.assigned_to {
        a.push(u.0.into());
        wh.push(format!("j.assigned_to = ${}", a.len()));
    }
    if let Some(d) = q.from {
        a.push(d.into());
        wh.push(format!("j.promised_on >= ${}", a.len()));
    }
    if let Some(d) = q.to {
        a.push(d.into());
        wh.push(format!("j.promised_on <= ${}", a.len()));
    }
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    // COALESCE: the two databases sort NULLs at opposite ends.
    let dir = if q.newest_first { "DESC" } else { "ASC" };
    let limit = i64::from(q.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST));
    let rows: Vec<JobRow> = c
        .fetch_all(
            &format!(
                "SELECT {COLS} FROM {FROM}{filter} ORDER BY j.promised_on {dir}, \
                 COALESCE(j.window_from, '') {dir}, j.id {dir} LIMIT {limit}"
            ),
            a,
        )
        .await?;
    let jobs = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<Vec<ServiceJob>>>()?;
    with_changes(c, jobs).await
}

/// The checks against other records: the customer in the caller's scope, the order (the
/// customer's, not after the promise), the person assigned (active, able to see the customer;
/// default the customer's owner, else its relationship manager, else `by`; `unchanged`: the
/// job's current assignee, not checked again).
async fn check_refs(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    scope: Scope,
    input: &ServiceJobInput,
    promised: &[(&str, NaiveDate)],
    unchanged: Option<UserId>,
) -> StoreResult<Option<UserId>> {
    if !super::customers::in_scope(c, input.customer_id, scope).await? {
        return Err(StoreError::not_found("customer", input.customer_id));
    }
    let mut errs = ValidationErrors::default();
    if let Some(o) = input.order_id {
        let row: Option<(i64, NaiveDate)> = c
            .fetch_optional(
                "SELECT customer_id, order_date FROM orders WHERE id = $1",
                args![o],
            )
            .await?;
        match row {
            None => errs.push(FieldError::new(
                "order_id",
                "unknown_reference",
                "there is no order with this id",
            )),
            Some((cid, _)) if cid != input.customer_id.0 => errs.push(FieldError::new(
                "order_id",
                "other_customer",
                "the order is another customer's",
            )),
            Some((_, day)) => {
                for (field, d) in promised {
                    if *d < day {
                        errs.push(FieldError::new(
                            field,
                            "before_order",
                            format!("the order is of {day}: the job cannot be promised earlier"),
                        ));
                    }
                }
            }
        }
    }
    let assigned = match input.assigned_to {
        // An unchanged assignment is not checked again (the person may have moved on since).
        Some(u) if Some(u) == unchanged => Some(u),
        Some(u) => match r::get_user(c, u).await? {
            Some(user) if !user.active => {
                errs.push(FieldError::new(
                    "assigned_to",
                    "inactive_user",
                    "this person is deactivated",
                ));
                None
            }
            Some(user) => {
                if !may_do(c, input.customer_id, &user).await? {
                    errs.push(FieldError::new(
                        "assigned_to",
                        "cannot_see_customer",
                        format!("{} cannot see this customer", user.name),
                    ));
                }
                Some(u)
            }
            None => {
                errs.push(FieldError::new(
                    "assigned_to",
                    "unknown_user",
                    "there is no user with this id",
                ));
                None
            }
        },
        None => {
            // The first of owner, relationship manager and recorder who is active and can see
            // the customer; nobody (the owner's agenda, once there is one) otherwise.
            let row: Option<(Option<i64>, Option<i64>)> = c
                .fetch_optional(
                    "SELECT c.owner_id, c.relationship_manager_id FROM customers c \
                     WHERE c.id = $1",
                    args![input.customer_id.0],
                )
                .await?;
            let (owner, manager) = row.unwrap_or_default();
            let mut chosen = None;
            for u in [owner.map(UserId), manager.map(UserId), by]
                .into_iter()
                .flatten()
            {
                if let Some(user) = r::get_user(c, u).await? {
                    if user.active && may_do(c, input.customer_id, &user).await? {
                        chosen = Some(u);
                        break;
                    }
                }
            }
            chosen
        }
    };
    errs.into_result(assigned).map_err(StoreError::Invalid)
}

/// Whether `user` can see (and so do on their agenda) a job of `customer`.
async fn may_do(c: &mut Conn<'_>, customer: CustomerId, user: &User) -> StoreResult<bool> {
    super::customers::in_scope(c, customer, Scope::of(user)).await
}

/// Records a job.
pub(crate) async fn create(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    scope: Scope,
    input: ServiceJobInput,
) -> StoreResult<ServiceJob> {
    let v = check_input(&input)?;
    let assigned = check_refs(
        c,
        by,
        scope,
        &input,
        &[("promised_on", input.promised_on)],
        None,
    )
    .await?;
    let (wf, wt) = v.window.unzip();
    let now = super::now();
    let id = c
        .scalar_i64(
            "INSERT INTO service_jobs (customer_id, order_id, kind, promised_on, window_from, \
             window_to, address, notes, assigned_to, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned', $10, $11, $11) RETURNING id",
            args![
                input.customer_id.0,
                input.order_id,
                input.kind.as_str(),
                input.promised_on,
                wf,
                wt,
                v.address,
                v.notes,
                assigned.map(|u| u.0),
                by.map(|u| u.0),
                now
            ],
        )
        .await?;
    get(c, Scope::All, id).await
}

/// Replaces a job's fields. A changed promise (day or window) is kept in the history as
/// `moved` and must be told to the customer again; a closed job's promise cannot change.
pub(crate) async fn update(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    input: ServiceJobInput,
) -> StoreResult<ServiceJob> {
    let cur = get(c, scope, id).await?;
    if input.customer_id != cur.customer_id {
        return Err(StoreError::invalid(
            "customer_id",
            "cannot_change",
            "a job stays with its customer (record a new one for another customer)",
        ));
    }
    let v = check_input(&input)?;
    let (wf, wt) = v.window.clone().unzip();
    let moved =
        input.promised_on != cur.promised_on || wf != cur.window_from || wt != cur.window_to;
    if (moved || input.kind != cur.kind) && !cur.status.is_open() {
        return Err(wrong_status(cur.status, "rescheduled"));
    }
    // Only a new day is checked against the order (an old promise before a corrected order
    // date stays editable otherwise).
    let promised: Vec<(&str, NaiveDate)> =
        if input.promised_on != cur.promised_on || input.order_id != cur.order_id {
            vec![("promised_on", input.promised_on)]
        } else {
            Vec::new()
        };
    let assigned = check_refs(c, by, scope, &input, &promised, cur.assigned_to).await?;
    let now = super::now();
    if moved {
        c.execute(
            "INSERT INTO service_job_changes (job_id, customer_id, change_kind, old_promised_on, \
             old_window_from, old_window_to, old_notified_at, new_promised_on, new_window_from, \
             new_window_to, reason, changed_by, changed_at) \
             VALUES ($1, $2, 'moved', $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11)",
            args![
                id,
                cur.customer_id.0,
                cur.promised_on,
                cur.window_from.clone(),
                cur.window_to.clone(),
                cur.notified_at,
                input.promised_on,
                wf.clone(),
                wt.clone(),
                by.map(|u| u.0),
                now
            ],
        )
        .await?;
        c.execute(
            "UPDATE service_jobs SET notified_at = NULL, notified_by = NULL WHERE id = $1",
            args![id],
        )
        .await?;
    }
    c.execute(
        "UPDATE service_jobs SET order_id = $2, kind = $3, promised_on = $4, window_from = $5, \
         window_to = $6, address = $7, notes = $8, assigned_to = $9, updated_at = $10 \
         WHERE id = $1",
        args![
            id,
            input.order_id,
            input.kind.as_str(),
            input.promised_on,
            wf,
            wt,
            v.address,
            v.notes,
            assigned.map(|u| u.0),
            now
        ],
    )
    .await?;
    get(c, Scope::All, id).await
}

/// Does `action` about a job (see [`ServiceJobAction`]).
pub(crate) async fn act(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    scope: Scope,
    id: i64,
    action: ServiceJobAction,
    today: NaiveDate,
) -> StoreResult<ServiceJob> {
    let cur = get(c, scope, id).await?;
    let now = super::now();
    let by_id = by.map(|u| u.0);
    match action {
        ServiceJobAction::Notified => {
            if !cur.status.is_open() {
                return Err(wrong_status(cur.status, "notified"));
            }
            c.execute(
                "UPDATE service_jobs SET notified_at = $2, notified_by = $3, updated_at = $2 \
                 WHERE id = $1",
                args![id, now, by_id],
            )
            .await?;
        }
        ServiceJobAction::Done { done_on } => {
            if !cur.status.is_open() {
                return Err(wrong_status(cur.status, "marked done"));
            }
            let day = done_on.unwrap_or(today);
            let mut errs = ValidationErrors::default();
            check_year("done_on", day, &mut errs);
            if day > today {
                errs.push(FieldError::new(
                    "done_on",
                    "in_future",
                    "a job cannot be done after today",
                ));
            }
            if cur.order_date.is_some_and(|o| day < o) {
                errs.push(FieldError::new(
                    "done_on",
                    "before_order",
                    "a job cannot be done before its order",
                ));
            }
            if !errs.is_empty() {
                return Err(StoreError::Invalid(errs));
            }
            mark_done(c, id, day, now, by_id, None).await?;
        }
        ServiceJobAction::Late {
            reason,
            promised_on,
            window_from,
            window_to,
        } => {
            if !cur.status.is_open() {
                return Err(wrong_status(cur.status, "late"));
            }
            let mut errs = ValidationErrors::default();
            let reason = text("reason", Some(&reason), MAX_REASON, &mut errs);
            if reason.is_none() {
                errs.push(FieldError::new(
                    "reason",
                    "required",
                    "say why the promise was not kept (the customer is told)",
                ));
            }
            check_year("promised_on", promised_on, &mut errs);
            if promised_on < today {
                errs.push(FieldError::new(
                    "promised_on",
                    "before_today",
                    "the newly agreed day cannot be in the past",
                ));
            } else if cur.order_date.is_some_and(|o| promised_on < o) {
                errs.push(FieldError::new(
                    "promised_on",
                    "before_order",
                    "the job cannot be promised before its order",
                ));
            }
            let window = match check_window(window_from.as_deref(), window_to.as_deref(), "") {
                Ok(w) => w,
                Err(e) => {
                    errs.0.extend(e.0);
                    None
                }
            };
            if !errs.is_empty() {
                return Err(StoreError::Invalid(errs));
            }
            let (wf, wt) = window.unzip();
            c.execute(
                "INSERT INTO service_job_changes (job_id, customer_id, change_kind, \
                 old_promised_on, old_window_from, old_window_to, old_notified_at, \
                 new_promised_on, new_window_from, new_window_to, reason, changed_by, changed_at) \
                 VALUES ($1, $2, 'late', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                args![
                    id,
                    cur.customer_id.0,
                    cur.promised_on,
                    cur.window_from.clone(),
                    cur.window_to.clone(),
                    cur.notified_at,
                    promised_on,
                    wf.clone(),
                    wt.clone(),
                    reason.clone(),
                    by_id,
                    now
                ],
            )
            .await?;
            // The new time is a new promise: the customer is told again before it.
            c.execute(
                "UPDATE service_jobs SET status = 'late', promised_on = $2, window_from = $3, \
                 window_to = $4, late_reason = $5, notified_at = NULL, notified_by = NULL, \
                 updated_at = $6 WHERE id = $1",
                args![id, promised_on, wf, wt, reason, now],
            )
            .await?;
        }
        ServiceJobAction::Cancel { reason } => {
            if !cur.status.is_open() {
                return Err(wrong_status(cur.status, "cancelled"));
            }
            let mut errs = ValidationErrors::default();
            let reason = text("reason", reason.as_deref(), MAX_REASON, &mut errs);
            if !errs.is_empty() {
                return Err(StoreError::Invalid(errs));
            }
            c.execute(
                "UPDATE service_jobs SET status = 'cancelled', cancel_reason = $2, \
                 cancelled_at = $3, updated_at = $3 WHERE id = $1",
                args![id, reason, now],
            )
            .await?;
        }
        ServiceJobAction::AfterSalesCall { outcome, notes } => {
            if cur.status != ServiceStatus::Done {
                return Err(wrong_status(cur.status, "followed up by a call yet"));
            }
            if cur.after_sales_call_at.is_some() {
                return Err(StoreError::conflict(
                    Some("after_sales_call_at"),
                    "the after-sales call of this job is already recorded",
                ));
            }
            let input = InteractionInput {
                customer_id: cur.customer_id,
                kind: InteractionKind::Call,
                occurred_at: None,
                staff_id: by,
                key_person_id: None,
                outcome,
                notes,
                follow_up_on: None,
                follow_up: None,
            }
            .validate(now)?;
            r::check_interaction(c, &input).await?;
            let iid = r::insert_interaction(c, &input).await?;
            let logged = r::get_interaction(c, iid).await?;
            super::audit::record(
                c,
                by,
                crate::accounts::AuditEntity::Interaction,
                iid.0,
                logged.customer_id,
                "create",
                None,
                Some(&logged),
            )
            .await?;
            record_call(c, id, now, by_id, Some(iid.0)).await?;
        }
    }
    get(c, Scope::All, id).await
}

async fn mark_done(
    c: &mut Conn<'_>,
    id: i64,
    day: NaiveDate,
    now: DateTime<Utc>,
    by: Option<i64>,
    interaction: Option<i64>,
) -> StoreResult<()> {
    c.execute(
        "UPDATE service_jobs SET status = 'done', done_on = $2, done_at = $3, done_by = $4, \
         done_interaction_id = $5, updated_at = $3 WHERE id = $1",
        args![id, day, now, by, interaction],
    )
    .await?;
    Ok(())
}

async fn record_call(
    c: &mut Conn<'_>,
    id: i64,
    now: DateTime<Utc>,
    by: Option<i64>,
    interaction: Option<i64>,
) -> StoreResult<()> {
    c.execute(
        "UPDATE service_jobs SET after_sales_call_at = $2, after_sales_call_by = $3, \
         after_sales_interaction_id = $4, updated_at = $2 WHERE id = $1",
        args![id, now, by, interaction],
    )
    .await?;
    Ok(())
}

/// Whose agenda a job is on: the person assigned, or the customer's owner when nobody is.
fn mine(n: usize) -> String {
    format!("(j.assigned_to = ${n} OR (j.assigned_to IS NULL AND c.owner_id = ${n}))")
}

/// Rows as read for the agenda: job, customer, customer name, kind, order, promised day,
/// window, notified, done day.
type DueRow = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    NaiveDate,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<NaiveDate>,
);

/// The agenda items of `user` on the days from `date` to `until` that jobs call for (see the
/// module's comment).
pub(crate) async fn obligations(
    c: &mut Conn<'_>,
    user: &User,
    date: NaiveDate,
    until: NaiveDate,
    _settings: &ContactSettings,
) -> StoreResult<Vec<Obligation>> {
    let select = "SELECT j.id, j.customer_id, c.name, j.kind, j.order_id, j.promised_on, \
                  j.window_from, j.window_to, j.notified_at, j.done_on \
                  FROM service_jobs j JOIN customers c ON c.id = j.customer_id";
    let mut out = Vec::new();

    // Open jobs up to the notice horizon (overdue ones however old: a missed promise stays
    // until it is done, marked late with a new time, or cancelled).
    let mut a: Vec<Arg> = args![user.id.0, until + Days::new(NOTICE_DAYS)];
    let mut wh = vec![
        mine(1),
        "j.status IN ('planned','late')".to_owned(),
        "j.promised_on <= $2".to_owned(),
    ];
    push_scope(Scope::of(user), "c", &mut wh, &mut a);
    let open: Vec<DueRow> = c
        .fetch_all(&format!("{select} WHERE {}", wh.join(" AND ")), a)
        .await?;
    for (id, cid, name, kind, order, promised, wf, wt, notified, _) in open {
        let kind = ServiceKind::parse(&kind).ok_or_else(|| bad_row("kind", &kind))?;
        out.push(Obligation {
            kind: kind.item_kind(),
            subject: id,
            key_date: Some(promised),
            customer_id: CustomerId(cid),
            customer_name: name,
            due: promised,
            latest: promised,
            why: Why::Service {
                job_id: id,
                order_id: order,
                window: window_text(wf.as_deref(), wt.as_deref()),
                notified: notified.is_some(),
            },
            visible_from: promised.checked_sub_days(Days::new(NOTICE_DAYS)),
        });
    }

    // Done jobs whose satisfaction call is still to make.
    let keep_from = date
        .checked_sub_days(Days::new(AFTER_SALES_CALL_KEEP_DAYS))
        .unwrap_or(date);
    let mut a: Vec<Arg> = args![user.id.0, keep_from, until];
    let mut wh = vec![
        mine(1),
        "j.status = 'done'".to_owned(),
        "j.after_sales_call_at IS NULL".to_owned(),
        "j.done_on >= $2".to_owned(),
        "j.done_on <= $3".to_owned(),
    ];
    push_scope(Scope::of(user), "c", &mut wh, &mut a);
    let done: Vec<DueRow> = c
        .fetch_all(&format!("{select} WHERE {}", wh.join(" AND ")), a)
        .await?;
    for (id, cid, name, kind, _, _, _, _, _, done_on) in done {
        let Some(done_on) = done_on else { continue };
        let kind = ServiceKind::parse(&kind).ok_or_else(|| bad_row("kind", &kind))?;
        out.push(Obligation {
            kind: ItemKind::AfterSalesCall,
            subject: id,
            key_date: None,
            customer_id: CustomerId(cid),
            customer_name: name,
            due: done_on + Days::new(AFTER_SALES_CALL_FROM_DAYS),
            latest: done_on + Days::new(AFTER_SALES_CALL_WITHIN_DAYS),
            why: Why::AfterSales {
                job_id: id,
                job_kind: kind.as_str().to_owned(),
                done_on,
            },
            visible_from: Some(done_on),
        });
    }
    Ok(out)
}

/// What "done" on a job's agenda item changes: a delivery or installation is done today (the
/// agenda logged the interaction, linked here), which brings its after-sales call; the call is
/// recorded with the logged interaction. Already closed jobs are left as they are.
pub(crate) async fn agenda_done(
    c: &mut Conn<'_>,
    user: &User,
    key: &ItemKey,
    interaction: Option<i64>,
    today: NaiveDate,
) -> StoreResult<()> {
    let Some(job) = load(c, key.subject).await? else {
        return Err(StoreError::not_found("service job", key.subject));
    };
    let now = super::now();
    match key.kind {
        ItemKind::Delivery | ItemKind::Installation if job.status.is_open() => {
            mark_done(c, job.id, today, now, Some(user.id.0), interaction).await
        }
        ItemKind::AfterSalesCall
            if job.status == ServiceStatus::Done && job.after_sales_call_at.is_none() =>
        {
            record_call(c, job.id, now, Some(user.id.0), interaction).await
        }
        _ => Ok(()),
    }
}

/// Moves the jobs (and their history) of a merged customer to the kept one.
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    for table in ["service_jobs", "service_job_changes"] {
        c.execute(
            &format!("UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"),
            args![keep.0, other.0],
        )
        .await?;
    }
    Ok(())
}
