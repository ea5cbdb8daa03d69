//! Exports of the crosswalk (CSV or NDJSON) and of the open proposals (CSV), read page by
//! page so memory stays flat however large the domain. The CLI writes them to stdout; the API
//! streams the crosswalk to the client.

use std::borrow::Cow;
use std::io::Write;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Golden, ServiceError};
use crate::store::Store;
use crate::store::models::SourceRecordRow;
use crate::store::queries::{proposals, records};

const PAGE: i64 = 5_000;

/// Encoded pages a streamed export may hold in flight: bounds memory when the client reads
/// slowly.
pub(super) const STREAM_DEPTH: usize = 4;

fn csv_error(e: csv::Error) -> ServiceError {
    ServiceError::internal("writing CSV", e)
}

fn write_error(e: std::io::Error) -> ServiceError {
    ServiceError::internal("writing the export", e)
}

/// How a crosswalk export is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CrosswalkFormat {
    /// A header row, then one row per record.
    Csv,
    /// One JSON object per line.
    #[default]
    Ndjson,
}

/// Which columns a crosswalk export carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrosswalkColumns {
    /// `source_system,source_id,golden_id`: the CLI export's contract.
    Ids,
    /// The IDs and `record_status`.
    WithStatus,
}

/// One NDJSON line of a crosswalk export.
#[derive(Serialize)]
struct CrosswalkLine<'a> {
    source_system: &'a str,
    source_id: &'a str,
    golden_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record_status: Option<&'a str>,
}

/// Turns pages of source records into export bytes, one chunk per page.
struct CrosswalkEncoder {
    format: CrosswalkFormat,
    columns: CrosswalkColumns,
}

impl CrosswalkEncoder {
    /// The CSV header row; NDJSON has none.
    fn header(&self) -> Result<Vec<u8>, ServiceError> {
        if self.format == CrosswalkFormat::Ndjson {
            return Ok(Vec::new());
        }
        let mut names = vec!["source_system", "source_id", "golden_id"];
        if self.columns == CrosswalkColumns::WithStatus {
            names.push("record_status");
        }
        csv_bytes([names])
    }

    fn page(&self, rows: &[SourceRecordRow]) -> Result<Vec<u8>, ServiceError> {
        let with_status = self.columns == CrosswalkColumns::WithStatus;
        match self.format {
            CrosswalkFormat::Csv => csv_bytes(rows.iter().map(|row| {
                let mut fields = vec![&row.source_system, &row.source_id, &row.golden_id];
                if with_status {
                    fields.push(&row.status);
                }
                fields
            })),
            CrosswalkFormat::Ndjson => {
                let mut out = Vec::with_capacity(rows.len() * 96);
                for row in rows {
                    let line = CrosswalkLine {
                        source_system: &row.source_system,
                        source_id: &row.source_id,
                        golden_id: &row.golden_id,
                        record_status: with_status.then_some(row.status.as_str()),
                    };
                    serde_json::to_writer(&mut out, &line)
                        .map_err(|e| ServiceError::internal("writing NDJSON", e))?;
                    out.push(b'\n');
                }
                Ok(out)
            }
        }
    }
}

/// The characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as
/// a formula, or that it strips before looking for one.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell a spreadsheet will show as text rather than run: one that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'` (the usual defence against CSV
/// formula injection, e.g. a source ID `=HYPERLINK(...)`). Other cells are unchanged, and JSON
/// exports never pass through here.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// CSV rows, quoted where needed and made spreadsheet-safe.
pub(super) fn csv_bytes<R, F>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, ServiceError>
where
    R: IntoIterator<Item = F>,
    F: AsRef<str>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|cell| spreadsheet_safe(cell.as_ref()).into_owned())
            .collect();
        writer.write_record(&cells).map_err(csv_error)?;
    }
    writer.into_inner().map_err(|e| write_error(e.into_error()))
}

/// Exports read the database only, so they run beside a serving process (which owns the
/// index).
pub struct Exports<'a> {
    pub store: &'a Store,
}

impl Exports<'_> {
    /// Writes `source_system,source_id,golden_id`, one row per source record of `domain`.
    pub fn crosswalk(&self, domain: &str, mut out: impl Write) -> Result<usize, ServiceError> {
        let rows = self.crosswalk_chunks(
            domain,
            CrosswalkFormat::Csv,
            CrosswalkColumns::Ids,
            |chunk| out.write_all(&chunk).map_err(write_error),
        )?;
        out.flush().map_err(write_error)?;
        Ok(rows)
    }

    /// Encodes every source record of `domain`, in ID order, handing `emit` the header and
    /// then one chunk per page; returns the number of records. A connection is taken per page
    /// and given back before `emit` runs, so a slow consumer holds none.
    pub fn crosswalk_chunks(
        &self,
        domain: &str,
        format: CrosswalkFormat,
        columns: CrosswalkColumns,
        mut emit: impl FnMut(Vec<u8>) -> Result<(), ServiceError>,
    ) -> Result<usize, ServiceError> {
        let encoder = CrosswalkEncoder { format, columns };
        let header = encoder.header()?;
        if !header.is_empty() {
            emit(header)?;
        }
        let (mut after, mut rows) = (0, 0);
        loop {
            let page = records::domain_page(&mut *self.store.conn()?, domain, after, PAGE)?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            emit(encoder.page(&page)?)?;
            rows += page.len();
            after = last;
        }
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
                        spreadsheet_safe(&p.golden_id).into_owned(),
                        spreadsheet_safe(&p.other_golden_id).into_owned(),
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

/// The chunks of a streamed export, in order. An `Err` ends the stream early.
pub type ExportStream = mpsc::Receiver<Result<Vec<u8>, ServiceError>>;

impl Golden {
    /// Starts exporting the crosswalk of `domain` (with each record's status) on a blocking
    /// thread that sends encoded pages through a bounded channel; the producer waits while the
    /// channel is full and stops when the receiver is dropped. Must be called from within a
    /// Tokio runtime.
    pub fn crosswalk_export(
        &self,
        domain: &str,
        format: CrosswalkFormat,
    ) -> Result<ExportStream, ServiceError> {
        let domain = self.domain(domain)?.name.clone();
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| ServiceError::internal("no async runtime to export on", e))?;
        let store = self.store.clone();
        let (tx, rx) = mpsc::channel(STREAM_DEPTH);
        runtime.spawn_blocking(move || {
            let exports = Exports { store: &store };
            let result =
                exports.crosswalk_chunks(&domain, format, CrosswalkColumns::WithStatus, |chunk| {
                    tx.blocking_send(Ok(chunk))
                        .map_err(|_| ServiceError::internal_msg("the export's reader left"))
                });
            match result {
                Ok(rows) => tracing::debug!(domain, rows, "crosswalk exported"),
                Err(_) if tx.is_closed() => tracing::debug!(domain, "crosswalk export abandoned"),
                Err(e) => {
                    tracing::error!(domain, error = %crate::service::error::chain(&e), "crosswalk export failed");
                    let _ = tx.blocking_send(Err(e));
                }
            }
        });
        Ok(rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralized() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(spreadsheet_safe(cell), format!("'{cell}"));
        }
        for cell in ["V000001", "sap", "", "a=b", "'quoted"] {
            assert!(matches!(spreadsheet_safe(cell), Cow::Borrowed(c) if c == cell));
        }
    }
}
