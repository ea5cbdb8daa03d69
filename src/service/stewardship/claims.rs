//! Claims: a steward takes an open proposal for a while, so that two stewards working the
//! same queue do not review the same pair blind. A claim lapses by itself after the
//! configured time; deciding or releasing another steward's live claim needs `force`.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::json;

use super::{Actor, Audited, audit};
use crate::service::proposals::ProposalView;
use crate::service::{Golden, ServiceError};
use crate::store::Tx;
use crate::store::models::ProposalRow;
use crate::store::queries::proposals;

/// Claiming or releasing a proposal; the body is optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Take over (or release) another steward's live claim.
    #[serde(default)]
    pub force: bool,
}

/// The steward who holds a live claim on `row` other than `sub`, and until when.
pub(super) fn held_by_other<'r>(
    row: &'r ProposalRow,
    sub: &str,
    now: NaiveDateTime,
) -> Option<(&'r str, NaiveDateTime)> {
    match (&row.claimed_by, row.claimed_until) {
        (Some(by), Some(until)) if by != sub && until > now => Some((by, until)),
        _ => None,
    }
}

/// Refuses to act on a proposal another steward holds, unless forced.
pub(super) fn check_claim(
    row: &ProposalRow,
    actor: &Actor,
    force: bool,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    match held_by_other(row, &actor.sub, now) {
        Some((by, until)) if !force => Err(ServiceError::Claimed(format!(
            "proposal {} is claimed by {by} until {}; pass force=true to act on it anyway",
            row.id,
            until.and_utc().to_rfc3339()
        ))),
        _ => Ok(()),
    }
}

/// The open proposal `id`, read in the transaction.
fn open_proposal(tx: &mut Tx<'_>, id: i64) -> Result<ProposalRow, ServiceError> {
    let row = proposals::find(tx.conn(), id)?
        .ok_or_else(|| ServiceError::NotFound(format!("proposal {id}")))?;
    if row.status != "open" {
        return Err(ServiceError::Conflict(format!(
            "proposal {id} is already {}",
            row.status
        )));
    }
    Ok(row)
}

fn claim_state(row: &ProposalRow) -> serde_json::Value {
    json!({"claimed_by": row.claimed_by,
           "claimed_until": row.claimed_until.map(|t| t.and_utc())})
}

impl Golden {
    /// Claims an open proposal for `actor` until the claim time from now (renewing their own
    /// claim); another steward's live claim is taken over only with `force`.
    #[tracing::instrument(skip(self, request, actor))]
    pub fn claim_proposal(
        &self,
        id: i64,
        request: &ClaimRequest,
        actor: &Actor,
    ) -> Result<ProposalView, ServiceError> {
        let ttl = chrono::Duration::from_std(self.settings.claim_ttl)
            .map_err(|e| ServiceError::internal("the claim time is out of range", e))?;
        self.change_claim(id, request.force, actor, "claim_proposal", |now| {
            Some(now + ttl)
        })
    }

    /// Releases a claim; releasing an unclaimed proposal changes nothing.
    #[tracing::instrument(skip(self, request, actor))]
    pub fn release_proposal(
        &self,
        id: i64,
        request: &ClaimRequest,
        actor: &Actor,
    ) -> Result<ProposalView, ServiceError> {
        self.change_claim(id, request.force, actor, "release_proposal", |_| None)
    }

    fn change_claim(
        &self,
        id: i64,
        force: bool,
        actor: &Actor,
        action: &str,
        until: impl FnOnce(NaiveDateTime) -> Option<NaiveDateTime>,
    ) -> Result<ProposalView, ServiceError> {
        self.store.write(|tx| {
            let row = open_proposal(tx, id)?;
            let now = tx.now();
            check_claim(&row, actor, force, now)?;
            let until = until(now);
            let by = until.map(|_| actor.sub.as_str());
            proposals::set_claim(tx.conn(), id, by, until)?;
            let after = open_proposal(tx, id)?;
            let reason = held_by_other(&row, &actor.sub, now)
                .map(|(other, _)| format!("forced over the claim of {other}"));
            audit(
                tx,
                actor,
                Audited {
                    action,
                    domain: &row.domain,
                    entity_type: "proposal",
                    entity_id: &id.to_string(),
                    reason: reason.as_deref(),
                    before: claim_state(&row),
                    after: claim_state(&after),
                },
            )?;
            Ok(ProposalView::try_from(after)?.at(now))
        })
    }
}
