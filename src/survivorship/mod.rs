//! Building a golden record's fields from its members, with per-field lineage.
//! Pure: the caller loads the members and overrides; this decides which value survives,
//! by the rule each field declares in its rule file (see [`SurvivorRule`]).

mod rules;

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rules::Domain;

pub use rules::{SurvivorRule, UnknownRule};

/// The `rule` that lineage names when a steward's override supplied the value.
pub const OVERRIDE_RULE: &str = "override";

/// One active member of a golden record, as survivorship sees it.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub source_system: &'a str,
    pub source_id: &'a str,
    /// When the record was created; `first_non_empty` prefers the earliest.
    pub created_at: NaiveDateTime,
    /// When the record last changed; `most_recent` and every tie-break prefer the latest.
    pub updated_at: NaiveDateTime,
    pub attributes: &'a Map<String, Value>,
}

/// A steward's value for one field; it beats every member's value.
#[derive(Debug, Clone, Copy)]
pub struct Override<'a> {
    pub field: &'a str,
    pub value: &'a Value,
    pub actor: &'a str,
    /// When the steward set it.
    pub at: NaiveDateTime,
    /// The steward's comment, if any.
    pub comment: Option<&'a str>,
}

/// Where a surviving value came from and which rule chose it. The source is `None` when a
/// steward's override supplied the value; `overridden_by` then names the steward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lineage {
    #[serde(default)]
    pub source_system: Option<String>,
    #[serde(default)]
    pub source_id: Option<String>,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden_by: Option<String>,
    /// When the steward's override was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub overridden_at: Option<NaiveDateTime>,
    /// The comment the steward gave with the override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Lineage {
    fn chosen(member: &Member<'_>, rule: SurvivorRule) -> Self {
        Self {
            source_system: Some(member.source_system.to_owned()),
            source_id: Some(member.source_id.to_owned()),
            rule: rule.as_str().to_owned(),
            overridden_by: None,
            overridden_at: None,
            comment: None,
        }
    }

    fn overridden(o: &Override<'_>) -> Self {
        Self {
            source_system: None,
            source_id: None,
            rule: OVERRIDE_RULE.to_owned(),
            overridden_by: Some(o.actor.to_owned()),
            overridden_at: Some(o.at),
            comment: o.comment.map(str::to_owned),
        }
    }
}

/// A golden record's surviving fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Survived {
    pub fields: BTreeMap<String, Value>,
    pub lineage: BTreeMap<String, Lineage>,
}

/// Picks each declared field's value. An override for the field wins as given (the last one
/// when there are several); otherwise the field's rule chooses among the members with a
/// non-empty value. Overrides of undeclared fields are ignored: the caller validates them.
pub fn survive(domain: &Domain, members: &[Member<'_>], overrides: &[Override<'_>]) -> Survived {
    let mut survived = Survived::default();
    for field in &domain.fields {
        if let Some(o) = overrides.iter().rev().find(|o| o.field == field.name) {
            survived.fields.insert(field.name.clone(), o.value.clone());
            survived
                .lineage
                .insert(field.name.clone(), Lineage::overridden(o));
            continue;
        }
        let candidates: Vec<rules::Candidate<'_, '_>> = members
            .iter()
            .enumerate()
            .filter_map(|(pos, member)| {
                let value = member
                    .attributes
                    .get(&field.name)
                    .filter(|v| has_value(v))?;
                Some(rules::Candidate { pos, member, value })
            })
            .collect();
        if let Some(winner) = rules::pick(field, &candidates) {
            survived
                .fields
                .insert(field.name.clone(), winner.value.clone());
            survived.lineage.insert(
                field.name.clone(),
                Lineage::chosen(winner.member, field.survivorship),
            );
        }
    }
    survived
}

fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
