//! The ranking collector: the best `limit` matches by score × recency, and how many matched.
//!
//! Equivalent to `(TopDocs::with_limit(limit).tweak_score(…), Count)`, but the recency factor
//! (two fast-field reads) is computed only for a match that could still enter the page:
//! recency is at most [`MAX_RECENCY`], so once the page is full a match whose relevance times
//! that cannot beat the page's last entry is counted and dropped. A query for a common word
//! matches tens of thousands of documents and only a few hundred of them get that far.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::cursor::Cursor;

/// Largest recency factor ([`crate::index`]'s `recency` is 1 + weight × 2^(−age/half-life),
/// age ≥ 0), with a margin for rounding.
pub(crate) const MAX_RECENCY: f32 = 1.5 * (1.0 + 1e-5);

/// A ranked match: final score, key hash (the tie-breaker cursors use), address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked {
    pub score: Score,
    pub key_hash: u64,
    pub address: DocAddress,
}

impl Ranked {
    /// Best first: higher score, then higher key hash, then lower address.
    fn rank(&self, other: &Ranked) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(other.key_hash.cmp(&self.key_hash))
            .then(self.address.cmp(&other.address))
    }
}

/// Heap order: the worst-ranked entry is the greatest, so it sits on top to be evicted.
struct Worst(Ranked);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.rank(&other.0)
    }
}

/// Collects the `limit` best matches after `cursor` (all when `None`) and counts every match.
pub(crate) struct RankCollector {
    pub limit: usize,
    pub now: i64,
    pub cursor: Option<Cursor>,
    pub recency: fn(i64, i64) -> f32,
}

pub(crate) struct RankSegment {
    limit: usize,
    now: i64,
    cursor: Option<Cursor>,
    recency: fn(i64, i64) -> f32,
    segment: SegmentOrdinal,
    updated: Option<Column<i64>>,
    hashes: Option<Column<u64>>,
    heap: BinaryHeap<Worst>,
    count: usize,
}

impl Collector for RankCollector {
    type Fruit = (Vec<Ranked>, usize);
    type Child = RankSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<RankSegment> {
        let fast = reader.fast_fields();
        Ok(RankSegment {
            limit: self.limit,
            now: self.now,
            cursor: self.cursor,
            recency: self.recency,
            segment,
            updated: fast.i64("updated").ok(),
            hashes: fast.u64("key_hash").ok(),
            heap: BinaryHeap::with_capacity(self.limit + 1),
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<(Vec<Ranked>, usize)>) -> tantivy::Result<Self::Fruit> {
        let mut total = 0;
        let mut all = Vec::new();
        for (top, count) in fruits {
            total += count;
            all.extend(top);
        }
        all.sort_by(Ranked::rank);
        all.truncate(self.limit);
        Ok((all, total))
    }
}

impl SegmentCollector for RankSegment {
    type Fruit = (Vec<Ranked>, usize);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        if self.limit == 0 {
            return;
        }
        let full = self.heap.len() >= self.limit;
        if full
            && self
                .heap
                .peek()
                .is_some_and(|w| score * MAX_RECENCY < w.0.score)
        {
            return;
        }
        let updated = self
            .updated
            .as_ref()
            .and_then(|c| c.first(doc))
            .unwrap_or(0);
        let key_hash = self.hashes.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        let score = score * (self.recency)(self.now, updated);
        if self.cursor.is_some_and(|c| !c.admits(score, key_hash)) {
            // Already shown on an earlier page.
            return;
        }
        let entry = Ranked {
            score,
            key_hash,
            address: DocAddress::new(self.segment, doc),
        };
        if full {
            let mut worst = self.heap.peek_mut().expect("a full heap has a top");
            if entry.rank(&worst.0) == Ordering::Less {
                *worst = Worst(entry);
            }
        } else {
            self.heap.push(Worst(entry));
        }
    }

    fn harvest(self) -> (Vec<Ranked>, usize) {
        let mut top: Vec<Ranked> = self.heap.into_iter().map(|w| w.0).collect();
        top.sort_by(Ranked::rank);
        (top, self.count)
    }
}
