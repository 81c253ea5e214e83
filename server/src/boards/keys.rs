//! Project keys: the `ENG` in `ENG-42`. Two to ten of `A`–`Z` and `0`–`9`, starting with a
//! letter, unique within an organisation; given on project creation or derived from the name.

/// Shortest and longest key.
pub const MIN_LEN: usize = 2;
pub const MAX_LEN: usize = 10;

/// Whether `key` is a well-formed project key.
pub fn is_valid(key: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&key.len())
        && key.as_bytes()[0].is_ascii_uppercase()
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A key derived from a project name: the initials of a name of several words ("Mobile App
/// Redesign" → `MAR`), else its first three letters ("Engineering" → `ENG`); always valid.
pub fn derive(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let mut key: String = if words.len() >= 2 {
        words
            .iter()
            .filter_map(|w| w.chars().next())
            .take(4)
            .collect()
    } else {
        words
            .first()
            .map(|w| w.chars().take(3).collect())
            .unwrap_or_default()
    };
    if !key.starts_with(|c: char| c.is_ascii_uppercase()) {
        key.insert(0, 'P');
    }
    while key.len() < MIN_LEN {
        key.push('X');
    }
    key.truncate(MAX_LEN - 2);
    key
}

/// The `n`th candidate for a derived key (`ENG`, `ENG2`, `ENG3`…), still valid.
pub fn candidate(base: &str, n: u32) -> String {
    if n <= 1 {
        return base.to_owned();
    }
    let suffix = n.to_string();
    let keep = MAX_LEN.saturating_sub(suffix.len()).min(base.len());
    format!("{}{suffix}", &base[..keep])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_valid_keys() {
        assert_eq!(derive("Engineering"), "ENG");
        assert_eq!(derive("Mobile app redesign"), "MAR");
        assert_eq!(derive("x"), "XX");
        assert_eq!(derive("2024 plan"), "P2P");
        assert_eq!(derive("été"), "TX");
        assert_eq!(derive(""), "PX");
        for name in ["Engineering", "a b c d e f", "9", "Ünïcode only", "q"] {
            assert!(is_valid(&derive(name)), "{name}");
        }
    }

    #[test]
    fn validates_keys() {
        assert!(is_valid("ENG"));
        assert!(is_valid("A1"));
        assert!(!is_valid("E"));
        assert!(!is_valid("1ENG"));
        assert!(!is_valid("eng"));
        assert!(!is_valid("ABCDEFGHIJK"));
    }

    #[test]
    fn candidates_stay_valid() {
        assert_eq!(candidate("ENG", 1), "ENG");
        assert_eq!(candidate("ENG", 2), "ENG2");
        assert!(is_valid(&candidate("ABCDEFGH", 123)));
    }
}
