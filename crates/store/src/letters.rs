//! Letters to management after they arrive (see `escalations::write_letter`): each must be
//! answered within the workspace's time, in business minutes, or it goes one level up the
//! reporting line, as an escalation does; the management inbox lists those waiting on an agent
//! or the people below them; a letter that thanks someone reaches the staff member it is about.

use crate::rows::{int, opt_int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::escalation;
use rapport_domain::timings::LETTER_ANSWER_MINUTES;
use rapport_domain::{Actor, Agent, Job, TaskKind, validate};
use serde::Serialize;
use serde_json::json;

/// The setting holding the management address: mail sent to it (as To or Cc) is a letter to
/// management as well as a message on the customer's ticket.
pub const MANAGEMENT_ADDRESS_SETTING: &str = "management_address";

/// A letter as the management inbox and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Letter {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub ticket_id: Option<i64>,
    pub subject: String,
    pub body: String,
    /// Who it waits on now.
    pub addressed_to: Option<i64>,
    pub addressed_to_name: Option<String>,
    /// By when it must be answered, else it goes one level up.
    pub answer_by: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by: Option<i64>,
    pub answer: Option<String>,
    /// How many times it went up for want of an answer.
    pub level: i64,
    /// It thanks someone: the staff member it is about.
    pub compliment: bool,
    pub about_agent_id: Option<i64>,
    pub created_at: String,
}

const SELECT: &str = "SELECT l.id, l.customer_id, c.name AS customer_name, l.ticket_id, l.subject, l.body, \
     l.addressed_to, a.name AS addressed_to_name, l.answer_by, l.answered_at, l.answered_by, l.answer, \
     l.level, l.compliment, l.about_agent_id, l.created_at \
     FROM letters l JOIN customers c ON c.id = l.customer_id LEFT JOIN agents a ON a.id = l.addressed_to";

fn letter_from(row: &sqlx::any::AnyRow) -> StoreResult<Letter> {
    Ok(Letter {
        id: int(row, "id")?,
        customer_id: int(row, "customer_id")?,
        customer_name: text(row, "customer_name")?,
        ticket_id: opt_int(row, "ticket_id")?,
        subject: text(row, "subject")?,
        body: text(row, "body")?,
        addressed_to: opt_int(row, "addressed_to")?,
        addressed_to_name: opt_text(row, "addressed_to_name")?,
        answer_by: opt_text(row, "answer_by")?,
        answered_at: opt_text(row, "answered_at")?,
        answered_by: opt_int(row, "answered_by")?,
        answer: opt_text(row, "answer")?,
        level: int(row, "level")?,
        compliment: int(row, "compliment")? != 0,
        about_agent_id: opt_int(row, "about_agent_id")?,
        created_at: text(row, "created_at")?,
    })
}

async fn load(tx: &mut Tx, id: i64) -> StoreResult<Letter> {
    let row = sqlx::query(&format!("{SELECT} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("letter", id))?;
    letter_from(&row)
}

/// Starts a new letter's clock and, for a letter that thanks someone, tells them: the
/// deadline to answer it, the job at that deadline, and the staff member's task.
pub(crate) async fn start(
    tx: &mut Tx,
    now: &str,
    id: i64,
    about_agent: Option<i64>,
    compliment: bool,
    customer_name: &str,
) -> StoreResult<()> {
    let by = deadline(tx, now).await?;
    sqlx::query(
        "UPDATE letters SET answer_by = $1, about_agent_id = $2, compliment = $3 WHERE id = $4",
    )
    .bind(&by)
    .bind(about_agent)
    .bind(i64::from(compliment))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    crate::jobs::enqueue(
        tx,
        now,
        &Job::LetterDeadline {
            letter_id: id,
            level: 0,
        },
        &by,
    )
    .await?;
    if let (true, Some(agent_id)) = (compliment, about_agent) {
        let letter = load(tx, id).await?;
        tasks::create(
            tx,
            now,
            NewTask {
                agent_id,
                kind: TaskKind::Letter,
                ticket_id: letter.ticket_id,
                customer_id: Some(letter.customer_id),
                title: format!("{customer_name} wrote to management to thank you"),
                detail: format!("“{}”\n\n{}", letter.subject, letter.body),
                due_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

async fn deadline(tx: &mut Tx, now: &str) -> StoreResult<String> {
    crate::settings::business_deadline_in(tx, now, LETTER_ANSWER_MINUTES).await
}

/// The job at a letter's deadline: unanswered at this level, it goes to the next active person
/// up the chain (or an admin, from the top of a chain that is not one), with a new deadline and
/// a task; when nobody is left it stays, recorded as overdue.
pub async fn deadline_passed(tx: &mut Tx, now: &str, id: i64, level: i64) -> StoreResult<()> {
    let letter = load(tx, id).await?;
    if letter.answered_at.is_some() || letter.level != level {
        return Ok(());
    }
    let staff = crate::agents::load_staff(tx).await?;
    let next = match letter.addressed_to {
        Some(at) => escalation::next_up(&staff, at)
            .or_else(|| staff.first_admin().filter(|admin| *admin != at)),
        None => staff.first_admin(),
    };
    let Some(next) = next else {
        events::record(
            tx,
            now,
            Actor::System,
            "customer",
            letter.customer_id,
            "letter.overdue",
            json!({ "letter_id": id, "subject": letter.subject }),
        )
        .await?;
        return Ok(());
    };
    let by = deadline(tx, now).await?;
    sqlx::query(
        "UPDATE letters SET addressed_to = $1, level = level + 1, answer_by = $2 WHERE id = $3",
    )
    .bind(next)
    .bind(&by)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    crate::jobs::enqueue(
        tx,
        now,
        &Job::LetterDeadline {
            letter_id: id,
            level: level + 1,
        },
        &by,
    )
    .await?;
    tasks::create(
        tx,
        now,
        NewTask {
            agent_id: next,
            kind: TaskKind::Letter,
            ticket_id: letter.ticket_id,
            customer_id: Some(letter.customer_id),
            title: format!(
                "A letter from {} to management is unanswered: “{}”",
                letter.customer_name, letter.subject
            ),
            detail: letter.body.clone(),
            due_at: &by,
        },
    )
    .await?;
    events::record(
        tx,
        now,
        Actor::System,
        "customer",
        letter.customer_id,
        "letter.moved_up",
        json!({
            "letter_id": id,
            "subject": letter.subject,
            "addressed_to": events::change(letter.addressed_to, next),
            "answer_by": by,
        }),
    )
    .await?;
    Ok(())
}

impl Store {
    pub async fn letter(&self, id: i64) -> StoreResult<Letter> {
        let mut tx = self.pool().begin().await?;
        load(&mut tx, id).await
    }

    /// Management answers a letter (how: a call, a mail, a visit, in words). The person it
    /// waits on, anyone above them, or an admin; a letter is answered once.
    pub async fn answer_letter(&self, id: i64, agent: &Agent, answer: &str) -> StoreResult<Letter> {
        let answer = validate::body(answer)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?;
        self.lock_row(&mut tx, crate::Locked::Customer, before.customer_id)
            .await?;
        let letter = load(&mut tx, id).await?;
        if letter.answered_at.is_some() {
            return Err(StoreError::Conflict {
                code: "letter_answered",
                message: "this letter was already answered".to_owned(),
            });
        }
        let staff = crate::agents::load_staff(&mut tx).await?;
        if !escalation::may_acknowledge(&staff, agent, letter.addressed_to) {
            return Err(StoreError::Forbidden(
                "Only the manager the letter waits on, someone above them, or an admin answers it."
                    .to_owned(),
            ));
        }
        sqlx::query(
            "UPDATE letters SET answered_at = $1, answered_by = $2, answer = $3 WHERE id = $4",
        )
        .bind(&now)
        .bind(agent.id)
        .bind(&answer)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "customer",
            letter.customer_id,
            "letter.answered",
            json!({ "letter_id": id, "subject": letter.subject, "answer": answer }),
        )
        .await?;
        let letter = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(letter)
    }

    /// The management inbox: unanswered letters waiting on `agent` or anyone below them,
    /// soonest deadline first, then the latest answered ones.
    pub async fn letters_waiting_on(&self, agent: &Agent) -> StoreResult<Vec<Letter>> {
        let list = self.chain_of(agent.id).await?;
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE l.addressed_to IN ({list}) \
             ORDER BY l.answered_at IS NOT NULL, l.answer_by, l.id DESC LIMIT 200"
        ))
        .fetch_all(self.pool())
        .await?;
        let mut letters = rows
            .iter()
            .map(letter_from)
            .collect::<StoreResult<Vec<_>>>()?;
        self.retain_visible(agent, &mut letters, |l| l.ticket_id)
            .await?;
        Ok(letters)
    }

    /// Letters that thank `agent_ids` between two times, newest first: for coaching.
    pub async fn compliments(
        &self,
        agent_ids: &[i64],
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<Letter>> {
        if agent_ids.is_empty() {
            return Ok(vec![]);
        }
        let list = agent_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE l.compliment = 1 AND l.about_agent_id IN ({list}) \
             AND l.created_at >= $1 AND l.created_at < $2 ORDER BY l.id DESC LIMIT 100"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(letter_from).collect()
    }
}
