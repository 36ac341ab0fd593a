//! Key-account development plans (METHOD §3.4; see [`crate::key_accounts`]): SQL shared by
//! SQLite and PostgreSQL, and the plans' part of the agenda.
//!
//! The agenda gets two kinds of items from here:
//! * `account_review` (subject: the plan, key date: its next review) on the plan owner's agenda,
//!   under "later" from [`REVIEW_NOTICE_DAYS`] before, due on the day, overdue after it. "Done"
//!   records the review: `last_reviewed_on` = today, the next review one cycle later — the item's
//!   key carries the date, so the next review is a new item.
//! * `plan_action` (subject: the action, key date: its review day) on the action owner's agenda
//!   while the action is open. "Done" records that the owner reviewed it (`reviewed_on`) and
//!   clears `review_on` rather than guessing a next one: unlike the plan, an action has no
//!   cycle — its owner chose the checkpoint, and only they know whether it needs another (set on
//!   the plan page) or is finished (closed there). A guessed date would put noise on the agenda;
//!   the action stays listed as open on the plan page, which is where it is followed up.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use crate::error::{StoreError, StoreResult};
use crate::key_accounts::*;
use chrono::{DateTime, Days, NaiveDate, Utc};
use patron_core::contact::ContactSettings;
use patron_core::contact::{ItemKey, ItemKind, Obligation, Why};
use patron_core::{CustomerId, Scope, User, UserId, ValidationErrors};

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored key-account plan: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct PlanRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    abc: Option<String>,
    owner_id: i64,
    owner_name: String,
    short_term_goals: Option<String>,
    medium_term_goals: Option<String>,
    long_term_goals: Option<String>,
    review_every_months: i64,
    next_review_on: NaiveDate,
    last_reviewed_on: Option<NaiveDate>,
    created_by: Option<i64>,
    created_at: DateTime<Utc>,
    updated_by: Option<i64>,
    updated_at: DateTime<Utc>,
}

const PLAN_COLS: &str = "p.id, p.customer_id, c.name AS customer_name, cc.abc, p.owner_id, \
     u.name AS owner_name, p.short_term_goals, p.medium_term_goals, p.long_term_goals, \
     p.review_every_months, p.next_review_on, p.last_reviewed_on, p.created_by, p.created_at, \
     p.updated_by, p.updated_at";
const PLAN_FROM: &str = "account_plans p JOIN customers c ON c.id = p.customer_id \
     JOIN users u ON u.id = p.owner_id LEFT JOIN customer_classes cc ON cc.customer_id = c.id";

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ProjectRow {
    id: i64,
    plan_id: i64,
    kind: String,
    name: String,
    competitor: Option<String>,
    notes: Option<String>,
    value_minor: Option<i64>,
    currency: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ProjectRow> for PlanProject {
    type Error = StoreError;
    fn try_from(r: ProjectRow) -> StoreResult<Self> {
        Ok(PlanProject {
            id: r.id,
            plan_id: r.plan_id,
            kind: ProjectKind::parse(&r.kind).ok_or_else(|| bad_row("project kind", &r.kind))?,
            name: r.name,
            competitor: r.competitor,
            notes: r.notes,
            value_minor: r.value_minor,
            currency: r.currency,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const PROJECT_COLS: &str = "j.id, j.plan_id, j.kind, j.name, j.competitor, j.notes, \
     j.value_minor, j.currency, j.created_at, j.updated_at";

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ActionRow {
    id: i64,
    plan_id: i64,
    what: String,
    owner_id: i64,
    owner_name: String,
    due_on: Option<NaiveDate>,
    review_on: Option<NaiveDate>,
    reviewed_on: Option<NaiveDate>,
    status: String,
    done_on: Option<NaiveDate>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ActionRow> for PlanAction {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> StoreResult<Self> {
        Ok(PlanAction {
            id: r.id,
            plan_id: r.plan_id,
            what: r.what,
            owner_id: UserId(r.owner_id),
            owner_name: r.owner_name,
            due_on: r.due_on,
            review_on: r.review_on,
            reviewed_on: r.reviewed_on,
            status: ActionStatus::parse(&r.status)
                .ok_or_else(|| bad_row("action status", &r.status))?,
            done_on: r.done_on,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const ACTION_COLS: &str = "a.id, a.plan_id, a.what, a.owner_id, u.name AS owner_name, a.due_on, \
     a.review_on, a.reviewed_on, a.status, a.done_on, a.notes, a.created_at, a.updated_at";

/// One plan with its projects and actions.
pub(crate) async fn get_plan(c: &mut Conn<'_>, id: i64) -> StoreResult<AccountPlan> {
    let row: Option<PlanRow> = c
        .fetch_optional(
            &format!("SELECT {PLAN_COLS} FROM {PLAN_FROM} WHERE p.id = $1"),
            args![id],
        )
        .await?;
    let r = row.ok_or_else(|| StoreError::not_found("key-account plan", id))?;
    let projects: Vec<ProjectRow> = c
        .fetch_all(
            &format!(
                "SELECT {PROJECT_COLS} FROM account_plan_projects j WHERE j.plan_id = $1 \
                 ORDER BY CASE j.kind WHEN 'ours_strong' THEN 0 WHEN 'competitor' THEN 1 ELSE 2 END, \
                 j.name, j.id"
            ),
            args![id],
        )
        .await?;
    let actions: Vec<ActionRow> = c
        .fetch_all(
            &format!(
                "SELECT {ACTION_COLS} FROM account_plan_actions a JOIN users u ON u.id = a.owner_id \
                 WHERE a.plan_id = $1 \
                 ORDER BY CASE a.status WHEN 'open' THEN 0 ELSE 1 END, \
                 CASE WHEN a.review_on IS NULL THEN 1 ELSE 0 END, a.review_on, \
                 CASE WHEN a.due_on IS NULL THEN 1 ELSE 0 END, a.due_on, a.id"
            ),
            args![id],
        )
        .await?;
    Ok(AccountPlan {
        id: r.id,
        customer_id: CustomerId(r.customer_id),
        customer_name: r.customer_name,
        abc: r.abc,
        owner_id: UserId(r.owner_id),
        owner_name: r.owner_name,
        short_term_goals: r.short_term_goals,
        medium_term_goals: r.medium_term_goals,
        long_term_goals: r.long_term_goals,
        review_every_months: u32::try_from(r.review_every_months)
            .map_err(|e| bad_row("review_every_months", e))?,
        next_review_on: r.next_review_on,
        last_reviewed_on: r.last_reviewed_on,
        created_by: r.created_by.map(UserId),
        created_at: r.created_at,
        updated_by: r.updated_by.map(UserId),
        updated_at: r.updated_at,
        projects: projects
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?,
        actions: actions
            .into_iter()
            .map(TryInto::try_into)
            .collect::<StoreResult<_>>()?,
    })
}

/// The plan of a customer, if it has one.
pub(crate) async fn plan_of(c: &mut Conn<'_>, customer: CustomerId) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = c
        .fetch_optional(
            "SELECT id FROM account_plans WHERE customer_id = $1",
            args![customer.0],
        )
        .await?;
    Ok(row.map(|r| r.0))
}

/// The customer a plan is about.
pub(crate) async fn customer_of(c: &mut Conn<'_>, plan: i64) -> StoreResult<CustomerId> {
    let row: Option<(i64,)> = c
        .fetch_optional(
            "SELECT customer_id FROM account_plans WHERE id = $1",
            args![plan],
        )
        .await?;
    row.map(|r| CustomerId(r.0))
        .ok_or_else(|| StoreError::not_found("key-account plan", plan))
}

/// Checks that `owner` can keep a record of `customer`: an active user whose scope holds the
/// customer (otherwise the agenda would remind someone of a customer they cannot open).
async fn check_owner(
    c: &mut Conn<'_>,
    field: &str,
    owner: UserId,
    customer: CustomerId,
) -> StoreResult<()> {
    let Some(u) = super::records::get_user(c, owner).await? else {
        return Err(StoreError::invalid(
            field,
            "unknown_reference",
            "there is no user with this id",
        ));
    };
    if !u.active {
        return Err(StoreError::invalid(
            field,
            "inactive_user",
            "this user is deactivated",
        ));
    }
    if !super::customers::in_scope(c, customer, Scope::of(&u)).await? {
        return Err(StoreError::invalid(
            field,
            "outside_scope",
            "this user is not in charge of the customer (neither its owner, relationship \
             manager nor their manager)",
        ));
    }
    Ok(())
}

/// The default owner of a customer's plan: its relationship manager, else its owner.
async fn default_owner(c: &mut Conn<'_>, customer: CustomerId) -> StoreResult<Option<UserId>> {
    let row: Option<(Option<i64>, Option<i64>)> = c
        .fetch_optional(
            "SELECT relationship_manager_id, owner_id FROM customers WHERE id = $1",
            args![customer.0],
        )
        .await?;
    let (rm, owner) = row.ok_or_else(|| StoreError::not_found("customer", customer))?;
    Ok(rm.or(owner).map(UserId))
}

/// Validation failures of the input and of the owner together, so a form shows every message.
fn merged(
    verdict: Result<ValidPlan, ValidationErrors>,
    owner: StoreResult<()>,
) -> StoreResult<ValidPlan> {
    match (verdict, owner) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(mut e), Err(StoreError::Invalid(o))) => {
            e.0.extend(o.0);
            Err(StoreError::Invalid(e))
        }
        (Err(e), Ok(())) => Err(StoreError::Invalid(e)),
        (_, Err(o)) => Err(o),
    }
}

/// Creates the plan of a customer (a second plan is a conflict naming `customer_id`).
pub(crate) async fn create_plan(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    customer: CustomerId,
    input: &PlanInput,
    today: NaiveDate,
) -> StoreResult<i64> {
    let default = default_owner(c, customer).await?;
    if plan_of(c, customer).await?.is_some() {
        return Err(StoreError::conflict(
            Some("customer_id"),
            "this customer already has a development plan; change that one",
        ));
    }
    let owner = input.owner_id.or(default).or(by);
    let owner_check = match owner {
        Some(o) => check_owner(c, "owner_id", o, customer).await,
        None => Err(StoreError::invalid(
            "owner_id",
            "required",
            "the customer has neither a relationship manager nor an owner: name the plan's owner",
        )),
    };
    let v = merged(input.validate(None, today), owner_check)?;
    let owner = owner.ok_or_else(|| StoreError::invalid("owner_id", "required", "no owner"))?;
    let now = super::now();
    c.scalar_i64(
        "INSERT INTO account_plans (customer_id, owner_id, short_term_goals, medium_term_goals, \
         long_term_goals, review_every_months, next_review_on, created_by, created_at, \
         updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        args![
            customer.0,
            owner.0,
            v.short_term_goals,
            v.medium_term_goals,
            v.long_term_goals,
            i64::from(v.review_every_months),
            v.next_review_on,
            by.map(|u| u.0),
            now,
            by.map(|u| u.0),
            now
        ],
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict { .. } => StoreError::conflict(
            Some("customer_id"),
            "this customer already has a development plan; change that one",
        ),
        e => e,
    })
}

/// Replaces a plan's goals, owner and review cycle (an absent owner, cycle or next review keeps
/// the current one).
pub(crate) async fn update_plan(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    id: i64,
    input: &PlanInput,
    today: NaiveDate,
) -> StoreResult<()> {
    let row: Option<(i64, i64, NaiveDate, i64)> = c
        .fetch_optional(
            "SELECT customer_id, owner_id, next_review_on, review_every_months \
             FROM account_plans WHERE id = $1",
            args![id],
        )
        .await?;
    let (customer, current_owner, next, every) =
        row.ok_or_else(|| StoreError::not_found("key-account plan", id))?;
    let mut input = input.clone();
    if input.review_every_months.is_none() {
        input.review_every_months = u32::try_from(every).ok();
    }
    let customer = CustomerId(customer);
    let owner = input.owner_id.unwrap_or(UserId(current_owner));
    // The current owner stays acceptable even if their scope changed since; a new one is checked.
    let owner_check = if owner.0 == current_owner {
        Ok(())
    } else {
        check_owner(c, "owner_id", owner, customer).await
    };
    let v = merged(input.validate(Some(next), today), owner_check)?;
    c.execute(
        "UPDATE account_plans SET owner_id = $1, short_term_goals = $2, medium_term_goals = $3, \
         long_term_goals = $4, review_every_months = $5, next_review_on = $6, updated_by = $7, \
         updated_at = $8 WHERE id = $9",
        args![
            owner.0,
            v.short_term_goals,
            v.medium_term_goals,
            v.long_term_goals,
            i64::from(v.review_every_months),
            v.next_review_on,
            by.map(|u| u.0),
            super::now(),
            id
        ],
    )
    .await?;
    Ok(())
}

/// Deletes a plan with its projects and actions.
pub(crate) async fn delete_plan(c: &mut Conn<'_>, id: i64) -> StoreResult<()> {
    // Explicit child deletes: SQLite connections may run without foreign-key cascades.
    c.execute(
        "DELETE FROM account_plan_projects WHERE plan_id = $1",
        args![id],
    )
    .await?;
    c.execute(
        "DELETE FROM account_plan_actions WHERE plan_id = $1",
        args![id],
    )
    .await?;
    let n = c
        .execute("DELETE FROM account_plans WHERE id = $1", args![id])
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("key-account plan", id));
    }
    Ok(())
}

/// Records a review held on `on`: the next one is `next`, or one cycle after `on`.
pub(crate) async fn reviewed(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    id: i64,
    on: NaiveDate,
    next: Option<NaiveDate>,
    today: NaiveDate,
) -> StoreResult<()> {
    let row: Option<(i64,)> = c
        .fetch_optional(
            "SELECT review_every_months FROM account_plans WHERE id = $1",
            args![id],
        )
        .await?;
    let every = row
        .ok_or_else(|| StoreError::not_found("key-account plan", id))?
        .0;
    if on > today {
        return Err(StoreError::invalid(
            "reviewed_on",
            "in_future",
            "a review cannot be recorded after today",
        ));
    }
    let next = next.unwrap_or_else(|| next_review(on, u32::try_from(every).unwrap_or(3)));
    if next <= on {
        return Err(StoreError::invalid(
            "next_review_on",
            "not_after_review",
            "the next review comes after this one",
        ));
    }
    if (next - today).num_days() > MAX_AHEAD_DAYS {
        return Err(StoreError::invalid(
            "next_review_on",
            "too_far",
            "a review date is at most three years ahead",
        ));
    }
    c.execute(
        "UPDATE account_plans SET last_reviewed_on = $1, next_review_on = $2, updated_by = $3, \
         updated_at = $4 WHERE id = $5",
        args![on, next, by.map(|u| u.0), super::now(), id],
    )
    .await?;
    Ok(())
}

/// The shop's currency code when a project's value has none; a bad code names the field.
fn project_currency(p: &ProjectInput, default: &str) -> StoreResult<Option<String>> {
    if p.value_minor.is_none() {
        return Ok(None);
    }
    match &p.currency {
        None => Ok(Some(default.to_owned())),
        Some(code) => patron_core::Currency::parse("currency", code)
            .map(|c| Some(c.as_str().to_owned()))
            .map_err(|e| StoreError::Invalid(e.into())),
    }
}

pub(crate) async fn get_project(c: &mut Conn<'_>, id: i64) -> StoreResult<PlanProject> {
    let row: Option<ProjectRow> = c
        .fetch_optional(
            &format!("SELECT {PROJECT_COLS} FROM account_plan_projects j WHERE j.id = $1"),
            args![id],
        )
        .await?;
    row.ok_or_else(|| StoreError::not_found("plan project", id))?
        .try_into()
}

pub(crate) async fn add_project(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    plan: i64,
    input: &ProjectInput,
    currency: &str,
) -> StoreResult<i64> {
    customer_of(c, plan).await?;
    let p = input.validate()?;
    let cur = project_currency(&p, currency)?;
    let now = super::now();
    let id = c
        .scalar_i64(
            "INSERT INTO account_plan_projects (plan_id, kind, name, competitor, notes, \
             value_minor, currency, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            args![
                plan,
                p.kind.as_str(),
                p.name,
                p.competitor,
                p.notes,
                p.value_minor,
                cur,
                now,
                now
            ],
        )
        .await?;
    touch(c, by, plan).await?;
    Ok(id)
}

pub(crate) async fn update_project(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    id: i64,
    input: &ProjectInput,
    currency: &str,
) -> StoreResult<()> {
    let old = get_project(c, id).await?;
    let p = input.validate()?;
    let cur = project_currency(&p, currency)?;
    c.execute(
        "UPDATE account_plan_projects SET kind = $1, name = $2, competitor = $3, notes = $4, \
         value_minor = $5, currency = $6, updated_at = $7 WHERE id = $8",
        args![
            p.kind.as_str(),
            p.name,
            p.competitor,
            p.notes,
            p.value_minor,
            cur,
            super::now(),
            id
        ],
    )
    .await?;
    touch(c, by, old.plan_id).await
}

pub(crate) async fn delete_project(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    id: i64,
) -> StoreResult<()> {
    let old = get_project(c, id).await?;
    c.execute("DELETE FROM account_plan_projects WHERE id = $1", args![id])
        .await?;
    touch(c, by, old.plan_id).await
}

pub(crate) async fn get_action(c: &mut Conn<'_>, id: i64) -> StoreResult<PlanAction> {
    let row: Option<ActionRow> = c
        .fetch_optional(
            &format!(
                "SELECT {ACTION_COLS} FROM account_plan_actions a JOIN users u ON u.id = a.owner_id \
                 WHERE a.id = $1"
            ),
            args![id],
        )
        .await?;
    row.ok_or_else(|| StoreError::not_found("plan action", id))?
        .try_into()
}

/// Validates an action and its owner together (every message at once).
async fn valid_action(
    c: &mut Conn<'_>,
    input: &ActionInput,
    owner: UserId,
    check: bool,
    customer: CustomerId,
    previous_review: Option<NaiveDate>,
    today: NaiveDate,
) -> StoreResult<ActionInput> {
    let owner_check = if check {
        check_owner(c, "owner_id", owner, customer).await
    } else {
        Ok(())
    };
    match (input.validate(previous_review, today), owner_check) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(mut e), Err(StoreError::Invalid(o))) => {
            e.0.extend(o.0);
            Err(StoreError::Invalid(e))
        }
        (Err(e), Ok(())) => Err(StoreError::Invalid(e)),
        (_, Err(o)) => Err(o),
    }
}

pub(crate) async fn add_action(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    plan: i64,
    input: &ActionInput,
    today: NaiveDate,
) -> StoreResult<i64> {
    let customer = customer_of(c, plan).await?;
    let plan_owner: (i64,) = c
        .fetch_optional(
            "SELECT owner_id FROM account_plans WHERE id = $1",
            args![plan],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("key-account plan", plan))?;
    let owner = input.owner_id.unwrap_or(UserId(plan_owner.0));
    let v = valid_action(c, input, owner, true, customer, None, today).await?;
    let now = super::now();
    let id = c
        .scalar_i64(
            "INSERT INTO account_plan_actions (plan_id, what, owner_id, due_on, review_on, \
             status, done_on, notes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            args![
                plan,
                v.what,
                owner.0,
                v.due_on,
                v.review_on,
                v.status.as_str(),
                v.done_on,
                v.notes,
                now,
                now
            ],
        )
        .await?;
    touch(c, by, plan).await?;
    Ok(id)
}

/// Replaces an action (an absent owner keeps the current one).
pub(crate) async fn update_action(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    id: i64,
    input: &ActionInput,
    today: NaiveDate,
) -> StoreResult<()> {
    let old = get_action(c, id).await?;
    let customer = customer_of(c, old.plan_id).await?;
    let owner = input.owner_id.unwrap_or(old.owner_id);
    let v = valid_action(
        c,
        input,
        owner,
        owner != old.owner_id,
        customer,
        old.review_on,
        today,
    )
    .await?;
    c.execute(
        "UPDATE account_plan_actions SET what = $1, owner_id = $2, due_on = $3, review_on = $4, \
         status = $5, done_on = $6, notes = $7, updated_at = $8 WHERE id = $9",
        args![
            v.what,
            owner.0,
            v.due_on,
            v.review_on,
            v.status.as_str(),
            v.done_on,
            v.notes,
            super::now(),
            id
        ],
    )
    .await?;
    touch(c, by, old.plan_id).await
}

pub(crate) async fn delete_action(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    id: i64,
) -> StoreResult<()> {
    let old = get_action(c, id).await?;
    c.execute("DELETE FROM account_plan_actions WHERE id = $1", args![id])
        .await?;
    touch(c, by, old.plan_id).await
}

/// A change of a project or an action is a change of the plan: who and when.
async fn touch(c: &mut Conn<'_>, by: Option<UserId>, plan: i64) -> StoreResult<()> {
    c.execute(
        "UPDATE account_plans SET updated_by = COALESCE($1, updated_by), updated_at = $2 \
         WHERE id = $3",
        args![by.map(|u| u.0), super::now(), plan],
    )
    .await?;
    Ok(())
}

type SummaryRow = (
    i64,
    i64,
    String,
    Option<String>,
    i64,
    String,
    NaiveDate,
    Option<NaiveDate>,
    i64,
    i64,
);
type WithoutRow = (i64, String, i64, String, Option<String>, Option<String>);

/// The key accounts inside `scope` (optionally one customer's): every plan, and the A-class
/// customers that are not lost and have no plan.
pub(crate) async fn list(
    c: &mut Conn<'_>,
    scope: Scope,
    customer: Option<CustomerId>,
    today: NaiveDate,
) -> StoreResult<KeyAccountList> {
    let mut wh: Vec<String> = Vec::new();
    let mut a: Vec<Arg> = Vec::new();
    push_scope(scope, "c", &mut wh, &mut a);
    if let Some(id) = customer {
        a.push(id.0.into());
        wh.push(format!("c.id = ${}", a.len()));
    }
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let rows: Vec<SummaryRow> = c
        .fetch_all(
            &format!(
                "SELECT p.id, p.customer_id, c.name, cc.abc, p.owner_id, u.name, p.next_review_on, \
                 p.last_reviewed_on, p.review_every_months, \
                 (SELECT COUNT(*) FROM account_plan_actions x WHERE x.plan_id = p.id \
                  AND x.status = 'open') \
                 FROM {PLAN_FROM}{filter} ORDER BY p.next_review_on, c.name, p.id"
            ),
            a.clone(),
        )
        .await?;
    let mut plans: Vec<PlanSummary> = rows
        .into_iter()
        .map(
            |(id, cid, name, abc, owner, owner_name, next, last, every, open)| PlanSummary {
                id,
                customer_id: CustomerId(cid),
                customer_name: name,
                abc,
                owner_id: UserId(owner),
                owner_name,
                next_review_on: next,
                last_reviewed_on: last,
                review_every_months: u32::try_from(every).unwrap_or(DEFAULT_REVIEW_MONTHS),
                open_actions: open,
                status: ReviewStatus::on(next, today),
            },
        )
        .collect();
    // Overdue first (the list is already by date, so that is a stable partition).
    plans.sort_by_key(|p| p.status != ReviewStatus::Overdue);

    let mut wh2 = vec![
        "k.abc = 'A'".to_owned(),
        "c.stage <> 'lost'".to_owned(),
        "NOT EXISTS (SELECT 1 FROM account_plans p WHERE p.customer_id = c.id)".to_owned(),
    ];
    wh2.extend(wh);
    let cond = wh2.join(" AND ");
    let total = c
        .scalar_i64(
            &format!(
                "SELECT COUNT(*) FROM customer_classes k JOIN customers c ON c.id = k.customer_id \
                 WHERE {cond}"
            ),
            a.clone(),
        )
        .await?;
    let without: Vec<WithoutRow> = c
        .fetch_all(
            &format!(
                "SELECT c.id, c.name, k.revenue_minor, k.currency, o.name, m.name \
                 FROM customer_classes k JOIN customers c ON c.id = k.customer_id \
                 LEFT JOIN users o ON o.id = c.owner_id \
                 LEFT JOIN users m ON m.id = c.relationship_manager_id \
                 WHERE {cond} ORDER BY k.revenue_minor DESC, c.id LIMIT {WITHOUT_PLAN_LIMIT}"
            ),
            a,
        )
        .await?;
    Ok(KeyAccountList {
        as_of: today,
        plans,
        without_plan: without
            .into_iter()
            .map(
                |(id, name, revenue, currency, owner, rm)| KeyAccountWithoutPlan {
                    customer_id: CustomerId(id),
                    customer_name: name,
                    revenue_minor: revenue,
                    currency,
                    owner_name: owner,
                    relationship_manager_name: rm,
                },
            )
            .collect(),
        without_plan_total: total,
    })
}

/// The plan's goals in one line for the agenda: the nearest horizon stated, shortened.
fn goal_line(s: Option<String>, m: Option<String>, l: Option<String>) -> String {
    let text = s.or(m).or(l).unwrap_or_default();
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 120 {
        let mut t: String = one.chars().take(119).collect();
        t.push('…');
        t
    } else {
        one
    }
}

type ReviewRow = (
    i64,
    i64,
    String,
    NaiveDate,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// An open action's review: action, plan, customer, customer name, review day, what.
type ActionReviewRow = (i64, i64, i64, String, NaiveDate, String);

/// The agenda items of `user` on the days up to `until` that this module's records call for: the
/// reviews
/// of the plans they own (from [`REVIEW_NOTICE_DAYS`] ahead, and every overdue one) and the
/// reviews of their open actions (from the agenda's week ahead, and every overdue one).
pub(crate) async fn obligations(
    c: &mut Conn<'_>,
    user: &User,
    until: NaiveDate,
    _settings: &ContactSettings,
) -> StoreResult<Vec<Obligation>> {
    let me = user.id.0;
    let mut out = Vec::new();
    let plans: Vec<ReviewRow> = c
        .fetch_all(
            "SELECT p.id, p.customer_id, c.name, p.next_review_on, p.short_term_goals, \
             p.medium_term_goals, p.long_term_goals \
             FROM account_plans p JOIN customers c ON c.id = p.customer_id \
             WHERE p.owner_id = $1 AND p.next_review_on <= $2 AND c.stage <> 'lost'",
            args![me, until + Days::new(REVIEW_NOTICE_DAYS)],
        )
        .await?;
    for (id, cid, name, next, s, m, l) in plans {
        out.push(Obligation {
            kind: ItemKind::AccountReview,
            subject: id,
            key_date: Some(next),
            customer_id: CustomerId(cid),
            customer_name: name,
            due: next,
            latest: next,
            why: Why::Review {
                plan_id: id,
                action_id: None,
                what: goal_line(s, m, l),
            },
            visible_from: next.checked_sub_days(Days::new(REVIEW_NOTICE_DAYS)),
        });
    }
    let actions: Vec<ActionReviewRow> = c
        .fetch_all(
            "SELECT a.id, a.plan_id, p.customer_id, c.name, a.review_on, a.what \
             FROM account_plan_actions a JOIN account_plans p ON p.id = a.plan_id \
             JOIN customers c ON c.id = p.customer_id \
             WHERE a.owner_id = $1 AND a.status = 'open' AND a.review_on IS NOT NULL \
             AND a.review_on <= $2 AND c.stage <> 'lost'",
            args![
                me,
                until + Days::new(patron_core::contact::agenda::WEEK_DAYS)
            ],
        )
        .await?;
    for (id, plan, cid, name, on, what) in actions {
        out.push(Obligation {
            kind: ItemKind::PlanAction,
            subject: id,
            key_date: Some(on),
            customer_id: CustomerId(cid),
            customer_name: name,
            due: on,
            latest: on,
            why: Why::Review {
                plan_id: plan,
                action_id: Some(id),
                what: goal_line(Some(what), None, None),
            },
            visible_from: None,
        });
    }
    Ok(out)
}

/// What "done" on one of this module's agenda items changes in its record: a plan's review is
/// recorded (next one a cycle later), an action's review is recorded and its review date
/// cleared (see the module's documentation). Only when the item's date is still the record's:
/// a stale page cannot undo a date set since.
pub(crate) async fn agenda_done(
    c: &mut Conn<'_>,
    user: &User,
    key: &ItemKey,
    _interaction: Option<i64>,
    today: NaiveDate,
) -> StoreResult<()> {
    match key.kind {
        ItemKind::AccountReview => {
            let row: Option<(i64, NaiveDate)> = c
                .fetch_optional(
                    "SELECT review_every_months, next_review_on FROM account_plans WHERE id = $1",
                    args![key.subject],
                )
                .await?;
            let Some((every, next)) = row else {
                return Ok(());
            };
            if key.date.is_some_and(|d| d != next) {
                return Ok(());
            }
            let every = u32::try_from(every).unwrap_or(DEFAULT_REVIEW_MONTHS);
            c.execute(
                "UPDATE account_plans SET last_reviewed_on = $1, next_review_on = $2, \
                 updated_by = $3, updated_at = $4 WHERE id = $5",
                args![
                    today,
                    next_review(today, every),
                    user.id.0,
                    super::now(),
                    key.subject
                ],
            )
            .await?;
        }
        ItemKind::PlanAction => {
            let mut sql = "UPDATE account_plan_actions SET reviewed_on = $1, review_on = NULL, \
                           updated_at = $2 WHERE id = $3"
                .to_owned();
            let mut a = args![today, super::now(), key.subject];
            if let Some(d) = key.date {
                sql.push_str(" AND review_on = $4");
                a.push(d.into());
            }
            c.execute(&sql, a).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Moves a merged customer's plan to the kept one. When both have a plan, the kept plan takes
/// the other's projects and actions (nothing anyone wrote is lost) and the other plan goes.
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    let Some(theirs) = plan_of(c, other).await? else {
        return Ok(());
    };
    match plan_of(c, keep).await? {
        None => {
            c.execute(
                "UPDATE account_plans SET customer_id = $1 WHERE id = $2",
                args![keep.0, theirs],
            )
            .await?;
        }
        Some(ours) => {
            c.execute(
                "UPDATE account_plan_projects SET plan_id = $1 WHERE plan_id = $2",
                args![ours, theirs],
            )
            .await?;
            c.execute(
                "UPDATE account_plan_actions SET plan_id = $1 WHERE plan_id = $2",
                args![ours, theirs],
            )
            .await?;
            c.execute("DELETE FROM account_plans WHERE id = $1", args![theirs])
                .await?;
        }
    }
    Ok(())
}
