//! Approving and rejecting merge proposals.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::merge::{MergeCause, crosses_do_not_match, member_ids, merge_into};
use super::{Actor, Audited, DecisionRequest, audit, check_version, load_active, snapshot};
use crate::rules::Domain;
use crate::service::proposals::ProposalView;
use crate::service::{Golden, ServiceError};
use crate::store::Tx;
use crate::store::models::{GoldenRow, ProposalRow};
use crate::store::queries::proposals;
use crate::store::queries::proposals::DoNotMatchOrigin;

/// A decision that names no version is made against the proposal as it was opened: refused
/// when the golden record changed since (a split, a merge, an override, a new member), so
/// that it never silently applies to something the steward did not see.
fn check_unchanged(
    id: i64,
    row: &GoldenRow,
    made_against: Option<i64>,
) -> Result<(), ServiceError> {
    match made_against {
        Some(version) if version != row.version => Err(ServiceError::Conflict(format!(
            "golden record {} changed since proposal {id} was made (version {version}, now {}): \
             reload it and decide again, passing golden_version and other_version",
            row.golden_id, row.version
        ))),
        _ => Ok(()),
    }
}

/// What a steward decides about a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    fn status(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
        }
    }
}

impl Golden {
    /// Approves a proposal: the two golden records merge. The one issued first survives and
    /// keeps its ID; the other redirects to it.
    #[tracing::instrument(skip(self, request, actor))]
    pub fn approve_proposal(
        &self,
        id: i64,
        request: &DecisionRequest,
        actor: &Actor,
    ) -> Result<ProposalView, ServiceError> {
        self.decide(id, Verdict::Approve, request, actor)
    }

    /// Rejects a proposal: every record of one side is remembered as different from every
    /// record of the other, so no later proposal or merge joins them.
    #[tracing::instrument(skip(self, request, actor))]
    pub fn reject_proposal(
        &self,
        id: i64,
        request: &DecisionRequest,
        actor: &Actor,
    ) -> Result<ProposalView, ServiceError> {
        self.decide(id, Verdict::Reject, request, actor)
    }

    /// Approves or rejects one proposal in its own write transaction.
    pub(super) fn decide(
        &self,
        id: i64,
        verdict: Verdict,
        request: &DecisionRequest,
        actor: &Actor,
    ) -> Result<ProposalView, ServiceError> {
        if verdict == Verdict::Reject && !request.picks.is_empty() {
            return Err(ServiceError::unprocessable(
                "field picks apply to an approval: a rejection keeps both records as they are",
            ));
        }
        self.store.write(|tx| {
            let proposal = proposals::find(tx.conn(), id)?
                .ok_or_else(|| ServiceError::NotFound(format!("proposal {id}")))?;
            if proposal.status != "open" {
                return Err(ServiceError::Conflict(format!(
                    "proposal {id} is already {}",
                    proposal.status
                )));
            }
            super::claims::check_claim(&proposal, actor, request.force, tx.now())?;
            let domain = self.domain(&proposal.domain)?;
            // Checked before anything is recorded, a first approval included, and before the
            // versions: a pick the steward may not make is refused whatever it was made on.
            let picks = super::overrides::checked_picks(&domain, &request.picks, actor)?;
            let left = load_active(tx.conn(), &domain.name, &proposal.golden_id)?;
            let right = load_active(tx.conn(), &domain.name, &proposal.other_golden_id)?;
            check_version(&left, request.golden_version)?;
            check_version(&right, request.other_version)?;
            if request.golden_version.is_none() {
                check_unchanged(id, &left, proposal.golden_version)?;
            }
            if request.other_version.is_none() {
                check_unchanged(id, &right, proposal.other_version)?;
            }
            let before = json!({
                "proposal": ProposalView::try_from(proposal.clone())?,
                "golden": snapshot(tx.conn(), &left.golden_id)?,
                "other": snapshot(tx.conn(), &right.golden_id)?,
            });
            let now = tx.now();
            let comment = request.comment.as_deref();
            if verdict == Verdict::Approve {
                let risks = super::four_eyes::reasons(tx, &domain, &left, &right)?;
                if !risks.is_empty() {
                    match proposal.first_approved_by.as_deref() {
                        None if !picks.is_empty() => {
                            return Err(ServiceError::unprocessable(format!(
                                "proposal {id} needs a second steward's approval ({}): send the \
                                 field picks with the approval that merges",
                                risks.join("; ")
                            )));
                        }
                        None => {
                            return first_approval(tx, &domain, &proposal, actor, comment, &risks, before);
                        }
                        Some(first) if first == actor.sub => {
                            return Err(ServiceError::Conflict(format!(
                                "proposal {id} needs a second steward's approval ({}); {first} gave the first",
                                risks.join("; ")
                            )));
                        }
                        Some(_) => {}
                    }
                }
            }
            proposals::close(tx.conn(), id, verdict.status(), &actor.sub, comment, now)?;
            let (survivor, absorbed) = survivor_of(&left, &right);
            tx.emit(
                Some(&domain.name),
                "proposal.decided",
                Some(&proposal.golden_id),
                &json!({"proposal_id": id, "status": verdict.status(),
                        "golden_id": proposal.golden_id,
                        "other_golden_id": proposal.other_golden_id,
                        "survivor": (verdict == Verdict::Approve).then_some(survivor),
                        "decided_by": actor.sub, "comment": comment}),
            );
            let after = match verdict {
                Verdict::Approve => {
                    if crosses_do_not_match(tx, survivor, absorbed)? {
                        return Err(ServiceError::Conflict(format!(
                            "a steward said records of {survivor} and {absorbed} differ; \
                             merge them by hand to overrule that"
                        )));
                    }
                    let reason = format!("approved proposal {id}");
                    let cause = MergeCause {
                        actor,
                        reason: &reason,
                        proposal: Some(id),
                        picks: &picks,
                        comment,
                    };
                    merge_into(tx, &domain, survivor, absorbed, &cause)?;
                    snapshot(tx.conn(), survivor)?
                }
                Verdict::Reject => {
                    remember_different(tx, &proposal, &actor.sub)?;
                    json!({"status": "rejected"})
                }
            };
            audit(
                tx,
                actor,
                Audited {
                    action: if verdict == Verdict::Approve {
                        "approve_proposal"
                    } else {
                        "reject_proposal"
                    },
                    domain: &domain.name,
                    entity_type: "proposal",
                    entity_id: &id.to_string(),
                    reason: comment,
                    before,
                    after,
                },
            )?;
            let decided = proposals::find(tx.conn(), id)?
                .ok_or_else(|| ServiceError::NotFound(format!("proposal {id}")))?;
            Ok(ProposalView::try_from(decided)?.at(now))
        })
    }
}

/// Records the first of two approvals: the proposal stays open, awaiting another steward.
fn first_approval(
    tx: &mut Tx<'_>,
    domain: &Domain,
    proposal: &ProposalRow,
    actor: &Actor,
    comment: Option<&str>,
    risks: &[String],
    before: Value,
) -> Result<ProposalView, ServiceError> {
    let now = tx.now();
    proposals::approve_first(tx.conn(), proposal.id, &actor.sub, now)?;
    proposals::set_claim(tx.conn(), proposal.id, None, None)?;
    let why = risks.join("; ");
    tx.emit(
        Some(&domain.name),
        "proposal.first_approved",
        Some(&proposal.golden_id),
        &json!({"proposal_id": proposal.id, "golden_id": proposal.golden_id,
                "other_golden_id": proposal.other_golden_id, "approved_by": actor.sub,
                "needs_second_because": why, "comment": comment}),
    );
    let reason = match comment {
        Some(comment) => format!("{comment} (needs a second approval: {why})"),
        None => format!("needs a second approval: {why}"),
    };
    let approved = proposals::find(tx.conn(), proposal.id)?
        .ok_or_else(|| ServiceError::NotFound(format!("proposal {}", proposal.id)))?;
    let view = ProposalView::try_from(approved)?.at(now);
    audit(
        tx,
        actor,
        Audited {
            action: "approve_first",
            domain: &domain.name,
            entity_type: "proposal",
            entity_id: &proposal.id.to_string(),
            reason: Some(&reason),
            before,
            after: serde_json::to_value(&view)?,
        },
    )?;
    Ok(view)
}

/// The golden record issued first survives a merge; the other is absorbed.
fn survivor_of<'r>(a: &'r GoldenRow, b: &'r GoldenRow) -> (&'r str, &'r str) {
    let a_first = (a.created_at, a.golden_id.len(), &a.golden_id)
        <= (b.created_at, b.golden_id.len(), &b.golden_id);
    if a_first {
        (&a.golden_id, &b.golden_id)
    } else {
        (&b.golden_id, &a.golden_id)
    }
}

/// Stores a do-not-match pair between every record of one side and every record of the other.
fn remember_different(
    tx: &mut Tx<'_>,
    proposal: &ProposalRow,
    by: &str,
) -> Result<(), ServiceError> {
    let left = member_ids(tx, &proposal.golden_id)?;
    let right = member_ids(tx, &proposal.other_golden_id)?;
    let origin = format!("rejected proposal {}", proposal.id);
    let said = DoNotMatchOrigin {
        domain: &proposal.domain,
        origin: &origin,
        created_by: by,
        created_at: tx.now(),
    };
    proposals::add_do_not_match(tx.conn(), &left, &right, &said)?;
    Ok(())
}
