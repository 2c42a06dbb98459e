//! The conversation's steps: opening a ticket, adding a message and what follows from it
//! (the states move as the domain says, check-ins are scheduled, promises are kept by the act,
//! an escalation is answered, our public replies are queued as mail), and changing how a
//! ticket is handled. Each step is one transaction with its events and jobs.

use crate::agents::ensure_agent;
use crate::customers::{customer_id_by_email, insert_customer};
use crate::events::{self, change};
use crate::messages::insert_message;
use crate::tickets::{
    CustomerRef, NewTicket, TICKET_COLUMNS, TicketPatch, insert_tags, load_ticket, ticket_from,
    write_tags,
};
use crate::{Store, StoreError, StoreResult, Tx};
use rapport_domain::wording::Mail;
use rapport_domain::wording::notes::HandOver;
use rapport_domain::wording::notifications as notification_words;
use rapport_domain::{
    Actor, AuthorKind, Channel, Conversation, Job, Message, NotificationKind, Problem, Ticket,
    Visibility, validate,
};
use serde_json::{Map, Value, json};

/// The event of a message joining a ticket (its changes name the states it moved).
pub const MESSAGE_ADDED: &str = "message.added";

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
        // Two changes of one ticket at once (its tags are rewritten whole) take turns on
        // PostgreSQL, as SQLite's write transaction makes them; otherwise the second
        // rewrite collides with the first one's tags.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM tickets WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        }
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
        if let Some(assignee_id) = after
            .assignee_id
            .filter(|_| before.assignee_id != after.assignee_id)
        {
            let by = crate::notifications::actor_name(&mut tx, actor).await?;
            let text = notification_words::line(&notification_words::Assigned {
                by: &by,
                ticket_id: id,
            });
            crate::notifications::notify(
                &mut tx,
                &now,
                actor,
                assignee_id,
                NotificationKind::Assigned,
                id,
                &text,
            )
            .await?;
        }
        // A new priority may call for another service level.
        crate::sla::refresh(&mut tx, &now, id).await?;
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

    /// Adds an agent's reply or note with files, and for a public reply the CC recipients its
    /// mail goes to (`None`: those of the customer's last mail). The mail carries the files.
    #[expect(
        clippy::too_many_arguments,
        reason = "one step with everything a message can carry"
    )]
    pub async fn add_message_with_files(
        &self,
        ticket_id: i64,
        author: Actor,
        channel: Channel,
        visibility: Visibility,
        body: &str,
        cc: Option<&[String]>,
        files: &[crate::portal::UploadedFile],
    ) -> StoreResult<Message> {
        let cc = cc
            .map(|cc| {
                cc.iter()
                    .map(|address| validate::email(address))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| validate::Invalid::new("cc", err.message))
            })
            .transpose()?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let message =
            add_message_in(&mut tx, &now, ticket_id, author, channel, visibility, body).await?;
        if let Some(cc) = cc {
            sqlx::query(
                "UPDATE messages SET email_cc = $1 WHERE id = $2 AND email_message_id IS NOT NULL",
            )
            .bind(json!(cc).to_string())
            .bind(message.id)
            .execute(&mut *tx)
            .await?;
        }
        crate::portal::attach_all(&mut tx, &self.files, &now, message.id, files).await?;
        let message = crate::tickets::load_message(&mut tx, message.id).await?;
        tx.commit().await?;
        Ok(message)
    }
}

/// How an agent opens a ticket in the workspace.
pub enum Opening<'a> {
    /// The customer called: what they asked for (their first message, by phone), and the
    /// call itself when it is logged in the same step.
    Phone {
        words: &'a str,
        call: Option<PhoneCall<'a>>,
    },
    /// We write first: a mail to the customer, as our first message.
    Email { body: &'a str },
    /// For the team only: an internal note.
    Note { body: &'a str },
}

/// A call logged as the ticket opens.
pub struct PhoneCall<'a> {
    pub direction: crate::calls::CallDirection,
    pub started_at: &'a str,
    pub duration_seconds: i64,
    pub summary: &'a str,
}

/// A ticket an agent opens for a customer, assigned to that agent.
pub struct AgentTicket<'a> {
    pub subject: &'a str,
    pub customer: CustomerRef<'a>,
    pub opening: Opening<'a>,
    pub priority: rapport_domain::Priority,
    pub tags: &'a [String],
}

impl Store {
    /// Opens a ticket for a customer from the workspace, assigned to the agent who opens it:
    /// a phone request (with the call logged), a mail we send first, or a note. One
    /// transaction: the customer (created if the address is new), the ticket, its first
    /// message with what follows from it (a mail queued, check-ins), the call.
    pub async fn open_ticket_as_agent(
        &self,
        new: AgentTicket<'_>,
        agent_id: i64,
    ) -> StoreResult<Ticket> {
        let actor = Actor::Agent(agent_id);
        let (channel, body) = match &new.opening {
            Opening::Phone { words, .. } => (Channel::Phone, *words),
            Opening::Email { body } => (Channel::Email, *body),
            Opening::Note { body } => (Channel::Note, *body),
        };
        let fields = NewTicket {
            subject: new.subject,
            body,
            customer: new.customer,
            channel,
            priority: new.priority,
            tags: new.tags,
        };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        ensure_agent(&mut tx, "assignee_id", agent_id).await?;
        let (mut ticket, body) = insert_ticket(&mut tx, &now, &fields, actor).await?;
        sqlx::query("UPDATE tickets SET assignee_id = $1 WHERE id = $2")
            .bind(agent_id)
            .bind(ticket.id)
            .execute(&mut *tx)
            .await?;
        ticket.assignee_id = Some(agent_id);
        let (author, visibility) = match new.opening {
            Opening::Phone { .. } => (Actor::Customer(ticket.customer_id), Visibility::Public),
            Opening::Email { .. } => (actor, Visibility::Public),
            Opening::Note { .. } => (actor, Visibility::Internal),
        };
        // The customer's words are the first message as with any request; our mail or
        // note follows the `ticket.created` event as a message added, with what it does.
        if let Actor::Customer(_) = author {
            let message =
                insert_message(&mut tx, &now, ticket.id, author, channel, visibility, &body)
                    .await?;
            record_created(&mut tx, &now, &ticket, Some(message.id), actor).await?;
        } else {
            record_created(&mut tx, &now, &ticket, None, actor).await?;
            add_message_in(&mut tx, &now, ticket.id, author, channel, visibility, &body).await?;
        }
        if let Opening::Phone {
            call: Some(call), ..
        } = new.opening
        {
            crate::calls::log_call_in(
                &mut tx,
                &now,
                crate::calls::NewCall {
                    ticket_id: ticket.id,
                    agent_id,
                    direction: call.direction,
                    started_at: call.started_at,
                    duration_seconds: call.duration_seconds,
                    summary: call.summary,
                    agreed: None,
                },
            )
            .await?;
        }
        let ticket = load_ticket(&mut tx, ticket.id).await?;
        tx.commit().await?;
        Ok(ticket)
    }
}

/// Opens a ticket inside the caller's transaction (see [`Store::create_ticket`]).
pub(crate) async fn create_ticket_in(
    tx: &mut Tx,
    now: &str,
    new: NewTicket<'_>,
    actor: Actor,
) -> StoreResult<(Ticket, Vec<Message>)> {
    let (mut ticket, body) = insert_ticket(tx, now, &new, actor).await?;
    let customer_id = ticket.customer_id;
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
    record_created(tx, now, &ticket, Some(message.id), actor).await?;
    Ok((ticket, vec![message]))
}

/// The `ticket.created` event, naming the first message when it is the customer's.
async fn record_created(
    tx: &mut Tx,
    now: &str,
    ticket: &Ticket,
    message_id: Option<i64>,
    actor: Actor,
) -> StoreResult<()> {
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
            "assignee_id": change(None::<i64>, ticket.assignee_id),
            "priority": change(None::<String>, ticket.priority),
            "conversation": change(None::<String>, ticket.conversation),
            "problem": change(None::<String>, ticket.problem),
            "channel": change(None::<String>, ticket.channel),
            "tags": change(None::<Vec<String>>, &ticket.tags),
            "message_id": change(None::<i64>, message_id),
        }),
    )
    .await?;
    crate::sla::refresh(tx, now, ticket.id).await
}

/// The ticket's row and tags, its customer found or created; no message yet. Returns the
/// ticket and the first message's text, checked.
async fn insert_ticket(
    tx: &mut Tx,
    now: &str,
    new: &NewTicket<'_>,
    actor: Actor,
) -> StoreResult<(Ticket, String)> {
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
    let ticket = ticket_from(&row, tags)?;
    // A new ticket has no tags to clear.
    insert_tags(tx, ticket.id, &ticket.tags).await?;
    Ok((ticket, body))
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
    add_message_with(tx, now, ticket_id, author, channel, visibility, body, true).await
}

/// [`add_message_in`], leaving the problem as it is: for a customer's words that already
/// answered a proposed resolution (or left it to be answered).
pub(crate) async fn add_message_leaving_problem(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    author: Actor,
    channel: Channel,
    visibility: Visibility,
    body: &str,
) -> StoreResult<Message> {
    add_message_with(tx, now, ticket_id, author, channel, visibility, body, false).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "the two ways of adding a message share one body"
)]
async fn add_message_with(
    tx: &mut Tx,
    now: &str,
    ticket_id: i64,
    author: Actor,
    channel: Channel,
    visibility: Visibility,
    body: &str,
    customer_reopens: bool,
) -> StoreResult<Message> {
    let body = validate::body(body)?;
    let ticket = load_ticket(tx, ticket_id).await?;
    let message = insert_message(tx, now, ticket_id, author, channel, visibility, &body).await?;

    let author_kind = message.author.kind;
    let conversation = ticket.conversation.after_message(author_kind, visibility);
    let problem = if customer_reopens
        && author_kind == AuthorKind::Customer
        && visibility == Visibility::Public
    {
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
        MESSAGE_ADDED,
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
    if author_kind == AuthorKind::Customer && visibility == Visibility::Public {
        crate::notifications::customer_replied(tx, now, author, ticket_id, channel).await?;
    }
    crate::sla::refresh(tx, now, ticket_id).await?;
    let health = Job::RecomputeHealth {
        customer_id: ticket.customer_id,
    };
    crate::jobs::enqueue_once(tx, now, &health).await?;
    Ok(message)
}
