//! Turning scored candidates into a decision.

use super::PairScore;
use crate::rules::matching::MatchRules;

/// What to do with an incoming record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Join this golden record. `bridged` are other golden records the record would join just
    /// as surely: it links them, so a merge of each with `golden_id` is proposed (merging golden
    /// records stays a steward's decision).
    AutoLink {
        golden_id: String,
        score: PairScore,
        bridged: Vec<(String, PairScore)>,
    },
    /// Get a golden record of its own and open a proposal against each of these.
    Propose(Vec<(String, PairScore)>),
    /// Stay apart.
    New,
}

/// Whether `score` is sure enough to join without review: above the auto-link threshold, no
/// identifier says otherwise, and one of the comparisons the rules name agrees at its top
/// level (an auto-link is a merge nobody reviews).
pub fn sure(rules: &MatchRules, score: &PairScore) -> bool {
    score.probability >= rules.auto_link && !score.identifiers_disagree() && needs_met(rules, score)
}

/// Whether one of `rules.auto_link_needs` reached its top level in `score` (true when the
/// rules name none).
fn needs_met(rules: &MatchRules, score: &PairScore) -> bool {
    rules.auto_link_needs.is_empty()
        || rules
            .comparisons
            .iter()
            .filter(|c| rules.auto_link_needs.contains(&c.name))
            .any(|c| {
                let top = c.levels.first().map_or(f64::INFINITY, |l| l.at_least);
                score
                    .evidence
                    .iter()
                    .any(|e| e.field == c.name && e.similarity.is_some_and(|s| s >= top))
            })
}

/// Decides from candidates ranked best first (one entry per golden record).
pub fn decide(rules: &MatchRules, ranked: Vec<(String, PairScore)>) -> Outcome {
    let mut ranked = ranked.into_iter().peekable();
    match ranked.peek() {
        Some((_, best)) if sure(rules, best) => match ranked.next() {
            Some((golden_id, score)) => Outcome::AutoLink {
                golden_id,
                score,
                bridged: ranked
                    .take_while(|(_, s)| s.probability >= rules.auto_link)
                    .take(rules.max_proposals)
                    .collect(),
            },
            None => Outcome::New,
        },
        Some((_, best)) if best.probability >= rules.review => {
            let floor = best.log_odds - rules.proposal_margin;
            Outcome::Propose(
                ranked
                    .take_while(|(_, s)| s.probability >= rules.review && s.log_odds >= floor)
                    .take(rules.max_proposals)
                    .collect(),
            )
        }
        _ => Outcome::New,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::score::FieldEvidence;
    use crate::rules::matching::Method;

    fn score(probability: f64, tax_ids: (&str, &str)) -> PairScore {
        PairScore {
            probability,
            log_odds: (probability / (1.0 - probability)).log2(),
            evidence: vec![FieldEvidence {
                field: "tax_id".into(),
                method: Method::Identifier,
                left: Some(tax_ids.0.into()),
                right: Some(tax_ids.1.into()),
                similarity: Some(f64::from(u8::from(tax_ids.0 == tax_ids.1))),
                weight: 0.0,
            }],
            matched_record_id: None,
        }
    }

    fn rules() -> MatchRules {
        MatchRules {
            auto_link: 0.99,
            review: 0.5,
            ..MatchRules::for_tests(vec![], vec![])
        }
    }

    #[test]
    fn a_sure_pair_links() {
        let outcome = decide(&rules(), vec![("G1".into(), score(0.999, ("1", "1")))]);
        assert!(matches!(outcome, Outcome::AutoLink { golden_id, .. } if golden_id == "G1"));
    }

    #[test]
    fn disagreeing_identifiers_go_to_review_however_high_the_score() {
        let outcome = decide(&rules(), vec![("G1".into(), score(0.9999, ("1", "2")))]);
        assert!(matches!(&outcome, Outcome::Propose(p) if p.len() == 1 && p[0].0 == "G1"));
    }

    #[test]
    fn an_auto_link_needs_a_named_comparison_at_its_top_level() {
        use crate::rules::matching::{Comparison, Level};
        let name = Comparison {
            name: "name".into(),
            fields: vec!["name".into()],
            method: Method::NameWords,
            levels: vec![
                Level {
                    at_least: 0.99,
                    weight: 8.0,
                },
                Level {
                    at_least: 0.0,
                    weight: 0.0,
                },
            ],
            term_frequency: false,
            frequencies: None,
            within_source: false,
        };
        let rules = MatchRules {
            auto_link_needs: vec!["name".into()],
            comparisons: vec![name],
            ..rules()
        };
        let with_name = |similarity: f64| {
            let mut s = score(0.9999, ("1", "1"));
            s.evidence.push(FieldEvidence {
                field: "name".into(),
                method: Method::NameWords,
                left: Some("pioneer biomedical".into()),
                right: Some("pioneer biomedical holdings".into()),
                similarity: Some(similarity),
                weight: 0.0,
            });
            s
        };
        let close = decide(&rules, vec![("G1".into(), with_name(0.95))]);
        assert!(
            matches!(&close, Outcome::Propose(p) if p[0].0 == "G1"),
            "{close:?}"
        );
        let equal = decide(&rules, vec![("G1".into(), with_name(1.0))]);
        assert!(matches!(equal, Outcome::AutoLink { .. }), "{equal:?}");
    }

    #[test]
    fn a_golden_record_with_another_identifier_is_bridged_not_joined() {
        // Bridged golden records get a merge proposal, never a link.
        let outcome = decide(
            &rules(),
            vec![
                ("G1".into(), score(0.999, ("1", "1"))),
                ("G2".into(), score(0.999, ("1", "2"))),
            ],
        );
        assert!(
            matches!(&outcome, Outcome::AutoLink { golden_id, bridged, .. }
                if golden_id == "G1" && bridged.len() == 1 && bridged[0].0 == "G2"),
            "{outcome:?}"
        );
    }
}
