use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_coach::{OpenPromise, PolicyNote, ReplyContext, Review, analyze_reply};
use rapport_domain::{AuthorKind, Visibility};
use rapport_store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The draft, as plain text or HTML.
    text: String,
    /// The customer's message the draft answers. Taken from the ticket when `ticket_id` is given.
    customer_message: Option<String>,
    /// Taken from the ticket when `ticket_id` is given.
    customer_name: Option<String>,
    /// Fill in what the ticket knows: the customer's latest message, their name, the open
    /// promises of the case, whether it is escalated (a request for a manager waits) and
    /// whether it is tagged `complaint`. A restricted team's ticket is for its members and admins.
    ticket_id: Option<i64>,
}

/// Review a draft reply: facets, findings with spans and explanations, and a score. Nothing is
/// stored and nothing is blocked.
#[utoipa::path(post, path = "/api/v1/coach/reply", tag = "coach", security(("bearer" = [])),
    request_body = ReviewRequest,
    responses((status = 200, body = Review), (status = 403, description = "`ticket_id` names a restricted team's ticket the agent is not allowed to see", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_reply(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<ReviewRequest>,
) -> ApiResult<Json<Review>> {
    if input.text.trim().is_empty() {
        return Err(ApiError::invalid(
            "`text`: the draft is empty; there is nothing to review.",
        ));
    }
    if input.text.len() > super::MAX_TEXT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text_too_large",
            format!(
                "`text` is larger than {} bytes; the coach reviews replies, not documents.",
                super::MAX_TEXT_BYTES
            ),
        ));
    }
    let mut context = match input.ticket_id {
        Some(ticket_id) => {
            let ticket = app.store.ticket(ticket_id).await.map_err(|err| match err {
                StoreError::NotFound { .. } => {
                    StoreError::unknown("ticket", "ticket_id", ticket_id)
                }
                other => other,
            })?;
            // The context is the ticket's words: only for those who may read them.
            crate::tickets::ensure_visible(&app, &auth.0, &ticket).await?;
            context_for_ticket(&app, ticket_id).await?
        }
        None => ReplyContext {
            policies: policy_notes(&app).await?,
            ..ReplyContext::default()
        },
    };
    if input.customer_message.is_some() {
        context.customer_message = input.customer_message;
    }
    if input.customer_name.is_some() {
        context.customer_name = input.customer_name;
    }
    Ok(Json(analyze_reply(&input.text, &context)))
}

/// The policy library as the coach reads it: when a draft hides behind a rule, the policy it
/// cites lends its rationale and alternatives to the suggestion.
pub async fn policy_notes(app: &App) -> Result<Vec<PolicyNote>, StoreError> {
    Ok(app
        .store
        .policies(&[])
        .await?
        .into_iter()
        .map(|policy| PolicyNote {
            title: policy.title,
            keywords: policy.keywords,
            rationale: policy.rationale,
            alternatives: policy.alternatives,
        })
        .collect())
}

/// What a ticket tells the coach: the customer's latest public message, their name, the open
/// promises of this case (and the customer's own, on no ticket), whether a request for a
/// manager waits, whether the ticket is tagged `complaint`, and the policy library.
pub async fn context_for_ticket(app: &App, ticket_id: i64) -> Result<ReplyContext, StoreError> {
    let ticket = app.store.ticket(ticket_id).await?;
    let messages = app.store.ticket_messages(ticket_id).await?;
    // The promises of this case (or of the customer in general): another ticket's may be a
    // restricted team's, whose words must not reach the coach's findings here.
    let open_promises = app
        .store
        .promises_for(ticket.customer_id, true)
        .await?
        .into_iter()
        .filter(|promise| promise.ticket_id.is_none_or(|id| id == ticket_id))
        .map(|promise| OpenPromise {
            what: promise.what,
            due_at: Some(promise.due_at),
        })
        .collect();
    let escalated = app.store.open_escalation(ticket_id).await?.is_some();
    Ok(ReplyContext {
        open_promises,
        escalated,
        customer_message: messages
            .into_iter()
            .rev()
            .find(|m| m.author.kind == AuthorKind::Customer && m.visibility == Visibility::Public)
            .map(|m| m.text),
        customer_name: Some(app.store.customer(ticket.customer_id).await?.name),
        complaint: ticket
            .tags
            .iter()
            .any(|tag| tag == rapport_domain::ticket::COMPLAINT_TAG),
        policies: policy_notes(app).await?,
    })
}
