//! Two-factor sign-in for agents (TOTP codes from an authenticator app, and recovery codes).
//! An agent sets it up and turns it off under `/api/v1/me/two-factor` (`account.rs`); a
//! sign-in whose password was right then waits for its code at `/api/v1/session/two-factor`
//! (`sign_in.rs`); an admin can require it of everyone (the `require_two_factor` setting) and
//! reset an agent's (`reset.rs`). API tokens are not affected: holding one is already a factor.
//! The rules are in `rapport_domain::two_factor`, the storage in `rapport_store::two_factor`.

mod account;
mod reset;
mod sign_in;

pub use sign_in::{SecondStepNeeded, after_password};

use crate::app::App;
use crate::error::ApiError;
use crate::session::Attempt;
use axum::http::StatusCode;
use std::net::IpAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(
            account::show_two_factor,
            account::start_two_factor,
            account::turn_off_two_factor
        ))
        .routes(routes!(account::confirm_two_factor))
        .routes(routes!(sign_in::complete_sign_in))
        .routes(routes!(reset::reset_two_factor))
}

/// Codes are limited like passwords, by the same limiter: each try is counted before the code
/// is checked, and counts as a failed sign-in for the address from this client unless it is
/// reported with [`succeeded`]. `Err` is the sentence saying how long to wait.
pub async fn reserve(
    app: &App,
    email: &str,
    client: IpAddr,
) -> rapport_store::StoreResult<Result<Attempt, String>> {
    Ok(app
        .sign_ins
        .reserve(email, client)
        .await?
        .map_err(|refused| refused.message()))
}

/// The code (or password) was right: the client's failures are forgiven.
pub async fn succeeded(app: &App, attempt: Attempt) -> rapport_store::StoreResult<()> {
    app.sign_ins.succeeded(attempt).await
}

fn too_many(message: String) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
}
