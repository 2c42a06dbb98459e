//! Writing one message row with what Rapport reads in it (the insight on a customer's words,
//! the coach's review of an agent's reply), and queueing it as mail when it is ours and
//! public. What follows from a message (states, check-ins, promises kept) is the
//! conversation's step, in [`crate::conversation`].

use crate::tickets::{MESSAGE_COLUMNS, message_from};
use crate::{StoreError, StoreResult, Tx};
use rapport_coach::{ReplyContext, Review, analyze_message, analyze_reply};
use rapport_domain::message::text_to_html;
use rapport_domain::{Actor, AuthorKind, Channel, Message, Visibility};

/// Inserts a message with what Rapport reads in it: a customer's public message gets its
/// insight (also kept on the ticket as the latest), an agent's public reply gets the coach's
/// review (also kept in countable form for coaching trends). Doing it here means every channel
/// gets it, whatever path the message arrives by.
pub(crate) async fn insert_message(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    author: Actor,
    channel: Channel,
    visibility: Visibility,
    body: &str,
) -> StoreResult<Message> {
    let (agent_id, customer_id, kind) = match author {
        Actor::Agent(id) => (Some(id), None, AuthorKind::Agent),
        Actor::Customer(id) => (None, Some(id), AuthorKind::Customer),
        Actor::System => (None, None, AuthorKind::System),
    };
    let insight = (kind == AuthorKind::Customer && visibility == Visibility::Public)
        .then(|| analyze_message(body));
    let review = match (agent_id, visibility) {
        (Some(_), Visibility::Public) => Some(review_reply(tx, ticket_id, body).await?),
        _ => None,
    };
    let insight_json = insight.as_ref().map(to_json).transpose()?;
    let review_json = review.as_ref().map(to_json).transpose()?;
    let row = sqlx::query(&format!(
        "INSERT INTO messages (ticket_id, author_kind, author_agent_id, author_customer_id, channel, visibility, body_text, body_html, insight, review, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {MESSAGE_COLUMNS}"
    ))
    .bind(ticket_id)
    .bind(kind.as_str())
    .bind(agent_id)
    .bind(customer_id)
    .bind(channel.as_str())
    .bind(visibility.as_str())
    .bind(body)
    .bind(text_to_html(body))
    .bind(&insight_json)
    .bind(&review_json)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let message = message_from(&row)?;
    if let Some(insight_json) = &insight_json {
        sqlx::query("UPDATE tickets SET insight = $1 WHERE id = $2")
            .bind(insight_json)
            .bind(ticket_id)
            .execute(&mut **tx)
            .await?;
    }
    if let (Some(review), Some(agent_id)) = (&review, agent_id) {
        crate::coaching::record_review(tx, message.id, agent_id, review, &message.created_at)
            .await?;
    }
    // Whatever we say publicly reaches the customer by email.
    if kind != AuthorKind::Customer && visibility == Visibility::Public {
        return crate::mail_outbox::queue_outbound(tx, now, message).await;
    }
    Ok(message)
}

/// Reviews an agent's reply with what the ticket knows: the customer's latest message, their
/// name, and whether the ticket is tagged as a complaint.
async fn review_reply(tx: &mut Tx, ticket_id: i64, body: &str) -> StoreResult<Review> {
    let customer_message: Option<String> = sqlx::query_scalar(
        "SELECT body_text FROM messages WHERE ticket_id = $1 AND author_kind = $2 AND visibility = $3 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket_id)
    .bind(AuthorKind::Customer.as_str())
    .bind(Visibility::Public.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let customer_name: Option<String> = sqlx::query_scalar(
        "SELECT c.name FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    let complaint: Option<i64> =
        sqlx::query_scalar("SELECT ticket_id FROM ticket_tags WHERE ticket_id = $1 AND tag = $2")
            .bind(ticket_id)
            .bind(rapport_domain::ticket::COMPLAINT_TAG)
            .fetch_optional(&mut **tx)
            .await?;
    let context = ReplyContext {
        customer_message,
        customer_name,
        complaint: complaint.is_some(),
        ..ReplyContext::default()
    };
    Ok(analyze_reply(body, &context))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|err| StoreError::Corrupt(format!("could not encode as JSON: {err}")))
}
