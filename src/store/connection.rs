//! Database connections: one enum over both backends, a pool, and per-connection settings.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::{PgConnection, SqliteConnection};

use crate::config::{DatabaseUrl, SqliteSync};

/// A connection to either backend; diesel queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Opens connections for the pool. The backend is picked from the URL here rather than by
/// `DbConnection::establish`, which would hide the real connection error.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    busy_timeout: Duration,
    sync: SqliteSync,
}

impl Manager {
    pub fn new(url: DatabaseUrl, busy_timeout: Duration, sync: SqliteSync) -> Self {
        Self {
            url,
            busy_timeout,
            sync,
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; the busy timeout makes a second
                // writer wait instead of failing. `synchronous` FULL (the default) syncs the
                // WAL at every commit: NORMAL survives a killed process but may lose the last
                // commits to a power cut, and with them acknowledged writes and change-feed
                // sequences that consumers already read.
                // Checkpoints run on the store's own thread (see `checkpoint`); a commit
                // checkpoints by itself only past the backstop.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = {}; PRAGMA cache_size = -{};",
                    self.busy_timeout.as_millis(),
                    self.sync.pragma(),
                    super::checkpoint::BACKSTOP_PAGES,
                    PAGE_CACHE_KIB,
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Each SQLite connection's page cache. SQLite's default (2 MiB) holds the indexes of a small
/// store only: matching reads candidate rows and index pages all over a large one, and every
/// miss is a read from the operating system's cache.
const PAGE_CACHE_KIB: u32 = 32 * 1024;

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Switches a SQLite file to WAL once, before the pool opens its connections. The mode is kept
/// in the file; switching needs the file to itself, so connections opened together by the
/// pool would otherwise race for it and fail with "database is locked".
pub fn enable_wal(path: &std::path::Path, busy_timeout: Duration) -> Result<(), String> {
    let mut conn =
        SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
        busy_timeout.as_millis()
    ))
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(QueryableByName)]
    struct Synchronous {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }

    fn synchronous(sync: SqliteSync) -> i32 {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("t.sqlite3"));
        let manager = Manager::new(url, Duration::from_secs(1), sync);
        let DbConnection::Sqlite(mut conn) = manager.connect().unwrap() else {
            panic!("a SQLite connection");
        };
        let rows: Vec<Synchronous> = diesel::sql_query("PRAGMA synchronous")
            .load(&mut conn)
            .unwrap();
        rows[0].synchronous
    }

    #[test]
    fn sqlite_commits_sync_as_configured() {
        // SQLite's codes: 1 NORMAL, 2 FULL.
        assert_eq!(synchronous(SqliteSync::Full), 2);
        assert_eq!(synchronous(SqliteSync::Normal), 1);
    }
}
