//! The audit log and owner history: what changed, field by field, written in the same
//! transaction as the change itself (a change without its audit row cannot commit).

use super::conn::{args, Conn};
use crate::accounts::{AuditEntity, AuditEntry, ImportRecord, OwnerChange};
use crate::error::{StoreError, StoreResult};
use crate::import::{Entity, ImportOutcome};
use chrono::{DateTime, Utc};
use patron_core::{CustomerId, UserId};
use serde::Serialize;
use serde_json::{Map, Value};

/// Bookkeeping members that change on every write and say nothing about the record.
const IGNORED: &[&str] = &["id", "created_at", "updated_at"];

fn as_object<T: Serialize>(v: Option<&T>) -> StoreResult<Map<String, Value>> {
    match v {
        None => Ok(Map::new()),
        Some(v) => match serde_json::to_value(v) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Ok(Map::new()),
            Err(e) => Err(StoreError::other(
                "serialising a record for the audit log",
                e,
            )),
        },
    }
}

/// Field name → `{"before": …, "after": …}` for every member that differs (absent = null).
pub(crate) fn diff<T: Serialize>(
    before: Option<&T>,
    after: Option<&T>,
) -> StoreResult<Map<String, Value>> {
    let b = as_object(before)?;
    let a = as_object(after)?;
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Map::new();
    for k in keys {
        if IGNORED.contains(&k.as_str()) {
            continue;
        }
        let bv = b.get(k).cloned().unwrap_or(Value::Null);
        let av = a.get(k).cloned().unwrap_or(Value::Null);
        let empty = |v: &Value| {
            v.is_null()
                || v.as_array().is_some_and(|x| x.is_empty())
                || v.as_object().is_some_and(|x| x.is_empty())
        };
        if bv != av && !(empty(&bv) && empty(&av)) {
            let mut m = Map::new();
            m.insert("before".into(), bv);
            m.insert("after".into(), av);
            out.insert(k.clone(), Value::Object(m));
        }
    }
    Ok(out)
}

/// One audit row. An update that changed nothing writes nothing.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record<T: Serialize>(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    entity: AuditEntity,
    entity_id: i64,
    customer: CustomerId,
    action: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> StoreResult<()> {
    let changes = diff(before, after)?;
    write_row(c, by, None, entity, entity_id, customer, action, changes).await
}

/// One audit row of a change an import made: like [`record`], marked with the import.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_imported<T: Serialize>(
    c: &mut Conn<'_>,
    import: ImportMark,
    entity: AuditEntity,
    entity_id: i64,
    customer: CustomerId,
    action: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> StoreResult<()> {
    let changes = diff(before, after)?;
    let (by, id) = (import.by, Some(import.id));
    write_row(c, by, id, entity, entity_id, customer, action, changes).await
}

#[allow(clippy::too_many_arguments)]
async fn write_row(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    import: Option<i64>,
    entity: AuditEntity,
    entity_id: i64,
    customer: CustomerId,
    action: &str,
    changes: Map<String, Value>,
) -> StoreResult<()> {
    if changes.is_empty() && action == "update" {
        return Ok(());
    }
    let text = serde_json::to_string(&changes)
        .map_err(|e| StoreError::other("serialising audit changes", e))?;
    c.execute(
        "INSERT INTO audit_log (at, user_id, entity, entity_id, customer_id, action, changes, \
         import_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            super::now(),
            by.map(|u| u.0),
            entity.as_str(),
            entity_id,
            customer.0,
            action,
            text,
            import
        ],
    )
    .await?;
    Ok(())
}

/// An import under way: its row in `imports` (written in the import's own transaction, so an
/// import that rolls back leaves no trace) and who runs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImportMark {
    pub id: i64,
    pub by: Option<UserId>,
}

/// Opens the import's record; its counts are filled in by [`end_import`].
pub(crate) async fn begin_import(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    entity: Entity,
    file_name: Option<&str>,
) -> StoreResult<ImportMark> {
    let id = c
        .scalar_i64(
            "INSERT INTO imports (at, user_id, entity, file_name) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            args![
                super::now(),
                by.map(|u| u.0),
                entity.as_str(),
                file_name.map(str::to_owned)
            ],
        )
        .await?;
    Ok(ImportMark { id, by })
}

/// Writes what the import did into its record. `rejected` counts every refused row, the
/// parser's and the store's.
pub(crate) async fn end_import(
    c: &mut Conn<'_>,
    import: ImportMark,
    out: &ImportOutcome,
    rejected: u64,
) -> StoreResult<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    c.execute(
        "UPDATE imports SET created = $1, updated = $2, unchanged = $3, rejected = $4 \
         WHERE id = $5",
        args![
            n(out.created),
            n(out.updated),
            n(out.unchanged),
            n(rejected),
            import.id
        ],
    )
    .await?;
    Ok(())
}

/// What an orders import did to one customer: the summary row of its history.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ImportedOrders {
    pub orders_created: u64,
    pub orders_updated: u64,
    /// The customer did not exist and was created from the file's reference.
    pub customer_created: bool,
}

/// One `import` row per customer an orders import touched, written like the orders themselves
/// (multi-row statements on SQLite, COPY on PostgreSQL): 100,000 customers cost about as much
/// as 10,000 orders, where a JSON array unpacked in SQL took a third of a second.
pub(crate) async fn summarise_orders(
    c: &mut Conn<'_>,
    import: ImportMark,
    per_customer: &[(i64, ImportedOrders)],
) -> StoreResult<()> {
    if per_customer.is_empty() {
        return Ok(());
    }
    let at = super::bulk::Stamp::new(c, super::now());
    let mut rows = SummaryRows {
        at: &at.0,
        import,
        rows: per_customer.iter(),
        changes: String::new(),
    };
    super::bulk::write_rows(c, "audit_log", &SUMMARY_COLS, &mut rows).await
}

const SUMMARY_COLS: [&str; 8] = [
    "at",
    "user_id",
    "entity",
    "entity_id",
    "customer_id",
    "action",
    "changes",
    "import_id",
];

struct SummaryRows<'a> {
    at: &'a str,
    import: ImportMark,
    rows: std::slice::Iter<'a, (i64, ImportedOrders)>,
    changes: String,
}

impl super::bulk::RowSource for SummaryRows<'_> {
    fn next_row(&mut self, w: &mut super::bulk::RowBuf) -> bool {
        use std::fmt::Write as _;
        let Some((cid, s)) = self.rows.next() else {
            return false;
        };
        // The same JSON object serde would write, without a `Value` per row.
        self.changes.clear();
        let _ = write!(self.changes, "{{\"orders_created\":{}", s.orders_created);
        if s.orders_updated > 0 {
            let _ = write!(self.changes, ",\"orders_updated\":{}", s.orders_updated);
        }
        if s.customer_created {
            self.changes.push_str(",\"customer_created\":true");
        }
        self.changes.push('}');
        w.text(self.at);
        w.opt_int(self.import.by.map(|u| u.0));
        w.text(AuditEntity::Customer.as_str());
        w.int(*cid);
        w.int(*cid);
        w.text("import");
        w.text(&self.changes);
        w.int(self.import.id);
        w.end_row();
        true
    }
}

/// Records the reassignments one write made: of the owner and of the relationship manager
/// (METHOD §1 and §3.2), each only when it changed.
pub(crate) async fn holder_changes(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    customer: CustomerId,
    before: &patron_core::Customer,
    after: &patron_core::Customer,
) -> StoreResult<()> {
    for (role, from, to) in [
        ("owner", before.owner_id, after.owner_id),
        (
            "relationship_manager",
            before.relationship_manager_id,
            after.relationship_manager_id,
        ),
    ] {
        if from == to {
            continue;
        }
        c.execute(
            "INSERT INTO owner_changes (customer_id, from_user_id, to_user_id, changed_by, at, \
             role) VALUES ($1, $2, $3, $4, $5, $6)",
            args![
                customer.0,
                from.map(|u| u.0),
                to.map(|u| u.0),
                by.map(|u| u.0),
                super::now(),
                role
            ],
        )
        .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    user_name: Option<String>,
    entity: String,
    entity_id: i64,
    customer_id: i64,
    action: String,
    changes: String,
    import_id: Option<i64>,
    import_file: Option<String>,
}

/// A customer's history, newest first.
pub(crate) async fn history(
    c: &mut Conn<'_>,
    customer: CustomerId,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = c
        .fetch_all(
            "SELECT a.id, a.at, a.user_id, u.name AS user_name, a.entity, a.entity_id, a.customer_id, \
             a.action, a.changes, a.import_id, i.file_name AS import_file FROM audit_log a \
             LEFT JOIN users u ON u.id = a.user_id LEFT JOIN imports i ON i.id = a.import_id \
             WHERE a.customer_id = $1 ORDER BY a.id DESC LIMIT $2",
            args![customer.0, limit],
        )
        .await?;
    rows.into_iter()
        .map(|r| {
            let entity = AuditEntity::parse(&r.entity).ok_or_else(|| {
                StoreError::other("decoding an audit row", UnknownEntity(r.entity.clone()))
            })?;
            let changes = match serde_json::from_str(&r.changes) {
                Ok(Value::Object(m)) => m,
                Ok(_) => Map::new(),
                Err(e) => return Err(StoreError::other("decoding audit changes", e)),
            };
            Ok(AuditEntry {
                id: r.id,
                at: r.at,
                user_id: r.user_id.map(UserId),
                user_name: r.user_name,
                entity,
                entity_id: r.entity_id,
                customer_id: CustomerId(r.customer_id),
                action: r.action,
                changes,
                import_id: r.import_id,
                import_file: r.import_file,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ImportRow {
    id: i64,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    user_name: Option<String>,
    entity: String,
    file_name: Option<String>,
    created: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
}

/// Committed imports, newest first (all of them, or one user's).
pub(crate) async fn list_imports(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    limit: i64,
) -> StoreResult<Vec<ImportRecord>> {
    let rows: Vec<ImportRow> = c
        .fetch_all(
            "SELECT i.id, i.at, i.user_id, u.name AS user_name, i.entity, i.file_name, i.created, \
             i.updated, i.unchanged, i.rejected FROM imports i \
             LEFT JOIN users u ON u.id = i.user_id \
             WHERE ($1 IS NULL OR i.user_id = $1) ORDER BY i.id DESC LIMIT $2",
            args![by.map(|u| u.0), limit],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ImportRecord {
            id: r.id,
            at: r.at,
            user_id: r.user_id.map(UserId),
            user_name: r.user_name,
            entity: r.entity,
            file_name: r.file_name,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected: r.rejected,
        })
        .collect())
}

#[derive(Debug)]
struct UnknownEntity(String);
impl std::fmt::Display for UnknownEntity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown audit entity {}", self.0)
    }
}
impl std::error::Error for UnknownEntity {}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct OwnerRow {
    at: DateTime<Utc>,
    customer_id: i64,
    from_user_id: Option<i64>,
    to_user_id: Option<i64>,
    changed_by: Option<i64>,
    role: String,
}

pub(crate) async fn owner_history(
    c: &mut Conn<'_>,
    customer: CustomerId,
) -> StoreResult<Vec<OwnerChange>> {
    let rows: Vec<OwnerRow> = c
        .fetch_all(
            "SELECT at, customer_id, from_user_id, to_user_id, changed_by, role \
             FROM owner_changes WHERE customer_id = $1 ORDER BY id DESC",
            args![customer.0],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| OwnerChange {
            at: r.at,
            customer_id: CustomerId(r.customer_id),
            from_user_id: r.from_user_id.map(UserId),
            to_user_id: r.to_user_id.map(UserId),
            changed_by: r.changed_by.map(UserId),
            role: r.role,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only() {
        let b = json!({"id": 1, "name": "张三", "phone": null, "tags": [], "updated_at": "x"});
        let a = json!({"id": 1, "name": "张三丰", "phone": "123", "tags": [], "updated_at": "y"});
        let d = diff(Some(&b), Some(&a)).expect("diff");
        assert_eq!(
            Value::Object(d),
            json!({"name": {"before": "张三", "after": "张三丰"},
                   "phone": {"before": null, "after": "123"}})
        );
        let created = diff(None, Some(&a)).expect("diff");
        assert_eq!(created.len(), 2, "{created:?}");
    }
}
