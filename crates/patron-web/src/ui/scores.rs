//! The latest model scores (`patron model score`) as pages show them: percentages and money in
//! the reader's formats, an unknown value as nothing (the template shows a dash), never NaN.

use super::i18n::{self, Lang};
use patron_store::analytics::CustomerScore;
use serde_json::{json, Value};

/// One customer's scores for a template.
pub fn view(lang: Lang, s: &CustomerScore) -> Value {
    let cur = patron_core::Currency::parse("currency", &s.currency).unwrap_or_default();
    let scale = 10f64.powi(cur.minor_digits() as i32);
    let money =
        |v: Option<f64>| v.map(|v| i18n::money_parts(lang, (v * scale).round() as i64, &cur));
    json!({
        "p_alive": s.p_alive.map(|p| format!("{:.0}%", p * 100.0)),
        "expected_purchases": s.expected_purchases.map(|v| format!("{v:.1}")),
        "expected_spend": money(s.expected_spend),
        "clv": money(s.clv),
        "horizon_days": s.horizon_days,
        "as_of": i18n::date(lang, s.as_of),
    })
}
