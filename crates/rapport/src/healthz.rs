//! `GET /healthz` (liveness): 200 when the database answers, 503 when it does not.
//! `GET /readyz` (readiness): 200 when the database takes writes, 503 with the reason when it
//! does not (a full disk, a read-only database, a database that is down). A server can be alive but not ready: then
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
    match tokio::time::timeout(CHECK_TIMEOUT, app.store.ping()).await {
        Ok(Ok(())) => Ok(Json(HealthCheck { status: "ok" })),
        Ok(Err(error)) => {
            tracing::error!(%error, "health check failed: the database does not answer");
            Err(unavailable())
        }
        Err(_) => {
            tracing::error!("health check failed: the database did not answer in time");
            Err(unavailable())
        }
    }
}

/// A check answers within this, database or not: monitors want an answer, not a hang.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
        "The database does not answer (stopped, restarting or out of reach). Rapport takes \
         requests again as soon as it is back, without a restart.",
    )
}

/// Whether the server can do its work: the database takes a small write (written and removed
/// in one transaction). 503 says why not, such as a full disk.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses((status = 200, body = HealthCheck), (status = 503, body = crate::error::ErrorBody)))]
async fn check_ready(State(app): State<App>) -> ApiResult<Json<HealthCheck>> {
    let checked = tokio::time::timeout(CHECK_TIMEOUT, app.store.check_writes()).await;
    let Ok(checked) = checked else {
        tracing::error!("not ready: the database did not answer in time");
        return Err(unavailable());
    };
    match checked {
        Ok(()) => Ok(Json(HealthCheck { status: "ready" })),
        Err(error) if error.is_unavailable() => {
            tracing::error!(%error, "not ready: the database does not answer");
            Err(unavailable())
        }
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
