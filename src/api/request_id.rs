//! A request ID per request: taken from `X-Request-Id` when the caller sends a sane one,
//! generated otherwise, echoed in the response, attached to the request's log span and to
//! every error body.

use std::cell::RefCell;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, body::EitherBody};
use tracing::Instrument;

use super::error;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

thread_local! {
    /// The request ID while blocking work for a request runs on a worker thread.
    static BLOCKING_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The ID of the request being served, if any.
pub fn current() -> Option<String> {
    REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| BLOCKING_REQUEST_ID.with(|id| id.borrow().clone()))
}

/// Runs `f` on a blocking thread with `id` as the current request ID.
pub fn with<T>(id: Option<String>, f: impl FnOnce() -> T) -> T {
    BLOCKING_REQUEST_ID.with(|slot| *slot.borrow_mut() = id);
    let out = f();
    BLOCKING_REQUEST_ID.with(|slot| *slot.borrow_mut() = None);
    out
}

fn accepted(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    let sane = !text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/+=".contains(c));
    sane.then(|| text.to_owned())
}

/// The middleware.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(accepted)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = std::time::Instant::now();
    let response = REQUEST_ID
        .scope(id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;
    // An error raised by actix itself (a body extractor's limit, say) gets our error shape.
    let mut response = match error::foreign(&response) {
        Some(own) => {
            let rebuilt = REQUEST_ID.sync_scope(id.clone(), || own.error_response());
            response.into_response(rebuilt).map_into_right_body()
        }
        None => response.map_into_left_body(),
    };
    let status = response.status();
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}
