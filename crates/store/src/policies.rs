//! Policies with reasons (migration `0018_policies`): the library admins write and every agent
//! reads, and the exceptions agents ask for on tickets. An exception names its decider (the
//! requester's supervisor unless another supervisor or admin is chosen), who gets a task and
//! a notification; it is decided once, by one conditional update, and stays as precedent,
//! searchable by policy, words, outcome and date. The rules (limits, who decides) are in
//! [`rapport_domain::policy`].

use crate::rows::{Bound, Built, int, like_escaped, named, opt_int, opt_text, text};
use crate::tasks::{self, NewTask};
use crate::tickets::load_ticket;
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::policy::{self, Cost, ExceptionStatus, Limit, PolicyText};
use rapport_domain::wording::TaskText;
use rapport_domain::wording::notifications as notification_words;
use rapport_domain::wording::policies::PolicyExceptionTask;
use rapport_domain::{Actor, Agent, NotificationKind, TaskKind};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A policy of the library.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Policy {
    pub id: i64,
    pub title: String,
    /// What the policy says.
    pub text: String,
    /// Why it exists, in words an agent can quote to a customer.
    pub rationale: String,
    /// What staff may offer instead.
    pub alternatives: Vec<String>,
    /// Words that show a reply or a ticket is about this policy (the coach reads them).
    pub keywords: Vec<String>,
    /// At most so many approved exceptions per customer in so many days; `null` for none.
    pub limit: Option<Limit>,
    pub created_by: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

const POLICY_COLUMNS: &str = "id, title, body, rationale, alternatives, keywords, limit_count, limit_days, \
                              created_by, created_at, updated_at";

fn policy_from(row: &sqlx::any::AnyRow) -> StoreResult<Policy> {
    let alternatives: Vec<String> = serde_json::from_str(&text(row, "alternatives")?)
        .map_err(|err| StoreError::Corrupt(format!("a policy's alternatives: {err}")))?;
    let keywords = text(row, "keywords")?
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    let limit = match (opt_int(row, "limit_count")?, opt_int(row, "limit_days")?) {
        (Some(count), Some(days)) => Some(Limit { count, days }),
        _ => None,
    };
    Ok(Policy {
        id: int(row, "id")?,
        title: text(row, "title")?,
        text: text(row, "body")?,
        rationale: text(row, "rationale")?,
        alternatives,
        keywords,
        limit,
        created_by: opt_int(row, "created_by")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

/// An exception to a policy, asked on a ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyException {
    pub id: i64,
    pub policy_id: i64,
    pub policy_title: String,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub requested_by: i64,
    pub requested_by_name: String,
    /// Who is named to decide it.
    pub decider_id: i64,
    pub decider_name: String,
    /// Why the case deserves an exception.
    pub reason: String,
    /// What it costs, in minor units (cents) of `currency`.
    pub cost_minor: i64,
    pub currency: String,
    pub status: ExceptionStatus,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: String,
}

const EXCEPTION_SELECT: &str = "SELECT x.id, x.policy_id, p.title AS policy_title, x.ticket_id, x.customer_id, \
     x.requested_by, r.name AS requested_by_name, x.decider_id, d.name AS decider_name, x.reason, \
     x.cost_minor, x.currency, x.status, x.decided_by, x.decided_at, x.decision_note, x.created_at \
     FROM policy_exceptions x JOIN policies p ON p.id = x.policy_id \
     JOIN agents r ON r.id = x.requested_by JOIN agents d ON d.id = x.decider_id \
     JOIN tickets t ON t.id = x.ticket_id";

fn exception_from(row: &sqlx::any::AnyRow) -> StoreResult<PolicyException> {
    Ok(PolicyException {
        id: int(row, "id")?,
        policy_id: int(row, "policy_id")?,
        policy_title: text(row, "policy_title")?,
        ticket_id: int(row, "ticket_id")?,
        customer_id: int(row, "customer_id")?,
        requested_by: int(row, "requested_by")?,
        requested_by_name: text(row, "requested_by_name")?,
        decider_id: int(row, "decider_id")?,
        decider_name: text(row, "decider_name")?,
        reason: text(row, "reason")?,
        cost_minor: int(row, "cost_minor")?,
        currency: text(row, "currency")?,
        status: named(row, "status")?,
        decided_by: opt_int(row, "decided_by")?,
        decided_at: opt_text(row, "decided_at")?,
        decision_note: opt_text(row, "decision_note")?,
        created_at: text(row, "created_at")?,
    })
}

/// What an agent asks for.
#[derive(Debug, Clone)]
pub struct ExceptionRequest<'a> {
    pub ticket_id: i64,
    pub policy_id: i64,
    pub reason: &'a str,
    pub cost_minor: i64,
    pub currency: &'a str,
    /// Who should decide; `None` for the requester's supervisor.
    pub decider_id: Option<i64>,
}

/// Which exceptions to list: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct ExceptionFilter {
    pub policy_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// Words that must all appear in the reason or the decision's note.
    pub words: Vec<String>,
    pub status: Option<ExceptionStatus>,
    /// Asked on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Asked on or before this day (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// Only those waiting on this decider.
    pub decider_id: Option<i64>,
}

/// The words of a search box: runs of letters and digits, lower-cased, at most ten.
pub fn search_words(raw: &str) -> Vec<String> {
    raw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(10)
        .collect()
}

/// The condition that every word appears in one of `columns` (lower-cased), binding from
/// `binds`' next placeholder.
fn words_condition(words: &[String], columns: &[&str], binds: &mut Vec<Bound>) -> Vec<String> {
    words
        .iter()
        .map(|word| {
            binds.push(Bound::Text(format!("%{}%", like_escaped(word))));
            let n = binds.len();
            let any = columns
                .iter()
                .map(|column| format!("LOWER({column}) LIKE ${n} ESCAPE '\\'"))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!("({any})")
        })
        .collect()
}

async fn load_policy(tx: &mut Tx, id: i64) -> StoreResult<Policy> {
    let row = sqlx::query(&format!(
        "SELECT {POLICY_COLUMNS} FROM policies WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("policy", id))?;
    policy_from(&row)
}

async fn load_exception(tx: &mut Tx, id: i64) -> StoreResult<PolicyException> {
    let row = sqlx::query(&format!("{EXCEPTION_SELECT} WHERE x.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("policy exception", id))?;
    exception_from(&row)
}

/// How many exceptions to `policy` the customer had approved in the limit's window.
async fn used_in(
    tx: &mut Tx,
    now: &str,
    policy_id: i64,
    customer_id: i64,
    limit: Limit,
) -> StoreResult<i64> {
    let start = crate::clock::parse(now)
        .map(|at| crate::clock::format(at - time::Duration::days(limit.days)))
        .ok_or_else(|| StoreError::Corrupt(now.to_owned()))?;
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM policy_exceptions WHERE policy_id = $1 AND customer_id = $2 \
         AND status = $3 AND decided_at > $4",
    )
    .bind(policy_id)
    .bind(customer_id)
    .bind(ExceptionStatus::Approved.as_str())
    .bind(&start)
    .fetch_one(&mut **tx)
    .await?;
    Ok(used)
}

fn limit_reached(policy: &Policy, limit: Limit, used: i64) -> StoreError {
    StoreError::Conflict {
        code: "policy_limit_reached",
        message: format!(
            "This customer already had {used} exception{} to \"{}\" approved in the last {} days, the most its limit allows ({} in {} days).",
            if used == 1 { "" } else { "s" },
            policy.title,
            limit.days,
            limit.count,
            limit.days
        ),
    }
}

fn text_row(text: &PolicyText) -> (String, String) {
    (
        serde_json::to_string(&text.alternatives).unwrap_or_else(|_| "[]".to_owned()),
        text.keywords.join(", "),
    )
}

impl Store {
    /// The library, by title; with words, only the policies whose title, text, rationale,
    /// alternatives or keywords hold every word.
    pub async fn policies(&self, words: &[String]) -> StoreResult<Vec<Policy>> {
        let mut binds = Vec::new();
        let conditions = words_condition(
            words,
            &["title", "body", "rationale", "alternatives", "keywords"],
            &mut binds,
        );
        let sql = format!(
            "SELECT {POLICY_COLUMNS} FROM policies {} ORDER BY title, id LIMIT 500",
            if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            }
        );
        let built = Built { sql, binds };
        let rows = built.query().fetch_all(self.pool()).await?;
        rows.iter().map(policy_from).collect()
    }

    pub async fn policy(&self, id: i64) -> StoreResult<Policy> {
        let mut tx = self.pool().begin().await?;
        load_policy(&mut tx, id).await
    }

    pub async fn create_policy(&self, text: PolicyText, actor: Actor) -> StoreResult<Policy> {
        let now = self.now();
        let (alternatives, keywords) = text_row(&text);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO policies (title, body, rationale, alternatives, keywords, limit_count, limit_days, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING {POLICY_COLUMNS}"
        ))
        .bind(&text.title)
        .bind(&text.body)
        .bind(&text.rationale)
        .bind(&alternatives)
        .bind(&keywords)
        .bind(text.limit.map(|l| l.count))
        .bind(text.limit.map(|l| l.days))
        .bind(actor.id())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let policy = policy_from(&row)?;
        events::record(
            &mut tx,
            &now,
            actor,
            "policy",
            policy.id,
            "policy.created",
            json!({
                "title": policy.title,
                "rationale": policy.rationale,
                "alternatives": policy.alternatives,
                "keywords": policy.keywords,
                "limit": policy.limit,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Replaces a policy's text; the event keeps what each changed field was before.
    pub async fn update_policy(
        &self,
        id: i64,
        text: PolicyText,
        actor: Actor,
    ) -> StoreResult<Policy> {
        let now = self.now();
        let (alternatives, keywords) = text_row(&text);
        let mut tx = self.begin_write().await?;
        let before = load_policy(&mut tx, id).await?;
        sqlx::query(
            "UPDATE policies SET title = $1, body = $2, rationale = $3, alternatives = $4, keywords = $5, \
             limit_count = $6, limit_days = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&text.title)
        .bind(&text.body)
        .bind(&text.rationale)
        .bind(&alternatives)
        .bind(&keywords)
        .bind(text.limit.map(|l| l.count))
        .bind(text.limit.map(|l| l.days))
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = load_policy(&mut tx, id).await?;
        let mut changes = serde_json::Map::new();
        let mut note = |field: &str, b: serde_json::Value, a: serde_json::Value| {
            if a != b {
                changes.insert(field.to_owned(), events::change(b, a));
            }
        };
        note("title", json!(before.title), json!(after.title));
        note("text", json!(before.text), json!(after.text));
        note("rationale", json!(before.rationale), json!(after.rationale));
        note(
            "alternatives",
            json!(before.alternatives),
            json!(after.alternatives),
        );
        note("keywords", json!(before.keywords), json!(after.keywords));
        note("limit", json!(before.limit), json!(after.limit));
        events::record(
            &mut tx,
            &now,
            actor,
            "policy",
            id,
            "policy.updated",
            serde_json::Value::Object(changes),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// How many exceptions to the policy the customer had approved within its limit's window
    /// (`None` when the policy has no limit).
    pub async fn policy_used(&self, policy_id: i64, customer_id: i64) -> StoreResult<Option<i64>> {
        let now = self.now();
        let mut tx = self.pool().begin().await?;
        let policy = load_policy(&mut tx, policy_id).await?;
        match policy.limit {
            Some(limit) => Ok(Some(
                used_in(&mut tx, &now, policy_id, customer_id, limit).await?,
            )),
            None => Ok(None),
        }
    }

    /// An agent asks for an exception on a ticket. Its decider gets a task and a
    /// notification; a policy whose limit the customer has reached refuses it.
    pub async fn request_policy_exception(
        &self,
        request: ExceptionRequest<'_>,
        requester: &Agent,
    ) -> StoreResult<PolicyException> {
        let reason = policy::reason(request.reason)?;
        let cost = Cost::new(request.cost_minor, request.currency)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let ticket = load_ticket(&mut tx, request.ticket_id).await?;
        let policy = match load_policy(&mut tx, request.policy_id).await {
            Err(StoreError::NotFound { .. }) => {
                return Err(StoreError::unknown(
                    "policy",
                    "policy_id",
                    request.policy_id,
                ));
            }
            other => other?,
        };
        if let Some(limit) = policy.limit {
            let used = used_in(&mut tx, &now, policy.id, ticket.customer_id, limit).await?;
            if !limit.allows_another(used) {
                return Err(limit_reached(&policy, limit, used));
            }
        }
        let staff = crate::agents::load_staff(&mut tx).await?;
        let decider = policy::decider(&staff, requester.id, request.decider_id)
            .map_err(|why| rapport_domain::Invalid::new("decider_id", why))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO policy_exceptions (policy_id, ticket_id, customer_id, requested_by, decider_id, reason, \
             cost_minor, currency, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(policy.id)
        .bind(ticket.id)
        .bind(ticket.customer_id)
        .bind(requester.id)
        .bind(decider)
        .bind(&reason)
        .bind(cost.minor)
        .bind(&cost.currency)
        .bind(ExceptionStatus::Pending.as_str())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let name = crate::customers::customer_first_name(&mut tx, ticket.customer_id).await?;
        let cost_words = Cost::words(cost.minor, &cost.currency);
        let TaskText { title, detail } = TaskText::of(&PolicyExceptionTask {
            ticket_id: ticket.id,
            by: &requester.name,
            policy: &policy.title,
            name: &name,
            cost: &cost_words,
            reason: &reason,
        });
        tasks::create(
            &mut tx,
            &now,
            NewTask {
                agent_id: decider,
                kind: TaskKind::PolicyException,
                ticket_id: Some(ticket.id),
                customer_id: Some(ticket.customer_id),
                title,
                detail,
                due_at: &now,
            },
        )
        .await?;
        let line = notification_words::line(&notification_words::PolicyException {
            ticket_id: ticket.id,
            by: &requester.name,
            policy: &policy.title,
        });
        crate::notifications::notify(
            &mut tx,
            &now,
            Actor::Agent(requester.id),
            decider,
            NotificationKind::PolicyException,
            ticket.id,
            &line,
        )
        .await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(requester.id),
            "policy_exception",
            id,
            "policy_exception.requested",
            json!({
                "policy_id": policy.id,
                "ticket_id": ticket.id,
                "decider_id": decider,
                "reason": reason,
                "cost_minor": cost.minor,
                "currency": cost.currency,
            }),
        )
        .await?;
        let exception = load_exception(&mut tx, id).await?;
        tx.commit().await?;
        Ok(exception)
    }

    pub async fn policy_exception(&self, id: i64) -> StoreResult<PolicyException> {
        let mut tx = self.pool().begin().await?;
        load_exception(&mut tx, id).await
    }

    /// The named decider (or an admin standing in, never the requester) approves or
    /// declines an exception, once: of two decisions at once, one is taken and the other is
    /// refused. An approval past the policy's limit is refused too.
    pub async fn decide_policy_exception(
        &self,
        id: i64,
        approve: bool,
        note: &str,
        agent: &Agent,
    ) -> StoreResult<PolicyException> {
        let note = policy::decision_note(note)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let found = load_exception(&mut tx, id).await?;
        if !policy::may_decide(agent, found.decider_id, found.requested_by) {
            return Err(StoreError::Forbidden(if agent.id == found.requested_by {
                "You asked for this exception, so someone else decides it: the named decider or an admin.".to_owned()
            } else {
                format!(
                    "{} is named to decide this exception; only they or an admin may.",
                    found.decider_name
                )
            }));
        }
        // Approvals for one customer wait on each other, so a limit is counted once each.
        self.lock_row(&mut tx, crate::Locked::Customer, found.customer_id)
            .await?;
        let status = if approve {
            ExceptionStatus::Approved
        } else {
            ExceptionStatus::Declined
        };
        if approve {
            let policy = load_policy(&mut tx, found.policy_id).await?;
            if let Some(limit) = policy.limit {
                let used = used_in(&mut tx, &now, policy.id, found.customer_id, limit).await?;
                if !limit.allows_another(used) {
                    return Err(limit_reached(&policy, limit, used));
                }
            }
        }
        let done = sqlx::query(
            "UPDATE policy_exceptions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(status.as_str())
        .bind(agent.id)
        .bind(&now)
        .bind(note.as_deref())
        .bind(id)
        .bind(ExceptionStatus::Pending.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let now_is = load_exception(&mut tx, id).await?;
            return Err(StoreError::Conflict {
                code: "exception_decided",
                message: format!(
                    "This exception was already {} by {}; a decision is made once.",
                    match now_is.status {
                        ExceptionStatus::Approved => "approved",
                        _ => "declined",
                    },
                    now_is.decider_name_of_decision()
                ),
            });
        }
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "policy_exception",
            id,
            if approve {
                "policy_exception.approved"
            } else {
                "policy_exception.declined"
            },
            json!({
                "policy_id": found.policy_id,
                "ticket_id": found.ticket_id,
                "status": events::change(ExceptionStatus::Pending, status),
                "note": note,
            }),
        )
        .await?;
        let exception = load_exception(&mut tx, id).await?;
        tx.commit().await?;
        Ok(exception)
    }

    /// Exceptions as precedent, newest first (at most 200), without those on tickets the
    /// agent may not see.
    pub async fn policy_exceptions(
        &self,
        filter: &ExceptionFilter,
        agent: &Agent,
    ) -> StoreResult<Vec<PolicyException>> {
        let mut binds = vec![Bound::Int(agent.id)];
        let mut conditions = vec![crate::inbox::visible(agent)];
        if let Some(policy_id) = filter.policy_id {
            binds.push(Bound::Int(policy_id));
            conditions.push(format!("x.policy_id = ${}", binds.len()));
        }
        if let Some(ticket_id) = filter.ticket_id {
            binds.push(Bound::Int(ticket_id));
            conditions.push(format!("x.ticket_id = ${}", binds.len()));
        }
        if let Some(decider_id) = filter.decider_id {
            binds.push(Bound::Int(decider_id));
            conditions.push(format!("x.decider_id = ${}", binds.len()));
        }
        if let Some(status) = filter.status {
            binds.push(Bound::Text(status.as_str().to_owned()));
            conditions.push(format!("x.status = ${}", binds.len()));
        }
        if let Some(from) = &filter.from {
            binds.push(Bound::Text(from.clone()));
            conditions.push(format!("x.created_at >= ${}", binds.len()));
        }
        if let Some(to) = &filter.to {
            // Times are stored as `YYYY-MM-DDTHH:...Z`: all of that day sorts below `T99`.
            binds.push(Bound::Text(format!("{to}T99")));
            conditions.push(format!("x.created_at < ${}", binds.len()));
        }
        conditions.extend(words_condition(
            &filter.words,
            &["x.reason", "COALESCE(x.decision_note, '')"],
            &mut binds,
        ));
        let built = Built {
            sql: format!(
                "{EXCEPTION_SELECT} WHERE {} ORDER BY x.created_at DESC, x.id DESC LIMIT 200",
                conditions.join(" AND ")
            ),
            binds,
        };
        let rows = built.query().fetch_all(self.pool()).await?;
        rows.iter().map(exception_from).collect()
    }
}

impl PolicyException {
    fn decider_name_of_decision(&self) -> String {
        match self.decided_by {
            Some(id) if id == self.decider_id => self.decider_name.clone(),
            Some(_) => "an admin".to_owned(),
            None => "someone".to_owned(),
        }
    }
}
