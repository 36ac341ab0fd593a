//! The rejects file: every row that was not imported, why, and its original cells, so the user
//! can fix the rows in a spreadsheet and import that file again.
//!
//! It is UTF-8 with a BOM because Excel (the program most users open it with) otherwise reads
//! CSV in the ANSI code page and shows Chinese and Korean text as mojibake.

use super::read::Table;
use super::records::RowReject;
use super::run::ImportError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the rejects of `input` go by default: `<FILE>.rejects.csv` beside it.
pub fn default_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{name}.rejects.csv"))
}

/// Writes `rejects` (sorted by line) to `out` as CSV: `line,field,reason` then the row's original
/// cells from `table` (the header's names too, when the file had a header). Returns `out`.
pub fn write_rejects(
    out: &Path,
    table: &Table,
    rejects: &[RowReject],
) -> Result<PathBuf, ImportError> {
    let io_err = |source: std::io::Error| ImportError::Io {
        path: out.to_path_buf(),
        source,
    };
    let csv_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(source) => io_err(source),
        other => ImportError::File(format!("cannot write {}: {other:?}", out.display())),
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).map_err(io_err)?);
    file.write_all(b"\xEF\xBB\xBF").map_err(io_err)?;
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(file);
    let mut head = vec![
        "line".to_string(),
        "field".to_string(),
        "reason".to_string(),
    ];
    if let Some(h) = &table.header {
        head.extend(h.iter().cloned());
    }
    w.write_record(&head).map_err(csv_err)?;
    for r in rejects {
        let mut rec = vec![
            r.line.to_string(),
            r.field.clone().unwrap_or_default(),
            r.reason.clone(),
        ];
        // Rows are in line order, so the row of a reject is found by binary search.
        if let Ok(i) = table.rows.binary_search_by_key(&r.line, |row| row.line) {
            rec.extend(table.rows[i].cells.iter().cloned());
        }
        w.write_record(&rec).map_err(csv_err)?;
    }
    let file = w.into_inner().map_err(|e| io_err(e.into_error()))?;
    file.into_inner()
        .map_err(|e| io_err(e.into_error()))?
        .sync_all()
        .map_err(io_err)?;
    Ok(out.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::Row;

    #[test]
    fn writes_bom_header_and_original_cells() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("r.csv");
        let table = Table {
            header: Some(vec!["姓名".into(), "电话".into()]),
            rows: vec![
                Row {
                    line: 2,
                    cells: vec!["张三".into(), "abc".into()],
                    oversized: None,
                },
                Row {
                    line: 5,
                    cells: vec!["李四, \"小\"".into(), "1".into()],
                    oversized: None,
                },
            ],
        };
        let rejects = vec![
            RowReject {
                line: 2,
                field: Some("phone".into()),
                reason: "phone: 'abc' is not a phone number".into(),
            },
            RowReject {
                line: 5,
                field: None,
                reason: "the row has 3 cells".into(),
            },
            RowReject {
                line: 9,
                field: None,
                reason: "unknown line".into(),
            },
        ];
        assert_eq!(write_rejects(&out, &table, &rejects).expect("written"), out);
        let bytes = std::fs::read(&out).expect("read back");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let recs: Vec<Vec<String>> = r
            .records()
            .map(|x| x.expect("record").iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(recs[0], vec!["line", "field", "reason", "姓名", "电话"]);
        assert_eq!(
            recs[1],
            vec![
                "2",
                "phone",
                "phone: 'abc' is not a phone number",
                "张三",
                "abc"
            ]
        );
        assert_eq!(
            recs[2],
            vec!["5", "", "the row has 3 cells", "李四, \"小\"", "1"]
        );
        assert_eq!(recs[3], vec!["9", "", "unknown line"]);
    }

    #[test]
    fn default_path_is_beside_the_input() {
        assert_eq!(
            default_path(Path::new("/tmp/a/客户.csv")),
            PathBuf::from("/tmp/a/客户.csv.rejects.csv")
        );
    }
}
