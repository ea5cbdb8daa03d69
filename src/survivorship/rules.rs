//! The survivorship rules a rule file can choose per field, and how each picks a winner.
//!
//! Every rule is total and deterministic: when its own criterion ties, recency decides, and
//! when recency ties too, the member listed first wins, so a recompute never flips a value.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Member;
use crate::normalize::{self, text};
use crate::rules::FieldDef;

/// How a field's surviving value is chosen among the members that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurvivorRule {
    /// The member whose source system comes first in the field's priority list.
    SourcePriority,
    /// The most recently updated member.
    #[default]
    MostRecent,
    /// The value most members agree on.
    MostFrequent,
    /// The longest value.
    Longest,
    /// The value of the member that joined first.
    FirstNonEmpty,
}

impl SurvivorRule {
    /// Every rule, so rule-file errors can list the accepted names.
    pub const ALL: &'static [SurvivorRule] = &[
        SurvivorRule::SourcePriority,
        SurvivorRule::MostRecent,
        SurvivorRule::MostFrequent,
        SurvivorRule::Longest,
        SurvivorRule::FirstNonEmpty,
    ];

    /// The snake_case name used in rule files and lineage.
    pub fn as_str(self) -> &'static str {
        match self {
            SurvivorRule::SourcePriority => "source_priority",
            SurvivorRule::MostRecent => "most_recent",
            SurvivorRule::MostFrequent => "most_frequent",
            SurvivorRule::Longest => "longest",
            SurvivorRule::FirstNonEmpty => "first_non_empty",
        }
    }
}

impl fmt::Display for SurvivorRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A survivorship rule name that is not one of [`SurvivorRule::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown survivorship rule {name:?}; known rules: {}", known_names())]
pub struct UnknownRule {
    pub name: String,
}

fn known_names() -> String {
    SurvivorRule::ALL
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for SurvivorRule {
    type Err = UnknownRule;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        SurvivorRule::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| UnknownRule {
                name: name.to_owned(),
            })
    }
}

/// A member that has a value for the field being decided; `pos` is its place in the slice.
pub(super) struct Candidate<'m, 'a> {
    pub pos: usize,
    pub member: &'m Member<'a>,
    pub value: &'m Value,
}

/// Picks the winner among `candidates` (given in slice order) by `field`'s rule.
pub(super) fn pick<'c, 'm, 'a>(
    field: &FieldDef,
    candidates: &'c [Candidate<'m, 'a>],
) -> Option<&'c Candidate<'m, 'a>> {
    let recency = |c: &Candidate<'_, '_>| Reverse(c.member.updated_at);
    let iter = candidates.iter();
    // `min_by_key` keeps the first of equal keys: that is the "earlier in the slice" tie-break.
    let winner = match field.survivorship {
        SurvivorRule::MostRecent => iter.min_by_key(|c| recency(c)),
        SurvivorRule::SourcePriority => {
            iter.min_by_key(|c| (priority_rank(field, c.member), recency(c)))
        }
        SurvivorRule::Longest => {
            iter.min_by_key(|c| (Reverse(text_of(c.value).chars().count()), recency(c)))
        }
        SurvivorRule::FirstNonEmpty => iter.min_by_key(|c| c.member.created_at),
        SurvivorRule::MostFrequent => most_frequent(field, candidates),
    }?;
    Some(prefer_mixed_case(field, candidates, winner))
}

/// The rule chose a value; when it came in capitals only (`ACME SURGICAL SUPPLY`) and another
/// member spells the same value in mixed case (`Acme Surgical Supply`), that spelling stands
/// for it, the most recent such member first, so one system's capitals do not set the tone.
fn prefer_mixed_case<'c, 'm, 'a>(
    field: &FieldDef,
    candidates: &'c [Candidate<'m, 'a>],
    winner: &'c Candidate<'m, 'a>,
) -> &'c Candidate<'m, 'a> {
    if !all_capitals(&text_of(winner.value)) {
        return winner;
    }
    let key = frequency_key(field, winner.value);
    candidates
        .iter()
        .filter(|c| {
            let text = text_of(c.value);
            has_lower_and_upper(&text) && frequency_key(field, c.value) == key
        })
        .min_by_key(|c| Reverse(c.member.updated_at))
        .unwrap_or(winner)
}

/// Letters, and none of them lower case.
fn all_capitals(text: &str) -> bool {
    text.chars().any(char::is_alphabetic) && !text.chars().any(char::is_lowercase)
}

/// Both lower- and upper-case letters: a spelling someone wrote with care.
fn has_lower_and_upper(text: &str) -> bool {
    text.chars().any(char::is_lowercase) && text.chars().any(char::is_uppercase)
}

/// Position of the member's source system in the field's list; unlisted systems rank last.
fn priority_rank(field: &FieldDef, member: &Member<'_>) -> usize {
    field
        .source_priority
        .iter()
        .position(|s| s == member.source_system)
        .unwrap_or(field.source_priority.len())
}

/// The most recent member of the largest group of equal values; between groups of one size,
/// the group whose latest member is most recent.
fn most_frequent<'c, 'm, 'a>(
    field: &FieldDef,
    candidates: &'c [Candidate<'m, 'a>],
) -> Option<&'c Candidate<'m, 'a>> {
    struct Group<'c, 'm, 'a> {
        key: String,
        count: usize,
        latest: &'c Candidate<'m, 'a>,
    }
    let mut groups: Vec<Group<'c, 'm, 'a>> = Vec::new();
    for candidate in candidates {
        let key = frequency_key(field, candidate.value);
        match groups.iter_mut().find(|g| g.key == key) {
            Some(group) => {
                group.count += 1;
                if candidate.member.updated_at > group.latest.member.updated_at {
                    group.latest = candidate;
                }
            }
            None => groups.push(Group {
                key,
                count: 1,
                latest: candidate,
            }),
        }
    }
    groups
        .into_iter()
        .min_by_key(|g| {
            (
                Reverse(g.count),
                Reverse(g.latest.member.updated_at),
                g.latest.pos,
            )
        })
        .map(|g| g.latest)
}

/// What two values must share to count as the same value: case, accents and whitespace
/// never matter; identifiers compare in their standard form, so `12-3456789` and
/// `123456789` vote together.
fn frequency_key(field: &FieldDef, value: &Value) -> String {
    let raw = text_of(value);
    if field.field_type.is_identifier()
        && let Ok(standard) = normalize::standardize(field.field_type, &raw)
        && !standard.is_empty()
    {
        return standard;
    }
    text::ascii_lower(&raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The string form of a value: strings trimmed, anything else as JSON text.
fn text_of(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s.trim()),
        other => Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for rule in SurvivorRule::ALL {
            assert_eq!(rule.as_str().parse::<SurvivorRule>().unwrap(), *rule);
            assert_eq!(serde_json::to_value(rule).unwrap(), rule.as_str());
        }
        let err = "newest".parse::<SurvivorRule>().unwrap_err();
        assert!(err.to_string().contains("known rules: source_priority"));
    }
}
