use crate::app::App;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthAgent, Json};
use axum::extract::State;
use rapport_domain::NotificationKind;
use rapport_domain::notification::Channels;
use rapport_store::notifications::ChannelChoice;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where each kind of notification goes for the calling agent.
#[derive(Serialize, ToSchema)]
pub struct NotificationSettings {
    /// A ticket is assigned to me by someone else (also in bulk, or handed over).
    assigned: Channels,
    /// A customer replies on a ticket assigned to me (by mail or in the portal).
    customer_replied: Channels,
    /// A promise of mine falls due soon.
    promise_due: Channels,
    /// A customer's request for a manager reaches me.
    escalation: Channels,
    /// A policy exception waits for my decision.
    policy_exception: Channels,
}

impl NotificationSettings {
    fn of(all: &[(NotificationKind, Channels)]) -> NotificationSettings {
        let get = |kind: NotificationKind| {
            all.iter()
                .find(|(k, _)| *k == kind)
                .map_or(kind.default_channels(), |(_, channels)| *channels)
        };
        NotificationSettings {
            assigned: get(NotificationKind::Assigned),
            customer_replied: get(NotificationKind::CustomerReplied),
            promise_due: get(NotificationKind::PromiseDue),
            escalation: get(NotificationKind::Escalation),
            policy_exception: get(NotificationKind::PolicyException),
        }
    }
}

/// A change of one kind's channels; what is left out stays as it is.
#[derive(Deserialize, ToSchema, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub in_page: Option<bool>,
    pub by_mail: Option<bool>,
}

/// The kinds to change; those left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsPatch {
    assigned: Option<Choice>,
    customer_replied: Option<Choice>,
    promise_due: Option<Choice>,
    escalation: Option<Choice>,
    policy_exception: Option<Choice>,
}

impl From<Choice> for ChannelChoice {
    fn from(choice: Choice) -> ChannelChoice {
        ChannelChoice {
            in_page: choice.in_page,
            by_mail: choice.by_mail,
        }
    }
}

/// Where each kind of notification goes for the calling agent: in the page, by mail.
#[utoipa::path(get, path = "/api/v1/notifications/settings", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings)))]
pub async fn show_settings(
    State(app): State<App>,
    auth: AuthAgent,
) -> ApiResult<Json<NotificationSettings>> {
    let all = app.store.notification_settings(auth.0.id).await?;
    Ok(Json(NotificationSettings::of(&all)))
}

/// Change where kinds of notification go for the calling agent; kinds and channels left out
/// stay as they are. Defaults: every kind in the page; by mail, assignments and requests
/// for a manager.
#[utoipa::path(patch, path = "/api/v1/notifications/settings", tag = "notifications", security(("bearer" = [])),
    request_body = NotificationSettingsPatch,
    responses((status = 200, body = NotificationSettings), (status = 422, body = ErrorBody)))]
pub async fn change_settings(
    State(app): State<App>,
    auth: AuthAgent,
    Json(patch): Json<NotificationSettingsPatch>,
) -> ApiResult<Json<NotificationSettings>> {
    let choices: Vec<(NotificationKind, ChannelChoice)> = [
        (NotificationKind::Assigned, patch.assigned),
        (NotificationKind::CustomerReplied, patch.customer_replied),
        (NotificationKind::PromiseDue, patch.promise_due),
        (NotificationKind::Escalation, patch.escalation),
        (NotificationKind::PolicyException, patch.policy_exception),
    ]
    .into_iter()
    .filter_map(|(kind, choice)| choice.map(|choice| (kind, choice.into())))
    .collect();
    let all = app
        .store
        .set_notification_settings(auth.0.id, &choices, auth.actor())
        .await?;
    Ok(Json(NotificationSettings::of(&all)))
}
