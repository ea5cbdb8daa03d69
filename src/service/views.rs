//! What the service answers with: serializable views of stored rows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::model::{Decision, FieldError};
use crate::survivorship::Lineage;

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// The outcome of one record of an ingest request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordResult {
    /// Position of the record in the request (0-based).
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub decision: Decision,
    /// Why a `rejected` record was not stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<RejectionKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Optional fields whose value could not be standardized: stored as sent, but left out of
    /// matching until a corrected value arrives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<FieldError>,
    /// The stored record's row, for the job's log of what it wrote (not part of the answer).
    #[serde(skip)]
    pub record_id: Option<i64>,
}

/// Why a record of an ingest request was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// A field (or the record's envelope) fails its check; `errors` names each.
    Invalid,
    /// The token may not write for the record's source system.
    Forbidden,
}

/// One stored version of a source record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub change: String,
    pub attributes: Value,
    pub recorded_at: DateTime<Utc>,
}

/// A source record with its history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub domain: String,
    pub source_system: String,
    pub source_id: String,
    pub golden_id: String,
    pub status: String,
    pub version: i64,
    pub attributes: Value,
    pub standardized: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<VersionView>,
    /// Why matching auto-linked the record, when it did: absent for a record that started
    /// its own golden record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkView>,
}

/// The evidence of an auto-link: the member matched, each field's level and weight, and the
/// model (or, with `model_version` null, the rule file's declared weights) that decided it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub golden_id: String,
    /// The member of that golden record the record matched best.
    pub matched: Option<MemberRef>,
    pub probability: f64,
    pub evidence: Vec<crate::matching::FieldEvidence>,
    pub model_version: Option<i64>,
    pub rules_version: String,
    pub linked_at: DateTime<Utc>,
}

/// A member of a golden record, as the crosswalk names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberRef {
    pub source_system: String,
    pub source_id: String,
    pub status: String,
}

/// A golden record: its surviving fields, their lineage, its members.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GoldenView {
    pub golden_id: String,
    pub domain: String,
    pub status: String,
    pub version: i64,
    /// Set when the requested ID was retired by a merge and this is its survivor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<String>,
    pub fields: BTreeMap<String, Value>,
    pub lineage: BTreeMap<String, Lineage>,
    pub members: Vec<MemberRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the record is shown as it stood at this past moment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// The crosswalk's answer for one source key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CrosswalkEntry {
    pub domain: String,
    pub source_system: String,
    pub source_id: String,
    pub golden_id: String,
    /// Status of this source record (`active` or `retired`).
    pub record_status: String,
    /// Every source record of the golden record, this one included.
    pub members: Vec<MemberRef>,
    /// Set when the answer is for a past moment rather than now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// One change-feed event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_id: Option<String>,
    pub at: DateTime<Utc>,
    pub data: Value,
}

/// The crosswalk's answer for one key of a batch lookup; `found: false` carries only the key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LookupResult {
    pub source_system: String,
    pub source_id: String,
    pub found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_status: Option<String>,
}

/// A batch lookup's answers, in request order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LookupAnswer {
    pub results: Vec<LookupResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// The source records behind a golden ID, after following the redirects of retired IDs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReverseCrosswalk {
    /// The golden ID that answers now.
    pub golden_id: String,
    pub requested_golden_id: String,
    pub redirected: bool,
    pub members: Vec<MemberRef>,
}

/// One audit log entry; `before` and `after` are the stored states parsed back into JSON.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub domain: Option<String>,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    pub reason: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A page of the audit log, newest first; `next_before` continues it (null at the end).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    pub next_before: Option<i64>,
}
