//! Reference tables kept as data files in `data/` and compiled in with `include_str!`, so that
//! adding a spelling is a one-line change to a list rather than to code.

/// The entries of a data file: its lines without comments ('#') and blank lines, trimmed.
pub fn entries(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The (key, value) entries of a two-column data file (`key<TAB>value`); a line without a
/// tab is skipped (each table's tests check there is none).
pub fn pairs(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    entries(text).filter_map(|l| l.split_once('\t').map(|(k, v)| (k.trim(), v.trim())))
}
