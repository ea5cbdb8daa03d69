//! Golden records, their history and their field overrides.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::models::{
    GoldenHistoryRow, GoldenRow, NewGolden, NewGoldenHistory, NewOverride, OverrideRow,
};
use crate::store::schema::{field_overrides, golden_record_history, golden_records};
use crate::store::{DbConnection, Tx};

pub fn find(conn: &mut DbConnection, golden_id: &str) -> QueryResult<Option<GoldenRow>> {
    golden_records::table
        .find(golden_id)
        .select(GoldenRow::as_select())
        .first(conn)
        .optional()
}

/// Golden records by ID, a few queries for many IDs (missing IDs are skipped).
pub fn find_many(conn: &mut DbConnection, golden_ids: &[String]) -> QueryResult<Vec<GoldenRow>> {
    super::by_chunks(golden_ids, |chunk| {
        golden_records::table
            .filter(golden_records::golden_id.eq_any(chunk))
            .select(GoldenRow::as_select())
            .load(conn)
    })
}

/// The IDs merged into each of `survivors`, as `(survivor, merged ID)` pairs. Merges keep
/// redirect chains one step long, so these are every ID that resolves to a survivor.
pub fn merged_into(
    conn: &mut DbConnection,
    survivors: &[String],
) -> QueryResult<Vec<(Option<String>, String)>> {
    super::by_chunks(survivors, |chunk| {
        golden_records::table
            .filter(golden_records::redirect_to.eq_any(chunk))
            .order(golden_records::golden_id.asc())
            .select((golden_records::redirect_to, golden_records::golden_id))
            .load(conn)
    })
}

/// Inserts a golden record; the first entry of its history is written at commit.
pub fn insert(tx: &mut Tx<'_>, golden: &NewGolden<'_>) -> QueryResult<()> {
    super::on_backend!(tx.conn(), |c| diesel::insert_into(golden_records::table)
        .values(golden)
        .execute(c))?;
    tx.add_history(NewGoldenHistory {
        golden_id: golden.golden_id.to_owned(),
        version: golden.version,
        status: golden.status.to_owned(),
        redirect_to: None,
        fields: golden.fields.to_owned(),
        lineage: golden.lineage.to_owned(),
        recorded_at: golden.updated_at,
    });
    Ok(())
}

/// Stores recomputed fields and status of `current` (as read in this transaction), bumping
/// the version; the new state joins the history at commit.
pub fn update_fields(
    tx: &mut Tx<'_>,
    current: &GoldenRow,
    status: &str,
    fields: &str,
    lineage: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::on_backend!(tx.conn(), |c| diesel::update(
        golden_records::table.find(&current.golden_id)
    )
    .set((
        golden_records::status.eq(status),
        golden_records::fields.eq(fields),
        golden_records::lineage.eq(lineage),
        golden_records::version.eq(current.version + 1),
        golden_records::updated_at.eq(at),
    ))
    .execute(c))?;
    tx.add_history(NewGoldenHistory {
        golden_id: current.golden_id.clone(),
        version: current.version + 1,
        status: status.to_owned(),
        redirect_to: current.redirect_to.clone(),
        fields: fields.to_owned(),
        lineage: lineage.to_owned(),
        recorded_at: at,
    });
    Ok(())
}

/// Marks `golden_id` merged into `survivor`, and points every ID that redirected to it at the
/// survivor directly, so redirect chains stay one step long.
pub fn mark_merged(
    tx: &mut Tx<'_>,
    golden_id: &str,
    survivor: &str,
    status: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(golden_records::table.find(golden_id))
        .set((
            golden_records::status.eq(status),
            golden_records::redirect_to.eq(Some(survivor)),
            golden_records::version.eq(golden_records::version + 1),
            golden_records::updated_at.eq(at),
        ))
        .execute(tx.conn())?;
    record_history(tx, golden_id, at)?;
    diesel::update(golden_records::table.filter(golden_records::redirect_to.eq(golden_id)))
        .set(golden_records::redirect_to.eq(Some(survivor)))
        .execute(tx.conn())
        .map(drop)
}

/// Copies the current state of a golden record into its history.
pub(crate) fn record_history(
    tx: &mut Tx<'_>,
    golden_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let row = golden_records::table
        .find(golden_id)
        .select(GoldenRow::as_select())
        .first(tx.conn())?;
    tx.add_history(NewGoldenHistory {
        golden_id: row.golden_id,
        version: row.version,
        status: row.status,
        redirect_to: row.redirect_to,
        fields: row.fields,
        lineage: row.lineage,
        recorded_at: at,
    });
    Ok(())
}

pub fn insert_history(conn: &mut DbConnection, new: &[NewGoldenHistory]) -> QueryResult<()> {
    super::insert_rows!(conn, golden_record_history::table, new)
}

/// The state a golden record was in at `at`, if it existed then.
pub fn state_at(
    conn: &mut DbConnection,
    golden_id: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<GoldenHistoryRow>> {
    golden_record_history::table
        .filter(golden_record_history::golden_id.eq(golden_id))
        .filter(golden_record_history::recorded_at.le(at))
        .order(golden_record_history::version.desc())
        .select(GoldenHistoryRow::as_select())
        .first(conn)
        .optional()
}

/// The field overrides of a golden record.
pub fn overrides(conn: &mut DbConnection, golden_id: &str) -> QueryResult<Vec<OverrideRow>> {
    field_overrides::table
        .filter(field_overrides::golden_id.eq(golden_id))
        .order(field_overrides::field.asc())
        .select(OverrideRow::as_select())
        .load(conn)
}

/// The field overrides of several golden records, a few queries for many IDs.
pub fn overrides_of_many(
    conn: &mut DbConnection,
    golden_ids: &[String],
) -> QueryResult<Vec<OverrideRow>> {
    super::by_chunks(golden_ids, |chunk| {
        field_overrides::table
            .filter(field_overrides::golden_id.eq_any(chunk))
            .order(field_overrides::field.asc())
            .select(OverrideRow::as_select())
            .load(conn)
    })
}

/// Sets (or replaces) the override of one field.
pub fn put_override(conn: &mut DbConnection, new: &NewOverride<'_>) -> QueryResult<()> {
    remove_override(conn, new.golden_id, new.field)?;
    diesel::insert_into(field_overrides::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

/// Removes the override of one field; returns whether there was one.
pub fn remove_override(conn: &mut DbConnection, golden_id: &str, field: &str) -> QueryResult<bool> {
    diesel::delete(
        field_overrides::table
            .filter(field_overrides::golden_id.eq(golden_id))
            .filter(field_overrides::field.eq(field)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
