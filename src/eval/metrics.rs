//! Pairwise precision, recall and F1 of a clustering against the truth. Pure.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

/// Pairwise quality of predicted clusters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairwiseScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub predicted_pairs: u64,
    pub true_pairs: u64,
    pub correct_pairs: u64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Scores `predicted` (item -> cluster) against `truth` (item -> entity) over the items in
/// both, counting pairs through the contingency table rather than enumerating them.
pub fn pairwise<K, P, T>(predicted: &HashMap<K, P>, truth: &HashMap<K, T>) -> PairwiseScores
where
    K: Eq + Hash,
    P: Eq + Hash + Clone,
    T: Eq + Hash + Clone,
{
    let mut by_cluster: HashMap<P, u64> = HashMap::new();
    let mut by_entity: HashMap<T, u64> = HashMap::new();
    let mut by_cell: HashMap<(P, T), u64> = HashMap::new();
    for (item, entity) in truth {
        let Some(cluster) = predicted.get(item) else {
            continue;
        };
        *by_cluster.entry(cluster.clone()).or_default() += 1;
        *by_entity.entry(entity.clone()).or_default() += 1;
        *by_cell
            .entry((cluster.clone(), entity.clone()))
            .or_default() += 1;
    }
    let predicted_pairs: u64 = by_cluster.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = by_entity.values().map(|&n| pairs(n)).sum();
    let correct_pairs: u64 = by_cell.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(correct_pairs, predicted_pairs);
    let recall = ratio(correct_pairs, true_pairs);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    PairwiseScores {
        precision,
        recall,
        f1,
        predicted_pairs,
        true_pairs,
        correct_pairs,
    }
}

/// Union-find over cluster labels, to merge clusters joined by proposals.
#[derive(Debug, Default)]
pub struct Unions {
    parent: HashMap<String, String>,
}

impl Unions {
    pub fn find(&mut self, x: &str) -> String {
        let mut root = x.to_owned();
        while let Some(p) = self.parent.get(&root).filter(|p| **p != root) {
            root = p.clone();
        }
        let mut cur = x.to_owned();
        while cur != root {
            let next = self
                .parent
                .get(&cur)
                .cloned()
                .unwrap_or_else(|| root.clone());
            self.parent.insert(cur, root.clone());
            cur = next;
        }
        root
    }

    pub fn union(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(u32, &str)]) -> HashMap<u32, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn perfect_and_partial_clusterings() {
        let truth = map(&[(1, "a"), (2, "a"), (3, "a"), (4, "b")]);
        let perfect = map(&[(1, "x"), (2, "x"), (3, "x"), (4, "y")]);
        assert_eq!(pairwise(&perfect, &truth).f1, 1.0);
        // {1,2} {3,4}: one correct pair of two predicted; one of three true pairs found.
        let partial = map(&[(1, "x"), (2, "x"), (3, "y"), (4, "y")]);
        let s = pairwise(&partial, &truth);
        assert_eq!(
            (s.correct_pairs, s.predicted_pairs, s.true_pairs),
            (1, 2, 3)
        );
        assert!((s.precision - 0.5).abs() < 1e-9);
    }

    #[test]
    fn unions_join_transitively() {
        let mut u = Unions::default();
        u.union("a", "b");
        u.union("b", "c");
        assert_eq!(u.find("a"), u.find("c"));
        assert_ne!(u.find("a"), u.find("d"));
    }
}
