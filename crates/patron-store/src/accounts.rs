//! Sign-in credentials and their records: password hashing (argon2id), random tokens for
//! sessions and API access, and the types the store hands back for them.
//!
//! Secrets never reach the database in the clear: passwords as argon2id PHC strings, session and
//! API tokens as BLAKE3 hashes (they are 256 random bits, so a fast hash is enough — there is
//! nothing to brute-force), so a leaked backup hands out no live credentials.

use crate::error::{StoreError, StoreResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Utc};
use patron_core::{CustomerId, FieldError, User, UserId};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Shortest password accepted. Length matters more than character classes (NIST SP 800-63B).
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password accepted: argon2 takes any length, but a megabyte "password" is an attack.
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Prefix of API tokens, so a leaked one is recognisable in logs and secret scanners.
pub const API_TOKEN_PREFIX: &str = "patron_";

/// Checks a new password's length (counted in characters, so CJK passphrases are not penalised).
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {MAX_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id and a fresh random salt (PHC string format).
pub fn hash_password(password: &str) -> StoreResult<String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::other("encoding a password salt", PhcError(e.to_string())))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::other("hashing a password", PhcError(e.to_string())))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a fixed password, verified against when the account does not exist, so a sign-in
/// for an unknown e-mail takes as long as one for a known e-mail (no account enumeration by time).
pub(crate) fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a real password, only for timing").unwrap_or_default())
}

#[derive(Debug)]
struct PhcError(String);
impl std::fmt::Display for PhcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for PhcError {}

/// 256 random bits from the operating system, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// What the database stores for a token.
pub(crate) fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// A session just created: the token goes into the cookie, the CSRF token into every form.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A live session and whose it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A personal API token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just created: `secret` is shown once and not kept.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Failed sign-ins counted for rate limiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub by_email: i64,
    pub by_ip: i64,
}

/// The kinds of record the audit log follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditEntity {
    Customer,
    KeyPerson,
    Order,
    Interaction,
}

impl AuditEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEntity::Customer => "customer",
            AuditEntity::KeyPerson => "key_person",
            AuditEntity::Order => "order",
            AuditEntity::Interaction => "interaction",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            AuditEntity::Customer,
            AuditEntity::KeyPerson,
            AuditEntity::Order,
            AuditEntity::Interaction,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// One change in the audit log: who, when, what, and each changed field's before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `None` for changes made from the command line or by an import without a signed-in user.
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    pub entity: AuditEntity,
    pub entity_id: i64,
    pub customer_id: CustomerId,
    /// `create`, `update`, `delete`, `merge`, or `import`: an orders import's summary for one
    /// customer (`changes` then holds `orders_created`, and `orders_updated` and
    /// `customer_created` when they apply).
    pub action: String,
    /// Field name → `{"before": …, "after": …}` (for `import`: the summary's counts).
    #[schema(value_type = Object)]
    pub changes: serde_json::Map<String, serde_json::Value>,
    /// The import that made this change, when one did.
    pub import_id: Option<i64>,
    /// That import's file name.
    pub import_file: Option<String>,
}

/// One committed import: who ran it, when, on which file, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    /// `customers`, `contacts`, `products` or `orders`.
    pub entity: String,
    pub file_name: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

/// One reassignment of a customer's owner or relationship manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OwnerChange {
    pub at: DateTime<Utc>,
    pub customer_id: CustomerId,
    pub from_user_id: Option<UserId>,
    pub to_user_id: Option<UserId>,
    pub changed_by: Option<UserId>,
    /// `owner` or `relationship_manager`.
    #[serde(default = "owner_role")]
    pub role: String,
}

fn owner_role() -> String {
    "owner".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_salt_and_verify() {
        let a = hash_password("correct horse battery").expect("hash");
        let b = hash_password("correct horse battery").expect("hash");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterx", &a));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn password_length_rules() {
        assert!(check_password("p", "short").is_err());
        assert!(check_password("p", "十个汉字的密码很安全吧").is_ok());
        assert!(check_password("p", &"x".repeat(2000)).is_err());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}
