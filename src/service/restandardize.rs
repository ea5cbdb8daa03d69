//! Standardizing stored records again when the standardizers or a rule file changed, so that
//! old and new records are compared in the same form. Links stay as they are: a golden record
//! changes only by a steward's decision or a later match. Each changed record appends
//! `record.restandardized`, which re-indexes it on every replica.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;
use serde_json::json;

use super::{Golden, ServiceError};
use crate::model::RecordInput;
use crate::store::queries::records;
use crate::validate;

/// Records standardized per write transaction.
const PAGE: i64 = 500;

/// What a pass did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RestandardizeReport {
    /// Records whose standardization was older than the running one.
    pub records: u64,
    /// ... whose standardized values came out differently (stored and re-indexed).
    pub changed: u64,
    /// ... whose attributes no longer pass validation: their values are kept as they were.
    pub failed: u64,
}

/// The progress of the pass `golden serve` runs in the background, for `/readyz`.
#[derive(Debug, Default)]
pub struct RestandardizeProgress {
    running: AtomicBool,
    pending: AtomicU64,
    done: AtomicU64,
}

/// A snapshot of [`RestandardizeProgress`].
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RestandardizeStatus {
    pub running: bool,
    /// Records found stale when the pass began.
    pub pending: u64,
    pub done: u64,
}

impl Golden {
    /// Records, over all domains, standardized by something other than the running version.
    pub fn stale_standardization(&self) -> Result<u64, ServiceError> {
        let mut conn = self.store.conn()?;
        let mut total = 0;
        for domain in self.rules.domains() {
            let stale = records::stale_count(&mut conn, &domain.name, &domain.standardization())?;
            total += u64::try_from(stale).unwrap_or(0);
        }
        Ok(total)
    }

    /// Standardizes again every record of `domain` (all domains when `None`) whose values
    /// were produced by other standardizers or another rule file.
    pub fn restandardize(&self, domain: Option<&str>) -> Result<RestandardizeReport, ServiceError> {
        let progress = &self.restandardize_progress;
        progress
            .pending
            .store(self.stale_standardization()?, Ordering::SeqCst);
        progress.done.store(0, Ordering::SeqCst);
        progress.running.store(true, Ordering::SeqCst);
        let result = self.restandardize_all(domain);
        progress.running.store(false, Ordering::SeqCst);
        result
    }

    fn restandardize_all(&self, only: Option<&str>) -> Result<RestandardizeReport, ServiceError> {
        let mut report = RestandardizeReport::default();
        let domains: Vec<_> = match only {
            Some(name) => vec![
                self.rules
                    .domain(name)
                    .cloned()
                    .ok_or_else(|| ServiceError::UnknownDomain(name.to_owned()))?,
            ],
            None => self.rules.domains().cloned().collect(),
        };
        for domain in domains {
            let current = domain.standardization();
            let mut after = 0;
            loop {
                let page = {
                    let mut conn = self.store.conn()?;
                    records::stale_page(&mut conn, &domain.name, &current, after, PAGE)?
                };
                let Some(last) = page.last().map(|r| r.id) else {
                    break;
                };
                after = last;
                self.store.write(|tx| {
                    for row in &page {
                        report.records += 1;
                        let input = RecordInput {
                            source_system: row.source_system.clone(),
                            source_id: row.source_id.clone(),
                            attributes: serde_json::from_str(&row.attributes)?,
                        };
                        let standardized = match validate::validate(&domain, input) {
                            Ok(valid) => valid.standardized_json().to_owned(),
                            Err(_) => {
                                report.failed += 1;
                                row.standardized.clone()
                            }
                        };
                        records::restandardize(tx.conn(), row.id, &standardized, &current)?;
                        if standardized != row.standardized {
                            report.changed += 1;
                            tx.emit(
                                Some(&domain.name),
                                "record.restandardized",
                                Some(&row.golden_id),
                                &json!({"source_system": row.source_system,
                                        "source_id": row.source_id,
                                        "golden_id": row.golden_id}),
                            );
                        }
                    }
                    Ok::<_, ServiceError>(())
                })?;
                self.restandardize_progress
                    .done
                    .fetch_add(page.len() as u64, Ordering::SeqCst);
            }
        }
        let mut conn = self.store.conn()?;
        self.sync_index(&mut conn)?;
        self.commit_index()?;
        Ok(report)
    }

    /// Where the background pass stands.
    pub fn restandardize_status(&self) -> RestandardizeStatus {
        let progress = &self.restandardize_progress;
        RestandardizeStatus {
            running: progress.running.load(Ordering::SeqCst),
            pending: progress.pending.load(Ordering::SeqCst),
            done: progress.done.load(Ordering::SeqCst),
        }
    }
}
