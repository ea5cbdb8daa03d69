//! The best candidates among the committed documents, in the order of [`super::rank`].
//!
//! Exact top-k by MaxScore: the query's terms are sorted by weight, and once `limit` hits are
//! held, the lightest terms whose weights together fall short of the worst hit cannot make a
//! document enter on their own; only the postings of the other terms are walked, and the
//! light ones are looked up (seeked) for the documents found. Common terms (trigrams, frequent
//! words) weigh little, so most of their long postings are skipped; terms that do not drive
//! the search (see [`super::rank`]) are only ever looked up.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::RwLock;

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::postings::{SegmentPostings, TermInfo};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Searcher, SegmentReader, TERMINATED, Term};

use super::IndexError;
use super::rank::{Hit, QueryTerm, Weight};

/// The query's terms as found in each committed segment: looked up once, both to count the
/// records holding them and to read their postings.
pub(super) struct Lookup {
    /// Per segment, per query term.
    segments: Vec<Vec<Option<TermInfo>>>,
}

impl Lookup {
    pub fn new(searcher: &Searcher, field: Field, terms: &[String]) -> Result<Self, IndexError> {
        let terms: Vec<Term> = terms
            .iter()
            .map(|t| Term::from_field_text(field, t))
            .collect();
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let index = segment.inverted_index(field)?;
            segments.push(
                terms
                    .iter()
                    .map(|t| index.get_term_info(t))
                    .collect::<Result<_, _>>()?,
            );
        }
        Ok(Self { segments })
    }

    /// Committed documents holding each term, in query order (deleted ones included until
    /// merged away).
    pub fn doc_freqs(&self, terms: usize) -> Vec<u64> {
        (0..terms)
            .map(|i| {
                self.segments
                    .iter()
                    .filter_map(|infos| infos[i].as_ref())
                    .map(|info| u64::from(info.doc_freq))
                    .sum()
            })
            .collect()
    }
}

/// Each committed segment's column of record IDs, opened once per segment rather than once
/// per search: opening it reads the column's layout again, which cost a search as much as
/// reading a few postings.
#[derive(Default)]
pub(super) struct RecordIdColumns {
    columns: RwLock<HashMap<SegmentId, Column<u64>>>,
}

impl RecordIdColumns {
    fn get(&self, segment: &SegmentReader, field: &str) -> Result<Column<u64>, IndexError> {
        let id = segment.segment_id();
        if let Some(column) = self
            .columns
            .read()
            .map_err(|_| IndexError::Poisoned)?
            .get(&id)
        {
            return Ok(column.clone());
        }
        let column = segment.fast_fields().u64(field)?;
        self.columns
            .write()
            .map_err(|_| IndexError::Poisoned)?
            .insert(id, column.clone());
        Ok(column)
    }

    /// Forgets the segments `searcher` no longer has (merged away).
    pub fn keep_only(&self, searcher: &Searcher) {
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        if let Ok(mut columns) = self.columns.write() {
            columns.retain(|id, _| live.contains(id));
        }
    }
}

/// What to search: the fields, the domain and the weighted terms (in the order of the
/// [`Lookup`]'s terms).
pub(super) struct Query<'a> {
    pub terms_field: Field,
    pub domain_field: Field,
    pub record_id: &'a str,
    pub record_ids: &'a RecordIdColumns,
    pub domain: &'a str,
    pub weighted: &'a [QueryTerm],
}

/// The best `limit` committed documents for `query`, leaving out `shadowed` records.
pub(super) fn top_hits(
    searcher: &Searcher,
    lookup: &Lookup,
    query: &Query<'_>,
    limit: usize,
    shadowed: impl Fn(u64) -> bool,
) -> Result<Vec<Hit>, IndexError> {
    let mut kept: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(limit + 1);
    for (segment, infos) in searcher.segment_readers().iter().zip(&lookup.segments) {
        search_segment(segment, infos, query, limit, &shadowed, &mut kept)?;
    }
    Ok(kept.into_iter().map(|Reverse(h)| h).collect())
}

fn search_segment(
    segment: &SegmentReader,
    infos: &[Option<TermInfo>],
    query: &Query<'_>,
    limit: usize,
    shadowed: &impl Fn(u64) -> bool,
    kept: &mut BinaryHeap<Reverse<Hit>>,
) -> Result<(), IndexError> {
    let domain_term = Term::from_field_text(query.domain_field, query.domain);
    let Some(mut in_domain) = segment
        .inverted_index(query.domain_field)?
        .read_postings(&domain_term, IndexRecordOption::Basic)?
    else {
        return Ok(());
    };
    let terms = segment.inverted_index(query.terms_field)?;
    // Driving lists, lightest first, and the common terms' lists, only looked up.
    let mut lists: Vec<(Weight, SegmentPostings)> = Vec::with_capacity(query.weighted.len());
    let mut common: Vec<(Weight, SegmentPostings)> = Vec::with_capacity(query.weighted.len());
    for (term, info) in query.weighted.iter().zip(infos) {
        let Some(info) = info.as_ref().filter(|_| term.weight > 0) else {
            continue;
        };
        let postings = terms.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
        match term.drives {
            true => lists.push((term.weight, postings)),
            false => common.push((term.weight, postings)),
        }
    }
    lists.sort_by_key(|(w, _)| *w);
    let common_total: u64 = common.iter().map(|(w, _)| u64::from(*w)).sum();
    // `below[i]`: the most a document found only in lists[..=i] can score.
    let below: Vec<u64> = lists
        .iter()
        .scan(common_total, |sum, (w, _)| {
            *sum += u64::from(*w);
            Some(*sum)
        })
        .collect();
    let ids = query.record_ids.get(segment, query.record_id)?;
    let alive = segment.alive_bitset();
    loop {
        // A document must reach the worst kept score (ties may still win on the record ID).
        let needed = match kept.peek() {
            Some(Reverse(worst)) if kept.len() >= limit => worst.score,
            _ => 0,
        };
        let essential = below.iter().take_while(|&&s| s < needed).count();
        let Some(doc) = lists[essential..]
            .iter()
            .map(|(_, p)| p.doc())
            .min()
            .filter(|d| *d != TERMINATED)
        else {
            return Ok(());
        };
        let mut score = 0u64;
        for (weight, postings) in &mut lists[essential..] {
            if postings.doc() == doc {
                score += u64::from(*weight);
                postings.advance();
            }
        }
        let looked_up = lists[..essential].iter_mut().rev().chain(common.iter_mut());
        for (weight, postings) in looked_up {
            if postings.doc() < doc {
                postings.seek(doc);
            }
            if postings.doc() == doc {
                score += u64::from(*weight);
            }
        }
        if score < needed || alive.is_some_and(|a| a.is_deleted(doc)) {
            continue;
        }
        if in_domain.doc() < doc {
            in_domain.seek(doc);
        }
        if in_domain.doc() != doc {
            continue;
        }
        let Some(id) = ids.first(doc as DocId) else {
            continue;
        };
        if shadowed(id) {
            continue;
        }
        kept.push(Reverse(Hit::new(score, id)));
        if kept.len() > limit {
            kept.pop();
        }
    }
}
