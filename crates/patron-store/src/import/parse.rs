//! Table rows → typed import records, or rejects with line, field and reason.
//!
//! All value parsing goes through `patron_core` (phones, e-mails, dates, money, vocabularies)
//! so an import accepts exactly what the web forms accept. A bad row never stops the import:
//! it becomes a [`RowReject`] the user can fix in the rejects file and import again.

use super::mapping::Mapping;
use super::read::{Row, Table, MAX_CELL_BYTES};
use super::records::*;
use patron_core::values::{parse_date, parse_email, parse_phone};
use patron_core::{
    money::parse_amount, Currency, CustomerKind, FieldError, Gender, LifecycleStage,
};

/// How values are read.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// chrono format for date columns; `None`: the unambiguous ISO and CJK forms.
    pub date_format: Option<String>,
    /// Currency of money columns when a row has no currency of its own.
    pub default_currency: Currency,
}

/// Longest quantity we believe; anything bigger is a typo or a shifted column.
const MAX_QUANTITY: i64 = 1_000_000_000;

/// Shortens a value quoted in a reason.
fn short(s: &str) -> String {
    let t = s.trim();
    let mut out: String = t.chars().take(60).collect();
    if out.len() < t.len() {
        out.push('…');
    }
    out
}

/// Parses every row. Consumes the table so the cells' text moves into the records instead of
/// being copied (an import can be millions of rows).
pub fn parse_table(
    table: Table,
    mapping: &Mapping,
    opts: &ParseOptions,
) -> (ImportBatch, Vec<RowReject>) {
    let mut rejects = Vec::new();
    let n = table.rows.len();
    macro_rules! collect {
        ($variant:ident, $f:ident) => {{
            let mut out = Vec::with_capacity(n);
            for row in table.rows {
                let line = row.line;
                match check_shape(&row, mapping).and_then(|()| $f(Cells::new(row, mapping), opts)) {
                    Ok(mut r) => {
                        r.line = line;
                        out.push(r)
                    }
                    Err(e) => rejects.push(e.into_reject(line)),
                }
            }
            ImportBatch::$variant(out)
        }};
    }
    let batch = match mapping.entity {
        Entity::Customers => collect!(Customers, customer),
        Entity::Contacts => collect!(Contacts, contact),
        Entity::Products => collect!(Products, product),
        Entity::Orders => collect!(Orders, order),
    };
    (batch, rejects)
}

/// Why a row was rejected, before it gets its line number.
struct Bad {
    field: Option<String>,
    reason: String,
}

impl Bad {
    fn row(reason: String) -> Self {
        Self {
            field: None,
            reason,
        }
    }
    fn field(field: &str, reason: String) -> Self {
        Self {
            field: Some(field.to_owned()),
            reason,
        }
    }
    fn into_reject(self, line: u64) -> RowReject {
        RowReject {
            line,
            field: self.field,
            reason: self.reason,
        }
    }
}

impl From<FieldError> for Bad {
    fn from(e: FieldError) -> Self {
        Bad {
            reason: format!("{}: {}", e.field, e.message),
            field: Some(e.field),
        }
    }
}

/// Rejects oversized cells and rows whose cell count does not fit the columns.
fn check_shape(row: &Row, mapping: &Mapping) -> Result<(), Bad> {
    if let Some((col, size)) = row.oversized {
        let reason = format!(
            "the cell in column {} is {size} bytes, more than the {MAX_CELL_BYTES}-byte limit \
             (often a quote that is never closed)",
            col + 1
        );
        return Err(match mapping.field_at(col) {
            Some(f) => Bad::field(f, format!("{f}: {reason}")),
            None => Bad::row(reason),
        });
    }
    let width = mapping.width();
    // Trailing empty cells ("a,b,c,,") are what spreadsheets write; they are not extra data.
    let used = row
        .cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    if used > width {
        return Err(Bad::row(format!(
            "the row has {} but the file has {width} columns (an unquoted delimiter inside a value?)",
            count_cells(used)
        )));
    }
    if row.cells.len() < width {
        return Err(Bad::row(format!(
            "the row has {} but the file has {width} columns",
            count_cells(row.cells.len())
        )));
    }
    Ok(())
}

fn count_cells(n: usize) -> String {
    if n == 1 {
        "1 cell".into()
    } else {
        format!("{n} cells")
    }
}

/// A row's cells by field name. `take` moves the text out; empty cells are `None`.
struct Cells<'m> {
    cells: Vec<String>,
    mapping: &'m Mapping,
}

impl<'m> Cells<'m> {
    fn new(row: Row, mapping: &'m Mapping) -> Self {
        Self {
            cells: row.cells,
            mapping,
        }
    }

    fn take(&mut self, field: &str) -> Option<String> {
        let i = self.mapping.column_of(field)?;
        let cell = self.cells.get_mut(i)?;
        let t = cell.trim();
        if t.is_empty() {
            None
        } else if t.len() == cell.len() {
            Some(std::mem::take(cell))
        } else {
            Some(t.to_owned())
        }
    }

    fn text(&mut self, field: &str) -> Option<String> {
        self.take(field)
    }

    fn required(&mut self, field: &str) -> Result<String, Bad> {
        self.take(field)
            .ok_or_else(|| Bad::field(field, format!("{field}: is empty (it is required)")))
    }

    fn parse<T>(
        &mut self,
        field: &str,
        f: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, Bad> {
        match self.take(field) {
            None => Ok(None),
            Some(v) => f(&v).map(Some).map_err(Bad::from),
        }
    }

    fn date(&mut self, field: &str, opts: &ParseOptions) -> Result<Option<chrono::NaiveDate>, Bad> {
        self.parse(field, |v| date(field, v, opts))
    }

    fn phone(&mut self, field: &str) -> Result<Option<String>, Bad> {
        self.parse(field, |v| parse_phone(field, v))
    }

    fn currency(&mut self, opts: &ParseOptions) -> Result<Currency, Bad> {
        Ok(self
            .parse("currency", |v| Currency::parse("currency", v))?
            .unwrap_or_else(|| opts.default_currency.clone()))
    }

    /// A money column in minor units of `currency`; negative amounts are refused.
    fn money(&mut self, field: &str, currency: &Currency) -> Result<Option<i64>, Bad> {
        let Some(v) = self.take(field) else {
            return Ok(None);
        };
        let m = parse_amount(field, &v, currency)?;
        if m < 0 {
            return Err(Bad::field(
                field,
                format!("{field}: '{}' must not be negative", short(&v)),
            ));
        }
        Ok(Some(m))
    }
}

/// Dates with the user's format; when that fails, an ISO date is still accepted, because
/// workbook date cells arrive as `YYYY-MM-DD` whatever the text columns look like.
fn date(field: &str, v: &str, opts: &ParseOptions) -> Result<chrono::NaiveDate, FieldError> {
    match parse_date(field, v, opts.date_format.as_deref()) {
        Ok(d) => Ok(d),
        Err(e) if opts.date_format.is_some() => {
            parse_date(field, v, Some("%Y-%m-%d")).map_err(|_| e)
        }
        Err(e) => Err(e),
    }
}

/// Splits a tag list on the separators people use: `, ; |` and the CJK comma forms.
pub fn split_tags(s: &str) -> Vec<String> {
    s.split([',', ';', '|', '、', '，', '；'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A whole positive number; "2.0" is fine (spreadsheets write it), "2.5" and "-1" are not.
pub fn parse_quantity(field: &str, s: &str) -> Result<i64, FieldError> {
    let t = s.trim();
    let bad =
        |why: &str| FieldError::new(field, "invalid_quantity", format!("'{}' {why}", short(t)));
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad("is not a number"));
    }
    if frac.bytes().any(|b| b != b'0') {
        return Err(bad("is not a whole number"));
    }
    let v: i64 = int.parse().map_err(|_| bad("is too large"))?;
    if neg || v == 0 {
        return Err(FieldError::new(
            field,
            "not_positive",
            format!("quantity must be greater than zero (got '{}')", short(t)),
        ));
    }
    if v > MAX_QUANTITY {
        return Err(bad("is implausibly large"));
    }
    Ok(v)
}

/// Yes/no in the four languages.
pub fn parse_yes_no(field: &str, s: &str) -> Result<bool, FieldError> {
    match s.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "1" | "是" | "예" | "네" => Ok(true),
        "no" | "n" | "false" | "f" | "0" | "否" | "아니오" | "아니요" => Ok(false),
        _ => Err(FieldError::new(
            field,
            "invalid_bool",
            format!("'{}' is not yes or no", short(s)),
        )),
    }
}

fn customer(mut c: Cells<'_>, opts: &ParseOptions) -> Result<CustomerRecord, Bad> {
    let rec = CustomerRecord {
        line: 0,
        external_ref: c.text("ref"),
        kind: c.parse("kind", |v| CustomerKind::parse("kind", v))?,
        name: c.text("name"),
        gender: c.parse("gender", |v| Gender::parse("gender", v))?,
        birth_date: c.date("birth_date", opts)?,
        company: c.text("company"),
        address: c.text("address"),
        phone: c.phone("phone")?,
        fax: c.phone("fax")?,
        email: c.parse("email", |v| parse_email("email", v))?,
        level: c.text("level"),
        source: c.text("source"),
        notes: c.text("notes"),
        owner: c.text("owner"),
        stage: c.parse("stage", |v| LifecycleStage::parse("stage", v))?,
        churn_reason: c.text("churn_reason"),
        tags: c
            .take("tags")
            .map(|t| split_tags(&t))
            .filter(|t| !t.is_empty()),
    };
    if rec.name.is_none() && rec.external_ref.is_none() {
        return Err(Bad::field(
            "name",
            "name: is empty and so is ref; a customer needs one of them".into(),
        ));
    }
    Ok(rec)
}

fn contact(mut c: Cells<'_>, opts: &ParseOptions) -> Result<ContactRecord, Bad> {
    Ok(ContactRecord {
        line: 0,
        customer_ref: c.required("customer_ref")?,
        name: c.required("name")?,
        title: c.text("title"),
        phone: c.phone("phone")?,
        mobile: c.phone("mobile")?,
        email: c.parse("email", |v| parse_email("email", v))?,
        hobbies: c.text("hobbies"),
        birthday: c.date("birthday", opts)?,
        wedding_anniversary: c.date("wedding_anniversary", opts)?,
        notes: c.text("notes"),
    })
}

fn product(mut c: Cells<'_>, opts: &ParseOptions) -> Result<ProductRecord, Bad> {
    let external_ref = c.text("ref");
    let name = c.text("name");
    if name.is_none() && external_ref.is_none() {
        return Err(Bad::field(
            "name",
            "name: is empty and so is ref; a product needs one of them".into(),
        ));
    }
    let product_line = c.text("product_line");
    let given_currency = c.parse("currency", |v| Currency::parse("currency", v))?;
    let currency = given_currency
        .clone()
        .unwrap_or_else(|| opts.default_currency.clone());
    let unit_price_minor = c.money("unit_price", &currency)?;
    Ok(ProductRecord {
        line: 0,
        external_ref,
        name,
        product_line,
        unit_price_minor,
        currency: given_currency.or(unit_price_minor.map(|_| currency)),
    })
}

fn order(mut c: Cells<'_>, opts: &ParseOptions) -> Result<OrderRecord, Bad> {
    let customer_ref = c.required("customer_ref")?;
    let date = match c.date("date", opts)? {
        Some(d) => d,
        None => return Err(Bad::field("date", "date: is empty (it is required)".into())),
    };
    let currency = c.currency(opts)?;
    let quantity = c
        .parse("quantity", |v| parse_quantity("quantity", v))?
        .unwrap_or(1);
    let unit_price_minor = c.money("unit_price", &currency)?;
    let amount_minor = match (c.money("amount", &currency)?, unit_price_minor) {
        (Some(a), _) => a,
        (None, Some(u)) => u.checked_mul(quantity).ok_or_else(|| {
            Bad::field(
                "amount",
                format!("amount: quantity {quantity} × unit_price {u} is too large"),
            )
        })?,
        (None, None) => {
            return Err(Bad::field(
                "amount",
                "amount: is empty and so is unit_price; give one of them".into(),
            ))
        }
    };
    Ok(OrderRecord {
        line: 0,
        customer_ref,
        order_ref: c.text("order_ref"),
        date,
        product_ref: c.text("product_ref"),
        product_line: c.text("product_line"),
        quantity,
        unit_price_minor,
        amount_minor,
        currency,
        asked_by_name: c
            .parse("asked_by_name", |v| parse_yes_no("asked_by_name", v))?
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::mapping::map_columns;
    use crate::import::read::{read_text, ReadOptions};
    use crate::import::Delimiter;
    use chrono::NaiveDate;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn usd() -> ParseOptions {
        ParseOptions {
            date_format: None,
            default_currency: Currency::default(),
        }
    }

    fn run(entity: Entity, csv: &str, opts: &ParseOptions) -> (ImportBatch, Vec<RowReject>) {
        let table = read_text(
            csv.as_bytes(),
            "t.csv",
            &ReadOptions {
                header: true,
                delimiter: Some(Delimiter::Comma),
                ..Default::default()
            },
        )
        .expect("read");
        let mapping = map_columns(entity, table.header.as_deref(), None, &[]).expect("map");
        parse_table(table, &mapping, opts)
    }

    fn reject(rejects: &[RowReject], line: u64) -> &RowReject {
        rejects
            .iter()
            .find(|r| r.line == line)
            .unwrap_or_else(|| panic!("no reject on line {line}: {rejects:?}"))
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn customers_typed() {
        let csv = "客户编号,姓名,性别,生日,电话,邮箱,类型,阶段,标签,负责人\n\
                   C1, 张三 ,男,1980年5月6日,+86 138-0013-8000,zhang@example.com,公司,客户,\"vip、老客户，北京;vip\",li@example.com\n\
                   C2,,,,,,,,,\n";
        let (batch, rejects) = run(Entity::Customers, csv, &usd());
        assert!(rejects.is_empty(), "{rejects:?}");
        let ImportBatch::Customers(v) = batch else {
            panic!("customers")
        };
        assert_eq!(v.len(), 2);
        let a = &v[0];
        assert_eq!(a.line, 2);
        assert_eq!(a.external_ref.as_deref(), Some("C1"));
        assert_eq!(a.name.as_deref(), Some("张三"));
        assert_eq!(a.gender, Some(Gender::Male));
        assert_eq!(a.birth_date, Some(ymd(1980, 5, 6)));
        assert_eq!(a.phone.as_deref(), Some("+86 138-0013-8000"));
        assert_eq!(a.kind, Some(CustomerKind::Organisation));
        assert_eq!(a.stage, Some(LifecycleStage::Customer));
        assert_eq!(a.tags, Some(s(&["vip", "老客户", "北京", "vip"])));
        assert_eq!(a.owner.as_deref(), Some("li@example.com"));
        // Empty cells are "not given", never blanks.
        assert_eq!(
            v[1],
            CustomerRecord {
                line: 3,
                external_ref: Some("C2".into()),
                ..Default::default()
            }
        );
    }

    #[test]
    fn invalid_values_rejected_with_line_and_field() {
        let csv = "ref,name,email,phone,birth_date,gender\n\
                   1,Good,a@example.com,010-1234-5678,1990-01-02,f\n\
                   2,Bad mail,not-an-email,,,\n\
                   3,Bad phone,,call me maybe,,\n\
                   4,Bad date,,,02/01/1990,\n\
                   5,Bad gender,,,,robot\n\
                   ,,,,,\n\
                   6,,,,,\n\
                   ,,x@example.com,,,\n";
        let (batch, rejects) = run(Entity::Customers, csv, &usd());
        assert_eq!(batch.len(), 2, "{rejects:?}");
        let r = reject(&rejects, 3);
        assert_eq!(r.field.as_deref(), Some("email"));
        assert!(r.reason.contains("not-an-email"), "{r:?}");
        let r = reject(&rejects, 4);
        assert_eq!(r.field.as_deref(), Some("phone"));
        assert!(r.reason.contains("call me maybe"), "{r:?}");
        let r = reject(&rejects, 5);
        assert_eq!(r.field.as_deref(), Some("birth_date"));
        assert!(r.reason.contains("02/01/1990"), "{r:?}");
        let r = reject(&rejects, 6);
        assert_eq!(r.field.as_deref(), Some("gender"));
        assert!(r.reason.contains("robot"), "{r:?}");
        // Line 7 is blank (skipped), line 8 has a ref only (kept), line 9 has neither name nor ref.
        let r = reject(&rejects, 9);
        assert_eq!(r.field.as_deref(), Some("name"));
        assert_eq!(rejects.len(), 5);
    }

    #[test]
    fn orders_amounts_quantities_and_currency() {
        let csv = "customer_ref,order_ref,date,product_ref,quantity,unit_price,amount,currency,asked_by_name\n\
                   C1,O1,2024-03-05,P1,2,1.50,,,是\n\
                   C1,O1,2024-03-05,P2,2.0,,10,,no\n\
                   C2,,2024-03-06,,,\"15,000\",,KRW,\n\
                   C3,,2024-03-06,,-1,1,,,\n\
                   C3,,2024-03-06,,0,1,,,\n\
                   C3,,2024-03-06,,2.5,1,,,\n\
                   C3,,2024-03-06,,1,,-3.10,,\n\
                   C3,,2024-03-06,,1,,,,\n\
                   ,,2024-03-06,,1,,1,,\n\
                   C3,,,,1,,1,,\n\
                   C3,,2024-03-06,,1,,1,XXXX,\n\
                   C3,,2024-03-06,,1,,1,,maybe\n";
        let (batch, rejects) = run(Entity::Orders, csv, &usd());
        let ImportBatch::Orders(v) = batch else {
            panic!("orders")
        };
        assert_eq!(v.len(), 3, "{rejects:?}");
        assert_eq!(
            (v[0].quantity, v[0].unit_price_minor, v[0].amount_minor),
            (2, Some(150), 300)
        );
        assert!(v[0].asked_by_name);
        assert_eq!(v[0].order_ref.as_deref(), Some("O1"));
        assert_eq!((v[1].quantity, v[1].amount_minor), (2, 1000));
        assert!(!v[1].asked_by_name);
        assert_eq!(v[2].currency.as_str(), "KRW");
        assert_eq!((v[2].quantity, v[2].amount_minor), (1, 15000));
        for (line, field, needle) in [
            (5, "quantity", "quantity must be greater than zero"),
            (6, "quantity", "greater than zero"),
            (7, "quantity", "whole number"),
            (8, "amount", "must not be negative"),
            (9, "amount", "unit_price"),
            (10, "customer_ref", "required"),
            (11, "date", "required"),
            (12, "currency", "XXXX"),
            (13, "asked_by_name", "maybe"),
        ] {
            let r = reject(&rejects, line);
            assert_eq!(r.field.as_deref(), Some(field), "{r:?}");
            assert!(r.reason.contains(needle), "{r:?}");
            assert!(r.reason.starts_with(field), "reason names the field: {r:?}");
        }
        assert!(reject(&rejects, 5).reason.contains("'-1'"));
        assert_eq!(rejects.len(), 9);
    }

    #[test]
    fn row_shape_and_oversized_cells() {
        let big = "y".repeat(MAX_CELL_BYTES + 1);
        let csv = format!("ref,name\nA,Alice\nB,Bob,extra\nC\nD,\"{big}\"\nE,Eve,,\n");
        let (batch, rejects) = run(Entity::Customers, &csv, &usd());
        assert_eq!(batch.len(), 2, "{rejects:?}");
        assert!(reject(&rejects, 3).reason.contains("3 cells"));
        assert_eq!(reject(&rejects, 3).field, None);
        assert!(reject(&rejects, 4).reason.contains("has 1 cell but"));
        let r = reject(&rejects, 5);
        assert_eq!(r.field.as_deref(), Some("name"));
        assert!(r.reason.contains("65536"), "{r:?}");
    }

    #[test]
    fn ten_megabyte_field_is_rejected_not_loaded() {
        let big = "z".repeat(10 * 1024 * 1024);
        let csv = format!("customer_ref,name,notes\nO1,Kim,\"{big}\"\nO1,Lee,ok\n");
        let (batch, rejects) = run(Entity::Contacts, &csv, &usd());
        let ImportBatch::Contacts(v) = batch else {
            panic!("contacts")
        };
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].name, "Lee");
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].line, 2);
        assert_eq!(rejects[0].field.as_deref(), Some("notes"));
        assert!(
            rejects[0].reason.len() < 300,
            "the reason does not carry the cell"
        );
    }

    #[test]
    fn contacts_and_products() {
        let csv = "客户编号,联系人,手机,生日,结婚纪念日\nORG1,王经理,13800138000,1970-02-03,1995年10月1日\nORG1,,139,,\n";
        let (batch, rejects) = run(Entity::Contacts, csv, &usd());
        let ImportBatch::Contacts(v) = batch else {
            panic!("contacts")
        };
        assert_eq!(v[0].mobile.as_deref(), Some("13800138000"));
        assert_eq!(v[0].wedding_anniversary, Some(ymd(1995, 10, 1)));
        assert_eq!(reject(&rejects, 3).field.as_deref(), Some("name"));

        let csv =
            "ref,name,unit_price,currency\nP1,Widget,\"1,234.50\",\nP2,Gadget,88,JPY\nP3,Bad,-1,\n";
        let (batch, rejects) = run(Entity::Products, csv, &usd());
        let ImportBatch::Products(v) = batch else {
            panic!("products")
        };
        assert_eq!(v[0].unit_price_minor, Some(123450));
        assert_eq!(v[0].currency.as_ref().map(Currency::as_str), Some("USD"));
        assert_eq!(v[1].unit_price_minor, Some(88));
        assert_eq!(reject(&rejects, 4).field.as_deref(), Some("unit_price"));
    }

    #[test]
    fn explicit_date_format_still_takes_iso_from_workbooks() {
        let opts = ParseOptions {
            date_format: Some("%d.%m.%Y".into()),
            ..usd()
        };
        let csv = "customer_ref,date,amount\nC,05.03.2024,1\nC,2024-03-06,1\nC,2024/03/07,1\n";
        let (batch, rejects) = run(Entity::Orders, csv, &opts);
        let ImportBatch::Orders(v) = batch else {
            panic!("orders")
        };
        assert_eq!(
            v.iter().map(|o| o.date).collect::<Vec<_>>(),
            vec![ymd(2024, 3, 5), ymd(2024, 3, 6)]
        );
        let r = reject(&rejects, 4);
        assert!(
            r.reason.contains("%d.%m.%Y"),
            "the user's format is the one reported: {r:?}"
        );
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("q", "2"), Ok(2));
        assert_eq!(parse_quantity("q", " +3.00 "), Ok(3));
        for bad in [
            "",
            "-",
            "1e3",
            "2.5",
            "-2",
            "0",
            "0.0",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_quantity("q", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cdnow_sample() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/CDNOW_sample.txt"
        ))
        .expect("fixture");
        let table = read_text(
            &bytes,
            "CDNOW_sample.txt",
            &ReadOptions {
                header: false,
                delimiter: Some(Delimiter::Whitespace),
                ..Default::default()
            },
        )
        .expect("read");
        let cols = s(&["customer_ref", "-", "date", "quantity", "amount"]);
        let mapping = map_columns(Entity::Orders, None, Some(&cols), &[]).expect("map");
        let opts = ParseOptions {
            date_format: Some("%Y%m%d".into()),
            ..usd()
        };
        let (batch, rejects) = parse_table(table, &mapping, &opts);
        assert!(rejects.is_empty(), "{:?}", &rejects[..rejects.len().min(5)]);
        let ImportBatch::Orders(v) = batch else {
            panic!("orders")
        };
        assert_eq!(v.len(), 6919);
        let refs: std::collections::HashSet<_> =
            v.iter().map(|o| o.customer_ref.as_str()).collect();
        assert_eq!(refs.len(), 2357);
        let first = &v[0];
        assert_eq!(first.line, 1);
        assert_eq!(first.customer_ref, "00004");
        assert_eq!(first.date, ymd(1997, 1, 1));
        assert_eq!(first.quantity, 2);
        assert_eq!(first.amount_minor, 2933);
        assert_eq!(first.currency.as_str(), "USD");
        assert_eq!(first.order_ref, None);
        assert_eq!(v[6918].line, 6919);
    }
}
