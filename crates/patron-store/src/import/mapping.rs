//! Columns → import fields.
//!
//! Field names are a contract (the CLI's `--columns`/`--map`, the export's header row). A header
//! is matched case-, space- and punctuation-insensitively against those names and against the
//! words people actually put in spreadsheet headers in English, Simplified and Traditional
//! Chinese and Korean. Guessing is conservative: a column nobody recognises is an error naming
//! the column, never silently dropped, because a dropped "电话" column means a phone-less archive.
//! The result says how each column was matched so a UI can show (and let the user fix) guesses.

use super::records::Entity;
use super::run::ImportError;
use serde::Serialize;

/// Import fields of each entity, in the order exports write them.
pub const CUSTOMER_FIELDS: &[&str] = &[
    "ref",
    "kind",
    "name",
    "gender",
    "birth_date",
    "phone",
    "email",
    "address",
    "owner",
    "stage",
    "tags",
    "company",
    "fax",
    "level",
    "source",
    "notes",
    "churn_reason",
];
pub const CONTACT_FIELDS: &[&str] = &[
    "customer_ref",
    "name",
    "title",
    "phone",
    "mobile",
    "email",
    "hobbies",
    "birthday",
    "wedding_anniversary",
    "notes",
];
pub const PRODUCT_FIELDS: &[&str] = &["ref", "name", "product_line", "unit_price", "currency"];
pub const ORDER_FIELDS: &[&str] = &[
    "customer_ref",
    "order_ref",
    "date",
    "product_ref",
    "product_line",
    "quantity",
    "unit_price",
    "amount",
    "currency",
    "asked_by_name",
];

/// The import fields of `entity`.
pub fn fields(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Customers => CUSTOMER_FIELDS,
        Entity::Contacts => CONTACT_FIELDS,
        Entity::Products => PRODUCT_FIELDS,
        Entity::Orders => ORDER_FIELDS,
    }
}

/// How a column got its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The header is the field name (ignoring case, spaces and punctuation).
    Exact,
    /// The header is a known synonym of the field.
    Alias,
    /// `--map COLUMN=FIELD` (or `COLUMN=-`).
    Map,
    /// `--columns`, by position.
    Columns,
    /// The header cell is empty: the column is ignored.
    Blank,
}

/// One column of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnMapping {
    /// 0-based position in the row.
    pub index: usize,
    /// The header text, or `column N` (1-based) without a header.
    pub column: String,
    /// `None`: the column is skipped.
    pub field: Option<&'static str>,
    pub matched_by: MatchedBy,
}

/// Where each field of an import comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub entity: Entity,
    pub columns: Vec<ColumnMapping>,
}

impl Mapping {
    /// The column index holding `field`, if mapped.
    pub fn column_of(&self, field: &str) -> Option<usize> {
        self.columns
            .iter()
            .find(|c| c.field == Some(field))
            .map(|c| c.index)
    }

    /// The field of column `index`, if it is mapped.
    pub fn field_at(&self, index: usize) -> Option<&'static str> {
        self.columns.get(index).and_then(|c| c.field)
    }

    /// Number of columns a row is expected to have.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    pub fn has(&self, field: &str) -> bool {
        self.column_of(field).is_some()
    }
}

/// Lower-cases and drops spaces, underscores and punctuation (ASCII and full-width), so that
/// "Birth Date", "birth_date", "ＢＩＲＴＨ－ＤＡＴＥ" and "*生日：" compare by their words only.
pub fn normalise(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            // Full-width ASCII forms (common in CJK spreadsheets) → ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| {
            !(c.is_whitespace() || c.is_ascii_punctuation() || "（）【】：・·、。，".contains(*c))
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Header words by meaning. A meaning resolves to a field per entity (see [`resolve`]): "手机"
/// is `mobile` for a contact but `phone` for a customer, which has only one number.
#[rustfmt::skip]
const ALIASES: &[(&str, &[&str])] = &[
    ("customer_ref", &["customer id", "customer no", "customer number", "customer code", "client id",
        "client no", "cust id", "客户编号", "客户号", "客户代码", "客户编码", "客户id", "客戶編號", "客戶代碼", "客戶編碼", "客戶號", "고객번호",
        "고객코드", "고객id", "거래처코드", "거래처번호"]),
    ("ref", &["code", "id", "no", "number", "reference", "ref no", "编号", "编码", "代码", "編號", "編碼", "代碼", "번호",
        "코드"]),
    ("product_ref", &["product", "product id", "product code", "product no", "item code", "item no",
        "item id", "sku", "产品编号", "产品代码", "产品编码", "商品编号", "商品编码", "商品代码", "货号", "產品編號", "產品代碼", "商品編號",
        "商品代碼", "貨號", "料號", "상품코드", "상품번호", "제품코드", "제품번호", "품번", "商品코드"]),
    ("order_ref", &["order id", "order no", "order number", "订单号", "订单编号", "单号", "訂單號", "訂單編號", "單號", "주문번호",
        "주문코드"]),
    ("name", &["full name", "customer name", "client name", "姓名", "名称", "名字", "客户名称", "客户姓名", "客户名", "客戶名稱",
        "客戶姓名", "名稱", "이름", "성명", "고객명", "고객이름", "상호", "상호명", "업체명", "거래처명"]),
    ("contact_name", &["contact", "contact name", "contact person", "联系人", "联系人姓名", "聯絡人", "聯繫人"]),
    ("product_name", &["product name", "item name", "产品名称", "商品名称", "品名", "產品名稱", "商品名稱", "제품명", "상품명", "품명"]),
    ("kind", &["type", "customer type", "客户类型", "类型", "客戶類型", "類型", "고객유형", "유형", "고객구분", "구분"]),
    ("gender", &["sex", "性别", "性別", "성별"]),
    ("birth_date", &["birthday", "birthdate", "date of birth", "dob", "生日", "出生日期", "出生年月日", "生年月日", "생년월일",
        "생일"]),
    ("phone", &["tel", "telephone", "phone number", "phone no", "电话", "电话号码", "联系电话", "固定电话", "電話", "電話號碼",
        "聯絡電話", "聯繫電話", "전화", "전화번호", "연락처"]),
    ("mobile", &["mobile phone", "mobile number", "cell", "cellphone", "手机", "手机号", "手机号码", "移动电话", "手機",
        "手機號碼", "行動電話", "휴대폰", "휴대전화", "핸드폰", "휴대폰번호"]),
    ("email", &["e-mail", "email address", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件", "電子郵件", "電郵", "郵箱", "信箱",
        "이메일", "전자우편", "메일"]),
    ("address", &["addr", "地址", "住址", "通讯地址", "联系地址", "通訊地址", "聯絡地址", "주소"]),
    ("owner", &["sales rep", "salesperson", "account manager", "负责人", "业务员", "客户经理", "負責人", "業務員", "客戶經理",
        "담당자", "담당", "영업담당", "영업담당자"]),
    ("stage", &["status", "lifecycle", "lifecycle stage", "阶段", "客户阶段", "状态", "階段", "客戶階段", "狀態", "단계", "상태",
        "고객단계"]),
    ("tags", &["tag", "label", "labels", "标签", "標籤", "標簽", "태그"]),
    ("company", &["company name", "organisation", "organization", "employer", "公司", "公司名称", "单位", "工作单位",
        "公司名稱", "單位", "회사", "회사명", "직장", "소속"]),
    ("fax", &["fax number", "传真", "傳真", "팩스"]),
    ("level", &["grade", "tier", "customer level", "等级", "客户等级", "级别", "等級", "客戶等級", "級別", "등급", "고객등급"]),
    ("source", &["channel", "lead source", "来源", "客户来源", "來源", "客戶來源", "출처", "유입경로", "경로"]),
    ("notes", &["note", "remark", "remarks", "comment", "comments", "memo", "description", "备注", "备忘", "说明",
        "備註", "備忘", "說明", "메모", "비고", "설명"]),
    ("churn_reason", &["churn reason", "lost reason", "reason lost", "流失原因", "이탈사유", "이탈원인"]),
    ("date", &["order date", "purchase date", "日期", "订单日期", "下单日期", "购买日期", "交易日期", "訂單日期", "下單日期", "購買日期",
        "주문일", "주문일자", "일자", "날짜", "구매일", "구매일자", "거래일"]),
    ("product_line", &["category", "product category", "产品线", "产品类别", "品类", "类别", "產品線", "產品類別", "品類", "類別",
        "제품군", "카테고리", "분류", "품목"]),
    ("quantity", &["qty", "count", "pcs", "数量", "件数", "數量", "수량"]),
    ("unit_price", &["price", "单价", "价格", "售价", "單價", "價格", "售價", "단가", "가격", "판매가"]),
    ("amount", &["total", "sum", "order total", "line total", "金额", "总额", "总金额", "合计", "销售额", "金額", "總額",
        "總金額", "合計", "銷售額", "금액", "합계", "총액", "매출", "매출액", "결제금액"]),
    ("currency", &["ccy", "cur", "币种", "货币", "幣別", "幣種", "貨幣", "통화", "화폐"]),
    ("asked_by_name", &["brand requested", "指名购买", "指名購買", "指名", "지명구매"]),
    ("title", &["job title", "position", "role", "职务", "职位", "职称", "職務", "職位", "職稱", "직함", "직위", "직책"]),
    ("hobbies", &["hobby", "interests", "爱好", "兴趣", "嗜好", "愛好", "興趣", "취미"]),
    ("wedding_anniversary", &["anniversary", "wedding date", "结婚纪念日", "結婚紀念日", "결혼기념일"]),
];

/// The field a header meaning stands for in `entity`'s files, if any.
fn resolve(entity: Entity, meaning: &str) -> Option<&'static str> {
    let own = |f: &str| fields(entity).iter().copied().find(|x| *x == f);
    match (entity, meaning) {
        (Entity::Customers, "customer_ref") => Some("ref"),
        (Entity::Customers, "mobile") => Some("phone"),
        (Entity::Contacts, "contact_name") => Some("name"),
        (Entity::Contacts, "birth_date") => Some("birthday"),
        (Entity::Products, "product_ref") => Some("ref"),
        (Entity::Products, "product_name") => Some("name"),
        // A bare "code"/"id" in an order or contact file could be anything: make the user say.
        (Entity::Orders | Entity::Contacts, "ref") => None,
        (_, m) => own(m),
    }
}

/// Finds the field for a header text: exact field name first, then the alias table.
fn guess(entity: Entity, header: &str) -> Option<(&'static str, MatchedBy)> {
    let key = normalise(header);
    if key.is_empty() {
        return None;
    }
    if let Some(f) = fields(entity).iter().copied().find(|f| normalise(f) == key) {
        return Some((f, MatchedBy::Exact));
    }
    ALIASES
        .iter()
        .find(|(_, words)| words.iter().any(|w| normalise(w) == key))
        .and_then(|(meaning, _)| resolve(entity, meaning))
        .map(|f| (f, MatchedBy::Alias))
}

/// Checks a field name given by the user (`--columns`, `--map`); `-` means skip.
fn user_field(
    entity: Entity,
    given: &str,
    flag: &str,
) -> Result<Option<&'static str>, ImportError> {
    let g = given.trim();
    if g == "-" || g.is_empty() {
        return Ok(None);
    }
    fields(entity)
        .iter()
        .copied()
        .find(|f| *f == g || normalise(f) == normalise(g))
        .map(Some)
        .ok_or_else(|| {
            ImportError::Columns(format!(
                "{flag}: '{g}' is not a {} field (fields: {}; '-' skips a column)",
                entity.as_str(),
                fields(entity).join(", ")
            ))
        })
}

/// Matches the file's columns to fields.
///
/// * `header`: the file's header row, if it has one.
/// * `columns`: `--columns`, the field of each column by position (`-` skips); wins over the
///   header, which is then only skipped.
/// * `maps`: `--map COLUMN=FIELD` pairs, by header text; win over guessing.
pub fn map_columns(
    entity: Entity,
    header: Option<&[String]>,
    columns: Option<&[String]>,
    maps: &[(String, String)],
) -> Result<Mapping, ImportError> {
    let cols = match (header, columns) {
        (_, Some(cols)) => {
            if !maps.is_empty() {
                return Err(ImportError::Columns(
                    "--map and --columns cannot be combined: --columns already names every column".into(),
                ));
            }
            by_position(entity, header, cols)?
        }
        (Some(h), None) => by_header(entity, h, maps)?,
        (None, None) => {
            return Err(ImportError::Columns(format!(
                "without a header row, name the columns in order with --columns (e.g. --columns {}; '-' skips one)",
                fields(entity).iter().take(4).copied().collect::<Vec<_>>().join(",")
            )))
        }
    };
    let mapping = Mapping {
        entity,
        columns: cols,
    };
    check_duplicates(&mapping)?;
    check_required(&mapping)?;
    Ok(mapping)
}

fn by_position(
    entity: Entity,
    header: Option<&[String]>,
    cols: &[String],
) -> Result<Vec<ColumnMapping>, ImportError> {
    if cols.is_empty() {
        return Err(ImportError::Columns("--columns is empty".into()));
    }
    cols.iter()
        .enumerate()
        .map(|(i, f)| {
            let field = user_field(entity, f, &format!("--columns (column {})", i + 1))?;
            let column = header
                .and_then(|h| h.get(i))
                .filter(|h| !h.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("column {}", i + 1));
            Ok(ColumnMapping {
                index: i,
                column,
                field,
                matched_by: MatchedBy::Columns,
            })
        })
        .collect()
}

fn by_header(
    entity: Entity,
    header: &[String],
    maps: &[(String, String)],
) -> Result<Vec<ColumnMapping>, ImportError> {
    // Resolve every --map to a column index first, so a typo is reported even when the
    // column would also have been guessed.
    let mut mapped: Vec<Option<Option<&'static str>>> = vec![None; header.len()];
    for (col, field) in maps {
        let c = col.trim();
        let idx = header
            .iter()
            .position(|h| h == c)
            .or_else(|| {
                header
                    .iter()
                    .position(|h| !h.is_empty() && normalise(h) == normalise(c))
            })
            .ok_or_else(|| {
                ImportError::Columns(format!(
                    "--map '{c}={field}': the file has no column '{c}' (columns: {})",
                    header.join(", ")
                ))
            })?;
        if mapped[idx].is_some() {
            return Err(ImportError::Columns(format!(
                "--map names column '{c}' twice"
            )));
        }
        mapped[idx] = Some(user_field(entity, field, &format!("--map '{c}={field}'"))?);
    }
    let mut out = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let (field, matched_by) = if let Some(f) = mapped[i] {
            (f, MatchedBy::Map)
        } else if h.trim().is_empty() {
            (None, MatchedBy::Blank)
        } else if let Some((f, how)) = guess(entity, h) {
            (Some(f), how)
        } else {
            unknown.push(format!("column {} '{h}'", i + 1));
            continue;
        };
        out.push(ColumnMapping {
            index: i,
            column: h.clone(),
            field,
            matched_by,
        });
    }
    if !unknown.is_empty() {
        let first = header
            .iter()
            .find(|h| !h.trim().is_empty() && guess(entity, h).is_none())
            .cloned()
            .unwrap_or_default();
        return Err(ImportError::Columns(format!(
            "unknown column{} {} for {}: map it with --map '{first}=FIELD' or skip it with --map '{first}=-' \
             (fields: {})",
            if unknown.len() > 1 { "s" } else { "" },
            unknown.join(", "),
            entity.as_str(),
            fields(entity).join(", ")
        )));
    }
    Ok(out)
}

fn check_duplicates(m: &Mapping) -> Result<(), ImportError> {
    for (i, a) in m.columns.iter().enumerate() {
        let Some(f) = a.field else { continue };
        if let Some(b) = m.columns[i + 1..].iter().find(|b| b.field == Some(f)) {
            return Err(ImportError::Columns(format!(
                "duplicate column: column {} '{}' and column {} '{}' both map to {f}; skip one with --map '{}=-' \
                 or map it to another field",
                a.index + 1,
                a.column,
                b.index + 1,
                b.column,
                b.column
            )));
        }
    }
    Ok(())
}

fn check_required(m: &Mapping) -> Result<(), ImportError> {
    let missing = |what: &str| {
        ImportError::Columns(format!(
            "{} files need {what}; no column maps to it (columns: {})",
            m.entity.as_str(),
            m.columns
                .iter()
                .map(|c| format!("{}→{}", c.column, c.field.unwrap_or("-")))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    match m.entity {
        Entity::Orders => {
            for f in ["customer_ref", "date"] {
                if !m.has(f) {
                    return Err(missing(f));
                }
            }
            if !m.has("amount") && !m.has("unit_price") {
                return Err(missing("amount or unit_price"));
            }
        }
        Entity::Contacts => {
            for f in ["customer_ref", "name"] {
                if !m.has(f) {
                    return Err(missing(f));
                }
            }
        }
        Entity::Customers => {
            if !m.has("name") && !m.has("ref") {
                return Err(missing("name or ref"));
            }
        }
        Entity::Products => {
            if !m.has("ref") && !m.has("name") {
                return Err(missing("ref or name"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn fields_of(m: &Mapping) -> Vec<Option<&'static str>> {
        m.columns.iter().map(|c| c.field).collect()
    }

    fn map(entity: Entity, header: &[&str]) -> Result<Mapping, ImportError> {
        map_columns(entity, Some(&s(header)), None, &[])
    }

    #[test]
    fn normalises_case_space_and_punctuation() {
        assert_eq!(normalise(" Birth Date "), "birthdate");
        assert_eq!(normalise("birth_date"), "birthdate");
        assert_eq!(normalise("E-Mail"), "email");
        assert_eq!(normalise("*姓名："), "姓名");
        assert_eq!(normalise("ＥＭＡＩＬ"), "email");
        assert_eq!(normalise("客户 编号"), "客户编号");
    }

    #[test]
    fn no_alias_means_two_things() {
        let mut seen = std::collections::HashMap::new();
        for (meaning, words) in ALIASES {
            for w in *words {
                if let Some(prev) = seen.insert(normalise(w), *meaning) {
                    panic!("alias '{w}' is listed for both {prev} and {meaning}");
                }
            }
        }
    }

    #[test]
    fn exact_field_names() {
        let m = map(Entity::Customers, CUSTOMER_FIELDS).expect("all fields");
        assert!(m.columns.iter().all(|c| c.matched_by == MatchedBy::Exact));
        assert_eq!(
            fields_of(&m),
            CUSTOMER_FIELDS.iter().map(|f| Some(*f)).collect::<Vec<_>>()
        );
        let m = map(Entity::Orders, &["Customer Ref", "DATE", "Amount"]).expect("orders");
        assert_eq!(
            fields_of(&m),
            vec![Some("customer_ref"), Some("date"), Some("amount")]
        );
    }

    #[test]
    fn aliases_in_four_languages() {
        let want = vec![
            Some("ref"),
            Some("name"),
            Some("phone"),
            Some("email"),
            Some("address"),
            Some("gender"),
            Some("birth_date"),
            Some("owner"),
            Some("tags"),
            Some("notes"),
        ];
        for header in [
            [
                "customer id",
                "Full Name",
                "Tel",
                "Mail",
                "Addr",
                "Sex",
                "Birthday",
                "Sales Rep",
                "Tag",
                "Remarks",
            ],
            [
                "客户编号",
                "姓名",
                "电话",
                "邮箱",
                "地址",
                "性别",
                "生日",
                "负责人",
                "标签",
                "备注",
            ],
            [
                "客戶編號",
                "客戶名稱",
                "電話",
                "電子郵件",
                "地址",
                "性別",
                "出生日期",
                "負責人",
                "標籤",
                "備註",
            ],
            [
                "고객번호",
                "이름",
                "전화",
                "이메일",
                "주소",
                "성별",
                "생년월일",
                "담당자",
                "태그",
                "메모",
            ],
        ] {
            let m = map(Entity::Customers, &header).expect("mapped");
            assert_eq!(fields_of(&m), want, "{header:?}");
            assert!(
                m.columns.iter().all(|c| c.matched_by == MatchedBy::Alias),
                "{m:?}"
            );
        }
        let m = map(
            Entity::Customers,
            &[
                "상호",
                "연락처",
                "휴대폰",
                "회사",
                "팩스",
                "출처",
                "비고",
                "단계",
            ],
        );
        // 연락처 and 휴대폰 are both the customer's phone: a duplicate the user must resolve.
        let e = m.expect_err("duplicate phone");
        assert!(e.to_string().contains("duplicate column"), "{e}");
        assert!(e.to_string().contains("휴대폰"), "{e}");

        let m = map(
            Entity::Orders,
            &[
                "订单号",
                "客户编号",
                "日期",
                "产品编号",
                "产品线",
                "数量",
                "单价",
                "金额",
                "币种",
            ],
        )
        .expect("orders zh");
        assert_eq!(
            fields_of(&m),
            [
                "order_ref",
                "customer_ref",
                "date",
                "product_ref",
                "product_line",
                "quantity",
                "unit_price",
                "amount",
                "currency"
            ]
            .map(Some)
            .to_vec()
        );
        let m = map(
            Entity::Orders,
            &[
                "주문번호",
                "고객번호",
                "주문일",
                "상품코드",
                "제품군",
                "수량",
                "단가",
                "금액",
                "통화",
            ],
        )
        .expect("orders ko");
        assert_eq!(m.column_of("currency"), Some(8));
        let m = map(
            Entity::Orders,
            &[
                "訂單號",
                "客戶編號",
                "訂單日期",
                "數量",
                "單價",
                "金額",
                "幣別",
            ],
        )
        .expect("orders tw");
        assert_eq!(m.column_of("unit_price"), Some(4));

        let m = map(
            Entity::Contacts,
            &[
                "客户编号",
                "联系人",
                "职务",
                "手机",
                "电话",
                "爱好",
                "生日",
                "结婚纪念日",
            ],
        )
        .expect("contacts zh");
        assert_eq!(
            fields_of(&m),
            vec![
                Some("customer_ref"),
                Some("name"),
                Some("title"),
                Some("mobile"),
                Some("phone"),
                Some("hobbies"),
                Some("birthday"),
                Some("wedding_anniversary")
            ]
        );
        let m = map(
            Entity::Contacts,
            &["고객번호", "이름", "직함", "취미", "결혼기념일"],
        )
        .expect("contacts ko");
        assert_eq!(m.column_of("wedding_anniversary"), Some(4));
        let m =
            map(Entity::Products, &["商品編號", "品名", "產品線", "單價"]).expect("products tw");
        assert_eq!(
            fields_of(&m),
            vec![
                Some("ref"),
                Some("name"),
                Some("product_line"),
                Some("unit_price")
            ]
        );
    }

    #[test]
    fn map_wins_and_skips() {
        let maps = vec![
            ("电话".to_string(), "-".to_string()),
            ("Handy".to_string(), "phone".to_string()),
        ];
        let m = map_columns(
            Entity::Customers,
            Some(&s(&["姓名", "电话", "Handy"])),
            None,
            &maps,
        )
        .expect("mapped");
        assert_eq!(fields_of(&m), vec![Some("name"), None, Some("phone")]);
        assert_eq!(m.columns[1].matched_by, MatchedBy::Map);
        assert_eq!(m.columns[2].matched_by, MatchedBy::Map);
    }

    #[test]
    fn map_errors() {
        let h = s(&["姓名", "电话"]);
        let e = map_columns(
            Entity::Customers,
            Some(&h),
            None,
            &[("手机".into(), "phone".into())],
        )
        .expect_err("no col");
        assert!(e.to_string().contains("no column '手机'"), "{e}");
        let e = map_columns(
            Entity::Customers,
            Some(&h),
            None,
            &[("电话".into(), "mobile".into())],
        )
        .expect_err("field");
        assert!(
            e.to_string().contains("'mobile' is not a customers field"),
            "{e}"
        );
    }

    #[test]
    fn unknown_column_suggests_map() {
        let e = map(Entity::Customers, &["姓名", "微信号", "电话"]).expect_err("unknown");
        let msg = e.to_string();
        assert!(matches!(e, ImportError::Columns(_)));
        assert!(msg.contains("column 2 '微信号'"), "{msg}");
        assert!(
            msg.contains("--map '微信号=FIELD'") && msg.contains("--map '微信号=-'"),
            "{msg}"
        );
        // A blank header cell is ignored rather than an error.
        let m = map(Entity::Customers, &["姓名", ""]).expect("blank ok");
        assert_eq!(m.columns[1].matched_by, MatchedBy::Blank);
    }

    #[test]
    fn duplicate_columns() {
        let e = map(Entity::Customers, &["name", "姓名"]).expect_err("dup");
        assert!(
            e.to_string()
                .contains("duplicate column: column 1 'name' and column 2 '姓名' both map to name"),
            "{e}"
        );
    }

    #[test]
    fn columns_by_position() {
        let cols = s(&["customer_ref", "-", "date", "quantity", "amount"]);
        let m = map_columns(Entity::Orders, None, Some(&cols), &[]).expect("columns");
        assert_eq!(
            fields_of(&m),
            vec![
                Some("customer_ref"),
                None,
                Some("date"),
                Some("quantity"),
                Some("amount")
            ]
        );
        assert_eq!(m.columns[1].column, "column 2");
        assert!(m.columns.iter().all(|c| c.matched_by == MatchedBy::Columns));
        let e = map_columns(
            Entity::Orders,
            None,
            Some(&s(&["customer_ref", "dat"])),
            &[],
        )
        .expect_err("bad field");
        assert!(e.to_string().contains("'dat' is not a orders field"), "{e}");
        let e = map_columns(
            Entity::Orders,
            None,
            Some(&s(&["customer_ref", "date", "amount", "date"])),
            &[],
        )
        .expect_err("dup");
        assert!(e.to_string().contains("duplicate column"), "{e}");
    }

    #[test]
    fn no_header_needs_columns() {
        let e = map_columns(Entity::Orders, None, None, &[]).expect_err("needs columns");
        assert!(e.to_string().contains("--columns"), "{e}");
    }

    #[test]
    fn required_fields() {
        for (entity, header, what) in [
            (Entity::Orders, &["customer_ref", "amount"][..], "date"),
            (
                Entity::Orders,
                &["customer_ref", "date", "quantity"][..],
                "amount or unit_price",
            ),
            (Entity::Contacts, &["name", "phone"][..], "customer_ref"),
            (Entity::Customers, &["phone", "email"][..], "name or ref"),
            (Entity::Products, &["unit_price"][..], "ref or name"),
        ] {
            let e = map(entity, header).expect_err("missing");
            assert!(e.to_string().contains(&format!("need {what}")), "{e}");
        }
        assert!(map(Entity::Orders, &["customer_ref", "date", "unit_price"]).is_ok());
        assert!(map(Entity::Customers, &["ref"]).is_ok());
    }

    #[test]
    fn ambiguous_words_are_not_guessed_for_orders() {
        assert!(map(Entity::Orders, &["customer_ref", "date", "amount", "id"]).is_err());
        assert!(map(Entity::Customers, &["id", "name"]).is_ok());
    }
}
