//! The one place where errors become HTTP responses. Every error body has the same shape:
//! `{"error": code, "message": text, "details": [...], "request_id": id}`. A 500 says nothing
//! about internals; its cause is logged once, with the request ID.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::request_id;
use crate::fhir::OperationOutcome;
use crate::model::FieldError;
use crate::service::ServiceError;
use crate::service::rollback::RollbackConflict;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the server is shutting down or overloaded")]
    Unavailable,
    /// The service runs but cannot serve: its database does not answer.
    #[error("{0}")]
    NotReady(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::BadRequest { code, .. } => code,
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::NotFound(_) => "not_found",
            Self::Unavailable => "unavailable",
            Self::NotReady(_) => "not_ready",
            Self::Service(e) => match e {
                ServiceError::UnknownDomain(_) => "unknown_domain",
                ServiceError::NotFound(_) => "not_found",
                ServiceError::Invalid { .. } => "invalid_request",
                ServiceError::Unprocessable { .. } => "unprocessable",
                ServiceError::Conflict(_) => "conflict",
                ServiceError::Claimed(_) => "claimed",
                ServiceError::RollbackConflicts(_) => "rollback_conflict",
                ServiceError::Forbidden(_) => "forbidden",
                ServiceError::PayloadTooLarge(_) => "payload_too_large",
                ServiceError::TooBusy(_) => "too_many_requests",
                ServiceError::InsufficientStorage(_) => "insufficient_storage",
                ServiceError::Store(_) | ServiceError::Rules(_) | ServiceError::Internal { .. } => {
                    "internal"
                }
            },
        }
    }

    fn conflicts(&self) -> &[RollbackConflict] {
        match self {
            Self::Service(ServiceError::RollbackConflicts(conflicts)) => conflicts,
            _ => &[],
        }
    }

    fn details(&self) -> &[FieldError] {
        match self {
            Self::Service(
                ServiceError::Invalid { details, .. } | ServiceError::Unprocessable { details, .. },
            ) => details,
            _ => &[],
        }
    }
}

/// The body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// A stable snake_case code, e.g. `unknown_domain`.
    #[schema(value_type = String)]
    error: &'a str,
    message: String,
    /// One entry per field at fault, when the error is about a record's fields.
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    #[schema(value_type = Vec<FieldError>)]
    details: &'a [FieldError],
    /// The later steward decisions that stop a rollback (`rollback_conflict` only).
    #[serde(skip_serializing_if = "<[RollbackConflict]>::is_empty")]
    #[schema(value_type = Vec<RollbackConflict>)]
    conflicts: &'a [RollbackConflict],
    /// The request's `X-Request-Id`, to quote when reporting the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// An error's message is about the request (a value in it is one the caller sent).
impl super::masked::NoFieldValues for ErrorBody<'_> {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable | Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Service(e) => match e {
                ServiceError::UnknownDomain(_) | ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Invalid { .. } => StatusCode::BAD_REQUEST,
                ServiceError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::Conflict(_)
                | ServiceError::Claimed(_)
                | ServiceError::RollbackConflicts(_) => StatusCode::CONFLICT,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                ServiceError::TooBusy(_) => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
                ServiceError::Store(_) | ServiceError::Rules(_) | ServiceError::Internal { .. } => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = self.public_message();
        super::masked::plain(
            self.response_builder(),
            ErrorBody {
                error: self.code(),
                message,
                details: self.details(),
                conflicts: self.conflicts(),
                request_id: request_id::current(),
            },
        )
    }
}

impl ApiError {
    /// A response with this error's status and the headers that status calls for.
    fn response_builder(&self) -> actix_web::HttpResponseBuilder {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"golden\""),
            ));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from(crate::service::uploads::RETRY_AFTER_SECONDS),
            ));
        }
        response
    }
}

/// An error of a FHIR route: the status (and headers) the error has everywhere, with a FHIR
/// `OperationOutcome` as the body, so a FHIR client can read it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct FhirError(#[from] pub ApiError);

impl From<ServiceError> for FhirError {
    fn from(e: ServiceError) -> Self {
        Self(ApiError::Service(e))
    }
}

impl ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let outcome = OperationOutcome::error(
            self.status_code().as_u16(),
            self.0.code(),
            self.0.public_message(),
            request_id::current(),
        );
        let body = serde_json::to_string(&outcome).unwrap_or_default();
        self.0
            .response_builder()
            .content_type(crate::fhir::FHIR_JSON)
            .body(body)
    }
}

impl ApiError {
    /// The message a caller sees. A 500's whole chain goes to the log (so the cause is
    /// there, with the request ID) and the caller is told nothing of it.
    fn public_message(&self) -> String {
        if self.status_code() == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(
                error = %crate::service::error::chain(self),
                request_id = request_id::current().as_deref(),
                "request failed"
            );
            "internal error; quote the request_id when reporting it".to_owned()
        } else {
            self.to_string()
        }
    }
}

/// One failed item of a request that acts on many (a bulk decision): the status, code and
/// message the item would have answered with on its own.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    /// The HTTP status the item alone would have got, e.g. 409.
    pub status: u16,
    /// A stable snake_case code, e.g. `conflict`.
    #[schema(value_type = String)]
    pub error: &'static str,
    pub message: String,
}

impl From<ServiceError> for ItemError {
    fn from(e: ServiceError) -> Self {
        let e = ApiError::Service(e);
        Self {
            status: e.status_code().as_u16(),
            error: e.code(),
            message: e.public_message(),
        }
    }
}

/// Maps a failed JSON body to 400 (malformed), 413 (too large) or 415 (not JSON).
pub fn json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => ApiError::PayloadTooLarge(
            format!("the body is larger than the limit of {limit} bytes"),
        ),
        E::ContentType => ApiError::UnsupportedMediaType(
            "the body must be JSON (Content-Type: application/json)".into(),
        ),
        other => ApiError::bad_request("malformed_json", format!("malformed JSON body: {other}")),
    }
}

/// The error of a response that actix produced itself rather than a handler (a body over
/// the payload limit, a broken upload), re-expressed as an [`ApiError`]; `None` for a success
/// or for a response already shaped here.
pub fn foreign<B>(response: &actix_web::dev::ServiceResponse<B>) -> Option<ApiError> {
    let error = response.response().error()?;
    if error.as_error::<ApiError>().is_some() || error.as_error::<FhirError>().is_some() {
        return None;
    }
    let message = error.to_string();
    Some(match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(message),
        StatusCode::NOT_FOUND => ApiError::NotFound(message),
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized(message),
        StatusCode::FORBIDDEN => ApiError::Forbidden(message),
        status if status.is_client_error() => ApiError::bad_request("bad_request", message),
        _ => ApiError::Service(ServiceError::internal_msg(message)),
    })
}

/// Maps a bad query string to 400.
pub fn query_error(err: actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::bad_request("invalid_query", format!("invalid query parameters: {err}"))
}

/// Maps a bad path segment to 400.
pub fn path_error(err: actix_web::error::PathError) -> ApiError {
    ApiError::bad_request("invalid_path", format!("invalid path: {err}"))
}

/// Runs blocking service work off the async executor. Work that panics is an internal error
/// (500, logged with the panic's message); work the runtime cancelled on its way down is 503.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    let request_id = request_id::current();
    let outcome = actix_web::web::block(move || {
        request_id::with(request_id, || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        })
    })
    .await
    .map_err(|_| ApiError::Unavailable)?;
    match outcome {
        Ok(result) => result.map_err(ApiError::from),
        Err(panic) => Err(ApiError::Service(ServiceError::internal(
            "blocking work for the request failed",
            Panicked::from_payload(panic.as_ref()),
        ))),
    }
}

/// A panic, as the source of the internal error it becomes.
#[derive(Debug, Clone, thiserror::Error)]
#[error("panicked: {0}")]
pub struct Panicked(String);

impl Panicked {
    /// The panic's message, when it carried text.
    pub fn from_payload(payload: &(dyn std::any::Any + Send)) -> Self {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        Self(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every kind the API maps, so the README's list of codes stays complete.
    fn every_kind() -> Vec<ApiError> {
        let text = || "x".to_owned();
        let mut errors = vec![
            ApiError::Unauthorized(text()),
            ApiError::Forbidden(text()),
            ApiError::PayloadTooLarge(text()),
            ApiError::UnsupportedMediaType(text()),
            ApiError::NotFound(text()),
            ApiError::Unavailable,
            ApiError::NotReady(text()),
        ];
        for code in [
            "malformed_json",
            "invalid_query",
            "invalid_path",
            "empty_body",
            "bad_body",
            "bad_request",
        ] {
            errors.push(ApiError::bad_request(code, text()));
        }
        let service = [
            ServiceError::UnknownDomain(text()),
            ServiceError::NotFound(text()),
            ServiceError::invalid(text()),
            ServiceError::unprocessable(text()),
            ServiceError::Conflict(text()),
            ServiceError::Forbidden(text()),
            ServiceError::PayloadTooLarge(text()),
            ServiceError::TooBusy(text()),
            ServiceError::InsufficientStorage(text()),
            ServiceError::internal_msg(text()),
        ];
        errors.extend(service.into_iter().map(ApiError::Service));
        errors
    }

    #[test]
    fn the_readme_lists_every_status_and_code() {
        let readme = include_str!("../../README.md");
        for error in every_kind() {
            let row = format!("| {} | `{}` |", error.status_code().as_u16(), error.code());
            assert!(readme.contains(&row), "README lacks the row {row}");
        }
    }
}
