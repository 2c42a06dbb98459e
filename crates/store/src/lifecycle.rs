//! The problem lifecycle: a quiet ticket is not a solved problem.
//!
//! - While the problem is open and the ticket waits on the customer, silence produces check-in
//!   tasks for the agent (by default after 2 and 5 business days), never a closed ticket.
//! - A proposed resolution asks the customer "did this fix it?" with two single-use links.
//!   Silence brings gentle check-ins (by default after 3 and 7 days); after the last the
//!   problem is resolved *unconfirmed*, and any reply still reopens it.
//! - Only an agent closes an open problem, as `closed_unresolved`, with a written reason.

use crate::events::{self, change};
use crate::tasks::{self, NewTask};
use crate::tickets::{TicketMove, insert_message, load_ticket};
use crate::{Store, StoreError, StoreResult, Tx, clock, secrets};
use rapport_domain::Job;
use rapport_domain::TaskKind;
use rapport_domain::{Actor, Channel, Conversation, Problem, Ticket, Visibility};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime, Weekday};

/// Workspace settings for the timers, with their defaults.
pub const WAITING_CHECK_INS: (&str, &str) = ("waiting_check_in_business_days", "2,5");
pub const RESOLUTION_CHECK_INS: (&str, &str) = ("resolution_check_in_days", "3,7");

async fn day_list(tx: &mut Tx, (key, default): (&str, &str)) -> StoreResult<Vec<i64>> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    let value = value.unwrap_or_else(|| default.to_owned());
    let days: Vec<i64> = value
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .filter(|d| *d > 0)
        .collect();
    Ok(if days.is_empty() {
        default.split(',').filter_map(|d| d.parse().ok()).collect()
    } else {
        days
    })
}

/// `days` business days (Monday to Friday) after `from`.
pub fn add_business_days(from: OffsetDateTime, days: i64) -> OffsetDateTime {
    let mut at = from;
    let mut left = days;
    while left > 0 {
        at += Duration::days(1);
        if !matches!(at.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    at
}

fn parse(at: &str) -> StoreResult<OffsetDateTime> {
    clock::parse(at).ok_or_else(|| StoreError::Corrupt(format!("`{at}` is not a stored time")))
}

/// After an agent's public reply: if the problem is open and the turn is now the customer's,
/// schedule the check-ins.
pub(crate) async fn schedule_waiting_check_ins(
    tx: &mut Tx,
    now: &str,
    ticket: &Ticket,
) -> StoreResult<()> {
    if ticket.conversation != Conversation::WaitingOnCustomer || ticket.problem != Problem::Open {
        return Ok(());
    }
    let since = parse(now)?;
    for days in day_list(tx, WAITING_CHECK_INS).await? {
        let run_at = clock::format(add_business_days(since, days));
        let job = Job::WaitingCheckIn {
            ticket_id: ticket.id,
            since: now.to_owned(),
        };
        crate::jobs::enqueue(tx, now, &job, &run_at).await?;
    }
    Ok(())
}

/// A check-in falls due: if the ticket still waits on the customer since the same reply, with
/// the problem open, hand the agent a task worded as care.
pub async fn waiting_check_in(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    since: &str,
) -> StoreResult<()> {
    let ticket = load_ticket(tx, ticket_id).await?;
    let last_public: Option<String> = sqlx::query_scalar(
        "SELECT MAX(created_at) FROM messages WHERE ticket_id = $1 AND visibility = 'public'",
    )
    .bind(ticket_id)
    .fetch_one(&mut **tx)
    .await?;
    let still_waiting = ticket.conversation == Conversation::WaitingOnCustomer
        && ticket.problem == Problem::Open
        && last_public.as_deref() == Some(since);
    if !still_waiting {
        return Ok(());
    }
    let name = customer_first_name(tx, ticket.customer_id).await?;
    let agent = tasks::responsible_agent(tx, Some(ticket_id), ticket.customer_id).await?;
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: agent,
            kind: TaskKind::CheckIn,
            ticket_id: Some(ticket_id),
            customer_id: Some(ticket.customer_id),
            title: format!("Check in with {name} about \"{}\"", ticket.subject),
            detail: format!(
                "We haven't heard from {name} since our reply on {}. The problem is still open: a short note asking \
                 how it's going, or a call, shows we haven't forgotten them.",
                &since[..10]
            ),
            due_at: now,
        },
    )
    .await?;
    events::record(
        tx,
        now,
        Actor::System,
        "ticket",
        ticket_id,
        "check_in.due",
        json!({ "since": change(None::<String>, since) }),
    )
    .await?;
    Ok(())
}

/// Applies a move and what follows from it, inside the caller's transaction.
pub(crate) async fn apply_move(
    store: &Store,
    tx: &mut Tx,
    now: &str,
    id: i64,
    ticket_move: &TicketMove,
    actor: Actor,
) -> StoreResult<Ticket> {
    let before = load_ticket(tx, id).await?;
    let mut after = before.clone();
    let mut changes = Map::new();
    match ticket_move {
        TicketMove::Hold => after.conversation = before.conversation.hold()?,
        TicketMove::Release => after.conversation = before.conversation.release()?,
        TicketMove::ProposeResolution => after.problem = before.problem.propose_resolution()?,
        TicketMove::ConfirmResolution => {
            after.problem = before.problem.confirm_resolution()?;
            after.resolution_confirmed = Some(true);
        }
        TicketMove::RejectResolution => after.problem = before.problem.reject_resolution()?,
        TicketMove::Reopen => after.problem = before.problem.reopen()?,
        TicketMove::CloseUnresolved { reason } => {
            after.problem = before.problem.close_unresolved(reason)?;
            after.closed_reason = Some(reason.trim().to_owned());
            changes.insert("reason".into(), change(None::<String>, reason.trim()));
        }
    }
    if after.problem == Problem::Open {
        after.resolution_confirmed = None;
        after.closed_reason = None;
    }
    if before.conversation != after.conversation {
        changes.insert(
            "conversation".into(),
            change(before.conversation, after.conversation),
        );
    }
    if before.problem != after.problem {
        changes.insert("problem".into(), change(before.problem, after.problem));
    }
    after.updated_at = now.to_owned();
    let proposed_at = matches!(ticket_move, TicketMove::ProposeResolution).then_some(now);
    sqlx::query(
        "UPDATE tickets SET conversation = $1, problem = $2, updated_at = $3, resolution_confirmed = $4, closed_reason = $5, \
         resolution_proposed_at = COALESCE($6, resolution_proposed_at) WHERE id = $7",
    )
    .bind(after.conversation.as_str())
    .bind(after.problem.as_str())
    .bind(now)
    .bind(after.resolution_confirmed.map(i64::from))
    .bind(&after.closed_reason)
    .bind(proposed_at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    events::record(
        tx,
        now,
        actor,
        "ticket",
        id,
        ticket_move.action(),
        Value::Object(changes),
    )
    .await?;

    match ticket_move {
        TicketMove::ProposeResolution => ask_if_fixed(store, tx, now, &after).await?,
        TicketMove::ConfirmResolution => {
            crate::jobs::enqueue(tx, now, &Job::SendSurveys { ticket_id: id }, now).await?;
        }
        _ => {}
    }
    crate::jobs::enqueue_once(
        tx,
        now,
        &Job::RecomputeHealth {
            customer_id: after.customer_id,
        },
    )
    .await?;
    Ok(after)
}

/// Sends the customer "did this fix it?" with a yes link and a no link, and schedules the
/// gentle check-ins.
async fn ask_if_fixed(store: &Store, tx: &mut Tx, now: &str, ticket: &Ticket) -> StoreResult<()> {
    let mut links = Vec::new();
    for answer in ["yes", "no"] {
        let token = secrets::generate("");
        sqlx::query(
            "INSERT INTO resolution_links (token_hash, ticket_id, answer, proposed_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secrets::digest(&token))
        .bind(ticket.id)
        .bind(answer)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        links.push(format!("{}/resolution/{token}", store.public_url()));
    }
    let name = customer_first_name(tx, ticket.customer_id).await?;
    let body = format!(
        "Hi {name},\n\nWe believe the problem \"{}\" is fixed. Did this fix it for you?\n\n\
         Yes, it's fixed: {}\nNo, not yet: {}\n\nOr simply reply to this message; your words reach the person handling your case.",
        ticket.subject, links[0], links[1]
    );
    insert_message(
        tx,
        now,
        ticket.id,
        Actor::System,
        Channel::Email,
        Visibility::Public,
        &body,
    )
    .await?;

    let days = day_list(tx, RESOLUTION_CHECK_INS).await?;
    let proposed = parse(now)?;
    for (index, day) in days.iter().enumerate() {
        let run_at = clock::format(proposed + Duration::days(*day));
        let job = Job::ResolutionCheckIn {
            ticket_id: ticket.id,
            proposed_at: now.to_owned(),
            last: index + 1 == days.len(),
        };
        crate::jobs::enqueue(tx, now, &job, &run_at).await?;
    }
    Ok(())
}

/// A resolution check-in falls due: if the customer has still not answered the same proposal,
/// write to them gently; after the last one, the problem is resolved unconfirmed.
pub async fn resolution_check_in(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    proposed_at: &str,
    last: bool,
) -> StoreResult<()> {
    let ticket = load_ticket(tx, ticket_id).await?;
    let current: Option<String> =
        sqlx::query_scalar("SELECT resolution_proposed_at FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_one(&mut **tx)
            .await?;
    if ticket.problem != Problem::ResolutionProposed || current.as_deref() != Some(proposed_at) {
        return Ok(());
    }
    let name = customer_first_name(tx, ticket.customer_id).await?;
    let body = if last {
        format!(
            "Hi {name},\n\nWe haven't heard back, so we'll take it that \"{}\" is working for you now. If anything \
             isn't right, just reply, today or months from now, and we'll pick it straight back up.",
            ticket.subject
        )
    } else {
        format!(
            "Hi {name},\n\nJust checking in: is \"{}\" working for you now? If anything still isn't right, simply \
             reply and we'll pick it up. There's no rush and nothing will be closed on you.",
            ticket.subject
        )
    };
    insert_message(
        tx,
        now,
        ticket_id,
        Actor::System,
        Channel::Email,
        Visibility::Public,
        &body,
    )
    .await?;
    if last {
        let problem = ticket.problem.confirm_resolution()?;
        sqlx::query("UPDATE tickets SET problem = $1, resolution_confirmed = 0, updated_at = $2 WHERE id = $3")
            .bind(problem.as_str())
            .bind(now)
            .bind(ticket_id)
            .execute(&mut **tx)
            .await?;
        events::record(
            tx,
            now,
            Actor::System,
            "ticket",
            ticket_id,
            "resolution.unconfirmed",
            json!({ "problem": change(ticket.problem, problem), "confirmed": change(None::<bool>, false) }),
        )
        .await?;
        crate::jobs::enqueue(tx, now, &Job::SendSurveys { ticket_id }, now).await?;
        crate::jobs::enqueue_once(
            tx,
            now,
            &Job::RecomputeHealth {
                customer_id: ticket.customer_id,
            },
        )
        .await?;
    } else {
        events::record(
            tx,
            now,
            Actor::System,
            "ticket",
            ticket_id,
            "resolution.check_in",
            json!({}),
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn customer_first_name(tx: &mut Tx, customer_id: i64) -> StoreResult<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(name
        .and_then(|n| n.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "there".to_owned()))
}

/// What the customer chose with a "did this fix it?" link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Fixed,
    NotFixed,
}

impl Store {
    /// What a "did this fix it?" link would answer, and whether it can still be used, without
    /// using it (for the page the link opens).
    pub async fn peek_resolution_link(&self, token: &str) -> StoreResult<Option<(Answer, bool)>> {
        let row = sqlx::query("SELECT answer, used_at FROM resolution_links WHERE token_hash = $1")
            .bind(secrets::digest(token))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let answer = if crate::rows::text(&row, "answer")? == "yes" {
            Answer::Fixed
        } else {
            Answer::NotFixed
        };
        Ok(Some((
            answer,
            crate::rows::opt_text(&row, "used_at")?.is_none(),
        )))
    }

    /// Applies a state move through the domain's rules; a move that makes no sense from the
    /// ticket's current state is refused with the domain's explanation.
    pub async fn move_ticket(
        &self,
        id: i64,
        ticket_move: TicketMove,
        actor: Actor,
    ) -> StoreResult<Ticket> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let ticket = apply_move(self, &mut tx, &now, id, &ticket_move, actor).await?;
        tx.commit().await?;
        Ok(ticket)
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
        let row = sqlx::query("SELECT ticket_id, answer, proposed_at, used_at FROM resolution_links WHERE token_hash = $1")
            .bind(secrets::digest(token))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::not_found("resolution link", "given"));
        };
        let ticket_id = crate::rows::int(&row, "ticket_id")?;
        let proposed_at = crate::rows::text(&row, "proposed_at")?;
        if crate::rows::opt_text(&row, "used_at")?.is_some() {
            return Err(StoreError::Conflict {
                code: "link_used",
                message: "This link has already been used. If the problem is back, simply reply to our last message.".into(),
            });
        }
        let current: Option<String> =
            sqlx::query_scalar("SELECT resolution_proposed_at FROM tickets WHERE id = $1")
                .bind(ticket_id)
                .fetch_one(&mut *tx)
                .await?;
        let ticket = load_ticket(&mut tx, ticket_id).await?;
        if ticket.problem != Problem::ResolutionProposed
            || current.as_deref() != Some(proposed_at.as_str())
        {
            return Err(StoreError::Conflict {
                code: "link_outdated",
                message: "This link belongs to an earlier question and no longer applies. Reply to our last message instead.".into(),
            });
        }
        sqlx::query(
            "UPDATE resolution_links SET used_at = $1 WHERE ticket_id = $2 AND proposed_at = $3",
        )
        .bind(&now)
        .bind(ticket_id)
        .bind(&proposed_at)
        .execute(&mut *tx)
        .await?;
        let customer = Actor::Customer(ticket.customer_id);
        let answer = if crate::rows::text(&row, "answer")? == "yes" {
            Answer::Fixed
        } else {
            Answer::NotFixed
        };
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
                }
                ticket
            }
            Answer::NotFixed => {
                let words = comment
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .unwrap_or("The customer says it is not fixed yet.");
                not_fixed_in(self, &mut tx, &now, ticket_id, customer, words).await?
            }
        };
        tx.commit().await?;
        Ok((answer, ticket))
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
        crate::tickets::add_message_in(
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
    apply_move(
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
    sqlx::query("UPDATE tickets SET conversation = $1 WHERE id = $2")
        .bind(Conversation::WaitingOnUs.as_str())
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
    load_ticket(tx, ticket_id).await
}

impl Store {
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn business_days_skip_weekends() {
        let friday = datetime!(2026-11-20 10:00 UTC);
        assert_eq!(
            add_business_days(friday, 1),
            datetime!(2026-11-23 10:00 UTC)
        );
        assert_eq!(
            add_business_days(friday, 2),
            datetime!(2026-11-24 10:00 UTC)
        );
        let monday = datetime!(2026-11-23 10:00 UTC);
        assert_eq!(
            add_business_days(monday, 5),
            datetime!(2026-11-30 10:00 UTC)
        );
    }
}
