//! A domain's match model: estimated from the stored records and steward decisions, stored
//! versioned, activated explicitly (audited), exported and imported. The active model's
//! weights and thresholds replace the rule file's declared ones for matching; a domain with
//! no model (or whose rules changed since) matches with the declared weights.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use super::{Golden, ServiceError};
use crate::matching::estimate::{self, EmOptions, Labels, Patterns, Start, Targets};
use crate::matching::model::{
    ComparisonModel, Correction, GroupModel, LevelModel, MatchModel, TrainingSummary,
};
use crate::matching::{Standardized, keys, score};
use crate::model::record_status;
use crate::rules::Domain;
use crate::rules::matching::{Comparison, MatchRules, TermFrequencies};
use crate::service::stewardship::Actor;
use crate::store::DbConnection;
use crate::store::models::{MatchModelRow, NewAudit};
use crate::store::queries::{audit, models, records};

/// Two source records a labels file says are (or are not) the same entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledPair {
    pub a: (String, String),
    pub b: (String, String),
    pub is_match: bool,
}

/// How an estimation samples.
#[derive(Debug, Clone)]
pub struct EstimateOptions {
    pub seed: u64,
    /// Records whose candidates are scored (and among which random pairs are drawn).
    pub sample_records: usize,
    pub random_pairs: usize,
    /// Make the new model the active one.
    pub activate: bool,
    /// Labels from a file, besides the stewards' decisions (seeds a new deployment).
    pub labels: Vec<LabelledPair>,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            sample_records: 50_000,
            random_pairs: 300_000,
            activate: true,
            labels: Vec::new(),
        }
    }
}

/// A stored model as `/v1/domains` and the model endpoints show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    pub version: i64,
    /// `estimated`, `imported`, or `estimated_from_file` (by a bulk load, before loading).
    pub origin: String,
    pub active: bool,
    /// Whether it fits the domain's current comparisons; a model that does not is not used.
    pub applies: bool,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub auto_link: f64,
    pub review: f64,
    pub prior: f64,
    pub summary: TrainingSummary,
}

/// The active models and the domains as matching sees them with those models applied.
#[derive(Default)]
pub(super) struct ActiveModels {
    domains: HashMap<String, (Arc<Domain>, ModelInfo)>,
}

/// Most labelled pairs read from steward decisions.
const MAX_LABELS: i64 = 20_000;
/// Most common values kept per term-frequency table.
const MAX_FREQUENT_VALUES: usize = 5_000;
/// Records read per page while scanning a domain.
const PAGE: i64 = 10_000;

fn info(row: &MatchModelRow, model: &MatchModel, applies: bool) -> ModelInfo {
    ModelInfo {
        version: row.version,
        origin: row.origin.clone(),
        active: row.active,
        applies,
        created_by: row.created_by.clone(),
        created_at: super::views::utc(row.created_at),
        auto_link: model.auto_link,
        review: model.review,
        prior: model.prior,
        summary: model.summary.clone(),
    }
}

impl Golden {
    /// The domain as matching uses it: with the active model applied, if any.
    pub(super) fn modelled_domain(&self, name: &str) -> Option<Arc<Domain>> {
        self.refresh_models();
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        models.domains.get(name).map(|(d, _)| d.clone())
    }

    /// The active model of a domain, if it has one.
    pub fn active_model(&self, domain: &str) -> Option<ModelInfo> {
        self.refresh_models();
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        models.domains.get(domain).map(|(_, info)| info.clone())
    }

    /// Reads the active models from the store and applies them. A stored model that cannot
    /// be read or no longer fits its rules is skipped with a warning: that domain matches with
    /// its declared weights, the others are unaffected.
    pub(super) fn load_models(&self) -> Result<(), ServiceError> {
        let mut conn = self.store.conn()?;
        let rows = models::active(&mut conn)?;
        drop(conn);
        let mut active = ActiveModels::default();
        for row in rows {
            let Some(declared) = self.rules.domain(&row.domain) else {
                continue;
            };
            let model = match serde_json::from_str::<MatchModel>(&row.model) {
                Ok(model) if check_numbers(&model).is_ok() => model,
                _ => {
                    tracing::warn!(domain = %row.domain, version = row.version,
                        "the active match model cannot be read: matching uses the declared weights");
                    continue;
                }
            };
            let applied = declared
                .matching
                .as_ref()
                .and_then(|rules| model.apply(rules, row.version));
            match applied {
                Some(rules) => {
                    let mut domain = Domain::clone(declared);
                    domain.matching = Some(rules);
                    active.domains.insert(
                        row.domain.clone(),
                        (Arc::new(domain), info(&row, &model, true)),
                    );
                }
                None => tracing::warn!(
                    domain = %row.domain,
                    version = row.version,
                    "the active match model does not fit the domain's comparisons: matching uses the declared weights until a new model is estimated"
                ),
            }
        }
        *self.models.write().unwrap_or_else(|p| p.into_inner()) = active;
        Ok(())
    }

    /// Notes that a model activation was replayed from the feed; the models are read again
    /// before the next domain lookup, outside any write transaction.
    pub(super) fn models_changed(&self) {
        self.models_stale
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Reads the models again if an activation was replayed since; on failure the flag stays,
    /// so the next lookup tries again.
    pub(super) fn refresh_models(&self) {
        use std::sync::atomic::Ordering;
        if self.models_stale.swap(false, Ordering::SeqCst)
            && let Err(e) = self.load_models()
        {
            self.models_stale.store(true, Ordering::SeqCst);
            tracing::warn!(error = %crate::service::error::chain(&e), "cannot read the match models again: retrying at the next request");
        }
    }

    /// A domain's stored models, newest first.
    pub fn list_models(&self, domain: &str) -> Result<Vec<ModelInfo>, ServiceError> {
        let declared = self.declared_domain(domain)?;
        let mut conn = self.store.conn()?;
        models::list(&mut conn, domain)?
            .into_iter()
            .map(|row| {
                let model: MatchModel = serde_json::from_str(&row.model)?;
                let applies = declared.matching.as_ref().is_some_and(|r| model.fits(r));
                Ok(info(&row, &model, applies))
            })
            .collect()
    }

    /// A stored model (the active one when `version` is `None`), to export.
    pub fn export_model(
        &self,
        domain: &str,
        version: Option<i64>,
    ) -> Result<MatchModel, ServiceError> {
        self.declared_domain(domain)?;
        let version = match version {
            Some(v) => v,
            None => {
                self.active_model(domain)
                    .ok_or_else(|| {
                        ServiceError::NotFound(format!("an active model of domain {domain:?}"))
                    })?
                    .version
            }
        };
        let mut conn = self.store.conn()?;
        let row = models::find(&mut conn, domain, version)?
            .ok_or_else(|| ServiceError::NotFound(format!("model version {version}")))?;
        Ok(serde_json::from_str(&row.model)?)
    }

    /// Stores a model made elsewhere as the domain's next version and activates it (audited).
    pub fn import_model(
        &self,
        domain: &str,
        model: MatchModel,
        actor: &Actor,
    ) -> Result<ModelInfo, ServiceError> {
        self.adopt_model(domain, model, "imported", actor)
    }

    /// [`Golden::import_model`] with the origin to record (`imported`, or `estimated_from_file`
    /// for a model a bulk load estimated from its own file first).
    pub fn adopt_model(
        &self,
        domain: &str,
        model: MatchModel,
        origin: &str,
        actor: &Actor,
    ) -> Result<ModelInfo, ServiceError> {
        let declared = self.declared_domain(domain)?;
        let rules = matching_rules(&declared)?;
        if model.domain != domain {
            return Err(ServiceError::unprocessable(format!(
                "the model is for domain {:?}, not {domain:?}",
                model.domain
            )));
        }
        if !model.fits(rules) {
            return Err(ServiceError::unprocessable(
                "the model's comparisons (names, methods, levels) differ from the domain's rule file",
            ));
        }
        check_numbers(&model)?;
        self.store_model(domain, &model, origin, actor, true)
    }

    /// Makes a stored version the active model (audited).
    pub fn activate_model(
        &self,
        domain: &str,
        version: i64,
        actor: &Actor,
    ) -> Result<ModelInfo, ServiceError> {
        let declared = self.declared_domain(domain)?;
        let rules = matching_rules(&declared)?;
        let model = self.export_model(domain, Some(version))?;
        if !model.fits(rules) {
            return Err(ServiceError::unprocessable(
                "that model does not fit the domain's current comparisons",
            ));
        }
        self.store.write(|tx| {
            let before = self.active_model(domain).map(|m| m.version);
            if !models::activate(tx.conn(), domain, version)? {
                return Err(ServiceError::NotFound(format!("model version {version}")));
            }
            announce(tx, domain, version);
            audit_model(tx, actor, "model.activate", domain, version, before)
        })?;
        self.load_models()?;
        self.active_model(domain)
            .ok_or_else(|| ServiceError::internal_msg("the activated model did not load"))
    }

    /// Estimates a model from the domain's stored records and steward decisions, stores it as
    /// the next version and, if asked, activates it.
    pub fn estimate_model(
        &self,
        domain: &str,
        options: &EstimateOptions,
        actor: &Actor,
    ) -> Result<ModelInfo, ServiceError> {
        let declared = self.declared_domain(domain)?;
        let mut model = self.estimate(&declared, options)?;
        if let Some(active) = self.active_model(domain) {
            let earlier = self.export_model(domain, Some(active.version))?;
            if earlier.comparisons.len() == model.comparisons.len() {
                model.summary.moved = Some(model.moved_from(&earlier, active.version));
            }
        }
        self.store_model(domain, &model, "estimated", actor, options.activate)
    }

    /// The domain as its rule file declares it (no model applied).
    fn declared_domain(&self, name: &str) -> Result<Arc<Domain>, ServiceError> {
        self.rules
            .domain(name)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownDomain(name.to_owned()))
    }

    fn store_model(
        &self,
        domain: &str,
        model: &MatchModel,
        origin: &str,
        actor: &Actor,
        activate: bool,
    ) -> Result<ModelInfo, ServiceError> {
        check_numbers(model)?;
        let text = serde_json::to_string(model)?;
        let version = self.store.write(|tx| {
            let before = self.active_model(domain).map(|m| m.version);
            let at = tx.now();
            let version =
                models::insert(tx.conn(), domain, &text, origin, &actor.sub, at, activate)?;
            let action = format!("model.{origin}");
            audit_model(tx, actor, &action, domain, version, before)?;
            if activate {
                announce(tx, domain, version);
            }
            Ok::<_, ServiceError>(version)
        })?;
        self.load_models()?;
        self.list_models(domain)?
            .into_iter()
            .find(|m| m.version == version)
            .ok_or_else(|| ServiceError::internal_msg("the stored model did not load"))
    }

    /// The estimation itself: samples, pairs, fit, thresholds.
    fn estimate(
        &self,
        domain: &Domain,
        options: &EstimateOptions,
    ) -> Result<MatchModel, ServiceError> {
        let started = Instant::now();
        let rules = matching_rules(domain)?;
        let mut conn = self.store.conn()?;
        let mut rng = StdRng::seed_from_u64(options.seed);
        let scan = scan_domain(&mut conn, domain, rules, options.sample_records, &mut rng)?;
        if scan.sample.len() < 2 {
            return Err(ServiceError::unprocessable(format!(
                "domain {:?} has too few records to estimate a model from",
                domain.name
            )));
        }
        let shape: Vec<usize> = rules.comparisons.iter().map(|c| c.levels.len()).collect();
        let random = random_patterns(rules, &scan.sample, options.random_pairs, &mut rng);
        let start = Start {
            u: estimate::level_shares(&random, &shape),
            declared: Some((
                rules.prior,
                rules
                    .comparisons
                    .iter()
                    .map(|c| c.levels.iter().map(|l| l.weight).collect())
                    .collect(),
            )),
            held: rules
                .comparisons
                .iter()
                .map(|c| {
                    c.within_source
                        .then(|| c.levels.iter().map(|l| l.weight).collect())
                })
                .collect(),
        };
        let (candidates, candidate_pairs) =
            self.candidate_patterns(&mut conn, domain, rules, &scan.sample)?;
        let informative = estimate::informative(&candidates, &shape);
        if informative.len() < estimate::MIN_INFORMATIVE {
            let names: Vec<&str> = informative
                .iter()
                .filter_map(|&i| rules.comparisons.get(i).map(|c| c.name.as_str()))
                .collect();
            return Err(ServiceError::unprocessable(format!(
                "domain {:?}: only {} comparison(s) have values that vary in the candidate pairs ({}); estimating m and u needs at least {}: matching keeps the declared weights",
                domain.name,
                names.len(),
                names.join(", "),
                estimate::MIN_INFORMATIVE
            )));
        }
        let mut labels = labelled_patterns(&mut conn, &domain.name, rules)?;
        add_file_labels(&mut conn, &domain.name, rules, &options.labels, &mut labels)?;
        let groups: Vec<Vec<usize>> = rules.groups.iter().map(|g| g.members.clone()).collect();
        let fit = estimate::fit(
            &candidates,
            &labels,
            &shape,
            &groups,
            &start,
            EmOptions::default(),
        );
        let thresholds = estimate::calibrate(
            &fit,
            &groups,
            &candidates,
            Targets {
                precision: rules.target_precision,
                proposals_per_1000: rules.proposals_per_1000,
                review_floor: rules.review,
                records: scan.sample.len() as f64,
            },
        );
        let weights = fit.weights();
        let comparisons = rules
            .comparisons
            .iter()
            .enumerate()
            .map(|(i, c)| ComparisonModel {
                name: c.name.clone(),
                method: c.method,
                levels: c
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(l, level)| LevelModel {
                        at_least: level.at_least,
                        m: fit.m[i][l],
                        u: fit.u[i][l],
                        weight: weights[i][l],
                    })
                    .collect(),
                frequencies: scan.frequencies.get(&i).cloned(),
            })
            .collect();
        Ok(MatchModel {
            domain: domain.name.clone(),
            rules_version: domain.version.clone(),
            prior: fit.prior(),
            auto_link: thresholds.auto_link,
            review: thresholds.review,
            comparisons,
            groups: rules
                .groups
                .iter()
                .zip(&fit.corrections)
                .map(|(group, table)| {
                    let mut corrections: Vec<Correction> = table
                        .iter()
                        .map(|(levels, weight)| Correction {
                            levels: levels.clone(),
                            weight: *weight,
                        })
                        .collect();
                    corrections.sort_by(|a, b| a.levels.cmp(&b.levels));
                    GroupModel {
                        name: group.name.clone(),
                        members: group
                            .members
                            .iter()
                            .filter_map(|&i| rules.comparisons.get(i).map(|c| c.name.clone()))
                            .collect(),
                        corrections,
                    }
                })
                .collect(),
            summary: TrainingSummary {
                records: scan.records,
                sampled_records: scan.sample.len() as u64,
                random_pairs: random.pairs() as u64,
                candidate_pairs: candidate_pairs as u64,
                labelled_pairs: labels.pairs() as u64,
                iterations: fit.iterations,
                converged: fit.converged,
                match_rate: fit.match_rate,
                expected_precision: thresholds.expected_precision,
                expected_proposals_per_1000: thresholds.expected_proposals_per_1000,
                seed: options.seed,
                estimated_at: self.store.now(),
                seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
                moved: None,
            },
        })
    }

    /// Agreement patterns of each sampled record with its candidates from the index (each
    /// unordered pair once), and how many pairs there were.
    fn candidate_patterns(
        &self,
        conn: &mut DbConnection,
        domain: &Domain,
        rules: &MatchRules,
        sample: &[(i64, Standardized)],
    ) -> Result<(Patterns, usize), ServiceError> {
        let found: Vec<Result<Vec<i64>, crate::index::IndexError>> = sample
            .par_iter()
            .map(|(id, record)| {
                let terms = keys::terms(rules, record);
                self.index
                    .search(
                        &domain.name,
                        &terms,
                        rules.max_candidates,
                        rules.common_term_records,
                    )
                    .map(|ids| ids.into_iter().filter(|c| c != id).collect())
            })
            .collect();
        let mut pairs = BTreeSet::new();
        for ((id, _), hits) in sample.iter().zip(found) {
            for other in hits? {
                pairs.insert((*id.min(&other), *id.max(&other)));
            }
        }
        let mut known: HashMap<i64, Standardized> = sample.iter().cloned().collect();
        let missing: Vec<i64> = pairs
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .filter(|id| !known.contains_key(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for row in records::by_ids(conn, &missing)? {
            if row.status == record_status::ACTIVE && row.domain == domain.name {
                known.insert(row.id, serde_json::from_str(&row.standardized)?);
            }
        }
        let pairs: Vec<(i64, i64)> = pairs.into_iter().collect();
        let patterns: Vec<estimate::Pattern> = pairs
            .par_iter()
            .filter_map(|(a, b)| Some(score::levels(rules, known.get(a)?, known.get(b)?)))
            .collect();
        let count = patterns.len();
        Ok((patterns.into_iter().collect(), count))
    }
}

fn matching_rules(domain: &Domain) -> Result<&MatchRules, ServiceError> {
    domain.matching.as_ref().ok_or_else(|| {
        ServiceError::unprocessable(format!(
            "domain {:?} declares no matching: there is no model to estimate",
            domain.name
        ))
    })
}

/// Largest weight, correction or prior a usable model holds (log2): far beyond any real
/// evidence, small enough that sums of them stay finite.
const MAX_WEIGHT: f64 = 64.0;

/// A model's numbers must be usable: bounded finite weights, probabilities in range, term
/// frequencies as shares, corrections naming each member's level.
pub fn check_numbers(model: &MatchModel) -> Result<(), ServiceError> {
    let bounded = |x: f64| x.is_finite() && x.abs() <= MAX_WEIGHT;
    let share = |p: f64| p.is_finite() && p > 0.0 && p <= 1.0;
    let probability = |p: f64| (0.0..=1.0).contains(&p);
    let levels_ok = model.comparisons.iter().all(|c| {
        c.levels
            .iter()
            .all(|l| bounded(l.weight) && share(l.m) && share(l.u) && l.at_least.is_finite())
            && c.frequencies
                .as_ref()
                .is_none_or(|f| share(f.reference_u) && f.values.values().all(|v| share(*v)))
    });
    let groups_ok = model.groups.iter().all(|g| {
        g.corrections
            .iter()
            .all(|c| bounded(c.weight) && c.levels.len() == g.members.len())
    });
    if !levels_ok
        || !groups_ok
        || !bounded(model.prior)
        || !probability(model.auto_link)
        || !probability(model.review)
        || model.review > model.auto_link
    {
        return Err(ServiceError::unprocessable(format!(
            "the model's weights must be finite and within ±{MAX_WEIGHT}, m, u and term frequencies shares in (0, 1], its thresholds probabilities with review <= auto_link",
        )));
    }
    Ok(())
}

/// Tells the change feed (and so every replica, which reloads its models when it replays the
/// event) that a domain's active model changed.
fn announce(tx: &mut crate::store::Tx<'_>, domain: &str, version: i64) {
    tx.emit(
        Some(domain),
        MODEL_ACTIVATED,
        None,
        &serde_json::json!({ "domain": domain, "model_version": version }),
    );
}

/// The change-feed event of a model activation.
pub const MODEL_ACTIVATED: &str = "model.activated";

fn audit_model(
    tx: &mut crate::store::Tx<'_>,
    actor: &Actor,
    action: &str,
    domain: &str,
    version: i64,
    before: Option<i64>,
) -> Result<(), ServiceError> {
    let at = tx.now();
    let entity = version.to_string();
    audit::insert(
        tx.conn(),
        &NewAudit {
            at,
            actor: &actor.sub,
            action,
            outcome: "ok",
            domain: Some(domain),
            entity_type: "model",
            entity_id: Some(&entity),
            request_id: actor.request_id.as_deref(),
            reason: None,
            before_state: Some(&serde_json::json!({ "active_version": before }).to_string()),
            after_state: Some(&serde_json::json!({ "active_version": version }).to_string()),
        },
    )?;
    Ok(())
}

/// What one pass over a domain's active records gathers.
struct Scan {
    records: u64,
    /// A uniform sample of the records (reservoir sampling, seeded).
    sample: Vec<(i64, Standardized)>,
    /// Per comparison index with `term_frequency`, its common values.
    frequencies: HashMap<usize, TermFrequencies>,
}

fn scan_domain(
    conn: &mut DbConnection,
    domain: &Domain,
    rules: &MatchRules,
    sample_size: usize,
    rng: &mut StdRng,
) -> Result<Scan, ServiceError> {
    let tf_fields: Vec<(usize, &Comparison)> = rules
        .comparisons
        .iter()
        .enumerate()
        .filter(|(_, c)| c.term_frequency && c.fields.len() == 1)
        .collect();
    let mut counts: Vec<HashMap<String, u64>> = vec![HashMap::new(); tf_fields.len()];
    let mut totals = vec![0_u64; tf_fields.len()];
    let mut sample: Vec<(i64, Standardized)> = Vec::new();
    let mut seen: u64 = 0;
    let mut after = 0;
    loop {
        let page = records::domain_page(conn, &domain.name, after, PAGE)?;
        let Some(last) = page.last().map(|r| r.id) else {
            break;
        };
        after = last;
        for row in page {
            if row.status != record_status::ACTIVE {
                continue;
            }
            let standardized: Standardized = serde_json::from_str(&row.standardized)?;
            for (slot, (_, comparison)) in tf_fields.iter().enumerate() {
                if let Some(value) = comparison.fields.first().and_then(|f| standardized.get(f)) {
                    *counts[slot].entry(value.clone()).or_default() += 1;
                    totals[slot] += 1;
                }
            }
            seen += 1;
            if sample.len() < sample_size {
                sample.push((row.id, standardized));
            } else {
                let slot = rng.random_range(0..seen);
                if let Ok(slot) = usize::try_from(slot)
                    && slot < sample_size
                {
                    sample[slot] = (row.id, standardized);
                }
            }
        }
    }
    // A field no record holds has no table (and no agreement to weigh).
    let frequencies = tf_fields
        .iter()
        .zip(counts.into_iter().zip(totals))
        .filter(|(_, (_, total))| *total > 0)
        .map(|((index, _), (counts, total))| (*index, frequency_table(counts, total)))
        .collect();
    Ok(Scan {
        records: seen,
        sample,
        frequencies,
    })
}

/// The share of each value, and the chance two random records agree: only the values common
/// enough to lower an agreement's weight are kept.
fn frequency_table(counts: HashMap<String, u64>, total: u64) -> TermFrequencies {
    let total = total.max(1) as f64;
    let mut sizes: Vec<u64> = counts.values().copied().collect();
    sizes.sort_unstable();
    let reference_u: f64 = sizes.iter().map(|&c| (c as f64 / total).powi(2)).sum();
    let mut common: Vec<(String, f64)> = counts
        .into_iter()
        .map(|(v, c)| (v, c as f64 / total))
        .filter(|(_, share)| *share > reference_u)
        .collect();
    common.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    common.truncate(MAX_FREQUENT_VALUES);
    TermFrequencies {
        reference_u,
        values: common.into_iter().collect(),
    }
}

/// Patterns of random pairs of distinct sampled records: what non-matches look like before
/// the fit refines it.
fn random_patterns(
    rules: &MatchRules,
    sample: &[(i64, Standardized)],
    wanted: usize,
    rng: &mut StdRng,
) -> Patterns {
    let n = sample.len();
    let possible = n.saturating_mul(n.saturating_sub(1)) / 2;
    let draws: Vec<(usize, usize)> = (0..wanted.min(possible))
        .filter_map(|_| {
            let a = rng.random_range(0..n);
            let b = rng.random_range(0..n);
            (a != b).then_some((a, b))
        })
        .collect();
    let patterns: Vec<estimate::Pattern> = draws
        .par_iter()
        .map(|(a, b)| score::levels(rules, &sample[*a].1, &sample[*b].1))
        .collect();
    patterns.into_iter().collect()
}

/// Steward decisions as labelled patterns: approved records against the members they now
/// share a golden record with, rejected and split pairs as non-matches.
fn labelled_patterns(
    conn: &mut DbConnection,
    domain: &str,
    rules: &MatchRules,
) -> Result<Labels, ServiceError> {
    let mut labels = Labels::default();
    let parse = |row: &crate::store::models::SourceRecordRow| {
        serde_json::from_str::<Standardized>(&row.standardized)
    };
    let distinct = models::do_not_match_pairs(conn, domain, MAX_LABELS)?;
    let ids: Vec<i64> = distinct.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let rows: HashMap<i64, Standardized> = records::by_ids(conn, &ids)?
        .iter()
        .map(|r| Ok((r.id, parse(r)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    for (a, b) in &distinct {
        if let (Some(a), Some(b)) = (rows.get(a), rows.get(b)) {
            labels.non_matches.add(score::levels(rules, a, b));
        }
    }
    let approved = models::approved_records(conn, domain, MAX_LABELS)?;
    for row in records::by_ids(conn, &approved)? {
        if row.status != record_status::ACTIVE {
            continue;
        }
        let record = parse(&row)?;
        for member in records::members(conn, &row.golden_id)?
            .iter()
            .filter(|m| m.id != row.id && m.status == record_status::ACTIVE)
            .take(5)
        {
            labels
                .matches
                .add(score::levels(rules, &record, &parse(member)?));
        }
    }
    Ok(labels)
}

/// Adds a labels file's pairs; pairs naming a record that is not stored are skipped.
fn add_file_labels(
    conn: &mut DbConnection,
    domain: &str,
    rules: &MatchRules,
    pairs: &[LabelledPair],
    labels: &mut Labels,
) -> Result<(), ServiceError> {
    let mut read = |(system, id): &(String, String)| -> Result<Option<Standardized>, ServiceError> {
        match records::find(conn, domain, system, id)? {
            Some(row) if row.status == record_status::ACTIVE => {
                Ok(Some(serde_json::from_str(&row.standardized)?))
            }
            _ => Ok(None),
        }
    };
    for pair in pairs {
        if let (Some(a), Some(b)) = (read(&pair.a)?, read(&pair.b)?) {
            let pattern = score::levels(rules, &a, &b);
            if pair.is_match {
                labels.matches.add(pattern);
            } else {
                labels.non_matches.add(pattern);
            }
        }
    }
    Ok(())
}

/// Reads a labels file: `source_system,source_id,source_system,source_id,match` with a
/// header row; `match` is true/false, yes/no or 1/0.
pub fn read_labels(text: &str) -> Result<Vec<LabelledPair>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut pairs = Vec::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("line {}: {e}", line + 2))?;
        let field = |i: usize| row.get(i).map(str::trim).unwrap_or_default().to_owned();
        let is_match = match field(4).to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "match" => true,
            "false" | "no" | "0" | "non_match" => false,
            other => {
                return Err(format!(
                    "line {}: match must be true or false, not {other:?}",
                    line + 2
                ));
            }
        };
        if field(0).is_empty() || field(1).is_empty() || field(2).is_empty() || field(3).is_empty()
        {
            return Err(format!("line {}: four source keys are needed", line + 2));
        }
        pairs.push(LabelledPair {
            a: (field(0), field(1)),
            b: (field(2), field(3)),
            is_match,
        });
    }
    Ok(pairs)
}
