use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_store::moments::Moment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteMoment {
    /// A personal note, e.g. "Flying to Lisbon on 3 March for her sister's wedding".
    note: String,
    /// The day to come back to it, `YYYY-MM-DD`: it appears in the owner's tasks that day.
    follow_up_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MomentList {
    items: Vec<Moment>,
}

/// Note a personal moment about a customer, with an optional follow-up day.
#[utoipa::path(post, path = "/api/v1/customers/{id}/moments", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = NoteMoment,
    responses((status = 201, body = Moment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn note_moment(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<NoteMoment>,
) -> ApiResult<(StatusCode, Json<Moment>)> {
    let moment = app
        .store
        .create_moment(id, auth.0.id, &input.note, input.follow_up_on.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(moment)))
}

/// A customer's moments, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/moments", tag = "customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = MomentList), (status = 404, body = ErrorBody)))]
pub async fn list_moments(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<MomentList>> {
    app.store.customer(id).await?;
    Ok(Json(MomentList {
        items: app.store.moments_for(id).await?,
    }))
}
