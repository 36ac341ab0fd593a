//! Classes (METHOD §2) as pages show them: every explanation rendered from the numbers the run
//! kept ([`AbcReason`], [`LoyaltyReason`], [`Rfm`]) in the reader's language, money and number
//! formats — the web counterpart of the core's English `describe`.

use super::i18n::{self, Lang};
use fluent_bundle::FluentValue;
use patron_core::classify::{AbcClass, AbcReason, AbcRule, Dimension, Loyalty, LoyaltyReason, Rfm};
use patron_core::{Currency, UserId};
use patron_store::classes::{ClassChange, CustomerClasses};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Class changes the customer page lists (newest first); the rest are counted.
const HISTORY_SHOWN: usize = 12;

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn growth(lang: Lang, g: Option<f64>) -> String {
    match g {
        Some(g) if g.is_finite() => format!("{:+.0}%", g * 100.0),
        _ => i18n::tr(lang, "abc-growth-na", &[]),
    }
}

fn s(v: String) -> FluentValue<'static> {
    FluentValue::from(v)
}

/// "A: 12-month revenue ¥182,340.00, rank 41 of 1,204, cumulative share 61%" in `lang`.
pub fn abc_why(lang: Lang, class: AbcClass, r: &AbcReason, currency: &Currency) -> String {
    let months = FluentValue::from(i64::from(r.window_months));
    let mut parts: Vec<String> = Vec::new();
    if r.rule == AbcRule::NoRevenue {
        parts.push(i18n::tr(
            lang,
            "abc-why-no-revenue",
            &[("months", months.clone())],
        ));
    } else {
        if r.rule == AbcRule::Growth {
            if let Some([last, before]) = r.growth {
                parts.push(i18n::tr(
                    lang,
                    "abc-why-growth",
                    &[
                        ("last", s(growth(lang, last))),
                        ("before", s(growth(lang, before))),
                    ],
                ));
            }
        }
        parts.push(i18n::tr(
            lang,
            "abc-why-revenue",
            &[
                ("months", months.clone()),
                (
                    "revenue",
                    s(i18n::money_parts(lang, r.revenue_minor, currency)),
                ),
            ],
        ));
        if let Some(rank) = r.rank {
            parts.push(i18n::tr(
                lang,
                "abc-why-rank",
                &[
                    ("rank", s(i18n::group(rank))),
                    ("ranked", s(i18n::group(r.ranked))),
                ],
            ));
        }
        if let Some(c) = r.cumulative_share {
            parts.push(i18n::tr(lang, "abc-why-share", &[("share", s(pct(c)))]));
        }
    }
    format!(
        "{}: {}",
        class.as_str(),
        parts.join(&i18n::tr(lang, "abc-why-sep", &[]))
    )
}

/// The behaviour a loyalty class was derived from: "5 purchase days, 2.5 a year, last purchase
/// 12 days ago" (without any override).
pub fn loyalty_why(lang: Lang, r: &LoyaltyReason) -> String {
    match r.days_since_last {
        None => i18n::tr(lang, "loyalty-why-none", &[]),
        Some(since) => i18n::tr(
            lang,
            "loyalty-why",
            &[
                ("days", s(i18n::number(r.days))),
                (
                    "per_year",
                    s(format!("{:.1}", r.days_per_year.unwrap_or(0.0))),
                ),
                ("since", s(i18n::number(since))),
            ],
        ),
    }
}

/// The name of a class of a dimension in `lang` (`none` and unknown values: "not classified").
pub fn class_label(lang: Lang, dim: Dimension, class: Option<&str>) -> String {
    let Some(c) = class.filter(|c| *c != "none") else {
        return i18n::tr(lang, "class-none", &[]);
    };
    let key = match dim {
        Dimension::Abc => return c.to_owned(),
        Dimension::Loyalty => format!("loyalty-{c}"),
        Dimension::Rfm => format!("segment-{c}"),
    };
    let label = i18n::tr(lang, &key, &[]);
    if label == key {
        c.to_owned()
    } else {
        label
    }
}

/// The RFM values in words: "last purchase 12 days ago, 5 purchase days, revenue $1,200.00".
pub fn rfm_values(lang: Lang, r: &Rfm, currency: &Currency) -> String {
    i18n::tr(
        lang,
        "rfm-values",
        &[
            ("recency", s(i18n::number(r.recency_days))),
            ("frequency", s(i18n::number(r.frequency))),
            (
                "monetary",
                s(i18n::money_parts(lang, r.monetary_minor, currency)),
            ),
        ],
    )
}

fn currency_of(c: &CustomerClasses) -> Currency {
    Currency::parse("currency", &c.currency).unwrap_or_default()
}

/// A customer's classes and class history for the customer page.
pub fn customer_view(
    lang: Lang,
    c: &CustomerClasses,
    history: &[ClassChange],
    names: &HashMap<UserId, String>,
) -> Value {
    let cur = currency_of(c);
    // Who set the override in force: the latest change of loyalty made by a user.
    let overrider = history
        .iter()
        .find(|h| h.dimension == Dimension::Loyalty && h.user_id.is_some())
        .and_then(|h| h.user_id)
        .and_then(|u| names.get(&u));
    let override_text = c.loyalty_reason.override_reason.as_ref().map(|why| {
        let why = s(why.clone());
        match overrider {
            Some(who) => i18n::tr(
                lang,
                "loyalty-overridden",
                &[("who", s(who.clone())), ("reason", why)],
            ),
            None => i18n::tr(lang, "loyalty-overridden-anon", &[("reason", why)]),
        }
    });
    let derived = i18n::tr(
        lang,
        "loyalty-derived",
        &[
            (
                "class",
                s(class_label(
                    lang,
                    Dimension::Loyalty,
                    Some(c.derived_loyalty.as_str()),
                )),
            ),
            ("why", s(loyalty_why(lang, &c.loyalty_reason))),
        ],
    );
    let rfm = c.rfm.as_ref().map(|r| {
        json!({
            "segment": r.segment.as_str(),
            "label": class_label(lang, Dimension::Rfm, Some(r.segment.as_str())),
            "scores": i18n::tr(lang, "rfm-scores", &[
                ("r", FluentValue::from(i64::from(r.r))),
                ("f", FluentValue::from(i64::from(r.f))),
                ("m", FluentValue::from(i64::from(r.m))),
            ]),
            "values": rfm_values(lang, r, &cur),
        })
    });
    let changes: Vec<Value> = history
        .iter()
        .take(HISTORY_SHOWN)
        .map(|h| {
            json!({
                "date": i18n::date(lang, h.as_of),
                "dimension": h.dimension.as_str(),
                "old": class_label(lang, h.dimension, h.old_class.as_deref()),
                "new": class_label(lang, h.dimension, Some(&h.new_class)),
                "who": h.user_id.map(|u| names.get(&u).cloned().unwrap_or_else(|| format!("#{}", u.0))),
            })
        })
        .collect();
    json!({
        "abc": c.abc.as_str(),
        "abc_why": abc_why(lang, c.abc, &c.abc_reason, &cur),
        "loyalty": c.loyalty.as_str(),
        "loyalty_label": class_label(lang, Dimension::Loyalty, Some(c.loyalty.as_str())),
        "loyalty_why": loyalty_why(lang, &c.loyalty_reason),
        "overridden": c.loyalty_overridden,
        "override_text": override_text,
        "derived": derived,
        "rfm": rfm,
        "as_of": i18n::date(lang, c.as_of),
        "classified_at": i18n::datetime(lang, c.classified_at),
        "history": changes,
        "history_more": history.len().saturating_sub(HISTORY_SHOWN),
    })
}

/// The columns of the customer list: ABC class and RFM segment.
pub fn list_view(lang: Lang, c: &CustomerClasses) -> Value {
    json!({
        "abc": c.abc.as_str(),
        "segment": c.rfm.as_ref().map(|r| r.segment.as_str()),
        "segment_label": c.rfm.as_ref().map(|r| class_label(lang, Dimension::Rfm, Some(r.segment.as_str()))),
        "loyalty_label": class_label(lang, Dimension::Loyalty, Some(c.loyalty.as_str())),
    })
}

/// Every loyalty class with its label (the override form's choices, the list filter).
pub fn loyalty_choices(lang: Lang) -> Vec<Value> {
    Loyalty::ALL
        .iter()
        .map(|l| json!({"value": l.as_str(), "label": class_label(lang, Dimension::Loyalty, Some(l.as_str()))}))
        .collect()
}

/// Every RFM segment with its label.
pub fn segment_choices(lang: Lang) -> Vec<Value> {
    patron_core::classify::RfmSegment::ALL
        .iter()
        .map(|x| json!({"value": x.as_str(), "label": class_label(lang, Dimension::Rfm, Some(x.as_str()))}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::classify::AbcMethod;

    fn reason(rule: AbcRule) -> AbcReason {
        AbcReason {
            rule,
            method: AbcMethod::RevenueShare,
            window_months: 12,
            revenue_minor: 18_234_000,
            rank: Some(41),
            ranked: 1204,
            cumulative_share: Some(0.61),
            growth: Some([Some(0.14), Some(0.12)]),
        }
    }

    #[test]
    fn abc_explanations_in_each_language() {
        let cny = Currency::parse("c", "CNY").expect("cny");
        let r = reason(AbcRule::RevenueShare);
        assert_eq!(
            abc_why(Lang::En, AbcClass::A, &r, &cny),
            "A: 12-month revenue CNY 182,340.00, rank 41 of 1,204, cumulative share 61%"
        );
        let zh = abc_why(Lang::ZhCn, AbcClass::A, &r, &cny);
        assert!(zh.starts_with("A: ") && zh.contains("¥182,340.00"), "{zh}");
        assert!(zh.contains("1,204") && zh.contains("61%"), "{zh}");
        let g = abc_why(Lang::En, AbcClass::B, &reason(AbcRule::Growth), &cny);
        assert!(
            g.contains("sales grew +14% last year and +12% the year before"),
            "{g}"
        );
        let none = abc_why(Lang::En, AbcClass::C, &reason(AbcRule::NoRevenue), &cny);
        assert_eq!(none, "C: no revenue in the last 12 months");
        for l in Lang::ALL {
            let text = abc_why(l, AbcClass::A, &r, &cny);
            assert!(!text.contains("abc-why"), "{text}");
        }
    }

    #[test]
    fn labels_of_classes() {
        assert_eq!(
            class_label(Lang::En, Dimension::Rfm, Some("champions")),
            "Champions"
        );
        assert_eq!(
            class_label(Lang::En, Dimension::Rfm, Some("none")),
            class_label(Lang::En, Dimension::Abc, None)
        );
        assert_eq!(class_label(Lang::Ko, Dimension::Abc, Some("B")), "B");
        for l in Lang::ALL {
            for d in Dimension::ALL {
                for c in d.classes() {
                    let label = class_label(l, d, Some(c));
                    assert!(!label.contains('_') && !label.contains('-'), "{label}");
                }
            }
        }
    }
}
