//! Parsing one rule file, keeping source spans so every mistake names its line.

use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::matching::RawMatching;
use super::{Domain, FieldDef, FourEyes, RuleError};
use crate::normalize::FieldType;
use crate::survivorship::{SurvivorRule, UnknownRule};

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
    survivorship: Option<RawSurvivorship>,
    #[serde(default)]
    stewardship: Option<RawStewardship>,
}

/// `[stewardship]`: which merges need a second steward's approval.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStewardship {
    /// Strong identifiers: golden records that disagree on one need two approvals to merge.
    #[serde(default)]
    four_eyes_identifiers: Option<Spanned<Vec<String>>>,
    /// A merge that would make a golden record of more members needs two approvals.
    #[serde(default)]
    four_eyes_members: Option<usize>,
}

/// The file-wide survivorship settings each field starts from.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvivorship {
    #[serde(default)]
    default: Option<Spanned<String>>,
    #[serde(default)]
    source_priority: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    name: Spanned<String>,
    id_prefix: Spanned<String>,
    #[serde(default)]
    label: Option<String>,
    /// The fields that say at a glance what a record is; the first names it.
    #[serde(default)]
    key_fields: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: Spanned<String>,
    #[serde(rename = "type")]
    field_type: Spanned<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    survivorship: Option<Spanned<String>>,
    #[serde(default)]
    source_priority: Option<Spanned<Vec<String>>>,
    /// Values shown masked to callers without the `sensitive` role.
    #[serde(default)]
    sensitive: bool,
}

/// The `[survivorship]` table resolved: the default rule (and where it was written, to point
/// at it) and the file-wide priority list.
#[derive(Default)]
struct Defaults {
    rule: SurvivorRule,
    rule_at: usize,
    priority: Vec<String>,
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

    let defaults = match &raw.survivorship {
        Some(table) => {
            let (resolved, found) = defaults(table);
            errors.extend(found.into_iter().map(|(at, message)| error_at(at, message)));
            resolved
        }
        None => Defaults::default(),
    };
    let mut fields: Vec<FieldDef> = Vec::new();
    for raw_field in &raw.fields {
        let survival = field_survivorship(raw_field, &defaults).unwrap_or_else(|(at, message)| {
            errors.push(error_at(at, message));
            (SurvivorRule::default(), Vec::new())
        });
        match field_def(raw_field, &fields, survival) {
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

    let key_fields =
        key_fields(raw.domain.key_fields.as_ref(), &fields).unwrap_or_else(|(at, message)| {
            errors.push(error_at(at, message));
            Vec::new()
        });

    let four_eyes = four_eyes(raw.stewardship.as_ref(), &fields).unwrap_or_else(|(at, message)| {
        errors.push(error_at(at, message));
        FourEyes::default()
    });

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
        key_fields,
        four_eyes,
        version: hex::encode(&Sha256::digest(text.as_bytes())[..8]),
    })
}

/// The four-eyes settings; every identifier must be a declared field.
fn four_eyes(
    raw: Option<&RawStewardship>,
    fields: &[FieldDef],
) -> Result<FourEyes, (usize, String)> {
    let Some(raw) = raw else {
        return Ok(FourEyes::default());
    };
    let identifiers = match &raw.four_eyes_identifiers {
        None => Vec::new(),
        Some(list) => {
            if let Some(unknown) = list
                .get_ref()
                .iter()
                .find(|name| !fields.iter().any(|f| &f.name == *name))
            {
                return Err((
                    list.span().start,
                    format!(
                        "four_eyes_identifiers names {unknown:?}, which is not a declared field"
                    ),
                ));
            }
            list.get_ref().clone()
        }
    };
    Ok(FourEyes {
        identifiers,
        max_members: raw.four_eyes_members,
    })
}

/// Most key fields a domain declares: a queue row has room for a handful.
const MAX_KEY_FIELDS: usize = 4;

/// The declared key fields, or the first three fields when the file names none.
fn key_fields(
    raw: Option<&Spanned<Vec<String>>>,
    fields: &[FieldDef],
) -> Result<Vec<String>, (usize, String)> {
    let Some(raw) = raw else {
        return Ok(fields.iter().take(3).map(|f| f.name.clone()).collect());
    };
    let (names, at) = (raw.get_ref(), raw.span().start);
    if names.is_empty() || names.len() > MAX_KEY_FIELDS {
        return Err((
            at,
            format!(
                "key_fields names 1 to {MAX_KEY_FIELDS} fields, got {}",
                names.len()
            ),
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if !fields.iter().any(|f| &f.name == name) {
            return Err((
                at,
                format!("key_fields names {name:?}, which is not a declared field"),
            ));
        }
        if names[..i].contains(name) {
            return Err((at, format!("key_fields names {name:?} twice")));
        }
    }
    Ok(names.clone())
}

fn field_def(
    raw: &RawField,
    earlier: &[FieldDef],
    (survivorship, source_priority): (SurvivorRule, Vec<String>),
) -> Result<FieldDef, (usize, String)> {
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
        sensitive: raw.sensitive,
        survivorship,
        source_priority,
    })
}

/// Resolves the `[survivorship]` table. A mistake in one key leaves the other in force, so
/// fields that rely on it are not reported again.
fn defaults(raw: &RawSurvivorship) -> (Defaults, Vec<(usize, String)>) {
    let mut errors = Vec::new();
    let mut resolved = Defaults::default();
    if let Some(name) = &raw.default {
        match rule_named(name) {
            Ok(rule) => (resolved.rule, resolved.rule_at) = (rule, name.span().start),
            Err(error) => errors.push(error),
        }
    }
    if let Some(list) = &raw.source_priority {
        if let Err(error) = priority_list(list) {
            errors.push(error);
        }
        resolved.priority = list.get_ref().clone();
    }
    (resolved, errors)
}

/// A field's rule and priority list: its own settings, else the file's.
fn field_survivorship(
    raw: &RawField,
    defaults: &Defaults,
) -> Result<(SurvivorRule, Vec<String>), (usize, String)> {
    let name = raw.name.get_ref();
    let (rule, rule_at) = match &raw.survivorship {
        Some(rule) => (rule_named(rule)?, rule.span().start),
        None => (defaults.rule, defaults.rule_at),
    };
    let priority = match &raw.source_priority {
        Some(list) if rule != SurvivorRule::SourcePriority => {
            return Err((
                list.span().start,
                format!(
                    "source_priority on field {name:?} has no effect: its survivorship is {rule}; \
                     set survivorship = \"source_priority\" or remove the list"
                ),
            ));
        }
        Some(list) => priority_list(list)?,
        None => defaults.priority.clone(),
    };
    if rule == SurvivorRule::SourcePriority && priority.is_empty() {
        return Err((
            rule_at,
            format!(
                "field {name:?} uses source_priority but no list applies; \
                 set source_priority = [\"system\", ...] on the field or in [survivorship]"
            ),
        ));
    }
    Ok((rule, priority))
}

fn rule_named(name: &Spanned<String>) -> Result<SurvivorRule, (usize, String)> {
    name.get_ref()
        .parse()
        .map_err(|e: UnknownRule| (name.span().start, e.to_string()))
}

/// Source systems, most trusted first: at least one, none blank, none twice.
fn priority_list(list: &Spanned<Vec<String>>) -> Result<Vec<String>, (usize, String)> {
    let at = list.span().start;
    let systems = list.get_ref();
    if systems.is_empty() {
        return Err((
            at,
            "source_priority must name at least one source system".into(),
        ));
    }
    for (i, system) in systems.iter().enumerate() {
        if system.trim().is_empty() {
            return Err((at, "source_priority has a blank source system".into()));
        }
        if systems[..i].contains(system) {
            return Err((at, format!("source_priority lists {system:?} twice")));
        }
    }
    Ok(systems.clone())
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
    fn a_field_is_sensitive_only_when_marked() {
        assert!(!parse(GOOD).unwrap().is_sensitive("birth_date"));
        let marked = GOOD.replace("type = \"date\"", "type = \"date\"\nsensitive = true");
        let domain = parse(&marked).unwrap();
        assert!(domain.is_sensitive("birth_date"));
        assert!(!domain.is_sensitive("given_name"));
        // A model would publish the common values of a term-frequency comparison.
        let counted = format!(
            "{marked}\n[matching]\nauto_link = 0.99\nreview = 0.5\n\n[[matching.compare]]\n\
             field = \"birth_date\"\nmethod = \"exact\"\nterm_frequency = true\n\
             levels = [{{ at_least = 1.0, weight = 3.0 }}]\n"
        );
        let errors = parse(&counted).unwrap_err();
        assert!(errors[0].message.contains("sensitive"), "{errors:?}");
    }

    #[test]
    fn auto_link_needs_names_comparisons() {
        let matching = |needs: &str| {
            format!(
                "{GOOD}\n[matching]\nauto_link = 0.99\nreview = 0.5\nauto_link_needs = {needs}\n\n\
                 [[matching.compare]]\nfield = \"birth_date\"\nname = \"born\"\n\
                 method = \"date\"\nlevels = [{{ at_least = 1.0, weight = 3.0 }}]\n"
            )
        };
        let rules = parse(&matching("[\"born\"]")).unwrap().matching.unwrap();
        assert_eq!(rules.auto_link_needs, ["born"]);
        let errors = parse(&matching("[\"birth_date\"]")).unwrap_err();
        assert_eq!(errors[0].line, 17, "{errors:?}");
        assert!(errors[0].message.contains("not a comparison"), "{errors:?}");
        // A lockbox is told by an `address` comparison, which these rules lack.
        let lockbox = matching("[]").replace("auto_link_needs = []", "po_box_neutral = [\"born\"]");
        let errors = parse(&lockbox).unwrap_err();
        assert!(errors[0].message.contains("`address`"), "{errors:?}");
    }

    #[test]
    fn four_eyes_is_off_by_default_and_names_declared_fields() {
        assert_eq!(parse(GOOD).unwrap().four_eyes, FourEyes::default());
        let on = format!(
            "{GOOD}\n[stewardship]\nfour_eyes_identifiers = [\"birth_date\"]\nfour_eyes_members = 3\n"
        );
        let four_eyes = parse(&on).unwrap().four_eyes;
        assert_eq!(four_eyes.identifiers, ["birth_date"]);
        assert_eq!(four_eyes.max_members, Some(3));
        let broken = format!("{GOOD}\n[stewardship]\nfour_eyes_identifiers = [\"colour\"]\n");
        let errors = parse(&broken).unwrap_err();
        assert!(
            errors[0].message.contains("not a declared field"),
            "{errors:?}"
        );
    }

    #[test]
    fn key_fields_default_to_the_first_fields_and_must_be_declared() {
        assert_eq!(
            parse(GOOD).unwrap().key_fields,
            ["given_name", "birth_date"]
        );
        let keyed = GOOD.replace(
            "id_prefix = \"P\"",
            "id_prefix = \"P\"\nkey_fields = [\"birth_date\"]",
        );
        assert_eq!(parse(&keyed).unwrap().key_fields, ["birth_date"]);
        for (list, says) in [
            ("[\"colour\"]", "not a declared field"),
            ("[]", "1 to 4"),
            ("[\"birth_date\", \"birth_date\"]", "twice"),
        ] {
            let broken = GOOD.replace(
                "id_prefix = \"P\"",
                &format!("id_prefix = \"P\"\nkey_fields = {list}"),
            );
            let errors = parse(&broken).unwrap_err();
            assert_eq!(errors[0].line, 4, "{errors:?}");
            assert!(errors[0].message.contains(says), "{errors:?}");
        }
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

    const SURVIVING: &str = r#"[domain]
name = "person"
id_prefix = "P"

[survivorship]
default = "most_frequent"
source_priority = ["hr", "crm"]

[[field]]
name = "given_name"
type = "person_name"
required = true
survivorship = "source_priority"

[[field]]
name = "birth_date"
type = "date"
survivorship = "first_non_empty"

[[field]]
name = "email"
type = "email"
survivorship = "source_priority"
source_priority = ["crm"]

[[field]]
name = "nickname"
type = "text"
"#;

    fn first_error(text: &str) -> RuleError {
        let errors = parse(text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap()
    }

    #[test]
    fn survivorship_resolves_per_field() {
        let domain = parse(SURVIVING).unwrap();
        let rule = |name: &str| {
            let field = domain.field(name).unwrap();
            (field.survivorship, field.source_priority.clone())
        };
        let file_list = vec!["hr".to_string(), "crm".to_string()];
        assert_eq!(
            rule("given_name"),
            (SurvivorRule::SourcePriority, file_list.clone())
        );
        assert_eq!(
            rule("birth_date"),
            (SurvivorRule::FirstNonEmpty, file_list.clone())
        );
        assert_eq!(
            rule("email"),
            (SurvivorRule::SourcePriority, vec!["crm".to_string()])
        );
        assert_eq!(rule("nickname"), (SurvivorRule::MostFrequent, file_list));
    }

    #[test]
    fn without_a_survivorship_table_most_recent_applies() {
        let domain = parse(GOOD).unwrap();
        for field in &domain.fields {
            assert_eq!(field.survivorship, SurvivorRule::MostRecent);
            assert!(field.source_priority.is_empty());
        }
    }

    #[test]
    fn unknown_rule_names_its_line_and_the_known_rules() {
        let error = first_error(&SURVIVING.replace("\"first_non_empty\"", "\"oldest\""));
        assert_eq!(error.line, 18);
        assert!(
            error
                .message
                .contains("unknown survivorship rule \"oldest\""),
            "{error:?}"
        );
        assert!(
            error
                .message
                .contains("source_priority, most_recent, most_frequent, longest, first_non_empty"),
            "{error:?}"
        );
        let error = first_error(&SURVIVING.replace("\"most_frequent\"", "\"majority\""));
        assert_eq!(error.line, 6);
    }

    #[test]
    fn source_priority_without_a_list_names_its_line() {
        let no_file_list = SURVIVING.replace("source_priority = [\"hr\", \"crm\"]\n", "");
        let error = first_error(&no_file_list);
        assert_eq!(error.line, 12, "{error:?}");
        assert!(error.message.contains("\"given_name\""), "{error:?}");

        let default_needs_list = r#"[domain]
name = "person"
id_prefix = "P"

[survivorship]
default = "source_priority"

[[field]]
name = "given_name"
type = "person_name"
required = true
source_priority = ["hr"]

[[field]]
name = "birth_date"
type = "date"
"#;
        let error = first_error(default_needs_list);
        assert_eq!(error.line, 6, "{error:?}");
        assert!(error.message.contains("\"birth_date\""), "{error:?}");
    }

    #[test]
    fn survivorship_mistakes_name_their_lines() {
        let unknown_key = SURVIVING.replace("default =", "defualt =");
        let error = first_error(&unknown_key);
        assert_eq!(error.line, 6, "{error:?}");
        assert!(error.message.contains("defualt"), "{error:?}");

        let field_key = SURVIVING.replace(
            "survivorship = \"first_non_empty\"",
            "survival = \"longest\"",
        );
        assert_eq!(first_error(&field_key).line, 18);

        let useless_list = SURVIVING.replace(
            "type = \"text\"\n",
            "type = \"text\"\nsource_priority = [\"hr\"]\n",
        );
        let error = first_error(&useless_list);
        assert_eq!(error.line, 29, "{error:?}");
        assert!(error.message.contains("no effect"), "{error:?}");

        let empty = SURVIVING.replace("[\"crm\"]", "[]");
        assert_eq!(first_error(&empty).line, 24);
        let twice = SURVIVING.replace("[\"hr\", \"crm\"]", "[\"hr\", \"hr\"]");
        let error = first_error(&twice);
        assert_eq!(error.line, 7);
        assert!(error.message.contains("twice"), "{error:?}");
    }
}
