//! The crosswalk's read side beyond the single lookup: many keys at once, answers for a past
//! moment (from the membership history), and the reverse lookup from a golden ID.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::golden::{member_refs, resolve};
use super::views::{CrosswalkEntry, LookupAnswer, LookupResult, MemberRef, ReverseCrosswalk};
use super::{Golden, ServiceError};
use crate::model::{SourceKey, record_status};
use crate::store::DbConnection;
use crate::store::queries::crosswalk::{self, KeyRow};
use crate::store::queries::records;

/// Most keys one batch lookup may name; larger sets belong to the export.
pub const MAX_LOOKUP_KEYS: usize = 5_000;

/// Keys per query: small enough for both backends' bind-parameter limits.
const CHUNK: usize = 500;

/// What a key resolved to: its golden ID and the record's status.
type Resolved = HashMap<SourceKey, (String, String)>;

impl Golden {
    /// Looks up many source keys at once, now or as they stood at `as_of`. Answers come back
    /// in request order; a key with no record (or none yet at `as_of`) is `found: false`.
    /// Current answers come from the in-memory crosswalk where it holds the key.
    #[tracing::instrument(skip_all, fields(domain = domain, keys = keys.len()))]
    pub fn lookup(
        &self,
        domain: &str,
        keys: &[SourceKey],
        as_of: Option<DateTime<Utc>>,
    ) -> Result<LookupAnswer, ServiceError> {
        let domain = self.domain(domain)?;
        if keys.is_empty() {
            return Err(ServiceError::invalid("keys must name at least one record"));
        }
        if keys.len() > MAX_LOOKUP_KEYS {
            return Err(ServiceError::invalid(format!(
                "a lookup may name at most {MAX_LOOKUP_KEYS} keys (got {}); split the request \
                 or use the crosswalk export",
                keys.len()
            )));
        }
        let mut distinct: Vec<&SourceKey> =
            keys.iter().collect::<BTreeSet<_>>().into_iter().collect();
        let mut resolved = Resolved::new();
        if as_of.is_none() && self.crosswalk_cache_current() {
            let cache = &self.crosswalk_cache;
            distinct.retain(|key| {
                let hit = cache.golden_of(&domain.name, &key.source_system, &key.source_id);
                let missed = hit.is_none();
                resolved.extend(hit.map(|hit| ((*key).clone(), hit)));
                missed
            });
        }
        if distinct.is_empty() {
            return Ok(answer(keys, &resolved, as_of));
        }
        let mut conn = self.store.conn()?;
        for chunk in distinct.chunks(CHUNK) {
            let rows = crosswalk::by_keys(&mut conn, &domain.name, chunk)?;
            match as_of {
                None => resolved.extend(rows.into_iter().map(|r| {
                    (
                        key_of(r.source_system, r.source_id),
                        (r.golden_id, r.status),
                    )
                })),
                Some(at) => resolve_at(&mut conn, rows, at.naive_utc(), &mut resolved)?,
            }
        }
        Ok(answer(keys, &resolved, as_of))
    }

    /// The crosswalk entry of one source key, now or as it stood at `as_of`: then the golden
    /// ID is the one the record belonged to at that moment, and the members are the records
    /// that belonged to it then. A record that did not exist yet is not found.
    #[tracing::instrument(skip(self))]
    pub fn crosswalk_at(
        &self,
        domain: &str,
        source_system: &str,
        source_id: &str,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<CrosswalkEntry, ServiceError> {
        let Some(as_of) = as_of else {
            return self.crosswalk(domain, source_system, source_id);
        };
        let domain = self.domain(domain)?;
        let at = as_of.naive_utc();
        let not_found = || {
            ServiceError::NotFound(format!(
                "source record {source_system}/{source_id} as of {}",
                as_of.to_rfc3339()
            ))
        };
        let mut conn = self.store.conn()?;
        let row = records::find(&mut conn, &domain.name, source_system, source_id)?
            .ok_or_else(not_found)?;
        let (_, golden_id) = crosswalk::golden_at(&mut conn, &[row.id], at)?
            .into_iter()
            .next()
            .ok_or_else(not_found)?;
        let members = crosswalk::members_at(&mut conn, &golden_id, at)?;
        let statuses = statuses_at(&mut conn, &members, at)?;
        let status_of = |id: i64| statuses.get(&id).copied().unwrap_or(record_status::ACTIVE);
        Ok(CrosswalkEntry {
            record_status: status_of(row.id).to_owned(),
            domain: row.domain,
            source_system: row.source_system,
            source_id: row.source_id,
            golden_id,
            members: members
                .into_iter()
                .map(|m| MemberRef {
                    status: status_of(m.id).to_owned(),
                    source_system: m.source_system,
                    source_id: m.source_id,
                })
                .collect(),
            as_of: Some(as_of),
        })
    }

    /// The source records behind a golden ID. A retired (merged) ID answers with the golden
    /// record that absorbed it and says it was redirected.
    #[tracing::instrument(skip(self))]
    pub fn reverse_crosswalk(
        &self,
        domain: &str,
        golden_id: &str,
    ) -> Result<ReverseCrosswalk, ServiceError> {
        let domain = self.domain(domain)?;
        let mut conn = self.store.conn()?;
        let current = resolve(&mut conn, golden_id)?
            .filter(|row| row.domain == domain.name)
            .ok_or_else(|| ServiceError::NotFound(format!("golden record {golden_id}")))?;
        let members = records::members(&mut conn, &current.golden_id)?;
        Ok(ReverseCrosswalk {
            redirected: current.golden_id != golden_id,
            requested_golden_id: golden_id.to_owned(),
            golden_id: current.golden_id,
            members: member_refs(&members),
        })
    }
}

/// The answers to `keys` in request order.
fn answer(keys: &[SourceKey], resolved: &Resolved, as_of: Option<DateTime<Utc>>) -> LookupAnswer {
    let results = keys
        .iter()
        .map(|key| {
            let hit = resolved.get(key);
            LookupResult {
                source_system: key.source_system.clone(),
                source_id: key.source_id.clone(),
                found: hit.is_some(),
                golden_id: hit.map(|(golden_id, _)| golden_id.clone()),
                record_status: hit.map(|(_, status)| status.clone()),
            }
        })
        .collect();
    LookupAnswer { results, as_of }
}

/// Adds the keys of `rows` that had a membership at `at`, with their golden ID and status
/// then.
fn resolve_at(
    conn: &mut DbConnection,
    rows: Vec<KeyRow>,
    at: NaiveDateTime,
    resolved: &mut Resolved,
) -> Result<(), ServiceError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let golden: HashMap<i64, String> = crosswalk::golden_at(conn, &ids, at)?.into_iter().collect();
    let statuses = statuses_at(conn, &rows, at)?;
    for row in rows {
        if let Some(golden_id) = golden.get(&row.id) {
            let status = statuses
                .get(&row.id)
                .copied()
                .unwrap_or(record_status::ACTIVE);
            resolved.insert(
                key_of(row.source_system, row.source_id),
                (golden_id.clone(), status.to_owned()),
            );
        }
    }
    Ok(())
}

fn key_of(source_system: String, source_id: String) -> SourceKey {
    SourceKey {
        source_system,
        source_id,
    }
}

/// Each record's status at `at`, from the newest version recorded by then: a record whose
/// latest change was its retirement was retired, any other change leaves it active.
pub(super) fn statuses_at(
    conn: &mut DbConnection,
    rows: &[KeyRow],
    at: NaiveDateTime,
) -> Result<HashMap<i64, &'static str>, ServiceError> {
    let mut statuses = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
        for (id, change) in crosswalk::changes_at(conn, &ids, at)? {
            let status = if change == "retired" {
                record_status::RETIRED
            } else {
                record_status::ACTIVE
            };
            statuses.insert(id, status);
        }
    }
    Ok(statuses)
}
