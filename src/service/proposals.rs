//! Merge proposals: opening them (from matching) and listing them.

use serde_json::json;

use super::ServiceError;
use crate::matching::PairScore;
use crate::rules::Domain;
use crate::store::Tx;
use crate::store::queries::proposals::{self, NewProposal};

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
