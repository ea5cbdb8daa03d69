//! Crosswalk reads: many source keys at once, and memberships at a past moment.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::model::SourceKey;
use crate::store::DbConnection;
use crate::store::schema::{memberships, source_record_versions, source_records};

type Backend = <DbConnection as Connection>::Backend;
type KeyFilter<'a> =
    Box<dyn BoxableExpression<source_records::table, Backend, SqlType = Bool> + 'a>;

/// The crosswalk columns of a source record, without its attributes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = source_records)]
pub struct KeyRow {
    pub id: i64,
    pub domain: String,
    pub source_system: String,
    pub source_id: String,
    pub golden_id: String,
    pub status: String,
}

/// The records of `domain` named by `keys`, in one query: the keys are grouped by source
/// system so each group is one `source_id IN (...)`. Callers keep `keys` to a few hundred so
/// the statement stays within both backends' parameter limits.
pub fn by_keys(
    conn: &mut DbConnection,
    domain: &str,
    keys: &[&SourceKey],
) -> QueryResult<Vec<KeyRow>> {
    let mut groups = std::collections::BTreeMap::<&str, Vec<&str>>::new();
    for key in keys {
        groups
            .entry(&key.source_system)
            .or_default()
            .push(&key.source_id);
    }
    let filter = groups
        .into_iter()
        .map(|(system, ids)| -> KeyFilter<'_> {
            Box::new(
                source_records::source_system
                    .eq(system)
                    .and(source_records::source_id.eq_any(ids)),
            )
        })
        .reduce(|any, next| Box::new(any.or(next)));
    let Some(filter) = filter else {
        return Ok(Vec::new());
    };
    source_records::table
        .filter(source_records::domain.eq(domain))
        .filter(filter)
        .select(KeyRow::as_select())
        .load(conn)
}

/// The crosswalk columns of every record of every domain with an ID above `after`, in ID
/// order: a page of a full read.
pub fn key_page(conn: &mut DbConnection, after: i64, limit: i64) -> QueryResult<Vec<KeyRow>> {
    source_records::table
        .filter(source_records::id.gt(after))
        .order(source_records::id.asc())
        .limit(limit)
        .select(KeyRow::as_select())
        .load(conn)
}

/// The current members of each of `golden_ids`, oldest first.
pub fn members_of(conn: &mut DbConnection, golden_ids: &[&str]) -> QueryResult<Vec<KeyRow>> {
    source_records::table
        .filter(source_records::golden_id.eq_any(golden_ids))
        .order(source_records::id.asc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// For each of `record_ids` that belonged to a golden record at `at`, that golden ID, as
/// (record_id, golden_id) pairs.
pub fn golden_at(
    conn: &mut DbConnection,
    record_ids: &[i64],
    at: NaiveDateTime,
) -> QueryResult<Vec<(i64, String)>> {
    memberships::table
        .filter(memberships::record_id.eq_any(record_ids))
        .filter(memberships::valid_from.le(at))
        .filter(
            memberships::valid_to
                .is_null()
                .or(memberships::valid_to.gt(at)),
        )
        .select((memberships::record_id, memberships::golden_id))
        .load(conn)
}

/// The records that were members of `golden_id` at `at`, oldest first.
pub fn members_at(
    conn: &mut DbConnection,
    golden_id: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<KeyRow>> {
    memberships::table
        .inner_join(source_records::table)
        .filter(memberships::golden_id.eq(golden_id))
        .filter(memberships::valid_from.le(at))
        .filter(
            memberships::valid_to
                .is_null()
                .or(memberships::valid_to.gt(at)),
        )
        .order(source_records::id.asc())
        .select(KeyRow::as_select())
        .load(conn)
}

/// The newest version of each of `record_ids` recorded at or before `at`, as
/// (record_id, change) pairs.
pub fn changes_at(
    conn: &mut DbConnection,
    record_ids: &[i64],
    at: NaiveDateTime,
) -> QueryResult<Vec<(i64, String)>> {
    let rows: Vec<(i64, i64, String)> = source_record_versions::table
        .filter(source_record_versions::record_id.eq_any(record_ids))
        .filter(source_record_versions::recorded_at.le(at))
        .order((
            source_record_versions::record_id.asc(),
            source_record_versions::version.asc(),
        ))
        .select((
            source_record_versions::record_id,
            source_record_versions::version,
            source_record_versions::change,
        ))
        .load(conn)?;
    let mut latest: Vec<(i64, String)> = Vec::new();
    for (record_id, _, change) in rows {
        match latest.last_mut() {
            Some(last) if last.0 == record_id => last.1 = change,
            _ => latest.push((record_id, change)),
        }
    }
    Ok(latest)
}
