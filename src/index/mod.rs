//! The tantivy candidate index: a derived cache of the database, rebuilt or caught up from the
//! change feed, never the truth. One document per active source record.

use std::path::Path;

use tantivy::directory::MmapDirectory;
use tantivy::schema::{FAST, INDEXED, STORED, STRING, Schema, TEXT};
use tantivy::{Index, IndexReader, ReloadPolicy};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum IndexError {
    #[error("candidate index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("candidate index directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("candidate index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
}

/// The fields of an indexed source record.
pub fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_u64_field("record_id", INDEXED | STORED | FAST);
    builder.add_text_field("golden_id", STRING | STORED);
    builder.add_text_field("domain", STRING);
    builder.add_text_field("tokens", TEXT);
    builder.add_text_field("identifiers", STRING);
    builder.build()
}

/// The on-disk index and a reader over it.
pub struct CandidateIndex {
    index: Index,
    reader: IndexReader,
}

impl CandidateIndex {
    /// Opens the index in `dir`, creating the directory and an empty index on first start.
    pub fn open_or_create(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self { index, reader })
    }

    /// Documents currently searchable.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn index(&self) -> &Index {
        &self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_created_then_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        assert_eq!(CandidateIndex::open_or_create(&path).unwrap().num_docs(), 0);
        assert!(path.join("meta.json").exists());
        assert_eq!(CandidateIndex::open_or_create(&path).unwrap().num_docs(), 0);
    }
}
