//! Schema migrations, one tree per backend with matching folder names.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, StoreError};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// An arbitrary constant naming the PostgreSQL advisory lock that keeps two replicas from
/// migrating at once.
const MIGRATION_LOCK: i64 = 0x0060_1de4;

/// Applies pending migrations and returns how many ran.
pub fn run(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map_err(StoreError::Migration)?
            .len(),
        DbConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.len())
                .map_err(StoreError::Migration);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            result?
        }
    };
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn folders(backend: &str) -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn backends_have_the_same_migrations() {
        assert_eq!(folders("sqlite"), folders("postgres"));
        assert!(!folders("sqlite").is_empty());
    }

    /// The version is the folder name up to its first `_`: two folders with one version
    /// would leave one of them never applied.
    #[test]
    fn migration_versions_are_unique() {
        let names = folders("sqlite");
        let mut versions: Vec<&str> = names
            .iter()
            .map(|n| n.split('_').next().unwrap_or(n))
            .collect();
        versions.dedup();
        assert_eq!(versions.len(), names.len(), "{names:?}");
    }
}
