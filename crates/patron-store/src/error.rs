//! The store's small error enum. Every backend error is mapped once, here, so callers (the web
//! layer, the CLI) can answer "not found", "conflict" or "invalid" without knowing SQL.

use patron_core::ValidationErrors;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A uniqueness or reference rule would be broken (`field` names the culprit when known).
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
    /// Anything else: the database is unreachable, a query failed. The text is for logs only.
    #[error("storage error: {context}: {source}")]
    Other {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Invalid(patron_core::FieldError::new(field, code, message).into())
    }

    pub fn other(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Other {
            context: context.into(),
            source: Box::new(source),
        }
    }
}

/// Maps sqlx errors with a meaning (unique or foreign-key violation) to the matching variant and
/// wraps the rest with context.
pub(crate) fn map_sqlx(e: sqlx::Error, context: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let msg = db.message().to_owned();
        if db.is_unique_violation() {
            let field = unique_field(&msg);
            return StoreError::Conflict {
                message: match &field {
                    Some(f) => format!("another record already has this {f}"),
                    None => "a record with these values already exists".into(),
                },
                field,
            };
        }
        if db.is_foreign_key_violation() {
            return StoreError::Conflict {
                field: None,
                message:
                    "a referenced record does not exist, or other records still refer to this one"
                        .into(),
            };
        }
        if db.is_check_violation() {
            return StoreError::Conflict {
                field: None,
                message: "a value is outside its allowed range".into(),
            };
        }
    }
    StoreError::other(context.to_owned(), e)
}

/// [`map_sqlx`] for errors of the bulk path, which steps statements on sqlx's SQLite handle
/// through rusqlite: the same constraint violations map to the same errors.
pub(crate) fn map_rusqlite(e: rusqlite::Error, context: &str) -> StoreError {
    use rusqlite::ffi;
    if let rusqlite::Error::SqliteFailure(err, msg) = &e {
        let msg = msg.clone().unwrap_or_default();
        match err.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                let field = unique_field(&msg);
                return StoreError::Conflict {
                    message: match &field {
                        Some(f) => format!("another record already has this {f}"),
                        None => "a record with these values already exists".into(),
                    },
                    field,
                };
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::Conflict {
                field: None,
                message:
                    "a referenced record does not exist, or other records still refer to this one"
                        .into(),
            },
            ffi::SQLITE_CONSTRAINT_CHECK => {
                return StoreError::Conflict {
                    field: None,
                    message: "a value is outside its allowed range".into(),
                }
            }
            _ => {}
        }
    }
    StoreError::other(context.to_owned(), e)
}

/// Guesses the field of a unique violation from the index or column name in the message
/// ("UNIQUE constraint failed: customers.external_ref" / "…customers_external_ref_key").
fn unique_field(msg: &str) -> Option<String> {
    for (needle, field) in [
        ("external_ref", "ref"),
        ("order_ref", "ref"),
        ("email", "email"),
        ("code", "code"),
        ("key", "key"),
    ] {
        if msg.contains(needle) {
            return Some(field.to_owned());
        }
    }
    None
}
