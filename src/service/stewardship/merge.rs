//! Merging two golden records: the survivor keeps its ID and takes every member; the other ID
//! is retired and redirects to the survivor forever. Open proposals that the merge made stale
//! are closed as superseded, and re-opened against the survivor where they still make sense.

use serde_json::json;

use super::{Actor, Audited, MergeRequest, audit, check_version, load_active, snapshot};
use crate::model::golden_status;
use crate::rules::Domain;
use crate::service::golden::{golden_view, recompute_golden};
use crate::service::views::GoldenView;
use crate::service::{Golden, ServiceError};
use crate::store::Tx;
use crate::store::models::{NewOverride, NewProposal, ProposalRow};
use crate::store::queries::{golden, proposals, records};

/// Why a merge happens, for events and the audit trail.
pub(super) struct MergeCause<'a> {
    pub actor: &'a Actor,
    /// `approved proposal 12` or `manual merge`.
    pub reason: &'a str,
    /// The proposal being approved, which the caller closes itself.
    pub proposal: Option<i64>,
    /// The steward's checked field picks (field, stored JSON value): overrides of the survivor.
    pub picks: &'a [(String, String)],
    /// The steward's comment, kept with each pick's override.
    pub comment: Option<&'a str>,
}

/// Moves every member of `absorbed` into `survivor`, retires `absorbed` with a redirect, and
/// tidies the proposals the merge touched. Both must be active records of `domain`.
pub(super) fn merge_into(
    tx: &mut Tx<'_>,
    domain: &Domain,
    survivor: &str,
    absorbed: &str,
    cause: &MergeCause<'_>,
) -> Result<(), ServiceError> {
    let now = tx.now();
    let moved = records::members(tx.conn(), absorbed)?;
    for record in &moved {
        tx.join_golden(record.id, survivor, "merged")?;
        tx.emit(
            Some(&domain.name),
            "record.linked",
            Some(survivor),
            &json!({"source_system": record.source_system, "source_id": record.source_id,
                    "golden_id": survivor, "previous_golden_id": absorbed, "reason": "merged"}),
        );
    }
    for kept in golden::overrides(tx.conn(), absorbed)? {
        let taken = golden::overrides(tx.conn(), survivor)?
            .iter()
            .any(|o| o.field == kept.field);
        if !taken {
            golden::put_override(
                tx.conn(),
                &NewOverride {
                    golden_id: survivor,
                    field: &kept.field,
                    value: &kept.value,
                    actor: &kept.actor,
                    reason: kept.reason.as_deref(),
                    created_at: kept.created_at,
                },
            )?;
        }
    }
    for (field, value) in cause.picks {
        golden::put_override(
            tx.conn(),
            &NewOverride {
                golden_id: survivor,
                field,
                value,
                actor: &cause.actor.sub,
                reason: cause.comment,
                created_at: now,
            },
        )?;
    }
    golden::mark_merged(tx, absorbed, survivor, golden_status::MERGED, now)?;
    let keys: Vec<_> = moved
        .iter()
        .map(|r| json!({"source_system": r.source_system, "source_id": r.source_id}))
        .collect();
    tx.emit(
        Some(&domain.name),
        "golden.merged",
        Some(survivor),
        &json!({"golden_id": survivor, "merged_golden_id": absorbed, "records": keys,
                "reason": cause.reason, "by": cause.actor.sub}),
    );
    retarget_proposals(tx, domain, survivor, absorbed, cause)?;
    recompute_golden(tx, domain, survivor)
}

/// Closes the open proposals of `absorbed` (they name an ID that no longer stands alone) and
/// re-opens each against the survivor, keeping its explanation and age, unless the survivor
/// is the other side already, an open proposal pairs them, or a steward said they differ.
/// Open proposals of the survivor that now cross a do-not-match pair are closed too.
fn retarget_proposals(
    tx: &mut Tx<'_>,
    domain: &Domain,
    survivor: &str,
    absorbed: &str,
    cause: &MergeCause<'_>,
) -> Result<(), ServiceError> {
    let note = format!("{absorbed} was merged into {survivor}");
    for stale in proposals::open_involving(tx.conn(), absorbed)? {
        if Some(stale.id) == cause.proposal {
            continue;
        }
        move_proposal(
            tx,
            domain,
            &stale,
            absorbed,
            survivor,
            &cause.actor.sub,
            &note,
        )?;
    }
    for open in proposals::open_involving(tx.conn(), survivor)? {
        if Some(open.id) == cause.proposal {
            continue;
        }
        let other = other_side(&open, survivor).to_owned();
        if crosses_do_not_match(tx, survivor, &other)? {
            let note = format!("{note}, and a steward said their records differ from {other}'s");
            supersede(tx, domain, &open, &cause.actor.sub, &note)?;
        }
    }
    Ok(())
}

/// Closes every open proposal of a golden record that no longer stands (its records were all
/// retired by their sources): there is nothing left to merge.
pub(crate) fn supersede_open_of(
    tx: &mut Tx<'_>,
    domain: &Domain,
    golden_id: &str,
    note: &str,
) -> Result<(), ServiceError> {
    for open in proposals::open_involving(tx.conn(), golden_id)? {
        supersede(tx, domain, &open, "golden", note)?;
    }
    Ok(())
}

/// Closes `stale` as superseded (`note` says why) and re-opens it with `to` in place of its
/// side `from`, keeping its explanation, record and age, unless `to` is the other side
/// already, an open proposal pairs them, the other side no longer stands, or a steward said
/// their records differ.
pub(super) fn move_proposal(
    tx: &mut Tx<'_>,
    domain: &Domain,
    stale: &ProposalRow,
    from: &str,
    to: &str,
    by: &str,
    note: &str,
) -> Result<(), ServiceError> {
    supersede(tx, domain, stale, by, note)?;
    let other = other_side(stale, from);
    if other == to
        || proposals::open_between(tx.conn(), to, other)?
        || !is_active(tx, other)?
        || crosses_do_not_match(tx, to, other)?
    {
        return Ok(());
    }
    let (golden_id, other_golden_id) = if stale.golden_id == from {
        (to, other)
    } else {
        (other, to)
    };
    let id = tx.insert_proposal(&NewProposal {
        domain: &domain.name,
        golden_id,
        other_golden_id,
        record_id: stale.record_id,
        score: stale.score,
        status: "open",
        explanation: &stale.explanation,
        rules_version: &stale.rules_version,
        created_at: stale.created_at,
    })?;
    tx.emit(
        Some(&domain.name),
        "proposal.opened",
        Some(golden_id),
        &json!({"proposal_id": id, "golden_id": golden_id, "other_golden_id": other_golden_id,
                "score": stale.score, "replaces": stale.id}),
    );
    Ok(())
}

fn other_side<'p>(proposal: &'p ProposalRow, side: &str) -> &'p str {
    if proposal.golden_id == side {
        &proposal.other_golden_id
    } else {
        &proposal.golden_id
    }
}

fn supersede(
    tx: &mut Tx<'_>,
    domain: &Domain,
    proposal: &ProposalRow,
    by: &str,
    note: &str,
) -> Result<(), ServiceError> {
    let now = tx.now();
    if proposals::close(tx.conn(), proposal.id, "superseded", by, Some(note), now)? {
        tx.emit(
            Some(&domain.name),
            "proposal.decided",
            Some(&proposal.golden_id),
            &json!({"proposal_id": proposal.id, "status": "superseded",
                    "golden_id": proposal.golden_id, "other_golden_id": proposal.other_golden_id,
                    "decided_by": by, "comment": note}),
        );
    }
    Ok(())
}

fn is_active(tx: &mut Tx<'_>, id: &str) -> Result<bool, ServiceError> {
    Ok(golden::find(tx.conn(), id)?.is_some_and(|row| row.status == golden_status::ACTIVE))
}

/// Whether a steward said some record of `a` differs from some record of `b`.
pub(in crate::service) fn crosses_do_not_match(
    tx: &mut Tx<'_>,
    a: &str,
    b: &str,
) -> Result<bool, ServiceError> {
    let left = member_ids(tx, a)?;
    let right = member_ids(tx, b)?;
    Ok(proposals::any_do_not_match(tx.conn(), &left, &right)?)
}

pub(super) fn member_ids(tx: &mut Tx<'_>, golden_id: &str) -> Result<Vec<i64>, ServiceError> {
    Ok(records::members(tx.conn(), golden_id)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

impl Golden {
    /// Merges `request.other_golden_id` into `survivor` by hand. A steward's merge overrides
    /// an earlier "these differ" between the two, which is cleared and noted in the audit.
    #[tracing::instrument(skip(self, request, actor))]
    pub fn merge_golden(
        &self,
        domain: &str,
        survivor: &str,
        request: &MergeRequest,
        actor: &Actor,
    ) -> Result<GoldenView, ServiceError> {
        let domain = self.domain(domain)?;
        if request.other_golden_id == survivor {
            return Err(ServiceError::unprocessable(
                "a golden record cannot be merged with itself",
            ));
        }
        let picks = super::overrides::checked_picks(&domain, &request.picks, actor)?;
        self.store.write(|tx| {
            let kept = load_active(tx.conn(), &domain.name, survivor)?;
            let other = load_active(tx.conn(), &domain.name, &request.other_golden_id)?;
            check_version(&kept, Some(request.version))?;
            check_version(&other, request.other_version)?;
            let before = json!({
                "golden": snapshot(tx.conn(), survivor)?,
                "other": snapshot(tx.conn(), &request.other_golden_id)?,
            });
            let left = member_ids(tx, survivor)?;
            let right = member_ids(tx, &request.other_golden_id)?;
            let cleared = proposals::clear_do_not_match(tx.conn(), &left, &right)?;
            merge_into(
                tx,
                &domain,
                survivor,
                &request.other_golden_id,
                &MergeCause {
                    actor,
                    reason: "manual merge",
                    proposal: None,
                    picks: &picks,
                    comment: request.comment.as_deref(),
                },
            )?;
            let after = snapshot(tx.conn(), survivor)?;
            let reason = match (&request.comment, cleared) {
                (Some(comment), 0) => comment.clone(),
                (Some(comment), n) => format!("{comment} (cleared {n} do-not-match pair(s))"),
                (None, 0) => String::new(),
                (None, n) => format!("cleared {n} do-not-match pair(s)"),
            };
            audit(
                tx,
                actor,
                Audited {
                    action: "merge",
                    domain: &domain.name,
                    entity_type: "golden",
                    entity_id: survivor,
                    reason: (!reason.is_empty()).then_some(reason.as_str()),
                    before,
                    after,
                },
            )?;
            let row = load_active(tx.conn(), &domain.name, survivor)?;
            golden_view(tx.conn(), row, survivor)
        })
    }
}
