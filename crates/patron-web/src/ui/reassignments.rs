//! `GET /agenda/reassignments?from=&to=&role=&class=`: who moved which customer to whom
//! (METHOD §3.2 — every key account has a named relationship manager, so moving one is a
//! decision a manager wants to see). A sales representative sees the moves of their own
//! customers, a business manager their team's, the others all.

use super::forms::{add_error, respond};
use super::i18n;
use super::Page;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use patron_store::contact::{Reassignment, ReassignmentFilter};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The form as typed (every field optional, kept as text so a bad value is shown again).
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    class: String,
}

fn day(errs: &mut Map<String, Value>, field: &str, text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            add_error(errs, field, "invalid");
            None
        }
    }
}

fn row_view(lang: i18n::Lang, r: &Reassignment) -> Value {
    json!({
        "at": i18n::datetime(lang, r.at),
        "customer_id": r.customer_id.0,
        "customer": r.customer_name,
        "class": r.class,
        "role": r.role,
        "from": r.from_user_name,
        "to": r.to_user_name,
        "by": r.changed_by_name,
    })
}

/// `GET /agenda/reassignments`.
pub async fn report(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<Params>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let mut errs = Map::new();
        let mut filter = ReassignmentFilter {
            from: day(&mut errs, "from", &p.from),
            to: day(&mut errs, "to", &p.to),
            ..Default::default()
        };
        match p.role.trim() {
            "" => {}
            r @ ("owner" | "relationship_manager") => filter.role = Some(r.to_owned()),
            _ => add_error(&mut errs, "role", "invalid"),
        }
        match p.class.trim() {
            "" => {}
            c @ ("A" | "B" | "C") => filter.class = Some(c.to_owned()),
            _ => add_error(&mut errs, "class", "invalid"),
        }
        if let (Some(f), Some(t)) = (filter.from, filter.to) {
            if f > t {
                add_error(&mut errs, "from", "after_to");
            }
        }
        let rows: Vec<Value> = if errs.is_empty() {
            patron_store::contact::reassignments(state.store.as_ref(), caller.scope, &filter)
                .await?
                .iter()
                .map(|r| row_view(page.lang, r))
                .collect()
        } else {
            Vec::new()
        };
        let status = if errs.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        Ok(page.render_status(
            status,
            "reassignments.html",
            json!({
                "rows": rows,
                "from": p.from.chars().take(20).collect::<String>(),
                "to": p.to.chars().take(20).collect::<String>(),
                "role": p.role.trim(),
                "class": p.class.trim(),
                "limit": patron_store::contact::REASSIGNMENTS_LIMIT,
                "errors": errs,
            }),
        ))
    };
    respond(run.await, &page)
}
