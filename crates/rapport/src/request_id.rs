//! Every request gets an id, carried in the `x-request-id` header both ways and recorded on the
//! request's log span, so every log line written while answering it names it (in JSON logs as
//! `span.request_id`). An id sent by a proxy in front is kept when it is a plain token (letters,
//! digits, `-`, `_`, `.`; at most 64), so one request can be followed across both logs;
//! anything else is replaced.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";

/// The request's id, for the log span.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

fn usable(given: &str) -> bool {
    !given.is_empty()
        && given.len() <= 64
        && given
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A new id: 16 random hex digits.
fn new_id() -> String {
    rapport_store::secrets::random_bytes::<8>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The middleware: it runs outside the trace layer, so the span can read the id.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|given| usable(given))
        .map_or_else(new_id, str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_kept() {
        assert!(usable("abc-123_X.y"));
        assert!(!usable(""));
        assert!(!usable("a b"));
        assert!(!usable("a\nb"));
        assert!(!usable(&"x".repeat(65)));
        assert_eq!(new_id().len(), 16);
    }
}
