//! `/saved-replies`: the replies an agent reuses, their own and the shared ones. Each shows
//! what the coach finds in it, so a cold template is fixed once, for everyone who uses it.
//! Supervisors and admins write the shared ones.

use super::ticket::{CoachView, actions_words};
use crate::app::App;
use crate::pages::{
    Id, PageError, PageResult, SignedIn, Submitted, correctable, render_with, url_escape,
};
use crate::saved_replies::{changeable_by, review_of, usable};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use rapport_domain::saved_reply::{Actions, PLACEHOLDERS};
use rapport_domain::{Actor, Agent, Priority, Role};
use rapport_store::saved_replies::{SavedReply, SavedReplyText};
use serde::Deserialize;

struct Line {
    saved: SavedReply,
    score: Option<u8>,
    warnings: usize,
    does: String,
}

#[derive(Template)]
#[template(path = "workspace/saved_replies.html")]
struct ListPage {
    agent: Agent,
    csrf: String,
    query: String,
    lines: Vec<Line>,
    may_share: bool,
    placeholders: &'static [(&'static str, &'static str)],
    priorities: &'static [Priority],
    form: Form,
    flash: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace/saved_reply.html")]
struct EditPage {
    agent: Agent,
    csrf: String,
    query: String,
    saved: SavedReply,
    review: CoachView,
    placeholders: &'static [(&'static str, &'static str)],
    priorities: &'static [Priority],
    form: Form,
    flash: Option<String>,
    error: Option<String>,
}

/// The form as sent (or as the saved reply fills it).
#[derive(Deserialize, Default)]
pub struct Form {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    shared: Option<String>,
    #[serde(default)]
    add_tags: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    propose_resolution: Option<String>,
}

impl Form {
    fn of(saved: &SavedReply) -> Form {
        Form {
            title: saved.title.clone(),
            body: saved.body.clone(),
            shared: saved.owner_id.is_none().then(|| "1".to_owned()),
            add_tags: saved.actions.add_tags.join(", "),
            priority: saved
                .actions
                .priority
                .map(|p| p.to_string())
                .unwrap_or_default(),
            propose_resolution: saved.actions.propose_resolution.then(|| "1".to_owned()),
        }
    }

    fn priority_is(&self, priority: &Priority) -> bool {
        self.priority == priority.as_str()
    }

    fn actions(&self) -> Result<Actions, String> {
        let priority = match self.priority.trim() {
            "" => None,
            other => Some(
                other
                    .parse()
                    .map_err(|_| "Choose a priority from the list, or none.".to_owned())?,
            ),
        };
        Ok(Actions {
            add_tags: self
                .add_tags
                .split(',')
                .map(str::trim)
                .filter(|tag| !tag.is_empty())
                .map(str::to_owned)
                .collect(),
            priority,
            propose_resolution: self.propose_resolution.is_some(),
        })
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn list_page(
    app: &App,
    signed_in: SignedIn,
    status: StatusCode,
    form: Form,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let lines = app
        .store
        .saved_replies_for(&signed_in.agent)
        .await?
        .into_iter()
        .map(|saved| {
            let review = review_of(&saved.body);
            Line {
                score: review.score,
                warnings: review.findings.iter().filter(|f| !f.positive).count(),
                does: actions_words(&saved.actions),
                saved,
            }
        })
        .collect();
    Ok(render_with(
        status,
        &ListPage {
            may_share: signed_in.agent.role.includes(Role::Supervisor),
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            lines,
            placeholders: PLACEHOLDERS,
            priorities: Priority::ALL,
            form,
            flash,
            error,
        },
    ))
}

pub async fn list(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<Done>,
) -> PageResult {
    list_page(
        &app,
        signed_in,
        StatusCode::OK,
        Form::default(),
        query.done,
        None,
    )
    .await
}

fn back(path: &str, done: &str) -> axum::response::Response {
    Redirect::to(&format!("{path}?done={}", url_escape(done))).into_response()
}

pub async fn create(
    State(app): State<App>,
    signed_in: SignedIn,
    Submitted(form): Submitted<Form>,
) -> PageResult {
    let shared = form.shared.is_some();
    if shared && !signed_in.agent.role.includes(Role::Supervisor) {
        return Err(PageError::forbidden(
            "Sharing a saved reply with everyone needs the supervisor or admin role; save it as your own instead.",
        ));
    }
    let actions = match form.actions() {
        Ok(actions) => actions,
        Err(message) => {
            return list_page(
                &app,
                signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                None,
                Some(message),
            )
            .await;
        }
    };
    let created = app
        .store
        .create_saved_reply(
            SavedReplyText {
                title: &form.title,
                body: &form.body,
                shared,
                actions,
            },
            &signed_in.agent,
        )
        .await;
    match created {
        Ok(saved) => Ok(back(
            &format!("/saved-replies/{}", saved.id),
            "Saved. What the coach finds in it is below.",
        )),
        Err(error) => {
            let (status, message) = correctable(error)?;
            list_page(&app, signed_in, status, form, None, Some(message)).await
        }
    }
}

async fn edit_page(
    signed_in: SignedIn,
    saved: SavedReply,
    status: StatusCode,
    form: Form,
    flash: Option<String>,
    error: Option<String>,
) -> PageResult {
    let review = review_of(&form.body).into();
    Ok(render_with(
        status,
        &EditPage {
            agent: signed_in.agent,
            csrf: signed_in.csrf,
            query: String::new(),
            saved,
            review,
            placeholders: PLACEHOLDERS,
            priorities: Priority::ALL,
            form,
            flash,
            error,
        },
    ))
}

pub async fn show(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Query(query): Query<Done>,
) -> PageResult {
    let saved = usable(&app, &signed_in.agent, id).await?;
    let form = Form::of(&saved);
    edit_page(signed_in, saved, StatusCode::OK, form, query.done, None).await
}

pub async fn update(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(form): Submitted<Form>,
) -> PageResult {
    let saved = changeable_by(&app, &signed_in.agent, id).await?;
    let actions = match form.actions() {
        Ok(actions) => actions,
        Err(message) => {
            return edit_page(
                signed_in,
                saved,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                None,
                Some(message),
            )
            .await;
        }
    };
    let changed = app
        .store
        .update_saved_reply(
            id,
            SavedReplyText {
                title: &form.title,
                body: &form.body,
                shared: saved.owner_id.is_none(),
                actions,
            },
            Actor::Agent(signed_in.agent.id),
        )
        .await;
    match changed {
        Ok(_) => Ok(back(&format!("/saved-replies/{id}"), "Saved.")),
        Err(error) => {
            let (status, message) = correctable(error)?;
            edit_page(signed_in, saved, status, form, None, Some(message)).await
        }
    }
}

#[derive(Deserialize)]
pub struct Delete {}

pub async fn delete(
    State(app): State<App>,
    signed_in: SignedIn,
    Id(id): Id,
    Submitted(Delete {}): Submitted<Delete>,
) -> PageResult {
    let saved = changeable_by(&app, &signed_in.agent, id).await?;
    app.store
        .delete_saved_reply(id, Actor::Agent(signed_in.agent.id))
        .await?;
    Ok(back(
        "/saved-replies",
        &format!("Deleted “{}”.", saved.title),
    ))
}
