//! Satisfaction surveys (METHOD §5): a questionnaire asks, per aspect (product, service,
//! delivery, price, …), what the customer expected and what they got, on a 1–5 scale; then
//! "would you praise us to others", "did you ask for us by name", and free text.
//!
//! Satisfaction is the gap between the two: perceived below expected is dissatisfied, equal is
//! basically satisfied, above is very satisfied. So that survey answers and staff ratings place
//! a customer in the same loyalty matrix (§2.3), an answer becomes a satisfaction score of
//! `3 + (perceived − expected)`, clamped to 1–5: 3 is "basically satisfied" on both scales.
//!
//! Pure rules only; the store keeps questionnaires and answers.

use crate::classify::matrix::{MAX_SCORE, MIN_SCORE, SATISFIED_FROM};
use crate::validation::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest title or aspect label, in characters.
pub const MAX_LABEL: usize = 200;
/// The longest introduction, in characters.
pub const MAX_INTRO: usize = 2000;
/// The longest free-text answer, in characters.
pub const MAX_COMMENT: usize = 4000;
/// At most this many aspects per questionnaire (a survey a customer finishes).
pub const MAX_ASPECTS: usize = 12;
/// The languages a questionnaire is written in and a public form is shown in.
pub const LANGUAGES: [&str; 4] = ["en", "zh-CN", "zh-TW", "ko"];
/// Aspect codes whose answers place the customer in the loyalty matrix.
pub const MATRIX_ASPECTS: [&str; 2] = ["product", "service"];

/// One text in the four languages of the UI; English is required and stands in for a
/// language left empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Texts {
    pub en: String,
    #[serde(default, rename = "zh-CN")]
    pub zh_cn: String,
    #[serde(default, rename = "zh-TW")]
    pub zh_tw: String,
    #[serde(default)]
    pub ko: String,
}

impl Texts {
    /// The text in `lang` (`en`, `zh-CN`, `zh-TW`, `ko`), else the English.
    pub fn get(&self, lang: &str) -> &str {
        let t = self.get_exact(lang);
        if t.trim().is_empty() {
            &self.en
        } else {
            t
        }
    }

    /// The text in `lang` as written (empty when not translated).
    pub fn get_exact(&self, lang: &str) -> &str {
        match lang {
            "zh-CN" => &self.zh_cn,
            "zh-TW" => &self.zh_tw,
            "ko" => &self.ko,
            _ => &self.en,
        }
    }

    fn trimmed(&self) -> Texts {
        Texts {
            en: self.en.trim().to_owned(),
            zh_cn: self.zh_cn.trim().to_owned(),
            zh_tw: self.zh_tw.trim().to_owned(),
            ko: self.ko.trim().to_owned(),
        }
    }

    fn check(&self, field: &str, max: usize, errors: &mut ValidationErrors) {
        if self.en.trim().is_empty() {
            errors.push(FieldError::new(
                &format!("{field}.en"),
                "required",
                "the English text is required",
            ));
        }
        for (lang, t) in [
            ("en", &self.en),
            ("zh-CN", &self.zh_cn),
            ("zh-TW", &self.zh_tw),
            ("ko", &self.ko),
        ] {
            if t.trim().chars().count() > max {
                errors.push(FieldError::new(
                    &format!("{field}.{lang}"),
                    "too_long",
                    format!("at most {max} characters"),
                ));
            }
        }
    }
}

/// One aspect asked about: a short code (`product`, `service`, `delivery`, `price`, or a
/// shop's own) and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AspectDef {
    pub code: String,
    pub label: Texts,
}

/// A questionnaire as defined by staff. (The API's request body, `SurveyInput` in the web layer,
/// refuses unknown fields; this type does not, so a kept survey can carry more fields in its
/// description.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SurveyDef {
    pub title: Texts,
    #[serde(default)]
    pub intro: Texts,
    pub aspects: Vec<AspectDef>,
    /// Whether new answers and links may be made for it (old answers stay).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl SurveyDef {
    /// The method's default questionnaire: product, service, delivery and price.
    pub fn method_default() -> SurveyDef {
        let t = |en: &str, zh_cn: &str, zh_tw: &str, ko: &str| Texts {
            en: en.into(),
            zh_cn: zh_cn.into(),
            zh_tw: zh_tw.into(),
            ko: ko.into(),
        };
        let a = |code: &str, label: Texts| AspectDef {
            code: code.into(),
            label,
        };
        SurveyDef {
            title: t(
                "Customer satisfaction survey",
                "客户满意度调查",
                "客戶滿意度調查",
                "고객 만족도 조사",
            ),
            intro: t(
                "Tell us what you expected from us and what you got. It takes two minutes.",
                "请告诉我们您的期望和实际感受，只需两分钟。",
                "請告訴我們您的期望和實際感受，只需兩分鐘。",
                "기대하신 것과 실제로 받으신 것을 알려 주세요. 2분이면 됩니다.",
            ),
            aspects: vec![
                a("product", t("Product", "产品", "產品", "제품")),
                a("service", t("Service", "服务", "服務", "서비스")),
                a("delivery", t("Delivery", "送货", "送貨", "배송")),
                a("price", t("Price", "价格", "價格", "가격")),
            ],
            active: true,
        }
    }

    /// Trims every text and checks the definition; errors name the field (`title.en`,
    /// `aspects[1].code`).
    pub fn normalized(&self) -> Result<SurveyDef, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let def = SurveyDef {
            title: self.title.trimmed(),
            intro: self.intro.trimmed(),
            aspects: self
                .aspects
                .iter()
                .map(|a| AspectDef {
                    code: a.code.trim().to_owned(),
                    label: a.label.trimmed(),
                })
                .collect(),
            active: self.active,
        };
        def.title.check("title", MAX_LABEL, &mut errors);
        for (lang, t) in [
            ("en", &def.intro.en),
            ("zh-CN", &def.intro.zh_cn),
            ("zh-TW", &def.intro.zh_tw),
            ("ko", &def.intro.ko),
        ] {
            if t.chars().count() > MAX_INTRO {
                errors.push(FieldError::new(
                    &format!("intro.{lang}"),
                    "too_long",
                    format!("at most {MAX_INTRO} characters"),
                ));
            }
        }
        if def.aspects.is_empty() {
            errors.push(FieldError::new(
                "aspects",
                "required",
                "a survey asks about at least one aspect",
            ));
        }
        if def.aspects.len() > MAX_ASPECTS {
            errors.push(FieldError::new(
                "aspects",
                "too_many",
                format!("at most {MAX_ASPECTS} aspects"),
            ));
        }
        for (i, a) in def.aspects.iter().enumerate() {
            if !valid_code(&a.code) {
                errors.push(FieldError::new(
                    &format!("aspects[{i}].code"),
                    "invalid",
                    "a code is 1–40 lower-case letters, digits or underscores",
                ));
            } else if def.aspects[..i].iter().any(|b| b.code == a.code) {
                errors.push(FieldError::new(
                    &format!("aspects[{i}].code"),
                    "duplicate",
                    format!("the aspect {} is asked twice", a.code),
                ));
            }
            a.label
                .check(&format!("aspects[{i}].label"), MAX_LABEL, &mut errors);
        }
        errors.into_result(def)
    }
}

/// How satisfied an answer (or a staff rating) says the customer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Dissatisfied,
    BasicallySatisfied,
    VerySatisfied,
}

impl Level {
    pub const ALL: [Level; 3] = [
        Level::Dissatisfied,
        Level::BasicallySatisfied,
        Level::VerySatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Dissatisfied => "dissatisfied",
            Level::BasicallySatisfied => "basically_satisfied",
            Level::VerySatisfied => "very_satisfied",
        }
    }

    /// The level of a perceived result against the expectation.
    pub fn of_gap(expected: u8, perceived: u8) -> Level {
        match perceived.cmp(&expected) {
            std::cmp::Ordering::Less => Level::Dissatisfied,
            std::cmp::Ordering::Equal => Level::BasicallySatisfied,
            std::cmp::Ordering::Greater => Level::VerySatisfied,
        }
    }

    /// The level of a 1–5 satisfaction score (a staff rating, or [`score_of`] an answer).
    pub fn of_score(score: u8) -> Level {
        if score < SATISFIED_FROM {
            Level::Dissatisfied
        } else if score == SATISFIED_FROM {
            Level::BasicallySatisfied
        } else {
            Level::VerySatisfied
        }
    }
}

/// The 1–5 satisfaction score of an answer: 3 when the result met the expectation, one point
/// per step above or below it.
pub fn score_of(expected: u8, perceived: u8) -> u8 {
    let s = i16::from(SATISFIED_FROM) + i16::from(perceived) - i16::from(expected);
    let clamped = s.clamp(i16::from(MIN_SCORE), i16::from(MAX_SCORE));
    u8::try_from(clamped).unwrap_or(SATISFIED_FROM)
}

/// What the customer answered about one aspect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AspectAnswer {
    pub aspect: String,
    /// 1 (expected little) to 5 (expected much).
    pub expected: u8,
    /// 1 (got little) to 5 (got much).
    pub perceived: u8,
}

/// The answers to one questionnaire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    #[serde(default)]
    pub aspects: Vec<AspectAnswer>,
    /// "Would you praise us to others?"
    #[serde(default)]
    pub would_praise: Option<bool>,
    /// "Did you ask for us by name?"
    #[serde(default)]
    pub asked_by_name: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

impl Answers {
    /// Checks the answers against the questionnaire: known aspects, each at most once, scores
    /// 1–5, something answered, the comment not too long. Errors name the field
    /// (`aspects[0].expected`, `comment`).
    pub fn normalized(&self, def: &SurveyDef) -> Result<Answers, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut out = Answers {
            aspects: Vec::new(),
            would_praise: self.would_praise,
            asked_by_name: self.asked_by_name,
            comment: self
                .comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        };
        for (i, a) in self.aspects.iter().enumerate() {
            let code = a.aspect.trim();
            if !def.aspects.iter().any(|d| d.code == code) {
                errors.push(FieldError::new(
                    &format!("aspects[{i}].aspect"),
                    "unknown",
                    format!("the survey does not ask about {code}"),
                ));
                continue;
            }
            if out.aspects.iter().any(|b| b.aspect == code) {
                errors.push(FieldError::new(
                    &format!("aspects[{i}].aspect"),
                    "duplicate",
                    format!("{code} is answered twice"),
                ));
                continue;
            }
            for (name, v) in [("expected", a.expected), ("perceived", a.perceived)] {
                if !(MIN_SCORE..=MAX_SCORE).contains(&v) {
                    errors.push(FieldError::new(
                        &format!("aspects[{i}].{name}"),
                        "out_of_range",
                        format!("a score runs from {MIN_SCORE} to {MAX_SCORE}"),
                    ));
                }
            }
            out.aspects.push(AspectAnswer {
                aspect: code.to_owned(),
                expected: a.expected,
                perceived: a.perceived,
            });
        }
        if out
            .comment
            .as_deref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT)
        {
            errors.push(FieldError::new(
                "comment",
                "too_long",
                format!("at most {MAX_COMMENT} characters"),
            ));
        }
        if out.aspects.is_empty()
            && out.would_praise.is_none()
            && out.asked_by_name.is_none()
            && out.comment.is_none()
        {
            errors.push(FieldError::new(
                "aspects",
                "required",
                "answer at least one question",
            ));
        }
        errors.into_result(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(aspect: &str, expected: u8, perceived: u8) -> AspectAnswer {
        AspectAnswer {
            aspect: aspect.into(),
            expected,
            perceived,
        }
    }

    #[test]
    fn the_gap_decides_the_level_and_the_score() {
        assert_eq!(Level::of_gap(4, 3), Level::Dissatisfied);
        assert_eq!(Level::of_gap(4, 4), Level::BasicallySatisfied);
        assert_eq!(Level::of_gap(2, 5), Level::VerySatisfied);
        assert_eq!(score_of(4, 4), 3);
        assert_eq!(score_of(5, 1), 1);
        assert_eq!(score_of(1, 5), 5);
        assert_eq!(score_of(3, 4), 4);
        for e in 1..=5 {
            for p in 1..=5 {
                assert_eq!(Level::of_score(score_of(e, p)), Level::of_gap(e, p));
            }
        }
    }

    #[test]
    fn a_definition_needs_english_and_distinct_codes() {
        assert!(SurveyDef::method_default().normalized().is_ok());
        let mut d = SurveyDef::method_default();
        d.title.en = " ".into();
        d.aspects[1].code = "product".into();
        d.aspects[2].code = "Delivery!".into();
        let e = d.normalized().expect_err("invalid");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title.en", "aspects[1].code", "aspects[2].code"],
            "{e:?}"
        );
        d.aspects.clear();
        d.title.en = "t".into();
        assert_eq!(
            d.normalized().expect_err("no aspects").0[0].field,
            "aspects"
        );
    }

    #[test]
    fn texts_fall_back_to_english() {
        let d = SurveyDef::method_default();
        assert_eq!(d.aspects[0].label.get("zh-CN"), "产品");
        let t = Texts {
            en: "Hi".into(),
            ..Texts::default()
        };
        assert_eq!(t.get("ko"), "Hi");
    }

    #[test]
    fn answers_are_checked_against_the_questionnaire() {
        let d = SurveyDef::method_default();
        let ok = Answers {
            aspects: vec![answer(" product ", 4, 5)],
            would_praise: Some(true),
            comment: Some("  ".into()),
            ..Answers::default()
        }
        .normalized(&d)
        .expect("valid");
        assert_eq!(ok.aspects[0].aspect, "product");
        assert_eq!(ok.comment, None);
        let bad = Answers {
            aspects: vec![
                answer("product", 0, 3),
                answer("product", 3, 3),
                answer("colour", 3, 3),
            ],
            ..Answers::default()
        }
        .normalized(&d)
        .expect_err("invalid");
        let fields: Vec<&str> = bad.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "aspects[0].expected",
                "aspects[1].aspect",
                "aspects[2].aspect"
            ]
        );
        let empty = Answers::default().normalized(&d).expect_err("nothing");
        assert_eq!(empty.0[0].code, "required");
    }
}
