//! The method's yearly value questions (METHOD §2.4) as ready lists: each names the customers it
//! finds and the numbers that put them there, so a manager can act on it or hand it on as a
//! spreadsheet.
//!
//! | list | who is on it |
//! |---|---|
//! | `gold` | the predicted top 5% by lifetime value (`patron model score`) |
//! | `drag` | buyers in the bottom 20% by revenue who have not ordered for over a year |
//! | `targets` | organisations we want (class A or B, or tagged `target`) with fewer than three key persons |
//! | `complaining` | big customers (class A or B) with two or more complaints recorded in the last 12 months |
//! | `slipping` | last year's top 20% by revenue who bought less in the last 12 months |
//! | `narrow` | customers of the last 12 months who bought only one or two product lines, with the lines they do not buy |
//! | `credit` | customers under credit management, with limit, outstanding and overdue balance |
//! | `unmanaged` | A-class customers without a relationship manager (METHOD §3.2: each must have one) |
//! | `churn_risk` | high-value customers whose P(alive) fell under 50%, customers with repeated complaints, A-class customers with an overdue visit |
//!
//! Lists read the latest classification (`patron classify`) and model scores; a list that needs
//! one that has not been run says so in its `note` and is empty.

use chrono::NaiveDate;
use patron_core::CustomerId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListName {
    Gold,
    Drag,
    Targets,
    Complaining,
    Slipping,
    Narrow,
    Credit,
    Unmanaged,
    /// Customers we may be losing (METHOD §6).
    ChurnRisk,
}

impl ListName {
    pub const ALL: [ListName; 9] = [
        ListName::Gold,
        ListName::Drag,
        ListName::Targets,
        ListName::Complaining,
        ListName::Slipping,
        ListName::Narrow,
        ListName::Credit,
        ListName::Unmanaged,
        ListName::ChurnRisk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ListName::Gold => "gold",
            ListName::Drag => "drag",
            ListName::Targets => "targets",
            ListName::Complaining => "complaining",
            ListName::Slipping => "slipping",
            ListName::Narrow => "narrow",
            ListName::Credit => "credit",
            ListName::Unmanaged => "unmanaged",
            ListName::ChurnRisk => "churn_risk",
        }
    }

    pub fn parse(s: &str) -> Option<ListName> {
        ListName::ALL.into_iter().find(|n| n.as_str() == s.trim())
    }
}

/// How a column's values are to be read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Minor units of the list's currency.
    Money,
    Int,
    /// A decimal number (expected purchases).
    Number,
    /// A fraction (0.25 = 25%).
    Percent,
    Date,
    Text,
    /// A class or segment code (A, loyal, champions), translated by the UI.
    Class,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListColumn {
    pub key: String,
    pub kind: ColumnKind,
}

/// One value of a row; `null` where there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Int(i64),
    Number(f64),
    Text(String),
    Null,
}

/// Described by hand: an integer is also a number, so the derived `oneOf` of the untagged
/// variants was a document no integer cell could satisfy; `anyOf` says what is meant.
impl utoipa::PartialSchema for Cell {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
        };
        AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .description(Some("One value of a row; `null` where there is none."))
            .into()
    }
}

impl utoipa::ToSchema for Cell {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Cell")
    }
}

impl Cell {
    /// The plain text a spreadsheet cell gets (money in major units, fractions as they are).
    pub fn plain(&self, kind: ColumnKind, currency: &patron_core::Currency) -> String {
        match (self, kind) {
            (Cell::Null, _) => String::new(),
            (Cell::Int(v), ColumnKind::Money) => patron_core::money::format_minor(*v, currency),
            (Cell::Int(v), _) => v.to_string(),
            (Cell::Number(v), ColumnKind::Percent) => format!("{v:.4}"),
            (Cell::Number(v), _) => format!("{v:.2}"),
            (Cell::Text(t), _) => t.clone(),
        }
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Null, Cell::Int)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(v) if v.is_finite() => Cell::Number(v),
            _ => Cell::Null,
        }
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Null, Cell::Text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListRow {
    pub customer_id: CustomerId,
    pub customer_ref: Option<String>,
    pub name: String,
    /// One value per column, in the columns' order.
    pub values: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValueList {
    pub name: ListName,
    /// The day the list's figures are as of (the latest classification, else today).
    pub as_of: NaiveDate,
    pub currency: String,
    pub columns: Vec<ListColumn>,
    pub rows: Vec<ListRow>,
    /// Why the list is empty or what it is waiting for (e.g. "run patron model score").
    pub note: Option<String>,
}

impl ValueList {
    /// The header and rows as plain text cells, for CSV and XLSX.
    pub fn table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let cur = patron_core::Currency::parse("currency", &self.currency).unwrap_or_default();
        let mut header = vec!["id".to_owned(), "ref".to_owned(), "name".to_owned()];
        header.extend(self.columns.iter().map(|c| c.key.clone()));
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut cells = vec![
                    r.customer_id.0.to_string(),
                    r.customer_ref.clone().unwrap_or_default(),
                    r.name.clone(),
                ];
                cells.extend(
                    r.values
                        .iter()
                        .zip(&self.columns)
                        .map(|(v, c)| v.plain(c.kind, &cur)),
                );
                cells
            })
            .collect();
        (header, rows)
    }

    /// The list as CSV (UTF-8 with BOM, so Excel reads Chinese and Korean; formula-looking cells
    /// quoted as in every export).
    pub fn to_csv(&self) -> Result<Vec<u8>, crate::StoreError> {
        let (header, rows) = self.table();
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let err = |e: csv::Error| crate::StoreError::other("writing a list as CSV", e);
        crate::csv_cell::write_record(&mut w, &header).map_err(err)?;
        for r in &rows {
            crate::csv_cell::write_record(&mut w, r).map_err(err)?;
        }
        w.into_inner()
            .map_err(|e| crate::StoreError::other("writing a list as CSV", e.into_error()))
    }

    /// The list as an XLSX workbook (every cell text, like the other exports, except money,
    /// counts and fractions, which are numbers a spreadsheet can add up).
    pub fn to_xlsx(&self) -> Result<Vec<u8>, crate::StoreError> {
        let err =
            |e: rust_xlsxwriter::XlsxError| crate::StoreError::other("writing a list as XLSX", e);
        let cur = patron_core::Currency::parse("currency", &self.currency).unwrap_or_default();
        let scale = 10f64.powi(cur.minor_digits() as i32);
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(self.name.as_str()).map_err(err)?;
        let (header, _) = self.table();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, col(c), h, &bold)
                .map_err(err)?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ws.write_number(row, 0, r.customer_id.0 as f64)
                .map_err(err)?;
            if let Some(rf) = &r.customer_ref {
                ws.write_string(row, 1, rf).map_err(err)?;
            }
            ws.write_string(row, 2, &r.name).map_err(err)?;
            for (k, (v, c)) in r.values.iter().zip(&self.columns).enumerate() {
                let at = col(k + 3);
                match (v, c.kind) {
                    (Cell::Null, _) => {}
                    (Cell::Int(n), ColumnKind::Money) => {
                        ws.write_number(row, at, *n as f64 / scale).map_err(err)?;
                    }
                    (Cell::Int(n), _) => {
                        ws.write_number(row, at, *n as f64).map_err(err)?;
                    }
                    (Cell::Number(n), _) => {
                        ws.write_number(row, at, *n).map_err(err)?;
                    }
                    (Cell::Text(t), _) => {
                        ws.write_string(row, at, t).map_err(err)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        ws.autofit();
        wb.save_to_buffer().map_err(err)
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ValueList {
        ValueList {
            name: ListName::Slipping,
            as_of: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            currency: "USD".into(),
            columns: vec![
                ListColumn {
                    key: "last_year".into(),
                    kind: ColumnKind::Money,
                },
                ListColumn {
                    key: "change".into(),
                    kind: ColumnKind::Percent,
                },
                ListColumn {
                    key: "abc".into(),
                    kind: ColumnKind::Class,
                },
            ],
            rows: vec![ListRow {
                customer_id: CustomerId(7),
                customer_ref: Some("C-7".into()),
                name: "=王记商行".into(),
                values: vec![Cell::Int(123_456), Cell::Number(-0.25), Cell::Null],
            }],
            note: None,
        }
    }

    #[test]
    fn names_round_trip() {
        for n in ListName::ALL {
            assert_eq!(ListName::parse(n.as_str()), Some(n));
        }
        assert_eq!(ListName::parse("platinum"), None);
    }

    #[test]
    fn csv_has_bom_header_plain_values_and_quotes_formulas() {
        let bytes = list().to_csv().expect("csv");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.starts_with('\u{feff}'));
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next(), Some("id,ref,name,last_year,change,abc"));
        assert_eq!(lines.next(), Some("7,C-7,'=王记商行,1234.56,-0.2500,"));
    }

    #[test]
    fn xlsx_is_a_workbook() {
        let bytes = list().to_xlsx().expect("xlsx");
        assert!(bytes.starts_with(b"PK"), "a zip container");
        assert!(bytes.len() > 1000);
    }
}
