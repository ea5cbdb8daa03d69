//! Part numbers and internal codes: compared exactly, so only spelling noise is removed.

use super::text;
use deunicode::deunicode_with_tofu;

/// Manufacturer part number: uppercase with separators (whitespace, '-', '.', '/', '_') removed,
/// so "ab-123.45/x" is "AB12345X". Nothing else is removed: "MX-1010-S" and "MX-1010-M" are
/// different products and must stay different.
pub fn standardize_part_number(raw: &str) -> String {
    deunicode_with_tofu(raw.trim(), "")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/' | '_'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Internal code (cost center, plant, GL account): trimmed, uppercase, inner whitespace
/// collapsed, separators kept because they are often significant ("cc 1001" -> "CC 1001").
pub fn standardize_code(raw: &str) -> String {
    text::collapse_whitespace(raw).to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_numbers() {
        assert_eq!(standardize_part_number("ab-123.45/x"), "AB12345X");
        assert_eq!(standardize_part_number(" MX 1010_S "), "MX1010S");
        assert_ne!(
            standardize_part_number("MX-1010-S"),
            standardize_part_number("MX-1010-M")
        );
        assert_ne!(
            standardize_part_number("MX-1010"),
            standardize_part_number("MX-1010-S")
        );
        assert_eq!(standardize_part_number("ＭＸ－１０１０"), "MX1010");
        assert_eq!(standardize_part_number("10UF#T&R"), "10UF#T&R");
    }

    #[test]
    fn codes() {
        assert_eq!(standardize_code("  cc \t 1001 "), "CC 1001");
        assert_eq!(standardize_code("us-01/a"), "US-01/A");
    }
}
