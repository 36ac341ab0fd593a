//! `GET /agenda/compliance?months=N`: how well the contact plan is kept (METHOD §3.1) — for each
//! person, class and month, the visits and calls the policy expects against those logged.
//!
//! Business managers and above (the roles that see the classification dashboard,
//! [`Permissions::can_change_archive`]) see everyone's rows; a sales representative sees only
//! their own, so the page is a mirror for them and a report for their managers.

use super::forms::{add_error, respond};
use super::i18n::{self, Lang};
use super::Page;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use patron_core::Permissions;
use patron_store::contact::ComplianceRow;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Months shown when the page is opened without a choice.
const DEFAULT_MONTHS: u32 = 3;
/// The longest report the store makes.
const MAX_MONTHS: u32 = 36;

#[derive(Debug, Default, Deserialize)]
pub struct ComplianceParams {
    #[serde(default)]
    months: String,
}

/// `YYYY-MM` as the locale writes a month ("Mar 2026", "2026年3月", "2026년 3월").
fn month_text(lang: Lang, month: &str) -> String {
    match NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") {
        Ok(d) => match lang {
            Lang::En => d.format("%b %Y").to_string(),
            Lang::ZhCn | Lang::ZhTw => d.format("%Y年%-m月").to_string(),
            Lang::Ko => d.format("%Y년 %-m월").to_string(),
        },
        Err(_) => month.to_owned(),
    }
}

/// Contacts due as the report counts them: whole numbers plainly, fractions to one decimal.
fn due_text(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        format!("{x:.1}")
    }
}

/// The share of the due contacts that were made, or `None` when nothing was due.
fn done_share(r: &ComplianceRow) -> Option<f64> {
    let due = r.visits_due + r.calls_due;
    (due > 0.0).then(|| (r.visits_done + r.calls_done) as f64 / due)
}

fn row_view(lang: Lang, r: &ComplianceRow) -> Value {
    let share = done_share(r);
    json!({
        "user": r.user_name,
        "level": r.staff_level.as_str(),
        "class": r.class,
        "month": month_text(lang, &r.month),
        "customers": i18n::number(r.customers),
        "visits_due": due_text(r.visits_due),
        "visits_done": i18n::number(r.visits_done),
        "calls_due": due_text(r.calls_due),
        "calls_done": i18n::number(r.calls_done),
        "share": share.map(|s| format!("{:.0}%", s * 100.0)),
        // Below half of what the policy asks stands out.
        "behind": share.is_some_and(|s| s < 0.5),
    })
}

/// `GET /agenda/compliance`.
pub async fn report(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<ComplianceParams>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let mut errs = Map::new();
        let months = match p.months.trim() {
            "" => DEFAULT_MONTHS,
            t => match t.parse::<u32>() {
                Ok(n) if (1..=MAX_MONTHS).contains(&n) => n,
                Ok(_) => {
                    add_error(&mut errs, "months", "out_of_range");
                    DEFAULT_MONTHS
                }
                Err(_) => {
                    add_error(&mut errs, "months", "invalid");
                    DEFAULT_MONTHS
                }
            },
        };
        let everyone = caller.user.can_change_archive();
        let rows: Vec<Value> =
            patron_store::contact::compliance(state.store.as_ref(), None, months)
                .await?
                .iter()
                .filter(|r| everyone || r.user_id == caller.user.id)
                .map(|r| row_view(page.lang, r))
                .collect();
        let status = if errs.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        Ok(page.render_status(
            status,
            "compliance.html",
            json!({
                "rows": rows,
                "months": if errs.is_empty() { months.to_string() } else { p.months.chars().take(20).collect() },
                "max_months": MAX_MONTHS,
                "errors": errs,
                "everyone": everyone,
            }),
        ))
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_numbers_read_naturally() {
        assert_eq!(month_text(Lang::En, "2026-03"), "Mar 2026");
        assert_eq!(month_text(Lang::ZhTw, "2026-03"), "2026年3月");
        assert_eq!(month_text(Lang::Ko, "2026-11"), "2026년 11월");
        assert_eq!(month_text(Lang::En, "bad"), "bad");
        assert_eq!(due_text(3.0), "3");
        assert_eq!(due_text(0.16666), "0.2");
    }
}
