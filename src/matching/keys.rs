//! Candidate keys: the index terms of a record. The same function builds the terms a record
//! is indexed under and the terms it searches with, so the two always agree.

use std::collections::BTreeMap;

use rphonetic::DoubleMetaphone;

use super::Standardized;
use super::features::{model_key, pack_key};
use crate::rules::matching::{KeyKind, MatchRules};

/// Separates the parts of a term; never appears in standardized text.
const SEP: char = '\u{1f}';

/// Terms of a record with their boosts, deduplicated (highest boost kept).
pub fn terms(rules: &MatchRules, record: &Standardized) -> Vec<(String, f32)> {
    let mut out: BTreeMap<String, f32> = BTreeMap::new();
    let mut add = |term: String, boost: f32| {
        let entry = out.entry(term).or_insert(boost);
        *entry = entry.max(boost);
    };
    for key in &rules.candidates {
        let field = key.field.as_str();
        // Model numbers and pack sizes both block: "hoyle 4-pack 2006" finds its copy among
        // fifty other "hoyle" titles through "4PK".
        let coded;
        let source = match key.kind {
            KeyKind::ModelNumbers => {
                let parts: Vec<&str> = [model_key(field), pack_key(field)]
                    .iter()
                    .filter_map(|k| record.get(k))
                    .map(String::as_str)
                    .collect();
                coded = parts.join(" ");
                Some(&coded)
            }
            _ => record.get(field),
        };
        let Some(value) = source.filter(|v| !v.is_empty()) else {
            continue;
        };
        let tag = match key.kind {
            KeyKind::Words => 'w',
            KeyKind::Trigrams => 'g',
            KeyKind::Exact => 'x',
            KeyKind::ModelNumbers => 'm',
            KeyKind::Prefix => 'p',
            KeyKind::Phonetic => 'f',
        };
        let term = |part: &str| format!("{field}{SEP}{tag}{SEP}{part}");
        match key.kind {
            KeyKind::Exact => add(term(value), key.boost),
            KeyKind::Prefix => add(term(&value.chars().take(4).collect::<String>()), key.boost),
            KeyKind::Words | KeyKind::ModelNumbers => value
                .split_whitespace()
                .filter(|w| w.len() > 1)
                .for_each(|w| add(term(w), key.boost)),
            KeyKind::Trigrams => value
                .split_whitespace()
                .flat_map(trigrams)
                .for_each(|g| add(term(&g), key.boost)),
            KeyKind::Phonetic => value
                .split_whitespace()
                .flat_map(phonetic_codes)
                .for_each(|c| add(term(&c), key.boost)),
        }
    }
    out.into_iter().collect()
}

/// The Double Metaphone codes of a word (primary, and the alternate when it differs), from
/// the `rphonetic` crate.
fn phonetic_codes(word: &str) -> Vec<String> {
    let result = DoubleMetaphone::default().double_metaphone(word);
    let (primary, alternate) = (result.primary(), result.alternate());
    let mut codes = vec![primary];
    if !alternate.is_empty() && !codes.contains(&alternate) {
        codes.push(alternate);
    }
    codes.retain(|c| !c.is_empty());
    codes
}

/// Trigrams of a word padded with one space each side, so starts and ends count.
fn trigrams(word: &str) -> Vec<String> {
    let padded: Vec<char> = format!(" {word} ").chars().collect();
    padded.windows(3).map(|w| w.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::matching::CandidateKey;

    #[test]
    fn terms_cover_words_trigrams_and_identifiers() {
        let key = |field: &str, kind, boost| CandidateKey {
            field: field.into(),
            kind,
            boost,
        };
        let rules = MatchRules::for_tests(
            vec![
                key("name", KeyKind::Words, 1.0),
                key("name", KeyKind::Trigrams, 0.2),
                key("tax_id", KeyKind::Exact, 5.0),
            ],
            vec![],
        );
        let record: Standardized = [("name", "acme x"), ("tax_id", "123")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let terms = terms(&rules, &record);
        let names: Vec<String> = terms.iter().map(|(t, _)| t.replace(SEP, "/")).collect();
        assert!(names.contains(&"name/w/acme".to_string()));
        assert!(
            !names.contains(&"name/w/x".to_string()),
            "one-letter words are skipped"
        );
        assert!(names.contains(&"name/g/ ac".to_string()));
        assert!(names.contains(&"tax_id/x/123".to_string()));
        assert_eq!(
            terms.iter().find(|(t, _)| t.ends_with("123")).unwrap().1,
            5.0
        );
    }

    #[test]
    fn phonetic_terms_join_spellings_that_sound_alike() {
        let rules = MatchRules::for_tests(
            vec![CandidateKey {
                field: "surname".into(),
                kind: KeyKind::Phonetic,
                boost: 1.0,
            }],
            vec![],
        );
        let terms_of = |surname: &str| -> Vec<String> {
            let record: Standardized = [("surname".to_string(), surname.to_string())].into();
            terms(&rules, &record).into_iter().map(|(t, _)| t).collect()
        };
        let shares = |a: &str, b: &str| terms_of(a).iter().any(|t| terms_of(b).contains(t));
        assert!(shares("smith", "smyth"));
        assert!(shares("smith", "schmidt"));
        assert!(shares("catherine", "kathryn"));
        assert!(shares("mueller", "muller"));
        assert!(!shares("smith", "jones"));
        assert!(terms_of("").is_empty());
    }
}
