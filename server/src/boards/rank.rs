//! Order keys: strings that sort (byte order) the way cards sit in a column, with a key between
//! any two neighbours, so a move writes one row and never renumbers a column.
//!
//! The scheme is the one of Figma's and Rocicorp's fractional indexing, in base 62: a key is an
//! integer part (a head letter that says how many digits follow: `a`–`z` for 1–26 digits counting
//! up, `A`–`Z` for 1–26 digits counting down) and an optional fraction with no trailing `0`.
//! Inserting at either end steps the integer, which grows by one digit only every 62ⁿ steps; so
//! long runs of inserts at the head or the tail keep keys short (10,000 head inserts end under
//! five bytes). Inserting between two keys takes the midpoint of their fractions.

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The first key of an empty column.
pub const FIRST: &str = "a0";

/// Why no key could be made between two others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RankError {
    #[error("order key {0:?} is not valid")]
    Invalid(String),
    #[error("order keys are not in order: {0:?} is not before {1:?}")]
    NotInOrder(String, String),
    #[error("order keys are exhausted at this end")]
    Exhausted,
}

fn digit(byte: u8) -> Option<usize> {
    DIGITS.iter().position(|&d| d == byte)
}

/// How many bytes the integer part of a key with this head letter has (head included).
fn integer_length(head: u8) -> Option<usize> {
    match head {
        b'a'..=b'z' => Some(usize::from(head - b'a') + 2),
        b'A'..=b'Z' => Some(usize::from(b'Z' - head) + 2),
        _ => None,
    }
}

/// Whether `key` is a well-formed order key.
pub fn is_valid(key: &str) -> bool {
    split(key).is_ok()
}

/// The integer part and the fraction of a valid key.
fn split(key: &str) -> Result<(&str, &str), RankError> {
    let invalid = || RankError::Invalid(key.to_owned());
    let bytes = key.as_bytes();
    let head = *bytes.first().ok_or_else(invalid)?;
    let length = integer_length(head).ok_or_else(invalid)?;
    if bytes.len() < length || bytes[1..].iter().any(|&b| digit(b).is_none()) {
        return Err(invalid());
    }
    let (integer, fraction) = key.split_at(length);
    // The smallest integer ("A" and 26 zeros) has no key before it; keys never use it bare.
    if fraction.ends_with('0') || (head == b'A' && integer[1..].bytes().all(|b| b == b'0')) {
        return Err(invalid());
    }
    Ok((integer, fraction))
}

/// The integer one above (`None` past the largest).
fn increment(integer: &str) -> Option<String> {
    let head = integer.as_bytes()[0];
    let mut digits = integer.as_bytes()[1..].to_vec();
    for d in digits.iter_mut().rev() {
        let next = digit(*d)? + 1;
        if next < DIGITS.len() {
            *d = DIGITS[next];
            return Some(format!(
                "{}{}",
                head as char,
                String::from_utf8_lossy(&digits)
            ));
        }
        *d = b'0';
    }
    // Every digit carried: one more digit (or one fewer on the negative side).
    let head = match head {
        b'Z' => return Some("a0".to_owned()),
        b'z' => return None,
        other => other + 1,
    };
    if head > b'a' {
        digits.push(b'0');
    } else {
        digits.pop();
    }
    Some(format!(
        "{}{}",
        head as char,
        String::from_utf8_lossy(&digits)
    ))
}

/// The integer one below (`None` past the smallest).
fn decrement(integer: &str) -> Option<String> {
    let head = integer.as_bytes()[0];
    let mut digits = integer.as_bytes()[1..].to_vec();
    for d in digits.iter_mut().rev() {
        let value = digit(*d)?;
        if value > 0 {
            *d = DIGITS[value - 1];
            return Some(format!(
                "{}{}",
                head as char,
                String::from_utf8_lossy(&digits)
            ));
        }
        *d = b'z';
    }
    let head = match head {
        b'a' => return Some("Zz".to_owned()),
        b'A' => return None,
        other => other - 1,
    };
    if head < b'Z' {
        digits.push(b'z');
    } else {
        digits.pop();
    }
    Some(format!(
        "{}{}",
        head as char,
        String::from_utf8_lossy(&digits)
    ))
}

/// A fraction strictly between `a` and `b` (`None`: no upper bound); `a < b`, neither with a
/// trailing zero.
fn midpoint(a: &str, b: Option<&str>) -> String {
    let (a, b) = (a.as_bytes(), b.map(str::as_bytes));
    let mut out = Vec::new();
    midpoint_into(a, b, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn midpoint_into(a: &[u8], b: Option<&[u8]>, out: &mut Vec<u8>) {
    if let Some(b) = b {
        // Keep the common prefix (a padded with zeros), then work on what differs.
        let mut n = 0;
        while n < b.len() && a.get(n).copied().unwrap_or(b'0') == b[n] {
            n += 1;
        }
        if n > 0 {
            out.extend_from_slice(&b[..n]);
            let rest_a = if n < a.len() { &a[n..] } else { &[][..] };
            return midpoint_into(rest_a, Some(&b[n..]), out);
        }
    }
    let digit_a = a.first().and_then(|&d| digit(d)).unwrap_or(0);
    let digit_b = b
        .and_then(|b| b.first())
        .and_then(|&d| digit(d))
        .unwrap_or(DIGITS.len());
    if digit_b - digit_a > 1 {
        out.push(DIGITS[(digit_a + digit_b).div_ceil(2)]);
    } else if let Some(b) = b.filter(|b| b.len() > 1) {
        // Consecutive first digits and b goes on: b's first digit alone is between.
        out.push(b[0]);
    } else {
        // Consecutive first digits, b ends there (or is open): keep a's digit, go deeper.
        out.push(DIGITS[digit_a]);
        let rest_a = if a.len() > 1 { &a[1..] } else { &[][..] };
        midpoint_into(rest_a, None, out);
    }
}

/// A key strictly between `after` and `before` (`None`: the start or the end of the column).
pub fn between(after: Option<&str>, before: Option<&str>) -> Result<String, RankError> {
    match (after, before) {
        (None, None) => Ok(FIRST.to_owned()),
        (None, Some(b)) => {
            let (integer, fraction) = split(b)?;
            if !fraction.is_empty() {
                return Ok(integer.to_owned());
            }
            match decrement(integer) {
                Some(lower) => Ok(lower),
                None => Ok(format!("{integer}{}", midpoint("", Some(fraction)))),
            }
        }
        (Some(a), None) => {
            let (integer, fraction) = split(a)?;
            match increment(integer) {
                Some(higher) => Ok(higher),
                None => Ok(format!("{integer}{}", midpoint(fraction, None))),
            }
        }
        (Some(a), Some(b)) => {
            if a >= b {
                return Err(RankError::NotInOrder(a.to_owned(), b.to_owned()));
            }
            let (int_a, frac_a) = split(a)?;
            let (int_b, frac_b) = split(b)?;
            if int_a == int_b {
                return Ok(format!("{int_a}{}", midpoint(frac_a, Some(frac_b))));
            }
            let higher = increment(int_a).ok_or(RankError::Exhausted)?;
            if higher.as_str() < b {
                Ok(higher)
            } else {
                Ok(format!("{int_a}{}", midpoint(frac_a, None)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(after: Option<&str>, before: Option<&str>) -> String {
        let key = between(after, before).expect("a key between");
        assert!(is_valid(&key), "{key:?} is valid");
        if let Some(a) = after {
            assert!(a < key.as_str(), "{a:?} < {key:?}");
        }
        if let Some(b) = before {
            assert!(key.as_str() < b, "{key:?} < {b:?}");
        }
        key
    }

    #[test]
    fn known_keys() {
        assert_eq!(between(None, None).unwrap(), "a0");
        assert_eq!(between(Some("a0"), None).unwrap(), "a1");
        assert_eq!(between(None, Some("a0")).unwrap(), "Zz");
        assert_eq!(between(Some("a0"), Some("a1")).unwrap(), "a0V");
        assert_eq!(between(Some("az"), None).unwrap(), "b00");
        assert_eq!(between(None, Some("Z0")).unwrap(), "Yzz");
        assert_eq!(between(Some("a0V"), Some("a1")).unwrap(), "a0l");
    }

    #[test]
    fn refuses_bad_and_unordered_keys() {
        assert!(between(Some("a1"), Some("a0")).is_err());
        assert!(between(Some("a0"), Some("a0")).is_err());
        assert!(between(Some(""), None).is_err());
        assert!(between(Some("a10"), None).is_err(), "trailing zero");
        assert!(between(Some("!"), None).is_err());
        assert!(between(Some("b1"), None).is_err(), "too short for its head");
    }

    #[test]
    fn ten_thousand_head_inserts_stay_short() {
        let mut head = check(None, None);
        for _ in 0..10_000 {
            head = check(None, Some(&head));
        }
        assert!(head.len() < 64, "{head:?}");
    }

    #[test]
    fn ten_thousand_tail_inserts_stay_short() {
        let mut tail = check(None, None);
        for _ in 0..10_000 {
            tail = check(Some(&tail), None);
        }
        assert!(tail.len() < 64, "{tail:?}");
    }

    #[test]
    fn repeated_inserts_in_one_gap_keep_order() {
        // Always just after the first card: the worst case for fractions.
        let first = check(None, None);
        let last = check(Some(&first), None);
        let mut before = last.clone();
        for _ in 0..1_000 {
            before = check(Some(&first), Some(&before));
        }
        let mut after = first.clone();
        for _ in 0..1_000 {
            after = check(Some(&after), Some(&last));
        }
    }

    /// Property-style: random inserts into a list keep it strictly sorted and unique.
    #[test]
    fn random_inserts_keep_a_strict_order() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut keys: Vec<String> = vec![check(None, None)];
        for _ in 0..5_000 {
            let at = usize::try_from(next() % (keys.len() as u64 + 1)).unwrap();
            let after = at.checked_sub(1).map(|i| keys[i].as_str());
            let before = keys.get(at).map(String::as_str);
            let key = check(after, before);
            keys.insert(at, key);
        }
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(keys.iter().all(|k| k.len() < 64));
    }
}
