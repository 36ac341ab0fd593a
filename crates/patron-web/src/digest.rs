//! The daily e-mail digest of each user's agenda (issue 5, point 9): off by default; when on,
//! every active user gets, once a day after the set local time, what is overdue, due today and
//! due this week, worded in their own language, over SMTP.
//!
//! Each user's day is claimed in the database before the mail is sent, so a restart, a crash
//! or a second server never sends the same digest twice (at most once: a crash between the
//! claim and the send loses that day's mail, which the next day's digest repeats anyway).

use crate::ui::agenda::reason_in;
use crate::ui::i18n::{self, Lang};
use chrono::{NaiveDate, Utc};
use fluent_bundle::FluentValue;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use patron_core::contact::{AgendaItem, DigestSettings, SmtpSecurity};
use patron_core::User;
use patron_store::contact::{self, Agenda, DigestStatus};
use patron_store::Store;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// How long one SMTP conversation may take before the digest counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the scheduler looks whether digests are due.
const TICK: Duration = Duration::from_secs(60);

/// One composed mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Composed {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Items overdue or due today (the ones the mail is for).
    pub pressing: usize,
}

/// What became of one user's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub user_id: i64,
    pub email: String,
    pub status: String,
    pub items: usize,
    pub error: Option<String>,
}

fn lang_of(user: &User) -> Lang {
    user.language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_default()
}

fn tr(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let args: Vec<(&str, FluentValue<'_>)> = args
        .iter()
        .map(|(k, v)| (*k, FluentValue::from(v.clone())))
        .collect();
    i18n::tr(lang, key, &args)
}

/// The mail for `user`'s agenda, in their language.
pub async fn compose(
    store: &dyn Store,
    user: &User,
    agenda: &Agenda,
    settings: &DigestSettings,
) -> Result<Composed, patron_store::StoreError> {
    let lang = lang_of(user);
    let policy = contact::load_policy(store).await?;
    let contact_settings = contact::load_settings(store).await?;
    Ok(compose_with(
        lang,
        user,
        agenda,
        settings,
        &policy,
        contact_settings.thank_you,
    ))
}

fn compose_with(
    lang: Lang,
    user: &User,
    agenda: &Agenda,
    settings: &DigestSettings,
    policy: &patron_core::contact::ContactPolicy,
    thank_you: patron_core::contact::ThankYouRules,
) -> Composed {
    let pressing = agenda.counts.overdue + agenda.counts.today;
    let subject = tr(
        lang,
        "digest-subject",
        &[
            ("date", i18n::date(lang, agenda.date)),
            ("overdue", agenda.counts.overdue.to_string()),
            ("today", agenda.counts.today.to_string()),
        ],
    );
    let mut body = tr(lang, "digest-greeting", &[("name", user.name.clone())]);
    body.push_str("\n\n");
    let line = |i: &AgendaItem| {
        format!(
            "- {} · {} · {}\n  {}\n",
            i18n::date(lang, i.due),
            tr(lang, &format!("agenda-kind-{}", i.kind.as_str()), &[]),
            i.customer_name,
            reason_in(lang, policy, user.staff_level, thank_you, i)
        )
    };
    for (section, key) in [
        ("overdue", "agenda-section-overdue"),
        ("today", "agenda-section-today"),
        ("week", "agenda-section-week"),
    ] {
        let items: Vec<&AgendaItem> = agenda
            .items
            .iter()
            .filter(|i| i.section == section)
            .collect();
        if items.is_empty() {
            continue;
        }
        body.push_str(&format!("{} ({})\n", tr(lang, key, &[]), items.len()));
        for i in items {
            body.push_str(&line(i));
        }
        body.push('\n');
    }
    if agenda.items.iter().all(|i| i.section == "later") {
        body.push_str(&tr(lang, "digest-nothing", &[]));
        body.push_str("\n\n");
    }
    if agenda.a_without_relationship_manager > 0 {
        body.push_str(&tr(
            lang,
            "digest-unmanaged",
            &[("count", agenda.a_without_relationship_manager.to_string())],
        ));
        body.push_str("\n\n");
    }
    let url = settings.public_url.trim().trim_end_matches('/');
    if !url.is_empty() {
        body.push_str(&tr(
            lang,
            "digest-open",
            &[("url", format!("{url}/agenda"))],
        ));
        body.push('\n');
    }
    body.push_str(&tr(lang, "digest-footer", &[]));
    body.push('\n');
    Composed {
        to: user.email.clone(),
        subject,
        body,
        pressing,
    }
}

/// Why a mail could not be sent, in words for the log and the API.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{field}: {message}")]
    Address {
        field: &'static str,
        message: String,
    },
    #[error("the mail server: {0}")]
    Smtp(String),
}

fn transport(settings: &DigestSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let host = settings.smtp_host.trim();
    let builder = match settings.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| SendError::Smtp(e.to_string()))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|e| SendError::Smtp(e.to_string()))?,
    };
    let mut builder = builder.port(settings.smtp_port).timeout(Some(SMTP_TIMEOUT));
    if let (Some(u), Some(p)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

/// Sends one composed mail.
pub async fn send(settings: &DigestSettings, mail: &Composed) -> Result<(), SendError> {
    let from: Mailbox =
        settings
            .from
            .trim()
            .parse()
            .map_err(|e: lettre::address::AddressError| SendError::Address {
                field: "from",
                message: e.to_string(),
            })?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| SendError::Address {
            field: "to",
            message: e.to_string(),
        })?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(&mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| SendError::Smtp(e.to_string()))?;
    transport(settings)?
        .send(message)
        .await
        .map_err(|e| SendError::Smtp(e.to_string()))?;
    Ok(())
}

/// Composes and sends `user`'s digest of `day` now, whatever the schedule (the "send me a test"
/// button and `patron agenda digest --send`); not recorded in the day's log.
pub async fn send_now(
    store: &dyn Store,
    settings: &DigestSettings,
    user: &User,
    day: Option<NaiveDate>,
) -> Result<Composed, String> {
    let agenda = contact::agenda(store, user, day)
        .await
        .map_err(|e| e.to_string())?;
    let mail = compose(store, user, &agenda, settings)
        .await
        .map_err(|e| e.to_string())?;
    send(settings, &mail).await.map_err(|e| e.to_string())?;
    Ok(mail)
}

/// Sends every active user's digest of today if it is due and not sent yet. Returns what
/// became of each digest it claimed (empty when none was due).
pub async fn run_due(store: &dyn Store) -> Result<Vec<Outcome>, patron_store::StoreError> {
    let settings = contact::load_digest(store).await?;
    let contact_settings = contact::load_settings(store).await?;
    let now_local = Utc::now()
        .with_timezone(&contact_settings.tz())
        .naive_local();
    let day = now_local.date();
    if !settings.due(day, now_local) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for user in store.list_users().await? {
        if !user.active || user.email.trim().is_empty() {
            continue;
        }
        if !store.claim_digest(user.id, day).await? {
            continue;
        }
        let outcome = match digest_one(store, &settings, &user, day).await {
            Ok((DigestStatus::Skipped, n)) => (DigestStatus::Skipped, n, None),
            Ok((status, n)) => (status, n, None),
            Err(e) => (DigestStatus::Failed, 0, Some(e)),
        };
        store
            .finish_digest(
                user.id,
                day,
                outcome.0,
                outcome.1 as i64,
                outcome.2.as_deref(),
            )
            .await?;
        if let Some(e) = &outcome.2 {
            tracing::warn!(user = %user.email, error = %e, "agenda digest not sent");
        }
        out.push(Outcome {
            user_id: user.id.0,
            email: user.email.clone(),
            status: outcome.0.as_str().to_owned(),
            items: outcome.1,
            error: outcome.2,
        });
    }
    Ok(out)
}

async fn digest_one(
    store: &dyn Store,
    settings: &DigestSettings,
    user: &User,
    day: NaiveDate,
) -> Result<(DigestStatus, usize), String> {
    let agenda = contact::agenda(store, user, Some(day))
        .await
        .map_err(|e| e.to_string())?;
    let mail = compose(store, user, &agenda, settings)
        .await
        .map_err(|e| e.to_string())?;
    if mail.pressing == 0 && !settings.send_when_empty {
        return Ok((DigestStatus::Skipped, 0));
    }
    send(settings, &mail).await.map_err(|e| e.to_string())?;
    Ok((DigestStatus::Sent, agenda.items.len()))
}

/// Runs [`run_due`] every minute for as long as the server runs; failures are logged and tried
/// again the next day (a failed digest stays failed for its day, so a broken mail server is not
/// hammered every minute).
pub async fn schedule(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        match run_due(store.as_ref()).await {
            Ok(sent) if !sent.is_empty() => {
                let ok = sent.iter().filter(|o| o.status == "sent").count();
                tracing::info!(digests = sent.len(), sent = ok, "agenda digests done");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "agenda digests failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::contact::{ContactPolicy, ItemKind, ThankYouRules, Why};
    use patron_core::{CustomerId, StaffLevel, UserId};
    use patron_store::contact::AgendaCounts;

    fn user(lang: Option<&str>) -> User {
        User {
            id: UserId(1),
            email: "rep@example.com".into(),
            name: "Li Na".into(),
            staff_level: StaffLevel::SalesRepresentative,
            manager_id: None,
            active: true,
            language: lang.map(str::to_owned),
            created_at: Utc::now(),
        }
    }

    fn agenda() -> Agenda {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).expect("day");
        let item = AgendaItem {
            key: "follow_up:7".into(),
            kind: ItemKind::FollowUp,
            customer_id: CustomerId(3),
            customer_name: "华润万家".into(),
            due: d,
            latest: d,
            overdue: false,
            snoozed: false,
            section: "today".into(),
            reason: "English reason".into(),
            why: Why::Promise {
                interaction_id: 7,
                what: Some("send samples".into()),
            },
            key_person_id: None,
        };
        Agenda {
            user_id: UserId(1),
            user_name: "Li Na".into(),
            date: d,
            time_zone: "UTC".into(),
            items: vec![item],
            counts: AgendaCounts {
                today: 1,
                ..Default::default()
            },
            a_without_relationship_manager: 2,
        }
    }

    #[test]
    fn the_mail_lists_the_items_in_the_users_language() {
        let settings = DigestSettings {
            public_url: "https://crm.example.com/".into(),
            ..Default::default()
        };
        let p = ContactPolicy::default();
        let t = ThankYouRules::default();
        let en = compose_with(Lang::En, &user(None), &agenda(), &settings, &p, t);
        assert_eq!(en.to, "rep@example.com");
        assert_eq!(en.pressing, 1);
        assert!(en.subject.contains("2 Mar 2026"), "{}", en.subject);
        assert!(en.body.contains("华润万家") && en.body.contains("send samples"));
        assert!(
            en.body.contains("https://crm.example.com/agenda"),
            "{}",
            en.body
        );
        assert!(en.body.contains('2'), "unmanaged count");
        let ko = compose_with(Lang::Ko, &user(Some("ko")), &agenda(), &settings, &p, t);
        assert_ne!(ko.subject, en.subject);
        assert!(ko.subject.contains("2026년 3월 2일"), "{}", ko.subject);
    }
}
