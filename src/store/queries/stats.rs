//! Aggregates for the dashboard: a handful of grouped counts, each one query.

use chrono::NaiveDateTime;
use diesel::dsl::{count, count_star, min};
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::{memberships, proposals, source_records};

/// Open proposals of one domain and when the oldest was opened.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenProposals {
    pub domain: String,
    pub open: i64,
    pub oldest: Option<NaiveDateTime>,
}

/// A count of source records of one source system in one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCount {
    pub domain: String,
    pub source_system: String,
    pub count: i64,
}

fn source_counts(rows: Vec<(String, String, i64)>) -> Vec<SourceCount> {
    rows.into_iter()
        .map(|(domain, source_system, count)| SourceCount {
            domain,
            source_system,
            count,
        })
        .collect()
}

/// Open proposals per domain, with the creation time of the oldest.
pub fn open_proposals(conn: &mut DbConnection) -> QueryResult<Vec<OpenProposals>> {
    let rows: Vec<(String, i64, Option<NaiveDateTime>)> = proposals::table
        .filter(proposals::status.eq("open"))
        .group_by(proposals::domain)
        .select((proposals::domain, count_star(), min(proposals::created_at)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(domain, open, oldest)| OpenProposals {
            domain,
            open,
            oldest,
        })
        .collect())
}

/// Source records per domain and source system, retired ones included: the records each
/// system has sent.
pub fn records(conn: &mut DbConnection) -> QueryResult<Vec<SourceCount>> {
    source_records::table
        .group_by((source_records::domain, source_records::source_system))
        .select((
            source_records::domain,
            source_records::source_system,
            count_star(),
        ))
        .load(conn)
        .map(source_counts)
}

/// Records that matching linked to an existing golden record with no steward, per domain and
/// source system (each record counted once, however often it was re-linked).
pub fn auto_linked(conn: &mut DbConnection) -> QueryResult<Vec<SourceCount>> {
    memberships::table
        .inner_join(source_records::table)
        .filter(memberships::reason.eq("auto_linked"))
        .group_by((source_records::domain, source_records::source_system))
        .select((
            source_records::domain,
            source_records::source_system,
            count(memberships::record_id).aggregate_distinct(),
        ))
        .load(conn)
        .map(source_counts)
}

/// Records that opened at least one merge proposal (sent to review), per domain and source
/// system, whatever became of the proposal.
pub fn sent_to_review(conn: &mut DbConnection) -> QueryResult<Vec<SourceCount>> {
    let reviewed = proposals::table
        .filter(proposals::record_id.is_not_null())
        .select(proposals::record_id);
    source_records::table
        .filter(source_records::id.nullable().eq_any(reviewed))
        .group_by((source_records::domain, source_records::source_system))
        .select((
            source_records::domain,
            source_records::source_system,
            count_star(),
        ))
        .load(conn)
        .map(source_counts)
}
