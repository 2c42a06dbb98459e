use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use rapport_store::filtered_mail::FilteredMail;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FilteredQuery {
    /// Only items older than this one (for the next page).
    before_id: Option<i64>,
    /// 1 to 200; 50 unless given.
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct FilteredMailList {
    items: Vec<FilteredMail>,
}

/// Filtered mail, newest first: bulk mail, automatic replies, bounces that match none of our
/// messages and refused mail, which opened no ticket; with what became of each one an agent
/// took. An item answering a restricted team's ticket is listed only for that team and admins.
#[utoipa::path(get, path = "/api/v1/filtered-mail", tag = "email", security(("bearer" = [])),
    params(FilteredQuery),
    responses((status = 200, body = FilteredMailList), (status = 400, body = ErrorBody)))]
pub async fn list_filtered(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<FilteredQuery>,
) -> ApiResult<Json<FilteredMailList>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`limit` must be between 1 and 200.",
        ));
    }
    Ok(Json(FilteredMailList {
        items: app
            .store
            .filtered_mail(&auth.0, query.before_id, limit)
            .await?,
    }))
}
