//! Profiling an input before it is loaded: what each column holds, how its values fare with
//! their field's standardizer, which columns no field takes and which keys come twice. One
//! pass over the rows, no matching and no store: an acquisitions team sees what a file would
//! do to the hub before it touches it.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{Mapping, Row};
use crate::normalize::ValueError;
use crate::rules::Domain;
use crate::validate::{self, FieldCheck};

/// Examples kept per kind of outcome, per column.
const EXAMPLES: usize = 5;

/// The profile of one input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub domain: String,
    /// Data rows read.
    pub rows: u64,
    /// The input's last line read.
    pub last_line: u64,
    /// Rows that could not be read at all (bad encoding, wrong column count, bad JSON).
    pub unreadable: u64,
    /// Rows whose record validation would reject (a required field missing or failing, a bad
    /// check digit, a bad source key).
    pub rejected: u64,
    /// Every column, in the input's order (for NDJSON, in the order first seen).
    pub columns: Vec<ColumnProfile>,
    /// Columns that feed no declared field (kept as extra attributes when loaded).
    pub unmapped_columns: Vec<String>,
    /// Declared fields that no column feeds.
    pub missing_fields: Vec<String>,
    pub duplicate_keys: DuplicateKeys,
    /// A few unreadable rows, with why.
    pub unreadable_examples: Vec<LineExample>,
}

/// What one column holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColumnProfile {
    pub column: String,
    /// The declared field the column maps to; `source_system` and `source_id` name the
    /// record's key; null for an unmapped column.
    pub field: Option<String>,
    /// The field's type, when it has one.
    pub field_type: Option<String>,
    /// Rows with a value in the column.
    pub filled: u64,
    /// `filled` over the readable rows, 0 to 1.
    pub fill_rate: f64,
    /// Different values (as sent).
    pub distinct: u64,
    /// Values that standardized.
    pub standardized: u64,
    /// Values that fail their field's check (kept as sent, or rejecting the row).
    pub failed: u64,
    /// Values that are not recognized (an unknown country, a value with no usable content).
    pub unknown: u64,
    pub examples: ColumnExamples,
}

/// A few values of each outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColumnExamples {
    pub standardized: Vec<ValueExample>,
    pub failed: Vec<ValueExample>,
    pub unknown: Vec<ValueExample>,
}

/// A value as sent and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValueExample {
    pub line: u64,
    pub value: String,
    /// The standardized value, or why there is none.
    pub result: String,
}

/// Source keys that appear more than once in the input (the later rows would update the
/// first one's record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DuplicateKeys {
    /// Rows whose key an earlier row already had.
    pub rows: u64,
    /// Different keys that come more than once.
    pub keys: u64,
    pub examples: Vec<DuplicateKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DuplicateKey {
    pub source_system: String,
    pub source_id: String,
    /// The lines carrying the key (the first few).
    pub lines: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LineExample {
    pub line: u64,
    pub reason: String,
}

/// Builds a [`Profile`] one row at a time, with memory bounded by the distinct values and
/// keys (kept as 64-bit hashes).
pub struct Profiler<'d> {
    domain: &'d Domain,
    mapping: Mapping,
    profile: Profile,
    /// Column positions by field (or attribute) name, as rows carry them.
    by_field: HashMap<String, usize>,
    distinct: Vec<HashSet<u64>>,
    keys: HashMap<u64, usize>,
    duplicated: HashSet<u64>,
    duplicates: Vec<(u64, DuplicateKey)>,
}

impl<'d> Profiler<'d> {
    /// A profiler for `domain`; `columns` is the CSV header (NDJSON columns appear as read).
    pub fn new(domain: &'d Domain, mapping: Mapping, columns: &[String]) -> Self {
        let mut profiler = Self {
            domain,
            mapping,
            profile: Profile {
                domain: domain.name.clone(),
                ..Profile::default()
            },
            by_field: HashMap::new(),
            distinct: Vec::new(),
            keys: HashMap::new(),
            duplicated: HashSet::new(),
            duplicates: Vec::new(),
        };
        for column in columns {
            profiler.column(column);
        }
        profiler
    }

    /// The position of a column, added when first seen.
    fn column(&mut self, column: &str) -> usize {
        let field = self.mapping.field_of(column).to_owned();
        if let Some(at) = self.by_field.get(&field) {
            return *at;
        }
        let declared = self.domain.fields.iter().find(|f| f.name == field);
        let keyed = field == "source_system" || field == "source_id";
        self.profile.columns.push(ColumnProfile {
            column: column.to_owned(),
            field: (declared.is_some() || keyed).then(|| field.clone()),
            field_type: declared.map(|f| f.field_type.to_string()),
            ..ColumnProfile::default()
        });
        self.distinct.push(HashSet::new());
        let at = self.profile.columns.len() - 1;
        self.by_field.insert(field, at);
        at
    }

    /// Takes one row into the profile.
    pub fn add(&mut self, row: Row) {
        self.profile.rows += 1;
        self.profile.last_line = row.line;
        let input = match row.record {
            Ok(input) => input,
            Err(reason) => {
                self.profile.unreadable += 1;
                if self.profile.unreadable_examples.len() < EXAMPLES {
                    self.profile.unreadable_examples.push(LineExample {
                        line: row.line,
                        reason,
                    });
                }
                return;
            }
        };
        self.key(row.line, &input.source_system, &input.source_id);
        for (name, value) in [
            ("source_system", &input.source_system),
            ("source_id", &input.source_id),
        ] {
            if let Some(at) = self.by_field.get(name).copied() {
                self.fill(at, value);
            }
        }
        for (name, value) in &input.attributes {
            // Rows carry fields; a column first seen in a row (NDJSON) is named as sent.
            let at = match self.by_field.get(name) {
                Some(at) => *at,
                None => {
                    let column = self.mapping.column_of(name).to_owned();
                    self.column(&column)
                }
            };
            if let Some(text) = as_text(value) {
                self.fill(at, &text);
            }
        }
        let checks = validate::check_fields(self.domain, &input.attributes);
        for (field, check) in self.domain.fields.iter().zip(&checks) {
            if let Some(at) = self.by_field.get(&field.name).copied() {
                self.outcome(at, row.line, check);
            }
        }
        if validate::validate_checked(self.domain, input, checks).is_err() {
            self.profile.rejected += 1;
        }
    }

    fn fill(&mut self, at: usize, value: &str) {
        if value.trim().is_empty() {
            return;
        }
        self.profile.columns[at].filled += 1;
        self.distinct[at].insert(hash(value));
    }

    fn outcome(&mut self, at: usize, line: u64, check: &FieldCheck) {
        let column = &mut self.profile.columns[at];
        let (count, examples, value, result) = match check {
            FieldCheck::Missing => return,
            FieldCheck::Standardized { text, value } => (
                &mut column.standardized,
                &mut column.examples.standardized,
                text.clone(),
                value.clone(),
            ),
            FieldCheck::NoContent(text) => (
                &mut column.unknown,
                &mut column.examples.unknown,
                text.clone(),
                "has no usable content".to_owned(),
            ),
            FieldCheck::Failed {
                text,
                error: error @ ValueError::UnknownCountry,
            } => (
                &mut column.unknown,
                &mut column.examples.unknown,
                text.clone(),
                error.to_string(),
            ),
            FieldCheck::Failed { text, error } => (
                &mut column.failed,
                &mut column.examples.failed,
                text.clone(),
                error.to_string(),
            ),
            FieldCheck::NotText(message) => (
                &mut column.failed,
                &mut column.examples.failed,
                String::new(),
                message.clone(),
            ),
        };
        *count += 1;
        if examples.len() < EXAMPLES {
            examples.push(ValueExample {
                line,
                value,
                result,
            });
        }
    }

    fn key(&mut self, line: u64, source_system: &str, source_id: &str) {
        let key = hash(&(source_system.trim(), source_id.trim()));
        let Some(first) = self.keys.get(&key).copied() else {
            self.keys.insert(key, line as usize);
            return;
        };
        self.profile.duplicate_keys.rows += 1;
        if self.duplicated.insert(key) {
            self.profile.duplicate_keys.keys += 1;
        }
        match self.duplicates.iter_mut().find(|(k, _)| *k == key) {
            Some((_, duplicate)) if duplicate.lines.len() < EXAMPLES => duplicate.lines.push(line),
            Some(_) => {}
            None => {
                if self.duplicates.len() < EXAMPLES {
                    self.duplicates.push((
                        key,
                        DuplicateKey {
                            source_system: source_system.trim().to_owned(),
                            source_id: source_id.trim().to_owned(),
                            lines: vec![first as u64, line],
                        },
                    ));
                }
            }
        }
    }

    /// The finished profile.
    pub fn finish(mut self) -> Profile {
        let readable = self.profile.rows - self.profile.unreadable;
        for (column, distinct) in self.profile.columns.iter_mut().zip(&self.distinct) {
            column.distinct = distinct.len() as u64;
            column.fill_rate = if readable == 0 {
                0.0
            } else {
                column.filled as f64 / readable as f64
            };
        }
        self.profile.duplicate_keys.examples =
            self.duplicates.into_iter().map(|(_, key)| key).collect();
        self.profile.unmapped_columns = self
            .profile
            .columns
            .iter()
            .filter(|c| c.field.is_none())
            .map(|c| c.column.clone())
            .collect();
        let fed: HashSet<&str> = self
            .profile
            .columns
            .iter()
            .filter_map(|c| c.field.as_deref())
            .collect();
        self.profile.missing_fields = self
            .domain
            .fields
            .iter()
            .filter(|f| !fed.contains(f.name.as_str()))
            .map(|f| f.name.clone())
            .collect();
        self.profile
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn hash(value: &(impl Hash + ?Sized)) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Profiles every row `reader` has left.
pub fn profile<R: std::io::BufRead>(
    domain: &Domain,
    reader: &mut super::RowReader<R>,
) -> Result<Profile, super::LoadError> {
    let mut profiler = Profiler::new(domain, reader.mapping().clone(), reader.columns());
    for row in reader.by_ref() {
        profiler.add(row?);
    }
    Ok(profiler.finish())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bulk::{Format, RowReader};
    use crate::rules::parse_domain;

    fn domain() -> Domain {
        parse_domain(
            Path::new("t.toml"),
            "[domain]\nname=\"t\"\nid_prefix=\"T\"\n[[field]]\nname=\"name\"\ntype=\"org_name\"\nrequired=true\n[[field]]\nname=\"country\"\ntype=\"country\"\n[[field]]\nname=\"email\"\ntype=\"email\"\n",
        )
        .unwrap()
    }

    #[test]
    fn ndjson_columns_appear_as_read_and_bad_rows_are_counted_apart() {
        let domain = domain();
        let text = concat!(
            "{\"source_id\": \"1\", \"title\": \"Acme Inc\", \"country\": \"Narnia\", \"extra\": 1}\n",
            "not json\n",
            "{\"source_id\": \"1\", \"title\": \"Acme\", \"email\": \"nobody\"}\n",
        );
        let mapping = Mapping::parse(&["title=name".to_owned()]).unwrap();
        let mut reader = RowReader::open(
            text.as_bytes(),
            Format::Ndjson,
            mapping,
            Some("s".into()),
            &domain,
        )
        .unwrap();
        let profile = profile(&domain, &mut reader).unwrap();
        assert_eq!(
            (profile.rows, profile.unreadable, profile.rejected),
            (3, 1, 0)
        );
        assert_eq!(profile.last_line, 3);
        let columns: Vec<(&str, Option<&str>)> = profile
            .columns
            .iter()
            .map(|c| (c.column.as_str(), c.field.as_deref()))
            .collect();
        assert_eq!(
            columns,
            [
                ("country", Some("country")),
                ("extra", None),
                ("title", Some("name")),
                ("email", Some("email")),
            ]
        );
        assert_eq!(profile.columns[0].unknown, 1);
        assert_eq!(profile.columns[2].standardized, 2);
        assert_eq!(profile.columns[2].fill_rate, 1.0);
        assert_eq!(profile.columns[3].failed, 1);
        assert_eq!(profile.unmapped_columns, ["extra"]);
        assert_eq!(profile.duplicate_keys.rows, 1);
        assert_eq!(profile.duplicate_keys.examples[0].lines, [1, 3]);
        assert_eq!(profile.unreadable_examples[0].line, 2);
    }
}
