//! Named counters other than the feed's (golden ID sequences per domain).

use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::counters;

/// The value of `name`, if the counter exists.
pub fn current(conn: &mut DbConnection, name: &str) -> QueryResult<Option<i64>> {
    counters::table
        .find(name)
        .select(counters::value)
        .first(conn)
        .optional()
}

/// Sets `name` to `value`, creating the counter if needed. Must run inside a write
/// transaction (which already holds the feed lock, so no two writers race here).
pub fn store(conn: &mut DbConnection, name: &str, value: i64) -> QueryResult<()> {
    let updated = diesel::update(counters::table.find(name))
        .set(counters::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(counters::table)
            .values((counters::name.eq(name), counters::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}
