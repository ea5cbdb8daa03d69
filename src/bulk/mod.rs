//! Bulk loading: reading whole entity masters (CSV or NDJSON) row by row, with column mapping.
//! The loading itself — batches, jobs, progress, resuming — is `service::bulk`.

pub mod profile;
pub mod reader;

use std::collections::BTreeMap;

use thiserror::Error;

pub use profile::Profile;
pub use reader::{Format, Row, RowReader};

/// Why a load could not start or go on (a bad row is a reject, not one of these).
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("the input lacks required column(s): {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("{0}")]
    Input(String),
    #[error("bad column mapping: {0}")]
    Mapping(String),
}

/// Renames input columns to domain fields (`vendor_name=name`); other columns keep their names,
/// and columns that are not fields are kept as extra attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    renames: BTreeMap<String, String>,
}

impl Mapping {
    /// Parses `column=field` pairs, from `--map` options or the lines of a mapping file (blank
    /// lines and `#` comments skipped).
    pub fn parse(pairs: &[String]) -> Result<Self, LoadError> {
        let mut renames = BTreeMap::new();
        for pair in pairs {
            let pair = pair.trim();
            if pair.is_empty() || pair.starts_with('#') {
                continue;
            }
            let (column, field) = pair
                .split_once('=')
                .map(|(c, f)| (c.trim(), f.trim()))
                .filter(|(c, f)| !c.is_empty() && !f.is_empty())
                .ok_or_else(|| LoadError::Mapping(format!("{pair:?} is not column=field")))?;
            if renames
                .insert(column.to_owned(), field.to_owned())
                .is_some()
            {
                return Err(LoadError::Mapping(format!(
                    "column {column:?} is mapped twice"
                )));
            }
        }
        Ok(Self { renames })
    }

    /// The field a column feeds.
    pub fn field_of<'a>(&'a self, column: &'a str) -> &'a str {
        self.renames.get(column).map_or(column, String::as_str)
    }

    /// The column that feeds `field`: the one renamed to it, else the field's own name.
    pub fn column_of<'a>(&'a self, field: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(_, f)| f.as_str() == field)
            .map_or(field, |(c, _)| c.as_str())
    }

    /// As stored with a job, so a resumed job reads its input the same way.
    pub fn to_lines(&self) -> Vec<String> {
        self.renames
            .iter()
            .map(|(c, f)| format!("{c}={f}"))
            .collect()
    }
}
