//! Who is calling: a personal API token (`Authorization: Bearer`) or a session cookie, resolved
//! once per request into a [`Caller`] with its record-level [`Scope`].
//!
//! Sessions live in the database (several servers share them). A request authenticated by the
//! cookie that changes something must also carry the session's CSRF token — in a form field for
//! the HTML UI, in `X-CSRF-Token` for the API — so another site cannot make the browser act.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use patron_core::{CustomerId, Scope, User, UserId};
use patron_store::{Store, StoreError};

/// Name of the session cookie. `__Host-` would pin it to https; the plain name also works on a
/// shop's laptop over http://127.0.0.1.
pub const SESSION_COOKIE: &str = "patron_session";
/// Name of the header that carries the CSRF token on cookie-authenticated API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session { token: String, csrf_token: String },
    Token,
}

/// The signed-in user of a request and what they may see.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub scope: Scope,
    pub via: Via,
}

impl Caller {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// The session's CSRF token (empty for token callers, who submit no forms).
    pub fn csrf_token(&self) -> &str {
        match &self.via {
            Via::Session { csrf_token, .. } => csrf_token,
            Via::Token => "",
        }
    }

    /// Answers "not found" for a customer outside the caller's scope — the same answer as for a
    /// customer that does not exist, so probing ids tells nothing.
    pub async fn require_customer(
        &self,
        store: &dyn Store,
        id: CustomerId,
    ) -> Result<(), ApiError> {
        if store.customer_in_scope(id, self.scope).await? {
            Ok(())
        } else {
            Err(StoreError::not_found("customer", id).into())
        }
    }

    /// Whether a customer held by `owner` / `relationship_manager` would be inside the caller's
    /// scope (checked before creating or reassigning, so nobody hands a record out of their own
    /// sight by mistake, or into someone else's without the authority to).
    pub async fn may_hold(
        &self,
        store: &dyn Store,
        owner: Option<UserId>,
        relationship_manager: Option<UserId>,
    ) -> Result<bool, ApiError> {
        let holders = [owner, relationship_manager];
        Ok(match self.scope {
            Scope::All => true,
            Scope::Own(me) => holders.contains(&Some(me)),
            Scope::Team(me) => {
                let team: Vec<UserId> = store.team_of(me).await?.iter().map(|u| u.id).collect();
                holders
                    .iter()
                    .flatten()
                    .any(|h| *h == me || team.contains(h))
            }
        })
    }
}

/// The value of one cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// Resolves the caller from a Bearer token or the session cookie. A malformed or unknown
/// `Authorization` header is a 401 even when a cookie is present: a script that sent a token
/// wants to know it is wrong.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let secret = v
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 200)
            .ok_or(ApiError::Unauthorized)?;
        let user = state
            .store
            .user_for_api_token(secret)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        return Ok(Some(Caller {
            scope: Scope::of(&user),
            user,
            via: Via::Token,
        }));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty() && t.len() <= 200)
    else {
        return Ok(None);
    };
    Ok(state.store.get_session(token).await?.map(|s| Caller {
        scope: Scope::of(&s.user),
        user: s.user,
        via: Via::Session {
            token: token.to_owned(),
            csrf_token: s.csrf_token,
        },
    }))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware of the JSON API: 401 without a valid token or session; CSRF check for
/// cookie-authenticated writes; the [`Caller`] in the request's extensions for the handlers.
pub async fn api_auth(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let caller = resolve(&state, req.headers())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let Via::Session { csrf_token, .. } = &caller.via {
        if !safe {
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, csrf_token) {
                return Err(ApiError::CsrfRejected);
            }
        }
    }
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; patron_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
