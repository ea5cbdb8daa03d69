//! The tantivy candidate index: a derived cache of the database, never the truth. One document
//! per active source record, holding the record's candidate-key terms. The last change-feed
//! sequence applied is stored with each commit, so a restart catches up from the feed and
//! `golden reindex` rebuilds it from scratch.
//!
//! There is one writer. Documents added since the last commit are also kept in an in-memory
//! overlay ([`Postings`]) so they are searchable at once; commits happen in batches.

mod committed;
mod postings;
pub mod rank;

use std::path::Path;
use std::sync::{Mutex, RwLock};

use tantivy::directory::MmapDirectory;
use tantivy::schema::{FAST, Field, INDEXED, STRING, Schema};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};
use thiserror::Error;

pub use postings::Postings;
use rank::{Hit, QueryTerm};

/// The record ID field, a fast field so ranking can break ties by it.
const RECORD_ID: &str = "record_id";

/// Memory the index writer may use before it flushes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

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
    #[error("candidate index postings: {0}")]
    Postings(#[from] std::io::Error),
    #[error("candidate index is busy or poisoned")]
    Poisoned,
    /// Another process (a running `golden serve`, say) holds the index's single writer.
    #[error("the candidate index in {dir} is held by another golden process")]
    Locked { dir: String },
}

impl IndexError {
    /// Whether the index on disk is damaged or of another schema or format, rather than busy
    /// (held by another process) or out of reach.
    fn is_damage(&self) -> bool {
        matches!(
            self,
            Self::Tantivy(
                TantivyError::DataCorruption(_)
                    | TantivyError::SchemaError(_)
                    | TantivyError::IncompatibleIndex(_)
                    | TantivyError::DeserializeError(_)
                    | TantivyError::OpenReadError(_)
            )
        )
    }
}

/// Merges segments sooner than tantivy's default: every search looks each term up in every
/// segment, so fewer segments make matching faster, and merges run on a thread of their own.
fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_min_num_segments(MERGE_AT_SEGMENTS);
    policy
}

/// Segments of a size class that trigger their merge (tantivy's default is 8).
const MERGE_AT_SEGMENTS: usize = 3;

#[derive(Clone, Copy)]
struct Fields {
    record_id: Field,
    domain: Field,
    terms: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        record_id: builder.add_u64_field(RECORD_ID, INDEXED | FAST),
        domain: builder.add_text_field("domain", STRING),
        terms: builder.add_text_field("terms", STRING),
    };
    (builder.build(), fields)
}

/// The on-disk index, its single writer and the overlay of uncommitted documents.
pub struct CandidateIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    pending: RwLock<Postings>,
    record_ids: committed::RecordIdColumns,
    /// Searches of the committed segments run so far: the costly part of a search, which a
    /// prepared search saves.
    committed_searches: std::sync::atomic::AtomicU64,
}

impl CandidateIndex {
    /// Opens the index in `dir`, creating the directory and an empty index on first start.
    pub fn open_or_create(dir: &Path) -> Result<Self, IndexError> {
        let directory_error = |source| IndexError::Directory {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(directory_error)?;
        // tantivy panics on some damaged files rather than answering an error.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Self::open_in(dir)));
        let damage = match opened {
            Ok(Err(e)) if e.is_damage() => e.to_string(),
            Ok(answer) => return answer,
            Err(_) => "reading it panicked".to_owned(),
        };
        // The index is only a cache: start afresh, and the missing commit payload makes the
        // service rebuild it from the database.
        tracing::warn!(dir = %dir.display(), %damage, "candidate index unreadable; rebuilding");
        std::fs::remove_dir_all(dir)
            .and_then(|()| std::fs::create_dir_all(dir))
            .map_err(directory_error)?;
        Self::open_in(dir)
    }

    fn open_in(dir: &Path) -> Result<Self, IndexError> {
        let (schema, fields) = schema();
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|e| match e {
                TantivyError::LockFailure(tantivy::directory::error::LockError::LockBusy, _) => {
                    IndexError::Locked {
                        dir: dir.display().to_string(),
                    }
                }
                other => IndexError::Tantivy(other),
            })?;
        writer.set_merge_policy(Box::new(merge_policy()));
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            pending: RwLock::new(Postings::default()),
            record_ids: committed::RecordIdColumns::default(),
            committed_searches: Default::default(),
        })
    }

    /// The payload stored with the last commit (`None` for a new index).
    pub fn payload(&self) -> Result<Option<String>, IndexError> {
        Ok(self.index.load_metas()?.payload)
    }

    /// Adds or replaces a record's document.
    pub fn upsert(
        &self,
        domain: &str,
        record_id: i64,
        terms: &[(String, f32)],
    ) -> Result<(), IndexError> {
        let id = record_id as u64;
        let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_term(Term::from_field_u64(self.fields.record_id, id));
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.fields.record_id, id);
        doc.add_text(self.fields.domain, domain);
        for (term, _) in terms {
            doc.add_text(self.fields.terms, term);
        }
        writer.add_document(doc)?;
        self.pending
            .write()
            .map_err(|_| IndexError::Poisoned)?
            .insert(domain, id, terms);
        Ok(())
    }

    /// Removes a record's document (it was retired).
    pub fn remove(&self, record_id: i64) -> Result<(), IndexError> {
        let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_term(Term::from_field_u64(
            self.fields.record_id,
            record_id as u64,
        ));
        self.pending
            .write()
            .map_err(|_| IndexError::Poisoned)?
            .remove(record_id as u64);
        Ok(())
    }

    /// Drops every document (before a rebuild).
    pub fn clear(&self) -> Result<(), IndexError> {
        let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_all_documents()?;
        self.pending
            .write()
            .map_err(|_| IndexError::Poisoned)?
            .clear();
        Ok(())
    }

    /// Makes everything added so far durable with `payload` (what the index reflects), and
    /// empties the overlay once the reader sees the commit.
    pub fn commit(&self, payload: &str) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(payload);
        prepared.commit()?;
        self.reader.reload()?;
        self.record_ids.keep_only(&self.reader.searcher());
        self.pending
            .write()
            .map_err(|_| IndexError::Poisoned)?
            .clear();
        Ok(())
    }

    /// Documents added since the last commit.
    pub fn pending_len(&self) -> usize {
        self.pending.read().map_or(0, |p| p.len())
    }

    /// Searches of the committed segments run so far.
    pub fn committed_searches(&self) -> u64 {
        self.committed_searches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Committed documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Record IDs of `domain` that share terms with the query, best first (committed
    /// documents and the overlay together, without duplicates). Terms held by more than
    /// `common` records only add to the score of records found through rarer ones.
    pub fn search(
        &self,
        domain: &str,
        terms: &[(String, f32)],
        limit: usize,
        common: u64,
    ) -> Result<Vec<i64>, IndexError> {
        self.search_with(domain, terms, limit, common, None)
    }

    /// [`CandidateIndex::search`] over `newer` too: records not in the index yet (those of a
    /// write transaction). Ranked as [`rank`] says, so the answer does not depend on which
    /// records are committed, pending or in `newer`.
    pub fn search_with(
        &self,
        domain: &str,
        terms: &[(String, f32)],
        limit: usize,
        common: u64,
        newer: Option<&Postings>,
    ) -> Result<Vec<i64>, IndexError> {
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let pending = self.pending.read().map_err(|_| IndexError::Poisoned)?;
        let searcher = self.reader.searcher();
        let lookup = self.lookup(&searcher, terms)?;
        let committed_df = lookup.doc_freqs(terms.len());
        let weighted = weigh(terms, &committed_df, &[Some(&*pending), newer], common);
        let mut hits = overlay_hits(&pending, newer, domain, &weighted, limit);
        hits.extend(
            self.committed_hits(&searcher, &lookup, domain, &weighted, limit, |id| {
                pending.contains(id) || newer.is_some_and(|n| n.contains(id))
            })?,
        );
        Ok(ids(hits, limit))
    }

    /// Works out a search ahead of a write transaction's records (for a batch, in parallel),
    /// over the committed documents and the overlay as they stand, to be finished by
    /// [`CandidateIndex::search_prepared`] with the transaction's own records.
    /// `stored_before` counts, per term, the transaction's records that will be stored before
    /// this one (and so be in `newer` when it is searched).
    pub fn prepare(
        &self,
        domain: &str,
        terms: &[(String, f32)],
        stored_before: &[u64],
        limit: usize,
        common: u64,
    ) -> Result<Prepared, IndexError> {
        let pending = self.pending.read().map_err(|_| IndexError::Poisoned)?;
        let searcher = self.reader.searcher();
        let lookup = self.lookup(&searcher, terms)?;
        let committed_df = lookup.doc_freqs(terms.len());
        let known_df: Vec<u64> = committed_df
            .iter()
            .zip(stored_before)
            .map(|(committed, before)| committed + before)
            .collect();
        let weighted = weigh(terms, &known_df, &[Some(&*pending)], common);
        let (overlay_hits, committed_hits) = if terms.is_empty() || limit == 0 {
            (Vec::new(), Vec::new())
        } else {
            (
                pending.search(domain, &weighted, limit),
                self.committed_hits(&searcher, &lookup, domain, &weighted, limit, |id| {
                    pending.contains(id)
                })?,
            )
        };
        Ok(Prepared {
            generation: searcher.generation().generation_id(),
            overlay_generation: pending.generation(),
            overlay_shrunk: pending.shrunk(),
            committed_df,
            weighted,
            overlay_hits,
            committed_hits,
        })
    }

    /// [`CandidateIndex::search_with`], reusing `prepared` when nothing it depends on changed
    /// since: the same committed segments, the same weights (the records stored since did not
    /// change how many hold the query's terms enough to matter), and none of its committed
    /// hits indexed again since. Records other writes indexed since it was prepared are in
    /// the overlay, which is then searched again (in memory); the committed part, the costly
    /// one, still holds, since the overlay only grew: whatever it shadowed then it still
    /// shadows, and what it shadows now is not among the best committed documents found.
    /// Otherwise searches afresh; either way the answer is the same. `newer.hits`, when given,
    /// is what searching `newer` with the prepared weights finds, worked out ahead too.
    pub fn search_prepared(
        &self,
        domain: &str,
        terms: &[(String, f32)],
        limit: usize,
        common: u64,
        newer: Newer<'_>,
        prepared: &Prepared,
    ) -> Result<Vec<i64>, IndexError> {
        let Newer {
            postings: newer,
            hits: newer_hits,
        } = newer;
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        {
            let pending = self.pending.read().map_err(|_| IndexError::Poisoned)?;
            let generation = self.reader.searcher().generation().generation_id();
            let weighted = weigh(
                terms,
                &prepared.committed_df,
                &[Some(&*pending), Some(newer)],
                common,
            );
            let shadowed_now =
                |h: &Hit| pending.contains(h.record_id()) || newer.contains(h.record_id());
            let committed_current = generation == prepared.generation
                && pending.shrunk() == prepared.overlay_shrunk
                && weighted == prepared.weighted
                && !prepared.committed_hits.iter().any(shadowed_now);
            if committed_current {
                let overlay_current = pending.generation() == prepared.overlay_generation
                    && !prepared
                        .overlay_hits
                        .iter()
                        .any(|h| newer.contains(h.record_id()));
                let mut hits = newer_hits.unwrap_or_else(|| newer.search(domain, &weighted, limit));
                if overlay_current {
                    hits.extend_from_slice(&prepared.overlay_hits);
                } else {
                    hits.extend(pending_hits(
                        &pending,
                        Some(newer),
                        domain,
                        &weighted,
                        limit,
                    ));
                }
                hits.extend_from_slice(&prepared.committed_hits);
                return Ok(ids(hits, limit));
            }
        }
        self.search_with(domain, terms, limit, common, Some(newer))
    }

    fn lookup(
        &self,
        searcher: &tantivy::Searcher,
        terms: &[(String, f32)],
    ) -> Result<committed::Lookup, IndexError> {
        let names: Vec<String> = terms.iter().map(|(term, _)| term.clone()).collect();
        committed::Lookup::new(searcher, self.fields.terms, &names)
    }

    /// The best committed documents, leaving out `shadowed` records (those with a newer copy
    /// elsewhere).
    fn committed_hits(
        &self,
        searcher: &tantivy::Searcher,
        lookup: &committed::Lookup,
        domain: &str,
        weighted: &[QueryTerm],
        limit: usize,
        shadowed: impl Fn(u64) -> bool,
    ) -> Result<Vec<Hit>, IndexError> {
        if searcher.num_docs() == 0 {
            return Ok(Vec::new());
        }
        self.committed_searches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let query = committed::Query {
            terms_field: self.fields.terms,
            domain_field: self.fields.domain,
            record_id: RECORD_ID,
            record_ids: &self.record_ids,
            domain,
            weighted,
        };
        committed::top_hits(searcher, lookup, &query, limit, shadowed)
    }
}

/// The records of a write transaction, not in the index yet, and when worked out ahead, what
/// a prepared search finds among them.
pub struct Newer<'a> {
    pub postings: &'a Postings,
    pub hits: Option<Vec<Hit>>,
}

impl<'a> Newer<'a> {
    /// Records to be searched as they are.
    pub fn searched(postings: &'a Postings) -> Self {
        Self {
            postings,
            hits: None,
        }
    }
}

/// One search worked out ahead; see [`CandidateIndex::prepare`].
#[derive(Debug, Clone)]
pub struct Prepared {
    generation: u64,
    overlay_generation: u64,
    overlay_shrunk: u64,
    committed_df: Vec<u64>,
    weighted: Vec<QueryTerm>,
    overlay_hits: Vec<Hit>,
    committed_hits: Vec<Hit>,
}

impl Prepared {
    /// The query's terms as weighed for it.
    pub fn weighted(&self) -> &[QueryTerm] {
        &self.weighted
    }

    /// The records it found, committed or in the overlay.
    pub fn record_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.overlay_hits
            .iter()
            .chain(&self.committed_hits)
            .map(|h| h.record_id() as i64)
    }
}

/// Weighs the query's terms by how many records hold each: `committed_df` in the committed
/// index plus those in `overlays`.
fn weigh(
    terms: &[(String, f32)],
    committed_df: &[u64],
    overlays: &[Option<&Postings>],
    common: u64,
) -> Vec<QueryTerm> {
    let counted = terms
        .iter()
        .zip(committed_df)
        .map(|((term, boost), committed)| {
            let overlaid: u64 = overlays.iter().flatten().map(|p| p.doc_freq(term)).sum();
            (term.clone(), *boost, committed + overlaid)
        })
        .collect();
    rank::query_terms(counted, common)
}

/// The best records of the uncommitted overlay and of `newer`; a record in `newer` shadows
/// its older version in the overlay.
fn overlay_hits(
    pending: &Postings,
    newer: Option<&Postings>,
    domain: &str,
    weighted: &[QueryTerm],
    limit: usize,
) -> Vec<Hit> {
    let mut hits: Vec<Hit> = pending_hits(pending, newer, domain, weighted, limit).collect();
    if let Some(newer) = newer {
        hits.extend(newer.search(domain, weighted, limit));
    }
    hits
}

/// The best records of the uncommitted overlay, less those `newer` holds a newer copy of.
fn pending_hits(
    pending: &Postings,
    newer: Option<&Postings>,
    domain: &str,
    weighted: &[QueryTerm],
    limit: usize,
) -> impl Iterator<Item = Hit> {
    pending
        .search(domain, weighted, limit)
        .into_iter()
        .filter(move |h| !newer.is_some_and(|n| n.contains(h.record_id())))
}

fn ids(hits: Vec<Hit>, limit: usize) -> Vec<i64> {
    rank::best(hits, limit)
        .into_iter()
        .map(|h| h.record_id() as i64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_index_is_started_afresh_and_a_busy_one_left_alone() {
        let acme = [("acme".to_owned(), 1.0)];
        for damaged in ["meta.json", ".idx"] {
            let dir = tempfile::tempdir().unwrap();
            {
                let index = CandidateIndex::open_or_create(dir.path()).unwrap();
                index.upsert("vendor", 1, &acme).unwrap();
                index.commit("5:abc").unwrap();
            }
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.to_string_lossy().ends_with(damaged) {
                    std::fs::write(&path, b"garbage").unwrap();
                }
            }
            let index = CandidateIndex::open_or_create(dir.path()).unwrap();
            assert_eq!(
                index.payload().unwrap(),
                None,
                "{damaged}: a rebuild is due"
            );
            assert!(index.search("vendor", &acme, 5, 500).unwrap().is_empty());
        }

        let dir = tempfile::tempdir().unwrap();
        let held = CandidateIndex::open_or_create(dir.path()).unwrap();
        held.upsert("vendor", 1, &acme).unwrap();
        held.commit("5:abc").unwrap();
        let second = CandidateIndex::open_or_create(dir.path());
        assert!(second.is_err(), "another writer holds it");
        assert_eq!(held.payload().unwrap().as_deref(), Some("5:abc"));
        assert_eq!(held.search("vendor", &acme, 5, 500).unwrap(), [1]);
    }

    fn terms(words: &[&str]) -> Vec<(String, f32)> {
        words.iter().map(|w| (w.to_string(), 1.0)).collect()
    }

    #[test]
    fn records_are_searchable_before_and_after_commit_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        {
            let index = CandidateIndex::open_or_create(&path).unwrap();
            assert_eq!(index.payload().unwrap(), None);
            index
                .upsert("vendor", 1, &terms(&["acme", "chicago"]))
                .unwrap();
            index.upsert("vendor", 2, &terms(&["zenith"])).unwrap();
            assert_eq!(
                index
                    .search("vendor", &terms(&["acme"]), 5, u64::MAX)
                    .unwrap(),
                [1]
            );
            index.commit("42").unwrap();
            assert_eq!(index.pending_len(), 0);
            assert_eq!(
                index
                    .search("vendor", &terms(&["acme"]), 5, u64::MAX)
                    .unwrap(),
                [1]
            );
            assert!(
                index
                    .search("item", &terms(&["acme"]), 5, u64::MAX)
                    .unwrap()
                    .is_empty()
            );
        }
        let index = CandidateIndex::open_or_create(&path).unwrap();
        assert_eq!(index.payload().unwrap().as_deref(), Some("42"));
        assert_eq!(index.num_docs(), 2);
        index.remove(1).unwrap();
        index.commit("43").unwrap();
        assert!(
            index
                .search("vendor", &terms(&["acme"]), 5, u64::MAX)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn candidates_do_not_depend_on_where_records_live() {
        let words = [
            "acme", "apex", "medical", "supply", "labs", "inc", "north", "west",
        ];
        let doc = |i: usize| -> Vec<(String, f32)> {
            (0..words.len())
                .filter(|w| (i >> w) & 1 == 1 || i.is_multiple_of(w + 2))
                .map(|w| (words[w].to_string(), 1.0 + (w % 3) as f32))
                .collect()
        };
        let mut query = terms(&["acme", "medical", "labs", "west"]);
        query[3].1 = 0.1;
        let holds_west = |id: &i64| doc(*id as usize).iter().any(|(t, _)| t == "west");
        let west_records = (1..=150i64).filter(|i| holds_west(i)).count();
        assert!(west_records < 45);
        // Every term drives; then only "west", the one term held by fewer than 60 records.
        for common in [u64::MAX, 60] {
            let expected_len = if common == 60 { west_records } else { 45 };
            let dir = tempfile::tempdir().unwrap();
            let index = CandidateIndex::open_or_create(dir.path()).unwrap();
            for i in 1..=150 {
                index.upsert("vendor", i as i64, &doc(i)).unwrap();
            }
            let all_pending = index.search("vendor", &query, 45, common).unwrap();
            assert_eq!(all_pending.iter().all(holds_west), common == 60);
            index.commit("1").unwrap();
            assert_eq!(
                index.search("vendor", &query, 45, common).unwrap(),
                all_pending
            );
            // Split three ways: committed, pending and a write transaction's own records.
            let dir = tempfile::tempdir().unwrap();
            let split = CandidateIndex::open_or_create(dir.path()).unwrap();
            let mut newer = Postings::default();
            for i in 1..=150 {
                match i % 3 {
                    0 => newer.insert("vendor", i as u64, &doc(i)),
                    _ => split.upsert("vendor", i as i64, &doc(i)).unwrap(),
                }
                if i == 70 {
                    split.commit("1").unwrap();
                }
            }
            let found = split
                .search_with("vendor", &query, 45, common, Some(&newer))
                .unwrap();
            assert_eq!(found, all_pending);
            assert_eq!(found.len(), expected_len);
        }
    }

    /// The best 5 for `query`, from `prepared`, with no records of a write transaction.
    fn reused_alone(
        index: &CandidateIndex,
        query: &[(String, f32)],
        prepared: &Prepared,
    ) -> Vec<i64> {
        let empty = Postings::default();
        index
            .search_prepared(
                "vendor",
                query,
                5,
                u64::MAX,
                Newer::searched(&empty),
                prepared,
            )
            .unwrap()
    }

    /// The best 5 for `query`, searched afresh.
    fn fresh_alone(index: &CandidateIndex, query: &[(String, f32)]) -> Vec<i64> {
        index.search("vendor", query, 5, u64::MAX).unwrap()
    }

    #[test]
    fn a_prepared_search_answers_as_a_fresh_one_whatever_was_stored_since() {
        let doc = |words: &[&str]| terms(words);
        let dir = tempfile::tempdir().unwrap();
        let index = CandidateIndex::open_or_create(dir.path()).unwrap();
        index.upsert("vendor", 1, &doc(&["acme", "labs"])).unwrap();
        index.upsert("vendor", 2, &doc(&["acme", "west"])).unwrap();
        index
            .upsert("vendor", 3, &doc(&["zenith", "labs"]))
            .unwrap();
        index.commit("1").unwrap();
        let query = doc(&["acme", "labs"]);
        let fresh = |newer: &Postings| {
            index
                .search_with("vendor", &query, 2, u64::MAX, Some(newer))
                .unwrap()
        };
        let prepared = index
            .prepare("vendor", &query, &[0, 0], 2, u64::MAX)
            .unwrap();
        let mut newer = Postings::default();
        let reused = |newer: &Postings| {
            index
                .search_prepared(
                    "vendor",
                    &query,
                    2,
                    u64::MAX,
                    Newer::searched(newer),
                    &prepared,
                )
                .unwrap()
        };
        assert_eq!(reused(&newer), [1, 2]);
        // Records stored since change the weights, and one of them is a new copy of record
        // 2 that now ranks below record 3.
        newer.insert("vendor", 4, &doc(&["acme", "labs"]));
        newer.insert("vendor", 2, &doc(&["west"]));
        assert_eq!(reused(&newer), fresh(&newer));
        assert_eq!(reused(&newer), [1, 4]);
        // After a commit the prepared search is from another generation.
        index.upsert("vendor", 5, &doc(&["acme", "labs"])).unwrap();
        index.commit("2").unwrap();
        assert_eq!(reused(&newer), fresh(&newer));

        // A record in the overlay (indexed, not committed) when the search is prepared is
        // found by it; one added to the overlay after preparing is found too.
        index.upsert("vendor", 6, &doc(&["acme", "labs"])).unwrap();
        let with_overlay = index
            .prepare("vendor", &query, &[0, 0], 5, u64::MAX)
            .unwrap();
        assert!(with_overlay.record_ids().any(|id| id == 6));
        let reused = |prepared: &Prepared| reused_alone(&index, &query, prepared);
        let fresh = || fresh_alone(&index, &query);
        assert_eq!(reused(&with_overlay), fresh());
        assert!(fresh().contains(&6));
        index
            .upsert("vendor", 7, &doc(&["acme", "labs", "west"]))
            .unwrap();
        assert_eq!(reused(&with_overlay), fresh());
        assert!(fresh().contains(&7), "{:?}", fresh());
    }

    #[test]
    fn a_prepared_search_keeps_its_committed_part_while_the_overlay_only_grows() {
        let doc = |words: &[&str]| terms(words);
        let dir = tempfile::tempdir().unwrap();
        let index = CandidateIndex::open_or_create(dir.path()).unwrap();
        for (id, words) in [
            (1, ["acme", "labs"]),
            (2, ["acme", "west"]),
            (3, ["zenith", "labs"]),
        ] {
            index.upsert("vendor", id, &doc(&words)).unwrap();
        }
        // Common enough that a record more or less leaves the query's weights as they are.
        for id in 100..400 {
            index.upsert("vendor", id, &doc(&["acme", "labs"])).unwrap();
        }
        index.commit("1").unwrap();
        // Record 1 indexed again (not committed): its committed copy is shadowed.
        index.upsert("vendor", 1, &doc(&["zenith"])).unwrap();
        let query = doc(&["acme", "labs"]);
        let reused = |prepared: &Prepared| reused_alone(&index, &query, prepared);
        let fresh = || fresh_alone(&index, &query);
        let prepared = index
            .prepare("vendor", &query, &[0, 0], 5, u64::MAX)
            .unwrap();
        // Other writes index records since: the overlay grows, the committed part holds.
        index.upsert("vendor", 8, &doc(&["acme", "labs"])).unwrap();
        index
            .upsert("vendor", 9, &doc(&["zenith", "west"]))
            .unwrap();
        let searched = index.committed_searches();
        let found = reused(&prepared);
        assert_eq!(
            index.committed_searches(),
            searched,
            "the committed part was searched again"
        );
        assert_eq!(found, fresh());
        assert!(found.contains(&8), "{found:?}");
        // Record 2, a committed hit, indexed again since: searched afresh.
        index.upsert("vendor", 2, &doc(&["acme", "labs"])).unwrap();
        assert_eq!(reused(&prepared), fresh());
        // Record 1 taken out of the overlay (retired): its committed copy, shadowed when the
        // search was prepared, is found again until the next commit.
        let prepared = index
            .prepare("vendor", &query, &[0, 0], 5, u64::MAX)
            .unwrap();
        index.remove(1).unwrap();
        assert!(fresh().contains(&1), "{:?}", fresh());
        assert_eq!(reused(&prepared), fresh());
    }
}
