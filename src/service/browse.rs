//! Browsing golden records without a search text: filtered by field values (compared after
//! standardization, so `field.city=denver` finds `DENVER`), member count, source system and
//! update time, in a stable order with keyset cursors, so a steward can walk a whole domain
//! and an export can stream it with flat memory.
//!
//! Field values live in each record's stored JSON, which neither backend can standardize:
//! SQL narrows by what it can judge, and the rest is judged here a batch at a time. A page
//! therefore scans at most [`SCAN_BUDGET`] records; when it stops early it may hold fewer
//! than `limit` records and still carry a `next_cursor`.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::views::utc;
use super::{Golden, ServiceError};
use crate::model::golden_status;
use crate::normalize::{FieldType, standardize};
use crate::rules::Domain;
use crate::store::Store;
use crate::store::models::GoldenRow;
use crate::store::queries::browse::{self, BrowseFilter, BrowseOrder};
use crate::survivorship::Lineage;

/// Most records one page holds.
pub const MAX_PAGE: i64 = 500;

/// Records read from the database per round trip.
const BATCH: i64 = 500;

/// Most records one page looks at before it answers with what it found.
pub const SCAN_BUDGET: usize = 20_000;

/// What a listing keeps, in what order, from where.
#[derive(Debug, Clone)]
pub struct BrowseQuery {
    /// Declared field name and the value it must equal after standardization.
    pub fields: Vec<(String, String)>,
    pub min_members: Option<i64>,
    pub max_members: Option<i64>,
    pub source_system: Option<String>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    pub sort: BrowseOrder,
    pub cursor: Option<String>,
    pub limit: i64,
}

/// A golden record in a listing or export.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GoldenSummary {
    pub golden_id: String,
    pub version: i64,
    /// How many active source records it has.
    pub member_count: i64,
    pub fields: BTreeMap<String, Value>,
    /// Where each field's value came from (exports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineage: Option<BTreeMap<String, Lineage>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One page of a listing; pass `next_cursor` back as `cursor` for the next (null at the end).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BrowsePage {
    pub records: Vec<GoldenSummary>,
    pub next_cursor: Option<String>,
    pub limit: i64,
}

/// Parses a listing order: `updated_desc` (default), `updated_asc`, `created_desc`,
/// `created_asc`.
pub fn parse_order(text: &str) -> Result<BrowseOrder, ServiceError> {
    ORDERS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, order)| *order)
        .ok_or_else(|| {
            ServiceError::invalid(format!(
                "sort {text:?} must be one of updated_desc, updated_asc, created_desc, \
                 created_asc"
            ))
        })
}

const ORDERS: [(&str, BrowseOrder); 4] = [
    ("updated_desc", BrowseOrder::UpdatedDesc),
    ("updated_asc", BrowseOrder::UpdatedAsc),
    ("created_desc", BrowseOrder::CreatedDesc),
    ("created_asc", BrowseOrder::CreatedAsc),
];

fn order_name(order: BrowseOrder) -> &'static str {
    ORDERS
        .iter()
        .find(|(_, o)| *o == order)
        .map_or("updated_desc", |(name, _)| name)
}

/// A cursor names the order it belongs to and the last record scanned.
fn encode_cursor(order: BrowseOrder, at: NaiveDateTime, golden_id: &str) -> String {
    let micros = at.and_utc().timestamp_micros();
    URL_SAFE_NO_PAD.encode(format!("{}~{micros}~{golden_id}", order_name(order)))
}

fn decode_cursor(
    order: BrowseOrder,
    cursor: &str,
) -> Result<(NaiveDateTime, String), ServiceError> {
    let bad = || ServiceError::invalid("cursor is not one this listing issued: start over");
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(bad)?;
    let mut parts = text.splitn(3, '~');
    let (Some(name), Some(micros), Some(golden_id)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if name != order_name(order) {
        return Err(ServiceError::invalid(format!(
            "cursor belongs to sort {name}, not {}",
            order_name(order)
        )));
    }
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at.naive_utc(), golden_id.to_owned()))
}

/// A value as text, as a filter compares it.
fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The form two values are compared in: standardized by the field's type, or (when the value
/// does not pass its type's check) trimmed and lower-cased.
pub fn comparable(field_type: FieldType, raw: &str) -> String {
    standardize(field_type, raw).unwrap_or_else(|_| raw.trim().to_lowercase())
}

/// One field filter, its wanted value already in comparable form.
struct FieldTest {
    name: String,
    field_type: FieldType,
    wanted: String,
}

impl FieldTest {
    fn holds(&self, fields: &BTreeMap<String, Value>) -> bool {
        let value = fields.get(&self.name).map(text_of).unwrap_or_default();
        comparable(self.field_type, &value) == self.wanted
    }
}

fn field_tests(
    domain: &Domain,
    fields: &[(String, String)],
) -> Result<Vec<FieldTest>, ServiceError> {
    fields
        .iter()
        .map(|(name, wanted)| {
            let def = domain
                .field(name)
                .ok_or_else(|| unknown_field(domain, name))?;
            Ok(FieldTest {
                name: name.clone(),
                field_type: def.field_type,
                wanted: comparable(def.field_type, wanted),
            })
        })
        .collect()
}

/// The error for a filter on a field the domain does not declare.
pub fn unknown_field(domain: &Domain, name: &str) -> ServiceError {
    let declared: Vec<&str> = domain.fields.iter().map(|f| f.name.as_str()).collect();
    ServiceError::invalid(format!(
        "unknown field {name:?} in field.{name}: {} declares {}",
        domain.name,
        declared.join(", ")
    ))
}

impl Golden {
    /// One page of the active golden records of `domain` that pass every filter.
    #[tracing::instrument(skip(self, query))]
    pub fn browse_golden(
        &self,
        domain: &str,
        query: &BrowseQuery,
        with_lineage: bool,
    ) -> Result<BrowsePage, ServiceError> {
        let domain = self.domain(domain)?;
        browse_in(&self.store, &domain, query, with_lineage)
    }
}

/// Checks a listing's filters and cursor before any record is read, so that a streamed
/// export refuses a bad one before it starts answering.
pub fn check(domain: &Domain, query: &BrowseQuery) -> Result<(), ServiceError> {
    field_tests(domain, &query.fields)?;
    if let Some(cursor) = &query.cursor {
        decode_cursor(query.sort, cursor)?;
    }
    Ok(())
}

/// [`Golden::browse_golden`] on a store and domain, for work that runs off the service.
pub fn browse_in(
    store: &Store,
    domain: &Domain,
    query: &BrowseQuery,
    with_lineage: bool,
) -> Result<BrowsePage, ServiceError> {
    if !(1..=MAX_PAGE).contains(&query.limit) {
        return Err(ServiceError::invalid(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    let tests = field_tests(domain, &query.fields)?;
    let mut filter = BrowseFilter {
        domain: &domain.name,
        status: golden_status::ACTIVE,
        updated_after: query.updated_after.map(|t| t.naive_utc()),
        updated_before: query.updated_before.map(|t| t.naive_utc()),
        source_system: query.source_system.as_deref(),
        order: query.sort,
        after: query
            .cursor
            .as_deref()
            .map(|c| decode_cursor(query.sort, c))
            .transpose()?,
    };
    let mut conn = store.conn()?;
    let (mut records, mut scanned) = (Vec::new(), 0);
    loop {
        let rows = browse::batch(&mut conn, &filter, BATCH)?;
        let ids: Vec<String> = rows.iter().map(|r| r.golden_id.clone()).collect();
        let counts = browse::member_counts(&mut conn, &ids)?;
        let exhausted = (rows.len() as i64) < BATCH;
        for row in rows {
            scanned += 1;
            filter.after = Some((query.sort.key(&row), row.golden_id.clone()));
            let members = counts.get(&row.golden_id).copied().unwrap_or(0);
            if let Some(summary) = keep(row, members, query, &tests, with_lineage)? {
                records.push(summary);
                if records.len() as i64 == query.limit {
                    return Ok(page(records, &filter, query));
                }
            }
        }
        if exhausted {
            return Ok(BrowsePage {
                records,
                next_cursor: None,
                limit: query.limit,
            });
        }
        if scanned >= SCAN_BUDGET {
            return Ok(page(records, &filter, query));
        }
    }
}

fn page(records: Vec<GoldenSummary>, filter: &BrowseFilter<'_>, query: &BrowseQuery) -> BrowsePage {
    BrowsePage {
        records,
        next_cursor: filter
            .after
            .as_ref()
            .map(|(at, id)| encode_cursor(query.sort, *at, id)),
        limit: query.limit,
    }
}

/// The record as listed, when it passes the filters SQL could not apply.
fn keep(
    row: GoldenRow,
    members: i64,
    query: &BrowseQuery,
    tests: &[FieldTest],
    with_lineage: bool,
) -> Result<Option<GoldenSummary>, ServiceError> {
    if query.min_members.is_some_and(|min| members < min)
        || query.max_members.is_some_and(|max| members > max)
    {
        return Ok(None);
    }
    let fields: BTreeMap<String, Value> = serde_json::from_str(&row.fields)?;
    if !tests.iter().all(|t| t.holds(&fields)) {
        return Ok(None);
    }
    let lineage = if with_lineage {
        Some(serde_json::from_str(&row.lineage)?)
    } else {
        None
    };
    Ok(Some(GoldenSummary {
        golden_id: row.golden_id,
        version: row.version,
        member_count: members,
        fields,
        lineage,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_tied_to_its_order() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456)
            .unwrap()
            .naive_utc();
        let cursor = encode_cursor(BrowseOrder::UpdatedAsc, at, "V0000~12");
        assert_eq!(
            decode_cursor(BrowseOrder::UpdatedAsc, &cursor).unwrap(),
            (at, "V0000~12".to_owned())
        );
        assert!(decode_cursor(BrowseOrder::CreatedAsc, &cursor).is_err());
        assert!(decode_cursor(BrowseOrder::UpdatedAsc, "not a cursor!").is_err());
    }

    #[test]
    fn values_equal_after_standardization_compare_equal() {
        assert_eq!(
            comparable(FieldType::City, "DENVER"),
            comparable(FieldType::City, "Denver ")
        );
        assert_ne!(
            comparable(FieldType::City, "Denver"),
            comparable(FieldType::City, "Boulder")
        );
    }
}
