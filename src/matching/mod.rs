//! Matching as a pipeline of pure steps: candidate keys -> compare -> score -> decide ->
//! explain. Nothing here touches the database or the index; the service feeds it.

pub mod compare;
pub mod decide;
pub mod estimate;
pub mod features;
pub mod keys;
pub mod model;
pub mod score;

use std::collections::BTreeMap;

/// A record as matching sees it: standardized values by field name, plus derived features
/// (model-number tokens under `field#model`).
pub type Standardized = BTreeMap<String, String>;

/// Where a record's source system is kept among its standardized values, for comparisons
/// scoped to one source system (no field name holds a `#`).
pub const SOURCE_SYSTEM: &str = "#source_system";

pub use decide::{Outcome, decide};
pub use score::{FieldEvidence, PairScore, score_pair};

/// Log2 odds to probability.
pub fn probability(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp2())
}
