//! The change feed.

use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::models::{EventRow, NewEvent};
use crate::store::schema::{counters, events};

const FEED: &str = "events";

/// Locks the feed counter row for the rest of the transaction and returns the last sequence.
/// Updating before reading takes the write lock first on both backends, so concurrent writers
/// queue instead of deadlocking.
pub fn lock_sequence(conn: &mut DbConnection) -> QueryResult<i64> {
    diesel::update(counters::table.find(FEED))
        .set(counters::value.eq(counters::value))
        .execute(conn)?;
    counters::table
        .find(FEED)
        .select(counters::value)
        .first(conn)
}

pub fn store_sequence(conn: &mut DbConnection, last: i64) -> QueryResult<()> {
    diesel::update(counters::table.find(FEED))
        .set(counters::value.eq(last))
        .execute(conn)
        .map(drop)
}

pub fn insert_all(conn: &mut DbConnection, new: &[NewEvent]) -> QueryResult<()> {
    super::insert_rows!(conn, events::table, new)
}

/// Events after `after`, oldest first, optionally for one domain.
pub fn after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
    domain: Option<&str>,
) -> QueryResult<Vec<EventRow>> {
    let mut query = events::table
        .filter(events::seq.gt(after))
        .order(events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(domain) = domain {
        query = query.filter(events::domain.eq(domain));
    }
    query.load(conn)
}

/// The newest sequence number committed.
pub fn last_seq(conn: &mut DbConnection) -> QueryResult<i64> {
    counters::table
        .find(FEED)
        .select(counters::value)
        .first(conn)
}

/// When event `seq` was written, if it exists.
pub fn time_of(conn: &mut DbConnection, seq: i64) -> QueryResult<Option<chrono::NaiveDateTime>> {
    events::table
        .find(seq)
        .select(events::created_at)
        .first(conn)
        .optional()
}

/// Event `seq`, if it exists.
pub fn find(conn: &mut DbConnection, seq: i64) -> QueryResult<Option<EventRow>> {
    events::table
        .find(seq)
        .select(EventRow::as_select())
        .first(conn)
        .optional()
}
