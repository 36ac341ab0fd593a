//! The text half of the importer without a database: bytes → `read_text` (encoding detection,
//! delimiter sniffing, CSV/whitespace splitting, header and cell guards) → `map_columns` →
//! `parse_table`. The first byte picks the options so that every delimiter, encoding and entity
//! is reached. Checks the reader's promises: rows in file order with 1-based line numbers,
//! no cell beyond the size guard, and one record or reject per row after parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patron_store::import::mapping::{fields, map_columns};
use patron_store::import::parse::{parse_table, ParseOptions};
use patron_store::import::read::{read_text, ReadOptions, MAX_CELL_BYTES};
use patron_store::import::{Delimiter, EncodingChoice, Entity};

const DELIMITERS: [Option<Delimiter>; 6] = [
    None,
    Some(Delimiter::Comma),
    Some(Delimiter::Semicolon),
    Some(Delimiter::Tab),
    Some(Delimiter::Whitespace),
    Some(Delimiter::Other(b'|')),
];
const ENCODINGS: [EncodingChoice; 5] = [
    EncodingChoice::Auto,
    EncodingChoice::Utf8,
    EncodingChoice::Gb18030,
    EncodingChoice::Big5,
    EncodingChoice::EucKr,
];
const ENTITIES: [Entity; 4] = [
    Entity::Customers,
    Entity::Contacts,
    Entity::Products,
    Entity::Orders,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let p = pick as usize;
    let opts = ReadOptions {
        header: p & 1 == 0,
        delimiter: DELIMITERS[(p >> 1) % DELIMITERS.len()],
        // Mostly Auto: that is what users run, and it reaches the detector.
        encoding: if p & 0x80 == 0 {
            EncodingChoice::Auto
        } else {
            ENCODINGS[(p >> 4) % ENCODINGS.len()]
        },
        sheet: None,
    };
    let Ok(table) = read_text(bytes, "fuzz.csv", &opts) else {
        return;
    };
    assert!(!table.rows.is_empty(), "Ok with no rows");
    let mut last = 0;
    for row in &table.rows {
        assert!(row.line >= 1, "line numbers are 1-based");
        assert!(
            row.line >= last,
            "rows out of order: {} after {last}",
            row.line
        );
        last = row.line;
        for c in &row.cells {
            // A truncated oversized cell keeps 100 characters plus an ellipsis.
            assert!(c.len() <= MAX_CELL_BYTES, "cell of {} bytes", c.len());
        }
        if let Some((col, size)) = row.oversized {
            assert!(col < row.cells.len() && size > MAX_CELL_BYTES);
        }
    }
    let rows = table.rows.len();
    let entity = ENTITIES[(p >> 2) % ENTITIES.len()];
    // Without a header the columns must be named, as with `--columns`.
    let columns: Option<Vec<String>> = table
        .header
        .is_none()
        .then(|| fields(entity).iter().map(|f| f.to_string()).collect());
    let Ok(mapping) = map_columns(entity, table.header.as_deref(), columns.as_deref(), &[]) else {
        return;
    };
    let (batch, rejects) = parse_table(table, &mapping, &ParseOptions::default());
    assert_eq!(
        batch.len() + rejects.len(),
        rows,
        "a row was lost or doubled"
    );
});
