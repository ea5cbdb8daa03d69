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

/// Newest first, optionally for one entity and/or one actor.
pub fn list(
    conn: &mut DbConnection,
    entity_id: Option<&str>,
    actor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(entity_id) = entity_id {
        query = query.filter(audit_log::entity_id.eq(entity_id));
    }
    if let Some(actor) = actor {
        query = query.filter(audit_log::actor.eq(actor));
    }
    query.load(conn)
}
