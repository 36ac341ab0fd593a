//! Hostile files through the real importer (SQLite always, PostgreSQL when
//! `PATRON_TEST_DATABASE_URL` is set): an XLSX ZIP bomb, an XLSX whose used range is billions of
//! cells, an .xls declaring or placing billions of cells, an .ods repeating a cell billions of
//! times, an XLSB whose used range is billions of cells, a CSV with a million columns, invalid UTF-8, a byte-order mark in the middle of the
//! file, NUL characters. Each must end in a clear error that says what is wrong and where, import
//! nothing, and keep the process's peak memory within [`MEMORY_BUDGET_KB`] of where it started.
//!
//! The inputs are generated here rather than stored: the bomb is 20 MB of compressed data that
//! would be 3 GiB on disk as plain XML.

use patron_store::import::{run_import, Delimiter, EncodingChoice, Entity, ImportOptions};
use patron_store::testkit::TestDb;
use patron_store::{connect, Store};
use std::path::Path;

/// How much the peak resident set may grow while one hostile file is imported. Generous for a
/// refused file, and far below what any of these files would cost if read whole.
const MEMORY_BUDGET_KB: u64 = 500 * 1024;

/// One hostile import at a time: the memory check reads the whole process's peak.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn opts(entity: Entity) -> ImportOptions {
    ImportOptions::new(entity)
}

/// The process's peak resident set in KiB (`VmHWM`), where Linux reports it.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak to the current resident set (Linux ≥ 4.0), so each case is measured alone.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Imports `bytes` as `name` on every backend and returns the error message (the same on each).
/// Fails when the import succeeds, when anything was imported, or when memory grew too much.
async fn refused(name: &str, bytes: &[u8], o: &ImportOptions) -> String {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the hostile file");
    let mut messages = Vec::new();
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let message = import_err(&*store, &path, o).await;
        assert_eq!(
            store.count_customers().await.expect("count"),
            0,
            "{:?}: {name}",
            db.backend
        );
        messages.push(message);
        db.cleanup().await;
    }
    assert!(
        messages.windows(2).all(|w| w[0] == w[1]),
        "backends disagree: {messages:?}"
    );
    messages.remove(0)
}

async fn import_err(store: &dyn Store, path: &Path, o: &ImportOptions) -> String {
    reset_peak_rss();
    let before = peak_rss_kb();
    let started = std::time::Instant::now();
    let result = run_import(store, path, o, None).await;
    let after = peak_rss_kb();
    let name = path.display();
    if let (Some(b), Some(a)) = (before, after) {
        assert!(
            a.saturating_sub(b) < MEMORY_BUDGET_KB,
            "{name}: peak memory grew by {} MiB",
            a.saturating_sub(b) / 1024
        );
    }
    let e = match result {
        Ok(report) => panic!("{name} was accepted: {report:?}"),
        Err(e) => e.to_string(),
    };
    eprintln!(
        "{name}: refused in {:?} (peak +{} MiB): {e}",
        started.elapsed(),
        after
            .zip(before)
            .map_or(0, |(a, b)| a.saturating_sub(b) / 1024)
    );
    e
}

// ---- XLSX ----------------------------------------------------------------------------------

/// A DEFLATE stream (RFC 1951) written by hand with the fixed Huffman codes, so that gigabytes
/// of repeated bytes cost a few bits per 258 of them without compressing anything at test time.
struct Deflate {
    out: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl Deflate {
    fn new() -> Self {
        let mut d = Deflate {
            out: Vec::new(),
            acc: 0,
            bits: 0,
        };
        d.put(1, 1); // BFINAL: the only block
        d.put(1, 2); // BTYPE 01: fixed Huffman codes
        d
    }
    /// `len` bits of `v`, least significant first (header fields and extra bits).
    fn put(&mut self, v: u32, len: u32) {
        self.acc |= u64::from(v) << self.bits;
        self.bits += len;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }
    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }
    /// A literal/length symbol of the fixed code.
    fn symbol(&mut self, s: u32) {
        match s {
            0..=143 => self.code(0x30 + s, 8),
            144..=255 => self.code(0x190 + s - 144, 9),
            256..=279 => self.code(s - 256, 7),
            _ => self.code(0xC0 + s - 280, 8),
        }
    }
    fn literals(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.symbol(u32::from(b));
        }
    }
    /// `n` copies of `byte`: one literal, then matches of 258 at distance 1 (13 bits each).
    fn run(&mut self, byte: u8, n: u64) {
        self.literals(&[byte]);
        let mut left = n - 1;
        while left >= 258 {
            self.symbol(285); // length 258, no extra bits
            self.code(0, 5); // distance code 0: distance 1
            left -= 258;
        }
        for _ in 0..left {
            self.literals(&[byte]);
        }
    }
    fn finish(mut self) -> Vec<u8> {
        self.symbol(256); // end of block
        if self.bits > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// One ZIP member: name, method (0 stored, 8 deflated), CRC, sizes, data.
struct Member {
    name: &'static str,
    method: u16,
    crc: u32,
    size: u32,
    data: Vec<u8>,
}

impl Member {
    fn stored(name: &'static str, text: &str) -> Self {
        Member {
            name,
            method: 0,
            crc: crc32(text.as_bytes()),
            size: text.len() as u32,
            data: text.as_bytes().to_vec(),
        }
    }
}

/// A ZIP archive written by hand, so that a member can declare any size it likes.
fn zip(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let header = |buf: &mut Vec<u8>, m: &Member| {
        for v in [20u16, 0, m.method, 0, 0x21] {
            buf.extend(v.to_le_bytes()); // version, flags, method, time, date (1980-01-01)
        }
        buf.extend(m.crc.to_le_bytes());
        buf.extend((m.data.len() as u32).to_le_bytes());
        buf.extend(m.size.to_le_bytes());
        buf.extend((m.name.len() as u16).to_le_bytes());
        buf.extend(0u16.to_le_bytes()); // extra field length
    };
    for m in members {
        let offset = out.len() as u32;
        out.extend(0x0403_4b50u32.to_le_bytes());
        header(&mut out, m);
        out.extend(m.name.as_bytes());
        out.extend(&m.data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // made by
        header(&mut central, m);
        for v in [0u16, 0, 0] {
            central.extend(v.to_le_bytes()); // comment length, disk, internal attributes
        }
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(m.name.as_bytes());
    }
    let (cd_offset, cd_size) = (out.len() as u32, central.len() as u32);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, members.len() as u16, members.len() as u16] {
        out.extend(v.to_le_bytes());
    }
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// Uncompressed size of the bomb's sheet: 3 GiB, one text cell of `a`s (which calamine's XML
/// reader would buffer whole).
const BOMB_BYTES: u64 = 3 << 30;

/// An XLSX whose sheet XML inflates to [`BOMB_BYTES`] from ~20 MB, declaring `declared` bytes.
fn xlsx_bomb(declared: u32) -> Vec<u8> {
    let head = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#;
    let tail = b"</t></is></c></row></sheetData></worksheet>";
    let mut d = Deflate::new();
    d.literals(head);
    d.run(b'a', BOMB_BYTES - (head.len() + tail.len()) as u64);
    d.literals(tail);
    let sheet = Member {
        name: "xl/worksheets/sheet1.xml",
        method: 8,
        // Never checked: the point is that nobody reads this member to its end.
        crc: 0,
        size: declared,
        data: d.finish(),
    };
    zip(&[
        Member::stored("[Content_Types].xml", CONTENT_TYPES),
        Member::stored("_rels/.rels", RELS),
        Member::stored("xl/workbook.xml", WORKBOOK),
        Member::stored("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        sheet,
    ])
}

#[test]
fn the_bomb_is_what_it_claims() {
    // Inflate the first megabyte with the same zip crate calamine uses: the hand-written
    // stream must be valid DEFLATE, or the tests below would prove nothing.
    use std::io::Read;
    let bytes = xlsx_bomb(BOMB_BYTES as u32);
    assert!(bytes.len() < 25 << 20, "{} bytes", bytes.len());
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP archive");
    let mut sheet = z.by_name("xl/worksheets/sheet1.xml").expect("sheet");
    assert_eq!(sheet.size(), BOMB_BYTES);
    let mut head = vec![0; 1 << 20];
    sheet.read_exact(&mut head).expect("inflates");
    assert!(head.starts_with(b"<?xml"));
    assert!(head.ends_with(b"aaaa"));
}

#[tokio::test]
async fn xlsx_zip_bomb_declaring_its_size() {
    let e = refused(
        "bomb.xlsx",
        &xlsx_bomb(BOMB_BYTES as u32),
        &opts(Entity::Customers),
    )
    .await;
    assert!(e.contains("bomb.xlsx"), "{e}");
    assert!(
        e.contains("the workbook part xl/worksheets/sheet1.xml would decompress to 3072 MiB"),
        "{e}"
    );
    assert!(e.contains("more than the 1024 MiB"), "{e}");
}

#[tokio::test]
async fn xlsx_zip_bomb_lying_about_its_size() {
    let e = refused("liar.xlsx", &xlsx_bomb(4096), &opts(Entity::Customers)).await;
    assert!(e.contains("liar.xlsx"), "{e}");
    assert!(
        e.contains(
            "xl/worksheets/sheet1.xml decompresses to more than 1024 MiB although it declares \
             4096 bytes"
        ),
        "{e}"
    );
}

#[tokio::test]
async fn xlsx_whose_used_range_is_billions_of_cells() {
    // A few thousand cells in the last column: a small file whose rectangle (what calamine's
    // `worksheet_range` allocates) runs to A1:XFD1048576.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wide.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "name").expect("write");
    for r in 1..2100u32 {
        ws.write_string(r * 499, 16_383, "x").expect("write");
    }
    wb.save(&path).expect("save");
    let bytes = std::fs::read(&path).expect("read back");
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let e = refused("wide.xlsx", &bytes, &opts(Entity::Customers)).await;
    assert!(e.contains("wide.xlsx: sheet 'Sheet1' spans"), "{e}");
    assert!(e.contains("rows of 16384 columns"), "{e}");
    assert!(e.contains("more than the 25165824 an import reads"), "{e}");
}

/// Found by `scripts/fuzz` (target import_xlsx): a cell naming shared string 2 of a list of two
/// made calamine panic (index out of bounds) inside the import.
#[tokio::test]
async fn xlsx_naming_a_shared_string_past_the_list() {
    const RELS_WITH_STRINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    let sheet = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>138001380</v></c></row></sheetData></worksheet>"#;
    let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>name</t></si><si><t>phone</t></si></sst>"#;
    let bytes = zip(&[
        Member::stored("[Content_Types].xml", CONTENT_TYPES),
        Member::stored("_rels/.rels", RELS),
        Member::stored("xl/workbook.xml", WORKBOOK),
        Member::stored("xl/_rels/workbook.xml.rels", RELS_WITH_STRINGS),
        Member::stored("xl/worksheets/sheet1.xml", sheet),
        Member::stored("xl/sharedStrings.xml", shared),
    ]);
    let e = refused("strings.xlsx", &bytes, &opts(Entity::Customers)).await;
    assert!(e.contains("strings.xlsx is a damaged workbook"), "{e}");
}

// ---- XLS and ODS ---------------------------------------------------------------------------

/// Reads a workbook with the header `name`, `phone` as the importer would.
fn read_name_and_phone(path: &Path) -> patron_store::import::read::Table {
    let opts = patron_store::import::read::ReadOptions {
        header: true,
        ..Default::default()
    };
    let table = patron_store::import::read::read_path(path, &opts).expect("the workbook reads");
    assert_eq!(
        table.header.as_deref(),
        Some(&["name".to_owned(), "phone".to_owned()][..])
    );
    table
}

/// An old Excel workbook: a compound document whose `Workbook` stream holds the BIFF8 records
/// given, after the workbook's own beginning and end, in one sheet's substream.
fn xls(sheet_records: &[(u16, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let record = |out: &mut Vec<u8>, typ: u16, data: &[u8]| {
        out.extend(typ.to_le_bytes());
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
    };
    let bof = |kind: u16| {
        let mut d = vec![0x00, 0x06];
        d.extend(kind.to_le_bytes());
        d.extend([0u8; 12]);
        d
    };
    let mut stream = Vec::new();
    record(&mut stream, 0x0809, &bof(0x0005)); // workbook globals
    record(&mut stream, 0x000A, &[]); // EOF
    record(&mut stream, 0x0809, &bof(0x0010)); // a worksheet
    for (typ, data) in sheet_records {
        record(&mut stream, *typ, data);
    }
    record(&mut stream, 0x000A, &[]);
    let mut doc = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).expect("cfb");
    doc.create_stream("/Workbook")
        .expect("stream")
        .write_all(&stream)
        .expect("write");
    doc.flush().expect("flush");
    doc.into_inner().into_inner()
}

/// A NUMBER record: the value 1 at `row`, `col`.
fn xls_number(row: u16, col: u16) -> (u16, Vec<u8>) {
    let mut d = Vec::new();
    d.extend(row.to_le_bytes());
    d.extend(col.to_le_bytes());
    d.extend(0u16.to_le_bytes()); // format
    d.extend(1f64.to_le_bytes());
    (0x0203, d)
}

#[tokio::test]
async fn xls_declaring_billions_of_cells() {
    // A DIMENSIONS record of 4 billion rows and 256 columns: calamine reserves that much when
    // it opens the file, and the failed allocation would abort the process.
    let mut dims = Vec::new();
    dims.extend(0u32.to_le_bytes());
    dims.extend(u32::MAX.to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    dims.extend(256u16.to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    let bytes = xls(&[(0x0200, dims), xls_number(0, 0)]);
    assert!(bytes.len() < 64 << 10, "{} bytes", bytes.len());
    let e = refused("declared.xls", &bytes, &opts(Entity::Customers)).await;
    assert!(e.contains("declared.xls: its sheets span"), "{e}");
    assert!(e.contains("more than the 25165824 an import reads"), "{e}");
}

#[tokio::test]
async fn xls_placing_a_cell_far_away() {
    // Two cells, A1 and the 65,536th column of the 65,536th row: a rectangle of 4 billion.
    let bytes = xls(&[xls_number(0, 0), xls_number(u16::MAX, u16::MAX)]);
    let e = refused("far.xls", &bytes, &opts(Entity::Customers)).await;
    assert!(
        e.contains("far.xls: its sheets span 4294967296 cells"),
        "{e}"
    );
}

const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";
const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// An OpenDocument spreadsheet whose one sheet holds `rows` (table-row elements).
fn ods(rows: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip(&[
        Member::stored("mimetype", ODS_MIMETYPE),
        Member::stored("META-INF/manifest.xml", ODS_MANIFEST),
        Member::stored("content.xml", &content),
    ])
}

#[tokio::test]
async fn ods_repeating_a_cell_billions_of_times() {
    // One valued cell repeated across 16,384 columns, in a row repeated a million times: a few
    // hundred bytes that calamine would expand cell by cell.
    let bytes = ods(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>name</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row>"#,
    );
    let e = refused("repeated.ods", &bytes, &opts(Entity::Customers)).await;
    assert!(e.contains("repeated.ods: its sheets span"), "{e}");
    assert!(e.contains("more than the 25165824 an import reads"), "{e}");
}

#[test]
fn ods_padded_as_spreadsheet_programs_save_it_still_reads() {
    // LibreOffice pads each row with empty cells to the 1,024th column and the sheet with empty
    // rows to the 1,048,576th: nothing calamine builds, so nothing to refuse.
    let pad_cells = r#"<table:table-cell table:number-columns-repeated="1022"/>"#;
    let row = |a: &str, b: &str| {
        format!(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>{a}</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>{b}</text:p></table:table-cell>{pad_cells}</table:table-row>"#
        )
    };
    let rows = format!(
        r#"{}{}{}<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#,
        row("name", "phone"),
        row("Ana", "138-0013-8000"),
        row("Bo", "010-1234-5678"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("padded.ods");
    std::fs::write(&path, ods(&rows)).expect("write");
    let table = read_name_and_phone(&path);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[1].cells[..2], ["Bo", "010-1234-5678"]);
}

// ---- XLSB ----------------------------------------------------------------------------------

/// One XLSB record: its type and size as 7-bit groups, then the data.
fn xlsb_record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    if typ < 0x80 {
        out.push(typ as u8);
    } else {
        out.push((typ & 0x7F) as u8 | 0x80);
        out.push((typ >> 7) as u8);
    }
    let mut len = data.len();
    loop {
        let b = (len & 0x7F) as u8;
        len >>= 7;
        if len == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend(data);
}

/// An XLWideString: its length in UTF-16 units, then the units.
fn wide(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = (units.len() as u32).to_le_bytes().to_vec();
    for u in units {
        out.extend(u.to_le_bytes());
    }
    out
}

fn binary(name: &'static str, data: Vec<u8>) -> Member {
    Member {
        name,
        method: 0,
        crc: crc32(&data),
        size: data.len() as u32,
        data,
    }
}

/// An XLSB workbook whose one sheet holds text `cells` (row, column, text).
fn xlsb(cells: &[(u32, u32, &str)]) -> Vec<u8> {
    let mut book = Vec::new();
    let mut sheet_entry = vec![0u8; 8]; // visible, tab 0
    sheet_entry.extend(wide("rId1"));
    sheet_entry.extend(wide("Sheet1"));
    xlsb_record(&mut book, 0x009C, &sheet_entry); // BrtBundleSh
    xlsb_record(&mut book, 0x0090, &[]); // BrtEndBundleShs
    xlsb_record(&mut book, 0x0084, &[]); // BrtEndBook
    let mut sheet = Vec::new();
    xlsb_record(&mut sheet, 0x0081, &[]); // BrtBeginSheet
    let last_row = cells.iter().map(|c| c.0).max().unwrap_or(0);
    let last_col = cells.iter().map(|c| c.1).max().unwrap_or(0);
    let mut dim = Vec::new();
    for v in [0, last_row, 0, last_col] {
        dim.extend(v.to_le_bytes());
    }
    xlsb_record(&mut sheet, 0x0094, &dim); // BrtWsDim
    xlsb_record(&mut sheet, 0x0091, &[]); // BrtBeginSheetData
    let mut row = None;
    for &(r, c, text) in cells {
        if row != Some(r) {
            xlsb_record(&mut sheet, 0x0000, &r.to_le_bytes()); // BrtRowHdr
            row = Some(r);
        }
        let mut cell = c.to_le_bytes().to_vec();
        cell.extend(0u32.to_le_bytes()); // style
        cell.extend(wide(text));
        xlsb_record(&mut sheet, 0x0006, &cell); // BrtCellSt
    }
    xlsb_record(&mut sheet, 0x0092, &[]); // BrtEndSheetData
    const BIN_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>"#;
    zip(&[
        binary("xl/workbook.bin", book),
        Member::stored("xl/_rels/workbook.bin.rels", BIN_RELS),
        binary("xl/worksheets/sheet1.bin", sheet),
    ])
}

#[test]
fn xlsb_reads_cell_by_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("book.xlsb");
    std::fs::write(
        &path,
        xlsb(&[
            (0, 0, "name"),
            (0, 1, "phone"),
            (1, 0, "Ana"),
            (1, 1, "138-0013-8000"),
            (3, 1, "010-1234-5678"),
        ]),
    )
    .expect("write");
    let table = read_name_and_phone(&path);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].cells, ["Ana", "138-0013-8000"]);
    // A row's number is its place in the sheet; a missing cell is empty.
    assert_eq!(table.rows[1].line, 4);
    assert_eq!(table.rows[1].cells, ["", "010-1234-5678"]);
}

#[tokio::test]
async fn xlsb_whose_used_range_is_billions_of_cells() {
    // A few thousand cells in the last column, down to row 1,047,501: calamine's rectangle
    // (`worksheet_range`) would be 17 billion cells, which the process cannot allocate. Read
    // cell by cell, the rows padded to the widest are still too many.
    let mut cells = vec![(0, 0, "name")];
    cells.extend((1..2100u32).map(|r| (r * 499, 16_383, "x")));
    let bytes = xlsb(&cells);
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let e = refused("wide.xlsb", &bytes, &opts(Entity::Customers)).await;
    assert!(e.contains("wide.xlsb: sheet 'Sheet1' spans"), "{e}");
    assert!(e.contains("rows of 16384 columns"), "{e}");
    assert!(e.contains("more than the 25165824 an import reads"), "{e}");
}

// ---- CSV -----------------------------------------------------------------------------------

#[tokio::test]
async fn csv_with_a_million_columns() {
    let mut data = b"name,phone\nA,138-0013-8000\n".to_vec();
    data.extend(b"B");
    data.extend(std::iter::repeat_n(b',', 999_999));
    data.push(b'\n');
    let e = refused("wide.csv", &data, &opts(Entity::Customers)).await;
    assert!(
        e.contains("wide.csv: line 3: 1000000 columns, more than the 16384 an import reads"),
        "{e}"
    );

    // The same in the header, and with the whitespace layout.
    let mut header = vec![b'c'; 1];
    header.extend(std::iter::repeat_n(&b";c"[..], 999_999).flatten());
    header.extend(b"\nA;1\n");
    let e = refused("header.csv", &header, &opts(Entity::Customers)).await;
    assert!(e.contains("header.csv: line 1: 1000000 columns"), "{e}");
    let mut spaced = b"A 1\n".to_vec();
    spaced.extend(std::iter::repeat_n(&b" x"[..], 1_000_000).flatten());
    let o = ImportOptions {
        header: false,
        columns: Some(vec!["name".into(), "phone".into()]),
        delimiter: Some(Delimiter::Whitespace),
        ..opts(Entity::Customers)
    };
    let e = refused("spaced.txt", &spaced, &o).await;
    assert!(e.contains("spaced.txt: line 2: 1000000 columns"), "{e}");
}

#[tokio::test]
async fn csv_with_invalid_utf8() {
    let data = b"name,phone\nA,138-0013-8000\nB\xff\xfe,010-1234-5678\n";
    let e = refused("latin.csv", data, &opts(Entity::Customers)).await;
    assert!(
        e.contains("latin.csv is not UTF-8 (at byte 28, line 3)"),
        "{e}"
    );
    assert!(e.contains("--encoding"), "{e}");

    let o = ImportOptions {
        encoding: EncodingChoice::Utf8,
        ..opts(Entity::Customers)
    };
    let e = refused("latin.csv", data, &o).await;
    assert!(
        e.contains("latin.csv is not valid UTF-8 at byte 28 (line 3)"),
        "{e}"
    );
}

#[tokio::test]
async fn csv_with_a_bom_in_the_middle() {
    // Two exports joined with `cat`: the second one's BOM and header land on line 4.
    let one = "\u{feff}name,phone\nA,138-0013-8000\nB,010-1234-5678\n";
    let two = "\u{feff}name,phone\nC,02-555-0100\n";
    let e = refused(
        "joined.csv",
        format!("{one}{two}").as_bytes(),
        &opts(Entity::Customers),
    )
    .await;
    assert!(
        e.contains("joined.csv: line 4: a byte-order mark (U+FEFF) in the middle of the file"),
        "{e}"
    );
}

#[tokio::test]
async fn csv_with_nul_bytes() {
    let e = refused(
        "nul.csv",
        b"name,phone\nA,138-0013-8000\nB\0\0,010-1234-5678\n",
        &opts(Entity::Customers),
    )
    .await;
    assert!(e.contains("nul.csv: line 3: a NUL character"), "{e}");

    // UTF-16 without a byte-order mark is the usual source: NULs from the first character.
    let utf16: Vec<u8> = "name,phone\nA,138-0013-8000\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let e = refused("utf16.csv", &utf16, &opts(Entity::Customers)).await;
    assert!(e.contains("utf16.csv: line 1: a NUL character"), "{e}");
    assert!(e.contains("UTF-16 without a byte-order mark"), "{e}");
}
