//! Queries, one module per table family. Each takes a connection and returns rows (those
//! that also write rows a transaction holds back until commit take the [`super::Tx`]); the
//! service layer decides what they mean.

/// Inserts `rows` into `table` in multi-row statements of at most [`ROWS_PER_INSERT`] rows.
/// Runs on the concrete connection: diesel's multi-backend connection cannot express a
/// multi-row insert.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let conn: &mut $crate::store::DbConnection = $conn;
        $rows
            .chunks($crate::store::queries::ROWS_PER_INSERT)
            .try_for_each(|chunk| {
                match &mut *conn {
                    $crate::store::DbConnection::Sqlite(c) => {
                        diesel::insert_into($table).values(chunk).execute(c)
                    }
                    $crate::store::DbConnection::Postgres(c) => {
                        diesel::insert_into($table).values(chunk).execute(c)
                    }
                }
                .map(drop)
            })
    }};
}
pub(crate) use insert_rows;

/// Runs `$body` with `$c` bound to the concrete connection. For statements run once per
/// record inside the write transaction: on the concrete backend diesel caches the prepared
/// statement by its type, where the multi-backend connection builds its SQL text again on
/// every call.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {{
        let conn: &mut $crate::store::DbConnection = $conn;
        match conn {
            $crate::store::DbConnection::Sqlite($c) => $body,
            $crate::store::DbConnection::Postgres($c) => $body,
        }
    }};
}
pub(crate) use on_backend;

/// Most keys in one `IN` list.
const KEYS_PER_QUERY: usize = 500;

/// Runs `query` on each slice of at most [`KEYS_PER_QUERY`] keys and gathers the rows: many
/// keys in a few round trips, within both backends' limits on bound parameters.
fn by_chunks<K, R>(
    keys: &[K],
    mut query: impl FnMut(&[K]) -> diesel::QueryResult<Vec<R>>,
) -> diesel::QueryResult<Vec<R>> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        rows.extend(query(chunk)?);
    }
    Ok(rows)
}

pub mod audit;
pub mod browse;
pub mod counters;
pub mod crosswalk;
pub mod events;
pub mod golden;
pub mod jobs;
pub mod leases;
pub mod models;
pub mod proposals;
pub mod records;
pub mod rollback;
pub mod stats;
pub mod webhooks;

/// Rows per multi-row insert: well under both backends' limits on bound parameters.
pub const ROWS_PER_INSERT: usize = 500;
