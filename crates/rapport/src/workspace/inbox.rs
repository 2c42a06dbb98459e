use super::insight::{HIGH_FRUSTRATION, intent_words, mood};
use super::views::{self, PAGE_SIZE, ViewFilters, ViewParams};
use crate::app::App;
use crate::pages::{PageResult, SignedIn, When, render, words};
use crate::search::{SearchParams, cursor_at};
use askama::Template;
use axum::extract::{Query, State};
use rapport_domain::calendar::Calendar;
use rapport_domain::inbox::{Listing, TicketSort};
use rapport_domain::search::SearchQuery;
use rapport_domain::{Agent, Conversation, Problem};
use rapport_store::StoreError;
use rapport_store::inbox::Today;
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
    /// Why the search could not run, in words.
    search_error: Option<String>,
    /// The ticket a query that is only a number names, when the agent may see it.
    numbered: Option<i64>,
    filters: Filters,
    /// The address of the next page of results.
    next_page: Option<String>,
    /// A ticket view's narrowing form, and its bulk actions.
    view_filters: Option<ViewFilters>,
    /// The view's address as shown, to come back to after a bulk action.
    here: String,
    /// Who a bulk action may assign to.
    assignees: Vec<(i64, String)>,
    flash: Option<String>,
}

/// The search's filters as given, to show them again in the form.
struct Filters {
    from: String,
    to: String,
    conversations: Vec<Choice>,
    problems: Vec<Choice>,
}

struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

fn choices(names: impl Iterator<Item = &'static str>, given: &Option<String>) -> Vec<Choice> {
    names
        .map(|value| Choice {
            value,
            label: words(value),
            selected: given.as_deref() == Some(value),
        })
        .collect()
}

struct ViewLink {
    key: &'static str,
    title: &'static str,
    /// In words: "12", or "1,000+".
    count: String,
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
    /// Where a search matched: escaped HTML with the words found in `<mark>`.
    snippet_html: Option<String>,
    /// A marker for a customer who sounds upset ("frustrated"), and what they want.
    mood: Option<&'static str>,
    intents: Vec<&'static str>,
    /// The service level target due first, said briefly, and `ok`, `warn` or `bad`.
    sla: Option<(String, &'static str)>,
}

impl Row {
    /// One inbox line, its due time on the team's clock.
    fn new(row: InboxRow, calendar: &Calendar, now: time::OffsetDateTime) -> Row {
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
            due: row.due_at.as_deref().map(|at| When::on(calendar, at)),
            due_label: row.due_label,
            sla: row.sla_due.as_ref().and_then(|(target, due)| {
                let due = rapport_store::clock::parse(due)?;
                Some(super::service_level::inbox_line(*target, due, now))
            }),
            snippet_html: None,
            mood: row
                .insight
                .as_ref()
                .filter(|i| i.language.analysed && i.frustration >= HIGH_FRUSTRATION)
                .map(|i| mood(i.frustration).0),
            intents: row
                .insight
                .iter()
                .flat_map(|i| i.intents.iter().copied())
                .filter(|intent| {
                    !matches!(
                        intent,
                        rapport_coach::Intent::Praise | rapport_coach::Intent::ConfirmsFix
                    )
                })
                .map(intent_words)
                .collect(),
        }
    }
}

#[derive(Deserialize)]
pub struct InboxQuery {
    view: Option<String>,
    /// What the last change did (a bulk action).
    done: Option<String>,
    #[serde(flatten)]
    search: SearchParams,
    #[serde(flatten)]
    narrowing: ViewParams,
}

/// The inbox: one view of the work (mine by default) with every view's count, or search
/// results when there is a query.
pub async fn show_inbox(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<InboxQuery>,
) -> PageResult {
    let agent = &signed_in.agent;
    let calendar = app.store.calendar().await?;
    let now = app.store.clock().now();
    let today = Today::on(&calendar, now);
    let searching = query.search.has_query();
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
    let counts = app.store.inbox_counts(agent, &today).await?;
    let q = query
        .search
        .q
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut search_error = None;
    let mut numbered = None;
    let mut next_page = None;
    let mut view_filters = None;
    let active = app.store.agents().await?;
    let (heading, rows) = if searching {
        if let Some(number) = SearchQuery::ticket_number(&q) {
            match app.store.ticket(number).await {
                Ok(ticket) if app.store.agent_may_see(agent, &ticket).await? => {
                    numbered = Some(number);
                }
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let rows = match query.search.read() {
            Ok(search) => {
                let page = app
                    .store
                    .search(
                        agent,
                        &search.query,
                        &search.filter,
                        search.offset,
                        search.limit,
                    )
                    .await?;
                next_page = page
                    .next_offset
                    .map(|offset| next_page_address(&query.search, offset));
                page.hits
                    .into_iter()
                    .map(|hit| Row {
                        snippet_html: Some(hit.snippet.html()).filter(|html| !html.is_empty()),
                        ..Row::new(hit.ticket, &calendar, now)
                    })
                    .collect()
            }
            Err(err) => {
                search_error = Some(err.message);
                Vec::new()
            }
        };
        (format!("Search: {q}"), rows)
    } else {
        let narrowing = query.narrowing.narrowing(
            query.search.assignee_id.as_deref(),
            query.search.team_id.as_deref(),
            query.search.organization_id.as_deref(),
        )?;
        let page = app
            .store
            .inbox_page(agent, view, &today, &narrowing, PAGE_SIZE)
            .await?;
        next_page = page
            .next
            .as_ref()
            .map(|next| views::next_address(view.as_str(), &narrowing, next));
        if let Listing::Tickets(filter) = view.listing() {
            view_filters = Some(ViewFilters::new(
                view.as_str(),
                &narrowing,
                &active,
                &app.store.teams().await?,
                page.total,
                TicketSort::default_for(filter.order),
            ));
        }
        (
            view.title().to_owned(),
            page.rows
                .into_iter()
                .map(|row| Row::new(row, &calendar, now))
                .collect(),
        )
    };
    let views = counts
        .into_iter()
        .map(|(each, count)| ViewLink {
            key: each.as_str(),
            title: each.title(),
            count: super::views::count_words(count),
            current: !searching && each == view,
        })
        .collect();
    let mut tasks = app.store.tasks_for(signed_in.agent.id, None).await?;
    app.store
        .retain_visible(&signed_in.agent, &mut tasks, |task| task.ticket_id)
        .await?;
    let given = |value: &Option<String>| value.clone().unwrap_or_default();
    Ok(render(&InboxPage {
        agent: signed_in.agent.clone(),
        csrf: signed_in.csrf,
        query: q,
        heading,
        searching,
        views,
        rows,
        task_count: tasks.len(),
        search_error,
        numbered,
        filters: Filters {
            from: given(&query.search.from),
            to: given(&query.search.to),
            conversations: choices(
                Conversation::ALL.iter().map(|c| c.as_str()),
                &query.search.conversation,
            ),
            problems: choices(
                Problem::ALL.iter().map(|p| p.as_str()),
                &query.search.problem,
            ),
        },
        next_page,
        view_filters,
        here: here(&query),
        flash: query
            .done
            .clone()
            .filter(|d| !d.is_empty() && d.len() < 2000),
        assignees: active.into_iter().map(|a| (a.id, a.name)).collect(),
    }))
}

/// The page's own address, for a bulk action to come back to.
fn here(query: &InboxQuery) -> String {
    match query.view.as_deref().filter(|v| !v.is_empty()) {
        Some(view) => format!("/?view={}", crate::pages::url_escape(view)),
        None => "/".to_owned(),
    }
}

/// The same search from `offset` on.
fn next_page_address(params: &SearchParams, offset: u32) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("q", &params.q),
        ("conversation", &params.conversation),
        ("problem", &params.problem),
        ("assignee_id", &params.assignee_id),
        ("team_id", &params.team_id),
        ("customer_id", &params.customer_id),
        ("organization_id", &params.organization_id),
        ("from", &params.from),
        ("to", &params.to),
        ("limit", &params.limit),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| (name, v))
    })
    .collect();
    let cursor = cursor_at(offset);
    let mut query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    query.push_str("&cursor=");
    query.push_str(&cursor);
    format!("/?{query}")
}
