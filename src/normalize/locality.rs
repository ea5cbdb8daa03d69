//! City, region (state/province) and postal code: the parts of an address that ERPs keep in
//! separate columns and spell inconsistently ("St. Louis"/"Saint Louis", "California"/"CA").

use super::text;

/// US states, DC and territories by folded name, so "California" and "CA" compare equal.
const US_STATES: &[(&str, &str)] = &[
    ("alabama", "al"),
    ("alaska", "ak"),
    ("arizona", "az"),
    ("arkansas", "ar"),
    ("california", "ca"),
    ("colorado", "co"),
    ("connecticut", "ct"),
    ("delaware", "de"),
    ("florida", "fl"),
    ("georgia", "ga"),
    ("hawaii", "hi"),
    ("idaho", "id"),
    ("illinois", "il"),
    ("indiana", "in"),
    ("iowa", "ia"),
    ("kansas", "ks"),
    ("kentucky", "ky"),
    ("louisiana", "la"),
    ("maine", "me"),
    ("maryland", "md"),
    ("massachusetts", "ma"),
    ("michigan", "mi"),
    ("minnesota", "mn"),
    ("mississippi", "ms"),
    ("missouri", "mo"),
    ("montana", "mt"),
    ("nebraska", "ne"),
    ("nevada", "nv"),
    ("new hampshire", "nh"),
    ("new jersey", "nj"),
    ("new mexico", "nm"),
    ("new york", "ny"),
    ("north carolina", "nc"),
    ("north dakota", "nd"),
    ("ohio", "oh"),
    ("oklahoma", "ok"),
    ("oregon", "or"),
    ("pennsylvania", "pa"),
    ("rhode island", "ri"),
    ("south carolina", "sc"),
    ("south dakota", "sd"),
    ("tennessee", "tn"),
    ("texas", "tx"),
    ("utah", "ut"),
    ("vermont", "vt"),
    ("virginia", "va"),
    ("washington", "wa"),
    ("west virginia", "wv"),
    ("wisconsin", "wi"),
    ("wyoming", "wy"),
    ("district of columbia", "dc"),
    ("washington dc", "dc"),
    ("puerto rico", "pr"),
    ("guam", "gu"),
    ("us virgin islands", "vi"),
    ("virgin islands", "vi"),
    ("american samoa", "as"),
    ("northern mariana islands", "mp"),
];

/// Folded city; abbreviated "St"/"Ste"/"Ft"/"Mt" spelled out so "St. Louis" matches "Saint Louis".
/// Applied to every token, not just the first, for "Port St. Lucie" and "Sault Ste. Marie".
pub fn standardize_city(raw: &str) -> String {
    text::fold(raw)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "st" => "saint",
            "ste" => "sainte",
            "ft" => "fort",
            "mt" => "mount",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Folded region; US state names become their lowercase two-letter code, anything else stays folded.
pub fn standardize_region(raw: &str) -> String {
    let folded = text::fold(&text::join_initials(&text::ascii_lower(raw)));
    match US_STATES.iter().find(|(name, _)| *name == folded) {
        Some((_, code)) => (*code).to_string(),
        None => folded,
    }
}

/// Uppercase letters and digits only ("SW1A 1AA" -> "SW1A1AA"). Uppercase, unlike other
/// folded fields, because that is how postal codes are printed and keyed everywhere.
/// A US ZIP+4 (nine digits) is cut to the five-digit ZIP, which is what other systems store.
pub fn standardize_postal_code(raw: &str) -> String {
    let code = text::alnum_upper(raw);
    if code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()) {
        return code[..5].to_string();
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cities() {
        assert_eq!(standardize_city("St. Louis"), "saint louis");
        assert_eq!(standardize_city("ST LOUIS"), "saint louis");
        assert_eq!(standardize_city("Saint Louis"), "saint louis");
        assert_eq!(standardize_city("Ste. Foy"), "sainte foy");
        assert_eq!(standardize_city("Ft. Worth"), "fort worth");
        assert_eq!(standardize_city("Mt. Prospect"), "mount prospect");
        assert_eq!(standardize_city("Sault Ste. Marie"), "sault sainte marie");
        assert_eq!(standardize_city("  MÜNCHEN "), "munchen");
        assert_eq!(standardize_city("Winston-Salem"), "winston salem");
    }

    #[test]
    fn regions() {
        assert_eq!(standardize_region("California"), "ca");
        assert_eq!(standardize_region("CA"), "ca");
        assert_eq!(standardize_region("new  york"), "ny");
        assert_eq!(standardize_region("N.Y."), "ny");
        assert_eq!(standardize_region("District of Columbia"), "dc");
        assert_eq!(standardize_region("Bavaria"), "bavaria");
        assert_eq!(standardize_region("Île-de-France"), "ile de france");
    }

    #[test]
    fn postal_codes() {
        assert_eq!(standardize_postal_code("60614-1234"), "60614");
        assert_eq!(standardize_postal_code("606141234"), "60614");
        assert_eq!(standardize_postal_code(" 60614 "), "60614");
        assert_eq!(standardize_postal_code("SW1A 1AA"), "SW1A1AA");
        assert_eq!(standardize_postal_code("k1a 0b1"), "K1A0B1");
        assert_eq!(standardize_postal_code("1012 AB"), "1012AB");
        assert_eq!(standardize_postal_code("0150"), "0150");
        assert_eq!(standardize_postal_code("01310-100"), "01310100");
    }
}
