//! Golden records.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{GoldenRow, NewGolden};
use crate::store::schema::golden_records;

pub fn find(conn: &mut DbConnection, golden_id: &str) -> QueryResult<Option<GoldenRow>> {
    golden_records::table
        .find(golden_id)
        .select(GoldenRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, golden: &NewGolden<'_>) -> QueryResult<()> {
    diesel::insert_into(golden_records::table)
        .values(golden)
        .execute(conn)
        .map(drop)
}

/// Stores recomputed fields and status, bumping the version.
pub fn update_fields(
    conn: &mut DbConnection,
    golden_id: &str,
    status: &str,
    fields: &str,
    lineage: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(golden_records::table.find(golden_id))
        .set((
            golden_records::status.eq(status),
            golden_records::fields.eq(fields),
            golden_records::lineage.eq(lineage),
            golden_records::version.eq(golden_records::version + 1),
            golden_records::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}
