//! Patron's storage: one [`Store`] trait, implemented over SQLite (the default, one file) and
//! PostgreSQL (a team), plus import and export of CSV/XLSX and the demo data generator.
//!
//! Both databases run the same SQL text wherever their dialects agree and the same Rust code
//! around it, so the contract tests prove one behaviour, not two.
#![deny(unsafe_code)]

pub mod accounts;
pub mod after_sales;
pub mod analytics;
pub mod backup;
pub mod bulk;
pub mod churn;
pub mod classes;
pub mod complaints;
pub mod contact;
pub mod credit;
pub mod csv_cell;
pub mod demo;
pub mod error;
pub mod export;
pub mod import;
pub mod indicators;
pub mod key_accounts;
pub mod lists;
pub mod plans;
pub mod promotions;
pub mod query;
pub mod satisfaction;
mod sql;
pub mod store;
pub mod surveys;
pub mod testkit;
pub mod touch;

pub use error::{StoreError, StoreResult};
pub use query::*;
pub use sql::{connect, sqlite_path, transfer, wipe_database, Backend, PoolStatus, SqlStore};
pub use store::Store;
