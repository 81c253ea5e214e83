//! Opaque paging cursors.
//!
//! A cursor is the sort key of the last hit of a page plus what is needed to rank the next
//! page the same way: the searcher generation the first page was served from (pinned for a
//! while, see `SearchIndex`) and the "now" used for recency. Paging is keyset paging: the next
//! page holds the hits strictly after that key, so a page never repeats or skips a hit of the
//! same snapshot.

use crate::{Error, Result};

/// Position after the last hit of a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cursor {
    pub generation: u64,
    pub now: i64,
    pub score: f32,
    pub key_hash: u64,
}

const VERSION: u8 = 1;

impl Cursor {
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(29);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.generation.to_be_bytes());
        bytes.extend_from_slice(&self.now.to_be_bytes());
        bytes.extend_from_slice(&self.score.to_bits().to_be_bytes());
        bytes.extend_from_slice(&self.key_hash.to_be_bytes());
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(s: &str) -> Result<Cursor> {
        let bad = || Error::BadQuery("invalid cursor".to_string());
        if s.len() != 58 || !s.is_ascii() {
            return Err(bad());
        }
        let bytes = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>>>()?;
        if bytes[0] != VERSION {
            return Err(bad());
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let mut score = [0u8; 4];
        score.copy_from_slice(&bytes[17..21]);
        let score = f32::from_bits(u32::from_be_bytes(score));
        if !score.is_finite() {
            return Err(bad());
        }
        Ok(Cursor {
            generation: u64_at(1),
            now: u64_at(9) as i64,
            score,
            key_hash: u64_at(21),
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
            generation: 7,
            now: -5,
            score: 1.25,
            key_hash: u64::MAX,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "zz",
            &"0".repeat(58),
            &"é".repeat(29),
            &c.encode()[..56],
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }
}
