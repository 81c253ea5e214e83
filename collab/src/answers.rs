//! The room's answers to state requests, encoded once per document version and shared.
//!
//! A SyncStep1 asks for what the peer misses. Answers are `Bytes` shared by every connection
//! they go to, dropped at the next change of the document:
//! - the server's own SyncStep1 (its state vector), sent to every joiner;
//! - the whole document, for a peer that has nothing the room knows — an empty state vector,
//!   or one naming only clients the document has never seen (such entries are dropped before
//!   anything else, so a huge state vector costs no more than the document's own);
//! - a few small diffs, by state vector (a reconnecting crowd asks the same);
//! - a diff at least half the size of the whole document is answered with the whole
//!   document instead: Yjs skips what the peer already has, and every such large answer is
//!   then one shared buffer rather than a copy per request.
//!
//! Other diffs (larger than a cached one, smaller than half the document) are computed for the
//! request; the per-connection rate limit on SyncStep1 and the byte bound on send queues bound
//! what they cost.

use std::collections::VecDeque;

use bytes::Bytes;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact};

use crate::protocol::{EncodedStateVector, encode_sync_step1, encode_sync_step2};

/// Diffs up to this size (the encoded update) are cached.
pub(crate) const CACHED_DIFF_MAX: usize = 64 << 10;
/// How many diffs are cached.
const CACHED_DIFFS: usize = 8;

/// Shared encoded answers of one document version.
#[derive(Debug, Default)]
pub(crate) struct SyncAnswers {
    step1: Option<Bytes>,
    full: Option<Bytes>,
    /// Small diffs by the (known clients of the) requester's state vector, oldest first.
    diffs: VecDeque<(StateVector, Bytes)>,
}

impl SyncAnswers {
    /// The document changed: every answer is stale.
    pub(crate) fn invalidate(&mut self) {
        self.step1 = None;
        self.full = None;
        self.diffs.clear();
    }

    /// The server's SyncStep1.
    pub(crate) fn step1(&mut self, doc: &Doc) -> Bytes {
        self.step1
            .get_or_insert_with(|| encode_sync_step1(doc.transact().state_vector()))
            .clone()
    }

    /// The SyncStep2 with the whole document.
    pub(crate) fn full(&mut self, doc: &Doc) -> Bytes {
        self.full
            .get_or_insert_with(|| {
                encode_sync_step2(
                    doc.transact()
                        .encode_state_as_update_v1(&StateVector::default()),
                )
            })
            .clone()
    }

    /// The SyncStep2 answering a peer's state vector.
    pub(crate) fn step2(&mut self, doc: &Doc, request: &EncodedStateVector) -> Bytes {
        let diff = {
            let txn = doc.transact();
            let known = txn.state_vector();
            // Clients the document does not know, and zero clocks, ask for nothing: the rest
            // is no larger than the document's own state vector.
            let sv: StateVector = request
                .entries()
                .map(|(client, clock)| (ClientID::new(client), clock))
                .filter(|(client, clock)| *clock > 0 && known.contains_client(client))
                .collect();
            if sv.is_empty() {
                None
            } else if let Some((_, frame)) = self.diffs.iter().find(|(key, _)| *key == sv) {
                return frame.clone();
            } else {
                Some((txn.encode_state_as_update_v1(&sv), sv))
            }
        };
        let Some((diff, sv)) = diff else {
            return self.full(doc);
        };
        if diff.len() > CACHED_DIFF_MAX {
            let full = self.full(doc);
            if diff.len().saturating_mul(2) >= full.len() {
                return full;
            }
            return encode_sync_step2(diff);
        }
        let frame = encode_sync_step2(diff);
        if self.diffs.len() == CACHED_DIFFS {
            self.diffs.pop_front();
        }
        self.diffs.push_back((sv, frame.clone()));
        frame
    }

    /// Bytes held by the cached answers.
    pub(crate) fn cached_bytes(&self) -> usize {
        let step1 = self.step1.as_ref().map_or(0, Bytes::len);
        let full = self.full.as_ref().map_or(0, Bytes::len);
        step1 + full + self.diffs.iter().map(|(_, f)| f.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Incoming, decode_frame};
    use yrs::Text;
    use yrs::updates::decoder::Decode;

    fn request(sv: &StateVector) -> EncodedStateVector {
        match decode_frame(&encode_sync_step1(sv.clone()), 1)
            .unwrap()
            .pop()
        {
            Some(Incoming::SyncStep1(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    /// A document of `n` characters written by one client (its clock ends at `n`).
    fn doc(n: usize) -> Doc {
        let doc = Doc::with_client_id(1);
        let text = doc.get_or_insert_text("text");
        text.insert(&mut doc.transact_mut(), 0, &"x".repeat(n - 10));
        for i in 0..10 {
            // Separate edits, in the middle: separate blocks.
            text.insert(&mut doc.transact_mut(), (i * 7) as u32, "y");
        }
        doc
    }

    #[test]
    fn empty_and_unknown_state_vectors_share_the_whole_document() {
        let d = doc(100);
        let mut a = SyncAnswers::default();
        let empty = a.step2(&d, &request(&StateVector::default()));
        let unknown: StateVector = [(ClientID::new(999), 5), (ClientID::new(1), 0)]
            .into_iter()
            .collect();
        let other = a.step2(&d, &request(&unknown));
        assert_eq!(empty.as_ptr(), other.as_ptr(), "one shared buffer");
        assert_eq!(empty, a.full(&d));
        let s1 = a.step1(&d);
        assert_eq!(s1.as_ptr(), a.step1(&d).as_ptr());
        a.invalidate();
        assert_eq!(a.cached_bytes(), 0);
    }

    #[test]
    fn small_diffs_are_cached_and_large_ones_become_the_whole_document() {
        let d = doc(200_000);
        let mut a = SyncAnswers::default();
        // Nearly up to date: a small diff, cached for the next asker.
        let near: StateVector = [(ClientID::new(1), 199_995)].into_iter().collect();
        let first = a.step2(&d, &request(&near));
        assert!(first.len() < 1_000);
        assert_eq!(first.as_ptr(), a.step2(&d, &request(&near)).as_ptr());
        // Far behind: the diff is most of the document, so the document is sent.
        let far: StateVector = [(ClientID::new(1), 10)].into_iter().collect();
        let answer = a.step2(&d, &request(&far));
        assert_eq!(answer.as_ptr(), a.full(&d).as_ptr());
        // The cache stays small however many requests come.
        for i in 0..100 {
            let sv: StateVector = [(ClientID::new(1), 199_990 + i % 10)].into_iter().collect();
            a.step2(&d, &request(&sv));
        }
        assert!(a.cached_bytes() < a.full(&d).len() + 8 * 1_000 + 100);
        // The shared answer is a whole document a new peer converges with.
        let peer = Doc::new();
        {
            let full = a.full(&d);
            let msgs = decode_frame(&full, 1).unwrap();
            let [Incoming::SyncStep2(u)] = &msgs[..] else {
                panic!()
            };
            peer.transact_mut()
                .apply_update(yrs::Update::decode_v1(u).unwrap())
                .unwrap();
        }
        assert_eq!(peer.transact().state_vector(), d.transact().state_vector());
    }
}
