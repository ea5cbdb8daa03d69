//! Calendar dates as ISO "YYYY-MM-DD". A small hand-written calendar check (leap years included)
//! avoids a date-library dependency for what is only validation and reformatting.

use super::ValueError;

/// Accepts YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, MM/DD/YYYY (US) and DD.MM.YYYY, optionally followed
/// by a time of day ("2024-03-01T10:00:00Z", "03/01/2024 10:00") as ERP exports often add one;
/// the time is dropped. Two-digit years are refused as ambiguous.
pub fn standardize(raw: &str) -> Result<String, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let (date, time) = split_time(s);
    let time_ok =
        time.is_empty() || (time.starts_with(|c: char| c.is_ascii_digit()) && time.contains(':'));
    if !time_ok {
        return Err(ValueError::InvalidDate);
    }
    let (y, m, d) = parse_parts(date).ok_or(ValueError::InvalidDate)?;
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(ValueError::InvalidDate);
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// Gregorian leap year rule.
pub fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Days in `month` (1-12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Splits "date time" or "dateTtime" into the date and the (possibly empty) time.
fn split_time(s: &str) -> (&str, &str) {
    match s.split_once([' ', 'T']) {
        Some((date, time)) => (date, time.trim()),
        None => (s, ""),
    }
}

/// (year, month, day) from one of the accepted layouts, without range checks.
fn parse_parts(s: &str) -> Option<(u32, u32, u32)> {
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let mut seps = s.chars().filter(|c| matches!(c, '-' | '/' | '.'));
    let sep = seps.next();
    if seps.any(|c| Some(c) != sep) {
        return None;
    }
    match (sep, parts.as_slice()) {
        (None, [whole]) if whole.len() == 8 => Some((
            num(whole.get(..4)?, 4, 4)?,
            num(whole.get(4..6)?, 2, 2)?,
            num(whole.get(6..)?, 2, 2)?,
        )),
        (Some('-' | '/'), [y, m, d]) if y.len() == 4 => {
            Some((num(y, 4, 4)?, num(m, 1, 2)?, num(d, 1, 2)?))
        }
        (Some('/'), [m, d, y]) => Some((num(y, 4, 4)?, num(m, 1, 2)?, num(d, 1, 2)?)),
        (Some('.'), [d, m, y]) => Some((num(y, 4, 4)?, num(m, 1, 2)?, num(d, 1, 2)?)),
        _ => None,
    }
}

/// Parses an all-digit field whose length is within `min..=max`.
fn num(s: &str, min: usize, max: usize) -> Option<u32> {
    if !(min..=max).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_layouts() {
        let cases = [
            ("2024-03-01", "2024-03-01"),
            ("2024-3-1", "2024-03-01"),
            ("20240301", "2024-03-01"),
            ("03/01/2024", "2024-03-01"),
            ("3/1/2024", "2024-03-01"),
            ("01.03.2024", "2024-03-01"),
            ("2024/03/01", "2024-03-01"),
            ("2024-03-01T10:15:00Z", "2024-03-01"),
            ("03/01/2024 10:15 AM", "2024-03-01"),
            (" 2024-03-01 00:00:00 ", "2024-03-01"),
        ];
        for (raw, out) in cases {
            assert_eq!(standardize(raw).as_deref(), Ok(out), "{raw}");
        }
    }

    #[test]
    fn leap_years() {
        assert_eq!(standardize("2024-02-29").as_deref(), Ok("2024-02-29"));
        assert_eq!(standardize("2000-02-29").as_deref(), Ok("2000-02-29"));
        assert_eq!(standardize("2023-02-29"), Err(ValueError::InvalidDate));
        assert_eq!(standardize("1900-02-29"), Err(ValueError::InvalidDate));
        assert_eq!(days_in_month(2023, 13), 0);
    }

    #[test]
    fn rejected() {
        for bad in [
            "2024-13-01",
            "2024-04-31",
            "2024-00-10",
            "13/01/2024",
            "31.02.2024",
            "24-03-01",
            "03/01/24",
            "2024-03",
            "March 1, 2024",
            "2024-03-01 garbage",
            "20241301",
            "0000-01-01",
            "2024-03-01-05",
            "2024.03.01",
            "2024-03/01",
        ] {
            assert_eq!(standardize(bad), Err(ValueError::InvalidDate), "{bad}");
        }
    }
}
