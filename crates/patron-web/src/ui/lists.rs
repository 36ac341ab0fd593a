//! `GET /lists`, `GET /lists/{name}` and its downloads: the method's seven value questions
//! (METHOD §2.4; see [`patron_store::lists`]) as ready lists. The index explains each question
//! and counts its customers; a list's page shows its rows with every value formatted in the
//! reader's language, and hands the same list on as CSV or Excel
//! (`/lists/{name}.csv`, `/lists/{name}.xlsx`, or `?format=csv|xlsx`).
//!
//! Every signed-in user may open them: the store picks each list's customers over the whole
//! archive (the top 5% is the archive's top 5%) and shows only those in the user's scope, so a
//! sales representative sees their own customers on every list.

use super::class_view::class_label;
use super::forms::respond;
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use fluent_bundle::FluentValue;
use patron_core::classify::Dimension;
use patron_core::Currency;
use patron_store::lists::{Cell, ColumnKind, ListColumn, ListName, ValueList};
use serde::Deserialize;
use serde_json::{json, Value};

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The message `key` in `lang`, or `fallback` when no language has it (a column or note the
/// store added after these messages were written is shown as the store names it).
fn tr_or(lang: Lang, key: &str, fallback: &str) -> String {
    let s = i18n::tr(lang, key, &[]);
    if s == key {
        fallback.to_owned()
    } else {
        s
    }
}

/// A column's header in `lang` (`list-col-{key}`; the key itself when there is no message).
fn header_label(lang: Lang, key: &str) -> String {
    tr_or(lang, &format!("list-col-{key}"), key)
}

/// The notes the store writes, by list, and their messages. A note not here (reworded, or new)
/// is shown as the store wrote it.
const NOTES: &[(ListName, &str, &str)] = &[
    (
        ListName::Gold,
        "no lifetime values yet: run `patron model fit` and `patron model score`",
        "list-note-no-scores",
    ),
    (
        ListName::Drag,
        "no classification yet: run `patron classify` (or Classify now on the classes page)",
        "list-note-not-classified",
    ),
    (
        ListName::Targets,
        "no classification yet: only organisations tagged `target` are listed; run \
         `patron classify` to add the A and B organisations",
        "list-note-targets-not-classified",
    ),
    (
        ListName::Complaining,
        "no classification yet: run `patron classify` (or Classify now on the classes page)",
        "list-note-not-classified",
    ),
    (
        ListName::Slipping,
        "nobody bought in the 12 months before the last 12",
        "list-note-no-last-year",
    ),
    (
        ListName::Narrow,
        "the catalogue has fewer than two product lines",
        "list-note-few-lines",
    ),
    (
        ListName::Credit,
        "no customer is under credit management yet",
        "list-note-no-credit",
    ),
];

/// The list's note in `lang`: a known one translated, any other as it is.
fn note_text(lang: Lang, list: &ValueList) -> Option<String> {
    let note = list.note.as_deref()?;
    let known = NOTES
        .iter()
        .find(|(name, text, _)| *name == list.name && *text == note);
    Some(match known {
        Some((_, _, key)) => tr_or(lang, key, note),
        None => note.to_owned(),
    })
}

/// A class or segment code in `lang`: ABC as it is, loyalty and RFM segments by their labels,
/// lifecycle stages and credit classes (`credit-class-…`) by theirs; other codes as they are.
fn class_text(lang: Lang, column: &str, code: Option<&str>) -> String {
    match column {
        "abc" => class_label(lang, Dimension::Abc, code),
        "loyalty" => class_label(lang, Dimension::Loyalty, code),
        "segment" | "rfm_segment" => class_label(lang, Dimension::Rfm, code),
        "stage" => match code {
            Some(c) => tr_or(lang, &format!("stage-{c}"), c),
            None => String::new(),
        },
        "credit_class" => match code {
            Some(c) => tr_or(lang, &format!("credit-class-{c}"), c),
            None => String::new(),
        },
        _ => code.unwrap_or_default().to_owned(),
    }
}

/// One value as the page shows it.
fn cell_text(lang: Lang, column: &ListColumn, cell: &Cell, currency: &Currency) -> String {
    match (column.kind, cell) {
        (ColumnKind::Class, Cell::Text(c)) => class_text(lang, &column.key, Some(c)),
        // An organisation on the target list that has not been classified, say.
        (ColumnKind::Class, Cell::Null) if column.key == "abc" => {
            class_text(lang, &column.key, None)
        }
        (_, Cell::Null) => String::new(),
        (ColumnKind::Money, Cell::Int(v)) => i18n::money_parts(lang, *v, currency),
        (ColumnKind::Money, Cell::Number(v)) => {
            let scale = 10f64.powi(currency.minor_digits() as i32);
            i18n::money_parts(lang, (v * scale).round() as i64, currency)
        }
        (ColumnKind::Percent, Cell::Number(v)) => format!("{:.1}%", v * 100.0),
        (ColumnKind::Percent, Cell::Int(v)) => format!("{}%", i18n::number(v.saturating_mul(100))),
        (_, Cell::Int(v)) => i18n::number(*v),
        (_, Cell::Number(v)) => format!("{v:.2}"),
        (ColumnKind::Date, Cell::Text(t)) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| i18n::date(lang, d))
            .unwrap_or_else(|_| t.clone()),
        // The churn-risk list's signals are codes, each translated.
        (_, Cell::Text(t)) if column.key == "signals" => t
            .split(", ")
            .map(|s| tr_or(lang, &format!("list-signal-{s}"), s))
            .collect::<Vec<_>>()
            .join(", "),
        (_, Cell::Text(t)) => t.clone(),
    }
}

fn numeric(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::Money | ColumnKind::Int | ColumnKind::Number | ColumnKind::Percent
    )
}

/// `GET /lists`: the seven questions with what each list holds and how many of the user's
/// customers are on it.
pub async fn index(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        let caller = page.user()?;
        let lang = page.lang;
        let mut lists: Vec<Value> = Vec::with_capacity(ListName::ALL.len());
        for name in ListName::ALL {
            let list = state.store.value_list(name, caller.scope).await?;
            let n = name.as_str();
            lists.push(json!({
                "name": n,
                "title": i18n::tr(lang, &format!("list-{n}-title"), &[]),
                "about": i18n::tr(lang, &format!("list-{n}-about"), &[]),
                "count": list.rows.len(),
                "count_text": i18n::tr(lang, "lists-count",
                    &[("count", FluentValue::from(list.rows.len() as i64))]),
                "note": note_text(lang, &list),
            }));
        }
        Ok(page.render("lists.html", json!({ "lists": lists })))
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    /// `csv` or `xlsx` downloads the list instead of showing it.
    #[serde(default)]
    format: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Csv,
    Xlsx,
}

/// The list and the format a `/lists/…` segment and `?format=` ask for: `gold`, `gold.csv`,
/// `gold.xlsx`; `None` for anything else (a 404).
fn parse_target(segment: &str, format: &str) -> Option<(ListName, Format)> {
    let (name, ext) = match segment.rsplit_once('.') {
        Some((n, e)) => (n, Some(e)),
        None => (segment, None),
    };
    let name = ListName::parse(name).filter(|n| n.as_str() == name)?;
    let format = match (ext, format) {
        (Some("csv"), "" | "csv") | (None, "csv") => Format::Csv,
        (Some("xlsx"), "" | "xlsx") | (None, "xlsx") => Format::Xlsx,
        (None, "" | "html") => Format::Html,
        _ => return None,
    };
    Some((name, format))
}

/// `GET /lists/{name}` (and `.csv`, `.xlsx`).
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(segment): Path<String>,
    Query(p): Query<ShowParams>,
) -> Response {
    respond(render(&state, &page, &segment, &p.format).await, &page)
}

async fn render(
    state: &AppState,
    page: &Page,
    segment: &str,
    format: &str,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let (name, format) = parse_target(segment, format).ok_or(UiError::NotFound)?;
    let list = state.store.value_list(name, caller.scope).await?;
    match format {
        Format::Csv => download(&list, "csv", "text/csv; charset=utf-8", list.to_csv()?),
        Format::Xlsx => download(&list, "xlsx", XLSX_TYPE, list.to_xlsx()?),
        Format::Html => Ok(page.render("list.html", view(page.lang, &list))),
    }
}

/// The file of a list: `gold-2026-12-03.csv` (the list's as-of day).
fn download(
    list: &ValueList,
    ext: &str,
    content_type: &'static str,
    bytes: Vec<u8>,
) -> Result<Response, UiError> {
    let disposition = format!(
        "attachment; filename=\"{}-{}.{ext}\"",
        list.name.as_str(),
        list.as_of.format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The template's context of one list.
fn view(lang: Lang, list: &ValueList) -> Value {
    let n = list.name.as_str();
    let currency = Currency::parse("currency", &list.currency).unwrap_or_default();
    let columns: Vec<Value> = list
        .columns
        .iter()
        .map(|c| {
            json!({
                "key": c.key,
                "label": header_label(lang, &c.key),
                "num": numeric(c.kind),
            })
        })
        .collect();
    let rows: Vec<Value> = list
        .rows
        .iter()
        .map(|r| {
            let cells: Vec<Value> = r
                .values
                .iter()
                .zip(&list.columns)
                .map(|(v, c)| {
                    json!({
                        "text": cell_text(lang, c, v, &currency),
                        "num": numeric(c.kind),
                    })
                })
                .collect();
            json!({
                "id": r.customer_id.0,
                "ref": r.customer_ref,
                "name": r.name,
                "cells": cells,
            })
        })
        .collect();
    json!({
        "name": n,
        "title": i18n::tr(lang, &format!("list-{n}-title"), &[]),
        "about": i18n::tr(lang, &format!("list-{n}-about"), &[]),
        "as_of": i18n::date(lang, list.as_of),
        "currency": list.currency,
        "note": note_text(lang, list),
        "columns": columns,
        "rows": rows,
        "count_text": i18n::tr(lang, "lists-count",
            &[("count", FluentValue::from(list.rows.len() as i64))]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::CustomerId;
    use patron_store::lists::ListRow;

    fn col(key: &str, kind: ColumnKind) -> ListColumn {
        ListColumn {
            key: key.into(),
            kind,
        }
    }

    #[test]
    fn targets_parse_with_extension_or_format() {
        assert_eq!(
            parse_target("gold", ""),
            Some((ListName::Gold, Format::Html))
        );
        assert_eq!(
            parse_target("gold.csv", ""),
            Some((ListName::Gold, Format::Csv))
        );
        assert_eq!(
            parse_target("narrow.xlsx", ""),
            Some((ListName::Narrow, Format::Xlsx))
        );
        assert_eq!(
            parse_target("drag", "xlsx"),
            Some((ListName::Drag, Format::Xlsx))
        );
        assert_eq!(
            parse_target("drag", "csv"),
            Some((ListName::Drag, Format::Csv))
        );
        for bad in ["platinum", "gold.pdf", " gold", "gold.csv.csv", ""] {
            assert_eq!(parse_target(bad, ""), None, "{bad}");
        }
        assert_eq!(parse_target("gold", "pdf"), None);
        assert_eq!(parse_target("gold.csv", "xlsx"), None);
    }

    #[test]
    fn values_are_formatted_by_kind_and_language() {
        let usd = Currency::parse("c", "USD").expect("usd");
        let money = col("last_year", ColumnKind::Money);
        assert_eq!(
            cell_text(Lang::En, &money, &Cell::Int(1_234_567), &usd),
            "$12,345.67"
        );
        assert_eq!(
            cell_text(Lang::ZhCn, &money, &Cell::Int(-50), &usd),
            "-USD 0.50"
        );
        let pct = col("change", ColumnKind::Percent);
        assert_eq!(
            cell_text(Lang::En, &pct, &Cell::Number(-0.25), &usd),
            "-25.0%"
        );
        let int = col("key_persons", ColumnKind::Int);
        assert_eq!(cell_text(Lang::Ko, &int, &Cell::Int(12345), &usd), "12,345");
        let num = col("expected_purchases", ColumnKind::Number);
        assert_eq!(
            cell_text(Lang::En, &num, &Cell::Number(1.236), &usd),
            "1.24"
        );
        let seg = col("segment", ColumnKind::Class);
        assert_eq!(
            cell_text(Lang::En, &seg, &Cell::Text("champions".into()), &usd),
            "Champions"
        );
        let stage = col("stage", ColumnKind::Class);
        assert_eq!(
            cell_text(Lang::ZhCn, &stage, &Cell::Text("customer".into()), &usd),
            "客户"
        );
        let abc = col("abc", ColumnKind::Class);
        assert_eq!(
            cell_text(Lang::En, &abc, &Cell::Text("A".into()), &usd),
            "A"
        );
        assert_eq!(
            cell_text(Lang::En, &abc, &Cell::Null, &usd),
            "not classified"
        );
        let credit = col("credit_class", ColumnKind::Class);
        assert_eq!(
            cell_text(Lang::En, &credit, &Cell::Text("AAA".into()), &usd),
            "AAA"
        );
        let date = col("since", ColumnKind::Date);
        assert_eq!(
            cell_text(Lang::ZhTw, &date, &Cell::Text("2026-03-05".into()), &usd),
            "2026年3月5日"
        );
        let text = col("lines_bought", ColumnKind::Text);
        assert_eq!(
            cell_text(Lang::En, &text, &Cell::Text("茶, 酒".into()), &usd),
            "茶, 酒"
        );
        assert_eq!(cell_text(Lang::En, &money, &Cell::Null, &usd), "");
    }

    fn list(name: ListName, note: Option<&str>) -> ValueList {
        ValueList {
            name,
            as_of: NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"),
            currency: "USD".into(),
            columns: vec![col("surprise", ColumnKind::Int)],
            rows: vec![ListRow {
                customer_id: CustomerId(1),
                customer_ref: None,
                name: "x".into(),
                values: vec![Cell::Int(1)],
            }],
            note: note.map(str::to_owned),
        }
    }

    #[test]
    fn every_known_note_and_list_is_translated_and_unknown_ones_shown_as_they_are() {
        for (name, text, key) in NOTES {
            for l in Lang::ALL {
                let shown = note_text(l, &list(*name, Some(text))).expect("note");
                assert_ne!(shown, *key);
                if l != Lang::En {
                    assert_ne!(shown, *text, "{} {key}", l.tag());
                }
            }
        }
        // The same text under another list, or a new text: as the store wrote it.
        let other = note_text(Lang::Ko, &list(ListName::Gold, Some(NOTES[4].1)));
        assert_eq!(other.as_deref(), Some(NOTES[4].1));
        assert_eq!(note_text(Lang::Ko, &list(ListName::Gold, None)), None);
        for name in ListName::ALL {
            for l in Lang::ALL {
                for part in ["title", "about"] {
                    let key = format!("list-{}-{part}", name.as_str());
                    assert_ne!(i18n::tr(l, &key, &[]), key);
                }
            }
        }
        // An unknown column is headed by its key.
        let v = view(Lang::ZhCn, &list(ListName::Gold, None));
        assert_eq!(v["columns"][0]["label"], "surprise");
    }

    #[test]
    fn the_stores_columns_have_headers_in_every_language() {
        for key in [
            "rank",
            "clv",
            "p_alive",
            "expected_purchases",
            "revenue_12m",
            "abc",
            "days_since_last_order",
            "revenue_total",
            "purchase_days",
            "segment",
            "key_persons",
            "stage",
            "complaints",
            "last_year",
            "this_year",
            "change",
            "lines_bought",
            "lines_not_bought",
            "line_count",
            "credit_class",
            "limit",
            "outstanding",
            "overdue",
            "days_overdue",
        ] {
            for l in Lang::ALL {
                assert_ne!(header_label(l, key), key, "{} {key}", l.tag());
            }
        }
    }
}
