//! Sheet sizes of old Excel (.xls) and OpenDocument (.ods) workbooks, read before calamine
//! opens them. calamine builds every sheet of these formats as a whole rectangle when it opens
//! the file, and a few hundred bytes can claim billions of cells:
//! - an .xls sheet declares its size in a DIMENSIONS record, which calamine reserves as is, and
//!   places each cell by row and column, the rectangle spanning the farthest one. A reservation
//!   of petabytes fails, and a failed allocation aborts the process: a crash, not an error;
//! - an .ods cell or row carries a repeat count, which calamine expands cell by cell.
//!
//! Both are bounded here by [`MAX_WORKBOOK_CELLS`], over all sheets (calamine holds them all).

use super::read::MAX_WORKBOOK_CELLS;
use super::run::ImportError;
use std::io::Read;
use std::path::Path;

/// BIFF record types: beginning of a substream (one per sheet; BIFF2 to BIFF8), the sheet's
/// declared size, and the cells calamine places (number, label, boolean or error, RK, shared
/// string label, formula, blank), then the multi-cell ones (several RKs or blanks in a row).
const BOF: [u16; 4] = [0x0009, 0x0209, 0x0409, 0x0809];
const DIMENSIONS: u16 = 0x0200;
const CELLS: [u16; 7] = [0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006, 0x0201];
const MULTI_CELLS: [u16; 2] = [0x00BD, 0x00BE];

/// Refuses an .xls whose sheets span more than [`MAX_WORKBOOK_CELLS`], by their declared size
/// or by the cells they place. A file that is not a compound document, or has no workbook
/// stream, is left to calamine, which says what is wrong with it.
pub(crate) fn check_xls(path: &Path, source: &str) -> Result<(), ImportError> {
    let Ok(mut doc) = cfb::open(path) else {
        return Ok(());
    };
    let Some(name) = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| doc.is_stream(n))
    else {
        return Ok(());
    };
    let mut stream = Vec::new();
    doc.open_stream(name)
        .and_then(|mut s| s.read_to_end(&mut stream))
        .map_err(|e| ImportError::File(format!("cannot open {source} as a workbook: {e}")))?;
    let mut sheets = Vec::new();
    let mut sheet = XlsSheet::default();
    let mut pos = 0usize;
    while pos + 4 <= stream.len() {
        let typ = u16_at(&stream, pos);
        let len = usize::from(u16_at(&stream, pos + 2));
        let data = &stream[pos + 4..(pos + 4 + len).min(stream.len())];
        pos += 4 + len;
        if BOF.contains(&typ) {
            sheets.push(std::mem::take(&mut sheet));
        } else if typ == DIMENSIONS {
            sheet.declared = sheet.declared.max(declared_cells(data));
        } else if CELLS.contains(&typ) && data.len() >= 4 {
            sheet.place(u16_at(data, 0), u16_at(data, 2));
        } else if MULTI_CELLS.contains(&typ) && data.len() >= 6 {
            sheet.place(u16_at(data, 0), u16_at(data, 2));
            sheet.place(u16_at(data, 0), u16_at(data, data.len() - 2));
        }
    }
    sheets.push(sheet);
    let total = sheets
        .iter()
        .map(XlsSheet::cells)
        .fold(0u64, u64::saturating_add);
    within_limit(source, total)
}

/// One substream's declared size and the farthest cell it places.
#[derive(Default)]
struct XlsSheet {
    declared: u64,
    last: Option<(u64, u64)>,
}

impl XlsSheet {
    fn place(&mut self, row: u16, col: u16) {
        let (r, c) = self.last.unwrap_or((0, 0));
        self.last = Some((r.max(u64::from(row)), c.max(u64::from(col))));
    }

    /// The larger of what calamine reserves and what it builds (the rectangle from the first
    /// row and column to the farthest cell; counted from A1, which is never smaller).
    fn cells(&self) -> u64 {
        let built = self.last.map_or(0, |(r, c)| (r + 1).saturating_mul(c + 1));
        self.declared.max(built)
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// The cells a DIMENSIONS record declares: BIFF8 gives the first row and the row past the last
/// as 32-bit numbers, earlier versions as 16-bit ones; then the first column and the one past
/// the last.
fn declared_cells(d: &[u8]) -> u64 {
    let span = |first: u64, past: u64| past.saturating_sub(first).saturating_add(1);
    let (rows, cols) = if d.len() >= 12 {
        let row =
            |at: usize| u64::from(u32::from_le_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]));
        (
            span(row(0), row(4)),
            span(u64::from(u16_at(d, 8)), u64::from(u16_at(d, 10))),
        )
    } else if d.len() >= 8 {
        (
            span(u64::from(u16_at(d, 0)), u64::from(u16_at(d, 2))),
            span(u64::from(u16_at(d, 4)), u64::from(u16_at(d, 6))),
        )
    } else {
        (0, 0)
    };
    rows.saturating_mul(cols)
}

/// Refuses an .ods whose sheets expand to more than [`MAX_WORKBOOK_CELLS`] by their repeat
/// counts. Each row counts as calamine builds it: its cells up to the last one that may hold a
/// value, each repeated as often as it says; the sheet is as many rows, each repeated, up to the
/// last such row, times its widest row. A cell may hold a value when it has content or an
/// `office:` value or a formula; the empty cells a spreadsheet program pads rows with, repeated
/// to the sheet's last column, do not count, as calamine skips them. A file that is not a ZIP
/// or has no `content.xml` is left to calamine.
pub(crate) fn check_ods(path: &Path, source: &str) -> Result<(), ImportError> {
    use quick_xml::events::Event;
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let Ok(content) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let unreadable =
        |e: &dyn std::fmt::Display| ImportError::File(format!("cannot read {source}: {e}"));
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let mut total = 0u64;
    let mut sheet = OdsSheet::default();
    // The row being read: its width so far, empty cells not yet followed by a value, repeats.
    let mut row: Option<(u64, u64, u64)> = None;
    loop {
        let (e, has_content) = match reader
            .read_event_into(&mut buf)
            .map_err(|e| unreadable(&e))?
        {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                match e.name().as_ref() {
                    b"table:table-row" => {
                        if let Some((width, _, repeats)) = row.take() {
                            sheet.add_row(width, repeats);
                        }
                        within_limit(source, total.saturating_add(sheet.cells()))?;
                    }
                    b"table:table" => {
                        total = total.saturating_add(std::mem::take(&mut sheet).cells());
                    }
                    _ => {}
                }
                buf.clear();
                continue;
            }
            Event::Eof => break,
            _ => {
                buf.clear();
                continue;
            }
        };
        let name = e.name();
        let repeat_attr: &[u8] = match name.as_ref() {
            b"table:table-row" => b"table:number-rows-repeated",
            b"table:table-cell" | b"table:covered-table-cell" => b"table:number-columns-repeated",
            _ => {
                buf.clear();
                continue;
            }
        };
        let mut repeats = 1u64;
        let mut valued = has_content;
        for a in e.attributes() {
            let a = a.map_err(|e| unreadable(&e))?;
            let key = a.key.as_ref();
            if key == repeat_attr {
                repeats = std::str::from_utf8(&a.value)
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(1);
            } else if key.starts_with(b"office:") || key == b"table:formula" {
                valued = true;
            }
        }
        if name.as_ref() == b"table:table-row" {
            row = Some((0, 0, repeats));
            if !has_content {
                sheet.add_row(0, repeats);
                row = None;
            }
        } else if let Some((width, pending, _)) = row.as_mut() {
            if valued {
                *width = width.saturating_add(*pending).saturating_add(repeats);
                *pending = 0;
            } else {
                *pending = pending.saturating_add(repeats);
            }
        }
        // One row alone is built before its end is seen.
        if let Some((width, _, _)) = row {
            within_limit(source, width)?;
        }
        buf.clear();
    }
    total = total.saturating_add(sheet.cells());
    within_limit(source, total)
}

/// An .ods sheet read so far: rows up to the last with a value (each repeated), rows after it
/// (which count only if a later row has a value), and the widest row.
#[derive(Default)]
struct OdsSheet {
    rows: u64,
    trailing_empty: u64,
    widest: u64,
}

impl OdsSheet {
    fn add_row(&mut self, width: u64, repeats: u64) {
        if width == 0 {
            self.trailing_empty = self.trailing_empty.saturating_add(repeats);
            return;
        }
        self.rows = self
            .rows
            .saturating_add(self.trailing_empty)
            .saturating_add(repeats);
        self.trailing_empty = 0;
        self.widest = self.widest.max(width);
    }

    fn cells(&self) -> u64 {
        self.rows.saturating_mul(self.widest)
    }
}

/// Refuses `cells` past [`MAX_WORKBOOK_CELLS`].
fn within_limit(source: &str, cells: u64) -> Result<(), ImportError> {
    if cells <= MAX_WORKBOOK_CELLS {
        return Ok(());
    }
    Err(ImportError::File(format!(
        "{source}: its sheets span {cells} cells, more than the {MAX_WORKBOOK_CELLS} an import \
         reads (a damaged or hostile file, or a sheet to split or save as CSV)"
    )))
}
