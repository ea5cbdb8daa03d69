//! What data stewards do: decide proposals, merge and split golden records by hand, and
//! override fields. Every action checks the version the steward saw, runs in one write
//! transaction with its change-feed events, and is audited with its before and after.

mod bulk;
mod claims;
mod decide;
mod four_eyes;
mod merge;
pub(crate) use merge::supersede_open_of;
mod overrides;
mod split;

pub use bulk::{BulkDecision, MAX_BULK_DECISIONS};
pub use claims::ClaimRequest;
pub use decide::Verdict;
pub(super) use merge::crosses_do_not_match;
pub use split::SplitResult;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::ServiceError;
use super::golden::golden_view;
use crate::model::golden_status;
use crate::store::models::{GoldenRow, NewAudit};
use crate::store::queries::{audit, golden};
use crate::store::{DbConnection, Tx};

/// Who acts, for the audit trail and the `decided_by` of proposals.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The JWT subject.
    pub sub: String,
    pub request_id: Option<String>,
    /// Whether the actor may write sensitive fields (override them, pick their values): the
    /// `sensitive` role, or an operator or the engine acting on its own.
    pub sensitive: bool,
}

/// A source record named by its source keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordKey {
    pub source_system: String,
    pub source_id: String,
}

/// Approving or rejecting a proposal. The versions are optional guards: when given, the
/// decision is refused (409) if either golden record changed since the steward looked.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub comment: Option<String>,
    pub golden_version: Option<i64>,
    pub other_version: Option<i64>,
    /// Decide even though another steward holds a live claim on the proposal.
    #[serde(default)]
    pub force: bool,
    /// On approval, the value to keep per field (`{"city": "Denver"}`): each becomes a
    /// steward's override of the merged record, with this decision's comment.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub picks: BTreeMap<String, Value>,
}

/// Merging `other_golden_id` into the golden record named in the path, which survives.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub other_golden_id: String,
    /// The survivor's version the steward saw.
    pub version: i64,
    /// The other record's version the steward saw, when known.
    pub other_version: Option<i64>,
    pub comment: Option<String>,
    /// The value to keep per field: each becomes a steward's override of the merged record.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub picks: BTreeMap<String, Value>,
}

/// Splitting source records out of a golden record into a new one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    pub records: Vec<RecordKey>,
    pub version: i64,
    pub comment: Option<String>,
}

/// Setting a field's value by hand (`value: null` removes the override).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    pub field: String,
    pub value: Value,
    pub version: i64,
    pub comment: Option<String>,
}

/// The golden record an action applies to, which must be active and of `domain`.
fn load_active(conn: &mut DbConnection, domain: &str, id: &str) -> Result<GoldenRow, ServiceError> {
    let row = golden::find(conn, id)?
        .filter(|row| row.domain == domain)
        .ok_or_else(|| ServiceError::NotFound(format!("golden record {id}")))?;
    match row.status.as_str() {
        golden_status::ACTIVE => Ok(row),
        golden_status::MERGED => Err(ServiceError::Conflict(format!(
            "golden record {id} was merged into {}; act on that record instead",
            row.redirect_to.as_deref().unwrap_or("another record")
        ))),
        other => Err(ServiceError::Conflict(format!(
            "golden record {id} is {other}; it has no active source record"
        ))),
    }
}

/// Refuses an action based on a stale view of a golden record.
fn check_version(row: &GoldenRow, seen: Option<i64>) -> Result<(), ServiceError> {
    match seen {
        Some(seen) if seen != row.version => Err(ServiceError::Conflict(format!(
            "golden record {} is at version {}, not {seen}: someone changed it; reload and retry",
            row.golden_id, row.version
        ))),
        _ => Ok(()),
    }
}

/// The API view of a golden record as JSON, for audit before/after states.
fn snapshot(conn: &mut DbConnection, id: &str) -> Result<Value, ServiceError> {
    match golden::find(conn, id)? {
        Some(row) => Ok(serde_json::to_value(golden_view(conn, row, id)?)?),
        None => Ok(Value::Null),
    }
}

/// One successful steward action for the audit log, written in the action's transaction.
struct Audited<'a> {
    action: &'a str,
    domain: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    reason: Option<&'a str>,
    before: Value,
    after: Value,
}

fn audit(tx: &mut Tx<'_>, actor: &Actor, entry: Audited<'_>) -> Result<(), ServiceError> {
    let at = tx.now();
    audit::insert(
        tx.conn(),
        &NewAudit {
            at,
            actor: &actor.sub,
            action: entry.action,
            outcome: "ok",
            domain: Some(entry.domain),
            entity_type: entry.entity_type,
            entity_id: Some(entry.entity_id),
            request_id: actor.request_id.as_deref(),
            reason: entry.reason,
            before_state: Some(&entry.before.to_string()),
            after_state: Some(&entry.after.to_string()),
        },
    )?;
    Ok(())
}

/// Merges a golden record into the one matching found for its only record, as the matching
/// engine (not a steward) deciding an auto-link for an updated record.
pub(crate) fn absorb_into(
    tx: &mut Tx<'_>,
    domain: &crate::rules::Domain,
    survivor: &str,
    absorbed: &str,
) -> Result<(), ServiceError> {
    let actor = Actor {
        sub: "matching".into(),
        request_id: crate::api::request_id::current(),
        sensitive: true,
    };
    merge::merge_into(
        tx,
        domain,
        survivor,
        absorbed,
        &merge::MergeCause {
            actor: &actor,
            reason: "auto_linked",
            proposal: None,
            picks: &[],
            comment: None,
        },
    )
}
