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
use axum::http::StatusCode;
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

/// Codes are limited like passwords, by the same limiter: a wrong code counts as a failed
/// sign-in for the address. `Err` is the sentence saying how long to wait.
pub fn check_limit(app: &App, email: &str) -> Result<(), String> {
    app.sign_ins.check(email).map_err(|seconds| {
        format!(
            "Too many failed sign-ins for this address; try again in {} minutes.",
            seconds.div_ceil(60)
        )
    })
}

/// A wrong code (or password, when turning two-factor sign-in off), for the limiter.
pub fn failed(app: &App, email: &str) {
    app.sign_ins.failed(email);
}

/// The sign-in is complete: the address starts afresh.
pub fn succeeded(app: &App, email: &str) {
    app.sign_ins.succeeded(email);
}

fn too_many(message: String) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
}
