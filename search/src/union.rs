//! [`LazyUnion`]: documents matching any of a few queries, scored by the sum of those that
//! match, evaluated lazily.
//!
//! A word's clause is such a union (exact, typo-tolerant and prefix variants, in title and
//! body). tantivy's `BooleanQuery` of `Should` clauses buffers 4,096 documents at a time and
//! scores every one of them; inside the query's intersection, where the cached scope filter
//! leads and asks for one document in ten or fewer, most of that scoring is wasted: a common
//! word matches a third of the index. Here a seek only moves the parts that are behind, and a
//! document is scored only when the intersection has settled on it.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

/// Documents matching any of `parts`; the score is the sum of the matching parts' scores.
#[derive(Debug)]
pub(crate) struct LazyUnionQuery {
    parts: Vec<Box<dyn Query>>,
}

impl Clone for LazyUnionQuery {
    fn clone(&self) -> Self {
        LazyUnionQuery {
            parts: self.parts.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl LazyUnionQuery {
    pub fn new(parts: Vec<Box<dyn Query>>) -> LazyUnionQuery {
        LazyUnionQuery { parts }
    }
}

impl Query for LazyUnionQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let parts = self
            .parts
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(LazyUnionWeight { parts }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for part in &self.parts {
            part.query_terms(visitor);
        }
    }
}

struct LazyUnionWeight {
    parts: Vec<Box<dyn Weight>>,
}

impl Weight for LazyUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut parts = Vec::with_capacity(self.parts.len());
        for weight in &self.parts {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                parts.push(scorer);
            }
        }
        if parts.len() == 1 {
            // Only one part matches anything here (e.g. no title holds the word).
            return Ok(parts.remove(0));
        }
        let doc = parts.iter().map(|p| p.doc()).min().unwrap_or(TERMINATED);
        Ok(Box::new(LazyUnion { parts, doc }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        let mut explanation = Explanation::new("sum of the matching parts", scorer.score());
        for weight in &self.parts {
            if let Ok(part) = weight.explain(reader, doc) {
                explanation.add_detail(part);
            }
        }
        Ok(explanation)
    }
}

/// The union's scorer. Parts that are exhausted are dropped.
struct LazyUnion {
    parts: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl LazyUnion {
    fn settle(&mut self) -> DocId {
        self.parts.retain(|p| p.doc() != TERMINATED);
        self.doc = self
            .parts
            .iter()
            .map(|p| p.doc())
            .min()
            .unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for LazyUnion {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        for part in &mut self.parts {
            if part.doc() == current {
                part.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for part in &mut self.parts {
            if part.doc() < target {
                part.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.parts
            .iter()
            .map(|p| p.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.parts.iter().map(|p| p.cost()).sum()
    }
}

impl Scorer for LazyUnion {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.parts
            .iter_mut()
            .filter(|p| p.doc() == doc)
            .map(|p| p.score())
            .sum()
    }
}
