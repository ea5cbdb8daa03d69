//! Merge proposals and do-not-match pairs.

use diesel::prelude::*;

use crate::store::DbConnection;
pub use crate::store::models::{NewProposal, ProposalRow};
use crate::store::schema::{do_not_match, proposals};

/// Inserts a proposal and returns its ID.
pub fn insert(conn: &mut DbConnection, proposal: &NewProposal<'_>) -> QueryResult<i64> {
    diesel::insert_into(proposals::table)
        .values(proposal)
        .execute(conn)?;
    proposals::table
        .filter(proposals::golden_id.eq(proposal.golden_id))
        .filter(proposals::other_golden_id.eq(proposal.other_golden_id))
        .order(proposals::id.desc())
        .select(proposals::id)
        .first(conn)
}

/// Open proposals of a domain, oldest first, a page at a time.
pub fn open_page(
    conn: &mut DbConnection,
    domain: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ProposalRow>> {
    page(conn, domain, "open", after, limit)
}

/// Records that a steward said differ from `record_id`.
pub fn do_not_match_partners(conn: &mut DbConnection, record_id: i64) -> QueryResult<Vec<i64>> {
    let left: Vec<i64> = do_not_match::table
        .filter(do_not_match::record_a.eq(record_id))
        .select(do_not_match::record_b)
        .load(conn)?;
    let right: Vec<i64> = do_not_match::table
        .filter(do_not_match::record_b.eq(record_id))
        .select(do_not_match::record_a)
        .load(conn)?;
    Ok(left.into_iter().chain(right).collect())
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ProposalRow>> {
    proposals::table
        .find(id)
        .select(ProposalRow::as_select())
        .first(conn)
        .optional()
}

/// Proposals of a domain with a status, oldest first, a page at a time.
pub fn page(
    conn: &mut DbConnection,
    domain: &str,
    status: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ProposalRow>> {
    proposals::table
        .filter(proposals::domain.eq(domain))
        .filter(proposals::status.eq(status))
        .filter(proposals::id.gt(after))
        .order(proposals::id.asc())
        .limit(limit)
        .select(ProposalRow::as_select())
        .load(conn)
}

/// Open proposals that touch any of `golden_ids`, as (golden_id, other_golden_id) pairs.
pub fn open_touching(
    conn: &mut DbConnection,
    golden_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    proposals::table
        .filter(proposals::status.eq("open"))
        .filter(
            proposals::golden_id
                .eq_any(golden_ids)
                .or(proposals::other_golden_id.eq_any(golden_ids)),
        )
        .select((proposals::golden_id, proposals::other_golden_id))
        .load(conn)
}
