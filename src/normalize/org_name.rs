//! Organization names: the same vendor arrives as "ACME INC", "Acme, Inc." and "The Acme Company".
//!
//! Standardizing removes what differs between ERP spellings (case, accents, punctuation,
//! "&" vs "and", legal form) and keeps the distinctive words.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{tables, text};

/// Legal forms of the major jurisdictions, one per line as folded words.
const LEGAL_FORMS_FILE: &str = include_str!("data/legal_forms.txt");

/// Abbreviations of organization and facility names, `short<TAB>long`.
const ABBREVIATIONS_FILE: &str = include_str!("data/org_abbreviations.tsv");

/// Legal-form suffixes as folded token sequences. Multi-token forms are listed so that
/// "GmbH & Co. KG" or "L L C" go as a unit; the longest match always wins.
static LEGAL_SUFFIXES: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    tables::entries(LEGAL_FORMS_FILE)
        .map(|form| form.split_whitespace().collect())
        .collect()
});

/// Short form -> the word it stands for.
static ABBREVIATIONS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| tables::pairs(ABBREVIATIONS_FILE).collect());

/// Standardized org name: folded, "&"/"+" as "and", leading "the" and trailing legal forms removed.
/// A name that is nothing but a legal form ("Company") is kept as is so it still matches itself.
pub fn standardize(raw: &str) -> String {
    let joined = text::join_initials(&text::ascii_lower(raw));
    let folded = text::fold_keeping(&joined, &['&', '+']);
    let mut tokens: Vec<&str> = folded
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t == "&" || t == "+" {
                "and"
            } else {
                expand(t)
            }
        })
        .collect();
    if tokens.len() > 1 && tokens.first() == Some(&"the") {
        tokens.remove(0);
    }
    strip_legal_suffixes(&mut tokens);
    tokens.join(" ")
}

fn expand(token: &str) -> &str {
    ABBREVIATIONS.get(token).copied().unwrap_or(token)
}

/// Removes legal-form suffixes from the end, repeatedly ("Co., Ltd." is two), never the last token.
pub fn strip_legal_suffixes(tokens: &mut Vec<&str>) {
    loop {
        let longest = LEGAL_SUFFIXES
            .iter()
            .filter(|s| s.len() < tokens.len() && tokens.ends_with(s.as_slice()))
            .map(|s| s.len())
            .max();
        match longest {
            Some(n) => tokens.truncate(tokens.len() - n),
            None => break,
        }
    }
}

/// True when the folded token is a legal form on its own ("inc", "gmbh"); lets matching
/// down-weight such tokens.
pub fn is_legal_suffix(token: &str) -> bool {
    LEGAL_SUFFIXES.iter().any(|s| s.as_slice() == [token])
}

#[cfg(test)]
mod tests {
    use super::standardize as s;

    #[test]
    fn brief_examples() {
        assert_eq!(s("Acme, Inc."), "acme");
        assert_eq!(s("ACME INCORPORATED"), "acme");
        assert_eq!(s("The Home Depot, Inc."), "home depot");
        assert_eq!(s("Johnson & Johnson"), "johnson and johnson");
        assert_eq!(
            s("Koninklijke Philips Electronics N.V."),
            "koninklijke philips electronics"
        );
        assert_eq!(s("U.S. PHILIPS CORP."), "us philips");
        assert_eq!(s("Siemens AG"), "siemens");
        assert_eq!(s("Müller GmbH & Co. KG"), "muller");
    }

    #[test]
    fn every_listed_suffix_is_removed() {
        let suffixes = [
            "Inc",
            "Inc.",
            "Incorporated",
            "LLC",
            "L.L.C.",
            "L L C",
            "Corp",
            "Corp.",
            "Corporation",
            "Co",
            "Co.",
            "Company",
            "Ltd",
            "Ltd.",
            "Limited",
            "LP",
            "L.P.",
            "LLP",
            "PLC",
            "P.L.C.",
            "GmbH",
            "AG",
            "S.A.",
            "SA",
            "S.A.S.",
            "S.r.l.",
            "SRL",
            "SpA",
            "S.p.A.",
            "B.V.",
            "BV",
            "N.V.",
            "NV",
            "Pty Ltd",
            "Oy",
            "AB",
            "A/S",
            "AS",
            "KG",
            "GmbH & Co. KG",
            "SE",
            "S.L.",
            "Sarl",
            "K.K.",
            "PC",
            "P.C.",
            "PA",
            "PLLC",
        ];
        for suffix in suffixes {
            assert_eq!(s(&format!("Globex {suffix}")), "globex", "{suffix}");
            assert_eq!(s(&format!("Globex, {suffix}")), "globex", "{suffix}");
        }
    }

    #[test]
    fn several_suffixes_and_punctuation() {
        assert_eq!(s("Samsung Electronics Co., Ltd."), "samsung electronics");
        assert_eq!(s("Acme Holdings Company, Inc"), "acme holdings");
        assert_eq!(s("Smith & Co."), "smith");
        assert_eq!(s("Procter & Gamble Co."), "procter and gamble");
        assert_eq!(s("Grupo Bimbo, S.A.B. de C.V."), "grupo bimbo");
        assert_eq!(s("Grupo Modelo S.A. de C.V."), "grupo modelo");
    }

    #[test]
    fn whole_name_suffix_and_leading_the_kept() {
        assert_eq!(s("Company"), "company");
        assert_eq!(s("Inc."), "inc");
        assert_eq!(s("The Company"), "company");
        assert_eq!(s("The"), "the");
        assert_eq!(s("AT&T Inc."), "at and t");
        assert_eq!(s("H+M"), "h and m");
        assert_eq!(s("Café Müller"), "cafe muller");
        assert_eq!(s(" - "), "");
    }

    #[test]
    fn suffix_only_at_end() {
        assert_eq!(s("Inc Research Ltd"), "inc research");
        assert_eq!(s("AB Volvo"), "ab volvo");
        assert!(super::is_legal_suffix("gmbh"));
        assert!(!super::is_legal_suffix("acme"));
    }

    #[test]
    fn legal_forms_of_major_jurisdictions() {
        let cases = [
            ("Infosys Pvt. Ltd.", "infosys"),
            (
                "Tata Consultancy Services Private Limited",
                "tata consultancy services",
            ),
            ("Petronas Dagangan Sdn. Bhd.", "petronas dagangan"),
            ("Nokia Oyj", "nokia"),
            ("Novo Nordisk A/S", "novo nordisk"),
            ("Equinor ASA", "equinor"),
            ("Grupo Lala, S. de R.L. de C.V.", "grupo lala"),
            ("Comarch Sp. z o.o.", "comarch"),
            ("Škoda Auto s.r.o.", "skoda auto"),
            ("Henkel AG & Co. KGaA", "henkel"),
            ("Siemens Aktiengesellschaft", "siemens"),
            ("Flex Pte. Ltd.", "flex"),
            ("Decathlon SASU", "decathlon"),
        ];
        for (raw, out) in cases {
            assert_eq!(s(raw), out, "{raw}");
        }
    }

    #[test]
    fn facility_words_are_spelled_out() {
        assert_eq!(s("St. Mary's Med. Ctr."), s("Saint Marys Medical Center"));
        assert_eq!(
            s("Northwestern Mem. Hosp."),
            "northwestern memorial hospital"
        );
        assert_eq!(s("Mayo Clin"), "mayo clinic");
        assert_eq!(
            s("Univ. of Chicago Med Ctr Dept of Surgery"),
            s("University of Chicago Medical Center Department of Surgery")
        );
        assert_eq!(s("Albany Park Comm Ctr"), "albany park community center");
    }

    #[test]
    fn data_files_are_well_formed() {
        use super::tables;
        assert!(tables::entries(super::ABBREVIATIONS_FILE).all(|l| l.split('\t').count() == 2));
        assert!(super::LEGAL_SUFFIXES.len() > 60);
        assert!(super::LEGAL_SUFFIXES.iter().all(|f| !f.is_empty()));
    }
}
