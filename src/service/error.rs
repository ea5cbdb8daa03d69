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
    #[error("{0}")]
    Forbidden(String),
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
    #[error("{0}")]
    Internal(String),
}

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
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        if refused_nul(&e) {
            return Self::invalid("text may not contain the NUL character (\\u0000)");
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

impl From<serde_json::Error> for ServiceError {
    fn from(e: serde_json::Error) -> Self {
        Self::Store(StoreError::Corrupt(e.to_string()))
    }
}
