//! Scoring a pair of records field by field, with the evidence a steward reads.

use serde::{Deserialize, Serialize};

use super::compare::similarity;
use super::features::derived_key;
use super::{SOURCE_SYSTEM, Standardized, probability};
use crate::rules::matching::{Comparison, Group, MatchRules, Method};

/// One comparison's evidence: both values, the method, the similarity and its contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldEvidence {
    pub field: String,
    #[schema(value_type = String)]
    pub method: Method,
    pub left: Option<String>,
    pub right: Option<String>,
    /// `None` when either side has no value (the comparison then contributes nothing).
    pub similarity: Option<f64>,
    /// Log2 Bayes factor added to the score.
    pub weight: f64,
}

/// The score of a pair and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairScore {
    /// Match probability, what the thresholds apply to.
    pub probability: f64,
    /// Prior plus every weight, in log2 odds.
    pub log_odds: f64,
    pub evidence: Vec<FieldEvidence>,
    /// The candidate record the score was taken against (the golden record's best member).
    #[serde(skip)]
    pub matched_record_id: Option<i64>,
}

impl PairScore {
    /// Whether an identifier (tax ID, GTIN, GLN: a comparison of method `identifier`) is
    /// present on both sides and differs. However strong the rest, such a pair is for a
    /// steward to judge: it may be a mistyped identifier, or two entities of one site.
    pub fn identifiers_disagree(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| e.method == Method::Identifier && e.similarity.is_some_and(|s| s < 1.0))
    }
}

/// Compares `a` with `b` under `rules`.
pub fn score_pair(rules: &MatchRules, a: &Standardized, b: &Standardized) -> PairScore {
    let mailing = mailing_and_street(rules, a, b);
    let assessed: Vec<Assessed<'_>> = rules
        .comparisons
        .iter()
        .map(|c| assess(rules, c, a, b, mailing))
        .collect();
    let mut evidence: Vec<FieldEvidence> = rules
        .comparisons
        .iter()
        .zip(&assessed)
        .map(|(c, x)| FieldEvidence {
            field: c.name.clone(),
            method: c.method,
            left: shown(&x.left),
            right: shown(&x.right),
            similarity: x.similarity,
            weight: x.weight,
        })
        .collect();
    for group in &rules.groups {
        let correction = group_correction(group, &assessed);
        if correction != 0.0 {
            evidence.push(FieldEvidence {
                field: group.name.clone(),
                method: Method::Combined,
                left: None,
                right: None,
                similarity: None,
                weight: correction,
            });
        }
    }
    let log_odds = rules.prior + evidence.iter().map(|e| e.weight).sum::<f64>();
    PairScore {
        probability: probability(log_odds),
        log_odds,
        evidence,
        matched_record_id: None,
    }
}

/// The log odds alone, without building the evidence: the hot path of candidate ranking.
pub fn log_odds(rules: &MatchRules, a: &Standardized, b: &Standardized) -> f64 {
    let mailing = mailing_and_street(rules, a, b);
    if rules
        .groups
        .iter()
        .all(|g| g.corrections.is_none() && g.max_weight.is_none())
    {
        return rules.prior
            + rules
                .comparisons
                .iter()
                .map(|c| assess(rules, c, a, b, mailing).weight)
                .sum::<f64>();
    }
    let assessed: Vec<Assessed<'_>> = rules
        .comparisons
        .iter()
        .map(|c| assess(rules, c, a, b, mailing))
        .collect();
    rules.prior
        + assessed.iter().map(|x| x.weight).sum::<f64>()
        + rules
            .groups
            .iter()
            .map(|g| group_correction(g, &assessed))
            .sum::<f64>()
}

/// One comparison applied to a pair.
struct Assessed<'a> {
    left: Vec<&'a str>,
    right: Vec<&'a str>,
    similarity: Option<f64>,
    level: Option<u8>,
    weight: f64,
}

/// `mailing`: whether one side's address is a post office box and the other's a street
/// address (see [`mailing_and_street`]).
fn assess<'a>(
    rules: &MatchRules,
    comparison: &Comparison,
    a: &'a Standardized,
    b: &'a Standardized,
    mailing: bool,
) -> Assessed<'a> {
    let (left, right) = (values(comparison, a), values(comparison, b));
    let similarity = comparable(rules, comparison, a, b, mailing)
        .then(|| best_similarity(comparison.method, &left, &right))
        .flatten();
    let weight = weight(comparison, similarity, &left, &right);
    Assessed {
        level: similarity.map(|s| u8::try_from(comparison.level(s)).unwrap_or(u8::MAX)),
        left,
        right,
        similarity,
        weight,
    }
}

/// Whether a comparison applies to the pair: one scoped to a source system only compares two
/// records of the same system, and one the rules name in `po_box_neutral` says nothing when
/// `mailing` (a post office box against a street address).
fn comparable(
    rules: &MatchRules,
    comparison: &Comparison,
    a: &Standardized,
    b: &Standardized,
    mailing: bool,
) -> bool {
    let same_source =
        matches!((a.get(SOURCE_SYSTEM), b.get(SOURCE_SYSTEM)), (Some(x), Some(y)) if x == y);
    (!comparison.within_source || same_source)
        && !(mailing && rules.po_box_neutral.contains(&comparison.name))
}

/// Whether one side's address (the values of the rules' first `address` comparison) is a post
/// office box and the other's a street address. A remit-to lockbox tells where payments go,
/// not where the entity is, so the two addresses neither agree nor disagree.
fn mailing_and_street(rules: &MatchRules, a: &Standardized, b: &Standardized) -> bool {
    if rules.po_box_neutral.is_empty() {
        return false;
    }
    let Some(address) = rules
        .comparisons
        .iter()
        .find(|c| c.method == Method::Address)
    else {
        return false;
    };
    let (left, right) = (values(address, a), values(address, b));
    if left.is_empty() || right.is_empty() {
        return false;
    }
    let po_box = |lines: &[&str]| {
        lines.iter().any(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.windows(2).any(|w| w == ["po", "box"])
        })
    };
    po_box(&left) != po_box(&right)
}

/// An estimated group's correction for the levels its members fell in (0 for a combination
/// estimation never saw); with declared weights, what brings the members' sum down to the
/// group's `max_weight`.
fn group_correction(group: &Group, assessed: &[Assessed<'_>]) -> f64 {
    let Some(table) = &group.corrections else {
        let Some(max) = group.max_weight else {
            return 0.0;
        };
        let sum: f64 = group
            .members
            .iter()
            .filter_map(|&i| assessed.get(i))
            .map(|x| x.weight)
            .sum();
        return (max - sum).min(0.0);
    };
    let levels: Vec<Option<u8>> = group
        .members
        .iter()
        .map(|&i| assessed.get(i).and_then(|x| x.level))
        .collect();
    table.get(&levels).copied().unwrap_or(0.0)
}

/// Adds the evidence that the candidate golden record already holds a record of the same
/// source system.
pub fn add_same_source(rules: &MatchRules, score: &mut PairScore, source_system: &str) {
    score.evidence.push(FieldEvidence {
        field: "same_source_system".into(),
        method: Method::Exact,
        left: Some(source_system.to_owned()),
        right: Some(source_system.to_owned()),
        similarity: Some(1.0),
        weight: rules.same_source_weight,
    });
    score.log_odds += rules.same_source_weight;
    score.probability = probability(score.log_odds);
}

/// A comparison's contribution: its level's weight, lowered by the term-frequency correction
/// when both sides hold the same common value.
fn weight(comparison: &Comparison, similarity: Option<f64>, left: &[&str], right: &[&str]) -> f64 {
    let Some(similarity) = similarity else {
        return 0.0;
    };
    let level = comparison.level(similarity);
    let base = comparison.levels.get(level).map_or(0.0, |l| l.weight);
    match &comparison.frequencies {
        Some(table) if level == 0 => {
            let shared = left.iter().find(|l| right.contains(l));
            base + shared.map_or(0.0, |value| table.adjustment(value))
        }
        _ => base,
    }
}

/// The level of each comparison for a pair (`None` where either side has no value): the
/// agreement pattern that estimation counts.
pub fn levels(rules: &MatchRules, a: &Standardized, b: &Standardized) -> Vec<Option<u8>> {
    let mailing = mailing_and_street(rules, a, b);
    rules
        .comparisons
        .iter()
        .map(|c| {
            let (left, right) = (values(c, a), values(c, b));
            comparable(rules, c, a, b, mailing)
                .then(|| best_similarity(c.method, &left, &right))
                .flatten()
                .map(|s| u8::try_from(c.level(s)).unwrap_or(u8::MAX))
        })
        .collect()
}

/// The values a comparison reads from one record: its fields (their model-number tokens or
/// pack sizes, pooled, for the `model_number` and `pack_size` methods).
fn values<'a>(comparison: &Comparison, record: &'a Standardized) -> Vec<&'a str> {
    if matches!(comparison.method, Method::ModelNumber | Method::PackSize) {
        return comparison
            .fields
            .iter()
            .filter_map(|f| derived_key(comparison.method, f).and_then(|k| record.get(&k)))
            .map(String::as_str)
            .collect();
    }
    comparison
        .fields
        .iter()
        .filter_map(|f| record.get(f))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .collect()
}

fn best_similarity(method: Method, left: &[&str], right: &[&str]) -> Option<f64> {
    if left.is_empty() || right.is_empty() {
        return None;
    }
    if pooled(method) {
        return Some(similarity(method, &left.join(" "), &right.join(" ")));
    }
    left.iter()
        .flat_map(|l| right.iter().map(move |r| similarity(method, l, r)))
        .reduce(f64::max)
}

/// Methods that read all their fields' values as one text (an address over two lines, the unit
/// numbers anywhere in a name or address).
fn pooled(method: Method) -> bool {
    matches!(
        method,
        Method::ModelNumber | Method::PackSize | Method::Address | Method::Numbers
    )
}

fn shown(values: &[&str]) -> Option<String> {
    (!values.is_empty()).then(|| values.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::matching::Level;

    fn rules() -> MatchRules {
        let level = |at_least, weight| Level { at_least, weight };
        MatchRules {
            prior: -4.0,
            ..MatchRules::for_tests(
                vec![],
                vec![
                    Comparison {
                        name: "name".into(),
                        fields: vec!["name".into()],
                        method: Method::JaroWinkler,
                        levels: vec![level(0.95, 4.0), level(0.0, -3.0)],
                        term_frequency: false,
                        frequencies: None,
                        within_source: false,
                    },
                    Comparison {
                        name: "tax_id".into(),
                        fields: vec!["tax_id".into()],
                        method: Method::Identifier,
                        levels: vec![level(1.0, 10.0), level(0.0, -10.0)],
                        term_frequency: false,
                        frequencies: None,
                        within_source: false,
                    },
                ],
            )
        }
    }

    fn record(pairs: &[(&str, &str)]) -> Standardized {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn evidence_names_every_field_with_both_values() {
        let a = record(&[("name", "acme"), ("tax_id", "123456789")]);
        let b = record(&[("name", "acme")]);
        let score = score_pair(&rules(), &a, &b);
        assert_eq!(score.evidence.len(), 2);
        assert_eq!(score.evidence[0].left.as_deref(), Some("acme"));
        assert_eq!(score.evidence[0].similarity, Some(1.0));
        assert_eq!(score.evidence[1].similarity, None);
        assert_eq!(score.evidence[1].weight, 0.0);
        assert_eq!(score.log_odds, 0.0);
        assert_eq!(score.probability, 0.5);
        assert_eq!(log_odds(&rules(), &a, &b), score.log_odds);
    }

    #[test]
    fn siblings_with_one_name_and_two_tax_ids_stay_apart() {
        let a = record(&[("name", "acme"), ("tax_id", "111111111")]);
        let b = record(&[("name", "acme"), ("tax_id", "222222222")]);
        assert!(score_pair(&rules(), &a, &b).probability < 0.01);
    }

    #[test]
    fn a_declared_group_counts_at_most_its_max_weight() {
        // Name and tax ID as one group capped at 5: agreement on both (4 + 10) counts 5.
        let mut capped = rules();
        capped.groups = vec![Group {
            name: "both".into(),
            members: vec![0, 1],
            corrections: None,
            max_weight: Some(5.0),
        }];
        let a = record(&[("name", "acme"), ("tax_id", "123456789")]);
        let score = score_pair(&capped, &a, &a);
        assert_eq!(score.log_odds, -4.0 + 5.0);
        let correction = score.evidence.last().unwrap();
        assert_eq!(
            (correction.field.as_str(), correction.weight),
            ("both", -9.0)
        );
        assert_eq!(log_odds(&capped, &a, &a), score.log_odds);
        // Below the cap, or against: nothing changes.
        let b = record(&[("name", "zenith"), ("tax_id", "222222222")]);
        assert_eq!(
            score_pair(&capped, &a, &b).log_odds,
            score_pair(&rules(), &a, &b).log_odds
        );
    }

    #[test]
    fn a_po_box_beside_a_street_address_says_nothing_about_the_site() {
        let level = |at_least, weight| Level { at_least, weight };
        let site = |name: &str, method| Comparison {
            name: name.into(),
            fields: vec![name.into()],
            method,
            levels: vec![level(0.95, 6.0), level(0.0, -10.0)],
            term_frequency: false,
            frequencies: None,
            within_source: false,
        };
        let mut lockbox_aware = rules();
        lockbox_aware
            .comparisons
            .push(site("address_line1", Method::Address));
        lockbox_aware.comparisons.push(site("city", Method::Exact));
        let plain = lockbox_aware.clone();
        lockbox_aware.po_box_neutral = vec!["address_line1".into(), "city".into()];

        let street = record(&[
            ("name", "acme"),
            ("address_line1", "12 main st"),
            ("city", "mesa"),
        ]);
        let lockbox = record(&[
            ("name", "acme"),
            ("address_line1", "po box 8737"),
            ("city", "dallas"),
        ]);
        let score = score_pair(&lockbox_aware, &street, &lockbox);
        assert_eq!(score.log_odds, -4.0 + 4.0, "{score:?}");
        assert!(
            score.evidence[2..]
                .iter()
                .all(|e| e.similarity.is_none() && e.weight == 0.0)
        );
        assert_eq!(log_odds(&lockbox_aware, &street, &lockbox), score.log_odds);
        assert_eq!(
            levels(&lockbox_aware, &street, &lockbox),
            [Some(0), None, None, None]
        );
        // Without the setting, the two addresses and cities disagree.
        assert_eq!(
            score_pair(&plain, &street, &lockbox).log_odds,
            -4.0 + 4.0 - 20.0
        );
        // Two lockboxes, or two streets, compare as usual.
        let other_lockbox = record(&[("address_line1", "po box 1"), ("city", "dallas")]);
        assert_eq!(levels(&lockbox_aware, &lockbox, &other_lockbox)[2], Some(1));
        assert_eq!(levels(&lockbox_aware, &street, &street)[2], Some(0));
    }
}
