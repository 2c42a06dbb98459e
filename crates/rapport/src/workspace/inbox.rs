use crate::app::App;
use crate::pages::{PageResult, SignedIn, When, end_of_today, render, words};
use askama::Template;
use axum::extract::{Query, State};
use rapport_domain::Agent;
use rapport_store::inbox::{InboxRow, View};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "workspace/inbox.html")]
struct InboxPage {
    agent: Agent,
    csrf: String,
    query: String,
    heading: String,
    searching: bool,
    views: Vec<ViewLink>,
    rows: Vec<Row>,
    task_count: usize,
}

struct ViewLink {
    key: &'static str,
    title: &'static str,
    count: i64,
    current: bool,
}

struct Row {
    href: String,
    ticket_id: Option<i64>,
    title: String,
    customer_id: i64,
    customer_name: String,
    conversation: Option<String>,
    /// The problem's state for the badge's colour (`resolution_proposed`) and in words.
    problem: Option<(String, String)>,
    priority: Option<String>,
    assignee: Option<String>,
    due: Option<When>,
    due_label: String,
}

impl From<InboxRow> for Row {
    fn from(row: InboxRow) -> Row {
        let href = match row.ticket_id {
            Some(id) => format!("/tickets/{id}"),
            None => format!("/customers/{}", row.customer_id),
        };
        Row {
            href,
            ticket_id: row.ticket_id,
            title: row.title,
            customer_id: row.customer_id,
            customer_name: row.customer_name,
            conversation: row.conversation.as_deref().map(words),
            problem: row.problem.map(|name| {
                let said = words(&name);
                (name, said)
            }),
            priority: row.priority,
            assignee: row.assignee_name,
            due: row.due_at.as_deref().map(When::of),
            due_label: row.due_label,
        }
    }
}

#[derive(Deserialize)]
pub struct InboxQuery {
    view: Option<String>,
    q: Option<String>,
}

/// The inbox: one view of the work (mine by default) with every view's count, or search
/// results when there is a query.
pub async fn show_inbox(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<InboxQuery>,
) -> PageResult {
    let agent = &signed_in.agent;
    let today_end = end_of_today(&app);
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let view = match query.view.as_deref().filter(|name| !name.is_empty()) {
        None => View::Mine,
        Some(name) => name.parse::<View>().map_err(|_| {
            let known: Vec<&str> = View::ALL.iter().map(|view| view.as_str()).collect();
            crate::pages::PageError::not_found(format!(
                "There is no inbox view called “{}”. The views are: {}.",
                name.chars().take(60).collect::<String>(),
                known.join(", ")
            ))
        })?,
    };
    let counts = app.store.inbox_counts(agent, &today_end).await?;
    let (heading, rows) = match search {
        Some(q) => (
            format!("Search: {q}"),
            app.store.search_tickets(agent, q).await?,
        ),
        None => (
            view.title().to_owned(),
            app.store.inbox(agent, view, &today_end).await?,
        ),
    };
    let views = counts
        .into_iter()
        .map(|(each, count)| ViewLink {
            key: each.as_str(),
            title: each.title(),
            count,
            current: search.is_none() && each == view,
        })
        .collect();
    let mut tasks = app.store.tasks_for(signed_in.agent.id, None).await?;
    app.store
        .retain_visible(&signed_in.agent, &mut tasks, |task| task.ticket_id)
        .await?;
    Ok(render(&InboxPage {
        agent: signed_in.agent.clone(),
        csrf: signed_in.csrf,
        query: search.unwrap_or_default().to_owned(),
        heading,
        searching: search.is_some(),
        views,
        rows: rows.into_iter().map(Row::from).collect(),
        task_count: tasks.len(),
    }))
}
