//! The problem lifecycle: a quiet ticket is not a solved problem.
//!
//! - While the problem is open and the ticket waits on the customer, silence produces check-in
//!   tasks for the agent (by default after 2 and 5 business days), never a closed ticket.
//! - A proposed resolution asks the customer "did this fix it?" with two single-use links.
//!   Silence brings gentle check-ins (by default after 3 and 7 days); after the last the
//!   problem is resolved *unconfirmed*, and any reply still reopens it.
//! - Only an agent closes an open problem, as `closed_unresolved`, with a written reason.
//!
//! The rules are the domain's (`rapport_domain::schedule`, `TicketMove::apply`) and the words
//! are templates (`rapport_domain::wording::lifecycle`); here they are loaded and saved.

use crate::events::{self, change};
use crate::messages::insert_message;
use crate::tasks::{self, NewTask};
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, clock, secrets};
use rapport_domain::schedule::{self, DaysSetting};
use rapport_domain::wording::lifecycle::{
    CheckInTask, LastResolutionCheckInMail, ResolutionCheckInMail, ResolutionQuestionMail,
};
use rapport_domain::wording::{Mail, TaskText};
use rapport_domain::{Actor, Channel, Ticket, Visibility};
use rapport_domain::{Job, TaskKind};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

pub use rapport_domain::schedule::{RESOLUTION_CHECK_INS, WAITING_CHECK_INS};
pub use rapport_domain::ticket::Answer;
use rapport_domain::ticket::TicketMove;

/// The days a lifecycle setting lists, read by the domain's rule from the stored text.
async fn setting_days(tx: &mut Tx, setting: DaysSetting) -> StoreResult<Vec<i64>> {
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(setting.0)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(schedule::days(setting, stored.as_deref()))
}

/// When the ticket's current resolution was proposed.
pub(crate) async fn proposed_at(tx: &mut Tx, ticket_id: i64) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT resolution_proposed_at FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_one(&mut **tx)
            .await?,
    )
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
    if !schedule::starts_waiting_check_ins(ticket.conversation, ticket.problem) {
        return Ok(());
    }
    let days = setting_days(tx, WAITING_CHECK_INS).await?;
    let calendar = crate::settings::calendar_in(tx).await?;
    for days in days {
        let run_at = clock::format(calendar.add_business_days(parse(now)?, days));
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
        "SELECT MAX(created_at) FROM messages WHERE ticket_id = $1 AND visibility = $2",
    )
    .bind(ticket_id)
    .bind(Visibility::Public.as_str())
    .fetch_one(&mut **tx)
    .await?;
    if !schedule::waiting_check_in_due(
        ticket.conversation,
        ticket.problem,
        last_public.as_deref(),
        since,
    ) {
        return Ok(());
    }
    let name = crate::customers::customer_first_name(tx, ticket.customer_id).await?;
    let agent =
        crate::escalations::responsible_agent(tx, Some(ticket_id), ticket.customer_id).await?;
    let text = TaskText::of(&CheckInTask {
        name: &name,
        subject: &ticket.subject,
        since_day: since.get(..10).unwrap_or(since),
    });
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: agent,
            kind: TaskKind::CheckIn,
            ticket_id: Some(ticket_id),
            customer_id: Some(ticket.customer_id),
            title: text.title,
            detail: text.detail,
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
    // Two moves at once (a customer pressing "it's fixed" twice) must not both pass the check
    // against the state they read: the second waits and checks against the first's result.
    store.lock_row(tx, crate::Locked::Ticket, id).await?;
    let before = load_ticket(tx, id).await?;
    let mut after = ticket_move.apply(&before)?;
    let mut changes = Map::new();
    if let TicketMove::CloseUnresolved { .. } = ticket_move {
        changes.insert(
            "reason".into(),
            change(None::<String>, after.closed_reason.as_deref()),
        );
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
    crate::sla::refresh(tx, now, id).await?;
    Ok(after)
}

/// Sends the customer "did this fix it?" with a yes link and a no link, and schedules the
/// gentle check-ins.
async fn ask_if_fixed(store: &Store, tx: &mut Tx, now: &str, ticket: &Ticket) -> StoreResult<()> {
    let mut links = Vec::new();
    for answer in Answer::ALL {
        let token = secrets::generate("");
        sqlx::query(
            "INSERT INTO resolution_links (token_hash, ticket_id, answer, proposed_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secrets::digest(&token))
        .bind(ticket.id)
        .bind(answer.as_str())
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        links.push(format!("{}/resolution/{token}", store.public_url()));
    }
    let name = crate::customers::customer_first_name(tx, ticket.customer_id).await?;
    let body = ResolutionQuestionMail {
        name: &name,
        subject: &ticket.subject,
        yes_link: &links[0],
        no_link: &links[1],
    }
    .text();
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

    let days = setting_days(tx, RESOLUTION_CHECK_INS).await?;
    for check_in in schedule::resolution_check_ins(parse(now)?, &days) {
        let run_at = clock::format(check_in.at);
        let job = Job::ResolutionCheckIn {
            ticket_id: ticket.id,
            proposed_at: now.to_owned(),
            last: check_in.last,
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
    let current = self::proposed_at(tx, ticket_id).await?;
    if !schedule::resolution_check_in_due(ticket.problem, current.as_deref(), proposed_at) {
        return Ok(());
    }
    let name = crate::customers::customer_first_name(tx, ticket.customer_id).await?;
    let (name, subject) = (name.as_str(), ticket.subject.as_str());
    let body = if last {
        LastResolutionCheckInMail { name, subject }.text()
    } else {
        ResolutionCheckInMail { name, subject }.text()
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
        sqlx::query("UPDATE tickets SET problem = $1, resolution_confirmed = $2, updated_at = $3 WHERE id = $4")
            .bind(problem.as_str())
            .bind(i64::from(false))
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
        crate::sla::refresh(tx, now, ticket_id).await?;
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

impl Store {
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
}
