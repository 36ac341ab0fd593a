//! `/indicators`: the method's five indicators (METHOD §5) — a trend chart of each over the kept
//! months (SVG drawn on the server, no script), the numbers behind them per month and quarter,
//! one period broken down per ABC class or per owner, and each indicator's definition. Read from
//! the kept counts, so the page costs the same for ten customers as for a million.

use super::forms::respond;
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use patron_core::indicators::{Counts, Period, NAMES};
use patron_core::Permissions;
use patron_store::indicators::{report, IndicatorTable, PeriodIndicators};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A fraction as a percentage with one decimal, or a dash when there is no data.
fn percent(v: Option<f64>) -> String {
    match v {
        Some(f) => format!("{:.1}%", f * 100.0),
        None => "—".to_owned(),
    }
}

fn counts_view(c: &Counts) -> Value {
    json!({
        "served": i18n::number(c.served), "buyers": i18n::number(c.buyers),
        "repeat_buyers": i18n::number(c.repeat_buyers), "orders": i18n::number(c.orders),
        "named_orders": i18n::number(c.named_orders), "complainers": i18n::number(c.complainers),
        "complaints": i18n::number(c.complaints), "surveyed": i18n::number(c.surveyed),
        "praising": i18n::number(c.praising),
    })
}

fn row_view(p: &PeriodIndicators, label: String) -> Value {
    json!({
        "period": p.period,
        "label": label,
        "values": NAMES.iter().map(|n| percent(p.indicators.get(n))).collect::<Vec<_>>(),
        "counts": counts_view(&p.counts),
    })
}

/// Chart geometry (viewBox units).
const W: f64 = 360.0;
const H: f64 = 130.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 352.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 105.0;

/// One indicator's trend over `months`: polylines (broken where there is no data), a dot per
/// month with its value, the 0/50/100% grid, and the first and last month's labels.
fn chart(name: &str, months: &[PeriodIndicators]) -> Value {
    let n = months.len().max(2) as f64;
    let x = |i: usize| LEFT + (RIGHT - LEFT) * i as f64 / (n - 1.0);
    let y = |v: f64| BOTTOM - (BOTTOM - TOP) * v.clamp(0.0, 1.0);
    let mut lines: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut dots = Vec::new();
    for (i, p) in months.iter().enumerate() {
        match p.indicators.get(name) {
            Some(v) => {
                current.push(format!("{:.1},{:.1}", x(i), y(v)));
                dots.push(
                    json!({"cx": format!("{:.1}", x(i)), "cy": format!("{:.1}", y(v)),
                                 "title": format!("{}: {}", p.period, percent(Some(v)))}),
                );
            }
            None => {
                if !current.is_empty() {
                    lines.push(current.join(" "));
                    current.clear();
                }
            }
        }
    }
    if !current.is_empty() {
        lines.push(current.join(" "));
    }
    let grid: Vec<Value> = [0.0, 0.5, 1.0]
        .iter()
        .map(|v: &f64| json!({"y": format!("{:.1}", y(*v)), "label": format!("{:.0}%", v * 100.0)}))
        .collect();
    json!({
        "name": name,
        "w": W, "h": H, "left": LEFT, "right": RIGHT,
        "grid": grid,
        "lines": lines,
        "dots": dots,
        "first": months.first().map(|p| p.period.clone()),
        "last": months.last().map(|p| p.period.clone()),
        "label_y": BOTTOM + 18.0,
        "empty": dots.is_empty(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    /// The period broken down (default: the latest month).
    #[serde(default)]
    period: String,
    /// `class` (default) or `owner`.
    #[serde(default)]
    dimension: String,
}

async fn kept(state: &AppState) -> Result<IndicatorTable, UiError> {
    Ok(crate::api::indicators::table(state).await?)
}

/// `GET /indicators`.
pub async fn page(State(state): State<AppState>, page: Page, Query(p): Query<Params>) -> Response {
    let run = async {
        let caller = page.user()?;
        let lang: Lang = page.lang;
        let t = kept(&state).await?;
        let all = report(&t, None, "all");
        let (months, quarters): (Vec<PeriodIndicators>, Vec<PeriodIndicators>) = all
            .periods
            .into_iter()
            .partition(|p| !p.period.contains('Q'));
        let latest = months.last().map(|p| p.period.clone()).unwrap_or_default();
        let period = Period::parse(&p.period)
            .map(|p| p.to_string())
            .filter(|p| t.rows.iter().any(|r| &r.period == p))
            .unwrap_or(latest);
        let dimension = if p.dimension == "owner" {
            "owner"
        } else {
            "class"
        };
        let names: HashMap<String, String> = state
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id.0.to_string(), u.name))
            .collect();
        let none = i18n::tr(lang, "indicators-segment-none", &[]);
        let segments: Vec<Value> = report(&t, Period::parse(&period), dimension)
            .periods
            .iter()
            .map(|s| {
                let seg = s.segment.clone().unwrap_or_default();
                let label = if seg == "-" {
                    none.clone()
                } else if dimension == "owner" {
                    names.get(&seg).cloned().unwrap_or(seg)
                } else {
                    seg
                };
                row_view(s, label)
            })
            .collect();
        Ok(page.render(
            "indicators.html",
            json!({
                "names": NAMES,
                "charts": NAMES.iter().map(|n| chart(n, &months)).collect::<Vec<_>>(),
                "months": months.iter().rev().map(|m| row_view(m, m.period.clone())).collect::<Vec<_>>(),
                "quarters": quarters.iter().rev().map(|m| row_view(m, m.period.clone())).collect::<Vec<_>>(),
                "periods": months.iter().chain(quarters.iter()).map(|m| m.period.clone()).collect::<Vec<_>>(),
                "period": period,
                "dimension": dimension,
                "segments": segments,
                "refreshed": t.refreshed_at.map(|at| i18n::datetime(lang, at)),
                "can_refresh": caller.user.can_change_archive(),
            }),
        ))
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct RefreshForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /indicators/refresh`: recounts now (managers; the server also does it every few
/// minutes).
pub async fn refresh(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<RefreshForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        if !caller.user.can_change_archive() {
            return Err(UiError::Forbidden);
        }
        let today = state.config.clock.now().date_naive();
        state.store.refresh_indicators(today).await?;
        Ok(super::see_other("/indicators"))
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::indicators::Indicators;

    fn at(period: &str, v: Option<f64>) -> PeriodIndicators {
        PeriodIndicators {
            period: period.into(),
            segment: None,
            indicators: Indicators {
                sales_power: v,
                ..Default::default()
            },
            counts: Counts::default(),
        }
    }

    #[test]
    fn chart_lines_break_where_there_is_no_data() {
        let months = [
            at("2026-09", Some(0.5)),
            at("2026-10", None),
            at("2026-11", Some(1.0)),
            at("2026-12", Some(0.0)),
        ];
        let c = chart("sales_power", &months);
        let lines = c["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "40.0,57.5");
        assert_eq!(lines[1], "248.0,10.0 352.0,105.0");
        assert_eq!(c["dots"].as_array().map(Vec::len), Some(3));
        assert_eq!(c["dots"][0]["title"], "2026-09: 50.0%");
        assert_eq!(percent(None), "—");
        let empty = chart("reputation", &months);
        assert_eq!(empty["empty"], true);
    }
}
