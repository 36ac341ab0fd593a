//! `parse_phone` and `phone_key`: no panic; an accepted number is trimmed, has 5–20 digits and
//! is accepted again unchanged (the importer stores what the parser returns and re-validates it
//! on edit).
#![no_main]

use libfuzzer_sys::fuzz_target;
use patron_core::values::{parse_phone, phone_key};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = phone_key(text);
    assert!(key.bytes().all(|b| b.is_ascii_digit()));
    if let Ok(p) = parse_phone("phone", text) {
        assert_eq!(p, p.trim());
        let digits = phone_key(&p).len();
        assert!((5..=20).contains(&digits), "{p:?} has {digits} digits");
        assert_eq!(parse_phone("phone", &p), Ok(p.clone()), "not idempotent");
    }
});
