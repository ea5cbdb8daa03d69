//! Merges risky enough to need a second steward (the rule file's `[stewardship]`): golden
//! records that disagree on a strong identifier, or a merge that would make a record of more
//! members than the domain allows. The first approval is recorded; another steward's
//! approval merges.

use serde_json::{Map, Value};

use super::merge::member_ids;
use crate::masking::mask;
use crate::rules::Domain;
use crate::service::ServiceError;
use crate::service::browse::comparable;
use crate::store::Tx;
use crate::store::models::GoldenRow;

/// Why merging `left` and `right` needs a second approval; empty when one is enough.
pub(super) fn reasons(
    tx: &mut Tx<'_>,
    domain: &Domain,
    left: &GoldenRow,
    right: &GoldenRow,
) -> Result<Vec<String>, ServiceError> {
    let rules = &domain.four_eyes;
    let mut reasons = Vec::new();
    if !rules.identifiers.is_empty() {
        let a: Map<String, Value> = serde_json::from_str(&left.fields)?;
        let b: Map<String, Value> = serde_json::from_str(&right.fields)?;
        for name in &rules.identifiers {
            let (Some(field), Some(x), Some(y)) =
                (domain.field(name), text(&a, name), text(&b, name))
            else {
                continue;
            };
            if comparable(field.field_type, &x) != comparable(field.field_type, &y) {
                // The reason is stored in the audit and shown to every steward: a sensitive
                // value is written masked, as callers without the grant see it.
                let (x, y) = if field.sensitive {
                    (mask(&x), mask(&y))
                } else {
                    (x, y)
                };
                reasons.push(format!("they disagree on {name} ({x} and {y})"));
            }
        }
    }
    if let Some(limit) = rules.max_members {
        let members =
            member_ids(tx, &left.golden_id)?.len() + member_ids(tx, &right.golden_id)?.len();
        if members > limit {
            reasons.push(format!(
                "the merged record would hold {members} members (more than {limit})"
            ));
        }
    }
    Ok(reasons)
}

/// A field's value as text, when it has one.
fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
