//! Person names (contacts, buyers): titles and generational suffixes vary between systems
//! ("Dr. John Smith Jr." vs "John Smith") and must not block a match.

use super::text;

/// Honorifics and generational suffixes, dropped only when they are whole tokens
/// (so "Drew" and "Ms" inside "Msimang" survive).
const DROPPED: &[&str] = &[
    "dr", "mr", "mrs", "ms", "prof", "jr", "sr", "ii", "iii", "iv",
];

/// Folded person name without titles and generational suffixes.
pub fn standardize(raw: &str) -> String {
    text::fold(raw)
        .split(' ')
        .filter(|t| !t.is_empty() && !DROPPED.contains(t))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::standardize as s;

    #[test]
    fn drops_titles_and_suffixes() {
        assert_eq!(s("Dr. John Smith Jr."), "john smith");
        assert_eq!(s("MRS. JANE O'NEIL"), "jane oneil");
        assert_eq!(s("Prof. José Núñez III"), "jose nunez");
        assert_eq!(s("Mr Sam Davis, Sr."), "sam davis");
    }

    #[test]
    fn keeps_titles_inside_words() {
        assert_eq!(s("Drew Msimang"), "drew msimang");
        assert_eq!(s("Iris Ivanova"), "iris ivanova");
    }
}
