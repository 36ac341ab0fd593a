//! Importing customers, contacts (key persons), products and orders from CSV and XLSX.
//!
//! The pipeline: [`read`] turns a file (any of the encodings Chinese and Korean spreadsheet
//! programs export, any delimiter) into a table of text cells with line numbers; [`mapping`]
//! matches columns to fields (by header name in four languages, or `--columns`); [`parse`] turns
//! each row into a typed record or a reject with line and reason; the store applies all records
//! in one transaction ([`crate::Store::apply_import`]); [`rejects`] writes the rejected rows.

pub mod keys;
pub mod mapping;
pub mod parse;
pub mod read;
pub mod records;
pub mod rejects;
mod run;
mod sheet_size;

pub use records::*;
pub use run::{run_import, Delimiter, EncodingChoice, ImportError, ImportOptions, ImportReport};
