//! What a client may send on the event socket, and how much of it.
//!
//! Three frames exist: `{"type":"ping"}`, `{"type":"typing","channel":ID,"thread"?:ID}` and
//! `{"type":"presence","status":"active"|"away"}`. Each is parsed strictly ([`parse`]) and
//! its ids checked before anything is done with it — the socket then checks that the channel is
//! one it may see and the thread a root message of it — so nothing a client makes up is relayed
//! to anyone or kept.
//!
//! Each socket has a budget ([`FrameBudget`]): a token bucket of frames it may send (a browser
//! sends a typing frame every few seconds while someone types, a presence frame when a tab is
//! hidden or shown, a ping per heartbeat — far below it), and an allowance of refused frames
//! (malformed, unknown, about what it may not see, or over the rate). A socket that uses up the
//! allowance is closed: 4400 when its last refused frame was junk, 4429 when it sent too many.
//! Per-socket memory is bounded too: the typing indicators it recently forwarded and the
//! threads it recently checked are short fixed-size lists ([`Recent`]).

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use atrium_client::wire::{ClientFrame as Wire, ClientPresence};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Frames a socket may send per second, on average.
const FRAMES_PER_SECOND: u32 = 4;
/// Frames a socket may send at once.
const FRAME_BURST: u32 = 20;
/// Refused frames a socket may send before it is closed.
const REFUSALS_ALLOWED: u32 = 10;
/// How often one refused frame is forgiven.
const REFUSAL_FORGIVEN_EVERY: Duration = Duration::from_secs(6);
/// Ids are UUIDs: `8-4-4-4-12` hex digits.
const ID_LEN: usize = 36;

/// A client frame that passed its shape checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    Ping,
    Typing {
        channel: String,
        thread: Option<String>,
    },
    Presence {
        away: bool,
    },
}

/// Why a frame was refused: the `error` frame's code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: &'static str,
}

impl Refusal {
    /// The frame is not one of the three, or has the wrong fields.
    pub const BAD_FRAME: Self = Self {
        code: "bad_frame",
        message: "frames are {\"type\":\"ping\"}, {\"type\":\"typing\",\"channel\",\"thread\"?} \
            or {\"type\":\"presence\",\"status\":\"active\"|\"away\"}",
    };
    /// The channel is not one the user may see.
    pub const UNKNOWN_CHANNEL: Self = Self {
        code: "unknown_channel",
        message: "no such channel",
    };
    /// The thread is not a message that starts a thread in the channel.
    pub const UNKNOWN_THREAD: Self = Self {
        code: "unknown_thread",
        message: "no such thread in the channel",
    };
    /// The socket sends frames faster than any client needs to.
    pub const RATE_LIMITED: Self = Self {
        code: "rate_limited",
        message: "too many frames; this one was ignored",
    };
}

/// Parses a client frame and checks the shape of its ids.
pub fn parse(text: &str) -> Result<ClientFrame, Refusal> {
    let frame = serde_json::from_str::<Wire>(text).map_err(|_| Refusal::BAD_FRAME)?;
    Ok(match frame {
        Wire::Ping => ClientFrame::Ping,
        Wire::Typing { channel, thread } => {
            if !is_id(&channel) {
                return Err(Refusal::UNKNOWN_CHANNEL);
            }
            if thread.as_deref().is_some_and(|t| !is_id(t)) {
                return Err(Refusal::UNKNOWN_THREAD);
            }
            ClientFrame::Typing { channel, thread }
        }
        Wire::Presence { status } => ClientFrame::Presence {
            away: status == ClientPresence::Away,
        },
    })
}

/// Whether `id` has the shape of the server's ids (a hyphenated UUID).
fn is_id(id: &str) -> bool {
    id.len() == ID_LEN && uuid::Uuid::try_parse(id).is_ok()
}

/// A socket's allowance of frames and of refused frames.
pub struct FrameBudget {
    frames: DefaultDirectRateLimiter,
    refusals: DefaultDirectRateLimiter,
}

impl Default for FrameBudget {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameBudget {
    /// A full budget.
    pub fn new() -> Self {
        let frames =
            Quota::per_second(nonzero(FRAMES_PER_SECOND)).allow_burst(nonzero(FRAME_BURST));
        let refusals = Quota::with_period(REFUSAL_FORGIVEN_EVERY)
            .expect("the period is not zero")
            .allow_burst(nonzero(REFUSALS_ALLOWED));
        Self {
            frames: RateLimiter::direct(frames),
            refusals: RateLimiter::direct(refusals),
        }
    }

    /// Takes one frame from the budget; false when the socket is over the rate.
    pub fn take_frame(&self) -> bool {
        self.frames.check().is_ok()
    }

    /// Counts a refused frame; false when the allowance is used up and the socket must close.
    pub fn refused(&self) -> bool {
        self.refusals.check().is_ok()
    }
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// The last few keys seen, each with when: a fixed-size memory (the oldest goes first).
#[derive(Debug)]
pub struct Recent<K> {
    entries: VecDeque<(K, Instant)>,
    capacity: usize,
}

impl<K: PartialEq> Recent<K> {
    /// An empty memory of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
        }
    }

    /// When `key` was last recorded, if it is still remembered.
    pub fn get(&self, key: &K) -> Option<Instant> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, at)| *at)
    }

    /// Records `key` at `at`, forgetting the oldest key if full.
    pub fn put(&mut self, key: K, at: Instant) {
        if let Some(index) = self.entries.iter().position(|(k, _)| *k == key) {
            self.entries.remove(index);
        } else if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((key, at));
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANNEL: &str = "0190f1c2-7a3b-7cde-8f01-23456789abcd";

    #[test]
    fn frames_are_parsed_strictly() {
        assert_eq!(parse(r#"{"type":"ping"}"#), Ok(ClientFrame::Ping));
        assert_eq!(
            parse(r#"{"type":"presence","status":"away"}"#),
            Ok(ClientFrame::Presence { away: true })
        );
        assert_eq!(
            parse(&format!(
                r#"{{"type":"typing","channel":"{CHANNEL}","thread":"{CHANNEL}"}}"#
            )),
            Ok(ClientFrame::Typing {
                channel: CHANNEL.to_owned(),
                thread: Some(CHANNEL.to_owned())
            })
        );
        for junk in [
            "",
            "not json",
            "[]",
            r#"{"type":"shout"}"#,
            r#"{"type":"presence","status":"asleep"}"#,
            r#"{"type":"typing"}"#,
            r#"{"channel":"x"}"#,
        ] {
            assert_eq!(parse(junk), Err(Refusal::BAD_FRAME), "{junk}");
        }
        let long = "x".repeat(3000);
        assert_eq!(
            parse(&format!(
                r#"{{"type":"typing","channel":"{CHANNEL}","thread":"{long}"}}"#
            )),
            Err(Refusal::UNKNOWN_THREAD)
        );
        assert_eq!(
            parse(&format!(r#"{{"type":"typing","channel":"{long}"}}"#)),
            Err(Refusal::UNKNOWN_CHANNEL)
        );
    }

    #[test]
    fn the_budget_allows_a_burst_then_the_rate() {
        let budget = FrameBudget::new();
        let taken = (0..100).filter(|_| budget.take_frame()).count();
        assert!((20..=22).contains(&taken), "{taken}");
        let allowed = (0..100).take_while(|_| budget.refused()).count();
        assert_eq!(allowed, 10);
    }

    #[test]
    fn recent_keys_stay_bounded() {
        let mut recent = Recent::new(4);
        let now = Instant::now();
        for i in 0..1000 {
            recent.put(i, now);
        }
        assert_eq!(recent.len(), 4);
        assert!(recent.get(&999).is_some());
        assert!(recent.get(&0).is_none());
    }
}
