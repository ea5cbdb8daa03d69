//! Phone numbers as E.164 ("+13125550199"), defaulting to the US/NANP when no country code is
//! given, because that is what most of the source ERPs assume.

use super::ValueError;

/// Standardized phone number.
///
/// * "+", "00" or the US "011" dialing prefix marks an international number, kept as "+digits";
///   a trunk "(0)" after the country code ("+44 (0)20 ...") is dropped.
/// * 10 NANP digits or 11 starting with "1" become "+1...".
/// * 7 digits (a local number without area code) stay as the 7 digits: the area code is unknown.
/// * Other national numbers of 8-15 digits stay as bare digits, since their country is unknown.
/// * Extensions ("x123", "ext. 123", "#123") are dropped.
pub fn standardize(raw: &str) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let body = without_extension(raw);
    let start = body.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '+');
    let digits = digits_of(start);
    let international = if start.starts_with('+') {
        Some(digits_of(&start.replace("(0)", "")))
    } else if digits.starts_with("00") {
        digits_of(&start.replace("(0)", ""))
            .get(2..)
            .map(str::to_string)
    } else if digits.len() >= 3 + 8 {
        digits.strip_prefix("011").map(str::to_string)
    } else {
        None
    };
    if let Some(intl) = international {
        if !(7..=15).contains(&intl.len()) || intl.starts_with('0') {
            return Err(ValueError::InvalidPhone);
        }
        return Ok(format!("+{intl}"));
    }
    let nanp_area = |d: &str| d.bytes().next().is_some_and(|b| (b'2'..=b'9').contains(&b));
    match digits.len() {
        0..=6 | 16.. => Err(ValueError::InvalidPhone),
        10 if nanp_area(&digits) => Ok(format!("+1{digits}")),
        11 if digits.starts_with('1') && nanp_area(&digits[1..]) => Ok(format!("+{digits}")),
        _ => Ok(digits),
    }
}

/// Cuts the number at its extension: the first letter, '#', ',' or ';' after a digit.
/// Letters before the first digit ("Tel: ...") are a label, not an extension.
fn without_extension(raw: &str) -> &str {
    let mut seen_digit = false;
    for (i, c) in raw.char_indices() {
        if c.is_ascii_digit() {
            seen_digit = true;
        } else if seen_digit && (c.is_alphabetic() || matches!(c, '#' | ',' | ';')) {
            return &raw[..i];
        }
    }
    raw
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_forms_agree() {
        for raw in [
            "(312) 555-0199",
            "312.555.0199",
            "1-312-555-0199",
            "+1 312 555 0199",
            "3125550199",
            "Tel: 312-555-0199",
        ] {
            assert_eq!(standardize(raw).as_deref(), Ok("+13125550199"), "{raw}");
        }
    }

    #[test]
    fn extensions_dropped() {
        assert_eq!(
            standardize("312-555-0199 x123").as_deref(),
            Ok("+13125550199")
        );
        assert_eq!(
            standardize("(312) 555-0199 ext. 123").as_deref(),
            Ok("+13125550199")
        );
        assert_eq!(
            standardize("312 555 0199 #44").as_deref(),
            Ok("+13125550199")
        );
        assert_eq!(standardize("555-0199 Ext 7").as_deref(), Ok("5550199"));
    }

    #[test]
    fn local_and_international() {
        assert_eq!(standardize("5550199").as_deref(), Ok("5550199"));
        assert_eq!(standardize("555-0199").as_deref(), Ok("5550199"));
        assert_eq!(
            standardize("+44 20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(
            standardize("+44 (0)20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(
            standardize("0044 20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(standardize("011 49 89 636 00").as_deref(), Ok("+498963600"));
        assert_eq!(standardize("+49 (89) 636-00").as_deref(), Ok("+498963600"));
        assert_eq!(standardize("020 7946 0958").as_deref(), Ok("02079460958"));
    }

    #[test]
    fn too_short_or_long_rejected() {
        assert_eq!(standardize("555-019"), Err(ValueError::InvalidPhone));
        assert_eq!(standardize("n/a"), Err(ValueError::InvalidPhone));
        assert_eq!(standardize("+1 234"), Err(ValueError::InvalidPhone));
        assert_eq!(
            standardize("1234567890123456"),
            Err(ValueError::InvalidPhone)
        );
        assert_eq!(standardize(""), Ok(String::new()));
    }
}
