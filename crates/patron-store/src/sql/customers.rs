//! Customer rows and everything hanging off them (tags, custom values, background), written once
//! for both backends.

use super::conn::{args, Arg, Both, Conn};
use super::cursor::Cursor;
use super::rows::*;
use super::{now, page_limit, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::query::{CustomerQuery, CustomerSort};
use chrono::{DateTime, Months, Utc};
use patron_core::*;
use std::collections::HashMap;

/// Checks what validation in the core cannot: the owner exists, the churn reason is on the
/// list, custom fields are defined and their values fit their type (values are canonicalised).
pub(crate) async fn check_refs(c: &mut Conn<'_>, v: &mut ValidCustomer) -> StoreResult<()> {
    let mut errs = ValidationErrors::default();
    for (field, user) in [
        ("owner_id", v.input.owner_id),
        ("relationship_manager_id", v.input.relationship_manager_id),
    ] {
        let Some(user) = user else { continue };
        let n = c
            .scalar_i64("SELECT COUNT(*) FROM users WHERE id = $1", args![user.0])
            .await?;
        if n == 0 {
            errs.push(FieldError::new(
                field,
                "unknown_user",
                format!("there is no user {user}"),
            ));
        }
    }
    if let Some(reason) = &v.input.churn_reason {
        let n = c
            .scalar_i64(
                "SELECT COUNT(*) FROM churn_reasons WHERE code = $1",
                args![reason],
            )
            .await?;
        if n == 0 {
            let codes: Vec<(String,)> = c
                .fetch_all("SELECT code FROM churn_reasons ORDER BY position", vec![])
                .await?;
            let codes: Vec<String> = codes.into_iter().map(|r| r.0).collect();
            errs.push(FieldError::new(
                "churn_reason",
                "unknown_churn_reason",
                format!("'{reason}' is not one of: {}", codes.join(", ")),
            ));
        }
    }
    if !v.input.custom.is_empty() {
        let defs = custom_field_defs(c).await?;
        let mut canon = std::collections::BTreeMap::new();
        for (k, raw) in &v.input.custom {
            match defs.iter().find(|d| &d.key == k) {
                None => errs.push(FieldError::new(
                    &format!("custom.{k}"),
                    "unknown_field",
                    "no custom field has this key",
                )),
                Some(d) => {
                    if let Some(val) = errs.take(d.check_value(raw)) {
                        canon.insert(k.clone(), val);
                    }
                }
            }
        }
        v.input.custom = canon;
    }
    errs.into_result(()).map_err(StoreError::from)
}

pub(crate) async fn custom_field_defs(c: &mut Conn<'_>) -> StoreResult<Vec<CustomFieldDef>> {
    let rows: Vec<(String, String, String, String)> = c
        .fetch_all(
            "SELECT key, label, field_type, choices FROM custom_fields ORDER BY position, key",
            vec![],
        )
        .await?;
    rows.into_iter()
        .map(|(key, label, t, choices)| {
            Ok(CustomFieldDef {
                key,
                label,
                field_type: CustomFieldType::parse("field_type", &t).map_err(|e| {
                    StoreError::other("decoding custom field type", ValidationErrors::from(e))
                })?,
                choices: serde_json::from_str(&choices).unwrap_or_default(),
            })
        })
        .collect()
}

fn row_args(v: &ValidCustomer) -> Vec<Arg> {
    let i = &v.input;
    args![
        i.external_ref.clone(),
        i.kind.as_str(),
        i.name.clone(),
        i.gender.map(|g| g.as_str()),
        i.birth_date,
        i.company.clone(),
        i.address.clone(),
        i.phone.clone(),
        v.phone_key.clone(),
        i.fax.clone(),
        i.email.clone(),
        v.email_key.clone(),
        i.level.clone(),
        i.source.clone(),
        v.stage.as_str(),
        i.churn_reason.clone(),
        i.owner_id.map(|o| o.0),
        i.notes.clone(),
        v.search_text.clone(),
        i.relationship_manager_id.map(|o| o.0),
    ]
}

/// Inserts a validated (and [`check_refs`]-checked) customer with its children.
pub(crate) async fn insert(
    c: &mut Conn<'_>,
    v: &ValidCustomer,
    at: DateTime<Utc>,
) -> StoreResult<CustomerId> {
    let mut a = row_args(v);
    a.push(at.into());
    a.push(at.into());
    let id = c
        .scalar_i64(
            "INSERT INTO customers (external_ref, kind, name, gender, birth_date, company, address, phone, \
             phone_key, fax, email, email_key, level, source, stage, churn_reason, owner_id, notes, search_text, \
             relationship_manager_id, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22) \
             RETURNING id",
            a,
        )
        .await?;
    write_children(c, CustomerId(id), v, true).await?;
    Ok(CustomerId(id))
}

/// Replaces a customer's fields and children.
pub(crate) async fn update(c: &mut Conn<'_>, id: CustomerId, v: &ValidCustomer) -> StoreResult<()> {
    let mut a = row_args(v);
    a.push(now().into());
    a.push(id.0.into());
    let n = c
        .execute(
            "UPDATE customers SET external_ref=$1, kind=$2, name=$3, gender=$4, birth_date=$5, company=$6, \
             address=$7, phone=$8, phone_key=$9, fax=$10, email=$11, email_key=$12, level=$13, source=$14, \
             stage=$15, churn_reason=$16, owner_id=$17, notes=$18, search_text=$19, \
             relationship_manager_id=$20, updated_at=$21 WHERE id=$22",
            a,
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("customer", id));
    }
    write_children(c, id, v, false).await
}

async fn write_children(
    c: &mut Conn<'_>,
    id: CustomerId,
    v: &ValidCustomer,
    fresh: bool,
) -> StoreResult<()> {
    if !fresh {
        c.execute(
            "DELETE FROM customer_tags WHERE customer_id = $1",
            args![id.0],
        )
        .await?;
        c.execute(
            "DELETE FROM customer_custom_values WHERE customer_id = $1",
            args![id.0],
        )
        .await?;
        c.execute(
            "DELETE FROM customer_background WHERE customer_id = $1",
            args![id.0],
        )
        .await?;
    }
    for t in &v.input.tags {
        c.execute(
            "INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2)",
            args![id.0, t],
        )
        .await?;
    }
    for (k, val) in &v.input.custom {
        c.execute(
            "INSERT INTO customer_custom_values (customer_id, field_key, value) VALUES ($1, $2, $3)",
            args![id.0, k, val],
        )
        .await?;
    }
    if let Some(b) = &v.input.background {
        let mut a = args![id.0];
        a.extend(b.values().into_iter().map(Arg::from));
        c.execute(
            &format!(
                "INSERT INTO customer_background (customer_id, {BACKGROUND_COLS}) VALUES ({})",
                placeholders(c, 18)
            ),
            a,
        )
        .await?;
    }
    Ok(())
}

/// Loads one customer with tags and custom values (and background when asked).
pub(crate) async fn load(
    c: &mut Conn<'_>,
    id: CustomerId,
    with_background: bool,
) -> StoreResult<Option<Customer>> {
    let (row, background) = if with_background {
        // The card and its background in one statement (the overview, the most requested read,
        // starts here); a customer without a background row reads it as all empty.
        let both: Option<Both<CustomerRow, BackgroundRow>> =
            c.fetch_optional(&LOAD_WITH_BACKGROUND, args![id.0]).await?;
        match both {
            Some(Both(row, bg)) => (row, Some(Background::from_values(bg.into_values()))),
            None => return Ok(None),
        }
    } else {
        let row: Option<CustomerRow> = c
            .fetch_optional(
                &format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE c.id = $1"),
                args![id.0],
            )
            .await?;
        match row {
            Some(row) => (row, None),
            None => return Ok(None),
        }
    };
    let mut cs = vec![row.into_customer()?];
    attach_children(c, &mut cs).await?;
    let mut cust = cs.remove(0);
    cust.background = background;
    Ok(Some(cust))
}

/// `SELECT` of a customer's columns and its background's (those prefixed `b.`), built once.
static LOAD_WITH_BACKGROUND: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {CUSTOMER_COLS}, {} FROM customers c \
         LEFT JOIN customer_background b ON b.customer_id = c.id WHERE c.id = $1",
        qualified("b", BACKGROUND_COLS)
    )
});

pub(crate) async fn must_load(c: &mut Conn<'_>, id: CustomerId) -> StoreResult<Customer> {
    load(c, id, true)
        .await?
        .ok_or_else(|| StoreError::not_found("customer", id))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct BackgroundRow {
    family_background: Option<String>,
    occupation: Option<String>,
    personality: Option<String>,
    annual_income: Option<String>,
    capital: Option<String>,
    education: Option<String>,
    network: Option<String>,
    financial_strength: Option<String>,
    cost_budget: Option<String>,
    sales_situation: Option<String>,
    cost_recovery: Option<String>,
    owner_interpersonal_skill: Option<String>,
    owner_management_level: Option<String>,
    buying_values: Option<String>,
    purchase_motives: Option<String>,
    promotion_attitude: Option<String>,
    suggestions: Option<String>,
}

impl BackgroundRow {
    fn into_values(self) -> Vec<Option<String>> {
        vec![
            self.family_background,
            self.occupation,
            self.personality,
            self.annual_income,
            self.capital,
            self.education,
            self.network,
            self.financial_strength,
            self.cost_budget,
            self.sales_situation,
            self.cost_recovery,
            self.owner_interpersonal_skill,
            self.owner_management_level,
            self.buying_values,
            self.purchase_motives,
            self.promotion_attitude,
            self.suggestions,
        ]
    }
}

/// Fills tags and custom values of a page of customers with two queries.
pub(crate) async fn attach_children(c: &mut Conn<'_>, cs: &mut [Customer]) -> StoreResult<()> {
    if cs.is_empty() {
        return Ok(());
    }
    let ids: Vec<Arg> = cs.iter().map(|x| Arg::from(x.id.0)).collect();
    let ph = placeholders(c, ids.len());
    let tags: Vec<(i64, String)> = c
        .fetch_all(
            &format!("SELECT customer_id, tag FROM customer_tags WHERE customer_id IN ({ph}) ORDER BY customer_id, tag"),
            ids.clone(),
        )
        .await?;
    let vals: Vec<(i64, String, String)> = c
        .fetch_all(
            &format!("SELECT customer_id, field_key, value FROM customer_custom_values WHERE customer_id IN ({ph})"),
            ids,
        )
        .await?;
    let pos: HashMap<i64, usize> = cs.iter().enumerate().map(|(i, x)| (x.id.0, i)).collect();
    for (id, tag) in tags {
        if let Some(&i) = pos.get(&id) {
            cs[i].tags.push(tag);
        }
    }
    for (id, k, v) in vals {
        if let Some(&i) = pos.get(&id) {
            cs[i].custom.insert(k, v);
        }
    }
    Ok(())
}

/// Normalises a search query the way `search_text` was built: lower case; a query that looks
/// like a phone number becomes its digits.
pub(crate) fn search_needle(q: &str) -> Option<String> {
    // Control characters never occur in what is searched, and PostgreSQL refuses a NUL in text:
    // without them the query means the same and cannot fail.
    let cleaned: String = q.chars().filter(|c| !c.is_control()).collect();
    let t = cleaned.trim();
    if t.is_empty() {
        return None;
    }
    let phoneish = t
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    if phoneish && digits >= 3 {
        return Some(t.chars().filter(|c| c.is_ascii_digit()).collect());
    }
    Some(t.to_lowercase())
}

/// Escapes LIKE wildcards so user text matches literally (escape character `\`).
pub(crate) fn like_literal(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('%');
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            o.push('\\');
        }
        o.push(ch);
    }
    o.push('%');
    o
}

/// The search condition for the dialect, appended to `wh` with its argument. Returns whether an
/// index answers it (then the query is driven from the search's few candidates, not the scope).
///
/// - two characters with one outside ASCII (张伟, 김민): one lookup in the `customer_bigrams`
///   table (migration 0004), exact because the table holds every such window;
/// - three or more: the trigram index (SQLite FTS5, PostgreSQL pg_trgm behind `LIKE`);
/// - anything else (one character, two ASCII characters): a scan of `search_text`, which stops
///   at the first page of hits for the common short queries.
pub(crate) fn push_search(
    c: &Conn<'_>,
    needle: &str,
    wh: &mut Vec<String>,
    a: &mut Vec<Arg>,
) -> bool {
    let n = a.len() + 1;
    let chars = needle.chars().count();
    if chars == 2 && !needle.is_ascii() && !needle.contains(' ') {
        wh.push(format!(
            "c.id IN (SELECT b.customer_id FROM customer_bigrams b WHERE b.gram = ${n})"
        ));
        a.push(needle.into());
        return true;
    }
    if c.is_sqlite() {
        if chars >= 3 {
            // FTS5 trigram: a quoted phrase matches as a substring, through the index.
            wh.push(format!(
                "c.id IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ${n})"
            ));
            a.push(format!("\"{}\"", needle.replace('"', "\"\"")).into());
            true
        } else {
            wh.push(format!("instr(c.search_text, ${n}) > 0"));
            a.push(needle.into());
            false
        }
    } else {
        wh.push(format!("c.search_text LIKE ${n}"));
        a.push(like_literal(needle).into());
        chars >= 3
    }
}

pub(crate) async fn list(c: &mut Conn<'_>, q: &CustomerQuery) -> StoreResult<Page<Customer>> {
    let limit = page_limit(q.limit);
    let mut wh: Vec<String> = Vec::new();
    let mut a: Vec<Arg> = Vec::new();
    if let Some(s) = q.stage {
        a.push(s.as_str().into());
        wh.push(format!("c.stage = ${}", a.len()));
    }
    if let Some(o) = q.owner_id {
        a.push(o.0.into());
        wh.push(format!("c.owner_id = ${}", a.len()));
    }
    if let Some(k) = q.kind {
        a.push(k.as_str().into());
        wh.push(format!("c.kind = ${}", a.len()));
    }
    for (col, v) in [
        ("abc", q.abc.map(|v| v.as_str())),
        ("rfm_segment", q.segment.map(|v| v.as_str())),
        ("loyalty", q.loyalty.map(|v| v.as_str())),
    ] {
        if let Some(v) = v {
            a.push(v.into());
            wh.push(format!(
                "EXISTS (SELECT 1 FROM customer_classes k WHERE k.customer_id = c.id AND k.{col} = ${})",
                a.len()
            ));
        }
    }
    if let Some(quadrant) = q.quadrant {
        wh.push(super::satisfaction::quadrant_condition(quadrant, "c"));
    }
    // Bound as integers (millionths, cents) so the same text works on both databases without
    // a floating-point parameter type.
    if let Some(p) = q.p_alive_max.filter(|p| p.is_finite()) {
        a.push(((p.clamp(0.0, 1.0) * 1e6).round() as i64).into());
        wh.push(format!(
            "EXISTS (SELECT 1 FROM customer_scores s WHERE s.customer_id = c.id \
             AND s.p_alive * 1000000 <= ${})",
            a.len()
        ));
    }
    if let Some(v) = q.clv_min.filter(|v| v.is_finite()) {
        a.push(((v.clamp(-1e15, 1e15) * 100.0).round() as i64).into());
        wh.push(format!(
            "EXISTS (SELECT 1 FROM customer_scores s WHERE s.customer_id = c.id \
             AND s.clv * 100 >= ${})",
            a.len()
        ));
    }
    if let Some(t) = q
        .tag
        .as_deref()
        .map(|t| t.replace('\0', ""))
        .filter(|t| !t.trim().is_empty())
    {
        a.push(t.trim().to_owned().into());
        wh.push(format!(
            "EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = ${})",
            a.len()
        ));
    }
    let mut indexed_search = false;
    if let Some(needle) = q.q.as_deref().and_then(search_needle) {
        if needle.chars().count() > 200 {
            return Err(StoreError::invalid(
                "q",
                "too_long",
                "search text is longer than 200 characters",
            ));
        }
        indexed_search = push_search(c, &needle, &mut wh, &mut a);
    }
    let (sort_tag, col) = match q.sort {
        CustomerSort::Id => ("id", None),
        CustomerSort::Name => ("name", Some("c.name")),
        CustomerSort::Created => ("created", Some("c.created_at")),
        CustomerSort::Updated => ("updated", Some("c.updated_at")),
    };
    let sort_tag = format!("{sort_tag}{}", if q.desc { "-" } else { "+" });
    let (cmp, dir) = if q.desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some(cur) = &q.cursor {
        let cur = Cursor::decode(cur, &sort_tag)?;
        match col {
            None => {
                a.push(cur.i.into());
                wh.push(format!("c.id {cmp} ${}", a.len()));
            }
            Some(col) => {
                let v = cur.v.clone().unwrap_or_default();
                let val: Arg = if col == "c.name" {
                    v.into()
                } else {
                    DateTime::parse_from_rfc3339(&v)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|_| {
                            StoreError::invalid(
                                "cursor",
                                "invalid_cursor",
                                "is not a cursor this list handed out",
                            )
                        })?
                        .into()
                };
                a.push(val);
                let vn = a.len();
                a.push(cur.i.into());
                let idn = a.len();
                wh.push(format!(
                    "({col} {cmp} ${vn} OR ({col} = ${vn} AND c.id {cmp} ${idn}))"
                ));
            }
        }
    }
    let order = match col {
        None => format!("c.id {dir}"),
        Some(col) => format!("{col} {dir}, c.id {dir}"),
    };
    a.push((limit + 1).into());
    let lim = a.len();
    let mut holders = scope_holders(c, q.scope).await?;
    if let (Some(h), Some(_)) = (&holders, col) {
        // Sorted by name or date, each holder's index would have to be sorted whole; walking the
        // sort's own index and checking the scope per row finds a page quickly when the scope is
        // a fair share of the archive (a representative's book), so use that there.
        if !indexed_search && dense_scope(c, h).await? {
            push_holder_check(h, "c", &mut wh, &mut a);
            holders = None;
        }
    }
    let sql = match holders {
        // A scoped list without an indexed search: walk each holder's owner and relationship
        // manager index in page order, one page per index, and merge them. A single OR over the
        // two columns made SQLite collect and sort a representative's whole book (hundreds of
        // thousands of rows) for the first page; a scan in id order instead would read the whole
        // table for someone who holds few customers. This costs at most a page per index either
        // way.
        Some(holders) if !indexed_search => {
            let mut branches = Vec::with_capacity(holders.len() * 2);
            for h in holders {
                a.push(h.into());
                let hn = a.len();
                for holder_col in ["owner_id", "relationship_manager_id"] {
                    let mut bw = vec![format!("c.{holder_col} = ${hn}")];
                    bw.extend(wh.iter().cloned());
                    branches.push(format!(
                        "SELECT id FROM (SELECT c.id FROM customers c WHERE {} ORDER BY {order} LIMIT ${lim}) b{}",
                        bw.join(" AND "),
                        branches.len()
                    ));
                }
            }
            format!(
                "SELECT {CUSTOMER_COLS} FROM customers c WHERE c.id IN ({}) ORDER BY {order} LIMIT ${lim}",
                branches.join(" UNION ALL ")
            )
        }
        // Unscoped, or the search index yields the candidates: the scope is checked on each
        // candidate row (by primary key), never used to drive.
        holders => {
            if let Some(h) = holders {
                push_holder_check(&h, "c", &mut wh, &mut a);
            }
            format!(
                "SELECT {CUSTOMER_COLS} FROM customers c {} ORDER BY {order} LIMIT ${lim}",
                if wh.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", wh.join(" AND "))
                },
            )
        }
    };
    let rows: Vec<CustomerRow> = c.fetch_all(&sql, a).await?;
    let mut items = rows
        .into_iter()
        .map(CustomerRow::into_customer)
        .collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|l| {
            Cursor {
                s: sort_tag.clone(),
                v: match q.sort {
                    CustomerSort::Id => None,
                    CustomerSort::Name => Some(l.name.clone()),
                    CustomerSort::Created => Some(l.created_at.to_rfc3339()),
                    CustomerSort::Updated => Some(l.updated_at.to_rfc3339()),
                },
                i: l.id.0,
            }
            .encode()
        })
    } else {
        None
    };
    attach_children(c, &mut items).await?;
    Ok(Page { items, next_cursor })
}

pub(crate) async fn overview(c: &mut Conn<'_>, id: CustomerId) -> StoreResult<CustomerOverview> {
    let customer = must_load(c, id).await?;
    let kps: Vec<KeyPersonRow> = c
        .fetch_all(
            &format!(
                "SELECT {KEY_PERSON_COLS} FROM key_persons WHERE customer_id = $1 ORDER BY id"
            ),
            args![id.0],
        )
        .await?;
    let key_persons: Vec<KeyPerson> = kps.into_iter().map(KeyPerson::from).collect();
    let its: Vec<InteractionRow> = c
        .fetch_all(
            &format!(
                "SELECT {INTERACTION_COLS} FROM interactions WHERE customer_id = $1 \
                 ORDER BY occurred_at DESC, id DESC LIMIT 10"
            ),
            args![id.0],
        )
        .await?;
    let recent_interactions = its
        .into_iter()
        .map(InteractionRow::into_interaction)
        .collect::<StoreResult<Vec<_>>>()?;
    let orders = order_summary(c, id).await?;
    let warnings = archive_warnings(&customer, key_persons.len());
    Ok(CustomerOverview {
        customer,
        key_persons,
        recent_interactions,
        orders,
        warnings,
    })
}

/// Counts, dates and revenue of some of a customer's orders (all of them, or one currency's),
/// read after the currency columns of the order summary's row.
#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct OrderSums {
    n: i64,
    first: Option<chrono::NaiveDate>,
    last: Option<chrono::NaiveDate>,
    total: i64,
    n12: i64,
    total12: i64,
}

/// A customer's orders in one row: the lowest and the highest currency code, and the sums.
type AllOrders = Both<(Option<String>, Option<String>), OrderSums>;

/// The order summary's sums: over all of a customer's orders, or (with `GROUP BY currency`
/// appended) per currency.
const ORDER_SUMS: &str = "COUNT(*) AS n, MIN(order_date) AS first, MAX(order_date) AS last, \
     CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS total, \
     COUNT(CASE WHEN order_date >= $2 THEN 1 END) AS n12, \
     CAST(COALESCE(SUM(CASE WHEN order_date >= $2 THEN total_minor END), 0) AS BIGINT) AS total12 \
     FROM orders WHERE customer_id = $1";

/// Counts, dates and revenue of a customer's orders (the overview is the most requested page of
/// a large archive; three scans of the customer's orders cost a round trip each).
///
/// Why two queries, the second rarely run: `GROUP BY currency` is not the order of the index
/// the orders are read from (`orders_customer_date`), so SQLite sorts them in a temporary
/// B-tree on every overview, 20% of the statement's time on the 1,000,000-customer demo. Nearly
/// every customer buys in one currency, and then one ungrouped pass answers; only a customer
/// with orders in two currencies or more is read again per currency.
async fn order_summary(c: &mut Conn<'_>, id: CustomerId) -> StoreResult<OrderSummary> {
    static ALL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("SELECT MIN(currency) AS currency, MAX(currency) AS last_currency, {ORDER_SUMS}")
    });
    static BY_CURRENCY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT currency, {ORDER_SUMS} GROUP BY currency"));
    let since = Utc::now()
        .date_naive()
        .checked_sub_months(Months::new(12))
        .unwrap_or_default();
    // All orders with their lowest and highest currency code: when the two are the same, the
    // row is the whole summary (no orders: no currency).
    let all: Option<AllOrders> = c.fetch_optional(&ALL, args![id.0, since]).await?;
    let rows: Vec<(String, OrderSums)> = match all {
        Some(Both((Some(low), high), sums)) if high.as_deref() == Some(low.as_str()) => {
            vec![(low, sums)]
        }
        Some(Both((Some(_), _), _)) => {
            let per: Vec<Both<(String,), OrderSums>> =
                c.fetch_all(&BY_CURRENCY, args![id.0, since]).await?;
            per.into_iter()
                .map(|Both((cur,), sums)| (cur, sums))
                .collect()
        }
        _ => Vec::new(),
    };
    let money = |cur: &str, amount: i64| -> StoreResult<Money> {
        Ok(Money {
            amount_minor: amount,
            currency: Currency::parse("currency", cur)
                .map_err(|e| StoreError::other("decoding currency", ValidationErrors::from(e)))?,
        })
    };
    let mut summary = OrderSummary {
        count: rows.iter().map(|(_, r)| r.n).sum(),
        first_order_date: rows.iter().filter_map(|(_, r)| r.first).min(),
        last_order_date: rows.iter().filter_map(|(_, r)| r.last).max(),
        revenue_12m: Vec::new(),
        revenue_total: Vec::new(),
    };
    for (currency, r) in &rows {
        summary.revenue_total.push(money(currency, r.total)?);
        if r.n12 > 0 {
            summary.revenue_12m.push(money(currency, r.total12)?);
        }
    }
    // Largest first; equal amounts by currency code, so the order does not depend on the plan.
    for v in [&mut summary.revenue_12m, &mut summary.revenue_total] {
        v.sort_by(|a, b| {
            b.amount_minor
                .cmp(&a.amount_minor)
                .then_with(|| a.currency.as_str().cmp(b.currency.as_str()))
        });
    }
    Ok(summary)
}

/// The users whose customers (as owner or relationship manager) `scope` covers, `None` for all:
/// the user for [`Scope::Own`]; the manager and everyone reporting to them for [`Scope::Team`].
pub(crate) async fn scope_holders(c: &mut Conn<'_>, scope: Scope) -> StoreResult<Option<Vec<i64>>> {
    match scope {
        Scope::All => Ok(None),
        Scope::Own(me) => Ok(Some(vec![me.0])),
        Scope::Team(me) => {
            let rows: Vec<(i64,)> = c
                .fetch_all(
                    "SELECT id FROM users WHERE id = $1 OR manager_id = $1 ORDER BY id",
                    args![me.0],
                )
                .await?;
            let mut ids: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
            if ids.is_empty() {
                // An unknown manager still holds nothing; keep the list non-empty for `IN`.
                ids.push(me.0);
            }
            Ok(Some(ids))
        }
    }
}

/// Whether the customers held by `holders` are at least 1% of the archive, so that scanning an
/// index in sort order meets a page of them within about a hundred rows per hit. Counts at most
/// that many index entries.
async fn dense_scope(c: &mut Conn<'_>, holders: &[i64]) -> StoreResult<bool> {
    let top = c
        .scalar_i64("SELECT COALESCE(MAX(id), 0) FROM customers", vec![])
        .await?;
    let need = (top / 100).max(1);
    let mut held = 0;
    for h in holders {
        for holder_col in ["owner_id", "relationship_manager_id"] {
            held += c
                .scalar_i64(
                    &format!(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM customers WHERE {holder_col} = $1 LIMIT $2) x"
                    ),
                    args![*h, need - held],
                )
                .await?;
            if held >= need {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Appends "owner or relationship manager is one of `holders`" on the customer table aliased
/// `alias`, as a check of rows found another way (by primary key, through the search index).
/// The unary `+` keeps the planner from driving the query through the owner indexes instead:
/// with hundreds of thousands of customers per representative that meant collecting them all.
fn push_holder_check(holders: &[i64], alias: &str, wh: &mut Vec<String>, a: &mut Vec<Arg>) {
    let mut list = Vec::with_capacity(holders.len());
    for h in holders {
        a.push((*h).into());
        list.push(format!("${}", a.len()));
    }
    let list = list.join(", ");
    wh.push(format!(
        "(+{alias}.owner_id IN ({list}) OR +{alias}.relationship_manager_id IN ({list}))"
    ));
}

/// Appends the record-level access condition of `scope` on the customer table aliased `alias`
/// (see [`patron_core::Scope`]): nothing for `All`; owner or relationship manager is the user for
/// `Own`; owner or relationship manager is the manager or one of their reports for `Team`.
/// A check of rows found by primary key (the `+` keeps the owner indexes from driving).
pub(crate) fn push_scope(scope: Scope, alias: &str, wh: &mut Vec<String>, a: &mut Vec<Arg>) {
    match scope {
        Scope::All => {}
        Scope::Own(me) => {
            a.push(me.0.into());
            let n = a.len();
            wh.push(format!(
                "(+{alias}.owner_id = ${n} OR +{alias}.relationship_manager_id = ${n})"
            ));
        }
        Scope::Team(me) => {
            a.push(me.0.into());
            let n = a.len();
            let team =
                format!("(SELECT u.id FROM users u WHERE u.id = ${n} OR u.manager_id = ${n})");
            wh.push(format!(
                "(+{alias}.owner_id IN {team} OR +{alias}.relationship_manager_id IN {team})"
            ));
        }
    }
}

/// [`push_scope`] for queries the scope should drive: a representative's agenda reads the
/// customers they hold, a few thousand of a million, so the owner and relationship-manager
/// indexes are the way in (the unary `+` of `push_scope` made that a full scan: 396 ms against
/// 20 ms on the 1,000,000-customer benchmark).
pub(crate) fn push_scope_driving(
    scope: Scope,
    alias: &str,
    wh: &mut Vec<String>,
    a: &mut Vec<Arg>,
) {
    match scope {
        Scope::All => {}
        Scope::Own(me) => {
            a.push(me.0.into());
            let n = a.len();
            wh.push(format!(
                "({alias}.owner_id = ${n} OR {alias}.relationship_manager_id = ${n})"
            ));
        }
        Scope::Team(me) => {
            a.push(me.0.into());
            let n = a.len();
            let team =
                format!("(SELECT u.id FROM users u WHERE u.id = ${n} OR u.manager_id = ${n})");
            wh.push(format!(
                "({alias}.owner_id IN {team} OR {alias}.relationship_manager_id IN {team})"
            ));
        }
    }
}

/// Whether customer `id` exists and lies inside `scope`: one primary-key lookup. Out-of-scope
/// customers answer like missing ones, so probing ids tells nothing.
pub(crate) async fn in_scope(c: &mut Conn<'_>, id: CustomerId, scope: Scope) -> StoreResult<bool> {
    let mut wh = Vec::new();
    let mut a: Vec<Arg> = args![id.0];
    wh.push("c.id = $1".to_owned());
    push_scope(scope, "c", &mut wh, &mut a);
    let n = c
        .scalar_i64(
            &format!(
                "SELECT COUNT(*) FROM customers c WHERE {}",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    Ok(n > 0)
}
