//! Calendar dates as ISO "YYYY-MM-DD". chrono decides what is a real calendar date (leap
//! years included); the small layout reader here only says which number is the year, the
//! month and the day, since chrono's format strings accept two-digit years and mixed
//! separators that ERP exports make ambiguous.

use chrono::NaiveDate;

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
    let year = i32::try_from(y).map_err(|_| ValueError::InvalidDate)?;
    match NaiveDate::from_ymd_opt(year, m, d) {
        Some(date) if year >= 1 => Ok(date.format("%Y-%m-%d").to_string()),
        _ => Err(ValueError::InvalidDate),
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
        assert_eq!(standardize("29.02.2000").as_deref(), Ok("2000-02-29"));
        assert_eq!(standardize("2023-02-29"), Err(ValueError::InvalidDate));
        assert_eq!(standardize("1900-02-29"), Err(ValueError::InvalidDate));
        assert_eq!(standardize("02/29/2100"), Err(ValueError::InvalidDate));
    }

    #[test]
    fn european_and_us_layouts_of_one_day() {
        // 4 July 2025 as a German, a US and an ISO system write it.
        for raw in [
            "04.07.2025",
            "07/04/2025",
            "2025-07-04",
            "20250704",
            "2025/7/4",
        ] {
            assert_eq!(standardize(raw).as_deref(), Ok("2025-07-04"), "{raw}");
        }
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
