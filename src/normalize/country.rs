//! Countries as ISO 3166-1 alpha-2 codes. ERPs store "USA", "U.S.A.", "United States",
//! "840" or "Deutschland"; matching (and the phone numbers' default region) need one code per
//! country.
//!
//! The 249 ISO 3166-1 countries, their codes and English short names come from the
//! `rust_iso3166` crate; the informal and local names a global supplier master holds
//! ("Deutschland", "Ivory Coast", "UK") are data, in `data/country_aliases.tsv`.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{ValueError, text};

/// The local and informal names, `name<TAB>alpha-2` per line.
const ALIASES: &str = include_str!("data/country_aliases.tsv");

/// Words that never tell two country names apart: "The Gambia", "Korea, Republic of",
/// "Bosnia & Herzegovina".
const FILLER_WORDS: &[&str] = &["the", "of", "and"];

/// ISO alpha-2 code for a country name, alpha-2, alpha-3 or numeric code. Case, accents,
/// punctuation, "the"/"of"/"and" and word order are ignored ("U.S.A.", "Österreich",
/// "Korea, Republic of", "Bosnia & Herzegovina", "076").
pub fn to_alpha2(raw: &str) -> Option<&'static str> {
    let trimmed = raw.trim();
    if !trimmed.is_empty() && trimmed.len() <= 3 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let numeric = trimmed.parse().ok()?;
        return rust_iso3166::from_numeric(numeric).map(|c| c.alpha2);
    }
    let code = text::alnum_upper(trimmed);
    let by_code = match code.len() {
        2 => rust_iso3166::from_alpha2(&code),
        3 => rust_iso3166::from_alpha3(&code),
        _ => None,
    };
    if let Some(country) = by_code {
        return Some(country.alpha2);
    }
    let words = words(raw);
    if words.is_empty() {
        return None;
    }
    let table = &*TABLE;
    keys(&words).iter().find_map(|k| table.get(k).copied())
}

/// Standardized country: the alpha-2 code, or `UnknownCountry`.
pub fn standardize(raw: &str) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    to_alpha2(raw)
        .map(str::to_string)
        .ok_or(ValueError::UnknownCountry)
}

/// Every ISO 3166-1 country as (alpha-2, alpha-3, numeric, English short name).
pub fn all() -> impl Iterator<Item = (&'static str, &'static str, u16, &'static str)> {
    rust_iso3166::ALL
        .iter()
        .map(|c| (c.alpha2, c.alpha3, c.numeric, c.name))
}

/// Name key (see [`keys`]) -> alpha-2 code; codes are looked up before names.
type Table = HashMap<String, &'static str>;

static TABLE: LazyLock<Table> = LazyLock::new(build_table);

/// Builds the name lookup from three levels, most trusted first: the alias file, the ISO names,
/// and the names derived from ISO names ("Korea (Republic of)" gives "Republic of
/// Korea" and "Korea"). A key stays with the level that first claims it; a key that two
/// countries claim within one level (the "Korea" of both Koreas) is left out of that level.
fn build_table() -> Table {
    let aliases = alias_lines().filter_map(|line| {
        let (name, code) = line.ok()?;
        Some((name.to_string(), code))
    });
    let names = rust_iso3166::ALL
        .iter()
        .flat_map(|c| name_forms(c.name).0.into_iter().map(|n| (n, c.alpha2)));
    let derived = rust_iso3166::ALL
        .iter()
        .flat_map(|c| name_forms(c.name).1.into_iter().map(|n| (n, c.alpha2)));
    let mut table = Table::new();
    add_level(&mut table, aliases);
    add_level(&mut table, names);
    add_level(&mut table, derived);
    table
}

fn add_level(table: &mut Table, level: impl Iterator<Item = (String, &'static str)>) {
    let mut claimed: HashMap<String, Option<&'static str>> = HashMap::new();
    for (name, code) in level {
        for key in keys(&words(&name)) {
            claimed
                .entry(key)
                .and_modify(|c| {
                    if *c != Some(code) {
                        *c = None;
                    }
                })
                .or_insert(Some(code));
        }
    }
    for (key, code) in claimed {
        if let Some(code) = code {
            table.entry(key).or_insert(code);
        }
    }
}

/// The alias file's lines as (folded name, alpha-2 code), comments and blank lines skipped;
/// a line that names no ISO country is an `Err` with the line (the tests check there is none).
fn alias_lines() -> impl Iterator<Item = Result<(&'static str, &'static str), &'static str>> {
    ALIASES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (name, code) = line.split_once('\t').ok_or(line)?;
            let country = rust_iso3166::from_alpha2(code.trim()).ok_or(line)?;
            Ok((name.trim(), country.alpha2))
        })
}

/// The forms of an ISO short name: (full forms, derived shorter forms).
/// "Bolivia (Plurinational State of)" -> (["Bolivia Plurinational State of", "Plurinational
/// State of Bolivia"], ["Bolivia"]); "Bonaire, Sint Eustatius and Saba" -> (full, ["Bonaire"]).
fn name_forms(name: &str) -> (Vec<String>, Vec<String>) {
    let mut full = vec![name.replace(['(', ')'], " ")];
    let mut derived = Vec::new();
    if let Some((before, rest)) = name.split_once('(')
        && let Some((inside, after)) = rest.split_once(')')
    {
        derived.push(format!("{before} {after}"));
        if after.trim().is_empty() {
            full.push(format!("{inside} {before}"));
        }
    }
    if let Some((before, _)) = name.split_once(',') {
        derived.push(before.to_string());
    }
    (full, derived)
}

/// The words of a country name as compared: folded, initials joined ("U.S." is "us"),
/// filler words dropped, "St" spelled "saint".
fn words(raw: &str) -> Vec<String> {
    let folded = text::fold(&text::join_initials(&text::ascii_lower(raw)));
    folded
        .split(' ')
        .filter(|w| !w.is_empty() && !FILLER_WORDS.contains(w))
        .map(|w| if w == "st" { "saint" } else { w }.to_string())
        .collect()
}

/// The keys a name is known by: its words run together in order ("unitedstates", so that
/// "UnitedStates" is found too) and in sorted order ("korearepublic" for both "Korea,
/// Republic of" and "Republic of Korea").
fn keys(words: &[String]) -> Vec<String> {
    let mut sorted = words.to_vec();
    sorted.sort();
    let (in_order, sorted) = (words.concat(), sorted.join(" "));
    vec![in_order, sorted]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn united_states_spellings() {
        for raw in [
            "US",
            "usa",
            "U.S.A.",
            "U.S.",
            "United States",
            "United States of America",
            "the United States",
            "UnitedStates",
            "America",
            "840",
        ] {
            assert_eq!(standardize(raw).as_deref(), Ok("US"), "{raw}");
        }
    }

    #[test]
    fn names_local_names_and_codes() {
        let cases = [
            ("UK", "GB"),
            ("GB", "GB"),
            ("Great Britain", "GB"),
            ("United Kingdom", "GB"),
            ("England", "GB"),
            ("Deutschland", "DE"),
            ("Germany", "DE"),
            ("DEU", "DE"),
            ("276", "DE"),
            ("Nederland", "NL"),
            ("Netherlands", "NL"),
            ("The Netherlands", "NL"),
            ("Holland", "NL"),
            ("NLD", "NL"),
            ("Österreich", "AT"),
            ("España", "ES"),
            ("Espana", "ES"),
            ("Italia", "IT"),
            ("Brasil", "BR"),
            ("Türkiye", "TR"),
            ("Turkey", "TR"),
            ("Viet Nam", "VN"),
            ("Vietnam", "VN"),
            ("ch", "CH"),
            ("Schweiz", "CH"),
            ("Suisse", "CH"),
            ("Svizzera", "CH"),
            ("che", "CH"),
            ("Sverige", "SE"),
            ("Norge", "NO"),
            ("Danmark", "DK"),
            ("Suomi", "FI"),
            ("Polska", "PL"),
            ("Česko", "CZ"),
            ("Czechia", "CZ"),
            ("Czech Republic", "CZ"),
            ("México", "MX"),
            ("Perú", "PE"),
            ("Korea", "KR"),
            ("South Korea", "KR"),
            ("Republic of Korea", "KR"),
            ("Korea, Republic of", "KR"),
            ("North Korea", "KP"),
            ("Russia", "RU"),
            ("Russian Federation", "RU"),
            ("UAE", "AE"),
            ("United Arab Emirates", "AE"),
            ("Ivory Coast", "CI"),
            ("Côte d'Ivoire", "CI"),
            ("Cote d’Ivoire", "CI"),
            ("bra", "BR"),
        ];
        for (raw, code) in cases {
            assert_eq!(to_alpha2(raw), Some(code), "{raw}");
        }
    }

    #[test]
    fn iso_names_with_qualifiers_and_abbreviations() {
        let cases = [
            ("Bolivia", "BO"),
            ("Bolivia (Plurinational State of)", "BO"),
            ("Plurinational State of Bolivia", "BO"),
            ("Iran", "IR"),
            ("Iran, Islamic Republic of", "IR"),
            ("Tanzania", "TZ"),
            ("United Republic of Tanzania", "TZ"),
            ("Democratic Republic of the Congo", "CD"),
            ("Congo, Democratic Republic of the", "CD"),
            ("DR Congo", "CD"),
            ("Congo", "CG"),
            ("British Virgin Islands", "VG"),
            ("Virgin Islands (U.S.)", "VI"),
            ("U.S. Virgin Islands", "VI"),
            ("Bosnia & Herzegovina", "BA"),
            ("Trinidad & Tobago", "TT"),
            ("St. Kitts and Nevis", "KN"),
            ("Saint Lucia", "LC"),
            ("St Lucia", "LC"),
            ("The Gambia", "GM"),
            ("Cocos Islands", "CC"),
            ("Falkland Islands", "FK"),
            ("Bonaire", "BQ"),
            ("Åland Islands", "AX"),
            ("Curaçao", "CW"),
            ("Réunion", "RE"),
            ("Ghana", "GH"),
            ("Kuwait", "KW"),
            ("Sri Lanka", "LK"),
            ("Eswatini", "SZ"),
            ("Swaziland", "SZ"),
            ("Cabo Verde", "CV"),
            ("Cape Verde", "CV"),
            ("Timor-Leste", "TL"),
            ("Holy See", "VA"),
            ("004", "AF"),
            ("4", "AF"),
        ];
        for (raw, code) in cases {
            assert_eq!(to_alpha2(raw), Some(code), "{raw}");
        }
    }

    #[test]
    fn every_iso_country_by_code_and_name() {
        assert_eq!(all().count(), 249);
        for (alpha2, alpha3, numeric, name) in all() {
            assert_eq!(to_alpha2(alpha2), Some(alpha2), "{alpha2}");
            assert_eq!(to_alpha2(&alpha2.to_lowercase()), Some(alpha2), "{alpha2}");
            assert_eq!(to_alpha2(alpha3), Some(alpha2), "{alpha3}");
            assert_eq!(
                to_alpha2(&format!("{numeric:03}")),
                Some(alpha2),
                "{numeric}"
            );
            assert_eq!(to_alpha2(name), Some(alpha2), "{name}");
            assert_eq!(to_alpha2(&name.to_uppercase()), Some(alpha2), "{name}");
        }
    }

    #[test]
    fn every_alias_names_the_country_it_says() {
        for line in alias_lines() {
            let (name, code) = line.unwrap_or_else(|l| panic!("bad alias line {l:?}"));
            assert_eq!(to_alpha2(name), Some(code), "{name}");
        }
    }

    #[test]
    fn ambiguous_and_unknown_values_are_errors() {
        assert_eq!(standardize("Atlantis"), Err(ValueError::UnknownCountry));
        assert_eq!(standardize("??"), Err(ValueError::UnknownCountry));
        assert_eq!(standardize("999"), Err(ValueError::UnknownCountry));
        assert_eq!(
            standardize("Virgin Islands"),
            Err(ValueError::UnknownCountry)
        );
        assert_eq!(standardize("the"), Err(ValueError::UnknownCountry));
        assert_eq!(standardize(" "), Ok(String::new()));
    }
}
