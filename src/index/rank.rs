//! How candidates are ranked. A term's weight depends only on the term's boost and on how
//! many known records hold it, counted over every place records live (the committed index,
//! its uncommitted overlay, the records of the write transaction). A record's score is the sum
//! of the weights of the terms it shares with the query, and ties go to the older record.
//! Each place therefore returns its part of one global order, and merging their best hits
//! gives the same candidates however the records happen to be split between them: a bulk
//! load and a record-at-a-time load see the same candidates.
//!
//! Only terms held by few records *drive* the search: a record is a candidate when it shares
//! at least one of them. Common terms (frequent words and trigrams) still add their weight to
//! those candidates, but walking their long postings would cost time in proportion to the
//! store for records that share nothing distinctive (as in Lucene's common-terms query).
//! Which terms drive depends only on the same global counts, so every place agrees.

use std::cmp::Reverse;

/// A term's weight in thousandths. Weights are whole numbers, so every place sums them
/// exactly, in any order, even as `f32` (exact below 2^24).
pub type Weight = u32;

/// The weight of a term with `boost` held by `doc_freq` records: rarer terms count for more,
/// as in BM25's IDF.
pub fn weight(boost: f32, doc_freq: u64) -> Weight {
    let idf = 1.0 / (1.0 + (doc_freq.max(1) as f64).ln());
    (f64::from(boost.max(0.0)) * idf * 1000.0).round() as Weight
}

/// A query term with its weight, and whether it brings in candidates on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    pub term: String,
    pub weight: Weight,
    pub drives: bool,
}

/// Weighs `terms` (each with its boost and how many records hold it). Terms held by at most
/// `common` records drive the search; when every term is more common than that, the rarest
/// do, so a record with nothing distinctive still finds its candidates.
pub fn query_terms(terms: Vec<(String, f32, u64)>, common: u64) -> Vec<QueryTerm> {
    let rarest = terms.iter().map(|(_, _, df)| *df).min().unwrap_or(0);
    let limit = common.max(rarest);
    terms
        .into_iter()
        .map(|(term, boost, doc_freq)| QueryTerm {
            term,
            weight: weight(boost, doc_freq),
            drives: doc_freq <= limit,
        })
        .collect()
}

/// A ranked candidate; greater is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub score: u64,
    pub record: Reverse<u64>,
}

impl Hit {
    pub fn new(score: u64, record_id: u64) -> Self {
        Self {
            score,
            record: Reverse(record_id),
        }
    }

    pub fn record_id(&self) -> u64 {
        self.record.0
    }
}

/// The best `limit` hits, best first, each record once.
pub fn best(mut hits: Vec<Hit>, limit: usize) -> Vec<Hit> {
    hits.sort_unstable_by(|a, b| b.cmp(a));
    let mut seen = std::collections::HashSet::new();
    hits.retain(|h| seen.insert(h.record_id()));
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_terms_weigh_more_and_ties_go_to_the_older_record() {
        assert!(weight(1.0, 1) > weight(1.0, 100));
        assert_eq!(weight(1.0, 0), 1000);
        let hits = vec![
            Hit::new(5, 9),
            Hit::new(7, 3),
            Hit::new(5, 2),
            Hit::new(5, 9),
        ];
        let ids: Vec<u64> = best(hits, 3).iter().map(Hit::record_id).collect();
        assert_eq!(ids, [3, 2, 9]);
    }

    #[test]
    fn common_terms_drive_only_when_nothing_is_rarer_and_then_the_rarest_do() {
        let drives = |terms: Vec<(String, f32, u64)>| -> Vec<bool> {
            query_terms(terms, 100).iter().map(|t| t.drives).collect()
        };
        let term = |t: &str, df| (t.to_string(), 1.0, df);
        assert_eq!(
            drives(vec![term("acme", 3), term("inc", 5_000), term("x", 100)]),
            [true, false, true]
        );
        assert_eq!(
            drives(vec![term("inc", 5_000), term("co", 101), term("ltd", 101)]),
            [false, true, true]
        );
    }
}
