//! Streaming exports of the crosswalk and the open proposals as CSV.

use std::io::Write;

use super::ServiceError;
use crate::store::Store;
use crate::store::queries::{proposals, records};

const PAGE: i64 = 5_000;

fn csv_error(e: csv::Error) -> ServiceError {
    ServiceError::Internal(format!("writing CSV: {e}"))
}

/// Exports read the database only, so they run beside a serving process (which owns the
/// index).
pub struct Exports<'a> {
    pub store: &'a Store,
}

impl Exports<'_> {
    /// Writes `source_system,source_id,golden_id`, one row per source record of `domain`.
    pub fn crosswalk(&self, domain: &str, out: impl Write) -> Result<usize, ServiceError> {
        let mut conn = self.store.conn()?;
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(["source_system", "source_id", "golden_id"])
            .map_err(csv_error)?;
        let (mut after, mut rows) = (0, 0);
        loop {
            let page = records::domain_page(&mut conn, domain, after, PAGE)?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            for row in &page {
                writer
                    .write_record([&row.source_system, &row.source_id, &row.golden_id])
                    .map_err(csv_error)?;
            }
            rows += page.len();
            after = last;
        }
        writer.flush().map_err(|e| csv_error(e.into()))?;
        Ok(rows)
    }

    /// Writes `proposal_id,golden_id,other_golden_id,score`, one row per open proposal.
    pub fn proposals(&self, domain: &str, out: impl Write) -> Result<usize, ServiceError> {
        let mut conn = self.store.conn()?;
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(["proposal_id", "golden_id", "other_golden_id", "score"])
            .map_err(csv_error)?;
        let (mut after, mut rows) = (0, 0);
        loop {
            let page = proposals::open_page(&mut conn, domain, after, PAGE)?;
            let Some(last) = page.last().map(|p| p.id) else {
                break;
            };
            for p in &page {
                writer
                    .write_record([
                        p.id.to_string(),
                        p.golden_id.clone(),
                        p.other_golden_id.clone(),
                        format!("{:.6}", p.score),
                    ])
                    .map_err(csv_error)?;
            }
            rows += page.len();
            after = last;
        }
        writer.flush().map_err(|e| csv_error(e.into()))?;
        Ok(rows)
    }
}
