//! `GET/POST /classes/rules`: the classification rules (every field of [`ClassRules`]) as a
//! form — shares and growth shown and typed as percentages, checked by [`ClassRules::validate`]
//! with the message next to the field it names, saved with `save_rules` for the next run.
//!
//! Marketing directors, general managers and administrators may change the rules; business
//! managers may read them; sales representatives get "not allowed" (as on the dashboard).

use super::classes::viewer;
use super::forms::{add_error, respond};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::classify::{AbcMethod, AbcRules, ClassRules, LoyaltyRules};
use patron_core::{FieldError, StaffLevel, User};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Whether `user` may change the rules (the roles that see the whole archive).
fn may_edit(user: &User) -> bool {
    matches!(
        user.staff_level,
        StaffLevel::MarketingDirector | StaffLevel::GeneralManager | StaffLevel::Administrator
    )
}

/// The form as typed; names are the rules' field names with `_` for `.` (`abc_revenue_b`).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RulesForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    abc_method: String,
    #[serde(default)]
    abc_window_months: String,
    #[serde(default)]
    abc_revenue_a: String,
    #[serde(default)]
    abc_revenue_b: String,
    #[serde(default)]
    abc_customers_a: String,
    #[serde(default)]
    abc_customers_b: String,
    #[serde(default)]
    abc_growth: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    abc_growth_b: Option<String>,
    #[serde(default)]
    loyalty_loyal_min_days: String,
    #[serde(default)]
    loyalty_loyal_min_days_per_year: String,
    #[serde(default)]
    loyalty_switcher_min_days: String,
    #[serde(default)]
    loyalty_lapse_days: String,
}

/// A fraction as a percentage without float noise (0.8 → "80", 0.125 → "12.5").
fn percent_text(f: f64) -> String {
    let v = (f * 100.0 * 1e6).round() / 1e6;
    format!("{v}")
}

fn number_text(f: f64) -> String {
    let v = (f * 1e6).round() / 1e6;
    format!("{v}")
}

impl RulesForm {
    fn of(r: &ClassRules) -> Self {
        RulesForm {
            csrf: String::new(),
            abc_method: r.abc.method.as_str().into(),
            abc_window_months: r.abc.window_months.to_string(),
            abc_revenue_a: percent_text(r.abc.revenue_a),
            abc_revenue_b: percent_text(r.abc.revenue_b),
            abc_customers_a: percent_text(r.abc.customers_a),
            abc_customers_b: percent_text(r.abc.customers_b),
            abc_growth: percent_text(r.abc.growth),
            abc_growth_b: r.abc.growth_b.then(|| "on".into()),
            loyalty_loyal_min_days: r.loyalty.loyal_min_days.to_string(),
            loyalty_loyal_min_days_per_year: number_text(r.loyalty.loyal_min_days_per_year),
            loyalty_switcher_min_days: r.loyalty.switcher_min_days.to_string(),
            loyalty_lapse_days: r.loyalty.lapse_days.to_string(),
        }
    }

    /// The rules typed, or the reason next to each field that cannot be read.
    fn parse(&self) -> Result<ClassRules, Map<String, Value>> {
        let mut errs = Map::new();
        let num = super::forms::form_number;
        let whole = super::forms::form_whole::<i64>;
        let pct = |s: &str, field: &str, errs: &mut Map<String, Value>| {
            num(s, field, errs).map(|v| v / 100.0)
        };
        let method = AbcMethod::parse(self.abc_method.trim());
        if method.is_none() {
            add_error(&mut errs, "abc_method", "invalid");
        }
        let window = whole(&self.abc_window_months, "abc_window_months", &mut errs);
        let window = match window.map(u32::try_from) {
            Some(Ok(w)) => Some(w),
            Some(Err(_)) => {
                add_error(&mut errs, "abc_window_months", "out_of_range");
                None
            }
            None => None,
        };
        let revenue_a = pct(&self.abc_revenue_a, "abc_revenue_a", &mut errs);
        let revenue_b = pct(&self.abc_revenue_b, "abc_revenue_b", &mut errs);
        let customers_a = pct(&self.abc_customers_a, "abc_customers_a", &mut errs);
        let customers_b = pct(&self.abc_customers_b, "abc_customers_b", &mut errs);
        let growth = pct(&self.abc_growth, "abc_growth", &mut errs);
        let loyal_min_days = whole(
            &self.loyalty_loyal_min_days,
            "loyalty_loyal_min_days",
            &mut errs,
        );
        let per_year = num(
            &self.loyalty_loyal_min_days_per_year,
            "loyalty_loyal_min_days_per_year",
            &mut errs,
        );
        let switcher = whole(
            &self.loyalty_switcher_min_days,
            "loyalty_switcher_min_days",
            &mut errs,
        );
        let lapse = whole(&self.loyalty_lapse_days, "loyalty_lapse_days", &mut errs);
        match (
            method,
            window,
            revenue_a,
            revenue_b,
            customers_a,
            customers_b,
            growth,
            loyal_min_days,
            per_year,
            switcher,
            lapse,
        ) {
            (
                Some(method),
                Some(window_months),
                Some(revenue_a),
                Some(revenue_b),
                Some(customers_a),
                Some(customers_b),
                Some(growth),
                Some(loyal_min_days),
                Some(loyal_min_days_per_year),
                Some(switcher_min_days),
                Some(lapse_days),
            ) if errs.is_empty() => Ok(ClassRules {
                abc: AbcRules {
                    method,
                    window_months,
                    revenue_a,
                    revenue_b,
                    customers_a,
                    customers_b,
                    growth,
                    growth_b: self.abc_growth_b.is_some(),
                },
                loyalty: LoyaltyRules {
                    loyal_min_days,
                    loyal_min_days_per_year,
                    switcher_min_days,
                    lapse_days,
                },
            }),
            _ => Err(errs),
        }
    }
}

/// The rules' verdict as the form shows it: next to the field it names, and "the shares add up
/// to more than 100%" said as such rather than as a bare "out of range".
fn rule_error(e: &FieldError, rules: &ClassRules) -> Map<String, Value> {
    let field = e.field.replace('.', "_");
    let over = |a: f64, b: f64| a + b > 1.0 + 1e-9;
    let mut errs = Map::new();
    let sum_over = match field.as_str() {
        "abc_revenue_b" => over(rules.abc.revenue_a, rules.abc.revenue_b),
        "abc_customers_b" => over(rules.abc.customers_a, rules.abc.customers_b),
        _ => false,
    };
    if sum_over {
        errs.insert(field, Value::String("shares_over_100".into()));
    } else {
        add_error(&mut errs, &field, &e.code);
    }
    errs
}

fn render(
    page: &Page,
    status: StatusCode,
    form: &RulesForm,
    errors: Map<String, Value>,
    notice: Option<String>,
) -> Result<Response, UiError> {
    let caller = viewer(page)?;
    Ok(page.render_status(
        status,
        "class_rules.html",
        json!({
            "v": form,
            "errors": errors,
            "notice": notice,
            "methods": AbcMethod::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "may_edit": may_edit(&caller.user),
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct RulesParams {
    #[serde(default)]
    saved: String,
}

/// `GET /classes/rules`.
pub async fn form(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<RulesParams>,
) -> Response {
    let run = async {
        viewer(&page)?;
        let rules = patron_store::classes::load_rules(state.store.as_ref()).await?;
        let notice = (!p.saved.is_empty()).then(|| page.t("rules-saved"));
        render(
            &page,
            StatusCode::OK,
            &RulesForm::of(&rules),
            Map::new(),
            notice,
        )
    };
    respond(run.await, &page)
}

/// `POST /classes/rules`: checks and saves the rules; the next run uses them.
pub async fn save(State(state): State<AppState>, page: Page, Form(f): Form<RulesForm>) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        if !may_edit(&caller.user) {
            return Err(UiError::Forbidden);
        }
        let errors = match f.parse() {
            Err(errs) => errs,
            Ok(rules) => match rules.validate() {
                Err(e) => rule_error(&e, &rules),
                Ok(()) => {
                    match patron_store::classes::save_rules(state.store.as_ref(), &rules).await {
                        Ok(()) => return Ok(super::see_other("/classes/rules?saved=1")),
                        Err(patron_store::StoreError::Invalid(e)) => match e.0.first() {
                            Some(fe) => rule_error(fe, &rules),
                            None => Map::new(),
                        },
                        Err(e) => return Err(e.into()),
                    }
                }
            },
        };
        render(&page, StatusCode::UNPROCESSABLE_ENTITY, &f, errors, None)
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_the_rules() {
        let rules = ClassRules {
            abc: AbcRules {
                method: AbcMethod::TopAndGrowth,
                revenue_a: 0.7,
                revenue_b: 0.125,
                growth_b: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let f = RulesForm::of(&rules);
        assert_eq!(f.abc_revenue_a, "70");
        assert_eq!(f.abc_revenue_b, "12.5");
        assert_eq!(f.abc_growth, "10");
        assert_eq!(f.loyalty_loyal_min_days_per_year, "2");
        let back = f.parse().expect("parses");
        assert!((back.abc.revenue_a - 0.7).abs() < 1e-12);
        assert_eq!(back.abc.method, AbcMethod::TopAndGrowth);
        assert!(back.abc.growth_b);
        assert_eq!(back.loyalty, rules.loyalty);
    }

    #[test]
    fn unreadable_fields_and_rule_errors_are_named() {
        let mut f = RulesForm::of(&ClassRules::default());
        f.abc_window_months = "twelve".into();
        f.abc_growth = "".into();
        let errs = f.parse().expect_err("refused");
        assert_eq!(errs["abc_window_months"], "invalid");
        assert_eq!(errs["abc_growth"], "required");
        let mut f = RulesForm::of(&ClassRules::default());
        f.abc_revenue_a = "90%".into();
        f.abc_revenue_b = "20".into();
        let rules = f.parse().expect("parses");
        let e = rules.validate().expect_err("over 100%");
        assert_eq!(rule_error(&e, &rules)["abc_revenue_b"], "shares_over_100");
    }
}
