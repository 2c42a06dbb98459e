//! Surveys: CSAT (1 to 5) after a problem is resolved, confirmed or not, and NPS (0 to 10) at
//! most once per customer per 90 days, each through a single-use link. A low score opens a
//! follow-up task for the relationship owner, whose outcome is recorded when it is done.

use crate::events::{self, change};
use crate::rows::{int, opt_int, text};
use crate::tasks::{self, NewTask};
use crate::tickets::{insert_message, load_ticket};
use crate::{Store, StoreError, StoreResult, Tx, secrets};
use rapport_domain::Job;
use rapport_domain::TaskKind;
use rapport_domain::{Actor, Channel, Problem, Visibility, validate};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// NPS is asked at most once per customer in this many days.
const NPS_EVERY_DAYS: i64 = 90;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyAnswer {
    pub survey_id: i64,
    pub kind: String,
    pub score: i64,
    /// The follow-up task opened for a low score.
    pub follow_up_task_id: Option<i64>,
}

/// After a resolution: send the CSAT (and the NPS when it is due) to the customer.
pub async fn send(store: &Store, tx: &mut Tx, now: &str, ticket_id: i64) -> StoreResult<()> {
    let ticket = load_ticket(tx, ticket_id).await?;
    if ticket.problem != Problem::Resolved {
        return Ok(());
    }
    let unanswered: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM surveys WHERE ticket_id = $1 AND kind = 'csat' AND answered_at IS NULL",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    if unanswered.is_some() {
        return Ok(());
    }
    let csat = create(tx, now, ticket.customer_id, Some(ticket_id), "csat").await?;
    let nps_since =
        crate::clock::format(store.clock().now() - time::Duration::days(NPS_EVERY_DAYS));
    let recent_nps: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM surveys WHERE customer_id = $1 AND kind = 'nps' AND sent_at > $2 LIMIT 1",
    )
    .bind(ticket.customer_id)
    .bind(&nps_since)
    .fetch_optional(&mut **tx)
    .await?;
    let name = crate::lifecycle::customer_first_name(tx, ticket.customer_id).await?;
    let mut body = format!(
        "Hi {name},\n\nHow did we do with \"{}\"? One click, from 1 (poor) to 5 (excellent), tells us:\n{}/survey/{csat}",
        ticket.subject,
        store.public_url()
    );
    if recent_nps.is_none() {
        let nps = create(tx, now, ticket.customer_id, Some(ticket_id), "nps").await?;
        body.push_str(&format!(
            "\n\nAnd if you have a moment: how likely are you to recommend us to a friend, from 0 to 10?\n{}/survey/{nps}",
            store.public_url()
        ));
    }
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
    Ok(())
}

async fn create(
    tx: &mut Tx,
    now: &str,
    customer_id: i64,
    ticket_id: Option<i64>,
    kind: &str,
) -> StoreResult<String> {
    let token = secrets::generate("");
    sqlx::query("INSERT INTO surveys (customer_id, ticket_id, kind, token_hash, sent_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(customer_id)
        .bind(ticket_id)
        .bind(kind)
        .bind(secrets::digest(&token))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(token)
}

impl Store {
    /// The customer answers a survey through its link; each link answers once.
    pub async fn answer_survey(
        &self,
        token: &str,
        score: i64,
        comment: Option<&str>,
    ) -> StoreResult<SurveyAnswer> {
        self.answer_survey_by_hash(&secrets::digest(token), score, comment)
            .await
    }

    /// The customer rates a resolved ticket in the portal: answers the ticket's open CSAT,
    /// or records a new one.
    pub async fn rate_ticket(
        &self,
        ticket_id: i64,
        score: i64,
        comment: Option<&str>,
    ) -> StoreResult<SurveyAnswer> {
        let ticket = self.ticket(ticket_id).await?;
        if !matches!(
            ticket.problem,
            Problem::Resolved | Problem::ClosedUnresolved
        ) {
            return Err(StoreError::Conflict {
                code: "not_resolved",
                message: "You can rate this ticket once it is resolved.".into(),
            });
        }
        if self.ticket_rating(ticket_id).await?.is_some() {
            return Err(StoreError::Conflict {
                code: "survey_answered",
                message: "You have already rated this ticket. Thank you!".into(),
            });
        }
        let open: Option<String> = sqlx::query_scalar(
            "SELECT token_hash FROM surveys WHERE ticket_id = $1 AND kind = 'csat' AND answered_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?;
        let hash = match open {
            Some(hash) => hash,
            None => {
                let mut tx = self.begin_write().await?;
                let now = self.now();
                let token =
                    create(&mut tx, &now, ticket.customer_id, Some(ticket_id), "csat").await?;
                tx.commit().await?;
                secrets::digest(&token)
            }
        };
        self.answer_survey_by_hash(&hash, score, comment).await
    }

    /// The customer's CSAT score for a ticket, once they have given one.
    pub async fn ticket_rating(&self, ticket_id: i64) -> StoreResult<Option<i64>> {
        let score: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT score FROM surveys WHERE ticket_id = $1 AND kind = 'csat' AND answered_at IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(score.flatten())
    }

    async fn answer_survey_by_hash(
        &self,
        token_hash: &str,
        score: i64,
        comment: Option<&str>,
    ) -> StoreResult<SurveyAnswer> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT id, customer_id, ticket_id, kind, answered_at FROM surveys WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("survey", "given"))?;
        let (id, customer_id, ticket_id, kind) = (
            int(&row, "id")?,
            int(&row, "customer_id")?,
            opt_int(&row, "ticket_id")?,
            text(&row, "kind")?,
        );
        if crate::rows::opt_text(&row, "answered_at")?.is_some() {
            return Err(StoreError::Conflict {
                code: "survey_answered",
                message: "This survey has already been answered. Thank you!".into(),
            });
        }
        let (range, low) = if kind == "csat" {
            (1..=5, score <= 2)
        } else {
            (0..=10, score <= 6)
        };
        if !range.contains(&score) {
            return Err(validate::Invalid::new(
                "score",
                format!("the score is from {} to {}", range.start(), range.end()),
            )
            .into());
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        sqlx::query("UPDATE surveys SET answered_at = $1, score = $2, comment = $3 WHERE id = $4")
            .bind(&now)
            .bind(score)
            .bind(comment)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut follow_up_task_id = None;
        if low {
            let owner = tasks::owner_of(&mut tx, customer_id).await?;
            let name = crate::lifecycle::customer_first_name(&mut tx, customer_id).await?;
            let said = comment
                .map(|c| format!(" and wrote: \"{c}\""))
                .unwrap_or_default();
            let task = tasks::create(
                &mut tx,
                &now,
                NewTask {
                    agent_id: owner,
                    kind: TaskKind::SurveyFollowUp,
                    ticket_id,
                    customer_id: Some(customer_id),
                    title: format!("{name} gave us {score} ({})", kind.to_uppercase()),
                    detail: format!(
                        "{name} scored us {score}{said}. Call or write to understand what went wrong and what would make it \
                         right; record what came of it when you complete this task."
                    ),
                    due_at: &now,
                },
            )
            .await?;
            sqlx::query("UPDATE surveys SET task_id = $1 WHERE id = $2")
                .bind(task)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            follow_up_task_id = Some(task);
        }
        events::record(
            &mut tx,
            &now,
            Actor::Customer(customer_id),
            "customer",
            customer_id,
            "survey.answered",
            json!({ "kind": change(None::<String>, &kind), "score": change(None::<i64>, score) }),
        )
        .await?;
        crate::jobs::enqueue_once(&mut tx, &now, &Job::RecomputeHealth { customer_id }).await?;
        tx.commit().await?;
        Ok(SurveyAnswer {
            survey_id: id,
            kind,
            score,
            follow_up_task_id,
        })
    }
}

/// A survey the customer answered, for the relationship panel.
#[derive(Debug, Clone, Serialize)]
pub struct AnsweredSurvey {
    pub kind: String,
    pub score: i64,
    pub comment: Option<String>,
    pub ticket_id: Option<i64>,
    pub answered_at: String,
}

/// A message in which the customer complained, for the relationship panel.
#[derive(Debug, Clone, Serialize)]
pub struct Complaint {
    pub ticket_id: i64,
    pub subject: String,
    pub excerpt: String,
    pub at: String,
}

impl Store {
    /// The customer's survey answers, newest first.
    pub async fn answered_surveys(&self, customer_id: i64) -> StoreResult<Vec<AnsweredSurvey>> {
        let rows = sqlx::query(
            "SELECT kind, score, comment, ticket_id, answered_at FROM surveys \
             WHERE customer_id = $1 AND answered_at IS NOT NULL ORDER BY answered_at DESC LIMIT 20",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AnsweredSurvey {
                    kind: text(row, "kind")?,
                    score: int(row, "score")?,
                    comment: crate::rows::opt_text(row, "comment")?,
                    ticket_id: opt_int(row, "ticket_id")?,
                    answered_at: text(row, "answered_at")?,
                })
            })
            .collect()
    }

    /// The customer's messages read as complaints (by the insight on each message), newest
    /// first.
    pub async fn complaints(&self, customer_id: i64) -> StoreResult<Vec<Complaint>> {
        let rows = sqlx::query(
            "SELECT m.ticket_id, t.subject, m.body_text, m.created_at FROM messages m JOIN tickets t ON t.id = m.ticket_id \
             WHERE m.author_customer_id = $1 AND m.insight LIKE '%\"complaint\"%' ORDER BY m.id DESC LIMIT 10",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let body = text(row, "body_text")?;
                let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
                let excerpt = if flat.chars().count() > 140 {
                    format!("{}...", flat.chars().take(140).collect::<String>())
                } else {
                    flat
                };
                Ok(Complaint {
                    ticket_id: int(row, "ticket_id")?,
                    subject: text(row, "subject")?,
                    excerpt,
                    at: text(row, "created_at")?,
                })
            })
            .collect()
    }
}
