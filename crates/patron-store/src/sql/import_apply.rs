//! Applies parsed import records inside ONE transaction: an error (or a crash) midway leaves the
//! database as it was.
//!
//! Matching: a customer row with a `ref` matches the customer with that reference; a row without
//! one matches by phone digits, else by e-mail. Matched rows update only the fields the file gave,
//! and count as `unchanged` when nothing differs. Orders are keyed so that importing the same file
//! twice never doubles them — by order number when there is one, otherwise by a hash of the row's
//! content plus its occurrence count within the file (the CDNOW log has identical rows that are
//! separate purchases: the 2nd identical row is key `…:2` on every import).

use super::bulk::{insert_customers, insert_orders, NewOrder};
use super::conn::{args, Arg, Conn};
use super::customers::{self, must_load};
use super::records as r;
use super::{now, placeholders, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::import::*;
use chrono::Utc;
use patron_core::values::{email_key, phone_key};
use patron_core::*;
use std::collections::{HashMap, HashSet};

/// How many keys go into one `IN (…)` lookup.
const LOOKUP_BATCH: usize = 500;

pub(crate) async fn apply(
    store: &SqlStore,
    batch: ImportBatch,
    opts: ApplyOptions,
) -> StoreResult<ImportOutcome> {
    let mut tx = store.begin().await?;
    let mut out = ImportOutcome::default();
    {
        let mut c = tx.conn();
        super::bulk::bulk_mode(&mut c).await?;
        match batch {
            ImportBatch::Customers(rs) => apply_customers(&mut c, rs, &opts, &mut out).await?,
            ImportBatch::Contacts(rs) => apply_contacts(&mut c, rs, &opts, &mut out).await?,
            ImportBatch::Products(rs) => apply_products(&mut c, rs, &mut out).await?,
            ImportBatch::Orders(rs) => apply_orders(&mut c, rs, &opts, &mut out).await?,
        }
    }
    out.rejected.sort_by_key(|r| r.line);
    if opts.dry_run || (opts.strict && !out.rejected.is_empty()) {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(out)
}

fn report(opts: &ApplyOptions, n: u64) {
    if let Some(p) = &opts.progress {
        p(n);
    }
}

fn reject(out: &mut ImportOutcome, line: u64, field: Option<&str>, reason: impl Into<String>) {
    out.rejected.push(RowReject {
        line,
        field: field.map(str::to_owned),
        reason: reason.into(),
    });
}

fn reject_invalid(out: &mut ImportOutcome, line: u64, e: &ValidationErrors) {
    let field = e.first().map(|f| import_field(&f.field));
    reject(out, line, field.as_deref(), e.to_string());
}

/// Maps a model field name to the import field name users see.
fn import_field(model_field: &str) -> String {
    match model_field {
        "owner_id" => "owner".into(),
        f => f.to_owned(),
    }
}

async fn find_customer_by_ref(
    c: &mut Conn<'_>,
    reference: &str,
) -> StoreResult<Option<CustomerId>> {
    if let Some(id) = reference
        .strip_prefix('#')
        .and_then(|s| s.parse::<i64>().ok())
    {
        let n = c
            .scalar_i64("SELECT COUNT(*) FROM customers WHERE id = $1", args![id])
            .await?;
        return Ok((n > 0).then_some(CustomerId(id)));
    }
    let r: Option<(i64,)> = c
        .fetch_optional(
            "SELECT id FROM customers WHERE external_ref = $1",
            args![reference],
        )
        .await?;
    Ok(r.map(|r| CustomerId(r.0)))
}

async fn match_customer(c: &mut Conn<'_>, rec: &CustomerRecord) -> StoreResult<Option<CustomerId>> {
    if let Some(reference) = &rec.external_ref {
        return find_customer_by_ref(c, reference).await;
    }
    let keys = [
        (
            "phone_key",
            rec.phone
                .as_deref()
                .map(phone_key)
                .filter(|k| !k.is_empty()),
        ),
        ("email_key", rec.email.as_deref().map(email_key)),
    ];
    for (col, key) in keys {
        let Some(key) = key else { continue };
        let r: Option<(i64,)> = c
            .fetch_optional(
                &format!("SELECT id FROM customers WHERE {col} = $1 ORDER BY id LIMIT 1"),
                args![key],
            )
            .await?;
        if let Some(r) = r {
            return Ok(Some(CustomerId(r.0)));
        }
    }
    Ok(None)
}

/// Overlays the record's given fields on `to`.
fn overlay(rec: &CustomerRecord, owner: Option<UserId>, to: &mut CustomerInput) {
    fn set<T: Clone>(slot: &mut Option<T>, v: &Option<T>) {
        if v.is_some() {
            slot.clone_from(v);
        }
    }
    set(&mut to.external_ref, &rec.external_ref);
    if let Some(k) = rec.kind {
        to.kind = k;
    }
    if let Some(n) = &rec.name {
        to.name.clone_from(n);
    }
    set(&mut to.gender, &rec.gender);
    set(&mut to.birth_date, &rec.birth_date);
    set(&mut to.company, &rec.company);
    set(&mut to.address, &rec.address);
    // The same number or address written differently (spacing, case) is not a change: keep
    // the card's formatting so a re-import reports it unchanged.
    if rec.phone.as_deref().map(phone_key) != to.phone.as_deref().map(phone_key) {
        set(&mut to.phone, &rec.phone);
    }
    set(&mut to.fax, &rec.fax);
    if rec.email.as_deref().map(email_key) != to.email.as_deref().map(email_key) {
        set(&mut to.email, &rec.email);
    }
    set(&mut to.level, &rec.level);
    set(&mut to.source, &rec.source);
    set(&mut to.notes, &rec.notes);
    if let Some(s) = rec.stage {
        to.stage = Some(s);
        if s != LifecycleStage::Lost {
            to.churn_reason = None;
        }
    }
    set(&mut to.churn_reason, &rec.churn_reason);
    if owner.is_some() {
        to.owner_id = owner;
    }
    if let Some(t) = &rec.tags {
        to.tags.clone_from(t);
    }
}

async fn resolve_owner(
    c: &mut Conn<'_>,
    cache: &mut HashMap<String, Option<UserId>>,
    owner: &str,
) -> StoreResult<Option<UserId>> {
    if let Some(v) = cache.get(owner) {
        return Ok(*v);
    }
    let u = r::find_user(c, owner).await?.map(|u| u.id);
    cache.insert(owner.to_owned(), u);
    Ok(u)
}

async fn apply_customers(
    c: &mut Conn<'_>,
    rs: Vec<CustomerRecord>,
    opts: &ApplyOptions,
    out: &mut ImportOutcome,
) -> StoreResult<()> {
    let today = Utc::now().date_naive();
    let mut owners = HashMap::new();
    for (n, rec) in rs.into_iter().enumerate() {
        if n % 1000 == 0 {
            report(opts, n as u64);
        }
        let owner = match &rec.owner {
            Some(o) => match resolve_owner(c, &mut owners, o).await? {
                Some(id) => Some(id),
                None => {
                    reject(
                        out,
                        rec.line,
                        Some("owner"),
                        format!("owner: no user has the e-mail or name '{o}'"),
                    );
                    continue;
                }
            },
            None => None,
        };
        let existing = match_customer(c, &rec).await?;
        let (mut input, before) = match existing {
            Some(id) => {
                let cur = CustomerInput::from(must_load(c, id).await?);
                (cur.clone(), Some((id, cur)))
            }
            None => {
                if rec.name.is_none() {
                    reject(
                        out,
                        rec.line,
                        Some("name"),
                        "name: is required to create a customer",
                    );
                    continue;
                }
                (
                    CustomerInput {
                        kind: CustomerKind::Person,
                        ..Default::default()
                    },
                    None,
                )
            }
        };
        overlay(&rec, owner, &mut input);
        let mut v = match input.validate(today) {
            Ok(v) => v,
            Err(e) => {
                reject_invalid(out, rec.line, &e);
                continue;
            }
        };
        match customers::check_refs(c, &mut v).await {
            Ok(()) => {}
            Err(StoreError::Invalid(e)) => {
                reject_invalid(out, rec.line, &e);
                continue;
            }
            Err(e) => return Err(e),
        }
        match before {
            Some((id, cur)) => {
                let same = cur
                    .validate(today)
                    .map(|b| b.input == v.input)
                    .unwrap_or(false);
                if same {
                    out.unchanged += 1;
                } else {
                    customers::update(c, id, &v).await?;
                    out.updated += 1;
                }
            }
            None => {
                customers::insert(c, &v, now()).await?;
                out.created += 1;
            }
        }
    }
    Ok(())
}

async fn apply_contacts(
    c: &mut Conn<'_>,
    rs: Vec<ContactRecord>,
    opts: &ApplyOptions,
    out: &mut ImportOutcome,
) -> StoreResult<()> {
    let today = Utc::now().date_naive();
    let mut customers_by_ref: HashMap<String, Option<CustomerId>> = HashMap::new();
    for (n, rec) in rs.into_iter().enumerate() {
        if n % 1000 == 0 {
            report(opts, n as u64);
        }
        let cid = match customers_by_ref.get(&rec.customer_ref) {
            Some(v) => *v,
            None => {
                let v = find_customer_by_ref(c, &rec.customer_ref).await?;
                customers_by_ref.insert(rec.customer_ref.clone(), v);
                v
            }
        };
        let Some(cid) = cid else {
            reject(
                out,
                rec.line,
                Some("customer_ref"),
                format!(
                    "customer_ref: no customer has the reference '{}'",
                    rec.customer_ref
                ),
            );
            continue;
        };
        // Same person: same e-mail, else same phone digits, else same name, within the customer.
        let existing: Vec<super::rows::KeyPersonRow> = c
            .fetch_all(
                &format!(
                    "SELECT {} FROM key_persons WHERE customer_id = $1 ORDER BY id",
                    super::rows::KEY_PERSON_COLS
                ),
                args![cid.0],
            )
            .await?;
        let found = existing.into_iter().map(KeyPerson::from).find(|k| {
            let by_email = rec
                .email
                .as_deref()
                .is_some_and(|e| k.email.as_deref().map(email_key) == Some(email_key(e)));
            let by_phone = rec
                .phone
                .as_deref()
                .is_some_and(|p| k.phone.as_deref().map(phone_key) == Some(phone_key(p)));
            by_email || by_phone || k.name == rec.name.trim()
        });
        let mut input = found.clone().map(KeyPersonInput::from).unwrap_or_default();
        input.name = rec.name.clone();
        for (slot, v) in [
            (&mut input.title, &rec.title),
            (&mut input.phone, &rec.phone),
            (&mut input.mobile, &rec.mobile),
            (&mut input.email, &rec.email),
            (&mut input.hobbies, &rec.hobbies),
            (&mut input.notes, &rec.notes),
        ] {
            if v.is_some() {
                slot.clone_from(v);
            }
        }
        if rec.birthday.is_some() {
            input.birthday = rec.birthday;
        }
        if rec.wedding_anniversary.is_some() {
            input.wedding_anniversary = rec.wedding_anniversary;
        }
        let k = match input.validate(today) {
            Ok(k) => k,
            Err(e) => {
                reject_invalid(out, rec.line, &e);
                continue;
            }
        };
        match found {
            Some(prev) => {
                let prev_input = KeyPersonInput::from(prev.clone()).validate(today).ok();
                if prev_input.as_ref() == Some(&k) {
                    out.unchanged += 1;
                } else {
                    r::update_key_person(c, prev.id, &k).await?;
                    out.updated += 1;
                }
            }
            None => {
                r::insert_key_person(c, cid, &k).await?;
                out.created += 1;
            }
        }
    }
    Ok(())
}

async fn apply_products(
    c: &mut Conn<'_>,
    rs: Vec<ProductRecord>,
    out: &mut ImportOutcome,
) -> StoreResult<()> {
    let default_currency = r::get_setting(c, super::store_impl::DEFAULT_CURRENCY_KEY)
        .await?
        .and_then(|v| Currency::parse("currency", &v).ok())
        .unwrap_or_default();
    for rec in rs {
        let found: Option<super::rows::ProductRow> = match (&rec.external_ref, &rec.name) {
            (Some(reference), _) => {
                c.fetch_optional(
                    &format!(
                        "SELECT {} FROM products WHERE external_ref = $1",
                        super::rows::PRODUCT_COLS
                    ),
                    args![reference],
                )
                .await?
            }
            (None, Some(name)) => {
                c.fetch_optional(
                    &format!(
                        "SELECT {} FROM products WHERE name = $1 ORDER BY id LIMIT 1",
                        super::rows::PRODUCT_COLS
                    ),
                    args![name],
                )
                .await?
            }
            (None, None) => {
                reject(
                    out,
                    rec.line,
                    Some("name"),
                    "name: a product needs a ref or a name",
                );
                continue;
            }
        };
        let prev = found.map(|p| p.into_product()).transpose()?;
        let mut input = prev.clone().map(ProductInput::from).unwrap_or_default();
        if rec.external_ref.is_some() {
            input.external_ref.clone_from(&rec.external_ref);
        }
        match (&rec.name, prev.is_some()) {
            (Some(n), _) => input.name.clone_from(n),
            (None, false) => input.name = rec.external_ref.clone().unwrap_or_default(),
            (None, true) => {}
        }
        if rec.product_line.is_some() {
            input.product_line.clone_from(&rec.product_line);
        }
        if rec.unit_price_minor.is_some() {
            input.unit_price_minor = rec.unit_price_minor;
        }
        if rec.currency.is_some() {
            input.currency.clone_from(&rec.currency);
        }
        let p = match input.validate() {
            Ok(p) => p,
            Err(e) => {
                reject_invalid(out, rec.line, &e);
                continue;
            }
        };
        match prev {
            Some(prev) => {
                let mut was = ProductInput::from(prev.clone());
                was.currency.get_or_insert_with(|| default_currency.clone());
                let mut now_in = p.clone();
                now_in
                    .currency
                    .get_or_insert_with(|| default_currency.clone());
                now_in.active.get_or_insert(true);
                if was == now_in {
                    out.unchanged += 1;
                } else {
                    r::update_product(c, prev.id, &p, &default_currency).await?;
                    out.updated += 1;
                }
            }
            None => {
                r::insert_product(c, &p, &default_currency).await?;
                out.created += 1;
            }
        }
    }
    Ok(())
}

/// Ids of existing rows whose `col` is one of `keys`, batched.
async fn lookup_ids(
    c: &mut Conn<'_>,
    table: &str,
    col: &str,
    keys: &[String],
) -> StoreResult<HashMap<String, i64>> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(LOOKUP_BATCH) {
        let sql = format!(
            "SELECT {col}, id FROM {table} WHERE {col} IN ({})",
            placeholders(c, chunk.len())
        );
        let rows: Vec<(String, i64)> = c
            .fetch_all(&sql, chunk.iter().map(Arg::from).collect())
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// One order of the file: its rows' lines, keyed for re-import detection.
struct PendingOrder {
    customer_ref: String,
    order: ValidOrder,
    key: String,
    hash: String,
}

/// 128 bits of the hash as 32 hex digits.
fn hex16(h: &blake3::Hash) -> String {
    h.to_hex().as_str()[..32].to_owned()
}

/// The hash of one order row's content, as it enters the re-import key. Fields are fed to the
/// hasher directly (no string is built per row), each text followed by a separator byte that
/// cannot occur in it, numbers as fixed-width bytes.
fn row_hash(r: &OrderRecord) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    for text in [
        r.customer_ref.as_str(),
        r.product_ref.as_deref().unwrap_or(""),
        r.product_line.as_deref().unwrap_or(""),
        r.currency.as_str(),
    ] {
        h.update(text.as_bytes());
        h.update(&[0x1f]);
    }
    h.update(&i64::from(chrono::Datelike::num_days_from_ce(&r.date)).to_le_bytes());
    h.update(&r.quantity.to_le_bytes());
    // The completed unit price, not the file's: an export writes the derived price, and
    // re-importing that export must give the same key.
    h.update(
        &r.unit_price_minor
            .unwrap_or(r.amount_minor / r.quantity.max(1))
            .to_le_bytes(),
    );
    h.update(&r.amount_minor.to_le_bytes());
    h.update(&[u8::from(r.asked_by_name)]);
    h.finalize()
}

async fn apply_orders(
    c: &mut Conn<'_>,
    rs: Vec<OrderRecord>,
    opts: &ApplyOptions,
    out: &mut ImportOutcome,
) -> StoreResult<()> {
    let at = now();
    // 1. Customers by reference; create the missing ones in bulk.
    let mut refs: Vec<String> = rs
        .iter()
        .map(|r| r.customer_ref.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    refs.sort();
    let mut cust = lookup_ids(c, "customers", "external_ref", &refs).await?;
    let existed: HashSet<i64> = cust.values().copied().collect();
    let missing: Vec<&String> = refs.iter().filter(|r| !cust.contains_key(*r)).collect();
    let missing_count = missing.len();
    if !missing.is_empty() {
        let today = Utc::now().date_naive();
        let mut new = Vec::with_capacity(missing.len());
        for m in &missing {
            let v = CustomerInput {
                external_ref: Some((*m).clone()),
                kind: CustomerKind::Person,
                name: (*m).clone(),
                source: Some("import".into()),
                ..Default::default()
            }
            .validate(today)
            .map_err(StoreError::from)?;
            new.push(v);
        }
        let ids = insert_customers(c, &new, at).await?;
        for (m, id) in missing.iter().zip(ids) {
            cust.insert((*m).clone(), id);
        }
    }
    tracing::debug!(
        customers = cust.len(),
        created = missing_count,
        "import: customers resolved"
    );
    // 2. Products by reference; create the missing ones.
    let mut prefs: Vec<String> = rs
        .iter()
        .filter_map(|r| r.product_ref.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    prefs.sort();
    let mut prods = lookup_ids(c, "products", "external_ref", &prefs).await?;
    let default_currency = rs.first().map(|r| r.currency.clone()).unwrap_or_default();
    // The product line of each product reference's first row, in one pass.
    let mut first_line: HashMap<&str, Option<String>> = HashMap::new();
    for r in &rs {
        if let Some(p) = r.product_ref.as_deref() {
            first_line
                .entry(p)
                .or_insert_with(|| r.product_line.clone());
        }
    }
    for pref in &prefs {
        if prods.contains_key(pref) {
            continue;
        }
        let line = first_line.get(pref.as_str()).cloned().flatten();
        let p = ProductInput {
            external_ref: Some(pref.clone()),
            name: pref.clone(),
            product_line: line,
            ..Default::default()
        }
        .validate()
        .map_err(StoreError::from)?;
        let id = r::insert_product(c, &p, &default_currency).await?;
        prods.insert(pref.clone(), id.0);
    }
    tracing::debug!(products = prods.len(), "import: products resolved");
    // 3. Group rows into orders and key them.
    let mut pending: Vec<PendingOrder> = Vec::new();
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    let mut seen: HashMap<blake3::Hash, u32> = HashMap::new();
    let mut ref_lines: HashMap<usize, blake3::Hasher> = HashMap::new();
    for rec in rs {
        let Some(&cid) = cust.get(&rec.customer_ref) else {
            reject(
                out,
                rec.line,
                Some("customer_ref"),
                "customer_ref: could not be resolved",
            );
            continue;
        };
        let line = OrderLine {
            product_id: rec
                .product_ref
                .as_ref()
                .and_then(|p| prods.get(p))
                .map(|&id| ProductId(id)),
            product_line: rec.product_line.clone(),
            quantity: rec.quantity,
            unit_price_minor: rec
                .unit_price_minor
                .unwrap_or(rec.amount_minor / rec.quantity.max(1)),
            amount_minor: rec.amount_minor,
        };
        match &rec.order_ref {
            Some(oref) => {
                if let Some(&i) = by_ref.get(oref) {
                    let p = &mut pending[i];
                    if p.customer_ref != rec.customer_ref || p.order.currency != rec.currency {
                        reject(
                            out,
                            rec.line,
                            Some("order_ref"),
                            format!("order_ref: order '{oref}' already has lines for customer '{}' in {}", p.customer_ref, p.order.currency),
                        );
                        continue;
                    }
                    p.order.total_minor = p.order.total_minor.saturating_add(line.amount_minor);
                    p.order.asked_by_name |= rec.asked_by_name;
                    p.order.lines.push(line);
                    if let Some(v) = ref_lines.get_mut(&i) {
                        v.update(row_hash(&rec).as_bytes());
                    }
                } else {
                    by_ref.insert(oref.clone(), pending.len());
                    let mut lines_hash = blake3::Hasher::new();
                    lines_hash.update(row_hash(&rec).as_bytes());
                    ref_lines.insert(pending.len(), lines_hash);
                    pending.push(PendingOrder {
                        customer_ref: rec.customer_ref.clone(),
                        key: format!("ref:{oref}"),
                        hash: String::new(),
                        order: ValidOrder {
                            customer_id: CustomerId(cid),
                            order_ref: Some(oref.clone()),
                            order_date: rec.date,
                            currency: rec.currency.clone(),
                            asked_by_name: rec.asked_by_name,
                            notes: None,
                            total_minor: line.amount_minor,
                            lines: vec![line],
                        },
                    });
                }
            }
            None => {
                let h = row_hash(&rec);
                let n = seen.entry(h).or_insert(0);
                *n += 1;
                pending.push(PendingOrder {
                    customer_ref: rec.customer_ref.clone(),
                    key: format!("row:{}:{}", hex16(&h), n),
                    // The key already is the content hash; nothing more to store.
                    hash: String::new(),
                    order: ValidOrder {
                        customer_id: CustomerId(cid),
                        order_ref: None,
                        order_date: rec.date,
                        currency: rec.currency.clone(),
                        asked_by_name: rec.asked_by_name,
                        notes: None,
                        total_minor: line.amount_minor,
                        lines: vec![line],
                    },
                });
            }
        }
    }
    for (i, lines_hash) in ref_lines {
        pending[i].hash = hex16(&lines_hash.finalize());
    }
    tracing::debug!(orders = pending.len(), "import: rows grouped and keyed");
    // 4. What exists already: numbered orders by number; unnumbered ones by key, looked up only
    //    for customers that existed before this import (new customers have no orders yet).
    let orefs: Vec<String> = by_ref.keys().cloned().collect();
    let mut existing_ref: HashMap<String, (i64, Option<String>, i64)> = HashMap::new();
    for chunk in orefs.chunks(LOOKUP_BATCH) {
        let sql = format!(
            "SELECT order_ref, id, import_hash, customer_id FROM orders WHERE order_ref IN ({})",
            placeholders(c, chunk.len())
        );
        let rows: Vec<(String, i64, Option<String>, i64)> = c
            .fetch_all(&sql, chunk.iter().map(Arg::from).collect())
            .await?;
        for (oref, id, h, cid) in rows {
            existing_ref.insert(oref, (id, h, cid));
        }
    }
    let mut old_customers: Vec<i64> = pending
        .iter()
        .filter(|p| p.order.order_ref.is_none())
        .map(|p| p.order.customer_id.0)
        .filter(|id| existed.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    old_customers.sort_unstable();
    let mut existing_keys: HashSet<String> = HashSet::new();
    for chunk in old_customers.chunks(LOOKUP_BATCH) {
        let sql = format!(
            "SELECT import_key FROM orders WHERE customer_id IN ({}) AND import_key IS NOT NULL",
            placeholders(c, chunk.len())
        );
        let rows: Vec<(String,)> = c
            .fetch_all(&sql, chunk.iter().map(|&i| Arg::from(i)).collect())
            .await?;
        existing_keys.extend(rows.into_iter().map(|r| r.0));
    }
    // 5. Unchanged, updated, or new.
    let mut new_orders: Vec<NewOrder<'_>> = Vec::new();
    for p in &pending {
        match &p.order.order_ref {
            Some(oref) => match existing_ref.get(oref) {
                Some((id, h, cid)) => {
                    if h.as_deref() == Some(p.hash.as_str()) && *cid == p.order.customer_id.0 {
                        out.unchanged += 1;
                    } else {
                        r::update_order(c, OrderId(*id), &p.order, Some(&p.hash)).await?;
                        c.execute(
                            "UPDATE orders SET import_key = $1 WHERE id = $2",
                            args![&p.key, *id],
                        )
                        .await?;
                        out.updated += 1;
                    }
                }
                None => new_orders.push(NewOrder {
                    customer_id: p.order.customer_id.0,
                    order: &p.order,
                    import_key: Some(&p.key),
                    import_hash: Some(&p.hash),
                }),
            },
            None => {
                if existing_keys.contains(&p.key) {
                    out.unchanged += 1;
                } else {
                    new_orders.push(NewOrder {
                        customer_id: p.order.customer_id.0,
                        order: &p.order,
                        import_key: Some(&p.key),
                        import_hash: None,
                    });
                }
            }
        }
    }
    tracing::debug!(new = new_orders.len(), "import: orders keyed and matched");
    // In (customer, date) order: the orders index then grows at its end instead of taking
    // random inserts all over the tree.
    new_orders.sort_by_key(|o| (o.customer_id, o.order.order_date));
    // Insert in slices so the progress bar moves and memory for statements stays bounded.
    let mut done = out.unchanged + out.updated;
    let mut it = new_orders.chunks(20_000);
    for chunk in it.by_ref() {
        insert_orders(c, chunk, at).await?;
        done += chunk.len() as u64;
        out.created += chunk.len() as u64;
        report(opts, done);
    }
    Ok(())
}
