//! `parse_email` and `email_key`: no panic; an accepted address fits the 254-byte limit and is
//! accepted again unchanged; the matching key is stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patron_core::values::{email_key, parse_email};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = parse_email("email", text) {
        assert!(e.len() <= 254);
        assert_eq!(parse_email("email", &e), Ok(e.clone()), "not idempotent");
        let key = email_key(&e);
        assert_eq!(email_key(&key), key, "email_key not idempotent");
    }
});
