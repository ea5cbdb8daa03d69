//! Estimating a match model from the data, as Fellegi-Sunter linkers do: pairs are reduced to
//! agreement patterns (one level per comparison), `u` starts from random pairs, and `m`, `u`
//! and the match rate among candidate pairs are fitted by expectation-maximisation. Steward
//! decisions enter as pairs whose class is known. Thresholds are then read off the fitted
//! model: the auto-link threshold for a target precision, the review threshold for a queue
//! size.
//!
//! `u` is fitted on candidate pairs, not fixed from random pairs: decisions are only ever
//! taken between a record and its candidates, and candidates agree on names far more often
//! than random pairs do, so the random-pair `u` would count that agreement as evidence.
//! Everything here is pure: the service gathers the pairs.

use std::collections::{BTreeMap, HashMap};

/// One pair's agreement pattern: per comparison, its level (`None` where either side has no
/// value: missing is neutral).
pub type Pattern = Vec<Option<u8>>;

/// Agreement patterns and how many pairs show each, in a fixed order so that the same pairs
/// always sum to the same model.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    counts: BTreeMap<Pattern, f64>,
}

impl Patterns {
    pub fn add(&mut self, pattern: Pattern) {
        *self.counts.entry(pattern).or_default() += 1.0;
    }

    /// Number of pairs counted.
    pub fn pairs(&self) -> f64 {
        self.counts.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = (&Pattern, f64)> {
        self.counts.iter().map(|(p, c)| (p, *c))
    }
}

impl FromIterator<Pattern> for Patterns {
    fn from_iter<I: IntoIterator<Item = Pattern>>(iter: I) -> Self {
        let mut patterns = Self::default();
        iter.into_iter().for_each(|p| patterns.add(p));
        patterns
    }
}

/// Comparisons that can tell pairs apart: a value on both sides in at least this share of the
/// candidate pairs...
const MIN_PRESENT: f64 = 0.1;
/// ... and not all in one level: at least this share of those pairs outside the commonest.
const MIN_SPREAD: f64 = 0.01;
/// A latent-class fit needs at least three comparisons that tell pairs apart to separate
/// matches from non-matches; with fewer, any split fits the pairs equally well.
pub const MIN_INFORMATIVE: usize = 3;

/// The comparisons (by index) with values in enough candidate pairs and spread over more
/// than one level.
pub fn informative(candidates: &Patterns, shape: &[usize]) -> Vec<usize> {
    let mut counts = zeros(shape);
    for (pattern, count) in candidates.iter() {
        add_counts(&mut counts, pattern, count);
    }
    let pairs = candidates.pairs().max(1.0);
    counts
        .iter()
        .enumerate()
        .filter(|(_, levels)| {
            let present: f64 = levels.iter().sum();
            let commonest = levels.iter().copied().fold(0.0, f64::max);
            present / pairs >= MIN_PRESENT && (present - commonest) / present >= MIN_SPREAD
        })
        .map(|(i, _)| i)
        .collect()
}

/// Per comparison, per level, a probability.
pub type LevelProbabilities = Vec<Vec<f64>>;

/// Pseudo-count added to every level so that a level no pair showed gets a small, finite
/// probability instead of zero (an infinite weight).
const PSEUDO_COUNT: f64 = 0.5;

/// Shares of each level among the pairs where the comparison has a value. `shape` gives the
/// number of levels of each comparison.
pub fn level_shares(patterns: &Patterns, shape: &[usize]) -> LevelProbabilities {
    let mut counts = zeros(shape);
    for (pattern, count) in patterns.iter() {
        add_counts(&mut counts, pattern, count);
    }
    normalise(counts)
}

fn zeros(shape: &[usize]) -> LevelProbabilities {
    shape.iter().map(|&levels| vec![0.0; levels]).collect()
}

fn add_counts(counts: &mut LevelProbabilities, pattern: &Pattern, weight: f64) {
    for (levels, level) in counts.iter_mut().zip(pattern) {
        if let Some(slot) = level.and_then(|l| levels.get_mut(usize::from(l))) {
            *slot += weight;
        }
    }
}

fn normalise(counts: LevelProbabilities) -> LevelProbabilities {
    counts
        .into_iter()
        .map(|levels| {
            let total: f64 = levels.iter().sum::<f64>() + PSEUDO_COUNT * levels.len() as f64;
            levels.iter().map(|c| (c + PSEUDO_COUNT) / total).collect()
        })
        .collect()
}

/// Pairs' worth of belief that the random-pair shares give `u` (per comparison): the fit
/// refines `u` on candidate pairs, but a level candidates rarely show keeps the random-pair
/// share instead of a pseudo-count's.
const U_PRIOR_PAIRS: f64 = 50.0;

/// Level shares from expected counts, shrunk towards `prior` as if [`U_PRIOR_PAIRS`] pairs
/// had fallen in its proportions.
fn with_prior(counts: LevelProbabilities, prior: &LevelProbabilities) -> LevelProbabilities {
    counts
        .into_iter()
        .zip(prior)
        .map(|(levels, prior)| {
            let total: f64 = levels.iter().sum::<f64>() + U_PRIOR_PAIRS;
            levels
                .iter()
                .zip(prior)
                .map(|(c, p)| (c + U_PRIOR_PAIRS * p) / total)
                .collect()
        })
        .collect()
}

/// Starting `m` for a comparison of `levels` levels: most matches at the top level, the rest
/// halving level by level. Only a start: estimation moves it.
fn starting_m(levels: usize) -> Vec<f64> {
    if levels == 1 {
        return vec![1.0];
    }
    let mut rest: Vec<f64> = (1..levels).map(|i| 0.5_f64.powi(i as i32)).collect();
    let total: f64 = rest.iter().sum();
    rest.iter_mut().for_each(|x| *x *= 0.1 / total);
    std::iter::once(0.9).chain(rest).collect()
}

/// Pairs whose class a steward (or a labels file) settled.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub matches: Patterns,
    pub non_matches: Patterns,
}

impl Labels {
    pub fn pairs(&self) -> f64 {
        self.matches.pairs() + self.non_matches.pairs()
    }
}

/// How the fit ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub m: LevelProbabilities,
    pub u: LevelProbabilities,
    /// Share of candidate pairs that match: the prior of a candidate pair.
    pub match_rate: f64,
    /// Per group of comparisons that describe one fact: for each combination of the members'
    /// levels seen, the log2 correction of the sum of their separate weights, where their
    /// agreements go together more often than independence predicts. A correction never
    /// lifts the group's total above zero.
    pub corrections: Vec<HashMap<Pattern, f64>>,
    pub iterations: usize,
    pub converged: bool,
    /// The declared weights of the comparisons held out of the fit (see [`Start::held`]).
    pub held: Vec<Option<Vec<f64>>>,
}

impl Fit {
    /// log2(m/u) per comparison and level.
    pub fn weights(&self) -> LevelProbabilities {
        with_held(log_ratios(&self.m, &self.u), &self.held)
    }

    /// The prior in log2 odds.
    pub fn prior(&self) -> f64 {
        (self.match_rate / (1.0 - self.match_rate)).log2()
    }

    /// The log2 odds of a pattern: prior plus each present comparison's weight plus each
    /// group's correction.
    pub fn log_odds(&self, pattern: &Pattern, groups: &[Vec<usize>]) -> f64 {
        self.prior() + pattern_weight(&self.weights(), &self.corrections, groups, pattern)
    }
}

/// The members' levels of a group, in member order.
pub fn group_levels(group: &[usize], pattern: &Pattern) -> Pattern {
    group
        .iter()
        .map(|&i| pattern.get(i).copied().flatten())
        .collect()
}

fn pattern_weight(
    weights: &LevelProbabilities,
    corrections: &[HashMap<Pattern, f64>],
    groups: &[Vec<usize>],
    pattern: &Pattern,
) -> f64 {
    let separate: f64 = weights
        .iter()
        .zip(pattern)
        .filter_map(|(levels, level)| level.and_then(|l| levels.get(usize::from(l))))
        .sum();
    let joint: f64 = groups
        .iter()
        .zip(corrections)
        .filter_map(|(group, table)| table.get(&group_levels(group, pattern)))
        .sum();
    separate + joint
}

/// Limits of the fit.
#[derive(Debug, Clone, Copy)]
pub struct EmOptions {
    pub max_iterations: usize,
    /// Stop when no probability moves by more than this.
    pub tolerance: f64,
}

impl Default for EmOptions {
    fn default() -> Self {
        Self {
            max_iterations: 200,
            tolerance: 1e-6,
        }
    }
}

/// Pairs' worth of belief in independence that a group's joint shares are shrunk towards.
const JOINT_PRIOR_PAIRS: f64 = 50.0;

/// Expected counts of one group's member-level combinations in one class.
#[derive(Default)]
struct JointCounts {
    cells: HashMap<Pattern, f64>,
    /// Totals per missingness (which members have a value).
    strata: HashMap<Vec<bool>, f64>,
}

impl JointCounts {
    fn add(&mut self, levels: Pattern, weight: f64) {
        if levels.iter().all(Option::is_none) || weight == 0.0 {
            return;
        }
        *self
            .strata
            .entry(levels.iter().map(Option::is_some).collect())
            .or_default() += weight;
        *self.cells.entry(levels).or_default() += weight;
    }

    /// The share of a combination among pairs with the same members present, shrunk towards
    /// what independence (`expected`) predicts as if [`JOINT_PRIOR_PAIRS`] pairs had shown
    /// exactly that: dependence is learned where many pairs show it, and strata too thin to
    /// tell stay close to independent.
    fn share(&self, levels: &Pattern, expected: f64) -> f64 {
        let stratum: Vec<bool> = levels.iter().map(Option::is_some).collect();
        let total = self.strata.get(&stratum).copied().unwrap_or(0.0);
        let counted = self.cells.get(levels).copied().unwrap_or(0.0);
        (counted + JOINT_PRIOR_PAIRS * expected) / (total + JOINT_PRIOR_PAIRS)
    }
}

/// What independence predicts for a combination: the product of the present members' level
/// probabilities.
fn independent(levels: &Pattern, group: &[usize], probabilities: &LevelProbabilities) -> f64 {
    levels
        .iter()
        .zip(group)
        .filter_map(|(level, &i)| {
            level.and_then(|l| probabilities.get(i).and_then(|p| p.get(usize::from(l))))
        })
        .product()
}

fn corrections_of(
    group: &[usize],
    m_joint: &JointCounts,
    u_joint: &JointCounts,
    m: &LevelProbabilities,
    u: &LevelProbabilities,
) -> HashMap<Pattern, f64> {
    let seen: std::collections::HashSet<&Pattern> =
        m_joint.cells.keys().chain(u_joint.cells.keys()).collect();
    seen.into_iter()
        .filter_map(|levels| {
            let (tm, tu) = (independent(levels, group, m), independent(levels, group, u));
            if tm <= 0.0 || tu <= 0.0 {
                return None;
            }
            let (jm, ju) = (m_joint.share(levels, tm), u_joint.share(levels, tu));
            // One fact counts once, both ways: agreement counted twice is lowered, and
            // disagreement counted twice is raised, but never above no evidence at all, so a
            // group never adds evidence for a match that its members did not give.
            let separate = (tm / tu).log2();
            let correction = ((jm / ju).log2() - separate).min((-separate).max(0.0));
            (correction.is_finite() && correction.abs() > 1e-9)
                .then(|| (levels.clone(), correction))
        })
        .collect()
}

/// Where the fit starts.
#[derive(Debug, Clone)]
pub struct Start {
    /// `u` per level: random pairs' shares.
    pub u: LevelProbabilities,
    /// The rule file's declared prior and weights: the first split of the candidate pairs into
    /// matches and non-matches, so that the fit refines the domain's declared structure (an
    /// identifier outweighs a name) instead of settling on whatever else makes pairs alike,
    /// such as sharing a building.
    pub declared: Option<(f64, LevelProbabilities)>,
    /// Per comparison, the declared weights to keep instead of fitting them: a comparison
    /// made only between records of one source system has values in same-system pairs only,
    /// so left to the fit it would describe "the same system" rather than "the same entity".
    pub held: Vec<Option<Vec<f64>>>,
}

/// `weights` with the held comparisons' declared weights in place of the fitted ones.
fn with_held(mut weights: LevelProbabilities, held: &[Option<Vec<f64>>]) -> LevelProbabilities {
    for (fitted, declared) in weights.iter_mut().zip(held) {
        if let Some(declared) = declared {
            fitted.clone_from(declared);
        }
    }
    weights
}

/// Fits `m`, `u` and the match rate to the candidate pairs by expectation-maximisation, with
/// labelled pairs held at their class. Weights stay ordered like the levels (a closer
/// agreement never weighs less than a looser one). Comparisons in one of `groups` also get
/// corrections for how they agree together.
pub fn fit(
    candidates: &Patterns,
    labels: &Labels,
    shape: &[usize],
    groups: &[Vec<usize>],
    start: &Start,
    options: EmOptions,
) -> Fit {
    let mut m: LevelProbabilities = shape.iter().map(|&l| starting_m(l)).collect();
    let mut u = start.u.clone();
    let mut corrections: Vec<HashMap<Pattern, f64>> = vec![HashMap::new(); groups.len()];
    let mut match_rate: f64 = 0.1;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < options.max_iterations {
        iterations += 1;
        let (weights, prior) = match (&start.declared, iterations) {
            (Some((prior, weights)), 1) => (weights.clone(), *prior),
            _ => (
                with_held(log_ratios(&m, &u), &start.held),
                (match_rate / (1.0 - match_rate)).log2(),
            ),
        };
        let (mut m_counts, mut u_counts) = (zeros(shape), zeros(shape));
        let mut m_joint: Vec<JointCounts> = groups.iter().map(|_| JointCounts::default()).collect();
        let mut u_joint: Vec<JointCounts> = groups.iter().map(|_| JointCounts::default()).collect();
        let (mut expected_matches, mut total) = (0.0, 0.0);
        let mut count = |pattern: &Pattern, in_m: f64, in_u: f64| {
            add_counts(&mut m_counts, pattern, in_m);
            add_counts(&mut u_counts, pattern, in_u);
            for (g, group) in groups.iter().enumerate() {
                m_joint[g].add(group_levels(group, pattern), in_m);
                u_joint[g].add(group_levels(group, pattern), in_u);
            }
        };
        for (pattern, n) in candidates.iter() {
            let weight = pattern_weight(&weights, &corrections, groups, pattern);
            let p = super::probability(prior + weight);
            count(pattern, p * n, (1.0 - p) * n);
            expected_matches += p * n;
            total += n;
        }
        for (pattern, n) in labels.matches.iter() {
            count(pattern, n, 0.0);
        }
        for (pattern, n) in labels.non_matches.iter() {
            count(pattern, 0.0, n);
        }
        let next_rate = if total > 0.0 {
            (expected_matches / total).clamp(1e-6, 1.0 - 1e-6)
        } else {
            match_rate
        };
        let (mut next_m, mut next_u) = (normalise(m_counts), with_prior(u_counts, &start.u));
        next_m
            .iter_mut()
            .zip(next_u.iter_mut())
            .for_each(|(m, u)| monotone(m, u));
        corrections = groups
            .iter()
            .enumerate()
            .map(|(g, group)| corrections_of(group, &m_joint[g], &u_joint[g], &next_m, &next_u))
            .collect();
        let moved = largest_change(&m, &next_m)
            .max(largest_change(&u, &next_u))
            .max((next_rate - match_rate).abs());
        (m, u, match_rate) = (next_m, next_u, next_rate);
        if moved < options.tolerance {
            converged = true;
            break;
        }
    }
    Fit {
        m,
        u,
        match_rate,
        corrections,
        iterations,
        converged,
        held: start.held.clone(),
    }
}

/// Pools adjacent levels whose weights rise where the levels fall (pool-adjacent-violators
/// on m/u, weighted by u), keeping each pool's total `m` and `u`: a level that agrees more
/// never weighs less than one that agrees less.
fn monotone(m: &mut [f64], u: &mut [f64]) {
    // Blocks of (first level, last level, total m, total u), merged while out of order.
    let mut blocks: Vec<(usize, usize, f64, f64)> = Vec::with_capacity(m.len());
    for i in 0..m.len() {
        blocks.push((i, i, m[i], u[i]));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.2 / a.3 >= b.2 / b.3 {
                break;
            }
            blocks.pop();
            blocks.pop();
            blocks.push((a.0, b.1, a.2 + b.2, a.3 + b.3));
        }
    }
    for (first, last, total_m, total_u) in blocks {
        if first == last {
            continue;
        }
        for i in first..=last {
            m[i] = u[i] * total_m / total_u;
        }
    }
}

fn log_ratios(m: &LevelProbabilities, u: &LevelProbabilities) -> LevelProbabilities {
    m.iter()
        .zip(u)
        .map(|(m, u)| m.iter().zip(u).map(|(m, u)| (m / u).log2()).collect())
        .collect()
}

fn largest_change(a: &LevelProbabilities, b: &LevelProbabilities) -> f64 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Thresholds read off a fitted model, with what the model expects of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub auto_link: f64,
    pub review: f64,
    /// The model's estimate of the precision of the pairs it would auto-link.
    pub expected_precision: f64,
    /// The model's estimate of the review queue's growth per 1,000 records.
    pub expected_proposals_per_1000: f64,
}

/// What the thresholds are chosen for.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    pub precision: f64,
    pub proposals_per_1000: f64,
    /// The review threshold never goes below this.
    pub review_floor: f64,
    /// Records whose candidates the pairs are: the queue estimate's denominator.
    pub records: f64,
}

/// The auto-link threshold is the target precision itself, on the model's probability: every
/// auto-link must be at least that likely a match (so the expected precision of all of them
/// is higher still, if the model is calibrated). The review threshold is the lowest whose
/// band of candidate pairs fits the queue budget, never below the floor.
pub fn calibrate(
    fit: &Fit,
    groups: &[Vec<usize>],
    candidates: &Patterns,
    targets: Targets,
) -> Thresholds {
    let weights = fit.weights();
    let prior = fit.prior();
    let mut scored: Vec<(f64, f64)> = candidates
        .iter()
        .map(|(pattern, count)| {
            let weight = pattern_weight(&weights, &fit.corrections, groups, pattern);
            (super::probability(prior + weight), count)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Auto-link: every pair taken must itself be at least as likely a match as the target
    // precision asks of all of them, so the marginal auto-link is as sure as the average.
    let first_below = scored
        .iter()
        .position(|&(p, _)| p < targets.precision)
        .unwrap_or(scored.len());
    let (matches, taken) = scored[..first_below]
        .iter()
        .fold((0.0, 0.0), |(m, t), &(p, c)| (m + p * c, t + c));
    let auto = (
        targets.precision,
        if taken > 0.0 { matches / taken } else { 1.0 },
    );
    // Review: walk further down while the band fits the queue budget.
    let budget = targets.proposals_per_1000 * targets.records.max(1.0) / 1000.0;
    let mut review = auto.0;
    let mut queued = 0.0;
    for &(p, count) in &scored[first_below..] {
        if p < targets.review_floor || queued + count > budget {
            break;
        }
        queued += count;
        review = p;
    }
    let review = review.max(targets.review_floor).min(auto.0);
    Thresholds {
        auto_link: auto.0,
        review,
        expected_precision: auto.1,
        expected_proposals_per_1000: queued * 1000.0 / targets.records.max(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three comparisons of two levels (agree, disagree). Matches agree on each 90% of the
    /// time, non-matches 5%, 20% and 2%.
    fn synthetic(matches: usize, non_matches: usize) -> Patterns {
        let mut patterns = Patterns::default();
        let mut lcg: u64 = 7;
        let mut draw = |p: f64| {
            lcg = lcg
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((lcg >> 11) as f64 / (1u64 << 53) as f64) < p
        };
        let level = |agree: bool| Some(u8::from(!agree));
        for _ in 0..matches {
            let pattern = vec![level(draw(0.9)), level(draw(0.9)), level(draw(0.9))];
            patterns.add(pattern);
        }
        for _ in 0..non_matches {
            let pattern = vec![level(draw(0.05)), level(draw(0.2)), level(draw(0.02))];
            patterns.add(pattern);
        }
        patterns
    }

    /// Fits the three two-level comparisons of [`synthetic`], `u` starting at 1% agreement.
    fn fit_synthetic(
        candidates: &Patterns,
        labels: &Labels,
        groups: &[Vec<usize>],
        declared: Option<(f64, LevelProbabilities)>,
    ) -> Fit {
        let start = Start {
            u: vec![vec![0.01, 0.99]; 3],
            declared,
            held: vec![None; 3],
        };
        fit(
            candidates,
            labels,
            &[2, 2, 2],
            groups,
            &start,
            EmOptions::default(),
        )
    }

    #[test]
    fn em_recovers_the_match_rate_and_the_level_probabilities() {
        let candidates = synthetic(2_000, 8_000);
        let fit = fit_synthetic(&candidates, &Labels::default(), &[], None);
        assert!(fit.converged, "{fit:?}");
        assert!((fit.match_rate - 0.2).abs() < 0.02, "{fit:?}");
        assert!((fit.m[0][0] - 0.9).abs() < 0.03, "{fit:?}");
        assert!((fit.u[0][0] - 0.05).abs() < 0.02, "{fit:?}");
        assert!((fit.u[1][0] - 0.2).abs() < 0.03, "{fit:?}");
        let weights = fit.weights();
        assert!(weights[0][0] > 3.0 && weights[0][1] < -2.0, "{weights:?}");
    }

    #[test]
    fn a_held_comparison_keeps_its_declared_weights_and_the_rest_are_fitted() {
        let candidates = synthetic(2_000, 8_000);
        let start = Start {
            u: vec![vec![0.01, 0.99]; 3],
            declared: None,
            held: vec![None, None, Some(vec![1.5, -0.5])],
        };
        let fit = fit(
            &candidates,
            &Labels::default(),
            &[2, 2, 2],
            &[],
            &start,
            EmOptions::default(),
        );
        let weights = fit.weights();
        assert_eq!(weights[2], vec![1.5, -0.5]);
        assert!((fit.match_rate - 0.2).abs() < 0.03, "{fit:?}");
        assert!(weights[0][0] > 3.0 && weights[1][0] > 1.0, "{weights:?}");
    }

    #[test]
    fn missing_values_count_for_neither_class() {
        let mut candidates = synthetic(1_000, 4_000);
        for _ in 0..5_000 {
            candidates.add(vec![None, Some(1), None]);
        }
        let fit = fit_synthetic(&candidates, &Labels::default(), &[], None);
        assert!((fit.m[0][0] - 0.9).abs() < 0.05, "{fit:?}");
        assert!((fit.u[0][0] - 0.05).abs() < 0.03, "{fit:?}");
    }

    #[test]
    fn labelled_pairs_pull_the_fit_towards_their_class() {
        let candidates = synthetic(500, 5_000);
        let plain = fit_synthetic(&candidates, &Labels::default(), &[], None);
        // Stewards said pairs that disagree on the first comparison still match.
        let labels = Labels {
            matches: std::iter::repeat_n(vec![Some(1), Some(0), Some(0)], 300).collect(),
            non_matches: Patterns::default(),
        };
        let taught = fit_synthetic(&candidates, &labels, &[], None);
        assert!(
            taught.m[0][1] > plain.m[0][1] + 0.05,
            "{plain:?} {taught:?}"
        );
    }

    #[test]
    fn calibration_meets_the_precision_target_and_the_queue_budget() {
        let candidates = synthetic(2_000, 8_000);
        let fit = fit_synthetic(&candidates, &Labels::default(), &[], None);
        let targets = Targets {
            precision: 0.995,
            proposals_per_1000: 100.0,
            review_floor: 0.05,
            records: 10_000.0,
        };
        let t = calibrate(&fit, &[], &candidates, targets);
        assert!(t.expected_precision >= 0.995, "{t:?}");
        assert!(t.review <= t.auto_link, "{t:?}");
        assert!(t.review >= 0.05, "{t:?}");
        assert!(t.expected_proposals_per_1000 <= 100.0, "{t:?}");
        // Every pair with all three agreeing is auto-linked; one with two disagreeing is not.
        let all_agree = super::super::probability(fit.log_odds(&vec![Some(0); 3], &[]));
        let mostly_not =
            super::super::probability(fit.log_odds(&vec![Some(0), Some(1), Some(1)], &[]));
        assert!(
            all_agree >= t.auto_link && mostly_not < t.auto_link,
            "{t:?}"
        );
        // A tighter queue raises the review threshold.
        let tight = calibrate(
            &fit,
            &[],
            &candidates,
            Targets {
                proposals_per_1000: 1.0,
                ..targets
            },
        );
        assert!(tight.review >= t.review, "{tight:?} {t:?}");
    }

    #[test]
    fn three_comparisons_with_values_are_needed_to_estimate() {
        let candidates = synthetic(200, 800);
        assert_eq!(informative(&candidates, &[2, 2, 2]), vec![0, 1, 2]);
        let sparse: Patterns = (0..1_000)
            .map(|i| vec![Some(u8::from(i % 2 == 0)), None, Some(0)])
            .collect();
        assert_eq!(
            informative(&sparse, &[2, 2, 2]),
            vec![0],
            "the second never has values, the third never varies"
        );
    }

    #[test]
    fn group_corrections_never_lift_a_group_above_zero_and_thin_strata_stay_independent() {
        // The first two comparisons describe one fact: non-matches agree on both together
        // far more often than their separate shares predict.
        let mut candidates = synthetic(2_000, 6_000);
        for _ in 0..2_000 {
            candidates.add(vec![Some(0), Some(0), Some(1)]);
        }
        let groups = vec![vec![0, 1]];
        let fitted = fit_synthetic(&candidates, &Labels::default(), &groups, None);
        let table = &fitted.corrections[0];
        let weights = fitted.weights();
        for (levels, correction) in table {
            let separate: f64 = levels
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.map(|l| weights[i][usize::from(l)]))
                .sum();
            assert!(
                *correction <= 0.0 || separate + correction <= 1e-9,
                "a correction never lifts a group above no evidence: {levels:?} {separate} {correction}"
            );
        }
        let both = table.get(&vec![Some(0), Some(0)]).copied().unwrap_or(0.0);
        assert!(both < -1.0, "agreeing on both counts less: {table:?}");
        // A combination in a stratum of a few pairs stays close to independent.
        let mut thin = JointCounts::default();
        thin.add(vec![Some(0), None], 3.0);
        let share = thin.share(&vec![Some(0), None], 0.1);
        assert!((share - 0.1).abs() < 0.06, "{share}");
    }

    #[test]
    fn weights_follow_the_order_of_the_levels() {
        let (mut m, mut u) = (vec![0.6, 0.1, 0.2, 0.1], vec![0.1, 0.2, 0.2, 0.5]);
        monotone(&mut m, &mut u);
        let ratios: Vec<f64> = m.iter().zip(&u).map(|(m, u)| m / u).collect();
        assert!(
            ratios.windows(2).all(|w| w[0] >= w[1] - 1e-12),
            "{ratios:?}"
        );
        assert!((m.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(
            (m[1] + m[2] - 0.3).abs() < 1e-12,
            "the pooled levels keep their total"
        );
        assert_eq!(m[0], 0.6);
    }

    #[test]
    fn declared_weights_only_start_the_fit() {
        let candidates = synthetic(2_000, 8_000);
        let plain = fit_synthetic(&candidates, &Labels::default(), &[], None);
        let declared = Some((-2.0, vec![vec![1.0, -1.0]; 3]));
        let seeded = fit_synthetic(&candidates, &Labels::default(), &[], declared);
        assert!(
            (seeded.match_rate - plain.match_rate).abs() < 0.01,
            "{seeded:?}"
        );
        assert!((seeded.m[2][0] - plain.m[2][0]).abs() < 0.01, "{seeded:?}");
    }

    #[test]
    fn level_shares_are_smoothed_so_unseen_levels_stay_finite() {
        let patterns: Patterns = std::iter::repeat_n(vec![Some(1)], 100).collect();
        let shares = level_shares(&patterns, &[2]);
        assert!(shares[0][0] > 0.0 && shares[0][0] < 0.01, "{shares:?}");
        assert!((shares[0][0] + shares[0][1] - 1.0).abs() < 1e-12);
    }
}
