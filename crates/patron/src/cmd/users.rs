//! `patron user …` and `patron token …`: sign-ins, roles and personal API tokens.

use crate::cli::{RoleArg, TokenCommand, UserCommand};
use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use patron_core::{StaffLevel, User, UserInput};
use patron_store::Store;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

fn level(r: RoleArg) -> StaffLevel {
    match r {
        RoleArg::Sales => StaffLevel::SalesRepresentative,
        RoleArg::Manager => StaffLevel::BusinessManager,
        RoleArg::Director => StaffLevel::MarketingDirector,
        RoleArg::Gm => StaffLevel::GeneralManager,
        RoleArg::Admin => StaffLevel::Administrator,
    }
}

/// Reads a password: one line of standard input when it is piped (scripts, CI), otherwise asked
/// for twice on the terminal.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let p = line.trim_end_matches(['\r', '\n']).to_owned();
        if p.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(p);
    }
    let ask = |prompt: &str| -> anyhow::Result<String> {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let a = ask("Password (shown as you type; pipe it in to avoid that): ")?;
    let b = ask("Again: ")?;
    if a != b {
        bail!("the two passwords differ");
    }
    Ok(a)
}

async fn must_find(store: &dyn Store, email: &str) -> anyhow::Result<User> {
    store
        .find_user(email)
        .await?
        .with_context(|| format!("there is no user {email}"))
}

fn describe(e: patron_store::StoreError) -> anyhow::Error {
    match e {
        patron_store::StoreError::Invalid(v) => anyhow::anyhow!("{v}"),
        e => e.into(),
    }
}

pub async fn user(settings: &Settings, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    match cmd {
        UserCommand::Add(a) => {
            let role = if a.admin {
                StaffLevel::Administrator
            } else {
                a.role.map(level).context("--role is required")?
            };
            let manager = match &a.manager {
                Some(m) => Some(must_find(store.as_ref(), m).await?.id),
                None => None,
            };
            let password = read_password()?;
            patron_store::accounts::check_password("password", &password)
                .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
            let name = a
                .name
                .clone()
                .unwrap_or_else(|| a.email.split('@').next().unwrap_or(&a.email).to_owned());
            let u = store
                .create_user(UserInput {
                    email: a.email.clone(),
                    name,
                    staff_level: role,
                    manager_id: manager,
                })
                .await
                .map_err(describe)?;
            store
                .set_password(u.id, &password)
                .await
                .map_err(describe)?;
            if a.json {
                output::json(&u)?;
            } else {
                eprintln!("added {} ({}) as {}", u.email, u.name, u.staff_level);
            }
        }
        UserCommand::List(f) => {
            let users = store.list_users().await?;
            if f.json {
                output::json(&users)?;
            } else {
                for u in users {
                    println!(
                        "{:>5}  {:<32} {:<22} {}{}",
                        u.id.0,
                        u.email,
                        u.staff_level,
                        u.name,
                        if u.active { "" } else { "  (inactive)" }
                    );
                }
            }
        }
        UserCommand::SetRole(a) => {
            let u = must_find(store.as_ref(), &a.email).await?;
            let u = store.set_user_level(u.id, level(a.role)).await?;
            if a.json {
                output::json(&u)?;
            } else {
                eprintln!("{} is now {}", u.email, u.staff_level);
            }
        }
        UserCommand::ResetPassword(a) => {
            let u = must_find(store.as_ref(), &a.email).await?;
            let password = read_password()?;
            store
                .set_password(u.id, &password)
                .await
                .map_err(describe)?;
            let n = store.delete_user_sessions(u.id).await?;
            eprintln!("password of {} changed; {n} session(s) ended", u.email);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(settings: &Settings, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    match cmd {
        TokenCommand::Create(a) => {
            let u = must_find(store.as_ref(), &a.email).await?;
            let t = store
                .create_api_token(u.id, &a.name)
                .await
                .map_err(describe)?;
            if a.json {
                output::json(&serde_json::json!({
                    "token": t.secret,
                    "id": t.token.id,
                    "user": u.email,
                    "name": t.token.name,
                }))?;
            } else {
                println!("{}", t.secret);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
