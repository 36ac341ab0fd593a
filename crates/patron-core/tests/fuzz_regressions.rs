//! Inputs the fuzz targets in `fuzz/` (see `scripts/fuzz`) once crashed on, replayed through the
//! same checks the targets make, so that a fixed crash stays fixed in the ordinary test suite
//! (no nightly, no libFuzzer). Each case is the artifact's exact bytes; the first byte picks
//! options exactly as in the target.

use patron_core::money::{format_minor, parse_amount, Currency};
use patron_core::values::{email_key, parse_date, parse_email, parse_phone, phone_key};

/// `fuzz/fuzz_targets/money.rs`.
fn money(data: &[u8]) {
    const CURRENCIES: [&str; 3] = ["USD", "JPY", "KWD"];
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let _ = Currency::parse("currency", text);
    let currency = Currency::parse("currency", CURRENCIES[pick as usize % CURRENCIES.len()])
        .expect("a valid currency code");
    if let Ok(v) = parse_amount("amount", text, &currency) {
        assert!(v.unsigned_abs() <= 1_000_000_000_000_000, "{text:?} → {v}");
        let formatted = format_minor(v, &currency);
        assert_eq!(
            parse_amount("amount", &formatted, &currency),
            Ok(v),
            "{text:?} → {v} → {formatted:?}"
        );
    }
}

/// `fuzz/fuzz_targets/date.rs`.
fn date(data: &[u8]) {
    const FORMATS: [&str; 4] = ["%Y%m%d", "%d.%m.%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M"];
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (format, value) = match pick % 3 {
        0 => (None, text),
        1 => (Some(FORMATS[(pick as usize / 3) % FORMATS.len()]), text),
        _ => match text.split_once('\0') {
            Some((f, v)) => (Some(f), v),
            None => (None, text),
        },
    };
    if let Ok(d) = parse_date("date", value, format) {
        let year = chrono::Datelike::year(&d);
        assert!(
            (1900..=2200).contains(&year),
            "{value:?} {format:?} → {year}"
        );
        let iso = d.format("%Y-%m-%d").to_string();
        assert_eq!(parse_date("date", &iso, None), Ok(d), "{iso}");
    }
}

/// `fuzz/fuzz_targets/phone.rs`.
fn phone(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert!(phone_key(text).bytes().all(|b| b.is_ascii_digit()));
    if let Ok(p) = parse_phone("phone", text) {
        assert_eq!(p, p.trim());
        assert!((5..=20).contains(&phone_key(&p).len()), "{p:?}");
        assert_eq!(parse_phone("phone", &p), Ok(p.clone()));
    }
}

/// `fuzz/fuzz_targets/email.rs`.
fn email(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = parse_email("email", text) {
        assert!(e.len() <= 254);
        assert_eq!(parse_email("email", &e), Ok(e.clone()));
        let key = email_key(&e);
        assert_eq!(email_key(&key), key);
    }
}

#[test]
fn money_regressions() {
    for case in MONEY {
        money(case);
    }
}

#[test]
fn date_regressions() {
    for case in DATE {
        date(case);
    }
}

#[test]
fn phone_regressions() {
    for case in PHONE {
        phone(case);
    }
}

#[test]
fn email_regressions() {
    for case in EMAIL {
        email(case);
    }
}

// The cases: one line each, with where it came from and what was wrong.

const MONEY: &[&[u8]] = &[
    // Seeds, so the harness itself is exercised even before any crash is recorded.
    b"\x00$1,234.50",
    b"\x011.234,50",
    b"\x02USD 7",
];

const DATE: &[&[u8]] = &[
    b"\x001997-01-01",
    b"\x0119970101",
    b"\x02%d/%m/%Y\x0005/03/2024",
];

const PHONE: &[&[u8]] = &[b"+86 138-0013-8000", b"(02) 555 0100"];

const EMAIL: &[&[u8]] = &[b"a.b@example.com", b" a@b "];
