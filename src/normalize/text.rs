//! Shared folding and tokenizing helpers.
//!
//! Matching compares strings produced here, so every text-like field type must fold the
//! same way: ASCII, lowercase, single spaces, no punctuation.

use deunicode::deunicode_with_tofu;

/// Trims, transliterates to ASCII ("Café Müller" -> "Cafe Muller") and lowercases.
/// Symbols deunicode cannot transliterate become spaces so they split words instead of gluing them.
pub fn ascii_lower(raw: &str) -> String {
    deunicode_with_tofu(raw.trim(), " ").to_ascii_lowercase()
}

/// The common fold: ASCII, lowercase, punctuation to spaces, whitespace collapsed.
/// Apostrophes are dropped rather than spaced so "O'Brien" and "OBrien" (and "McDonald's"
/// and "McDonalds") fold alike.
pub fn fold(raw: &str) -> String {
    fold_keeping(raw, &[])
}

/// Like [`fold`], but each char in `keep` survives as a token of its own
/// (org names need "&", addresses need "#").
pub fn fold_keeping(raw: &str, keep: &[char]) -> String {
    let ascii = ascii_lower(raw);
    let mut out = String::with_capacity(ascii.len());
    let mut gap = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        } else if c == '\'' {
            // Joining, not splitting: see `fold`.
        } else if keep.contains(&c) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(c);
            gap = true;
        } else {
            gap = true;
        }
    }
    out
}

/// Joins runs of dotted single letters: "u.s. philips" -> "us philips", "n.v." -> "nv".
/// Must run before punctuation is removed, otherwise "N.V." would become the two tokens "n v".
/// A lone initial ("N. Main") is left alone.
pub fn join_initials(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let at = |i: usize| c.get(i).copied();
    let is_alnum = |i: usize| at(i).is_some_and(|ch| ch.is_alphanumeric());
    let standalone = |i: usize| {
        at(i).is_some_and(|ch| ch.is_alphabetic())
            && (i == 0 || !is_alnum(i - 1))
            && !is_alnum(i + 1)
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(ch) = at(i) {
        let mut letters = String::new();
        let mut last = i;
        if standalone(i) {
            letters.push(ch);
            while at(last + 1) == Some('.') && standalone(last + 2) {
                if let Some(next) = at(last + 2) {
                    letters.push(next);
                }
                last += 2;
            }
        }
        if letters.chars().count() >= 2 {
            out.push_str(&letters);
            i = last + 1;
            if at(i) == Some('.') {
                i += 1;
            }
        } else {
            out.push(ch);
            i += 1;
        }
    }
    out
}

/// Uppercase ASCII letters and digits only; the shape of codes where punctuation is noise.
pub fn alnum_upper(raw: &str) -> String {
    deunicode_with_tofu(raw.trim(), " ")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Collapses every run of whitespace to one space and trims the ends.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("  Café Müller "), "cafe muller");
        assert_eq!(fold("ACME, Inc.--(Chicago)"), "acme inc chicago");
        assert_eq!(fold("Straße\t\n 5"), "strasse 5");
        assert_eq!(fold("O'Brien & Sons"), "obrien sons");
        assert_eq!(fold("McDonald’s"), "mcdonalds");
        assert_eq!(fold("   "), "");
        assert_eq!(fold("..."), "");
    }

    #[test]
    fn keeps_requested_symbols_as_tokens() {
        assert_eq!(fold_keeping("Johnson&Johnson", &['&']), "johnson & johnson");
        assert_eq!(fold_keeping("Suite #400", &['#']), "suite # 400");
        assert_eq!(fold_keeping("#12", &['#']), "# 12");
    }

    #[test]
    fn joins_dotted_initials() {
        assert_eq!(join_initials("u.s. philips corp."), "us philips corp.");
        assert_eq!(join_initials("philips n.v."), "philips nv");
        assert_eq!(join_initials("acme l.l.c"), "acme llc");
        assert_eq!(join_initials("s.a.s."), "sas");
        assert_eq!(join_initials("123 n. main st."), "123 n. main st.");
        assert_eq!(join_initials("e.on se"), "e.on se");
        assert_eq!(join_initials("www.a.com"), "www.a.com");
    }

    #[test]
    fn alnum_upper_and_whitespace() {
        assert_eq!(alnum_upper("nl.8528.56.345.b01"), "NL852856345B01");
        assert_eq!(alnum_upper("Ø-12"), "O12");
        assert_eq!(collapse_whitespace("  cc \t 1001 "), "cc 1001");
    }
}
