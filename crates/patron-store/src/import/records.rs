//! Typed import records. A field is `Some` only when the file had a non-empty value for it, so an
//! update never blanks data the file did not mention.

use chrono::NaiveDate;
use patron_core::{Currency, CustomerKind, Gender, LifecycleStage, UserId};
use serde::Serialize;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Customers,
    Contacts,
    Products,
    Orders,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Contacts => "contacts",
            Entity::Products => "products",
            Entity::Orders => "orders",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRecord {
    /// Line in the file (1-based, counting the header), for rejects.
    pub line: u64,
    pub external_ref: Option<String>,
    pub kind: Option<CustomerKind>,
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    /// E-mail or name of a user; resolved by the store.
    pub owner: Option<String>,
    pub stage: Option<LifecycleStage>,
    pub churn_reason: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactRecord {
    pub line: u64,
    /// The organisation's external reference.
    pub customer_ref: String,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub hobbies: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub wedding_anniversary: Option<NaiveDate>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductRecord {
    pub line: u64,
    pub external_ref: Option<String>,
    pub name: Option<String>,
    pub product_line: Option<String>,
    pub unit_price_minor: Option<i64>,
    pub currency: Option<Currency>,
}

/// One order line as one row. Rows sharing an `order_ref` form one order; a row without
/// `order_ref` is an order of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    pub line: u64,
    pub customer_ref: String,
    pub order_ref: Option<String>,
    pub date: NaiveDate,
    pub product_ref: Option<String>,
    pub product_line: Option<String>,
    /// 1 when the file has no quantity column.
    pub quantity: i64,
    pub unit_price_minor: Option<i64>,
    /// The line amount: the `amount` column, else quantity × unit price.
    pub amount_minor: i64,
    pub currency: Currency,
    pub asked_by_name: bool,
}

/// All records of one file.
/// A slice of an orders file, parsed, in file order: the streamed import's unit of work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderChunk {
    pub records: Vec<OrderRecord>,
    /// Each record's re-import key (`None` for rows with an order number), computed on the
    /// reader's thread (see [`super::keys`]).
    pub keys: Vec<Option<String>>,
    /// Rows of this slice the parser rejected (their reasons are reported by the reader's
    /// side); with `--strict` one is enough to roll the whole import back.
    pub rejected: usize,
    /// The file's end: the store commits only after it has seen this chunk, so a reader that
    /// fails midway leaves the database as it was.
    pub last: bool,
}

impl OrderChunk {
    /// Rows in file order, keyed by `keyer` (which must see every chunk of the file, in order).
    pub fn keyed(
        records: Vec<OrderRecord>,
        rejected: usize,
        keyer: &mut super::keys::OrderKeyer,
    ) -> Self {
        let keys = records.iter().map(|r| keyer.key(r)).collect();
        OrderChunk {
            records,
            keys,
            rejected,
            last: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportBatch {
    Customers(Vec<CustomerRecord>),
    Contacts(Vec<ContactRecord>),
    Products(Vec<ProductRecord>),
    Orders(Vec<OrderRecord>),
}

impl ImportBatch {
    pub fn len(&self) -> usize {
        match self {
            ImportBatch::Customers(v) => v.len(),
            ImportBatch::Contacts(v) => v.len(),
            ImportBatch::Products(v) => v.len(),
            ImportBatch::Orders(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowReject {
    pub line: u64,
    /// The field (import field name) at fault, when one is.
    pub field: Option<String>,
    pub reason: String,
}

/// What applying a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows the store refused (an owner or customer reference it could not resolve, a
    /// uniqueness clash); the parser's rejects are added by the caller.
    pub rejected: Vec<RowReject>,
    /// The import rebuilt indexes (and on PostgreSQL foreign keys) once at the end instead of
    /// maintaining them row by row (a large import; see `ApplyOptions::expected_rows`).
    pub bulk: bool,
}

/// How a batch is applied.
#[derive(Clone, Default)]
pub struct ApplyOptions {
    /// Count what would happen, then roll back.
    pub dry_run: bool,
    /// Roll back everything when the store refuses any row.
    pub strict: bool,
    /// Called now and then with the number of records applied so far (for a progress bar).
    pub progress: Option<std::sync::Arc<dyn Fn(u64) + Send + Sync>>,
    /// About how many rows the file holds, when known before reading it: a large import
    /// rebuilds indexes once instead of maintaining them row by row.
    pub expected_rows: Option<u64>,
    /// Never lock tables against other sessions (PostgreSQL's large-import path does) nor
    /// readers out of SQLite (its large-import path leaves WAL when it is the only connection).
    pub online: bool,
    /// Who runs the import (recorded with it and in the audit rows it writes).
    pub by: Option<UserId>,
    /// The file's name as its user knows it (recorded with the import).
    pub file_name: Option<String>,
    /// Rows the parser already refused (counted in the import's record).
    pub parse_rejected: u64,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("dry_run", &self.dry_run)
            .field("strict", &self.strict)
            .field("expected_rows", &self.expected_rows)
            .field("online", &self.online)
            .field("by", &self.by)
            .field("file_name", &self.file_name)
            .field("parse_rejected", &self.parse_rejected)
            .finish()
    }
}
