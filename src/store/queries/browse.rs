//! Golden records in a stable order, a batch at a time after a keyset cursor, narrowed by
//! what SQL can judge on both backends (domain, status, update time, source system). Field
//! values are compared after standardization, which only the service can do.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::GoldenRow;
use crate::store::schema::{golden_records, source_records};

/// The order of a listing; ties are broken by golden ID in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowseOrder {
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
}

impl BrowseOrder {
    /// The timestamp this order sorts on.
    pub fn key(self, row: &GoldenRow) -> NaiveDateTime {
        match self {
            Self::UpdatedDesc | Self::UpdatedAsc => row.updated_at,
            Self::CreatedDesc | Self::CreatedAsc => row.created_at,
        }
    }
}

/// What SQL narrows a listing by.
#[derive(Debug, Clone)]
pub struct BrowseFilter<'a> {
    pub domain: &'a str,
    pub status: &'a str,
    pub updated_after: Option<NaiveDateTime>,
    pub updated_before: Option<NaiveDateTime>,
    /// Only records with an active member from this system.
    pub source_system: Option<&'a str>,
    pub order: BrowseOrder,
    /// Continue after this (sort key, golden ID).
    pub after: Option<(NaiveDateTime, String)>,
}

/// The next `limit` golden records of a listing.
pub fn batch(
    conn: &mut DbConnection,
    filter: &BrowseFilter<'_>,
    limit: i64,
) -> QueryResult<Vec<GoldenRow>> {
    let mut query = golden_records::table
        .filter(golden_records::domain.eq(filter.domain.to_owned()))
        .filter(golden_records::status.eq(filter.status.to_owned()))
        .into_boxed();
    if let Some(after) = filter.updated_after {
        query = query.filter(golden_records::updated_at.ge(after));
    }
    if let Some(before) = filter.updated_before {
        query = query.filter(golden_records::updated_at.le(before));
    }
    if let Some(system) = filter.source_system {
        let members = source_records::table
            .filter(source_records::domain.eq(filter.domain.to_owned()))
            .filter(source_records::source_system.eq(system.to_owned()))
            .filter(source_records::status.eq("active"))
            .select(source_records::golden_id);
        query = query.filter(golden_records::golden_id.eq_any(members));
    }
    let (updated, created, id) = (
        golden_records::updated_at,
        golden_records::created_at,
        golden_records::golden_id,
    );
    if let Some((at, golden_id)) = filter.after.clone() {
        query = match filter.order {
            BrowseOrder::UpdatedDesc => {
                query.filter(updated.lt(at).or(updated.eq(at).and(id.lt(golden_id))))
            }
            BrowseOrder::UpdatedAsc => {
                query.filter(updated.gt(at).or(updated.eq(at).and(id.gt(golden_id))))
            }
            BrowseOrder::CreatedDesc => {
                query.filter(created.lt(at).or(created.eq(at).and(id.lt(golden_id))))
            }
            BrowseOrder::CreatedAsc => {
                query.filter(created.gt(at).or(created.eq(at).and(id.gt(golden_id))))
            }
        };
    }
    query = match filter.order {
        BrowseOrder::UpdatedDesc => query.order((updated.desc(), id.desc())),
        BrowseOrder::UpdatedAsc => query.order((updated.asc(), id.asc())),
        BrowseOrder::CreatedDesc => query.order((created.desc(), id.desc())),
        BrowseOrder::CreatedAsc => query.order((created.asc(), id.asc())),
    };
    query.limit(limit).select(GoldenRow::as_select()).load(conn)
}

/// How many active source records each of `golden_ids` has (absent: none).
pub fn member_counts(
    conn: &mut DbConnection,
    golden_ids: &[String],
) -> QueryResult<HashMap<String, i64>> {
    let rows = super::by_chunks(golden_ids, |chunk| {
        source_records::table
            .filter(source_records::golden_id.eq_any(chunk))
            .filter(source_records::status.eq("active"))
            .group_by(source_records::golden_id)
            .select((source_records::golden_id, count_star()))
            .load::<(String, i64)>(conn)
    })?;
    Ok(rows.into_iter().collect())
}
