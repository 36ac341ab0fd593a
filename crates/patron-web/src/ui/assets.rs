//! Stylesheet and script embedded in the binary, served under names that carry a hash of their
//! content: a new release changes the URL, so browsers may cache them for a year.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;

struct Asset {
    /// The name templates link to, e.g. `patron.3f2a9c1d.css`.
    url_name: String,
    content_type: &'static str,
    body: &'static [u8],
}

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "patron.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/patron.css"),
    ),
    (
        "patron.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/patron.js"),
    ),
];

fn assets() -> &'static [Asset] {
    static A: OnceLock<Vec<Asset>> = OnceLock::new();
    A.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, ct, body)| {
                let hash = blake3::hash(body).to_hex();
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
                Asset {
                    url_name: format!("{stem}.{}.{ext}", &hash[..10]),
                    content_type: ct,
                    body,
                }
            })
            .collect()
    })
}

/// The URL of an embedded file by its plain name (`patron.css`).
pub fn url(name: &str) -> String {
    FILES
        .iter()
        .zip(assets())
        .find(|((n, _, _), _)| *n == name)
        .map(|(_, a)| format!("/assets/{}", a.url_name))
        .unwrap_or_default()
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    match assets().iter().find(|a| a.url_name == file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
