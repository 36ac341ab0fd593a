//! The value lists' queries (see [`crate::lists`]). Each list picks its customers over the whole
//! archive (the top 5% is the archive's top 5%) and then shows those inside the caller's scope.

use super::conn::{Arg, Conn};
use super::customers::push_scope;
use crate::error::StoreResult;
use crate::lists::*;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::classify::Periods;
use patron_core::{Currency, CustomerId, Scope};
use std::collections::{BTreeMap, BTreeSet};

/// What every list is computed against.
pub(crate) struct ListContext {
    pub as_of: NaiveDate,
    pub currency: Currency,
    /// Whether a classification has been run (lists reading classes need one).
    pub classified: bool,
}

fn column(key: &str, kind: ColumnKind) -> ListColumn {
    ListColumn {
        key: key.to_owned(),
        kind,
    }
}

fn empty(name: ListName, cx: &ListContext, columns: Vec<ListColumn>, note: &str) -> ValueList {
    ValueList {
        name,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: Vec::new(),
        note: Some(note.to_owned()),
    }
}

const NOT_CLASSIFIED: &str = "no classification yet: run `patron classify` (or Classify now on \
                              the classes page)";

/// ` AND …` text and arguments of `scope` on customers aliased `c`, numbered after the arguments
/// already in `a`.
fn scope_sql(scope: Scope, mut a: Vec<Arg>) -> (String, Vec<Arg>) {
    let mut wh = Vec::new();
    push_scope(scope, "c", &mut wh, &mut a);
    let text = if wh.is_empty() {
        String::new()
    } else {
        format!(" AND {}", wh.join(" AND "))
    };
    (text, a)
}

pub(crate) async fn gold(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("rank", ColumnKind::Int),
        column("clv", ColumnKind::Money),
        column("p_alive", ColumnKind::Percent),
        column("expected_purchases", ColumnKind::Number),
        column("revenue_12m", ColumnKind::Money),
        column("abc", ColumnKind::Class),
    ];
    let scored = c
        .scalar_i64(
            "SELECT COUNT(*) FROM customer_scores WHERE clv IS NOT NULL",
            vec![],
        )
        .await?;
    if scored == 0 {
        return Ok(empty(
            ListName::Gold,
            cx,
            columns,
            "no lifetime values yet: run `patron model fit` and `patron model score`",
        ));
    }
    let top = (scored as f64 * 0.05).ceil().max(1.0) as i64;
    let (scope_text, a) = scope_sql(scope, vec![top.into()]);
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        Option<String>,
        String,
        i64,
        f64,
        Option<f64>,
        Option<f64>,
        Option<i64>,
        Option<String>,
    )> = c
        .fetch_all(
            &format!(
                "SELECT s.customer_id, c.external_ref, c.name, s.rank, s.clv, s.p_alive, \
                   s.expected_purchases, k.revenue_minor, k.abc \
                 FROM (SELECT customer_id, clv, p_alive, expected_purchases, \
                         ROW_NUMBER() OVER (ORDER BY clv DESC, customer_id) AS rank \
                       FROM customer_scores WHERE clv IS NOT NULL \
                       ORDER BY clv DESC, customer_id LIMIT $1) s \
                 JOIN customers c ON c.id = s.customer_id \
                 LEFT JOIN customer_classes k ON k.customer_id = s.customer_id \
                 WHERE 1 = 1{scope_text} ORDER BY s.rank"
            ),
            a,
        )
        .await?;
    let scale = 10f64.powi(cx.currency.minor_digits() as i32);
    Ok(ValueList {
        name: ListName::Gold,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: rows
            .into_iter()
            .map(|(id, rf, name, rank, clv, p, e, rev, abc)| ListRow {
                customer_id: CustomerId(id),
                customer_ref: rf,
                name,
                values: vec![
                    Cell::Int(rank),
                    Cell::from(clv.is_finite().then(|| (clv * scale).round() as i64)),
                    Cell::from(p),
                    Cell::from(e),
                    Cell::from(rev),
                    Cell::from(abc),
                ],
            })
            .collect(),
        note: None,
    })
}

pub(crate) async fn drag(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("days_since_last_order", ColumnKind::Int),
        column("revenue_total", ColumnKind::Money),
        column("purchase_days", ColumnKind::Int),
        column("abc", ColumnKind::Class),
        column("segment", ColumnKind::Class),
    ];
    if !cx.classified {
        return Ok(empty(ListName::Drag, cx, columns, NOT_CLASSIFIED));
    }
    let buyers = c
        .scalar_i64(
            "SELECT COUNT(*) FROM customer_classes WHERE monetary_minor IS NOT NULL",
            vec![],
        )
        .await?;
    let bottom = (buyers as f64 * 0.20).ceil() as i64;
    // More than a year since the last purchase: a row's recency is stored only where an order
    // refreshed it between runs, else it counts from its last purchase day to the run's day
    // (see `classes::with_day_values`).
    const QUIET_DAYS: i64 = 365;
    let quiet_since = cx.as_of - chrono::Days::new(QUIET_DAYS as u64);
    let (scope_text, a) = scope_sql(
        scope,
        vec![bottom.into(), QUIET_DAYS.into(), quiet_since.into()],
    );
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        Option<String>,
        String,
        Option<i64>,
        Option<NaiveDate>,
        i64,
        i64,
        String,
        Option<String>,
    )> = c
        .fetch_all(
            &format!(
                "SELECT k.customer_id, c.external_ref, c.name, k.recency_days, k.last_day, \
                   k.monetary_minor, k.frequency, k.abc, k.rfm_segment \
                 FROM (SELECT customer_id, recency_days, last_day, monetary_minor, frequency, \
                         abc, rfm_segment FROM customer_classes WHERE monetary_minor IS NOT NULL \
                       ORDER BY monetary_minor, customer_id LIMIT $1) k \
                 JOIN customers c ON c.id = k.customer_id \
                 WHERE (k.recency_days > $2 OR (k.recency_days IS NULL AND k.last_day < $3))\
                 {scope_text}"
            ),
            a,
        )
        .await?;
    let mut rows: Vec<_> = rows
        .into_iter()
        .map(|(id, rf, name, recency, last, rev, freq, abc, seg)| {
            let days = recency
                .or_else(|| last.map(|l| (cx.as_of - l).num_days().max(0)))
                .unwrap_or(0);
            (id, rf, name, days, rev, freq, abc, seg)
        })
        .collect();
    rows.sort_by(|x, y| y.3.cmp(&x.3).then(x.0.cmp(&y.0)));
    Ok(ValueList {
        name: ListName::Drag,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: rows
            .into_iter()
            .map(|(id, rf, name, days, rev, freq, abc, seg)| ListRow {
                customer_id: CustomerId(id),
                customer_ref: rf,
                name,
                values: vec![
                    Cell::Int(days),
                    Cell::Int(rev),
                    Cell::Int(freq),
                    Cell::Text(abc),
                    Cell::from(seg),
                ],
            })
            .collect(),
        note: None,
    })
}

pub(crate) async fn targets(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("key_persons", ColumnKind::Int),
        column("abc", ColumnKind::Class),
        column("stage", ColumnKind::Class),
    ];
    let (scope_text, a) = scope_sql(scope, vec![]);
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, Option<String>, String, i64, Option<String>, String)> = c
        .fetch_all(
            &format!(
                "SELECT c.id, c.external_ref, c.name, \
                   (SELECT COUNT(*) FROM key_persons p WHERE p.customer_id = c.id) AS persons, \
                   k.abc, c.stage \
                 FROM customers c LEFT JOIN customer_classes k ON k.customer_id = c.id \
                 WHERE c.kind = 'organisation' \
                   AND (k.abc IN ('A', 'B') OR EXISTS (SELECT 1 FROM customer_tags t \
                        WHERE t.customer_id = c.id AND t.tag = 'target')) \
                   AND (SELECT COUNT(*) FROM key_persons p WHERE p.customer_id = c.id) < 3\
                   {scope_text} \
                 ORDER BY k.abc, c.name, c.id"
            ),
            a,
        )
        .await?;
    Ok(ValueList {
        name: ListName::Targets,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: rows
            .into_iter()
            .map(|(id, rf, name, persons, abc, stage)| ListRow {
                customer_id: CustomerId(id),
                customer_ref: rf,
                name,
                values: vec![Cell::Int(persons), Cell::from(abc), Cell::Text(stage)],
            })
            .collect(),
        note: (!cx.classified).then(|| {
            "no classification yet: only organisations tagged `target` are listed; run \
             `patron classify` to add the A and B organisations"
                .to_owned()
        }),
    })
}

/// Complaints recorded in the last 12 months that make a big customer "complaining".
pub(crate) const COMPLAINING_MIN: i64 = 2;

/// Big customers (class A or B) with at least [`COMPLAINING_MIN`] complaints recorded in the 12
/// months up to the list's day: the most complaints first, then the highest revenue.
pub(crate) async fn complaining(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("complaints", ColumnKind::Int),
        column("open_complaints", ColumnKind::Int),
        column("revenue_12m", ColumnKind::Money),
        column("abc", ColumnKind::Class),
    ];
    if !cx.classified {
        return Ok(empty(ListName::Complaining, cx, columns, NOT_CLASSIFIED));
    }
    let periods = Periods::new(cx.as_of, 12);
    let from = periods
        .window_start
        .succ_opt()
        .unwrap_or(periods.window_start)
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let until = cx
        .as_of
        .succ_opt()
        .unwrap_or(cx.as_of)
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let a: Vec<Arg> = vec![
        from.into(),
        until.into(),
        COMPLAINING_MIN.into(),
        cx.currency.as_str().into(),
        periods.window_start.into(),
        cx.as_of.into(),
    ];
    let (scope_text, a) = scope_sql(scope, a);
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, Option<String>, String, i64, i64, i64, String)> = c
        .fetch_all(
            &format!(
                "SELECT c.id, c.external_ref, c.name, n.n, n.open, \
                   COALESCE((SELECT CAST(SUM(o.total_minor) AS BIGINT) FROM orders o WHERE o.customer_id = c.id \
                     AND o.currency = $4 AND o.order_date > $5 AND o.order_date <= $6), 0), k.abc \
                 FROM (SELECT x.customer_id, COUNT(*) AS n, \
                         SUM(CASE WHEN x.status <> 'closed' THEN 1 ELSE 0 END) AS open \
                       FROM complaints x WHERE x.recorded_at >= $1 AND x.recorded_at < $2 \
                       GROUP BY x.customer_id HAVING COUNT(*) >= $3) n \
                 JOIN customers c ON c.id = n.customer_id \
                 JOIN customer_classes k ON k.customer_id = c.id AND k.abc IN ('A', 'B') \
                 WHERE 1 = 1{scope_text} ORDER BY n.n DESC, 6 DESC, c.id"
            ),
            a,
        )
        .await?;
    Ok(ValueList {
        name: ListName::Complaining,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: rows
            .into_iter()
            .map(|(id, rf, name, n, open, revenue, abc)| ListRow {
                customer_id: CustomerId(id),
                customer_ref: rf,
                name,
                values: vec![
                    Cell::Int(n),
                    Cell::Int(open),
                    Cell::Int(revenue),
                    Cell::from(Some(abc)),
                ],
            })
            .collect(),
        note: None,
    })
}

/// Names and references of these customers inside `scope`, by id.
async fn names_in_scope(
    c: &mut Conn<'_>,
    scope: Scope,
    ids: &[i64],
) -> StoreResult<BTreeMap<i64, (Option<String>, String)>> {
    let mut out = BTreeMap::new();
    for part in ids.chunks(500) {
        let a: Vec<Arg> = part.iter().map(|i| Arg::from(*i)).collect();
        let list = super::placeholders(c, part.len());
        let (scope_text, a) = scope_sql(scope, a);
        let rows: Vec<(i64, Option<String>, String)> = c
            .fetch_all(
                &format!(
                    "SELECT c.id, c.external_ref, c.name FROM customers c \
                     WHERE c.id IN ({list}){scope_text}"
                ),
                a,
            )
            .await?;
        out.extend(rows.into_iter().map(|(id, rf, n)| (id, (rf, n))));
    }
    Ok(out)
}

pub(crate) async fn slipping(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("last_year", ColumnKind::Money),
        column("this_year", ColumnKind::Money),
        column("change", ColumnKind::Percent),
        column("abc", ColumnKind::Class),
    ];
    let periods = Periods::new(cx.as_of, 12);
    let summaries = super::classes::value_summaries(c, &periods, &cx.currency).await?;
    let mut last: Vec<&patron_core::classify::ValueSummary> =
        summaries.iter().filter(|s| s.yearly_minor[1] > 0).collect();
    if last.is_empty() {
        return Ok(empty(
            ListName::Slipping,
            cx,
            columns,
            "nobody bought in the 12 months before the last 12",
        ));
    }
    last.sort_by(|a, b| {
        b.yearly_minor[1]
            .cmp(&a.yearly_minor[1])
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let top = (last.len() as f64 * 0.20).ceil() as usize;
    let mut slipping: Vec<&patron_core::classify::ValueSummary> = last
        .into_iter()
        .take(top)
        .filter(|s| s.yearly_minor[0] < s.yearly_minor[1])
        .collect();
    // The biggest fall first.
    slipping.sort_by(|a, b| {
        (a.yearly_minor[0] - a.yearly_minor[1])
            .cmp(&(b.yearly_minor[0] - b.yearly_minor[1]))
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let ids: Vec<i64> = slipping.iter().map(|s| s.customer_id.0).collect();
    let names = names_in_scope(c, scope, &ids).await?;
    let classes: BTreeMap<i64, String> =
        super::classes::classes_of_many(c, &ids.iter().map(|i| CustomerId(*i)).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|k| (k.customer_id.0, k.abc.as_str().to_owned()))
            .collect();
    Ok(ValueList {
        name: ListName::Slipping,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: slipping
            .into_iter()
            .filter_map(|s| {
                let (rf, name) = names.get(&s.customer_id.0)?.clone();
                let [now, before, _] = s.yearly_minor;
                Some(ListRow {
                    customer_id: s.customer_id,
                    customer_ref: rf,
                    name,
                    values: vec![
                        Cell::Int(before),
                        Cell::Int(now),
                        Cell::Number((now - before) as f64 / before as f64),
                        Cell::from(classes.get(&s.customer_id.0).cloned()),
                    ],
                })
            })
            .collect(),
        note: None,
    })
}

pub(crate) async fn narrow(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("lines_bought", ColumnKind::Text),
        column("lines_not_bought", ColumnKind::Text),
        column("line_count", ColumnKind::Int),
    ];
    let periods = Periods::new(cx.as_of, 12);
    let bought: Vec<(i64, String)> = c
        .fetch_all(
            "SELECT DISTINCT o.customer_id, COALESCE(l.product_line, p.product_line) AS line \
             FROM orders o JOIN order_lines l ON l.order_id = o.id \
             LEFT JOIN products p ON p.id = l.product_id \
             WHERE o.order_date > $1 AND o.order_date <= $2 \
               AND COALESCE(l.product_line, p.product_line) IS NOT NULL",
            vec![periods.window_start.into(), cx.as_of.into()],
        )
        .await?;
    let catalogue: Vec<(String,)> = c
        .fetch_all(
            "SELECT DISTINCT product_line FROM products WHERE product_line IS NOT NULL",
            vec![],
        )
        .await?;
    let mut all: BTreeSet<String> = catalogue.into_iter().map(|r| r.0).collect();
    let mut by: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (id, line) in bought {
        all.insert(line.clone());
        by.entry(id).or_default().insert(line);
    }
    if all.len() < 2 {
        return Ok(empty(
            ListName::Narrow,
            cx,
            columns,
            "the catalogue has fewer than two product lines",
        ));
    }
    let narrow: Vec<(i64, BTreeSet<String>)> = by
        .into_iter()
        .filter(|(_, lines)| lines.len() <= 2 && lines.len() < all.len())
        .collect();
    let ids: Vec<i64> = narrow.iter().map(|(id, _)| *id).collect();
    let names = names_in_scope(c, scope, &ids).await?;
    let join = |v: Vec<&String>| v.into_iter().cloned().collect::<Vec<_>>().join(", ");
    Ok(ValueList {
        name: ListName::Narrow,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: narrow
            .into_iter()
            .filter_map(|(id, lines)| {
                let (rf, name) = names.get(&id)?.clone();
                let missing: Vec<&String> = all.iter().filter(|l| !lines.contains(*l)).collect();
                Some(ListRow {
                    customer_id: CustomerId(id),
                    customer_ref: rf,
                    name,
                    values: vec![
                        Cell::Text(join(lines.iter().collect())),
                        Cell::Text(join(missing)),
                        Cell::Int(lines.len() as i64),
                    ],
                })
            })
            .collect(),
        note: None,
    })
}

pub(crate) async fn credit(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("credit_class", ColumnKind::Class),
        column("limit", ColumnKind::Money),
        column("outstanding", ColumnKind::Money),
        column("overdue", ColumnKind::Money),
        column("days_overdue", ColumnKind::Int),
    ];
    // Balances are as of today whatever day the classes are: what is owed is owed now.
    let today = chrono::Utc::now().date_naive();
    let accounts = super::credit::accounts(c, scope, today, &cx.currency).await?;
    if accounts.is_empty() {
        return Ok(empty(
            ListName::Credit,
            cx,
            columns,
            "no customer is under credit management yet",
        ));
    }
    let ids: Vec<i64> = accounts.iter().map(|a| a.customer_id.0).collect();
    let refs = names_in_scope(c, scope, &ids).await?;
    Ok(ValueList {
        name: ListName::Credit,
        as_of: today,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: accounts
            .into_iter()
            .map(|a| ListRow {
                customer_id: a.customer_id,
                customer_ref: refs.get(&a.customer_id.0).and_then(|r| r.0.clone()),
                name: a.name,
                values: vec![
                    Cell::Text(a.class.as_str().to_owned()),
                    Cell::Int(a.limit_minor),
                    Cell::Int(a.outstanding_minor),
                    Cell::Int(a.overdue_minor),
                    Cell::Int(a.days_overdue),
                ],
            })
            .collect(),
        note: None,
    })
}

/// A-class customers without a relationship manager (METHOD §3.2), biggest first, with their
/// owner.
pub(crate) async fn unmanaged(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    let columns = vec![
        column("revenue_12m", ColumnKind::Money),
        column("owner", ColumnKind::Text),
    ];
    if !cx.classified {
        return Ok(empty(ListName::Unmanaged, cx, columns, NOT_CLASSIFIED));
    }
    let (scope_text, a) = scope_sql(scope, vec![]);
    type Row = (i64, Option<String>, String, i64, Option<String>);
    let rows: Vec<Row> = c
        .fetch_all(
            &format!(
                "SELECT c.id, c.external_ref, c.name, k.revenue_minor, u.name \
                 FROM customer_classes k JOIN customers c ON c.id = k.customer_id \
                 LEFT JOIN users u ON u.id = c.owner_id \
                 WHERE k.abc = 'A' AND c.relationship_manager_id IS NULL \
                 AND c.stage <> 'lost'{scope_text} \
                 ORDER BY k.revenue_minor DESC, c.id"
            ),
            a,
        )
        .await?;
    Ok(ValueList {
        name: ListName::Unmanaged,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: rows
            .into_iter()
            .map(|(id, rf, name, revenue, owner)| ListRow {
                customer_id: CustomerId(id),
                customer_ref: rf,
                name,
                values: vec![Cell::Int(revenue), Cell::from(owner)],
            })
            .collect(),
        note: None,
    })
}

/// P(alive) under which a high-value customer counts as slipping away.
pub(crate) const RISK_P_ALIVE: f64 = 0.5;

/// Customers we may be losing (METHOD §6 churn prevention): high-value customers (the top 20%
/// by lifetime value) whose probability of still being a customer has fallen under
/// [`RISK_P_ALIVE`]; customers with repeated complaints (two or more in 12 months); and
/// A-class customers whose visit is overdue by the representatives' policy. The more signals,
/// the higher on the list; then by lifetime value.
pub(crate) async fn churn_risk(
    c: &mut Conn<'_>,
    scope: Scope,
    cx: &ListContext,
) -> StoreResult<ValueList> {
    use patron_core::contact::ContactPolicy;
    use patron_core::StaffLevel;
    let columns = vec![
        column("signals", ColumnKind::Text),
        column("p_alive", ColumnKind::Percent),
        column("clv", ColumnKind::Money),
        column("complaints_12m", ColumnKind::Int),
        column("last_visit", ColumnKind::Date),
        column("abc", ColumnKind::Class),
    ];
    #[derive(Default)]
    struct Risk {
        p_alive: Option<f64>,
        clv: Option<f64>,
        complaints: i64,
        last_visit: Option<NaiveDate>,
        signals: Vec<&'static str>,
    }
    let mut risks: BTreeMap<i64, Risk> = BTreeMap::new();
    // 1. High value, falling P(alive).
    let scored = c
        .scalar_i64(
            "SELECT COUNT(*) FROM customer_scores WHERE clv IS NOT NULL",
            vec![],
        )
        .await?;
    if scored > 0 {
        let top = (scored as f64 * 0.20).ceil().max(1.0) as i64;
        let rows: Vec<(i64, Option<f64>, f64)> = c
            .fetch_all(
                "SELECT customer_id, p_alive, clv FROM customer_scores WHERE clv IS NOT NULL \
                 ORDER BY clv DESC, customer_id LIMIT $1",
                vec![top.into()],
            )
            .await?;
        for (id, p, clv) in rows {
            if p.is_some_and(|p| p < RISK_P_ALIVE) {
                let r = risks.entry(id).or_default();
                r.p_alive = p;
                r.clv = Some(clv);
                r.signals.push("p_alive");
            }
        }
    }
    // 2. Repeated complaints.
    let since = (cx.as_of - chrono::Days::new(365))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc());
    let rows: Vec<(i64, i64)> = c
        .fetch_all(
            "SELECT customer_id, COUNT(*) FROM complaints WHERE recorded_at >= $1 \
             GROUP BY customer_id HAVING COUNT(*) >= $2",
            vec![since.into(), COMPLAINING_MIN.into()],
        )
        .await?;
    for (id, n) in rows {
        let r = risks.entry(id).or_default();
        r.complaints = n;
        r.signals.push("complaints");
    }
    // 3. A-class customers whose visit is overdue by the representatives' policy.
    if cx.classified {
        let policy: ContactPolicy =
            match super::records::get_setting(c, patron_core::contact::policy::POLICY_SETTING)
                .await?
            {
                Some(text) => serde_json::from_str(&text).unwrap_or_default(),
                None => ContactPolicy::default(),
            };
        let visit = policy
            .cadence(
                StaffLevel::SalesRepresentative,
                Some(patron_core::classify::AbcClass::A),
            )
            .map(|k| k.visit);
        if let Some(visit) = visit.filter(|v| v.is_scheduled()) {
            let rows: Vec<(i64, Option<DateTime<Utc>>, DateTime<Utc>)> = c
                .fetch_all(
                    "SELECT k.customer_id, (SELECT MAX(i.occurred_at) FROM interactions i \
                       WHERE i.customer_id = k.customer_id AND i.kind = 'visit'), c.created_at \
                     FROM customer_classes k JOIN customers c ON c.id = k.customer_id \
                     WHERE k.abc = 'A' AND c.stage <> 'lost'",
                    vec![],
                )
                .await?;
            for (id, last, created) in rows {
                let from = last.unwrap_or(created).date_naive();
                let overdue = visit.next_after(from).is_some_and(|w| w.latest < cx.as_of);
                if overdue {
                    let r = risks.entry(id).or_default();
                    r.last_visit = last.map(|t| t.date_naive());
                    r.signals.push("visit_overdue");
                }
            }
        }
    }
    let ids: Vec<i64> = risks.keys().copied().collect();
    let names = names_in_scope(c, scope, &ids).await?;
    let customer_ids: Vec<CustomerId> = names.keys().map(|i| CustomerId(*i)).collect();
    let classes: BTreeMap<i64, String> = super::classes::classes_of_many(c, &customer_ids)
        .await?
        .into_iter()
        .map(|k| (k.customer_id.0, k.abc.as_str().to_owned()))
        .collect();
    // Scores of the customers flagged for other reasons, so every row shows them.
    let mut scores: BTreeMap<i64, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for part in customer_ids.chunks(500) {
        let a: Vec<Arg> = part.iter().map(|i| Arg::from(i.0)).collect();
        let list = super::placeholders(c, part.len());
        let rows: Vec<(i64, Option<f64>, Option<f64>)> = c
            .fetch_all(
                &format!(
                    "SELECT customer_id, p_alive, clv FROM customer_scores \
                     WHERE customer_id IN ({list})"
                ),
                a,
            )
            .await?;
        scores.extend(rows.into_iter().map(|(id, p, v)| (id, (p, v))));
    }
    let scale = 10f64.powi(cx.currency.minor_digits() as i32);
    let mut rows: Vec<(usize, f64, ListRow)> = risks
        .into_iter()
        .filter_map(|(id, r)| {
            let (rf, name) = names.get(&id)?.clone();
            let (p, clv) = scores.get(&id).copied().unwrap_or((r.p_alive, r.clv));
            let clv_minor = clv.map(|v| (v * scale).round() as i64);
            Some((
                r.signals.len(),
                clv.unwrap_or(0.0),
                ListRow {
                    customer_id: CustomerId(id),
                    customer_ref: rf,
                    name,
                    values: vec![
                        Cell::Text(r.signals.join(", ")),
                        Cell::from(p),
                        Cell::from(clv_minor),
                        Cell::Int(r.complaints),
                        r.last_visit
                            .map_or(Cell::Null, |d| Cell::Text(d.to_string())),
                        Cell::from(classes.get(&id).cloned()),
                    ],
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.customer_id.cmp(&b.2.customer_id))
    });
    Ok(ValueList {
        name: ListName::ChurnRisk,
        as_of: cx.as_of,
        currency: cx.currency.as_str().to_owned(),
        columns,
        rows: rows.into_iter().map(|r| r.2).collect(),
        note: None,
    })
}
