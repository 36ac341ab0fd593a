//! File → table of text cells with physical line numbers.
//!
//! Shops export customer lists from whatever they have: Excel, WPS, a Korean ERP, a Taiwanese
//! POS. So this module accepts UTF-8 (with or without BOM), UTF-16 with BOM, and the legacy
//! encodings those programs still write (GB18030/GBK, Big5, EUC-KR); commas, semicolons, tabs
//! and whitespace-aligned columns; and XLSX/XLS/ODS workbooks. Everything comes out as text so
//! that one parser (`parse.rs`) does all the typing and reports every problem the same way.
//!
//! Line numbers are *physical* lines of the file (the header is line 1), also when a quoted
//! cell spans several lines, because that is what a user sees in an editor when fixing a reject.

use super::run::{Delimiter, EncodingChoice, ImportError, ImportOptions};
use encoding_rs::{Encoding, BIG5, EUC_KR, GB18030, GBK, UTF_16BE, UTF_16LE};
use std::borrow::Cow;
use std::path::Path;

/// Largest cell we accept, in bytes. A bigger cell is almost always a broken quote that swallowed
/// the rest of the file; its row is rejected rather than loaded into the database.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// How much of an oversized cell is kept (for the rejects file), in characters.
const OVERSIZED_KEEP_CHARS: usize = 100;

/// Most columns a row may have: Excel's own limit, so no spreadsheet export exceeds it. A wider
/// row is a wrong delimiter or not a table at all, and would cost ~24 bytes per empty cell.
pub const MAX_COLUMNS: usize = 16_384;

/// Largest part (one member of the ZIP container) of a workbook that is decompressed, in bytes.
/// calamine holds a sheet's shared strings, and any single XML text node, in memory whole; a
/// ZIP bomb's few kilobytes would otherwise expand to gigabytes there. A full sheet of a million
/// rows is well below this.
pub const MAX_WORKBOOK_PART_BYTES: u64 = 1 << 30;

/// Largest whole workbook, decompressed: bounds the time the check of its parts takes.
const MAX_WORKBOOK_TOTAL_BYTES: u64 = 4 << 30;

/// Most cells a workbook may expand to: 1,048,576 rows of 24 columns. For an XLSX or XLSB sheet,
/// read cell by cell, its data rows × the widest row; for .xls and .ods, whose sheets calamine
/// builds whole when it opens the file, every sheet's rectangle together (`sheet_size`). Two
/// cells at A1 and XFD1048576 make a tiny file whose rectangle is 17 billion cells.
pub const MAX_WORKBOOK_CELLS: u64 = 25_165_824;

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based physical line (or sheet row) where the row starts; the header is line 1.
    pub line: u64,
    pub cells: Vec<String>,
    /// A cell that exceeded [`MAX_CELL_BYTES`]: its column index and original size in bytes.
    /// The cell itself is truncated in `cells`; the parser rejects the row.
    pub oversized: Option<(usize, usize)>,
}

/// A file as text cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// The first non-blank row when the file has a header.
    pub header: Option<Vec<String>>,
    /// Data rows in file order, blank lines skipped.
    pub rows: Vec<Row>,
}

/// The reading part of [`ImportOptions`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub header: bool,
    pub delimiter: Option<Delimiter>,
    pub encoding: EncodingChoice,
    pub sheet: Option<String>,
}

impl From<&ImportOptions> for ReadOptions {
    fn from(o: &ImportOptions) -> Self {
        Self {
            header: o.header,
            delimiter: o.delimiter,
            encoding: o.encoding,
            sheet: o.sheet.clone(),
        }
    }
}

/// Workbook extensions handed to calamine; anything else is read as delimited text.
const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// About how many rows a text file holds: its size over the mean length of the lines in its
/// first 64 KiB. `None` for a workbook (compressed), an unreadable or an empty file. An estimate
/// only — it chooses how an import writes, never what it writes.
pub fn estimate_rows(path: &Path) -> Option<u64> {
    use std::io::Read;
    if is_workbook(path) {
        return None;
    }
    let mut f = std::fs::File::open(path).ok()?;
    let size = f.metadata().ok()?.len();
    let mut head = Vec::with_capacity(64 * 1024);
    f.by_ref().take(64 * 1024).read_to_end(&mut head).ok()?;
    let lines = head.iter().filter(|&&b| b == b'\n').count() as u64;
    if head.is_empty() || lines == 0 {
        return None;
    }
    Some(size.saturating_mul(lines) / head.len() as u64)
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

fn is_workbook(path: &Path) -> bool {
    WORKBOOK_EXTENSIONS.contains(&extension(path).as_str())
}

/// Reads a file: a workbook by extension, else delimited text.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Table, ImportError> {
    if is_workbook(path) {
        return read_workbook(path, opts);
    }
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_text(&bytes, &path.display().to_string(), opts)
}

/// Reads delimited text from memory (`source` names it in messages: a path or an upload's name).
pub fn read_text(bytes: &[u8], source: &str, opts: &ReadOptions) -> Result<Table, ImportError> {
    let text = decode_checked(bytes, source, opts)?;
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let mut sink = RowSink::new(opts.header);
    let mut rows = Vec::new();
    each_record(&text, delimiter, source, |r| {
        if let Some(row) = sink.push(r) {
            rows.push(row);
        }
        true
    })?;
    if rows.is_empty() {
        return Err(sink.empty_error(source));
    }
    Ok(Table {
        header: sink.header,
        rows,
    })
}

/// What [`stream_path`] hands over, in this order: the header (once, before any row), then the
/// data rows in chunks.
pub enum StreamEvent<'a> {
    Header(Option<&'a [String]>),
    Rows(Vec<Row>),
}

/// Reads a file like [`read_path`], but hands its data rows over in chunks of up to `chunk`
/// rows as they are read, so a large file never sits in memory as cells all at once. `f`
/// returns `Ok(false)` to stop reading; its error stops the read and is returned.
pub fn stream_path(
    path: &Path,
    opts: &ReadOptions,
    chunk: usize,
    mut f: impl FnMut(StreamEvent<'_>) -> Result<bool, ImportError>,
) -> Result<(), ImportError> {
    let chunk = chunk.max(1);
    if is_workbook(path) {
        // calamine holds the sheet in memory anyway; hand it over in chunks all the same.
        let table = read_workbook(path, opts)?;
        if !f(StreamEvent::Header(table.header.as_deref()))? {
            return Ok(());
        }
        let mut rows = table.rows.into_iter();
        loop {
            let part: Vec<Row> = rows.by_ref().take(chunk).collect();
            if part.is_empty() || !f(StreamEvent::Rows(part))? {
                return Ok(());
            }
        }
    }
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let source = path.display().to_string();
    let text = decode_checked(&bytes, &source, opts)?;
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let mut sink = RowSink::new(opts.header);
    let mut buf = Vec::with_capacity(chunk);
    let mut started = false;
    let mut stopped = false;
    let mut failed = None;
    each_record(&text, delimiter, &source, |r| {
        let Some(row) = sink.push(r) else {
            return true;
        };
        let mut step = |ev: StreamEvent<'_>| match f(ev) {
            Ok(go) => go,
            Err(e) => {
                failed = Some(e);
                false
            }
        };
        if !started {
            started = true;
            if !step(StreamEvent::Header(sink.header.as_deref())) {
                stopped = true;
                return false;
            }
        }
        buf.push(row);
        if buf.len() == chunk && !step(StreamEvent::Rows(std::mem::take(&mut buf))) {
            stopped = true;
            return false;
        }
        true
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !started {
        return Err(sink.empty_error(&source));
    }
    if !stopped && !buf.is_empty() {
        f(StreamEvent::Rows(buf))?;
    }
    Ok(())
}

/// Refuses a ZIP container read as text, then decodes.
fn decode_checked<'a>(
    bytes: &'a [u8],
    source: &str,
    opts: &ReadOptions,
) -> Result<Cow<'a, str>, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(ImportError::File(format!(
            "{source} looks like an XLSX/ZIP file; give it the .xlsx extension to read it as a workbook"
        )));
    }
    let text = decode(bytes, opts.encoding, source)?;
    check_stray_chars(&text, source)?;
    Ok(text)
}

/// 1-based line of byte `at`: the newlines before it, plus one. Valid for UTF-8 and for the
/// legacy CJK encodings, where 0x0A is never part of a multi-byte character.
fn line_at(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Refuses NUL characters and byte-order marks after the start of the text. A NUL means
/// UTF-16 without a BOM or a binary file, and PostgreSQL refuses it in text (failing the whole
/// import's transaction); a BOM in the middle is where two exports were joined, and would
/// otherwise reach the archive as an invisible character glued to a name.
fn check_stray_chars(text: &str, source: &str) -> Result<(), ImportError> {
    const BOM: &[u8] = "\u{feff}".as_bytes();
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| c == 0 || c == BOM[0]) {
        let at = from + i;
        let what = if b[at] == 0 {
            "a NUL character; is the file UTF-16 without a byte-order mark, or not text at all?"
        } else if b[at..].starts_with(BOM) {
            "a byte-order mark (U+FEFF) in the middle of the file; were two files joined together? \
             Remove it and import again"
        } else {
            from = at + 1;
            continue;
        };
        let line = line_at(b, at);
        return Err(ImportError::File(format!("{source}: line {line}: {what}")));
    }
    Ok(())
}

/// Refuses a row wider than [`MAX_COLUMNS`] before its cells are copied.
fn check_width(source: &str, line: u64, columns: usize) -> Result<(), ImportError> {
    if columns > MAX_COLUMNS {
        return Err(ImportError::File(format!(
            "{source}: line {line}: {columns} columns, more than the {MAX_COLUMNS} an import reads \
             (is the delimiter right?)"
        )));
    }
    Ok(())
}

/// Calls `f` with each record of delimited text, in order, until it returns false.
fn each_record(
    text: &str,
    delimiter: Delimiter,
    source: &str,
    f: impl FnMut(RawRecord) -> bool,
) -> Result<(), ImportError> {
    match delimiter {
        Delimiter::Whitespace => each_whitespace_line(text, source, f),
        Delimiter::Comma => each_csv_record(text, b',', source, f),
        Delimiter::Semicolon => each_csv_record(text, b';', source, f),
        Delimiter::Tab => each_csv_record(text, b'\t', source, f),
        Delimiter::Other(b) => {
            if !b.is_ascii() || matches!(b, b'"' | b'\n' | b'\r') {
                return Err(ImportError::File(format!(
                    "the delimiter must be one ASCII character other than a quote or a line break (got byte 0x{b:02x})"
                )));
            }
            each_csv_record(text, b, source, f)
        }
    }
}

/// Decodes the file into text according to `choice` (see [`EncodingChoice`]).
fn decode<'a>(
    bytes: &'a [u8],
    choice: EncodingChoice,
    source: &str,
) -> Result<Cow<'a, str>, ImportError> {
    const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
    let not_utf8 = |at: usize| {
        ImportError::File(format!(
            "{source} is not valid UTF-8 at byte {at} (line {}) (try --encoding gb18030|big5|euc-kr)",
            line_at(bytes, at)
        ))
    };
    let strict_utf8 = |b: &'a [u8], offset: usize| -> Result<Cow<'a, str>, ImportError> {
        std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|e| not_utf8(offset + e.valid_up_to()))
    };
    match choice {
        EncodingChoice::Utf8 => match bytes.strip_prefix(UTF8_BOM) {
            Some(rest) => strict_utf8(rest, UTF8_BOM.len()),
            None => strict_utf8(bytes, 0),
        },
        EncodingChoice::Gb18030 => decode_strict(GB18030, bytes, source),
        EncodingChoice::Big5 => decode_strict(BIG5, bytes, source),
        EncodingChoice::EucKr => decode_strict(EUC_KR, bytes, source),
        EncodingChoice::Auto => {
            if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
                return strict_utf8(rest, UTF8_BOM.len());
            }
            if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
                return decode_strict(UTF_16LE, rest, source);
            }
            if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
                return decode_strict(UTF_16BE, rest, source);
            }
            let bad_at = match std::str::from_utf8(bytes) {
                Ok(s) => return Ok(Cow::Borrowed(s)),
                Err(e) => e.valid_up_to(),
            };
            let guess = detect_legacy(bytes);
            let Some(enc) = guess else {
                return Err(ImportError::File(format!(
                    "{source} is not UTF-8 (at byte {bad_at}, line {}) and not recognisably \
                     GB18030, Big5 or EUC-KR either; save it as UTF-8 or name its encoding with \
                     --encoding gb18030|big5|euc-kr",
                    line_at(bytes, bad_at)
                )));
            };
            decode_strict(enc, bytes, source).map_err(|e| {
                ImportError::File(format!(
                    "{source} is not UTF-8 and looks like {}, but {e}; name the encoding with --encoding",
                    enc.name()
                ))
            })
        }
    }
}

/// Guesses among the legacy CJK encodings. GBK is widened to GB18030, its superset, so that the
/// rarer characters a GBK guess would miss still decode.
fn detect_legacy(bytes: &[u8]) -> Option<&'static Encoding> {
    // A prefix is plenty for detection; cut it at a line end so no character is split.
    const SAMPLE: usize = 1 << 20;
    let sample = if bytes.len() > SAMPLE {
        let cut = bytes[..SAMPLE]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(SAMPLE, |i| i + 1);
        &bytes[..cut]
    } else {
        bytes
    };
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(sample, true);
    let enc = det.guess(None, chardetng::Utf8Detection::Deny);
    if enc == GBK || enc == GB18030 {
        Some(GB18030)
    } else if enc == BIG5 || enc == EUC_KR {
        Some(enc)
    } else {
        None
    }
}

/// Decodes without replacement characters: a malformed sequence is an error naming its byte
/// offset, because silently turning names into `�` would corrupt the archive.
fn decode_strict<'a>(
    enc: &'static Encoding,
    bytes: &'a [u8],
    source: &str,
) -> Result<Cow<'a, str>, ImportError> {
    if let Some(s) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(s);
    }
    // Find where it went wrong, for the message.
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(4096);
    let mut pos = 0usize;
    loop {
        let (res, read) =
            decoder.decode_to_string_without_replacement(&bytes[pos..], &mut out, true);
        pos += read;
        match res {
            encoding_rs::DecoderResult::InputEmpty => break,
            encoding_rs::DecoderResult::OutputFull => {
                out.clear();
                out.reserve(4096);
            }
            encoding_rs::DecoderResult::Malformed(bad, after) => {
                let at = pos.saturating_sub(bad as usize + after as usize);
                // In UTF-16 a 0x0A byte can be half of any character: no line number there.
                let line = if enc == UTF_16LE || enc == UTF_16BE {
                    String::new()
                } else {
                    format!(" (line {})", line_at(bytes, at))
                };
                return Err(ImportError::File(format!(
                    "{source} is not valid {} at byte {at}{line} (try another --encoding)",
                    enc.name()
                )));
            }
        }
    }
    Err(ImportError::File(format!(
        "{source} is not valid {}",
        enc.name()
    )))
}

/// Picks the delimiter among comma, semicolon and tab: the one that splits the first records
/// into the same (non-zero) number of cells most consistently. Quoted text is ignored.
fn sniff_delimiter(text: &str) -> Delimiter {
    const CANDIDATES: [(char, Delimiter); 3] = [
        (',', Delimiter::Comma),
        (';', Delimiter::Semicolon),
        ('\t', Delimiter::Tab),
    ];
    let mut counts: Vec<[usize; 3]> = Vec::new();
    let mut cur = [0usize; 3];
    let mut in_quotes = false;
    let mut nonblank = false;
    for c in text.chars().take(64 * 1024) {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' if !in_quotes => {
                if nonblank {
                    counts.push(cur);
                    if counts.len() >= 20 {
                        break;
                    }
                }
                cur = [0; 3];
                nonblank = false;
            }
            _ if in_quotes => {}
            _ => {
                if let Some(i) = CANDIDATES.iter().position(|(d, _)| *d == c) {
                    cur[i] += 1;
                }
                if !c.is_whitespace() {
                    nonblank = true;
                }
            }
        }
    }
    if nonblank && counts.len() < 20 {
        counts.push(cur);
    }
    let mut best = (Delimiter::Comma, 0usize, 0usize);
    for (i, (_, d)) in CANDIDATES.iter().enumerate() {
        let Some(first) = counts.first().map(|c| c[i]) else {
            break;
        };
        if first == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|c| c[i] == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (*d, consistent, first);
        }
    }
    best.0
}

/// One record as read, before header handling.
type RawRecord = (u64, Vec<String>);

fn each_csv_record(
    text: &str,
    delimiter: u8,
    source: &str,
    mut f: impl FnMut(RawRecord) -> bool,
) -> Result<(), ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                let line = record_line(text, &rec);
                check_width(source, line, rec.len())?;
                // A formula-looking cell Patron quoted on export loses its apostrophe.
                let cells = rec
                    .iter()
                    .map(|c| crate::csv_cell::unescape(c).to_owned())
                    .collect();
                if !f((line, cells)) {
                    return Ok(());
                }
            }
            Ok(false) => return Ok(()),
            Err(e) => {
                let line = e.position().map_or(rdr.position().line(), |p| p.line());
                return Err(ImportError::File(format!("{source}: line {line}: {e}")));
            }
        }
    }
}

/// The physical line a record starts on. csv reports where it *started reading*, which can be
/// the end of the previous line (a CRLF's `\n`) or blank lines before the record; skip those.
fn record_line(text: &str, rec: &csv::StringRecord) -> u64 {
    let Some(pos) = rec.position() else { return 0 };
    let mut line = pos.line();
    let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    for b in text.as_bytes().iter().skip(start) {
        match b {
            b'\n' => line += 1,
            b'\r' => {}
            _ => break,
        }
    }
    line
}

/// Whitespace-aligned columns (fixed-width logs like CDNOW's): cells are runs of non-blank
/// characters; there is no quoting.
fn each_whitespace_line(
    text: &str,
    source: &str,
    mut f: impl FnMut(RawRecord) -> bool,
) -> Result<(), ImportError> {
    for (i, l) in text.split('\n').enumerate() {
        let cells = l.split([' ', '\t', '\r']).filter(|s| !s.is_empty());
        check_width(source, i as u64 + 1, cells.clone().count())?;
        if !f((i as u64 + 1, cells.map(str::to_owned).collect())) {
            return Ok(());
        }
    }
    Ok(())
}

/// Skips blank records, splits off the header, guards the cell size — one record at a time.
struct RowSink {
    want_header: bool,
    header: Option<Vec<String>>,
}

impl RowSink {
    fn new(header: bool) -> Self {
        RowSink {
            want_header: header,
            header: None,
        }
    }

    /// The data row this record is, if it is one.
    fn push(&mut self, (line, cells): RawRecord) -> Option<Row> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        if self.want_header {
            // Header names end up in messages; a runaway one is cut to a readable length.
            self.header = Some(
                cells
                    .iter()
                    .map(|c| c.trim().chars().take(200).collect())
                    .collect(),
            );
            self.want_header = false;
            return None;
        }
        Some(guard_row(line, cells))
    }

    /// The error for a file without data rows.
    fn empty_error(&self, source: &str) -> ImportError {
        ImportError::File(if self.header.is_some() {
            format!("{source} is empty (it has a header line but no data rows)")
        } else {
            format!("{source} is empty")
        })
    }
}

/// Builds a table from records (the workbook reader's path).
fn into_table(records: Vec<RawRecord>, header: bool, source: &str) -> Result<Table, ImportError> {
    let mut sink = RowSink::new(header);
    let rows: Vec<Row> = records.into_iter().filter_map(|r| sink.push(r)).collect();
    if rows.is_empty() {
        return Err(sink.empty_error(source));
    }
    Ok(Table {
        header: sink.header,
        rows,
    })
}

/// Truncates the first oversized cell of a row and notes it for the parser to reject.
fn guard_row(line: u64, mut cells: Vec<String>) -> Row {
    let mut oversized = None;
    for (i, c) in cells.iter_mut().enumerate() {
        if c.len() > MAX_CELL_BYTES {
            if oversized.is_none() {
                oversized = Some((i, c.len()));
            }
            let mut kept: String = c.chars().take(OVERSIZED_KEEP_CHARS).collect();
            kept.push('…');
            *c = kept;
        }
    }
    Row {
        line,
        cells,
        oversized,
    }
}

/// Reads the first (or the named) sheet of a workbook. Row numbers are the sheet's row numbers,
/// which is what the user sees in Excel.
fn read_workbook(path: &Path, opts: &ReadOptions) -> Result<Table, ImportError> {
    let source = path.display().to_string();
    if let Err(source_err) = std::fs::metadata(path) {
        return Err(ImportError::Io {
            path: path.to_path_buf(),
            source: source_err,
        });
    }
    check_zip_parts(path, &source)?;
    match extension(path).as_str() {
        "xls" => super::sheet_size::check_xls(path, &source)?,
        "ods" => super::sheet_size::check_ods(path, &source)?,
        _ => {}
    }
    // calamine trusts parts of a workbook it should check: a cell naming a shared string past
    // the end of the list panics inside it (found by fuzzing, `fuzz/fuzz_targets/import_xlsx.rs`).
    // A damaged file is the user's input, so it gets an error like any other, not a crash.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook_checked(path, opts, &source)
    }))
    .unwrap_or_else(|_| {
        Err(ImportError::File(format!(
            "{source} is a damaged workbook that cannot be read; open it in the spreadsheet \
             program and save it again, or save it as CSV"
        )))
    })
}

/// [`read_workbook`] once the file's container has passed its checks.
fn read_workbook_checked(
    path: &Path,
    opts: &ReadOptions,
    source: &str,
) -> Result<Table, ImportError> {
    use calamine::Reader;
    let source = source.to_owned();
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| ImportError::File(format!("cannot open {source} as a workbook: {e}")))?;
    let names = wb.sheet_names();
    let sheet = match &opts.sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                return Err(ImportError::File(format!(
                    "{source} has no sheet named '{s}' (sheets: {})",
                    names.join(", ")
                )));
            }
            s.clone()
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::File(format!("{source} is empty (no sheets)")))?,
    };
    let bad = |e: &dyn std::fmt::Display| {
        ImportError::File(format!("cannot read sheet '{sheet}' of {source}: {e}"))
    };
    // XLSX and XLSB have cell readers of different types with the same methods.
    macro_rules! streamed {
        ($wb:expr) => {{
            let mut cells = $wb.worksheet_cells_reader(&sheet).map_err(|e| bad(&e))?;
            let next = || cells.next_cell().map_err(|e| bad(&e));
            Some(sparse_records(next, &sheet, &source)?)
        }};
    }
    let records = match &mut wb {
        calamine::Sheets::Xlsx(x) => streamed!(x),
        calamine::Sheets::Xlsb(x) => streamed!(x),
        _ => None,
    };
    if let Some(records) = records {
        return into_table(records, opts.header, &source);
    }
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| ImportError::File(format!("cannot read sheet '{sheet}' of {source}: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as u64);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let records = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Cells left of the used range are empty; keep column positions as in the sheet.
            let mut v = vec![String::new(); first_col];
            // The range is rectangular, so every row has all columns (trailing ones empty);
            // the parser ignores empty cells beyond the mapped columns.
            v.extend(cells.iter().map(cell_text));
            (first_row + i as u64 + 1, v)
        })
        .collect();
    into_table(records, opts.header, &source)
}

/// Decompresses every part of a ZIP-based workbook (XLSX, ODS) into nothing, counting, and
/// refuses one that expands beyond [`MAX_WORKBOOK_PART_BYTES`] — by its declared size or, since
/// a ZIP bomb can lie about that, by the bytes it actually yields. calamine would otherwise
/// inflate it into memory. A file that is not a ZIP (an old .xls) is left to calamine.
fn check_zip_parts(path: &Path, source: &str) -> Result<(), ImportError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| ImportError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        ImportError::File(format!("cannot open {source} as a workbook: {e}"))
    };
    let mib = |n: u64| n >> 20;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| unreadable(&e))?;
        let name = part.name().to_owned();
        let declared = part.size();
        if declared > MAX_WORKBOOK_PART_BYTES {
            return Err(ImportError::File(format!(
                "{source}: the workbook part {name} would decompress to {} MiB, more than the {} MiB \
                 an import reads (a ZIP bomb, or a sheet to split or save as CSV)",
                mib(declared),
                mib(MAX_WORKBOOK_PART_BYTES)
            )));
        }
        let limit = MAX_WORKBOOK_PART_BYTES.min(MAX_WORKBOOK_TOTAL_BYTES - total);
        let n = std::io::copy(&mut (&mut part).take(limit + 1), &mut std::io::sink())
            .map_err(|e| unreadable(&format!("{name}: {e}")))?;
        if n > limit {
            return Err(ImportError::File(format!(
                "{source}: the workbook part {name} decompresses to more than {} MiB although it \
                 declares {declared} bytes (a ZIP bomb?)",
                mib(limit)
            )));
        }
        total += n;
    }
    Ok(())
}

/// The non-empty cells of an XLSX or XLSB sheet as records, streamed from the sheet (`next`
/// yields them) instead of through calamine's `worksheet_range`, which allocates the sheet's
/// whole rectangle up front (A1 and XFD1048576 alone: 17 billion cells, an allocation whose
/// failure aborts the process). Rows are padded to the widest row, as the rectangle was, and
/// the padded size is held to [`MAX_WORKBOOK_CELLS`].
fn sparse_records<'a>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<calamine::DataRef<'a>>>, ImportError>,
    sheet: &str,
    source: &str,
) -> Result<Vec<RawRecord>, ImportError> {
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let mut width = 0u64;
    while let Some(cell) = next()? {
        let (r, c) = cell.get_position();
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        width = width.max(u64::from(c) + 1);
        rows.entry(r).or_default().push((c, text));
        let size = rows.len() as u64 * width;
        if size > MAX_WORKBOOK_CELLS {
            return Err(ImportError::File(format!(
                "{source}: sheet '{sheet}' spans {} rows of {width} columns by row {} ({size} \
                 cells), more than the {MAX_WORKBOOK_CELLS} an import reads; save it as CSV",
                rows.len(),
                u64::from(r) + 1
            )));
        }
    }
    let width = usize::try_from(width).unwrap_or(usize::MAX);
    Ok(rows
        .into_iter()
        .map(|(r, row)| {
            let mut v = vec![String::new(); width];
            // A position listed twice keeps its last value, as calamine's range does.
            for (c, text) in row {
                v[c as usize] = text;
            }
            (u64::from(r) + 1, v)
        })
        .collect())
}

/// A workbook cell as the text a user would have typed: whole numbers without ".0", dates as
/// `YYYY-MM-DD` (with the time when it is not midnight).
fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(dt) => float_text(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(header: bool, delimiter: Option<Delimiter>) -> ReadOptions {
        ReadOptions {
            header,
            delimiter,
            ..Default::default()
        }
    }

    fn read(bytes: &[u8], o: &ReadOptions) -> Table {
        read_text(bytes, "test.csv", o).expect("readable")
    }

    fn cells(t: &Table) -> Vec<(u64, Vec<&str>)> {
        t.rows
            .iter()
            .map(|r| (r.line, r.cells.iter().map(String::as_str).collect()))
            .collect()
    }

    const CJK: &str = "姓名,电话\n张三,138-0013-8000\n";

    #[test]
    fn utf8_with_and_without_bom() {
        for bytes in [
            CJK.as_bytes().to_vec(),
            [b"\xEF\xBB\xBF".as_slice(), CJK.as_bytes()].concat(),
        ] {
            let t = read(&bytes, &opts(true, None));
            assert_eq!(t.header, Some(vec!["姓名".to_string(), "电话".to_string()]));
            assert_eq!(cells(&t), vec![(2, vec!["张三", "138-0013-8000"])]);
        }
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in CJK.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        for bytes in [le, be] {
            let t = read(&bytes, &opts(true, None));
            assert_eq!(cells(&t), vec![(2, vec!["张三", "138-0013-8000"])]);
        }
    }

    fn encode(enc: &'static Encoding, s: &str) -> Vec<u8> {
        let (b, _, unmappable) = enc.encode(s);
        assert!(!unmappable, "{} cannot encode the sample", enc.name());
        b.into_owned()
    }

    /// Longer samples so the detector has something to go on, as a real export would.
    const ZH_CN: &str = "客户编号,姓名,地址,备注\n001,张伟,北京市朝阳区建国路88号,老客户，喜欢红色包装的产品\n002,王芳,上海市浦东新区世纪大道100号,通过朋友介绍来的新客户\n003,李娜,广州市天河区体育西路,经常在周末来店里购买\n";
    const ZH_TW: &str = "客戶編號,姓名,地址,備註\n001,陳美玲,臺北市信義區松仁路100號,老客戶，喜歡紅色包裝的產品\n002,林志明,高雄市前鎮區中山二路,透過朋友介紹來的新客戶\n003,黃淑芬,臺中市西屯區臺灣大道,經常在週末來店裡購買\n";
    const KO: &str = "고객번호,이름,주소,메모\n001,김민준,서울특별시 강남구 테헤란로 123,오래된 고객이며 빨간색 포장을 좋아함\n002,이서연,부산광역시 해운대구 센텀로 45,친구 소개로 온 신규 고객\n003,박지훈,대구광역시 중구 동성로 12,주말에 자주 매장을 방문함\n";

    #[test]
    fn legacy_encodings_detected_and_explicit() {
        for (enc, text, choice) in [
            (GB18030, ZH_CN, EncodingChoice::Gb18030),
            (GBK, ZH_CN, EncodingChoice::Gb18030),
            (BIG5, ZH_TW, EncodingChoice::Big5),
            (EUC_KR, KO, EncodingChoice::EucKr),
        ] {
            let bytes = encode(enc, text);
            assert!(std::str::from_utf8(&bytes).is_err());
            let auto = read(&bytes, &opts(true, None));
            let want: Vec<Vec<String>> = text
                .lines()
                .skip(1)
                .map(|l| l.split(',').map(str::to_owned).collect())
                .collect();
            let got: Vec<Vec<String>> = auto.rows.iter().map(|r| r.cells.clone()).collect();
            assert_eq!(got, want, "auto-detected {}", enc.name());
            let explicit = read(
                &bytes,
                &ReadOptions {
                    encoding: choice,
                    ..opts(true, None)
                },
            );
            assert_eq!(explicit, auto, "explicit {}", enc.name());
        }
    }

    #[test]
    fn wrong_explicit_encoding_is_an_error() {
        let e = read_text(
            &encode(GB18030, ZH_CN),
            "f.csv",
            &ReadOptions {
                encoding: EncodingChoice::Utf8,
                ..opts(true, None)
            },
        )
        .expect_err("not utf-8");
        let msg = e.to_string();
        assert!(msg.contains("not valid UTF-8 at byte 0"), "{msg}");
        assert!(msg.contains("--encoding gb18030|big5|euc-kr"), "{msg}");
        // 0x80 is not a lead byte in Big5.
        let e = read_text(
            b"a,b\n\x80\x80,c\n",
            "f.csv",
            &ReadOptions {
                encoding: EncodingChoice::Big5,
                ..opts(true, None)
            },
        )
        .expect_err("malformed big5");
        assert!(e.to_string().contains("not valid Big5 at byte 4"), "{e}");
    }

    #[test]
    fn undecodable_bytes_under_auto_is_a_clear_error() {
        let mut junk = b"name,phone\n".to_vec();
        junk.extend((0..200u8).map(|i| i.wrapping_mul(37) | 0x80));
        junk.extend(b"\x00\x01\xff\xfe\n");
        let e = read_text(&junk, "junk.csv", &opts(true, None)).expect_err("junk");
        assert!(e.to_string().contains("junk.csv"), "{e}");
        let e = read_text(b"PK\x03\x04rest", "book.csv", &opts(true, None)).expect_err("zip");
        assert!(e.to_string().contains(".xlsx"), "{e}");
    }

    #[test]
    fn delimiters_explicit_and_sniffed() {
        let semi = "a;b;c\n1;\"x;y\";3\n4;5;6\n";
        let tab = "a\tb\tc\n1\t2,5\t3\n";
        let comma = "a,b,c\n1,\"2;3\",3\n";
        for (text, want) in [
            (semi, Delimiter::Semicolon),
            (tab, Delimiter::Tab),
            (comma, Delimiter::Comma),
        ] {
            assert_eq!(sniff_delimiter(text), want, "{text:?}");
            let t = read(text.as_bytes(), &opts(true, None));
            assert_eq!(t.header.as_ref().map(Vec::len), Some(3));
            assert!(t.rows.iter().all(|r| r.cells.len() == 3), "{t:?}");
        }
        let t = read(b"a|b\n1|2\n", &opts(true, Some(Delimiter::Other(b'|'))));
        assert_eq!(cells(&t), vec![(2, vec!["1", "2"])]);
        assert!(read_text(b"a\n", "f", &opts(false, Some(Delimiter::Other(b'"')))).is_err());
    }

    #[test]
    fn whitespace_delimiter_cdnow_line() {
        let t = read(
            b" 00004 0001 19970101  2   29.33\r\n\r\n 00004 0001 19970118\t2   29.73\r\n",
            &opts(false, Some(Delimiter::Whitespace)),
        );
        assert_eq!(t.header, None);
        assert_eq!(
            cells(&t),
            vec![
                (1, vec!["00004", "0001", "19970101", "2", "29.33"]),
                (3, vec!["00004", "0001", "19970118", "2", "29.73"]),
            ]
        );
    }

    #[test]
    fn quoted_multiline_cells_keep_physical_line_numbers() {
        let text = "name,notes\r\n\"A\",\"line one\r\nline two\r\nline three\"\r\n\r\nB,\"say \"\"hi\"\"\"\r\n,\r\nC,plain\r\n";
        let t = read(text.as_bytes(), &opts(true, None));
        assert_eq!(
            cells(&t),
            vec![
                (2, vec!["A", "line one\r\nline two\r\nline three"]),
                (6, vec!["B", "say \"hi\""]),
                (8, vec!["C", "plain"]),
            ]
        );
    }

    #[test]
    fn empty_files() {
        for (bytes, header) in [
            (&b""[..], true),
            (b"\n\n  \n", true),
            (b"\xEF\xBB\xBF", false),
            (b"name,phone\n\n", true),
        ] {
            let e = read_text(bytes, "e.csv", &opts(header, None)).expect_err("empty");
            assert!(
                matches!(&e, ImportError::File(m) if m.contains("e.csv is empty")),
                "{e}"
            );
        }
    }

    #[test]
    fn huge_cell_is_truncated_and_flagged() {
        let big = "x".repeat(10 * 1024 * 1024);
        let text = format!("name,notes\nA,ok\nB,\"{big}\"\nC,ok\n");
        let t = read(text.as_bytes(), &opts(true, None));
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(t.rows[1].oversized, Some((1, big.len())));
        assert!(t.rows[1].cells[1].len() < 1000);
        assert_eq!(t.rows[2].oversized, None);
    }

    #[test]
    fn xlsx_first_and_named_sheet() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("book.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        {
            let ws = wb.add_worksheet();
            ws.set_name("客户").expect("name");
            for (c, h) in ["ref", "name", "birth_date", "qty", "price"]
                .iter()
                .enumerate()
            {
                ws.write_string(0, c as u16, *h).expect("write");
            }
            ws.write_string(1, 0, "C1").expect("write");
            ws.write_string(1, 1, "张三").expect("write");
            let d = rust_xlsxwriter::ExcelDateTime::from_ymd(1985, 3, 7).expect("date");
            ws.write_datetime_with_format(1, 2, &d, &date_fmt)
                .expect("write");
            ws.write_number(1, 3, 2.0).expect("write");
            ws.write_number(1, 4, 29.33).expect("write");
            // Row 3 blank, row 4 data.
            ws.write_string(3, 0, "C2").expect("write");
            ws.write_number(3, 3, 12345678901.0).expect("write");
        }
        {
            let ws = wb.add_worksheet();
            ws.set_name("Other").expect("name");
            ws.write_string(0, 0, "x").expect("write");
            ws.write_string(1, 0, "y").expect("write");
        }
        wb.save(&path).expect("save");

        let t = read_path(&path, &opts(true, None)).expect("xlsx");
        assert_eq!(
            t.header,
            Some(
                ["ref", "name", "birth_date", "qty", "price"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            cells(&t),
            vec![
                (2, vec!["C1", "张三", "1985-03-07", "2", "29.33"]),
                (4, vec!["C2", "", "", "12345678901", ""]),
            ]
        );
        let other = read_path(
            &path,
            &ReadOptions {
                sheet: Some("Other".into()),
                ..opts(true, None)
            },
        )
        .expect("other sheet");
        assert_eq!(cells(&other), vec![(2, vec!["y"])]);
        let e = read_path(
            &path,
            &ReadOptions {
                sheet: Some("Nope".into()),
                ..opts(true, None)
            },
        )
        .expect_err("missing sheet");
        assert!(e.to_string().contains("客户, Other"), "{e}");
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = read_path(Path::new("/nonexistent/x.csv"), &opts(true, None)).expect_err("missing");
        assert!(matches!(e, ImportError::Io { .. }));
        let e =
            read_path(Path::new("/nonexistent/x.xlsx"), &opts(true, None)).expect_err("missing");
        assert!(matches!(e, ImportError::Io { .. }));
    }
}
