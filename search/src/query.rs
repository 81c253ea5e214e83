//! From user text, filters and a [`Scope`] to a tantivy query.
//!
//! The text is never given to tantivy's query parser: it is split into phrases and words by
//! hand and every word goes through [`crate::analyzer`], so syntax characters are just
//! separators and no input can make query construction fail or panic.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use tantivy::query::{
    AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, PhraseQuery,
    Query, RangeQuery, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use crate::analyzer::{analyze, run_width, runs};
use crate::bitset_query::{FilterCache, ScopeFilterQuery, TermsQuery};
use crate::model::{Scope, SearchRequest, TimeRange};
use crate::schema::Fields;
use crate::union::LazyUnionQuery;
use crate::{Error, Result};

/// Longest accepted query text, in bytes.
pub(crate) const MAX_QUERY_BYTES: usize = 1024;
/// Most words and phrases in one query; more cannot sensibly all match (every one is required).
pub(crate) const MAX_CLAUSES: usize = 32;
/// Shortest last word that also matches as a prefix: shorter ones expand to so many words
/// that they match much of the index and cost tens of milliseconds on a million messages.
const MIN_PREFIX_CHARS: usize = 3;
/// A prefix matches only its this many most frequent completions (document frequency summed
/// over segments): a three-letter prefix can complete to a thousand words, and each one costs a
/// posting-list read per segment; the rare completions add few hits and rank low anyway.
/// They are matched as one [`TermsQuery`] (a bitset of their postings per segment).
const MAX_PREFIX_TERMS: usize = 64;
/// A title hit weighs this much more than a body hit.
pub(crate) const TITLE_BOOST: f32 = 2.0;
/// Constant score of a typo-tolerant or prefix match (exact matches score BM25, usually 1–15),
/// so exact words outrank near misses.
const LOOSE_SCORE: f32 = 0.5;

/// One required part of the user's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clause {
    /// A word of free text: matched exactly, within `fuzzy` edits, and as a prefix if `prefix`.
    Word {
        token: String,
        fuzzy: u8,
        prefix: bool,
    },
    /// Tokens that must appear at these relative positions: a quoted phrase, or a CJK word
    /// as its bigrams.
    Phrase(Vec<(usize, String)>),
}

/// Splits `text` into clauses. Quotes delimit phrases; an unbalanced quote is ignored.
pub(crate) fn parse(analyzer: &mut TextAnalyzer, text: &str) -> Result<Vec<Clause>> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(Error::BadQuery(format!(
            "query longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    let segments: Vec<&str> = text.split('"').collect();
    // With an odd number of quotes the last segment follows an unmatched quote: free text.
    let balanced = segments.len() % 2 == 1;
    let mut clauses = Vec::new();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        let quoted = i % 2 == 1 && (balanced || i != last);
        if quoted {
            phrase(analyzer, segment, &mut clauses);
        } else {
            words(analyzer, segment, &mut clauses);
        }
    }
    // Search-as-you-type: the word being typed is the last run of the text, not yet followed
    // by a separator or a closing quote.
    let typing = text
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric());
    if let (true, Some(Clause::Word { token, prefix, .. })) = (typing, clauses.last_mut()) {
        *prefix = token.chars().count() >= MIN_PREFIX_CHARS;
    }
    if clauses.len() > MAX_CLAUSES {
        return Err(Error::BadQuery(format!(
            "more than {MAX_CLAUSES} words or phrases"
        )));
    }
    Ok(clauses)
}

fn words(analyzer: &mut TextAnalyzer, text: &str, out: &mut Vec<Clause>) {
    for run in runs(text) {
        let tokens = analyze(analyzer, &text[run.start..run.end]);
        if run.cjk {
            push_tokens(cjk_terms(&tokens, 0), out);
        } else if let Some(t) = tokens.into_iter().next() {
            let chars = t.text.chars().count();
            let fuzzy = if t.text.bytes().any(|b| b.is_ascii_digit()) {
                // Numbers (invoice 10231, a year) must match exactly.
                0
            } else if chars >= 9 {
                2
            } else if chars >= 5 {
                1
            } else {
                0
            };
            out.push(Clause::Word {
                token: t.text,
                fuzzy,
                prefix: false,
            });
        }
    }
}

fn phrase(analyzer: &mut TextAnalyzer, text: &str, out: &mut Vec<Clause>) {
    let mut terms = Vec::new();
    let mut position = 0;
    for run in runs(text) {
        let tokens = analyze(analyzer, &text[run.start..run.end]);
        if run.cjk {
            terms.extend(cjk_terms(&tokens, position));
        } else if let Some(t) = tokens.into_iter().next() {
            terms.push((position, t.text));
        }
        position += run_width(text, run);
    }
    push_tokens(terms, out);
}

/// The terms that match a CJK run: its bigrams at their offsets, or its single character.
fn cjk_terms(tokens: &[crate::analyzer::Analyzed], base: usize) -> Vec<(usize, String)> {
    let bigrams: Vec<(usize, String)> = tokens
        .iter()
        .filter(|t| t.bigram)
        .enumerate()
        .map(|(i, t)| (base + i, t.text.clone()))
        .collect();
    if bigrams.is_empty() {
        tokens
            .iter()
            .map(|t| (base, t.text.clone()))
            .take(1)
            .collect()
    } else {
        bigrams
    }
}

fn push_tokens(mut terms: Vec<(usize, String)>, out: &mut Vec<Clause>) {
    match terms.len() {
        0 => {}
        1 => out.push(Clause::Phrase(vec![(0, terms.remove(0).1)])),
        _ => out.push(Clause::Phrase(terms)),
    }
}

fn text_term(field: Field, token: &str) -> Term {
    Term::from_field_text(field, token)
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

/// A Levenshtein automaton (a transposition costs one edit) over a field's term dictionary.
struct Fuzzy(DFA);

impl tantivy_fst::Automaton for Fuzzy {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The automaton of the words within `distance` edits of `token` (1 or 2). Built once per
/// query word and shared by its title and body queries: building one for two edits costs
/// about as much as walking a segment's term dictionary with it.
fn fuzzy(token: &str, distance: u8) -> Arc<Fuzzy> {
    static BUILDERS: [OnceLock<LevenshteinAutomatonBuilder>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let distance = distance.min(2);
    let builder = BUILDERS[usize::from(distance)]
        .get_or_init(|| LevenshteinAutomatonBuilder::new(distance, true));
    Arc::new(Fuzzy(builder.build_dfa(token)))
}

/// Documents whose `field` holds a word the automaton accepts, each scoring 1 (times the
/// boost); what `FuzzyTermQuery` matches, with the automaton built by the caller.
#[derive(Clone)]
struct FuzzyQuery {
    field: Field,
    automaton: Arc<Fuzzy>,
}

impl std::fmt::Debug for FuzzyQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuzzyQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for FuzzyQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<Fuzzy>::new(
            self.field,
            self.automaton.clone(),
        )))
    }
}

/// The scoring part of one clause: any of its variants in title or body, as a
/// [`LazyUnionQuery`] (scored only where the rest of the query matches too).
fn clause_query(f: &Fields, searcher: &Searcher, clause: &Clause) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let automaton = match clause {
        Clause::Word {
            token, fuzzy: d, ..
        } if *d > 0 => Some(fuzzy(token, *d)),
        _ => None,
    };
    for (field, boost) in [(f.title, TITLE_BOOST), (f.body, 1.0)] {
        match clause {
            Clause::Word { token, prefix, .. } => {
                let term = text_term(field, token);
                should.push((
                    Occur::Should,
                    boosted(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        boost,
                    ),
                ));
                if let Some(automaton) = &automaton {
                    should.push((
                        Occur::Should,
                        boosted(
                            Box::new(FuzzyQuery {
                                field,
                                automaton: automaton.clone(),
                            }),
                            LOOSE_SCORE * boost,
                        ),
                    ));
                }
                if *prefix {
                    let completions = prefix_terms(searcher, field, token, MAX_PREFIX_TERMS);
                    if !completions.is_empty() {
                        should.push((
                            Occur::Should,
                            boosted(Box::new(TermsQuery::new(completions)), LOOSE_SCORE * boost),
                        ));
                    }
                }
            }
            Clause::Phrase(terms) if terms.len() == 1 => {
                should.push((
                    Occur::Should,
                    boosted(
                        Box::new(TermQuery::new(
                            text_term(field, &terms[0].1),
                            IndexRecordOption::WithFreqs,
                        )),
                        boost,
                    ),
                ));
            }
            Clause::Phrase(terms) => {
                let terms = terms
                    .iter()
                    .map(|(at, t)| (*at, text_term(field, t)))
                    .collect();
                should.push((
                    Occur::Should,
                    boosted(Box::new(PhraseQuery::new_with_offset(terms)), boost),
                ));
            }
        }
    }
    Box::new(LazyUnionQuery::new(
        should.into_iter().map(|(_, q)| q).collect(),
    ))
}

/// The `limit` most frequent terms of `field` that start with `prefix` in the searcher's
/// segments (the prefix itself included), most frequent first; ties go to the shorter term.
fn prefix_terms(searcher: &Searcher, field: Field, prefix: &str, limit: usize) -> Vec<Term> {
    let mut freq: HashMap<Vec<u8>, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().range().ge(prefix.as_bytes()).into_stream() else {
            continue;
        };
        while stream.advance() {
            let key = stream.key();
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            *freq.entry(key.to_vec()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    let mut ranked: Vec<(Vec<u8>, u64)> = freq.into_iter().collect();
    ranked.sort_unstable_by(|a, b| {
        b.1.cmp(&a.1)
            .then(a.0.len().cmp(&b.0.len()))
            .then(a.0.cmp(&b.0))
    });
    ranked
        .into_iter()
        .take(limit)
        .filter_map(|(bytes, _)| String::from_utf8(bytes).ok())
        .map(|text| Term::from_field_text(field, &text))
        .collect()
}

/// A non-scoring filter: matches decide visibility, never ranking.
fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

/// Filters with up to this many terms are a lazy union of term queries, read only where the
/// other clauses lead; more become a [`TermsQuery`], which reads every posting of every term
/// into a bitset up front. (The org and permission filter is a [`ScopeFilterQuery`], whose
/// bitsets are cached.)
const LAZY_FILTER_TERMS: usize = 16;

fn term_set(field: Field, values: impl IntoIterator<Item = String>) -> Box<dyn Query> {
    let terms: Vec<Term> = values
        .into_iter()
        .map(|v| Term::from_field_text(field, &v))
        .collect();
    if terms.len() > LAZY_FILTER_TERMS {
        return Box::new(TermsQuery::new(terms));
    }
    Box::new(BooleanQuery::new(
        terms
            .into_iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::Basic));
                (Occur::Should, q)
            })
            .collect(),
    ))
}

fn range(field: Field, r: TimeRange) -> Box<dyn Query> {
    let bound = |v: Option<i64>| match v {
        Some(v) => Bound::Included(Term::from_field_i64(field, v)),
        None => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(bound(r.from), bound(r.to)))
}

/// The permission terms a scope grants; empty means the caller can see nothing.
pub(crate) fn scope_terms(scope: &Scope) -> Vec<String> {
    let mut terms: Vec<String> = scope
        .projects
        .iter()
        .map(|p| format!("p:{p}"))
        .chain(scope.channels.iter().map(|c| format!("c:{c}")))
        .chain(scope.grants.iter().map(|g| crate::schema::grant_term(g)))
        .collect();
    if scope.org_wide {
        terms.push("o".to_string());
    }
    terms
}

/// The full query: every clause required, inside the caller's org and permission terms, and
/// narrowed by the request's filters.
pub(crate) fn build(
    f: &Fields,
    searcher: &Searcher,
    clauses: &[Clause],
    scope: &Scope,
    access_terms: Vec<String>,
    req: &SearchRequest,
    filters: &Arc<FilterCache>,
) -> Box<dyn Query> {
    let mut must: Vec<(Occur, Box<dyn Query>)> = clauses
        .iter()
        .map(|c| (Occur::Must, clause_query(f, searcher, c)))
        .collect();
    must.push(filter(Box::new(ScopeFilterQuery::new(
        f.org,
        &scope.org,
        f.access,
        access_terms,
        filters.clone(),
    ))));
    if !req.kinds.is_empty() {
        must.push(filter(term_set(
            f.kind,
            req.kinds.iter().map(|k| k.as_str().to_string()),
        )));
    }
    for (field, values) in [
        (f.project, &req.projects),
        (f.channel, &req.channels),
        (f.author, &req.authors),
    ] {
        if !values.is_empty() {
            must.push(filter(term_set(field, values.iter().cloned())));
        }
    }
    for (field, r) in [(f.created, req.created), (f.updated, req.updated)] {
        if !r.is_open() {
            must.push(filter(range(field, r)));
        }
    }
    Box::new(BooleanQuery::new(must))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::analyzer;

    fn p(text: &str) -> Result<Vec<Clause>> {
        parse(&mut analyzer(), text)
    }

    fn word(token: &str, fuzzy: u8, prefix: bool) -> Clause {
        Clause::Word {
            token: token.into(),
            fuzzy,
            prefix,
        }
    }

    #[test]
    fn words_phrases_and_prefix() {
        assert_eq!(
            p(r#"Release "Q3 plan" budg"#).unwrap(),
            vec![
                word("release", 1, false),
                Clause::Phrase(vec![(0, "q3".into()), (1, "plan".into())]),
                word("budg", 0, true),
            ]
        );
        assert_eq!(p("budget ").unwrap(), vec![word("budget", 1, false)]);
        assert_eq!(
            p("internationalization").unwrap(),
            vec![word("internationalization", 2, true)]
        );
    }

    #[test]
    fn unbalanced_quote_is_free_text() {
        assert_eq!(
            p(r#"a "b c"#).unwrap(),
            vec![
                word("a", 0, false),
                word("b", 0, false),
                word("c", 0, false)
            ]
        );
    }

    #[test]
    fn cjk_word_is_a_bigram_phrase() {
        assert_eq!(
            p("搜索引擎").unwrap(),
            vec![Clause::Phrase(vec![
                (0, "搜索".into()),
                (1, "索引".into()),
                (2, "引擎".into())
            ])]
        );
        assert_eq!(
            p("猫").unwrap(),
            vec![Clause::Phrase(vec![(0, "猫".into())])]
        );
    }

    #[test]
    fn syntax_is_just_separators() {
        assert_eq!(
            p("title:(foo AND bar*)~2 ^ [x TO y]").unwrap().len(),
            8 // title foo and bar 2 x to y
        );
        assert!(p("*:* () [] {} \\ ~ ^").unwrap().is_empty());
        assert!(matches!(p(&"a ".repeat(600)), Err(Error::BadQuery(_))));
        assert!(matches!(p(&"word ".repeat(40)), Err(Error::BadQuery(_))));
    }
}
