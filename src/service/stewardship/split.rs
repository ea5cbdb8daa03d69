//! Splitting source records out of a golden record. The records split out get a new golden
//! record (a new ID: IDs are never reused), and the split is remembered as "these differ" so
//! no later auto-link or proposal joins them again. Open proposals that a moved record opened
//! move with it.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::json;

use super::merge::move_proposal;
use super::{Actor, Audited, SplitRequest, audit, check_version, load_active, snapshot};
use crate::service::golden::{golden_view, issue_golden, recompute_golden, survive_rows};
use crate::service::views::GoldenView;
use crate::service::{Golden, ServiceError};
use crate::store::models::SourceRecordRow;
use crate::store::queries::proposals::DoNotMatchOrigin;
use crate::store::queries::{proposals, records};

/// Both golden records after a split.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SplitResult {
    /// The record split from, with the members it kept.
    pub golden: GoldenView,
    /// The new golden record holding the records split out.
    pub split_into: GoldenView,
}

impl Golden {
    #[tracing::instrument(skip(self, request, actor))]
    pub fn split_golden(
        &self,
        domain: &str,
        id: &str,
        request: &SplitRequest,
        actor: &Actor,
    ) -> Result<SplitResult, ServiceError> {
        let domain = self.domain(domain)?;
        if request.records.is_empty() {
            return Err(ServiceError::unprocessable(
                "name at least one record to split out",
            ));
        }
        self.store.write(|tx| {
            let row = load_active(tx.conn(), &domain.name, id)?;
            check_version(&row, Some(request.version))?;
            let members = records::members(tx.conn(), id)?;
            let (moving, staying) = partition(&members, request, id)?;
            let before = snapshot(tx.conn(), id)?;

            let survived = survive_rows(&domain, &moving, &[])?;
            let new_id = issue_golden(tx, &domain, &survived)?;
            let now = tx.now();
            for record in &moving {
                tx.join_golden(record.id, &new_id, "split")?;
                tx.emit(
                    Some(&domain.name),
                    "record.linked",
                    Some(&new_id),
                    &json!({"source_system": record.source_system,
                            "source_id": record.source_id, "golden_id": new_id,
                            "previous_golden_id": id, "reason": "split"}),
                );
            }
            let origin = format!("split from {id}");
            let moved: Vec<i64> = moving.iter().map(|r| r.id).collect();
            let stayed: Vec<i64> = staying.iter().map(|r| r.id).collect();
            let said = DoNotMatchOrigin {
                domain: &domain.name,
                origin: &origin,
                created_by: &actor.sub,
                created_at: now,
            };
            proposals::add_do_not_match(tx.conn(), &moved, &stayed, &said)?;
            // Proposals opened by a record that moved now belong to its new golden record.
            let note = format!("the record that opened it was split out of {id} into {new_id}");
            for open in proposals::open_involving(tx.conn(), id)? {
                let opened_by_moved = open.golden_id == id
                    && open
                        .record_id
                        .is_some_and(|r| moving.iter().any(|m| m.id == r));
                if opened_by_moved {
                    move_proposal(tx, &domain, &open, id, &new_id, &actor.sub, &note)?;
                }
            }
            let keys: Vec<_> = moving
                .iter()
                .map(|r| json!({"source_system": r.source_system, "source_id": r.source_id}))
                .collect();
            tx.emit(
                Some(&domain.name),
                "golden.split",
                Some(id),
                &json!({"golden_id": id, "new_golden_id": new_id, "records": keys,
                        "by": actor.sub}),
            );
            recompute_golden(tx, &domain, id)?;
            recompute_golden(tx, &domain, &new_id)?;
            let after = json!({
                "golden": snapshot(tx.conn(), id)?,
                "split_into": snapshot(tx.conn(), &new_id)?,
            });
            audit(
                tx,
                actor,
                Audited {
                    action: "split",
                    domain: &domain.name,
                    entity_type: "golden",
                    entity_id: id,
                    reason: request.comment.as_deref(),
                    before,
                    after,
                },
            )?;
            let kept = load_active(tx.conn(), &domain.name, id)?;
            let split = load_active(tx.conn(), &domain.name, &new_id)?;
            Ok(SplitResult {
                golden: golden_view(tx.conn(), kept, id)?,
                split_into: golden_view(tx.conn(), split, &new_id)?,
            })
        })
    }
}

/// The members named by the request, and the ones that stay. Every named record must be a
/// member, and at least one active member must stay.
fn partition<'m>(
    members: &'m [SourceRecordRow],
    request: &SplitRequest,
    id: &str,
) -> Result<(Vec<&'m SourceRecordRow>, Vec<&'m SourceRecordRow>), ServiceError> {
    let wanted: HashSet<(&str, &str)> = request
        .records
        .iter()
        .map(|k| (k.source_system.as_str(), k.source_id.as_str()))
        .collect();
    let (moving, staying): (Vec<_>, Vec<_>) = members
        .iter()
        .partition(|m| wanted.contains(&(m.source_system.as_str(), m.source_id.as_str())));
    if moving.len() != wanted.len() {
        let missing: Vec<String> = wanted
            .iter()
            .filter(|(system, source_id)| {
                !moving
                    .iter()
                    .any(|m| m.source_system == *system && m.source_id == *source_id)
            })
            .map(|(system, source_id)| format!("{system}/{source_id}"))
            .collect();
        return Err(ServiceError::unprocessable(format!(
            "not members of {id}: {}",
            missing.join(", ")
        )));
    }
    if !moving
        .iter()
        .any(|m| m.status == crate::model::record_status::ACTIVE)
    {
        return Err(ServiceError::unprocessable(
            "only retired records were named; a split needs at least one active record",
        ));
    }
    if !staying
        .iter()
        .any(|m| m.status == crate::model::record_status::ACTIVE)
    {
        return Err(ServiceError::unprocessable(format!(
            "a split must leave at least one active record in {id}"
        )));
    }
    Ok((moving, staying))
}
