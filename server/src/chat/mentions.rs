//! `@mentions` in a message's markdown, found on the server.
//!
//! A mention is `@` followed by a handle (letters, digits, `_`, `.`, `-`), at the start of the
//! text or after a character that cannot be part of a word or an e-mail address — so
//! `ann@example.com` mentions nobody. Code spans and fenced code blocks are skipped: text
//! quoted as code is not addressed to anyone. `@channel`/`@all` and `@here` are the broadcast
//! mentions.

use std::collections::BTreeSet;

/// What a text mentions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mentions {
    /// Handles, lowercased, as written (a trailing `.` or `-` may be punctuation: see
    /// [`candidates`]).
    pub handles: BTreeSet<String>,
    /// `@channel` or `@all`: every member.
    pub everyone: bool,
    /// `@here`: the members online now.
    pub here: bool,
}

impl Mentions {
    /// Whether anything is mentioned.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty() && !self.everyone && !self.here
    }
}

/// Finds the mentions in `text`.
pub fn parse(text: &str) -> Mentions {
    let mut mentions = Mentions::default();
    for segment in prose_segments(text) {
        let chars: Vec<char> = segment.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts_mention = chars[i] == '@'
                && (i == 0 || !is_word_char(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric());
            if !starts_mention {
                i += 1;
                continue;
            }
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && is_handle_char(chars[end]) {
                end += 1;
            }
            let handle: String = chars[start..end].iter().collect::<String>().to_lowercase();
            match handle.trim_end_matches(['.', '-']) {
                "channel" | "all" => mentions.everyone = true,
                "here" => mentions.here = true,
                _ => {
                    mentions.handles.insert(handle);
                }
            }
            i = end;
        }
    }
    mentions
}

/// The handles a written mention may mean: as written, and without trailing punctuation
/// (`@ann.` at the end of a sentence is `ann`, unless a user's handle really is `ann.`).
pub fn candidates(written: &str) -> Vec<String> {
    let trimmed = written.trim_end_matches(['.', '-']);
    if trimmed == written || trimmed.is_empty() {
        vec![written.to_owned()]
    } else {
        vec![written.to_owned(), trimmed.to_owned()]
    }
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Characters that, right before `@`, make it part of a word or address rather than a mention.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+' | '@' | '/' | '`')
}

/// The parts of `text` outside fenced code blocks and inline code spans.
fn prose_segments(text: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut in_fence = false;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Inline code: the parts between backticks at odd positions are code.
        for (index, part) in line.split('`').enumerate() {
            if index % 2 == 0 {
                segments.push(part);
            }
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles(text: &str) -> Vec<String> {
        parse(text).handles.into_iter().collect()
    }

    #[test]
    fn finds_handles_but_not_addresses() {
        assert_eq!(handles("hi @Bob and @ann.lee!"), ["ann.lee", "bob"]);
        assert_eq!(handles("mail bob@example.com"), Vec::<String>::new());
        assert_eq!(handles("(@carol) @dave."), ["carol", "dave."]);
        assert_eq!(handles("@ alone, @@x, @-x"), Vec::<String>::new());
    }

    #[test]
    fn broadcast_mentions() {
        let m = parse("@channel look, @here too");
        assert!(m.everyone && m.here && m.handles.is_empty());
        assert!(parse("@all.").everyone);
        assert!(parse("nothing").is_empty());
    }

    #[test]
    fn code_is_not_addressed() {
        assert_eq!(handles("run `@bob` now @ann"), ["ann"]);
        assert_eq!(handles("```\n@bob\n```\n@carol"), ["carol"]);
    }

    #[test]
    fn trailing_punctuation_is_a_second_candidate() {
        assert_eq!(candidates("dave."), ["dave.", "dave"]);
        assert_eq!(candidates("dave"), ["dave"]);
    }
}
