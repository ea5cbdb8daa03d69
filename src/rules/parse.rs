//! Parsing one rule file, keeping source spans so every mistake names its line.

use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::matching::RawMatching;
use super::{Domain, FieldDef, RuleError};
use crate::normalize::FieldType;

/// Names a source record carries outside its attributes; a field may not reuse them.
const RESERVED_FIELDS: &[&str] = &["source_system", "source_id", "golden_id", "attributes"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    domain: RawDomain,
    #[serde(rename = "field", default)]
    fields: Vec<RawField>,
    #[serde(default)]
    matching: Option<RawMatching>,
    #[serde(default)]
    #[allow(dead_code)]
    survivorship: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    name: Spanned<String>,
    id_prefix: Spanned<String>,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: Spanned<String>,
    #[serde(rename = "type")]
    field_type: Spanned<String>,
    #[serde(default)]
    required: bool,
}

/// Parses and validates one rule file's text; `file` only labels the errors.
pub fn parse_domain(file: &Path, text: &str) -> Result<Domain, Vec<RuleError>> {
    let error_at = |offset: usize, message: String| RuleError {
        file: file.to_path_buf(),
        line: line_of(text, offset),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        vec![error_at(offset, e.message().to_owned())]
    })?;

    let mut errors = Vec::new();
    let name = raw.domain.name.get_ref().clone();
    if !is_identifier(&name) {
        errors.push(error_at(
            raw.domain.name.span().start,
            format!("domain name {name:?} must be lowercase letters, digits and _"),
        ));
    }
    let prefix = raw.domain.id_prefix.get_ref().clone();
    if prefix.is_empty() || prefix.len() > 4 || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        errors.push(error_at(
            raw.domain.id_prefix.span().start,
            format!("id_prefix {prefix:?} must be 1 to 4 uppercase letters"),
        ));
    }
    if raw.fields.is_empty() {
        errors.push(error_at(0, "a domain needs at least one [[field]]".into()));
    }

    let mut fields: Vec<FieldDef> = Vec::new();
    for raw_field in &raw.fields {
        match field_def(raw_field, &fields) {
            Ok(field) => fields.push(field),
            Err((offset, message)) => errors.push(error_at(offset, message)),
        }
    }
    if !fields.iter().any(|f| f.required) && !fields.is_empty() {
        errors.push(error_at(
            0,
            "at least one field must be required = true".into(),
        ));
    }

    let matching = match raw.matching {
        Some(raw_matching) if errors.is_empty() => match raw_matching.into_rules(&fields) {
            Ok(rules) => Some(rules),
            Err(found) => {
                errors.extend(found.into_iter().map(|(at, message)| error_at(at, message)));
                None
            }
        },
        _ => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Domain {
        matching,
        label: raw.domain.label.unwrap_or_else(|| name.clone()),
        name,
        id_prefix: prefix,
        fields,
        version: hex::encode(&Sha256::digest(text.as_bytes())[..8]),
    })
}

fn field_def(raw: &RawField, earlier: &[FieldDef]) -> Result<FieldDef, (usize, String)> {
    let name = raw.name.get_ref();
    let name_at = raw.name.span().start;
    if !is_identifier(name) {
        return Err((
            name_at,
            format!("field name {name:?} must be lowercase letters, digits and _"),
        ));
    }
    if RESERVED_FIELDS.contains(&name.as_str()) {
        return Err((name_at, format!("field name {name:?} is reserved")));
    }
    if earlier.iter().any(|f| &f.name == name) {
        return Err((name_at, format!("field {name:?} is declared twice")));
    }
    let type_name = raw.field_type.get_ref();
    let field_type = FieldType::ALL
        .iter()
        .copied()
        .find(|t| t.as_str() == type_name)
        .ok_or_else(|| {
            let known: Vec<&str> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
            (
                raw.field_type.span().start,
                format!(
                    "unknown field type {type_name:?}; known types: {}",
                    known.join(", ")
                ),
            )
        })?;
    Ok(FieldDef {
        name: name.clone(),
        field_type,
        required: raw.required,
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Domain, Vec<RuleError>> {
        parse_domain(Path::new("test.toml"), text)
    }

    const GOOD: &str = r#"[domain]
name = "person"
id_prefix = "P"

[[field]]
name = "given_name"
type = "person_name"
required = true

[[field]]
name = "birth_date"
type = "date"
"#;

    #[test]
    fn a_new_domain_parses() {
        let domain = parse(GOOD).unwrap();
        assert_eq!(domain.name, "person");
        assert_eq!(domain.fields.len(), 2);
        assert_eq!(domain.fields[1].field_type, FieldType::Date);
        assert_eq!(domain.version.len(), 16);
    }

    #[test]
    fn unknown_type_names_its_line() {
        let broken = GOOD.replace("type = \"date\"", "type = \"dat\"");
        let errors = parse(&broken).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 12);
        assert!(errors[0].message.contains("unknown field type \"dat\""));
    }

    #[test]
    fn syntax_error_names_its_line() {
        let broken = GOOD.replace("required = true", "required = yes");
        let errors = parse(&broken).unwrap_err();
        assert_eq!(errors[0].line, 8, "{errors:?}");
    }

    #[test]
    fn misspelt_key_names_its_line() {
        let broken = GOOD.replace("required = true", "requird = true");
        let errors = parse(&broken).unwrap_err();
        assert_eq!(errors[0].line, 8, "{errors:?}");
        assert!(errors[0].message.contains("requird"), "{errors:?}");
    }

    #[test]
    fn duplicate_and_reserved_fields_are_rejected() {
        let dup = format!("{GOOD}\n[[field]]\nname = \"given_name\"\ntype = \"text\"\n");
        let errors = parse(&dup).unwrap_err();
        assert_eq!(errors[0].line, 15);
        let reserved = GOOD.replace("birth_date", "source_id");
        assert!(
            parse(&reserved).unwrap_err()[0]
                .message
                .contains("reserved")
        );
    }
}
