//! Tickets and their messages. Every change to a ticket writes its event in the same
//! transaction, and every state change goes through the domain's transition functions.

use crate::customers::{customer_id_by_email, insert_customer};
use crate::events::{self, change};
use crate::organizations::ensure_agent;
use crate::rows::{int, named, opt_int, placeholders, text};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_coach::{ReplyContext, Review, analyze_message, analyze_reply};
use rapport_domain::Job;
use rapport_domain::message::text_to_html;
use rapport_domain::wording::Mail;
use rapport_domain::wording::notes::HandOver;
use rapport_domain::{
    Actor, Author, AuthorKind, Channel, Conversation, Message, Priority, Problem, Ticket,
    Visibility, validate,
};
use serde_json::{Map, Value, json};
use sqlx::any::AnyRow;

/// A deliberate move of a ticket's state, with its rule, lives in the domain.
pub use rapport_domain::ticket::TicketMove;

/// Who a new ticket is for.
pub enum CustomerRef<'a> {
    Id(i64),
    /// Found by address, or created (with `name`, or the address's local part) when unknown.
    Email {
        email: &'a str,
        name: Option<&'a str>,
    },
}

pub struct NewTicket<'a> {
    pub subject: &'a str,
    /// The customer's first message.
    pub body: &'a str,
    pub customer: CustomerRef<'a>,
    pub channel: Channel,
    pub priority: Priority,
    pub tags: &'a [String],
}

/// A change to a ticket's handling. `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct TicketPatch {
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub priority: Option<Priority>,
    pub tags: Option<Vec<String>>,
    /// Required when the ticket moves from one assignee to another (or to nobody).
    pub handover_note: Option<String>,
}

#[derive(Debug, Default)]
pub struct TicketFilter {
    pub conversation: Option<Conversation>,
    pub problem: Option<Problem>,
    pub assignee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub tag: Option<String>,
    /// Only what this agent may see (restricted teams' tickets are for their members).
    pub viewer: Option<rapport_domain::Agent>,
    /// Only tickets older than this id (the previous page's cursor).
    pub before_id: Option<i64>,
    pub limit: u32,
}

pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// The id to pass as `before_id` for the next page; `None` on the last page.
    pub next_before_id: Option<i64>,
}

const TICKET_COLUMNS: &str = "id, subject, customer_id, organization_id, team_id, assignee_id, priority, \
     conversation, problem, channel, insight, resolution_confirmed, closed_reason, created_at, updated_at";
pub(crate) const MESSAGE_COLUMNS: &str = "id, ticket_id, author_kind, author_agent_id, author_customer_id, channel, visibility, \
     body_text, body_html, insight, review, email_message_id, email_from, email_to, email_cc, quoted_text, delivery, \
     delivery_detail, created_at";

/// A JSON column (an insight or a review), `None` when empty.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> StoreResult<Option<T>> {
    match crate::rows::opt_text(row, column)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|err| {
            StoreError::Corrupt(format!(
                "column `{column}` does not hold what it should: {err}"
            ))
        }),
    }
}

fn ticket_from(row: &AnyRow, tags: Vec<String>) -> StoreResult<Ticket> {
    Ok(Ticket {
        id: int(row, "id")?,
        subject: text(row, "subject")?,
        customer_id: int(row, "customer_id")?,
        organization_id: opt_int(row, "organization_id")?,
        team_id: opt_int(row, "team_id")?,
        assignee_id: opt_int(row, "assignee_id")?,
        priority: named(row, "priority")?,
        conversation: named(row, "conversation")?,
        problem: named(row, "problem")?,
        channel: named(row, "channel")?,
        tags,
        insight: json_column(row, "insight")?,
        resolution_confirmed: opt_int(row, "resolution_confirmed")?.map(|v| v != 0),
        closed_reason: crate::rows::opt_text(row, "closed_reason")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

fn email_info(row: &AnyRow) -> StoreResult<Option<rapport_domain::EmailInfo>> {
    let message_id = crate::rows::opt_text(row, "email_message_id")?;
    let from = crate::rows::opt_text(row, "email_from")?;
    if message_id.is_none() && from.is_none() {
        return Ok(None);
    }
    Ok(Some(rapport_domain::EmailInfo {
        message_id,
        from,
        to: json_column::<Vec<String>>(row, "email_to")?.unwrap_or_default(),
        cc: json_column::<Vec<String>>(row, "email_cc")?.unwrap_or_default(),
        delivery: crate::rows::opt_text(row, "delivery")?,
        delivery_detail: crate::rows::opt_text(row, "delivery_detail")?,
    }))
}

pub(crate) fn message_from(row: &AnyRow) -> StoreResult<Message> {
    let kind: AuthorKind = named(row, "author_kind")?;
    let id = match kind {
        AuthorKind::Agent => opt_int(row, "author_agent_id")?,
        AuthorKind::Customer => opt_int(row, "author_customer_id")?,
        AuthorKind::System => None,
    };
    Ok(Message {
        id: int(row, "id")?,
        ticket_id: int(row, "ticket_id")?,
        author: Author { kind, id },
        channel: named(row, "channel")?,
        visibility: named(row, "visibility")?,
        text: text(row, "body_text")?,
        html: text(row, "body_html")?,
        insight: json_column(row, "insight")?,
        review: json_column(row, "review")?,
        email: email_info(row)?,
        quoted_text: crate::rows::opt_text(row, "quoted_text")?,
        attachments: Vec::new(),
        created_at: text(row, "created_at")?,
    })
}

impl Store {
    /// Opens a ticket with the customer's first message. An unknown customer address creates
    /// the customer in the same transaction.
    pub async fn create_ticket(
        &self,
        new: NewTicket<'_>,
        actor: Actor,
    ) -> StoreResult<(Ticket, Vec<Message>)> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let created = create_ticket_in(&mut tx, &now, new, actor).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn ticket(&self, id: i64) -> StoreResult<Ticket> {
        let mut conn = self.pool().acquire().await?;
        load_ticket(&mut conn, id).await
    }

    /// A ticket's messages, oldest first, with their attachments.
    pub async fn ticket_messages(&self, ticket_id: i64) -> StoreResult<Vec<Message>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE ticket_id = $1 ORDER BY id"
        ))
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?;
        let mut messages: Vec<Message> =
            rows.iter().map(message_from).collect::<StoreResult<_>>()?;
        let attachments = sqlx::query(
            "SELECT a.id, a.message_id, a.filename, a.content_type, a.size FROM attachments a \
             JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = $1 ORDER BY a.id",
        )
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?;
        for row in attachments {
            let message_id = int(&row, "message_id")?;
            if let Some(message) = messages.iter_mut().find(|m| m.id == message_id) {
                message.attachments.push(rapport_domain::AttachmentInfo {
                    id: int(&row, "id")?,
                    filename: text(&row, "filename")?,
                    content_type: text(&row, "content_type")?,
                    size: int(&row, "size")?,
                });
            }
        }
        Ok(messages)
    }

    /// Newest tickets first, `filter.limit` at a time. Paging by id keeps pages stable while
    /// new tickets arrive: they have higher ids and never push older ones onto the next page.
    pub async fn list_tickets(&self, filter: &TicketFilter) -> StoreResult<TicketPage> {
        // Each condition appends its clause and its value; `$n` is the value's position.
        enum Arg {
            Int(i64),
            Text(String),
        }
        let mut sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE 1 = 1");
        let mut args: Vec<Arg> = Vec::new();
        let mut push = |sql: &mut String, clause: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
        };
        if let Some(state) = filter.conversation {
            push(
                &mut sql,
                " AND t.conversation = $?",
                Arg::Text(state.as_str().to_owned()),
            );
        }
        if let Some(state) = filter.problem {
            push(
                &mut sql,
                " AND t.problem = $?",
                Arg::Text(state.as_str().to_owned()),
            );
        }
        if let Some(id) = filter.assignee_id {
            push(&mut sql, " AND t.assignee_id = $?", Arg::Int(id));
        }
        if let Some(id) = filter.customer_id {
            push(&mut sql, " AND t.customer_id = $?", Arg::Int(id));
        }
        if let Some(tag) = &filter.tag {
            let clause = " AND EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.ticket_id = t.id AND tt.tag = $?)";
            push(&mut sql, clause, Arg::Text(tag.trim().to_lowercase()));
        }
        if let Some(agent) = &filter.viewer
            && let Some(condition) = crate::inbox::restriction(agent, "$?")
        {
            push(&mut sql, &format!(" AND {condition}"), Arg::Int(agent.id));
        }
        if let Some(id) = filter.before_id {
            push(&mut sql, " AND t.id < $?", Arg::Int(id));
        }
        let limit = i64::from(filter.limit.clamp(1, 100));
        // One more than asked tells whether there is a next page.
        push(
            &mut sql,
            " ORDER BY t.id DESC LIMIT $?",
            Arg::Int(limit + 1),
        );

        let mut query = sqlx::query(&sql);
        for arg in args {
            query = match arg {
                Arg::Int(value) => query.bind(value),
                Arg::Text(value) => query.bind(value),
            };
        }
        let mut rows = query.fetch_all(self.pool()).await?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);

        let ids: Vec<i64> = rows
            .iter()
            .map(|row| int(row, "id"))
            .collect::<StoreResult<_>>()?;
        let mut tags = tags_for(self.pool(), &ids).await?;
        let items: Vec<Ticket> = rows
            .iter()
            .map(|row| {
                let id = int(row, "id")?;
                ticket_from(row, tags.remove(&id).unwrap_or_default())
            })
            .collect::<StoreResult<_>>()?;
        let next_before_id = if has_more {
            items.last().map(|ticket| ticket.id)
        } else {
            None
        };
        Ok(TicketPage {
            items,
            next_before_id,
        })
    }

    /// Changes how a ticket is handled (assignee, team, priority, tags), recording what changed.
    pub async fn update_ticket(
        &self,
        id: i64,
        patch: TicketPatch,
        actor: Actor,
    ) -> StoreResult<Ticket> {
        let tags = patch.tags.as_deref().map(validate::tags).transpose()?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = load_ticket(&mut tx, id).await?;
        let mut after = before.clone();
        if let Some(assignee_id) = patch.assignee_id {
            if let Some(agent_id) = assignee_id {
                ensure_agent(&mut tx, "assignee_id", agent_id).await?;
            }
            after.assignee_id = assignee_id;
        }
        let handover_note = patch
            .handover_note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let handed_over = before.assignee_id.is_some() && before.assignee_id != after.assignee_id;
        if handed_over && handover_note.is_none() {
            return Err(validate::Invalid::new(
                "handover_note",
                "reassigning a ticket needs a hand-over note for the next person: what has been done, what was promised, \
                 what matters to this customer",
            )
            .into());
        }
        if let Some(team_id) = patch.team_id {
            if let Some(team_id) = team_id {
                let found: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
                    .bind(team_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                found.ok_or_else(|| StoreError::unknown("team", "team_id", team_id))?;
            }
            after.team_id = team_id;
        }
        if let Some(priority) = patch.priority {
            after.priority = priority;
        }
        if let Some(tags) = tags {
            after.tags = tags;
        }

        let mut changes = Map::new();
        if before.assignee_id != after.assignee_id {
            changes.insert(
                "assignee_id".into(),
                change(before.assignee_id, after.assignee_id),
            );
        }
        if before.team_id != after.team_id {
            changes.insert("team_id".into(), change(before.team_id, after.team_id));
        }
        if before.priority != after.priority {
            changes.insert("priority".into(), change(before.priority, after.priority));
        }
        if before.tags != after.tags {
            changes.insert("tags".into(), change(&before.tags, &after.tags));
            write_tags(&mut tx, id, &after.tags).await?;
        }
        if changes.is_empty() {
            return Ok(before);
        }
        after.updated_at = now.clone();
        sqlx::query("UPDATE tickets SET assignee_id = $1, team_id = $2, priority = $3, updated_at = $4 WHERE id = $5")
            .bind(after.assignee_id)
            .bind(after.team_id)
            .bind(after.priority.as_str())
            .bind(&after.updated_at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "ticket",
            id,
            "ticket.updated",
            Value::Object(changes),
        )
        .await?;
        if let (true, Some(note)) = (handed_over, handover_note) {
            let body = HandOver { note }.text();
            insert_message(
                &mut tx,
                &now,
                id,
                actor,
                Channel::Note,
                Visibility::Internal,
                &body,
            )
            .await?;
            let handover = json!({
                "assignee_id": change(before.assignee_id, after.assignee_id),
                "note": change(None::<String>, note),
            });
            events::record(
                &mut tx,
                &now,
                actor,
                "ticket",
                id,
                "ticket.handed_over",
                handover,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Adds a message to a ticket and moves its states as the domain says: a customer's
    /// message puts the turn on us and reopens a settled problem; an agent's public reply puts
    /// the turn on the customer; an internal note changes nothing.
    pub async fn add_message(
        &self,
        ticket_id: i64,
        author: Actor,
        channel: Channel,
        visibility: Visibility,
        body: &str,
    ) -> StoreResult<Message> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let message =
            add_message_in(&mut tx, &now, ticket_id, author, channel, visibility, body).await?;
        tx.commit().await?;
        Ok(message)
    }
}

/// Opens a ticket inside the caller's transaction (see [`Store::create_ticket`]).
pub(crate) async fn create_ticket_in(
    tx: &mut Tx,
    now: &str,
    new: NewTicket<'_>,
    actor: Actor,
) -> StoreResult<(Ticket, Vec<Message>)> {
    let subject = validate::line("subject", new.subject, validate::MAX_SUBJECT_CHARS)?;
    let body = validate::body(new.body)?;
    let tags = validate::tags(new.tags)?;
    let customer_id = match &new.customer {
        CustomerRef::Id(id) => {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            found.ok_or_else(|| StoreError::unknown("customer", "customer_id", *id))?
        }
        CustomerRef::Email { email, name } => {
            let email = validate::email(email)?;
            let name = match name {
                Some(name) => validate::line("customer.name", name, validate::MAX_NAME_CHARS)?,
                None => email.split('@').next().unwrap_or_default().to_owned(),
            };
            match customer_id_by_email(tx, &email).await? {
                Some(id) => id,
                None => insert_customer(tx, now, &name, &email, actor).await?,
            }
        }
    };
    let organization_id: Option<i64> =
        sqlx::query_scalar("SELECT organization_id FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_one(&mut **tx)
            .await?;

    let row = sqlx::query(&format!(
            "INSERT INTO tickets (subject, customer_id, organization_id, priority, conversation, problem, channel, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {TICKET_COLUMNS}"
        ))
        .bind(&subject)
        .bind(customer_id)
        .bind(organization_id)
        .bind(new.priority.as_str())
        .bind(Conversation::New.as_str())
        .bind(Problem::Open.as_str())
        .bind(new.channel.as_str())
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
    let mut ticket = ticket_from(&row, tags)?;
    // A new ticket has no tags to clear.
    insert_tags(tx, ticket.id, &ticket.tags).await?;
    let message = insert_message(
        tx,
        now,
        ticket.id,
        Actor::Customer(customer_id),
        new.channel,
        Visibility::Public,
        &body,
    )
    .await?;
    ticket.insight = message.insight.clone();
    events::record(
        tx,
        now,
        actor,
        "ticket",
        ticket.id,
        "ticket.created",
        json!({
            "subject": change(None::<String>, &ticket.subject),
            "customer_id": change(None::<i64>, ticket.customer_id),
            "priority": change(None::<String>, ticket.priority),
            "conversation": change(None::<String>, ticket.conversation),
            "problem": change(None::<String>, ticket.problem),
            "channel": change(None::<String>, ticket.channel),
            "tags": change(None::<Vec<String>>, &ticket.tags),
            "message_id": change(None::<i64>, message.id),
        }),
    )
    .await?;
    Ok((ticket, vec![message]))
}

/// Adds a message inside the caller's transaction (see [`Store::add_message`]).
pub(crate) async fn add_message_in(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    author: Actor,
    channel: Channel,
    visibility: Visibility,
    body: &str,
) -> StoreResult<Message> {
    let body = validate::body(body)?;
    let ticket = load_ticket(tx, ticket_id).await?;
    let message = insert_message(tx, now, ticket_id, author, channel, visibility, &body).await?;

    let author_kind = message.author.kind;
    let conversation = ticket.conversation.after_message(author_kind, visibility);
    let problem = if author_kind == AuthorKind::Customer && visibility == Visibility::Public {
        ticket.problem.after_customer_message()
    } else {
        ticket.problem
    };
    let mut changes = Map::new();
    changes.insert("message_id".into(), change(None::<i64>, message.id));
    changes.insert("visibility".into(), change(None::<String>, visibility));
    if conversation != ticket.conversation {
        changes.insert(
            "conversation".into(),
            change(ticket.conversation, conversation),
        );
    }
    if problem != ticket.problem {
        changes.insert("problem".into(), change(ticket.problem, problem));
    }
    sqlx::query(
        "UPDATE tickets SET conversation = $1, problem = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(conversation.as_str())
    .bind(problem.as_str())
    .bind(&message.created_at)
    .bind(ticket_id)
    .execute(&mut **tx)
    .await?;
    events::record(
        tx,
        now,
        author,
        "ticket",
        ticket_id,
        "message.added",
        Value::Object(changes),
    )
    .await?;
    if problem != ticket.problem && problem == Problem::Open {
        sqlx::query(
            "UPDATE tickets SET resolution_confirmed = NULL, closed_reason = NULL WHERE id = $1",
        )
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
    }
    if author_kind == AuthorKind::Agent && visibility == Visibility::Public {
        let after = Ticket {
            conversation,
            problem,
            ..ticket.clone()
        };
        crate::lifecycle::schedule_waiting_check_ins(tx, now, &after).await?;
        if let Actor::Agent(agent_id) = author {
            crate::escalations::answered_by_reply(tx, now, ticket_id, agent_id).await?;
        }
        crate::promises::keep_by_act(
            tx,
            now,
            ticket.customer_id,
            Some(ticket_id),
            rapport_domain::promise::Act::PublicReply,
            author,
        )
        .await?;
    }
    let health = Job::RecomputeHealth {
        customer_id: ticket.customer_id,
    };
    crate::jobs::enqueue_once(tx, now, &health).await?;
    Ok(message)
}

pub(crate) async fn load_ticket(conn: &mut sqlx::AnyConnection, id: i64) -> StoreResult<Ticket> {
    let row = sqlx::query(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found("ticket", id))?;
    let tags: Vec<String> =
        sqlx::query_scalar("SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    ticket_from(&row, tags)
}

/// Tickets by id with their tags, in the order of `ids` (missing ones left out).
pub(crate) async fn tickets_by_ids(pool: &sqlx::AnyPool, ids: &[i64]) -> StoreResult<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(pool).await?;
    let mut tags = tags_for(pool, ids).await?;
    let mut found = std::collections::HashMap::new();
    for row in &rows {
        let id = int(row, "id")?;
        found.insert(id, ticket_from(row, tags.remove(&id).unwrap_or_default())?);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

async fn tags_for(
    pool: &sqlx::AnyPool,
    ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, Vec<String>>> {
    let mut tags: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(tags);
    }
    let sql = format!(
        "SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN ({}) ORDER BY tag",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    for row in query.fetch_all(pool).await? {
        tags.entry(int(&row, "ticket_id")?)
            .or_default()
            .push(text(&row, "tag")?);
    }
    Ok(tags)
}

async fn write_tags(tx: &mut Tx, ticket_id: i64, tags: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
    insert_tags(tx, ticket_id, tags).await
}

async fn insert_tags(tx: &mut Tx, ticket_id: i64, tags: &[String]) -> StoreResult<()> {
    for tag in tags {
        sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
            .bind(ticket_id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

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

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|err| StoreError::Corrupt(format!("could not encode as JSON: {err}")))
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
