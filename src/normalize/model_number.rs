//! Model and part numbers hidden in free text ("Sony Turntable - PSLX350H", "Sony PS-LX350H
//! Belt-Drive Turntable"): tokens that mix letters and digits, separators removed.
//!
//! Item descriptions also carry packaging and measures ("100/bx", "BX/100", "CS of 12",
//! "12/CS", "pk 10", "10ML") that look the same but are shared by every member of a product
//! family: those are recognized and never taken for model numbers. Hand-written because no
//! crate knows the packaging shorthand of ERP item masters.

use super::units;

/// Words that tie a count to a packaging unit: "case of 12", "12 per case".
const PACK_LINKS: &[&str] = &["OF", "PER", "X"];

/// Packaging units that ERPs also write before their count ("BX/100", "case of 12").
/// Narrower than the units a count may precede: "PC/100" or "EA 50" are as often model numbers.
const UNIT_FIRST: &[&str] = &[
    "BX", "BOX", "CS", "CASE", "PK", "PACK", "PKG", "CT", "CTN", "CARTON", "DZ", "BG", "BAG",
];

/// The order units (as [`units::canonical`] names them) that count pieces rather than measure.
const PACKAGING: &[&str] = &["EA", "BX", "CS", "PK", "DZ", "PR", "BG", "CT"];

/// Measures beyond the order units of [`units::canonical`] that sizes are written in.
const MEASURES: &[&str] = &["MG", "MCG", "GAL", "QT", "CC"];

/// Model-number-like tokens of `raw`, uppercase without separators, in order, deduplicated.
/// A token qualifies with letters and digits and at least 4 characters, or with 5+ digits,
/// unless it is packaging or a measure.
pub fn extract(raw: &str) -> Vec<String> {
    let (pieces, tokens) = split(raw);
    let mut found: Vec<String> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let letters = token.len() - digits;
        let qualifies = (digits > 0 && letters > 0 && token.len() >= 4) || digits >= 5;
        if qualifies && packaging_at(&pieces, &tokens, i).is_none() && !found.contains(token) {
            found.push(token.clone());
        }
    }
    found
}

/// The pack sizes and measures written in `raw`, each as its count and unit code ("100/bx",
/// "BX/100" and "box of 100" are all "100BX"; "10ml" is "10ML"), in order, deduplicated.
pub fn pack_sizes(raw: &str) -> Vec<String> {
    let (pieces, tokens) = split(raw);
    let mut found: Vec<String> = Vec::new();
    for i in 0..tokens.len() {
        if let Some((count, unit)) = packaging_at(&pieces, &tokens, i) {
            let count = count.trim_start_matches('0');
            let unit = units::canonical(&unit).unwrap_or(&unit);
            let size = format!("{count}{unit}");
            if !count.is_empty() && !found.contains(&size) {
                found.push(size);
            }
        }
    }
    found
}

/// The pieces of `raw` (split at spaces and brackets, quotes and list punctuation) and each
/// one's uppercase letters and digits.
fn split(raw: &str) -> (Vec<&str>, Vec<String>) {
    let pieces: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || ",;()[]{}\"'|".contains(c))
        .filter(|p| !p.is_empty())
        .collect();
    let tokens = pieces.iter().map(|p| alnum_upper(p)).collect();
    (pieces, tokens)
}

/// The (count, unit) of the packaging or measure expression that piece `i` is (part of).
fn packaging_at(pieces: &[&str], tokens: &[String], i: usize) -> Option<(String, String)> {
    let piece = pieces[i];
    // "100/bx", "BX/100", "12/CS"
    if let Some((left, right)) = piece.split_once('/') {
        let (left, right) = (alnum_upper(left), alnum_upper(right));
        if is_count(&left) && is_unit(&right) {
            return Some((left, right));
        }
        if is_unit_first(&left) && is_count(&right) {
            return Some((right, left));
        }
    }
    if let Some(found) = count_then_unit(piece) {
        return Some(found);
    }
    let count = &tokens[i];
    if !is_count(count) {
        return None;
    }
    // A count spelled out with its unit: "box of 10000", "10000 per case", "10000 / CS"; a
    // short one also beside it: "pk 10", "12 CS".
    let at = |j: Option<usize>| j.and_then(|j| tokens.get(j)).map(String::as_str);
    let before = |n: usize| at(i.checked_sub(n));
    let after = |n: usize| at(i.checked_add(n));
    let short = count.len() <= 4;
    let unit = if before(1).is_some_and(|t| PACK_LINKS.contains(&t)) {
        before(2).filter(|t| is_unit_first(t))
    } else if after(1) == Some("PER") || pieces.get(i + 1) == Some(&"/") {
        after(2).filter(|t| is_unit(t))
    } else if short && before(1).is_some_and(is_unit_first) {
        before(1)
    } else if short && after(1).is_some_and(is_packaging_unit) {
        after(1)
    } else {
        None
    };
    unit.map(|u| (count.clone(), u.to_owned()))
}

/// "100BX", "12CS", "10ML", "500mg", "20-pack": a count then a unit or measure, written as one
/// word (a hyphen only before a packaging unit). A token the text joins from parts
/// ("18-55mm", "802.11g", "910443-004-g") is a range or a part number, not a quantity.
fn count_then_unit(piece: &str) -> Option<(String, String)> {
    let word = piece.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let split = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (count, rest) = word.split_at(split);
    let (unit, hyphenated) = match rest.strip_prefix('-') {
        Some(unit) => (unit.to_ascii_uppercase(), true),
        None => (rest.to_ascii_uppercase(), false),
    };
    let unit_ok = if hyphenated {
        is_packaging_unit(&unit)
    } else {
        is_unit(&unit)
    };
    let letters = unit.chars().all(|c| c.is_ascii_alphabetic());
    (is_count(count) && letters && unit_ok).then(|| (count.to_owned(), unit))
}

fn is_packaging_unit(s: &str) -> bool {
    units::canonical(s).is_some_and(|u| PACKAGING.contains(&u))
}

fn is_count(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A unit or measure. "ST" (set) is left out: after a count it is an ordinal ("1st grade").
fn is_unit(s: &str) -> bool {
    !s.is_empty() && s != "ST" && (units::canonical(s).is_some() || MEASURES.contains(&s))
}

fn is_unit_first(s: &str) -> bool {
    UNIT_FIRST.contains(&s)
}

fn alnum_upper(piece: &str) -> String {
    piece
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_model_numbers_with_and_without_separators() {
        assert_eq!(extract("Sony Turntable - PSLX350H"), ["PSLX350H"]);
        assert_eq!(extract("Sony PS-LX350H Belt-Drive Turntable"), ["PSLX350H"]);
        assert_eq!(
            extract("Denon TU-1500RD Stereo Radio Tuner - TU1500RD"),
            ["TU1500RD"]
        );
    }

    #[test]
    fn ignores_plain_words_and_short_numbers() {
        assert!(extract("Belt Drive 33-1/3 and 45 RPM").is_empty());
        assert_eq!(extract("Bose Speaker System - 21725"), ["21725"]);
    }

    #[test]
    fn keeps_family_suffixes_apart() {
        assert_eq!(extract("Glove MX-1010-S"), ["MX1010S"]);
        assert_ne!(extract("Glove MX-1010-S"), extract("Glove MX-1010-M"));
    }

    #[test]
    fn packaging_is_never_a_model_number() {
        for raw in [
            "Nitrile Exam Glove, Medium, 100/bx",
            "GLOVE EXAM NITRILE MED BX/100",
            "Syringe 10ml Luer Lock CS of 12",
            "Syringe 10 mL luer lock 12/CS",
            "Gauze sponge 4x4 case of 12",
            "Alcohol prep pad pk 10",
            "ALCOHOL PREP PAD 10PK",
            "Alcohol prep pad 1000PK",
            "Batteries AA 20-pack, 4PACK",
            "Suture kit 12 per case",
            "Exam table paper 12CS",
            "Specimen bag box of 10000",
            "Specimen bag 10000 / CS",
            "Specimen bag 10000/CS",
            "Cotton tip applicator 1000/CTN",
            "Acetaminophen 500MG tablets 100/BT",
            "Distilled water 1GAL",
        ] {
            assert!(extract(raw).is_empty(), "{raw}: {:?}", extract(raw));
        }
    }

    #[test]
    fn pack_sizes_in_one_form() {
        for raw in [
            "Nitrile Exam Glove, Medium, 100/bx",
            "GLOVE EXAM NITRILE MED BX/100",
            "Glove nitrile box of 100",
            "GLOVE NITRILE 100BX",
            "Glove nitrile 100 per box",
        ] {
            assert_eq!(pack_sizes(raw), ["100BX"], "{raw}");
        }
        assert_eq!(
            pack_sizes("Syringe 10ml Luer Lock CS of 12"),
            ["10ML", "12CS"]
        );
        assert_eq!(pack_sizes("Syringe 10 mL luer lock 12/CS"), ["12CS"]);
        assert_eq!(pack_sizes("Alcohol prep pad pk 10"), ["10PK"]);
        assert_eq!(pack_sizes("hoyle 4-pack 2006"), ["4PK"]);
        assert_eq!(
            pack_sizes("Sony 98510 In Piano Black"),
            Vec::<String>::new()
        );
        assert_eq!(pack_sizes("carrying case (62340)"), Vec::<String>::new());
        assert_eq!(
            pack_sizes("jumpstart advanced 1st grade"),
            Vec::<String>::new()
        );
        assert_eq!(pack_sizes("socket wrench 21-piece, 1 set"), ["21EA"]);
    }

    #[test]
    fn model_numbers_beside_packaging_are_kept() {
        assert_eq!(
            extract("Medline MDS192076 Nitrile Exam Glove Medium 100/BX"),
            ["MDS192076"]
        );
        assert_eq!(extract("BD 302995 Syringe 10ML CS/100"), ["302995"]);
        assert_eq!(
            extract("Kimberly-Clark 55082 Purple Nitrile Gloves, M, 100/bx, 10 bx/cs"),
            ["55082"]
        );
        // A model number that merely starts or ends with unit letters stays a model number.
        assert_eq!(extract("Logitech G500 Gaming Mouse"), ["G500"]);
        assert_eq!(extract("PC100 memory module"), ["PC100"]);
        assert_eq!(extract("Seagate ST1000DM003 1TB"), ["ST1000DM003"]);
        assert_eq!(extract("Onkyo Black CD Receiver System - CS325"), ["CS325"]);
        assert_eq!(
            extract("kensington notebook carrying case (62340)"),
            ["62340"]
        );
        assert_eq!(
            extract("Gaming System Core 98510 In Piano Black"),
            ["98510"]
        );
        assert_eq!(
            extract("Windows Server 2003 client license - 5 pack (823930)"),
            ["823930"]
        );
        // Ranges and versions joined from parts are specifications, kept as before.
        assert_eq!(extract("Canon EF-S 18-55mm Zoom Lens"), ["1855MM"]);
        assert_eq!(extract("Wireless Access Point 802.11g"), ["80211G"]);
    }
}
