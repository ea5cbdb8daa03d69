//! Named counters other than the feed's (golden ID sequences per domain).

use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::counters;

/// Returns the next value of `name`, creating the counter at 1. Must run inside a write
/// transaction (which already holds the feed lock, so no two writers race here).
pub fn next(conn: &mut DbConnection, name: &str) -> QueryResult<i64> {
    let current: Option<i64> = counters::table
        .find(name)
        .select(counters::value)
        .first(conn)
        .optional()?;
    match current {
        Some(value) => {
            diesel::update(counters::table.find(name))
                .set(counters::value.eq(value + 1))
                .execute(conn)?;
            Ok(value + 1)
        }
        None => {
            diesel::insert_into(counters::table)
                .values((counters::name.eq(name), counters::value.eq(1_i64)))
                .execute(conn)?;
            Ok(1)
        }
    }
}
