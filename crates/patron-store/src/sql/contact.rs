//! The contact plan's facts and marks (see [`crate::contact`]). Every statement is shared by
//! both databases; instants are converted to the shop's days in Rust, so the day of a visit
//! logged late in the evening is the same on SQLite and PostgreSQL and follows DST.

use super::conn::{args, Arg, Conn};
use super::customers::{push_scope, push_scope_driving};
use super::records as r;
use crate::contact::{AgendaActed, AgendaAction, AgendaFacts, ComplianceRow};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use patron_core::classify::AbcClass;
use patron_core::contact::{
    AgendaInput, ContactPolicy, ContactSettings, Frequency, Held, ItemKey, ItemKind, KeyDates,
    Mark, MarkAction, Promise, RecentOrder, POLICY_LEVELS,
};
use patron_core::{CustomerId, InteractionInput, Scope, StaffLevel, User, UserId};
use std::collections::HashMap;

/// Days back the agenda looks for anyone's card or call to a customer (enough for every card
/// and pre-season window).
const ANY_CONTACT_DAYS: u64 = 120;
/// Days back a promised follow-up stays on the agenda when nobody did anything about it.
const PROMISE_DAYS: u64 = 365;
/// Days back marks are read (a dismissed visit restarts its cycle from its mark; the longest
/// cycle is a year).
const MARK_DAYS: u64 = 400;
/// Settings key of the cached large-order amounts (each computed once per day asked for: a
/// percentile over a year of orders is too slow for every agenda of a large archive).
const LARGE_ORDER_CACHE: &str = "contact.large_order_cache";
/// Days the cache keeps: today's and the few other days people look at (a day's agenda asked
/// for another day must not push out today's).
const LARGE_ORDER_CACHE_DAYS: usize = 8;

/// The classes whose policy schedules visits or calls for `level`.
fn scheduled_classes(policy: &ContactPolicy, level: StaffLevel) -> Vec<AbcClass> {
    let Some(row) = policy.level(level) else {
        return Vec::new();
    };
    AbcClass::ALL
        .into_iter()
        .filter(|c| {
            let cad = row.for_class(*c);
            cad.visit.is_scheduled() || cad.call.is_scheduled()
        })
        .collect()
}

/// Rows as read: a held customer (id, name, class, created, direct), a key person's dates (id,
/// customer, name, birthday, anniversary), customers per holder pair and class (owner, relationship
/// manager, class, count).
type HeldRow = (i64, String, Option<String>, DateTime<Utc>, i64);
type KeyDatesRow = (i64, i64, String, Option<NaiveDate>, Option<NaiveDate>);
type HolderRow = (Option<i64>, Option<i64>, Option<String>, i64);
/// A customer's latest contact of a kind: (customer, kind, when).
type LastContact = (i64, String, DateTime<Utc>);

fn direct_sql(n: usize) -> String {
    format!("(c.owner_id = ${n} OR c.relationship_manager_id = ${n})")
}

/// The ids of the customers user `$n` holds directly, from the two covering indexes alone:
/// reading the facts of these customers' records needs no customer row (the agenda keeps only
/// those of held customers, which step 1 read once, lost ones left out).
fn direct_ids_sql(n: usize) -> String {
    format!(
        "(SELECT o.id FROM customers o WHERE o.owner_id = ${n} \
         UNION SELECT m.id FROM customers m WHERE m.relationship_manager_id = ${n})"
    )
}

/// What the agenda's facts are read for.
struct Ask<'a> {
    user: &'a User,
    date: NaiveDate,
    until: NaiveDate,
    policy: &'a ContactPolicy,
    settings: &'a ContactSettings,
}

/// A lane's clock: milliseconds per step, logged at debug level (the agenda benchmark reads
/// them).
struct Lap(std::time::Instant);

impl Lap {
    fn start() -> Self {
        Lap(std::time::Instant::now())
    }

    fn lap(&mut self) -> f64 {
        let ms = self.0.elapsed().as_secs_f64() * 1000.0;
        self.0 = std::time::Instant::now();
        ms
    }
}

/// One lane of [`agenda_facts`]: the lane function run on its own pooled connection, taken
/// when the lane starts and given back when it ends.
macro_rules! lane {
    ($store:expr, $lane:ident, $ask:expr) => {
        async {
            let mut read = $store.index_read().await?;
            let out = $lane(&mut read.conn(), $ask).await?;
            read.finish().await?;
            Ok::<_, StoreError>(out)
        }
    };
}

/// `user`'s agenda facts from `date` to `until`. The reads are independent of each other, so
/// they run in four lanes, each on its own pooled connection: on SQLite each connection has its
/// own worker thread and on PostgreSQL its own server process, so one agenda's queries use both
/// cores instead of one after the other (a representative's agenda at 1,000,000 customers spent
/// about 50 ms in ten sequential queries). A lane takes a connection only when it starts and
/// gives it back when it ends, never holding one while waiting for another, so a busy pool
/// makes lanes wait, never deadlock. Each statement reads its own snapshot, as it did when one
/// connection ran them outside a transaction (on PostgreSQL a lane is one transaction, which
/// carries the planner settings of [`super::SqlStore::index_read`]: each lane reads a few
/// thousand rows through indexes, which PostgreSQL's default costs plan as scans).
pub(crate) async fn agenda_facts(
    store: &super::SqlStore,
    user: &User,
    date: NaiveDate,
    until: NaiveDate,
    policy: &ContactPolicy,
    settings: &ContactSettings,
) -> StoreResult<AgendaFacts> {
    let ask = Ask {
        user,
        date,
        until: until.max(date),
        policy,
        settings,
    };
    let ask = &ask;
    let (held, people, orders, duties) = tokio::try_join!(
        lane!(store, held_lane, ask),
        lane!(store, people_lane, ask),
        lane!(store, orders_lane, ask),
        lane!(store, duties_lane, ask),
    )?;
    let mut customers = held.customers;
    let index: HashMap<i64, usize> = customers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.id.0, i))
        .collect();
    let mut set =
        |rows, field: LastField| set_last_days(&mut customers, &index, settings, rows, field);
    set(held.own, |h, kind| match kind {
        "visit" => &mut h.last_visit,
        _ => &mut h.last_call,
    });
    set(people.any, |h, kind| match kind {
        "card" => &mut h.last_card_any,
        _ => &mut h.last_call_any,
    });
    // Only the customers of the first lane (lost ones are not among them).
    let key_persons = people
        .key_persons
        .into_iter()
        .filter(|k| index.contains_key(&k.1))
        .map(|(id, cid, name, birthday, anniversary)| KeyDates {
            id,
            customer_id: CustomerId(cid),
            name,
            birthday,
            anniversary,
        })
        .collect();
    let recent = recent_orders(orders.history, orders.from, |cid| index.contains_key(&cid));
    // The amount matters only with orders to compare to it.
    let large_order_minor = if recent.is_empty() {
        None
    } else {
        orders.large_order_minor
    };
    Ok(AgendaFacts {
        input: AgendaInput {
            date: Some(date),
            level: Some(user.staff_level),
            policy: Some(*policy),
            customers,
            key_persons,
            orders: recent,
            large_order_minor,
            default_currency: orders.default_currency,
            thank_you: settings.thank_you,
            seasons: settings.seasons.clone(),
            promises: orders.promises,
            obligations: duties.obligations,
            marks: held.marks,
        },
        a_without_relationship_manager: duties.unmanaged,
    })
}

/// Which of a held customer's last-contact days a contact of a kind sets.
type LastField = for<'h> fn(&'h mut Held, &str) -> &'h mut Option<NaiveDate>;

/// Sets the last-contact day `field` picks for each row's customer, if the agenda holds it.
fn set_last_days(
    customers: &mut [Held],
    index: &HashMap<i64, usize>,
    settings: &ContactSettings,
    rows: Vec<LastContact>,
    field: LastField,
) {
    for (cid, kind, at) in rows {
        if let Some(&i) = index.get(&cid) {
            *field(&mut customers[i], &kind) = Some(settings.local_day(at));
        }
    }
}

/// The first lane: the customers in the user's charge, the user's own last visits and calls,
/// and the user's marks.
struct HeldLane {
    customers: Vec<Held>,
    own: Vec<LastContact>,
    marks: Vec<Mark>,
}

async fn held_lane(c: &mut Conn<'_>, ask: &Ask<'_>) -> StoreResult<HeldLane> {
    let (user, date, until, policy, settings) =
        (ask.user, ask.date, ask.until, ask.policy, ask.settings);
    let me = user.id.0;
    let scope = Scope::of(user);
    let classes = scheduled_classes(policy, user.staff_level);
    let mut clock = Lap::start();

    // 1. The customers in the user's charge that the agenda can concern: every directly held
    //    one, and those of a class the user's policy row schedules.
    let mut a: Vec<Arg> = args![me];
    let mut wh = vec!["c.stage <> 'lost'".to_owned()];
    push_scope_driving(scope, "c", &mut wh, &mut a);
    // Of the scheduled classes, only customers whose cycle can come due within the week: the
    // base of a cycle (this user's last visit, or last visit or call, else the day the customer
    // was added) at least the cadence's shortest interval before the week's end. A dismissal
    // only moves a base later, so the condition never drops a customer that is due; for a
    // general manager over a large archive it drops nearly all.
    let mut class_cond = vec![direct_sql(1)];
    let week_end = until + Days::new(patron_core::contact::agenda::WEEK_DAYS);
    let cutoff = |f: &Frequency| -> Option<DateTime<Utc>> {
        let days = min_interval_days(f)?;
        let last_base_day = week_end.checked_sub_days(Days::new(days))?;
        Some(day_start(settings, last_base_day + Days::new(1)))
    };
    let last = |kinds: &str| {
        format!(
            "COALESCE((SELECT MAX(i.occurred_at) FROM interactions i WHERE i.staff_id = $1 \
             AND i.customer_id = c.id AND i.kind IN ({kinds})), c.created_at)"
        )
    };
    // The latest of the cutoffs: a customer added before it may be due.
    let mut latest_cutoff: Option<DateTime<Utc>> = None;
    // Seeing only their own customers, the user holds each of them directly, so the classes'
    // conditions could drop none. Left out, the statement is the owner and relationship-manager
    // indexes and one class lookup per customer, which PostgreSQL otherwise planned as a scan
    // of every class row (100 ms against 22 at 1,000,000 customers).
    let own_only = matches!(scope, Scope::Own(_));
    if let Some(row) = policy.level(user.staff_level).filter(|_| !own_only) {
        for k in &classes {
            let cad = row.for_class(*k);
            let mut due = Vec::new();
            for (f, kinds) in [(&cad.visit, "'visit'"), (&cad.call, "'visit','call'")] {
                if let Some(t) = cutoff(f) {
                    latest_cutoff = latest_cutoff.max(Some(t));
                    a.push(t.into());
                    due.push(format!("{} < ${}", last(kinds), a.len()));
                }
            }
            if due.is_empty() {
                continue;
            }
            let class = if *k == AbcClass::C {
                "(cc.abc = 'C' OR cc.abc IS NULL)".to_owned()
            } else {
                format!("cc.abc = '{}'", k.as_str())
            };
            class_cond.push(format!("({class} AND ({}))", due.join(" OR ")));
        }
    }
    if !own_only {
        wh.push(format!("({})", class_cond.join(" OR ")));
    }
    if let (Scope::All, Some(t)) = (scope, latest_cutoff) {
        // Seeing every customer, the user would otherwise make the database test each one.
        // Every customer the conditions above can keep is in one of these index-found sets:
        // held directly, contacted by the user, or added before the latest cutoff (a base is
        // the user's last contact, else the day the customer was added).
        a.push(t.into());
        wh.push(format!(
            "c.id IN (SELECT o.id FROM customers o WHERE o.owner_id = $1 \
             UNION SELECT m.id FROM customers m WHERE m.relationship_manager_id = $1 \
             UNION SELECT i.customer_id FROM interactions i WHERE i.staff_id = $1 \
             AND i.kind IN ('visit','call') \
             UNION SELECT n.id FROM customers n WHERE n.created_at < ${})",
            a.len()
        ));
    }
    let sql = format!(
        "SELECT c.id, c.name, cc.abc, c.created_at, \
         CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) \
         FROM customers c LEFT JOIN customer_classes cc ON cc.customer_id = c.id \
         WHERE {} ORDER BY c.id",
        direct_sql(1),
        wh.join(" AND ")
    );
    let rows: Vec<HeldRow> = c.fetch_all(&sql, a).await?;
    let customers: Vec<Held> = rows
        .into_iter()
        .map(|(id, name, abc, created, direct)| Held {
            id: CustomerId(id),
            name,
            class: abc.as_deref().and_then(AbcClass::parse),
            direct: direct != 0,
            since: settings.local_day(created),
            ..Default::default()
        })
        .collect();

    let held_ms = clock.lap();
    // 2. The user's own last visit and call per customer.
    let own: Vec<LastContact> = c
        .fetch_all(
            "SELECT customer_id, kind, MAX(occurred_at) FROM interactions \
             WHERE staff_id = $1 AND kind IN ('visit','call') GROUP BY customer_id, kind",
            args![me],
        )
        .await?;

    let own_ms = clock.lap();
    // 3. The user's marks.
    let marks: Vec<(String, String, Option<NaiveDate>, NaiveDate)> = c
        .fetch_all(
            "SELECT item_key, action, until, marked_on FROM agenda_marks \
             WHERE user_id = $1 AND (marked_on >= $2 OR until >= $3)",
            args![me, date - Days::new(MARK_DAYS), date],
        )
        .await?;
    let marks = marks
        .into_iter()
        .filter_map(|(key, action, until, on)| {
            Some(Mark {
                key,
                action: MarkAction::parse(&action)?,
                until,
                on,
            })
        })
        .collect();
    tracing::debug!(
        user = me,
        customers = customers.len(),
        held_ms,
        own_ms,
        marks_ms = clock.lap(),
        "agenda facts: customers lane"
    );
    Ok(HeldLane {
        customers,
        own,
        marks,
    })
}

/// The second lane: anyone's recent cards and calls to the customers the user holds directly,
/// and their key persons' dates.
struct PeopleLane {
    any: Vec<LastContact>,
    key_persons: Vec<KeyDatesRow>,
}

async fn people_lane(c: &mut Conn<'_>, ask: &Ask<'_>) -> StoreResult<PeopleLane> {
    let me = ask.user.id.0;
    let mut clock = Lap::start();
    let since = day_start(ask.settings, ask.date - Days::new(ANY_CONTACT_DAYS));
    let any: Vec<LastContact> = c
        .fetch_all(
            &format!(
                "SELECT i.customer_id, i.kind, MAX(i.occurred_at) FROM interactions i \
                 WHERE i.customer_id IN {} AND i.kind IN ('card','call') AND i.occurred_at >= $2 \
                 GROUP BY i.customer_id, i.kind",
                direct_ids_sql(1)
            ),
            args![me, since],
        )
        .await?;
    let any_ms = clock.lap();
    let key_persons: Vec<KeyDatesRow> = c
        .fetch_all(
            &format!(
                "SELECT k.id, k.customer_id, k.name, k.birthday, k.wedding_anniversary \
                 FROM key_persons k WHERE k.customer_id IN {} \
                 AND (k.birthday IS NOT NULL OR k.wedding_anniversary IS NOT NULL)",
                direct_ids_sql(1)
            ),
            args![me],
        )
        .await?;
    tracing::debug!(
        user = me,
        any_ms,
        key_persons_ms = clock.lap(),
        "agenda facts: people lane"
    );
    Ok(PeopleLane { any, key_persons })
}

/// The third lane: the recent orders of directly held customers with everything before them,
/// the day's large-order amount, and the follow-ups the user promised.
struct OrdersLane {
    history: Vec<(i64, i64, NaiveDate, i64, String)>,
    from: NaiveDate,
    default_currency: String,
    large_order_minor: Option<i64>,
    promises: Vec<Promise>,
}

async fn orders_lane(c: &mut Conn<'_>, ask: &Ask<'_>) -> StoreResult<OrdersLane> {
    let (date, until, settings) = (ask.date, ask.until, ask.settings);
    let me = ask.user.id.0;
    let mut clock = Lap::start();
    // Every order of the customers with a recent one, in order, the averages kept running in
    // `recent_orders` (one index walk, where a subquery per recent order re-read the earlier
    // ones).
    let back =
        u64::from(settings.thank_you.within_days) + patron_core::contact::agenda::CARD_GRACE_DAYS;
    let from = date - Days::new(back);
    let history: Vec<(i64, i64, NaiveDate, i64, String)> = c
        .fetch_all(
            &format!(
                "SELECT p.id, p.customer_id, p.order_date, p.total_minor, p.currency \
                 FROM orders p WHERE p.customer_id IN (SELECT o.customer_id FROM orders o \
                 WHERE o.customer_id IN {} AND o.order_date >= $2 AND o.order_date <= $3) \
                 AND p.order_date <= $3 ORDER BY p.customer_id, p.order_date, p.id",
                direct_ids_sql(1)
            ),
            args![me, from, until],
        )
        .await?;
    let default_currency = default_currency(c).await?;
    // Cached for the day: computed once (a percentile over a year of orders), then read.
    let large_order_minor = if history.iter().any(|o| o.2 >= from) {
        large_order_threshold(c, date, settings, default_currency.as_str()).await?
    } else {
        None
    };

    let orders_ms = clock.lap();
    // Follow-ups promised by the user (or, unassigned, on their customers).
    let promises: Vec<(i64, i64, String, NaiveDate, Option<String>)> = c
        .fetch_all(
            &format!(
                // Two ways in, each by its index: the user's own promises by person and day;
                // unassigned ones through the customers the user holds directly (SQLite keeps
                // a CROSS JOIN's order, so customers lead; PostgreSQL plans it freely).
                "SELECT i.id, i.customer_id, c.name, i.follow_up_on, i.follow_up \
                 FROM interactions i JOIN customers c ON c.id = i.customer_id \
                 WHERE i.staff_id = $1 AND i.follow_up_on IS NOT NULL \
                 AND i.follow_up_on >= $2 AND i.follow_up_on <= $3 \
                 UNION ALL \
                 SELECT i.id, i.customer_id, c.name, i.follow_up_on, i.follow_up \
                 FROM customers c CROSS JOIN interactions i \
                 WHERE i.customer_id = c.id AND {} AND i.staff_id IS NULL \
                 AND i.follow_up_on IS NOT NULL \
                 AND i.follow_up_on >= $2 AND i.follow_up_on <= $3",
                direct_sql(1)
            ),
            args![
                me,
                date - Days::new(PROMISE_DAYS),
                until + Days::new(patron_core::contact::agenda::WEEK_DAYS)
            ],
        )
        .await?;
    let promises = promises
        .into_iter()
        .map(|(id, cid, name, on, what)| Promise {
            interaction_id: id,
            customer_id: CustomerId(cid),
            customer_name: name,
            on,
            what,
        })
        .collect();
    tracing::debug!(
        user = me,
        orders_ms,
        promises_ms = clock.lap(),
        "agenda facts: orders lane"
    );
    Ok(OrdersLane {
        history,
        from,
        default_currency: default_currency.as_str().to_owned(),
        large_order_minor,
        promises,
    })
}

/// The fourth lane: duties kept in their own records (each module finding the user's), and the
/// dashboard flag.
struct DutiesLane {
    obligations: Vec<patron_core::contact::Obligation>,
    unmanaged: Option<i64>,
}

async fn duties_lane(c: &mut Conn<'_>, ask: &Ask<'_>) -> StoreResult<DutiesLane> {
    let (user, date, until, settings) = (ask.user, ask.date, ask.until, ask.settings);
    let mut clock = Lap::start();
    let mut obligations = super::after_sales::obligations(c, user, date, until, settings).await?;
    obligations.extend(super::key_accounts::obligations(c, user, until, settings).await?);
    obligations.extend(super::requests::obligations(c, user, settings).await?);
    obligations.extend(super::complaints::obligations(c, user, settings).await?);
    let obligations_ms = clock.lap();
    // A-class customers in the user's charge without a relationship manager (a day's agenda
    // shows it; facts for several days serve the calendar, which does not).
    let unmanaged = if until == date {
        Some(unmanaged_a_class(c, Scope::of(user)).await?)
    } else {
        None
    };
    tracing::debug!(
        user = user.id.0,
        obligations_ms,
        unmanaged_ms = clock.lap(),
        "agenda facts: duties lane"
    );
    Ok(DutiesLane {
        obligations,
        unmanaged,
    })
}

/// Computes and caches the day's large-order amount in the default currency (see
/// [`crate::Store::warm_agenda`]).
pub(crate) async fn warm(
    c: &mut Conn<'_>,
    date: NaiveDate,
    settings: &ContactSettings,
) -> StoreResult<()> {
    let currency = default_currency(c).await?;
    large_order_threshold(c, date, settings, currency.as_str()).await?;
    Ok(())
}

/// The shop's default currency (settings), else the built-in default.
async fn default_currency(c: &mut Conn<'_>) -> StoreResult<patron_core::Currency> {
    Ok(r::get_setting(c, super::store_impl::DEFAULT_CURRENCY_KEY)
        .await?
        .and_then(|v| patron_core::Currency::parse("currency", &v).ok())
        .unwrap_or_default())
}

/// How many A-class customers inside `scope` have no relationship manager (lost ones aside).
async fn unmanaged_a_class(c: &mut Conn<'_>, scope: Scope) -> StoreResult<i64> {
    let mut a: Vec<Arg> = Vec::new();
    let mut wh = vec![
        "cc.abc = 'A'".to_owned(),
        "c.relationship_manager_id IS NULL".to_owned(),
        "c.stage <> 'lost'".to_owned(),
    ];
    push_scope_driving(scope, "c", &mut wh, &mut a);
    // Within a person's or a team's customers, the customers lead (SQLite keeps a CROSS JOIN's
    // order; it would otherwise walk every A-class customer); for everyone, the classes do.
    let from = match scope {
        Scope::All => "customers c JOIN customer_classes cc ON cc.customer_id = c.id",
        _ => "customers c CROSS JOIN customer_classes cc",
    };
    wh.push("cc.customer_id = c.id".to_owned());
    c.scalar_i64(
        &format!("SELECT COUNT(*) FROM {from} WHERE {}", wh.join(" AND ")),
        a,
    )
    .await
}

/// The orders from `from` on of the customers `keep` accepts, each with the customer's average
/// order (same currency) before it; `history` is every order up to the last day, sorted by
/// customer, day and id.
fn recent_orders(
    history: Vec<(i64, i64, NaiveDate, i64, String)>,
    from: NaiveDate,
    keep: impl Fn(i64) -> bool,
) -> Vec<RecentOrder> {
    let mut out = Vec::new();
    // Per currency of the current customer: (sum, count) of the orders so far.
    let mut running: HashMap<String, (i128, i64)> = HashMap::new();
    let mut customer = None;
    for (id, cid, day, total, currency) in history {
        if customer != Some(cid) {
            customer = Some(cid);
            running.clear();
        }
        let so_far = running.entry(currency.clone()).or_insert((0, 0));
        let previous_average_minor =
            (so_far.1 > 0).then(|| (so_far.0 / i128::from(so_far.1)) as i64);
        so_far.0 += i128::from(total);
        so_far.1 += 1;
        if day >= from && keep(cid) {
            out.push(RecentOrder {
                id,
                customer_id: CustomerId(cid),
                date: day,
                total_minor: total,
                currency,
                previous_average_minor,
            });
        }
    }
    out
}

/// The shortest interval a frequency can put between two contacts, in days (a lower bound for
/// calendar periods: a month is at least 28 days); `None` when nothing is scheduled.
fn min_interval_days(f: &Frequency) -> Option<u64> {
    match *f {
        Frequency::Times { max, per, .. } => Some(u64::from((per.days() / max.max(1)).max(1))),
        Frequency::Every { min, unit, .. } => {
            let per = match unit {
                patron_core::contact::Period::Week => 7,
                patron_core::contact::Period::Month => 28,
                patron_core::contact::Period::Quarter => 89,
                patron_core::contact::Period::Year => 365,
            };
            Some(per * u64::from(min.max(1)))
        }
        Frequency::WhenNecessary | Frequency::None => None,
    }
}

/// The first instant of a day in the shop's time zone (a DST gap at midnight: the next instant
/// that exists).
pub(crate) fn day_start(settings: &ContactSettings, day: NaiveDate) -> DateTime<Utc> {
    settings.day_start(day)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct LargeOrderCache {
    on: NaiveDate,
    currency: String,
    top_share: f64,
    window_months: u32,
    minor: Option<i64>,
}

/// The amount from which an order is in the top share of the window's orders (default
/// currency), cached for the day in the settings.
async fn large_order_threshold(
    c: &mut Conn<'_>,
    date: NaiveDate,
    settings: &ContactSettings,
    currency: &str,
) -> StoreResult<Option<i64>> {
    let rules = settings.thank_you;
    // An unreadable cache (or the single entry an earlier version kept) is started afresh.
    let mut cache: Vec<LargeOrderCache> = r::get_setting(c, LARGE_ORDER_CACHE)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    cache.retain(|e| {
        e.currency == currency
            && e.top_share == rules.top_share
            && e.window_months == rules.window_months
    });
    if let Some(hit) = cache.iter().find(|e| e.on == date) {
        return Ok(hit.minor);
    }
    let from = date
        .checked_sub_months(Months::new(rules.window_months))
        .unwrap_or(date);
    let n = c
        .scalar_i64(
            "SELECT COUNT(*) FROM orders WHERE currency = $1 AND order_date > $2 AND order_date <= $3",
            args![currency, from, date],
        )
        .await?;
    let minor = if n == 0 {
        None
    } else {
        // The smallest amount among the top share (at least one order).
        let top = ((n as f64) * rules.top_share).ceil().max(1.0) as i64;
        let row: Option<(i64,)> = c
            .fetch_optional(
                "SELECT total_minor FROM orders WHERE currency = $1 AND order_date > $2 \
                 AND order_date <= $3 ORDER BY total_minor DESC LIMIT 1 OFFSET $4",
                args![currency, from, date, top - 1],
            )
            .await?;
        row.map(|r| r.0)
    };
    cache.insert(
        0,
        LargeOrderCache {
            on: date,
            currency: currency.to_owned(),
            top_share: rules.top_share,
            window_months: rules.window_months,
            minor,
        },
    );
    cache.truncate(LARGE_ORDER_CACHE_DAYS);
    if let Ok(text) = serde_json::to_string(&cache) {
        // A cache that cannot be written is only recomputed next time.
        if let Err(e) = r::set_setting(c, LARGE_ORDER_CACHE, &text).await {
            tracing::warn!(error = %e, "caching the large-order amount");
        }
    }
    Ok(minor)
}

/// The customer (and key person) an item key is about.
async fn subject_of(c: &mut Conn<'_>, key: &ItemKey) -> StoreResult<(CustomerId, Option<i64>)> {
    let (sql, entity) = match key.kind {
        ItemKind::Visit | ItemKind::Call | ItemKind::PreseasonCall => {
            ("SELECT id, NULL FROM customers WHERE id = $1", "customer")
        }
        ItemKind::Birthday | ItemKind::Anniversary => (
            "SELECT customer_id, id FROM key_persons WHERE id = $1",
            "key person",
        ),
        ItemKind::ThankYouCard => (
            "SELECT customer_id, NULL FROM orders WHERE id = $1",
            "order",
        ),
        ItemKind::FollowUp => (
            "SELECT customer_id, NULL FROM interactions WHERE id = $1",
            "interaction",
        ),
        ItemKind::Delivery | ItemKind::Installation | ItemKind::AfterSalesCall => (
            "SELECT customer_id, NULL FROM service_jobs WHERE id = $1",
            "service job",
        ),
        ItemKind::ReplyDue => (
            "SELECT customer_id, NULL FROM customer_requests WHERE id = $1",
            "customer request",
        ),
        ItemKind::AccountReview => (
            "SELECT customer_id, NULL FROM account_plans WHERE id = $1",
            "key-account plan",
        ),
        ItemKind::ComplaintReply | ItemKind::ComplaintEscalation => (
            "SELECT customer_id, NULL FROM complaints WHERE id = $1",
            "complaint",
        ),
        ItemKind::PlanAction => (
            "SELECT p.customer_id, NULL FROM account_plan_actions a \
             JOIN account_plans p ON p.id = a.plan_id WHERE a.id = $1",
            "key-account plan action",
        ),
    };
    let row: Option<(i64, Option<i64>)> = c.fetch_optional(sql, args![key.subject]).await?;
    row.map(|(cid, kp)| (CustomerId(cid), kp))
        .ok_or_else(|| StoreError::not_found(entity, key.subject))
}

pub(crate) async fn act(
    c: &mut Conn<'_>,
    user: &User,
    key: &ItemKey,
    action: AgendaAction,
    today: NaiveDate,
) -> StoreResult<(AgendaActed, Option<InteractionInput>)> {
    let (customer, key_person) = subject_of(c, key).await?;
    if !super::customers::in_scope(c, customer, Scope::of(user)).await? {
        return Err(StoreError::not_found("customer", customer));
    }
    let key_s = key.to_string();
    let (act, until, reason, log) = match action {
        AgendaAction::Done {
            kind,
            outcome,
            notes,
        } => {
            let input = InteractionInput {
                customer_id: customer,
                kind: crate::contact::done_kind(key.kind, kind),
                occurred_at: None,
                staff_id: Some(user.id),
                key_person_id: key_person.map(patron_core::KeyPersonId),
                outcome,
                notes,
                follow_up_on: None,
                follow_up: None,
            };
            (MarkAction::Done, None, None, Some(input))
        }
        AgendaAction::Snooze { until } => (MarkAction::Snoozed, Some(until), None, None),
        AgendaAction::Dismiss { reason } => (
            MarkAction::Dismissed,
            None,
            Some(reason.trim().to_owned()),
            None,
        ),
    };
    c.execute(
        "INSERT INTO agenda_marks (user_id, item_key, kind, customer_id, action, until, reason, \
         marked_on, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (user_id, item_key) DO UPDATE SET action = excluded.action, \
         until = excluded.until, reason = excluded.reason, marked_on = excluded.marked_on, \
         at = excluded.at",
        args![
            user.id.0,
            &key_s,
            key.kind.as_str(),
            customer.0,
            act.as_str(),
            until,
            reason,
            today,
            super::now()
        ],
    )
    .await?;
    Ok((
        AgendaActed {
            key: key_s,
            action: act.as_str().to_owned(),
            interaction_id: None,
        },
        log,
    ))
}

/// What "done" on an agenda item changes in the item's own record (a delivery marked done, a
/// reply recorded, a review date moved on), in the same transaction as the mark and the
/// logged interaction.
pub(crate) async fn after_done(
    c: &mut Conn<'_>,
    user: &User,
    key: &ItemKey,
    interaction: Option<i64>,
    today: NaiveDate,
) -> StoreResult<()> {
    match key.kind {
        ItemKind::Delivery | ItemKind::Installation | ItemKind::AfterSalesCall => {
            super::after_sales::agenda_done(c, user, key, interaction, today).await
        }
        ItemKind::ReplyDue => super::requests::agenda_done(c, user, key, interaction, today).await,
        ItemKind::ComplaintReply | ItemKind::ComplaintEscalation => {
            super::complaints::agenda_done(c, user, key, interaction, today).await
        }
        ItemKind::AccountReview | ItemKind::PlanAction => {
            super::key_accounts::agenda_done(c, user, key, interaction, today).await
        }
        _ => Ok(()),
    }
}

/// Links a "done" mark to the interaction it logged.
pub(crate) async fn link_interaction(
    c: &mut Conn<'_>,
    user: UserId,
    key: &str,
    interaction: i64,
) -> StoreResult<()> {
    c.execute(
        "UPDATE agenda_marks SET interaction_id = $1 WHERE user_id = $2 AND item_key = $3",
        args![interaction, user.0, key],
    )
    .await?;
    Ok(())
}

type ReassignmentRow = (
    DateTime<Utc>,
    i64,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

pub(crate) async fn reassignments(
    c: &mut Conn<'_>,
    scope: Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    role: Option<&str>,
    class: Option<&str>,
) -> StoreResult<Vec<crate::contact::Reassignment>> {
    let mut a: Vec<Arg> = args![from, to];
    let mut wh = vec!["o.at >= $1".to_owned(), "o.at < $2".to_owned()];
    if let Some(r) = role {
        a.push(r.into());
        wh.push(format!("o.role = ${}", a.len()));
    }
    if let Some(k) = class {
        a.push(k.into());
        wh.push(format!("cc.abc = ${}", a.len()));
    }
    push_scope(scope, "c", &mut wh, &mut a);
    let sql = format!(
        "SELECT o.at, c.id, c.name, cc.abc, o.role, o.from_user_id, fu.name, o.to_user_id, \
         tu.name, o.changed_by, bu.name FROM owner_changes o \
         JOIN customers c ON c.id = o.customer_id \
         LEFT JOIN customer_classes cc ON cc.customer_id = c.id \
         LEFT JOIN users fu ON fu.id = o.from_user_id \
         LEFT JOIN users tu ON tu.id = o.to_user_id \
         LEFT JOIN users bu ON bu.id = o.changed_by \
         WHERE {} ORDER BY o.at DESC, o.id DESC LIMIT {}",
        wh.join(" AND "),
        crate::contact::REASSIGNMENTS_LIMIT
    );
    let rows: Vec<ReassignmentRow> = c.fetch_all(&sql, a).await?;
    Ok(rows
        .into_iter()
        .map(
            |(at, cid, name, abc, role, fid, fname, tid, tname, bid, bname)| {
                crate::contact::Reassignment {
                    at,
                    customer_id: CustomerId(cid),
                    customer_name: name,
                    class: abc,
                    role,
                    from_user_id: fid.map(UserId),
                    from_user_name: fname,
                    to_user_id: tid.map(UserId),
                    to_user_name: tname,
                    changed_by: bid.map(UserId),
                    changed_by_name: bname,
                }
            },
        )
        .collect())
}

/// The first day of the month `back` months before `d`'s.
fn month_start(d: NaiveDate, back: u32) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_sub_months(Months::new(back)).unwrap_or(first)
}

pub(crate) async fn compliance(
    c: &mut Conn<'_>,
    until: NaiveDate,
    months: u32,
    policy: &ContactPolicy,
    settings: &ContactSettings,
) -> StoreResult<Vec<ComplianceRow>> {
    let first = month_start(until, months - 1);
    let end = month_start(until, 0)
        .checked_add_months(Months::new(1))
        .unwrap_or(until);
    let users = r::list_users(c).await?;
    // Customers per holder pair and class (as classed now; unclassified count as C).
    let holders: Vec<HolderRow> = c
        .fetch_all(
            "SELECT c.owner_id, c.relationship_manager_id, cc.abc, COUNT(*) FROM customers c \
             LEFT JOIN customer_classes cc ON cc.customer_id = c.id WHERE c.stage <> 'lost' \
             GROUP BY c.owner_id, c.relationship_manager_id, cc.abc",
            vec![],
        )
        .await?;
    // Each person's visits and calls in the period, by the customer's class.
    let done: Vec<(i64, Option<String>, String, DateTime<Utc>)> = c
        .fetch_all(
            "SELECT i.staff_id, cc.abc, i.kind, i.occurred_at FROM interactions i \
             LEFT JOIN customer_classes cc ON cc.customer_id = i.customer_id \
             WHERE i.staff_id IS NOT NULL AND i.kind IN ('visit','call') \
             AND i.occurred_at >= $1 AND i.occurred_at < $2",
            args![day_start(settings, first), day_start(settings, end)],
        )
        .await?;
    let class_of = |abc: &Option<String>| {
        abc.as_deref()
            .and_then(AbcClass::parse)
            .unwrap_or(AbcClass::C)
    };
    let mut done_by: HashMap<(i64, AbcClass, String, bool), i64> = HashMap::new();
    for (staff, abc, kind, at) in &done {
        let month = settings.local_day(*at).format("%Y-%m").to_string();
        *done_by
            .entry((*staff, class_of(abc), month, kind == "visit"))
            .or_default() += 1;
    }
    let mut out = Vec::new();
    for u in users
        .iter()
        .filter(|u| u.active && POLICY_LEVELS.contains(&u.staff_level))
    {
        let Some(row) = policy.level(u.staff_level) else {
            continue;
        };
        let team: Vec<i64> = users
            .iter()
            .filter(|t| t.id == u.id || t.manager_id == Some(u.id))
            .map(|t| t.id.0)
            .collect();
        let holds = |h: &Option<i64>| match Scope::of(u) {
            Scope::All => true,
            Scope::Own(me) => *h == Some(me.0),
            Scope::Team(_) => h.is_some_and(|h| team.contains(&h)),
        };
        let mut per_class: HashMap<AbcClass, i64> = HashMap::new();
        for (owner, rm, abc, n) in &holders {
            if matches!(Scope::of(u), Scope::All) || holds(owner) || holds(rm) {
                *per_class.entry(class_of(abc)).or_default() += n;
            }
        }
        let mut m = first;
        while m < end {
            let next = m.checked_add_months(Months::new(1)).unwrap_or(end);
            let days = u32::try_from((next - m).num_days()).unwrap_or(30);
            let month = m.format("%Y-%m").to_string();
            for class in AbcClass::ALL {
                let cad = row.for_class(class);
                let n = per_class.get(&class).copied().unwrap_or(0);
                let visits_done = done_by
                    .get(&(u.id.0, class, month.clone(), true))
                    .copied()
                    .unwrap_or(0);
                let calls_done = done_by
                    .get(&(u.id.0, class, month.clone(), false))
                    .copied()
                    .unwrap_or(0);
                if !cad.visit.is_scheduled()
                    && !cad.call.is_scheduled()
                    && visits_done == 0
                    && calls_done == 0
                {
                    continue;
                }
                let round = |x: f64| (x * 10.0).round() / 10.0;
                out.push(ComplianceRow {
                    user_id: u.id,
                    user_name: u.name.clone(),
                    staff_level: u.staff_level,
                    class: class.as_str().to_owned(),
                    month: month.clone(),
                    customers: n,
                    visits_due: round(n as f64 * cad.visit.expected_in(days)),
                    visits_done,
                    calls_due: round(n as f64 * cad.call.expected_in(days)),
                    calls_done,
                });
            }
            m = next;
        }
    }
    Ok(out)
}

/// Revokes a user's live calendar feeds.
pub(crate) async fn revoke_feeds(c: &mut Conn<'_>, user: UserId) -> StoreResult<u64> {
    c.execute(
        "UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        args![super::now(), user.0],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("day")
    }

    #[test]
    fn recent_orders_carry_the_average_of_the_same_customers_earlier_orders() {
        let row = |id, cid, d, total, cur: &str| (id, cid, day(d), total, cur.to_owned());
        let history = vec![
            row(1, 7, 1, 1_000, "CNY"),
            row(2, 7, 2, 2_001, "CNY"),
            row(3, 7, 2, 500, "USD"),
            // Same day as order 4 but an earlier id: counted before it.
            row(4, 7, 20, 9_000, "CNY"),
            row(5, 7, 20, 100, "CNY"),
            row(6, 8, 21, 50, "CNY"),
            row(7, 9, 21, 70, "CNY"),
        ];
        let got = recent_orders(history, day(15), |cid| cid != 9);
        let seen: Vec<(i64, Option<i64>)> = got
            .iter()
            .map(|o| (o.id, o.previous_average_minor))
            .collect();
        // Order 4: (1,000 + 2,001) / 2, truncated; order 5: (1,000 + 2,001 + 9,000) / 3 — the
        // dollar order apart; customer 8's first order has none; customer 9 is not kept.
        assert_eq!(seen, vec![(4, Some(1_500)), (5, Some(4_000)), (6, None)]);
        assert_eq!(got[0].customer_id, CustomerId(7));
        assert_eq!(got[0].date, day(20));
    }
}
