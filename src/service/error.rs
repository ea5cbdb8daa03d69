//! The service layer's error vocabulary; `api::error` maps it to HTTP in one place.

use thiserror::Error;

use crate::model::FieldError;
use crate::rules::RuleErrors;
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("unknown domain {0:?}")]
    UnknownDomain(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        message: String,
        details: Vec<FieldError>,
    },
    /// Well-formed, but the action can't apply to what is stored (an unknown field, a record
    /// that is not a member, a value that fails its field's check).
    #[error("{message}")]
    Unprocessable {
        message: String,
        details: Vec<FieldError>,
    },
    /// The caller's view is stale (a version check failed) or the action clashes with state.
    #[error("{0}")]
    Conflict(String),
    /// Another steward holds a live claim on the proposal; `force` acts anyway.
    #[error("{0}")]
    Claimed(String),
    #[error("{0}")]
    Forbidden(String),
    /// A rollback that would overwrite later steward decisions; each is listed.
    #[error("later decisions on the job's records stop the rollback: {}", .0.len())]
    RollbackConflicts(Vec<super::rollback::RollbackConflict>),
    /// A body larger than allowed (known before it is read).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too much of this kind of work in flight; the caller may retry later.
    #[error("{0}")]
    TooBusy(String),
    /// The disk cannot hold what was asked.
    #[error("{0}")]
    InsufficientStorage(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rules(#[from] RuleErrors),
    /// Something went wrong inside: a 500, its chain logged where it is mapped to HTTP and
    /// never sent. `context` says what was being done; `source` is the cause, kept whole.
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// Any error, boxed so that it can travel as another's source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl ServiceError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::Unprocessable {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// An internal failure while doing `context`, caused by `source`.
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// An internal failure with no underlying error (a broken invariant).
    pub fn internal_msg(context: impl Into<String>) -> Self {
        Self::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// The error and its causes, outermost first, as one line: `a: b: c`. A cause whose text
    /// the line already holds (an error that also prints its source) is not repeated.
    pub fn chain(&self) -> String {
        chain(self)
    }
}

/// `error` and its sources as one line, outermost first, each cause once.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = cause.source();
    }
    line
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        if refused_nul(&e) {
            return Self::invalid("text may not contain the NUL character (\\u0000)");
        }
        if let diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) = &e
        {
            // Two requests stored the same thing at once and the database kept one: the
            // other is a conflict its caller can resolve by reading and sending again.
            return Self::Conflict(
                "another request stored the same thing at the same moment; read it and send again"
                    .into(),
            );
        }
        Self::Store(StoreError::Query(e))
    }
}

/// PostgreSQL refuses NUL in text (SQLite stores it): that is the caller's input at fault,
/// wherever it came in (a path, a query parameter, a body), not a server error.
fn refused_nul(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            info.message().contains("invalid byte sequence") && info.message().contains("0x00")
        }
        _ => false,
    }
}

impl From<crate::index::IndexError> for ServiceError {
    fn from(e: crate::index::IndexError) -> Self {
        Self::internal("the candidate index failed", e)
    }
}

impl From<serde_json::Error> for ServiceError {
    fn from(e: serde_json::Error) -> Self {
        Self::Store(StoreError::CorruptJson(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_violation_is_a_conflict_not_a_server_error() {
        let violation = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new(String::from(
                "duplicate key value violates unique constraint",
            )),
        );
        assert!(matches!(
            ServiceError::from(violation),
            ServiceError::Conflict(_)
        ));
        let other = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::CheckViolation,
            Box::new(String::from("check failed")),
        );
        assert!(matches!(ServiceError::from(other), ServiceError::Store(_)));
    }

    #[test]
    fn an_internal_error_keeps_its_cause_and_shows_the_chain_once() {
        let io = std::io::Error::other("disk on fire");
        let error = ServiceError::internal("writing the export", io);
        assert_eq!(error.to_string(), "writing the export");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("disk on fire"));
        assert_eq!(error.chain(), "writing the export: disk on fire");
        // A store error prints its cause itself: the chain does not repeat it.
        let store = ServiceError::from(diesel::result::Error::NotFound);
        assert_eq!(store.chain(), store.to_string());
        assert_eq!(ServiceError::internal_msg("broken").chain(), "broken");
    }
}
