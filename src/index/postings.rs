//! A small in-memory inverted index. It holds records written since the last tantivy commit
//! (and, inside a write transaction, records not yet committed to the database), so matching
//! sees every record at once without committing the on-disk index per record.

use std::collections::{HashMap, HashSet};

/// Terms to record IDs, with each record's terms for removal.
#[derive(Debug, Default)]
pub struct Postings {
    by_term: HashMap<String, Vec<u64>>,
    by_record: HashMap<u64, (String, Vec<String>)>,
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

    /// Adds (or replaces) a record's terms.
    pub fn insert(&mut self, domain: &str, record_id: u64, terms: &[(String, f32)]) {
        self.remove(record_id);
        for (term, _) in terms {
            self.by_term
                .entry(term.clone())
                .or_default()
                .push(record_id);
        }
        let terms = terms.iter().map(|(t, _)| t.clone()).collect();
        self.by_record.insert(record_id, (domain.to_owned(), terms));
    }

    pub fn remove(&mut self, record_id: u64) {
        if let Some((_, terms)) = self.by_record.remove(&record_id) {
            for term in terms {
                if let Some(ids) = self.by_term.get_mut(&term) {
                    ids.retain(|&id| id != record_id);
                    if ids.is_empty() {
                        self.by_term.remove(&term);
                    }
                }
            }
        }
    }

    pub fn clear(&mut self) {
        self.by_term.clear();
        self.by_record.clear();
    }

    /// Records of `domain` sharing terms with the query, best first. A term shared by many
    /// records counts for less, as in BM25's IDF.
    pub fn search(&self, domain: &str, query: &[(String, f32)], limit: usize) -> Vec<(u64, f32)> {
        let mut scores: HashMap<u64, f32> = HashMap::new();
        for (term, boost) in query {
            if let Some(ids) = self.by_term.get(term) {
                let weight = boost / (1.0 + (ids.len() as f32).ln());
                for id in ids {
                    *scores.entry(*id).or_default() += weight;
                }
            }
        }
        let mut ranked: Vec<(u64, f32)> = scores
            .into_iter()
            .filter(|(id, _)| self.by_record.get(id).is_some_and(|(d, _)| d == domain))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }

    /// Moves everything from `other` into `self`.
    pub fn absorb(&mut self, other: Postings) {
        for (id, (domain, terms)) in other.by_record {
            let terms: Vec<(String, f32)> = terms.into_iter().map(|t| (t, 1.0)).collect();
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

    #[test]
    fn finds_by_shared_terms_within_a_domain() {
        let mut p = Postings::default();
        p.insert("vendor", 1, &terms(&["acme", "medical"]));
        p.insert("vendor", 2, &terms(&["acme", "labs"]));
        p.insert("item", 3, &terms(&["acme", "medical"]));
        let hits = p.search("vendor", &terms(&["acme", "medical"]), 10);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [1, 2]);
        p.remove(1);
        assert_eq!(p.search("vendor", &terms(&["medical"]), 10), []);
        assert_eq!(p.len(), 2);
    }
}
