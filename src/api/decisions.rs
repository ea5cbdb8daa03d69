//! Bulk decisions: a steward approves or rejects a selection of the queue in one request
//! and gets one result per proposal, failures included, instead of all-or-nothing.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Attempt, Caller};
use super::error::{ApiError, ItemError, blocking};
use super::masked::{Masked, Masks, reply};
use super::openapi::{AuthErrors, BadRequest, BodyErrors};
use super::stewardship::{actor, required_json};
use crate::auth::Permission;
use crate::service::Golden;
use crate::service::proposals::ProposalView;
use crate::service::stewardship::{BulkDecision, Verdict};

/// The outcome of one decision: `proposal` when it was made, `failure` when not.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResult {
    /// The proposal's ID, as sent.
    pub id: i64,
    pub action: Verdict,
    /// 200 when decided; otherwise the status this decision alone would have answered with
    /// (409 for a stale view or a decided proposal, 404 for an unknown ID).
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<ProposalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<ItemError>,
}

impl Masked for DecisionResults {
    fn mask(&mut self, masks: &Masks<'_>) {
        for result in &mut self.results {
            result.proposal.mask(masks);
        }
    }
}

/// One result per decision, in request order, and how many were made.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResults {
    pub results: Vec<DecisionResult>,
    pub decided: usize,
    pub failed: usize,
}

/// `POST /v1/proposals/decide` with `[{"id", "action", "golden_version", "other_version",
/// "comment"}, ...]`.
#[utoipa::path(post, path = "/v1/proposals/decide", operation_id = "decide_proposals", tag = "proposals",
    request_body(content = Vec<BulkDecision>,
        description = "1 to 100 decisions, made in order, each on its own"),
    responses(
        (status = 200, description = "One result per decision, in request order",
         body = DecisionResults),
        BadRequest, AuthErrors, BodyErrors,
    ),
    security(("bearer" = [])),
)]
pub async fn decide(
    golden: web::Data<Golden>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let attempt = Attempt {
        action: "decide_proposals",
        domain: None,
        entity_type: "proposal",
        entity_id: None,
    };
    caller
        .require(&golden, Permission::Steward, attempt)
        .await?;
    let decisions: Vec<BulkDecision> = required_json(&body)?;
    let actor = actor(&caller);
    let service = golden.clone();
    let sent = decisions.clone();
    let outcomes = blocking(move || service.decide_many(&sent, &actor)).await?;

    let results: Vec<DecisionResult> = decisions
        .iter()
        .zip(outcomes)
        .map(|(decision, outcome)| result(decision, outcome))
        .collect();
    let decided = results.iter().filter(|r| r.proposal.is_some()).count();
    let answer = DecisionResults {
        failed: results.len() - decided,
        decided,
        results,
    };
    Ok(reply(HttpResponse::Ok(), &caller, &golden.rules, answer))
}

fn result(
    decision: &BulkDecision,
    outcome: Result<ProposalView, crate::service::ServiceError>,
) -> DecisionResult {
    let (status, proposal, failure) = match outcome {
        Ok(view) => (200, Some(view), None),
        Err(e) => {
            let failure = ItemError::from(e);
            (failure.status, None, Some(failure))
        }
    };
    DecisionResult {
        id: decision.id,
        action: decision.action,
        status,
        proposal,
        failure,
    }
}
