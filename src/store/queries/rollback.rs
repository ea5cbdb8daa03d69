//! What undoing a load job reads and writes beyond the ordinary record and proposal queries:
//! the proposals its records opened, where a record belonged before, the steward actions
//! taken since, and bringing back a golden record the job merged away.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::models::{AuditRow, ProposalRow};
use crate::store::schema::{audit_log, golden_records, memberships, proposals};
use crate::store::{DbConnection, Tx};

/// Steward actions: the decisions a rollback must not overwrite.
pub const STEWARD_ACTIONS: [&str; 6] = [
    "approve_proposal",
    "reject_proposal",
    "merge",
    "split",
    "override_field",
    "remove_override",
];

/// Every proposal whose opening record is one of `record_ids`.
pub fn proposals_of_records(
    conn: &mut DbConnection,
    record_ids: &[i64],
) -> QueryResult<Vec<ProposalRow>> {
    let mut rows = Vec::new();
    for chunk in record_ids.chunks(500) {
        rows.extend(
            proposals::table
                .filter(proposals::record_id.eq_any(chunk))
                .order(proposals::id.asc())
                .select(ProposalRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// The golden record a source record belonged to just before `at` (none for a record
/// created then).
pub fn golden_before(
    conn: &mut DbConnection,
    record_id: i64,
    at: NaiveDateTime,
) -> QueryResult<Option<String>> {
    memberships::table
        .filter(memberships::record_id.eq(record_id))
        .filter(memberships::valid_from.lt(at))
        .order(memberships::id.desc())
        .select(memberships::golden_id)
        .first(conn)
        .optional()
}

/// Steward actions carried out since `since` on any of `golden_ids` or `proposal_ids`,
/// oldest first.
pub fn steward_actions_since(
    conn: &mut DbConnection,
    golden_ids: &[String],
    proposal_ids: &[String],
    since: NaiveDateTime,
) -> QueryResult<Vec<AuditRow>> {
    let mut rows = Vec::new();
    let chunks = golden_ids
        .chunks(500)
        .map(|c| ("golden", c))
        .chain(proposal_ids.chunks(500).map(|c| ("proposal", c)));
    for (entity_type, ids) in chunks {
        rows.extend(
            audit_log::table
                .filter(audit_log::at.ge(since))
                .filter(audit_log::outcome.eq("ok"))
                .filter(audit_log::action.eq_any(STEWARD_ACTIONS))
                .filter(audit_log::entity_type.eq(entity_type))
                .filter(audit_log::entity_id.eq_any(ids))
                .select(AuditRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Makes a golden record that was merged away active again, with no redirect.
pub fn reactivate(tx: &mut Tx<'_>, golden_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(golden_records::table.find(golden_id))
        .set((
            golden_records::status.eq("active"),
            golden_records::redirect_to.eq(None::<String>),
            golden_records::version.eq(golden_records::version + 1),
            golden_records::updated_at.eq(at),
        ))
        .execute(tx.conn())?;
    super::golden::record_history(tx, golden_id, at)
}
