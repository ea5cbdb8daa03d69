//! FHIR R4 reads: one golden record as a resource, or a whole domain as a stream of them.
//! The resource is built by [`crate::fhir`]; this module loads what it needs (members, the
//! IDs merged in, a location's parent) a page of records at a time.

use crate::masking::Mask;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::mpsc;

use super::browse::{BrowseQuery, GoldenSummary, MAX_PAGE, browse_in};
use super::export::{ExportStream, STREAM_DEPTH};
use super::golden::resolve;
use super::views::utc;
use super::{Golden, ServiceError};
use crate::fhir::disclose::FieldValues;
use crate::fhir::{self, GoldenRecord, MemberKey, Parent, ResourceType};
use crate::model::{SourceKey, golden_status, record_status};
use crate::rules::Domain;
use crate::store::models::{GoldenRow, SourceRecordRow};
use crate::store::queries::browse::BrowseOrder;
use crate::store::queries::{crosswalk, golden, records};
use crate::store::{DbConnection, Store};
use crate::survivorship::Lineage;

/// Source keys per crosswalk query when resolving parents.
const KEYS_PER_QUERY: usize = 500;

/// The answer for one golden ID.
#[derive(Debug)]
pub enum FhirRead {
    /// The resource of the golden record the ID names.
    Resource(Value),
    /// The ID was merged into `survivor`, whose resource answers for it now.
    Moved { survivor: String },
}

/// A golden record's state, as a listing or a single read found it.
struct Snapshot {
    golden_id: String,
    active: bool,
    version: i64,
    updated_at: DateTime<Utc>,
    fields: BTreeMap<String, Value>,
    lineage: BTreeMap<String, Lineage>,
}

impl Snapshot {
    fn from_row(row: GoldenRow) -> Result<Self, ServiceError> {
        Ok(Self {
            active: row.status == golden_status::ACTIVE,
            fields: serde_json::from_str(&row.fields)?,
            lineage: serde_json::from_str(&row.lineage)?,
            golden_id: row.golden_id,
            version: row.version,
            updated_at: utc(row.updated_at),
        })
    }

    /// A listed record; listings hold active records only.
    fn from_summary(summary: GoldenSummary) -> Self {
        Self {
            active: true,
            golden_id: summary.golden_id,
            version: summary.version,
            updated_at: summary.updated_at,
            fields: summary.fields,
            lineage: summary.lineage.unwrap_or_default(),
        }
    }
}

fn member_keys(rows: &[SourceRecordRow]) -> Vec<MemberKey<'_>> {
    rows.iter()
        .map(|row| MemberKey {
            source_system: &row.source_system,
            source_id: &row.source_id,
            active: row.status == record_status::ACTIVE,
        })
        .collect()
}

/// The resources of `snapshots`, in order, with what they need read in a few queries.
fn resources(
    conn: &mut DbConnection,
    kind: ResourceType,
    domain: &Domain,
    snapshots: &[Snapshot],
    mask: &Mask,
) -> Result<Vec<Value>, ServiceError> {
    let ids: Vec<String> = snapshots.iter().map(|s| s.golden_id.clone()).collect();
    let mut members: HashMap<String, Vec<SourceRecordRow>> = HashMap::new();
    for row in records::members_of_many(conn, &ids)? {
        members.entry(row.golden_id.clone()).or_default().push(row);
    }
    let mut merged: HashMap<String, Vec<String>> = HashMap::new();
    for (survivor, id) in golden::merged_into(conn, &ids)? {
        merged
            .entry(survivor.unwrap_or_default())
            .or_default()
            .push(id);
    }
    let no_rows = Vec::new();
    let keys: Vec<Vec<SourceKey>> = snapshots
        .iter()
        .map(|s| match kind {
            ResourceType::Location => {
                let rows = members.get(&s.golden_id).unwrap_or(&no_rows);
                fhir::parent_keys(&s.fields, &s.lineage, &member_keys(rows))
            }
            ResourceType::Organization => Vec::new(),
        })
        .collect();
    let found = resolve_keys(conn, &domain.name, keys.iter().flatten())?;
    let mut out = Vec::with_capacity(snapshots.len());
    for (snapshot, keys) in snapshots.iter().zip(&keys) {
        let rows = members.get(&snapshot.golden_id).unwrap_or(&no_rows);
        let member_keys = member_keys(rows);
        let merged_ids = merged
            .get(&snapshot.golden_id)
            .map_or(&[][..], Vec::as_slice);
        let record = GoldenRecord {
            golden_id: &snapshot.golden_id,
            active: snapshot.active,
            version: snapshot.version,
            updated_at: snapshot.updated_at,
            fields: FieldValues::new(domain, &snapshot.fields, mask),
            members: &member_keys,
            merged_ids,
            parent: parent(&snapshot.golden_id, keys, &found),
        };
        out.push(fhir::resource(kind, domain, &record));
    }
    Ok(out)
}

/// The golden IDs of the records `keys` name, where Golden holds them.
fn resolve_keys<'k>(
    conn: &mut DbConnection,
    domain: &str,
    keys: impl Iterator<Item = &'k SourceKey>,
) -> Result<HashMap<SourceKey, String>, ServiceError> {
    let mut distinct: Vec<&SourceKey> = keys.collect();
    distinct.sort();
    distinct.dedup();
    let mut found = HashMap::new();
    for chunk in distinct.chunks(KEYS_PER_QUERY) {
        for row in crosswalk::by_keys(conn, domain, chunk)? {
            let key = SourceKey {
                source_system: row.source_system,
                source_id: row.source_id,
            };
            found.insert(key, row.golden_id);
        }
    }
    Ok(found)
}

/// The first of `keys` that names another golden record; unresolved (by the first key's
/// system) when none does; none without a parent code.
fn parent(own_id: &str, keys: &[SourceKey], found: &HashMap<SourceKey, String>) -> Option<Parent> {
    let first = keys.first()?;
    let resolved = keys
        .iter()
        .filter_map(|key| found.get(key))
        .find(|id| id.as_str() != own_id);
    Some(match resolved {
        Some(id) => Parent::Golden(id.clone()),
        None => Parent::Unresolved {
            source_system: first.source_system.clone(),
        },
    })
}

/// Every active golden record of `domain` (updated after `since`, when given) as resources,
/// oldest first, a page at a time handed to `emit` as NDJSON; the number of resources.
fn export_pages(
    store: &Store,
    kind: ResourceType,
    domain: &Domain,
    since: Option<DateTime<Utc>>,
    mask: &Mask,
    mut emit: impl FnMut(Vec<u8>) -> Result<(), ServiceError>,
) -> Result<usize, ServiceError> {
    let mut query = BrowseQuery {
        fields: Vec::new(),
        min_members: None,
        max_members: None,
        source_system: None,
        updated_after: since,
        updated_before: None,
        sort: BrowseOrder::CreatedAsc,
        cursor: None,
        limit: MAX_PAGE,
    };
    let mut count = 0;
    loop {
        let page = browse_in(store, domain, &query, true)?;
        let snapshots: Vec<Snapshot> = page
            .records
            .into_iter()
            .map(Snapshot::from_summary)
            .collect();
        if !snapshots.is_empty() {
            let mut conn = store.conn()?;
            let resources = resources(&mut conn, kind, domain, &snapshots, mask)?;
            count += resources.len();
            emit(ndjson(&resources)?)?;
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(count),
        }
    }
}

fn ndjson(resources: &[Value]) -> Result<Vec<u8>, ServiceError> {
    let mut out = Vec::with_capacity(resources.len() * 512);
    for resource in resources {
        serde_json::to_writer(&mut out, resource)
            .map_err(|e| ServiceError::internal("writing NDJSON", e))?;
        out.push(b'\n');
    }
    Ok(out)
}

impl Golden {
    /// The resource of `kind` for golden ID `id`. An ID merged into another answers
    /// [`FhirRead::Moved`]; one of another domain, or unknown, is not found.
    #[tracing::instrument(skip(self), fields(kind = kind.name()))]
    /// Fields `mask` covers are left out (the caller may not see them).
    pub fn fhir_resource(
        &self,
        kind: ResourceType,
        id: &str,
        mask: &Mask,
    ) -> Result<FhirRead, ServiceError> {
        let domain = self.domain(kind.domain())?;
        let mut conn = self.store.conn()?;
        let row = resolve(&mut conn, id)?
            .filter(|row| row.domain == domain.name)
            .ok_or_else(|| ServiceError::NotFound(format!("{} {id}", kind.name())))?;
        if row.golden_id != id {
            return Ok(FhirRead::Moved {
                survivor: row.golden_id,
            });
        }
        let snapshot = Snapshot::from_row(row)?;
        let mut resources = resources(&mut conn, kind, &domain, &[snapshot], mask)?;
        resources
            .pop()
            .map(FhirRead::Resource)
            .ok_or_else(|| ServiceError::internal_msg("no resource was built"))
    }

    /// Starts streaming every active golden record of `kind`'s domain (updated after `since`)
    /// as NDJSON resources, on a blocking thread, through a bounded channel (see
    /// [`Golden::crosswalk_export`]).
    pub fn fhir_export(
        &self,
        kind: ResourceType,
        since: Option<DateTime<Utc>>,
        mask: Mask,
    ) -> Result<ExportStream, ServiceError> {
        let domain = self.domain(kind.domain())?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| ServiceError::internal("no async runtime to export on", e))?;
        let store = self.store.clone();
        let (tx, rx) = mpsc::channel(STREAM_DEPTH);
        runtime.spawn_blocking(move || {
            let result = export_pages(&store, kind, &domain, since, &mask, |chunk| {
                tx.blocking_send(Ok(chunk))
                    .map_err(|_| ServiceError::internal_msg("the export's reader left"))
            });
            match result {
                Ok(count) => tracing::debug!(kind = kind.name(), count, "FHIR export done"),
                Err(_) if tx.is_closed() => tracing::debug!("FHIR export abandoned"),
                Err(e) => {
                    tracing::error!(error = %super::error::chain(&e), "FHIR export failed");
                    let _ = tx.blocking_send(Err(e));
                }
            }
        });
        Ok(rx)
    }
}
