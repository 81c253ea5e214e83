//! Snippets: the passage of a stored text that best shows why it matched, with the matched
//! words as byte ranges. The text is returned as stored; marking is left to
//! [`Snippet::to_html`] (which escapes) or to the client, so stored content can never inject
//! markup.

use std::collections::HashSet;
use std::ops::Range;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use crate::analyzer::{MAX_TOKEN_LEN, runs};
use crate::model::Snippet;
use crate::query::Clause;

/// Longest body passage shown, in bytes (before the `…` marks).
pub(crate) const BODY_SNIPPET_BYTES: usize = 200;
/// Titles longer than this are cut around their matches like bodies.
pub(crate) const TITLE_SNIPPET_BYTES: usize = 200;
/// Only this much of a long body is scanned for matches; a hit deeper in a huge document gets
/// the document's opening as its snippet.
const SCAN_BYTES: usize = 64 * 1024;
/// Bytes of context kept before the first match of the passage.
const LEAD_BYTES: usize = 40;
/// Matches considered when choosing the passage (bounds the quadratic window search).
const MAX_MATCHES: usize = 256;
const ELLIPSIS: &str = "…";

/// Decides which analyzed tokens of a text count as matches of the query.
///
/// Called for every token of every hit's stored text (up to [`SCAN_BYTES`] each), so it
/// allocates nothing: exact words are few and compared in a list, and the edit distance runs
/// on stack buffers after a length check that rejects most tokens.
#[derive(Debug, Default)]
pub(crate) struct Matcher {
    exact: Vec<String>,
    prefixes: Vec<String>,
    fuzzy: Vec<Fuzzy>,
}

/// A typo-tolerant query word.
#[derive(Debug)]
struct Fuzzy {
    chars: Vec<char>,
    max: u8,
    /// For an ASCII word, how often each byte occurs in it, for [`bag_distance_exceeds`].
    bytes: Option<Box<[u8; 256]>>,
}

impl Fuzzy {
    fn new(token: &str, max: u8) -> Fuzzy {
        let bytes = token.is_ascii().then(|| {
            let mut bytes = Box::new([0u8; 256]);
            for b in token.bytes() {
                bytes[usize::from(b)] = bytes[usize::from(b)].saturating_add(1);
            }
            bytes
        });
        Fuzzy {
            chars: token.chars().collect(),
            max,
            bytes,
        }
    }

    fn matches(&self, token: &str) -> bool {
        if let Some(bytes) = &self.bytes
            && token.is_ascii()
            && bag_distance_exceeds(bytes, self.chars.len(), token, self.max)
        {
            // Cheap rejection of most words: every edit changes the multiset of characters by
            // at most one added and one removed, a transposition not at all.
            return false;
        }
        within_distance(&self.chars, token, self.max)
    }
}

/// Whether more than `max` characters of an ASCII `token` are not matched by those of an ASCII
/// query word (`query` counts its bytes, `query_len` in all), or more than `max` of the word's
/// are not matched by the token's: a lower bound of the edit distance (with transpositions)
/// above `max`.
fn bag_distance_exceeds(query: &[u8; 256], query_len: usize, token: &str, max: u8) -> bool {
    let mut counts = *query;
    let mut extra = 0usize;
    let mut used = 0usize;
    for b in token.bytes() {
        let c = &mut counts[usize::from(b)];
        if *c == 0 {
            extra += 1;
            if extra > usize::from(max) {
                return true;
            }
        } else {
            *c -= 1;
            used += 1;
        }
    }
    query_len - used > usize::from(max)
}

impl Matcher {
    pub fn new(clauses: &[Clause]) -> Matcher {
        let mut m = Matcher::default();
        let exact = |m: &mut Matcher, t: &String| {
            if !m.exact.contains(t) {
                m.exact.push(t.clone());
            }
        };
        for clause in clauses {
            match clause {
                Clause::Word {
                    token,
                    fuzzy,
                    prefix,
                } => {
                    exact(&mut m, token);
                    if *fuzzy > 0 {
                        m.fuzzy.push(Fuzzy::new(token, *fuzzy));
                    }
                    if *prefix {
                        m.prefixes.push(token.clone());
                    }
                }
                Clause::Phrase(terms) => {
                    for (_, t) in terms {
                        exact(&mut m, t);
                    }
                }
            }
        }
        m
    }

    fn matches(&self, token: &str) -> bool {
        self.exact.iter().any(|e| e == token)
            || self.prefixes.iter().any(|p| token.starts_with(p.as_str()))
            || self.fuzzy.iter().any(|f| f.matches(token))
    }
}

/// Longest token compared by [`within_distance`], in characters; analyzed tokens are at most
/// [`crate::analyzer::MAX_TOKEN_LEN`] bytes, so never longer.
const MAX_DISTANCE_CHARS: usize = crate::analyzer::MAX_TOKEN_LEN;

/// Optimal-string-alignment distance ≤ `max` (a transposition costs one, as in the query).
fn within_distance(query: &[char], token: &str, max: u8) -> bool {
    let max = usize::from(max);
    // A token has at most as many characters as bytes, and at least a quarter as many.
    if token.len() + max < query.len() || token.len() > 4 * (query.len() + max) {
        return false;
    }
    let mut t = ['\0'; MAX_DISTANCE_CHARS];
    let mut n = 0;
    for c in token.chars() {
        if n == MAX_DISTANCE_CHARS {
            return false;
        }
        t[n] = c;
        n += 1;
    }
    let t = &t[..n];
    if query.len().abs_diff(t.len()) > max || query.len() > MAX_DISTANCE_CHARS {
        return false;
    }
    let w = t.len() + 1;
    let mut rows = [[0usize; MAX_DISTANCE_CHARS + 1]; 3];
    let (mut prev2, mut prev, mut cur) = (0, 1, 2);
    for (j, v) in rows[prev][..w].iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=query.len() {
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..w {
            let cost = usize::from(query[i - 1] != t[j - 1]);
            let mut v = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && query[i - 1] == t[j - 2] && query[i - 2] == t[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return false;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    rows[prev][t.len()] <= max
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The passage of `text` (at most `max` bytes) holding the most distinct matches, with them
/// marked; the opening of `text` when nothing matches.
pub(crate) fn snippet(
    analyzer: &mut TextAnalyzer,
    matcher: &Matcher,
    text: &str,
    max: usize,
) -> Snippet {
    let scanned = &text[..floor_boundary(text, SCAN_BYTES)];
    let matches = matching_tokens(analyzer, matcher, scanned);

    let (start, end) = if text.len() <= max {
        (0, text.len())
    } else if matches.is_empty() {
        (0, cut_end(text, 0, max))
    } else {
        let first = best_window(&matches, max);
        let lead = floor_boundary(text, first.saturating_sub(LEAD_BYTES));
        // Start at a word boundary inside the lead, so the passage does not open mid-word.
        let start = text[lead..first]
            .find(char::is_whitespace)
            .map_or(lead, |i| lead + i + 1);
        let start = if start > first { first } else { start };
        (start, cut_end(text, start, max))
    };

    let mut out = String::with_capacity(end - start + 2 * ELLIPSIS.len());
    if start > 0 {
        out.push_str(ELLIPSIS);
    }
    let shift = out.len();
    out.push_str(&text[start..end]);
    if end < text.len() {
        out.push_str(ELLIPSIS);
    }
    let mut highlights: Vec<Range<usize>> = Vec::new();
    for (r, _) in &matches {
        if r.start < start || r.end > end {
            continue;
        }
        let r = (r.start - start + shift)..(r.end - start + shift);
        match highlights.last_mut() {
            // CJK bigrams overlap; adjacent and overlapping marks merge into one.
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => highlights.push(r),
        }
    }
    Snippet {
        text: out,
        highlights,
    }
}

/// The tokens of `text` the matcher accepts (at most [`MAX_MATCHES`]), with their byte ranges.
///
/// Exactly what running the analyzer over `text` and filtering would give, but a word of ASCII
/// letters and digits (nearly every word of most texts) is lowercased here directly, as the
/// analyzer would (its other steps change nothing in ASCII), without the token stream; other
/// word runs and CJK runs go through the analyzer, one run at a time.
fn matching_tokens(
    analyzer: &mut TextAnalyzer,
    matcher: &Matcher,
    text: &str,
) -> Vec<(Range<usize>, String)> {
    let mut matches: Vec<(Range<usize>, String)> = Vec::new();
    let mut lower = String::new();
    for run in runs(text) {
        if matches.len() >= MAX_MATCHES {
            break;
        }
        let slice = &text[run.start..run.end];
        if !run.cjk && slice.is_ascii() {
            // The analyzer drops tokens of `MAX_TOKEN_LEN` bytes or more.
            if slice.len() >= MAX_TOKEN_LEN {
                continue;
            }
            lower.clear();
            lower.push_str(slice);
            lower.make_ascii_lowercase();
            if matcher.matches(&lower) {
                matches.push((run.start..run.end, lower.clone()));
            }
            continue;
        }
        let mut stream = analyzer.token_stream(slice);
        while matches.len() < MAX_MATCHES && stream.advance() {
            let t = stream.token();
            if matcher.matches(&t.text) {
                matches.push((
                    run.start + t.offset_from..run.start + t.offset_to,
                    t.text.clone(),
                ));
            }
        }
    }
    matches
}

/// Start offset of the `max`-byte window with the most distinct matched words; ties go to the
/// earliest.
fn best_window(matches: &[(Range<usize>, String)], max: usize) -> usize {
    let mut best = (0, matches[0].0.start);
    for (i, (r, _)) in matches.iter().enumerate() {
        let limit = r.start + max;
        let distinct: HashSet<&str> = matches[i..]
            .iter()
            .take_while(|(m, _)| m.end <= limit)
            .map(|(_, t)| t.as_str())
            .collect();
        if distinct.len() > best.0 {
            best = (distinct.len(), r.start);
        }
    }
    best.1
}

/// End of a passage starting at `start`: at most `max` bytes, cut at whitespace when one is
/// near the end so words stay whole.
fn cut_end(text: &str, start: usize, max: usize) -> usize {
    let hard = floor_boundary(text, start + max);
    if hard >= text.len() {
        return text.len();
    }
    let soft_from = floor_boundary(text, start + max * 3 / 4);
    match text[soft_from..hard].rfind(char::is_whitespace) {
        Some(i) => soft_from + i,
        None => hard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::analyzer;
    use crate::query::parse;

    fn snip(query: &str, text: &str, max: usize) -> Snippet {
        let mut a = analyzer();
        let clauses = parse(&mut a, query).unwrap();
        snippet(&mut a, &Matcher::new(&clauses), text, max)
    }

    fn marked(s: &Snippet) -> Vec<&str> {
        s.highlights.iter().map(|r| &s.text[r.clone()]).collect()
    }

    #[test]
    fn marks_exact_prefix_and_fuzzy_words() {
        let s = snip("relese budg ", "The Release budget was budgeted.", 200);
        assert_eq!(marked(&s), vec!["Release"]);
        let s = snip("relese budg", "The Release budget was budgeted.", 200);
        assert_eq!(marked(&s), vec!["Release", "budget", "budgeted"]);
    }

    #[test]
    fn window_moves_to_the_matches_and_is_escaped() {
        let text = format!(
            "{} <b>alpha</b> beta {}",
            "filler ".repeat(100),
            "tail ".repeat(100)
        );
        let s = snip("alpha beta", &text, 80);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(marked(&s), vec!["alpha", "beta"]);
        let html = s.to_html();
        assert!(html.contains("&lt;b&gt;<mark>alpha</mark>&lt;/b&gt; <mark>beta</mark>"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn cjk_marks_merge() {
        let s = snip("搜索引擎", "我们的搜索引擎很快", 200);
        assert_eq!(marked(&s), vec!["搜索引擎"]);
    }

    #[test]
    fn matching_tokens_agree_with_the_analyzer() {
        let texts = [
            "The Release budget was budgeted, RELEASED & re-released.",
            "Café NAÏVE façade cafe\u{301} résumé Resume",
            "我们的搜索引擎很快 release 検索 tantivy検索 한국어 release",
            &format!("{} release {}", "x".repeat(63), "y".repeat(64)),
            "relese relase reelase budg budget2024 2024",
        ];
        for query in ["release budg", "cafe resume", "搜索 検索", "relase", "y x"] {
            let mut a = analyzer();
            let matcher = Matcher::new(&parse(&mut a, query).unwrap());
            for text in texts {
                let expected: Vec<(Range<usize>, String)> = crate::analyzer::analyze(&mut a, text)
                    .into_iter()
                    .filter(|t| matcher.matches(&t.text))
                    .map(|t| (t.from..t.to, t.text))
                    .collect();
                assert_eq!(
                    matching_tokens(&mut a, &matcher, text),
                    expected,
                    "{query:?} in {text:?}"
                );
            }
        }
    }

    #[test]
    fn bag_distance_never_rejects_a_match() {
        let words = [
            "release",
            "relaese",
            "releases",
            "realeased",
            "elease",
            "rlease",
            "relaxes",
            "cafeteria",
            "cafetiera",
            "acfeteria",
            "cafeteri",
            "caffeteria",
            "teriacafe",
            "abc",
        ];
        for q in words {
            for t in words {
                for max in [1, 2] {
                    let f = Fuzzy::new(q, max);
                    let chars: Vec<char> = q.chars().collect();
                    assert_eq!(
                        f.matches(t),
                        within_distance(&chars, t, max),
                        "{q} {t} {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn distance() {
        let q: Vec<char> = "release".chars().collect();
        assert!(within_distance(&q, "relaese", 1));
        assert!(within_distance(&q, "releases", 1));
        assert!(!within_distance(&q, "realeased", 1));
        assert!(within_distance(&q, "release", 0));
        assert!(!within_distance(&q, "rel", 2));
        assert!(!within_distance(&q, &"e".repeat(64), 2));
        let q: Vec<char> = "cafeteria".chars().collect();
        assert!(within_distance(&q, "cafetiera", 2));
        assert!(within_distance(&q, "caféteria", 1));
        assert!(!within_distance(&q, "caféterías", 1));
    }
}
