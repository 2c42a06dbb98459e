//! Complaints in the workspace: an agent opens one from the ticket page ("Complaint" card);
//! `/complaints/{id}` shows what the customer told, the staff member's account, the recovery
//! actions with their cost, and the outcome form; `/reports/recovery` is the recovery report
//! for supervisors and admins, its charts drawn on the server as SVG with a table of the same
//! numbers.

use crate::app::App;
use crate::complaints::ReportQuery;
use crate::pages::{PageError, PageResult, SignedIn, Submitted, When, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_domain::complaint::{self, Cause, ComplaintChannel, Outcome, RecoveryKind, Severity};
use rapport_domain::{Actor, Agent, Role};
use rapport_store::complaints::{
    Complaint, ComplaintChanges, NewAction, NewComplaint, RecoveryReport, SurveyScore,
};
use serde::Deserialize;
use std::str::FromStr;

fn unprocessable(message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// A choice from a form's select, read as one of the domain's names.
fn chosen<T: FromStr>(value: &str, what: &str) -> PageResult<T> {
    value
        .trim()
        .parse()
        .map_err(|_| unprocessable(format!("Choose {what} from the list.")))
}

fn staff_member(value: &str) -> PageResult<Option<i64>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| unprocessable("Choose the staff member from the list."))
}

/// 403 unless the agent may see the complaint's ticket.
async fn visible(app: &App, agent: &Agent, id: i64) -> PageResult<Complaint> {
    let complaint = app.store.complaint(id).await?;
    if let Some(ticket_id) = complaint.ticket_id {
        super::visible_ticket(app, agent, ticket_id).await?;
    }
    Ok(complaint)
}

fn back_to_complaint(id: i64, done: &str) -> Response {
    Redirect::to(&format!(
        "/complaints/{id}?done={}",
        crate::pages::url_escape(done)
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct ComplaintForm {
    cause: String,
    #[serde(default)]
    staff_agent_id: String,
    severity: String,
    channel: String,
    incident: String,
    #[serde(default)]
    staff_account: String,
}

pub async fn open_complaint(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<ComplaintForm>,
) -> PageResult<Response> {
    let ticket = super::visible_ticket(&app, &signed_in.agent, id).await?;
    if form.incident.trim().is_empty() {
        return Err(unprocessable(
            "Write what happened as the customer told it: a complaint starts from their words.",
        ));
    }
    let complaint = app
        .store
        .open_complaint(
            NewComplaint {
                customer_id: ticket.customer_id,
                ticket_id: Some(id),
                cause: chosen(&form.cause, "what it is about")?,
                staff_agent_id: staff_member(&form.staff_agent_id)?,
                severity: chosen(&form.severity, "the severity")?,
                channel: chosen(&form.channel, "how it reached us")?,
                incident: form.incident,
                staff_account: form.staff_account,
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(back_to_complaint(
        complaint.id,
        "Complaint opened. Record what you do to make it right, then its outcome.",
    ))
}

#[derive(Template)]
#[template(path = "workspace/complaint.html")]
struct ComplaintPage {
    agent: Agent,
    csrf: String,
    query: String,
    flash: Option<String>,
    complaint: Complaint,
    opened: When,
    closed: Option<When>,
    actions: Vec<ActionLine>,
    totals: Vec<String>,
    survey_after: Option<String>,
    staff: Vec<StaffChoice>,
    causes: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    /// The outcome chosen so far ("" while open).
    current_outcome: &'static str,
}

struct StaffChoice {
    id: i64,
    name: String,
    /// The staff member the complaint is about.
    selected: bool,
}

struct ActionLine {
    kind: &'static str,
    by: String,
    at: When,
    note: String,
    cost: Option<String>,
}

fn survey_words(answer: &SurveyScore) -> String {
    match answer.kind.as_str() {
        "nps" => format!("would recommend us {} out of 10", answer.score),
        _ => format!("rated us {} out of 5", answer.score),
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show_complaint(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Query(query): Query<Done>,
) -> PageResult {
    let complaint = visible(&app, &signed_in.agent, id).await?;
    let calendar = app.store.calendar().await?;
    let actions = complaint
        .actions
        .iter()
        .map(|a| ActionLine {
            kind: a.kind.words(),
            by: a.agent_name.clone().unwrap_or_else(|| "someone".to_owned()),
            at: When::on(&calendar, &a.done_at),
            note: a.note.clone(),
            cost: (a.cost_minor > 0).then(|| complaint::money(a.cost_minor, &a.currency)),
        })
        .collect();
    let totals = complaint::sum_by_currency(
        complaint
            .actions
            .iter()
            .map(|a| (a.currency.as_str(), a.cost_minor)),
    )
    .into_iter()
    .filter(|(_, minor)| *minor > 0)
    .map(|(currency, minor)| complaint::money(minor, &currency))
    .collect();
    let staff = app
        .store
        .agents()
        .await?
        .into_iter()
        .map(|a| StaffChoice {
            selected: complaint.staff_agent_id == Some(a.id),
            id: a.id,
            name: a.name,
        })
        .collect();
    Ok(render(&ComplaintPage {
        opened: When::on(&calendar, &complaint.opened_at),
        closed: complaint
            .recovered_at
            .as_deref()
            .map(|at| When::on(&calendar, at)),
        survey_after: complaint.survey_after.as_ref().map(survey_words),
        actions,
        totals,
        staff,
        causes: Cause::ALL.iter().map(|c| (c.as_str(), c.words())).collect(),
        severities: Severity::ALL
            .iter()
            .map(|s| (s.as_str(), s.words()))
            .collect(),
        channels: ComplaintChannel::ALL
            .iter()
            .map(|c| (c.as_str(), c.words()))
            .collect(),
        kinds: RecoveryKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.words()))
            .collect(),
        outcomes: Outcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.words()))
            .collect(),
        current_outcome: complaint.outcome.map(Outcome::as_str).unwrap_or(""),
        complaint,
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        flash: query.done.filter(|d| !d.is_empty() && d.len() < 200),
    }))
}

pub async fn update_complaint(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<ComplaintForm>,
) -> PageResult<Response> {
    visible(&app, &signed_in.agent, id).await?;
    let changes = ComplaintChanges {
        cause: Some(chosen(&form.cause, "what it is about")?),
        staff_agent_id: Some(staff_member(&form.staff_agent_id)?),
        severity: Some(chosen(&form.severity, "the severity")?),
        channel: Some(chosen(&form.channel, "how it reached us")?),
        incident: Some(form.incident),
        staff_account: Some(form.staff_account),
    };
    app.store
        .update_complaint(id, changes, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(back_to_complaint(id, "Saved."))
}

#[derive(Deserialize)]
pub struct ActionForm {
    kind: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    currency: String,
}

pub async fn add_action(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<ActionForm>,
) -> PageResult<Response> {
    visible(&app, &signed_in.agent, id).await?;
    let kind: RecoveryKind = chosen(&form.kind, "what was done")?;
    let cost = complaint::parse_amount(&form.cost).map_err(|e| unprocessable(e.message))?;
    app.store
        .add_recovery_action(
            id,
            NewAction {
                kind,
                agent_id: staff_member(&form.agent_id)?,
                note: form.note,
                cost_minor: cost,
                currency: Some(form.currency),
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await?;
    Ok(back_to_complaint(
        id,
        &format!("Recorded: {}.", kind.words()),
    ))
}

#[derive(Deserialize)]
pub struct OutcomeForm {
    outcome: String,
}

pub async fn close_complaint(
    State(app): State<App>,
    signed_in: SignedIn,
    crate::pages::Id(id): crate::pages::Id,
    Submitted(form): Submitted<OutcomeForm>,
) -> PageResult<Response> {
    visible(&app, &signed_in.agent, id).await?;
    let outcome: Outcome = chosen(&form.outcome, "the outcome")?;
    app.store
        .close_complaint(id, outcome, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(back_to_complaint(
        id,
        &format!("Closed: {}.", outcome.words()),
    ))
}

/// One bar of a chart: its label, value, and width in the SVG.
struct Bar {
    label: String,
    value: i64,
    /// The value as shown (an amount, a count).
    shown: String,
    width: i64,
    y: i64,
}

/// A bar chart drawn on the server: a title, a description, and bars scaled to the largest.
struct Chart {
    id: &'static str,
    title: String,
    desc: String,
    height: i64,
    bars: Vec<Bar>,
}

/// The width of the widest bar, in SVG units (the chart scales to the page).
const BAR_SPACE: i64 = 200;
const BAR_STEP: i64 = 28;

impl Chart {
    fn new(id: &'static str, title: &str, desc: &str, values: Vec<(String, i64, String)>) -> Chart {
        let most = values.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1);
        let bars: Vec<Bar> = values
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, shown))| Bar {
                label,
                width: value.max(0) * BAR_SPACE / most,
                value,
                shown,
                y: i as i64 * BAR_STEP,
            })
            .collect();
        Chart {
            id,
            title: title.to_owned(),
            desc: desc.to_owned(),
            height: (bars.len() as i64 * BAR_STEP).max(BAR_STEP),
            bars,
        }
    }
}

#[derive(Template)]
#[template(path = "workspace/recovery.html")]
struct RecoveryPage {
    agent: Agent,
    csrf: String,
    query: String,
    from: String,
    to: String,
    problem: Option<String>,
    report: Option<RecoveryReport>,
    charts: Vec<Chart>,
    median: Option<String>,
    rate: Option<String>,
    totals: Vec<String>,
    lines: Vec<BeforeAfterLine>,
}

struct BeforeAfterLine {
    complaint_id: i64,
    customer_id: i64,
    customer_name: String,
    outcome: &'static str,
    health_before: String,
    health_after: String,
    survey_before: String,
    survey_after: String,
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "–".to_owned())
}

/// The period on the page: the first and the last day, both included.
#[derive(Deserialize)]
pub struct PeriodForm {
    from: Option<String>,
    until: Option<String>,
}

impl PeriodForm {
    fn query(self) -> Result<ReportQuery, String> {
        let to = match self
            .until
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(value) => Some(
                (rapport_store::coaching::parse_day(value).map_err(|_| {
                    format!("The last day must be a day such as 2026-11-23, not “{value}”.")
                })? + time::Duration::days(1))
                .to_string(),
            ),
            None => None,
        };
        Ok(ReportQuery {
            from: self.from,
            to,
        })
    }
}

pub async fn show_report(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(period): Query<PeriodForm>,
) -> PageResult<Response> {
    if !signed_in.agent.role.includes(Role::Supervisor) {
        return Err(PageError::forbidden(
            "The recovery report is for supervisors and admins.",
        ));
    }
    let calendar = app.store.calendar().await?;
    let today = calendar.today(app.store.clock().now());
    let (status, problem, range) = match period.query().and_then(|query| query.range(today)) {
        Ok(range) => (StatusCode::OK, None, range),
        Err(message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
            (
                today - time::Duration::days(89),
                today + time::Duration::days(1),
            ),
        ),
    };
    let (from, to) = range;
    let report = match problem {
        None => Some(
            app.store
                .recovery_report(&signed_in.agent, &from.to_string(), &to.to_string())
                .await?,
        ),
        Some(_) => None,
    };
    let mut charts = Vec::new();
    let mut lines = Vec::new();
    let mut totals = Vec::new();
    let (mut median, mut rate) = (None, None);
    if let Some(report) = &report {
        let count = |name: &str, n: i64| (name.to_owned(), n, n.to_string());
        charts.push(Chart::new(
            "by-cause",
            "Complaints by cause",
            "How many complaints were about the service, a product, a policy or a staff member.",
            report
                .by_cause
                .iter()
                .filter_map(|c| Some(count(Cause::from_str(&c.name).ok()?.words(), c.count)))
                .collect(),
        ));
        charts.push(Chart::new(
            "by-severity",
            "Complaints by severity",
            "How many complaints were low, medium, high or critical.",
            report
                .by_severity
                .iter()
                .map(|c| count(&c.name, c.count))
                .collect(),
        ));
        charts.push(Chart::new(
            "by-outcome",
            "Complaints by outcome",
            "How many complaints are open, recovered, partly recovered or lost.",
            vec![
                count("open", report.open),
                count("recovered", report.recovered),
                count("partly recovered", report.partly),
                count("lost", report.lost),
            ],
        ));
        charts.push(Chart::new(
            "cost",
            "Cost by kind of action",
            "What the recovery actions cost, per kind of action and currency.",
            report
                .cost_by_kind
                .iter()
                .map(|c| {
                    (
                        format!("{} ({})", c.kind.words(), c.currency),
                        c.cost_minor,
                        complaint::money(c.cost_minor, &c.currency),
                    )
                })
                .collect(),
        ));
        median = report.median_hours_to_recovery.map(|h| {
            if h < 48 {
                format!("{h} hours")
            } else {
                format!("{} days", h / 24)
            }
        });
        rate = report.recovery_rate.map(|r| format!("{r}%"));
        totals = report
            .total_cost
            .iter()
            .map(|t| complaint::money(t.cost_minor, &t.currency))
            .collect();
        lines = report
            .customers
            .iter()
            .map(|line| BeforeAfterLine {
                complaint_id: line.complaint_id,
                customer_id: line.customer_id,
                customer_name: line.customer_name.clone(),
                outcome: line.outcome.map(Outcome::words).unwrap_or("open"),
                health_before: or_dash(line.health_before.map(|s| s.to_string())),
                health_after: or_dash(line.health_after.map(|s| s.to_string())),
                survey_before: or_dash(line.survey_before.as_ref().map(survey_words)),
                survey_after: or_dash(line.survey_after.as_ref().map(survey_words)),
            })
            .collect();
    }
    let page = RecoveryPage {
        agent: signed_in.agent,
        csrf: signed_in.csrf,
        query: String::new(),
        from: from.to_string(),
        to: (to - time::Duration::days(1)).to_string(),
        problem,
        report,
        charts,
        median,
        rate,
        totals,
        lines,
    };
    Ok((status, render(&page)).into_response())
}
