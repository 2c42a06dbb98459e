use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, such as `CRM sync` (up to 100 characters).
    label: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    id: i64,
    label: String,
    /// The secret, shown this once: send it as `Authorization: Bearer <token>`.
    token: String,
}

/// Make an API token for yourself. The secret is in this answer only; keep it somewhere safe.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let issued = app
        .store
        .create_token_by(auth.actor(), auth.0.id, &input.label)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: issued.id,
            label: input.label.trim().to_owned(),
            token: issued.token,
        }),
    ))
}
