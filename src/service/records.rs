//! Reading and retiring source records, and the crosswalk lookup.

use serde_json::{Value, json};

use super::golden::{member_refs, recompute_golden};
use super::ingest::add_version;
use super::views::{CrosswalkEntry, LinkView, MemberRef, RecordView, VersionView, utc};
use super::{Golden, ServiceError};
use crate::model::record_status;
use crate::store::models::SourceRecordRow;
use crate::store::queries::{models, records, records::RecordUpdate};
use crate::store::{DbConnection, StoreError};

impl Golden {
    /// A source record with its whole version history.
    #[tracing::instrument(skip(self))]
    pub fn source_record(
        &self,
        domain: &str,
        source_system: &str,
        source_id: &str,
    ) -> Result<RecordView, ServiceError> {
        let domain = self.domain(domain)?;
        let mut conn = self.store.conn()?;
        let row = find(&mut conn, &domain.name, source_system, source_id)?;
        let history = records::versions(&mut conn, row.id)?
            .into_iter()
            .map(|v| {
                Ok(VersionView {
                    version: v.version,
                    change: v.change,
                    attributes: parse_json(&v.attributes)?,
                    recorded_at: utc(v.recorded_at),
                })
            })
            .collect::<Result<_, ServiceError>>()?;
        let link = link_of(&mut conn, row.id)?;
        Ok(RecordView {
            link,
            attributes: parse_json(&row.attributes)?,
            standardized: parse_json(&row.standardized)?,
            domain: row.domain,
            source_system: row.source_system,
            source_id: row.source_id,
            golden_id: row.golden_id,
            status: row.status,
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            history,
        })
    }

    /// Marks a record retired by its source. History and membership are kept, so its golden ID
    /// still resolves; retiring twice changes nothing.
    #[tracing::instrument(skip(self))]
    pub fn retire_record(
        &self,
        domain: &str,
        source_system: &str,
        source_id: &str,
    ) -> Result<RecordView, ServiceError> {
        let domain = self.domain(domain)?;
        self.store.write(|tx| {
            let row = find(tx.conn(), &domain.name, source_system, source_id)?;
            if row.status == record_status::RETIRED {
                return Ok(());
            }
            retire(tx, &domain.name, &row)?;
            recompute_golden(tx, &domain, &row.golden_id)
        })?;
        self.source_record(&domain.name, source_system, source_id)
    }

    /// The golden ID of a source record and every member ID of that golden record, from the
    /// in-memory crosswalk when it holds the key, else from the database (a key another
    /// replica wrote since the cache last caught up, or an unknown key).
    #[tracing::instrument(skip(self))]
    pub fn crosswalk(
        &self,
        domain: &str,
        source_system: &str,
        source_id: &str,
    ) -> Result<CrosswalkEntry, ServiceError> {
        let domain = self.domain(domain)?;
        if self.crosswalk_cache_current()
            && let Some(entry) = self.crosswalk_cached(&domain.name, source_system, source_id)
        {
            return Ok(entry);
        }
        let mut conn = self.store.conn()?;
        let row = find(&mut conn, &domain.name, source_system, source_id)?;
        let members = records::members(&mut conn, &row.golden_id)?;
        Ok(CrosswalkEntry {
            domain: row.domain,
            source_system: row.source_system,
            source_id: row.source_id,
            golden_id: row.golden_id,
            record_status: row.status,
            members: member_refs(&members),
            as_of: None,
        })
    }
}

/// Retires a stored record as a new version, announcing it; its golden record is left for the
/// caller to recompute.
pub(super) fn retire(
    tx: &mut crate::store::Tx<'_>,
    domain: &str,
    row: &SourceRecordRow,
) -> Result<(), ServiceError> {
    let version = row.version + 1;
    let now = tx.now();
    records::update(
        tx.conn(),
        row.id,
        &RecordUpdate {
            version,
            status: record_status::RETIRED,
            attributes: &row.attributes,
            standardized: &row.standardized,
            content_hash: &row.content_hash,
            updated_at: now,
            standardization: row.standardization.as_deref(),
        },
    )?;
    add_version(
        tx,
        row.id,
        version,
        "retired",
        &row.attributes,
        &row.content_hash,
    );
    tx.emit(
        Some(domain),
        "record.retired",
        Some(&row.golden_id),
        &json!({"source_system": row.source_system, "source_id": row.source_id,
                "golden_id": row.golden_id, "version": version}),
    );
    Ok(())
}

fn find(
    conn: &mut DbConnection,
    domain: &str,
    source_system: &str,
    source_id: &str,
) -> Result<SourceRecordRow, ServiceError> {
    records::find(conn, domain, source_system, source_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("source record {source_system}/{source_id}")))
}

fn parse_json(text: &str) -> Result<Value, ServiceError> {
    serde_json::from_str(text).map_err(|e| StoreError::from(e).into())
}

/// The evidence of the record's latest auto-link, with the member it matched by source keys.
fn link_of(conn: &mut DbConnection, record_id: i64) -> Result<Option<LinkView>, ServiceError> {
    let Some(row) = models::latest_link(conn, record_id)? else {
        return Ok(None);
    };
    let matched = match row.matched_record_id {
        Some(id) => records::by_ids(conn, &[id])?
            .into_iter()
            .next()
            .map(|m| MemberRef {
                source_system: m.source_system,
                source_id: m.source_id,
                status: m.status,
            }),
        None => None,
    };
    Ok(Some(LinkView {
        golden_id: row.golden_id,
        matched,
        probability: row.score,
        evidence: serde_json::from_str(&row.evidence)?,
        model_version: row.model_version,
        rules_version: row.rules_version,
        linked_at: utc(row.created_at),
    }))
}
