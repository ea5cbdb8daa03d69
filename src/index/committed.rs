//! The best candidates among the committed documents, in the order of [`super::rank`].
//!
//! Exact top-k by MaxScore: the query's terms are sorted by weight, and once `limit` hits are
//! held, the lightest terms whose weights together fall short of the worst hit cannot make a
//! document enter on their own; only the postings of the other terms are walked, and the
//! light ones are looked up (seeked) for the documents found. Common terms (trigrams, frequent
//! words) weigh little, so most of their long postings are skipped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::postings::SegmentPostings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Searcher, SegmentReader, TERMINATED, Term};

use super::IndexError;
use super::rank::{Hit, Weight};

/// What to search: the fields, the domain and the weighted terms.
pub(super) struct Query<'a> {
    pub terms_field: Field,
    pub domain_field: Field,
    pub record_id: &'a str,
    pub domain: &'a str,
    pub weighted: &'a [(String, Weight)],
}

/// The best `limit` committed documents for `query`, leaving out `shadowed` records.
pub(super) fn top_hits(
    searcher: &Searcher,
    query: &Query<'_>,
    limit: usize,
    shadowed: impl Fn(u64) -> bool,
) -> Result<Vec<Hit>, IndexError> {
    let mut kept: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(limit + 1);
    for segment in searcher.segment_readers() {
        search_segment(segment, query, limit, &shadowed, &mut kept)?;
    }
    Ok(kept.into_iter().map(|Reverse(h)| h).collect())
}

fn search_segment(
    segment: &SegmentReader,
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
    // Lightest first; `below[i]` is the total weight of lists[..=i].
    let mut lists: Vec<(Weight, SegmentPostings)> = Vec::with_capacity(query.weighted.len());
    for (term, weight) in query.weighted {
        let term = Term::from_field_text(query.terms_field, term);
        if *weight > 0
            && let Some(postings) = terms.read_postings(&term, IndexRecordOption::Basic)?
        {
            lists.push((*weight, postings));
        }
    }
    lists.sort_by_key(|(w, _)| *w);
    let below: Vec<u64> = lists
        .iter()
        .scan(0u64, |sum, (w, _)| {
            *sum += u64::from(*w);
            Some(*sum)
        })
        .collect();
    let ids = segment.fast_fields().u64(query.record_id)?;
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
        for (weight, postings) in lists[..essential].iter_mut().rev() {
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
