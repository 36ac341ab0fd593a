//! Bulk paths: many rows per statement on SQLite (one prepared statement re-used, inside the
//! caller's transaction), COPY on PostgreSQL. Ids are reserved up front so children (order lines,
//! tags) can be written in the same pass without a round trip per parent.

use super::conn::{Arg, Conn};
use super::rows::BACKGROUND_COLS;
use super::SqlStore;
use crate::bulk::{BulkChunk, BulkIds};
use crate::error::{map_sqlx, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use patron_core::*;
use std::fmt::Write as _;

/// SQLite allows 32,766 bound parameters per statement; stay well below.
const SQLITE_MAX_PARAMS: usize = 30_000;
/// Rows per statement on SQLite: large enough to amortise the statement, small enough that the
/// few distinct statement shapes stay in sqlx's prepared-statement cache.
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

/// Reserves `n` fresh ids of `table`. SQLite: continues after MAX(id) — safe because writers hold
/// the database lock (`BEGIN IMMEDIATE`) for the whole transaction. PostgreSQL: draws from the
/// identity sequence, so concurrent inserts elsewhere never collide.
pub(crate) async fn reserve_ids(c: &mut Conn<'_>, table: &str, n: usize) -> StoreResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if c.is_sqlite() {
        let max = c
            .scalar_i64(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), vec![])
            .await?;
        Ok((max + 1..=max + n as i64).collect())
    } else {
        let rows: Vec<(i64,)> = c
            .fetch_all(
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"),
                vec![Arg::from(n as i64)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// Prepares a transaction for bulk writes. SQLite: foreign keys are checked at commit rather
/// than per statement (together with `INSERT OR ROLLBACK`, no statement journal is needed);
/// the pragma ends with the transaction.
pub(crate) async fn bulk_mode(c: &mut Conn<'_>) -> StoreResult<()> {
    if c.is_sqlite() {
        c.execute("PRAGMA defer_foreign_keys = ON", vec![]).await?;
    }
    Ok(())
}

/// Inserts rows of `cols` into `table`.
pub(crate) async fn insert_rows(
    c: &mut Conn<'_>,
    table: &str,
    cols: &[&str],
    rows: Vec<Vec<Arg>>,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match c {
        Conn::Sqlite(_) => {
            let per = SQLITE_ROWS_PER_STATEMENT
                .min(SQLITE_MAX_PARAMS / cols.len())
                .max(1);
            let mut it = rows.into_iter().peekable();
            while it.peek().is_some() {
                let batch: Vec<Vec<Arg>> = it.by_ref().take(per).collect();
                // Anonymous `?` placeholders: with numbered ones sqlx looks each parameter up by
                // name, which SQLite answers by walking a list — quadratic in the statement's
                // parameter count (85% of the bulk insert's CPU time before this).
                // OR ROLLBACK: a failing row aborts the whole (all-or-nothing) transaction, so SQLite
                // need not keep a statement journal to undo just this statement.
                let mut sql = format!(
                    "INSERT OR ROLLBACK INTO {table} ({}) VALUES ",
                    cols.join(",")
                );
                let row_sql = format!("({})", vec!["?"; cols.len()].join(","));
                for r in 0..batch.len() {
                    if r > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&row_sql);
                }
                c.execute(&sql, batch.into_iter().flatten().collect())
                    .await?;
            }
            Ok(())
        }
        Conn::Pg(pg) => {
            let stmt = format!("COPY {table} ({}) FROM STDIN", cols.join(","));
            let mut copy = pg
                .copy_in_raw(&stmt)
                .await
                .map_err(|e| map_sqlx(e, &stmt))?;
            let mut buf = String::with_capacity(1 << 20);
            for row in rows {
                for (k, v) in row.iter().enumerate() {
                    if k > 0 {
                        buf.push('\t');
                    }
                    copy_text(&mut buf, v);
                }
                buf.push('\n');
                if buf.len() > (1 << 20) {
                    copy.send(buf.as_bytes())
                        .await
                        .map_err(|e| map_sqlx(e, &stmt))?;
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                copy.send(buf.as_bytes())
                    .await
                    .map_err(|e| map_sqlx(e, &stmt))?;
            }
            copy.finish().await.map_err(|e| map_sqlx(e, &stmt))?;
            Ok(())
        }
    }
}

/// One value in COPY's text format: `\N` for NULL, backslash escapes for the separators.
fn copy_text(buf: &mut String, v: &Arg) {
    match v {
        Arg::I64(Some(i)) => {
            let _ = write!(buf, "{i}");
        }
        Arg::Bool(Some(b)) => buf.push(if *b { 't' } else { 'f' }),
        Arg::Date(Some(d)) => {
            let _ = write!(buf, "{d}");
        }
        Arg::Ts(Some(t)) => buf.push_str(&t.to_rfc3339()),
        Arg::Text(Some(s)) => {
            for ch in s.chars() {
                match ch {
                    '\\' => buf.push_str("\\\\"),
                    '\t' => buf.push_str("\\t"),
                    '\n' => buf.push_str("\\n"),
                    '\r' => buf.push_str("\\r"),
                    c => buf.push(c),
                }
            }
        }
        _ => buf.push_str("\\N"),
    }
}

/// A new order row for the bulk path.
pub(crate) struct NewOrder<'a> {
    pub customer_id: i64,
    pub order: &'a ValidOrder,
    pub import_key: Option<&'a str>,
    pub import_hash: Option<&'a str>,
}

pub(crate) const ORDER_INSERT_COLS: [&str; 11] = [
    "id",
    "customer_id",
    "order_ref",
    "import_key",
    "import_hash",
    "order_date",
    "currency",
    "total_minor",
    "asked_by_name",
    "notes",
    "created_at",
];
pub(crate) const LINE_INSERT_COLS: [&str; 8] = [
    "order_id",
    "line_no",
    "customer_id",
    "product_id",
    "product_line",
    "quantity",
    "unit_price_minor",
    "amount_minor",
];

/// Inserts orders with their lines; returns their ids in input order.
pub(crate) async fn insert_orders(
    c: &mut Conn<'_>,
    orders: &[NewOrder<'_>],
    at: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    let ids = reserve_ids(c, "orders", orders.len()).await?;
    let mut rows = Vec::with_capacity(orders.len());
    let mut lines = Vec::with_capacity(orders.len());
    for (o, id) in orders.iter().zip(&ids) {
        let v = o.order;
        rows.push(vec![
            Arg::I64(Some(*id)),
            Arg::I64(Some(o.customer_id)),
            Arg::Text(v.order_ref.clone()),
            Arg::Text(o.import_key.map(str::to_owned)),
            Arg::Text(o.import_hash.map(str::to_owned)),
            Arg::Date(Some(v.order_date)),
            Arg::Text(Some(v.currency.as_str().to_owned())),
            Arg::I64(Some(v.total_minor)),
            Arg::Bool(Some(v.asked_by_name)),
            Arg::Text(v.notes.clone()),
            Arg::Ts(Some(at)),
        ]);
        for (n, l) in v.lines.iter().enumerate() {
            lines.push(vec![
                Arg::I64(Some(*id)),
                Arg::I64(Some(n as i64 + 1)),
                Arg::I64(Some(o.customer_id)),
                Arg::I64(l.product_id.map(|p| p.0)),
                Arg::Text(l.product_line.clone()),
                Arg::I64(Some(l.quantity)),
                Arg::I64(Some(l.unit_price_minor)),
                Arg::I64(Some(l.amount_minor)),
            ]);
        }
    }
    insert_rows(c, "orders", &ORDER_INSERT_COLS, rows).await?;
    insert_rows(c, "order_lines", &LINE_INSERT_COLS, lines).await?;
    Ok(ids)
}

/// Inserts validated customers (with tags, custom values and background); returns their ids.
pub(crate) async fn insert_customers(
    c: &mut Conn<'_>,
    cs: &[ValidCustomer],
    at: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    let ids = reserve_ids(c, "customers", cs.len()).await?;
    let mut rows = Vec::with_capacity(cs.len());
    let (mut tags, mut custom, mut bg) = (Vec::new(), Vec::new(), Vec::new());
    for (v, id) in cs.iter().zip(&ids) {
        let i = &v.input;
        rows.push(vec![
            Arg::I64(Some(*id)),
            Arg::Text(i.external_ref.clone()),
            Arg::from(i.kind.as_str()),
            Arg::Text(Some(i.name.clone())),
            Arg::Text(i.gender.map(|g| g.as_str().to_owned())),
            Arg::Date(i.birth_date),
            Arg::Text(i.company.clone()),
            Arg::Text(i.address.clone()),
            Arg::Text(i.phone.clone()),
            Arg::Text(v.phone_key.clone()),
            Arg::Text(i.fax.clone()),
            Arg::Text(i.email.clone()),
            Arg::Text(v.email_key.clone()),
            Arg::Text(i.level.clone()),
            Arg::Text(i.source.clone()),
            Arg::from(v.stage.as_str()),
            Arg::Text(i.churn_reason.clone()),
            Arg::I64(i.owner_id.map(|o| o.0)),
            Arg::Text(i.notes.clone()),
            Arg::Text(Some(v.search_text.clone())),
            Arg::Ts(Some(at)),
            Arg::Ts(Some(at)),
        ]);
        for t in &i.tags {
            tags.push(vec![Arg::I64(Some(*id)), Arg::Text(Some(t.clone()))]);
        }
        for (k, val) in &i.custom {
            custom.push(vec![
                Arg::I64(Some(*id)),
                Arg::Text(Some(k.clone())),
                Arg::Text(Some(val.clone())),
            ]);
        }
        if let Some(b) = &i.background {
            let mut r = vec![Arg::I64(Some(*id))];
            r.extend(b.values().into_iter().map(|v| Arg::Text(v.clone())));
            bg.push(r);
        }
    }
    insert_rows(
        c,
        "customers",
        &[
            "id",
            "external_ref",
            "kind",
            "name",
            "gender",
            "birth_date",
            "company",
            "address",
            "phone",
            "phone_key",
            "fax",
            "email",
            "email_key",
            "level",
            "source",
            "stage",
            "churn_reason",
            "owner_id",
            "notes",
            "search_text",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    insert_rows(c, "customer_tags", &["customer_id", "tag"], tags).await?;
    insert_rows(
        c,
        "customer_custom_values",
        &["customer_id", "field_key", "value"],
        custom,
    )
    .await?;
    let bg_cols: Vec<&str> = std::iter::once("customer_id")
        .chain(BACKGROUND_COLS.split(',').map(str::trim))
        .collect();
    insert_rows(c, "customer_background", &bg_cols, bg).await?;
    Ok(ids)
}

/// The demo generator's path: one transaction per chunk.
pub(crate) async fn insert_chunk(store: &SqlStore, chunk: BulkChunk) -> StoreResult<BulkIds> {
    let at = super::now();
    let mut tx = store.begin().await?;
    bulk_mode(&mut tx.conn()).await?;
    let ids = insert_customers(&mut tx.conn(), &chunk.customers, at).await?;
    let id_of = |i: usize| {
        ids.get(i).copied().ok_or_else(|| {
            StoreError::invalid(
                "customer",
                "bad_index",
                format!("bulk record refers to customer #{i} not in the chunk"),
            )
        })
    };
    let kp_ids = reserve_ids(&mut tx.conn(), "key_persons", chunk.key_persons.len()).await?;
    let mut kps = Vec::with_capacity(chunk.key_persons.len());
    for ((ci, k), id) in chunk.key_persons.iter().zip(&kp_ids) {
        kps.push(vec![
            Arg::I64(Some(*id)),
            Arg::I64(Some(id_of(*ci)?)),
            Arg::Text(Some(k.name.clone())),
            Arg::Text(k.title.clone()),
            Arg::Text(k.phone.clone()),
            Arg::Text(k.mobile.clone()),
            Arg::Text(k.email.clone()),
            Arg::Text(k.hobbies.clone()),
            Arg::Date(k.birthday),
            Arg::Date(k.wedding_anniversary),
            Arg::Text(k.notes.clone()),
            Arg::Ts(Some(at)),
            Arg::Ts(Some(at)),
        ]);
    }
    insert_rows(
        &mut tx.conn(),
        "key_persons",
        &[
            "id",
            "customer_id",
            "name",
            "title",
            "phone",
            "mobile",
            "email",
            "hobbies",
            "birthday",
            "wedding_anniversary",
            "notes",
            "created_at",
            "updated_at",
        ],
        kps,
    )
    .await?;
    let mut orders = Vec::with_capacity(chunk.orders.len());
    for o in &chunk.orders {
        orders.push(NewOrder {
            customer_id: id_of(o.customer)?,
            order: &o.order,
            import_key: None,
            import_hash: None,
        });
    }
    insert_orders(&mut tx.conn(), &orders, at).await?;
    let mut its = Vec::with_capacity(chunk.interactions.len());
    for (ci, i) in &chunk.interactions {
        its.push(vec![
            Arg::I64(Some(id_of(*ci)?)),
            Arg::from(i.kind.as_str()),
            Arg::Ts(Some(i.occurred_at.unwrap_or(at))),
            Arg::I64(i.staff_id.map(|s| s.0)),
            Arg::I64(None),
            Arg::Text(i.outcome.clone()),
            Arg::Text(i.notes.clone()),
            Arg::Ts(Some(at)),
        ]);
    }
    insert_rows(
        &mut tx.conn(),
        "interactions",
        &[
            "customer_id",
            "kind",
            "occurred_at",
            "staff_id",
            "key_person_id",
            "outcome",
            "notes",
            "created_at",
        ],
        its,
    )
    .await?;
    tx.commit().await?;
    Ok(BulkIds {
        customers: ids.into_iter().map(CustomerId).collect(),
    })
}
