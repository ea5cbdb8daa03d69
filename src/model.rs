//! Domain types shared by the service, the API and the CLI. No I/O here.

use serde::{Deserialize, Serialize};

/// A source record as a source system sends it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub source_system: String,
    pub source_id: String,
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// A source system's key for one of its records: what the crosswalk is looked up by.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SourceKey {
    pub source_system: String,
    pub source_id: String,
}

/// What happened to one incoming record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Joined an existing golden record with no steward needed.
    AutoLinked,
    /// Got a golden record of its own, and a merge proposal went to the stewards.
    Proposed,
    /// Got a golden record of its own.
    New,
    /// A new version of a known record; it stays in its golden record.
    Updated,
    /// Identical to the stored version: nothing changed.
    Unchanged,
    /// Not stored; see the errors.
    Rejected,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoLinked => "auto_linked",
            Self::Proposed => "proposed",
            Self::New => "new",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Rejected => "rejected",
        }
    }
}

/// A problem with one field (or with the record's envelope) of an incoming record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Lifecycle of a source record.
pub mod record_status {
    pub const ACTIVE: &str = "active";
    /// The source system deleted it; its history is kept.
    pub const RETIRED: &str = "retired";
}

/// Lifecycle of a golden record.
pub mod golden_status {
    pub const ACTIVE: &str = "active";
    /// Merged into another golden record: `redirect_to` names the survivor.
    pub const MERGED: &str = "merged";
    /// No active source record remains.
    pub const RETIRED: &str = "retired";
}

/// Formats a golden ID from a domain prefix and its sequence number: `V00000042`.
pub fn golden_id(prefix: &str, number: i64) -> String {
    format!("{prefix}{number:08}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_ids_are_prefixed_and_padded() {
        assert_eq!(golden_id("V", 42), "V00000042");
        assert_eq!(golden_id("CC", 123_456_789), "CC123456789");
    }
}
