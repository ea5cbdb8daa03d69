//! Comparators: each turns two standardized values into a similarity in 0..=1.

use std::borrow::Cow;
use std::collections::BTreeSet;

use strsim::{jaro_winkler, normalized_damerau_levenshtein, normalized_levenshtein};

use crate::rules::matching::Method;

/// The similarity of two standardized values under `method`.
pub fn similarity(method: Method, a: &str, b: &str) -> f64 {
    match method {
        Method::Exact | Method::Identifier | Method::Combined => f64::from(u8::from(a == b)),
        Method::JaroWinkler => jaro_winkler(a, b),
        Method::Levenshtein => normalized_levenshtein(a, b),
        Method::DamerauLevenshtein => normalized_damerau_levenshtein(a, b),
        Method::TokenSet => token_set(a, b),
        Method::NameWords => {
            let (a, b) = fold_initials(a, b);
            name_words(&a, &b)
        }
        Method::TokenSort => {
            let (a, b) = fold_initials(a, b);
            normalized_levenshtein(&sorted_words(&a), &sorted_words(&b))
        }
        Method::MongeElkan => (monge_elkan(a, b) + monge_elkan(b, a)) / 2.0,
        Method::Jaccard => jaccard(a, b),
        Method::Numeric => numeric(a, b),
        Method::ModelNumber => model_number(a, b),
        Method::PackSize => f64::from(u8::from(words(a).intersection(&words(b)).next().is_some())),
        Method::Date => date(a, b),
        Method::Address => address(a, b),
        Method::Code => code(a, b),
        Method::Numbers => numbers(a, b),
    }
}

/// Shortest code that may stand for a longer one ending in it: shorter tails ("10", "220")
/// end many unrelated codes.
const MIN_CODE_TAIL: usize = 4;

fn code(a: &str, b: &str) -> f64 {
    let core = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let (a, b) = (core(a), core(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let (short, long) = if a.len() < b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let prefix = &long[..long.len() - short.len()];
    if short.len() >= MIN_CODE_TAIL && long.ends_with(short.as_str()) && !prefix.is_empty() {
        0.9
    } else {
        0.0
    }
}

/// Words after which the next word names a unit ("Bldg B", "Dock A", "Suite 110"), in the
/// standardized spellings of names and of addresses.
const UNIT_DESIGNATORS: &[&str] = &[
    "apt", "bldg", "building", "dock", "door", "fl", "floor", "room", "rm", "ste", "suite",
    "tower", "unit", "wing",
];

/// The unit numbers of a text: its words holding a digit and the words after a unit
/// designator, apart from a leading house number when `skip_house_number`.
fn unit_numbers(s: &str, skip_house_number: bool) -> BTreeSet<&str> {
    let words: Vec<&str> = s.split_whitespace().collect();
    words
        .iter()
        .enumerate()
        .filter(|&(i, w)| {
            let numbered = w.chars().any(|c| c.is_ascii_digit());
            let designated =
                i > 0 && UNIT_DESIGNATORS.contains(&words[i - 1]) && !UNIT_DESIGNATORS.contains(w);
            !(skip_house_number && i == 0) && (numbered || designated)
        })
        .map(|(_, w)| *w)
        .collect()
}

fn numbers(a: &str, b: &str) -> f64 {
    let (na, nb) = (unit_numbers(a, false), unit_numbers(b, false));
    match (na.is_empty(), nb.is_empty()) {
        (true, true) => 0.75,
        _ if na == nb => 1.0,
        (true, false) | (false, true) => 0.25,
        _ if na.is_subset(&nb) || nb.is_subset(&na) => 0.25,
        _ => 0.0,
    }
}

/// Highest similarity of two addresses whose house numbers differ: 4216 and 4290 W 18th St
/// are different buildings however alike the rest reads.
const OTHER_HOUSE_NUMBER: f64 = 0.5;
/// Highest similarity when the house numbers differ by one keystroke (2140 and 2141): a typo
/// as often as a neighbour.
const NEAR_HOUSE_NUMBER: f64 = 0.55;
/// Highest similarity of one building's addresses whose units (suite, room, floor) differ: the
/// tenants of an office building share everything else.
const OTHER_UNIT: f64 = 0.6;

fn address(a: &str, b: &str) -> f64 {
    let number = |s: &str| {
        s.split_whitespace()
            .next()
            .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .map(str::to_owned)
    };
    let similarity = token_set(a, b);
    let (units_a, units_b) = (unit_numbers(a, true), unit_numbers(b, true));
    let other_unit = !units_a.is_empty() && !units_b.is_empty() && units_a.is_disjoint(&units_b);
    match (number(a), number(b)) {
        (Some(x), Some(y)) if x != y && strsim::damerau_levenshtein(&x, &y) == 1 => {
            similarity.min(NEAR_HOUSE_NUMBER)
        }
        (Some(x), Some(y)) if x != y => similarity.min(OTHER_HOUSE_NUMBER),
        _ if other_unit => similarity.min(OTHER_UNIT),
        _ => similarity,
    }
}

fn words(s: &str) -> BTreeSet<&str> {
    s.split_whitespace().collect()
}

fn sorted_words(s: &str) -> String {
    words(s).into_iter().collect::<Vec<_>>().join(" ")
}

/// Token-set ratio: the shared words, compared with each side's shared-plus-own words.
/// A name whose words are all inside the other's scores 1.0.
fn token_set(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let shared: Vec<&str> = wa.intersection(&wb).copied().collect();
    let only_a: Vec<&str> = wa.difference(&wb).copied().collect();
    let only_b: Vec<&str> = wb.difference(&wa).copied().collect();
    let base = shared.join(" ");
    let join = |rest: &[&str]| {
        let mut all = shared.clone();
        all.extend_from_slice(rest);
        all.join(" ")
    };
    let (with_a, with_b) = (join(&only_a), join(&only_b));
    let mut best = normalized_levenshtein(&with_a, &with_b);
    if !base.is_empty() {
        best = best
            .max(normalized_levenshtein(&base, &with_a))
            .max(normalized_levenshtein(&base, &with_b));
    }
    best
}

/// Words that, added to an organisation's name, name another member of its family: a holding
/// company, a group, an international or national arm. Country names count too.
const FAMILY_WORDS: &[&str] = &[
    "holding",
    "holdings",
    "group",
    "international",
    "global",
    "worldwide",
    "usa",
    "uk",
];

/// The highest similarity of two names one of which adds family words to the other: a close
/// level's, never an equal name's.
const FAMILY_MEMBER: f64 = 0.95;

/// Whether a word of a standardized name names a family member ("holdings", "canada").
fn family_word(word: &str) -> bool {
    FAMILY_WORDS.contains(&word)
        || (word.len() >= 4 && crate::normalize::country::to_alpha2(word).is_some())
}

/// Token-set ratio, capped at [`FAMILY_MEMBER`] when one name is the other plus family words.
fn name_words(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let extra: Vec<&str> = if wa.is_subset(&wb) {
        wb.difference(&wa).copied().collect()
    } else if wb.is_subset(&wa) {
        wa.difference(&wb).copied().collect()
    } else {
        Vec::new()
    };
    let similarity = token_set(a, b);
    if extra.iter().any(|w| family_word(w)) {
        similarity.min(FAMILY_MEMBER)
    } else {
        similarity
    }
}

/// Shortest word read as initials ("hr", "bh"): a run of two or more words must spell all of
/// it, and a single letter spells no run.
const MIN_INITIALS: usize = 2;

/// Words a run of initials passes over inside it ("Saint Joseph Hospital and Medical Center"
/// is "SJHMC").
const INITIALS_SKIP: &[&str] = &["and", "of", "the"];

/// The two names with every run of words in one that a word of the other spells by initials
/// ("saint joseph hospital and medical center" beside "sjhmc") replaced by that word, so
/// systems that shorten a facility's name to its initials compare with those that spell it out.
fn fold_initials<'a>(a: &'a str, b: &'a str) -> (Cow<'a, str>, Cow<'a, str>) {
    let b = replace_spelled(a, b);
    let a = replace_spelled(&b, a);
    (a, b)
}

/// `text` with each run of its words spelled by the initials of a word of `initials`
/// replaced by that word.
fn replace_spelled<'a>(initials: &str, text: &'a str) -> Cow<'a, str> {
    let candidates: Vec<&str> = initials
        .split_whitespace()
        .filter(|w| w.len() >= MIN_INITIALS && w.bytes().all(|c| c.is_ascii_lowercase()))
        .collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    if candidates.is_empty() || words.len() < 2 {
        return Cow::Borrowed(text);
    }
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    let mut changed = false;
    while i < words.len() {
        match candidates
            .iter()
            .find_map(|c| spelled_run(c, &words[i..]).map(|n| (c, n)))
        {
            Some((word, taken)) => {
                out.push(word);
                i += taken;
                changed = true;
            }
            None => {
                out.push(words[i]);
                i += 1;
            }
        }
    }
    if changed {
        Cow::Owned(out.join(" "))
    } else {
        Cow::Borrowed(text)
    }
}

/// How many of `words` (at least two) spell `initials` by their first letters from the start,
/// skipping linking words inside the run.
fn spelled_run(initials: &str, words: &[&str]) -> Option<usize> {
    let wanted = initials.as_bytes();
    let mut matched = 0;
    for (taken, word) in words.iter().enumerate() {
        if matched > 0 && INITIALS_SKIP.contains(word) {
            continue;
        }
        if word.as_bytes().first() != wanted.get(matched) {
            return None;
        }
        matched += 1;
        if matched == wanted.len() {
            return (taken >= 1).then_some(taken + 1);
        }
    }
    None
}

/// Average over the words of `a` of the best Jaro-Winkler match among the words of `b`.
fn monge_elkan(a: &str, b: &str) -> f64 {
    let wb: Vec<&str> = b.split_whitespace().collect();
    let wa: Vec<&str> = a.split_whitespace().collect();
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    let total: f64 = wa
        .iter()
        .map(|x| wb.iter().map(|y| jaro_winkler(x, y)).fold(0.0, f64::max))
        .sum();
    total / wa.len() as f64
}

fn jaccard(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let union = wa.union(&wb).count();
    if union == 0 {
        return 0.0;
    }
    wa.intersection(&wb).count() as f64 / union as f64
}

fn numeric(a: &str, b: &str) -> f64 {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => {
            let scale = x.abs().max(y.abs());
            if scale == 0.0 {
                1.0
            } else {
                (1.0 - (x - y).abs() / scale).clamp(0.0, 1.0)
            }
        }
        _ => f64::from(u8::from(a == b)),
    }
}

/// 1.0 when the two sides share a model number; 0.5 when one extends another of 5+
/// characters by at most 2 (a colour or region suffix); 0 otherwise. Product-family members
/// whose numbers differ in a size suffix score 0 or 0.5, never 1.
fn model_number(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    if wa.intersection(&wb).next().is_some() {
        return 1.0;
    }
    let extends = |long: &str, short: &str| {
        short.len() >= 5 && long.len() <= short.len() + 2 && long.starts_with(short)
    };
    let near = wa
        .iter()
        .any(|x| wb.iter().any(|y| extends(x, y) || extends(y, x)));
    if near { 0.5 } else { 0.0 }
}

/// Dates as YYYY-MM-DD: equal 1.0; day and month swapped 0.8; one digit off 0.7; same year
/// 0.3; otherwise 0.
fn date(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let parts = |s: &str| -> Option<(String, String, String)> {
        let mut it = s.split('-');
        Some((it.next()?.into(), it.next()?.into(), it.next()?.into()))
    };
    let (Some((ya, ma, da)), Some((yb, mb, db))) = (parts(a), parts(b)) else {
        return 0.0;
    };
    if ya == yb && ma == db && da == mb {
        return 0.8;
    }
    let differing = a.chars().zip(b.chars()).filter(|(x, y)| x != y).count();
    if a.len() == b.len() && differing == 1 {
        return 0.7;
    }
    if ya == yb { 0.3 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_set_ignores_order_and_subset_words() {
        assert_eq!(
            similarity(
                Method::TokenSet,
                "philips electronics",
                "electronics philips"
            ),
            1.0
        );
        assert_eq!(similarity(Method::TokenSet, "acme", "acme medical"), 1.0);
        assert!(similarity(Method::TokenSet, "acme medical", "zenith labs") < 0.5);
    }

    #[test]
    fn name_words_keeps_a_family_member_below_an_equal_name() {
        let s = |a, b| similarity(Method::NameWords, a, b);
        assert_eq!(s("pioneer biomedical", "biomedical pioneer"), 1.0);
        assert_eq!(s("ymca garfield", "ymca garfield school"), 1.0);
        for sibling in [
            "pioneer biomedical holdings",
            "pioneer biomedical international",
            "pioneer biomedical canada",
        ] {
            let close = s("pioneer biomedical", sibling);
            assert!((0.9..1.0).contains(&close), "{sibling}: {close}");
        }
        assert!(s("pioneer biomedical", "zenith labs holdings") < 0.5);
    }

    #[test]
    fn initials_stand_for_the_words_they_spell() {
        let s = |a, b| similarity(Method::TokenSort, a, b);
        assert_eq!(
            s(
                "sjhmc loading dock 1",
                "saint joseph hospital and medical center loading dock 1"
            ),
            1.0
        );
        assert_eq!(
            s("ymca garfield", "young mens christian association garfield"),
            1.0
        );
        assert_eq!(s("hr", "human resources"), 1.0);
        // Initials spell the whole run, no more and no less.
        assert!(s("hrs", "human resources") < 0.9);
        assert!(
            s(
                "sjh dock 1",
                "saint joseph hospital and medical center dock 1"
            ) < 0.9
        );
    }

    #[test]
    fn monge_elkan_tolerates_typos_in_words() {
        let s = similarity(Method::MongeElkan, "mitchel green", "mitchell green");
        assert!(s > 0.95, "{s}");
    }

    #[test]
    fn identifiers_are_all_or_nothing() {
        assert_eq!(
            similarity(Method::Identifier, "123456789", "123456789"),
            1.0
        );
        assert_eq!(
            similarity(Method::Identifier, "123456789", "123456788"),
            0.0
        );
    }

    #[test]
    fn model_numbers_share_or_differ_by_suffix() {
        assert_eq!(
            similarity(Method::ModelNumber, "PSLX350H", "AB12 PSLX350H"),
            1.0
        );
        assert_eq!(
            similarity(Method::ModelNumber, "KDL40V3000", "KDL40V3000B"),
            0.5
        );
        assert_eq!(similarity(Method::ModelNumber, "MX1010S", "MX1010M"), 0.0);
    }

    #[test]
    fn pack_sizes_agree_on_any_shared_size() {
        assert_eq!(similarity(Method::PackSize, "100BX", "10ML 100BX"), 1.0);
        assert_eq!(similarity(Method::PackSize, "100BX", "50BX"), 0.0);
    }

    #[test]
    fn dates_grade_their_differences() {
        assert_eq!(similarity(Method::Date, "1956-04-09", "1956-04-09"), 1.0);
        assert_eq!(similarity(Method::Date, "1956-04-09", "1956-09-04"), 0.8);
        assert_eq!(similarity(Method::Date, "1956-04-09", "1956-04-08"), 0.7);
        assert_eq!(similarity(Method::Date, "1956-04-09", "1956-11-21"), 0.3);
        assert_eq!(similarity(Method::Date, "1956-04-09", "1980-11-21"), 0.0);
    }

    #[test]
    fn addresses_with_other_house_numbers_stay_apart() {
        assert_eq!(
            similarity(Method::Address, "1800 n humboldt blvd", "1800 n humboldt"),
            1.0
        );
        assert!(similarity(Method::Address, "4217 w 18th st", "4290 w 18th st") <= 0.5);
        assert_eq!(
            similarity(Method::Address, "2140 w 79th st", "2141 w 79th st"),
            0.55
        );
    }

    #[test]
    fn numbers_compare_by_relative_difference() {
        assert_eq!(similarity(Method::Numeric, "100", "100"), 1.0);
        assert!((similarity(Method::Numeric, "100", "90") - 0.9).abs() < 1e-9);
    }

    #[test]
    fn one_buildings_other_units_stay_apart() {
        let s = |a, b| similarity(Method::Address, a, b);
        assert_eq!(
            s("9334 s spring ave ste 110", "9334 s spring ave ste 110"),
            1.0
        );
        assert_eq!(
            s("9334 s spring ave ste 110", "9334 s spring ave ste 400"),
            0.6
        );
        // A unit one side leaves out is no difference.
        assert_eq!(s("9334 s spring ave ste 110", "9334 s spring ave"), 1.0);
        assert_eq!(
            s(
                "834 university st fl 3 rm a351",
                "834 university st rm a351"
            ),
            1.0
        );
    }

    #[test]
    fn codes_agree_without_separators_or_a_systems_prefix() {
        let s = |a, b| similarity(Method::Code, a, b);
        assert_eq!(s("4418", "4418"), 1.0);
        assert_eq!(s("cc-4418", "CC4418"), 1.0);
        assert_eq!(s("CC4418", "4418"), 0.9);
        assert_eq!(s("2000-9220", "9220"), 0.9);
        assert_eq!(s("4418", "4419"), 0.0);
        // A short tail ends too many codes to stand for one.
        assert_eq!(s("7010", "10"), 0.0);
    }

    #[test]
    fn unit_numbers_tell_docks_and_rooms_apart() {
        let s = |a, b| similarity(Method::Numbers, a, b);
        assert_eq!(s("mercy hospital dock 2", "dock 2 mercy hospital"), 1.0);
        assert_eq!(s("mercy hospital", "saint mercy hospital"), 0.75);
        assert_eq!(s("mercy hospital", "mercy hospital room a515"), 0.25);
        assert_eq!(s("mercy hospital dock 2", "mercy hospital dock 3"), 0.0);
        assert_eq!(s("covenant warehouse", "covenant warehouse dock a"), 0.25);
        assert_eq!(
            s("mercy medical office bldg b", "mercy medical office bldg c"),
            0.0
        );
    }
}
