//! Domains are data: each `matching-rules/*.toml` file declares one domain — its name, golden
//! ID prefix, fields and how each field's golden value survives. This module parses and validates those files into typed [`Domain`]s
//! and reports each mistake with its file and line, so `golden rules check` can point at it.

pub mod matching;
mod parse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::normalize::FieldType;
use crate::survivorship::SurvivorRule;

pub use parse::parse_domain;

/// One mistake in a rule file.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{}:{line}: {message}", file.display())]
pub struct RuleError {
    pub file: PathBuf,
    /// 1-based line of the mistake (1 when the file as a whole is at fault).
    pub line: usize,
    pub message: String,
}

/// All mistakes found in a rules directory.
#[derive(Debug, Error)]
#[error("{} mistake(s) in the matching rules:\n{}", .0.len(), render(.0))]
pub struct RuleErrors(pub Vec<RuleError>);

fn render(errors: &[RuleError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One declared field of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub name: String,
    pub field_type: FieldType,
    pub required: bool,
    /// Whether the field's values are masked for callers without the `sensitive` role (tax
    /// IDs, bank accounts): set with `sensitive = true` in the rule file.
    pub sensitive: bool,
    /// How the golden record's value is chosen among the members' values.
    pub survivorship: SurvivorRule,
    /// Source systems, most trusted first: the field's own list, else the file's
    /// `[survivorship]` list (empty when neither gives one).
    pub source_priority: Vec<String>,
}

/// Merges risky enough to need two stewards: they join golden records that disagree on a
/// strong identifier (two tax IDs, two GTINs), or make a golden record of more than
/// `max_members` members. Off (no identifiers, no limit) unless the rule file says so.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FourEyes {
    pub identifiers: Vec<String>,
    pub max_members: Option<usize>,
}

/// A domain as declared by its rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub name: String,
    /// Prefix of the golden IDs this domain issues (`V`, `I`, `L`, `CC`).
    pub id_prefix: String,
    pub label: String,
    pub fields: Vec<FieldDef>,
    /// The fields that say at a glance what a record is (a queue row shows them for both
    /// sides); the first is its display name.
    pub key_fields: Vec<String>,
    /// Which merges need a second steward's approval.
    pub four_eyes: FourEyes,
    /// How records of this domain are matched; `None` keeps every record apart.
    pub matching: Option<matching::MatchRules>,
    /// Content hash of the rule file; stored with decisions so they can be traced to rules.
    pub version: String,
}

impl Domain {
    /// What produced a record's standardized values: the standardizers' version and the rule
    /// file (its field types and the features its comparisons derive).
    pub fn standardization(&self) -> String {
        format!("{}/{}", crate::normalize::VERSION, self.version)
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether `name` is a declared field marked `sensitive`.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.field(name).is_some_and(|f| f.sensitive)
    }
}

/// The loaded domains, keyed by name.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    domains: BTreeMap<String, Arc<Domain>>,
}

impl RuleSet {
    /// Loads every `*.toml` file in `dir`, failing with every mistake found.
    pub fn load_dir(dir: &Path) -> Result<Self, RuleErrors> {
        let (set, errors) = Self::check_dir(dir);
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(RuleErrors(errors))
        }
    }

    /// Loads what it can and returns every mistake, for `golden rules check`.
    pub fn check_dir(dir: &Path) -> (Self, Vec<RuleError>) {
        let mut errors = Vec::new();
        let files = match rule_files(dir) {
            Ok(files) => files,
            Err(message) => {
                errors.push(RuleError {
                    file: dir.to_path_buf(),
                    line: 1,
                    message,
                });
                return (Self::default(), errors);
            }
        };
        let mut set = Self::default();
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => match parse_domain(&file, &text) {
                    Ok(domain) => set.insert(domain, &file, &mut errors),
                    Err(mut found) => errors.append(&mut found),
                },
                Err(e) => errors.push(RuleError {
                    file: file.clone(),
                    line: 1,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
        (set, errors)
    }

    fn insert(&mut self, domain: Domain, file: &Path, errors: &mut Vec<RuleError>) {
        let clash = |message: String| RuleError {
            file: file.to_path_buf(),
            line: 1,
            message,
        };
        if self.domains.contains_key(&domain.name) {
            errors.push(clash(format!("domain {:?} is declared twice", domain.name)));
        } else if let Some(other) = self
            .domains
            .values()
            .find(|d| d.id_prefix == domain.id_prefix)
        {
            errors.push(clash(format!(
                "id_prefix {:?} is already used by domain {:?}",
                domain.id_prefix, other.name
            )));
        } else {
            self.domains.insert(domain.name.clone(), Arc::new(domain));
        }
    }

    pub fn domain(&self, name: &str) -> Option<&Arc<Domain>> {
        self.domains.get(name)
    }

    pub fn domains(&self) -> impl Iterator<Item = &Arc<Domain>> {
        self.domains.values()
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read rules directory: {e}"))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("no *.toml rule files found".into());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("matching-rules");
        let set = RuleSet::load_dir(&dir).unwrap();
        for (name, prefix) in [
            ("vendor", "V"),
            ("item", "I"),
            ("location", "L"),
            ("cost_center", "CC"),
        ] {
            let domain = set.domain(name).unwrap();
            assert_eq!(domain.id_prefix, prefix);
        }
        let vendor = set.domain("vendor").unwrap();
        assert!(vendor.field("name").unwrap().required);
        assert!(!vendor.field("tax_id").unwrap().required);
        let cost_center = set.domain("cost_center").unwrap();
        assert!(cost_center.field("code").unwrap().required);
        assert!(cost_center.field("name").unwrap().required);
        let rule = |domain: &str, field: &str| {
            set.domain(domain)
                .unwrap()
                .field(field)
                .unwrap()
                .survivorship
        };
        assert_eq!(rule("vendor", "tax_id"), SurvivorRule::MostFrequent);
        assert_eq!(rule("vendor", "city"), SurvivorRule::MostRecent);
        assert_eq!(rule("item", "long_description"), SurvivorRule::Longest);
        assert_eq!(rule("cost_center", "code"), SurvivorRule::FirstNonEmpty);
    }

    #[test]
    fn duplicate_prefix_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let a = "[domain]\nname = \"a\"\nid_prefix = \"X\"\n\n[[field]]\nname = \"n\"\ntype = \"text\"\nrequired = true\n";
        let b = a.replace("\"a\"", "\"b\"");
        std::fs::write(dir.path().join("a.toml"), a).unwrap();
        std::fs::write(dir.path().join("b.toml"), b).unwrap();
        let (_, errors) = RuleSet::check_dir(dir.path());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("id_prefix"));
    }
}
