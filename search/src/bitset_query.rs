//! Queries that match a known set of terms by reading their postings into a bitset per segment,
//! and a cache of such bitsets for the permission filter.
//!
//! [`TermsQuery`] is `TermSetQuery` without its per-query cost of building an FST of the terms
//! (the prefix completions are already known, see `query::prefix_terms`). [`ScopeFilterQuery`]
//! is the org and permission filter, `org ∧ (access₁ ∨ … ∨ accessₙ)`, whose bitset is kept per
//! segment in a [`FilterCache`]: a user searches with the same scope query after query (search
//! as you type), segments never change once written (deletes are applied by the collector
//! through the segment's alive bitset), and reading the permission postings of a whole
//! organisation is otherwise a large share of every query.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// Calls `each` with every document holding `term`.
fn for_each_posting(
    reader: &SegmentReader,
    term: &Term,
    mut each: impl FnMut(DocId),
) -> tantivy::Result<()> {
    let inverted = reader.inverted_index(term.field())?;
    let Some(info) = inverted.get_term_info(term)? else {
        return Ok(());
    };
    let mut postings =
        inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            return Ok(());
        }
        for &doc in docs {
            each(doc);
        }
        postings.advance();
    }
}

fn explain_bits(bits: BitSet, doc: DocId) -> tantivy::Result<Explanation> {
    let mut docs = BitSetDocSet::from(bits);
    if docs.seek(doc) == doc {
        Ok(Explanation::new("TermsQuery", 1.0))
    } else {
        Err(TantivyError::InvalidArgument(format!(
            "document {doc} does not match"
        )))
    }
}

/// Documents holding any of `terms`, each scoring 1 (times the boost).
#[derive(Debug, Clone)]
pub(crate) struct TermsQuery {
    terms: Vec<Term>,
}

impl TermsQuery {
    pub fn new(terms: Vec<Term>) -> TermsQuery {
        TermsQuery { terms }
    }
}

impl Query for TermsQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl TermsQuery {
    fn bits(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let mut bits = BitSet::with_max_value(reader.max_doc());
        for term in &self.terms {
            for_each_posting(reader, term, |doc| {
                bits.insert(doc);
            })?;
        }
        Ok(bits)
    }
}

impl Weight for TermsQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ConstScorer::new(
            BitSetDocSet::from(self.bits(reader)?),
            boost,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_bits(self.bits(reader)?, doc)
    }
}

/// Scope bitsets kept, over all segments and scopes: at one bit per document of a segment,
/// 64 of them for a million-document index take at most 8 MB.
const FILTER_CACHE_ENTRIES: usize = 64;

/// One cached bitset: the segment, the filter's key, the documents.
type CacheEntry = (SegmentId, Arc<str>, Arc<BitSet>);

/// Per-segment bitsets of [`ScopeFilterQuery`], most recently used last.
#[derive(Default)]
pub(crate) struct FilterCache {
    entries: Mutex<VecDeque<CacheEntry>>,
}

impl FilterCache {
    fn get(&self, segment: SegmentId, key: &str) -> Option<Arc<BitSet>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let at = entries
            .iter()
            .position(|(s, k, _)| *s == segment && &**k == key)?;
        let entry = entries.remove(at)?;
        let bits = entry.2.clone();
        entries.push_back(entry);
        Some(bits)
    }

    fn put(&self, segment: SegmentId, key: Arc<str>, bits: Arc<BitSet>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(s, k, _)| !(*s == segment && *k == key));
        if entries.len() >= FILTER_CACHE_ENTRIES {
            entries.pop_front();
        }
        entries.push_back((segment, key, bits));
    }
}

impl std::fmt::Debug for FilterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterCache").finish_non_exhaustive()
    }
}

/// Documents of `org` that hold at least one of `access` (both exact terms). No access term
/// matches nothing.
#[derive(Debug, Clone)]
pub(crate) struct ScopeFilterQuery {
    org: Term,
    access: Vec<Term>,
    /// Identifies the filter in the cache: the org and every access term, in order.
    key: Arc<str>,
    cache: Arc<FilterCache>,
}

impl ScopeFilterQuery {
    pub fn new(
        org_field: Field,
        org: &str,
        access_field: Field,
        mut access: Vec<String>,
        cache: Arc<FilterCache>,
    ) -> Self {
        access.sort_unstable();
        access.dedup();
        // Terms cannot hold a NUL from the server's ids, but the key stays unambiguous anyway:
        // each part is length-prefixed.
        let mut key = format!("{}:{org}", org.len());
        for a in &access {
            key.push_str(&format!("|{}:{a}", a.len()));
        }
        ScopeFilterQuery {
            org: Term::from_field_text(org_field, org),
            access: access
                .iter()
                .map(|a| Term::from_field_text(access_field, a))
                .collect(),
            key: key.into(),
            cache,
        }
    }

    fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Arc<BitSet>> {
        let segment = reader.segment_id();
        if let Some(bits) = self.cache.get(segment, &self.key) {
            return Ok(bits);
        }
        // The access terms' documents, then those of them in the org: the org's postings are
        // only seeked to those documents, so a narrow scope does not decode a whole org.
        let max_doc = reader.max_doc();
        let mut access = BitSet::with_max_value(max_doc);
        for term in &self.access {
            for_each_posting(reader, term, |doc| {
                access.insert(doc);
            })?;
        }
        let mut both = BitSet::with_max_value(max_doc);
        let inverted = reader.inverted_index(self.org.field())?;
        if let Some(mut org) = inverted.read_postings(&self.org, IndexRecordOption::Basic)? {
            let mut docs = BitSetDocSet::from(access);
            let mut doc = docs.doc();
            while doc != TERMINATED {
                let at = if org.doc() < doc {
                    org.seek(doc)
                } else {
                    org.doc()
                };
                if at == TERMINATED {
                    break;
                }
                if at == doc {
                    both.insert(doc);
                    doc = docs.advance();
                } else {
                    doc = docs.seek(at);
                }
            }
        }
        let both = Arc::new(both);
        self.cache.put(segment, self.key.clone(), both.clone());
        Ok(both)
    }
}

impl Query for ScopeFilterQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ScopeFilterQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = BitSet::clone(&*self.bits(reader)?);
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_bits(BitSet::clone(&*self.bits(reader)?), doc)
    }
}
