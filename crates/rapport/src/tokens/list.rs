use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::Role;
use rapport_store::auth::TokenInfo;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    items: Vec<TokenInfo>,
}

/// API tokens, newest first, revoked ones included: the agent's own, or everyone's for an
/// admin. Never the secrets.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(State(app): State<App>, auth: AuthAgent) -> ApiResult<Json<TokenList>> {
    let owner = (!auth.0.role.includes(Role::Admin)).then_some(auth.0.id);
    Ok(Json(TokenList {
        items: app.store.tokens(owner).await?,
    }))
}
