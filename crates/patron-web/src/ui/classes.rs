//! `GET /classes`: the classification dashboard (METHOD §2, §8 "customer counts by class and
//! their movement; revenue by class (Pareto chart)") — the last run, customers and revenue by
//! ABC class with a Pareto chart drawn as SVG, loyalty counts, the RFM segment map, and the
//! movement between two days; `POST /classes/run` classifies now.
//!
//! The counts cover the whole archive, so the page is for business managers and above
//! ([`Permissions::can_change_archive`]); sales representatives get "not allowed".

use super::class_view::class_label;
use super::forms::ConfirmForm;
use super::forms::{optional_date, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use chrono::{Months, NaiveDate, Utc};
use fluent_bundle::FluentValue;
use patron_core::classify::{Dimension, RfmSegment};
use patron_core::{Currency, Permissions};
use patron_store::classes::{ClassCount, ClassifyReport, Movement, LAST_RUN_SETTING};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The signed-in user, if their role may see counts over the whole archive.
pub(crate) fn viewer(page: &Page) -> Result<&crate::auth::Caller, UiError> {
    let c = page.user()?;
    if c.user.can_change_archive() {
        Ok(c)
    } else {
        Err(UiError::Forbidden)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DashboardParams {
    /// The movement matrix's dimension and days.
    #[serde(default)]
    dim: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Set by the redirect after "classify now".
    #[serde(default)]
    done: String,
}

/// `GET /classes`.
pub async fn dashboard(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<DashboardParams>,
) -> Response {
    respond(render(&state, &page, p).await, &page)
}

/// `POST /classes/run`: a classification run as of today with the rules in force, then back to
/// the dashboard, which says what the run did.
pub async fn run(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let go = async {
        page.check_csrf(&f.csrf)?;
        viewer(&page)?;
        patron_store::classes::run_classification(state.store.as_ref(), None).await?;
        Ok(super::see_other("/classes?done=1"))
    };
    respond(go.await, &page)
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// One decimal place is plenty for SVG coordinates.
fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The Pareto chart's geometry: one bar per ABC class (its share of the revenue) and the
/// cumulative share as a line through the bars' centres. Drawn by the template.
fn pareto(lang: Lang, abc: &[ClassCount]) -> Value {
    const W: f64 = 520.0;
    const H: f64 = 280.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 24.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 56.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let total: i64 = abc.iter().map(|c| c.revenue_minor.max(0)).sum();
    let slot = plot_w / abc.len().max(1) as f64;
    let y_of = |share: f64| TOP + plot_h * (1.0 - share.clamp(0.0, 1.0));
    let mut cumulative = 0.0;
    let mut points: Vec<String> = Vec::new();
    let bars: Vec<Value> = abc
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let share = if total > 0 {
                c.revenue_minor.max(0) as f64 / total as f64
            } else {
                0.0
            };
            cumulative += share;
            let x = LEFT + slot * i as f64 + slot * 0.2;
            let w = slot * 0.6;
            let y = y_of(share);
            let (cx, cy) = (x + w / 2.0, y_of(cumulative));
            points.push(format!("{},{}", r1(cx), r1(cy)));
            json!({
                "class": c.class,
                "x": r1(x), "y": r1(y), "w": r1(w), "h": r1(TOP + plot_h - y),
                "share": pct(share),
                "cx": r1(cx), "cy": r1(cy), "cumulative": pct(cumulative),
                "label_y": r1(TOP + plot_h + 20.0),
                "count_y": r1(TOP + plot_h + 38.0),
                "customers": i18n::tr(lang, "classes-pareto-customers",
                    &[("count", FluentValue::from(c.customers))]),
            })
        })
        .collect();
    let ticks: Vec<Value> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&t| json!({"y": r1(y_of(t)), "label": pct(t)}))
        .collect();
    json!({
        "w": W as i64, "h": H as i64, "left": LEFT, "right": W - RIGHT, "top": TOP,
        "bottom": TOP + plot_h,
        "bars": bars,
        "points": points.join(" "),
        "ticks": ticks,
        "legend_y": r1(H - 4.0),
    })
}

/// The movement matrix: rows are the classes on the first day (and "not classified"), columns
/// the classes on the second, with totals.
fn matrix(lang: Lang, dim: Dimension, moves: &[Movement]) -> Value {
    let classes = dim.classes();
    let count: HashMap<(Option<&str>, &str), i64> = moves
        .iter()
        .map(|m| ((m.from.as_deref(), m.to.as_str()), m.customers))
        .collect();
    let mut from_classes: Vec<Option<&str>> = classes.iter().map(|c| Some(*c)).collect();
    from_classes.push(None);
    let rows: Vec<Value> = from_classes
        .iter()
        .map(|from| {
            let cells: Vec<Value> = classes
                .iter()
                .map(|to| {
                    json!({
                        "n": count.get(&(*from, *to)).copied().unwrap_or(0),
                        "same": *from == Some(*to),
                    })
                })
                .collect();
            let total: i64 = classes
                .iter()
                .map(|to| count.get(&(*from, *to)).copied().unwrap_or(0))
                .sum();
            json!({"label": class_label(lang, dim, *from), "cells": cells, "total": total})
        })
        .collect();
    let totals: Vec<i64> = classes
        .iter()
        .map(|to| {
            from_classes
                .iter()
                .map(|from| count.get(&(*from, *to)).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    json!({
        "columns": classes.iter().map(|c| class_label(lang, dim, Some(c))).collect::<Vec<_>>(),
        "rows": rows,
        "totals": totals,
        "total": totals.iter().sum::<i64>(),
    })
}

async fn render(state: &AppState, page: &Page, p: DashboardParams) -> Result<Response, UiError> {
    let caller = viewer(page)?;
    let lang = page.lang;
    let summary = state.store.class_summary().await?;
    let currency = summary
        .currency
        .as_deref()
        .and_then(|c| Currency::parse("currency", c).ok())
        .unwrap_or_default();
    let last: Option<ClassifyReport> = state
        .store
        .get_setting(LAST_RUN_SETTING)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok());
    let notice = match (&last, p.done.is_empty()) {
        (Some(r), false) => Some(i18n::tr(
            lang,
            "classes-run-done",
            &[
                ("customers", FluentValue::from(r.customers as i64)),
                ("date", FluentValue::from(i18n::date(lang, r.as_of))),
                ("changes", FluentValue::from(r.changes as i64)),
            ],
        )),
        _ => None,
    };

    // Customers and revenue by ABC class, with shares.
    let total: i64 = summary.abc.iter().map(|c| c.revenue_minor.max(0)).sum();
    let mut cumulative = 0.0;
    let abc: Vec<Value> = summary
        .abc
        .iter()
        .map(|c| {
            let share = if total > 0 {
                c.revenue_minor.max(0) as f64 / total as f64
            } else {
                0.0
            };
            cumulative += share;
            json!({
                "class": c.class, "customers": i18n::number(c.customers),
                "revenue": i18n::money_parts(lang, c.revenue_minor, &currency),
                "share": pct(share), "cumulative": pct(cumulative),
            })
        })
        .collect();
    let counted = |dim: Dimension, list: &[ClassCount]| -> Vec<Value> {
        list.iter()
            .map(|c| {
                json!({
                    "class": c.class,
                    "label": class_label(lang, dim, Some(&c.class)),
                    "customers": i18n::number(c.customers),
                })
            })
            .collect()
    };
    // The RFM map: R rows 5 → 1, F columns 1 → 5.
    let grid: HashMap<(u8, u8), i64> = summary
        .rfm_grid
        .iter()
        .map(|c| ((c.r, c.f), c.customers))
        .collect();
    let rfm_rows: Vec<Value> = (1..=5u8)
        .rev()
        .map(|r| {
            let cells: Vec<Value> = (1..=5u8)
                .map(|f| {
                    let seg = RfmSegment::of(r, f);
                    json!({
                        "n": i18n::number(grid.get(&(r, f)).copied().unwrap_or(0)),
                        "segment": seg.as_str(),
                        "label": class_label(lang, Dimension::Rfm, Some(seg.as_str())),
                    })
                })
                .collect();
            json!({"r": r, "cells": cells})
        })
        .collect();

    // The movement between two days.
    let today = Utc::now().date_naive();
    let year_ago = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    let dim = Dimension::parse(&p.dim).unwrap_or(Dimension::Abc);
    let mut errors = Map::new();
    let from = optional_date(&p.from, "from", &mut errors).unwrap_or(year_ago);
    let to = optional_date(&p.to, "to", &mut errors).unwrap_or(today);
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let movement = if errors.is_empty() {
        let moves = state.store.class_movement(dim, from, to).await?;
        Some(matrix(lang, dim, &moves))
    } else {
        None
    };

    // The loyalty matrix (METHOD §2.3) of the customers the caller may see.
    let loyalty_matrix = state.store.loyalty_matrix(caller.scope).await?;

    let ctx = json!({
        "notice": notice,
        "loyalty_matrix": super::satisfaction_form::matrix_view(lang, &loyalty_matrix),
        "classified": summary.as_of.is_some(),
        "as_of": summary.as_of.map(|d| i18n::date(lang, d)),
        "classified_at": summary.classified_at.map(|t| i18n::datetime(lang, t)),
        "last": last.as_ref().map(|r| json!({"changes": r.changes, "customers": r.customers})),
        "abc": abc,
        "territories": summary.territories.iter().map(|t| json!({
            "class": t.class.as_str(),
            "territory": t.territory,
            "customers": i18n::number(t.customers as i64),
            "revenue": i18n::money_parts(lang, t.reason.revenue_minor, &currency),
            "why": super::class_view::abc_why(lang, t.class, &t.reason, &currency),
        })).collect::<Vec<_>>(),
        "pareto": pareto(lang, &summary.abc),
        "loyalty": counted(Dimension::Loyalty, &summary.loyalty),
        "segments": counted(Dimension::Rfm, &summary.segments),
        "rfm_rows": rfm_rows,
        "dims": Dimension::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "dim": dim.as_str(),
        "from": if p.from.is_empty() { day(from) } else { p.from.clone() },
        "to": if p.to.is_empty() { day(to) } else { p.to.clone() },
        "from_label": i18n::date(lang, from),
        "to_label": i18n::date(lang, to),
        "errors": errors,
        "movement": movement,
        "may_run": caller.user.can_change_archive(),
    });
    Ok(page.render("classes.html", ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(class: &str, customers: i64, revenue_minor: i64) -> ClassCount {
        ClassCount {
            class: class.into(),
            customers,
            revenue_minor,
        }
    }

    #[test]
    fn pareto_bars_and_cumulative_line() {
        let abc = [
            count("A", 2, 8000),
            count("B", 3, 1500),
            count("C", 10, 500),
        ];
        let v = pareto(Lang::En, &abc);
        let bars = v["bars"].as_array().expect("bars");
        assert_eq!(bars.len(), 3);
        assert_eq!(bars[0]["share"], "80%");
        assert_eq!(bars[1]["cumulative"], "95%");
        assert_eq!(bars[2]["cumulative"], "100%");
        // The last point of the line is at the top of the plot (100%).
        assert_eq!(bars[2]["cy"], v["top"]);
        assert_eq!(bars[0]["customers"], "2 customers");
        // No revenue at all: flat bars, never NaN.
        let v = pareto(Lang::En, &[count("A", 0, 0), count("B", 0, 0)]);
        assert!(!v.to_string().contains("NaN") && !v.to_string().contains("null"));
    }

    #[test]
    fn movement_matrix_has_a_row_for_the_unclassified() {
        let moves = [
            Movement {
                from: None,
                to: "A".into(),
                customers: 2,
            },
            Movement {
                from: Some("B".into()),
                to: "A".into(),
                customers: 1,
            },
            Movement {
                from: Some("A".into()),
                to: "A".into(),
                customers: 4,
            },
        ];
        let m = matrix(Lang::En, Dimension::Abc, &moves);
        let rows = m["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0]["cells"][0]["n"], 4);
        assert_eq!(rows[0]["cells"][0]["same"], true);
        assert_eq!(rows[3]["label"], "not classified");
        assert_eq!(rows[3]["cells"][0]["n"], 2);
        assert_eq!(m["totals"][0], 7);
        assert_eq!(m["total"], 7);
    }
}
