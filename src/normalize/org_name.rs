//! Organization names: the same vendor arrives as "ACME INC", "Acme, Inc." and "The Acme Company".
//!
//! Standardizing removes what differs between ERP spellings (case, accents, punctuation,
//! "&" vs "and", legal form) and keeps the distinctive words.

use super::text;

/// Legal-form suffixes, as folded token sequences. Multi-token forms are listed so that
/// "GmbH & Co. KG" or "L L C" go as a unit; the longest match always wins.
const LEGAL_SUFFIXES: &[&[&str]] = &[
    &["gmbh", "and", "co", "kg"],
    &["gmbh", "and", "co"],
    &["and", "co", "kg"],
    &["and", "co"],
    &["sa", "de", "cv"],
    &["sab", "de", "cv"],
    &["pty", "ltd"],
    &["l", "l", "c"],
    &["l", "l", "p"],
    &["l", "p"],
    &["p", "l", "c"],
    &["a", "s"],
    &["s", "a"],
    &["n", "v"],
    &["b", "v"],
    &["inc"],
    &["incorporated"],
    &["llc"],
    &["corp"],
    &["corporation"],
    &["co"],
    &["company"],
    &["ltd"],
    &["ltda"],
    &["limited"],
    &["lp"],
    &["llp"],
    &["plc"],
    &["gmbh"],
    &["ag"],
    &["sa"],
    &["sas"],
    &["srl"],
    &["spa"],
    &["bv"],
    &["nv"],
    &["pty"],
    &["oy"],
    &["ab"],
    &["as"],
    &["kg"],
    &["se"],
    &["sl"],
    &["sarl"],
    &["kk"],
    &["pc"],
    &["pa"],
    &["pllc"],
];

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

/// Abbreviations common in organization names, spelled out so "Albany Park Comm Ctr" and
/// "Albany Park Community Center" compare as the same words.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("assn", "association"),
    ("assoc", "association"),
    ("ctr", "center"),
    ("cntr", "center"),
    ("centre", "center"),
    ("comm", "community"),
    ("svc", "services"),
    ("svcs", "services"),
    ("serv", "services"),
    ("intl", "international"),
    ("internatl", "international"),
    ("natl", "national"),
    ("mfg", "manufacturing"),
    ("univ", "university"),
    ("hosp", "hospital"),
    ("med", "medical"),
    ("dept", "department"),
    ("bros", "brothers"),
    ("labs", "laboratories"),
    ("lab", "laboratories"),
    ("tech", "technologies"),
    ("sys", "systems"),
    ("dev", "development"),
    ("mgmt", "management"),
    ("dist", "distribution"),
    ("hlth", "health"),
];

fn expand(token: &str) -> &str {
    ABBREVIATIONS
        .iter()
        .find(|(short, _)| *short == token)
        .map_or(token, |(_, long)| long)
}

/// Removes legal-form suffixes from the end, repeatedly ("Co., Ltd." is two), never the last token.
pub fn strip_legal_suffixes(tokens: &mut Vec<&str>) {
    loop {
        let longest = LEGAL_SUFFIXES
            .iter()
            .filter(|s| s.len() < tokens.len() && tokens.ends_with(s))
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
    LEGAL_SUFFIXES.iter().any(|s| **s == [token])
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
}
