//! The archive's records (METHOD.md §1) as the API, the store and the CLI exchange them, and the
//! input forms that are validated before anything is written.

use crate::archive::*;
use crate::ids::*;
use crate::money::{Currency, Money};
use crate::validation::{
    clean_text, required_text, FieldError, ValidationErrors, MAX_SHORT, MAX_TEXT,
};
use crate::values::{email_key, parse_email, parse_phone, phone_key};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Background and business condition (METHOD §1, the Korean-style analysis). Free text: these
/// are judgements staff write down, not measurements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Background {
    pub family_background: Option<String>,
    pub occupation: Option<String>,
    pub personality: Option<String>,
    pub annual_income: Option<String>,
    pub capital: Option<String>,
    pub education: Option<String>,
    pub network: Option<String>,
    pub financial_strength: Option<String>,
    pub cost_budget: Option<String>,
    pub sales_situation: Option<String>,
    pub cost_recovery: Option<String>,
    pub owner_interpersonal_skill: Option<String>,
    pub owner_management_level: Option<String>,
    /// What the customer values most when buying: time, price, quality, habit, status.
    pub buying_values: Option<String>,
    pub purchase_motives: Option<String>,
    pub promotion_attitude: Option<String>,
    pub suggestions: Option<String>,
}

impl Background {
    /// Field names in storage order; the store and the validator walk the same list.
    pub const FIELDS: [&'static str; 17] = [
        "family_background",
        "occupation",
        "personality",
        "annual_income",
        "capital",
        "education",
        "network",
        "financial_strength",
        "cost_budget",
        "sales_situation",
        "cost_recovery",
        "owner_interpersonal_skill",
        "owner_management_level",
        "buying_values",
        "purchase_motives",
        "promotion_attitude",
        "suggestions",
    ];

    pub fn values(&self) -> [&Option<String>; 17] {
        [
            &self.family_background,
            &self.occupation,
            &self.personality,
            &self.annual_income,
            &self.capital,
            &self.education,
            &self.network,
            &self.financial_strength,
            &self.cost_budget,
            &self.sales_situation,
            &self.cost_recovery,
            &self.owner_interpersonal_skill,
            &self.owner_management_level,
            &self.buying_values,
            &self.purchase_motives,
            &self.promotion_attitude,
            &self.suggestions,
        ]
    }

    fn values_mut(&mut self) -> [&mut Option<String>; 17] {
        [
            &mut self.family_background,
            &mut self.occupation,
            &mut self.personality,
            &mut self.annual_income,
            &mut self.capital,
            &mut self.education,
            &mut self.network,
            &mut self.financial_strength,
            &mut self.cost_budget,
            &mut self.sales_situation,
            &mut self.cost_recovery,
            &mut self.owner_interpersonal_skill,
            &mut self.owner_management_level,
            &mut self.buying_values,
            &mut self.purchase_motives,
            &mut self.promotion_attitude,
            &mut self.suggestions,
        ]
    }

    /// Builds from stored values in [`Background::FIELDS`] order.
    pub fn from_values(vals: Vec<Option<String>>) -> Self {
        let mut b = Background::default();
        for (slot, v) in b.values_mut().into_iter().zip(vals) {
            *slot = v;
        }
        b
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(|v| v.is_none())
    }

    fn validate(&mut self, errs: &mut ValidationErrors) {
        for (name, slot) in Self::FIELDS.iter().zip(self.values_mut()) {
            let field = format!("background.{name}");
            match clean_text(&field, slot.as_deref(), MAX_TEXT) {
                Ok(v) => *slot = v,
                Err(e) => errs.push(e),
            }
        }
    }
}

/// A customer's information card (客户信息卡).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    /// External reference (the customer number in another system, or an import's key).
    #[serde(rename = "ref")]
    pub external_ref: Option<String>,
    pub kind: CustomerKind,
    pub name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    /// For a person: the company they work for. For an organisation: its legal name if the
    /// display name differs.
    pub company: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    /// Customer level as the shop grades it by hand (the computed class comes with analytics).
    pub level: Option<String>,
    /// Where the customer came from (referral, fair, web, walk-in …).
    pub source: Option<String>,
    pub stage: LifecycleStage,
    /// Code from the churn-reason list; required when `stage` is `lost`.
    pub churn_reason: Option<String>,
    pub owner_id: Option<UserId>,
    /// METHOD §2.1: the named person responsible for an A-class customer; they may see and edit
    /// the archive as its owner does.
    pub relationship_manager_id: Option<UserId>,
    pub tags: Vec<String>,
    /// Custom field values by field key, in canonical text form.
    pub custom: BTreeMap<String, String>,
    pub notes: Option<String>,
    /// Present on single-customer reads; omitted in lists.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub background: Option<Background>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a client sends to create a customer (and what an update is merged into).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[serde(rename = "ref", default)]
    pub external_ref: Option<String>,
    pub kind: CustomerKind,
    pub name: String,
    #[serde(default)]
    pub gender: Option<Gender>,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub fax: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub stage: Option<LifecycleStage>,
    #[serde(default)]
    pub churn_reason: Option<String>,
    #[serde(default)]
    pub owner_id: Option<UserId>,
    #[serde(default)]
    pub relationship_manager_id: Option<UserId>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub background: Option<Background>,
}

// The enum is declared by the vocabulary macro, where `#[default]` cannot be placed.
#[allow(clippy::derivable_impls)]
impl Default for CustomerKind {
    fn default() -> Self {
        CustomerKind::Person
    }
}

impl From<Customer> for CustomerInput {
    fn from(c: Customer) -> Self {
        Self {
            external_ref: c.external_ref,
            kind: c.kind,
            name: c.name,
            gender: c.gender,
            birth_date: c.birth_date,
            company: c.company,
            address: c.address,
            phone: c.phone,
            fax: c.fax,
            email: c.email,
            level: c.level,
            source: c.source,
            stage: Some(c.stage),
            churn_reason: c.churn_reason,
            owner_id: c.owner_id,
            relationship_manager_id: c.relationship_manager_id,
            tags: c.tags,
            custom: c.custom,
            notes: c.notes,
            background: c.background,
        }
    }
}

/// A customer that passed validation, with the derived keys the store indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCustomer {
    pub input: CustomerInput,
    pub stage: LifecycleStage,
    /// Digits of the phone, for matching and search.
    pub phone_key: Option<String>,
    /// Lower-cased e-mail, for matching.
    pub email_key: Option<String>,
    /// Lower-cased text that search matches substrings in.
    pub search_text: String,
}

/// Dates the archive accepts: a year from 1900 to 2200. Anything else is a typo, and outside
/// PostgreSQL's and SQLite's common range the two databases would disagree.
pub fn check_date(field: &str, d: Option<NaiveDate>) -> Result<(), FieldError> {
    use chrono::Datelike;
    match d {
        Some(d) if !(1900..=2200).contains(&d.year()) => Err(FieldError::new(
            field,
            "out_of_range",
            format!("year {} is outside 1900–2200", d.year()),
        )),
        _ => Ok(()),
    }
}

/// Normalises a tag list: trimmed, non-empty, unique, at most 50 tags of 60 characters.
pub fn clean_tags(field: &str, tags: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        if let Some(t) = clean_text(field, Some(t), 60)? {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    if out.len() > 50 {
        return Err(FieldError::new(field, "too_many", "at most 50 tags"));
    }
    Ok(out)
}

/// The text customer search matches substrings in: name, company, e-mail, phone digits,
/// reference. Lower-cased once here so both databases compare the same bytes.
pub fn search_text(parts: &[Option<&str>]) -> String {
    let mut s = String::new();
    for p in parts.iter().flatten() {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&p.to_lowercase());
    }
    s
}

impl CustomerInput {
    /// Validates every field, collecting all errors. `today` bounds birth dates.
    pub fn validate(mut self, today: NaiveDate) -> Result<ValidCustomer, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        match required_text("name", Some(&self.name), MAX_SHORT) {
            Ok(n) => self.name = n,
            Err(e) => errs.push(e),
        }
        let short = |errs: &mut ValidationErrors, field: &str, v: &mut Option<String>, max| {
            match clean_text(field, v.as_deref(), max) {
                Ok(c) => *v = c,
                Err(e) => errs.push(e),
            }
        };
        short(&mut errs, "ref", &mut self.external_ref, MAX_SHORT);
        short(&mut errs, "company", &mut self.company, MAX_SHORT);
        short(&mut errs, "address", &mut self.address, 1000);
        short(&mut errs, "level", &mut self.level, MAX_SHORT);
        short(&mut errs, "source", &mut self.source, MAX_SHORT);
        short(&mut errs, "notes", &mut self.notes, MAX_TEXT);
        short(&mut errs, "churn_reason", &mut self.churn_reason, 60);
        short(&mut errs, "phone", &mut self.phone, 60);
        short(&mut errs, "fax", &mut self.fax, 60);
        short(&mut errs, "email", &mut self.email, 300);
        if let Some(p) = &self.phone {
            if let Err(e) = parse_phone("phone", p) {
                errs.push(e);
            }
        }
        if let Some(p) = &self.fax {
            if let Err(e) = parse_phone("fax", p) {
                errs.push(e);
            }
        }
        if let Some(m) = &self.email {
            if let Err(e) = parse_email("email", m) {
                errs.push(e);
            }
        }
        errs.take(check_date("birth_date", self.birth_date));
        if let Some(b) = self.birth_date {
            if b > today {
                errs.push(FieldError::new(
                    "birth_date",
                    "in_future",
                    "is in the future",
                ));
            }
        }
        match clean_tags("tags", &self.tags) {
            Ok(t) => self.tags = t,
            Err(e) => errs.push(e),
        }
        for (k, v) in &self.custom {
            if k.is_empty() || k.len() > 60 || v.chars().count() > MAX_TEXT {
                errs.push(FieldError::new(
                    &format!("custom.{k}"),
                    "invalid",
                    "key or value too long",
                ));
            }
        }
        if let Some(b) = self.background.as_mut() {
            b.validate(&mut errs);
            if b.is_empty() {
                self.background = None;
            }
        }
        let stage = self.stage.unwrap_or(LifecycleStage::Customer);
        match (stage, &self.churn_reason) {
            (LifecycleStage::Lost, None) => errs.push(FieldError::new(
                "churn_reason",
                "required",
                "is required when the stage is lost",
            )),
            (s, Some(_)) if s != LifecycleStage::Lost => errs.push(FieldError::new(
                "churn_reason",
                "not_allowed",
                "may only be set when the stage is lost",
            )),
            _ => {}
        }
        let phone_key = self
            .phone
            .as_deref()
            .map(phone_key)
            .filter(|k| !k.is_empty());
        let email_key = self.email.as_deref().map(email_key);
        let search_text = search_text(&[
            Some(&self.name),
            self.company.as_deref(),
            self.email.as_deref(),
            phone_key.as_deref(),
            self.external_ref.as_deref(),
        ]);
        errs.into_result(ValidCustomer {
            stage,
            phone_key,
            email_key,
            search_text,
            input: self,
        })
    }
}

/// A contact person of an organisation (关键人员).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyPerson {
    pub id: KeyPersonId,
    pub customer_id: CustomerId,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPersonInput {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub hobbies: Option<String>,
    #[serde(default)]
    pub birthday: Option<NaiveDate>,
    #[serde(default)]
    pub wedding_anniversary: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl From<KeyPerson> for KeyPersonInput {
    fn from(k: KeyPerson) -> Self {
        Self {
            name: k.name,
            title: k.title,
            phone: k.phone,
            mobile: k.mobile,
            email: k.email,
            hobbies: k.hobbies,
            birthday: k.birthday,
            wedding_anniversary: k.wedding_anniversary,
            notes: k.notes,
        }
    }
}

impl KeyPersonInput {
    pub fn validate(mut self, today: NaiveDate) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        match required_text("name", Some(&self.name), MAX_SHORT) {
            Ok(n) => self.name = n,
            Err(e) => errs.push(e),
        }
        for (field, slot, max) in [
            ("title", &mut self.title, MAX_SHORT),
            ("phone", &mut self.phone, 60),
            ("mobile", &mut self.mobile, 60),
            ("email", &mut self.email, 300),
            ("hobbies", &mut self.hobbies, 1000),
            ("notes", &mut self.notes, MAX_TEXT),
        ] {
            match clean_text(field, slot.as_deref(), max) {
                Ok(v) => *slot = v,
                Err(e) => errs.push(e),
            }
        }
        for (field, v) in [("phone", &self.phone), ("mobile", &self.mobile)] {
            if let Some(p) = v {
                errs.take(parse_phone(field, p));
            }
        }
        if let Some(m) = &self.email {
            errs.take(parse_email("email", m));
        }
        errs.take(check_date("birthday", self.birthday));
        errs.take(check_date("wedding_anniversary", self.wedding_anniversary));
        if self.birthday.is_some_and(|b| b > today) {
            errs.push(FieldError::new("birthday", "in_future", "is in the future"));
        }
        errs.into_result(self)
    }
}

/// A product the shop sells, grouped in product lines (used for "narrow buyers" and cross-sell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: ProductId,
    #[serde(rename = "ref")]
    pub external_ref: Option<String>,
    pub name: String,
    pub product_line: Option<String>,
    pub unit_price_minor: Option<i64>,
    pub currency: Currency,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    #[serde(rename = "ref", default)]
    pub external_ref: Option<String>,
    pub name: String,
    #[serde(default)]
    pub product_line: Option<String>,
    #[serde(default)]
    pub unit_price_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<Product> for ProductInput {
    fn from(p: Product) -> Self {
        Self {
            external_ref: p.external_ref,
            name: p.name,
            product_line: p.product_line,
            unit_price_minor: p.unit_price_minor,
            currency: Some(p.currency),
            active: Some(p.active),
        }
    }
}

impl ProductInput {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        match required_text("name", Some(&self.name), MAX_SHORT) {
            Ok(n) => self.name = n,
            Err(e) => errs.push(e),
        }
        if let Some(v) = errs.take(clean_text("ref", self.external_ref.as_deref(), MAX_SHORT)) {
            self.external_ref = v;
        }
        if let Some(v) = errs.take(clean_text(
            "product_line",
            self.product_line.as_deref(),
            MAX_SHORT,
        )) {
            self.product_line = v;
        }
        if self.unit_price_minor.is_some_and(|p| p < 0) {
            errs.push(FieldError::new(
                "unit_price_minor",
                "negative",
                "must not be negative",
            ));
        }
        errs.into_result(self)
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub product_id: Option<ProductId>,
    pub product_line: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub amount_minor: i64,
}

/// An order (a purchase) of one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub customer_id: CustomerId,
    #[serde(rename = "ref")]
    pub order_ref: Option<String>,
    pub order_date: NaiveDate,
    pub currency: Currency,
    pub total_minor: i64,
    /// The customer asked for our brand by name (指名购买) — feeds the name-recognition indicator.
    pub asked_by_name: bool,
    pub notes: Option<String>,
    pub lines: Vec<OrderLine>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineInput {
    #[serde(default)]
    pub product_id: Option<ProductId>,
    #[serde(default)]
    pub product_line: Option<String>,
    pub quantity: i64,
    /// Price of one unit; derived from the amount when omitted.
    #[serde(default)]
    pub unit_price_minor: Option<i64>,
    /// Line amount; quantity × unit price when omitted.
    #[serde(default)]
    pub amount_minor: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub customer_id: CustomerId,
    #[serde(rename = "ref", default)]
    pub order_ref: Option<String>,
    pub order_date: NaiveDate,
    #[serde(default)]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub asked_by_name: bool,
    #[serde(default)]
    pub notes: Option<String>,
    pub lines: Vec<OrderLineInput>,
}

impl From<Order> for OrderInput {
    fn from(o: Order) -> Self {
        Self {
            customer_id: o.customer_id,
            order_ref: o.order_ref,
            order_date: o.order_date,
            currency: Some(o.currency),
            asked_by_name: o.asked_by_name,
            notes: o.notes,
            lines: o
                .lines
                .into_iter()
                .map(|l| OrderLineInput {
                    product_id: l.product_id,
                    product_line: l.product_line,
                    quantity: l.quantity,
                    unit_price_minor: Some(l.unit_price_minor),
                    amount_minor: Some(l.amount_minor),
                })
                .collect(),
        }
    }
}

/// An order that passed validation: amounts complete, total computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidOrder {
    pub customer_id: CustomerId,
    pub order_ref: Option<String>,
    pub order_date: NaiveDate,
    pub currency: Currency,
    pub asked_by_name: bool,
    pub notes: Option<String>,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
}

/// Completes and checks one order line: quantity > 0, amounts ≥ 0, the missing one of unit price
/// and amount derived from the other.
pub fn complete_line(prefix: &str, l: &OrderLineInput) -> Result<OrderLine, FieldError> {
    if l.quantity <= 0 {
        return Err(FieldError::new(
            &format!("{prefix}quantity"),
            "not_positive",
            "must be greater than zero",
        ));
    }
    if l.quantity > 1_000_000_000 {
        return Err(FieldError::new(
            &format!("{prefix}quantity"),
            "too_large",
            "is implausibly large",
        ));
    }
    let (unit, amount) = match (l.unit_price_minor, l.amount_minor) {
        (Some(u), Some(a)) => (u, a),
        (Some(u), None) => (
            u,
            u.checked_mul(l.quantity).ok_or_else(|| {
                FieldError::new(&format!("{prefix}amount_minor"), "too_large", "overflows")
            })?,
        ),
        (None, Some(a)) => (a / l.quantity, a),
        (None, None) => {
            return Err(FieldError::new(
                &format!("{prefix}amount_minor"),
                "required",
                "give the amount or the unit price",
            ))
        }
    };
    if unit < 0 {
        return Err(FieldError::new(
            &format!("{prefix}unit_price_minor"),
            "negative",
            "must not be negative",
        ));
    }
    if amount < 0 {
        return Err(FieldError::new(
            &format!("{prefix}amount_minor"),
            "negative",
            "must not be negative",
        ));
    }
    let product_line = clean_text(
        &format!("{prefix}product_line"),
        l.product_line.as_deref(),
        MAX_SHORT,
    )?;
    Ok(OrderLine {
        product_id: l.product_id,
        product_line,
        quantity: l.quantity,
        unit_price_minor: unit,
        amount_minor: amount,
    })
}

impl OrderInput {
    pub fn validate(self, default_currency: &Currency) -> Result<ValidOrder, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        errs.take(check_date("order_date", Some(self.order_date)));
        if self.lines.is_empty() {
            errs.push(FieldError::new(
                "lines",
                "required",
                "an order needs at least one line",
            ));
        }
        if self.lines.len() > 10_000 {
            errs.push(FieldError::new("lines", "too_many", "at most 10000 lines"));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            if let Some(l) = errs.take(complete_line(&format!("lines[{i}]."), l)) {
                lines.push(l);
            }
        }
        let order_ref = errs
            .take(clean_text("ref", self.order_ref.as_deref(), MAX_SHORT))
            .flatten();
        let notes = errs
            .take(clean_text("notes", self.notes.as_deref(), MAX_TEXT))
            .flatten();
        let total = lines
            .iter()
            .try_fold(0i64, |acc, l| acc.checked_add(l.amount_minor));
        if total.is_none() {
            errs.push(FieldError::new("lines", "too_large", "the total overflows"));
        }
        errs.into_result(ValidOrder {
            customer_id: self.customer_id,
            order_ref,
            order_date: self.order_date,
            currency: self.currency.unwrap_or_else(|| default_currency.clone()),
            asked_by_name: self.asked_by_name,
            notes,
            lines,
            total_minor: total.unwrap_or(0),
        })
    }
}

/// A contact with the customer: visit, call, card … (客户服务记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Interaction {
    pub id: InteractionId,
    pub customer_id: CustomerId,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    pub staff_id: Option<UserId>,
    pub key_person_id: Option<KeyPersonId>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    /// A follow-up promised in this interaction: the day (it goes on the agenda of the staff
    /// member who logged it) and what was promised.
    pub follow_up_on: Option<NaiveDate>,
    pub follow_up: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    pub customer_id: CustomerId,
    pub kind: InteractionKind,
    /// Defaults to now.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub staff_id: Option<UserId>,
    #[serde(default)]
    pub key_person_id: Option<KeyPersonId>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The day of a promised follow-up (METHOD §3.3: nothing promised is forgotten).
    #[serde(default)]
    pub follow_up_on: Option<NaiveDate>,
    /// What was promised.
    #[serde(default)]
    pub follow_up: Option<String>,
}

impl From<Interaction> for InteractionInput {
    fn from(i: Interaction) -> Self {
        Self {
            customer_id: i.customer_id,
            kind: i.kind,
            occurred_at: Some(i.occurred_at),
            staff_id: i.staff_id,
            key_person_id: i.key_person_id,
            outcome: i.outcome,
            notes: i.notes,
            follow_up_on: i.follow_up_on,
            follow_up: i.follow_up,
        }
    }
}

impl InteractionInput {
    pub fn validate(mut self, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        if let Some(v) = errs.take(clean_text("outcome", self.outcome.as_deref(), 1000)) {
            self.outcome = v;
        }
        if let Some(v) = errs.take(clean_text("notes", self.notes.as_deref(), MAX_TEXT)) {
            self.notes = v;
        }
        if let Some(v) = errs.take(clean_text("follow_up", self.follow_up.as_deref(), 1000)) {
            self.follow_up = v;
        }
        if self.follow_up.is_some() && self.follow_up_on.is_none() {
            errs.push(FieldError::new(
                "follow_up_on",
                "required",
                "a promised follow-up needs the day it is due",
            ));
        }
        let at = self.occurred_at.unwrap_or(now);
        if let Some(f) = self.follow_up_on {
            if f < at.date_naive() {
                errs.push(FieldError::new(
                    "follow_up_on",
                    "before_interaction",
                    "a follow-up cannot be due before the interaction it was promised in",
                ));
            }
        }
        errs.take(check_date("occurred_at", Some(at.date_naive())));
        self.occurred_at = Some(at);
        errs.into_result(self)
    }
}

/// A member of staff. Signing in comes with the web application; the table and the owner
/// relation exist from the start so every customer can have its dedicated keeper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub staff_level: StaffLevel,
    /// The business manager this person reports to (their team).
    pub manager_id: Option<UserId>,
    pub active: bool,
    /// The UI language this person chose (`en`, `zh-CN`, `zh-TW`, `ko`); `None` follows the
    /// browser's `Accept-Language`.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub staff_level: StaffLevel,
    #[serde(default)]
    pub manager_id: Option<UserId>,
}

impl UserInput {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        match parse_email("email", &self.email) {
            Ok(e) => self.email = e,
            Err(e) => errs.push(e),
        }
        match required_text("name", Some(&self.name), MAX_SHORT) {
            Ok(n) => self.name = n,
            Err(e) => errs.push(e),
        }
        errs.into_result(self)
    }
}

/// A warning shown wherever the customer is looked at (METHOD §1 archive rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArchiveWarning {
    /// `few_key_persons`, `missing_phone`, `missing_email`.
    pub code: String,
    pub message: String,
}

/// The archive-quality warnings for one customer.
pub fn archive_warnings(c: &Customer, key_persons: usize) -> Vec<ArchiveWarning> {
    let mut w = Vec::new();
    if c.kind == CustomerKind::Organisation && key_persons < MIN_KEY_PERSONS {
        w.push(ArchiveWarning {
            code: "few_key_persons".into(),
            message: format!(
                "only {key_persons} key person(s) on file; the method asks for at least {MIN_KEY_PERSONS}"
            ),
        });
    }
    if c.phone.is_none() {
        w.push(ArchiveWarning {
            code: "missing_phone".into(),
            message: "no phone number".into(),
        });
    }
    if c.email.is_none() {
        w.push(ArchiveWarning {
            code: "missing_email".into(),
            message: "no e-mail address".into(),
        });
    }
    w
}

/// Orders at a glance for the customer page and the overview endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    pub count: i64,
    pub first_order_date: Option<NaiveDate>,
    pub last_order_date: Option<NaiveDate>,
    /// Revenue of the last 12 months, one entry per currency, largest first.
    pub revenue_12m: Vec<Money>,
    /// Revenue of all time, one entry per currency, largest first.
    pub revenue_total: Vec<Money>,
}

/// Everything staff look at before a contact (METHOD §1), in one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerOverview {
    pub customer: Customer,
    pub key_persons: Vec<KeyPerson>,
    /// The last 10 interactions, newest first.
    pub recent_interactions: Vec<Interaction>,
    pub orders: OrderSummary,
    pub warnings: Vec<ArchiveWarning>,
}

/// A page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A churn reason of the editable list (METHOD §2.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChurnReason {
    pub code: String,
    pub label: String,
    /// The share the method's reference survey measured, in percent.
    pub reference_percent: Option<i64>,
}

/// A typed custom field on customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomFieldDef {
    pub key: String,
    pub label: String,
    pub field_type: CustomFieldType,
    /// Allowed values for `choice` fields.
    pub choices: Vec<String>,
}

impl CustomFieldDef {
    /// Checks and canonicalises a value for this field (numbers without grouping, ISO dates).
    pub fn check_value(&self, raw: &str) -> Result<String, FieldError> {
        let field = format!("custom.{}", self.key);
        let t = raw.trim();
        match self.field_type {
            CustomFieldType::Text => {
                clean_text(&field, Some(t), MAX_TEXT).map(|v| v.unwrap_or_default())
            }
            CustomFieldType::Number => t
                .replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f.to_string())
                .ok_or_else(|| {
                    FieldError::new(
                        &field,
                        "invalid_number",
                        format!(
                            "'{}' is not a number",
                            t.chars().take(40).collect::<String>()
                        ),
                    )
                }),
            CustomFieldType::Date => {
                crate::values::parse_date(&field, t, None).map(|d| d.to_string())
            }
            CustomFieldType::Choice => {
                if self.choices.iter().any(|c| c == t) {
                    Ok(t.to_owned())
                } else {
                    Err(FieldError::new(
                        &field,
                        "invalid_choice",
                        format!("must be one of: {}", self.choices.join(", ")),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
    }

    #[test]
    fn customer_validation_names_fields() {
        let input = CustomerInput {
            kind: CustomerKind::Person,
            name: "  ".into(),
            email: Some("nope".into()),
            phone: Some("abc".into()),
            birth_date: NaiveDate::from_ymd_opt(2030, 1, 1),
            stage: Some(LifecycleStage::Lost),
            ..Default::default()
        };
        let errs = input.validate(today()).expect_err("invalid");
        let fields: Vec<_> = errs.0.iter().map(|e| e.field.as_str()).collect();
        for f in ["name", "email", "phone", "birth_date", "churn_reason"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn customer_keys_and_search_text() {
        let v = CustomerInput {
            kind: CustomerKind::Person,
            name: "张三丰".into(),
            phone: Some("+86 138-0013-8000".into()),
            email: Some("Zhang@Example.COM".into()),
            tags: vec!["vip".into(), " vip ".into(), "".into()],
            ..Default::default()
        }
        .validate(today())
        .expect("valid");
        assert_eq!(v.phone_key.as_deref(), Some("8613800138000"));
        assert_eq!(v.email_key.as_deref(), Some("zhang@example.com"));
        assert_eq!(v.input.tags, vec!["vip".to_string()]);
        assert!(v.search_text.contains("张三丰"));
        assert!(v.search_text.contains("zhang@example.com"));
        assert_eq!(v.stage, LifecycleStage::Customer);
    }

    #[test]
    fn order_lines_are_completed_and_checked() {
        let usd = Currency::default();
        let o = OrderInput {
            customer_id: CustomerId(1),
            order_date: today(),
            lines: vec![
                OrderLineInput {
                    quantity: 2,
                    unit_price_minor: Some(150),
                    ..Default::default()
                },
                OrderLineInput {
                    quantity: 3,
                    amount_minor: Some(999),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
        .validate(&usd)
        .expect("valid");
        assert_eq!(o.total_minor, 300 + 999);
        assert_eq!(o.lines[1].unit_price_minor, 333);
        let bad = OrderInput {
            customer_id: CustomerId(1),
            order_date: today(),
            lines: vec![OrderLineInput {
                quantity: -1,
                amount_minor: Some(5),
                ..Default::default()
            }],
            ..Default::default()
        }
        .validate(&usd)
        .expect_err("negative");
        assert_eq!(bad.0[0].field, "lines[0].quantity");
    }

    #[test]
    fn dates_outside_1900_2200_are_refused() {
        let c = CustomerInput {
            name: "A".into(),
            birth_date: NaiveDate::from_ymd_opt(1066, 10, 14),
            ..Default::default()
        };
        let e = c.validate(today()).expect_err("old");
        assert_eq!(e.0[0].field, "birth_date");
        let o = OrderInput {
            customer_id: CustomerId(1),
            order_date: NaiveDate::from_ymd_opt(9999, 1, 1).expect("d"),
            lines: vec![OrderLineInput {
                quantity: 1,
                amount_minor: Some(1),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            o.validate(&Currency::default()).expect_err("future").0[0].field,
            "order_date"
        );
    }

    #[test]
    fn warnings() {
        let now = Utc::now();
        let c = Customer {
            id: CustomerId(1),
            external_ref: None,
            kind: CustomerKind::Organisation,
            name: "ACME".into(),
            gender: None,
            birth_date: None,
            company: None,
            address: None,
            phone: None,
            fax: None,
            email: Some("x@y.com".into()),
            level: None,
            source: None,
            stage: LifecycleStage::Customer,
            churn_reason: None,
            owner_id: None,
            relationship_manager_id: None,
            tags: vec![],
            custom: BTreeMap::new(),
            notes: None,
            background: None,
            created_at: now,
            updated_at: now,
        };
        let codes: Vec<_> = archive_warnings(&c, 2)
            .into_iter()
            .map(|w| w.code)
            .collect();
        assert_eq!(codes, vec!["few_key_persons", "missing_phone"]);
        assert!(archive_warnings(&c, 3)
            .iter()
            .all(|w| w.code != "few_key_persons"));
    }

    #[test]
    fn custom_field_values() {
        let d = CustomFieldDef {
            key: "size".into(),
            label: "Size".into(),
            field_type: CustomFieldType::Choice,
            choices: vec!["S".into(), "M".into()],
        };
        assert_eq!(d.check_value("M").as_deref(), Ok("M"));
        assert_eq!(
            d.check_value("XL").expect_err("choice").field,
            "custom.size"
        );
        let n = CustomFieldDef {
            field_type: CustomFieldType::Number,
            ..d.clone()
        };
        assert_eq!(n.check_value("1,200.5").as_deref(), Ok("1200.5"));
        let dt = CustomFieldDef {
            field_type: CustomFieldType::Date,
            ..d
        };
        assert_eq!(dt.check_value("2024年3月5日").as_deref(), Ok("2024-03-05"));
    }
}
