//! What the customer answers to "did this fix it?": through the single-use links in our
//! mail, or in the portal ("this is not fixed yet", "yes, it's fixed"). A "no" reopens the
//! problem with the customer's words, which join the conversation like any message.

use crate::lifecycle::apply_move;
use crate::messages::insert_message;
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, secrets};
use rapport_domain::schedule;
use rapport_domain::ticket::{Answer, TicketMove, WordsSay, words_say};
use rapport_domain::wording::lifecycle::NOT_FIXED_WITHOUT_WORDS;
use rapport_domain::{Actor, AuthorKind, Channel, Problem, Ticket, Visibility};

/// Whether a "did this fix it?" link can still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Open,
    Used,
    /// A newer question replaced it, or the problem moved on.
    Outdated,
}

impl Store {
    /// What a "did this fix it?" link would answer, and whether it can still be used, without
    /// using it (for the page the link opens, which says at once when it no longer applies).
    pub async fn peek_resolution_link(
        &self,
        token: &str,
    ) -> StoreResult<Option<(Answer, LinkState)>> {
        let row = sqlx::query(
            "SELECT ticket_id, answer, used_at, proposed_at FROM resolution_links WHERE token_hash = $1",
        )
        .bind(secrets::digest(token))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let answer = Answer::from_stored(&crate::rows::text(&row, "answer")?);
        if crate::rows::opt_text(&row, "used_at")?.is_some() {
            return Ok(Some((answer, LinkState::Used)));
        }
        let ticket_id = crate::rows::int(&row, "ticket_id")?;
        let mut tx = self.pool().begin().await?;
        let ticket = load_ticket(&mut tx, ticket_id).await?;
        let current = crate::lifecycle::proposed_at(&mut tx, ticket_id).await?;
        tx.rollback().await?;
        let stands = schedule::resolution_question_stands(
            ticket.problem,
            current.as_deref(),
            &crate::rows::text(&row, "proposed_at")?,
        );
        Ok(Some((
            answer,
            if stands {
                LinkState::Open
            } else {
                LinkState::Outdated
            },
        )))
    }

    /// The customer answers "did this fix it?" through a link. Each link works once, and
    /// answering makes the other link of the same question unusable too. "No" reopens the
    /// problem with the customer's words.
    pub async fn answer_resolution(
        &self,
        token: &str,
        comment: Option<&str>,
    ) -> StoreResult<(Answer, Ticket)> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT ticket_id, answer, proposed_at FROM resolution_links WHERE token_hash = $1",
        )
        .bind(secrets::digest(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::not_found("resolution link", "given"));
        };
        let ticket_id = crate::rows::int(&row, "ticket_id")?;
        let proposed_at = crate::rows::text(&row, "proposed_at")?;
        // Answers to one ticket's question wait for each other here; then the link is claimed
        // in one conditional update, so of many presses at once exactly one finds it unused.
        self.lock_row(&mut tx, crate::Locked::Ticket, ticket_id)
            .await?;
        let claimed = sqlx::query(
            "UPDATE resolution_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(&now)
        .bind(secrets::digest(token))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Err(StoreError::Conflict {
                code: "link_used",
                message: "This link has already been used. If the problem is back, simply reply to our last message.".into(),
            });
        }
        let current = crate::lifecycle::proposed_at(&mut tx, ticket_id).await?;
        let ticket = load_ticket(&mut tx, ticket_id).await?;
        if !schedule::resolution_question_stands(ticket.problem, current.as_deref(), &proposed_at) {
            return Err(StoreError::Conflict {
                code: "link_outdated",
                message: "This link belongs to an earlier question and no longer applies. Reply to our last message instead.".into(),
            });
        }
        // Answering uses up the question's other link too.
        sqlx::query(
            "UPDATE resolution_links SET used_at = $1 WHERE ticket_id = $2 AND proposed_at = $3 AND used_at IS NULL",
        )
        .bind(&now)
        .bind(ticket_id)
        .bind(&proposed_at)
        .execute(&mut *tx)
        .await?;
        let customer = Actor::Customer(ticket.customer_id);
        let answer = Answer::from_stored(&crate::rows::text(&row, "answer")?);
        let ticket = match answer {
            Answer::Fixed => {
                let ticket = apply_move(
                    self,
                    &mut tx,
                    &now,
                    ticket_id,
                    &TicketMove::ConfirmResolution,
                    customer,
                )
                .await?;
                if let Some(comment) = comment.map(str::trim).filter(|c| !c.is_empty()) {
                    insert_message(
                        &mut tx,
                        &now,
                        ticket_id,
                        customer,
                        Channel::Portal,
                        Visibility::Public,
                        comment,
                    )
                    .await?;
                    crate::notifications::customer_replied(
                        &mut tx,
                        &now,
                        customer,
                        ticket_id,
                        Channel::Portal,
                    )
                    .await?;
                }
                ticket
            }
            Answer::NotFixed => {
                let words = comment
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .unwrap_or(NOT_FIXED_WITHOUT_WORDS);
                not_fixed_in(self, &mut tx, &now, ticket_id, customer, words).await?
            }
        };
        tx.commit().await?;
        Ok((answer, ticket))
    }

    /// "This is not fixed yet", from the portal.
    pub async fn customer_not_fixed(
        &self,
        ticket_id: i64,
        customer_id: i64,
        words: &str,
    ) -> StoreResult<Ticket> {
        let words = rapport_domain::validate::body(words)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let ticket = not_fixed_in(
            self,
            &mut tx,
            &now,
            ticket_id,
            Actor::Customer(customer_id),
            &words,
        )
        .await?;
        tx.commit().await?;
        Ok(ticket)
    }

    /// The customer confirms, in the portal, that the proposed resolution fixed it.
    pub async fn customer_confirms(&self, ticket_id: i64, customer_id: i64) -> StoreResult<Ticket> {
        self.move_ticket(
            ticket_id,
            TicketMove::ConfirmResolution,
            Actor::Customer(customer_id),
        )
        .await
    }
}

/// The customer says the problem is not fixed: a proposed resolution is rejected, a resolved
/// or closed problem reopens, and their words join the ticket; the turn is ours.
async fn not_fixed_in(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    customer: Actor,
    words: &str,
) -> StoreResult<Ticket> {
    let ticket = load_ticket(tx, ticket_id).await?;
    if ticket.problem != Problem::ResolutionProposed {
        // A customer's message reopens a resolved or closed problem by itself.
        crate::conversation::add_message_in(
            tx,
            now,
            ticket_id,
            customer,
            Channel::Portal,
            Visibility::Public,
            words,
        )
        .await?;
        return load_ticket(tx, ticket_id).await;
    }
    let rejected = apply_move(
        store,
        tx,
        now,
        ticket_id,
        &TicketMove::RejectResolution,
        customer,
    )
    .await?;
    insert_message(
        tx,
        now,
        ticket_id,
        customer,
        Channel::Portal,
        Visibility::Public,
        words,
    )
    .await?;
    crate::notifications::customer_replied(tx, now, customer, ticket_id, Channel::Portal).await?;
    sqlx::query("UPDATE tickets SET conversation = $1 WHERE id = $2")
        .bind(
            rejected
                .conversation
                .after_message(AuthorKind::Customer, Visibility::Public)
                .as_str(),
        )
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
    crate::sla::refresh(tx, now, ticket_id).await?;
    load_ticket(tx, ticket_id).await
}

/// A customer's message in the portal. While a resolution is proposed, their words answer it
/// when they are clear: "that fixed it, thanks" confirms it, "still broken" (or a complaint)
/// reopens the problem, and anything else leaves the question open with their "yes" and "no"
/// still on the page. At any other time it is a customer message like any other.
pub(crate) async fn portal_words_in(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    customer_id: i64,
    body: &str,
) -> StoreResult<(rapport_domain::Message, Option<WordsSay>)> {
    let customer = Actor::Customer(customer_id);
    let body = rapport_domain::validate::body(body)?;
    // Held, so that a "yes" pressed at the same moment is checked against this answer.
    store.lock_row(tx, crate::Locked::Ticket, ticket_id).await?;
    let ticket = load_ticket(tx, ticket_id).await?;
    if ticket.problem != Problem::ResolutionProposed {
        let message = crate::conversation::add_message_in(
            tx,
            now,
            ticket_id,
            customer,
            Channel::Portal,
            Visibility::Public,
            &body,
        )
        .await?;
        return Ok((message, None));
    }
    let said = words_say(&body);
    let answer = match said {
        WordsSay::Fixed => Some(TicketMove::ConfirmResolution),
        WordsSay::NotFixed => Some(TicketMove::RejectResolution),
        WordsSay::Unclear => None,
    };
    if let Some(answer) = answer {
        apply_move(store, tx, now, ticket_id, &answer, customer).await?;
    }
    let message = crate::conversation::add_message_leaving_problem(
        tx,
        now,
        ticket_id,
        customer,
        Channel::Portal,
        Visibility::Public,
        &body,
    )
    .await?;
    Ok((message, Some(said)))
}
