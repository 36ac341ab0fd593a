//! Likely duplicates (same phone, same e-mail, near-identical names incl. CJK) and merging two
//! customers into one without losing an order, contact or interaction.

use super::conn::{args, Arg, Conn};
use super::customers::{self, must_load};
use super::{audit, SqlStore};
use crate::accounts::AuditEntity;
use crate::error::{StoreError, StoreResult};
use crate::query::{DuplicatePair, MergeReport};
use chrono::Utc;
use patron_core::dedupe::{block_key, names_match, normalise_name};
use patron_core::*;
use std::collections::{HashMap, HashSet};

/// Names compared with this many following names in sorted order within a block (the
/// sorted-neighbourhood method keeps a million names near-linear).
const WINDOW: usize = 12;

/// Likely duplicate pairs whose two customers both lie inside `scope` (a representative is only
/// shown pairs among the customers they may see; [`Scope::All`] for the whole archive).
pub(crate) async fn find(
    store: &SqlStore,
    scope: Scope,
    limit: usize,
) -> StoreResult<Vec<DuplicatePair>> {
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    let limit = limit.clamp(1, 100_000);
    let mut out: Vec<DuplicatePair> = Vec::new();
    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    for (col, reason) in [("phone_key", "same_phone"), ("email_key", "same_email")] {
        let mut a: Vec<Arg> = args![limit as i64];
        let mut wh = vec![format!("a.{col} IS NOT NULL")];
        customers::push_scope(scope, "a", &mut wh, &mut a);
        customers::push_scope(scope, "b", &mut wh, &mut a);
        let sql = format!(
            "SELECT a.id, a.name, b.id, b.name FROM customers a JOIN customers b ON a.{col} = b.{col} AND a.id < b.id \
             WHERE {} ORDER BY a.id, b.id LIMIT $1",
            wh.join(" AND ")
        );
        let rows: Vec<(i64, String, i64, String)> = c.fetch_all(&sql, a).await?;
        for (a, an, b, bn) in rows {
            if seen.insert((a, b)) {
                out.push(DuplicatePair {
                    a: CustomerId(a),
                    a_name: an,
                    b: CustomerId(b),
                    b_name: bn,
                    reason: reason.into(),
                });
            }
        }
    }
    similar_names(&mut c, scope, limit, &mut seen, &mut out).await?;
    out.sort_by_key(|p| (p.a, p.b));
    out.truncate(limit);
    Ok(out)
}

async fn similar_names(
    c: &mut Conn<'_>,
    scope: Scope,
    limit: usize,
    seen: &mut HashSet<(i64, i64)>,
    out: &mut Vec<DuplicatePair>,
) -> StoreResult<()> {
    // Page through names by id so memory holds (id, name) pairs only; only names in scope, so
    // both customers of every pair found are in it.
    let mut blocks: HashMap<String, Vec<(String, i64, String)>> = HashMap::new();
    let mut after = 0i64;
    loop {
        let mut a: Vec<Arg> = args![after];
        let mut wh = vec!["c.id > $1".to_owned()];
        customers::push_scope(scope, "c", &mut wh, &mut a);
        let rows: Vec<(i64, String)> = c
            .fetch_all(
                &format!(
                    "SELECT c.id, c.name FROM customers c WHERE {} ORDER BY c.id LIMIT 50000",
                    wh.join(" AND ")
                ),
                a,
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, name) in rows {
            let norm = normalise_name(&name);
            if norm.is_empty() {
                continue;
            }
            blocks
                .entry(block_key(&name))
                .or_default()
                .push((norm, id, name));
        }
    }
    let mut keys: Vec<_> = blocks.keys().cloned().collect();
    keys.sort();
    for k in keys {
        let Some(block) = blocks.get_mut(&k) else {
            continue;
        };
        block.sort();
        for i in 0..block.len() {
            for j in i + 1..(i + 1 + WINDOW).min(block.len()) {
                let (a, b) = (&block[i], &block[j]);
                if names_match(&a.2, &b.2) {
                    let (x, y) = if a.1 < b.1 { (a, b) } else { (b, a) };
                    if seen.insert((x.1, y.1)) {
                        out.push(DuplicatePair {
                            a: CustomerId(x.1),
                            a_name: x.2.clone(),
                            b: CustomerId(y.1),
                            b_name: y.2.clone(),
                            reason: "similar_name".into(),
                        });
                        if out.len() >= limit * 4 {
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn fill<T: Clone>(name: &str, keep: &mut Option<T>, other: &Option<T>, filled: &mut Vec<String>) {
    if keep.is_none() && other.is_some() {
        keep.clone_from(other);
        filled.push(name.to_owned());
    }
}

pub(crate) async fn merge(
    store: &SqlStore,
    by: Option<UserId>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<MergeReport> {
    if keep == other {
        return Err(StoreError::invalid(
            "other",
            "same_customer",
            "cannot merge a customer into itself",
        ));
    }
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let k = must_load(&mut c, keep).await?;
    let o = must_load(&mut c, other).await?;
    let mut rep = MergeReport {
        kept: keep,
        removed: other,
        ..Default::default()
    };
    rep.orders_moved = c
        .execute(
            "UPDATE orders SET customer_id = $1 WHERE customer_id = $2",
            args![keep.0, other.0],
        )
        .await?;
    c.execute(
        "UPDATE order_lines SET customer_id = $1 WHERE customer_id = $2",
        args![keep.0, other.0],
    )
    .await?;
    rep.key_persons_moved = c
        .execute(
            "UPDATE key_persons SET customer_id = $1 WHERE customer_id = $2",
            args![keep.0, other.0],
        )
        .await?;
    rep.interactions_moved = c
        .execute(
            "UPDATE interactions SET customer_id = $1 WHERE customer_id = $2",
            args![keep.0, other.0],
        )
        .await?;
    // Credit reviews, payments and overrides are history too: they follow the orders.
    super::credit::merge(&mut c, keep, other).await?;
    super::satisfaction::merge(&mut c, keep, other).await?;
    super::surveys::merge(&mut c, keep, other).await?;
    super::after_sales::merge(&mut c, keep, other).await?;
    super::key_accounts::merge(&mut c, keep, other).await?;
    super::touch::merge(&mut c, keep, other).await?;
    super::promotions::merge(&mut c, keep, other).await?;
    // Fill the kept card's empty fields from the other card, then drop the other.
    let mut input = CustomerInput::from(k.clone());
    let oi = CustomerInput::from(o.clone());
    let f = &mut rep.fields_filled;
    fill("ref", &mut input.external_ref, &oi.external_ref, f);
    fill("gender", &mut input.gender, &oi.gender, f);
    fill("birth_date", &mut input.birth_date, &oi.birth_date, f);
    fill("company", &mut input.company, &oi.company, f);
    fill("address", &mut input.address, &oi.address, f);
    fill("phone", &mut input.phone, &oi.phone, f);
    fill("fax", &mut input.fax, &oi.fax, f);
    fill("email", &mut input.email, &oi.email, f);
    fill("level", &mut input.level, &oi.level, f);
    fill("source", &mut input.source, &oi.source, f);
    fill("owner_id", &mut input.owner_id, &oi.owner_id, f);
    fill(
        "relationship_manager_id",
        &mut input.relationship_manager_id,
        &oi.relationship_manager_id,
        f,
    );
    fill("notes", &mut input.notes, &oi.notes, f);
    for t in &oi.tags {
        if !input.tags.contains(t) {
            input.tags.push(t.clone());
            rep.tags_added += 1;
        }
    }
    for (key, v) in &oi.custom {
        if !input.custom.contains_key(key) {
            input.custom.insert(key.clone(), v.clone());
            rep.fields_filled.push(format!("custom.{key}"));
        }
    }
    if let Some(ob) = &oi.background {
        let mut kb = input.background.clone().unwrap_or_default();
        let mut vals: Vec<Option<String>> = kb.values().into_iter().cloned().collect();
        for ((slot, theirs), name) in vals.iter_mut().zip(ob.values()).zip(Background::FIELDS) {
            if slot.is_none() && theirs.is_some() {
                slot.clone_from(theirs);
                rep.fields_filled.push(format!("background.{name}"));
            }
        }
        kb = Background::from_values(vals);
        input.background = Some(kb);
    }
    c.execute(
        "DELETE FROM customers WHERE id = $1",
        vec![Arg::from(other.0)],
    )
    .await?;
    let mut v = input.validate(Utc::now().date_naive())?;
    customers::check_refs(&mut c, &mut v).await?;
    customers::update(&mut c, keep, &v).await?;
    // The history of both: the kept card's filled fields, and the removed card as it was.
    let after = must_load(&mut c, keep).await?;
    let (ce, merge) = (AuditEntity::Customer, "merge");
    audit::record(&mut c, by, ce, keep.0, keep, merge, Some(&k), Some(&after)).await?;
    audit::record(&mut c, by, ce, other.0, other, merge, Some(&o), None).await?;
    audit::holder_changes(&mut c, by, keep, &k, &after).await?;
    tx.commit().await?;
    Ok(rep)
}
