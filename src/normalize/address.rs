//! Street address lines. ERPs spell the same address "123 North Main Street, Suite 400"
//! and "123 N. Main St. Ste. 400"; both become USPS-style abbreviations so they compare equal.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{tables, text};

/// Unit designators after which a "#" is redundant ("Apt #5" is "apt 5").
const UNIT_MARKERS: &[&str] = &["ste", "apt", "unit", "fl", "bldg", "rm"];

/// Standardized address line: folded, USPS abbreviations, ordinals as digits, "#" as "unit".
pub fn standardize(raw: &str) -> String {
    let joined = text::join_initials(&text::ascii_lower(raw));
    let folded = text::fold_keeping(&joined, &['#']);
    let mut out: Vec<&str> = Vec::new();
    let mut iter = folded.split(' ').filter(|t| !t.is_empty()).peekable();
    while let Some(tok) = iter.next() {
        if tok == "#" {
            if !out.last().is_some_and(|t| UNIT_MARKERS.contains(t)) {
                out.push("unit");
            }
            continue;
        }
        // "P O Box" (initials with spaces instead of dots) is one token in every other spelling.
        if tok == "o" && out.last() == Some(&"p") && iter.peek() == Some(&"box") {
            out.pop();
            out.push("po");
            continue;
        }
        // "Post Office Box" and "POBox" are the USPS "PO Box".
        if tok == "box" && out.ends_with(&["post", "office"]) {
            out.truncate(out.len() - 2);
            out.extend(["po", "box"]);
            continue;
        }
        if tok == "pobox" {
            out.extend(["po", "box"]);
            continue;
        }
        out.push(canonical(tok));
    }
    out.join(" ")
}

/// USPS abbreviations of street suffixes, directionals, unit designators and ordinals.
const SUFFIXES_FILE: &str = include_str!("data/usps_street_suffixes.tsv");

/// Folded word -> its USPS standard abbreviation.
static SUFFIXES: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| tables::pairs(SUFFIXES_FILE).collect());

/// The USPS abbreviation for one folded token, or the token itself.
pub fn canonical(token: &str) -> &str {
    SUFFIXES.get(token).copied().unwrap_or(token)
}

#[cfg(test)]
mod tests {
    use super::standardize as s;

    #[test]
    fn brief_examples_agree() {
        assert_eq!(
            s("123 North Main Street, Suite 400"),
            "123 n main st ste 400"
        );
        assert_eq!(s("123 N. Main St. Ste. 400"), "123 n main st ste 400");
        assert_eq!(s("123 N MAIN ST STE 400"), "123 n main st ste 400");
    }

    #[test]
    fn street_types() {
        assert_eq!(s("1600 Pennsylvania Avenue NW"), "1600 pennsylvania ave nw");
        assert_eq!(s("1 Infinite Loop Way"), "1 infinite loop way");
        assert_eq!(s("500 Oak Boulevard"), "500 oak blvd");
        assert_eq!(s("7 Elm Road / 9 Pine Drive"), "7 elm rd 9 pine dr");
        assert_eq!(s("12 Rose Lane, 3 Court Place"), "12 rose ln 3 ct pl");
        assert_eq!(
            s("Lake Shore Parkway, Highway 41"),
            "lake shore pkwy hwy 41"
        );
        assert_eq!(
            s("Union Square, Park Terrace, Oak Circle"),
            "union sq park ter oak cir"
        );
        assert_eq!(s("Hauptstraße 5"), "hauptstrasse 5");
        assert_eq!(s("Haupt Str. 5"), "haupt st 5");
    }

    #[test]
    fn directions_and_units() {
        assert_eq!(
            s("200 South-East Market St, Apartment 5B"),
            "200 s e market st apt 5b"
        );
        assert_eq!(
            s("200 Northeast Market St Apt #5B"),
            "200 ne market st apt 5b"
        );
        assert_eq!(s("200 N.E. Market St"), "200 ne market st");
        assert_eq!(
            s("10 West St, Floor 3, Building C, Room 12"),
            "10 w st fl 3 bldg c rm 12"
        );
        assert_eq!(s("10 W St #12"), "10 w st unit 12");
        assert_eq!(s("10 W St Unit 12"), "10 w st unit 12");
    }

    #[test]
    fn ordinals_and_po_boxes() {
        assert_eq!(s("1 First Avenue"), "1 1st ave");
        assert_eq!(s("1 1ST AVE"), "1 1st ave");
        assert_eq!(s("Tenth Street, Second Floor"), "10th st 2nd fl");
        assert_eq!(s("P.O. Box 123"), "po box 123");
        assert_eq!(s("P O Box 123"), "po box 123");
        assert_eq!(s("PO BOX 123"), "po box 123");
        assert_eq!(s("Post Office Box 123"), "po box 123");
        assert_eq!(s("POBox 123"), "po box 123");
    }

    #[test]
    fn usps_suffix_variants() {
        assert_eq!(s("100 Lakeshore Expressway"), "100 lakeshore expy");
        assert_eq!(s("100 LAKESHORE EXPY"), "100 lakeshore expy");
        assert_eq!(s("9 Garden State Pkwy"), s("9 Garden State Parkway"));
        assert_eq!(s("12 Elm Crt"), s("12 Elm Court"));
        assert_eq!(s("77 Main Avenu"), "77 main ave");
        assert_eq!(s("3 Tpke Plaza"), "3 tpke plz");
        assert_eq!(s("8 Old Mill Trail"), "8 old mill trl");
    }

    #[test]
    fn data_file_is_well_formed() {
        assert!(super::tables::entries(super::SUFFIXES_FILE).all(|l| l.split('\t').count() == 2));
    }
}
