//! Applies parsed import records inside ONE transaction: an error (or a crash) midway leaves the
//! database as it was.
//!
//! Matching: a customer row with a `ref` matches the customer with that reference; a row without
//! one matches by phone digits, else by e-mail. Matched rows update only the fields the file gave,
//! and count as `unchanged` when nothing differs. Orders have their own streamed path
//! ([`super::import_orders`]).

use super::audit::{self, ImportMark};
use super::conn::{args, Conn};
use super::customers::{self, must_load};
use super::records as r;
use super::{now, SqlStore};
use crate::accounts::AuditEntity;
use crate::error::{StoreError, StoreResult};
use crate::import::keys::OrderKeyer;
use crate::import::*;
use chrono::Utc;
use patron_core::values::{email_key, phone_key};
use patron_core::*;
use std::collections::HashMap;

pub(crate) async fn apply(
    store: &SqlStore,
    batch: ImportBatch,
    opts: ApplyOptions,
) -> StoreResult<ImportOutcome> {
    let batch = match batch {
        ImportBatch::Orders(records) => {
            // One path for orders, streamed or not: a single chunk.
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            let mut chunk = OrderChunk::keyed(records, 0, &mut OrderKeyer::default());
            chunk.last = true;
            let _ = tx.send(chunk).await;
            drop(tx);
            return super::import_orders::apply_stream(store, rx, opts).await;
        }
        other => other,
    };
    let mut tx = store.begin().await?;
    let mut out = ImportOutcome::default();
    {
        let mut c = tx.conn();
        super::bulk::bulk_mode(&mut c).await?;
        let entity = match &batch {
            ImportBatch::Customers(_) => Entity::Customers,
            ImportBatch::Contacts(_) => Entity::Contacts,
            ImportBatch::Products(_) => Entity::Products,
            ImportBatch::Orders(_) => Entity::Orders,
        };
        let mark = audit::begin_import(&mut c, opts.by, entity, opts.file_name.as_deref()).await?;
        match batch {
            ImportBatch::Customers(rs) => {
                apply_customers(&mut c, rs, &opts, mark, &mut out).await?
            }
            ImportBatch::Contacts(rs) => apply_contacts(&mut c, rs, &opts, mark, &mut out).await?,
            ImportBatch::Products(rs) => apply_products(&mut c, rs, &mut out).await?,
            ImportBatch::Orders(_) => {}
        }
        let rejected = opts.parse_rejected + out.rejected.len() as u64;
        audit::end_import(&mut c, mark, &out, rejected).await?;
    }
    out.rejected.sort_by_key(|r| r.line);
    if opts.dry_run || (opts.strict && !out.rejected.is_empty()) {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(out)
}

pub(super) fn report(opts: &ApplyOptions, n: u64) {
    if let Some(p) = &opts.progress {
        p(n);
    }
}

pub(super) fn reject(
    out: &mut ImportOutcome,
    line: u64,
    field: Option<&str>,
    reason: impl Into<String>,
) {
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
    mark: ImportMark,
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
                let loaded = must_load(c, id).await?;
                let cur = CustomerInput::from(loaded.clone());
                (cur.clone(), Some((id, cur, loaded)))
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
        // The history compares the stored cards, as an edit in the UI does.
        let ce = AuditEntity::Customer;
        match before {
            Some((id, cur, loaded)) => {
                let same = cur
                    .validate(today)
                    .map(|b| b.input == v.input)
                    .unwrap_or(false);
                if same {
                    out.unchanged += 1;
                } else {
                    customers::update(c, id, &v).await?;
                    let after = must_load(c, id).await?;
                    let (b, a) = (Some(&loaded), Some(&after));
                    audit::record_imported(c, mark, ce, id.0, id, "update", b, a).await?;
                    audit::holder_changes(c, mark.by, id, &loaded, &after).await?;
                    out.updated += 1;
                }
            }
            None => {
                let id = customers::insert(c, &v, now()).await?;
                let after = must_load(c, id).await?;
                audit::record_imported(c, mark, ce, id.0, id, "create", None, Some(&after)).await?;
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
    mark: ImportMark,
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
        let ke = AuditEntity::KeyPerson;
        match found {
            Some(prev) => {
                let prev_input = KeyPersonInput::from(prev.clone()).validate(today).ok();
                if prev_input.as_ref() == Some(&k) {
                    out.unchanged += 1;
                } else {
                    r::update_key_person(c, prev.id, &k).await?;
                    let after = r::get_key_person(c, prev.id).await?;
                    let (b, a) = (Some(&prev), Some(&after));
                    audit::record_imported(c, mark, ke, prev.id.0, cid, "update", b, a).await?;
                    out.updated += 1;
                }
            }
            None => {
                let id = r::insert_key_person(c, cid, &k).await?;
                let after = r::get_key_person(c, id).await?;
                audit::record_imported(c, mark, ke, id.0, cid, "create", None, Some(&after))
                    .await?;
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
