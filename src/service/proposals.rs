//! Merge proposals: opening them (from matching) and listing them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::views::utc;
use super::{Golden, ServiceError};
use crate::matching::PairScore;
use crate::rules::Domain;
use crate::store::Tx;
use crate::store::queries::proposals::{self, NewProposal, ProposalRow};

/// Opens a proposal to merge `golden_id` (the new record's) with `other`, storing the
/// field-by-field explanation and the rules version that produced it.
pub(super) fn open_proposal(
    tx: &mut Tx<'_>,
    domain: &Domain,
    golden_id: &str,
    other: &str,
    record_id: i64,
    score: &PairScore,
) -> Result<i64, ServiceError> {
    let explanation = serde_json::to_string(score)?;
    let now = tx.now();
    let id = proposals::insert(
        tx.conn(),
        &NewProposal {
            domain: &domain.name,
            golden_id,
            other_golden_id: other,
            record_id: Some(record_id),
            score: score.probability,
            status: "open",
            explanation: &explanation,
            rules_version: &domain.version,
            created_at: now,
        },
    )?;
    tx.emit(
        Some(&domain.name),
        "proposal.opened",
        Some(golden_id),
        &json!({"proposal_id": id, "golden_id": golden_id, "other_golden_id": other,
                "score": score.probability}),
    )?;
    Ok(id)
}

/// A proposal with its explanation.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub id: i64,
    pub domain: String,
    pub golden_id: String,
    pub other_golden_id: String,
    pub score: f64,
    pub status: String,
    pub rules_version: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Field by field: both values, the method, the similarity and its contribution.
    pub explanation: PairScore,
}

impl TryFrom<ProposalRow> for ProposalView {
    type Error = ServiceError;
    fn try_from(row: ProposalRow) -> Result<Self, ServiceError> {
        Ok(Self {
            explanation: serde_json::from_str(&row.explanation)?,
            id: row.id,
            domain: row.domain,
            golden_id: row.golden_id,
            other_golden_id: row.other_golden_id,
            score: row.score,
            status: row.status,
            rules_version: row.rules_version,
            created_at: utc(row.created_at),
            decided_at: row.decided_at.map(utc),
            decided_by: row.decided_by,
            comment: row.comment,
        })
    }
}

/// Proposal statuses a listing may ask for.
pub const STATUSES: &[&str] = &["open", "approved", "rejected", "superseded"];

impl Golden {
    pub fn proposal(&self, id: i64) -> Result<ProposalView, ServiceError> {
        let mut conn = self.store.conn()?;
        proposals::find(&mut conn, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("proposal {id}")))?
            .try_into()
    }

    pub fn proposals(
        &self,
        domain: &str,
        status: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ProposalView>, ServiceError> {
        let domain = self.domain(domain)?;
        if !STATUSES.contains(&status) {
            return Err(ServiceError::invalid(format!(
                "status must be one of {}",
                STATUSES.join(", ")
            )));
        }
        let mut conn = self.store.conn()?;
        proposals::page(&mut conn, &domain.name, status, after, limit.clamp(1, 500))?
            .into_iter()
            .map(ProposalView::try_from)
            .collect()
    }
}
