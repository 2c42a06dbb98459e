//! Browser sessions for agents: sign in with email and password, get an HttpOnly session
//! cookie and a CSRF token; sign out. Requests carrying the cookie instead of a bearer token
//! must send the CSRF token in `X-CSRF-Token` for anything but reading. The agent workspace
//! builds on this.

mod limiter;
mod others;
mod sign_in;
mod sign_out;

pub use limiter::{Attempt, ClientIp, RULES as SIGN_IN_RULES, SignInLimiter};

use crate::app::App;
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const COOKIE: &str = "rapport_session";

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(
            sign_in::sign_in,
            sign_out::sign_out,
            sign_in::show_session
        ))
        .routes(routes!(others::end_other_sessions))
        .routes(routes!(others::change_password))
}

/// The CSRF token of a session: derived from its secret, so only someone holding the cookie's
/// value (which scripts cannot read) can compute it.
pub fn csrf_token(session: &str) -> String {
    rapport_store::secrets::digest(&format!("csrf:{session}"))
}

/// The session secret from the request's cookies, if any.
pub fn session_from(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// A cookie's value, if the request carries it (and it is not empty).
pub fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Whether the browser reached us over HTTPS (directly, or through a proxy that says so), so
/// the cookie must be marked Secure.
pub fn over_https(app: &App, headers: &HeaderMap) -> bool {
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    forwarded || app.store.public_url().starts_with("https://")
}

/// A `Set-Cookie` value for a session: HttpOnly (scripts cannot read it), SameSite=Lax (other
/// sites' forms do not carry it), Secure over HTTPS. `max_age` 0 removes the cookie.
pub fn session_cookie(
    app: &App,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
) -> axum::http::HeaderValue {
    let secure = if over_https(app, headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}");
    // Names and values are ours (letters, digits, `_`), so this cannot fail.
    axum::http::HeaderValue::from_str(&cookie)
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("rapport_invalid=; Max-Age=0"))
}
