//! Source records, their versions and their golden membership.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{
    NewMembership, NewSourceRecord, NewVersion, SourceRecordRow, VersionRow,
};
use crate::store::schema::{memberships, source_record_versions, source_records};

pub fn find(
    conn: &mut DbConnection,
    domain: &str,
    source_system: &str,
    source_id: &str,
) -> QueryResult<Option<SourceRecordRow>> {
    source_records::table
        .filter(source_records::domain.eq(domain))
        .filter(source_records::source_system.eq(source_system))
        .filter(source_records::source_id.eq(source_id))
        .select(SourceRecordRow::as_select())
        .first(conn)
        .optional()
}

/// Records of `domain` by source key, a query per source system and few hundred keys: a batch's
/// lookups in a few round trips instead of one each.
pub fn find_many(
    conn: &mut DbConnection,
    domain: &str,
    keys: &[(&str, &str)],
) -> QueryResult<HashMap<(String, String), SourceRecordRow>> {
    let mut by_system: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (system, id) in keys {
        by_system.entry(system).or_default().push(id);
    }
    let mut found = HashMap::with_capacity(keys.len());
    for (system, ids) in by_system {
        let rows = super::by_chunks(&ids, |chunk| {
            source_records::table
                .filter(source_records::domain.eq(domain))
                .filter(source_records::source_system.eq(system))
                .filter(source_records::source_id.eq_any(chunk))
                .select(SourceRecordRow::as_select())
                .load(conn)
        })?;
        for row in rows {
            found.insert((row.source_system.clone(), row.source_id.clone()), row);
        }
    }
    Ok(found)
}

pub fn insert(conn: &mut DbConnection, record: &NewSourceRecord<'_>) -> QueryResult<i64> {
    super::on_backend!(conn, |c| diesel::insert_into(source_records::table)
        .values(record)
        .returning(source_records::id)
        .get_result(c))
}

/// What a new version of a record changes.
pub struct RecordUpdate<'a> {
    pub version: i64,
    pub status: &'a str,
    pub attributes: &'a str,
    pub standardized: &'a str,
    pub content_hash: &'a str,
    pub updated_at: NaiveDateTime,
    pub standardization: Option<&'a str>,
}

pub fn update(conn: &mut DbConnection, id: i64, change: &RecordUpdate<'_>) -> QueryResult<()> {
    diesel::update(source_records::table.find(id))
        .set((
            source_records::version.eq(change.version),
            source_records::status.eq(change.status),
            source_records::attributes.eq(change.attributes),
            source_records::standardized.eq(change.standardized),
            source_records::content_hash.eq(change.content_hash),
            source_records::updated_at.eq(change.updated_at),
            source_records::standardization.eq(change.standardization),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_versions(conn: &mut DbConnection, new: &[NewVersion]) -> QueryResult<()> {
    super::insert_rows!(conn, source_record_versions::table, new)
}

pub fn insert_memberships(conn: &mut DbConnection, new: &[NewMembership]) -> QueryResult<()> {
    super::insert_rows!(conn, memberships::table, new)
}

pub fn versions(conn: &mut DbConnection, record_id: i64) -> QueryResult<Vec<VersionRow>> {
    source_record_versions::table
        .filter(source_record_versions::record_id.eq(record_id))
        .order(source_record_versions::version.asc())
        .select(VersionRow::as_select())
        .load(conn)
}

/// Members of a golden record, oldest first.
pub fn members(conn: &mut DbConnection, golden_id: &str) -> QueryResult<Vec<SourceRecordRow>> {
    source_records::table
        .filter(source_records::golden_id.eq(golden_id))
        .order(source_records::id.asc())
        .select(SourceRecordRow::as_select())
        .load(conn)
}

/// Members of several golden records, oldest first, a few queries for many IDs.
pub fn members_of_many(
    conn: &mut DbConnection,
    golden_ids: &[String],
) -> QueryResult<Vec<SourceRecordRow>> {
    super::by_chunks(golden_ids, |chunk| {
        source_records::table
            .filter(source_records::golden_id.eq_any(chunk))
            .order(source_records::id.asc())
            .select(SourceRecordRow::as_select())
            .load(conn)
    })
}

/// Opens a membership of `record_id` in `golden_id`, closing any open one, and points the
/// record at its new golden record. Reached through [`crate::store::Tx::join_golden`], which
/// first writes the memberships the transaction holds back.
pub(in crate::store) fn join_golden(
    conn: &mut DbConnection,
    record_id: i64,
    golden_id: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        memberships::table
            .filter(memberships::record_id.eq(record_id))
            .filter(memberships::valid_to.is_null()),
    )
    .set(memberships::valid_to.eq(Some(at)))
    .execute(conn)?;
    diesel::insert_into(memberships::table)
        .values(&NewMembership {
            record_id,
            golden_id: golden_id.to_owned(),
            reason: reason.to_owned(),
            valid_from: at,
        })
        .execute(conn)?;
    diesel::update(source_records::table.find(record_id))
        .set(source_records::golden_id.eq(golden_id))
        .execute(conn)
        .map(drop)
}

/// Records by ID, in ID order within each chunk of IDs (missing IDs are skipped); any number
/// of IDs, a few hundred per query.
pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<SourceRecordRow>> {
    super::by_chunks(ids, |chunk| {
        source_records::table
            .filter(source_records::id.eq_any(chunk))
            .order(source_records::id)
            .select(SourceRecordRow::as_select())
            .load(conn)
    })
}

/// What can change in a record's row without its ID: (ID, version, golden ID, status), in ID
/// order. Cheap enough to check rows read before a write transaction against, inside it.
pub fn states(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<Vec<(i64, i64, String, String)>> {
    super::by_chunks(ids, |chunk| {
        source_records::table
            .filter(source_records::id.eq_any(chunk))
            .order(source_records::id)
            .select((
                source_records::id,
                source_records::version,
                source_records::golden_id,
                source_records::status,
            ))
            .load(conn)
    })
}

/// Active records of every domain with an ID above `after`, in ID order: a page of a rebuild.
pub fn active_page(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<SourceRecordRow>> {
    source_records::table
        .filter(source_records::id.gt(after))
        .filter(source_records::status.eq(crate::model::record_status::ACTIVE))
        .order(source_records::id.asc())
        .limit(limit)
        .select(SourceRecordRow::as_select())
        .load(conn)
}

/// Every record of a domain, for exports, in ID order, a page at a time.
pub fn domain_page(
    conn: &mut DbConnection,
    domain: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<SourceRecordRow>> {
    source_records::table
        .filter(source_records::domain.eq(domain))
        .filter(source_records::id.gt(after))
        .order(source_records::id.asc())
        .limit(limit)
        .select(SourceRecordRow::as_select())
        .load(conn)
}

/// Which of `golden_ids` hold an active record of `source_system`.
pub fn goldens_with_source(
    conn: &mut DbConnection,
    golden_ids: &[String],
    source_system: &str,
) -> QueryResult<Vec<String>> {
    source_records::table
        .filter(source_records::golden_id.eq_any(golden_ids))
        .filter(source_records::source_system.eq(source_system))
        .filter(source_records::status.eq(crate::model::record_status::ACTIVE))
        .select(source_records::golden_id)
        .distinct()
        .load(conn)
}

/// Records of `domain` standardized by something other than `current` (or before this was
/// kept), with an ID above `after`, in ID order.
pub fn stale_page(
    conn: &mut DbConnection,
    domain: &str,
    current: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<SourceRecordRow>> {
    source_records::table
        .filter(source_records::domain.eq(domain))
        .filter(source_records::id.gt(after))
        .filter(
            source_records::standardization
                .is_null()
                .or(source_records::standardization.ne(current)),
        )
        .order(source_records::id.asc())
        .limit(limit)
        .select(SourceRecordRow::as_select())
        .load(conn)
}

/// How many records of `domain` were standardized by something other than `current`.
pub fn stale_count(conn: &mut DbConnection, domain: &str, current: &str) -> QueryResult<i64> {
    source_records::table
        .filter(source_records::domain.eq(domain))
        .filter(
            source_records::standardization
                .is_null()
                .or(source_records::standardization.ne(current)),
        )
        .count()
        .get_result(conn)
}

/// Stores a record's standardized values again, under `standardization`; its version and
/// attributes stay.
pub fn restandardize(
    conn: &mut DbConnection,
    id: i64,
    standardized: &str,
    standardization: &str,
) -> QueryResult<()> {
    diesel::update(source_records::table.find(id))
        .set((
            source_records::standardized.eq(standardized),
            source_records::standardization.eq(standardization),
        ))
        .execute(conn)
        .map(drop)
}
