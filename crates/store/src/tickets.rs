//! Tickets and their messages. Every change to a ticket writes its event in the same
//! transaction, and every state change goes through the domain's transition functions.

use crate::rows::{int, named, opt_int, placeholders, text};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::{
    Author, AuthorKind, Channel, Conversation, Message, Priority, Problem, Ticket,
};
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

pub(crate) const TICKET_COLUMNS: &str = "id, subject, customer_id, organization_id, team_id, assignee_id, priority, \
     conversation, problem, channel, insight, resolution_confirmed, closed_reason, created_at, updated_at";
pub(crate) const MESSAGE_COLUMNS: &str = "id, ticket_id, author_kind, author_agent_id, author_customer_id, channel, visibility, \
     body_text, body_html, insight, review, email_message_id, email_from, email_to, email_cc, quoted_text, delivery, \
     delivery_detail, intake_note, created_at";

/// A JSON column (an insight or a review), `None` when empty.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
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

pub(crate) fn ticket_from(row: &AnyRow, tags: Vec<String>) -> StoreResult<Ticket> {
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
        intake_note: crate::rows::opt_text(row, "intake_note")?,
    }))
}

/// A page of a ticket's messages, oldest first.
#[derive(Debug, Clone)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Where the page before this one ends (its messages have smaller ids); `None` when this
    /// page reaches the ticket's first message.
    pub earlier_before_id: Option<i64>,
    /// How many messages the ticket has in all.
    pub total: i64,
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
        self.add_attachments(ticket_id, &mut messages).await?;
        Ok(messages)
    }

    /// The latest `limit` messages of a ticket before message `before_id` (all, without it),
    /// oldest first, with their attachments.
    pub async fn ticket_messages_page(
        &self,
        ticket_id: i64,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<MessagePage> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE ticket_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(ticket_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(self.pool())
        .await?;
        let mut messages: Vec<Message> =
            rows.iter().map(message_from).collect::<StoreResult<_>>()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        messages.reverse();
        self.add_attachments(ticket_id, &mut messages).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE ticket_id = $1")
            .bind(ticket_id)
            .fetch_one(self.pool())
            .await?;
        Ok(MessagePage {
            earlier_before_id: messages.first().map(|m| m.id).filter(|_| more),
            messages,
            total,
        })
    }

    /// Fills in the attachments of `messages` (a run of one ticket's messages, oldest first).
    async fn add_attachments(&self, ticket_id: i64, messages: &mut [Message]) -> StoreResult<()> {
        let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
            return Ok(());
        };
        let attachments = sqlx::query(
            "SELECT a.id, a.message_id, a.filename, a.content_type, a.size FROM attachments a \
             JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = $1 AND m.id >= $2 AND m.id <= $3 ORDER BY a.id",
        )
        .bind(ticket_id)
        .bind(first.id)
        .bind(last.id)
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
        Ok(())
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

pub(crate) async fn tags_for(
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

pub(crate) async fn write_tags(tx: &mut Tx, ticket_id: i64, tags: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(&mut **tx)
        .await?;
    insert_tags(tx, ticket_id, tags).await
}

pub(crate) async fn insert_tags(tx: &mut Tx, ticket_id: i64, tags: &[String]) -> StoreResult<()> {
    for tag in tags {
        sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
            .bind(ticket_id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// One message with its attachments, inside a transaction.
pub(crate) async fn load_message(tx: &mut crate::Tx, id: i64) -> StoreResult<Message> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("message", id))?;
    let mut message = message_from(&row)?;
    let attachments = sqlx::query(
        "SELECT id, filename, content_type, size FROM attachments WHERE message_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    for row in attachments {
        message.attachments.push(rapport_domain::AttachmentInfo {
            id: int(&row, "id")?,
            filename: text(&row, "filename")?,
            content_type: text(&row, "content_type")?,
            size: int(&row, "size")?,
        });
    }
    Ok(message)
}
