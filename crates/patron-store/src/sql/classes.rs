//! Classification runs, the current classes, their history and the movement between two days
//! (see [`crate::classes`]).

use super::bulk::{write_rows, RowBuf, RowSource, Stamp};
use super::conn::{args, Arg, Conn};
use super::table_rewrite::{Rewrite, REWRITE_MIN_ROWS};
use crate::classes::*;
use crate::error::{map_rusqlite, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::classify::{
    classify_all, purchase_pace, AbcClass, AbcMethod, AbcReason, AbcRule, ClassRules, Classified,
    Dimension, Loyalty, LoyaltyReason, Periods, Rfm, RfmBounds, RfmSegment, ValueSummary,
};
use patron_core::{Currency, CustomerId, UserId};
use std::collections::BTreeMap;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

struct SummaryRow {
    customer_id: i64,
    window_minor: i64,
    y0: i64,
    y1: i64,
    y2: i64,
    first_day: NaiveDate,
    last_day: NaiveDate,
    days: i64,
    total_minor: i64,
}

/// Every customer's [`ValueSummary`] as of `p.as_of`, by customer id; customers without orders
/// (in `currency`, up to that day) get an empty one. One pass over the orders (see
/// [`super::order_scan`]).
pub(crate) async fn value_summaries(
    c: &mut Conn<'_>,
    p: &Periods,
    currency: &Currency,
) -> StoreResult<Vec<ValueSummary>> {
    let bounds = super::order_scan::Bounds {
        until: p.as_of,
        window_start: p.window_start,
        year_starts: p.year_starts,
    };
    let want = super::purchase_folds::Want::Windows(bounds);
    let folded = super::purchase_folds::folded(c, want, currency.as_str()).await?;
    let ids = super::order_scan::customer_ids(c).await?;
    let rows = folded.into_iter().map(|f| SummaryRow {
        customer_id: f.customer_id,
        window_minor: f.window_minor,
        y0: f.yearly_minor[0],
        y1: f.yearly_minor[1],
        y2: f.yearly_minor[2],
        first_day: f.first_day,
        last_day: f.last_day,
        days: f.days,
        total_minor: f.total_minor,
    });
    Ok(merge_summaries(ids.into_iter(), rows))
}

/// One summary per customer id (`ids` ascending), filled from `rows` (ascending, a subset).
fn merge_summaries(
    ids: impl ExactSizeIterator<Item = i64>,
    rows: impl IntoIterator<Item = SummaryRow>,
) -> Vec<ValueSummary> {
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        // Both lists are sorted by customer id: a merge, no map.
        while rows.peek().is_some_and(|r| r.customer_id < id) {
            rows.next();
        }
        let mut s = ValueSummary {
            customer_id: CustomerId(id),
            ..Default::default()
        };
        if let Some(r) = rows.next_if(|r| r.customer_id == id) {
            s.window_minor = r.window_minor;
            s.yearly_minor = [r.y0, r.y1, r.y2];
            s.first_day = Some(r.first_day);
            s.last_day = Some(r.last_day);
            s.days = r.days;
            s.total_minor = r.total_minor;
        }
        out.push(s);
    }
    out
}

/// A stored class name: one of the known classes (no allocation per row), else the text as
/// stored.
type ClassName = std::borrow::Cow<'static, str>;

fn class_name(d: Dimension, s: &str) -> ClassName {
    let known = match d {
        Dimension::Abc => AbcClass::parse(s).map(AbcClass::as_str),
        Dimension::Loyalty => Loyalty::parse(s).map(Loyalty::as_str),
        Dimension::Rfm => RfmSegment::parse(s).map(RfmSegment::as_str),
    };
    known.map_or_else(|| ClassName::Owned(s.to_owned()), ClassName::Borrowed)
}

/// What a run finds of a customer's classes: the class per dimension (in [`Dimension::ALL`]'s
/// order) and, for a current row, its digest (see [`row_digest`]).
#[derive(Default)]
struct Prior {
    classes: [Option<ClassName>; 3],
    digest: Option<i64>,
}

/// Every customer's [`Prior`], sorted by customer id (the run walks it beside its own results,
/// which are in the same order: no map of a million entries).
struct Before {
    rows: Vec<(i64, Prior)>,
    /// The newest as-of day of the current classes.
    latest: Option<NaiveDate>,
}

impl Before {
    /// The prior of `id`, for ids asked in ascending order; `at` is the walk's position.
    fn next(&self, at: &mut usize, id: i64) -> Option<&Prior> {
        while self.rows.get(*at).is_some_and(|(k, _)| *k < id) {
            *at += 1;
        }
        match self.rows.get(*at) {
            Some((k, p)) if *k == id => Some(p),
            _ => None,
        }
    }
}

fn dim_index(d: Dimension) -> usize {
    match d {
        Dimension::Abc => 0,
        Dimension::Loyalty => 1,
        Dimension::Rfm => 2,
    }
}

/// Each customer's class per dimension as of `as_of` (the newest history row on or before it).
///
/// `customers`: how many there are, to size the map once (growing a million-entry map rehashed
/// it about twenty times, and its fresh pages were a good part of a run's time).
async fn classes_as_of(
    c: &mut Conn<'_>,
    as_of: NaiveDate,
    customers: usize,
) -> StoreResult<Before> {
    let latest = latest_as_of(c).await?;
    if latest.is_none_or(|l| l <= as_of) {
        // The usual case, a run as of today: the current classes are the latest history.
        let sql = "SELECT customer_id, abc, loyalty, rfm_segment, digest FROM customer_classes \
                   ORDER BY customer_id";
        type Row = (i64, String, String, Option<String>, Option<i64>);
        let rows: Vec<Row> = match c {
            Conn::Sqlite(conn) => {
                // A million rows: read through rusqlite, as the orders are, in two halves at
                // once (see `order_scan::in_two_halves`; this transaction has not written the
                // classes yet).
                let ctx = "reading the current classes";
                let most = i64::try_from(customers).unwrap_or(0);
                let rows = super::bulk::on_sqlite_handle(conn, ctx, |db| {
                    priors_sqlite(db, most, super::order_scan::SPLIT_MIN_CUSTOMERS)
                })
                .await?;
                return Ok(Before { rows, latest });
            }
            Conn::Inline(db) => {
                let most = i64::try_from(customers).unwrap_or(0);
                let rows = priors_sqlite(db, most, super::order_scan::SPLIT_MIN_CUSTOMERS)?;
                return Ok(Before { rows, latest });
            }
            Conn::Pg(_) => c.fetch_all(sql, vec![]).await?,
        };
        let mut out = Vec::with_capacity(rows.len());
        for (id, abc, loyalty, seg, digest) in rows {
            out.push((
                id,
                Prior {
                    classes: [
                        Some(class_name(Dimension::Abc, &abc)),
                        Some(class_name(Dimension::Loyalty, &loyalty)),
                        seg.map(|s| class_name(Dimension::Rfm, &s)),
                    ],
                    digest,
                },
            ));
        }
        return Ok(Before { rows: out, latest });
    }
    let rows: Vec<(i64, String, String)> = c
        .fetch_all(
            "SELECT customer_id, dimension, new_class FROM ( \
               SELECT customer_id, dimension, new_class, ROW_NUMBER() OVER \
                 (PARTITION BY customer_id, dimension ORDER BY as_of DESC, id DESC) AS k \
               FROM class_changes WHERE as_of <= $1) h WHERE k = 1",
            args![as_of],
        )
        .await?;
    let mut out: std::collections::BTreeMap<i64, Prior> = Default::default();
    for (id, dim, class) in rows {
        if let Some(d) = Dimension::parse(&dim) {
            out.entry(id).or_default().classes[dim_index(d)] = Some(class_name(d, &class));
        }
    }
    Ok(Before {
        rows: out.into_iter().collect(),
        latest,
    })
}

/// Every customer's current classes, by customer id, on SQLite: in two halves at once from
/// `split_min` customers (by id range) on; `most`: at most this many.
fn priors_sqlite(
    db: &rusqlite::Connection,
    most: i64,
    split_min: i64,
) -> StoreResult<Vec<(i64, Prior)>> {
    let range = super::order_scan::id_range(db, "customer_classes", "customer_id")?;
    super::order_scan::in_two_halves(db, range, split_min, |db, from, to, n| {
        read_priors(db, from, to, n.clamp(0, most))
    })
}

/// The current classes of the customers with ids in `from..=to` (about `about` of them), by
/// customer id.
fn read_priors(
    db: &rusqlite::Connection,
    from: i64,
    to: i64,
    about: i64,
) -> StoreResult<Vec<(i64, Prior)>> {
    let ctx = "reading the current classes";
    let mut st = db
        .prepare(
            "SELECT customer_id, abc, loyalty, rfm_segment, digest FROM customer_classes \
             WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id",
        )
        .map_err(|e| map_rusqlite(e, ctx))?;
    let mut rows = st.query((from, to)).map_err(|e| map_rusqlite(e, ctx))?;
    let mut out = Vec::with_capacity(usize::try_from(about).unwrap_or(0));
    while let Some(r) = rows.next().map_err(|e| map_rusqlite(e, ctx))? {
        let text = |i: usize, d: Dimension| -> rusqlite::Result<Option<ClassName>> {
            Ok(r.get_ref(i)?.as_str_or_null()?.map(|s| class_name(d, s)))
        };
        let classes = [
            text(1, Dimension::Abc),
            text(2, Dimension::Loyalty),
            text(3, Dimension::Rfm),
        ];
        let id: i64 = r.get(0).map_err(|e| map_rusqlite(e, ctx))?;
        let digest: Option<i64> = r.get(4).map_err(|e| map_rusqlite(e, ctx))?;
        let [a, l, f] = classes.map(|v| v.map_err(|e| map_rusqlite(e, ctx)));
        out.push((
            id,
            Prior {
                classes: [a?, l?, f?],
                digest,
            },
        ));
    }
    Ok(out)
}

/// The sales territories graded (see [`TERRITORY_FIELD`]): each customer's territory is the
/// value of that custom field, its revenue its customers' summed.
async fn territories(
    c: &mut Conn<'_>,
    summaries: &[ValueSummary],
    rules: &patron_core::classify::AbcRules,
) -> StoreResult<Vec<patron_core::classify::TerritoryClass>> {
    let rows: Vec<(i64, String)> = c
        .fetch_all(
            "SELECT customer_id, value FROM customer_custom_values WHERE field_key = $1 \
             ORDER BY customer_id",
            args![TERRITORY_FIELD],
        )
        .await?;
    // The summaries are sorted by customer id: looked up by bisection, no map of them all.
    let members: Vec<(String, &ValueSummary)> = rows
        .into_iter()
        .filter_map(|(id, t)| {
            let t = t.trim().to_owned();
            (!t.is_empty()).then_some(())?;
            let i = summaries
                .binary_search_by_key(&id, |s| s.customer_id.0)
                .ok()?;
            Some((t, &summaries[i]))
        })
        .collect();
    Ok(patron_core::classify::classify_territories(&members, rules))
}

/// Staff overrides of loyalty: customer id → (class, reason).
async fn overrides(c: &mut Conn<'_>) -> StoreResult<HashMap<i64, (Loyalty, String)>> {
    let rows: Vec<(i64, String, String)> = c
        .fetch_all(
            "SELECT customer_id, loyalty, reason FROM loyalty_overrides",
            vec![],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, l, r)| Loyalty::parse(&l).map(|l| (id, (l, r))))
        .collect())
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::other("writing a class reason", e))
}

/// The reason stored with an RFM class: the values and scores.
fn rfm_reason(r: &Option<Rfm>) -> StoreResult<String> {
    json(r)
}

struct Change {
    customer_id: i64,
    dimension: Dimension,
    old: Option<String>,
    new: String,
    reason: String,
}

/// Classifies every customer as of `as_of` and records the changes (one transaction, the
/// caller's).
pub(crate) async fn classify(
    c: &mut Conn<'_>,
    as_of: NaiveDate,
    rules: &ClassRules,
    currency: &Currency,
) -> StoreResult<ClassifyReport> {
    rules
        .validate()
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let periods = Periods::new(as_of, rules.abc.window_months);
    let t = std::time::Instant::now();
    let summaries = value_summaries(c, &periods, currency).await?;
    let aggregate_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();
    let classified = classify_all(&summaries, rules, &periods);
    let classify_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();
    let territories = territories(c, &summaries, &rules.abc).await?;
    let before = classes_as_of(c, as_of, summaries.len()).await?;
    let overrides = overrides(c).await?;
    let at = super::now();
    let current = before.latest.is_none_or(|l| l <= as_of);
    let read_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();

    let mut report = ClassifyReport {
        as_of,
        customers: classified.len() as u64,
        abc: AbcClass::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), 0))
            .collect(),
        revenue_by_abc: AbcClass::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), 0))
            .collect(),
        loyalty: Loyalty::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), 0))
            .collect(),
        rfm: RfmSegment::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), 0))
            .collect(),
        changes: 0,
        changes_by_dimension: Dimension::ALL
            .iter()
            .map(|d| (d.as_str().to_owned(), 0))
            .collect(),
        current,
        rows_written: 0,
        currency: currency.as_str().to_owned(),
        method: rules.abc.method.as_str().to_owned(),
        window_months: rules.abc.window_months,
        territories,
    };
    let mut rows: Vec<ClassRow> = Vec::with_capacity(classified.len());
    let mut changes: Vec<Change> = Vec::new();
    // Counted by the classes' positions and named once at the end, not a key string per row.
    let mut abc_n = [(0u64, 0i64); 3];
    let mut loyalty_n = [0u64; 4];
    let mut rfm_n = [0u64; 10];
    let pos = |all: &[&str], k: &str| all.iter().position(|x| *x == k);
    let abc_names = AbcClass::ALL.map(AbcClass::as_str);
    let loyalty_names = Loyalty::ALL.map(Loyalty::as_str);
    let rfm_names = RfmSegment::ALL.map(RfmSegment::as_str);
    // The classified customers and the priors are both in customer order: walked together.
    let mut walk = 0;
    // The ranked customers' ranks and shares, kept apart from their rows (see `class_ranks`).
    let mut ranks: Vec<(i64, u64, f64)> = Vec::new();
    let mut ranked = 0;
    // The RFM values as scored, before `without_day_values` (their boundaries are kept).
    let mut scored: Vec<Rfm> = Vec::new();
    let mut priors: Vec<Option<i64>> =
        Vec::with_capacity(if current { classified.len() } else { 0 });
    for (mut k, s) in classified.into_iter().zip(&summaries) {
        let id = k.customer_id.0;
        let prior = before.next(&mut walk, id);
        let loyalty = match overrides.get(&id) {
            Some((l, why)) => {
                k.loyalty_reason.override_reason = Some(why.clone());
                *l
            }
            None => k.loyalty,
        };
        if let Some(i) = pos(&abc_names, k.abc.as_str()) {
            abc_n[i].0 += 1;
            abc_n[i].1 += s.window_minor;
        }
        if let Some(i) = pos(&loyalty_names, loyalty.as_str()) {
            loyalty_n[i] += 1;
        }
        if let Some(i) = k.rfm.and_then(|r| pos(&rfm_names, r.segment.as_str())) {
            rfm_n[i] += 1;
        }
        // The reason is serialised only for a class that changed (most runs change few).
        let mut note =
            |dimension: Dimension, new: Option<&str>, reason: &dyn Fn() -> StoreResult<String>| {
                let old = prior.and_then(|b| b.classes[dim_index(dimension)].as_deref());
                let new = match new {
                    Some(new) if old != Some(new) => new.to_owned(),
                    // A buyer whose orders were all removed leaves RFM.
                    None if old.is_some_and(|o| o != "none") => "none".to_owned(),
                    _ => return Ok::<(), StoreError>(()),
                };
                changes.push(Change {
                    customer_id: id,
                    dimension,
                    old: old.map(str::to_owned),
                    new,
                    reason: reason()?,
                });
                Ok(())
            };
        note(Dimension::Abc, Some(k.abc.as_str()), &|| {
            json(&k.abc_reason)
        })?;
        note(Dimension::Loyalty, Some(loyalty.as_str()), &|| {
            json(&k.loyalty_reason)
        })?;
        note(
            Dimension::Rfm,
            k.rfm.as_ref().map(|r| r.segment.as_str()),
            &|| rfm_reason(&k.rfm),
        )?;
        if current {
            if let (Some(rank), Some(share)) = (k.abc_reason.rank, k.abc_reason.cumulative_share) {
                ranks.push((id, rank, share));
            }
            ranked = k.abc_reason.ranked;
            scored.extend(k.rfm);
            rows.push(ClassRow {
                k: without_day_values(k),
                loyalty,
                revenue_minor: s.window_minor,
                first_day: s.first_day,
                last_day: s.last_day,
                digest: 0,
            });
            priors.push(prior.and_then(|p| p.digest));
        }
    }
    digest_all(&mut rows, currency.as_str())?;
    for (i, (n, revenue)) in abc_n.into_iter().enumerate() {
        report.abc.insert(abc_names[i].to_owned(), n);
        report
            .revenue_by_abc
            .insert(abc_names[i].to_owned(), revenue);
    }
    for (i, n) in loyalty_n.into_iter().enumerate() {
        report.loyalty.insert(loyalty_names[i].to_owned(), n);
    }
    for (i, n) in rfm_n.into_iter().enumerate() {
        report.rfm.insert(rfm_names[i].to_owned(), n);
    }
    for ch in &changes {
        *report
            .changes_by_dimension
            .entry(ch.dimension.as_str().to_owned())
            .or_default() += 1;
    }
    report.changes = changes.len() as u64;
    let compare_ms = t.elapsed().as_millis() as u64;
    let t = std::time::Instant::now();
    let (mut delete_ms, mut insert_ms, mut rebuild_ms, mut ranks_ms) = (0u64, 0u64, 0u64, 0u64);
    if current {
        // The run's score boundaries, so orders arriving before the next run re-score their
        // customer against the same base (see `refresh_rfm`).
        super::records::set_setting(c, RFM_BOUNDS_SETTING, &json(&RfmBounds::of(&scored))?).await?;
        // Only the rows whose content changed are written (see migration 0025); when most
        // did, deleting every row and inserting them all is the cheaper way.
        let changed: Vec<&ClassRow> = rows
            .iter()
            .zip(&priors)
            .filter(|(r, prior)| **prior != Some(r.digest))
            .map(|(r, _)| r)
            .collect();
        let whole = changed.len() * 2 > before.rows.len();
        let step = std::time::Instant::now();
        let mut rewrite = None;
        let write: Vec<&ClassRow> = if whole {
            if rows.len() >= REWRITE_MIN_ROWS {
                rewrite = Some(Rewrite::empty(c, "customer_classes").await?);
            } else {
                c.execute("DELETE FROM customer_classes", vec![]).await?;
            }
            rows.iter().collect()
        } else {
            for part in changed.chunks(500) {
                let sql = format!(
                    "DELETE FROM customer_classes WHERE customer_id IN ({})",
                    super::placeholders(c, part.len())
                );
                let ids = part.iter().map(|r| Arg::from(r.k.customer_id.0)).collect();
                c.execute(&sql, ids).await?;
            }
            changed
        };
        delete_ms = step.elapsed().as_millis() as u64;
        report.rows_written = write.len() as u64;
        let step = std::time::Instant::now();
        if !write.is_empty() {
            let stamp = Stamp::new(c, at);
            let mut src = ClassRows {
                rows: write.into_iter(),
                currency: currency.as_str(),
                as_of,
                at: &stamp.0,
            };
            match &rewrite {
                Some(r) => r.write(c, &CLASS_COLS, &mut src).await?,
                None => write_rows(c, "customer_classes", &CLASS_COLS, &mut src).await?,
            }
        }
        insert_ms = step.elapsed().as_millis() as u64;
        let step = std::time::Instant::now();
        if let Some(rewrite) = rewrite {
            rewrite.finish(c).await?;
        }
        rebuild_ms = step.elapsed().as_millis() as u64;
        let step = std::time::Instant::now();
        let ranks_digest = ranks_digest(&ranks);
        let prior_run = current_run(c).await?;
        if prior_run.and_then(|r| r.ranks_digest) != Some(ranks_digest) {
            write_ranks(c, &ranks).await?;
        }
        ranks_ms = step.elapsed().as_millis() as u64;
        // Rows left as they were keep the time they were written; the run's time is kept
        // beside them (see `current_run`), and so are its day and how many it ranked, which
        // the rows leave to it (see `without_day_values`).
        let run = CurrentRun {
            as_of,
            at,
            ranked: Some(ranked),
            ranks_digest: Some(ranks_digest),
        };
        super::records::set_setting(c, CURRENT_RUN_SETTING, &json(&run)?).await?;
    }
    if !changes.is_empty() {
        let stamp = Stamp::new(c, at);
        let mut src = ChangeRows {
            changes: changes.iter(),
            as_of,
            at: &stamp.0,
        };
        write_rows(c, "class_changes", &CHANGE_COLS, &mut src).await?;
    }
    tracing::debug!(
        customers = report.customers,
        changes = report.changes,
        aggregate_ms,
        classify_ms,
        read_ms,
        compare_ms,
        write_ms = t.elapsed().as_millis() as u64,
        delete_ms,
        insert_ms,
        rebuild_ms,
        ranks_ms,
        rows_written = report.rows_written,
        "classify: phases"
    );
    Ok(report)
}

struct ClassRow {
    /// The classes as derived, with the loyalty reason of the class in force (a staff
    /// override's reason in it).
    k: Classified,
    loyalty: Loyalty,
    revenue_minor: i64,
    /// The first and last purchase day as of the run (the day-dependent values are worked out
    /// from them when read).
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    /// [`row_digest`] of this row.
    digest: i64,
}

/// The classes without what moves with the day alone: the rank, the number ranked and the
/// cumulative share (kept in `class_ranks` and the run), the days since the last purchase, the
/// purchase days a year and the recency (worked out from the stored purchase days when read,
/// see [`with_day_values`]). A row then changes only when its classes, revenue or purchases do,
/// and a run on the next day rewrites about 1% of the rows instead of all of them
/// (migration 0027).
fn without_day_values(mut k: Classified) -> Classified {
    k.abc_reason.rank = None;
    k.abc_reason.ranked = 0;
    k.abc_reason.cumulative_share = None;
    k.loyalty_reason.days_since_last = None;
    k.loyalty_reason.days_per_year = None;
    if let Some(f) = &mut k.rfm {
        f.recency_days = 0;
    }
    k
}

/// Sets every row's [`row_digest`], on every core.
fn digest_all(rows: &mut [ClassRow], currency: &str) -> StoreResult<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let part = rows.len().div_ceil(workers).max(1);
    std::thread::scope(|sc| {
        let running: Vec<_> = rows
            .chunks_mut(part)
            .map(|chunk| {
                sc.spawn(move || {
                    for r in chunk {
                        r.digest = row_digest(r, currency)?;
                    }
                    Ok::<(), StoreError>(())
                })
            })
            .collect();
        running
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

/// The digest of everything a run writes into a class row but the time (migration 0025): the
/// classes, both reasons' stored fields, the RFM values and scores, the revenue, the currency
/// and the first and last purchase day. Not the as-of day: the row holds nothing that moves
/// with the day alone (see [`without_day_values`]). A fixed seed, so equal content gives equal
/// digests in every process; a new hash function (a foldhash upgrade, or a field added here)
/// only makes one run rewrite every row.
/// 64 bits: two different rows of one customer agreeing by chance is not a practical concern.
///
/// The reasons are hashed field by field (numbers by their bits), not as their JSON text: on
/// a million rows the serialisation was most of the comparison's time. The fields are the
/// stored ones ([`abc_fields`], [`loyalty_fields`]), so what is stored is what is hashed.
fn row_digest(r: &ClassRow, currency: &str) -> StoreResult<i64> {
    use chrono::Datelike;
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5041_5452_4f4e_1027).build_hasher();
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    r.k.abc.as_str().hash(&mut h);
    let (rule, method, months, revenue, rank, ranked, share, growth) = abc_fields(&r.k.abc_reason);
    (rule as u8, method as u8, months, revenue).hash(&mut h);
    (rank, ranked, bits(share)).hash(&mut h);
    growth.map(|g| g.map(bits)).hash(&mut h);
    r.loyalty.as_str().hash(&mut h);
    r.k.loyalty.as_str().hash(&mut h);
    let (days, since, per_year, why) = loyalty_fields(&r.k.loyalty_reason);
    (days, since, bits(per_year), why).hash(&mut h);
    match &r.k.rfm {
        Some(f) => {
            f.segment.as_str().hash(&mut h);
            (f.r, f.f, f.m).hash(&mut h);
            (f.recency_days, f.frequency, f.monetary_minor).hash(&mut h);
        }
        None => 0u8.hash(&mut h),
    }
    r.revenue_minor.hash(&mut h);
    currency.hash(&mut h);
    let day = |d: Option<NaiveDate>| d.map(|d| d.num_days_from_ce());
    (day(r.first_day), day(r.last_day)).hash(&mut h);
    // The stored column is a signed 64-bit integer on both backends.
    Ok(h.finish() as i64)
}

/// The reasons as `customer_classes` keeps them: JSON arrays of the fields in their order,
/// without the key names. A million rows are written on every next-day run; the named form
/// (kept in `class_changes`, and read here from rows written before) made the two reasons 220 of
/// a row's 350 bytes. A field added to a reason goes at the end, read as its default when
/// missing.
type StoredAbc = (
    AbcRule,
    AbcMethod,
    u32,
    i64,
    Option<u64>,
    u64,
    Option<f64>,
    Option<[Option<f64>; 2]>,
);
type StoredLoyalty = (i64, Option<i64>, Option<f64>, Option<String>);

/// An ABC reason's fields in their stored order. Taken apart without `..`: a field added to
/// the reason does not compile until it is stored (and so digested, see [`row_digest`]) too.
fn abc_fields(r: &AbcReason) -> StoredAbc {
    let AbcReason {
        rule,
        method,
        window_months,
        revenue_minor,
        rank,
        ranked,
        cumulative_share,
        growth,
    } = *r;
    (
        rule,
        method,
        window_months,
        revenue_minor,
        rank,
        ranked,
        cumulative_share,
        growth,
    )
}

/// A loyalty reason's fields in their stored order (see [`abc_fields`]).
fn loyalty_fields(r: &LoyaltyReason) -> (i64, Option<i64>, Option<f64>, Option<&str>) {
    let LoyaltyReason {
        days,
        days_since_last,
        days_per_year,
        override_reason,
    } = r;
    (
        *days,
        *days_since_last,
        *days_per_year,
        override_reason.as_deref(),
    )
}

fn stored_abc_reason(r: &AbcReason) -> serde_json::Result<String> {
    serde_json::to_string(&abc_fields(r))
}

fn stored_loyalty_reason(r: &LoyaltyReason) -> serde_json::Result<String> {
    serde_json::to_string(&loyalty_fields(r))
}

fn read_abc_reason(text: &str) -> serde_json::Result<AbcReason> {
    if !text.starts_with('[') {
        return serde_json::from_str(text);
    }
    let (rule, method, window_months, revenue_minor, rank, ranked, cumulative_share, growth): StoredAbc =
        serde_json::from_str(text)?;
    Ok(AbcReason {
        rule,
        method,
        window_months,
        revenue_minor,
        rank,
        ranked,
        cumulative_share,
        growth,
    })
}

fn read_loyalty_reason(text: &str) -> serde_json::Result<LoyaltyReason> {
    if !text.starts_with('[') {
        return serde_json::from_str(text);
    }
    let (days, days_since_last, days_per_year, override_reason): StoredLoyalty =
        serde_json::from_str(text)?;
    Ok(LoyaltyReason {
        days,
        days_since_last,
        days_per_year,
        override_reason,
    })
}

const CLASS_COLS: [&str; 20] = [
    "customer_id",
    "abc",
    "abc_reason",
    "loyalty",
    "derived_loyalty",
    "loyalty_reason",
    "rfm_segment",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "recency_days",
    "frequency",
    "monetary_minor",
    "revenue_minor",
    "currency",
    "as_of",
    "classified_at",
    "digest",
    "first_day",
    "last_day",
];

struct ClassRows<'a> {
    rows: std::vec::IntoIter<&'a ClassRow>,
    currency: &'a str,
    as_of: NaiveDate,
    at: &'a str,
}

impl RowSource for ClassRows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        let Some(r) = self.rows.next() else {
            return false;
        };
        w.int(r.k.customer_id.0);
        w.text(r.k.abc.as_str());
        // Plain numbers, strings and options: serialising them cannot fail, so the empty
        // array is never actually written.
        w.text(&stored_abc_reason(&r.k.abc_reason).unwrap_or_else(|_| "[]".into()));
        w.text(r.loyalty.as_str());
        w.text(r.k.loyalty.as_str());
        w.text(&stored_loyalty_reason(&r.k.loyalty_reason).unwrap_or_else(|_| "[]".into()));
        match &r.k.rfm {
            Some(f) => {
                w.text(f.segment.as_str());
                w.int(i64::from(f.r));
                w.int(i64::from(f.f));
                w.int(i64::from(f.m));
                // Worked out from `last_day` when read (see `without_day_values`).
                w.null();
                w.int(f.frequency);
                w.int(f.monetary_minor);
            }
            None => {
                for _ in 0..7 {
                    w.null();
                }
            }
        }
        w.int(r.revenue_minor);
        w.text(self.currency);
        w.arg(self.as_of.into());
        w.text(self.at);
        w.int(r.digest);
        w.arg(r.first_day.into());
        w.arg(r.last_day.into());
        w.end_row();
        true
    }
}

/// A digest of a run's ranking (who is ranked where, with what share), so a run whose ranking
/// equals the last one's leaves `class_ranks` as it is.
fn ranks_digest(ranks: &[(i64, u64, f64)]) -> i64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5041_5452_4f4e_2027).build_hasher();
    for (id, rank, share) in ranks {
        (id, rank, share.to_bits()).hash(&mut h);
    }
    h.finish() as i64
}

/// Replaces `class_ranks` with a run's ranking (ascending customer ids).
async fn write_ranks(c: &mut Conn<'_>, ranks: &[(i64, u64, f64)]) -> StoreResult<()> {
    const COLS: [&str; 3] = ["customer_id", "rank", "cumulative_share"];
    struct Ranks<'a>(std::slice::Iter<'a, (i64, u64, f64)>);
    impl RowSource for Ranks<'_> {
        fn next_row(&mut self, w: &mut RowBuf) -> bool {
            let Some((id, rank, share)) = self.0.next() else {
                return false;
            };
            w.int(*id);
            w.int(i64::try_from(*rank).unwrap_or(i64::MAX));
            w.real(*share);
            w.end_row();
            true
        }
    }
    let mut src = Ranks(ranks.iter());
    if ranks.len() >= REWRITE_MIN_ROWS {
        let rewrite = Rewrite::empty(c, "class_ranks").await?;
        rewrite.write(c, &COLS, &mut src).await?;
        rewrite.finish(c).await
    } else {
        c.execute("DELETE FROM class_ranks", vec![]).await?;
        if ranks.is_empty() {
            return Ok(());
        }
        write_rows(c, "class_ranks", &COLS, &mut src).await
    }
}

const CHANGE_COLS: [&str; 7] = [
    "customer_id",
    "dimension",
    "old_class",
    "new_class",
    "reason",
    "as_of",
    "changed_at",
];

struct ChangeRows<'a> {
    changes: std::slice::Iter<'a, Change>,
    as_of: NaiveDate,
    at: &'a str,
}

impl RowSource for ChangeRows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        let Some(ch) = self.changes.next() else {
            return false;
        };
        w.int(ch.customer_id);
        w.text(ch.dimension.as_str());
        w.opt_text(ch.old.as_deref());
        w.text(&ch.new);
        w.text(&ch.reason);
        w.arg(self.as_of.into());
        w.text(self.at);
        w.end_row();
        true
    }
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct CurrentRow {
    customer_id: i64,
    abc: String,
    abc_reason: String,
    loyalty: String,
    derived_loyalty: String,
    loyalty_reason: String,
    rfm_segment: Option<String>,
    rfm_r: Option<i64>,
    rfm_f: Option<i64>,
    rfm_m: Option<i64>,
    recency_days: Option<i64>,
    frequency: Option<i64>,
    monetary_minor: Option<i64>,
    revenue_minor: i64,
    currency: String,
    as_of: NaiveDate,
    classified_at: DateTime<Utc>,
    first_day: Option<NaiveDate>,
    last_day: Option<NaiveDate>,
    ranks_rank: Option<i64>,
    ranks_share: Option<f64>,
}

const CURRENT_SELECT: &str = "SELECT k.customer_id, abc, abc_reason, loyalty, derived_loyalty, \
     loyalty_reason, rfm_segment, rfm_r, rfm_f, rfm_m, recency_days, frequency, monetary_minor, \
     revenue_minor, currency, as_of, classified_at, first_day, last_day, \
     q.rank AS ranks_rank, q.cumulative_share AS ranks_share \
     FROM customer_classes k LEFT JOIN class_ranks q ON q.customer_id = k.customer_id";

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading stored classes: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

/// A stored row as of the latest run: its day, and the values that move with the day worked
/// out against it (see [`without_day_values`]). A value stored in the row wins: rows written
/// before migration 0027 hold them all, and an RFM refresh between runs stores its recency.
fn with_day_values(r: CurrentRow, run: Option<&CurrentRun>) -> StoreResult<CustomerClasses> {
    // A row left as it was by later runs holds classes those runs confirmed.
    let as_of = run.map_or(r.as_of, |run| run.as_of.max(r.as_of));
    let (first, last) = (r.first_day, r.last_day);
    let (rank, share) = (r.ranks_rank, r.ranks_share);
    let mut k = CustomerClasses::try_from(r)?;
    k.classified_at = classified_at(run, as_of, k.classified_at);
    k.as_of = as_of;
    let a = &mut k.abc_reason;
    if a.rank.is_none() && a.ranked == 0 {
        a.rank = rank.and_then(|v| u64::try_from(v).ok());
        a.cumulative_share = share;
        a.ranked = run.and_then(|run| run.ranked).unwrap_or(0);
    }
    let l = &mut k.loyalty_reason;
    if let (None, Some(first), Some(last)) = (l.days_since_last, first, last) {
        let (since, per_year) = purchase_pace(l.days, first, last, as_of);
        l.days_since_last = Some(since);
        l.days_per_year = l.days_per_year.or(Some(per_year));
    }
    if let Some(f) = &mut k.rfm {
        if f.recency_days < 0 {
            f.recency_days = last.map_or(0, |l| (as_of - l).num_days().max(0));
        }
    }
    Ok(k)
}

impl TryFrom<CurrentRow> for CustomerClasses {
    type Error = StoreError;
    fn try_from(r: CurrentRow) -> StoreResult<Self> {
        let abc = AbcClass::parse(&r.abc).ok_or_else(|| bad_row("abc", &r.abc))?;
        let abc_reason = read_abc_reason(&r.abc_reason).map_err(|e| bad_row("abc_reason", e))?;
        let loyalty = Loyalty::parse(&r.loyalty).ok_or_else(|| bad_row("loyalty", &r.loyalty))?;
        let derived_loyalty = Loyalty::parse(&r.derived_loyalty)
            .ok_or_else(|| bad_row("derived_loyalty", &r.derived_loyalty))?;
        let loyalty_reason =
            read_loyalty_reason(&r.loyalty_reason).map_err(|e| bad_row("loyalty_reason", e))?;
        let score = |v: Option<i64>| v.map(|v| v.clamp(0, 5) as u8).unwrap_or(0);
        let rfm = match r.rfm_segment.as_deref().and_then(RfmSegment::parse) {
            Some(segment) => Some(Rfm {
                // Not stored: worked out by `with_day_values`.
                recency_days: r.recency_days.unwrap_or(-1),
                frequency: r.frequency.unwrap_or(0),
                monetary_minor: r.monetary_minor.unwrap_or(0),
                r: score(r.rfm_r),
                f: score(r.rfm_f),
                m: score(r.rfm_m),
                segment,
            }),
            None => None,
        };
        Ok(CustomerClasses {
            customer_id: CustomerId(r.customer_id),
            abc,
            abc_reason,
            loyalty,
            loyalty_overridden: loyalty_reason.override_reason.is_some(),
            loyalty_reason,
            derived_loyalty,
            rfm,
            revenue_minor: r.revenue_minor,
            currency: r.currency,
            as_of: r.as_of,
            classified_at: r.classified_at,
        })
    }
}

pub(crate) async fn classes_of(
    c: &mut Conn<'_>,
    id: CustomerId,
) -> StoreResult<Option<CustomerClasses>> {
    let r: Option<CurrentRow> = c
        .fetch_optional(
            &format!("{CURRENT_SELECT} WHERE k.customer_id = $1"),
            args![id.0],
        )
        .await?;
    let Some(r) = r else {
        return Ok(None);
    };
    let run = current_run(c).await?;
    Ok(Some(with_day_values(r, run.as_ref())?))
}

/// The current classes of these customers (a list page's), in no particular order.
pub(crate) async fn classes_of_many(
    c: &mut Conn<'_>,
    ids: &[CustomerId],
) -> StoreResult<Vec<CustomerClasses>> {
    let mut out = Vec::with_capacity(ids.len());
    let run = current_run(c).await?;
    for part in ids.chunks(500) {
        let sql = format!(
            "{CURRENT_SELECT} WHERE k.customer_id IN ({})",
            super::placeholders(c, part.len())
        );
        let rows: Vec<CurrentRow> = c
            .fetch_all(&sql, part.iter().map(|i| Arg::from(i.0)).collect())
            .await?;
        for r in rows {
            out.push(with_day_values(r, run.as_ref())?);
        }
    }
    Ok(out)
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ChangeRow {
    id: i64,
    customer_id: i64,
    dimension: String,
    old_class: Option<String>,
    new_class: String,
    reason: String,
    as_of: NaiveDate,
    changed_at: DateTime<Utc>,
    user_id: Option<i64>,
}

/// A customer's changes of class, newest first.
pub(crate) async fn history(c: &mut Conn<'_>, id: CustomerId) -> StoreResult<Vec<ClassChange>> {
    let rows: Vec<ChangeRow> = c
        .fetch_all(
            "SELECT id, customer_id, dimension, old_class, new_class, reason, as_of, changed_at, \
             user_id FROM class_changes WHERE customer_id = $1 ORDER BY as_of DESC, id DESC",
            args![id.0],
        )
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ClassChange {
                id: r.id,
                customer_id: CustomerId(r.customer_id),
                dimension: Dimension::parse(&r.dimension)
                    .ok_or_else(|| bad_row("dimension", &r.dimension))?,
                old_class: r.old_class,
                new_class: r.new_class,
                reason: serde_json::from_str(&r.reason).unwrap_or(serde_json::Value::Null),
                as_of: r.as_of,
                changed_at: r.changed_at,
                user_id: r.user_id.map(UserId),
            })
        })
        .collect()
}

/// How many customers went from which class on `from` to which on `to` (each customer's class
/// on a day is the newest history row on or before it).
pub(crate) async fn movement(
    c: &mut Conn<'_>,
    dimension: Dimension,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<Movement>> {
    let rows: Vec<(Option<String>, String, i64)> = c
        .fetch_all(
            "WITH h AS ( \
               SELECT customer_id, new_class, as_of, ROW_NUMBER() OVER \
                 (PARTITION BY customer_id ORDER BY as_of DESC, id DESC) AS k \
               FROM class_changes WHERE dimension = $1 AND as_of <= $2 \
             ), g AS ( \
               SELECT customer_id, new_class, ROW_NUMBER() OVER \
                 (PARTITION BY customer_id ORDER BY as_of DESC, id DESC) AS k \
               FROM class_changes WHERE dimension = $1 AND as_of <= $3 \
             ) \
             SELECT a.new_class AS from_class, b.new_class AS to_class, COUNT(*) AS n \
             FROM g b LEFT JOIN h a ON a.customer_id = b.customer_id AND a.k = 1 \
             WHERE b.k = 1 AND b.new_class <> 'none' \
             GROUP BY a.new_class, b.new_class ORDER BY a.new_class, b.new_class",
            args![dimension.as_str(), from, to],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(from, to, n)| Movement {
            from: from.filter(|f| f != "none"),
            to,
            customers: n,
        })
        .collect())
}

/// The current classes counted, for the dashboard.
pub(crate) async fn summary(c: &mut Conn<'_>) -> StoreResult<ClassSummary> {
    let Some(as_of) = latest_as_of(c).await? else {
        return Ok(ClassSummary::default());
    };
    let currency: Option<(Option<String>,)> = c
        .fetch_optional(
            "SELECT MAX(currency) AS currency FROM customer_classes",
            vec![],
        )
        .await?;
    let currency = currency.and_then(|r| r.0);
    let at: Option<(Option<DateTime<Utc>>,)> = c
        .fetch_optional(
            "SELECT MAX(classified_at) AS at FROM customer_classes",
            vec![],
        )
        .await?;
    let run = current_run(c).await?;
    let count = |rows: Vec<(Option<String>, i64, i64)>, order: Vec<&'static str>| {
        let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (k, n, rev) in rows {
            if let Some(k) = k {
                by.insert(k, (n, rev));
            }
        }
        order
            .into_iter()
            .map(|k| {
                let (n, rev) = by.get(k).copied().unwrap_or((0, 0));
                ClassCount {
                    class: k.to_owned(),
                    customers: n,
                    revenue_minor: rev,
                }
            })
            .collect::<Vec<_>>()
    };
    let grouped = |col: &str| {
        format!(
            "SELECT {col}, COUNT(*) AS n, CAST(COALESCE(SUM(revenue_minor), 0) AS BIGINT) AS rev \
             FROM customer_classes GROUP BY {col}"
        )
    };
    let abc = count(
        c.fetch_all(&grouped("abc"), vec![]).await?,
        Dimension::Abc.classes(),
    );
    let loyalty = count(
        c.fetch_all(&grouped("loyalty"), vec![]).await?,
        Dimension::Loyalty.classes(),
    );
    let segments = count(
        c.fetch_all(&grouped("rfm_segment"), vec![]).await?,
        Dimension::Rfm.classes(),
    );
    let grid: Vec<(i64, i64, i64)> = c
        .fetch_all(
            "SELECT rfm_r, rfm_f, COUNT(*) AS n FROM customer_classes \
             WHERE rfm_r IS NOT NULL AND rfm_f IS NOT NULL GROUP BY rfm_r, rfm_f",
            vec![],
        )
        .await?;
    // The territories are graded per run and kept with its report; a report this version
    // cannot read (written by another) shows none rather than failing the whole dashboard.
    let territories = match super::records::get_setting(c, LAST_RUN_SETTING).await? {
        Some(text) => serde_json::from_str::<ClassifyReport>(&text)
            .map(|r| r.territories)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(ClassSummary {
        territories,
        as_of: Some(as_of),
        classified_at: at
            .and_then(|r| r.0)
            .map(|w| classified_at(run.as_ref(), as_of, w)),
        currency,
        abc,
        loyalty,
        segments,
        rfm_grid: grid
            .into_iter()
            .map(|(r, f, n)| RfmCell {
                r: r.clamp(0, 5) as u8,
                f: f.clamp(0, 5) as u8,
                customers: n,
            })
            .collect(),
    })
}

/// Sets (or with `None` removes) staff's override of a customer's loyalty class, and records the
/// change of the class in force in the history (one transaction, the caller's).
pub(crate) async fn set_loyalty_override(
    c: &mut Conn<'_>,
    customer: CustomerId,
    value: Option<(Loyalty, &str)>,
    by: Option<UserId>,
) -> StoreResult<()> {
    let at = super::now();
    match value {
        Some((l, reason)) => {
            if reason.trim().is_empty() {
                return Err(StoreError::invalid(
                    "reason",
                    "required",
                    "say why the loyalty class is overridden",
                ));
            }
            if reason.chars().count() > 1000 {
                return Err(StoreError::invalid(
                    "reason",
                    "too_long",
                    "the reason is longer than 1000 characters",
                ));
            }
            c.execute(
                "INSERT INTO loyalty_overrides (customer_id, loyalty, reason, user_id, at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id) DO UPDATE SET \
                 loyalty = excluded.loyalty, reason = excluded.reason, user_id = excluded.user_id, \
                 at = excluded.at",
                args![customer.0, l.as_str(), reason.trim(), by.map(|u| u.0), at],
            )
            .await?;
        }
        None => {
            c.execute(
                "DELETE FROM loyalty_overrides WHERE customer_id = $1",
                args![customer.0],
            )
            .await?;
        }
    }
    // The current row, if classified: the class in force changes now.
    let Some(cur) = classes_of(c, customer).await? else {
        return Ok(());
    };
    let (new, mut reason) = match value {
        Some((l, why)) => {
            let mut r = cur.loyalty_reason.clone();
            r.override_reason = Some(why.trim().to_owned());
            (l, r)
        }
        None => {
            let mut r = cur.loyalty_reason.clone();
            r.override_reason = None;
            (cur.derived_loyalty, r)
        }
    };
    if value.is_none() {
        reason.override_reason = None;
    }
    let reason_json = json(&reason)?;
    let stored = stored_loyalty_reason(&reason).map_err(|e| StoreError::other("to JSON", e))?;
    c.execute(
        "UPDATE customer_classes SET loyalty = $1, loyalty_reason = $2, digest = NULL \
         WHERE customer_id = $3",
        args![new.as_str(), stored, customer.0],
    )
    .await?;
    if new != cur.loyalty || value.is_some() != cur.loyalty_overridden {
        c.execute(
            "INSERT INTO class_changes (customer_id, dimension, old_class, new_class, reason, \
             as_of, changed_at, user_id) VALUES ($1, 'loyalty', $2, $3, $4, $5, $6, $7)",
            args![
                customer.0,
                cur.loyalty.as_str(),
                new.as_str(),
                reason_json,
                at.date_naive().max(cur.as_of),
                at,
                by.map(|u| u.0)
            ],
        )
        .await?;
    }
    Ok(())
}

/// The settings key of the latest current run's day and time ([`CurrentRun`]).
const CURRENT_RUN_SETTING: &str = "classify.current_run";

/// When the current classes were last confirmed: a run writes only the rows that changed, so a
/// row's own `classified_at` is when its content last changed, and the run's time stands for
/// the rows of its day.
#[derive(serde::Serialize, serde::Deserialize)]
struct CurrentRun {
    as_of: NaiveDate,
    at: DateTime<Utc>,
    /// How many customers the run ranked by revenue (the rows leave it to the run).
    #[serde(default)]
    ranked: Option<u64>,
    /// [`ranks_digest`] of the ranking in `class_ranks`.
    #[serde(default)]
    ranks_digest: Option<i64>,
}

/// The day of the current classes: the latest current run's, or the newest row's where that is
/// later (rows kept by a run are not rewritten, so their own day can be older than the run's).
/// `None` while nobody is classified.
pub(crate) async fn latest_as_of(c: &mut Conn<'_>) -> StoreResult<Option<NaiveDate>> {
    let newest: Option<(Option<NaiveDate>,)> = c
        .fetch_optional("SELECT MAX(as_of) AS m FROM customer_classes", vec![])
        .await?;
    let Some(newest) = newest.and_then(|r| r.0) else {
        return Ok(None);
    };
    let run = current_run(c).await?;
    Ok(Some(run.map_or(newest, |r| r.as_of.max(newest))))
}

/// The latest current run (see [`CurrentRun`]); a value this version cannot read counts as
/// none (rows then show the time they were written).
async fn current_run(c: &mut Conn<'_>) -> StoreResult<Option<CurrentRun>> {
    Ok(super::records::get_setting(c, CURRENT_RUN_SETTING)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok()))
}

/// When a row of day `as_of` written at `written` was last classified, given the latest run.
fn classified_at(
    run: Option<&CurrentRun>,
    as_of: NaiveDate,
    written: DateTime<Utc>,
) -> DateTime<Utc> {
    match run {
        Some(run) if run.as_of == as_of => written.max(run.at),
        _ => written,
    }
}

/// The settings key of the latest run's RFM score boundaries.
const RFM_BOUNDS_SETTING: &str = "classify.rfm_bounds";

/// Keeps a classified customer's RFM up to date as their orders change between runs (METHOD
/// §2: RFM is "kept up to date as orders arrive", not recomputed from all orders on every page):
/// their recency, frequency and monetary value are re-aggregated (one customer's orders, by
/// index) and scored against the latest run's boundaries, and a change of segment is recorded
/// like a run's. ABC and loyalty stay as the last run graded them: they are relative to the
/// whole base and move with the scheduled runs. Called in the order's own transaction; does
/// nothing for a customer never classified.
pub(crate) async fn refresh_rfm(c: &mut Conn<'_>, customer: CustomerId) -> StoreResult<()> {
    let Some(cur) = classes_of(c, customer).await? else {
        return Ok(());
    };
    let Some(text) = super::records::get_setting(c, RFM_BOUNDS_SETTING).await? else {
        return Ok(());
    };
    let bounds: RfmBounds =
        serde_json::from_str(&text).map_err(|e| bad_row(RFM_BOUNDS_SETTING, e))?;
    let agg: Option<(Option<NaiveDate>, i64, Option<i64>)> = c
        .fetch_optional(
            "SELECT MAX(order_date) AS last_day, COUNT(DISTINCT order_date) AS days, \
             CAST(SUM(total_minor) AS BIGINT) AS total FROM orders \
             WHERE customer_id = $1 AND currency = $2",
            args![customer.0, cur.currency.as_str()],
        )
        .await?;
    let at = super::now();
    // Recency counts from the run's day, or from today once today is later: an order placed
    // after the run is zero days old, not negative.
    let day = cur.as_of.max(at.date_naive());
    let new = match agg {
        Some((Some(last), days, total)) if days > 0 => {
            Some(bounds.score((day - last).num_days().max(0), days, total.unwrap_or(0)))
        }
        _ => None,
    };
    if new == cur.rfm {
        return Ok(());
    }
    let (seg, r, f, m, rec, freq, mon) = match &new {
        Some(x) => (
            Some(x.segment.as_str()),
            Some(i64::from(x.r)),
            Some(i64::from(x.f)),
            Some(i64::from(x.m)),
            Some(x.recency_days),
            Some(x.frequency),
            Some(x.monetary_minor),
        ),
        None => (None, None, None, None, None, None, None),
    };
    c.execute(
        "UPDATE customer_classes SET rfm_segment = $1, rfm_r = $2, rfm_f = $3, rfm_m = $4, \
         recency_days = $5, frequency = $6, monetary_minor = $7, digest = NULL \
         WHERE customer_id = $8",
        args![seg, r, f, m, rec, freq, mon, customer.0],
    )
    .await?;
    let old = cur.rfm.map(|x| x.segment);
    let new_seg = new.map(|x| x.segment);
    if old != new_seg {
        c.execute(
            "INSERT INTO class_changes (customer_id, dimension, old_class, new_class, reason, \
             as_of, changed_at) VALUES ($1, 'rfm', $2, $3, $4, $5, $6)",
            args![
                customer.0,
                old.map(|s| s.as_str()),
                new_seg.map_or("none", |s| s.as_str()),
                rfm_reason(&new)?,
                day,
                at
            ],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The current classes read in two halves on two connections are those one pass reads:
    /// every customer once, in order, unknown class names kept as stored.
    #[test]
    fn current_classes_read_in_halves_as_in_one_pass() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("classes.db");
        let db = rusqlite::Connection::open(&path).expect("a database file");
        db.execute_batch(
            "PRAGMA journal_mode = WAL; \
             CREATE TABLE customer_classes (customer_id INTEGER PRIMARY KEY, abc TEXT NOT NULL, \
               loyalty TEXT NOT NULL, rfm_segment TEXT, digest INTEGER);",
        )
        .expect("the table");
        for i in 1..=300i64 {
            let segment = match i % 3 {
                0 => None,
                1 => Some("champions"),
                _ => Some("a segment of an older build"),
            };
            let abc = ["A", "B", "C"][(i % 3) as usize];
            db.execute(
                "INSERT INTO customer_classes VALUES (?1, ?2, 'loyal', ?3, ?4)",
                (i * 7, abc, segment, (i % 4 != 0).then_some(i * 31)),
            )
            .expect("a row");
        }
        let flat = |rows: Vec<(i64, Prior)>| -> Vec<(i64, [Option<String>; 3], Option<i64>)> {
            rows.into_iter()
                .map(|(id, p)| (id, p.classes.map(|c| c.map(|c| c.into_owned())), p.digest))
                .collect()
        };
        let whole = flat(priors_sqlite(&db, 300, i64::MAX).expect("one pass"));
        assert_eq!(whole.len(), 300);
        assert!(whole.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(whole[1].0, 14);
        assert_eq!(
            whole[1].1,
            [
                Some("C".to_owned()),
                Some("loyal".to_owned()),
                Some("a segment of an older build".to_owned())
            ]
        );
        assert_eq!(whole[3].2, None);
        assert_eq!(
            flat(priors_sqlite(&db, 300, 1_000).expect("two halves")),
            whole
        );
        std::fs::rename(&path, dir.path().join("moved.db")).expect("moved");
        assert_eq!(
            flat(priors_sqlite(&db, 300, 1_000).expect("one connection")),
            whole
        );
    }

    /// The compact stored reasons read back as written, and rows written before in the named
    /// form still read.
    #[test]
    fn stored_reasons_round_trip_and_old_rows_still_read() {
        let abc = AbcReason {
            rule: AbcRule::Growth,
            method: AbcMethod::RevenueShare,
            window_months: 12,
            revenue_minor: 235_600,
            rank: Some(99_105),
            ranked: 460_908,
            cumulative_share: Some(0.885_782_937_616_315_5),
            growth: Some([Some(0.25), None]),
        };
        let stored = stored_abc_reason(&abc).expect("stored");
        assert!(stored.starts_with('['), "{stored}");
        assert!(
            stored.len() * 2 < json(&abc).expect("named").len() + 20,
            "{stored}"
        );
        assert_eq!(read_abc_reason(&stored).expect("read"), abc);
        assert_eq!(
            read_abc_reason(&json(&abc).expect("named")).expect("read"),
            abc
        );

        for override_reason in [None, Some("说好了 \"VIP\"".to_owned())] {
            let loyalty = LoyaltyReason {
                days: 101,
                days_since_last: Some(106),
                days_per_year: Some(36.166_911_764_705_88),
                override_reason,
            };
            let stored = stored_loyalty_reason(&loyalty).expect("stored");
            assert_eq!(read_loyalty_reason(&stored).expect("read"), loyalty);
            assert_eq!(
                read_loyalty_reason(&json(&loyalty).expect("named")).expect("read"),
                loyalty
            );
        }
        assert!(read_abc_reason("[\"growth\"]").is_err());
        assert!(read_loyalty_reason("{").is_err());
    }
}
