//! Money is an integer count of minor units plus an ISO 4217 currency code — never a float, so
//! sums over ten million orders are exact.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An ISO 4217 code, upper case, three ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let t = s.trim();
        if t.len() == 3 && t.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(Self(t.to_ascii_uppercase()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_currency",
                format!(
                    "'{}' is not a three-letter ISO 4217 currency code",
                    short(t)
                ),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Digits after the decimal point. Currencies without minor units in practice (yen, won)
    /// are stored in whole units.
    pub fn minor_digits(&self) -> u32 {
        match self.0.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self("USD".into())
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Minor units (cents, fen, or whole won/yen).
    pub amount_minor: i64,
    pub currency: Currency,
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Parses a decimal amount as people type it into spreadsheets ("1,234.50", "¥ 88", "29.33",
/// "1.234,50") into minor units of `currency`. Rejects anything ambiguous rather than guess.
pub fn parse_amount(field: &str, s: &str, currency: &Currency) -> Result<i64, FieldError> {
    let bad = |why: &str| {
        FieldError::new(
            field,
            "invalid_amount",
            format!("'{}' is not an amount: {why}", short(s.trim())),
        )
    };
    let mut t: String = s
        .trim()
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '$' | '¥' | '￥' | '€' | '£' | '₩' | '元' | '원' | ' ' | '\u{a0}'
            )
        })
        .collect();
    if t.len() > 3 && t.as_bytes()[..3].iter().all(u8::is_ascii_alphabetic) {
        t = t[3..].to_string(); // "USD 12.00": three ASCII bytes, so index 3 is a boundary
    }
    if t.is_empty() {
        return Err(bad("empty"));
    }
    let negative = t.starts_with('-');
    if negative || t.starts_with('+') {
        t.remove(0);
    }
    // Decide which of ',' and '.' is the decimal separator.
    let (last_dot, last_comma) = (t.rfind('.'), t.rfind(','));
    let decimal_sep = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => {
            if t.matches('.').count() > 1 {
                None // "1.234.567" thousands
            } else {
                Some('.')
            }
        }
        (None, Some(c)) => {
            let after = t.len() - c - 1;
            if t.matches(',').count() == 1 && after != 3 {
                Some(',')
            } else {
                None
            }
        }
        (None, None) => None,
    };
    let (int_part, frac_part) = match decimal_sep {
        Some(sep) => {
            let i = t.rfind(sep).unwrap_or(t.len());
            (t[..i].to_string(), t[i + 1..].to_string())
        }
        None => (t.clone(), String::new()),
    };
    let group_sep = match decimal_sep {
        Some('.') => ',',
        Some(_) => '.',
        None => {
            if t.contains(',') {
                ','
            } else {
                '.'
            }
        }
    };
    let int_digits: String = int_part.chars().filter(|&c| c != group_sep).collect();
    if int_digits.is_empty() && frac_part.is_empty() {
        return Err(bad("no digits"));
    }
    if !int_digits.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad("unexpected characters"));
    }
    let digits = currency.minor_digits() as usize;
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > digits {
        return Err(bad(&format!(
            "{} allows {digits} decimal places",
            currency.as_str()
        )));
    }
    let mut frac = frac_trimmed.to_string();
    while frac.len() < digits {
        frac.push('0');
    }
    let combined = format!(
        "{}{}",
        if int_digits.is_empty() {
            "0"
        } else {
            &int_digits
        },
        frac
    );
    let v: i64 = combined
        .trim_start_matches('0')
        .parse::<i64>()
        .or_else(|e| {
            if combined.chars().all(|c| c == '0') {
                Ok(0)
            } else {
                Err(e)
            }
        })
        .map_err(|_| bad("too large"))?;
    if v > 1_000_000_000_000_000 {
        return Err(bad("too large"));
    }
    Ok(if negative { -v } else { v })
}

/// Formats minor units as a plain decimal string ("29.33") for exports; locale-aware display
/// belongs to the UI.
pub fn format_minor(amount_minor: i64, currency: &Currency) -> String {
    let d = currency.minor_digits();
    if d == 0 {
        return amount_minor.to_string();
    }
    let p = 10i64.pow(d);
    let sign = if amount_minor < 0 { "-" } else { "" };
    let a = amount_minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        a / p as u64,
        a % p as u64,
        width = d as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("c", "usd").expect("usd")
    }

    #[test]
    fn parses_common_forms() {
        let c = usd();
        assert_eq!(parse_amount("a", "29.33", &c), Ok(2933));
        assert_eq!(parse_amount("a", "$1,234.5", &c), Ok(123450));
        assert_eq!(parse_amount("a", "1.234,50", &c), Ok(123450));
        assert_eq!(parse_amount("a", "12,5", &c), Ok(1250));
        assert_eq!(parse_amount("a", "1,234", &c), Ok(123400));
        assert_eq!(parse_amount("a", "0", &c), Ok(0));
        assert_eq!(parse_amount("a", "-3.10", &c), Ok(-310));
        assert_eq!(parse_amount("a", "USD 7", &c), Ok(700));
        let krw = Currency::parse("c", "KRW").expect("krw");
        assert_eq!(parse_amount("a", "₩15,000", &krw), Ok(15000));
        assert!(parse_amount("a", "15000.5", &krw).is_err());
    }

    #[test]
    fn rejects_garbage() {
        let c = usd();
        for s in ["", "abc", "1.2.3x", "--1", "1.234", "99999999999999999999"] {
            if s == "1.234" {
                // one dot and three decimals is a precision error for USD, not a guess
                assert!(parse_amount("a", s, &c).is_err());
                continue;
            }
            assert!(parse_amount("a", s, &c).is_err(), "{s}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_minor(2933, &usd()), "29.33");
        assert_eq!(format_minor(-5, &usd()), "-0.05");
    }

    proptest::proptest! {
        #[test]
        fn round_trips(v in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let c = usd();
            proptest::prop_assert_eq!(parse_amount("a", &format_minor(v, &c), &c), Ok(v));
        }
        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = parse_amount("a", &s, &usd());
        }
    }
}
