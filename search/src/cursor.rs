//! Opaque paging cursors.
//!
//! A cursor is the sort key of the last hit of a page plus what is needed to rank the next
//! page the same way: the "now" used for recency and the snapshot the first page was served
//! from. Paging is keyset paging: the next page holds the hits strictly after that key, so a
//! page never repeats or skips a hit of the same snapshot.
//!
//! A cursor needs nothing kept by the node that made it: behind a load balancer the next page
//! may be asked of another node, which runs the query again on its own index and skips up to
//! the key. The snapshot is only a hint: the index that served the first page keeps it pinned
//! for a while (see `SearchIndex`), and the cursor names that index instance as well as the
//! snapshot's generation, so another node (or the same one restarted), whose generations are
//! numbered on their own, never mistakes one of its snapshots for it.

use crate::{Error, Result};

/// Position after the last hit of a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cursor {
    /// The index instance that served the page (random per open index; 0 for a version 1
    /// cursor, which names none).
    pub instance: u64,
    /// That index's searcher generation the page was served from.
    pub generation: u64,
    pub now: i64,
    pub score: f32,
    pub key_hash: u64,
}

/// Version 1 had no instance: its generation is ignored (it may be another node's).
const VERSION_1: u8 = 1;
const VERSION: u8 = 2;
const V1_LEN: usize = 29;
const LEN: usize = 37;

impl Cursor {
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.instance.to_be_bytes());
        bytes.extend_from_slice(&self.generation.to_be_bytes());
        bytes.extend_from_slice(&self.now.to_be_bytes());
        bytes.extend_from_slice(&self.score.to_bits().to_be_bytes());
        bytes.extend_from_slice(&self.key_hash.to_be_bytes());
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(s: &str) -> Result<Cursor> {
        let bad = || Error::BadQuery("invalid cursor".to_string());
        if !s.is_ascii() || (s.len() != 2 * LEN && s.len() != 2 * V1_LEN) {
            return Err(bad());
        }
        let bytes = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>>>()?;
        // Version 1 lacks the instance; the rest is laid out alike after it.
        let (instance, rest) = match (bytes[0], bytes.len()) {
            (VERSION, LEN) => (Some(&bytes[1..9]), &bytes[9..]),
            (VERSION_1, V1_LEN) => (None, &bytes[1..]),
            _ => return Err(bad()),
        };
        let u64_of = |b: &[u8]| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        };
        let mut score = [0u8; 4];
        score.copy_from_slice(&rest[16..20]);
        let score = f32::from_bits(u32::from_be_bytes(score));
        if !score.is_finite() {
            return Err(bad());
        }
        Ok(Cursor {
            instance: instance.map_or(0, u64_of),
            generation: u64_of(&rest[0..8]),
            now: u64_of(&rest[8..16]) as i64,
            score,
            key_hash: u64_of(&rest[20..28]),
        })
    }

    /// Whether a hit with this sort key comes after the cursor (scores descending, then key
    /// hashes descending).
    pub fn admits(&self, score: f32, key_hash: u64) -> bool {
        score < self.score || (score == self.score && key_hash < self.key_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_garbage() {
        let c = Cursor {
            instance: 42,
            generation: 7,
            now: -5,
            score: 1.25,
            key_hash: u64::MAX,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "zz",
            &"0".repeat(2 * LEN),
            &"0".repeat(2 * V1_LEN),
            &"é".repeat(LEN),
            &c.encode()[..2 * LEN - 2],
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_version_1_cursor_keeps_its_key_and_names_no_instance() {
        // version 1 | generation 7 | now 1000 | score 2.5 | key hash 99
        let mut bytes = vec![VERSION_1];
        bytes.extend_from_slice(&7u64.to_be_bytes());
        bytes.extend_from_slice(&1000i64.to_be_bytes());
        bytes.extend_from_slice(&2.5f32.to_bits().to_be_bytes());
        bytes.extend_from_slice(&99u64.to_be_bytes());
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let c = Cursor::decode(&text).unwrap();
        assert_eq!(
            c,
            Cursor {
                instance: 0,
                generation: 7,
                now: 1000,
                score: 2.5,
                key_hash: 99,
            }
        );
    }
}
