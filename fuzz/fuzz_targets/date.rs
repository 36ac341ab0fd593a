//! `parse_date` with the automatic formats and with a user-supplied chrono format (the CLI's
//! `--date-format`, also untrusted). Checks the documented year range and that an accepted date
//! re-parses from its ISO form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patron_core::values::parse_date;

/// Formats people pass to `--date-format`.
const FORMATS: [&str; 4] = ["%Y%m%d", "%d.%m.%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // Low bits choose: automatic, a common format, or a fuzzed format ("FORMAT\0VALUE").
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
            "{value:?} with {format:?} gave year {year}"
        );
        let iso = d.format("%Y-%m-%d").to_string();
        assert_eq!(
            parse_date("date", &iso, None),
            Ok(d),
            "{iso} did not re-parse"
        );
    }
});
