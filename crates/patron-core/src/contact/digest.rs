//! The daily e-mail digest of each user's agenda (issue 5, point 9): off by default, sent over
//! SMTP at a set local time. These are its settings and the rule for when it is due; composing
//! and sending live with the web server, which runs the schedule.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

/// Settings key of [`DigestSettings`].
pub const DIGEST_SETTING: &str = "contact.digest";

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or network, or a test sink).
    None,
    /// Plain connection upgraded with STARTTLS (port 587, the usual submission port).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }
}

/// The digest's settings. The password is kept so the server can send unattended; the API and
/// the UI never show it back (only whether one is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DigestSettings {
    pub enabled: bool,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Write-only: absent from what the API and the CLI print.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The sender, e.g. `Patron <crm@example.com>`.
    pub from: String,
    /// Local time (shop time zone) after which the day's digest goes out, `HH:MM`.
    pub send_at: String,
    /// Whether a user with nothing overdue or due today still gets a mail.
    pub send_when_empty: bool,
    /// Patron's address as users open it (`https://crm.example.com`), for the link in the
    /// mail; none when empty.
    pub public_url: String,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            enabled: false,
            smtp_host: String::new(),
            smtp_port: 587,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            from: String::new(),
            send_at: "07:00".into(),
            send_when_empty: false,
            public_url: String::new(),
        }
    }
}

impl DigestSettings {
    /// The send time; validation refuses what does not parse, so the fallback is never used.
    pub fn send_time(&self) -> NaiveTime {
        NaiveTime::parse_from_str(self.send_at.trim(), "%H:%M")
            .unwrap_or_else(|_| NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN))
    }

    /// Whether the digest of `day` is due at local time `now` (it is sent once a day, by the
    /// caller's bookkeeping; a server that was down at the send time sends on start, the same
    /// day).
    pub fn due(&self, day: NaiveDate, now_local: chrono::NaiveDateTime) -> bool {
        self.enabled && now_local.date() == day && now_local.time() >= self.send_time()
    }

    /// Settings that could not send are refused when enabled (a disabled digest may be half
    /// filled in while the shop sets up its mail).
    pub fn validate(&self) -> Result<(), crate::FieldError> {
        if NaiveTime::parse_from_str(self.send_at.trim(), "%H:%M").is_err() {
            return Err(crate::FieldError::new(
                "send_at",
                "invalid",
                "a time of day as HH:MM, e.g. 07:30",
            ));
        }
        if self.smtp_host.len() > 253 || self.smtp_host.chars().any(char::is_whitespace) {
            return Err(crate::FieldError::new(
                "smtp_host",
                "invalid",
                "a host name or address without spaces",
            ));
        }
        if !self.from.trim().is_empty() && !self.from.contains('@') {
            return Err(crate::FieldError::new(
                "from",
                "invalid_email",
                "an e-mail address, optionally with a name: Patron <crm@example.com>",
            ));
        }
        let url = self.public_url.trim();
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(crate::FieldError::new(
                "public_url",
                "invalid",
                "an address starting with http:// or https://",
            ));
        }
        if self.enabled {
            if self.smtp_host.trim().is_empty() {
                return Err(crate::FieldError::new(
                    "smtp_host",
                    "required",
                    "the mail server is needed to send the digest",
                ));
            }
            if self.smtp_port == 0 {
                return Err(crate::FieldError::new(
                    "smtp_port",
                    "out_of_range",
                    "a port from 1 to 65535",
                ));
            }
            if self.from.trim().is_empty() {
                return Err(crate::FieldError::new(
                    "from",
                    "required",
                    "the sender address is needed to send the digest",
                ));
            }
        }
        if self.username.as_deref().is_some_and(|u| !u.is_empty()) != self.password.is_some() {
            // A user name without a password (or the reverse) cannot log in.
            return Err(crate::FieldError::new(
                "password",
                "required",
                "give both the user name and the password, or neither",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> DigestSettings {
        DigestSettings {
            enabled: true,
            smtp_host: "127.0.0.1".into(),
            from: "crm@example.com".into(),
            ..Default::default()
        }
    }

    #[test]
    fn off_by_default_and_valid_half_filled_while_off() {
        let d = DigestSettings::default();
        assert!(!d.enabled);
        assert!(d.validate().is_ok());
    }

    #[test]
    fn enabled_needs_a_server_and_a_sender() {
        let mut d = on();
        assert!(d.validate().is_ok());
        d.smtp_host.clear();
        assert_eq!(d.validate().expect_err("invalid").field, "smtp_host");
        let mut d = on();
        d.from = "nobody".into();
        assert_eq!(d.validate().expect_err("invalid").field, "from");
        let mut d = on();
        d.send_at = "25:00".into();
        assert_eq!(d.validate().expect_err("invalid").field, "send_at");
        let mut d = on();
        d.username = Some("crm".into());
        assert_eq!(d.validate().expect_err("invalid").field, "password");
        d.password = Some("secret".into());
        assert!(d.validate().is_ok());
    }

    #[test]
    fn due_after_the_send_time_on_the_day() {
        let d = on();
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("day");
        let at = |h, m| day.and_hms_opt(h, m, 0).expect("time");
        assert!(!d.due(day, at(6, 59)));
        assert!(d.due(day, at(7, 0)));
        assert!(d.due(day, at(23, 0)));
        let next = NaiveDate::from_ymd_opt(2026, 3, 2).expect("day");
        assert!(!d.due(next, at(8, 0)), "another day's digest");
        assert!(!DigestSettings::default().due(day, at(8, 0)), "off");
    }
}
