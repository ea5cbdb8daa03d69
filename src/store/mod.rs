//! Storage: diesel over SQLite (embedded) or PostgreSQL, one code path for both.
//!
//! The database is the truth for everything Golden knows. Write transactions go through
//! [`Store::write`], which serializes writers on the change-feed counter so that event
//! sequence numbers are gap-free and commit in order on both backends.

mod checkpoint;
mod connection;
pub mod migrate;
pub mod models;
pub mod queries;
pub mod schema;
mod tx;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use thiserror::Error;
use tokio::sync::watch;

pub use connection::{DbConnection, Pool, PooledConnection};
pub use tx::Tx;

use crate::clock::Clock;
use crate::config::{DatabaseUrl, Settings};

/// A storage failure. Its text may name SQL details, so it is logged, never sent to clients.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database query: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database setup: {context}")]
    Setup {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("migration failed")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("stored data is corrupt: unreadable JSON")]
    CorruptJson(#[from] serde_json::Error),
}

impl StoreError {
    fn setup(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Setup {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// The backend behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pooled database.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
    /// Serializes this process's SQLite writers so they queue here instead of spinning on the
    /// database's busy handler. PostgreSQL serializes on the counter row instead.
    write_gate: Arc<Mutex<()>>,
    /// The last event sequence this process committed, so change-feed readers can wait for
    /// news instead of polling the database.
    last_seq: Arc<watch::Sender<i64>>,
    /// The time rows are stamped with.
    clock: Clock,
    /// SQLite only: checkpoints after writes, outside the write lock.
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

impl Store {
    /// Opens the pool (creating the SQLite file's directory if needed) without migrating.
    pub fn open(settings: &Settings) -> Result<Self, StoreError> {
        let backend = match &settings.database {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::setup(format!("cannot create {}", dir.display()), e)
                    })?;
                }
                connection::enable_wal(path, settings.sqlite_busy_timeout)
                    .map_err(|e| StoreError::setup(format!("cannot open {}", path.display()), e))?;
                Backend::Sqlite
            }
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let manager = connection::Manager::new(
            settings.database.clone(),
            settings.sqlite_busy_timeout,
            settings.sqlite_sync,
        );
        let pool = diesel::r2d2::Pool::builder()
            .max_size(settings.db_pool_size.max(2))
            .connection_timeout(Duration::from_secs(15))
            .build(manager)
            .map_err(|e| StoreError::setup("cannot open the connection pool", e))?;
        let checkpointer = match backend {
            Backend::Sqlite => Some(Arc::new(
                checkpoint::Checkpointer::start(pool.clone())
                    .map_err(|e| StoreError::setup("cannot start the checkpoint thread", e))?,
            )),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            backend,
            write_gate: Arc::new(Mutex::new(())),
            last_seq: Arc::new(watch::Sender::new(0)),
            clock: settings.clock.clone(),
            checkpointer,
        })
    }

    /// Opens the store and applies pending migrations.
    pub fn open_and_migrate(settings: &Settings) -> Result<Self, StoreError> {
        let store = Self::open(settings)?;
        store.migrate()?;
        Ok(store)
    }

    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.pool.get()?;
        migrate::run(&mut conn)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store's clock: the system's, or the one a test set in the settings.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current time by the store's clock, at the precision both backends store.
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now_naive()
    }

    /// A pooled connection for reads.
    pub fn conn(&self) -> Result<PooledConnection, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` in a write transaction. Events it appends get the next sequence numbers; the
    /// transaction commits when `f` returns `Ok` and rolls back (events included) otherwise.
    /// Once a transaction that emitted events commits, subscribers learn its last sequence.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let written = self.write_announcing_later(f)?;
        if let Some(seq) = written.emitted {
            self.announce(seq);
        }
        Ok(written.out)
    }

    /// [`Store::write`] that leaves announcing the commit to the caller: it returns the last
    /// sequence the transaction emitted, for [`Store::announce`] once the caller's caches
    /// (the crosswalk) reflect it. Until then readers keep answering from those caches as they
    /// stood, instead of finding them behind and reading the database.
    pub fn write_announcing_later<T, E>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<Written<T>, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let _gate = match self.backend {
            Backend::Sqlite => Some(self.write_gate.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        let mut locked = None;
        let (out, emitted, written) = conn.transaction(|conn| {
            let last_seq = queries::events::lock_sequence(conn)?;
            locked = Some(Instant::now());
            // Never earlier than the last committed event, so history stays in order even
            // when replicas' clocks disagree or a clock steps back.
            let last_at = queries::events::time_of(conn, last_seq)?;
            let clock_now = self.clock.now_naive();
            let now = last_at.map_or(clock_now, |last| clock_now.max(last));
            let mut tx = Tx::new(conn, last_seq, now);
            let out = f(&mut tx)?;
            let emitted = tx.emitted(last_seq);
            let written = tx.finish()?;
            Ok::<_, E>((out, emitted, written))
        })?;
        let serialized = locked.map_or(Duration::ZERO, |at| at.elapsed());
        // Freeing a bulk batch's rows takes a while: not while other writers wait.
        drop(_gate);
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.request();
        }
        drop(written);
        Ok(Written {
            out,
            emitted,
            serialized,
        })
    }

    /// Runs `f` in a read-only transaction that sees one consistent snapshot of the database
    /// on both backends (on PostgreSQL, repeatable read: every statement sees the same
    /// commits), so what is read of the change feed matches what is read of the tables.
    pub fn read_snapshot<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        use diesel::connection::SimpleConnection;
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        conn.transaction(|conn| {
            if self.backend == Backend::Postgres {
                conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            f(conn)
        })
    }

    /// Refreshes PostgreSQL's planner statistics on the tables a load grows. A load into empty
    /// or small tables outruns autovacuum, and without statistics the planner scans whole
    /// tables for lookups an index answers. SQLite uses its indexes for these lookups without
    /// statistics: nothing to do there.
    pub fn refresh_statistics(&self) -> Result<(), StoreError> {
        use diesel::connection::SimpleConnection;
        if self.backend == Backend::Postgres {
            self.pool
                .get()?
                .batch_execute("ANALYZE source_records, golden_records, memberships, proposals")?;
        }
        Ok(())
    }

    /// The last event sequence this process committed (0 before its first commit).
    pub fn last_committed_seq(&self) -> i64 {
        *self.last_seq.borrow()
    }

    /// A receiver that changes whenever this process commits events; its value is the last
    /// sequence committed. Writes by other processes sharing the database are not announced:
    /// waiters must also re-read the feed now and then.
    pub fn subscribe_seq(&self) -> watch::Receiver<i64> {
        self.last_seq.subscribe()
    }

    /// Publishes `seq` unless a later one is already known (commits on two threads can
    /// announce out of order).
    pub fn announce(&self, seq: i64) {
        self.last_seq.send_if_modified(|last| {
            let newer = seq > *last;
            if newer {
                *last = seq;
            }
            newer
        });
    }
}

/// What a committed write returned, and what it cost the writers queued behind it.
pub struct Written<T> {
    pub out: T,
    /// The last sequence it emitted, if any.
    pub emitted: Option<i64>,
    /// Time from taking the feed's sequence lock, which every writer of every replica waits
    /// for, to the end of the commit that released it.
    pub serialized: Duration,
}

/// The system's current UTC time at the microsecond precision both backends store. The
/// service reads [`Store::now`] instead, which follows the clock in the settings.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}
