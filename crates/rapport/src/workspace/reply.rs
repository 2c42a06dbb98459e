//! Sending a reply or an internal note from the ticket page, with the collision check: if
//! someone else wrote on the ticket since the page was loaded, or another agent is writing a
//! reply right now, the draft comes back with a warning instead of going out twice.

use crate::app::App;
use crate::pages::{PageResult, SignedIn, Upload, WithFiles};
use axum::extract::State;
use axum::response::Response;
use rapport_domain::{Actor, AuthorKind, Channel, Visibility};

/// The composer's fields: `body`, `visibility` (`internal` for a note), `seen_message_id` (the
/// newest message the agent had seen when they started writing), `send_anyway`, `intent`
/// (`check`: show the coach's review instead of sending, for the page without script), and
/// any files.
struct ReplyForm {
    body: String,
    internal: bool,
    seen_message_id: i64,
    send_anyway: bool,
    check: bool,
    /// The saved reply the draft was started from, whose actions follow the send.
    saved_reply_id: Option<i64>,
    /// The copies the agent left ticked, when the composer showed them (`None`: as the
    /// customer's last mail had them).
    cc: Option<Vec<String>>,
}

impl ReplyForm {
    fn of(upload: &Upload) -> ReplyForm {
        ReplyForm {
            body: upload.field("body"),
            internal: upload.field("visibility") == "internal",
            seen_message_id: upload.field("seen_message_id").trim().parse().unwrap_or(0),
            send_anyway: upload.has("send_anyway"),
            check: upload.field("intent") == "check",
            saved_reply_id: upload.field("saved_reply_id").trim().parse().ok(),
            cc: upload.has("cc_shown").then(|| upload.values("cc")),
        }
    }
}

pub async fn reply(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    WithFiles(upload): WithFiles,
) -> PageResult<Response> {
    let form = ReplyForm::of(&upload);
    let ticket = super::visible_ticket(&app, &signed_in.agent, id).await?;
    let internal = form.internal;
    if form.body.trim().is_empty() {
        let why = "The message is empty, so nothing was sent; write something first.".to_owned();
        return super::ticket::show_with_note(&app, signed_in, id, form.body, internal, why).await;
    }
    if form.check {
        let context = crate::coach::context_for_ticket(&app, id).await?;
        let review = rapport_coach::analyze_reply(&form.body, &context);
        return super::ticket::show_with_review(&app, signed_in, id, form.body, review).await;
    }
    let check = !internal && !form.send_anyway;
    if check && let Some(warning) = collision(&app, &signed_in, id, form.seen_message_id).await? {
        return super::ticket::show_with_draft(&app, signed_in, id, form.body, internal, warning)
            .await;
    }
    let (visibility, channel) = if internal {
        (Visibility::Internal, Channel::Note)
    } else if ticket.channel == Channel::Portal {
        (Visibility::Public, Channel::Portal)
    } else {
        (Visibility::Public, Channel::Email)
    };
    let agent_id = signed_in.agent.id;
    let saved = match form.saved_reply_id {
        Some(saved_id) => {
            Some(crate::saved_replies::usable(&app, &signed_in.agent, saved_id).await?)
        }
        None => None,
    };
    app.store
        .add_message_with_files(
            id,
            Actor::Agent(agent_id),
            channel,
            visibility,
            &form.body,
            form.cc.as_deref().filter(|_| !internal),
            &upload.files,
        )
        .await?;
    app.live.composing(id, agent_id, false);
    if let Some(saved) = saved {
        crate::saved_replies::apply_actions(&app, &signed_in.agent, id, &saved.actions).await?;
    }
    let done = if internal {
        "Note added."
    } else {
        "Reply sent."
    };
    Ok(super::back_to_ticket(id, done))
}

/// Why sending now could cross someone else's message, if it could.
async fn collision(
    app: &App,
    signed_in: &SignedIn,
    ticket_id: i64,
    seen_message_id: i64,
) -> PageResult<Option<String>> {
    let me = signed_in.agent.id;
    let names = app.store.agent_names().await?;
    let newer: Vec<_> = app
        .store
        .ticket_messages(ticket_id)
        .await?
        .into_iter()
        .filter(|m| m.id > seen_message_id)
        .filter(|m| !(m.author.kind == AuthorKind::Agent && m.author.id == Some(me)))
        .collect();
    if let Some(message) = newer.last() {
        let who = match message.author.kind {
            AuthorKind::Customer => "The customer".to_owned(),
            AuthorKind::Agent => message
                .author
                .id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "Another agent".to_owned()),
            AuthorKind::System => "Rapport".to_owned(),
        };
        return Ok(Some(format!(
            "{who} wrote on this ticket while you were writing ({} new message{}). Read it above; \
             your draft is kept below. Tick “Send anyway” to send it as it is.",
            newer.len(),
            if newer.len() == 1 { "" } else { "s" }
        )));
    }
    let others: Vec<String> = app
        .live
        .viewers(ticket_id)
        .into_iter()
        .filter(|v| v.agent_id != me && v.composing)
        .map(|v| v.name)
        .collect();
    if !others.is_empty() {
        return Ok(Some(format!(
            "{} is writing a reply on this ticket right now. Agree who answers, or tick “Send anyway”.",
            others.join(" and ")
        )));
    }
    Ok(None)
}
