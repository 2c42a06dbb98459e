//! Policies in the workspace: `/policies` (the library, searched by words; admins add one),
//! `/policies/{id}` (the rule, its reason to quote, the alternatives, the limit, recent
//! exceptions; admins change it), the ticket page's card that asks for an exception,
//! `/exceptions` (precedent: search by policy, words, outcome and day) and
//! `/exceptions/{id}` (one exception, with the decision form for its named decider or an
//! admin). The same store steps as `/api/v1/policies` and `/api/v1/policy-exceptions`.

use crate::app::App;
use crate::pages::{Id, PageError, PageResult, SignedIn, Submitted, When, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::policy::{self, Cost, ExceptionStatus, Limit, PolicyText};
use rapport_domain::{Actor, Agent, Role};
use rapport_store::policies::{ExceptionRequest, Policy, PolicyException, search_words};
use serde::Deserialize;

/// An exception as the pages list it.
pub struct ExceptionLine {
    pub id: i64,
    pub policy_id: i64,
    pub policy_title: String,
    pub ticket_id: i64,
    pub requested_by: String,
    pub decider: String,
    pub reason: String,
    pub cost: String,
    pub outcome: &'static str,
    pub outcome_class: &'static str,
    pub note: Option<String>,
    pub asked: When,
    pub decided: Option<When>,
}

/// An exception's outcome as people say it.
fn outcome_words(status: ExceptionStatus) -> (&'static str, &'static str) {
    match status {
        ExceptionStatus::Pending => ("waiting for a decision", "warn"),
        ExceptionStatus::Approved => ("approved", "ok"),
        ExceptionStatus::Declined => ("declined", "bad"),
    }
}

impl ExceptionLine {
    fn new(exception: PolicyException, calendar: &rapport_domain::calendar::Calendar) -> Self {
        let (outcome, outcome_class) = outcome_words(exception.status);
        ExceptionLine {
            id: exception.id,
            policy_id: exception.policy_id,
            policy_title: exception.policy_title,
            ticket_id: exception.ticket_id,
            requested_by: exception.requested_by_name,
            decider: exception.decider_name,
            reason: exception.reason,
            cost: Cost::words(exception.cost_minor, &exception.currency),
            outcome,
            outcome_class,
            note: exception.decision_note,
            asked: When::on(calendar, &exception.created_at),
            decided: exception
                .decided_at
                .as_deref()
                .map(|at| When::on(calendar, at)),
        }
    }
}

/// What the ticket page shows of policies: the ticket's exceptions and the form to ask one.
pub struct TicketPolicies {
    pub exceptions: Vec<ExceptionLine>,
    /// `(id, title)` of every policy.
    pub policies: Vec<(i64, String)>,
    /// `(id, name)` of the supervisors and admins who may decide, the agent left out.
    pub deciders: Vec<(i64, String)>,
}

pub async fn for_ticket(app: &App, agent: &Agent, ticket_id: i64) -> PageResult<TicketPolicies> {
    let calendar = app.store.calendar().await?;
    let filter = rapport_store::policies::ExceptionFilter {
        ticket_id: Some(ticket_id),
        ..Default::default()
    };
    let exceptions = app
        .store
        .policy_exceptions(&filter, agent)
        .await?
        .into_iter()
        .map(|e| ExceptionLine::new(e, &calendar))
        .collect();
    let policies = app
        .store
        .policies(&[])
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    Ok(TicketPolicies {
        exceptions,
        policies,
        deciders: deciders(app, agent).await?,
    })
}

async fn deciders(app: &App, agent: &Agent) -> PageResult<Vec<(i64, String)>> {
    Ok(app
        .store
        .agents()
        .await?
        .into_iter()
        .filter(|a| a.id != agent.id && matches!(a.role, Role::Supervisor | Role::Admin))
        .map(|a| (a.id, a.name))
        .collect())
}

#[derive(Template)]
#[template(path = "workspace/policies.html")]
struct PoliciesPage {
    agent: Agent,
    csrf: String,
    query: String,
    words: String,
    policies: Vec<Policy>,
    is_admin: bool,
    flash: Option<String>,
}

#[derive(Deserialize)]
pub struct PoliciesQuery {
    q: Option<String>,
    done: Option<String>,
}

fn limit_words(limit: &Option<Limit>) -> String {
    match limit {
        Some(limit) => format!(
            "At most {} exception{} per customer in {} days.",
            limit.count,
            if limit.count == 1 { "" } else { "s" },
            limit.days
        ),
        None => "No limit per customer.".to_owned(),
    }
}

fn flash(done: Option<String>) -> Option<String> {
    done.filter(|d| !d.is_empty() && d.len() < 200)
}

pub async fn show_policies(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<PoliciesQuery>,
) -> PageResult {
    let words = query.q.unwrap_or_default();
    if words.chars().count() > 500 {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The search is longer than 500 characters; a few words will do.",
        ));
    }
    let policies = app.store.policies(&search_words(&words)).await?;
    Ok(render(&PoliciesPage {
        is_admin: signed_in.agent.role == Role::Admin,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        words,
        policies,
        flash: flash(query.done),
    }))
}

/// A policy as the form sends it: alternatives one per line, keywords separated by commas,
/// the limit's two numbers blank for none.
#[derive(Deserialize)]
pub struct PolicyForm {
    title: String,
    text: String,
    rationale: String,
    #[serde(default)]
    alternatives: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    limit_count: String,
    #[serde(default)]
    limit_days: String,
}

fn number(label: &str, raw: &str) -> PageResult<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{label}: “{raw}” is not a whole number."),
        )
    })
}

impl PolicyForm {
    fn checked(&self) -> PageResult<PolicyText> {
        let limit = Limit::new(
            number("The limit", &self.limit_count)?,
            number("The limit's days", &self.limit_days)?,
        )
        .map_err(rapport_store::StoreError::from)?;
        Ok(PolicyText::new(
            &self.title,
            &self.text,
            &self.rationale,
            &policy::lines(&self.alternatives),
            &policy::comma_list(&self.keywords),
            limit,
        )
        .map_err(rapport_store::StoreError::from)?)
    }
}

fn admin_writes(signed_in: &SignedIn) -> PageResult<()> {
    if signed_in.agent.role == Role::Admin {
        return Ok(());
    }
    Err(PageError::forbidden(
        "Admins write the policies; every agent reads them. Ask an admin to change one.",
    ))
}

fn to(path: &str, done: &str) -> Response {
    Redirect::to(&format!("{path}?done={}", crate::pages::url_escape(done))).into_response()
}

pub async fn create_policy(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(form): Submitted<PolicyForm>,
) -> PageResult<Response> {
    admin_writes(&signed_in)?;
    let policy = app
        .store
        .create_policy(form.checked()?, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(to(
        &format!("/policies/{}", policy.id),
        "The policy is in the library.",
    ))
}

#[derive(Template)]
#[template(path = "workspace/policy.html")]
struct PolicyPage {
    agent: Agent,
    csrf: String,
    query: String,
    policy: Policy,
    limit: String,
    alternatives_text: String,
    keywords_text: String,
    limit_count: String,
    limit_days: String,
    recent: Vec<ExceptionLine>,
    is_admin: bool,
    flash: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show_policy(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let policy = app.store.policy(id).await?;
    let calendar = app.store.calendar().await?;
    let filter = rapport_store::policies::ExceptionFilter {
        policy_id: Some(id),
        ..Default::default()
    };
    let recent = app
        .store
        .policy_exceptions(&filter, &signed_in.agent)
        .await?
        .into_iter()
        .take(10)
        .map(|e| ExceptionLine::new(e, &calendar))
        .collect();
    Ok(render(&PolicyPage {
        is_admin: signed_in.agent.role == Role::Admin,
        limit: limit_words(&policy.limit),
        alternatives_text: policy.alternatives.join("\n"),
        keywords_text: policy.keywords.join(", "),
        limit_count: policy
            .limit
            .map(|l| l.count.to_string())
            .unwrap_or_default(),
        limit_days: policy.limit.map(|l| l.days.to_string()).unwrap_or_default(),
        policy,
        recent,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        flash: flash(query.done),
    }))
}

pub async fn update_policy(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(form): Submitted<PolicyForm>,
) -> PageResult<Response> {
    admin_writes(&signed_in)?;
    app.store
        .update_policy(id, form.checked()?, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(to(&format!("/policies/{id}"), "The policy is changed."))
}

/// The ticket page's request: the policy, why, what it costs, who decides.
#[derive(Deserialize)]
pub struct ExceptionForm {
    policy: String,
    reason: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    decider: String,
}

pub async fn request_exception(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(ticket_id): Id,
    Submitted(form): Submitted<ExceptionForm>,
) -> PageResult<Response> {
    super::visible_ticket(&app, &signed_in.agent, ticket_id).await?;
    let unprocessable = |message: &str| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let policy_id: i64 = form
        .policy
        .trim()
        .parse()
        .map_err(|_| unprocessable("Choose the policy the exception is to."))?;
    let cost_minor = policy::minor_units(&form.cost).map_err(rapport_store::StoreError::from)?;
    let decider_id = match form.decider.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| unprocessable("Choose who decides from the list."))?,
        ),
    };
    let currency = if form.currency.trim().is_empty() {
        "EUR"
    } else {
        form.currency.as_str()
    };
    let exception = app
        .store
        .request_policy_exception(
            ExceptionRequest {
                ticket_id,
                policy_id,
                reason: &form.reason,
                cost_minor,
                currency,
                decider_id,
            },
            &signed_in.agent,
        )
        .await?;
    Ok(super::back_to_ticket(
        ticket_id,
        &format!(
            "You asked for an exception to “{}”; {} decides.",
            exception.policy_title, exception.decider_name
        ),
    ))
}

#[derive(Template)]
#[template(path = "workspace/exceptions.html")]
struct ExceptionsPage {
    agent: Agent,
    csrf: String,
    query: String,
    lines: Vec<ExceptionLine>,
    policies: Vec<(i64, String)>,
    params: crate::policies::ExceptionParams,
    error: Option<String>,
}

impl ExceptionsPage {
    fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }

    fn policy_chosen(&self, id: &i64) -> bool {
        self.params.policy_id.as_deref() == Some(id.to_string().as_str())
    }

    fn outcome_chosen(&self, outcome: &str) -> bool {
        self.params.outcome.as_deref().unwrap_or("") == outcome
    }

    fn waiting(&self) -> bool {
        self.params
            .waiting_on_me
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false")
    }
}

pub async fn show_exceptions(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(params): Query<crate::policies::ExceptionParams>,
) -> PageResult {
    let calendar = app.store.calendar().await?;
    let policies = app
        .store
        .policies(&[])
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let (status, lines, error) = match params.filter(&signed_in.agent) {
        Ok(filter) => (
            StatusCode::OK,
            app.store
                .policy_exceptions(&filter, &signed_in.agent)
                .await?
                .into_iter()
                .map(|e| ExceptionLine::new(e, &calendar))
                .collect(),
            None,
        ),
        Err(error) => (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), Some(error)),
    };
    Ok(crate::pages::render_with(
        status,
        &ExceptionsPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            lines,
            policies,
            params,
            error,
        },
    ))
}

#[derive(Template)]
#[template(path = "workspace/exception.html")]
struct ExceptionPage {
    agent: Agent,
    csrf: String,
    query: String,
    line: ExceptionLine,
    rationale: String,
    may_decide: bool,
    pending: bool,
    flash: Option<String>,
}

pub async fn show_exception(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let exception = app.store.policy_exception(id).await?;
    super::visible_ticket(&app, &signed_in.agent, exception.ticket_id).await?;
    let calendar = app.store.calendar().await?;
    let rationale = app.store.policy(exception.policy_id).await?.rationale;
    let may_decide = policy::may_decide(
        &signed_in.agent,
        exception.decider_id,
        exception.requested_by,
    );
    let pending = exception.status == ExceptionStatus::Pending;
    Ok(render(&ExceptionPage {
        line: ExceptionLine::new(exception, &calendar),
        rationale,
        may_decide,
        pending,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        flash: flash(query.done),
    }))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    outcome: String,
    #[serde(default)]
    note: String,
}

pub async fn decide_exception(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(form): Submitted<DecisionForm>,
) -> PageResult<Response> {
    let exception = app.store.policy_exception(id).await?;
    super::visible_ticket(&app, &signed_in.agent, exception.ticket_id).await?;
    let approve = match form.outcome.as_str() {
        "approved" => true,
        "declined" => false,
        _ => {
            return Err(PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose to approve or to decline the exception.",
            ));
        }
    };
    app.store
        .decide_policy_exception(id, approve, &form.note, &signed_in.agent)
        .await?;
    Ok(to(
        &format!("/exceptions/{id}"),
        if approve {
            "You approved the exception; it is kept as precedent."
        } else {
            "You declined the exception; it is kept as precedent."
        },
    ))
}
