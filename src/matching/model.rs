//! A domain's estimated match model: `m`, `u` and weight per comparison level, the prior,
//! term frequencies and calibrated thresholds, with how it was trained. Applied over the rule
//! file's declared weights, which remain the fallback while a domain has no model.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rules::matching::{MatchRules, Method, TermFrequencies};

/// A model as stored, exported and imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchModel {
    pub domain: String,
    /// Content hash of the rule file the model was estimated under.
    pub rules_version: String,
    /// Log2 odds that a candidate pair matches, before any comparison.
    pub prior: f64,
    pub auto_link: f64,
    pub review: f64,
    pub comparisons: Vec<ComparisonModel>,
    /// Corrections for comparisons that describe one fact.
    #[serde(default)]
    pub groups: Vec<GroupModel>,
    pub summary: TrainingSummary,
}

/// A group's corrections: for each combination of its members' levels (`null` where a member
/// has no value), the log2 amount added to the sum of their weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupModel {
    pub name: String,
    pub members: Vec<String>,
    pub corrections: Vec<Correction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Correction {
    pub levels: Vec<Option<u8>>,
    pub weight: f64,
}

/// One comparison's levels as estimated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComparisonModel {
    pub name: String,
    #[schema(value_type = String)]
    pub method: Method,
    pub levels: Vec<LevelModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub frequencies: Option<TermFrequencies>,
}

/// One level: how often matches (`m`) and non-matches (`u`) fall in it, and the weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelModel {
    pub at_least: f64,
    pub m: f64,
    pub u: f64,
    pub weight: f64,
}

/// How the model was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrainingSummary {
    /// Active records of the domain when it was estimated.
    pub records: u64,
    /// Records whose candidates were scored.
    pub sampled_records: u64,
    pub random_pairs: u64,
    pub candidate_pairs: u64,
    /// Pairs with a steward's decision (or from a labels file) used as labels.
    pub labelled_pairs: u64,
    pub iterations: usize,
    pub converged: bool,
    /// Estimated share of candidate pairs that match.
    pub match_rate: f64,
    /// The model's own estimate of its auto-links' precision.
    pub expected_precision: f64,
    /// The model's own estimate of new proposals per 1,000 records.
    pub expected_proposals_per_1000: f64,
    /// Seed of the random samples: the same records give the same model.
    pub seed: u64,
    pub estimated_at: chrono::NaiveDateTime,
    pub seconds: f64,
    /// How the weights moved from the model that was active when this one was estimated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<ModelMove>,
}

/// The change from one model to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelMove {
    pub from_version: i64,
    pub prior_change: f64,
    /// The comparison whose weight (at some level) moved most, and by how much (log2).
    pub largest_change: f64,
    pub largest_change_in: String,
}

impl MatchModel {
    /// How this model's weights differ from `earlier`'s (same comparisons assumed).
    pub fn moved_from(&self, earlier: &MatchModel, version: i64) -> ModelMove {
        let mut largest = (0.0, String::new());
        for (now, then) in self.comparisons.iter().zip(&earlier.comparisons) {
            for (a, b) in now.levels.iter().zip(&then.levels) {
                let change = a.weight - b.weight;
                if change.abs() > f64::abs(largest.0) {
                    largest = (change, now.name.clone());
                }
            }
        }
        ModelMove {
            from_version: version,
            prior_change: self.prior - earlier.prior,
            largest_change: largest.0,
            largest_change_in: largest.1,
        }
    }
}

impl MatchModel {
    /// Whether the model fits the rules' comparisons: same names, methods and levels. A rule
    /// file that changed its comparisons needs a new model.
    pub fn fits(&self, rules: &MatchRules) -> bool {
        let groups_fit =
            self.groups.iter().all(|model| {
                rules.groups.iter().any(|rule| {
                    rule.name == model.name
                        && rule.members.len() == model.members.len()
                        && rule.members.iter().zip(&model.members).all(|(&i, name)| {
                            rules.comparisons.get(i).is_some_and(|c| &c.name == name)
                        })
                })
            });
        groups_fit
            && self.comparisons.len() == rules.comparisons.len()
            && self
                .comparisons
                .iter()
                .zip(&rules.comparisons)
                .all(|(model, rule)| {
                    model.name == rule.name
                        && model.method == rule.method
                        && model.levels.len() == rule.levels.len()
                        && model
                            .levels
                            .iter()
                            .zip(&rule.levels)
                            .all(|(a, b)| (a.at_least - b.at_least).abs() < 1e-9)
                })
    }

    /// The rules with the model's weights, prior, thresholds and term frequencies; `None`
    /// when the model does not fit them.
    pub fn apply(&self, rules: &MatchRules, version: i64) -> Option<MatchRules> {
        if !self.fits(rules) {
            return None;
        }
        let mut applied = rules.clone();
        applied.prior = self.prior;
        applied.auto_link = self.auto_link;
        applied.review = self.review;
        applied.model_version = Some(version);
        for (comparison, model) in applied.comparisons.iter_mut().zip(&self.comparisons) {
            for (level, estimated) in comparison.levels.iter_mut().zip(&model.levels) {
                level.weight = estimated.weight;
            }
            comparison.frequencies = model
                .frequencies
                .clone()
                .filter(|_| comparison.term_frequency)
                .map(Arc::new);
        }
        for group in &mut applied.groups {
            group.corrections = self.groups.iter().find(|g| g.name == group.name).map(|g| {
                Arc::new(
                    g.corrections
                        .iter()
                        .map(|c| (c.levels.clone(), c.weight))
                        .collect(),
                )
            });
        }
        Some(applied)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::matching::{Standardized, score_pair};
    use crate::rules::matching::{Comparison, Group, Level};

    fn comparison(name: &str, method: Method, term_frequency: bool) -> Comparison {
        Comparison {
            name: name.into(),
            fields: vec![name.into()],
            method,
            levels: vec![
                Level {
                    at_least: 1.0,
                    weight: 5.0,
                },
                Level {
                    at_least: 0.0,
                    weight: -5.0,
                },
            ],
            term_frequency,
            frequencies: None,
            within_source: false,
        }
    }

    fn rules() -> MatchRules {
        MatchRules {
            prior: -4.0,
            groups: vec![Group {
                name: "site".into(),
                members: vec![1, 2],
                corrections: None,
                max_weight: None,
            }],
            ..MatchRules::for_tests(
                vec![],
                vec![
                    comparison("city", Method::Exact, true),
                    comparison("street", Method::Exact, false),
                    comparison("phone", Method::Exact, false),
                ],
            )
        }
    }

    fn level(at_least: f64, weight: f64) -> LevelModel {
        LevelModel {
            at_least,
            m: 0.5,
            u: 0.5,
            weight,
        }
    }

    fn model() -> MatchModel {
        let compared = |name: &str, agree: f64, frequencies| ComparisonModel {
            name: name.into(),
            method: Method::Exact,
            levels: vec![level(1.0, agree), level(0.0, -2.0)],
            frequencies,
        };
        MatchModel {
            domain: "vendor".into(),
            rules_version: "x".into(),
            prior: -3.0,
            auto_link: 0.995,
            review: 0.6,
            comparisons: vec![
                compared(
                    "city",
                    2.0,
                    Some(TermFrequencies {
                        reference_u: 0.01,
                        values: HashMap::from([("chicago".to_owned(), 0.04)]),
                    }),
                ),
                compared("street", 8.0, None),
                compared("phone", 6.0, None),
            ],
            groups: vec![GroupModel {
                name: "site".into(),
                members: vec!["street".into(), "phone".into()],
                corrections: vec![Correction {
                    levels: vec![Some(0), Some(0)],
                    weight: -5.0,
                }],
            }],
            summary: TrainingSummary {
                records: 10,
                sampled_records: 10,
                random_pairs: 45,
                candidate_pairs: 20,
                labelled_pairs: 0,
                iterations: 3,
                converged: true,
                match_rate: 0.1,
                expected_precision: 0.999,
                expected_proposals_per_1000: 10.0,
                seed: 1,
                estimated_at: chrono::NaiveDateTime::default(),
                seconds: 0.0,
                moved: None,
            },
        }
    }

    fn record(pairs: &[(&str, &str)]) -> Standardized {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_model_replaces_weights_prior_and_thresholds_and_names_its_version() {
        let applied = model().apply(&rules(), 7).unwrap();
        assert_eq!(applied.model_version, Some(7));
        assert_eq!(
            (applied.prior, applied.auto_link, applied.review),
            (-3.0, 0.995, 0.6)
        );
        assert_eq!(applied.comparisons[1].levels[0].weight, 8.0);
        assert!(applied.comparisons[0].frequencies.is_some());
        assert!(applied.groups[0].corrections.is_some());
    }

    #[test]
    fn a_model_that_does_not_fit_the_comparisons_is_not_applied() {
        let mut other = rules();
        other.comparisons[2].levels.remove(0);
        assert!(model().apply(&other, 1).is_none());
        let mut renamed = rules();
        renamed.comparisons[0].name = "town".into();
        assert!(!model().fits(&renamed));
    }

    #[test]
    fn one_shared_fact_counts_once_and_a_common_value_counts_less() {
        let applied = model().apply(&rules(), 1).unwrap();
        let a = record(&[("city", "chicago"), ("street", "1 main st"), ("phone", "1")]);
        let b = a.clone();
        let score = score_pair(&applied, &a, &b);
        let weight = |field: &str| {
            score
                .evidence
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.weight)
                .unwrap()
        };
        // Chicago holds 4% of records against 1% agreement on average: 2 bits less.
        assert!((weight("city") - 0.0).abs() < 1e-9, "{score:?}");
        let site = score.evidence.iter().find(|e| e.field == "site").unwrap();
        assert_eq!(site.method, Method::Combined);
        assert_eq!(site.weight, -5.0);
        assert!((score.log_odds - (-3.0 + 0.0 + 8.0 + 6.0 - 5.0)).abs() < 1e-9);
        assert_eq!(
            crate::matching::score::log_odds(&applied, &a, &b),
            score.log_odds
        );
        // A street alone is not corrected.
        let c = record(&[
            ("city", "evanston"),
            ("street", "1 main st"),
            ("phone", "2"),
        ]);
        let d = record(&[
            ("city", "evanston"),
            ("street", "1 main st"),
            ("phone", "3"),
        ]);
        let alone = score_pair(&applied, &c, &d);
        assert!(alone.evidence.iter().all(|e| e.field != "site"));
        assert!((alone.log_odds - (-3.0 + 2.0 + 8.0 - 2.0)).abs() < 1e-9);
    }
}
