//! Fuzzy search over golden records, answered from the candidate index and ranked with the
//! domain's own comparisons.

use std::collections::HashMap;

use serde::Serialize;

use super::golden::resolve;
use super::{Golden, ServiceError};
use crate::matching::{Standardized, keys, score};
use crate::model::record_status;
use crate::normalize;
use crate::store::queries::records;

/// Most results one search returns.
pub const MAX_RESULTS: usize = 100;

/// One search hit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub golden_id: String,
    pub status: String,
    /// Match probability of the query against the golden record's best member.
    pub score: f64,
    pub fields: serde_json::Value,
}

impl Golden {
    /// Golden records whose members resemble `text`, best first. The text is read as a value
    /// of every candidate-key field (a name, an identifier, a phone number ...); of the
    /// sensitive ones only when `unmasked` (the caller holds the `sensitive` role), so that a
    /// caller who sees a tax ID masked cannot find a record by trying tax IDs.
    #[tracing::instrument(skip(self))]
    pub fn search(
        &self,
        domain: &str,
        text: &str,
        limit: usize,
        unmasked: bool,
    ) -> Result<Vec<SearchHit>, ServiceError> {
        let domain = self.domain(domain)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(ServiceError::invalid("q must not be empty"));
        }
        let Some(rules) = &domain.matching else {
            return Ok(Vec::new());
        };
        let query: Standardized = rules
            .candidates
            .iter()
            .filter_map(|key| {
                let field = domain
                    .field(&key.field)
                    .filter(|f| unmasked || !f.sensitive)?;
                let value = normalize::standardize(field.field_type, text).ok()?;
                Some((key.field.clone(), value))
            })
            .collect();
        let limit = limit.clamp(1, MAX_RESULTS);
        let terms = keys::terms(rules, &query);
        let ids = self
            .index
            .search(&domain.name, &terms, limit * 4, rules.common_term_records)
            .map_err(ServiceError::from)?;
        let mut conn = self.store.conn()?;
        let mut best: HashMap<String, f64> = HashMap::new();
        for row in records::by_ids(&mut conn, &ids)? {
            if row.status != record_status::ACTIVE || row.domain != domain.name {
                continue;
            }
            let candidate: Standardized = serde_json::from_str(&row.standardized)?;
            let odds = score::log_odds(rules, &query, &candidate) - rules.prior;
            let entry = best.entry(row.golden_id).or_insert(f64::MIN);
            *entry = entry.max(odds);
        }
        let mut ranked: Vec<(String, f64)> = best.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
            .into_iter()
            .filter_map(|(id, odds)| match resolve(&mut conn, &id) {
                Ok(Some(row)) => Some(Ok((row, odds))),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            })
            .map(|found| {
                let (row, odds) = found?;
                Ok(SearchHit {
                    score: crate::matching::probability(odds),
                    fields: serde_json::from_str(&row.fields)?,
                    golden_id: row.golden_id,
                    status: row.status,
                })
            })
            .collect()
    }
}
