//! The authorization matrix: every route the server has (the API's from its OpenAPI
//! document, the pages' from `rapport::router::page_routes`) is asked by every kind of caller
//! about each kind of object it can name, and the answer is held to [`table`], where the
//! expected answer of each cell is written once. A route without a row fails the test, and
//! so does a row for a route the server no longer has.
//!
//! Callers: nobody, customer A's portal session, an agent in the restricted team ("member"),
//! an agent outside it, a supervisor (outside it too) and an admin. Objects: A's own, another
//! customer's (B's) and the restricted team's (customer C's ticket in "Legal").
//!
//! Beyond the status, no answer may carry words the caller must not read: B's and the
//! restricted ticket's marker words never reach customer A, the restricted ticket's never an
//! agent outside the team, and nobody's request reads anyone's (see [`Marker`]).
//!
//! A new route needs a row in [`table`]: its method and path as the router declares them,
//! what its `{id}` names, a body that would be valid (so a refusal means "not allowed", not
//! "malformed"), and the six expected answers. `MATRIX_DUMP=1` prints every cell's answer.

use crate::helpers::{TestApp, browser};
use futures_util::StreamExt;
use rapport_domain::ticket::TicketMove;
use rapport_domain::{Actor, Role};
use rapport_store::agents::NewAgent;
use rapport_store::auth::SignInVia;
use rapport_store::portal::UploadedFile;
use rapport_store::secrets;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

const PASSWORD: &str = "a long enough password";

/// Who asks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Caller {
    Nobody,
    /// Customer A, signed in to the portal.
    Customer,
    /// An agent in the restricted team.
    Member,
    /// An agent outside the restricted team.
    Outsider,
    /// A supervisor, outside the restricted team.
    Supervisor,
    Admin,
}

const CALLERS: [Caller; 6] = [
    Caller::Nobody,
    Caller::Customer,
    Caller::Member,
    Caller::Outsider,
    Caller::Supervisor,
    Caller::Admin,
];

/// Whose object the request names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Object {
    /// Customer A's (or, for agents' own things, the caller's).
    Own,
    /// Customer B's (or another agent's).
    Other,
    /// The restricted team's: customer C's ticket in "Legal", or what hangs off it.
    Restricted,
}

/// What a route's `{id}` or `{token}` (or the `{id}` in its query or body) names. Kinds
/// marked "new" are made for each cell, because the request uses them up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Names {
    Nothing,
    Ticket,
    /// A new open ticket.
    NewTicket,
    /// A new ticket with a resolution proposed.
    ProposedTicket,
    /// A new ticket, resolved.
    ResolvedTicket,
    Customer,
    Organization,
    /// An open team, another open team, the restricted team.
    Team,
    /// The caller, another agent, the restricted team's member.
    Agent,
    /// A new task: the caller's on A's ticket, another agent's on B's, the member's on the
    /// restricted ticket.
    Task,
    /// A new promise on A's, B's or the restricted ticket.
    Promise,
    /// A new call-back the customer asked for (not accepted yet) on A's, B's or the restricted
    /// ticket.
    CallBackRequest,
    /// A new API token: the caller's, another agent's.
    Token,
    /// A new notification: the caller's, another agent's.
    Notification,
    /// A customer's file on A's, B's or the restricted ticket.
    Attachment,
    InboundMail,
    /// A new filtered mail (bulk) from A or B; the restricted one answers C's ticket.
    FilteredMail,
    /// New "did this fix it?" links, survey links and portal sign-in links.
    ResolutionLink,
    SurveyLink,
    PortalLink,
    Asset,
    /// A new customer, for the erasure (it is used up) and for changes to a customer's details.
    NewCustomer,
    /// A new customer with a second address, `spare{id}@example.com` (`{address}`), to remove
    /// or make primary.
    SpareEmail,
    /// A new organization with the domain `org{id}.example` (`{domain}`), to change or remove.
    NewOrganization,
    /// A new agent, for changes and deactivation (which would spoil the callers).
    NewAgent,
    /// A new open team with nobody in it, for changes that rewrite its members.
    NewTeam,
    /// A new invitation link (the token in the mail).
    AgentLink,
    /// A new escalation on a new ticket of A's, B's or the restricted team's, waiting on the
    /// admin (the tickets are nobody's, and the admin reports to nobody).
    Escalation,
    /// A new letter to management from customer A, about no ticket: it waits on the admin.
    Letter,
    /// A new contract with customer A.
    Contract,
    /// A new asset of customer A.
    CustomerAsset,
    /// A new service level policy (removing one uses it up).
    NewSlaPolicy,
    /// A new complaint on A's, B's or the restricted ticket.
    Complaint,
    /// A new policy of the library.
    Policy,
    /// A new policy exception waiting for a decision on A's, B's or the restricted ticket,
    /// asked by the restricted team's member, its decider the first admin (the tests' own).
    PolicyException,
    /// A new saved reply: the caller's own, another agent's own, a shared one.
    SavedReply,
    /// The shared saved reply, filled for A's, B's or the restricted ticket (`{ticket}`).
    SharedReplyFor,
    /// A new webhook with one test delivery queued (`{delivery_id}`); deleting one uses it up.
    Webhook,
}

impl Names {
    fn objects(self) -> &'static [Object] {
        match self {
            Names::Nothing
            | Names::Asset
            | Names::NewCustomer
            | Names::SpareEmail
            | Names::NewOrganization
            | Names::NewAgent
            | Names::NewTeam
            | Names::NewSlaPolicy
            | Names::Webhook
            | Names::Contract
            | Names::Letter
            | Names::CustomerAsset
            | Names::Policy
            | Names::AgentLink => &[Object::Own],
            Names::SharedReplyFor => &[Object::Own, Object::Other, Object::Restricted],
            Names::Token | Names::Notification => &[Object::Own, Object::Other],
            _ => &[Object::Own, Object::Other, Object::Restricted],
        }
    }

    /// Link routes: the link is the customer's credential, so its own ticket's words are
    /// theirs to read.
    fn is_link(self) -> bool {
        matches!(
            self,
            Names::ResolutionLink | Names::SurveyLink | Names::PortalLink
        )
    }
}

/// A request body; `{id}`, `{n}`, `{email}`, `{me}` and `{new_customer}` are filled per cell
/// (see [`World::fill`]). Forms get the caller's CSRF token added.
#[derive(Clone, Copy, Debug)]
enum Body {
    None,
    Json(&'static str),
    /// `name=value&...`, values unescaped.
    Form(&'static str),
    /// The same fields, sent as `multipart/form-data` (the portal's forms with files).
    Multipart(&'static str),
    /// A sign-in form, protected by the double-submit form token instead of a session.
    SignInForm(&'static str),
    /// A raw email.
    Mail(&'static str),
}

struct Row {
    method: &'static str,
    route: &'static str,
    /// Appended to the path, e.g. `?customer_id={id}`: each is asked in every cell.
    queries: &'static [&'static str],
    names: Names,
    body: Body,
    /// What "ok" stands for in `expect`.
    ok: u16,
    /// Six cells, one per caller in [`CALLERS`] order; a cell is one answer for every object,
    /// or one per object (own/other/restricted) joined by `/`. An answer is a status, `ok`,
    /// `signin` (a redirect to the workspace sign-in) or `portal` (a redirect to the portal's).
    expect: &'static str,
    /// Agents call with their browser session (and its CSRF token) instead of an API token.
    session: bool,
    /// Ends the caller's session: run after every other row.
    last: bool,
}

fn row(
    method: &'static str,
    route: &'static str,
    names: Names,
    ok: u16,
    expect: &'static str,
) -> Row {
    Row {
        method,
        route,
        queries: &[""],
        names,
        body: Body::None,
        ok,
        expect,
        session: false,
        last: false,
    }
}

impl Row {
    fn query(self, queries: &'static [&'static str]) -> Row {
        Row { queries, ..self }
    }
    fn json(self, body: &'static str) -> Row {
        Row {
            body: Body::Json(body),
            ..self
        }
    }
    fn form(self, body: &'static str) -> Row {
        Row {
            body: Body::Form(body),
            ..self
        }
    }
    fn multipart(self, body: &'static str) -> Row {
        Row {
            body: Body::Multipart(body),
            ..self
        }
    }
    fn sign_in_form(self, body: &'static str) -> Row {
        Row {
            body: Body::SignInForm(body),
            ..self
        }
    }
    fn mail(self, body: &'static str) -> Row {
        Row {
            body: Body::Mail(body),
            ..self
        }
    }
    fn session(self) -> Row {
        Row {
            session: true,
            ..self
        }
    }
    fn last(self) -> Row {
        Row { last: true, ..self }
    }
    fn is_api(&self) -> bool {
        self.route.starts_with("/api/") || matches!(self.route, "/healthz" | "/readyz")
    }
}

// The expected answers, by kind of route. Columns: nobody, customer A, member of the
// restricted team, agent outside it, supervisor outside it, admin.

/// Anyone, signed in or not.
const PUBLIC: &str = "ok ok ok ok ok ok";
/// Any agent.
const AGENTS: &str = "401 401 ok ok ok ok";
/// Any agent who may see the ticket: a restricted team's is for its members and admins.
const TICKET: &str = "401 401 ok ok/ok/403 ok/ok/403 ok";
const SUPERVISORS: &str = "401 401 403 403 ok ok";
const ADMINS: &str = "401 401 403 403 403 ok";
/// Workspace pages: strangers and customers are sent to sign in.
const PAGE: &str = "signin signin ok ok ok ok";
/// Changing a saved reply: one's own; another agent's own is not found; a shared one needs a
/// supervisor.
const SAVED_CHANGE: &str = "401 401 ok/404/403 ok/404/403 ok/404/ok ok/404/ok";
const SAVED_CHANGE_PAGE: &str = "signin signin ok/404/403 ok/404/403 ok/404/ok ok/404/ok";
/// Everyone is sent to the workspace's sign-in page.
const SIGN_IN: &str = "signin signin signin signin signin signin";
/// Pages for supervisors and admins.
const SUPERVISOR_PAGE: &str = "signin signin 403 403 ok ok";
/// Administration pages: strangers sign in, agents who are not admins are refused.
const ADMIN_PAGE: &str = "signin signin 403 403 403 ok";
const PAGE_TICKET: &str = "signin signin ok ok/ok/403 ok/ok/403 ok";
/// Portal pages: only the signed-in customer, and only their own requests.
const PORTAL: &str = "portal ok portal portal portal portal";
const PORTAL_TICKET: &str = "portal ok/404/404 portal portal portal portal";

/// Every route, once.
fn table() -> Vec<Row> {
    use Names::*;
    vec![
        // Meta.
        row("GET", "/healthz", Nothing, 200, PUBLIC),
        row("GET", "/readyz", Nothing, 200, PUBLIC),
        // Off unless a metrics token is configured (the matrix's app has none).
        row("GET", "/metrics", Nothing, 404, "404 404 404 404 404 404"),
        row("GET", "/api/v1/openapi.json", Nothing, 200, PUBLIC),
        // Tickets.
        row("GET", "/api/v1/tickets", Customer, 200, AGENTS)
            .query(&["?customer_id={id}", "?limit=100", "?conversation=new&limit=100"]),
        // Search: a restricted ticket's words are found by its team only; notes by agents.
        row("GET", "/api/v1/search", Nothing, 200, AGENTS).query(&[
            "?q=Quillfeather",
            "?q=Applewood",
            "?q=Bramblewick",
            "?q=Marjoram",
            "?q=subpoena",
        ]),
        row("POST", "/api/v1/tickets", Customer, 201, AGENTS)
            .json(r#"{"subject": "Printer", "body": "It jams.", "customer_id": {id}}"#),
        row("POST", "/api/v1/tickets/bulk", Ticket, 200, AGENTS)
            .json(r#"{"ticket_ids": [{id}], "change": {"action": "add_tag", "tag": "bulk"}}"#),
        row("GET", "/api/v1/tickets/{id}", Ticket, 200, TICKET),
        row("PATCH", "/api/v1/tickets/{id}", Ticket, 200, TICKET).json(r#"{"priority": "high"}"#),
        row("POST", "/api/v1/tickets/{id}/messages", Ticket, 201, TICKET)
            .json(r#"{"body": "Checked the logs.", "visibility": "internal"}"#),
        row("GET", "/api/v1/tickets/{id}/events", Ticket, 200, TICKET),
        row("POST", "/api/v1/tickets/{id}/state", NewTicket, 200, TICKET)
            .json(r#"{"action": "propose_resolution"}"#),
        row("POST", "/api/v1/tickets/{id}/calls", Ticket, 201, TICKET).json(
            r#"{"direction": "outbound", "started_at": "2026-11-23T08:00:00Z", "duration_seconds": 300, "summary": "Walked through the settings."}"#,
        ),
        row("GET", "/api/v1/attachments/{id}", Attachment, 200, TICKET),
        // Customers and organizations: shared by all agents; what names a restricted ticket
        // is filtered out of them (the markers check that).
        row("POST", "/api/v1/customers", Nothing, 201, AGENTS)
            .json(r#"{"name": "Noor New", "email": "noor{n}@example.com"}"#),
        row("GET", "/api/v1/customers", Customer, 200, AGENTS).query(&["?email={email}"]),
        row("GET", "/api/v1/customers/{id}", Customer, 200, AGENTS),
        row("PATCH", "/api/v1/customers/{id}", Customer, 200, SUPERVISORS)
            .json(r#"{"owner_id": null}"#),
        row("POST", "/api/v1/customers/{id}/merge", Customer, 200, SUPERVISORS)
            .json(r#"{"duplicate_id": {new_customer}}"#),
        // Details and addresses: any agent; the owner stays with supervisors (the row above).
        row("POST", "/api/v1/customers/{id}/emails", Customer, 201, AGENTS)
            .json(r#"{"email": "extra{n}@example.com"}"#),
        row("DELETE", "/api/v1/customers/{id}/emails/{address}", SpareEmail, 200, AGENTS),
        row("POST", "/api/v1/customers/{id}/emails/{address}/primary", SpareEmail, 200, AGENTS),
        row("GET", "/api/v1/customers/{id}/moments", Customer, 200, AGENTS),
        row("POST", "/api/v1/customers/{id}/moments", Customer, 201, AGENTS)
            .json(r#"{"note": "Back from parental leave."}"#),
        row("GET", "/api/v1/customers/{id}/timeline", Customer, 200, AGENTS),
        row("GET", "/api/v1/customers/{id}/health", Customer, 200, AGENTS),
        row("GET", "/api/v1/customers/{id}/promises", Customer, 200, AGENTS),
        // A customer's data on request: admins only.
        row("GET", "/api/v1/customers/{id}/data", Customer, 200, ADMINS),
        row("POST", "/api/v1/customers/{id}/erase", NewCustomer, 200, ADMINS)
            .json(r#"{"reason": "Asked by mail."}"#),
        row("POST", "/api/v1/organizations", Nothing, 201, SUPERVISORS)
            .json(r#"{"name": "Org {n}"}"#),
        row("GET", "/api/v1/organizations/{id}", Organization, 200, AGENTS),
        row("PATCH", "/api/v1/organizations/{id}", Organization, 200, SUPERVISORS)
            .json(r#"{"owner_id": null}"#),
        // Mail domains move customers: supervisors and admins.
        row("POST", "/api/v1/organizations/{id}/domains", Organization, 201, SUPERVISORS)
            .json(r#"{"domain": "d{n}.example"}"#),
        row("DELETE", "/api/v1/organizations/{id}/domains/{domain}", NewOrganization, 200, SUPERVISORS),
        row("GET", "/api/v1/organizations/{id}/timeline", Organization, 200, AGENTS),
        row("GET", "/api/v1/organizations/{id}/health", Organization, 200, AGENTS),
        // Promises and tasks.
        row("POST", "/api/v1/promises", Ticket, 201, TICKET).json(
            r#"{"ticket_id": {id}, "kind": "other", "what": "Send the guide", "due_at": "2026-11-25T10:00:00Z"}"#,
        ),
        row("POST", "/api/v1/promises/{id}/settle", Promise, 200, TICKET)
            .json(r#"{"status": "kept"}"#),
        row("POST", "/api/v1/promises/{id}/accept", CallBackRequest, 200, TICKET),
        // Another agent's tasks are for supervisors; a restricted ticket's for its team.
        row("GET", "/api/v1/tasks", Agent, 200,
            "401 401 ok/403/ok ok/403/403 ok ok").query(&["?agent_id={id}&due=all"]),
        row("POST", "/api/v1/tasks/{id}/complete", Task, 200,
            "401 401 ok/403/ok ok/403/403 ok/ok/403 ok").json(r#"{"outcome": "Called back."}"#),
        // Notifications: one's own; another agent's is not found, even by an admin.
        row("GET", "/api/v1/notifications", Nothing, 200, AGENTS)
            .query(&["", "?unread=true&limit=5"]),
        row("POST", "/api/v1/notifications/{id}/read", Notification, 204,
            "401 401 ok/404 ok/404 ok/404 ok/404"),
        row("POST", "/api/v1/notifications/read-all", Nothing, 200, AGENTS),
        row("GET", "/api/v1/notifications/settings", Nothing, 200, AGENTS),
        row("PATCH", "/api/v1/notifications/settings", Nothing, 200, AGENTS)
            .json(r#"{"customer_replied": {"by_mail": true}}"#),
        // Teams, agents, coaching.
        row("GET", "/api/v1/teams", Nothing, 200, AGENTS),
        row("POST", "/api/v1/teams", Nothing, 201, ADMINS).json(r#"{"name": "Team {n}"}"#),
        row("GET", "/api/v1/teams/{id}/coaching", Team, 200, SUPERVISORS),
        row("GET", "/api/v1/agents", Nothing, 200, AGENTS),
        row("GET", "/api/v1/agents/me", Nothing, 200, AGENTS),
        // Running the team: admins only.
        row("POST", "/api/v1/agents", Nothing, 201, ADMINS)
            .json(r#"{"email": "invitee{n}@rapport.test", "name": "Ivy Invitee"}"#),
        row("PATCH", "/api/v1/agents/{id}", NewAgent, 200, ADMINS).json(r#"{"name": "Nia Renamed"}"#),
        // Every matrix agent has a password: a new invitation is refused.
        row("POST", "/api/v1/agents/{id}/invitation", Agent, 200, "401 401 403 403 403 409"),
        row("GET", "/api/v1/agents/{id}/work", Agent, 200, ADMINS),
        row("POST", "/api/v1/agents/{id}/sessions/end", NewAgent, 200, ADMINS),
        row("POST", "/api/v1/agents/{id}/deactivate", NewAgent, 200, ADMINS)
            .json(r#"{"hand_to_id": {me}, "note": "Over to me."}"#),
        row("PATCH", "/api/v1/teams/{id}", NewTeam, 200, ADMINS)
            .json(r#"{"name": "Renamed {n}", "restricted": false}"#),
        row("GET", "/api/v1/agents/{id}/coaching", Agent, 200,
            "401 401 ok/403/ok ok/403/403 ok ok"),
        row("POST", "/api/v1/coach/reply", Ticket, 200, TICKET)
            .json(r#"{"text": "Thanks, we are on it.", "ticket_id": {id}}"#),
        row("POST", "/api/v1/insight/message", Nothing, 200, AGENTS)
            .json(r#"{"text": "This is the third time I ask."}"#),
        // Mail: only the intake token posts mail, and none of these callers holds it.
        row("POST", "/api/v1/inbound/email", Nothing, 202, "401 401 403 403 403 403").mail(
            "From: Ana Apfel <ana@applewood.example>\r\nTo: support@rapport.test\r\nSubject: Hello again\r\nMessage-ID: <matrix-{n}@applewood.example>\r\n\r\nIt jams again.\r\n",
        ),
        row("GET", "/api/v1/inbound/emails", Nothing, 200, ADMINS),
        row("GET", "/api/v1/inbound/emails/{id}/raw", InboundMail, 200, ADMINS),
        // Filtered mail: any agent; an item answering a restricted ticket is the team's.
        row("GET", "/api/v1/filtered-mail", Nothing, 200, AGENTS),
        row("POST", "/api/v1/filtered-mail/{id}/ticket", FilteredMail, 201, TICKET).json("{}"),
        // Settings, audit, tokens, sessions.
        // Saved replies: one's own and the shared ones; another's own is not found; shared
        // ones are changed by supervisors and admins.
        row("POST", "/api/v1/tickets/{id}/escalate", NewTicket, 201, TICKET)
            .json(r#"{"reason": "Needs a manager's decision."}"#),
        row("GET", "/api/v1/escalations", Nothing, 200, AGENTS),
        row("POST", "/api/v1/escalations/{id}/acknowledge", Escalation, 200, ADMINS).json("{}"),
        row("POST", "/api/v1/contracts", Customer, 201, SUPERVISORS).json(
            r#"{"kind": "warranty", "name": "Matrix warranty {n}", "customer_id": {id}, "starts_on": "2026-01-01", "ends_on": "2026-12-31"}"#,
        ),
        row("GET", "/api/v1/customers/{id}/contracts", Customer, 200, AGENTS),
        row("GET", "/api/v1/contracts/{id}", Contract, 200, AGENTS),
        row("GET", "/api/v1/assets/{id}", CustomerAsset, 200, AGENTS),
        row("POST", "/api/v1/assets", Customer, 201, AGENTS)
            .json(r#"{"name": "Matrix laptop {n}", "customer_id": {id}}"#),
        // No such asset: whoever may see the ticket hears so; the others are refused first.
        row("POST", "/api/v1/tickets/{id}/assets", Ticket, 404, TICKET).json(r#"{"asset_id": 987654}"#),
        row("GET", "/api/v1/tickets/{id}/entitlement", Ticket, 200, TICKET),
        // Complaints: like the ticket they are about; the report is for supervisors and admins.
        row("GET", "/api/v1/complaints", Customer, 200, AGENTS).query(&["?customer_id={id}"]),
        row("POST", "/api/v1/complaints", Ticket, 201, TICKET).json(
            r#"{"ticket_id": {id}, "cause": "service", "severity": "high", "channel": "email", "incident": "Billed twice."}"#,
        ),
        row("GET", "/api/v1/complaints/{id}", Complaint, 200, TICKET),
        row("PATCH", "/api/v1/complaints/{id}", Complaint, 200, TICKET).json(r#"{"severity": "critical"}"#),
        row("POST", "/api/v1/complaints/{id}/actions", Complaint, 201, TICKET)
            .json(r#"{"kind": "refund", "cost_minor": 1500}"#),
        row("POST", "/api/v1/complaints/{id}/outcome", Complaint, 200, TICKET).json(r#"{"outcome": "lost"}"#),
        row("GET", "/api/v1/tickets/{id}/complaints", Ticket, 200, TICKET),
        row("POST", "/api/v1/tickets/{id}/complaints", Ticket, 201, TICKET).json(
            r#"{"cause": "product", "severity": "low", "channel": "phone", "incident": "The lid broke."}"#,
        ),
        row("GET", "/api/v1/customers/{id}/complaints", Customer, 200, AGENTS),
        row("GET", "/api/v1/reports/recovery", Nothing, 200, SUPERVISORS),
        row("GET", "/api/v1/letters", Nothing, 200, AGENTS),
        row("GET", "/api/v1/letters/{id}", Letter, 200, SUPERVISORS),
        row("POST", "/api/v1/letters/{id}/answer", Letter, 200, ADMINS).json(r#"{"answer": "Called them."}"#),
        // Policies: every agent reads them, admins write them; an exception is asked by anyone
        // who may see the ticket and decided by its named decider or an admin.
        row("GET", "/api/v1/policies", Nothing, 200, AGENTS).query(&["", "?q=refund"]),
        row("POST", "/api/v1/policies", Nothing, 201, ADMINS).json(
            r#"{"title": "Matrix policy {n}", "text": "Refunds within 30 days.", "rationale": "Stock loses value.", "alternatives": ["Store credit"]}"#,
        ),
        row("GET", "/api/v1/policies/{id}", Policy, 200, AGENTS),
        row("PATCH", "/api/v1/policies/{id}", Policy, 200, ADMINS).json(
            r#"{"title": "Matrix policy {n}", "text": "Refunds within 60 days.", "rationale": "Stock loses value."}"#,
        ),
        row("POST", "/api/v1/tickets/{id}/policy-exceptions", Ticket, 201, TICKET).json(
            r#"{"policy_id": {policy}, "reason": "The parcel was late.", "cost_minor": 500, "currency": "EUR"}"#,
        ),
        row("GET", "/api/v1/policy-exceptions", Nothing, 200, AGENTS).query(&[
            "",
            "?q=Quillfeather",
            "?outcome=pending&from=2020-01-01",
        ]),
        row("GET", "/api/v1/policy-exceptions/{id}", PolicyException, 200, TICKET),
        row("POST", "/api/v1/policy-exceptions/{id}/decide", PolicyException, 200, ADMINS)
            .json(r#"{"outcome": "approved", "note": "Fine."}"#),
        row("GET", "/api/v1/webhooks", Nothing, 200, ADMINS),
        row("POST", "/api/v1/webhooks", Nothing, 201, ADMINS)
            .json(r#"{"url": "https://hooks.example.invalid/{n}", "event_types": ["ticket.created"]}"#),
        row("GET", "/api/v1/webhooks/{id}", Webhook, 200, ADMINS),
        row("PATCH", "/api/v1/webhooks/{id}", Webhook, 200, ADMINS).json(r#"{"active": false}"#),
        row("DELETE", "/api/v1/webhooks/{id}", Webhook, 204, ADMINS),
        row("POST", "/api/v1/webhooks/{id}/test", Webhook, 200, ADMINS),
        row("GET", "/api/v1/webhooks/{id}/deliveries", Webhook, 200, ADMINS)
            .query(&["", "?limit=1"]),
        row("GET", "/api/v1/webhooks/{id}/deliveries/{delivery_id}", Webhook, 200, ADMINS),
        row("GET", "/api/v1/sla-policies", Nothing, 200, AGENTS),
        row("POST", "/api/v1/sla-policies", Nothing, 201, ADMINS)
            .json(r#"{"name": "Matrix policy {n}", "priority": "low", "first_response_minutes": 60}"#),
        row("GET", "/api/v1/sla-policies/{id}", NewSlaPolicy, 200, AGENTS),
        row("PATCH", "/api/v1/sla-policies/{id}", NewSlaPolicy, 200, ADMINS)
            .json(r#"{"name": "Matrix policy {n}, changed", "priority": "low", "first_response_minutes": 90}"#),
        row("DELETE", "/api/v1/sla-policies/{id}", NewSlaPolicy, 204, ADMINS),
        row("GET", "/api/v1/tickets/{id}/sla", Ticket, 200, TICKET),
        row("GET", "/api/v1/saved-replies", Nothing, 200, AGENTS),
        row("POST", "/api/v1/saved-replies", Nothing, 201, AGENTS)
            .json(r#"{"title": "Thanks {n}", "body": "Hi {{customer.first_name}}, thank you."}"#),
        row("GET", "/api/v1/saved-replies/{id}", SavedReply, 200, "401 401 ok/404/ok ok/404/ok ok/404/ok ok/404/ok"),
        row("PATCH", "/api/v1/saved-replies/{id}", SavedReply, 200, SAVED_CHANGE)
            .json(r#"{"title": "Renamed {n}"}"#),
        row("DELETE", "/api/v1/saved-replies/{id}", SavedReply, 204, SAVED_CHANGE),
        row("GET", "/api/v1/saved-replies/{id}/fill", SharedReplyFor, 200, TICKET)
            .query(&["?ticket_id={ticket}"]),
        row("GET", "/api/v1/settings", Nothing, 200, AGENTS),
        row("PATCH", "/api/v1/settings", Nothing, 200, ADMINS)
            .json(r#"{"resolution_check_in_days": [3, 7]}"#),
        row("GET", "/api/v1/audit", Nothing, 200, ADMINS),
        row("GET", "/api/v1/tokens", Nothing, 200, AGENTS),
        row("POST", "/api/v1/tokens", Nothing, 201, AGENTS).json(r#"{"label": "matrix"}"#),
        // Another agent's token is not found, unless one is an admin.
        row("DELETE", "/api/v1/tokens/{id}", Token, 204, "401 401 ok/404 ok/404 ok/404 ok"),
        row("GET", "/api/v1/session", Nothing, 200, AGENTS).session(),
        row("DELETE", "/api/v1/session", Nothing, 204, AGENTS),
        // After every setup row has run: a wrong code confirms nothing.
        row("POST", "/api/v1/me/two-factor/confirm", Nothing, 422, AGENTS)
            .json(r#"{"code": "000000"}"#)
            .last(),
        row("POST", "/account/two-factor/confirm", Nothing, 422, PAGE)
            .form("code=000000")
            .last(),
        // Signing in one at a time: concurrent tries for one address from one client are
        // refused beyond the limit, whatever the password (see session::limiter).
        row("POST", "/api/v1/session", Nothing, 200, PUBLIC)
            .json(r#"{"email": "signin@rapport.test", "password": "a long enough password"}"#)
            .last(),
        row("POST", "/sign-in", Nothing, 303, PUBLIC)
            .sign_in_form("email=signin@rapport.test&password=a long enough password")
            .last(),
        row("POST", "/api/v1/session/end-others", Nothing, 200, AGENTS).last(),
        row("POST", "/api/v1/me/password", Nothing, 200, AGENTS).last().json(
            r#"{"current_password": "a long enough password", "new_password": "a different long passphrase"}"#,
        ),
        // Two-factor sign-in: one's own; an admin resets anyone's. Turning off what is not on
        // is refused; a wrong code (after the setup rows ran) changes nothing.
        row("GET", "/api/v1/me/two-factor", Nothing, 200, AGENTS),
        row("POST", "/api/v1/me/two-factor", Nothing, 200, AGENTS),
        row("DELETE", "/api/v1/me/two-factor", Nothing, 409, AGENTS)
            .json(r#"{"password": "a long enough password", "code": "000000"}"#),
        row("DELETE", "/api/v1/agents/{id}/two-factor", Agent, 204, ADMINS),
        // The code step of a sign-in: the pending token is the credential.
        row("POST", "/api/v1/session/two-factor", Nothing, 401, "ok ok ok ok ok ok")
            .json(r#"{"pending_token": "not-a-token", "code": "000000"}"#),
        // The customer's links: the link itself is the credential.
        row("POST", "/api/v1/public/resolution/{token}", ResolutionLink, 200, PUBLIC)
            .json(r#"{"comment": "Still broken."}"#),
        row("POST", "/api/v1/public/surveys/{token}", SurveyLink, 200, PUBLIC)
            .json(r#"{"score": 5}"#),
        // The workspace.
        // Every inbox view and a search, none of which may list a restricted ticket.
        row("GET", "/", Nothing, 200, PAGE).query(&[
            "",
            "?view=unassigned",
            "?view=team",
            "?view=waiting_on_us",
            "?view=waiting_on_customer",
            "?view=promises",
            "?view=moments",
            "?view=escalated",
            "?q=subpoena",
            "?q=retention",
            "?view=unassigned&state=all&sort=oldest",
            "?view=mine&state=all&sort=priority&tag=bulk",
            "?view=waiting_on_us&state=all&after=9999~999999",
        ]),
        // Bulk changes: each ticket is checked as if changed alone; a restricted one the
        // caller may not see is reported as not changed (with no word of it).
        row("POST", "/tickets/bulk", Ticket, 303, PAGE)
            .form("ticket_ids={id}&action=tag&tag=bulk&back=/"),
        row("GET", "/sign-in", Nothing, 200, PUBLIC),
        // First run is over once agents exist: everyone is sent to sign in.
        row("GET", "/setup", Nothing, 303, SIGN_IN),
        row("POST", "/setup", Nothing, 303, SIGN_IN).sign_in_form(
            "name=Eve Early&email=eve@rapport.test&password=a long enough password&repeat=a long enough password",
        ),
        // Password by mail: the link is the credential; the form says the same for anyone.
        row("GET", "/password/forgot", Nothing, 200, PUBLIC),
        row("POST", "/password/forgot", Nothing, 200, PUBLIC).sign_in_form("email=mo@rapport.test"),
        row("GET", "/password/{token}", AgentLink, 200, PUBLIC),
        row("POST", "/password/{token}", AgentLink, 303, PUBLIC).sign_in_form(
            "password=marmalade under the lighthouse&repeat=marmalade under the lighthouse",
        ),
        // Administration pages: admins only.
        row("GET", "/admin", Nothing, 303, ADMIN_PAGE),
        row("GET", "/admin/agents", Nothing, 200, ADMIN_PAGE),
        row("POST", "/admin/agents", Nothing, 303, ADMIN_PAGE)
            .form("name=Ivy Invitee&email=page-invitee{n}@rapport.test&role=agent"),
        row("GET", "/admin/agents/{id}", Agent, 200, ADMIN_PAGE),
        row("POST", "/admin/agents/{id}", NewAgent, 303, ADMIN_PAGE)
            .form("name=Nia Renamed&role=agent&reports_to="),
        row("POST", "/admin/agents/{id}/invitation", Agent, 303, "signin signin 403 403 403 409")
            .form(""),
        row("POST", "/admin/agents/{id}/sign-out", NewAgent, 303, ADMIN_PAGE).form(""),
        row("POST", "/admin/agents/{id}/two-factor/reset", NewAgent, 303, ADMIN_PAGE).form(""),
        row("POST", "/admin/agents/{id}/deactivate", NewAgent, 303, ADMIN_PAGE)
            .form("hand_to={me}&note=Over to me."),
        row("GET", "/admin/teams", Nothing, 200, ADMIN_PAGE),
        row("POST", "/admin/teams", Nothing, 303, ADMIN_PAGE).form("name=Page team {n}"),
        row("GET", "/admin/teams/{id}", Team, 200, ADMIN_PAGE),
        row("POST", "/admin/teams/{id}", NewTeam, 303, ADMIN_PAGE).form("name=Renamed page team {n}"),
        row("GET", "/admin/service-levels", Nothing, 200, ADMIN_PAGE),
        row("POST", "/admin/service-levels", Nothing, 303, ADMIN_PAGE)
            .form("name=Page policy {n}&priority=low&first_response_minutes=60"),
        row("POST", "/admin/service-levels/{id}", NewSlaPolicy, 303, ADMIN_PAGE)
            .form("name=Changed policy {n}&priority=low&first_response_minutes=30"),
        row("POST", "/admin/service-levels/{id}/remove", NewSlaPolicy, 303, ADMIN_PAGE).form(""),
        row("GET", "/admin/settings", Nothing, 200, ADMIN_PAGE),
        row("POST", "/admin/settings", Nothing, 303, ADMIN_PAGE)
            .form("workspace_name=Rapport&waiting=2, 5&resolution=3, 7"),
        row("GET", "/admin/audit", Nothing, 200, ADMIN_PAGE).query(&["", "?action=agent."]),
        row("GET", "/admin/webhooks", Nothing, 200, ADMIN_PAGE),
        row("POST", "/admin/webhooks", Nothing, 303, ADMIN_PAGE)
            .form("url=https://hooks.example.invalid/page{n}&event_types=ticket.created"),
        row("GET", "/admin/webhooks/{id}", Webhook, 200, ADMIN_PAGE),
        row("POST", "/admin/webhooks/{id}", Webhook, 303, ADMIN_PAGE)
            .form("url=https://hooks.example.invalid/changed{n}&event_types=message.added"),
        row("POST", "/admin/webhooks/{id}/active", Webhook, 303, ADMIN_PAGE).form("active=0"),
        row("POST", "/admin/webhooks/{id}/test", Webhook, 303, ADMIN_PAGE).form(""),
        row("POST", "/admin/webhooks/{id}/delete", Webhook, 303, ADMIN_PAGE).form(""),
        // The code step without a sign-in waiting: back to the password.
        row("GET", "/sign-in/code", Nothing, 303, SIGN_IN),
        row("POST", "/sign-in/code", Nothing, 401, PUBLIC).sign_in_form("code=000000"),
        // The agent's own account: a wrong code or password changes nothing.
        row("GET", "/account", Nothing, 200, PAGE),
        row("POST", "/account/two-factor", Nothing, 303, PAGE).form(""),
        row("POST", "/account/two-factor/off", Nothing, 409, PAGE)
            .form("password=a long enough password&code=000000"),
        row("POST", "/account/password", Nothing, 422, PAGE)
            .form("current_password=not the password&new_password=marmalade under the lighthouse"),
        row("POST", "/account/sessions/end-others", Nothing, 303, PAGE).form(""),
        // Another agent's token is not found, unless one is an admin.
        row("POST", "/account/tokens/{id}/revoke", Token, 303,
            "signin signin ok/404 ok/404 ok/404 ok").form(""),
        // Signing out ends at the sign-in page, signed in or not.
        row("POST", "/sign-out", Nothing, 303, SIGN_IN)
            .form("")
            .last(),
        row("GET", "/tickets/new", Customer, 200, PAGE).query(&["", "?customer={id}"]),
        row("POST", "/tickets", Nothing, 303, PAGE).form(
            "email=caller{n}@example.com&channel=note&subject=Called in&body=Asked about the invoice.&priority=normal",
        ),
        row("GET", "/tickets/{id}", Ticket, 200, PAGE_TICKET),
        row("POST", "/tickets/{id}/reply", Ticket, 303, PAGE_TICKET)
            .form("body=Checked the logs.&visibility=internal"),
        row("POST", "/tickets/{id}/assign", NewTicket, 303, PAGE_TICKET).form("assignee={me}"),
        row("POST", "/tickets/{id}/details", Ticket, 303, PAGE_TICKET)
            .form("priority=high&tags=printer"),
        row("POST", "/tickets/{id}/state", NewTicket, 303, PAGE_TICKET)
            .form("move=propose_resolution"),
        row("POST", "/tickets/{id}/escalation/answered", Ticket, 303, PAGE_TICKET).form(""),
        row("POST", "/tickets/{id}/call", Ticket, 303, PAGE_TICKET)
            .form("direction=inbound&minutes=5&summary=Walked through the settings."),
        row("POST", "/tickets/{id}/promise", Ticket, 303, PAGE_TICKET)
            .form("kind=other&what=Send the guide&due=2026-11-25T10:00"),
        row("POST", "/promises/{id}/kept", Promise, 303, PAGE_TICKET)
            .form("outcome=Sent the guide."),
        row("POST", "/promises/{id}/accept", CallBackRequest, 303, PAGE_TICKET).form(""),
        row("POST", "/tickets/{id}/moment", Ticket, 303, PAGE_TICKET)
            .form("note=Back from parental leave."),
        row("GET", "/customers/{id}", Customer, 200, PAGE),
        row("POST", "/tickets/{id}/escalate", NewTicket, 303, PAGE_TICKET).form("reason=Needs a manager."),
        row("GET", "/escalations", Nothing, 200, PAGE),
        row("POST", "/letters/{id}/answer", Letter, 303, ADMIN_PAGE).form("answer=Called them."),
        row("POST", "/customers/{id}/assets", Customer, 303, PAGE).form("name=Page laptop {n}&serial_number="),
        row("GET", "/customer-assets/{id}", CustomerAsset, 200, PAGE),
        row("POST", "/tickets/{id}/assets", Ticket, 404, "signin signin ok ok/ok/403 ok/ok/403 ok").form("asset_id=987654"),
        row("POST", "/customers/{id}/contracts", Customer, 303, "signin signin 403 403 ok ok")
            .form("kind=warranty&name=Page warranty {n}&starts_on=2026-01-01&ends_on=2026-12-31"),
        row("GET", "/policies", Nothing, 200, PAGE).query(&["", "?q=refund"]),
        row("POST", "/policies", Nothing, 303, ADMIN_PAGE).form(
            "title=Page policy {n}&text=Refunds within 30 days.&rationale=Stock loses value.&alternatives=Store credit",
        ),
        row("GET", "/policies/{id}", Policy, 200, PAGE),
        row("POST", "/policies/{id}", Policy, 303, ADMIN_PAGE)
            .form("title=Changed policy {n}&text=Within 60 days.&rationale=Stock loses value."),
        row("POST", "/tickets/{id}/policy-exceptions", Ticket, 303, PAGE_TICKET)
            .form("policy={policy}&reason=The parcel was late.&cost=5&currency=EUR"),
        row("GET", "/exceptions", Nothing, 200, PAGE)
            .query(&["", "?q=parcel", "?outcome=approved&waiting_on_me=true"]),
        row("GET", "/exceptions/{id}", PolicyException, 200, PAGE_TICKET),
        row("POST", "/exceptions/{id}/decide", PolicyException, 303, ADMIN_PAGE)
            .form("outcome=declined&note=Not this time."),
        row("POST", "/escalations/{id}/acknowledge", Escalation, 303, ADMIN_PAGE).form(""),
        row("POST", "/tickets/{id}/complaints", Ticket, 303, PAGE_TICKET)
            .form("cause=service&severity=high&channel=email&staff_agent_id=&incident=Billed twice.&staff_account="),
        row("GET", "/complaints/{id}", Complaint, 200, PAGE_TICKET),
        row("POST", "/complaints/{id}", Complaint, 303, PAGE_TICKET)
            .form("cause=policy&severity=medium&channel=phone&staff_agent_id=&incident=Billed twice, said it.&staff_account=It was a mistake."),
        row("POST", "/complaints/{id}/actions", Complaint, 303, PAGE_TICKET)
            .form("kind=apology&agent_id=&note=Said sorry.&cost=&currency=EUR"),
        row("POST", "/complaints/{id}/outcome", Complaint, 303, PAGE_TICKET).form("outcome=lost"),
        row("GET", "/reports/recovery", Nothing, 200, SUPERVISOR_PAGE),
        // Coaching pages: one's own; a supervisor's reports and team mates (the matrix's
        // supervisor has neither); a team's for the supervisors in it and admins.
        row("GET", "/agents/{id}/coaching", Agent, 200,
            "signin signin ok/403/ok ok/403/403 ok/403/403 ok"),
        row("GET", "/teams/{id}/coaching", Team, 200, ADMIN_PAGE),
        row("POST", "/customers/{id}/details", NewCustomer, 303, PAGE)
            .form("name=Erin Edited&phone=555 0100&notes=Likes tea.&organization="),
        row("POST", "/customers/{id}/emails", Customer, 303, PAGE).form("email=page{n}@example.com"),
        row("POST", "/customers/{id}/emails/remove", SpareEmail, 303, PAGE).form("email={address}"),
        row("POST", "/customers/{id}/emails/primary", SpareEmail, 303, PAGE).form("email={address}"),
        row("GET", "/organizations/{id}", Organization, 200, PAGE),
        row("POST", "/organizations/{id}/details", NewOrganization, 303, PAGE)
            .form("name=Renamed org {n}&notes=Renews in March."),
        row("POST", "/organizations/{id}/domains", Organization, 303, SUPERVISOR_PAGE)
            .form("domain=page{n}.example"),
        row("POST", "/organizations/{id}/domains/remove", NewOrganization, 303, SUPERVISOR_PAGE)
            .form("domain={domain}"),
        row("GET", "/saved-replies", Nothing, 200, PAGE),
        row("POST", "/saved-replies", Nothing, 303, PAGE)
            .form("title=Page reply {n}&body=Hi {{customer.first_name}}, all done.&priority="),
        row("GET", "/saved-replies/{id}", SavedReply, 200, "signin signin ok/404/ok ok/404/ok ok/404/ok ok/404/ok"),
        row("POST", "/saved-replies/{id}", SavedReply, 303, SAVED_CHANGE_PAGE)
            .form("title=Renamed {n}&body=Hi {{customer.first_name}}, all done.&priority="),
        row("POST", "/saved-replies/{id}/delete", SavedReply, 303, SAVED_CHANGE_PAGE).form(""),
        row("GET", "/notifications", Nothing, 200, PAGE).query(&["", "?unread=1", "?before=5"]),
        row("POST", "/notifications/{id}/read", Notification, 303,
            "signin signin ok/404 ok/404 ok/404 ok/404").form(""),
        row("POST", "/notifications/read-all", Nothing, 303, PAGE).form(""),
        row("POST", "/account/notifications", Nothing, 303, PAGE)
            .form("assigned_page=on&escalation_mail=on"),
        row("GET", "/tasks", Nothing, 200, PAGE),
        row("GET", "/filtered", Nothing, 200, PAGE),
        row("POST", "/filtered/{id}/ticket", FilteredMail, 303, PAGE_TICKET).form("ticket="),
        row("POST", "/tasks/{id}/complete", Task, 303,
            "signin signin ok/403/ok ok/403/403 ok/ok/403 ok").form("outcome=Called back."),
        row("GET", "/live", Ticket, 200, PAGE_TICKET).query(&["?ticket={id}"]),
        // The live composing signal is JSON for the page's script: a 401, not a redirect.
        row("POST", "/live/composing", Ticket, 204, TICKET)
            .json(r#"{"ticket_id": {id}, "composing": true}"#),
        // The portal.
        row("GET", "/portal", Nothing, 200, PUBLIC),
        row("POST", "/portal/sign-in", Nothing, 200, PUBLIC)
            .sign_in_form("email=cy@cedar.example"),
        row("GET", "/portal/link/{token}", PortalLink, 200, PUBLIC),
        // Using a link signs in and goes to the portal, whoever presses the button.
        row("POST", "/portal/link/{token}", PortalLink, 303, "portal portal portal portal portal portal")
            .sign_in_form(""),
        row("POST", "/portal/sign-out", Nothing, 303, "portal portal portal portal portal portal")
            .form("")
            .last(),
        row("GET", "/portal/tickets/new", Nothing, 200, PORTAL),
        row("POST", "/portal/tickets", Nothing, 303, PORTAL)
            .multipart("subject=Scanner&body=It scans blank pages."),
        row("GET", "/portal/tickets/{id}", Ticket, 200, PORTAL_TICKET),
        row("POST", "/portal/tickets/{id}/reply", Ticket, 303, PORTAL_TICKET)
            .multipart("body=One more detail."),
        row("POST", "/portal/tickets/{id}/not-fixed", Ticket, 303, PORTAL_TICKET)
            .form("words=It jams again."),
        row("POST", "/portal/tickets/{id}/confirm", ProposedTicket, 303, PORTAL_TICKET).form(""),
        row("POST", "/portal/tickets/{id}/rate", ResolvedTicket, 303, PORTAL_TICKET)
            .form("score=5"),
        row("POST", "/portal/tickets/{id}/manager", Ticket, 303, PORTAL_TICKET)
            .form("reason=Nobody answers."),
        row("POST", "/portal/tickets/{id}/call-back", Ticket, 303, PORTAL_TICKET)
            .form("phone=+44 20 7946 0000&day=2026-11-26&window=09"),
        // The letter page names whom a letter reaches; for another's request it must not.
        row("GET", "/portal/letter", Ticket, 200, PORTAL).query(&["?ticket={id}"]),
        row("POST", "/portal/letter", Ticket, 303, PORTAL_TICKET)
            .form("ticket_id={id}&subject=About my request&body=Please look at it."),
        row("GET", "/portal/attachments/{id}", Attachment, 200, PORTAL_TICKET),
        // The customer's own data, as one file.
        row("GET", "/portal/my-data", Nothing, 200, PORTAL),
        // Public links and assets.
        row("GET", "/resolution/{token}", ResolutionLink, 200, PUBLIC),
        row("POST", "/resolution/{token}", ResolutionLink, 200, PUBLIC)
            .form("comment=Still broken."),
        row("GET", "/survey/{token}", SurveyLink, 200, PUBLIC),
        row("POST", "/survey/{token}", SurveyLink, 200, PUBLIC).form("score=5"),
        row("GET", "/assets/{name}", Asset, 200, PUBLIC),
    ]
}

/// Words that belong to one object, put in its subject, messages, files and people's names,
/// to catch an answer that hands them to someone who may not read them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Marker {
    A,
    B,
    Restricted,
    /// What agents keep among themselves on A's ticket: an internal note, a call's summary.
    Internal,
}

impl Marker {
    fn word(self) -> &'static str {
        match self {
            Marker::A => "Applewood",
            Marker::B => "Bramblewick",
            Marker::Restricted => "Quillfeather",
            Marker::Internal => "Marjoram",
        }
    }

    fn of(object: Object) -> Marker {
        match object {
            Object::Own => Marker::A,
            Object::Other => Marker::B,
            Object::Restricted => Marker::Restricted,
        }
    }

    /// The words a caller must never be answered with.
    fn hidden_from(caller: Caller) -> &'static [Marker] {
        match caller {
            Caller::Nobody => &[Marker::A, Marker::B, Marker::Restricted, Marker::Internal],
            Caller::Customer => &[Marker::B, Marker::Restricted, Marker::Internal],
            Caller::Outsider | Caller::Supervisor => &[Marker::Restricted],
            Caller::Member | Caller::Admin => &[],
        }
    }
}

/// An agent of the matrix with both kinds of credential.
struct Person {
    id: i64,
    token: String,
    session: String,
}

/// Customer A, B or C and their things.
struct Side {
    customer_id: i64,
    email: &'static str,
    organization_id: i64,
    ticket_id: i64,
    attachment_id: i64,
    inbound_id: i64,
    team_id: i64,
}

/// The fixture, built once per test run: three customers, their tickets (C's in the
/// restricted team "Legal"), the six callers and what routes name.
struct World {
    app: TestApp,
    member: Person,
    outsider: Person,
    supervisor: Person,
    admin: Person,
    /// Another agent (B's handler), whose tasks and tokens are "another agent's".
    other_agent_id: i64,
    /// Customer A's portal session.
    portal_session: String,
    /// A policy of the library, for bodies that name one (`{policy}`).
    policy_id: i64,
    /// A saved reply shared with everyone.
    shared_reply: i64,
    own: Side,
    other: Side,
    restricted: Side,
    counter: AtomicU64,
}

async fn agent(
    app: &TestApp,
    email: &str,
    name: &str,
    role: Role,
    reports_to: Option<&str>,
) -> Person {
    let agent = app
        .app
        .store
        .create_agent(
            NewAgent {
                email,
                name,
                role,
                reports_to,
                password: Some(PASSWORD),
            },
            Actor::System,
        )
        .await
        .expect("agent");
    let token = app.agent_token(agent.id).await;
    let session = app
        .app
        .store
        .create_session(agent.id, SignInVia::Workspace)
        .await
        .expect("session");
    Person {
        id: agent.id,
        token,
        session,
    }
}

fn id_of(value: &Value) -> i64 {
    value["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("an id in {value}"))
}

impl World {
    async fn build() -> World {
        let app = TestApp::spawn().await;
        let member = agent(&app, "mo@rapport.test", "Mo Member", Role::Agent, None).await;
        let outsider = agent(&app, "otto@rapport.test", "Otto Outside", Role::Agent, None).await;
        let supervisor = agent(
            &app,
            "sue@rapport.test",
            "Sue Supervisor",
            Role::Supervisor,
            None,
        )
        .await;
        let admin = agent(&app, "root@rapport.test", "Ro Admin", Role::Admin, None).await;
        agent(&app, "signin@rapport.test", "Sid Signin", Role::Agent, None).await;
        // B's case is handled by Bo, whose chain ends at a manager named with B's marker.
        agent(
            &app,
            "boss.b@rapport.test",
            "Bramblewick Boss",
            Role::Supervisor,
            None,
        )
        .await;
        let bo = agent(
            &app,
            "bo@rapport.test",
            "Bo Handler",
            Role::Agent,
            Some("boss.b@rapport.test"),
        )
        .await;

        let api = app.api();
        let mut teams = Vec::new();
        for (name, members, restricted) in [
            ("Support", vec![member.id, outsider.id], false),
            ("Billing", vec![bo.id], false),
            ("Legal", vec![member.id], true),
        ] {
            let (status, team) = api
                .post(
                    "/api/v1/teams",
                    json!({"name": name, "member_ids": members, "restricted": restricted}),
                )
                .await;
            assert_eq!(status, 201, "{team}");
            teams.push(id_of(&team));
        }
        let mut sides = Vec::new();
        for (i, (org, domain, name, email, subject)) in [
            (
                "Applewood Ltd",
                "applewood.example",
                "Ana Applewood",
                "ana@applewood.example",
                "Applewood printer jams",
            ),
            (
                "Bramblewick Co",
                "bramblewick.example",
                "Bea Bramblewick",
                "bea@bramblewick.example",
                "Bramblewick invoices missing",
            ),
            (
                "Cedar Inc",
                "cedar.example",
                "Cy Cedar",
                "cy@cedar.example",
                "Quillfeather subpoena for our records",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let (status, organization) = api
                .post(
                    "/api/v1/organizations",
                    json!({"name": org, "domains": [domain]}),
                )
                .await;
            assert_eq!(status, 201, "{organization}");
            let (status, customer) = api
                .post("/api/v1/customers", json!({"name": name, "email": email}))
                .await;
            assert_eq!(status, 201, "{customer}");
            let customer_id = id_of(&customer);
            let word = subject.split(' ').next().unwrap_or_default();
            let store = &app.app.store;
            let ticket = store
                .open_portal_ticket(
                    customer_id,
                    subject,
                    &format!("{word}: details only its readers may see."),
                    &[UploadedFile {
                        filename: format!("{}.txt", word.to_lowercase()),
                        content_type: "text/plain".to_owned(),
                        data: format!("{word} notes").into_bytes(),
                    }],
                )
                .await
                .expect("portal ticket");
            let attachment_id: i64 = sqlx::query_scalar(
                "SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = $1",
            )
            .bind(ticket.id)
            .fetch_one(store.pool())
            .await
            .expect("the attachment");
            let raw = format!(
                "From: {name} <{email}>\r\nTo: support@rapport.test\r\nSubject: A question\r\nMessage-ID: <world-{i}@{domain}>\r\n\r\nA question.\r\n"
            );
            let response = app
                .intake()
                .request(Method::POST, "/api/v1/inbound/email")
                .header("content-type", "message/rfc822")
                .body(raw)
                .send()
                .await
                .expect("answer");
            assert_eq!(response.status(), 202);
            let ingested: Value = response.json().await.expect("json");
            sides.push(Side {
                customer_id,
                email,
                organization_id: id_of(&organization),
                ticket_id: ticket.id,
                attachment_id,
                inbound_id: ingested["inbound_id"].as_i64().expect("inbound id"),
                team_id: teams[i],
            });
        }
        let restricted = sides.pop().expect("C");
        let other = sides.pop().expect("B");
        let own = sides.pop().expect("A");

        // B's ticket is Bo's; C's is in Legal, with a promise, a call, a note and a task that
        // name it.
        let (status, body) = api
            .patch(
                &format!("/api/v1/tickets/{}", other.ticket_id),
                json!({"assignee_id": bo.id}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let secret = restricted.ticket_id;
        let (status, body) = api
            .patch(
                &format!("/api/v1/tickets/{secret}"),
                json!({"team_id": restricted.team_id, "assignee_id": member.id}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        for (path, body) in [
            (
                "/api/v1/promises".to_owned(),
                json!({"ticket_id": secret, "kind": "other", "what": "Send the Quillfeather records", "due_at": "2026-11-25T10:00:00Z"}),
            ),
            (
                format!("/api/v1/tickets/{secret}/calls"),
                json!({"direction": "inbound", "started_at": "2026-11-23T08:00:00Z", "duration_seconds": 60, "summary": "Quillfeather called about the subpoena."}),
            ),
            (
                format!("/api/v1/tickets/{secret}/messages"),
                json!({"body": "Quillfeather: keep this within Legal.", "visibility": "internal"}),
            ),
        ] {
            let (status, answer) = api.post(&path, body).await;
            assert_eq!(status, 201, "{path}: {answer}");
        }
        let world = World {
            member,
            outsider,
            supervisor,
            admin,
            other_agent_id: bo.id,
            portal_session: String::new(),
            policy_id: app
                .app
                .store
                .create_policy(
                    rapport_domain::policy::PolicyText::new(
                        "Refunds within 30 days",
                        "Refunds within 30 days of delivery.",
                        "After a month most items cannot be sold again.",
                        &["Store credit".to_owned()],
                        &["refund".to_owned()],
                        None,
                    )
                    .expect("a policy"),
                    Actor::System,
                )
                .await
                .expect("policy")
                .id,
            shared_reply: 0,
            own,
            other,
            restricted,
            counter: AtomicU64::new(0),
            app,
        };
        world
            .task(
                world.member.id,
                world.restricted.ticket_id,
                "Quillfeather: call the court back",
            )
            .await;
        // What agents say among themselves on A's ticket.
        for (path, body) in [
            (
                format!("/api/v1/tickets/{}/messages", world.own.ticket_id),
                json!({"body": "Marjoram: she sounds close to leaving.", "visibility": "internal"}),
            ),
            (
                format!("/api/v1/tickets/{}/calls", world.own.ticket_id),
                json!({"direction": "outbound", "started_at": "2026-11-23T08:30:00Z", "duration_seconds": 120, "summary": "Marjoram: promised nothing yet."}),
            ),
        ] {
            let (status, answer) = world.app.api().post(&path, body).await;
            assert_eq!(status, 201, "{path}: {answer}");
        }
        // A case of C's that moved into Legal after the outsider had promised something on
        // it and been given a task: from then on both are Legal's. C asked for a manager on
        // the first.
        let store = &world.app.app.store;
        let moved = store
            .open_portal_ticket(
                world.restricted.customer_id,
                "Quillfeather retention order",
                "Keep everything.",
                &[],
            )
            .await
            .expect("ticket")
            .id;
        let (status, promise) = world
            .app
            .api_as(Some(&world.outsider.token))
            .post(
                "/api/v1/promises",
                json!({"ticket_id": moved, "kind": "other", "what": "Quillfeather retention copy", "due_at": "2026-11-23T17:00:00Z"}),
            )
            .await;
        assert_eq!(status, 201, "{promise}");
        world
            .task(
                world.outsider.id,
                moved,
                "Quillfeather: confirm the retention order",
            )
            .await;
        let (status, body) = world
            .app
            .api()
            .patch(
                &format!("/api/v1/tickets/{moved}"),
                json!({"team_id": world.restricted.team_id}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        store
            .ask_for_manager(
                world.restricted.ticket_id,
                world.restricted.customer_id,
                "Quillfeather: I want a manager.",
            )
            .await
            .expect("escalated");
        let link = world
            .app
            .app
            .store
            .portal_link_for(world.own.email)
            .await
            .expect("a link");
        let token = link.rsplit('/').next().expect("token");
        let (portal_session, _) = world
            .app
            .app
            .store
            .redeem_portal_link(token)
            .await
            .expect("a session");
        let admin = store.agent(world.admin.id).await.expect("admin");
        let shared_reply = store
            .create_saved_reply(
                rapport_store::saved_replies::SavedReplyText {
                    title: "Shared thanks",
                    body: "Hi {{customer.first_name}}, this is {{agent.name}} on #{{ticket.number}}.",
                    shared: true,
                    actions: Default::default(),
                },
                &admin,
            )
            .await
            .expect("shared reply")
            .id;
        World {
            portal_session,
            shared_reply,
            ..world
        }
    }

    fn side(&self, object: Object) -> &Side {
        match object {
            Object::Own => &self.own,
            Object::Other => &self.other,
            Object::Restricted => &self.restricted,
        }
    }

    fn person(&self, caller: Caller) -> Option<&Person> {
        match caller {
            Caller::Nobody | Caller::Customer => None,
            Caller::Member => Some(&self.member),
            Caller::Outsider => Some(&self.outsider),
            Caller::Supervisor => Some(&self.supervisor),
            Caller::Admin => Some(&self.admin),
        }
    }

    /// The caller's agent id; for those who are not agents, the member's.
    fn me(&self, caller: Caller) -> i64 {
        self.person(caller).unwrap_or(&self.member).id
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::SeqCst)
    }

    async fn task(&self, agent_id: i64, ticket_id: i64, title: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO tasks (agent_id, kind, ticket_id, title, detail, due_at, created_at) \
             VALUES ($1, 'check_in', $2, $3, '', $4, $4) RETURNING id",
        )
        .bind(agent_id)
        .bind(ticket_id)
        .bind(title)
        .bind(rapport_store::clock::format(crate::helpers::START))
        .fetch_one(self.app.app.store.pool())
        .await
        .expect("a task")
    }

    /// A new notification of `agent_id`: a new ticket of the object's customer assigned to
    /// them by Rapport.
    async fn notification(&self, agent_id: i64, object: Object) -> i64 {
        let ticket_id = self.new_ticket(object).await;
        let patch = rapport_store::tickets::TicketPatch {
            assignee_id: Some(Some(agent_id)),
            ..Default::default()
        };
        self.app
            .app
            .store
            .update_ticket(ticket_id, patch, Actor::System)
            .await
            .expect("assigned");
        sqlx::query_scalar("SELECT MAX(id) FROM notifications WHERE agent_id = $1")
            .bind(agent_id)
            .fetch_one(self.app.app.store.pool())
            .await
            .expect("a notification")
    }

    /// A new ticket of the object's customer (in Legal for the restricted one).
    async fn new_ticket(&self, object: Object) -> i64 {
        let side = self.side(object);
        let ticket = self
            .app
            .app
            .store
            .open_portal_ticket(side.customer_id, "Wi-Fi drops", "It drops hourly.", &[])
            .await
            .expect("ticket");
        // Tags are agents' labels, not for the customer's eyes.
        let team_id = (object == Object::Restricted).then_some(side.team_id);
        let (status, body) = self
            .app
            .api()
            .patch(
                &format!("/api/v1/tickets/{}", ticket.id),
                json!({"team_id": team_id, "tags": ["marjoram"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        ticket.id
    }

    async fn proposed_ticket(&self, object: Object) -> i64 {
        let id = self.new_ticket(object).await;
        self.app
            .app
            .store
            .move_ticket(
                id,
                TicketMove::ProposeResolution,
                Actor::Agent(self.app.admin.id),
            )
            .await
            .expect("proposed");
        id
    }

    /// What fills a route's `{id}` or `{token}` for this cell.
    async fn object(&self, names: Names, caller: Caller, object: Object) -> String {
        let side = self.side(object);
        let store = &self.app.app.store;
        let id = match names {
            Names::Nothing => return String::new(),
            Names::Asset => return "rapport.css".to_owned(),
            Names::Ticket => side.ticket_id,
            Names::NewTicket => self.new_ticket(object).await,
            Names::Escalation => {
                let ticket = self.new_ticket(object).await;
                store
                    .escalate(ticket, "The matrix asks for a manager.", Actor::System)
                    .await
                    .expect("escalation")
                    .id
            }
            Names::Complaint => {
                store
                    .open_complaint(
                        rapport_store::complaints::NewComplaint {
                            customer_id: side.customer_id,
                            ticket_id: Some(side.ticket_id),
                            cause: rapport_domain::complaint::Cause::Service,
                            staff_agent_id: None,
                            severity: rapport_domain::complaint::Severity::Medium,
                            channel: rapport_domain::complaint::ComplaintChannel::Email,
                            incident: "The matrix complains.".to_owned(),
                            staff_account: String::new(),
                        },
                        Actor::System,
                    )
                    .await
                    .expect("complaint")
                    .id
            }
            Names::ProposedTicket => self.proposed_ticket(object).await,
            Names::ResolvedTicket => {
                let id = self.proposed_ticket(object).await;
                store
                    .move_ticket(
                        id,
                        TicketMove::ConfirmResolution,
                        Actor::Customer(side.customer_id),
                    )
                    .await
                    .expect("resolved");
                id
            }
            Names::Customer => side.customer_id,
            Names::Letter => {
                let n = self.next();
                store
                    .write_letter(
                        side.customer_id,
                        None,
                        &format!("Letter {n}"),
                        "Please look into this.",
                    )
                    .await
                    .expect("letter")
                    .0
            }
            Names::Contract => {
                let n = self.next();
                store
                    .create_contract(
                        rapport_store::contracts::NewContract {
                            holder: rapport_store::contracts::Holder::Customer(side.customer_id),
                            kind: rapport_domain::contract::ContractKind::Warranty,
                            name: format!("Warranty {n}"),
                            starts_on: "2026-01-01".to_owned(),
                            ends_on: "2026-12-31".to_owned(),
                            first_response_minutes: None,
                            resolution_minutes: None,
                            asset_ids: vec![],
                        },
                        Actor::System,
                    )
                    .await
                    .expect("contract")
                    .id
            }
            Names::CustomerAsset => {
                let n = self.next();
                store
                    .create_asset(
                        rapport_store::contracts::NewAsset {
                            holder: rapport_store::contracts::Holder::Customer(side.customer_id),
                            name: format!("Laptop {n}"),
                            serial_number: None,
                        },
                        Actor::System,
                    )
                    .await
                    .expect("asset")
                    .id
            }
            Names::NewCustomer => {
                let n = self.next();
                store
                    .create_customer(
                        "Erin Erasable",
                        &format!("erase{n}@example.com"),
                        Actor::System,
                    )
                    .await
                    .expect("customer")
                    .id
            }
            Names::SpareEmail => {
                let n = self.next();
                let customer = store
                    .create_customer("Sol Spare", &format!("keep{n}@example.com"), Actor::System)
                    .await
                    .expect("customer");
                store
                    .add_customer_email(
                        customer.id,
                        &format!("spare{}@example.com", customer.id),
                        false,
                        Actor::System,
                    )
                    .await
                    .expect("second address");
                customer.id
            }
            Names::NewOrganization => {
                let n = self.next();
                let organization = store
                    .create_organization(
                        rapport_store::organizations::NewOrganization {
                            name: &format!("New org {n}"),
                            domains: &[],
                            relationship_kind: rapport_domain::RelationshipKind::Transactional,
                            owner_id: None,
                        },
                        Actor::System,
                    )
                    .await
                    .expect("organization");
                store
                    .add_organization_domain(
                        organization.id,
                        &format!("org{}.example", organization.id),
                        Actor::System,
                    )
                    .await
                    .expect("domain");
                organization.id
            }
            Names::Organization => side.organization_id,
            Names::Team => side.team_id,
            Names::Agent => match object {
                Object::Own => self.me(caller),
                Object::Other => self.other_agent_id,
                Object::Restricted => self.member.id,
            },
            Names::Task => {
                let agent_id = match object {
                    Object::Own => self.me(caller),
                    Object::Other => self.other_agent_id,
                    Object::Restricted => self.member.id,
                };
                self.task(agent_id, side.ticket_id, "Check in").await
            }
            Names::Promise => {
                let (status, promise) = self
                    .app
                    .api()
                    .post(
                        "/api/v1/promises",
                        json!({"ticket_id": side.ticket_id, "kind": "other", "what": "Send the guide", "due_at": "2026-11-25T10:00:00Z"}),
                    )
                    .await;
                assert_eq!(status, 201, "{promise}");
                id_of(&promise)
            }
            Names::CallBackRequest => {
                let customer_id = side.customer_id;
                store
                    .create_promise(
                        rapport_store::promises::NewPromise {
                            customer_id,
                            ticket_id: Some(side.ticket_id),
                            agent_id: self.app.admin.id,
                            kind: rapport_store::promises::PromiseKind::CallBack,
                            what: "Call back in the morning",
                            channel: "phone",
                            phone: Some("+44 20 7946 0000"),
                            window_start: None,
                            due_at: "2026-11-25T10:00:00Z",
                        },
                        Actor::Customer(customer_id),
                    )
                    .await
                    .expect("call-back request")
                    .id
            }
            Names::Token => {
                let owner = match object {
                    Object::Own => self.me(caller),
                    _ => self.other_agent_id,
                };
                store.create_token(owner, "matrix").await.expect("token").id
            }
            Names::Notification => {
                let owner = match object {
                    Object::Own => self.me(caller),
                    _ => self.other_agent_id,
                };
                self.notification(owner, object).await
            }
            Names::Attachment => side.attachment_id,
            Names::InboundMail => side.inbound_id,
            Names::FilteredMail => {
                let n = self.next();
                let raw = format!(
                    "From: {email}\r\nTo: support@rapport.test\r\nSubject: Our newsletter\r\nPrecedence: bulk\r\n\
                     Message-ID: <filtered-{n}@matrix.example>\r\n\r\nNews.\r\n",
                    email = side.email
                );
                let ingested = store
                    .ingest_email(raw.as_bytes(), None, 1 << 20)
                    .await
                    .expect("filtered mail");
                // The restricted one answers C's ticket, in the restricted team.
                sqlx::query("UPDATE inbound_emails SET related_ticket_id = $1 WHERE id = $2")
                    .bind(side.ticket_id)
                    .bind(ingested.inbound_id)
                    .execute(store.pool())
                    .await
                    .expect("related ticket");
                ingested.inbound_id
            }
            Names::ResolutionLink => {
                let id = self.proposed_ticket(object).await;
                let messages = store.ticket_messages(id).await.expect("messages");
                let text = &messages.last().expect("the question").text;
                let at = text.find("/resolution/").expect("a link") + "/resolution/".len();
                return text[at..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
            }
            Names::SurveyLink => {
                let token = secrets::generate("");
                sqlx::query(
                    "INSERT INTO surveys (customer_id, ticket_id, kind, token_hash, sent_at) VALUES ($1, $2, 'csat', $3, $4)",
                )
                .bind(side.customer_id)
                .bind(side.ticket_id)
                .bind(secrets::digest(&token))
                .bind(rapport_store::clock::format(crate::helpers::START))
                .execute(store.pool())
                .await
                .expect("a survey");
                return token;
            }
            Names::PortalLink => {
                let link = store.portal_link_for(side.email).await.expect("a link");
                return link.rsplit('/').next().expect("token").to_owned();
            }
            Names::NewAgent => {
                let n = self.next();
                store
                    .create_agent(
                        NewAgent {
                            email: &format!("new{n}@rapport.test"),
                            name: "Nia New",
                            role: Role::Agent,
                            reports_to: None,
                            password: Some(PASSWORD),
                        },
                        Actor::System,
                    )
                    .await
                    .expect("agent")
                    .id
            }
            Names::SavedReply => {
                let (owner, shared) = match object {
                    Object::Own => (self.me(caller), false),
                    Object::Other => (self.other_agent_id, false),
                    Object::Restricted => (self.admin.id, true),
                };
                let owner = store.agent(owner).await.expect("agent");
                let n = self.next();
                store
                    .create_saved_reply(
                        rapport_store::saved_replies::SavedReplyText {
                            title: &format!("Saved {n}"),
                            body: "Hi {{customer.first_name}}, we are on it.",
                            shared,
                            actions: Default::default(),
                        },
                        &owner,
                    )
                    .await
                    .expect("saved reply")
                    .id
            }
            Names::SharedReplyFor => self.shared_reply,
            Names::Policy => {
                let n = self.next();
                store
                    .create_policy(
                        rapport_domain::policy::PolicyText::new(
                            &format!("Policy {n}"),
                            "Refunds within 30 days.",
                            "Stock loses value.",
                            &[],
                            &[],
                            None,
                        )
                        .expect("a policy"),
                        Actor::System,
                    )
                    .await
                    .expect("policy")
                    .id
            }
            Names::PolicyException => {
                let marker = match object {
                    Object::Own => "Applewood",
                    Object::Other => "Bramblewick",
                    Object::Restricted => "Quillfeather",
                };
                let member = store.agent(self.member.id).await.expect("member");
                store
                    .request_policy_exception(
                        rapport_store::policies::ExceptionRequest {
                            ticket_id: side.ticket_id,
                            policy_id: self.policy_id,
                            reason: &format!("{marker}: the parcel was late."),
                            cost_minor: 500,
                            currency: "EUR",
                            decider_id: None,
                        },
                        &member,
                    )
                    .await
                    .expect("an exception")
                    .id
            }
            Names::Webhook => {
                let n = self.next();
                let (webhook, _) = store
                    .create_webhook(
                        rapport_store::webhooks::SubscriptionFields {
                            url: format!("https://hooks.example.invalid/{n}"),
                            description: format!("Matrix {n}"),
                            event_types: vec![rapport_domain::webhook::EventType::TicketCreated],
                            active: true,
                        },
                        Actor::System,
                    )
                    .await
                    .expect("webhook");
                store
                    .queue_test_webhook(webhook.id, Actor::System)
                    .await
                    .expect("a test delivery");
                webhook.id
            }
            Names::NewSlaPolicy => {
                let n = self.next();
                store
                    .create_sla_policy(
                        rapport_store::sla::PolicyFields {
                            name: format!("Policy {n}"),
                            priority: Some(rapport_domain::Priority::Low),
                            first_response_minutes: Some(480),
                            ..Default::default()
                        },
                        Actor::System,
                    )
                    .await
                    .expect("policy")
                    .id
            }
            Names::NewTeam => {
                let n = self.next();
                store
                    .create_team(&format!("New team {n}"), &[], false, Actor::System)
                    .await
                    .expect("team")
                    .id
            }
            Names::AgentLink => {
                let n = self.next();
                let email = format!("linked{n}@rapport.test");
                let invitation = rapport_store::agent_links::Invitation {
                    staff: rapport_store::agents::Staff {
                        email: &email,
                        name: "Lin Linked",
                        role: Role::Agent,
                        reports_to: None,
                    },
                    team_ids: &[],
                };
                store
                    .invite_agent(invitation, Actor::System)
                    .await
                    .expect("invited");
                return crate::admin::mailed_link(&self.app, &email, "/password/").await;
            }
        };
        id.to_string()
    }

    /// The template with this cell's values.
    async fn fill(&self, template: &str, caller: Caller, object: Object, id: &str) -> String {
        let side = self.side(object);
        let mut text = template
            .replace("{id}", id)
            .replace("{token}", id)
            .replace("{name}", id)
            .replace("{email}", side.email)
            .replace("{ticket}", &side.ticket_id.to_string())
            .replace("{address}", &format!("spare{id}@example.com"))
            .replace("{domain}", &format!("org{id}.example"))
            .replace("{me}", &self.me(caller).to_string())
            .replace("{policy}", &self.policy_id.to_string())
            .replace("{n}", &self.next().to_string());
        if text.contains("{delivery_id}") {
            let webhook = id.parse().expect("a webhook id");
            let delivery = self
                .app
                .app
                .store
                .webhook_deliveries(webhook, None, 1)
                .await
                .expect("deliveries")
                .first()
                .map_or(0, |delivery| delivery.id);
            text = text.replace("{delivery_id}", &delivery.to_string());
        }
        if text.contains("{new_customer}") {
            let n = self.next();
            let customer = self
                .app
                .app
                .store
                .create_customer(
                    "Dee Duplicate",
                    &format!("dup{n}@example.com"),
                    Actor::System,
                )
                .await
                .expect("customer");
            text = text.replace("{new_customer}", &customer.id.to_string());
        }
        text
    }

    /// The caller's cookie and CSRF token for a page (or an API row called with sessions).
    fn cookie(&self, caller: Caller) -> Option<(String, String)> {
        let (name, session) = match caller {
            Caller::Nobody => return None,
            Caller::Customer => ("rapport_portal", self.portal_session.as_str()),
            _ => ("rapport_session", self.person(caller)?.session.as_str()),
        };
        Some((
            format!("{name}={session}"),
            secrets::digest(&format!("csrf:{session}")),
        ))
    }
}

/// The form token of a browser that opened a sign-in form (the cookie and the field match).
const FORM_TOKEN: &str = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";

/// One answer, as the matrix reads it.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

impl Answer {
    fn is(&self, expected: &str, ok: u16) -> bool {
        let redirect = self.status == 303 || self.status == 302 || self.status == 307;
        let to_sign_in = redirect && self.location.starts_with("/sign-in");
        let to_portal =
            redirect && (self.location == "/portal" || self.location.starts_with("/portal?next="));
        match expected {
            "signin" => to_sign_in,
            "portal" => to_portal,
            "ok" => self.status == ok && !(ok == 303 && (to_sign_in || to_portal)),
            status => status.parse() == Ok(self.status),
        }
    }

    fn describe(&self) -> String {
        if self.location.is_empty() {
            let text: String = self.body.chars().take(160).collect();
            format!("{} {text}", self.status)
        } else {
            format!("{} to {}", self.status, self.location)
        }
    }
}

/// Sends one cell's request.
async fn ask(world: &World, row: &Row, query: &str, caller: Caller, object: Object) -> Answer {
    let app = &world.app;
    let id = world.object(row.names, caller, object).await;
    let path = world
        .fill(&format!("{}{query}", row.route), caller, object, &id)
        .await;
    let method = Method::from_bytes(row.method.as_bytes()).expect("method");
    let mut request = browser().request(method, app.url(&path));
    let mut cookies = Vec::new();
    let mut csrf = String::new();
    let agent_api = row.is_api() && !row.session;
    match (caller, world.person(caller)) {
        (Caller::Member | Caller::Outsider | Caller::Supervisor | Caller::Admin, Some(person))
            if agent_api =>
        {
            request = request.bearer_auth(&person.token);
        }
        _ => {
            if let Some((cookie, token)) = world.cookie(caller) {
                cookies.push(cookie);
                request = request.header("x-csrf-token", &token);
                csrf = token;
            }
        }
    }
    let fields = |template: String| -> Vec<(String, String)> {
        template
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), value.to_owned())
            })
            .collect()
    };
    request = match row.body {
        Body::None => request,
        Body::Json(template) => request
            .header("content-type", "application/json")
            .body(world.fill(template, caller, object, &id).await),
        Body::Mail(template) => request
            .header("content-type", "message/rfc822")
            .body(world.fill(template, caller, object, &id).await),
        Body::Form(template) => {
            let mut form = fields(world.fill(template, caller, object, &id).await);
            form.push(("csrf".to_owned(), csrf));
            request.form(&form)
        }
        Body::SignInForm(template) => {
            let mut form = fields(world.fill(template, caller, object, &id).await);
            form.push(("csrf".to_owned(), FORM_TOKEN.to_owned()));
            cookies.push(format!("rapport_form={FORM_TOKEN}"));
            request.form(&form)
        }
        Body::Multipart(template) => {
            let mut form = fields(world.fill(template, caller, object, &id).await);
            form.push(("csrf".to_owned(), csrf));
            let boundary = "matrix-boundary-5c2e";
            let mut body = String::new();
            for (name, value) in form {
                let _ = write!(
                    body,
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                );
            }
            let _ = write!(body, "--{boundary}--\r\n");
            request
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
        }
    };
    if !cookies.is_empty() {
        request = request.header("cookie", cookies.join("; "));
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
    // A live stream never ends; its headers are the answer.
    let body = if streaming {
        String::new()
    } else {
        String::from_utf8_lossy(&response.bytes().await.expect("a body")).into_owned()
    };
    Answer {
        status,
        location,
        body,
    }
}

/// The expected answer of one cell, from the row's six columns.
fn expected(row: &Row, caller: Caller, object: Object) -> &'static str {
    let columns: Vec<&'static str> = row.expect.split_whitespace().collect();
    assert_eq!(
        columns.len(),
        CALLERS.len(),
        "{} {}: six columns",
        row.method,
        row.route
    );
    let at = CALLERS.iter().position(|c| *c == caller).expect("caller");
    let answers: Vec<&'static str> = columns[at].split('/').collect();
    let objects = row.names.objects();
    assert!(
        answers.len() == 1 || answers.len() == objects.len(),
        "{} {}: a cell has one answer or one per object",
        row.method,
        row.route
    );
    let index = objects.iter().position(|o| *o == object).expect("object");
    answers[if answers.len() == 1 { 0 } else { index }]
}

/// What is wrong with one cell's answer, if anything.
async fn check(
    world: &World,
    row: &Row,
    query: &str,
    caller: Caller,
    object: Object,
) -> Option<String> {
    let answer = ask(world, row, query, caller, object).await;
    let want = expected(row, caller, object);
    if std::env::var("MATRIX_DUMP").is_ok() {
        println!(
            "CELL {} {}{query} {caller:?} {object:?} -> {}",
            row.method,
            row.route,
            answer.describe().replace('\n', " ")
        );
    }
    let cell = format!(
        "{} {}{query} as {caller:?} on {object:?}",
        row.method, row.route
    );
    if answer.body.contains("route_not_found")
        || answer
            .body
            .contains("There is no such page. Check the address, or start from the inbox (or")
        || answer.status == 405
    {
        return Some(format!(
            "{cell}: the server has no such route ({})",
            answer.describe()
        ));
    }
    if !answer.is(want, row.ok) {
        return Some(format!(
            "{cell}: expected {}, got {}",
            if want == "ok" {
                row.ok.to_string()
            } else {
                want.to_owned()
            },
            answer.describe()
        ));
    }
    let body = answer.body.to_lowercase();
    for marker in Marker::hidden_from(caller) {
        if row.names.is_link() && *marker == Marker::of(object) {
            continue;
        }
        let word = marker.word().to_lowercase();
        if body.contains(&word) || answer.location.to_lowercase().contains(&word) {
            return Some(format!(
                "{cell}: the answer ({}) contains \"{}\", which {caller:?} may not read",
                answer.status,
                marker.word()
            ));
        }
    }
    None
}

/// Every `(method, path)` the server has: the OpenAPI document's and the page routes.
async fn served(app: &TestApp) -> BTreeSet<(String, String)> {
    let (status, document) = app.api_as(None).get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    for (method, path) in rapport::router::page_routes() {
        routes.insert((method.to_owned(), path.to_owned()));
    }
    routes
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_table_says() {
    let started = std::time::Instant::now();
    // A 500 in a cell is logged with its cause.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
    let world = World::build().await;
    let table = table();

    let served = served(&world.app).await;
    let mut rows = BTreeSet::new();
    for row in &table {
        let key = (row.method.to_owned(), row.route.to_owned());
        assert!(
            rows.insert(key),
            "two rows for {} {}",
            row.method,
            row.route
        );
    }
    let missing: Vec<String> = served
        .difference(&rows)
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    let stale: Vec<String> = rows
        .difference(&served)
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "every route needs a row in tests/api/matrix.rs with who may do what.\n\
         Routes without a row: {missing:#?}\nRows for routes the server does not have: {stale:#?}"
    );

    // The marker words are where the matrix looks: those who may read them do.
    for (route, query, names, caller, word) in [
        (
            "/",
            "?q=retention",
            Names::Nothing,
            Caller::Admin,
            Marker::Restricted,
        ),
        (
            "/api/v1/search",
            "?q=Quillfeather",
            Names::Nothing,
            Caller::Member,
            Marker::Restricted,
        ),
        (
            "/",
            "?view=unassigned",
            Names::Nothing,
            Caller::Admin,
            Marker::Restricted,
        ),
        (
            "/",
            "?view=escalated",
            Names::Nothing,
            Caller::Member,
            Marker::Restricted,
        ),
        (
            "/tasks",
            "",
            Names::Nothing,
            Caller::Member,
            Marker::Restricted,
        ),
        (
            "/api/v1/tasks",
            "?agent_id={id}&due=all",
            Names::Agent,
            Caller::Admin,
            Marker::Restricted,
        ),
        (
            "/api/v1/customers/{id}/promises",
            "",
            Names::Customer,
            Caller::Member,
            Marker::Restricted,
        ),
        (
            "/tickets/{id}",
            "",
            Names::Ticket,
            Caller::Outsider,
            Marker::Internal,
        ),
        ("/portal", "", Names::Nothing, Caller::Customer, Marker::A),
        (
            "/portal/letter",
            "?ticket={id}",
            Names::Ticket,
            Caller::Customer,
            Marker::A,
        ),
    ] {
        let object = match word {
            Marker::Restricted => Object::Restricted,
            _ => Object::Own,
        };
        let control = row("GET", route, names, 200, PUBLIC);
        let answer = ask(&world, &control, query, caller, object).await;
        assert!(
            answer.body.contains(word.word()),
            "GET {route}{query} as {caller:?} should read \"{}\": {}",
            word.word(),
            answer.describe()
        );
    }

    let cells = |last: bool| {
        table
            .iter()
            .filter(move |row| row.last == last)
            .flat_map(|row| {
                row.queries.iter().flat_map(move |query| {
                    CALLERS.iter().flat_map(move |caller| {
                        row.names
                            .objects()
                            .iter()
                            .map(move |object| (row, *query, *caller, *object))
                    })
                })
            })
            .collect::<Vec<_>>()
    };
    let first = cells(false);
    let count = first.len();
    let mut failures: Vec<String> = futures_util::stream::iter(first)
        .map(|(row, query, caller, object)| check(&world, row, query, caller, object))
        .buffer_unordered(8)
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    // What ends sessions goes last, one at a time.
    let last = cells(true);
    let count = count + last.len();
    for (row, query, caller, object) in last {
        failures.extend(check(&world, row, query, caller, object).await);
    }

    let api_routes = table.iter().filter(|row| row.is_api()).count();
    println!(
        "authorization matrix: {} routes ({api_routes} API, {} pages), {count} cells, {:.1} s",
        table.len(),
        table.len() - api_routes,
        started.elapsed().as_secs_f64()
    );
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {count} cells answered otherwise than the table says:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
