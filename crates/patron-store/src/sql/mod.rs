//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL.

use crate::error::*;
use crate::import::*;
use crate::bulk::*;
use crate::query::*;
use crate::store::Store;
use async_trait::async_trait;
use patron_core::*;
use std::sync::Arc;

mod store_impl;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    backend: Backend,
}

pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    let _ = url;
    Ok(Arc::new(SqlStore { backend: Backend::Sqlite }))
}
