//! A small in-memory inverted index. It holds records written since the last tantivy commit
//! (and, inside a write transaction, records not yet committed to the database), so matching
//! sees every record at once without committing the on-disk index per record.

use std::collections::HashSet;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};

use super::rank::{Hit, QueryTerm, best};

/// Terms to record IDs, with each record's terms for removal.
#[derive(Debug, Default)]
pub struct Postings {
    /// Keyed by a term shared with `by_record`: a term held by many records is stored once.
    by_term: HashMap<Arc<str>, Vec<u64>>,
    by_record: HashMap<u64, (String, Vec<Arc<str>>)>,
    /// Counts the changes: a search worked out at one generation holds while it is unchanged.
    generation: u64,
    /// Counts the changes that took records out (removals, clears): while it is unchanged, the
    /// records held then are all still held, so what they shadowed in the committed index
    /// is still shadowed.
    shrunk: u64,
}

impl Postings {
    pub fn is_empty(&self) -> bool {
        self.by_record.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_record.len()
    }

    pub fn contains(&self, record_id: u64) -> bool {
        self.by_record.contains_key(&record_id)
    }

    /// Changes so far (inserts, removals, clears).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes so far that took a record out.
    pub fn shrunk(&self) -> u64 {
        self.shrunk
    }

    /// Adds (or replaces) a record's terms.
    pub fn insert(&mut self, domain: &str, record_id: u64, terms: &[(String, f32)]) {
        // A record replaced is still held: it shadows what it shadowed.
        self.take_out(record_id);
        self.generation += 1;
        let mut kept = Vec::with_capacity(terms.len());
        for (term, _) in terms {
            let key = match self.by_term.get_key_value(term.as_str()) {
                Some((key, _)) => Arc::clone(key),
                None => Arc::from(term.as_str()),
            };
            self.by_term
                .entry(Arc::clone(&key))
                .or_default()
                .push(record_id);
            kept.push(key);
        }
        self.by_record.insert(record_id, (domain.to_owned(), kept));
    }

    pub fn remove(&mut self, record_id: u64) {
        self.generation += 1;
        if self.take_out(record_id) {
            self.shrunk += 1;
        }
    }

    /// Drops a record's terms; whether it was held.
    fn take_out(&mut self, record_id: u64) -> bool {
        let Some((_, terms)) = self.by_record.remove(&record_id) else {
            return false;
        };
        for term in terms {
            if let Some(ids) = self.by_term.get_mut(&term) {
                ids.retain(|&id| id != record_id);
                if ids.is_empty() {
                    self.by_term.remove(&term);
                }
            }
        }
        true
    }

    pub fn clear(&mut self) {
        self.generation += 1;
        self.shrunk += 1;
        self.by_term.clear();
        self.by_record.clear();
    }

    /// Records holding `term`.
    pub fn doc_freq(&self, term: &str) -> u64 {
        self.by_term.get(term).map_or(0, |ids| ids.len() as u64)
    }

    /// The best `limit` records of `domain` sharing a driving term with the weighted query,
    /// in the order of [`super::rank`].
    pub fn search(&self, domain: &str, query: &[QueryTerm], limit: usize) -> Vec<Hit> {
        let mut scores: HashMap<u64, u64> = HashMap::new();
        for term in query.iter().filter(|t| t.drives) {
            for id in self.by_term.get(term.term.as_str()).into_iter().flatten() {
                *scores.entry(*id).or_default() += u64::from(term.weight);
            }
        }
        if scores.is_empty() {
            return Vec::new();
        }
        for term in query.iter().filter(|t| !t.drives && t.weight > 0) {
            let Some(holders) = self.by_term.get(term.term.as_str()) else {
                continue;
            };
            // Walk the shorter side: the term's records, or the candidates' own terms.
            if holders.len() <= scores.len() {
                for id in holders {
                    if let Some(score) = scores.get_mut(id) {
                        *score += u64::from(term.weight);
                    }
                }
            } else {
                for (id, score) in scores.iter_mut() {
                    let holds = self
                        .by_record
                        .get(id)
                        .is_some_and(|(_, terms)| terms.iter().any(|t| **t == *term.term));
                    if holds {
                        *score += u64::from(term.weight);
                    }
                }
            }
        }
        let hits = scores
            .into_iter()
            .filter(|(id, _)| self.by_record.get(id).is_some_and(|(d, _)| d == domain))
            .map(|(id, score)| Hit::new(score, id))
            .collect();
        best(hits, limit)
    }

    /// Moves everything from `other` into `self`.
    pub fn absorb(&mut self, other: Postings) {
        for (id, (domain, terms)) in other.by_record {
            let terms: Vec<(String, f32)> =
                terms.into_iter().map(|t| (t.to_string(), 1.0)).collect();
            self.insert(&domain, id, &terms);
        }
    }

    pub fn records(&self) -> HashSet<u64> {
        self.by_record.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str]) -> Vec<(String, f32)> {
        words.iter().map(|w| (w.to_string(), 1.0)).collect()
    }

    fn query(words: &[&str]) -> Vec<QueryTerm> {
        words
            .iter()
            .map(|w| QueryTerm {
                term: w.to_string(),
                weight: 1000,
                drives: true,
            })
            .collect()
    }

    #[test]
    fn finds_by_shared_terms_within_a_domain() {
        let mut p = Postings::default();
        p.insert("vendor", 1, &terms(&["acme", "medical"]));
        p.insert("vendor", 2, &terms(&["acme", "labs"]));
        p.insert("item", 3, &terms(&["acme", "medical"]));
        let hits = p.search("vendor", &query(&["acme", "medical"]), 10);
        assert_eq!(hits.iter().map(Hit::record_id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(p.doc_freq("acme"), 3);
        p.remove(1);
        assert_eq!(p.search("vendor", &query(&["medical"]), 10), []);
        assert_eq!(p.len(), 2);
    }
}
