//! Merge proposals and do-not-match pairs.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::NewDoNotMatch;
pub use crate::store::models::{NewProposal, ProposalRow};
use crate::store::schema::{do_not_match, golden_records, proposals, source_records};

/// Inserts a proposal and returns its ID.
pub fn insert(conn: &mut DbConnection, proposal: &NewProposal<'_>) -> QueryResult<i64> {
    super::on_backend!(conn, |c| diesel::insert_into(proposals::table)
        .values(proposal)
        .returning(proposals::id)
        .get_result(c))
}

/// Stamps each proposal of `ids` with the versions its two golden records stand at now.
pub fn stamp_versions(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<()> {
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, String)> = proposals::table
            .filter(proposals::id.eq_any(chunk))
            .select((
                proposals::id,
                proposals::golden_id,
                proposals::other_golden_id,
            ))
            .load(conn)?;
        let golden_ids: Vec<&str> = rows
            .iter()
            .flat_map(|(_, a, b)| [a.as_str(), b.as_str()])
            .collect();
        let versions: std::collections::HashMap<String, i64> = golden_records::table
            .filter(golden_records::golden_id.eq_any(&golden_ids))
            .select((golden_records::golden_id, golden_records::version))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        for (id, golden_id, other_golden_id) in &rows {
            diesel::update(proposals::table.find(id))
                .set((
                    proposals::golden_version.eq(versions.get(golden_id).copied()),
                    proposals::other_version.eq(versions.get(other_golden_id).copied()),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
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

/// The order of a proposal listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Oldest,
    Newest,
    ScoreDesc,
    ScoreAsc,
}

/// What a steward filters the queue by.
#[derive(Debug, Clone)]
pub struct Filter<'a> {
    pub domain: &'a str,
    pub status: &'a str,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
    /// Only proposals opened for a record of this source system.
    pub source_system: Option<&'a str>,
    pub created_after: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
    /// Only proposals with this claim, judged at `now`.
    pub claimed: Option<ClaimFilter>,
    pub now: NaiveDateTime,
}

/// Whose claim a queue listing keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimFilter {
    /// Proposals no steward holds (never claimed, released or lapsed).
    Unclaimed,
    /// Proposals this steward holds now.
    By(String),
}

/// A page of the queue after `offset`, and how many proposals match in all.
pub fn queue(
    conn: &mut DbConnection,
    filter: &Filter<'_>,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ProposalRow>, i64)> {
    let build = || {
        let mut query = proposals::table
            .filter(proposals::domain.eq(filter.domain.to_owned()))
            .into_boxed();
        // Awaiting a second approval is a state of an open proposal.
        query = if filter.status == AWAITING_SECOND {
            query
                .filter(proposals::status.eq("open"))
                .filter(proposals::first_approved_by.is_not_null())
        } else {
            query.filter(proposals::status.eq(filter.status.to_owned()))
        };
        if let Some(min) = filter.min_score {
            query = query.filter(proposals::score.ge(min));
        }
        if let Some(max) = filter.max_score {
            query = query.filter(proposals::score.le(max));
        }
        if let Some(after) = filter.created_after {
            query = query.filter(proposals::created_at.ge(after));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(proposals::created_at.le(before));
        }
        if let Some(system) = filter.source_system {
            let records = source_records::table
                .filter(source_records::domain.eq(filter.domain.to_owned()))
                .filter(source_records::source_system.eq(system.to_owned()))
                .select(source_records::id);
            query = query.filter(proposals::record_id.eq_any(records.nullable()));
        }
        let until = proposals::claimed_until.assume_not_null();
        match &filter.claimed {
            None => {}
            Some(ClaimFilter::Unclaimed) => {
                query = query.filter(proposals::claimed_by.is_null().or(until.le(filter.now)));
            }
            Some(ClaimFilter::By(sub)) => {
                query = query
                    .filter(proposals::claimed_by.eq(sub.clone()))
                    .filter(until.gt(filter.now));
            }
        }
        query
    };
    let total: i64 = build().count().get_result(conn)?;
    let query = match sort {
        Sort::Oldest => build().order((proposals::created_at.asc(), proposals::id.asc())),
        Sort::Newest => build().order((proposals::created_at.desc(), proposals::id.desc())),
        Sort::ScoreDesc => build().order((proposals::score.desc(), proposals::id.asc())),
        Sort::ScoreAsc => build().order((proposals::score.asc(), proposals::id.asc())),
    };
    let rows = query
        .offset(offset)
        .limit(limit)
        .select(ProposalRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Open proposals that involve `golden_id` on either side.
pub fn open_involving(conn: &mut DbConnection, golden_id: &str) -> QueryResult<Vec<ProposalRow>> {
    proposals::table
        .filter(proposals::status.eq("open"))
        .filter(
            proposals::golden_id
                .eq(golden_id)
                .or(proposals::other_golden_id.eq(golden_id)),
        )
        .order(proposals::id.asc())
        .select(ProposalRow::as_select())
        .load(conn)
}

/// The IDs of every proposal, in any status, that pairs `golden_id` with another record.
pub fn ids_involving(conn: &mut DbConnection, golden_id: &str) -> QueryResult<Vec<i64>> {
    proposals::table
        .filter(
            proposals::golden_id
                .eq(golden_id)
                .or(proposals::other_golden_id.eq(golden_id)),
        )
        .order(proposals::id.asc())
        .select(proposals::id)
        .load(conn)
}

/// Whether an open proposal already pairs `a` and `b`, either way round.
pub fn open_between(conn: &mut DbConnection, a: &str, b: &str) -> QueryResult<bool> {
    let found: i64 = proposals::table
        .filter(proposals::status.eq("open"))
        .filter(
            (proposals::golden_id
                .eq(a)
                .and(proposals::other_golden_id.eq(b)))
            .or(proposals::golden_id
                .eq(b)
                .and(proposals::other_golden_id.eq(a))),
        )
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// How an open proposal that has its first of two approvals is shown and filtered.
pub const AWAITING_SECOND: &str = "awaiting_second";

/// Records the first of the two approvals a risky merge needs; the proposal stays open.
pub fn approve_first(
    conn: &mut DbConnection,
    id: i64,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        proposals::table
            .find(id)
            .filter(proposals::status.eq("open"))
            .filter(proposals::first_approved_by.is_null()),
    )
    .set((
        proposals::first_approved_by.eq(Some(by)),
        proposals::first_approved_at.eq(Some(at)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Closes an open proposal with `status`; returns false when it was no longer open.
pub fn close(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    by: &str,
    comment: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        proposals::table
            .find(id)
            .filter(proposals::status.eq("open")),
    )
    .set((
        proposals::status.eq(status),
        proposals::decided_at.eq(Some(at)),
        proposals::decided_by.eq(Some(by)),
        proposals::comment.eq(comment),
        proposals::claimed_by.eq(None::<String>),
        proposals::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Sets (or, with `None`, clears) the claim on a proposal.
pub fn set_claim(
    conn: &mut DbConnection,
    id: i64,
    by: Option<&str>,
    until: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(proposals::table.find(id))
        .set((
            proposals::claimed_by.eq(by),
            proposals::claimed_until.eq(until),
        ))
        .execute(conn)
        .map(drop)
}

/// Who said which records differ, and why.
pub struct DoNotMatchOrigin<'a> {
    pub domain: &'a str,
    pub origin: &'a str,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

/// Stores that every record of `left` differs from every record of `right`, each pair in ID
/// order, in a few statements; pairs already stored are kept as they are.
pub fn add_do_not_match(
    conn: &mut DbConnection,
    left: &[i64],
    right: &[i64],
    said: &DoNotMatchOrigin<'_>,
) -> QueryResult<()> {
    let everyone: Vec<i64> = left.iter().chain(right).copied().collect();
    let stored: HashSet<(i64, i64)> = do_not_match::table
        .filter(do_not_match::domain.eq(said.domain))
        .filter(do_not_match::record_a.eq_any(&everyone))
        .filter(do_not_match::record_b.eq_any(&everyone))
        .select((do_not_match::record_a, do_not_match::record_b))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let mut wanted = HashSet::new();
    let new: Vec<NewDoNotMatch<'_>> = left
        .iter()
        .flat_map(|&a| right.iter().map(move |&b| (a.min(b), a.max(b))))
        .filter(|pair| !stored.contains(pair) && wanted.insert(*pair))
        .map(|(record_a, record_b)| NewDoNotMatch {
            domain: said.domain,
            record_a,
            record_b,
            origin: said.origin,
            created_by: said.created_by,
            created_at: said.created_at,
        })
        .collect();
    super::insert_rows!(conn, do_not_match::table, new)
}

/// Whether any record of `left` was said to differ from any record of `right`.
pub fn any_do_not_match(conn: &mut DbConnection, left: &[i64], right: &[i64]) -> QueryResult<bool> {
    if left.is_empty() || right.is_empty() {
        return Ok(false);
    }
    let found: i64 = do_not_match::table
        .filter(
            (do_not_match::record_a
                .eq_any(left)
                .and(do_not_match::record_b.eq_any(right)))
            .or(do_not_match::record_a
                .eq_any(right)
                .and(do_not_match::record_b.eq_any(left))),
        )
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Removes the do-not-match pairs between two sets of records (a steward merged them anyway).
pub fn clear_do_not_match(
    conn: &mut DbConnection,
    left: &[i64],
    right: &[i64],
) -> QueryResult<usize> {
    diesel::delete(
        do_not_match::table.filter(
            (do_not_match::record_a
                .eq_any(left)
                .and(do_not_match::record_b.eq_any(right)))
            .or(do_not_match::record_a
                .eq_any(right)
                .and(do_not_match::record_b.eq_any(left))),
        ),
    )
    .execute(conn)
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

/// Per domain: how many proposals are open and when the oldest was opened.
pub fn open_backlog(
    conn: &mut DbConnection,
) -> QueryResult<Vec<(String, i64, Option<NaiveDateTime>)>> {
    use diesel::dsl::{count_star, min};
    proposals::table
        .filter(proposals::status.eq("open"))
        .group_by(proposals::domain)
        .select((proposals::domain, count_star(), min(proposals::created_at)))
        .load(conn)
}
