//! `patron satisfaction CUSTOMER --aspect product|service --score N`: records a satisfaction
//! rating (METHOD §2.3) and prints the customer's latest scores and loyalty-matrix quadrant.

use crate::cli::SatisfactionArgs;
use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use chrono::NaiveDate;
use patron_core::classify::Aspect;
use patron_store::satisfaction::Rating;
use patron_store::StoreError;
use std::process::ExitCode;

/// A validation error names the flag and says why.
fn invalid(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| {
                        let flag = if f.field == "rated_on" {
                            "date"
                        } else {
                            f.field.as_str()
                        };
                        format!("--{flag}: {}", f.message)
                    })
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => other.into(),
    }
}

fn line(r: &Option<Rating>) -> String {
    match r {
        None => "not rated".to_owned(),
        Some(r) => {
            let mut s = format!("{} of 5 on {}", r.score, r.rated_on);
            if let Some(who) = &r.user_name {
                s.push_str(&format!(" by {who}"));
            }
            if let Some(n) = &r.note {
                s.push_str(&format!(" — {n}"));
            }
            s
        }
    }
}

pub async fn run(settings: &Settings, a: SatisfactionArgs) -> anyhow::Result<ExitCode> {
    let aspect = Aspect::parse(&a.aspect)
        .with_context(|| format!("--aspect: '{}' is not product or service", a.aspect))?;
    let rated_on = a
        .date
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .with_context(|| format!("--date: '{s}' is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let store = super::open(settings).await?;
    let store = store.as_ref();
    let by = match a.as_user.as_deref() {
        None => None,
        Some(email) => Some(
            store
                .find_user(email)
                .await?
                .with_context(|| format!("--as: no user has the e-mail '{email}'"))?
                .id,
        ),
    };
    let id = super::resolve_customer(store, &a.customer).await?;
    store
        .record_satisfaction(by, id, aspect, a.score, a.note, rated_on)
        .await
        .map_err(invalid)?;
    let s = store.customer_satisfaction(id).await?;
    if a.json {
        output::json(&s)?;
    } else {
        println!("customer #{id}: {} rating recorded", aspect.as_str());
        println!("  product: {}", line(&s.product));
        println!("  service: {}", line(&s.service));
        println!("  loyalty matrix: {}", s.quadrant.as_str());
    }
    Ok(ExitCode::SUCCESS)
}
