//! The use cases: ingest, lookups, the change feed. Transactions live here; handlers and CLI
//! commands call these functions and shape their results.

pub mod audit;
pub mod browse;
pub mod bulk;
pub mod crosswalk;
pub mod crosswalk_cache;
pub mod error;
pub mod events;
pub mod export;
pub mod fhir;
pub mod glance;
pub mod golden;
pub mod golden_export;
mod group_commit;
pub mod index_sync;
pub mod ingest;
mod job_pool;
pub mod lease;
mod matching;
pub mod models;
mod ops;
pub mod outbox;
mod prepare;
pub mod preview;
pub mod proposals;
pub mod records;
pub mod refusals;
pub mod rematch;
pub mod restandardize;
pub mod rollback;
pub mod search;
pub mod stats;
pub mod stewardship;
pub mod uploads;
pub mod views;
pub mod webhooks;

use std::sync::{Arc, Mutex, RwLock};

pub use error::{BoxError, ServiceError};

use crate::config::Settings;
use crate::index::CandidateIndex;
use crate::metrics::Metrics;
use crate::rules::{Domain, RuleSet};
use crate::store::Store;

/// The running service's state, shared by every request.
pub struct Golden {
    pub settings: Settings,
    pub store: Store,
    pub rules: Arc<RuleSet>,
    pub index: CandidateIndex,
    pub metrics: Metrics,
    index_state: Mutex<index_sync::SyncState>,
    /// The crosswalk in memory; loaded by the server at start or by the first lookup.
    crosswalk_cache: crosswalk_cache::CrosswalkCache,
    /// The domains' active match models, applied over their rules.
    models: RwLock<models::ActiveModels>,
    /// Set when a model activation was replayed from the feed: read the models again.
    models_stale: std::sync::atomic::AtomicBool,
    /// The progress of standardizing stored records again.
    restandardize_progress: restandardize::RestandardizeProgress,
    /// How many refusals each caller may still have audited this minute.
    refusal_budget: refusals::RefusalBudget,
    /// Bulk uploads streaming in now.
    uploads: uploads::UploadSlots,
    /// The workers that run HTTP bulk jobs, and the jobs waiting for one.
    job_pool: job_pool::JobPool,
    /// Ingest requests waiting behind a write in progress, to be written together.
    group_commit: ingest::IngestGroups,
}

impl Golden {
    /// Loads the rules, opens and migrates the store and opens (or creates) the index.
    #[tracing::instrument(skip_all, fields(database = ?settings.database))]
    pub fn open(settings: Settings) -> Result<Self, ServiceError> {
        let rules = Arc::new(RuleSet::load_dir(&settings.rules_dir)?);
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            ServiceError::internal(format!("cannot create {}", settings.data_dir.display()), e)
        })?;
        let store = Store::open_and_migrate(&settings)?;
        let index = CandidateIndex::open_or_create(&settings.index_dir())?;
        let payload = index.payload()?;
        let feed_end = crate::store::queries::events::last_seq(&mut *store.conn()?)?;
        let (state, rebuild) =
            index_sync::SyncState::from_payload(payload.as_deref(), &rules, feed_end);
        let metrics =
            Metrics::new().map_err(|e| ServiceError::internal("registering the metrics", e))?;
        let golden = Self {
            settings,
            store,
            rules,
            index,
            metrics,
            index_state: Mutex::new(state),
            crosswalk_cache: Default::default(),
            models: Default::default(),
            models_stale: Default::default(),
            restandardize_progress: Default::default(),
            refusal_budget: Default::default(),
            uploads: Default::default(),
            job_pool: Default::default(),
            group_commit: group_commit::GroupCommit::new(
                ingest::MAX_GROUP,
                ingest::MAX_GROUP_RECORDS,
            ),
        };
        golden.load_models()?;
        if rebuild {
            golden.reindex()?;
        } else {
            let mut conn = golden.store.conn()?;
            golden.sync_index(&mut conn)?;
            golden.commit_index()?;
        }
        Ok(golden)
    }

    /// The domain named in a request, or `UnknownDomain`: as matching uses it, with its
    /// active model's weights and thresholds where it has one.
    pub fn domain(&self, name: &str) -> Result<Arc<Domain>, ServiceError> {
        if let Some(modelled) = self.modelled_domain(name) {
            return Ok(modelled);
        }
        self.rules
            .domain(name)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownDomain(name.to_owned()))
    }
}
