use crate::app::App;
use crate::cursor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Query};
use axum::extract::State;
use rapport_domain::{Event, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only actions starting with this, such as `settings.`, `token.` or `agent.sign_in`.
    action: Option<String>,
    /// 1 to 200; 50 unless given.
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    items: Vec<Event>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// The audit trail, newest first, a page at a time: changes with their values before and
/// after, sign-ins and refused sign-ins (the address tried, never a password), tokens made and
/// revoked. Needs the admin role.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(app): State<App>,
    auth: AuthAgent,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    auth.require(Role::Admin, "Reading the audit trail")?;
    let invalid_query = |message: String| ApiError::bad_request("invalid_query", message);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid_query(format!(
            "`limit` must be between 1 and {MAX_LIMIT}, not {limit}."
        )));
    }
    if let Some(action) = query.action.as_deref().filter(|action| {
        action.len() > 100
            || !action
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
    }) {
        return Err(invalid_query(format!(
            "`action` is the start of an action name (lowercase letters, `_` and `.`, such as `token.`), not `{}`.",
            action.chars().take(100).collect::<String>()
        )));
    }
    let before_id = query
        .cursor
        .as_deref()
        .map(|given| cursor::decode('e', given))
        .transpose()?;
    let page = app
        .store
        .audit(query.action.as_deref(), before_id, limit)
        .await?;
    Ok(Json(AuditList {
        items: page.items,
        next_cursor: page.next_before_id.map(|id| cursor::encode('e', id)),
    }))
}
