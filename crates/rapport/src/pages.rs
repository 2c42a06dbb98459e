//! What every HTML page shares: rendering templates (askama, which escapes everything it is
//! given unless told otherwise), the error page, the signed-in agent, CSRF checks on forms,
//! the security headers (a Content-Security-Policy that allows no inline script at all), the
//! static assets served from the binary, and how times are shown.
//!
//! The agent workspace is in `workspace/`, the customer portal in `portal/`.

use crate::app::App;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use rapport_domain::Agent;
use rapport_domain::calendar::Calendar;
use rapport_store::StoreError;
use serde::de::DeserializeOwned;

/// Renders a template into a page.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => PageError::internal(error).into_response(),
    }
}

/// Renders a template with a status other than 200 (a form with mistakes, a conflict).
pub fn render_with(status: StatusCode, template: &impl Template) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// A failure shown as a page: the status, and a sentence for the person reading it.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::internal(error).into()
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::new(error.status, error.message)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// An error page's title, said to the person rather than in HTTP's terms.
fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "That could not be read",
        401 => "Please sign in",
        403 => "Not open to you",
        404 => "Not found",
        409 => "That cannot be done now",
        410 => "No longer valid",
        413 => "Too large",
        422 => "Please check what you entered",
        429 => "Too many tries",
        500..=599 => "Something went wrong on our side",
        _ => "That did not work",
    }
}

/// A message written for the API (`due_at` in backticks) as a page says it ("due at").
pub fn in_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, part) in message.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&part.replace('_', " "));
        } else {
            out.push_str(part);
        }
    }
    out
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let message = in_words(&self.message);
        let page = ErrorPage {
            title: title_for(self.status),
            message: &message,
        };
        let html = page
            .render()
            .unwrap_or_else(|_| "Something went wrong.".to_owned());
        (self.status, Html(html)).into_response()
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// A refusal the person can correct (a 4xx: a bad value, a conflict), to show on the form
/// they sent; anything else, and a refusal of who they are (403), becomes the error page.
pub fn correctable(error: impl Into<ApiError>) -> PageResult<(StatusCode, String)> {
    let error = error.into();
    if error.status.is_client_error() && error.status != StatusCode::FORBIDDEN {
        Ok((error.status, error.message))
    } else {
        Err(error.into())
    }
}

/// The agent behind a page request (by the session cookie). Without a live session the
/// browser is sent to the sign-in page and brought back afterwards.
pub struct SignedIn {
    pub agent: Agent,
    /// Put in every form as `csrf`, and sent by scripts as `X-CSRF-Token`.
    pub csrf: String,
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let to_sign_in = || {
            let next = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let reading = parts.method == axum::http::Method::GET;
            let target = if reading && next != "/" {
                format!("/sign-in?next={}", url_escape(&next))
            } else {
                "/sign-in".to_owned()
            };
            Redirect::to(&target).into_response()
        };
        let Some(session) = crate::session::session_from(&parts.headers) else {
            return Err(to_sign_in());
        };
        match app.store.agent_for_session(&session).await {
            Ok(Some(agent)) => Ok(SignedIn {
                agent,
                csrf: crate::session::csrf_token(&session),
            }),
            Ok(None) => Err(to_sign_in()),
            Err(error) => Err(PageError::from(error).into_response()),
        }
    }
}

/// The `{id}` in a page's path. Anything but a whole number is a page that does not exist.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let not_found = || {
            PageError::not_found(
                "There is no such page. Check the address, or start from the inbox.",
            )
        };
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| not_found())?;
        raw.parse().map(Id).map_err(|_| not_found())
    }
}

/// Percent-encodes a value for a query string.
pub fn url_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A workspace path to go back to after signing in; anything else becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    rapport_domain::redirect::after_sign_in(next).to_owned()
}

/// A submitted form whose `csrf` field matches the session it came with: the agent's
/// session for workspace pages, the customer's for `/portal`. Anything else is refused, so
/// another site cannot make a signed-in browser act.
pub struct Submitted<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<App> for Submitted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Response> {
        let portal = request.uri().path().starts_with("/portal");
        let session = if portal {
            crate::portal::session_from(request.headers())
        } else {
            crate::session::session_from(request.headers())
        };
        let bytes = axum::body::Bytes::from_request(request, app)
            .await
            .map_err(|rejection| {
                PageError::new(rejection.status(), rejection.body_text()).into_response()
            })?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        let Some(session) = session else {
            return Err(expired(portal));
        };
        if field.csrf.is_empty() || field.csrf != crate::session::csrf_token(&session) {
            return Err(PageError::forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            )
            .into_response());
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(Submitted)
            .map_err(|error| {
                PageError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "The form could not be read: {error}. Go back and check what you entered."
                    ),
                )
                .into_response()
            })
    }
}

/// A form that may carry files (`multipart/form-data`), or a plain form without them: its
/// text fields and its files, once its `csrf` field matched the session it came with (the
/// agent's, or the customer's under `/portal`), as for [`Submitted`].
pub struct WithFiles(pub Upload);

/// A form's text fields and files.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    /// Every text field in order, repeated names included (tick boxes).
    pub pairs: Vec<(String, String)>,
    pub files: Vec<rapport_store::portal::UploadedFile>,
}

impl Upload {
    /// A text field, or an empty text when the form did not have it.
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Every value of a field sent more than once (tick boxes).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }
}

impl FromRequest<App> for WithFiles {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Response> {
        let portal = request.uri().path().starts_with("/portal");
        let session = if portal {
            crate::portal::session_from(request.headers())
        } else {
            crate::session::session_from(request.headers())
        };
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        let upload = if multipart {
            let form = axum::extract::Multipart::from_request(request, app)
                .await
                .map_err(|rejection| {
                    PageError::new(rejection.status(), rejection.body_text()).into_response()
                })?;
            read_multipart(form)
                .await
                .map_err(IntoResponse::into_response)?
        } else {
            let Submitted(fields) =
                Submitted::<Vec<(String, String)>>::from_request(request, app).await?;
            return Ok(WithFiles(Upload {
                fields: fields.iter().cloned().collect(),
                pairs: fields,
                files: Vec::new(),
            }));
        };
        let Some(session) = session else {
            return Err(expired(portal));
        };
        if upload.field("csrf") != crate::session::csrf_token(&session) {
            return Err(PageError::forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            )
            .into_response());
        }
        Ok(WithFiles(upload))
    }
}

async fn read_multipart(mut multipart: axum::extract::Multipart) -> PageResult<Upload> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        PageError::new(
            error.status(),
            format!(
                "The form could not be read ({}). If you attached large files, attach fewer or smaller ones (10 MB in all).",
                error.body_text()
            ),
        )
    };
    let mut upload = Upload {
        fields: std::collections::HashMap::new(),
        pairs: Vec::new(),
        files: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(filename) => {
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let data = field.bytes().await.map_err(unreadable)?;
                // An empty file input still sends a part with no name and no bytes.
                if !filename.is_empty() && !data.is_empty() {
                    upload.files.push(rapport_store::portal::UploadedFile {
                        filename: sanitize_filename(&filename),
                        content_type,
                        data: data.to_vec(),
                    });
                }
            }
            None => {
                let value = field.text().await.map_err(unreadable)?;
                upload.pairs.push((name.clone(), value.clone()));
                upload.fields.insert(name, value);
            }
        }
    }
    Ok(upload)
}

/// Keeps the last path component and drops control characters.
fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "attachment".to_owned()
    } else {
        clean
    }
}

/// Files sent with a form: at most this much in all.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Forms used before there is a session (the two sign-in forms) are protected by a
/// double-submit token: a random value in a cookie and the same value in the form. Another
/// site can make a browser post, but cannot read or set our cookie, so it cannot match it.
pub const FORM_COOKIE: &str = "rapport_form";

/// The form token for a sign-in page: the browser's, or a new one with the cookie to set.
pub fn form_token(app: &App, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match crate::session::cookie(headers, FORM_COOKIE) {
        Some(token) if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (token, None)
        }
        _ => {
            let token = rapport_store::secrets::generate("");
            let cookie =
                crate::session::session_cookie(app, headers, FORM_COOKIE, &token, 24 * 60 * 60);
            (token, Some(cookie))
        }
    }
}

/// Whether a submitted sign-in form carries the token of the browser's cookie.
pub fn form_token_matches(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    match (crate::session::cookie(headers, FORM_COOKIE), submitted) {
        (Some(cookie), Some(field)) => !cookie.is_empty() && cookie == field,
        _ => false,
    }
}

/// A page, with the form cookie when a new one was made.
pub fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn expired(portal: bool) -> Response {
    if portal {
        Redirect::to("/portal").into_response()
    } else {
        Redirect::to("/sign-in").into_response()
    }
}

/// Security headers on every response. The policy allows scripts, styles and images from
/// this server only: nothing inline, so a stored message can never run script.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A response with a stricter policy of its own (a file: `sandbox`) keeps it.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Sign-in links carry a secret in the path; never send it to another site.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The stylesheet and scripts, built into the binary.
pub mod assets {
    use super::*;
    use axum::extract::Path;

    const FILES: &[(&str, &str, &str)] = &[
        (
            "favicon.svg",
            "image/svg+xml",
            include_str!("../assets/favicon.svg"),
        ),
        (
            "rapport.css",
            "text/css; charset=utf-8",
            include_str!("../assets/rapport.css"),
        ),
        (
            "workspace.js",
            "text/javascript; charset=utf-8",
            include_str!("../assets/workspace.js"),
        ),
        (
            "times.js",
            "text/javascript; charset=utf-8",
            include_str!("../assets/times.js"),
        ),
    ];

    pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
        let Some((_, content_type, body)) = FILES.iter().find(|(file, _, _)| *file == name) else {
            return PageError::not_found("There is no such file.").into_response();
        };
        let etag = format!("\"{}\"", &rapport_store::secrets::digest(body)[..16]);
        let cached = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|value| value.as_bytes() == etag.as_bytes());
        let mut response = if cached {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (
                [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
                *body,
            )
                .into_response()
        };
        if let Ok(value) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// A moment shown to people: the exact time for machines (and the script that turns it into
/// the viewer's own time zone), and a readable UTC time for everyone else.
#[derive(Debug, Clone)]
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    /// A stored time as the team's clock reads it (`Mon 7 Dec, 19:36 CET`), and as it is
    /// stored for the page's `datetime` attribute.
    pub fn on(calendar: &Calendar, at: &str) -> When {
        let text = match rapport_store::clock::parse(at) {
            Some(t) => calendar.when(t),
            None => at.to_owned(),
        };
        When {
            iso: at.to_owned(),
            text,
        }
    }
}

/// A state's name as people say it: `waiting_on_us` becomes "waiting on us".
pub fn words(name: &str) -> String {
    name.replace('_', " ")
}
