//! Countries as ISO 3166-1 alpha-2 codes. ERPs store "USA", "U.S.A.", "United States" or
//! "Deutschland"; matching and tax-id prefixes need one code per country.

use super::{ValueError, text};

/// (alpha-2, alpha-3, names incl. common local names and informal variants), names folded to ASCII lowercase.
const COUNTRIES: &[(&str, &str, &[&str])] = &[
    (
        "US",
        "USA",
        &["united states", "united states of america", "america"],
    ),
    ("CA", "CAN", &["canada"]),
    ("MX", "MEX", &["mexico", "estados unidos mexicanos"]),
    (
        "GB",
        "GBR",
        &[
            "united kingdom",
            "uk",
            "great britain",
            "britain",
            "england",
            "scotland",
            "wales",
            "northern ireland",
        ],
    ),
    ("IE", "IRL", &["ireland", "eire", "republic of ireland"]),
    (
        "DE",
        "DEU",
        &["germany", "deutschland", "federal republic of germany"],
    ),
    ("FR", "FRA", &["france"]),
    ("IT", "ITA", &["italy", "italia"]),
    ("ES", "ESP", &["spain", "espana"]),
    ("PT", "PRT", &["portugal"]),
    ("NL", "NLD", &["netherlands", "nederland", "holland"]),
    ("BE", "BEL", &["belgium", "belgique", "belgie", "belgien"]),
    ("LU", "LUX", &["luxembourg", "luxemburg"]),
    (
        "CH",
        "CHE",
        &["switzerland", "schweiz", "suisse", "svizzera"],
    ),
    ("AT", "AUT", &["austria", "osterreich", "oesterreich"]),
    ("DK", "DNK", &["denmark", "danmark"]),
    ("SE", "SWE", &["sweden", "sverige"]),
    ("NO", "NOR", &["norway", "norge"]),
    ("FI", "FIN", &["finland", "suomi"]),
    ("IS", "ISL", &["iceland"]),
    ("PL", "POL", &["poland", "polska"]),
    ("CZ", "CZE", &["czech republic", "czechia", "cesko"]),
    ("SK", "SVK", &["slovakia", "slovensko"]),
    ("HU", "HUN", &["hungary", "magyarorszag"]),
    ("RO", "ROU", &["romania"]),
    ("BG", "BGR", &["bulgaria"]),
    ("GR", "GRC", &["greece", "hellas"]),
    ("HR", "HRV", &["croatia", "hrvatska"]),
    ("SI", "SVN", &["slovenia"]),
    ("RS", "SRB", &["serbia"]),
    ("EE", "EST", &["estonia"]),
    ("LV", "LVA", &["latvia"]),
    ("LT", "LTU", &["lithuania"]),
    ("CY", "CYP", &["cyprus"]),
    ("MT", "MLT", &["malta"]),
    ("UA", "UKR", &["ukraine"]),
    ("RU", "RUS", &["russia", "russian federation"]),
    ("TR", "TUR", &["turkey", "turkiye"]),
    ("IL", "ISR", &["israel"]),
    ("AE", "ARE", &["united arab emirates", "uae"]),
    ("SA", "SAU", &["saudi arabia"]),
    ("QA", "QAT", &["qatar"]),
    ("EG", "EGY", &["egypt"]),
    ("MA", "MAR", &["morocco"]),
    ("NG", "NGA", &["nigeria"]),
    ("KE", "KEN", &["kenya"]),
    ("ZA", "ZAF", &["south africa"]),
    ("IN", "IND", &["india", "bharat"]),
    ("PK", "PAK", &["pakistan"]),
    ("BD", "BGD", &["bangladesh"]),
    ("CN", "CHN", &["china", "prc", "peoples republic of china"]),
    ("HK", "HKG", &["hong kong"]),
    ("TW", "TWN", &["taiwan"]),
    ("JP", "JPN", &["japan", "nippon"]),
    ("KR", "KOR", &["south korea", "korea", "republic of korea"]),
    ("SG", "SGP", &["singapore"]),
    ("MY", "MYS", &["malaysia"]),
    ("TH", "THA", &["thailand"]),
    ("VN", "VNM", &["vietnam", "viet nam"]),
    ("PH", "PHL", &["philippines"]),
    ("ID", "IDN", &["indonesia"]),
    ("AU", "AUS", &["australia"]),
    ("NZ", "NZL", &["new zealand"]),
    ("BR", "BRA", &["brazil", "brasil"]),
    ("AR", "ARG", &["argentina"]),
    ("CL", "CHL", &["chile"]),
    ("CO", "COL", &["colombia"]),
    ("PE", "PER", &["peru"]),
    ("VE", "VEN", &["venezuela"]),
    ("EC", "ECU", &["ecuador"]),
    ("UY", "URY", &["uruguay"]),
    ("CR", "CRI", &["costa rica"]),
    ("PA", "PAN", &["panama"]),
    ("GT", "GTM", &["guatemala"]),
    ("DO", "DOM", &["dominican republic"]),
    ("PR", "PRI", &["puerto rico"]),
];

/// ISO alpha-2 code for a country name, alpha-2 or alpha-3 code; case, accents, dots and
/// spaces are ignored ("U.S.A.", "Österreich", "The Netherlands").
pub fn to_alpha2(raw: &str) -> Option<&'static str> {
    let folded = text::fold(raw);
    let folded = folded.strip_prefix("the ").unwrap_or(&folded);
    let key: String = folded.chars().filter(|c| *c != ' ').collect();
    if key.is_empty() {
        return None;
    }
    COUNTRIES
        .iter()
        .find(|(a2, a3, names)| {
            a2.eq_ignore_ascii_case(&key)
                || a3.eq_ignore_ascii_case(&key)
                || names.iter().any(|n| same_key(n, &key))
        })
        .map(|(a2, _, _)| *a2)
}

/// Standardized country: the alpha-2 code, or `UnknownCountry` so bad values are caught at load.
pub fn standardize(raw: &str) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    to_alpha2(raw)
        .map(str::to_string)
        .ok_or(ValueError::UnknownCountry)
}

/// Compares a table name with a space-free key without allocating.
fn same_key(name: &str, key: &str) -> bool {
    name.chars().filter(|c| *c != ' ').eq(key.chars())
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
            ("Deutschland", "DE"),
            ("Germany", "DE"),
            ("DEU", "DE"),
            ("Nederland", "NL"),
            ("Netherlands", "NL"),
            ("The Netherlands", "NL"),
            ("Holland", "NL"),
            ("NLD", "NL"),
            ("Österreich", "AT"),
            ("España", "ES"),
            ("Türkiye", "TR"),
            ("Viet Nam", "VN"),
            ("ch", "CH"),
            ("Schweiz", "CH"),
            ("che", "CH"),
            ("Korea", "KR"),
            ("bra", "BR"),
        ];
        for (raw, code) in cases {
            assert_eq!(to_alpha2(raw), Some(code), "{raw}");
        }
    }

    #[test]
    fn table_is_consistent() {
        assert!(COUNTRIES.len() >= 60);
        for (i, (a2, a3, _)) in COUNTRIES.iter().enumerate() {
            assert_eq!((a2.len(), a3.len()), (2, 3));
            assert_eq!(to_alpha2(a2), Some(*a2));
            assert_eq!(to_alpha2(a3), Some(*a2));
            assert!(
                COUNTRIES[..i]
                    .iter()
                    .all(|(b2, b3, _)| b2 != a2 && b3 != a3)
            );
        }
    }

    #[test]
    fn unknown_is_an_error() {
        assert_eq!(standardize("Atlantis"), Err(ValueError::UnknownCountry));
        assert_eq!(standardize("??"), Err(ValueError::UnknownCountry));
        assert_eq!(standardize(" "), Ok(String::new()));
    }
}
