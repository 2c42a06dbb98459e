//! Policies with reasons in the API: the library (every agent reads it, admins write it) and
//! the exceptions agents ask for on tickets, decided once by a named supervisor or admin and
//! kept as precedent, searchable by policy, words, outcome and date.

mod exceptions;

use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Role;
use rapport_domain::policy::{Limit, PolicyText};
use rapport_store::policies::{Policy, search_words};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use exceptions::ExceptionParams;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(show_policy, update_policy))
        .routes(routes!(exceptions::request_exception))
        .routes(routes!(exceptions::list_exceptions))
        .routes(routes!(exceptions::show_exception))
        .routes(routes!(exceptions::decide_exception))
}

#[derive(Serialize, ToSchema)]
pub struct PolicyList {
    items: Vec<Policy>,
}

/// A policy as an admin writes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub title: String,
    /// What the policy says.
    pub text: String,
    /// Why it exists, in words an agent can quote to a customer.
    pub rationale: String,
    /// What staff may offer instead (at most 20, one line each).
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// Words that show a reply or a ticket is about this policy, such as "refund".
    #[serde(default)]
    pub keywords: Vec<String>,
    /// At most this many approved exceptions per customer in `limit_days` days; both or neither.
    pub limit_count: Option<i64>,
    pub limit_days: Option<i64>,
}

impl PolicyInput {
    pub fn checked(self) -> Result<PolicyText, rapport_domain::Invalid> {
        let limit = Limit::new(self.limit_count, self.limit_days)?;
        PolicyText::new(
            &self.title,
            &self.text,
            &self.rationale,
            &self.alternatives,
            &self.keywords,
            limit,
        )
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PolicySearch {
    /// Words, all of which must appear in the title, text, rationale, alternatives or keywords.
    pub q: Option<String>,
}

/// The policy library by title; with `q`, those holding every word.
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies", security(("bearer" = [])),
    params(PolicySearch),
    responses((status = 200, body = PolicyList)))]
pub async fn list_policies(
    State(app): State<App>,
    _auth: AuthAgent,
    Query(search): Query<PolicySearch>,
) -> ApiResult<Json<PolicyList>> {
    let words = search_words(search.q.as_deref().unwrap_or(""));
    Ok(Json(PolicyList {
        items: app.store.policies(&words).await?,
    }))
}

/// Add a policy to the library. Needs the admin role.
#[utoipa::path(post, path = "/api/v1/policies", tag = "policies", security(("bearer" = [])),
    request_body = PolicyInput,
    responses((status = 201, body = Policy), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<PolicyInput>,
) -> ApiResult<(StatusCode, Json<Policy>)> {
    auth.require(Role::Admin, "Writing a policy")?;
    let text = input.checked().map_err(rapport_store::StoreError::from)?;
    let policy = app.store.create_policy(text, auth.actor()).await?;
    Ok((StatusCode::CREATED, Json(policy)))
}

#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, body = Policy), (status = 404, body = ErrorBody)))]
pub async fn show_policy(
    State(app): State<App>,
    _auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<Policy>> {
    Ok(Json(app.store.policy(id).await?))
}

/// Replace a policy's title, text, rationale, alternatives, keywords and limit. Needs the
/// admin role; exceptions already asked keep their place.
#[utoipa::path(patch, path = "/api/v1/policies/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    request_body = PolicyInput,
    responses((status = 200, body = Policy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_policy(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<PolicyInput>,
) -> ApiResult<Json<Policy>> {
    auth.require(Role::Admin, "Changing a policy")?;
    let text = input.checked().map_err(rapport_store::StoreError::from)?;
    Ok(Json(app.store.update_policy(id, text, auth.actor()).await?))
}
