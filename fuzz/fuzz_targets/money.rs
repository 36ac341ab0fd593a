//! `parse_amount` and `Currency::parse` on arbitrary text. Besides "no panic", checks what the
//! importer relies on: a parsed amount is within the documented bound and survives the export
//! round trip (`format_minor` → `parse_amount` gives the same minor units).
#![no_main]

use libfuzzer_sys::fuzz_target;
use patron_core::money::{format_minor, parse_amount, Currency};

/// One currency per minor-digit class (2, 0, 3), so every scaling path is exercised.
const CURRENCIES: [&str; 3] = ["USD", "JPY", "KWD"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // The currency column of an import row is parsed too; it must never panic either.
    let _ = Currency::parse("currency", text);
    let currency = Currency::parse("currency", CURRENCIES[pick as usize % CURRENCIES.len()])
        .expect("a valid currency code");
    if let Ok(v) = parse_amount("amount", text, &currency) {
        assert!(
            v.unsigned_abs() <= 1_000_000_000_000_000,
            "{text:?} parsed to {v}, beyond the documented bound"
        );
        let formatted = format_minor(v, &currency);
        assert_eq!(
            parse_amount("amount", &formatted, &currency),
            Ok(v),
            "{text:?} → {v} → {formatted:?} did not round-trip"
        );
    }
});
