//! Saved replies in the API: an agent's own and the shared ones, each answered with the
//! coach's review of its text (filled with sample values), so a cold template is fixed once
//! for everyone; and a saved reply filled for a ticket, ready for the composer.
//!
//! Who may do what: everyone uses the shared replies and their own; shared ones are written
//! and changed by supervisors and admins; another agent's own replies are not found.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use rapport_coach::{ReplyContext, Review, analyze_reply};
use rapport_domain::saved_reply::{self, Actions, Values};
use rapport_domain::{Agent, Role, wording};
use rapport_store::saved_replies::{SavedReply, SavedReplyText};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_saved_replies, create_saved_reply))
        .routes(routes!(
            show_saved_reply,
            update_saved_reply,
            delete_saved_reply
        ))
        .routes(routes!(fill_saved_reply))
}

/// A saved reply with the coach's review of its text.
#[derive(Serialize, ToSchema)]
pub struct SavedReplyView {
    #[serde(flatten)]
    pub saved: SavedReply,
    /// The coach's review of the text, with sample values in the placeholders.
    pub review: Review,
}

impl SavedReplyView {
    pub fn of(saved: SavedReply) -> SavedReplyView {
        let review = review_of(&saved.body);
        SavedReplyView { saved, review }
    }
}

/// The coach reads a saved reply as a customer would get it.
pub fn review_of(body: &str) -> Review {
    let sample = Values::sample();
    let context = ReplyContext {
        customer_name: Some(format!("{} Silva", sample.customer_first_name)),
        ..ReplyContext::default()
    };
    analyze_reply(&saved_reply::fill(body, &sample), &context)
}

#[derive(Serialize, ToSchema)]
pub struct SavedReplyList {
    items: Vec<SavedReplyView>,
}

/// The saved reply, if the agent may use it; another agent's own is not found.
pub async fn usable(app: &App, agent: &Agent, id: i64) -> ApiResult<SavedReply> {
    let saved = app.store.saved_reply(id).await?;
    if saved.owner_id.is_some_and(|owner| owner != agent.id) {
        return Err(rapport_store::StoreError::not_found("saved reply", id).into());
    }
    Ok(saved)
}

/// The saved reply, if the agent may change it: their own, or a shared one for supervisors.
pub async fn changeable(app: &App, auth: &AuthAgent, id: i64) -> ApiResult<SavedReply> {
    changeable_by(app, &auth.0, id).await
}

/// The same, for the pages.
pub async fn changeable_by(app: &App, agent: &Agent, id: i64) -> ApiResult<SavedReply> {
    let saved = usable(app, agent, id).await?;
    if saved.owner_id.is_none() {
        AuthAgent(agent.clone()).require(Role::Supervisor, "Changing a shared saved reply")?;
    }
    Ok(saved)
}

/// The saved replies the agent may use: the shared ones and their own, by title, each with the
/// coach's review.
#[utoipa::path(get, path = "/api/v1/saved-replies", tag = "saved replies", security(("bearer" = [])),
    responses((status = 200, body = SavedReplyList)))]
pub async fn list_saved_replies(
    State(app): State<App>,
    auth: AuthAgent,
) -> ApiResult<Json<SavedReplyList>> {
    let items = app
        .store
        .saved_replies_for(&auth.0)
        .await?
        .into_iter()
        .map(SavedReplyView::of)
        .collect();
    Ok(Json(SavedReplyList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSavedReply {
    title: String,
    /// The text; placeholders: `{{customer.first_name}}`, `{{agent.name}}`,
    /// `{{ticket.number}}`, `{{supervisor.name}}`.
    body: String,
    /// Shared with everyone (needs the supervisor role); otherwise the agent's own.
    #[serde(default)]
    shared: bool,
    /// What sending it also does to the ticket.
    #[serde(default)]
    actions: Actions,
}

/// Save a reply for reuse. The answer has the coach's review of it.
#[utoipa::path(post, path = "/api/v1/saved-replies", tag = "saved replies", security(("bearer" = [])),
    request_body = NewSavedReply,
    responses((status = 201, body = SavedReplyView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_saved_reply(
    State(app): State<App>,
    auth: AuthAgent,
    Json(input): Json<NewSavedReply>,
) -> ApiResult<(StatusCode, Json<SavedReplyView>)> {
    if input.shared {
        auth.require(Role::Supervisor, "Sharing a saved reply with everyone")?;
    }
    let saved = app
        .store
        .create_saved_reply(
            SavedReplyText {
                title: &input.title,
                body: &input.body,
                shared: input.shared,
                actions: input.actions,
            },
            &auth.0,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SavedReplyView::of(saved))))
}

/// One saved reply with the coach's review.
#[utoipa::path(get, path = "/api/v1/saved-replies/{id}", tag = "saved replies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Saved reply id")),
    responses((status = 200, body = SavedReplyView), (status = 404, body = ErrorBody)))]
pub async fn show_saved_reply(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<Json<SavedReplyView>> {
    Ok(Json(SavedReplyView::of(usable(&app, &auth.0, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedReplyChange {
    title: Option<String>,
    body: Option<String>,
    actions: Option<Actions>,
}

/// Change a saved reply: one's own, or a shared one (supervisors and admins).
#[utoipa::path(patch, path = "/api/v1/saved-replies/{id}", tag = "saved replies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Saved reply id")),
    request_body = SavedReplyChange,
    responses((status = 200, body = SavedReplyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_saved_reply(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Json(input): Json<SavedReplyChange>,
) -> ApiResult<Json<SavedReplyView>> {
    let before = changeable(&app, &auth, id).await?;
    let saved = app
        .store
        .update_saved_reply(
            id,
            SavedReplyText {
                title: input.title.as_deref().unwrap_or(&before.title),
                body: input.body.as_deref().unwrap_or(&before.body),
                shared: before.owner_id.is_none(),
                actions: input.actions.unwrap_or(before.actions),
            },
            auth.actor(),
        )
        .await?;
    Ok(Json(SavedReplyView::of(saved)))
}

/// Delete a saved reply: one's own, or a shared one (supervisors and admins).
#[utoipa::path(delete, path = "/api/v1/saved-replies/{id}", tag = "saved replies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Saved reply id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_saved_reply(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    changeable(&app, &auth, id).await?;
    app.store.delete_saved_reply(id, auth.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ForTicket {
    /// The ticket it is for.
    ticket_id: i64,
}

/// A saved reply filled for a ticket.
#[derive(Serialize, ToSchema)]
pub struct FilledReply {
    pub id: i64,
    pub text: String,
    /// What sending it also does to the ticket (send `saved_reply_id` with the message).
    pub actions: Actions,
}

/// A saved reply with its placeholders filled for a ticket (the customer's first name, the
/// agent's name, the ticket's number, the handler's supervisor), for the composer. The coach
/// reviews it there like any draft.
#[utoipa::path(get, path = "/api/v1/saved-replies/{id}/fill", tag = "saved replies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Saved reply id"), ForTicket),
    responses((status = 200, body = FilledReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn fill_saved_reply(
    State(app): State<App>,
    auth: AuthAgent,
    Path(id): Path<i64>,
    Query(query): Query<ForTicket>,
) -> ApiResult<Json<FilledReply>> {
    let saved = usable(&app, &auth.0, id).await?;
    let ticket = crate::tickets::visible_to(&app, &auth, query.ticket_id).await?;
    let text = filled(&app, &auth.0, &saved, &ticket).await?;
    Ok(Json(FilledReply {
        id: saved.id,
        text,
        actions: saved.actions,
    }))
}

/// The saved reply's text for this ticket and agent.
pub async fn filled(
    app: &App,
    agent: &Agent,
    saved: &SavedReply,
    ticket: &rapport_domain::Ticket,
) -> ApiResult<String> {
    let customer = app.store.customer(ticket.customer_id).await?;
    let contacts = app.store.case_contacts(ticket.id).await?;
    let values = Values {
        customer_first_name: wording::first_name(Some(&customer.name)),
        agent_name: agent.name.clone(),
        ticket_number: ticket.id,
        supervisor_name: contacts.supervisor.map(|boss| boss.name),
    };
    Ok(saved_reply::fill(&saved.body, &values))
}

/// Applies what sending a saved reply also does: tags, priority, proposing the resolution.
pub async fn apply_actions(
    app: &App,
    agent: &Agent,
    ticket_id: i64,
    actions: &Actions,
) -> ApiResult<()> {
    if actions.is_empty() {
        return Ok(());
    }
    let ticket = app.store.ticket(ticket_id).await?;
    let actor = rapport_domain::Actor::Agent(agent.id);
    let mut tags = ticket.tags.clone();
    tags.extend(actions.add_tags.iter().cloned());
    let patch = rapport_store::tickets::TicketPatch {
        priority: actions.priority,
        tags: (!actions.add_tags.is_empty()).then_some(tags),
        ..Default::default()
    };
    app.store.update_ticket(ticket_id, patch, actor).await?;
    if actions.propose_resolution && ticket.problem == rapport_domain::Problem::Open {
        app.store
            .move_ticket(
                ticket_id,
                rapport_domain::ticket::TicketMove::ProposeResolution,
                actor,
            )
            .await
            .map_err(ApiError::from)?;
    }
    Ok(())
}
