//! `patron surveys …`: satisfaction surveys (METHOD §5) on the command line — the
//! questionnaires, one with its answers summed, and a public link for a customer (to paste into
//! a letter or a mail merge). Runs with the database owner's authority.

use crate::output;
use crate::settings::Settings;
use clap::Subcommand;
use patron_store::surveys::{LinkInput, LinkPurpose};
use patron_store::StoreError;
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SurveysCommand {
    /// The questionnaires, those taking answers first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One questionnaire with its answers summed per aspect (mean expected and perceived,
    /// dissatisfied / basically / very satisfied), praise and by-name shares.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Make a public link for a customer: a survey (--survey ID) or a complaint/opinion form
    /// (--complaint). Prints its address, shown this once.
    Link {
        /// The customer (reference, id or #id).
        #[arg(long, value_name = "ID")]
        customer: String,
        #[arg(long, value_name = "ID", conflicts_with = "complaint")]
        survey: Option<i64>,
        #[arg(long)]
        complaint: bool,
        /// en, zh-CN, zh-TW or ko (default en).
        #[arg(long)]
        language: Option<String>,
        /// Days until it expires (default 14, at most 90).
        #[arg(long)]
        days: Option<i64>,
        /// Where customers reach Patron (default http://<addr>).
        #[arg(long, value_name = "URL")]
        base: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn explain(e: StoreError) -> anyhow::Error {
    super::explain_flags(e, |f| match f {
        "survey_id" => "survey",
        other => other,
    })
}

fn share(yes: i64, all: i64) -> String {
    if all == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", yes as f64 * 100.0 / all as f64)
    }
}

pub async fn run(settings: &Settings, c: SurveysCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    let store = store.as_ref();
    match c {
        SurveysCommand::List { json } => {
            let all = store.list_surveys().await?;
            if json {
                output::json(&json!({ "items": all }))?;
            } else {
                for s in &all {
                    let aspects: Vec<&str> =
                        s.def.aspects.iter().map(|a| a.code.as_str()).collect();
                    println!(
                        "#{:<4} {:<8} {:>6} answers  {}  [{}]",
                        s.id,
                        if s.def.active { "active" } else { "closed" },
                        s.responses,
                        s.def.title.en,
                        aspects.join(", ")
                    );
                }
            }
        }
        SurveysCommand::Show { id, json } => {
            let s = store.get_survey(id).await?;
            let sum = store.survey_summary(id).await?;
            if json {
                output::json(&json!({ "survey": s, "summary": sum }))?;
            } else {
                println!(
                    "survey #{} — {} ({} answers)",
                    s.id, s.def.title.en, sum.responses
                );
                let mean = |m: Option<f64>| m.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
                println!(
                    "  {:<12} {:>7} {:>9} {:>9} {:>12} {:>9} {:>9}",
                    "aspect",
                    "answers",
                    "expected",
                    "perceived",
                    "dissatisfied",
                    "basically",
                    "very"
                );
                for a in &sum.aspects {
                    println!(
                        "  {:<12} {:>7} {:>9} {:>9} {:>12} {:>9} {:>9}",
                        a.aspect,
                        a.answers,
                        mean(a.mean_expected),
                        mean(a.mean_perceived),
                        a.dissatisfied,
                        a.basically_satisfied,
                        a.very_satisfied
                    );
                }
                println!(
                    "  would praise us: {} ({} of {})",
                    share(sum.praise_yes, sum.praise_answers),
                    sum.praise_yes,
                    sum.praise_answers
                );
                println!(
                    "  asked for us by name: {} ({} of {})",
                    share(sum.named_yes, sum.named_answers),
                    sum.named_yes,
                    sum.named_answers
                );
            }
        }
        SurveysCommand::Link {
            customer,
            survey,
            complaint,
            language,
            days,
            base,
            json,
        } => {
            let customer = super::resolve_customer(store, &customer).await?;
            if !complaint && survey.is_none() {
                anyhow::bail!("give --survey ID for a survey link, or --complaint");
            }
            let input = LinkInput {
                purpose: if complaint {
                    LinkPurpose::Complaint
                } else {
                    LinkPurpose::Survey
                },
                survey_id: survey,
                language,
                days,
            };
            let made = store
                .create_public_link(None, customer, &input, chrono::Utc::now())
                .await
                .map_err(explain)?;
            let base = base.unwrap_or_else(|| format!("http://{}", settings.addr));
            let url = format!("{}/p/{}", base.trim_end_matches('/'), made.secret);
            if json {
                output::json(&json!({ "url": url, "link": made.link }))?;
            } else {
                println!("{url}");
                eprintln!(
                    "valid once until {} UTC ({})",
                    made.link.expires_at.format("%Y-%m-%d %H:%M"),
                    made.link.language
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
