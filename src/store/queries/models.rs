//! Match models (versioned per domain, one active) and the evidence of auto-links.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{LinkEvidenceRow, MatchModelRow, NewLinkEvidence};
use crate::store::schema::{link_evidence, match_models};

/// Stores a model as the domain's next version; when `activate`, it becomes the active one.
/// Returns the version. Runs inside a write transaction (which serializes writers).
pub fn insert(
    conn: &mut DbConnection,
    domain: &str,
    model: &str,
    origin: &str,
    created_by: &str,
    created_at: NaiveDateTime,
    activate: bool,
) -> QueryResult<i64> {
    let last: Option<i64> = match_models::table
        .filter(match_models::domain.eq(domain))
        .select(diesel::dsl::max(match_models::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    if activate {
        deactivate(conn, domain)?;
    }
    diesel::insert_into(match_models::table)
        .values((
            match_models::domain.eq(domain),
            match_models::version.eq(version),
            match_models::model.eq(model),
            match_models::origin.eq(origin),
            match_models::active.eq(activate),
            match_models::created_by.eq(created_by),
            match_models::created_at.eq(created_at),
        ))
        .execute(conn)?;
    Ok(version)
}

fn deactivate(conn: &mut DbConnection, domain: &str) -> QueryResult<()> {
    diesel::update(match_models::table)
        .filter(match_models::domain.eq(domain))
        .filter(match_models::active.eq(true))
        .set(match_models::active.eq(false))
        .execute(conn)
        .map(drop)
}

/// Makes `version` the domain's active model; false when there is no such version.
pub fn activate(conn: &mut DbConnection, domain: &str, version: i64) -> QueryResult<bool> {
    if find(conn, domain, version)?.is_none() {
        return Ok(false);
    }
    deactivate(conn, domain)?;
    diesel::update(match_models::table)
        .filter(match_models::domain.eq(domain))
        .filter(match_models::version.eq(version))
        .set(match_models::active.eq(true))
        .execute(conn)?;
    Ok(true)
}

pub fn find(
    conn: &mut DbConnection,
    domain: &str,
    version: i64,
) -> QueryResult<Option<MatchModelRow>> {
    match_models::table
        .filter(match_models::domain.eq(domain))
        .filter(match_models::version.eq(version))
        .select(MatchModelRow::as_select())
        .first(conn)
        .optional()
}

/// The active model of every domain.
pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<MatchModelRow>> {
    match_models::table
        .filter(match_models::active.eq(true))
        .order(match_models::domain)
        .select(MatchModelRow::as_select())
        .load(conn)
}

/// A domain's models, newest first.
pub fn list(conn: &mut DbConnection, domain: &str) -> QueryResult<Vec<MatchModelRow>> {
    match_models::table
        .filter(match_models::domain.eq(domain))
        .order(match_models::version.desc())
        .select(MatchModelRow::as_select())
        .load(conn)
}

/// Stores why records were auto-linked.
pub fn insert_links(conn: &mut DbConnection, new: &[NewLinkEvidence]) -> QueryResult<()> {
    super::insert_rows!(conn, link_evidence::table, new)
}

/// The latest auto-link evidence of a record.
pub fn latest_link(
    conn: &mut DbConnection,
    record_id: i64,
) -> QueryResult<Option<LinkEvidenceRow>> {
    link_evidence::table
        .filter(link_evidence::record_id.eq(record_id))
        .order(link_evidence::id.desc())
        .select(LinkEvidenceRow::as_select())
        .first(conn)
        .optional()
}

/// Record pairs a steward said differ (rejects and splits), at most `limit`.
pub fn do_not_match_pairs(
    conn: &mut DbConnection,
    domain: &str,
    limit: i64,
) -> QueryResult<Vec<(i64, i64)>> {
    use crate::store::schema::do_not_match;
    do_not_match::table
        .filter(do_not_match::domain.eq(domain))
        .order(do_not_match::id.desc())
        .limit(limit)
        .select((do_not_match::record_a, do_not_match::record_b))
        .load(conn)
}

/// Records whose proposal a steward approved, at most `limit`: each now shares its golden
/// record with the records it was proposed against.
pub fn approved_records(
    conn: &mut DbConnection,
    domain: &str,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    use crate::store::schema::proposals;
    proposals::table
        .filter(proposals::domain.eq(domain))
        .filter(proposals::status.eq("approved"))
        .filter(proposals::record_id.is_not_null())
        .order(proposals::id.desc())
        .limit(limit)
        .select(proposals::record_id.assume_not_null())
        .load(conn)
}
