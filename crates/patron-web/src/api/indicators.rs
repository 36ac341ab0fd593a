//! The five indicators over the API (METHOD §5): per month and quarter, for the archive, per ABC
//! class or per owner, with the counts behind each and their definitions. Read from the kept
//! counts (see [`patron_store::indicators`]); the first read of a fresh archive computes them.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use patron_core::indicators::Period;
use patron_store::indicators::{IndicatorReport, IndicatorTable, DIMENSIONS};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorParams {
    /// One period, `YYYY-MM` or `YYYY-Qn` (default: every kept month and quarter).
    pub period: Option<String>,
    /// `all` (default), `class` or `owner`.
    pub dimension: Option<String>,
}

/// The kept counts, computed first when there are none yet.
pub(crate) async fn table(state: &AppState) -> Result<IndicatorTable, ApiError> {
    let t = state.store.indicator_table().await?;
    if t.refreshed_at.is_some() {
        return Ok(t);
    }
    let today = state.config.clock.now().date_naive();
    state.store.refresh_indicators(today).await?;
    Ok(state.store.indicator_table().await?)
}

/// Reads the `period` and `dimension` parameters.
pub(crate) fn parse_params(
    period: Option<&str>,
    dimension: Option<&str>,
) -> Result<(Option<Period>, String), ApiError> {
    let period = match period.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(p) => Some(Period::parse(p).ok_or_else(|| {
            ApiError::param("period", "invalid_period", "must be YYYY-MM or YYYY-Qn")
        })?),
    };
    let dimension = dimension.unwrap_or("all").trim().to_owned();
    if !DIMENSIONS.contains(&dimension.as_str()) {
        return Err(ApiError::param(
            "dimension",
            "invalid",
            "must be one of all, class, owner",
        ));
    }
    Ok((period, dimension))
}

/// The indicators as fractions 0–1 (`null` when there is nothing to divide by), with the counts.
#[utoipa::path(
    get,
    operation_id = "indicators",
    path = "/api/v1/indicators",
    tag = "indicators",
    params(IndicatorParams),
    responses((status = 200, description = "The indicators", body = IndicatorReport))
)]
pub async fn indicators(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(p): ApiQuery<IndicatorParams>,
) -> Result<Json<IndicatorReport>, ApiError> {
    let (period, dimension) = parse_params(p.period.as_deref(), p.dimension.as_deref())?;
    let t = table(&state).await?;
    Ok(Json(patron_store::indicators::report(
        &t, period, &dimension,
    )))
}
