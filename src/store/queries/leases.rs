//! Named leases in the database: of the processes sharing it, one holds a lease at a time,
//! and another takes it over once the holder stops renewing it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::DbConnection;
use crate::store::schema::leases;

/// The holder and end of lease `name`, if the row exists.
pub fn current(
    conn: &mut DbConnection,
    name: &str,
) -> QueryResult<Option<(Option<String>, NaiveDateTime)>> {
    leases::table
        .find(name)
        .select((leases::holder, leases::expires_at))
        .first(conn)
        .optional()
}

/// Takes or renews lease `name` for `holder` until `until`, in one statement, when it is free,
/// expired at `now` or already `holder`'s. True when `holder` holds it now.
pub fn acquire(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let takeable = leases::holder
        .is_null()
        .or(leases::holder.eq(holder))
        .or(leases::expires_at.lt(now));
    let changed = diesel::update(leases::table.find(name).filter(takeable))
        .set((leases::holder.eq(holder), leases::expires_at.eq(until)))
        .execute(conn)?;
    Ok(changed == 1)
}
