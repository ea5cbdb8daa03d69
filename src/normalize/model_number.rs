//! Model and part numbers hidden in free text ("Sony Turntable - PSLX350H", "Sony PS-LX350H
//! Belt-Drive Turntable"): tokens that mix letters and digits, separators removed.

/// Model-number-like tokens of `raw`, uppercase without separators, in order, deduplicated.
/// A token qualifies with letters and digits and at least 4 characters, or with 5+ digits.
pub fn extract(raw: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for piece in raw.split(|c: char| c.is_whitespace() || ",;()[]{}\"'|".contains(c)) {
        let token: String = piece
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let letters = token.len() - digits;
        let qualifies = (digits > 0 && letters > 0 && token.len() >= 4) || digits >= 5;
        if qualifies && !found.contains(&token) {
            found.push(token);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_model_numbers_with_and_without_separators() {
        assert_eq!(extract("Sony Turntable - PSLX350H"), ["PSLX350H"]);
        assert_eq!(extract("Sony PS-LX350H Belt-Drive Turntable"), ["PSLX350H"]);
        assert_eq!(
            extract("Denon TU-1500RD Stereo Radio Tuner - TU1500RD"),
            ["TU1500RD"]
        );
    }

    #[test]
    fn ignores_plain_words_and_short_numbers() {
        assert!(extract("Belt Drive 33-1/3 and 45 RPM").is_empty());
        assert_eq!(extract("Bose Speaker System - 21725"), ["21725"]);
    }

    #[test]
    fn keeps_family_suffixes_apart() {
        assert_eq!(extract("Glove MX-1010-S"), ["MX1010S"]);
        assert_ne!(extract("Glove MX-1010-S"), extract("Glove MX-1010-M"));
    }
}
