//! SQLite checkpoints outside the write lock.
//!
//! In WAL mode SQLite copies committed pages back into the database file (a checkpoint)
//! from inside the commit that grows the log past a threshold: the writer holding the lock
//! pays for the copy and its sync while every other writer waits. Here a thread of the store's
//! own runs a passive checkpoint after writes instead, beside the next writer; the built-in
//! checkpoint stays, at a higher threshold, only as a backstop should this thread fall behind.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::connection::Pool;

/// Log pages after which a commit checkpoints by itself (SQLite's default is 1,000).
pub const BACKSTOP_PAGES: u32 = 20_000;

/// Least time between two checkpoints: writes arriving meanwhile share the next one.
const MIN_GAP: Duration = Duration::from_millis(100);

/// Asks the store's checkpoint thread for a checkpoint; the thread ends with the store.
pub struct Checkpointer {
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread, checkpointing through connections of `pool`.
    pub fn start(pool: Pool) -> std::io::Result<Self> {
        let (wake, woken) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("golden-checkpoint".into())
            .spawn(move || run(&pool, &woken))?;
        Ok(Self { wake })
    }

    /// Asks for a checkpoint after a commit; one already asked for covers this commit too.
    pub fn request(&self) {
        // Full: a request is pending. Disconnected: the thread is gone, and the backstop
        // checkpoints instead.
        let _ = self.wake.try_send(());
    }
}

fn run(pool: &Pool, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        // A failed checkpoint is retried at the next request, and the backstop bounds the
        // log meanwhile: it only costs speed.
        let done = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                .map_err(|e| e.to_string())
        });
        if let Err(error) = done {
            tracing::debug!(%error, "background checkpoint failed");
        }
        std::thread::sleep(MIN_GAP);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::config::Settings;
    use crate::store::{Store, StoreError};

    #[test]
    fn committed_pages_reach_the_database_file_without_a_commit_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::embedded(dir.path());
        let store = Store::open_and_migrate(&settings).unwrap();
        let crate::config::DatabaseUrl::Sqlite(file) = &settings.database else {
            panic!("the embedded store is SQLite");
        };
        let size = || std::fs::metadata(file).unwrap().len();
        let before = size();
        // About 4 MiB of events: far below the backstop, so no commit checkpoints by itself.
        let payload = serde_json::json!({"text": "x".repeat(4_000)});
        store
            .write(|tx| {
                for _ in 0..1_000 {
                    tx.emit(Some("vendor"), "test.big", None, &payload);
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while size() < before + 3_000_000 && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            size() >= before + 3_000_000,
            "the database file grew from {before} to only {} bytes",
            size()
        );
    }
}
