//! `GET/POST /agenda/policy` and `POST /agenda/settings`: the contact plan's rules (METHOD §3).
//!
//! The visit and call policy (§3.1) is shown as the method prints it — staff levels down, ABC
//! classes across — with every cell editable: for visits and for calls a kind (times per period,
//! every N periods, when necessary, none), the range's two numbers and the period. Below it the
//! plan's other settings: the shop's time zone (which day "today" is), the thank-you rule for
//! large purchases (§3.2) and the dated sales seasons and product launches (§3.2: phone every
//! A-class customer before them).
//!
//! Everyone may read both (staff should know what is expected of them); only the roles that may
//! change the classification rules ([`Permissions::can_set_class_rules`]) may save, because a
//! change reschedules every agenda at once. A refused form is shown again as typed with each
//! message next to its cell, never a server error.

use super::forms::{add_error, blank, code_key, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use fluent_bundle::FluentValue;
use patron_core::classify::AbcClass;
use patron_core::contact::{
    ContactPolicy, ContactSettings, Frequency, Period, Season, ThankYouRules, POLICY_LEVELS,
};
use patron_core::{Permissions, StaffLevel};
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The two contacts each cell of the matrix schedules.
const WHATS: [&str; 2] = ["visit", "call"];
/// The kinds of frequency, as the form's select names them.
const KINDS: [&str; 4] = ["times", "every", "when_necessary", "none"];
/// Seasons and launches as the settings name them.
const SEASON_KINDS: [&str; 2] = ["season", "launch"];
/// At most this many season rows are read from one form (a bound on what a request can make us
/// parse; far more than a shop has seasons in a year).
const MAX_SEASONS: usize = 100;

/// A frequency in the reader's language ("2–3× per month", "每1–2个月", "매년").
pub(crate) fn frequency_text(lang: Lang, f: &Frequency) -> String {
    let range = |min: u32, max: u32| {
        if min == max {
            min.to_string()
        } else {
            format!("{min}–{max}")
        }
    };
    let s = |v: String| FluentValue::from(v);
    match *f {
        Frequency::Times { min, max, per } => i18n::tr(
            lang,
            "freq-times",
            &[
                ("range", s(range(min, max))),
                (
                    "period",
                    s(i18n::tr(lang, &format!("period-{}", per.as_str()), &[])),
                ),
            ],
        ),
        Frequency::Every {
            min: 1,
            max: 1,
            unit,
        } => i18n::tr(lang, &format!("freq-every-one-{}", unit.as_str()), &[]),
        Frequency::Every { min, max, unit } => i18n::tr(
            lang,
            &format!("freq-every-{}", unit.as_str()),
            &[("range", s(range(min, max)))],
        ),
        Frequency::WhenNecessary => i18n::tr(lang, "freq-when_necessary", &[]),
        Frequency::None => i18n::tr(lang, "freq-none", &[]),
    }
}

/// The matrix cell's name as the store's validation names it (`sales_representative.a.call`).
fn cell_field(level: StaffLevel, class: AbcClass, what: &str) -> String {
    format!(
        "{}.{}.{what}",
        level.as_str(),
        class.as_str().to_lowercase()
    )
}

/// The cell's name in the form and in element ids: the store's name with `-` for `.`, so it
/// needs no escaping in CSS selectors (`sales_representative-a-call`).
fn cell_id(field: &str) -> String {
    field.replace('.', "-")
}

/// A cell's frequency as the form's four inputs.
fn cell_values(f: &Frequency) -> [String; 4] {
    match *f {
        Frequency::Times { min, max, per } => [
            "times".into(),
            min.to_string(),
            max.to_string(),
            per.as_str().into(),
        ],
        Frequency::Every { min, max, unit } => [
            "every".into(),
            min.to_string(),
            max.to_string(),
            unit.as_str().into(),
        ],
        Frequency::WhenNecessary => [
            "when_necessary".into(),
            String::new(),
            String::new(),
            "month".into(),
        ],
        Frequency::None => ["none".into(), String::new(), String::new(), "month".into()],
    }
}

/// Every cell of the matrix: (level, class, what).
fn cells() -> impl Iterator<Item = (StaffLevel, AbcClass, &'static str)> {
    POLICY_LEVELS.into_iter().flat_map(|level| {
        AbcClass::ALL
            .into_iter()
            .flat_map(move |class| WHATS.into_iter().map(move |what| (level, class, what)))
    })
}

fn frequency_of(
    policy: &ContactPolicy,
    level: StaffLevel,
    class: AbcClass,
    what: &str,
) -> Frequency {
    match policy.level(level).map(|row| row.for_class(class)) {
        Some(c) if what == "visit" => c.visit,
        Some(c) => c.call,
        None => Frequency::None,
    }
}

/// The policy form's values keyed by input name (`<cell>-kind`, `-min`, `-max`, `-period`).
fn policy_values(policy: &ContactPolicy) -> HashMap<String, String> {
    let mut v = HashMap::new();
    for (level, class, what) in cells() {
        let id = cell_id(&cell_field(level, class, what));
        let [kind, min, max, period] = cell_values(&frequency_of(policy, level, class, what));
        v.insert(format!("{id}-kind"), kind);
        v.insert(format!("{id}-min"), min);
        v.insert(format!("{id}-max"), max);
        v.insert(format!("{id}-period"), period);
    }
    v
}

/// One cell as typed, or the reason it cannot be read (an error code).
fn parse_cell(form: &HashMap<String, String>, id: &str) -> Result<Frequency, &'static str> {
    let get = |k: &str| {
        form.get(&format!("{id}-{k}"))
            .map(|s| s.trim())
            .unwrap_or("")
    };
    let number = |s: &str| -> Result<Option<u32>, &'static str> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<u32>().map(Some).map_err(|_| "invalid")
    };
    match get("kind") {
        "when_necessary" => Ok(Frequency::WhenNecessary),
        "none" => Ok(Frequency::None),
        kind @ ("times" | "every") => {
            let period = Period::parse(get("period")).ok_or("invalid")?;
            // A single number is the common case ("3× per month"): an empty second number
            // means the same as the first.
            let min = number(get("min"))?.ok_or("required")?;
            let max = number(get("max"))?.unwrap_or(min);
            Ok(if kind == "times" {
                Frequency::Times {
                    min,
                    max,
                    per: period,
                }
            } else {
                Frequency::Every {
                    min,
                    max,
                    unit: period,
                }
            })
        }
        _ => Err("invalid"),
    }
}

/// The policy typed into the form, with every cell that cannot be read or breaks a rule named
/// (all of them at once, not one per round trip).
fn parse_policy(form: &HashMap<String, String>) -> (ContactPolicy, Map<String, Value>) {
    let mut policy = ContactPolicy::default();
    let mut errs = Map::new();
    for (level, class, what) in cells() {
        let field = cell_field(level, class, what);
        let id = cell_id(&field);
        match parse_cell(form, &id) {
            Ok(f) => {
                if let Err(e) = f.validate(&field) {
                    add_error(&mut errs, &id, &e.code);
                }
                if let Some(row) = policy.level_mut(level) {
                    let c = row.for_class_mut(class);
                    if what == "visit" {
                        c.visit = f;
                    } else {
                        c.call = f;
                    }
                }
            }
            Err(code) => add_error(&mut errs, &id, code),
        }
    }
    (policy, errs)
}

/// The contact settings as the form shows them.
#[derive(Debug, Clone, Default, Serialize)]
struct SettingsForm {
    time_zone: String,
    /// Percent of all orders (10 = the top 10%).
    top_share: String,
    window_months: String,
    own_multiple: String,
    within_days: String,
    seasons: Vec<SeasonRow>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct SeasonRow {
    name: String,
    starts: String,
    kind: String,
    lead_days: String,
    delete: bool,
}

/// A number without float noise (0.1 × 100 → "10").
fn number_text(f: f64) -> String {
    let v = (f * 1e6).round() / 1e6;
    format!("{v}")
}

impl SettingsForm {
    /// The stored settings, with one empty row to add a season or launch.
    fn of(s: &ContactSettings) -> Self {
        let mut seasons: Vec<SeasonRow> = s
            .seasons
            .iter()
            .map(|x| SeasonRow {
                name: x.name.clone(),
                starts: x.starts.format("%Y-%m-%d").to_string(),
                kind: x.kind.clone(),
                lead_days: x.lead_days.to_string(),
                delete: false,
            })
            .collect();
        seasons.push(SeasonRow::blank());
        SettingsForm {
            time_zone: s.time_zone.clone(),
            top_share: number_text(s.thank_you.top_share * 100.0),
            window_months: s.thank_you.window_months.to_string(),
            own_multiple: number_text(s.thank_you.own_multiple),
            within_days: s.thank_you.within_days.to_string(),
            seasons,
        }
    }

    /// The form as posted: `season_name_0`, `season_starts_0` … up to `season_rows`.
    fn posted(form: &HashMap<String, String>) -> Self {
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        let rows = get("season_rows")
            .trim()
            .parse::<usize>()
            .unwrap_or(0)
            .min(MAX_SEASONS);
        SettingsForm {
            time_zone: get("time_zone"),
            top_share: get("top_share"),
            window_months: get("window_months"),
            own_multiple: get("own_multiple"),
            within_days: get("within_days"),
            seasons: (0..rows)
                .map(|i| SeasonRow {
                    name: get(&format!("season_name_{i}")),
                    starts: get(&format!("season_starts_{i}")),
                    kind: get(&format!("season_kind_{i}")),
                    lead_days: get(&format!("season_lead_days_{i}")),
                    delete: form.contains_key(&format!("season_delete_{i}")),
                })
                .collect(),
        }
    }

    /// The settings typed, the form's row number of each season kept (for naming errors), or
    /// the reason next to each field that cannot be read.
    fn parse(&self) -> (ContactSettings, Vec<usize>, Map<String, Value>) {
        let mut errs = Map::new();
        let num = super::forms::form_number;
        let whole = super::forms::form_whole::<u32>;
        let defaults = ThankYouRules::default();
        let thank_you = ThankYouRules {
            top_share: num(&self.top_share, "top_share", &mut errs)
                .map(|p| p / 100.0)
                .unwrap_or(defaults.top_share),
            window_months: whole(&self.window_months, "window_months", &mut errs)
                .unwrap_or(defaults.window_months),
            own_multiple: num(&self.own_multiple, "own_multiple", &mut errs)
                .unwrap_or(defaults.own_multiple),
            within_days: whole(&self.within_days, "within_days", &mut errs)
                .unwrap_or(defaults.within_days),
        };
        let time_zone = self.time_zone.trim().to_owned();
        if time_zone.is_empty() {
            add_error(&mut errs, "time_zone", "required");
        }
        let mut seasons = Vec::new();
        let mut rows = Vec::new();
        for (i, r) in self.seasons.iter().enumerate() {
            // Rows to delete and the untouched empty row are left out.
            if r.delete || (r.name.trim().is_empty() && r.starts.trim().is_empty()) {
                continue;
            }
            let name_field = format!("season_name_{i}");
            let starts_field = format!("season_starts_{i}");
            let lead_field = format!("season_lead_days_{i}");
            let name = blank(&r.name);
            if name.is_none() {
                add_error(&mut errs, &name_field, "required");
            }
            let starts = super::forms::optional_date(&r.starts, &starts_field, &mut errs);
            if starts.is_none() && !errs.contains_key(&starts_field) {
                add_error(&mut errs, &starts_field, "required");
            }
            let lead_days = whole(&r.lead_days, &lead_field, &mut errs);
            let kind = if SEASON_KINDS.contains(&r.kind.trim()) {
                r.kind.trim().to_owned()
            } else {
                add_error(&mut errs, &format!("season_kind_{i}"), "invalid");
                "season".into()
            };
            if let (Some(name), Some(starts), Some(lead_days)) = (name, starts, lead_days) {
                seasons.push(Season {
                    name,
                    starts,
                    kind,
                    lead_days,
                });
                rows.push(i);
            }
        }
        (
            ContactSettings {
                time_zone,
                thank_you,
                seasons,
            },
            rows,
            errs,
        )
    }
}

/// The settings form's name for a field the domain names (`seasons[2].name` is row 2's name
/// input in the form, whatever row that season came from).
fn settings_field(field: &str, rows: &[usize]) -> String {
    if let Some(rest) = field.strip_prefix("seasons[") {
        if let Some((i, member)) = rest.split_once("].") {
            if let Some(row) = i.parse::<usize>().ok().and_then(|i| rows.get(i)) {
                return format!("season_{member}_{row}");
            }
        }
    }
    field.to_owned()
}

/// The message of a field's error code in the reader's language.
fn message(lang: Lang, code: &str) -> String {
    i18n::tr(lang, &format!("error-{}", code_key(code)), &[])
}

/// What the page shows: the two forms, each with its values and errors.
struct View {
    policy_values: HashMap<String, String>,
    policy_errors: Map<String, Value>,
    settings: SettingsForm,
    settings_errors: Map<String, Value>,
    notice: Option<String>,
}

async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    view: View,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    // The saved policy, to describe each cell in words next to its inputs.
    let saved = patron_store::contact::load_policy(state.store.as_ref()).await?;
    let get = |k: String| view.policy_values.get(&k).cloned().unwrap_or_default();
    let mut problems: Vec<Value> = Vec::new();
    let rows: Vec<Value> = POLICY_LEVELS
        .iter()
        .map(|&level| {
            let classes: Vec<Value> = AbcClass::ALL
                .iter()
                .map(|&class| {
                    let whats: Vec<Value> = WHATS
                        .iter()
                        .map(|&what| {
                            let id = cell_id(&cell_field(level, class, what));
                            let error = view
                                .policy_errors
                                .get(&id)
                                .and_then(Value::as_str)
                                .map(|code| message(lang, code));
                            let what_label = i18n::tr(lang, &format!("interaction-{what}"), &[]);
                            if let Some(e) = &error {
                                let cell = i18n::tr(
                                    lang,
                                    "policy-cell",
                                    &[
                                        (
                                            "level",
                                            FluentValue::from(i18n::tr(
                                                lang,
                                                &format!("role-{}", level.as_str()),
                                                &[],
                                            )),
                                        ),
                                        ("class", FluentValue::from(class.as_str())),
                                        ("what", FluentValue::from(what_label.clone())),
                                    ],
                                );
                                problems.push(json!({"id": id, "cell": cell, "message": e}));
                            }
                            json!({
                                "id": id,
                                "what": what,
                                "label": what_label,
                                "kind": get(format!("{id}-kind")),
                                "min": get(format!("{id}-min")),
                                "max": get(format!("{id}-max")),
                                "period": get(format!("{id}-period")),
                                "saved": frequency_text(lang, &frequency_of(&saved, level, class, what)),
                                "error": error,
                            })
                        })
                        .collect();
                    json!({"class": class.as_str(), "whats": whats})
                })
                .collect();
            json!({"level": level.as_str(), "classes": classes})
        })
        .collect();
    let settings_messages: Map<String, Value> = view
        .settings_errors
        .iter()
        .filter_map(|(k, v)| {
            v.as_str()
                .map(|c| (k.clone(), Value::String(message(lang, c))))
        })
        .collect();
    Ok(page.render_status(
        status,
        "contact_policy.html",
        json!({
            "rows": rows,
            "problems": problems,
            "kinds": KINDS,
            "periods": Period::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "season_kinds": SEASON_KINDS,
            "s": view.settings,
            "s_errors": settings_messages,
            "notice": view.notice,
            "may_edit": caller.user.can_set_class_rules(),
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct PolicyParams {
    /// Set by the redirect after a save: `policy` or `settings`.
    #[serde(default)]
    saved: String,
}

/// `GET /agenda/policy`.
pub async fn form(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<PolicyParams>,
) -> Response {
    let run = async {
        page.user()?;
        let store = state.store.as_ref();
        let policy = patron_store::contact::load_policy(store).await?;
        let settings = patron_store::contact::load_settings(store).await?;
        let notice = match p.saved.as_str() {
            "policy" => Some(page.t("policy-saved")),
            "settings" => Some(page.t("policy-settings-saved")),
            _ => None,
        };
        render(
            &state,
            &page,
            StatusCode::OK,
            View {
                policy_values: policy_values(&policy),
                policy_errors: Map::new(),
                settings: SettingsForm::of(&settings),
                settings_errors: Map::new(),
                notice,
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// The form's fields by name (the matrix has 48 inputs; a map reads them by the cell's name).
type Fields = Vec<(String, String)>;

fn fields(f: Fields) -> HashMap<String, String> {
    f.into_iter().collect()
}

/// Checks the CSRF token and that the user may change the contact plan.
fn editor(page: &Page, form: &HashMap<String, String>) -> Result<(), UiError> {
    let caller = page.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    if caller.user.can_set_class_rules() {
        Ok(())
    } else {
        Err(UiError::Forbidden)
    }
}

/// `POST /agenda/policy`: checks every cell and saves the matrix; every agenda follows it from
/// the next page view on.
pub async fn save(State(state): State<AppState>, page: Page, Form(f): Form<Fields>) -> Response {
    let run = async {
        let form = fields(f);
        editor(&page, &form)?;
        let (policy, mut errs) = parse_policy(&form);
        if errs.is_empty() {
            match patron_store::contact::save_policy(state.store.as_ref(), &policy).await {
                Ok(()) => return Ok(super::see_other("/agenda/policy?saved=policy")),
                Err(StoreError::Invalid(e)) => {
                    for fe in &e.0 {
                        add_error(&mut errs, &cell_id(&fe.field), &fe.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let settings = patron_store::contact::load_settings(state.store.as_ref()).await?;
        let mut values = policy_values(&ContactPolicy::default());
        values.extend(form.into_iter().filter(|(k, _)| k != "csrf"));
        render(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            View {
                policy_values: values,
                policy_errors: errs,
                settings: SettingsForm::of(&settings),
                settings_errors: Map::new(),
                notice: None,
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /agenda/settings`: the time zone, the thank-you rule and the seasons and launches.
pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<Fields>,
) -> Response {
    let run = async {
        let form = fields(f);
        editor(&page, &form)?;
        let typed = SettingsForm::posted(&form);
        let (settings, rows, mut errs) = typed.parse();
        if errs.is_empty() {
            match settings.validate() {
                Err(e) => add_error(&mut errs, &settings_field(&e.field, &rows), &e.code),
                Ok(()) => {
                    match patron_store::contact::save_settings(state.store.as_ref(), &settings)
                        .await
                    {
                        Ok(()) => return Ok(super::see_other("/agenda/policy?saved=settings")),
                        Err(StoreError::Invalid(e)) => {
                            for fe in &e.0 {
                                add_error(&mut errs, &settings_field(&fe.field, &rows), &fe.code);
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        let policy = patron_store::contact::load_policy(state.store.as_ref()).await?;
        render(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            View {
                policy_values: policy_values(&policy),
                policy_errors: Map::new(),
                settings: typed,
                settings_errors: errs,
                notice: None,
            },
        )
        .await
    };
    respond(run.await, &page)
}

impl SeasonRow {
    fn blank() -> Self {
        SeasonRow {
            kind: "season".into(),
            lead_days: "14".into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_matrix_round_trips_through_the_form() {
        let p = ContactPolicy::default();
        let (back, errs) = parse_policy(&policy_values(&p));
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(back, p);
    }

    #[test]
    fn bad_cells_are_named_all_at_once() {
        let mut v = policy_values(&ContactPolicy::default());
        v.insert("business_manager-b-visit-min".into(), "3".into());
        v.insert("business_manager-b-visit-max".into(), "2".into());
        v.insert("sales_representative-a-call-min".into(), "two".into());
        v.insert("general_manager-c-call-kind".into(), "sometimes".into());
        v.insert("sales_representative-c-visit-min".into(), "0".into());
        let (_, errs) = parse_policy(&v);
        assert_eq!(errs["business_manager-b-visit"], "contradictory_frequency");
        assert_eq!(errs["sales_representative-a-call"], "invalid");
        assert_eq!(errs["general_manager-c-call"], "invalid");
        assert_eq!(errs["sales_representative-c-visit"], "zero_frequency");
        assert_eq!(errs.len(), 4);
    }

    #[test]
    fn one_number_means_both_ends() {
        let mut v = policy_values(&ContactPolicy::default());
        v.insert("sales_representative-a-call-min".into(), "4".into());
        v.insert("sales_representative-a-call-max".into(), "".into());
        let (p, errs) = parse_policy(&v);
        assert!(errs.is_empty());
        assert_eq!(
            p.sales_representative.a.call,
            Frequency::Times {
                min: 4,
                max: 4,
                per: Period::Month
            }
        );
    }

    #[test]
    fn frequencies_in_four_languages() {
        let f = Frequency::Times {
            min: 2,
            max: 3,
            per: Period::Month,
        };
        assert_eq!(frequency_text(Lang::En, &f), "2–3× per month");
        assert_eq!(frequency_text(Lang::ZhCn, &f), "每月2–3次");
        let every = Frequency::Every {
            min: 1,
            max: 1,
            unit: Period::Year,
        };
        assert_eq!(frequency_text(Lang::En, &every), "every year");
        assert_eq!(frequency_text(Lang::Ko, &every), "매년");
        let every = Frequency::Every {
            min: 6,
            max: 12,
            unit: Period::Month,
        };
        assert_eq!(frequency_text(Lang::ZhTw, &every), "每6–12個月");
    }

    #[test]
    fn settings_rows_add_delete_and_name_their_errors() {
        let s = ContactSettings {
            seasons: vec![Season {
                name: "春季".into(),
                starts: NaiveDate::from_ymd_opt(2026, 3, 1).expect("d"),
                kind: "season".into(),
                lead_days: 14,
            }],
            ..Default::default()
        };
        let mut f = SettingsForm::of(&s);
        assert_eq!(f.seasons.len(), 2);
        assert_eq!(f.top_share, "10");
        f.seasons[1].name = "新品".into();
        f.seasons[1].starts = "2026-05-01".into();
        f.seasons[1].kind = "launch".into();
        let (parsed, rows, errs) = f.parse();
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(parsed.seasons.len(), 2);
        assert_eq!(rows, vec![0, 1]);
        f.seasons[0].delete = true;
        f.seasons[1].lead_days = "".into();
        let (_, _, errs) = f.parse();
        assert_eq!(errs["season_lead_days_1"], "required");
        f.seasons[1].lead_days = "200".into();
        let (parsed, rows, errs) = f.parse();
        assert!(errs.is_empty());
        let e = parsed.validate().expect_err("too many lead days");
        assert_eq!(settings_field(&e.field, &rows), "season_lead_days_1");
    }
}
