//! Validated values parsed at the boundary: e-mail, phone, dates. Each parser returns the
//! canonical form or a [`FieldError`] naming the field.

use crate::validation::FieldError;
use chrono::NaiveDate;
use std::str::FromStr;

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Checks an e-mail address and returns it trimmed (case kept for display; compare with
/// [`email_key`]).
pub fn parse_email(field: &str, s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    let ok = t.len() <= 254
        && email_address::EmailAddress::from_str(t).is_ok()
        && t.rsplit_once('@')
            .is_some_and(|(_, d)| d.contains('.') && !d.starts_with('[') && !d.ends_with('.'));
    if ok {
        Ok(t.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "invalid_email",
            format!("'{}' is not a valid e-mail address", short(t)),
        ))
    }
}

/// The form used to match e-mail addresses: lower case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks a phone number as written by people ("+86 138-0013-8000", "(02) 555 0100", "010-1234-5678")
/// and returns it trimmed. Letters and stray symbols are rejected; 5 to 20 digits are required.
pub fn parse_phone(field: &str, s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    let bad = |why: &str| {
        FieldError::new(
            field,
            "invalid_phone",
            format!("'{}' is not a phone number: {why}", short(t)),
        )
    };
    let mut digits = 0;
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => digits += 1,
            '+' if i == 0 => {}
            ' ' | '-' | '(' | ')' | '.' | '/' => {}
            _ => return Err(bad("only digits, spaces, + - ( ) . / are allowed")),
        }
    }
    if digits < 5 {
        return Err(bad("too few digits"));
    }
    if digits > 20 {
        return Err(bad("too many digits"));
    }
    Ok(t.to_owned())
}

/// The form used to match and search phone numbers: digits only.
pub fn phone_key(phone: &str) -> String {
    phone.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Formats tried, in order, when no explicit date format is given. Only unambiguous ones:
/// day/month order is never guessed.
const AUTO_DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y년 %m월 %d일",
    "%Y년%m월%d일",
];

/// Parses a date with `format` (chrono syntax, e.g. `%Y%m%d`) or, when `None`, with one of the
/// unambiguous ISO-like and CJK forms. A time part ("2024-03-05 10:00") is accepted and dropped.
/// Years outside 1900–2200 are rejected as typos.
pub fn parse_date(field: &str, s: &str, format: Option<&str>) -> Result<NaiveDate, FieldError> {
    let t = s.trim();
    let bad = |why: String| {
        FieldError::new(
            field,
            "invalid_date",
            format!("'{}' is not a date: {why}", short(t)),
        )
    };
    let parsed = match format {
        Some(f) => NaiveDate::parse_from_str(t, f)
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, f).map(|dt| dt.date()))
            .map_err(|e| bad(format!("expected format {f} ({e})")))?,
        None if is_iso_date(t) => {
            // The common case (every export of ours, most systems' CSV) without trying formats.
            let num = |r: std::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(0);
            NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))
                .ok_or_else(|| bad("no such day".into()))?
        }
        None => {
            let head = t.split(['T', ' ']).next().unwrap_or(t);
            let candidates = [t, head];
            let mut found = None;
            'outer: for cand in candidates {
                for f in AUTO_DATE_FORMATS {
                    if let Ok(d) = NaiveDate::parse_from_str(cand, f) {
                        found = Some(d);
                        break 'outer;
                    }
                }
            }
            found.ok_or_else(|| bad("expected YYYY-MM-DD (or give a date format)".into()))?
        }
    };
    let y = chrono::Datelike::year(&parsed);
    if !(1900..=2200).contains(&y) {
        return Err(bad(format!("year {y} is out of range")));
    }
    Ok(parsed)
}

/// `YYYY-MM-DD` exactly, digits where digits belong.
fn is_iso_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(parse_email("email", "a.b@example.com").is_ok());
        assert!(parse_email("email", " 김민준@example.co.kr ").is_ok());
        for bad in ["", "a", "a@", "@b.com", "a@b", "a b@c.com", "a@@b.com"] {
            let e = parse_email("email", bad).expect_err(bad);
            assert_eq!(e.field, "email");
            assert_eq!(e.code, "invalid_email");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(
            parse_phone("phone", "+86 138-0013-8000").as_deref(),
            Ok("+86 138-0013-8000")
        );
        assert_eq!(phone_key("+86 138-0013-8000"), "8613800138000");
        assert!(parse_phone("phone", "010-1234-5678").is_ok());
        for bad in ["12", "call me", "1+2345678", "123456789012345678901"] {
            assert!(parse_phone("phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(1997, 1, 1).expect("date");
        assert_eq!(parse_date("date", "19970101", Some("%Y%m%d")), Ok(d));
        assert_eq!(parse_date("date", "1997-01-01", None), Ok(d));
        assert_eq!(parse_date("date", "1997/1/1", None), Ok(d));
        assert_eq!(parse_date("date", "1997年1月1日", None), Ok(d));
        assert_eq!(parse_date("date", "1997년 1월 1일", None), Ok(d));
        assert_eq!(parse_date("date", "1997-01-01 12:30:00", None), Ok(d));
        assert!(parse_date("date", "01/02/1997", None).is_err());
        assert!(parse_date("date", "2024-02-30", None).is_err());
        assert!(parse_date("date", "0024-02-03", None).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = parse_email("e", &s);
            let _ = parse_phone("p", &s);
            let _ = parse_date("d", &s, None);
            let _ = parse_date("d", &s, Some("%d.%m.%Y"));
        }
    }
}
