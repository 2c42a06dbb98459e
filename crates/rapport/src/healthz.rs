//! `GET /healthz`: 200 when the database answers, 503 when it does not. No authentication,
//! so load balancers and monitors can call it.

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(check_health))
}

#[derive(Serialize, ToSchema)]
pub struct HealthCheck {
    status: &'static str,
}

/// Whether the server and its database are up.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = HealthCheck), (status = 503, body = crate::error::ErrorBody)))]
async fn check_health(State(app): State<App>) -> ApiResult<Json<HealthCheck>> {
    match app.store.ping().await {
        Ok(()) => Ok(Json(HealthCheck { status: "ok" })),
        Err(error) => {
            tracing::error!(%error, "health check failed: the database does not answer");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "The database does not answer.",
            ))
        }
    }
}
