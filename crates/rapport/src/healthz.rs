//! `GET /healthz` (liveness): 200 when the database answers, 503 when it does not.
//! `GET /readyz` (readiness): 200 when the database takes writes, 503 with the reason when it
//! does not (a full disk, a read-only database). A server can be alive but not ready: then
//! restarting it does not help, and a load balancer should send traffic elsewhere while the
//! operator frees space. No authentication, so load balancers and monitors can call both.

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
    OpenApiRouter::new()
        .routes(routes!(check_health))
        .routes(routes!(check_ready))
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

/// Whether the server can do its work: the database takes a small write (written and removed
/// in one transaction). 503 says why not, such as a full disk.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses((status = 200, body = HealthCheck), (status = 503, body = crate::error::ErrorBody)))]
async fn check_ready(State(app): State<App>) -> ApiResult<Json<HealthCheck>> {
    match app.store.check_writes().await {
        Ok(()) => Ok(Json(HealthCheck { status: "ready" })),
        Err(error) if error.is_storage_full() => {
            tracing::error!(%error, "not ready: the database's disk is full");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_full",
                "The database's disk is full, so nothing can be saved. Free space on it; \
                 Rapport takes writes again as soon as there is room, without a restart.",
            ))
        }
        Err(error) => {
            tracing::error!(%error, "not ready: the database does not take writes");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_read_only",
                "The database does not take writes; the server log says why.",
            ))
        }
    }
}
