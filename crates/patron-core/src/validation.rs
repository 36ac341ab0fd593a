//! Field-level validation errors. Every rejection names the field it is about, so the API can
//! answer with a `field` and the importer can say which column of which line was wrong.

use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name as the user sees it in the API and the import (`email`, `birth_date`).
    pub field: String,
    /// A stable machine-readable code (`invalid_email`, `required`, `too_long`, …).
    pub code: String,
    /// A human sentence in English.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All problems found in one record (validation does not stop at the first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }
    /// `Ok(v)` when nothing was pushed, else the collected errors.
    pub fn into_result<T>(self, v: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(v)
        } else {
            Err(self)
        }
    }
    /// Collects the error of a field-level parse, keeping the value when it parsed.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Longest text we accept in any single field. Protects the database and every page that shows
/// the field from a 10 MB cell in a spreadsheet.
pub const MAX_TEXT: usize = 4000;
/// Longest name-like field (names, titles, references).
pub const MAX_SHORT: usize = 300;

/// Trims, turns empty into `None`, and enforces a length limit in characters.
pub fn clean_text(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(v) = v else { return Ok(None) };
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() > max * 4 || t.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("is longer than {max} characters"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "contains control characters",
        ));
    }
    Ok(Some(t.to_owned()))
}

/// Like [`clean_text`] but the value must be present.
pub fn required_text(field: &str, v: Option<&str>, max: usize) -> Result<String, FieldError> {
    clean_text(field, v, max)?.ok_or_else(|| FieldError::new(field, "required", "is required"))
}
