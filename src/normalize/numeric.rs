//! Numbers and integers. ERP exports print "1,234.50" or "1 234"; the standardized form is the
//! plain shortest decimal so equal quantities compare equal as strings.

use super::ValueError;

/// Shortest decimal form of a finite number ("1,234.50" -> "1234.5", "-0" -> "0").
pub fn standardize_number(raw: &str) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let plain = without_grouping(raw).ok_or(ValueError::NotANumber)?;
    let value: f64 = plain.parse().map_err(|_| ValueError::NotANumber)?;
    if !value.is_finite() {
        return Err(ValueError::NotANumber);
    }
    // Adding 0.0 turns -0.0 into 0.0 so "-0" and "0" agree.
    Ok((value + 0.0).to_string())
}

/// Whole number in i64 range ("1,234" -> "1234").
pub fn standardize_integer(raw: &str) -> Result<String, ValueError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let plain = without_grouping(raw).ok_or(ValueError::NotAnInteger)?;
    let value: i64 = plain.parse().map_err(|_| ValueError::NotAnInteger)?;
    Ok(value.to_string())
}

/// Removes thousands separators (',', spaces, '\'', '_') from the integer part, but only when
/// they split it into proper groups of three: "1,5" is a European decimal, not fifteen, and is
/// refused rather than misread. None when grouping is malformed.
fn without_grouping(raw: &str) -> Option<String> {
    let is_sep = |c: char| matches!(c, ',' | '\'' | '_') || c.is_whitespace();
    let s = raw.trim();
    let (sign, unsigned) = match s.strip_prefix(['+', '-']) {
        Some(rest) => (&s[..1], rest),
        None => ("", s),
    };
    let split = unsigned.find(['.', 'e', 'E']).unwrap_or(unsigned.len());
    let (int_part, tail) = unsigned.split_at(split);
    if tail.contains(is_sep) {
        return None;
    }
    if !int_part.contains(is_sep) {
        return Some(format!("{sign}{int_part}{tail}"));
    }
    let groups: Vec<&str> = int_part.split(is_sep).collect();
    let well_formed = groups.iter().enumerate().all(|(i, g)| {
        let len_ok = if i == 0 {
            (1..=3).contains(&g.len())
        } else {
            g.len() == 3
        };
        len_ok && g.bytes().all(|b| b.is_ascii_digit())
    });
    well_formed.then(|| format!("{sign}{}{tail}", groups.concat()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let cases = [
            ("1,234.50", "1234.5"),
            ("1234.50", "1234.5"),
            ("  42 ", "42"),
            ("-0", "0"),
            ("+3.10", "3.1"),
            ("1 234 567.25", "1234567.25"),
            ("1'234.5", "1234.5"),
            ("0.1", "0.1"),
            (".5", "0.5"),
            ("1e3", "1000"),
            ("-12,000", "-12000"),
        ];
        for (raw, out) in cases {
            assert_eq!(standardize_number(raw).as_deref(), Ok(out), "{raw}");
        }
    }

    #[test]
    fn bad_numbers() {
        for bad in [
            "abc",
            "1,5",
            "12,34.5",
            "1.2.3",
            "NaN",
            "inf",
            "1e400",
            "$5",
            "1,234.5,6",
        ] {
            assert_eq!(
                standardize_number(bad),
                Err(ValueError::NotANumber),
                "{bad}"
            );
        }
    }

    #[test]
    fn integers() {
        assert_eq!(standardize_integer(" 1,234 ").as_deref(), Ok("1234"));
        assert_eq!(standardize_integer("-7").as_deref(), Ok("-7"));
        assert_eq!(standardize_integer("+007").as_deref(), Ok("7"));
        for bad in ["1.5", "12a", "9223372036854775808", "1,23"] {
            assert_eq!(
                standardize_integer(bad),
                Err(ValueError::NotAnInteger),
                "{bad}"
            );
        }
    }
}
