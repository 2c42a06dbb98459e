use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use rapport_domain::Role;
use rapport_store::mail_intake::InboundEmail;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboundQuery {
    /// `new_ticket`, `reply`, `auto_reply`, `bounce`, `bulk` or `rejected`.
    outcome: Option<String>,
    /// 1 to 500; 100 unless given.
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct InboundList {
    items: Vec<InboundEmail>,
}

/// Inbound mail, newest first: what each became, and why mail was rejected. Needs the admin role.
#[utoipa::path(get, path = "/api/v1/inbound/emails", tag = "email", security(("bearer" = [])),
    params(InboundQuery),
    responses((status = 200, body = InboundList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_inbound(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<InboundQuery>,
) -> ApiResult<Json<InboundList>> {
    auth.require(Role::Admin, "Reading inbound mail")?;
    let outcomes = [
        "new_ticket",
        "reply",
        "auto_reply",
        "bounce",
        "bulk",
        "rejected",
    ];
    if let Some(outcome) = query.outcome.as_deref().filter(|o| !outcomes.contains(o)) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "`outcome` is one of {}, not `{outcome}`.",
                outcomes.join(", ")
            ),
        ));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`limit` must be between 1 and 500.",
        ));
    }
    Ok(Json(InboundList {
        items: app
            .store
            .inbound_emails(query.outcome.as_deref(), limit)
            .await?,
    }))
}

/// The raw bytes of an inbound mail, exactly as received. Needs the admin role.
#[utoipa::path(get, path = "/api/v1/inbound/emails/{id}/raw", tag = "email", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Inbound mail id")),
    responses((status = 200, content_type = "message/rfc822", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn raw_inbound(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    auth.require(Role::Admin, "Reading inbound mail")?;
    let raw = app.store.inbound_raw(id).await?;
    Ok((
        [(header::CONTENT_TYPE, "message/rfc822")],
        axum::body::Body::from_stream(raw),
    ))
}
