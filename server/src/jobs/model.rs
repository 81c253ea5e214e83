//! The queue's types and the pure rules over them.

use std::fmt;
use std::str::FromStr;

/// Attempts a job gets when its producer names no other number.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;
/// The stored `last_error` is cut to this many bytes.
pub const MAX_ERROR_BYTES: usize = 1000;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at`, never tried.
    Queued,
    /// Claimed by a node, which holds the lease.
    Running,
    /// The last attempt failed; another is due at `run_at`.
    Failed,
    /// Given up: a permanent error or `max_attempts` used. Kept so admins can see it.
    Dead,
    /// Finished; pruned after the retention window.
    Done,
}

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [Self; 5] = [
        Self::Queued,
        Self::Running,
        Self::Failed,
        Self::Dead,
        Self::Done,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Done => "done",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or(())
    }
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// The organisation the work belongs to; `None` for system work (e.g. a password-reset
    /// mail), which no organisation lists.
    pub org_id: Option<&'a str>,
    /// The handler that runs it, e.g. `mail`.
    pub kind: &'static str,
    /// What the handler needs; never listed by the API.
    pub payload: serde_json::Value,
    /// Not before this time (ms); now when `None`.
    pub run_at: Option<i64>,
    /// Claims before it is dead; [`DEFAULT_MAX_ATTEMPTS`] when `None`.
    pub max_attempts: Option<i64>,
}

impl<'a> NewJob<'a> {
    /// A job due now with the default number of attempts.
    pub fn new(org_id: Option<&'a str>, kind: &'static str, payload: serde_json::Value) -> Self {
        Self {
            org_id,
            kind,
            payload,
            run_at: None,
            max_attempts: None,
        }
    }
}

/// A claimed job, as its handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub payload: serde_json::Value,
    /// The attempt this claim is, counting from 1. With the id it fences the outcome: a runner
    /// whose lease was taken over cannot overwrite the newer claim's state.
    pub attempt: i64,
    pub max_attempts: i64,
    pub created_at: i64,
}

/// What a handler says about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done.
    Done,
    /// It failed in a way another attempt may fix (a server down, a timeout).
    Retry(String),
    /// It can never succeed (malformed input): dead at once.
    Permanent(String),
    /// The runner is stopping and the handler gave the job back unfinished: it is queued again
    /// and the attempt is not counted.
    Interrupted,
}

/// The state a failed attempt leads to: another try, or dead once the attempts are used up.
pub fn after_failure(attempt: i64, max_attempts: i64, permanent: bool) -> JobState {
    if permanent || attempt >= max_attempts {
        JobState::Dead
    } else {
        JobState::Failed
    }
}

/// At most [`MAX_ERROR_BYTES`] of `s`, cut on a character boundary.
pub fn truncate_error(s: &str) -> &str {
    if s.len() <= MAX_ERROR_BYTES {
        return s;
    }
    let mut end = MAX_ERROR_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_ones_are_refused() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert!("Queued".parse::<JobState>().is_err());
        assert!("".parse::<JobState>().is_err());
    }

    #[test]
    fn failures_retry_until_the_attempts_are_used() {
        assert_eq!(after_failure(1, 3, false), JobState::Failed);
        assert_eq!(after_failure(2, 3, false), JobState::Failed);
        assert_eq!(after_failure(3, 3, false), JobState::Dead);
        // A lease takeover may have pushed a claim past the limit.
        assert_eq!(after_failure(4, 3, false), JobState::Dead);
        assert_eq!(after_failure(1, 10, true), JobState::Dead);
    }

    #[test]
    fn errors_are_cut_on_character_boundaries() {
        let long = "é".repeat(MAX_ERROR_BYTES);
        let cut = truncate_error(&long);
        assert!(cut.len() <= MAX_ERROR_BYTES && cut.len() >= MAX_ERROR_BYTES - 1);
        assert_eq!(truncate_error("short"), "short");
    }
}
