//! Surveys: CSAT (1 to 5) after a problem is resolved, confirmed or not, and NPS (0 to 10) at
//! most once per customer per 90 days, each through a single-use link. A low score opens a
//! follow-up task for the relationship owner, whose outcome is recorded when it is done.
//!
//! The rules are `rapport_domain::survey` and the words `rapport_domain::wording::surveys`.

use crate::events::{self, change};
use crate::messages::insert_message;
use crate::rows::{int, opt_int, text};
use crate::tasks::{self, NewTask};
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, secrets};
use rapport_domain::survey::{self, AfterResolution, SurveyKind};
use rapport_domain::timings::NPS_EVERY_DAYS;
use rapport_domain::wording::surveys::{SurveyFollowUpTask, SurveyMail};
use rapport_domain::wording::{Mail, TaskText};
use rapport_domain::{Actor, Channel, Job, TaskKind, Visibility};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

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
    let unanswered: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM surveys WHERE ticket_id = $1 AND kind = $2 AND answered_at IS NULL",
    )
    .bind(ticket_id)
    .bind(SurveyKind::Csat.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let every = crate::settings::timing_in(tx, NPS_EVERY_DAYS).await?;
    let nps_since = crate::clock::format(survey::nps_recent_since(store.clock().now(), every));
    let recent_nps: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM surveys WHERE customer_id = $1 AND kind = $2 AND sent_at > $3 LIMIT 1",
    )
    .bind(ticket.customer_id)
    .bind(SurveyKind::Nps.as_str())
    .bind(&nps_since)
    .fetch_optional(&mut **tx)
    .await?;
    let kinds = survey::surveys_after_resolution(AfterResolution {
        problem: ticket.problem,
        csat_unanswered: unanswered.is_some(),
        nps_sent_recently: recent_nps.is_some(),
    });
    let mut links = Vec::new();
    for kind in kinds {
        let token = create(tx, now, ticket.customer_id, Some(ticket_id), kind).await?;
        links.push((kind, format!("{}/survey/{token}", store.public_url())));
    }
    let link = |wanted: SurveyKind| {
        links
            .iter()
            .find(|(kind, _)| *kind == wanted)
            .map(|(_, link)| link.as_str())
    };
    let Some(csat_link) = link(SurveyKind::Csat) else {
        return Ok(());
    };
    let name = crate::customers::customer_first_name(tx, ticket.customer_id).await?;
    let body = SurveyMail {
        name: &name,
        subject: &ticket.subject,
        csat_link,
        nps_link: link(SurveyKind::Nps),
    }
    .text();
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
    kind: SurveyKind,
) -> StoreResult<String> {
    let token = secrets::generate("");
    sqlx::query("INSERT INTO surveys (customer_id, ticket_id, kind, token_hash, sent_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(customer_id)
        .bind(ticket_id)
        .bind(kind.as_str())
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
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let answer = answer_in(&mut tx, &now, &secrets::digest(token), score, comment).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// The customer rates a resolved ticket in the portal: answers the ticket's open CSAT,
    /// or records a new one. Once per ticket, however many ratings arrive at once: they wait
    /// for each other on the ticket's row.
    pub async fn rate_ticket(
        &self,
        ticket_id: i64,
        score: i64,
        comment: Option<&str>,
    ) -> StoreResult<SurveyAnswer> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        self.lock_row(&mut tx, crate::Locked::Ticket, ticket_id)
            .await?;
        let ticket = load_ticket(&mut tx, ticket_id).await?;
        if !survey::can_rate(ticket.problem) {
            return Err(StoreError::Conflict {
                code: "not_resolved",
                message: "You can rate this ticket once it is resolved.".into(),
            });
        }
        if rating_in(&mut tx, ticket_id).await?.is_some() {
            return Err(StoreError::Conflict {
                code: "survey_answered",
                message: "You have already rated this ticket. Thank you!".into(),
            });
        }
        let open: Option<String> = sqlx::query_scalar(
            "SELECT token_hash FROM surveys WHERE ticket_id = $1 AND kind = $2 AND answered_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(ticket_id)
        .bind(SurveyKind::Csat.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let hash = match open {
            Some(hash) => hash,
            None => {
                let token = create(
                    &mut tx,
                    &now,
                    ticket.customer_id,
                    Some(ticket_id),
                    SurveyKind::Csat,
                )
                .await?;
                secrets::digest(&token)
            }
        };
        let answer = answer_in(&mut tx, &now, &hash, score, comment).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// The customer's CSAT score for a ticket, once they have given one.
    pub async fn ticket_rating(&self, ticket_id: i64) -> StoreResult<Option<i64>> {
        let mut conn = self.pool().acquire().await?;
        rating_in(&mut conn, ticket_id).await
    }
}

async fn rating_in(conn: &mut sqlx::AnyConnection, ticket_id: i64) -> StoreResult<Option<i64>> {
    let score: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT score FROM surveys WHERE ticket_id = $1 AND kind = $2 AND answered_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket_id)
    .bind(SurveyKind::Csat.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(score.flatten())
}

/// Answers the survey whose link digests to `token_hash`. The answer is claimed in one
/// conditional update, so of many answers at once exactly one is taken.
async fn answer_in(
    tx: &mut Tx,
    now: &str,
    token_hash: &str,
    score: i64,
    comment: Option<&str>,
) -> StoreResult<SurveyAnswer> {
    let row = sqlx::query(
        "SELECT id, customer_id, ticket_id, kind, answered_at FROM surveys WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("survey", "given"))?;
    let (id, customer_id, ticket_id, kind) = (
        int(&row, "id")?,
        int(&row, "customer_id")?,
        opt_int(&row, "ticket_id")?,
        text(&row, "kind")?,
    );
    let kind: SurveyKind = kind
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("`{kind}` is not a survey kind")))?;
    let answered = || StoreError::Conflict {
        code: "survey_answered",
        message: "This survey has already been answered. Thank you!".into(),
    };
    if crate::rows::opt_text(&row, "answered_at")?.is_some() {
        return Err(answered());
    }
    kind.check_score(score)?;
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    let claimed = sqlx::query(
        "UPDATE surveys SET answered_at = $1, score = $2, comment = $3 WHERE id = $4 AND answered_at IS NULL",
    )
    .bind(now)
    .bind(score)
    .bind(comment)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Err(answered());
    }
    let mut follow_up_task_id = None;
    if kind.is_low(score) {
        let owner = crate::escalations::owner_of(tx, customer_id).await?;
        let name = crate::customers::customer_first_name(tx, customer_id).await?;
        let text = TaskText::of(&SurveyFollowUpTask {
            name: &name,
            kind,
            score,
            comment,
        });
        let task = tasks::create(
            tx,
            now,
            NewTask {
                agent_id: owner,
                kind: TaskKind::SurveyFollowUp,
                ticket_id,
                customer_id: Some(customer_id),
                title: text.title,
                detail: text.detail,
                due_at: now,
            },
        )
        .await?;
        sqlx::query("UPDATE surveys SET task_id = $1 WHERE id = $2")
            .bind(task)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        follow_up_task_id = Some(task);
    }
    events::record(
        tx,
        now,
        Actor::Customer(customer_id),
        "customer",
        customer_id,
        "survey.answered",
        json!({ "kind": change(None::<String>, kind), "score": change(None::<i64>, score) }),
    )
    .await?;
    crate::jobs::enqueue_once(tx, now, &Job::RecomputeHealth { customer_id }).await?;
    Ok(SurveyAnswer {
        survey_id: id,
        kind: kind.as_str().to_owned(),
        score,
        follow_up_task_id,
    })
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
}
