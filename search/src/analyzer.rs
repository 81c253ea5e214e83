//! The text analyzer shared by indexing, querying and snippets.
//!
//! Text is split by script. Runs of letters and digits in alphabetic scripts become one token
//! each. Runs of Chinese, Japanese and Korean characters, which do not separate words with
//! spaces (or, in Korean, glue particles to words), become overlapping character bigrams plus
//! one unigram per character: a query word of two or more characters is matched as a phrase of
//! its bigrams, a single character by its unigram. Every token is then lowercased and folded to
//! ASCII where possible (`Café` → `cafe`), and tokens longer than [`MAX_TOKEN_LEN`] bytes are
//! dropped. The query side runs the very same analyzer, so both sides always agree.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// Name under which the analyzer is registered in the index.
pub const ANALYZER: &str = "atrium";

/// Longest token kept, in bytes; longer ones (base64 blobs, hashes) only bloat the index.
pub const MAX_TOKEN_LEN: usize = 64;

/// The analyzer: [`ScriptTokenizer`], lowercasing, ASCII folding, long-token removal.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ScriptTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Whether `c` belongs to a script written without spaces between words (or, for Hangul,
/// with particles glued to words), which is indexed as character n-grams.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3130..=0x318F     // Hangul compatibility Jamo
        | 0x31F0..=0x31FF     // Katakana phonetic extensions
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFF66..=0xFF9F     // half-width Katakana
        | 0x20000..=0x2FA1F   // CJK extensions B and later, compatibility supplement
    )
}

/// Combining accents stay inside a word but are dropped from its token, so a decomposed
/// `cafe\u{301}` indexes like `café` and `cafe`.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// A maximal run of one class of characters, as byte offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub start: usize,
    pub end: usize,
    pub cjk: bool,
}

/// Splits `text` into word runs and CJK runs; separators (spaces, punctuation, symbols) are
/// left out. Index and query time both walk text through this one function.
pub(crate) fn runs(text: &str) -> impl Iterator<Item = Run> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, c) = chars.next()?;
            let cjk = is_cjk(c);
            if !cjk && !is_word_char(c) {
                continue;
            }
            let mut end = start + c.len_utf8();
            while let Some(&(i, n)) = chars.peek() {
                let same = if cjk {
                    is_cjk(n)
                } else {
                    is_word_char(n) && !is_cjk(n)
                };
                if !same {
                    break;
                }
                end = i + n.len_utf8();
                chars.next();
            }
            return Some(Run { start, end, cjk });
        }
    })
}

/// How many token positions a run occupies: one for a word, one per character for CJK.
pub(crate) fn run_width(text: &str, run: Run) -> usize {
    if run.cjk {
        text[run.start..run.end].chars().count()
    } else {
        1
    }
}

/// The tokenizer at the head of [`analyzer`]. Bigram tokens carry `position_length == 2`,
/// which lets the query side tell them from unigrams.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScriptTokenizer;

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = ScriptTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ScriptTokenStream<'a> {
        ScriptTokenStream {
            text,
            runs: Box::new(runs(text)),
            pending: Vec::new(),
            next_position: 0,
            token: Token::default(),
        }
    }
}

/// Token stream of [`ScriptTokenizer`].
pub struct ScriptTokenStream<'a> {
    text: &'a str,
    runs: Box<dyn Iterator<Item = Run> + 'a>,
    /// Tokens of the current CJK run not yet handed out, in reverse order.
    pending: Vec<Token>,
    next_position: usize,
    token: Token,
}

impl ScriptTokenStream<'_> {
    /// Makes the run's tokens current: a word run becomes the current token at once (its
    /// text buffer reused, nothing allocated), a CJK run's tokens are queued in `pending`.
    fn fill(&mut self, run: Run) {
        let position = self.next_position;
        self.next_position += run_width(self.text, run);
        if !run.cjk {
            let slice = &self.text[run.start..run.end];
            let token = &mut self.token;
            token.text.clear();
            token
                .text
                .extend(slice.chars().filter(|c| !is_combining_mark(*c)));
            token.offset_from = run.start;
            token.offset_to = run.end;
            token.position = position;
            token.position_length = 1;
            return;
        }
        let chars: Vec<(usize, char)> = self.text[run.start..run.end]
            .char_indices()
            .map(|(i, c)| (run.start + i, c))
            .collect();
        for (i, &(at, c)) in chars.iter().enumerate() {
            let end = at + c.len_utf8();
            self.pending.push(Token {
                offset_from: at,
                offset_to: end,
                position: position + i,
                text: c.to_string(),
                position_length: 1,
            });
            if let Some(&(next_at, next)) = chars.get(i + 1) {
                let mut text = String::with_capacity(8);
                text.push(c);
                text.push(next);
                self.pending.push(Token {
                    offset_from: at,
                    offset_to: next_at + next.len_utf8(),
                    position: position + i,
                    text,
                    position_length: 2,
                });
            }
        }
        self.pending.reverse();
    }
}

impl TokenStream for ScriptTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(token) = self.pending.pop() {
                self.token = token;
                return true;
            }
            match self.runs.next() {
                Some(run) if !run.cjk => {
                    self.fill(run);
                    return true;
                }
                Some(run) => self.fill(run),
                None => return false,
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// A token as the query side and snippets see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Analyzed {
    pub text: String,
    /// Byte range in the analyzed text.
    pub from: usize,
    pub to: usize,
    pub bigram: bool,
}

/// Runs `analyzer` over `text`, collecting every token.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Analyzed> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Analyzed {
            text: t.text.clone(),
            from: t.offset_from,
            to: t.offset_to,
            bigram: t.position_length == 2,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, usize)> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
        }
        out
    }

    #[test]
    fn words_are_lowercased_and_folded() {
        assert_eq!(
            tokens("Café, NAÏVE façade! cafe\u{301}"),
            vec![
                ("cafe".into(), 0),
                ("naive".into(), 1),
                ("facade".into(), 2),
                ("cafe".into(), 3)
            ]
        );
    }

    #[test]
    fn cjk_runs_become_unigrams_and_bigrams() {
        assert_eq!(
            tokens("ab 搜索引 x"),
            vec![
                ("ab".into(), 0),
                ("搜".into(), 1),
                ("搜索".into(), 1),
                ("索".into(), 2),
                ("索引".into(), 2),
                ("引".into(), 3),
                ("x".into(), 4)
            ]
        );
    }

    #[test]
    fn mixed_scripts_split_at_the_boundary() {
        let t = tokens("tantivy検索");
        assert_eq!(t[0], ("tantivy".into(), 0));
        assert!(t.contains(&("検索".into(), 1)));
    }

    #[test]
    fn separators_and_long_tokens_vanish() {
        assert!(tokens("  ()*:~^ ").is_empty());
        assert!(tokens(&"x".repeat(MAX_TOKEN_LEN + 1)).is_empty());
    }
}
