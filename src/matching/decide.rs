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

/// Decides from candidates ranked best first (one entry per golden record).
pub fn decide(rules: &MatchRules, ranked: Vec<(String, PairScore)>) -> Outcome {
    let mut ranked = ranked.into_iter().peekable();
    match ranked.peek() {
        Some((_, best)) if best.probability >= rules.auto_link => match ranked.next() {
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
