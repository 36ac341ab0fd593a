//! The import wizard: `GET/POST /import` (upload a CSV or XLSX file and say what it holds),
//! `GET /import/{upload}` (the columns with the automatic guesses, to confirm or change, and a
//! preview of the first rows), `POST /import/{upload}` (a dry run listing the rejects, then the
//! import itself). The store's own import ([`patron_store::import::run_import`]) does the work,
//! in one transaction, exactly as `patron import` does.
//!
//! **Who may import**: only roles that see every customer (marketing director, general manager,
//! administrator). An import matches rows to existing records by reference, phone and e-mail
//! across the whole archive and may name any owner; letting a sales representative or a team's
//! business manager do that would let them change customers outside their scope. Others get
//! "not allowed" and do not see the menu entry.
//!
//! Uploads are kept in [`crate::WebConfig::upload_dir`] under an unguessable name that also
//! carries the uploader's id, so one user cannot reach another's file; files older than a day are
//! removed at the next upload. (Several `patron serve` processes need a shared upload directory or
//! sticky sessions for the wizard.)

use super::{i18n, Page, UiError};
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use patron_core::{Currency, Scope};
use patron_store::import::mapping::{self, fields};
use patron_store::import::read::{self, ReadOptions, StreamEvent};
use patron_store::import::{run_import, Entity, ImportError, ImportOptions};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;

/// Extensions accepted for upload (what `patron import` reads).
const EXTENSIONS: &[&str] = &["csv", "txt", "tsv", "xlsx", "xlsm", "xls", "ods"];

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 5;

const ENTITIES: &[Entity] = &[
    Entity::Customers,
    Entity::Contacts,
    Entity::Products,
    Entity::Orders,
];

fn parse_entity(s: &str) -> Option<Entity> {
    ENTITIES.iter().copied().find(|e| e.as_str() == s)
}

/// Only users who see the whole archive may import (see the module comment).
fn importer(page: &Page) -> Result<&crate::auth::Caller, UiError> {
    let c = page.user()?;
    if c.scope == Scope::All {
        Ok(c)
    } else {
        Err(UiError::Forbidden)
    }
}

fn entities_ctx() -> Vec<&'static str> {
    ENTITIES.iter().map(|e| e.as_str()).collect()
}

/// `GET /import`: the upload form, and the imports made so far (who, when, which file, what
/// they did): the import-level record that the customers' histories point at.
pub async fn form(State(state): State<AppState>, page: Page) -> Response {
    if let Err(e) = importer(&page) {
        return e.render(&page);
    }
    let recent = match state.store.list_imports(None, 20).await {
        Ok(r) => r,
        Err(e) => return UiError::from(e).render(&page),
    };
    let lang = page.lang;
    let recent: Vec<Value> = recent
        .into_iter()
        .map(|i| {
            json!({"id": i.id, "when": i18n::datetime(lang, i.at), "who": i.user_name,
                   "entity": i.entity, "file": i.file_name,
                   "created": i18n::number(i.created), "updated": i18n::number(i.updated),
                   "unchanged": i18n::number(i.unchanged),
                   "rejected": i18n::number(i.rejected)})
        })
        .collect();
    page.render_status(
        StatusCode::OK,
        "import.html",
        json!({"step": "upload", "entities": entities_ctx(), "entity": "customers",
               "recent": recent}),
    )
}

fn upload_page(page: &Page, status: StatusCode, error: Option<Value>, entity: &str) -> Response {
    page.render_status(
        status,
        "import.html",
        json!({"step": "upload", "entities": entities_ctx(), "entity": entity, "error": error}),
    )
}

fn limit_mb(state: &AppState) -> String {
    let mb = state.config.upload_limit as f64 / (1024.0 * 1024.0);
    if mb.fract() == 0.0 {
        format!("{mb:.0}")
    } else {
        format!("{mb:.1}")
    }
}

fn too_large(state: &AppState, page: &Page, entity: &str) -> Response {
    upload_page(
        page,
        StatusCode::PAYLOAD_TOO_LARGE,
        Some(json!({"key": "import-too-large", "mb": limit_mb(state)})),
        entity,
    )
}

/// `POST /import` (multipart): stores the file and goes on to the column mapping.
pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let caller = match importer(&page) {
        Ok(c) => c.clone(),
        Err(e) => return e.render(&page),
    };
    // Refuse before reading when the browser says the body is too big. The multipart framing
    // adds a few hundred bytes to the file itself.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.config.upload_limit + 64 * 1024) {
        return too_large(&state, &page, "customers");
    }
    let Ok(mut multipart) = multipart else {
        return upload_page(
            &page,
            StatusCode::BAD_REQUEST,
            Some(json!({"key": "import-no-file"})),
            "customers",
        );
    };
    let dir = state.config.upload_dir.clone();
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!(dir = %dir.display(), error = %e, "cannot create the upload directory");
        return UiError::Store(patron_store::StoreError::other("upload directory", e))
            .render(&page);
    }
    remove_stale_uploads(&dir).await;

    let mut csrf = String::new();
    let mut entity = String::from("customers");
    let mut saved: Option<(String, PathBuf)> = None;
    let mut oversize = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    oversize = true;
                    break;
                }
                return upload_page(
                    &page,
                    StatusCode::BAD_REQUEST,
                    Some(json!({"key": "import-no-file"})),
                    &entity,
                );
            }
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "entity" => entity = field.text().await.unwrap_or_default(),
            "file" => {
                // The CSRF field comes first in the form; check it before writing anything.
                if let Err(e) = page.check_csrf(&csrf) {
                    return e.render(&page);
                }
                let name = field.file_name().unwrap_or("").to_owned();
                let ext = name
                    .rsplit_once('.')
                    .map(|(_, e)| e.to_ascii_lowercase())
                    .unwrap_or_default();
                if name.is_empty() {
                    continue;
                }
                if !EXTENSIONS.contains(&ext.as_str()) {
                    return upload_page(
                        &page,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(json!({"key": "import-bad-type"})),
                        &entity,
                    );
                }
                let id: String = patron_store::accounts::random_token()
                    .chars()
                    .take(22)
                    .collect();
                let path = upload_path(&dir, caller.id().0, &id, &ext);
                match save_field(field, &path, state.config.upload_limit).await {
                    Ok(true) => {
                        // The name the file had on the user's machine, for the import's
                        // record; losing it loses a label, not data.
                        let label = upload_path(&dir, caller.id().0, &id, NAME_EXT);
                        if let Err(e) = tokio::fs::write(&label, clean_name(&name)).await {
                            tracing::warn!(error = %e, "keeping the upload's name failed");
                        }
                        saved = Some((id, path))
                    }
                    Ok(false) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        oversize = true;
                        break;
                    }
                    Err(e) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        tracing::warn!(error = %e, "upload failed");
                        return upload_page(
                            &page,
                            StatusCode::BAD_REQUEST,
                            Some(json!({"key": "import-no-file"})),
                            &entity,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    if oversize {
        return too_large(&state, &page, &entity);
    }
    if let Err(e) = page.check_csrf(&csrf) {
        return e.render(&page);
    }
    let Some(entity) = parse_entity(&entity) else {
        return UiError::NotFound.render(&page);
    };
    match saved {
        Some((id, _)) => super::see_other(&format!("/import/{id}?entity={}", entity.as_str())),
        None => upload_page(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(json!({"key": "import-no-file"})),
            entity.as_str(),
        ),
    }
}

/// Writes one multipart field to `path`; `Ok(false)` when it exceeds `limit` bytes.
async fn save_field(
    mut field: axum::extract::multipart::Field<'_>,
    path: &std::path::Path,
    limit: usize,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let mut out = tokio::fs::File::create(path).await?;
    let mut total = 0usize;
    loop {
        match field.chunk().await {
            Ok(Some(bytes)) => {
                total += bytes.len();
                if total > limit {
                    return Ok(false);
                }
                out.write_all(&bytes).await?;
            }
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(false),
            Err(e) => return Err(Box::new(e)),
        }
    }
    out.flush().await?;
    Ok(true)
}

fn upload_path(dir: &std::path::Path, user: i64, id: &str, ext: &str) -> PathBuf {
    dir.join(format!("{user}-{id}.{ext}"))
}

/// The extension of the file beside an upload that keeps its original name.
const NAME_EXT: &str = "name";

/// An uploaded file's name as recorded: its last path component, without control characters,
/// at most 200 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// The name an upload had on its user's machine, when it was kept.
async fn upload_name(state: &AppState, user: i64, id: &str) -> Option<String> {
    let p = upload_path(&state.config.upload_dir, user, id, NAME_EXT);
    tokio::fs::read_to_string(p)
        .await
        .ok()
        .filter(|n| !n.is_empty())
}

/// The stored upload of this user with this id, if it exists. Ids are checked to be what
/// [`upload`] makes, so a URL cannot name a path elsewhere.
fn find_upload(state: &AppState, user: i64, id: &str) -> Option<PathBuf> {
    if id.len() != 22
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    EXTENSIONS
        .iter()
        .map(|ext| upload_path(&state.config.upload_dir, user, id, ext))
        .find(|p| p.is_file())
}

/// Removes uploads (and their rejects files) older than a day.
async fn remove_stale_uploads(dir: &std::path::Path) {
    let Ok(mut rd) = tokio::fs::read_dir(dir).await else {
        return;
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    while let Ok(Some(e)) = rd.next_entry().await {
        let old = e
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old {
            let _ = tokio::fs::remove_file(e.path()).await;
        }
    }
}

/// The header and the first rows of a file, without reading all of it.
async fn head_of(path: PathBuf) -> Result<(Vec<String>, Vec<Vec<String>>), ImportError> {
    tokio::task::spawn_blocking(move || {
        let opts = ReadOptions {
            header: true,
            ..Default::default()
        };
        let mut header = Vec::new();
        let mut rows = Vec::new();
        read::stream_path(&path, &opts, PREVIEW_ROWS, |ev| match ev {
            StreamEvent::Header(h) => {
                header = h.map(<[String]>::to_vec).unwrap_or_default();
                Ok(true)
            }
            StreamEvent::Rows(r) => {
                rows.extend(r.into_iter().map(|r| r.cells));
                Ok(false)
            }
        })?;
        Ok((header, rows))
    })
    .await
    .map_err(|e| ImportError::File(e.to_string()))?
}

/// The field the importer would choose for each header on its own.
///
/// `mapping::map_columns` judges a whole header (it also insists on the entity's required
/// fields), so each column is tried together with the required fields under their own names:
/// the column's guess is what comes back for it. (A public per-header guess in `mapping.rs`
/// would make this a single call.)
pub fn guess_columns(entity: Entity, header: &[String]) -> Vec<Option<&'static str>> {
    let required: &[&str] = match entity {
        Entity::Customers | Entity::Products => &["name"],
        Entity::Contacts => &["customer_ref", "name"],
        Entity::Orders => &["customer_ref", "date", "amount"],
    };
    header
        .iter()
        .map(|h| {
            let attempt = |pad: &[&str]| {
                let mut cols = vec![h.clone()];
                cols.extend(pad.iter().map(|s| (*s).to_owned()));
                mapping::map_columns(entity, Some(&cols), None, &[])
                    .ok()
                    .and_then(|m| m.columns.first().and_then(|c| c.field))
            };
            if h.trim().is_empty() {
                return None;
            }
            attempt(required).or_else(|| {
                // The column itself is one of the required fields (a clash with its pad).
                required.iter().find_map(|r| {
                    let rest: Vec<&str> = required.iter().copied().filter(|x| x != r).collect();
                    attempt(&rest)
                })
            })
        })
        .collect()
}

/// A mapping problem, found before the store is asked (so the message is in the user's language).
fn check_mapping(entity: Entity, chosen: &[Option<&'static str>]) -> Option<Value> {
    for (i, f) in chosen.iter().enumerate() {
        if let Some(f) = f {
            if chosen[i + 1..].contains(&Some(*f)) {
                return Some(json!({"key": "import-error-duplicate", "field": f}));
            }
        }
    }
    let has = |f: &str| chosen.contains(&Some(f));
    let need: &[&[&str]] = match entity {
        Entity::Customers => &[&["name", "ref"]],
        Entity::Products => &[&["ref", "name"]],
        Entity::Contacts => &[&["customer_ref"], &["name"]],
        Entity::Orders => &[&["customer_ref"], &["date"], &["amount", "unit_price"]],
    };
    need.iter()
        .find(|any| !any.iter().any(|f| has(f)))
        .map(|any| json!({"key": "import-error-required", "fields": any}))
}

#[derive(Debug, serde::Deserialize)]
pub struct EntityParam {
    #[serde(default)]
    entity: String,
}

/// `GET /import/{upload}?entity=…`: the columns, their guessed fields, the first rows.
pub async fn mapping_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<EntityParam>,
) -> Response {
    let run = async {
        let caller = importer(&page)?;
        let entity = parse_entity(&q.entity).ok_or(UiError::NotFound)?;
        let path = find_upload(&state, caller.id().0, &id).ok_or(UiError::NotFound)?;
        let (header, rows) = match head_of(path).await {
            Ok(t) => t,
            Err(_) => return Ok(unreadable(&page, entity)),
        };
        let chosen = guess_columns(entity, &header);
        Ok::<_, UiError>(render_mapping(
            &page,
            StatusCode::OK,
            &id,
            entity,
            &header,
            &rows,
            &chosen,
            None,
            None,
        ))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

fn unreadable(page: &Page, entity: Entity) -> Response {
    upload_page(
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(json!({"key": "import-error-file"})),
        entity.as_str(),
    )
}

#[allow(clippy::too_many_arguments)]
fn render_mapping(
    page: &Page,
    status: StatusCode,
    id: &str,
    entity: Entity,
    header: &[String],
    rows: &[Vec<String>],
    chosen: &[Option<&'static str>],
    error: Option<Value>,
    report: Option<Value>,
) -> Response {
    let guesses = guess_columns(entity, header);
    let columns: Vec<Value> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({
                "index": i,
                "name": h,
                "field": chosen.get(i).copied().flatten().unwrap_or("-"),
                "guess": guesses.get(i).copied().flatten(),
                "samples": rows.iter().filter_map(|r| r.get(i)).take(3).collect::<Vec<_>>(),
            })
        })
        .collect();
    page.render_status(
        status,
        "import.html",
        json!({
            "step": "map",
            "upload": id,
            "entity": entity.as_str(),
            "fields": fields(entity),
            "columns": columns,
            "header": header,
            "rows": rows,
            "error": error,
            "report": report,
        }),
    )
}

/// `POST /import/{upload}`: `mode=dry` counts and lists rejects; `mode=apply` imports.
pub async fn run(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        page.check_csrf(get("csrf"))?;
        let caller = importer(&page)?;
        let entity = parse_entity(get("entity")).ok_or(UiError::NotFound)?;
        let path = find_upload(&state, caller.id().0, &id).ok_or(UiError::NotFound)?;
        let (header, rows) = match head_of(path.clone()).await {
            Ok(t) => t,
            Err(_) => return Ok(unreadable(&page, entity)),
        };
        let all = fields(entity);
        let chosen: Vec<Option<&'static str>> = (0..header.len())
            .map(|i| {
                let v = get(&format!("col{i}"));
                all.iter().copied().find(|f| *f == v)
            })
            .collect();
        let show = |status, error, report| {
            render_mapping(
                &page, status, &id, entity, &header, &rows, &chosen, error, report,
            )
        };
        if let Some(err) = check_mapping(entity, &chosen) {
            return Ok(show(StatusCode::UNPROCESSABLE_ENTITY, Some(err), None));
        }
        let dry_run = get("mode") != "apply";
        let currency = Currency::parse(
            "currency",
            &state
                .store
                .get_setting("default_currency")
                .await?
                .unwrap_or_else(|| "USD".into()),
        )
        .unwrap_or_default();
        let maps = header
            .iter()
            .zip(&chosen)
            .map(|(h, f)| (h.clone(), f.unwrap_or("-").to_owned()))
            .filter(|(h, _)| !h.trim().is_empty())
            .collect();
        let opts = ImportOptions {
            entity,
            header: true,
            columns: None,
            maps,
            delimiter: None,
            encoding: Default::default(),
            date_format: None,
            default_currency: currency,
            strict: false,
            dry_run,
            rejects_path: Some(path.with_extension("rejects.csv")),
            sheet: None,
            // The server has other users: never lock them out for an upload.
            online: true,
            by: Some(caller.id()),
            file_name: upload_name(&state, caller.id().0, &id).await,
        };
        if dry_run {
            let report = match run_import(state.store.as_ref(), &path, &opts, None).await {
                Ok(r) => r,
                Err(ImportError::Store(e)) => return Err(e.into()),
                Err(ImportError::Columns(detail)) => {
                    tracing::info!(%detail, "import mapping refused");
                    return Ok(show(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(json!({"key": "import-error-mapping"})),
                        None,
                    ));
                }
                Err(e) => {
                    tracing::info!(error = %e, "import file refused");
                    return Ok(unreadable(&page, entity));
                }
            };
            return Ok(show(StatusCode::OK, None, Some(summary(&report, true))));
        }
        // The import runs in the background: a large file takes a while, and its page shows
        // how far it got. A small one is finished before the wait below runs out and shows its
        // result at once.
        let job = Arc::new(Job {
            user: caller.id().0,
            entity,
            expected: read::estimate_rows(&path),
            done: AtomicU64::new(0),
            outcome: Mutex::new(None),
        });
        state.imports.insert(&id, job.clone());
        let progress: Arc<dyn Fn(u64) + Send + Sync> = {
            let job = job.clone();
            Arc::new(move |n| job.done.store(n, Ordering::Relaxed))
        };
        let store = state.store.clone();
        let running = job.clone();
        tokio::spawn(async move {
            let job = running;
            let outcome = match run_import(store.as_ref(), &path, &opts, Some(progress)).await {
                Ok(report) => {
                    tracing::info!(
                        user = job.user,
                        entity = entity.as_str(),
                        rows = report.rows,
                        created = report.created,
                        updated = report.updated,
                        "import from the web"
                    );
                    let _ = tokio::fs::remove_file(&path).await;
                    let _ = tokio::fs::remove_file(path.with_extension("rejects.csv")).await;
                    let _ = tokio::fs::remove_file(path.with_extension(NAME_EXT)).await;
                    Ok(summary(&report, false))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "import from the web failed; nothing was imported");
                    Err(())
                }
            };
            job.finish(outcome);
        });
        let started = std::time::Instant::now();
        loop {
            if job.finished() {
                return Ok(job_result(&state, &page, &id));
            }
            if started.elapsed() >= state.config.import_wait {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        Ok::<_, UiError>(
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/import/jobs/{id}"))],
            )
                .into_response(),
        )
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// What the wizard shows of an import's report.
fn summary(report: &patron_store::import::ImportReport, dry_run: bool) -> Value {
    let rejects: Vec<Value> = report
        .rejects
        .iter()
        .map(|r| json!({"line": r.line, "field": r.field, "reason": r.reason}))
        .collect();
    json!({
        "dry_run": dry_run,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "rejects": rejects,
    })
}

/// Imports running in the background, by upload id. In this process's memory: a page asked
/// of another `patron serve` process behind the same proxy does not know the job (it answers
/// 404), and a restart forgets it — the import itself is one transaction either way.
#[derive(Default)]
pub struct Jobs(Mutex<HashMap<String, Arc<Job>>>);

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Job>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts
        // and removals), so a poisoned lock is used as it is.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, id: &str, job: Arc<Job>) {
        self.lock().insert(id.to_owned(), job);
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().get(id).cloned()
    }

    fn remove(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().remove(id)
    }
}

/// One background import.
pub struct Job {
    user: i64,
    entity: Entity,
    /// About how many rows the file holds (`None`: a workbook, not estimated).
    expected: Option<u64>,
    /// Records written so far.
    done: AtomicU64,
    /// The summary once finished; `Err` when it failed (and imported nothing).
    outcome: Mutex<Option<Result<Value, ()>>>,
}

impl Job {
    fn finish(&self, outcome: Result<Value, ()>) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
    }

    fn finished(&self) -> bool {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}

/// The page of a finished job (which is then forgotten), or of one still running.
fn job_result(state: &AppState, page: &Page, id: &str) -> Response {
    let Some(job) = state.imports.get(id) else {
        return UiError::NotFound.render(page);
    };
    let outcome = job
        .outcome
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match outcome {
        Some(Ok(report)) => {
            state.imports.remove(id);
            page.render(
                "import.html",
                json!({"step": "done", "entity": job.entity.as_str(), "report": report}),
            )
        }
        Some(Err(())) => {
            state.imports.remove(id);
            unreadable(page, job.entity)
        }
        None => {
            let done = job.done.load(Ordering::Relaxed);
            // The estimate may fall short of the real file: never show more than full.
            let expected = job.expected.map(|e| e.max(done));
            page.render(
                "import.html",
                json!({"step": "running", "entity": job.entity.as_str(), "done": done, "expected": expected}),
            )
        }
    }
}

/// `GET /import/jobs/{id}`: a running import's progress (the page refreshes itself), then its
/// result. Only the user who started it sees it.
pub async fn job_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let caller = match importer(&page) {
        Ok(c) => c.id().0,
        Err(e) => return e.render(&page),
    };
    match state.imports.get(&id) {
        Some(job) if job.user == caller => job_result(&state, &page, &id),
        _ => UiError::NotFound.render(&page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn guesses_each_column_on_its_own() {
        let g = guess_columns(
            Entity::Customers,
            &s(&["姓名", "电话", "Mystery", "", "ref", "이메일"]),
        );
        assert_eq!(
            g,
            vec![
                Some("name"),
                Some("phone"),
                None,
                None,
                Some("ref"),
                Some("email")
            ]
        );
        let g = guess_columns(
            Entity::Orders,
            &s(&["客户编号", "日期", "金额", "单价", "数量"]),
        );
        assert_eq!(
            g,
            vec![
                Some("customer_ref"),
                Some("date"),
                Some("amount"),
                Some("unit_price"),
                Some("quantity")
            ]
        );
    }

    #[test]
    fn every_import_field_and_entity_has_a_label() {
        let en = super::super::i18n::message_ids(super::super::i18n::Lang::En);
        for e in ENTITIES {
            assert!(en.contains(&format!("import-entity-{}", e.as_str())));
            for f in fields(*e) {
                assert!(en.contains(&format!("import-field-{f}")), "{f}");
            }
        }
    }

    #[test]
    fn mapping_checks() {
        assert!(check_mapping(Entity::Customers, &[Some("name"), None]).is_none());
        assert!(check_mapping(Entity::Customers, &[Some("phone")]).is_some());
        assert!(check_mapping(Entity::Customers, &[Some("name"), Some("name")]).is_some());
        assert!(check_mapping(Entity::Orders, &[Some("customer_ref"), Some("date")]).is_some());
    }
}
