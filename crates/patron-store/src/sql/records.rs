//! Users, key persons, products, orders, interactions and settings, written once for both
//! backends.

use super::conn::{args, Arg, Conn};
use super::cursor::Cursor;
use super::customers::like_literal;
use super::rows::*;
use super::{now, page_limit, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::query::*;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::values::email_key;
use patron_core::*;
use std::collections::HashMap;

// ---------- users ----------

pub(crate) async fn insert_user(c: &mut Conn<'_>, u: &UserInput) -> StoreResult<UserId> {
    if let Some(m) = u.manager_id {
        if get_user(c, m).await?.is_none() {
            return Err(StoreError::invalid(
                "manager_id",
                "unknown_user",
                format!("there is no user {m}"),
            ));
        }
    }
    let id = c
        .scalar_i64(
            "INSERT INTO users (email, email_key, name, staff_level, manager_id, active, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
            args![&u.email, email_key(&u.email), &u.name, u.staff_level.as_str(), u.manager_id.map(|m| m.0), true, now()],
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => StoreError::conflict(Some("email"), "a user with this e-mail already exists"),
            e => e,
        })?;
    Ok(UserId(id))
}

pub(crate) async fn get_user(c: &mut Conn<'_>, id: UserId) -> StoreResult<Option<User>> {
    let r: Option<UserRow> = c
        .fetch_optional(
            &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
            args![id.0],
        )
        .await?;
    r.map(UserRow::into_user).transpose()
}

pub(crate) async fn list_users(c: &mut Conn<'_>) -> StoreResult<Vec<User>> {
    let r: Vec<UserRow> = c
        .fetch_all(
            &format!("SELECT {USER_COLS} FROM users ORDER BY id"),
            vec![],
        )
        .await?;
    r.into_iter().map(UserRow::into_user).collect()
}

pub(crate) async fn find_user(c: &mut Conn<'_>, key: &str) -> StoreResult<Option<User>> {
    let r: Option<UserRow> = c
        .fetch_optional(
            &format!("SELECT {USER_COLS} FROM users WHERE email_key = $1 OR name = $2 ORDER BY id LIMIT 1"),
            args![email_key(key), key.trim()],
        )
        .await?;
    r.map(UserRow::into_user).transpose()
}

// ---------- key persons ----------

/// Restricts a list of a customer's records (key persons, orders, interactions in `table`) to the
/// customers inside `scope`. For one customer's records (the customer page) the scope is checked
/// on that customer by primary key: the `IN (…)` form made the database list a representative's
/// whole book first. Across customers the `IN (…)` set is the better driver.
fn push_child_scope(
    scope: Scope,
    table: &str,
    one_customer: bool,
    wh: &mut Vec<String>,
    a: &mut Vec<Arg>,
) {
    let mut inner = Vec::new();
    super::customers::push_scope(scope, "c", &mut inner, a);
    if inner.is_empty() {
        return;
    }
    if one_customer {
        wh.push(format!(
            "EXISTS (SELECT 1 FROM customers c WHERE c.id = {table}.customer_id AND {})",
            inner.join(" AND ")
        ));
    } else {
        wh.push(format!(
            "{table}.customer_id IN (SELECT c.id FROM customers c WHERE {})",
            inner.join(" AND ")
        ));
    }
}

async fn customer_exists(c: &mut Conn<'_>, id: CustomerId) -> StoreResult<bool> {
    Ok(
        c.scalar_i64("SELECT COUNT(*) FROM customers WHERE id = $1", args![id.0])
            .await?
            > 0,
    )
}

pub(crate) async fn require_customer(
    c: &mut Conn<'_>,
    id: CustomerId,
    field: &str,
) -> StoreResult<()> {
    if customer_exists(c, id).await? {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            "unknown_customer",
            format!("there is no customer {id}"),
        ))
    }
}

pub(crate) async fn insert_key_person(
    c: &mut Conn<'_>,
    customer: CustomerId,
    k: &KeyPersonInput,
) -> StoreResult<KeyPersonId> {
    let at = now();
    let id = c
        .scalar_i64(
            "INSERT INTO key_persons (customer_id, name, title, phone, mobile, email, hobbies, birthday, \
             wedding_anniversary, notes, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
            args![
                customer.0, &k.name, &k.title, &k.phone, &k.mobile, &k.email, &k.hobbies, k.birthday,
                k.wedding_anniversary, &k.notes, at, at
            ],
        )
        .await?;
    Ok(KeyPersonId(id))
}

pub(crate) async fn update_key_person(
    c: &mut Conn<'_>,
    id: KeyPersonId,
    k: &KeyPersonInput,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE key_persons SET name=$1, title=$2, phone=$3, mobile=$4, email=$5, hobbies=$6, birthday=$7, \
             wedding_anniversary=$8, notes=$9, updated_at=$10 WHERE id=$11",
            args![
                &k.name, &k.title, &k.phone, &k.mobile, &k.email, &k.hobbies, k.birthday, k.wedding_anniversary,
                &k.notes, now(), id.0
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("key person", id));
    }
    Ok(())
}

pub(crate) async fn get_key_person(c: &mut Conn<'_>, id: KeyPersonId) -> StoreResult<KeyPerson> {
    let r: Option<KeyPersonRow> = c
        .fetch_optional(
            &format!("SELECT {KEY_PERSON_COLS} FROM key_persons WHERE id = $1"),
            args![id.0],
        )
        .await?;
    r.map(KeyPerson::from)
        .ok_or_else(|| StoreError::not_found("key person", id))
}

/// Pages by id; shared by key persons, products (ascending id keyset).
fn id_cursor(
    cursor: &Option<String>,
    tag: &str,
    wh: &mut Vec<String>,
    a: &mut Vec<Arg>,
    col: &str,
) -> StoreResult<()> {
    if let Some(cur) = cursor {
        let cur = Cursor::decode(cur, tag)?;
        a.push(cur.i.into());
        wh.push(format!("{col} > ${}", a.len()));
    }
    Ok(())
}

fn where_clause(wh: &[String]) -> String {
    if wh.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", wh.join(" AND "))
    }
}

fn next_id_cursor<T>(
    items: &mut Vec<T>,
    limit: i64,
    tag: &str,
    id: impl Fn(&T) -> i64,
) -> Option<String> {
    next_cursor(items, limit, tag, |x| (None, id(x)))
}

/// Cuts the look-ahead row off a page and, when there was one, encodes the cursor of the
/// page's last row from its (sort value, id).
fn next_cursor<T>(
    items: &mut Vec<T>,
    limit: i64,
    tag: &str,
    key: impl Fn(&T) -> (Option<String>, i64),
) -> Option<String> {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|l| {
            let (v, i) = key(l);
            Cursor {
                s: tag.into(),
                v,
                i,
            }
            .encode()
        })
    } else {
        None
    }
}

/// Adds the condition of a newest-first `(col, id)` keyset cursor; `parse` turns the cursor's
/// text value back into a bound value.
fn push_desc_cursor(
    cursor: &Option<String>,
    tag: &str,
    col: &str,
    parse: impl Fn(&str) -> Option<Arg>,
    wh: &mut Vec<String>,
    a: &mut Vec<Arg>,
) -> StoreResult<()> {
    let Some(cur) = cursor else { return Ok(()) };
    let cur = Cursor::decode(cur, tag)?;
    let v = cur.v.as_deref().and_then(parse).ok_or_else(|| {
        StoreError::invalid(
            "cursor",
            "invalid_cursor",
            "is not a cursor this list handed out",
        )
    })?;
    a.push(v);
    let vn = a.len();
    a.push(cur.i.into());
    wh.push(format!(
        "({col} < ${vn} OR ({col} = ${vn} AND id < ${}))",
        a.len()
    ));
    Ok(())
}

pub(crate) async fn list_key_persons(
    c: &mut Conn<'_>,
    q: &KeyPersonQuery,
) -> StoreResult<Page<KeyPerson>> {
    let limit = page_limit(q.limit);
    let (mut wh, mut a) = (Vec::new(), Vec::<Arg>::new());
    push_child_scope(
        q.scope,
        "key_persons",
        q.customer_id.is_some(),
        &mut wh,
        &mut a,
    );
    if let Some(cid) = q.customer_id {
        a.push(cid.0.into());
        wh.push(format!("customer_id = ${}", a.len()));
    }
    id_cursor(&q.cursor, "kp", &mut wh, &mut a, "id")?;
    a.push((limit + 1).into());
    let sql = format!(
        "SELECT {KEY_PERSON_COLS} FROM key_persons {} ORDER BY id LIMIT ${}",
        where_clause(&wh),
        a.len()
    );
    let rows: Vec<KeyPersonRow> = c.fetch_all(&sql, a).await?;
    let mut items: Vec<KeyPerson> = rows.into_iter().map(KeyPerson::from).collect();
    let next_cursor = next_id_cursor(&mut items, limit, "kp", |k| k.id.0);
    Ok(Page { items, next_cursor })
}

// ---------- products ----------

fn product_search_text(p: &ProductInput) -> String {
    search_text(&[
        Some(&p.name),
        p.external_ref.as_deref(),
        p.product_line.as_deref(),
    ])
}

pub(crate) async fn insert_product(
    c: &mut Conn<'_>,
    p: &ProductInput,
    default_currency: &Currency,
) -> StoreResult<ProductId> {
    let id = c
        .scalar_i64(
            "INSERT INTO products (external_ref, name, product_line, unit_price_minor, currency, active, search_text, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
            args![
                &p.external_ref,
                &p.name,
                &p.product_line,
                p.unit_price_minor,
                p.currency.as_ref().unwrap_or(default_currency).as_str(),
                p.active.unwrap_or(true),
                product_search_text(p),
                now()
            ],
        )
        .await?;
    Ok(ProductId(id))
}

pub(crate) async fn update_product(
    c: &mut Conn<'_>,
    id: ProductId,
    p: &ProductInput,
    default_currency: &Currency,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE products SET external_ref=$1, name=$2, product_line=$3, unit_price_minor=$4, currency=$5, \
             active=$6, search_text=$7 WHERE id=$8",
            args![
                &p.external_ref,
                &p.name,
                &p.product_line,
                p.unit_price_minor,
                p.currency.as_ref().unwrap_or(default_currency).as_str(),
                p.active.unwrap_or(true),
                product_search_text(p),
                id.0
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("product", id));
    }
    Ok(())
}

pub(crate) async fn get_product(c: &mut Conn<'_>, id: ProductId) -> StoreResult<Product> {
    let r: Option<ProductRow> = c
        .fetch_optional(
            &format!("SELECT {PRODUCT_COLS} FROM products WHERE id = $1"),
            args![id.0],
        )
        .await?;
    r.ok_or_else(|| StoreError::not_found("product", id))?
        .into_product()
}

pub(crate) async fn list_products(
    c: &mut Conn<'_>,
    q: &ProductQuery,
) -> StoreResult<Page<Product>> {
    let limit = page_limit(q.limit);
    let (mut wh, mut a) = (Vec::new(), Vec::<Arg>::new());
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        a.push(like_literal(&t.to_lowercase()).into());
        wh.push(format!("search_text LIKE ${} ESCAPE '\\'", a.len()));
    }
    if let Some(l) = q
        .product_line
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        a.push(l.into());
        wh.push(format!("product_line = ${}", a.len()));
    }
    id_cursor(&q.cursor, "product", &mut wh, &mut a, "id")?;
    a.push((limit + 1).into());
    let sql = format!(
        "SELECT {PRODUCT_COLS} FROM products {} ORDER BY id LIMIT ${}",
        where_clause(&wh),
        a.len()
    );
    let rows: Vec<ProductRow> = c.fetch_all(&sql, a).await?;
    let mut items = rows
        .into_iter()
        .map(ProductRow::into_product)
        .collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = next_id_cursor(&mut items, limit, "product", |p| p.id.0);
    Ok(Page { items, next_cursor })
}

// ---------- orders ----------

/// Checks the customer and products of an order and fills each line's product line from its
/// product when the line does not say.
pub(crate) async fn check_order(c: &mut Conn<'_>, o: &mut ValidOrder) -> StoreResult<()> {
    require_customer(c, o.customer_id, "customer_id").await?;
    for (i, l) in o.lines.iter_mut().enumerate() {
        if let Some(pid) = l.product_id {
            let r: Option<(Option<String>,)> = c
                .fetch_optional(
                    "SELECT product_line FROM products WHERE id = $1",
                    args![pid.0],
                )
                .await?;
            match r {
                None => {
                    return Err(StoreError::invalid(
                        &format!("lines[{i}].product_id"),
                        "unknown_product",
                        format!("there is no product {pid}"),
                    ))
                }
                Some((line,)) => {
                    if l.product_line.is_none() {
                        l.product_line = line;
                    }
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn insert_order(
    c: &mut Conn<'_>,
    o: &ValidOrder,
    import_key: Option<&str>,
    import_hash: Option<&str>,
) -> StoreResult<OrderId> {
    let id = c
        .scalar_i64(
            "INSERT INTO orders (customer_id, order_ref, import_key, import_hash, order_date, currency, total_minor, \
             asked_by_name, notes, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
            args![
                o.customer_id.0,
                &o.order_ref,
                import_key,
                import_hash,
                o.order_date,
                o.currency.as_str(),
                o.total_minor,
                o.asked_by_name,
                &o.notes,
                now()
            ],
        )
        .await?;
    insert_lines(c, OrderId(id), o).await?;
    Ok(OrderId(id))
}

async fn insert_lines(c: &mut Conn<'_>, id: OrderId, o: &ValidOrder) -> StoreResult<()> {
    for (i, l) in o.lines.iter().enumerate() {
        c.execute(
            "INSERT INTO order_lines (order_id, line_no, customer_id, product_id, product_line, quantity, \
             unit_price_minor, amount_minor) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            args![
                id.0,
                i as i64 + 1,
                o.customer_id.0,
                l.product_id.map(|p| p.0),
                &l.product_line,
                l.quantity,
                l.unit_price_minor,
                l.amount_minor
            ],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn update_order(
    c: &mut Conn<'_>,
    id: OrderId,
    o: &ValidOrder,
    import_hash: Option<&str>,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE orders SET customer_id=$1, order_ref=$2, order_date=$3, currency=$4, total_minor=$5, \
             asked_by_name=$6, notes=$7, import_hash=COALESCE($8, import_hash) WHERE id=$9",
            args![
                o.customer_id.0,
                &o.order_ref,
                o.order_date,
                o.currency.as_str(),
                o.total_minor,
                o.asked_by_name,
                &o.notes,
                import_hash,
                id.0
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("order", id));
    }
    c.execute("DELETE FROM order_lines WHERE order_id = $1", args![id.0])
        .await?;
    insert_lines(c, id, o).await
}

async fn orders_with_lines(c: &mut Conn<'_>, rows: Vec<OrderRow>) -> StoreResult<Vec<Order>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Arg> = rows.iter().map(|r| Arg::from(r.id)).collect();
    let sql = format!(
        "SELECT order_id, product_id, product_line, quantity, unit_price_minor, amount_minor FROM order_lines \
         WHERE order_id IN ({}) ORDER BY order_id, line_no",
        placeholders(c, ids.len())
    );
    let lines: Vec<LineRow> = c.fetch_all(&sql, ids).await?;
    let mut by: HashMap<i64, Vec<OrderLine>> = HashMap::new();
    for l in lines {
        by.entry(l.order_id).or_default().push(l.into());
    }
    rows.into_iter()
        .map(|r| {
            let ls = by.remove(&r.id).unwrap_or_default();
            r.into_order(ls)
        })
        .collect()
}

pub(crate) async fn get_order(c: &mut Conn<'_>, id: OrderId) -> StoreResult<Order> {
    let r: Option<OrderRow> = c
        .fetch_optional(
            &format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1"),
            args![id.0],
        )
        .await?;
    let r = r.ok_or_else(|| StoreError::not_found("order", id))?;
    let mut v = orders_with_lines(c, vec![r]).await?;
    v.pop().ok_or_else(|| StoreError::not_found("order", id))
}

/// Newest first: (order_date, id) descending.
pub(crate) async fn list_orders(c: &mut Conn<'_>, q: &OrderQuery) -> StoreResult<Page<Order>> {
    let limit = page_limit(q.limit);
    let (mut wh, mut a) = (Vec::new(), Vec::<Arg>::new());
    push_child_scope(q.scope, "orders", q.customer_id.is_some(), &mut wh, &mut a);
    if let Some(cid) = q.customer_id {
        a.push(cid.0.into());
        wh.push(format!("customer_id = ${}", a.len()));
    }
    if let Some(f) = q.from {
        a.push(f.into());
        wh.push(format!("order_date >= ${}", a.len()));
    }
    if let Some(t) = q.to {
        a.push(t.into());
        wh.push(format!("order_date <= ${}", a.len()));
    }
    push_desc_cursor(
        &q.cursor,
        "order",
        "order_date",
        |v| v.parse::<NaiveDate>().ok().map(Arg::from),
        &mut wh,
        &mut a,
    )?;
    a.push((limit + 1).into());
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders {} ORDER BY order_date DESC, id DESC LIMIT ${}",
        where_clause(&wh),
        a.len()
    );
    let mut rows: Vec<OrderRow> = c.fetch_all(&sql, a).await?;
    let next_cursor = next_cursor(&mut rows, limit, "order", |l| {
        (Some(l.order_date.to_string()), l.id)
    });
    let items = orders_with_lines(c, rows).await?;
    Ok(Page { items, next_cursor })
}

// ---------- interactions ----------

pub(crate) async fn check_interaction(c: &mut Conn<'_>, i: &InteractionInput) -> StoreResult<()> {
    require_customer(c, i.customer_id, "customer_id").await?;
    if let Some(s) = i.staff_id {
        if get_user(c, s).await?.is_none() {
            return Err(StoreError::invalid(
                "staff_id",
                "unknown_user",
                format!("there is no user {s}"),
            ));
        }
    }
    if let Some(k) = i.key_person_id {
        let r: Option<(i64,)> = c
            .fetch_optional(
                "SELECT customer_id FROM key_persons WHERE id = $1",
                args![k.0],
            )
            .await?;
        match r {
            Some((cid,)) if cid == i.customer_id.0 => {}
            _ => {
                return Err(StoreError::invalid(
                    "key_person_id",
                    "unknown_key_person",
                    format!("customer {} has no key person {k}", i.customer_id),
                ))
            }
        }
    }
    Ok(())
}

fn interaction_args(i: &InteractionInput) -> Vec<Arg> {
    args![
        i.customer_id.0,
        i.kind.as_str(),
        i.occurred_at.unwrap_or_else(now),
        i.staff_id.map(|s| s.0),
        i.key_person_id.map(|k| k.0),
        &i.outcome,
        &i.notes,
        i.follow_up_on,
        &i.follow_up
    ]
}

pub(crate) async fn insert_interaction(
    c: &mut Conn<'_>,
    i: &InteractionInput,
) -> StoreResult<InteractionId> {
    let mut a = interaction_args(i);
    a.push(now().into());
    let id = c
        .scalar_i64(
            "INSERT INTO interactions (customer_id, kind, occurred_at, staff_id, key_person_id, outcome, notes, \
             follow_up_on, follow_up, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
            a,
        )
        .await?;
    Ok(InteractionId(id))
}

pub(crate) async fn update_interaction(
    c: &mut Conn<'_>,
    id: InteractionId,
    i: &InteractionInput,
) -> StoreResult<()> {
    let mut a = interaction_args(i);
    a.push(id.0.into());
    let n = c
        .execute(
            "UPDATE interactions SET customer_id=$1, kind=$2, occurred_at=$3, staff_id=$4, key_person_id=$5, \
             outcome=$6, notes=$7, follow_up_on=$8, follow_up=$9 WHERE id=$10",
            a,
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("interaction", id));
    }
    Ok(())
}

pub(crate) async fn get_interaction(
    c: &mut Conn<'_>,
    id: InteractionId,
) -> StoreResult<Interaction> {
    let r: Option<InteractionRow> = c
        .fetch_optional(
            &format!("SELECT {INTERACTION_COLS} FROM interactions WHERE id = $1"),
            args![id.0],
        )
        .await?;
    r.ok_or_else(|| StoreError::not_found("interaction", id))?
        .into_interaction()
}

/// Newest first: (occurred_at, id) descending.
pub(crate) async fn list_interactions(
    c: &mut Conn<'_>,
    q: &InteractionQuery,
) -> StoreResult<Page<Interaction>> {
    let limit = page_limit(q.limit);
    let (mut wh, mut a) = (Vec::new(), Vec::<Arg>::new());
    push_child_scope(
        q.scope,
        "interactions",
        q.customer_id.is_some(),
        &mut wh,
        &mut a,
    );
    if let Some(cid) = q.customer_id {
        a.push(cid.0.into());
        wh.push(format!("customer_id = ${}", a.len()));
    }
    if let Some(k) = q.kind {
        a.push(k.as_str().into());
        wh.push(format!("kind = ${}", a.len()));
    }
    if let Some(s) = q.staff_id {
        a.push(s.0.into());
        wh.push(format!("staff_id = ${}", a.len()));
    }
    push_desc_cursor(
        &q.cursor,
        "interaction",
        "occurred_at",
        |v| {
            DateTime::parse_from_rfc3339(v)
                .ok()
                .map(|d| Arg::from(d.with_timezone(&Utc)))
        },
        &mut wh,
        &mut a,
    )?;
    a.push((limit + 1).into());
    let sql = format!(
        "SELECT {INTERACTION_COLS} FROM interactions {} ORDER BY occurred_at DESC, id DESC LIMIT ${}",
        where_clause(&wh),
        a.len()
    );
    let mut rows: Vec<InteractionRow> = c.fetch_all(&sql, a).await?;
    let next_cursor = next_cursor(&mut rows, limit, "interaction", |l| {
        (Some(l.occurred_at.to_rfc3339()), l.id)
    });
    let items = rows
        .into_iter()
        .map(InteractionRow::into_interaction)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}

// ---------- vocabularies and settings ----------

pub(crate) async fn churn_reasons(c: &mut Conn<'_>) -> StoreResult<Vec<ChurnReason>> {
    let r: Vec<(String, String, Option<i64>)> = c
        .fetch_all(
            "SELECT code, label, reference_percent FROM churn_reasons ORDER BY position, code",
            vec![],
        )
        .await?;
    Ok(r.into_iter()
        .map(|(code, label, reference_percent)| ChurnReason {
            code,
            label,
            reference_percent,
        })
        .collect())
}

pub(crate) async fn define_custom_field(c: &mut Conn<'_>, d: &CustomFieldDef) -> StoreResult<()> {
    let key_ok = !d.key.is_empty()
        && d.key.len() <= 60
        && d.key
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if !key_ok {
        return Err(StoreError::invalid(
            "key",
            "invalid_key",
            "use 1–60 characters a-z, 0-9 and _",
        ));
    }
    if d.label.trim().is_empty() {
        return Err(StoreError::invalid("label", "required", "is required"));
    }
    if d.field_type == CustomFieldType::Choice && d.choices.is_empty() {
        return Err(StoreError::invalid(
            "choices",
            "required",
            "a choice field needs at least one choice",
        ));
    }
    let choices =
        serde_json::to_string(&d.choices).map_err(|e| StoreError::other("encoding choices", e))?;
    c.execute(
        "INSERT INTO custom_fields (key, label, field_type, choices) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (key) DO UPDATE SET label = excluded.label, field_type = excluded.field_type, choices = excluded.choices",
        args![&d.key, d.label.trim(), d.field_type.as_str(), choices],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_setting(c: &mut Conn<'_>, key: &str) -> StoreResult<Option<String>> {
    let r: Option<(String,)> = c
        .fetch_optional("SELECT value FROM settings WHERE key = $1", args![key])
        .await?;
    Ok(r.map(|r| r.0))
}

pub(crate) async fn set_setting(c: &mut Conn<'_>, key: &str, value: &str) -> StoreResult<()> {
    c.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        args![key, value],
    )
    .await?;
    Ok(())
}
