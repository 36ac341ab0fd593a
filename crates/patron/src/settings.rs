//! One typed settings struct: defaults < patron.toml < PATRON_* environment < command-line flags.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const DEFAULT_DB: &str = "sqlite://patron.db";
pub const DEFAULT_DEMO_DB: &str = "sqlite://patron-demo.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// What `patron.toml` may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    addr: Option<String>,
    default_currency: Option<String>,
    secure_cookies: Option<bool>,
}

/// The effective settings.
#[derive(Clone, Serialize)]
pub struct Settings {
    pub database_url: String,
    /// Whether the database was chosen explicitly (flag, environment or file) or defaulted.
    #[serde(skip)]
    pub database_explicit: bool,
    pub addr: String,
    pub default_currency: Option<String>,
    /// Session and language cookies carry `Secure` (https only).
    pub secure_cookies: bool,
    pub config_file: Option<PathBuf>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &mask_url(&self.database_url))
            .field("addr", &self.addr)
            .field("default_currency", &self.default_currency)
            .field("secure_cookies", &self.secure_cookies)
            .finish()
    }
}

impl Settings {
    /// `db`/`addr` come from clap (flag or environment variable); the file fills the gaps.
    pub fn load(
        config: Option<&Path>,
        db: Option<String>,
        addr: Option<String>,
    ) -> anyhow::Result<Settings> {
        let (file, path) = match config {
            Some(p) => (read(p)?, Some(p.to_path_buf())),
            None => {
                let p = Path::new("patron.toml");
                if p.exists() {
                    (read(p)?, Some(p.to_path_buf()))
                } else {
                    (FileSettings::default(), None)
                }
            }
        };
        let db = db.or(file.database_url);
        Ok(Settings {
            database_explicit: db.is_some(),
            database_url: db.unwrap_or_else(|| DEFAULT_DB.to_owned()),
            addr: addr
                .or(file.addr)
                .unwrap_or_else(|| DEFAULT_ADDR.to_owned()),
            default_currency: file.default_currency,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            config_file: path,
        })
    }

    /// The same settings with the password of the database URL masked, for printing.
    pub fn masked(&self) -> Settings {
        Settings {
            database_url: mask_url(&self.database_url),
            ..self.clone()
        }
    }
}

fn read(p: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

/// Replaces the password in `scheme://user:password@host` with `***`.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return url.to_owned();
    };
    let creds = &rest[..at];
    match creds.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &creds[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_passwords() {
        assert_eq!(
            super::mask_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::mask_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::mask_url("sqlite://patron.db"), "sqlite://patron.db");
    }
}
