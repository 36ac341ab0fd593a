//! `GET/POST /users`, `POST /users/{id}` and `POST /users/{id}/password`: users and roles, for
//! administrators only — list the staff, add someone, change a role, a manager (the team a
//! business manager sees) or whether the account is active, and set a new password (which signs
//! the user out everywhere).

use super::forms::field_errors;
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::{Permissions, StaffLevel, UserId, UserInput};
use patron_store::accounts::check_password;
use patron_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn admin(page: &Page) -> Result<&crate::auth::Caller, UiError> {
    let c = page.user()?;
    if c.user.can_manage_users() {
        Ok(c)
    } else {
        Err(UiError::Forbidden)
    }
}

async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    add: &AddForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, UiError> {
    admin(page)?;
    let users = state.store.list_users().await?;
    let managers: Vec<Value> = users
        .iter()
        .filter(|u| u.active && u.staff_level != StaffLevel::SalesRepresentative)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "id": u.id.0, "name": u.name, "email": u.email, "active": u.active,
                "role": u.staff_level.as_str(),
                "manager": u.manager_id.map(|m| m.0.to_string()).unwrap_or_default(),
            })
        })
        .collect();
    let mut ctx = json!({
        "users": rows,
        "managers": managers,
        "roles": StaffLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "add": add,
        "errors": errors,
        "min_password": patron_store::accounts::MIN_PASSWORD_LEN,
    });
    if let (Some(n), Some(o)) = (notice, ctx.as_object_mut()) {
        o.insert("notice".into(), Value::String(page.t(n)));
    }
    Ok(page.render_status(status, "users.html", ctx))
}

/// `GET /users`.
pub async fn list(State(state): State<AppState>, page: Page) -> Response {
    match render(
        &state,
        &page,
        StatusCode::OK,
        &AddForm::default(),
        Map::new(),
        None,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct AddForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    manager: String,
    #[serde(default, skip_serializing)]
    password: String,
}

fn parse_user_id(s: &str) -> Option<UserId> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0).map(UserId)
}

/// `POST /users`: adds a user with a first password.
pub async fn add(State(state): State<AppState>, page: Page, Form(f): Form<AddForm>) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        admin(&page)?;
        let mut errs = Map::new();
        let level = StaffLevel::parse("role", &f.role).ok();
        if level.is_none() {
            errs.insert("role".into(), "invalid".into());
        }
        if let Err(e) = check_password("password", &f.password) {
            errs.insert("password".into(), e.code.into());
        }
        let manager = parse_user_id(&f.manager);
        let (Some(level), true) = (level, errs.is_empty()) else {
            return render(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &f,
                errs,
                None,
            )
            .await;
        };
        let input = UserInput {
            email: f.email.trim().to_owned(),
            name: f.name.trim().to_owned(),
            staff_level: level,
            manager_id: manager,
        };
        match state.store.create_user(input).await {
            Ok(u) => {
                state.store.set_password(u.id, &f.password).await?;
                render(
                    &state,
                    &page,
                    StatusCode::OK,
                    &AddForm::default(),
                    Map::new(),
                    Some("users-added"),
                )
                .await
            }
            Err(StoreError::Invalid(e)) => {
                render(
                    &state,
                    &page,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &f,
                    field_errors(&e),
                    None,
                )
                .await
            }
            Err(StoreError::Conflict { .. }) => {
                let mut errs = Map::new();
                errs.insert("email".into(), "taken".into());
                render(&state, &page, StatusCode::CONFLICT, &f, errs, None).await
            }
            Err(e) => Err(e.into()),
        }
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    manager: String,
    #[serde(default)]
    active: String,
}

/// `POST /users/{id}`: role, manager and whether the account is active.
pub async fn change(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        let me = admin(&page)?;
        let id = UserId(id);
        let user = state.store.get_user(id).await?;
        let level = StaffLevel::parse("role", &f.role).map_err(|_| UiError::NotFound)?;
        let manager = parse_user_id(&f.manager).filter(|m| *m != id);
        let active = f.active == "on" || f.active == "true";
        // An administrator cannot lock themselves out by accident.
        let (level, active) = if id == me.id() {
            (StaffLevel::Administrator, true)
        } else {
            (level, active)
        };
        if user.staff_level != level {
            state.store.set_user_level(id, level).await?;
        }
        if user.manager_id != manager {
            state.store.set_user_manager(id, manager).await?;
        }
        if user.active != active {
            state.store.set_user_active(id, active).await?;
            if !active {
                state.store.delete_user_sessions(id).await?;
            }
        }
        render(
            &state,
            &page,
            StatusCode::OK,
            &AddForm::default(),
            Map::new(),
            Some("form-saved"),
        )
        .await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// `POST /users/{id}/password`: sets a new password and ends the user's sessions.
pub async fn reset_password(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        admin(&page)?;
        let id = UserId(id);
        state.store.get_user(id).await?;
        if let Err(e) = check_password("password", &f.password) {
            let mut errs = Map::new();
            errs.insert(format!("password-{}", id.0), e.code.into());
            return render(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &AddForm::default(),
                errs,
                None,
            )
            .await;
        }
        state.store.set_password(id, &f.password).await?;
        state.store.delete_user_sessions(id).await?;
        render(
            &state,
            &page,
            StatusCode::OK,
            &AddForm::default(),
            Map::new(),
            Some("users-password-set"),
        )
        .await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}
