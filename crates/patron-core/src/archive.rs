//! The archive's vocabularies (METHOD.md §0, §1, §2.5): customer kind, gender, lifecycle stage,
//! churn reasons, staff levels, interaction kinds, custom field types.
//!
//! Each enum has one stable English code (used in the API, the database and exports) and accepts
//! the words users of the four languages write in spreadsheets when parsed from text.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a code-backed enum with `as_str`, `ALL`, and a lenient `parse` that also accepts
/// aliases (case-insensitive) — one table per vocabulary instead of scattered matches.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $code:literal, { $($var:ident = $s:literal $(| $alias:literal)*),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),* }
            }
            /// Parses the code or any alias, ignoring case and surrounding space.
            pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
                let t = s.trim().to_lowercase();
                $(
                    if t == $s $(|| t == $alias)* { return Ok($name::$var); }
                )*
                Err(FieldError::new(field, $code, format!(
                    "'{}' is not one of: {}",
                    s.trim().chars().take(40).collect::<String>(),
                    [$($s),*].join(", ")
                )))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// A customer is a person or an organisation (shop, dealer, franchisee, company).
    CustomerKind, "invalid_kind", {
    Person = "person" | "individual" | "p" | "个人" | "個人" | "개인",
    Organisation = "organisation" | "organization" | "company" | "org" | "o" | "business"
        | "公司" | "企业" | "企業" | "单位" | "單位" | "组织" | "組織" | "회사" | "기업" | "법인" | "단체",
});

vocabulary!(Gender, "invalid_gender", {
    Female = "female" | "f" | "woman" | "女" | "여" | "여성" | "여자",
    Male = "male" | "m" | "man" | "男" | "남" | "남성" | "남자",
    Other = "other" | "x" | "其他" | "기타",
});

vocabulary!(
    /// METHOD §2.5: interested → contacted → customer → lost.
    LifecycleStage, "invalid_stage", {
    Interested = "interested" | "lead" | "prospect" | "感兴趣" | "感興趣" | "潜在" | "潛在" | "관심" | "잠재",
    Contacted = "contacted" | "已联系" | "已聯繫" | "已聯絡" | "접촉" | "연락됨",
    Customer = "customer" | "active" | "客户" | "客戶" | "顾客" | "顧客" | "고객",
    Lost = "lost" | "churned" | "流失" | "已流失" | "이탈",
});

vocabulary!(
    /// METHOD §0: the staff levels the visit policy is written for.
    StaffLevel, "invalid_staff_level", {
    SalesRepresentative = "sales_representative" | "sales" | "rep" | "销售人员" | "銷售人員" | "영업사원",
    BusinessManager = "business_manager" | "manager" | "业务经理" | "業務經理" | "영업관리자",
    MarketingDirector = "marketing_director" | "director" | "市场总监" | "市場總監" | "마케팅 이사",
    GeneralManager = "general_manager" | "gm" | "vp" | "总经理" | "總經理" | "사장",
    Administrator = "administrator" | "admin" | "管理员" | "管理員" | "관리자",
});

vocabulary!(
    /// METHOD §1 service record and §3.3 keeping in touch.
    InteractionKind, "invalid_interaction_kind", {
    Visit = "visit" | "拜访" | "拜訪" | "방문",
    Call = "call" | "phone" | "电话" | "電話" | "전화",
    Consultation = "consultation" | "咨询" | "諮詢" | "상담",
    Letter = "letter" | "信" | "信函" | "편지",
    Card = "card" | "贺卡" | "賀卡" | "카드",
    Gift = "gift" | "礼品" | "禮品" | "선물",
    Questionnaire = "questionnaire" | "survey" | "问卷" | "调查问卷" | "問卷" | "調查問卷" | "설문" | "설문지",
    Meeting = "meeting" | "会议" | "會議" | "미팅" | "회의",
    Delivery = "delivery" | "送货" | "送貨" | "배송",
    Installation = "installation" | "安装" | "安裝" | "설치",
    Other = "other" | "其他" | "기타",
});

vocabulary!(CustomFieldType, "invalid_field_type", {
    Text = "text",
    Number = "number",
    Date = "date",
    Choice = "choice",
});

/// The default churn reasons of METHOD §2.5 (a customer-loss survey): code, English label and the
/// share the method measured, in percent. The list is editable in the database; these seed it.
pub const DEFAULT_CHURN_REASONS: &[(&str, &str, u32)] = &[
    (
        "supplier_problems",
        "Our own problems (service, quality, delivery)",
        70,
    ),
    ("better_product", "Found a better product elsewhere", 13),
    ("bankruptcy_relocation", "Bankruptcy or relocation", 15),
    ("other", "Other", 2),
];

/// METHOD §1: an organisation should have at least this many key persons on file.
pub const MIN_KEY_PERSONS: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_aliases() {
        assert_eq!(
            CustomerKind::parse("kind", "Company"),
            Ok(CustomerKind::Organisation)
        );
        assert_eq!(
            CustomerKind::parse("kind", "个人"),
            Ok(CustomerKind::Person)
        );
        assert_eq!(
            LifecycleStage::parse("stage", "고객"),
            Ok(LifecycleStage::Customer)
        );
        assert_eq!(Gender::parse("gender", "女"), Ok(Gender::Female));
        let e = LifecycleStage::parse("stage", "nope").expect_err("nope");
        assert_eq!(e.field, "stage");
        assert!(e.message.contains("interested, contacted, customer, lost"));
    }

    #[test]
    fn codes_round_trip() {
        for k in InteractionKind::ALL {
            assert_eq!(InteractionKind::parse("k", k.as_str()), Ok(*k));
        }
        for k in StaffLevel::ALL {
            assert_eq!(StaffLevel::parse("k", k.as_str()), Ok(*k));
        }
    }
}
