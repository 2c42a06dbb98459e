//! Webhooks: which changes other tools hear of, what each message says (the envelope and one
//! payload per event type, documented in the OpenAPI document), how a message is signed, when a
//! failed delivery is tried again, and which addresses a delivery may go to.
//!
//! A delivery is signed with HMAC-SHA256 over `"{timestamp}.{body}"`, the timestamp being the
//! Unix seconds of the attempt, and sent in one header: `Rapport-Signature: t=<timestamp>,v1=<hex>`.
//! A receiver recomputes the hex digest with its secret, compares it in constant time, and
//! refuses a timestamp too far from its own clock, so a captured message cannot be replayed later.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use std::net::IpAddr;
use utoipa::ToSchema;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Rapport-Signature";

/// What happened, as a webhook names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "ticket.created")]
    TicketCreated,
    #[serde(rename = "message.added")]
    MessageAdded,
    /// The conversation state (who owes the next message) or the problem state (is it solved)
    /// changed, by a move or by a message.
    #[serde(rename = "ticket.state_changed")]
    StateChanged,
    #[serde(rename = "promise.broken")]
    PromiseBroken,
    /// A case went up the chain: a customer or agent asked for a manager, a service level was
    /// missed, or an escalation nobody acknowledged moved one level up.
    #[serde(rename = "ticket.escalated")]
    Escalation,
    #[serde(rename = "survey.answered")]
    SurveyAnswered,
    #[serde(rename = "customer.health_band_changed")]
    HealthBandChanged,
    /// Sent by the "send a test event" action only; nobody subscribes to it.
    #[serde(rename = "webhook.test")]
    Test,
}

impl EventType {
    /// The types a subscription may choose, in the order pages list them.
    pub const SUBSCRIBABLE: [EventType; 7] = [
        EventType::TicketCreated,
        EventType::MessageAdded,
        EventType::StateChanged,
        EventType::PromiseBroken,
        EventType::Escalation,
        EventType::SurveyAnswered,
        EventType::HealthBandChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TicketCreated => "ticket.created",
            EventType::MessageAdded => "message.added",
            EventType::StateChanged => "ticket.state_changed",
            EventType::PromiseBroken => "promise.broken",
            EventType::Escalation => "ticket.escalated",
            EventType::SurveyAnswered => "survey.answered",
            EventType::HealthBandChanged => "customer.health_band_changed",
            EventType::Test => "webhook.test",
        }
    }

    /// The type in words, for the admin's page.
    pub fn label(self) -> &'static str {
        match self {
            EventType::TicketCreated => "A ticket is opened",
            EventType::MessageAdded => {
                "A message is added to a ticket (replies, customer mail, notes)"
            }
            EventType::StateChanged => "A ticket's conversation or problem state changes",
            EventType::PromiseBroken => "A promise to a customer is broken",
            EventType::Escalation => "A case is escalated or moves up the chain",
            EventType::SurveyAnswered => "A customer answers a survey",
            EventType::HealthBandChanged => "A customer's relationship health changes band",
            EventType::Test => "A test event sent by an admin",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventType {
    type Err = crate::Invalid;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventType::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::Test])
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                crate::Invalid::new(
                    "event type",
                    format!(
                        "“{text}” is not an event a webhook can subscribe to; use some of: {}",
                        EventType::SUBSCRIBABLE.map(EventType::as_str).join(", ")
                    ),
                )
            })
    }
}

/// The webhook types an audit-trail event stands for (none for most). A message that moves a
/// ticket's state is both a `message.added` and a `ticket.state_changed`.
pub fn types_of(entity: &str, action: &str, changes: &Value) -> Vec<EventType> {
    let moves_state = entity == "ticket"
        && (changes.get("conversation").is_some() || changes.get("problem").is_some());
    let mut types = match (entity, action) {
        ("ticket", "ticket.created") => vec![EventType::TicketCreated],
        ("ticket", "message.added") => vec![EventType::MessageAdded],
        ("ticket", "ticket.escalated" | "escalation.moved_up") => vec![EventType::Escalation],
        ("promise", "promise.broken") => vec![EventType::PromiseBroken],
        ("customer", "survey.answered") => vec![EventType::SurveyAnswered],
        _ => vec![],
    };
    // A new ticket's states are its first, not a change.
    if moves_state && action != "ticket.created" {
        types.push(EventType::StateChanged);
    }
    types
}

/// A delivery is tried at most this many times, then marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long to wait after failed attempt number `attempt` (1 for the first) before the next:
/// 1, 2, 4, 8, 16, 32 and 64 minutes (about two hours in all), then `None`: give up.
pub fn retry_after_seconds(attempt: i64) -> Option<i64> {
    (1..MAX_ATTEMPTS)
        .contains(&attempt)
        .then(|| 60 << (attempt - 1))
}

/// The hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes a key of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The value of the [`SIGNATURE_HEADER`]: `t=<timestamp>,v1=<hex>`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

/// Checks a [`SIGNATURE_HEADER`] value as a receiver would: the signature matches (compared in
/// constant time) and its timestamp is within `tolerance_seconds` of `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_seconds: i64) -> bool {
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => given = Some(value),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_seconds {
        return false;
    }
    let expected = signature(secret, timestamp, body);
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Whether a delivery may go to this address without the setting that allows private ones:
/// not loopback, private (RFC 1918, unique local), link-local (which holds cloud metadata
/// services), shared, unspecified, multicast, broadcast or documentation addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

crate::named_enum! {
    /// Where one delivery of an event to a subscription stands.
    DeliveryStatus, "delivery status" {
        /// Waiting for its first attempt, or for the next after a failure.
        Pending => "pending",
        /// The receiver answered with a 2xx status.
        Delivered => "delivered",
        /// Every attempt failed; it is not tried again.
        Failed => "failed",
    }
}

/// Every webhook body: which event, of what type, when, and its data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookEnvelope {
    /// Unique per event (`evt_...`); the same event sent again (a retry) has the same id, so a
    /// receiver can ignore one it has already handled.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened, UTC (RFC 3339).
    pub occurred_at: String,
    /// The payload of the event's type.
    pub data: WebhookData,
}

/// One payload per event type (which one is said by the envelope's `type`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum WebhookData {
    TicketCreated(TicketCreatedData),
    MessageAdded(MessageAddedData),
    StateChanged(StateChangedData),
    PromiseBroken(PromiseBrokenData),
    Escalation(EscalationData),
    SurveyAnswered(SurveyAnsweredData),
    HealthBandChanged(HealthBandChangedData),
    Test(TestEventData),
}

/// A ticket as webhooks describe it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookTicket {
    pub id: i64,
    pub subject: String,
    pub customer_id: i64,
    pub organization_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub priority: crate::Priority,
    pub conversation: crate::Conversation,
    pub problem: crate::Problem,
    pub channel: crate::Channel,
    pub tags: Vec<String>,
    pub created_at: String,
}

impl From<&crate::Ticket> for WebhookTicket {
    fn from(ticket: &crate::Ticket) -> WebhookTicket {
        WebhookTicket {
            id: ticket.id,
            subject: ticket.subject.clone(),
            customer_id: ticket.customer_id,
            organization_id: ticket.organization_id,
            team_id: ticket.team_id,
            assignee_id: ticket.assignee_id,
            priority: ticket.priority,
            conversation: ticket.conversation,
            problem: ticket.problem,
            channel: ticket.channel,
            tags: ticket.tags.clone(),
            created_at: ticket.created_at.clone(),
        }
    }
}

/// Who made a change: `customer`, `agent` or `system`, with the customer's or agent's id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookActor {
    pub kind: crate::ActorKind,
    pub id: Option<i64>,
}

impl From<crate::Actor> for WebhookActor {
    fn from(actor: crate::Actor) -> WebhookActor {
        WebhookActor {
            kind: actor.kind(),
            id: actor.id(),
        }
    }
}

/// `ticket.created`: a ticket was opened (by mail, the portal, an agent or the API). Its
/// first message comes with it (no `message.added` is sent for that one).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketCreatedData {
    pub ticket: WebhookTicket,
    /// The customer's first message, when the ticket opened with one.
    pub message: Option<WebhookMessage>,
    pub actor: WebhookActor,
}

/// A message as webhooks describe it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookMessage {
    pub id: i64,
    pub author: crate::Author,
    pub channel: crate::Channel,
    /// `internal` for notes only agents read.
    pub visibility: crate::Visibility,
    /// The message as plain text.
    pub text: String,
    pub created_at: String,
}

impl From<&crate::Message> for WebhookMessage {
    fn from(message: &crate::Message) -> WebhookMessage {
        WebhookMessage {
            id: message.id,
            author: message.author.clone(),
            channel: message.channel,
            visibility: message.visibility,
            text: message.text.clone(),
            created_at: message.created_at.clone(),
        }
    }
}

/// `message.added`: a message was added to a ticket (the ticket as it is after it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageAddedData {
    pub ticket: WebhookTicket,
    pub message: WebhookMessage,
}

/// One state before and after.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateChange {
    pub before: String,
    pub after: String,
}

/// `ticket.state_changed`: the conversation state, the problem state, or both changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateChangedData {
    pub ticket: WebhookTicket,
    /// What changed it, as the audit trail names it: `message.added`, `resolution.proposed`,
    /// `resolution.confirmed`, `problem.reopened`, `ticket.held`, ...
    pub cause: String,
    /// Present when the conversation state changed.
    pub conversation: Option<StateChange>,
    /// Present when the problem state changed.
    pub problem: Option<StateChange>,
    pub actor: WebhookActor,
}

/// `promise.broken`: a promise to a customer passed its due time unkept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromiseBrokenData {
    pub promise_id: i64,
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    /// The agent who made it.
    pub agent_id: i64,
    pub kind: crate::promise::PromiseKind,
    /// What was promised, in the agent's words.
    pub what: String,
    pub due_at: String,
}

/// `ticket.escalated`: a case went up the chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationData {
    pub ticket: WebhookTicket,
    /// `escalated` (someone asked for a manager, or a service level was missed) or `moved_up`
    /// (nobody acknowledged it in time).
    pub step: String,
    /// What sent it up: `customer`, `agent`, `email`, `service_level`, ... (for `escalated`).
    pub source: Option<String>,
    pub reason: Option<String>,
    /// The agent who has the case now.
    pub to_agent_id: Option<i64>,
    pub actor: WebhookActor,
}

/// `survey.answered`: a customer rated us.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyAnsweredData {
    pub customer_id: i64,
    /// `csat` (1 to 5) or `nps` (0 to 10).
    pub kind: String,
    pub score: i64,
}

/// `customer.health_band_changed`: a customer's relationship health moved to another band.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthBandChangedData {
    pub customer_id: i64,
    pub before: crate::health::Band,
    pub after: crate::health::Band,
    /// The score now, 0 to 100.
    pub score: i64,
}

/// `webhook.test`: sent when an admin asks; it changes nothing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestEventData {
    pub subscription_id: i64,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn audit_events_map_to_webhook_types() {
        assert_eq!(
            types_of("ticket", "ticket.created", &json!({"conversation": {}})),
            [EventType::TicketCreated]
        );
        assert_eq!(
            types_of("ticket", "message.added", &json!({"message_id": {}})),
            [EventType::MessageAdded]
        );
        assert_eq!(
            types_of(
                "ticket",
                "message.added",
                &json!({"conversation": {"before": "new", "after": "waiting_on_customer"}})
            ),
            [EventType::MessageAdded, EventType::StateChanged]
        );
        assert_eq!(
            types_of("ticket", "resolution.proposed", &json!({"problem": {}})),
            [EventType::StateChanged]
        );
        assert_eq!(
            types_of("promise", "promise.broken", &json!({})),
            [EventType::PromiseBroken]
        );
        assert_eq!(
            types_of("promise", "promise.kept", &json!({})),
            Vec::<EventType>::new()
        );
        assert!(types_of("agent", "agent.signed_in", &json!({})).is_empty());
    }

    #[test]
    fn retries_double_from_a_minute_then_give_up() {
        let schedule: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_after_seconds).collect();
        assert_eq!(
            schedule,
            [
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(960),
                Some(1920),
                Some(3840),
                None
            ]
        );
    }

    #[test]
    fn a_signature_verifies_with_the_secret_and_in_time_only() {
        let body = br#"{"id":"evt_1"}"#;
        let header = signature_header("whsec_abc", 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify("whsec_abc", &header, body, 1_700_000_100, 300));
        assert!(!verify("whsec_abd", &header, body, 1_700_000_100, 300));
        assert!(!verify("whsec_abc", &header, b"{}", 1_700_000_100, 300));
        assert!(!verify("whsec_abc", &header, body, 1_700_001_000, 300));
        assert!(!verify("whsec_abc", "v1=00", body, 1_700_000_000, 300));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_abc
        assert_eq!(
            signature("whsec_abc", 1_700_000_000, br#"{"id":"evt_1"}"#),
            "79f159714a0d01d9505691104b38e71f0dbb0d4bdeef387b113d07b870f50db3"
        );
    }

    #[test]
    fn private_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn event_types_read_back() {
        for kind in EventType::SUBSCRIBABLE {
            assert_eq!(kind.as_str().parse::<EventType>().ok(), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).expect("json"),
                json!(kind.as_str())
            );
        }
        assert!("ticket.deleted".parse::<EventType>().is_err());
    }
}

/// A webhook's address as an admin typed it, checked: `http://` or `https://`, a host, no
/// spaces and no user name or password in it. (Which hosts it may reach is the server's to
/// decide, by resolving it; see [`is_public`].)
pub fn check_url(url: &str) -> Result<String, crate::Invalid> {
    let url = url.trim();
    let invalid = |message: &str| Err(crate::Invalid::new("url", message.to_owned()));
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return invalid(
            "A webhook's address must start with https:// (or http://), such as https://example.com/hooks/rapport.",
        );
    };
    if url.len() > 2000 {
        return invalid("A webhook's address can be at most 2,000 characters long.");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("A webhook's address cannot contain spaces.");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return invalid(
            "A webhook's address cannot carry a user name or password; every delivery is signed with the webhook's secret instead.",
        );
    }
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty())
        .map_or(authority, |(host, _)| host);
    if host.is_empty() || host == "[]" {
        return invalid(
            "A webhook's address needs a host name, such as https://example.com/hooks.",
        );
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod url_tests {
    use super::check_url;

    #[test]
    fn only_http_addresses_with_a_host() {
        assert!(check_url(" https://example.com/hooks ").is_ok());
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("http://[::1]:8080/x").is_ok());
        for bad in [
            "ftp://example.com",
            "file:///etc/passwd",
            "gopher://x",
            "https://",
            "https://:80/",
            "https://user:pw@example.com/",
            "https://exa mple.com/",
            "example.com/hooks",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
