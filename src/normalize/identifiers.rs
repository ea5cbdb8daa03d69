//! Entity identifiers: tax IDs, DUNS, GTIN, GLN and UNSPSC. Agreement on these decides a match,
//! so they are validated strictly (length, check digit) and reduced to one canonical spelling.

use super::{ValueError, text};

/// GS1 mod-10 check (GTIN-8/12/13/14, GLN, SSCC): weights 3,1,3,... from the digit left of the
/// check digit. False for empty input or any non-digit.
pub fn gs1_check_digit_ok(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    let Some((&check, body)) = bytes.split_last() else {
        return false;
    };
    if body.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check - b'0')
}

/// Tax ID (US EIN, EU VAT, ...): uppercase letters and digits only, so "12-3456789" is
/// "123456789" and "nl.8528.56.345.B01" is "NL852856345B01". Needs at least one digit.
pub fn standardize_tax_id(raw: &str) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let id = text::alnum_upper(raw);
    if !id.bytes().any(|b| b.is_ascii_digit()) {
        return Err(ValueError::InvalidTaxId);
    }
    Ok(id)
}

/// DUNS: nine digits; "12-345-6789" accepted, DUNS+4 (13 digits) cut to the nine-digit DUNS.
pub fn standardize_duns(raw: &str) -> Result<String, ValueError> {
    const KIND: &str = "DUNS number";
    let digits = digits_only(raw, KIND)?;
    match digits.len() {
        0 | 9 => Ok(digits),
        13 => Ok(digits[..9].to_string()),
        _ => Err(ValueError::WrongLength {
            kind: KIND,
            expected: "9",
        }),
    }
}

/// GTIN-8/12/13/14 with a valid check digit, zero-padded to 14 digits so that the UPC-A
/// "036000291452" and the GTIN-14 "00036000291452" are the same value.
pub fn standardize_gtin(raw: &str) -> Result<String, ValueError> {
    const KIND: &str = "GTIN";
    let digits = digits_only(raw, KIND)?;
    if digits.is_empty() {
        return Ok(digits);
    }
    if !matches!(digits.len(), 8 | 12 | 13 | 14) {
        return Err(ValueError::WrongLength {
            kind: KIND,
            expected: "8, 12, 13 or 14",
        });
    }
    if !gs1_check_digit_ok(&digits) {
        return Err(ValueError::BadCheckDigit { kind: KIND });
    }
    Ok(format!("{digits:0>14}"))
}

/// GLN (GS1 Global Location Number): 13 digits with a valid check digit.
pub fn standardize_gln(raw: &str) -> Result<String, ValueError> {
    const KIND: &str = "GLN";
    let digits = digits_only(raw, KIND)?;
    if digits.is_empty() {
        return Ok(digits);
    }
    if digits.len() != 13 {
        return Err(ValueError::WrongLength {
            kind: KIND,
            expected: "13",
        });
    }
    if !gs1_check_digit_ok(&digits) {
        return Err(ValueError::BadCheckDigit { kind: KIND });
    }
    Ok(digits)
}

/// UNSPSC commodity code: eight digits; "42-13-22-00" accepted, and a ten-digit code with the
/// trailing business-function pair is cut to its eight-digit commodity.
pub fn standardize_unspsc(raw: &str) -> Result<String, ValueError> {
    const KIND: &str = "UNSPSC code";
    let digits = digits_only(raw, KIND)?;
    match digits.len() {
        0 | 8 => Ok(digits),
        10 => Ok(digits[..8].to_string()),
        _ => Err(ValueError::WrongLength {
            kind: KIND,
            expected: "8",
        }),
    }
}

/// Digits with the usual printed separators (space, '-', '.') removed; any other character is an error.
fn digits_only(raw: &str, kind: &'static str) -> Result<String, ValueError> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' => {}
            _ => return Err(ValueError::NotDigits { kind }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_check_digits() {
        for ok in [
            "036000291452",
            "4006381333931",
            "96385074",
            "1234567890128",
            "00036000291452",
            "5901234123457",
        ] {
            assert!(gs1_check_digit_ok(ok), "{ok}");
        }
        for bad in ["036000291453", "4006381333932", "", "7", "03600029145X"] {
            assert!(!gs1_check_digit_ok(bad), "{bad}");
        }
    }

    #[test]
    fn tax_ids() {
        assert_eq!(standardize_tax_id("12-3456789").as_deref(), Ok("123456789"));
        assert_eq!(standardize_tax_id("123456789").as_deref(), Ok("123456789"));
        assert_eq!(
            standardize_tax_id("DE 123 456 789").as_deref(),
            Ok("DE123456789")
        );
        assert_eq!(
            standardize_tax_id("nl.8528.56.345.B01").as_deref(),
            Ok("NL852856345B01")
        );
        assert_eq!(standardize_tax_id("---"), Err(ValueError::InvalidTaxId));
        assert_eq!(standardize_tax_id("N/A"), Err(ValueError::InvalidTaxId));
    }

    #[test]
    fn duns() {
        assert_eq!(standardize_duns("12-345-6789").as_deref(), Ok("123456789"));
        assert_eq!(standardize_duns("150483782").as_deref(), Ok("150483782"));
        assert_eq!(
            standardize_duns("1504837820001").as_deref(),
            Ok("150483782")
        );
        let wrong = ValueError::WrongLength {
            kind: "DUNS number",
            expected: "9",
        };
        assert_eq!(standardize_duns("12345678"), Err(wrong));
        assert_eq!(
            standardize_duns("12345678A"),
            Err(ValueError::NotDigits {
                kind: "DUNS number"
            })
        );
    }

    #[test]
    fn gtins() {
        assert_eq!(
            standardize_gtin("036000291452").as_deref(),
            Ok("00036000291452")
        );
        assert_eq!(
            standardize_gtin("00036000291452").as_deref(),
            Ok("00036000291452")
        );
        assert_eq!(
            standardize_gtin("0 36000 29145 2").as_deref(),
            Ok("00036000291452")
        );
        assert_eq!(
            standardize_gtin("4006381333931").as_deref(),
            Ok("04006381333931")
        );
        assert_eq!(
            standardize_gtin("96385074").as_deref(),
            Ok("00000096385074")
        );
        assert_eq!(
            standardize_gtin("036000291453"),
            Err(ValueError::BadCheckDigit { kind: "GTIN" })
        );
        assert!(matches!(
            standardize_gtin("3600029145"),
            Err(ValueError::WrongLength { .. })
        ));
        assert!(matches!(
            standardize_gtin("ABC"),
            Err(ValueError::NotDigits { .. })
        ));
    }

    #[test]
    fn every_form_of_one_gtin_is_the_same_gtin_14() {
        // UPC-A, its EAN-13 spelling and its GTIN-14, as US, European and GS1 systems send it.
        for raw in [
            "036000291452",
            "0036000291452",
            "00036000291452",
            "0-36000-29145-2",
        ] {
            assert_eq!(
                standardize_gtin(raw).as_deref(),
                Ok("00036000291452"),
                "{raw}"
            );
        }
        // EAN-8 and its GTIN-14; EAN-13 of a German and of a Polish product.
        assert_eq!(
            standardize_gtin("96385074"),
            standardize_gtin("00000096385074")
        );
        assert_eq!(
            standardize_gtin("4006381333931"),
            standardize_gtin("04006381333931")
        );
        assert_eq!(
            standardize_gtin("5901234123457").as_deref(),
            Ok("05901234123457")
        );
        // The case of 12 has its own GTIN-14 (indicator digit 1): another trade item.
        assert_ne!(
            standardize_gtin("10036000291459"),
            standardize_gtin("036000291452")
        );
    }

    #[test]
    fn glns() {
        assert_eq!(
            standardize_gln("1234567890128").as_deref(),
            Ok("1234567890128")
        );
        assert_eq!(
            standardize_gln("1234567890127"),
            Err(ValueError::BadCheckDigit { kind: "GLN" })
        );
        assert!(matches!(
            standardize_gln("036000291452"),
            Err(ValueError::WrongLength { .. })
        ));
    }

    #[test]
    fn unspsc() {
        assert_eq!(standardize_unspsc("43211503").as_deref(), Ok("43211503"));
        assert_eq!(standardize_unspsc("42-13-22-00").as_deref(), Ok("42132200"));
        assert_eq!(standardize_unspsc("4321150301").as_deref(), Ok("43211503"));
        assert!(matches!(
            standardize_unspsc("432115"),
            Err(ValueError::WrongLength { .. })
        ));
        assert!(matches!(
            standardize_unspsc("4321150X"),
            Err(ValueError::NotDigits { .. })
        ));
    }
}
