//! Building a golden record's fields from its members, with per-field lineage.
//! Pure: the caller loads the members; this decides which value survives.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rules::Domain;

/// One active member of a golden record, as survivorship sees it.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub source_system: &'a str,
    pub source_id: &'a str,
    pub updated_at: NaiveDateTime,
    pub attributes: &'a Map<String, Value>,
}

/// Where a surviving value came from and which rule chose it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    pub source_system: String,
    pub source_id: String,
    pub rule: String,
}

/// A golden record's surviving fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Survived {
    pub fields: BTreeMap<String, Value>,
    pub lineage: BTreeMap<String, Lineage>,
}

/// Picks each declared field's value: the most recently updated member with a non-empty
/// value wins; ties go to the earlier member in `members`.
pub fn survive(domain: &Domain, members: &[Member<'_>]) -> Survived {
    let mut survived = Survived::default();
    for field in &domain.fields {
        let winner = members
            .iter()
            .filter(|m| m.attributes.get(&field.name).is_some_and(has_value))
            .fold(None::<&Member<'_>>, |best, m| match best {
                Some(b) if b.updated_at >= m.updated_at => Some(b),
                _ => Some(m),
            });
        if let Some((member, value)) =
            winner.and_then(|m| m.attributes.get(&field.name).map(|v| (m, v)))
        {
            survived.fields.insert(field.name.clone(), value.clone());
            survived.lineage.insert(
                field.name.clone(),
                Lineage {
                    source_system: member.source_system.to_owned(),
                    source_id: member.source_id.to_owned(),
                    rule: "most_recent".into(),
                },
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
mod tests {
    use super::*;
    use crate::rules::parse_domain;
    use chrono::DateTime;
    use serde_json::json;
    use std::path::Path;

    fn at(secs: i64) -> NaiveDateTime {
        DateTime::from_timestamp(secs, 0).unwrap().naive_utc()
    }

    #[test]
    fn most_recent_non_empty_value_wins_with_lineage() {
        let domain = parse_domain(
            Path::new("t.toml"),
            "[domain]\nname=\"t\"\nid_prefix=\"T\"\n[[field]]\nname=\"name\"\ntype=\"text\"\nrequired=true\n[[field]]\nname=\"city\"\ntype=\"text\"\n",
        )
        .unwrap();
        let old = json!({"name": "Acme Old", "city": "Chicago"});
        let new = json!({"name": "Acme New", "city": ""});
        let (old, new) = (old.as_object().unwrap(), new.as_object().unwrap());
        let members = [
            Member {
                source_system: "a",
                source_id: "1",
                updated_at: at(10),
                attributes: old,
            },
            Member {
                source_system: "b",
                source_id: "2",
                updated_at: at(20),
                attributes: new,
            },
        ];
        let survived = survive(&domain, &members);
        assert_eq!(survived.fields["name"], "Acme New");
        assert_eq!(survived.lineage["name"].source_system, "b");
        assert_eq!(survived.fields["city"], "Chicago");
        assert_eq!(survived.lineage["city"].source_id, "1");
    }
}
