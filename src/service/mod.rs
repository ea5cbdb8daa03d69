//! The use cases: ingest, lookups, the change feed. Transactions live here; handlers and CLI
//! commands call these functions and shape their results.

pub mod audit;
mod error;
pub mod events;
pub mod golden;
pub mod ingest;
pub mod records;
pub mod views;

use std::sync::Arc;

pub use error::ServiceError;

use crate::config::Settings;
use crate::index::CandidateIndex;
use crate::rules::{Domain, RuleSet};
use crate::store::Store;

/// The running service's state, shared by every request.
pub struct Golden {
    pub settings: Settings,
    pub store: Store,
    pub rules: Arc<RuleSet>,
    pub index: CandidateIndex,
}

impl Golden {
    /// Loads the rules, opens and migrates the store and opens (or creates) the index.
    #[tracing::instrument(skip_all, fields(database = ?settings.database))]
    pub fn open(settings: Settings) -> Result<Self, ServiceError> {
        let rules = Arc::new(RuleSet::load_dir(&settings.rules_dir)?);
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            ServiceError::Internal(format!(
                "cannot create {}: {e}",
                settings.data_dir.display()
            ))
        })?;
        let store = Store::open_and_migrate(&settings)?;
        let index = CandidateIndex::open_or_create(&settings.index_dir())
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(Self {
            settings,
            store,
            rules,
            index,
        })
    }

    /// The domain named in a request, or `UnknownDomain`.
    pub fn domain(&self, name: &str) -> Result<Arc<Domain>, ServiceError> {
        self.rules
            .domain(name)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownDomain(name.to_owned()))
    }
}
