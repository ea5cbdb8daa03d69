//! Phone numbers as E.164 ("+13125550199"), parsed with libphonenumber's rules (the
//! `phonenumber` crate) in the record's country: "020 7946 0958" in a British vendor record
//! is "+442079460958", the same as "+44 20 7946 0958". Without a country the source ERPs
//! mostly assume the US, so the US is the default region.

use phonenumber::country::{Id, Source};
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber};

use super::ValueError;

/// The region a number written without a country code is read in when the record has no country.
pub const DEFAULT_REGION: Id = Id::US;

/// Standardized phone number, read in `region` (an ISO alpha-2 code; the US when `None` or
/// when the phone numbering plan has no such region).
///
/// * A number with its country code ("+44 20 ...", "0044 20 ...", "011 44 20 ..." from the
///   US) is read in that country; one without, in `region`, its trunk prefix dropped.
/// * The result is E.164 when the number has a length the country's numbers have.
/// * A local number without its area code ("555-0199" in the US) stays as its digits: the
///   area code is unknown, so it can only equal the same local number.
/// * Extensions ("x123", "ext. 123", "#123") are dropped: the line is the same.
/// * Anything else (too short or long for the country, no digits) is `InvalidPhone`.
pub fn standardize(raw: &str, region: Option<&str>) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let default = region
        .and_then(|r| r.parse::<Id>().ok())
        .filter(|id| DATABASE.by_id(id.as_ref()).is_some())
        .unwrap_or(DEFAULT_REGION);
    let number = phonenumber::parse(Some(default), international(without_extension(raw)))
        .map_err(|_| ValueError::InvalidPhone)?;
    let national = number.national().to_string();
    let (possible, local) = lengths(&number).ok_or(ValueError::InvalidPhone)?;
    let length = national.len() as u16;
    if possible.contains(&length) {
        Ok(number.format().mode(Mode::E164).to_string())
    } else if local.contains(&length) && number.code().source() == Source::Default {
        Ok(national)
    } else {
        Err(ValueError::InvalidPhone)
    }
}

/// The lengths of the country's full national numbers and of its local-only numbers (dialled
/// within an area, without the area code), over all its kinds of numbers (fixed line,
/// mobile, toll free, ...). The number's own region when its digits tell it, else the main
/// region of its country code (+1 with an unassigned area code is read as the US).
fn lengths(number: &PhoneNumber) -> Option<(Vec<u16>, Vec<u16>)> {
    let meta = number.metadata(&DATABASE).or_else(|| {
        let regions = DATABASE.by_code(&number.code().value())?;
        let main = regions.iter().find(|m| m.is_main_country_for_code());
        main.or(regions.first()).copied()
    })?;
    let d = meta.descriptors();
    let kinds = [
        Some(d.general()),
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ];
    let (mut possible, mut local) = (Vec::new(), Vec::new());
    for kind in kinds.into_iter().flatten() {
        possible.extend_from_slice(kind.possible_length());
        local.extend_from_slice(kind.possible_local_length());
    }
    Some((possible, local))
}

/// Two ERP habits the parser does not know. "00" then a country code is how most of the
/// world dials abroad, kept even where the record's region dials abroad otherwise (the US
/// dials "011"): read as "+". A trunk "(0)" after the country code ("+44 (0)20 ...") is
/// dialled only at home: dropped.
fn international(raw: &str) -> String {
    let start = raw.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '+');
    let start = match start.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => start.to_owned(),
    };
    if start.starts_with('+') {
        start.replace("(0)", "")
    } else {
        raw.to_owned()
    }
}

/// Cuts the number at its extension: the first letter, '#', ',' or ';' after a digit.
/// Letters before the first digit ("Tel: ...") are a label, not an extension. The parser
/// knows "ext." and "x" but not every ERP habit ("#44", "Ext 7", "; ask for Bob").
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

#[cfg(test)]
mod tests {
    use super::*;

    fn us(raw: &str) -> Result<String, ValueError> {
        standardize(raw, None)
    }

    #[test]
    fn us_forms_agree() {
        for raw in [
            "(312) 555-0199",
            "312.555.0199",
            "1-312-555-0199",
            "+1 312 555 0199",
            "3125550199",
            "Tel: 312-555-0199",
            "001 312 555 0199",
        ] {
            assert_eq!(us(raw).as_deref(), Ok("+13125550199"), "{raw}");
            assert_eq!(
                standardize(raw, Some("US")).as_deref(),
                Ok("+13125550199"),
                "{raw}"
            );
        }
    }

    #[test]
    fn extensions_dropped() {
        for raw in [
            "312-555-0100 x12",
            "(312) 555-0100 ext. 123",
            "312 555 0100 #44",
            "+1 312 555 0100 extension 9",
            "(312) 555-0100",
        ] {
            assert_eq!(us(raw).as_deref(), Ok("+13125550100"), "{raw}");
        }
        assert_eq!(us("555-0199 Ext 7").as_deref(), Ok("5550199"));
    }

    #[test]
    fn local_numbers_without_area_code_stay_digits() {
        assert_eq!(us("5550199").as_deref(), Ok("5550199"));
        assert_eq!(us("555-0199").as_deref(), Ok("5550199"));
        assert_eq!(us("386-5286").as_deref(), Ok("3865286"));
    }

    #[test]
    fn national_numbers_read_in_the_records_country() {
        let cases = [
            ("020 7946 0958", "GB", "+442079460958"),
            ("+44 20 7946 0958", "GB", "+442079460958"),
            ("+44 (0)20 7946 0958", "GB", "+442079460958"),
            ("0044 20 7946 0958", "US", "+442079460958"),
            ("+44 20 7946 0958", "US", "+442079460958"),
            ("089 63600", "DE", "+498963600"),
            ("+49 (89) 636-00", "DE", "+498963600"),
            ("011 49 89 636 00", "US", "+498963600"),
            ("01 42 68 53 00", "FR", "+33142685300"),
            ("+33 1 42 68 53 00", "DE", "+33142685300"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("02 1234 5678", "AU", "+61212345678"),
            ("(11) 3456-7890", "BR", "+551134567890"),
            ("03-1234-5678", "JP", "+81312345678"),
            ("416-555-0123", "CA", "+14165550123"),
            ("06 8123 4567", "IT", "+390681234567"),
            ("98765 43210", "IN", "+919876543210"),
        ];
        for (raw, region, e164) in cases {
            assert_eq!(
                standardize(raw, Some(region)).as_deref(),
                Ok(e164),
                "{raw} in {region}"
            );
        }
    }

    #[test]
    fn unknown_region_falls_back_to_the_us() {
        assert_eq!(
            standardize("312 555 0199", Some("XX")).as_deref(),
            Ok("+13125550199")
        );
        assert_eq!(
            standardize("312 555 0199", Some("BV")).as_deref(),
            Ok("+13125550199")
        );
    }

    #[test]
    fn malformed_numbers_are_errors() {
        assert_eq!(us("555-019"), Err(ValueError::InvalidPhone));
        assert_eq!(us("n/a"), Err(ValueError::InvalidPhone));
        assert_eq!(us("+1 234"), Err(ValueError::InvalidPhone));
        assert_eq!(us("1234567890123456"), Err(ValueError::InvalidPhone));
        assert_eq!(us("020 7946 0958"), Err(ValueError::InvalidPhone));
        assert_eq!(us(""), Ok(String::new()));
    }
}
