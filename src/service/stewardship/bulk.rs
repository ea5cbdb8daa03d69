//! Deciding many proposals at once. Each decision runs in its own transaction, so one made
//! against a stale view (or an already decided proposal) fails alone and the rest proceed.

use serde::Deserialize;

use super::decide::Verdict;
use super::{Actor, DecisionRequest};
use crate::service::proposals::ProposalView;
use crate::service::{Golden, ServiceError};

/// Most decisions one request may carry: enough for a page of the queue, few enough that a
/// request holds the write lock only briefly between its transactions.
pub const MAX_BULK_DECISIONS: usize = 100;

/// One decision of a bulk request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecision {
    /// The proposal.
    pub id: i64,
    pub action: Verdict,
    /// The version of `golden_id` the steward saw (optional guard, as for a single decision).
    pub golden_version: Option<i64>,
    /// The version of `other_golden_id` the steward saw.
    pub other_version: Option<i64>,
    pub comment: Option<String>,
    /// Decide even though another steward holds a live claim on the proposal.
    #[serde(default)]
    pub force: bool,
}

impl BulkDecision {
    fn request(&self) -> DecisionRequest {
        DecisionRequest {
            comment: self.comment.clone(),
            golden_version: self.golden_version,
            other_version: self.other_version,
            force: self.force,
            picks: Default::default(),
        }
    }
}

impl Golden {
    /// Decides each proposal of `decisions` in order; the outcome of each, in request order.
    /// Only a list that is empty or too long is refused as a whole.
    #[tracing::instrument(skip_all, fields(decisions = decisions.len()))]
    pub fn decide_many(
        &self,
        decisions: &[BulkDecision],
        actor: &Actor,
    ) -> Result<Vec<Result<ProposalView, ServiceError>>, ServiceError> {
        if decisions.is_empty() || decisions.len() > MAX_BULK_DECISIONS {
            return Err(ServiceError::invalid(format!(
                "a bulk decision carries 1 to {MAX_BULK_DECISIONS} decisions, got {}",
                decisions.len()
            )));
        }
        Ok(decisions
            .iter()
            .map(|d| self.decide(d.id, d.action, &d.request(), actor))
            .collect())
    }
}
