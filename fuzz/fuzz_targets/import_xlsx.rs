//! The workbook half of the importer: `read_path` on a file with a workbook extension, the way
//! `patron import` and the web upload reach calamine. Two modes, chosen by the first byte:
//!
//! * raw (`pick % 4 != 0`): the bytes are the file, named `.xlsx`, `.ods` or `.xls` — finds
//!   problems in container handling (ZIP, CFB);
//! * built (`pick % 4 == 0`): the rest is `SHEET_XML \0 SHARED_STRINGS_XML` wrapped into an
//!   otherwise valid XLSX (stored, so no CRC stands between the fuzzer and the XML parser) —
//!   finds problems in cell parsing: coordinates, types, dates, sparse ranges.
//!
//! Beyond "no panic", the reader's promises are checked: rows in order, no cell beyond the size
//! guard.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patron_store::import::read::{read_path, ReadOptions, MAX_CELL_BYTES};
use std::io::Write;
use std::path::PathBuf;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// An XLSX holding `sheet` and `shared` as its only sheet and shared-string table.
fn build_xlsx(sheet: &[u8], shared: &[u8]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", shared),
    ] {
        zw.start_file(name, stored).expect("zip entry in memory");
        zw.write_all(body).expect("write to memory");
    }
    zw.finish().expect("finish zip in memory").into_inner()
}

/// One file per process, on tmpfs when there is one: `read_path` wants a path.
fn scratch(ext: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("patron-fuzz-{}.{ext}", std::process::id()))
}

/// The importer catches panics inside calamine and reports the file as a damaged workbook
/// (`read_workbook` in crates/patron-store/src/import/read.rs); libFuzzer's panic hook would abort
/// on them before that. Panics anywhere else still abort, as crashes.
fn tolerate_caught_calamine_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"))
            {
                return;
            }
            fuzzer_hook(info);
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    tolerate_caught_calamine_panics();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (bytes, ext) = match pick % 4 {
        0 => {
            let (sheet, shared) = match rest.iter().position(|&b| b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b""[..]),
            };
            (build_xlsx(sheet, shared), "xlsx")
        }
        1 => (rest.to_vec(), "xlsx"),
        2 => (rest.to_vec(), "ods"),
        _ => (rest.to_vec(), "xls"),
    };
    let path = scratch(ext);
    std::fs::write(&path, &bytes).expect("write the scratch file");
    let opts = ReadOptions {
        header: pick & 0x80 == 0,
        ..Default::default()
    };
    let result = read_path(&path, &opts);
    let _ = std::fs::remove_file(&path);
    let Ok(table) = result else {
        return;
    };
    assert!(!table.rows.is_empty(), "Ok with no rows");
    let mut last = 0;
    for row in &table.rows {
        assert!(row.line >= 1 && row.line > last, "rows out of order");
        last = row.line;
        assert!(row.cells.iter().all(|c| c.len() <= MAX_CELL_BYTES));
    }
});
