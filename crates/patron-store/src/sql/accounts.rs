//! Passwords, sessions, API tokens, sign-in attempts and role changes, written once for both
//! backends. Hashing lives in [`crate::accounts`]; this file only stores and looks up.

use super::conn::{args, Both, Conn};
use super::records::get_user;
use super::rows::{qualified, UserRow, USER_COLS};
use crate::accounts::*;
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use patron_core::values::email_key;
use patron_core::*;

pub(crate) async fn must_user(c: &mut Conn<'_>, id: UserId) -> StoreResult<User> {
    get_user(c, id)
        .await?
        .ok_or_else(|| StoreError::not_found("user", id))
}

pub(crate) async fn set_password_hash(c: &mut Conn<'_>, id: UserId, phc: &str) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            args![phc, id.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct Credentials {
    id: i64,
    password_hash: Option<String>,
    active: bool,
}

/// The user with this e-mail when `password` matches and the account is active. Unknown
/// accounts cost one argon2 verification too.
pub(crate) async fn verify(
    c: &mut Conn<'_>,
    email: &str,
    password: &str,
) -> StoreResult<Option<User>> {
    let row: Option<Credentials> = c
        .fetch_optional(
            "SELECT id, password_hash, active FROM users WHERE email_key = $1",
            args![email_key(email)],
        )
        .await?;
    let (id, phc, active) = match row {
        Some(Credentials {
            id,
            password_hash: Some(h),
            active,
        }) => (id, h, active),
        _ => {
            let _ = verify_password(password, dummy_hash());
            return Ok(None);
        }
    };
    if !verify_password(password, &phc) || !active {
        return Ok(None);
    }
    get_user(c, UserId(id)).await
}

pub(crate) async fn set_level(c: &mut Conn<'_>, id: UserId, level: StaffLevel) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE users SET staff_level = $1 WHERE id = $2",
            args![level.as_str(), id.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

pub(crate) async fn set_manager(
    c: &mut Conn<'_>,
    id: UserId,
    manager: Option<UserId>,
) -> StoreResult<()> {
    if let Some(m) = manager {
        if m == id {
            return Err(StoreError::invalid(
                "manager_id",
                "self_reference",
                "a user cannot be their own manager",
            ));
        }
        if get_user(c, m).await?.is_none() {
            return Err(StoreError::invalid(
                "manager_id",
                "unknown_user",
                format!("there is no user {m}"),
            ));
        }
    }
    let n = c
        .execute(
            "UPDATE users SET manager_id = $1 WHERE id = $2",
            args![manager.map(|m| m.0), id.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

pub(crate) async fn set_language(
    c: &mut Conn<'_>,
    id: UserId,
    language: Option<&str>,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE users SET language = $1 WHERE id = $2",
            args![language, id.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

pub(crate) async fn set_active(c: &mut Conn<'_>, id: UserId, active: bool) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE users SET active = $1 WHERE id = $2",
            args![active, id.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("user", id));
    }
    Ok(())
}

// ---------- sessions ----------

pub(crate) async fn insert_session(
    c: &mut Conn<'_>,
    user: UserId,
    expires_at: DateTime<Utc>,
) -> StoreResult<NewSession> {
    let token = random_token();
    let csrf_token = random_token();
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        args![
            token_hash(&token),
            user.0,
            &csrf_token,
            super::now(),
            expires_at
        ],
    )
    .await?;
    Ok(NewSession {
        token,
        csrf_token,
        expires_at,
    })
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct SessionRow {
    user_id: i64,
    csrf_token: String,
    expires_at: DateTime<Utc>,
}

/// The live session for `token`; expired sessions and inactive users give `None`.
pub(crate) async fn session(c: &mut Conn<'_>, token: &str) -> StoreResult<Option<Session>> {
    let row: Option<SessionRow> = c
        .fetch_optional(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1",
            args![token_hash(token)],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    if row.expires_at <= Utc::now() {
        return Ok(None);
    }
    match get_user(c, UserId(row.user_id)).await? {
        Some(user) if user.active => Ok(Some(Session {
            user,
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        })),
        _ => Ok(None),
    }
}

pub(crate) async fn delete_session(c: &mut Conn<'_>, token: &str) -> StoreResult<()> {
    c.execute(
        "DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2",
        args![token_hash(token), super::now()],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_user_sessions(c: &mut Conn<'_>, user: UserId) -> StoreResult<u64> {
    c.execute("DELETE FROM sessions WHERE user_id = $1", args![user.0])
        .await
}

// ---------- API tokens ----------

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            user_id: UserId(r.user_id),
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

const TOKEN_COLS: &str = "id, user_id, name, created_at, last_used_at, revoked_at";

pub(crate) async fn insert_token(
    c: &mut Conn<'_>,
    user: UserId,
    name: &str,
) -> StoreResult<NewApiToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid(
            "name",
            "invalid_length",
            "must be 1 to 100 characters",
        ));
    }
    must_user(c, user).await?;
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
    let id = c
        .scalar_i64(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            args![user.0, name, token_hash(&secret), super::now()],
        )
        .await?;
    let row: TokenRow = c
        .fetch_optional(
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1"),
            args![id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("API token", id))?;
    Ok(NewApiToken {
        token: row.into(),
        secret,
    })
}

pub(crate) async fn list_tokens(c: &mut Conn<'_>, user: UserId) -> StoreResult<Vec<ApiToken>> {
    let rows: Vec<TokenRow> = c
        .fetch_all(
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"),
            args![user.0],
        )
        .await?;
    Ok(rows.into_iter().map(ApiToken::from).collect())
}

/// Revokes one of `user`'s tokens; another user's token id answers "not found".
pub(crate) async fn revoke_token(c: &mut Conn<'_>, user: UserId, id: i64) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3",
            args![super::now(), id, user.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("API token", id));
    }
    Ok(())
}

/// A live token's id and last use, with its user.
type TokenAndUser = Both<(i64, Option<DateTime<Utc>>), UserRow>;

/// The active user a token belongs to, read without the write lock (every API request asks),
/// and the token's id when its last use should be recorded (at most once a minute, by
/// [`touch_token`] in a short write of its own).
pub(crate) async fn token_user(
    c: &mut Conn<'_>,
    secret: &str,
) -> StoreResult<Option<(Option<User>, Option<i64>)>> {
    // The token and its user in one statement: this runs before every API request's own work.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT t.id AS token_id, t.last_used_at, {} \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            qualified("u", USER_COLS)
        )
    });
    let row: Option<TokenAndUser> = c.fetch_optional(&SQL, args![token_hash(secret)]).await?;
    let Some(Both((token_id, last_used_at), user)) = row else {
        return Ok(None);
    };
    let stale = last_used_at.is_none_or(|t| super::now() - t > chrono::Duration::minutes(1));
    let user = user.into_user()?;
    Ok(Some((
        user.active.then_some(user),
        stale.then_some(token_id),
    )))
}

/// Records that token `id` was used now.
pub(crate) async fn touch_token(c: &mut Conn<'_>, id: i64) -> StoreResult<()> {
    c.execute(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
        args![super::now(), id],
    )
    .await?;
    Ok(())
}

// ---------- sign-in attempts ----------

pub(crate) async fn record_attempt(
    c: &mut Conn<'_>,
    email: &str,
    ip: &str,
    ok: bool,
) -> StoreResult<()> {
    let now = super::now();
    c.execute(
        "INSERT INTO login_attempts (email_key, ip, at, ok) VALUES ($1, $2, $3, $4)",
        args![email_key(email), ip, now, ok],
    )
    .await?;
    // Keep the table small: attempts older than a day no longer count for anything.
    c.execute(
        "DELETE FROM login_attempts WHERE at < $1",
        args![now - chrono::Duration::days(1)],
    )
    .await?;
    Ok(())
}

/// Failed attempts since `since` for this account and this client address, each counted from
/// the last successful sign-in of the account on.
pub(crate) async fn failures(
    c: &mut Conn<'_>,
    email: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> StoreResult<LoginFailures> {
    let key = email_key(email);
    let by_email = c
        .scalar_i64(
            "SELECT COUNT(*) FROM login_attempts WHERE email_key = $1 AND NOT ok AND at >= $2 \
             AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE email_key = $1 AND ok), $2)",
            args![&key, since],
        )
        .await?;
    let by_ip = c
        .scalar_i64(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND NOT ok AND at >= $2",
            args![ip, since],
        )
        .await?;
    Ok(LoginFailures { by_email, by_ip })
}

/// Users reporting to `manager` (their team), for [`Scope::Team`] checks.
pub(crate) async fn reports(c: &mut Conn<'_>, manager: UserId) -> StoreResult<Vec<User>> {
    let rows: Vec<UserRow> = c
        .fetch_all(
            &format!("SELECT {USER_COLS} FROM users WHERE manager_id = $1 ORDER BY id"),
            args![manager.0],
        )
        .await?;
    rows.into_iter().map(UserRow::into_user).collect()
}
