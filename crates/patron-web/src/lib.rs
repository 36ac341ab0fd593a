//! Patron's HTTP server: the JSON API under `/api/v1`, described by an OpenAPI document
//! generated from the handlers (the HTML UI comes later).
//!
//! The web layer is thin: it parses requests at the boundary ([`extract`]), calls the
//! [`Store`], and maps every failure through one [`error::ApiError`]. It holds no global state;
//! everything a handler needs is in [`AppState`], passed explicitly.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod digest;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod router;
pub mod ui;

use patron_store::Store;
use std::future::Future;
use std::sync::Arc;

pub use router::router;

/// Largest accepted request body. Generous for one record (an order with thousands of lines);
/// small enough that a runaway client cannot make the server buffer gigabytes.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What every handler can reach. Cloned per request (it is a handful of `Arc`s).
///
/// Authentication will add fields here (a session store, the signing key) and a middleware layer
/// in [`router`] that resolves the caller; handlers that need the caller then take an extractor
/// for it, so nothing in the existing handlers has to change shape.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<WebConfig>,
    /// Imports the wizard runs in the background, so a large file shows its progress.
    pub imports: Arc<ui::import::Jobs>,
    /// Requests per client address to the public forms (see [`ui::public`]).
    pub public_limiter: Arc<ui::public::Limiter>,
}

impl AppState {
    /// State with the default [`WebConfig`].
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState::with_config(store, WebConfig::default())
    }

    pub fn with_config(store: Arc<dyn Store>, config: WebConfig) -> AppState {
        AppState {
            store,
            public_limiter: Arc::new(ui::public::Limiter::new(
                config.public_requests,
                config.public_window,
            )),
            config: Arc::new(config),
            imports: Arc::default(),
        }
    }
}

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (browsers then send them over https only). Set it when Patron is
    /// served over https or behind a proxy that terminates TLS; a plain-http laptop install
    /// would lose its sessions with it.
    pub secure_cookies: bool,
    /// How long a sign-in lasts.
    pub session_ttl: chrono::Duration,
    /// Failed sign-ins allowed per account (and, ×4, per client address) within
    /// [`WebConfig::login_window`] before further attempts are refused.
    pub login_max_failures: i64,
    pub login_window: chrono::Duration,
    /// Largest accepted import upload.
    pub upload_limit: usize,
    /// Where the import wizard keeps uploaded files between its steps.
    pub upload_dir: std::path::PathBuf,
    /// How long the wizard waits for an import before showing its progress page instead
    /// (a small file's result comes back at once).
    pub import_wait: std::time::Duration,
    /// The instant complaints are recorded and judged overdue at: the wall clock, which tests
    /// move forward to see a complaint's 24 hours run out without waiting a day.
    pub clock: Clock,
    /// Requests one client address may make to the public survey and complaint forms per
    /// [`WebConfig::public_window`]: enough for a customer who reloads and corrects, too few to
    /// probe for links or flood the complaint board.
    pub public_requests: u32,
    pub public_window: std::time::Duration,
}

/// The wall clock plus an offset a test may move; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let off = self
            .offset_seconds
            .load(std::sync::atomic::Ordering::Relaxed);
        // Microseconds, as both databases keep them.
        chrono::DurationRound::duration_trunc(
            chrono::Utc::now() + chrono::Duration::seconds(off),
            chrono::Duration::microseconds(1),
        )
        .unwrap_or_else(|_| chrono::Utc::now())
    }

    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), std::sync::atomic::Ordering::Relaxed);
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_ttl: chrono::Duration::hours(12),
            login_max_failures: 5,
            login_window: chrono::Duration::minutes(15),
            upload_limit: 20 * 1024 * 1024,
            upload_dir: std::env::temp_dir().join("patron-uploads"),
            import_wait: std::time::Duration::from_secs(2),
            clock: Clock::default(),
            public_requests: 30,
            public_window: std::time::Duration::from_secs(600),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .finish()
    }
}

/// Serves the application on an already bound listener until `shutdown` resolves, then lets
/// in-flight requests finish.
///
/// Taking a listener rather than an address lets tests bind port 0 and learn the real port
/// before the server starts, and lets the binary report bind errors itself.
pub async fn launch(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "patron web listening");
    }
    // Peer addresses feed the sign-in rate limit.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
