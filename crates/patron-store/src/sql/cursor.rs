//! Opaque keyset cursors: the last row's sort value and id, base64url-encoded JSON. Clients pass
//! them back untouched; a tampered cursor is a 4xx naming `cursor`, never a 500.

use crate::error::{StoreError, StoreResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// Which list and sort the cursor belongs to (a cursor of another sort is refused).
    pub s: String,
    /// The sort value of the last row (text form), absent when sorting by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<String>,
    pub i: i64,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub(crate) fn decode(s: &str, expected_sort: &str) -> StoreResult<Cursor> {
        let bad = || {
            StoreError::invalid(
                "cursor",
                "invalid_cursor",
                "is not a cursor this list handed out",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
        let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if c.s != expected_sort {
            return Err(StoreError::invalid(
                "cursor",
                "cursor_mismatch",
                "belongs to a different sort order; start again without a cursor",
            ));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        let c = Cursor {
            s: "name".into(),
            v: Some("张三".into()),
            i: 7,
        };
        assert_eq!(Cursor::decode(&c.encode(), "name").ok(), Some(c.clone()));
        assert!(Cursor::decode(&c.encode(), "id").is_err());
        assert!(Cursor::decode("!!!", "id").is_err());
        assert!(Cursor::decode("e30", "id").is_err());
    }
}
