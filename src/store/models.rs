//! Rows as diesel reads and writes them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = source_records)]
pub struct SourceRecordRow {
    pub id: i64,
    pub domain: String,
    pub source_system: String,
    pub source_id: String,
    pub golden_id: String,
    pub version: i64,
    pub status: String,
    pub attributes: String,
    pub standardized: String,
    pub content_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// What produced `standardized` ([`crate::rules::Domain::standardization`]).
    pub standardization: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = source_records)]
pub struct NewSourceRecord<'a> {
    pub domain: &'a str,
    pub source_system: &'a str,
    pub source_id: &'a str,
    pub golden_id: &'a str,
    pub version: i64,
    pub status: &'a str,
    pub attributes: &'a str,
    pub standardized: &'a str,
    pub content_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub standardization: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = source_record_versions)]
pub struct VersionRow {
    pub version: i64,
    pub change: String,
    pub attributes: String,
    pub content_hash: String,
    pub recorded_at: NaiveDateTime,
}

/// Owned, as a transaction holds it until commit (see [`super::Tx`]).
#[derive(Debug, Insertable)]
#[diesel(table_name = source_record_versions)]
pub struct NewVersion {
    pub record_id: i64,
    pub version: i64,
    pub change: String,
    pub attributes: String,
    pub content_hash: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = golden_records)]
pub struct GoldenRow {
    pub golden_id: String,
    pub domain: String,
    pub status: String,
    pub redirect_to: Option<String>,
    pub version: i64,
    pub fields: String,
    pub lineage: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = golden_records)]
pub struct NewGolden<'a> {
    pub golden_id: &'a str,
    pub domain: &'a str,
    pub status: &'a str,
    pub version: i64,
    pub fields: &'a str,
    pub lineage: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Owned, as a transaction holds it until commit (see [`super::Tx`]).
#[derive(Debug, Insertable)]
#[diesel(table_name = memberships)]
pub struct NewMembership {
    pub record_id: i64,
    pub golden_id: String,
    pub reason: String,
    pub valid_from: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub seq: i64,
    pub domain: Option<String>,
    pub kind: String,
    pub golden_id: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

/// Owned, as a transaction holds it until commit (see [`super::Tx`]). `None` is written as
/// NULL rather than DEFAULT, which multi-row inserts on SQLite cannot express.
#[derive(Debug, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct NewEvent {
    pub seq: i64,
    pub domain: Option<String>,
    pub kind: String,
    pub golden_id: Option<String>,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub domain: Option<String>,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    pub reason: Option<String>,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit<'a> {
    pub at: NaiveDateTime,
    pub actor: &'a str,
    pub action: &'a str,
    pub outcome: &'a str,
    pub domain: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub before_state: Option<&'a str>,
    pub after_state: Option<&'a str>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = proposals)]
pub struct NewProposal<'a> {
    pub domain: &'a str,
    pub golden_id: &'a str,
    pub other_golden_id: &'a str,
    pub record_id: Option<i64>,
    pub score: f64,
    pub status: &'a str,
    pub explanation: &'a str,
    pub rules_version: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: i64,
    pub domain: String,
    pub golden_id: String,
    pub other_golden_id: String,
    pub record_id: Option<i64>,
    pub score: f64,
    pub status: String,
    pub explanation: String,
    pub rules_version: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    /// The version of `golden_id` when the proposal was opened (none for older proposals).
    pub golden_version: Option<i64>,
    /// The version of `other_golden_id` when the proposal was opened.
    pub other_version: Option<i64>,
    /// The steward reviewing the proposal, while `claimed_until` has not passed.
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    /// The steward who gave the first of the two approvals a risky merge needs.
    pub first_approved_by: Option<String>,
    pub first_approved_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = golden_record_history)]
pub struct GoldenHistoryRow {
    pub golden_id: String,
    pub version: i64,
    pub status: String,
    pub redirect_to: Option<String>,
    pub fields: String,
    pub lineage: String,
    pub recorded_at: NaiveDateTime,
}

/// Owned, as a transaction holds it until commit (see [`super::Tx`]); `None` is written as
/// NULL (see [`NewEvent`]).
#[derive(Debug, Insertable)]
#[diesel(table_name = golden_record_history, treat_none_as_default_value = false)]
pub struct NewGoldenHistory {
    pub golden_id: String,
    pub version: i64,
    pub status: String,
    pub redirect_to: Option<String>,
    pub fields: String,
    pub lineage: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = field_overrides)]
pub struct OverrideRow {
    pub golden_id: String,
    pub field: String,
    pub value: String,
    pub actor: String,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = field_overrides)]
pub struct NewOverride<'a> {
    pub golden_id: &'a str,
    pub field: &'a str,
    pub value: &'a str,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = do_not_match)]
pub struct NewDoNotMatch<'a> {
    pub domain: &'a str,
    pub record_a: i64,
    pub record_b: i64,
    pub origin: &'a str,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bulk_jobs)]
pub struct JobRow {
    pub id: String,
    pub domain: String,
    pub source_system: Option<String>,
    pub status: String,
    pub origin: String,
    pub input_name: String,
    pub input_path: Option<String>,
    pub rows_read: i64,
    pub created: i64,
    pub auto_linked: i64,
    pub proposed: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub last_line: i64,
    pub bytes_read: i64,
    pub bytes_total: Option<i64>,
    pub input_hash: Option<String>,
    pub allowed_sources: Option<String>,
    pub mapping: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub mode: String,
    pub report: Option<String>,
    pub rollback: Option<String>,
    pub preview_of: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = bulk_jobs)]
pub struct NewJob<'a> {
    pub id: &'a str,
    pub domain: &'a str,
    pub source_system: Option<&'a str>,
    pub status: &'a str,
    pub origin: &'a str,
    pub input_name: &'a str,
    pub input_path: Option<&'a str>,
    pub rows_read: i64,
    pub created: i64,
    pub auto_linked: i64,
    pub proposed: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub last_line: i64,
    pub bytes_read: i64,
    pub bytes_total: Option<i64>,
    pub input_hash: Option<&'a str>,
    pub allowed_sources: Option<&'a str>,
    pub mapping: Option<&'a str>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub mode: &'a str,
    pub preview_of: Option<&'a str>,
}

/// One record version a load job wrote (see `bulk_job_writes`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bulk_job_writes)]
pub struct JobWriteRow {
    pub job_id: String,
    pub record_id: i64,
    pub version: i64,
    pub decision: String,
    pub golden_id: String,
    pub written_at: NaiveDateTime,
}

/// What a preview, or the load committing one, decided for one row of its file (see
/// `bulk_job_decisions`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = bulk_job_decisions)]
pub struct DecisionRow {
    pub job_id: String,
    pub line: i64,
    pub source_system: Option<String>,
    pub source_id: Option<String>,
    pub decision: String,
    pub golden_id: Option<String>,
    pub target: Option<String>,
    pub score: Option<f64>,
    pub risk: f64,
    pub risks: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bulk_job_rejects)]
pub struct RejectRow {
    pub job_id: String,
    pub line: i64,
    pub raw: String,
    pub reason: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = match_models)]
pub struct MatchModelRow {
    pub id: i64,
    pub domain: String,
    pub version: i64,
    pub model: String,
    pub origin: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = link_evidence)]
pub struct LinkEvidenceRow {
    pub id: i64,
    pub record_id: i64,
    pub golden_id: String,
    pub matched_record_id: Option<i64>,
    pub score: f64,
    pub evidence: String,
    pub model_version: Option<i64>,
    pub rules_version: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = link_evidence)]
pub struct NewLinkEvidence {
    pub record_id: i64,
    pub golden_id: String,
    pub matched_record_id: Option<i64>,
    pub score: f64,
    pub evidence: String,
    pub model_version: Option<i64>,
    pub rules_version: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks, treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    /// JSON array of domain names; empty: every domain.
    pub domains: String,
    /// JSON array of event kinds; empty: every kind.
    pub event_types: String,
    pub secret: String,
    pub position: i64,
    pub attempts: i64,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_dead_letters, treat_none_as_default_value = false)]
pub struct DeadLetterRow {
    pub webhook_id: String,
    pub seq: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: NaiveDateTime,
    pub next_attempt_at: Option<NaiveDateTime>,
}
