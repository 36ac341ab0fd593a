//! Surveys, their answers and public links (see [`crate::surveys`]). Every statement is shared
//! by both databases; a questionnaire's texts are kept as JSON.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use super::satisfaction::{insert as insert_rating, Source};
use super::SqlStore;
use crate::error::{StoreError, StoreResult};
use crate::surveys::*;
use chrono::{DateTime, Duration, Utc};
use patron_core::classify::Aspect;
use patron_core::survey::{score_of, Answers, AspectDef, Level, SurveyDef, Texts, LANGUAGES};
use patron_core::{CustomerId, Scope, UserId};
use std::collections::HashMap;

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored survey's {what}"),
        std::io::Error::other(e.to_string()),
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::other("writing a survey's texts", e))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| bad_row(what, e))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct SurveyRow {
    id: i64,
    title: String,
    intro: String,
    aspects: String,
    active: bool,
    responses: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<SurveyRow> for Survey {
    type Error = StoreError;
    fn try_from(r: SurveyRow) -> StoreResult<Self> {
        Ok(Survey {
            id: r.id,
            def: SurveyDef {
                title: from_json::<Texts>("title", &r.title)?,
                intro: from_json::<Texts>("intro", &r.intro)?,
                aspects: from_json::<Vec<AspectDef>>("aspects", &r.aspects)?,
                active: r.active,
            },
            responses: r.responses,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const SURVEY_COLS: &str = "s.id, s.title, s.intro, s.aspects, s.active, \
     (SELECT COUNT(*) FROM survey_responses x WHERE x.survey_id = s.id) AS responses, \
     s.created_at, s.updated_at";

pub(crate) async fn list(c: &mut Conn<'_>) -> StoreResult<Vec<Survey>> {
    let rows: Vec<SurveyRow> = c
        .fetch_all(
            &format!("SELECT {SURVEY_COLS} FROM surveys s ORDER BY s.active DESC, s.id DESC"),
            vec![],
        )
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(crate) async fn get(c: &mut Conn<'_>, id: i64) -> StoreResult<Survey> {
    let row: Option<SurveyRow> = c
        .fetch_optional(
            &format!("SELECT {SURVEY_COLS} FROM surveys s WHERE s.id = $1"),
            args![id],
        )
        .await?;
    row.ok_or_else(|| StoreError::not_found("survey", id))?
        .try_into()
}

pub(crate) async fn create(
    store: &SqlStore,
    by: Option<UserId>,
    def: &SurveyDef,
) -> StoreResult<Survey> {
    let def = def.normalized()?;
    let now = super::now();
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    let id = c
        .scalar_i64(
            "INSERT INTO surveys (title, intro, aspects, active, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            args![
                to_json(&def.title)?,
                to_json(&def.intro)?,
                to_json(&def.aspects)?,
                def.active,
                by.map(|u| u.0),
                now
            ],
        )
        .await?;
    get(&mut c, id).await
}

pub(crate) async fn update(store: &SqlStore, id: i64, def: &SurveyDef) -> StoreResult<Survey> {
    let def = def.normalized()?;
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    let n = c
        .execute(
            "UPDATE surveys SET title = $1, intro = $2, aspects = $3, active = $4, \
             updated_at = $5 WHERE id = $6",
            args![
                to_json(&def.title)?,
                to_json(&def.intro)?,
                to_json(&def.aspects)?,
                def.active,
                super::now(),
                id
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("survey", id));
    }
    get(&mut c, id).await
}

/// Checks a language tag against the UI's four.
pub(crate) fn language(field: &str, lang: Option<&str>) -> StoreResult<String> {
    let l = lang
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("en");
    if LANGUAGES.contains(&l) {
        Ok(l.to_owned())
    } else {
        Err(StoreError::invalid(
            field,
            "invalid",
            format!("must be one of {}", LANGUAGES.join(", ")),
        ))
    }
}

/// An open survey for new answers: it exists and is active.
async fn active_survey(c: &mut Conn<'_>, id: i64) -> StoreResult<Survey> {
    let s = match get(c, id).await {
        Err(StoreError::NotFound { .. }) => {
            return Err(StoreError::invalid(
                "survey_id",
                "unknown_reference",
                format!("there is no survey {id}"),
            ))
        }
        r => r?,
    };
    if !s.def.active {
        return Err(StoreError::invalid(
            "survey_id",
            "inactive",
            "this survey no longer takes answers",
        ));
    }
    Ok(s)
}

/// Where an answer comes from.
pub(crate) struct Origin {
    pub channel: ResponseChannel,
    pub by: Option<UserId>,
    pub link: Option<i64>,
}

/// Records an answer (in the caller's transaction): the answer, its aspects, and a satisfaction
/// rating for each aspect the loyalty matrix reads.
pub(crate) async fn record(
    c: &mut Conn<'_>,
    from: Origin,
    customer: CustomerId,
    survey: &Survey,
    lang: &str,
    answers: &Answers,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let answers = answers.normalized(&survey.def)?;
    let id = c
        .scalar_i64(
            "INSERT INTO survey_responses (survey_id, customer_id, channel, user_id, link_id, \
             language, would_praise, asked_by_name, comment, answered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            args![
                survey.id,
                customer.0,
                from.channel.as_str(),
                from.by.map(|u| u.0),
                from.link,
                lang,
                answers.would_praise,
                answers.asked_by_name,
                answers.comment.clone(),
                at
            ],
        )
        .await?;
    for a in &answers.aspects {
        c.execute(
            "INSERT INTO survey_answers (response_id, aspect, expected, perceived) \
             VALUES ($1, $2, $3, $4)",
            args![
                id,
                a.aspect.clone(),
                i64::from(a.expected),
                i64::from(a.perceived)
            ],
        )
        .await?;
        if let Some(aspect) = Aspect::parse(&a.aspect) {
            let note = format!(
                "survey #{id}: expected {}, perceived {}",
                a.expected, a.perceived
            );
            let source = Source {
                by: from.by,
                response: Some(id),
            };
            insert_rating(
                c,
                source,
                customer,
                aspect,
                score_of(a.expected, a.perceived),
                Some(note),
                at.date_naive(),
            )
            .await?;
        }
    }
    Ok(id)
}

pub(crate) async fn record_by_staff(
    store: &SqlStore,
    by: Option<UserId>,
    customer: CustomerId,
    input: &ResponseInput,
    now: DateTime<Utc>,
) -> StoreResult<Response> {
    let lang = language("language", input.language.as_deref())?;
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    if !super::customers::in_scope(&mut c, customer, Scope::All).await? {
        return Err(StoreError::not_found("customer", customer));
    }
    let survey = active_survey(&mut c, input.survey_id).await?;
    let from = Origin {
        channel: ResponseChannel::Call,
        by,
        link: None,
    };
    let answers = input.answers();
    let id = record(&mut c, from, customer, &survey, &lang, &answers, now).await?;
    let out = responses(&mut c, "r.id = $1", id, Scope::All, 1).await?;
    tx.commit().await?;
    out.into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("survey response", id))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ResponseRow {
    id: i64,
    survey_id: i64,
    title: String,
    customer_id: i64,
    customer_name: String,
    channel: String,
    user_id: Option<i64>,
    user_name: Option<String>,
    language: String,
    would_praise: Option<bool>,
    asked_by_name: Option<bool>,
    comment: Option<String>,
    answered_at: DateTime<Utc>,
}

fn score(n: i64) -> StoreResult<u8> {
    u8::try_from(n)
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| bad_row("score", n))
}

/// Answers matching `cond` (on `r`, one `$1` argument) of customers in `scope`, newest first.
pub(crate) async fn responses(
    c: &mut Conn<'_>,
    cond: &str,
    arg: i64,
    scope: Scope,
    limit: i64,
) -> StoreResult<Vec<Response>> {
    let mut wh = vec![cond.to_owned()];
    let mut a: Vec<Arg> = args![arg];
    push_scope(scope, "c", &mut wh, &mut a);
    let cond = wh.join(" AND ");
    let rows: Vec<ResponseRow> = c
        .fetch_all(
            &format!(
                "SELECT r.id, r.survey_id, s.title, r.customer_id, c.name AS customer_name, \
                 r.channel, r.user_id, u.name AS user_name, r.language, r.would_praise, \
                 r.asked_by_name, r.comment, r.answered_at FROM survey_responses r \
                 JOIN surveys s ON s.id = r.survey_id JOIN customers c ON c.id = r.customer_id \
                 LEFT JOIN users u ON u.id = r.user_id WHERE {cond} \
                 ORDER BY r.answered_at DESC, r.id DESC LIMIT {limit}"
            ),
            a,
        )
        .await?;
    let mut aspects: HashMap<i64, Vec<AnswerView>> = HashMap::new();
    if !rows.is_empty() {
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        let answers: Vec<(i64, String, i64, i64)> = c
            .fetch_all(
                &format!(
                    "SELECT response_id, aspect, expected, perceived FROM survey_answers \
                     WHERE response_id IN ({})",
                    ids.join(",")
                ),
                vec![],
            )
            .await?;
        for (rid, aspect, e, p) in answers {
            let (expected, perceived) = (score(e)?, score(p)?);
            aspects.entry(rid).or_default().push(AnswerView {
                aspect,
                expected,
                perceived,
                level: Level::of_gap(expected, perceived),
            });
        }
    }
    rows.into_iter()
        .map(|r| {
            let title: Texts = from_json("title", &r.title)?;
            let mut mine = aspects.remove(&r.id).unwrap_or_default();
            mine.sort_by(|a, b| a.aspect.cmp(&b.aspect));
            Ok(Response {
                id: r.id,
                survey_id: r.survey_id,
                survey_title: title.en,
                customer_id: CustomerId(r.customer_id),
                customer_name: r.customer_name,
                channel: ResponseChannel::parse(&r.channel)
                    .ok_or_else(|| bad_row("channel", &r.channel))?,
                user_id: r.user_id.map(UserId),
                user_name: r.user_name,
                language: r.language,
                aspects: mine,
                would_praise: r.would_praise,
                asked_by_name: r.asked_by_name,
                comment: r.comment,
                answered_at: r.answered_at,
            })
        })
        .collect()
}

pub(crate) async fn summary(c: &mut Conn<'_>, survey: &Survey) -> StoreResult<SurveySummary> {
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = c
        .fetch_all(
            "SELECT a.aspect, COUNT(*), CAST(SUM(a.expected) AS BIGINT), \
             CAST(SUM(a.perceived) AS BIGINT), \
             CAST(SUM(CASE WHEN a.perceived < a.expected THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN a.perceived = a.expected THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN a.perceived > a.expected THEN 1 ELSE 0 END) AS BIGINT) \
             FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id \
             WHERE r.survey_id = $1 GROUP BY a.aspect",
            args![survey.id],
        )
        .await?;
    let (praise_yes, praise_answers, named_yes, named_answers): (i64, i64, i64, i64) = c
        .fetch_optional(
            "SELECT CAST(COALESCE(SUM(CASE WHEN would_praise THEN 1 ELSE 0 END), 0) AS BIGINT), \
             COUNT(would_praise), \
             CAST(COALESCE(SUM(CASE WHEN asked_by_name THEN 1 ELSE 0 END), 0) AS BIGINT), \
             COUNT(asked_by_name) FROM survey_responses WHERE survey_id = $1",
            args![survey.id],
        )
        .await?
        .unwrap_or_default();
    let mut by_code: HashMap<String, AspectSummary> = rows
        .into_iter()
        .map(|(aspect, n, e, p, dis, basic, very)| {
            let mean = |sum: i64| (n > 0).then(|| sum as f64 / n as f64);
            (
                aspect.clone(),
                AspectSummary {
                    aspect,
                    answers: n,
                    mean_expected: mean(e),
                    mean_perceived: mean(p),
                    dissatisfied: dis,
                    basically_satisfied: basic,
                    very_satisfied: very,
                },
            )
        })
        .collect();
    // The questionnaire's aspects in its order, then any answered under a code since removed.
    let mut aspects: Vec<AspectSummary> = survey
        .def
        .aspects
        .iter()
        .map(|a| {
            by_code.remove(&a.code).unwrap_or(AspectSummary {
                aspect: a.code.clone(),
                answers: 0,
                mean_expected: None,
                mean_perceived: None,
                dissatisfied: 0,
                basically_satisfied: 0,
                very_satisfied: 0,
            })
        })
        .collect();
    let mut rest: Vec<AspectSummary> = by_code.into_values().collect();
    rest.sort_by(|a, b| a.aspect.cmp(&b.aspect));
    aspects.extend(rest);
    Ok(SurveySummary {
        survey_id: survey.id,
        responses: survey.responses,
        aspects,
        praise_yes,
        praise_answers,
        named_yes,
        named_answers,
    })
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct LinkRow {
    id: i64,
    customer_id: i64,
    purpose: String,
    survey_id: Option<i64>,
    language: String,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    complaint_id: Option<i64>,
}

impl TryFrom<LinkRow> for PublicLink {
    type Error = StoreError;
    fn try_from(r: LinkRow) -> StoreResult<Self> {
        Ok(PublicLink {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            purpose: LinkPurpose::parse(&r.purpose).ok_or_else(|| bad_row("link", &r.purpose))?,
            survey_id: r.survey_id,
            language: r.language,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
            complaint_id: r.complaint_id,
        })
    }
}

const LINK_COLS: &str = "l.id, l.customer_id, l.purpose, l.survey_id, l.language, \
     u.name AS created_by, l.created_at, l.expires_at, l.used_at, l.revoked_at, l.complaint_id";

async fn links_where(c: &mut Conn<'_>, cond: &str, arg: Arg) -> StoreResult<Vec<PublicLink>> {
    let rows: Vec<LinkRow> = c
        .fetch_all(
            &format!(
                "SELECT {LINK_COLS} FROM public_links l LEFT JOIN users u ON u.id = l.created_by \
                 WHERE {cond} ORDER BY l.id DESC LIMIT 50"
            ),
            vec![arg],
        )
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(crate) async fn customer_links(
    c: &mut Conn<'_>,
    customer: CustomerId,
) -> StoreResult<Vec<PublicLink>> {
    links_where(c, "l.customer_id = $1", customer.0.into()).await
}

pub(crate) async fn create_link(
    store: &SqlStore,
    by: Option<UserId>,
    customer: CustomerId,
    input: &LinkInput,
    now: DateTime<Utc>,
) -> StoreResult<NewLink> {
    let lang = language("language", input.language.as_deref())?;
    let days = input.days.unwrap_or(DEFAULT_LINK_DAYS);
    if !(1..=MAX_LINK_DAYS).contains(&days) {
        return Err(StoreError::invalid(
            "days",
            "out_of_range",
            format!("a link stays valid for 1 to {MAX_LINK_DAYS} days"),
        ));
    }
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    if !super::customers::in_scope(&mut c, customer, Scope::All).await? {
        return Err(StoreError::not_found("customer", customer));
    }
    let survey = match (input.purpose, input.survey_id) {
        (LinkPurpose::Survey, Some(s)) => Some(active_survey(&mut c, s).await?.id),
        (LinkPurpose::Survey, None) => {
            return Err(StoreError::invalid(
                "survey_id",
                "required",
                "a survey link needs the survey",
            ))
        }
        (LinkPurpose::Complaint, Some(_)) => {
            return Err(StoreError::invalid(
                "survey_id",
                "not_allowed",
                "a complaint link has no survey",
            ))
        }
        (LinkPurpose::Complaint, None) => None,
    };
    let secret = crate::accounts::random_token();
    let id = c
        .scalar_i64(
            "INSERT INTO public_links (token_hash, customer_id, purpose, survey_id, language, \
             created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
            args![
                crate::accounts::token_hash(&secret),
                customer.0,
                input.purpose.as_str(),
                survey,
                lang,
                by.map(|u| u.0),
                now,
                now + Duration::days(days)
            ],
        )
        .await?;
    let link = links_where(&mut c, "l.id = $1", id.into())
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("public link", id))?;
    tx.commit().await?;
    Ok(NewLink { secret, link })
}

pub(crate) async fn revoke_link(
    store: &SqlStore,
    customer: CustomerId,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut pc = store.acquire().await?;
    let n = pc
        .conn()
        .execute(
            "UPDATE public_links SET revoked_at = $1 WHERE id = $2 AND customer_id = $3 \
             AND revoked_at IS NULL",
            args![now, id, customer.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("public link", id));
    }
    Ok(())
}

async fn by_secret(c: &mut Conn<'_>, secret: &str) -> StoreResult<Option<PublicLink>> {
    Ok(links_where(
        c,
        "l.token_hash = $1",
        crate::accounts::token_hash(secret).into(),
    )
    .await?
    .into_iter()
    .next())
}

pub(crate) async fn open_link(
    store: &SqlStore,
    secret: &str,
    now: DateTime<Utc>,
) -> StoreResult<LinkState> {
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    let Some(link) = by_secret(&mut c, secret).await? else {
        return Ok(LinkState::Invalid);
    };
    if link.revoked_at.is_some() || now >= link.expires_at {
        return Ok(LinkState::Invalid);
    }
    if link.used_at.is_some() {
        return Ok(LinkState::Used {
            language: link.language,
        });
    }
    let survey = match link.survey_id {
        Some(s) => Some(Box::new(get(&mut c, s).await?)),
        None => None,
    };
    Ok(LinkState::Open { link, survey })
}

/// Takes the link for one answer: the update succeeds for one caller only, so two submissions
/// of the same form record one answer.
async fn claim(c: &mut Conn<'_>, link: &PublicLink, now: DateTime<Utc>) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE public_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
             AND revoked_at IS NULL AND expires_at > $1",
            args![now, link.id],
        )
        .await?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::conflict(
            None,
            "this link has already been used",
        ))
    }
}

/// The open link for `secret`, or the error its customer should see.
async fn usable(
    c: &mut Conn<'_>,
    secret: &str,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> StoreResult<PublicLink> {
    match by_secret(c, secret).await? {
        Some(l) if l.purpose == purpose && l.open_at(now) => Ok(l),
        Some(l) if l.purpose == purpose && l.used_at.is_some() && l.revoked_at.is_none() => Err(
            StoreError::conflict(None, "this link has already been used"),
        ),
        _ => Err(StoreError::not_found("public link", "?")),
    }
}

pub(crate) async fn answer_link(
    store: &SqlStore,
    secret: &str,
    answers: &Answers,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    let link = usable(&mut c, secret, LinkPurpose::Survey, now).await?;
    let survey_id = link
        .survey_id
        .ok_or_else(|| StoreError::not_found("survey", "?"))?;
    let survey = active_survey(&mut c, survey_id).await?;
    claim(&mut c, &link, now).await?;
    let from = Origin {
        channel: ResponseChannel::PublicForm,
        by: None,
        link: Some(link.id),
    };
    let id = record(
        &mut c,
        from,
        link.customer_id,
        &survey,
        &link.language,
        answers,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes a complaint link, then records the complaint through the complaint rules (their own
/// transaction); when the complaint is refused the link is given back.
pub(crate) async fn complain_through_link(
    store: &SqlStore,
    secret: &str,
    input: &PublicComplaint,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let link = {
        let mut pc = store.acquire().await?;
        let mut c = pc.conn();
        let link = usable(&mut c, secret, LinkPurpose::Complaint, now).await?;
        claim(&mut c, &link, now).await?;
        link
    };
    let complaint = crate::complaints::ComplaintInput {
        customer_id: link.customer_id,
        key_person_id: None,
        order_id: None,
        channel: patron_core::complaint::Channel::WebForm,
        cause: None,
        summary: input.summary.clone(),
        details: input.details.clone(),
        owner_id: None,
    };
    let made = super::complaints::create(store, None, Scope::All, complaint, now).await;
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    match made {
        Ok(d) => {
            c.execute(
                "UPDATE public_links SET complaint_id = $1 WHERE id = $2",
                args![d.complaint.id, link.id],
            )
            .await?;
            Ok(d.complaint.id)
        }
        Err(e) => {
            c.execute(
                "UPDATE public_links SET used_at = NULL WHERE id = $1",
                args![link.id],
            )
            .await?;
            Err(e)
        }
    }
}

/// Moves a merged customer's answers and links to the kept one.
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    for table in ["survey_responses", "public_links"] {
        c.execute(
            &format!("UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"),
            args![keep.0, other.0],
        )
        .await?;
    }
    Ok(())
}
