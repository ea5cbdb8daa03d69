//! The audit log.

use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{AuditRow, NewAudit};
use crate::store::schema::audit_log;

pub fn insert(conn: &mut DbConnection, entry: &NewAudit<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)
        .map(drop)
}

/// What an audit listing is narrowed to; `None` matches anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    pub entity_type: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
    /// `ok` or `denied` (a refused request).
    pub outcome: Option<&'a str>,
    /// Only entries with a smaller ID: the next page of a newest-first listing.
    pub before: Option<i64>,
    /// Only entries about this golden record: its own curation, and the decisions on these
    /// proposals (the ones that paired it with another record).
    pub about_golden: Option<(&'a str, &'a [String])>,
}

/// Newest first, narrowed by `filter`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter<'_>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(entity_type) = filter.entity_type {
        query = query.filter(audit_log::entity_type.eq(entity_type));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(audit_log::entity_id.eq(entity_id));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::actor.eq(actor));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(audit_log::outcome.eq(outcome));
    }
    if let Some((golden_id, proposal_ids)) = filter.about_golden {
        query = query.filter(
            audit_log::entity_type
                .eq("golden")
                .and(audit_log::entity_id.eq(golden_id))
                .or(audit_log::entity_type
                    .eq("proposal")
                    .and(audit_log::entity_id.eq_any(proposal_ids))),
        );
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_log::id.lt(before));
    }
    query.load(conn)
}
