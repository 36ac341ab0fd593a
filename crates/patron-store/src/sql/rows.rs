//! Row structs as the databases return them, and their conversion into domain records. Enums are
//! stored as their stable codes; a code the domain no longer knows is a storage error, not a
//! silent default.

use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::*;

fn code<T>(r: Result<T, FieldError>) -> StoreResult<T> {
    r.map_err(|e| StoreError::other("decoding a stored code", ValidationErrors::from(e)))
}

fn currency(s: &str) -> StoreResult<Currency> {
    code(Currency::parse("currency", s))
}

pub(crate) const CUSTOMER_COLS: &str =
    "c.id, c.external_ref, c.kind, c.name, c.gender, c.birth_date, c.company, \
     c.address, c.phone, c.fax, c.email, c.level, c.source, c.stage, c.churn_reason, c.owner_id, \
     c.relationship_manager_id, c.notes, c.created_at, c.updated_at";

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct CustomerRow {
    pub id: i64,
    pub external_ref: Option<String>,
    pub kind: String,
    pub name: String,
    pub gender: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub stage: String,
    pub churn_reason: Option<String>,
    pub owner_id: Option<i64>,
    pub relationship_manager_id: Option<i64>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CustomerRow {
    pub(crate) fn into_customer(self) -> StoreResult<Customer> {
        Ok(Customer {
            id: CustomerId(self.id),
            external_ref: self.external_ref,
            kind: code(CustomerKind::parse("kind", &self.kind))?,
            name: self.name,
            gender: self
                .gender
                .map(|g| code(Gender::parse("gender", &g)))
                .transpose()?,
            birth_date: self.birth_date,
            company: self.company,
            address: self.address,
            phone: self.phone,
            fax: self.fax,
            email: self.email,
            level: self.level,
            source: self.source,
            stage: code(LifecycleStage::parse("stage", &self.stage))?,
            churn_reason: self.churn_reason,
            owner_id: self.owner_id.map(UserId),
            relationship_manager_id: self.relationship_manager_id.map(UserId),
            tags: Vec::new(),
            custom: Default::default(),
            notes: self.notes,
            background: None,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) const BACKGROUND_COLS: &str =
    "family_background, occupation, personality, annual_income, capital, \
     education, network, financial_strength, cost_budget, sales_situation, cost_recovery, \
     owner_interpersonal_skill, owner_management_level, buying_values, purchase_motives, \
     promotion_attitude, suggestions";

/// `cols` (a comma-separated column list) each prefixed with the table alias `alias`, for a
/// join that reads a row type from the second table (see [`super::conn::Both`]).
pub(crate) fn qualified(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|col| format!("{alias}.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) const USER_COLS: &str =
    "id, email, name, staff_level, manager_id, active, language, created_at";

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub staff_level: String,
    pub manager_id: Option<i64>,
    pub active: bool,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub(crate) fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            email: self.email,
            name: self.name,
            staff_level: code(StaffLevel::parse("staff_level", &self.staff_level))?,
            manager_id: self.manager_id.map(UserId),
            active: self.active,
            language: self.language,
            created_at: self.created_at,
        })
    }
}

pub(crate) const KEY_PERSON_COLS: &str =
    "id, customer_id, name, title, phone, mobile, email, hobbies, birthday, \
     wedding_anniversary, notes, created_at, updated_at";

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct KeyPersonRow {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub hobbies: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub wedding_anniversary: Option<NaiveDate>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<KeyPersonRow> for KeyPerson {
    fn from(r: KeyPersonRow) -> Self {
        KeyPerson {
            id: KeyPersonId(r.id),
            customer_id: CustomerId(r.customer_id),
            name: r.name,
            title: r.title,
            phone: r.phone,
            mobile: r.mobile,
            email: r.email,
            hobbies: r.hobbies,
            birthday: r.birthday,
            wedding_anniversary: r.wedding_anniversary,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(crate) const PRODUCT_COLS: &str =
    "id, external_ref, name, product_line, unit_price_minor, currency, active, created_at";

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct ProductRow {
    pub id: i64,
    pub external_ref: Option<String>,
    pub name: String,
    pub product_line: Option<String>,
    pub unit_price_minor: Option<i64>,
    pub currency: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl ProductRow {
    pub(crate) fn into_product(self) -> StoreResult<Product> {
        Ok(Product {
            id: ProductId(self.id),
            external_ref: self.external_ref,
            name: self.name,
            product_line: self.product_line,
            unit_price_minor: self.unit_price_minor,
            currency: currency(&self.currency)?,
            active: self.active,
            created_at: self.created_at,
        })
    }
}

pub(crate) const ORDER_COLS: &str =
    "id, customer_id, order_ref, order_date, currency, total_minor, asked_by_name, notes, created_at";

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct OrderRow {
    pub id: i64,
    pub customer_id: i64,
    pub order_ref: Option<String>,
    pub order_date: NaiveDate,
    pub currency: String,
    pub total_minor: i64,
    pub asked_by_name: bool,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl OrderRow {
    pub(crate) fn into_order(self, lines: Vec<OrderLine>) -> StoreResult<Order> {
        Ok(Order {
            id: OrderId(self.id),
            customer_id: CustomerId(self.customer_id),
            order_ref: self.order_ref,
            order_date: self.order_date,
            currency: currency(&self.currency)?,
            total_minor: self.total_minor,
            asked_by_name: self.asked_by_name,
            notes: self.notes,
            lines,
            created_at: self.created_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct LineRow {
    pub order_id: i64,
    pub product_id: Option<i64>,
    pub product_line: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub amount_minor: i64,
}

impl From<LineRow> for OrderLine {
    fn from(r: LineRow) -> Self {
        OrderLine {
            product_id: r.product_id.map(ProductId),
            product_line: r.product_line,
            quantity: r.quantity,
            unit_price_minor: r.unit_price_minor,
            amount_minor: r.amount_minor,
        }
    }
}

pub(crate) const INTERACTION_COLS: &str =
    "id, customer_id, kind, occurred_at, staff_id, key_person_id, outcome, notes, follow_up_on, \
     follow_up, created_at";

#[derive(Debug, sqlx::FromRow, patron_store_derive::InlineRow)]
pub(crate) struct InteractionRow {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub staff_id: Option<i64>,
    pub key_person_id: Option<i64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub follow_up_on: Option<chrono::NaiveDate>,
    pub follow_up: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl InteractionRow {
    pub(crate) fn into_interaction(self) -> StoreResult<Interaction> {
        Ok(Interaction {
            id: InteractionId(self.id),
            customer_id: CustomerId(self.customer_id),
            kind: code(InteractionKind::parse("kind", &self.kind))?,
            occurred_at: self.occurred_at,
            staff_id: self.staff_id.map(UserId),
            key_person_id: self.key_person_id.map(KeyPersonId),
            outcome: self.outcome,
            notes: self.notes,
            follow_up_on: self.follow_up_on,
            follow_up: self.follow_up,
            created_at: self.created_at,
        })
    }
}
