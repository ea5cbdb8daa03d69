//! Streams a domain's golden records (optionally filtered as a listing is) as CSV, one
//! column per declared field, or as NDJSON with each field's lineage: the way out of Golden
//! for the golden records themselves, as the crosswalk export is for the IDs.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::browse::{BrowseQuery, GoldenSummary, MAX_PAGE, browse_in, check};
use super::export::{CrosswalkFormat, ExportStream, STREAM_DEPTH, csv_bytes};
use super::{Golden, ServiceError};
use crate::masking::Mask;
use crate::rules::Domain;
use crate::store::Store;

/// The columns before the declared fields in a CSV export.
const CSV_LEAD: [&str; 5] = [
    "golden_id",
    "version",
    "member_count",
    "created_at",
    "updated_at",
];

fn header(domain: &Domain) -> Result<Vec<u8>, ServiceError> {
    let names = CSV_LEAD
        .iter()
        .copied()
        .chain(domain.fields.iter().map(|f| f.name.as_str()));
    csv_bytes([names])
}

fn encode(
    domain: &Domain,
    format: CrosswalkFormat,
    records: &[GoldenSummary],
) -> Result<Vec<u8>, ServiceError> {
    match format {
        CrosswalkFormat::Csv => csv_bytes(records.iter().map(|r| {
            let lead = [
                r.golden_id.clone(),
                r.version.to_string(),
                r.member_count.to_string(),
                r.created_at.to_rfc3339(),
                r.updated_at.to_rfc3339(),
            ];
            let fields = domain.fields.iter().map(|f| match r.fields.get(&f.name) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
            lead.into_iter().chain(fields).collect::<Vec<_>>()
        })),
        CrosswalkFormat::Ndjson => {
            let mut out = Vec::with_capacity(records.len() * 256);
            for record in records {
                serde_json::to_writer(&mut out, record)
                    .map_err(|e| ServiceError::internal("writing NDJSON", e))?;
                out.push(b'\n');
            }
            Ok(out)
        }
    }
}

/// Every page of the listing, masked and encoded, handed to `emit` in order; the number of
/// records.
fn export_pages(
    store: &Store,
    domain: &Domain,
    (mut query, mask): (BrowseQuery, Mask),
    format: CrosswalkFormat,
    mut emit: impl FnMut(Vec<u8>) -> Result<(), ServiceError>,
) -> Result<usize, ServiceError> {
    if format == CrosswalkFormat::Csv {
        emit(header(domain)?)?;
    }
    query.limit = MAX_PAGE;
    let mut rows = 0;
    loop {
        let mut page = browse_in(store, domain, &query, format == CrosswalkFormat::Ndjson)?;
        rows += page.records.len();
        for record in &mut page.records {
            mask.fields(&mut record.fields);
        }
        if !page.records.is_empty() {
            emit(encode(domain, format, &page.records)?)?;
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(rows),
        }
    }
}

impl Golden {
    /// Starts exporting the golden records of `domain` that pass `query`'s filters on a
    /// blocking thread, a page at a time through a bounded channel (see
    /// [`Golden::crosswalk_export`]). Bad filters are refused before anything is sent.
    /// `mask` hides what the caller may not see of sensitive fields.
    pub fn golden_export(
        &self,
        domain: &str,
        query: BrowseQuery,
        format: CrosswalkFormat,
        mask: Mask,
    ) -> Result<ExportStream, ServiceError> {
        let domain: Arc<Domain> = self.domain(domain)?;
        check(&domain, &query)?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| ServiceError::internal("no async runtime to export on", e))?;
        let store = self.store.clone();
        let (tx, rx) = mpsc::channel(STREAM_DEPTH);
        runtime.spawn_blocking(move || {
            let name = domain.name.clone();
            let result = export_pages(&store, &domain, (query, mask), format, |chunk| {
                tx.blocking_send(Ok(chunk))
                    .map_err(|_| ServiceError::internal_msg("the export's reader left"))
            });
            match result {
                Ok(rows) => tracing::debug!(domain = name, rows, "golden records exported"),
                Err(_) if tx.is_closed() => tracing::debug!(domain = name, "export abandoned"),
                Err(e) => {
                    tracing::error!(domain = name, error = %crate::service::error::chain(&e), "golden export failed");
                    let _ = tx.blocking_send(Err(e));
                }
            }
        });
        Ok(rx)
    }
}
