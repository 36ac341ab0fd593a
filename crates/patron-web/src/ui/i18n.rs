//! The four languages of the method's texts (English, Simplified and Traditional Chinese,
//! Korean): Fluent message files embedded in the binary, language negotiation, and locale-aware
//! dates, numbers and money.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use patron_core::{Currency, Money};
use std::sync::OnceLock;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
    ZhTw,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::ZhCn, Lang::ZhTw, Lang::Ko];

    /// The BCP 47 tag (also the folder under `locales/` and the stored user setting).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, as the switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
            Lang::ZhTw => "繁體中文",
            Lang::Ko => "한국어",
        }
    }

    /// Parses a tag leniently: `zh-Hant`, `zh-HK` and `zh-TW` are Traditional Chinese; any other
    /// `zh` Simplified; `ko-KR` Korean; `en-GB` English.
    pub fn parse(tag: &str) -> Option<Lang> {
        let t = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = t.split('-');
        match parts.next()? {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                if rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"))
                {
                    Some(Lang::ZhTw)
                } else {
                    Some(Lang::ZhCn)
                }
            }
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (by q-value, then order).
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, item) in accept_language.split(',').enumerate() {
            let mut it = item.split(';');
            let tag = it.next().unwrap_or("");
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _, _)| q > bq) {
                    best = Some((q, i, l));
                }
            }
        }
        best.map(|b| b.2).unwrap_or_default()
    }

    /// The language's messages: one file per part of the product, so that parts can be
    /// translated (and written) independently; ids must be unique across the files.
    fn source(self) -> &'static str {
        match self {
            Lang::En => concat!(
                include_str!("../../locales/en/main.ftl"),
                "\n",
                include_str!("../../locales/en/after_sales.ftl"),
                "\n",
                include_str!("../../locales/en/key_accounts.ftl"),
                "\n",
                include_str!("../../locales/en/touch.ftl"),
                "\n",
                include_str!("../../locales/en/promotions.ftl"),
                "\n",
                include_str!("../../locales/en/plans.ftl"),
                "\n",
                include_str!("../../locales/en/complaints.ftl"),
                "\n",
                include_str!("../../locales/en/indicators.ftl"),
                "\n",
                include_str!("../../locales/en/surveys.ftl")
            ),
            Lang::ZhCn => concat!(
                include_str!("../../locales/zh-CN/main.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/after_sales.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/key_accounts.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/touch.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/promotions.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/plans.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/complaints.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/indicators.ftl"),
                "\n",
                include_str!("../../locales/zh-CN/surveys.ftl")
            ),
            Lang::ZhTw => concat!(
                include_str!("../../locales/zh-TW/main.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/after_sales.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/key_accounts.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/touch.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/promotions.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/plans.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/complaints.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/indicators.ftl"),
                "\n",
                include_str!("../../locales/zh-TW/surveys.ftl")
            ),
            Lang::Ko => concat!(
                include_str!("../../locales/ko/main.ftl"),
                "\n",
                include_str!("../../locales/ko/after_sales.ftl"),
                "\n",
                include_str!("../../locales/ko/key_accounts.ftl"),
                "\n",
                include_str!("../../locales/ko/touch.ftl"),
                "\n",
                include_str!("../../locales/ko/promotions.ftl"),
                "\n",
                include_str!("../../locales/ko/plans.ftl"),
                "\n",
                include_str!("../../locales/ko/complaints.ftl"),
                "\n",
                include_str!("../../locales/ko/indicators.ftl"),
                "\n",
                include_str!("../../locales/ko/surveys.ftl")
            ),
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::ZhCn => 1,
            Lang::ZhTw => 2,
            Lang::Ko => 3,
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Bundle; 4] {
    static B: OnceLock<[Bundle; 4]> = OnceLock::new();
    B.get_or_init(|| Lang::ALL.map(build_bundle))
}

/// Builds one language's bundle. The files are compiled in and checked by tests, so a parse
/// error here is a bug caught before release; the parts that did parse are still used.
fn build_bundle(lang: Lang) -> Bundle {
    let id: unic_langid::LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks: the HTML escaper handles bidi-free text fine, and the marks
    // would end up inside attributes and test assertions.
    b.set_use_isolating(false);
    let res = match FluentResource::try_new(lang.source().to_owned()) {
        Ok(r) => r,
        Err((r, errs)) => {
            tracing::error!(lang = lang.tag(), ?errs, "message file has errors");
            r
        }
    };
    if let Err(errs) = b.add_resource(res) {
        tracing::error!(lang = lang.tag(), ?errs, "message file has duplicate keys");
    }
    b
}

/// The message `key` in `lang` with `args`; a missing key falls back to English, then to the key
/// itself (and the message-file test fails long before a user could see that).
pub fn tr(lang: Lang, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let fargs = if args.is_empty() {
        None
    } else {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        Some(a)
    };
    for l in [lang, Lang::En] {
        let b = &bundles()[l.index()];
        if let Some(p) = b.get_message(key).and_then(|m| m.value()) {
            let mut errs = Vec::new();
            let s = b.format_pattern(p, fargs.as_ref(), &mut errs);
            if !errs.is_empty() {
                tracing::warn!(key, lang = l.tag(), ?errs, "message formatting");
            }
            return s.into_owned();
        }
    }
    key.to_owned()
}

/// Message ids of one language's file, for the completeness test.
pub fn message_ids(lang: Lang) -> Vec<String> {
    let res = match FluentResource::try_new(lang.source().to_owned()) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    res.entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// Whether a language's file parses without errors.
pub fn parses(lang: Lang) -> bool {
    FluentResource::try_new(lang.source().to_owned()).is_ok()
}

/// Groups thousands with commas — the convention of all four locales.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn number(n: i64) -> String {
    let g = group(n.unsigned_abs());
    if n < 0 {
        format!("-{g}")
    } else {
        g
    }
}

/// Money with its currency: symbol-first for the locale's own currency (¥, NT$, ₩, $),
/// the ISO code otherwise, so an amount is never ambiguous.
pub fn money(lang: Lang, m: &Money) -> String {
    money_parts(lang, m.amount_minor, &m.currency)
}

pub fn money_parts(lang: Lang, amount_minor: i64, currency: &Currency) -> String {
    let d = currency.minor_digits();
    let p = 10u64.pow(d);
    let a = amount_minor.unsigned_abs();
    let sign = if amount_minor < 0 { "-" } else { "" };
    let body = if d == 0 {
        group(a)
    } else {
        format!("{}.{:0w$}", group(a / p), a % p, w = d as usize)
    };
    let symbol = match (lang, currency.as_str()) {
        (Lang::ZhCn, "CNY") => Some("¥"),
        (Lang::ZhTw, "TWD") => Some("NT$"),
        (Lang::Ko, "KRW") => Some("₩"),
        (Lang::En, "USD") => Some("$"),
        (_, "EUR") => Some("€"),
        _ => None,
    };
    match symbol {
        Some(s) => format!("{sign}{s}{body}"),
        None => format!("{sign}{} {body}", currency.as_str()),
    }
}

/// A calendar date as the locale writes it.
pub fn date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::En => d.format("%-d %b %Y").to_string(),
        Lang::ZhCn | Lang::ZhTw => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::Ko => format!("{}년 {}월 {}일", d.year(), d.month(), d.day()),
    }
}

/// A month and day without the year (birthdays, anniversaries).
pub fn month_day(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::En => d.format("%-d %b").to_string(),
        Lang::ZhCn | Lang::ZhTw => format!("{}月{}日", d.month(), d.day()),
        Lang::Ko => format!("{}월 {}일", d.month(), d.day()),
    }
}

/// An instant (shown in UTC, marked as such).
pub fn datetime(lang: Lang, t: DateTime<Utc>) -> String {
    format!("{} {} UTC", date(lang, t.date_naive()), t.format("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_language_has_every_key_and_parses() {
        let en: BTreeSet<String> = message_ids(Lang::En).into_iter().collect();
        assert!(en.len() > 50, "{}", en.len());
        for l in Lang::ALL {
            assert!(parses(l), "{} does not parse", l.tag());
            let ids: Vec<String> = message_ids(l);
            let set: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(set.len(), ids.len(), "{} has duplicate keys", l.tag());
            let missing: Vec<&String> = en.difference(&set).collect();
            let extra: Vec<&String> = set.difference(&en).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", l.tag());
            assert!(
                extra.is_empty(),
                "{} has keys English lacks: {extra:?}",
                l.tag()
            );
        }
    }

    #[test]
    fn translations_differ_from_english() {
        for l in [Lang::ZhCn, Lang::ZhTw, Lang::Ko] {
            assert_ne!(
                tr(l, "nav-customers", &[]),
                tr(Lang::En, "nav-customers", &[])
            );
        }
        assert_eq!(tr(Lang::Ko, "nav-customers", &[]), "고객");
    }

    /// Every role, stage, customer kind and contact kind the domain knows has a label in every
    /// language, and the translations are not English left in place.
    #[test]
    fn every_vocabulary_label_is_translated() {
        use patron_core::{CustomerKind, InteractionKind, LifecycleStage, StaffLevel};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            StaffLevel::ALL
                .iter()
                .map(|l| format!("role-{}", l.as_str())),
        );
        keys.extend(
            LifecycleStage::ALL
                .iter()
                .map(|s| format!("stage-{}", s.as_str())),
        );
        keys.extend(
            CustomerKind::ALL
                .iter()
                .map(|k| format!("kind-{}", k.as_str())),
        );
        keys.extend(
            InteractionKind::ALL
                .iter()
                .map(|k| format!("interaction-{}", k.as_str())),
        );
        for l in Lang::ALL {
            let ids: BTreeSet<String> = message_ids(l).into_iter().collect();
            for k in &keys {
                assert!(ids.contains(k), "{} lacks {k}", l.tag());
                if l != Lang::En {
                    assert_ne!(tr(l, k, &[]), tr(Lang::En, k, &[]), "{} {k}", l.tag());
                }
            }
        }
    }

    #[test]
    fn negotiation() {
        assert_eq!(Lang::negotiate("ko-KR,ko;q=0.9,en;q=0.8"), Lang::Ko);
        assert_eq!(Lang::negotiate("zh-TW,zh;q=0.9"), Lang::ZhTw);
        assert_eq!(Lang::negotiate("zh-Hant-HK"), Lang::ZhTw);
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("fr-FR,de;q=0.5"), Lang::En);
        assert_eq!(Lang::negotiate("fr;q=1,ko;q=0.3,zh;q=0.5"), Lang::ZhCn);
        assert_eq!(Lang::negotiate(""), Lang::En);
    }

    #[test]
    fn formats() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 5).expect("date");
        assert_eq!(date(Lang::En, d), "5 Mar 2025");
        assert_eq!(date(Lang::ZhCn, d), "2025年3月5日");
        assert_eq!(date(Lang::Ko, d), "2025년 3월 5일");
        assert_eq!(number(-1234567), "-1,234,567");
        let cny = Currency::parse("c", "CNY").expect("cny");
        let krw = Currency::parse("c", "KRW").expect("krw");
        assert_eq!(money_parts(Lang::ZhCn, 123456, &cny), "¥1,234.56");
        assert_eq!(money_parts(Lang::En, 123456, &cny), "CNY 1,234.56");
        assert_eq!(money_parts(Lang::Ko, 1500000, &krw), "₩1,500,000");
    }
}
