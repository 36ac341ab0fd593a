//! Churn reasons and their distribution (see [`crate::churn`]): SQL shared by both databases.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use super::SqlStore;
use crate::churn::{ChurnReasonCount, ChurnReasonInput, ChurnReport};
use crate::error::{StoreError, StoreResult};
use patron_core::validation::required_text;
use patron_core::Scope;

pub(crate) async fn report(store: &SqlStore, scope: Scope) -> StoreResult<ChurnReport> {
    let mut pc = store.acquire().await?;
    let mut c: Conn<'_> = pc.conn();
    let mut a: Vec<Arg> = Vec::new();
    let mut wh = vec!["c.stage = 'lost'".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let counts: Vec<(Option<String>, i64)> = c
        .fetch_all(
            &format!(
                "SELECT c.churn_reason, COUNT(*) FROM customers c WHERE {} \
                 GROUP BY c.churn_reason",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    let reasons: Vec<(String, String, Option<i64>)> = c
        .fetch_all(
            "SELECT code, label, CAST(reference_percent AS BIGINT) FROM churn_reasons \
             ORDER BY position, code",
            vec![],
        )
        .await?;
    let lost: i64 = counts.iter().map(|r| r.1).sum();
    let with_reason: i64 = counts.iter().filter(|r| r.0.is_some()).map(|r| r.1).sum();
    Ok(ChurnReport {
        lost,
        reasons: reasons
            .into_iter()
            .map(|(code, label, reference_percent)| {
                let count = counts
                    .iter()
                    .find(|r| r.0.as_deref() == Some(code.as_str()))
                    .map_or(0, |r| r.1);
                ChurnReasonCount {
                    share: (with_reason > 0).then(|| count as f64 / with_reason as f64),
                    code,
                    label,
                    reference_percent,
                    count,
                }
            })
            .collect(),
    })
}

/// Adds the reason `code` or rewords it.
pub(crate) async fn save_reason(
    store: &SqlStore,
    code: &str,
    input: ChurnReasonInput,
) -> StoreResult<()> {
    let code = code.trim().to_lowercase();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    {
        return Err(StoreError::invalid(
            "code",
            "invalid",
            "a reason code is 1 to 40 lowercase letters, digits or _",
        ));
    }
    let label = required_text("label", Some(&input.label), 200)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    if input
        .reference_percent
        .is_some_and(|p| !(0..=100).contains(&p))
    {
        return Err(StoreError::invalid(
            "reference_percent",
            "out_of_range",
            "a reference share is 0 to 100 percent",
        ));
    }
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let position = c
        .scalar_i64(
            "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM churn_reasons",
            vec![],
        )
        .await?;
    c.execute(
        "INSERT INTO churn_reasons (code, label, reference_percent, position) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO UPDATE SET label = excluded.label, \
         reference_percent = excluded.reference_percent",
        args![code, label, input.reference_percent, position],
    )
    .await?;
    tx.commit().await
}
