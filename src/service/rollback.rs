//! Undoing a load job: the records it created are retired, the versions it added are
//! reverted, records it moved go back, the golden records it created are retired (their IDs
//! keep resolving) and the proposals it opened are closed. A steward's later decision on the
//! same records is never overwritten: the rollback stops and lists them instead. All of it
//! is one write transaction, audited and in the change feed, and the result is kept on the
//! job so that asking again answers the same.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::bulk::{job_mode, job_status};
use super::golden::recompute_goldens;
use super::ingest::add_version;
use super::records::retire;
use super::stewardship::Actor;
use super::views::utc;
use super::{Golden, ServiceError};
use crate::model::{Decision, RecordInput, golden_status, record_status};
use crate::rules::Domain;
use crate::store::Tx;
use crate::store::models::{JobRow, JobWriteRow, NewAudit, ProposalRow, SourceRecordRow};
use crate::store::queries::records::RecordUpdate;
use crate::store::queries::{audit, golden, jobs, proposals, records, rollback};

/// The status a rolled-back job ends in, and the one its open proposals are closed with.
pub const ROLLED_BACK: &str = "rolled_back";
pub const WITHDRAWN: &str = "withdrawn";

/// Undoing a job needs a reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// Why the job is undone (required, kept in the audit log).
    pub comment: String,
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RollbackView {
    pub job_id: String,
    pub domain: String,
    pub rolled_back_by: String,
    pub rolled_back_at: DateTime<Utc>,
    pub comment: String,
    /// Source records the job created, now retired.
    pub records_retired: i64,
    /// Records the job changed, back at the version before it.
    pub versions_reverted: i64,
    /// Auto-links the job made that no longer hold.
    pub links_undone: i64,
    /// Proposals the job opened, closed as `withdrawn`.
    pub proposals_closed: i64,
    /// Golden records the job created, now retired (or merged into a survivor): the IDs
    /// still resolve.
    pub golden_retired: Vec<String>,
}

/// A later decision that stops a rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RollbackConflict {
    /// `proposal_decided` (a steward approved or rejected a proposal the job opened),
    /// `steward_action` (a merge, split or override since the job on a golden record it
    /// wrote to) or `record_changed` (a record the job wrote has a later version).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// The steward action (an audit log `action`), for `proposal_decided` and `steward_action`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Who made the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

/// The job's writes to one record: the first shows what it was before, the last what the
/// job left.
struct RecordWrites {
    first: JobWriteRow,
    last: JobWriteRow,
    written_at: BTreeSet<NaiveDateTime>,
}

impl Golden {
    /// Undoes load job `id` (see the module's description). A second call answers with the
    /// first one's result.
    pub fn rollback_job(
        &self,
        id: &str,
        comment: &str,
        actor: &Actor,
    ) -> Result<RollbackView, ServiceError> {
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(ServiceError::invalid("a rollback needs a comment"));
        }
        let job = {
            let mut conn = self.store.conn()?;
            jobs::find(&mut conn, id)?.ok_or_else(|| ServiceError::NotFound(format!("job {id}")))?
        };
        let domain = self.domain(&job.domain)?;
        self.store.write(|tx| {
            // Read again under the write lock: a rollback racing this one has finished.
            let job = jobs::find(tx.conn(), id)?
                .ok_or_else(|| ServiceError::NotFound(format!("job {id}")))?;
            if let Some(done) = &job.rollback {
                return Ok(serde_json::from_str(done)?);
            }
            check_undoable(&job)?;
            let undo = Undo::plan(tx, &job)?;
            let conflicts = undo.conflicts(tx, &job)?;
            if !conflicts.is_empty() {
                return Err(ServiceError::RollbackConflicts(conflicts));
            }
            let view = undo.apply(tx, &domain, &job, comment, actor)?;
            let result = serde_json::to_string(&view)?;
            let at = tx.now();
            jobs::set_rolled_back(tx.conn(), id, &result, at)?;
            tx.emit(
                Some(&domain.name),
                "job.rolled_back",
                None,
                &serde_json::to_value(&view)?,
            );
            audit::insert(
                tx.conn(),
                &NewAudit {
                    at,
                    actor: &actor.sub,
                    action: "rollback_job",
                    outcome: "ok",
                    domain: Some(&domain.name),
                    entity_type: "job",
                    entity_id: Some(id),
                    request_id: actor.request_id.as_deref(),
                    reason: Some(comment),
                    before_state: Some(&json!({"status": job.status}).to_string()),
                    after_state: Some(&result),
                },
            )?;
            Ok(view)
        })
    }
}

/// Only a load that has stopped can be undone.
fn check_undoable(job: &JobRow) -> Result<(), ServiceError> {
    if job.mode != job_mode::LOAD {
        return Err(ServiceError::Conflict(format!(
            "job {} is a {}: it stored nothing to undo",
            job.id, job.mode
        )));
    }
    if job.status != job_status::FINISHED && job.status != job_status::FAILED {
        return Err(ServiceError::Conflict(format!(
            "job {} is {}: wait until it ends",
            job.id, job.status
        )));
    }
    Ok(())
}

/// What the job wrote, as stored now.
struct Undo {
    writes: BTreeMap<i64, RecordWrites>,
    rows: HashMap<i64, SourceRecordRow>,
    /// Proposals the job's records opened in the job's own transactions.
    proposals: Vec<ProposalRow>,
}

impl Undo {
    fn plan(tx: &mut Tx<'_>, job: &JobRow) -> Result<Self, ServiceError> {
        let mut writes: BTreeMap<i64, RecordWrites> = BTreeMap::new();
        // Newest first: the first seen for a record is the last the job wrote.
        for write in jobs::writes(tx.conn(), &job.id)? {
            match writes.get_mut(&write.record_id) {
                Some(entry) => {
                    entry.written_at.insert(write.written_at);
                    entry.first = write;
                }
                None => {
                    writes.insert(
                        write.record_id,
                        RecordWrites {
                            written_at: BTreeSet::from([write.written_at]),
                            first: write.clone(),
                            last: write,
                        },
                    );
                }
            }
        }
        let ids: Vec<i64> = writes.keys().copied().collect();
        let rows = records::by_ids(tx.conn(), &ids)?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let proposals = rollback::proposals_of_records(tx.conn(), &ids)?
            .into_iter()
            .filter(|p| {
                p.record_id
                    .and_then(|r| writes.get(&r))
                    .is_some_and(|w| w.written_at.contains(&p.created_at))
            })
            .collect();
        Ok(Self {
            writes,
            rows,
            proposals,
        })
    }

    /// The steward decisions (and later writes) since the job that undoing it would overwrite.
    fn conflicts(
        &self,
        tx: &mut Tx<'_>,
        job: &JobRow,
    ) -> Result<Vec<RollbackConflict>, ServiceError> {
        let mut conflicts = Vec::new();
        let mut goldens = BTreeSet::new();
        for (id, writes) in &self.writes {
            let Some(row) = self.rows.get(id) else {
                continue;
            };
            goldens.insert(row.golden_id.clone());
            goldens.insert(writes.last.golden_id.clone());
            if row.version != writes.last.version {
                conflicts.push(RollbackConflict {
                    kind: "record_changed".into(),
                    golden_id: Some(row.golden_id.clone()),
                    source_system: Some(row.source_system.clone()),
                    source_id: Some(row.source_id.clone()),
                    ..empty()
                });
            }
        }
        for proposal in &self.proposals {
            goldens.insert(proposal.golden_id.clone());
            goldens.insert(proposal.other_golden_id.clone());
            let action = match proposal.status.as_str() {
                "approved" => "approve_proposal",
                "rejected" => "reject_proposal",
                _ => continue,
            };
            conflicts.push(RollbackConflict {
                kind: "proposal_decided".into(),
                golden_id: Some(proposal.golden_id.clone()),
                proposal_id: Some(proposal.id),
                action: Some(action.into()),
                actor: proposal.decided_by.clone(),
                at: proposal.decided_at.map(utc),
                ..empty()
            });
        }
        let goldens: Vec<String> = goldens.into_iter().collect();
        for entry in rollback::steward_actions_since(tx.conn(), &goldens, &[], job.created_at)? {
            conflicts.push(RollbackConflict {
                kind: "steward_action".into(),
                golden_id: entry.entity_id,
                action: Some(entry.action),
                actor: Some(entry.actor),
                at: Some(utc(entry.at)),
                ..empty()
            });
        }
        Ok(conflicts)
    }

    fn apply(
        self,
        tx: &mut Tx<'_>,
        domain: &Domain,
        job: &JobRow,
        comment: &str,
        actor: &Actor,
    ) -> Result<RollbackView, ServiceError> {
        let mut view = RollbackView {
            job_id: job.id.clone(),
            domain: domain.name.clone(),
            rolled_back_by: actor.sub.clone(),
            rolled_back_at: utc(tx.now()),
            comment: comment.to_owned(),
            records_retired: 0,
            versions_reverted: 0,
            links_undone: 0,
            proposals_closed: 0,
            golden_retired: Vec::new(),
        };
        let mut touched = Vec::new();
        let mut created_goldens = BTreeSet::new();
        for (id, writes) in self.writes.iter().rev() {
            let Some(row) = self.rows.get(id) else {
                continue;
            };
            touched.push(row.golden_id.clone());
            let auto_linked = writes.first.decision == Decision::AutoLinked.as_str();
            if writes.first.version == 1 {
                if !auto_linked {
                    created_goldens.insert(writes.first.golden_id.clone());
                }
                if row.status != record_status::RETIRED {
                    retire(tx, &domain.name, row)?;
                }
                view.records_retired += 1;
                view.links_undone += i64::from(auto_linked);
                continue;
            }
            revert(tx, domain, row, writes.first.version - 1)?;
            view.versions_reverted += 1;
            let before = rollback::golden_before(tx.conn(), row.id, writes.first.written_at)?;
            if let Some(before) = before.filter(|b| *b != row.golden_id) {
                move_back(tx, domain, row, &before)?;
                touched.push(before);
                view.links_undone += 1;
            }
        }
        for proposal in &self.proposals {
            view.proposals_closed += i64::from(withdraw(tx, domain, proposal, comment, actor)?);
        }
        recompute_goldens(tx, domain, &touched)?;
        for id in created_goldens {
            let Some(row) = golden::find(tx.conn(), &id)? else {
                continue;
            };
            // A golden record left with no active member was retired by its recompute, which
            // also closed the other proposals still open about it (as superseded).
            if row.status != golden_status::ACTIVE {
                view.golden_retired.push(id);
            }
        }
        Ok(view)
    }
}

fn empty() -> RollbackConflict {
    RollbackConflict {
        kind: String::new(),
        golden_id: None,
        proposal_id: None,
        source_system: None,
        source_id: None,
        action: None,
        actor: None,
        at: None,
    }
}

/// Brings a record back to what its version `version` said, as a new version (history is
/// never rewritten), standardized by today's rules.
fn revert(
    tx: &mut Tx<'_>,
    domain: &Domain,
    row: &SourceRecordRow,
    version: i64,
) -> Result<(), ServiceError> {
    let versions = records::versions(tx.conn(), row.id)?;
    let Some(before) = versions.into_iter().find(|v| v.version == version) else {
        return Err(ServiceError::internal_msg(format!(
            "record {} has no version {version}",
            row.id
        )));
    };
    let status = if before.change == "retired" {
        record_status::RETIRED
    } else {
        record_status::ACTIVE
    };
    let attributes: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&before.attributes)?;
    let input = RecordInput {
        source_system: row.source_system.clone(),
        source_id: row.source_id.clone(),
        attributes: attributes.clone(),
    };
    let standardized = crate::validate::validate(domain, input)
        .map(|valid| valid.standardized_json().to_owned())
        .unwrap_or_else(|_| row.standardized.clone());
    let next = row.version + 1;
    let now = tx.now();
    records::update(
        tx.conn(),
        row.id,
        &RecordUpdate {
            version: next,
            status,
            attributes: &before.attributes,
            standardized: &standardized,
            content_hash: &before.content_hash,
            updated_at: now,
            standardization: Some(&domain.standardization()),
        },
    )?;
    add_version(
        tx,
        row.id,
        next,
        "reverted",
        &before.attributes,
        &before.content_hash,
    );
    tx.emit(
        Some(&domain.name),
        "record.reverted",
        Some(&row.golden_id),
        &json!({"source_system": row.source_system, "source_id": row.source_id,
                "golden_id": row.golden_id, "version": next, "status": status,
                "attributes": attributes}),
    );
    Ok(())
}

/// Moves a record back into the golden record it belonged to before the job, which comes
/// back to life when the job's auto-link had merged it away.
fn move_back(
    tx: &mut Tx<'_>,
    domain: &Domain,
    row: &SourceRecordRow,
    before: &str,
) -> Result<(), ServiceError> {
    let at = tx.now();
    if let Some(old) = golden::find(tx.conn(), before)?
        && old.status != golden_status::ACTIVE
    {
        rollback::reactivate(tx, before, at)?;
    }
    tx.join_golden(row.id, before, ROLLED_BACK)?;
    tx.emit(
        Some(&domain.name),
        "record.linked",
        Some(before),
        &json!({"source_system": row.source_system, "source_id": row.source_id,
                "golden_id": before, "previous_golden_id": row.golden_id,
                "reason": ROLLED_BACK}),
    );
    Ok(())
}

/// Closes an open proposal as withdrawn; false when it was no longer open.
fn withdraw(
    tx: &mut Tx<'_>,
    domain: &Domain,
    proposal: &ProposalRow,
    comment: &str,
    actor: &Actor,
) -> Result<bool, ServiceError> {
    let at = tx.now();
    let closed = proposals::close(
        tx.conn(),
        proposal.id,
        WITHDRAWN,
        &actor.sub,
        Some(comment),
        at,
    )?;
    if closed {
        tx.emit(
            Some(&domain.name),
            "proposal.decided",
            Some(&proposal.golden_id),
            &json!({"proposal_id": proposal.id, "status": WITHDRAWN,
                    "golden_id": proposal.golden_id,
                    "other_golden_id": proposal.other_golden_id,
                    "decided_by": actor.sub, "comment": comment}),
        );
    }
    Ok(closed)
}
