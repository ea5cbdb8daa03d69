//! Golden records: creating them, recomputing their fields, and reading them (following the
//! redirects of retired IDs).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::crosswalk::statuses_at;
use super::views::{GoldenView, MemberRef, utc};
use super::{Golden, ServiceError};
use crate::model::{golden_id, golden_status, record_status};
use crate::rules::Domain;
use crate::store::models::{GoldenRow, NewGolden, OverrideRow, SourceRecordRow};
use crate::store::queries::{crosswalk, golden, records};
use crate::store::{DbConnection, StoreError, Tx};
use crate::survivorship::{self, Member, Override, Survived};
use crate::validate::ValidRecord;

/// Longest redirect chain followed before the data is called corrupt.
const MAX_REDIRECTS: usize = 64;

/// Issues a new golden ID for `domain` and stores a golden record built from `record`.
pub(super) fn create_golden(
    tx: &mut Tx<'_>,
    domain: &Domain,
    record: &ValidRecord,
) -> Result<String, ServiceError> {
    let member = Member {
        source_system: &record.source_system,
        source_id: &record.source_id,
        created_at: tx.now(),
        updated_at: tx.now(),
        attributes: &record.attributes,
    };
    let survived = survivorship::survive(domain, &[member], &[]);
    issue_golden(tx, domain, &survived)
}

/// Issues the next golden ID of `domain` for a record with `survived` fields.
pub(super) fn issue_golden(
    tx: &mut Tx<'_>,
    domain: &Domain,
    survived: &Survived,
) -> Result<String, ServiceError> {
    let number = tx.next_number(&format!("golden:{}", domain.name))?;
    let id = golden_id(&domain.id_prefix, number);
    let now = tx.now();
    let fields = serde_json::to_string(&survived.fields)?;
    golden::insert(
        tx,
        &NewGolden {
            golden_id: &id,
            domain: &domain.name,
            status: golden_status::ACTIVE,
            version: 1,
            fields: &fields,
            lineage: &serde_json::to_string(&survived.lineage)?,
            created_at: now,
            updated_at: now,
        },
    )?;
    // The fields are serialized once, for the row and the event alike.
    let payload = format!(
        r#"{{"fields":{fields},"golden_id":{},"status":{},"version":1}}"#,
        json_string(&id),
        json_string(golden_status::ACTIVE),
    );
    tx.emit_text(Some(&domain.name), "golden.created", Some(&id), payload);
    Ok(id)
}

/// `text` as a JSON string, for event payloads written as text.
pub(super) fn json_string(text: &str) -> String {
    Value::from(text).to_string()
}

/// Recomputes a golden record's fields from its active members and announces the change.
/// A golden record left with no active member is retired (its ID still resolves).
pub(super) fn recompute_golden(
    tx: &mut Tx<'_>,
    domain: &Domain,
    id: &str,
) -> Result<(), ServiceError> {
    recompute_goldens(tx, domain, &[id.to_owned()])
}

/// [`recompute_golden`] for several golden records, read together in a few queries. One
/// merged into another since it was named is left as the merge recorded it.
pub(super) fn recompute_goldens(
    tx: &mut Tx<'_>,
    domain: &Domain,
    ids: &[String],
) -> Result<(), ServiceError> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<String> = ids.iter().filter(|id| seen.insert(*id)).cloned().collect();
    let ids = ids.as_slice();
    let mut members: HashMap<String, Vec<SourceRecordRow>> = HashMap::new();
    for row in records::members_of_many(tx.conn(), ids)? {
        members.entry(row.golden_id.clone()).or_default().push(row);
    }
    let mut overrides: HashMap<String, Vec<OverrideRow>> = HashMap::new();
    for row in golden::overrides_of_many(tx.conn(), ids)? {
        overrides
            .entry(row.golden_id.clone())
            .or_default()
            .push(row);
    }
    let mut current: HashMap<String, GoldenRow> = golden::find_many(tx.conn(), ids)?
        .into_iter()
        .map(|row| (row.golden_id.clone(), row))
        .collect();
    for id in ids {
        let current = current
            .remove(id)
            .ok_or_else(|| StoreError::Corrupt(format!("golden record {id} is missing")))?;
        if current.redirect_to.is_some() {
            continue;
        }
        let members = members.remove(id).unwrap_or_default();
        let overrides = overrides.remove(id).unwrap_or_default();
        store_recomputed(tx, domain, current, &members, &overrides)?;
    }
    Ok(())
}

/// Stores the fields survivorship gives `current` with `members`, and announces them.
fn store_recomputed(
    tx: &mut Tx<'_>,
    domain: &Domain,
    current: GoldenRow,
    members: &[SourceRecordRow],
    overrides: &[OverrideRow],
) -> Result<(), ServiceError> {
    let id = current.golden_id.as_str();
    let active: Vec<&SourceRecordRow> = members
        .iter()
        .filter(|m| m.status == record_status::ACTIVE)
        .collect();
    let (status, survived) = if active.is_empty() {
        (golden_status::RETIRED, stored_survived(&current)?)
    } else {
        (
            golden_status::ACTIVE,
            survive_rows(domain, &active, overrides)?,
        )
    };
    let now = tx.now();
    golden::update_fields(
        tx,
        &current,
        status,
        &serde_json::to_string(&survived.fields)?,
        &serde_json::to_string(&survived.lineage)?,
        now,
    )?;
    if status == golden_status::RETIRED && current.status != golden_status::RETIRED {
        let note = format!("{id} was retired: none of its records is active");
        super::stewardship::supersede_open_of(tx, domain, id, &note)?;
    }
    let kind = if status == golden_status::RETIRED {
        "golden.retired"
    } else {
        "golden.updated"
    };
    tx.emit(
        Some(&domain.name),
        kind,
        Some(id),
        &json!({"golden_id": id, "version": current.version + 1, "status": status,
                "fields": survived.fields}),
    );
    Ok(())
}

/// Survivorship over stored rows; `overrides` are a steward's values, which win.
pub(super) fn survive_rows(
    domain: &Domain,
    rows: &[&SourceRecordRow],
    overrides: &[OverrideRow],
) -> Result<Survived, ServiceError> {
    let values: Vec<Value> = overrides
        .iter()
        .map(|o| serde_json::from_str(&o.value))
        .collect::<Result<_, _>>()?;
    let overrides: Vec<Override<'_>> = overrides
        .iter()
        .zip(&values)
        .map(|(o, value)| Override {
            field: &o.field,
            value,
            actor: &o.actor,
            at: o.created_at,
            comment: o.reason.as_deref(),
        })
        .collect();
    let attributes: Vec<Map<String, Value>> = rows
        .iter()
        .map(|r| serde_json::from_str(&r.attributes))
        .collect::<Result<_, _>>()?;
    let members: Vec<Member<'_>> = rows
        .iter()
        .zip(&attributes)
        .map(|(row, attributes)| Member {
            source_system: &row.source_system,
            source_id: &row.source_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            attributes,
        })
        .collect();
    Ok(survivorship::survive(domain, &members, &overrides))
}

fn stored_survived(row: &GoldenRow) -> Result<Survived, ServiceError> {
    Ok(Survived {
        fields: serde_json::from_str(&row.fields)?,
        lineage: serde_json::from_str(&row.lineage)?,
    })
}

/// Follows redirects from `id` to the golden record that answers for it now.
pub fn resolve(conn: &mut DbConnection, id: &str) -> Result<Option<GoldenRow>, ServiceError> {
    let mut current = match golden::find(conn, id)? {
        Some(row) => row,
        None => return Ok(None),
    };
    for _ in 0..MAX_REDIRECTS {
        match current.redirect_to.clone() {
            None => return Ok(Some(current)),
            Some(next) => {
                current = golden::find(conn, &next)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("redirect from {id} to missing {next}"))
                })?;
            }
        }
    }
    Err(StoreError::Corrupt(format!("redirect chain from {id} is too long")).into())
}

pub(super) fn member_refs(rows: &[SourceRecordRow]) -> Vec<MemberRef> {
    rows.iter().map(member_ref).collect()
}

pub(super) fn member_ref(row: &SourceRecordRow) -> MemberRef {
    MemberRef {
        source_system: row.source_system.clone(),
        source_id: row.source_id.clone(),
        status: row.status.clone(),
    }
}

/// A golden record as the API shows it; `requested` is the ID the caller asked for.
pub(super) fn golden_view(
    conn: &mut DbConnection,
    row: GoldenRow,
    requested: &str,
) -> Result<GoldenView, ServiceError> {
    let members = records::members(conn, &row.golden_id)?;
    let survived = stored_survived(&row)?;
    Ok(GoldenView {
        redirected_from: (row.golden_id != requested).then(|| requested.to_owned()),
        golden_id: row.golden_id,
        domain: row.domain,
        status: row.status,
        version: row.version,
        fields: survived.fields,
        lineage: survived.lineage,
        members: member_refs(&members),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        as_of: None,
    })
}

impl Golden {
    /// A golden record by ID; a retired ID answers with its survivor and says so.
    #[tracing::instrument(skip(self))]
    pub fn golden_record(&self, domain: &str, id: &str) -> Result<GoldenView, ServiceError> {
        let domain = self.domain(domain)?;
        let mut conn = self.store.conn()?;
        let row = resolve(&mut conn, id)?
            .filter(|row| row.domain == domain.name)
            .ok_or_else(|| ServiceError::NotFound(format!("golden record {id}")))?;
        golden_view(&mut conn, row, id)
    }

    /// A golden record as it stood at `as_of`, from its history: its fields, status and the
    /// members it had then. An ID merged by then answers with its survivor of that moment.
    #[tracing::instrument(skip(self))]
    pub fn golden_record_at(
        &self,
        domain: &str,
        id: &str,
        as_of: DateTime<Utc>,
    ) -> Result<GoldenView, ServiceError> {
        let domain = self.domain(domain)?;
        let at = as_of.naive_utc();
        let not_found =
            || ServiceError::NotFound(format!("golden record {id} as of {}", as_of.to_rfc3339()));
        let mut conn = self.store.conn()?;
        let current = golden::find(&mut conn, id)?
            .filter(|row| row.domain == domain.name)
            .ok_or_else(not_found)?;
        let mut state = golden::state_at(&mut conn, id, at)?.ok_or_else(not_found)?;
        for _ in 0..MAX_REDIRECTS {
            let Some(next) = state.redirect_to.clone() else {
                break;
            };
            state = golden::state_at(&mut conn, &next, at)?.ok_or_else(|| {
                StoreError::Corrupt(format!("{id} redirected to {next} before it existed"))
            })?;
        }
        if state.redirect_to.is_some() {
            return Err(
                StoreError::Corrupt(format!("redirect chain from {id} is too long")).into(),
            );
        }
        let members = crosswalk::members_at(&mut conn, &state.golden_id, at)?;
        let statuses = statuses_at(&mut conn, &members, at)?;
        let created_at = match golden::find(&mut conn, &state.golden_id)? {
            Some(row) => row.created_at,
            None => current.created_at,
        };
        Ok(GoldenView {
            redirected_from: (state.golden_id != id).then(|| id.to_owned()),
            fields: serde_json::from_str(&state.fields)?,
            lineage: serde_json::from_str(&state.lineage)?,
            members: members
                .into_iter()
                .map(|m| MemberRef {
                    status: statuses
                        .get(&m.id)
                        .copied()
                        .unwrap_or(record_status::ACTIVE)
                        .to_owned(),
                    source_system: m.source_system,
                    source_id: m.source_id,
                })
                .collect(),
            golden_id: state.golden_id,
            domain: domain.name.clone(),
            status: state.status,
            version: state.version,
            created_at: utc(created_at),
            updated_at: utc(state.recorded_at),
            as_of: Some(as_of),
        })
    }
}
