//! The wait before a failed job's next attempt: exponential with a cap, plus jitter so that
//! jobs failing together (an SMTP server down) do not all come back in the same instant.

use std::time::Duration;

/// Exponential back-off: `base × 2^(attempt − 1)`, capped at `max`, plus up to a tenth more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failed attempt.
    pub base: Duration,
    /// Longest wait (before jitter).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The wait after failed attempt number `attempt` (1-based), without jitter.
    pub fn delay(&self, attempt: i64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.base.saturating_mul(1u32 << doublings).min(self.max)
    }

    /// The wait with jitter: `delay` plus `jitter` (in `[0, 1)`) of a tenth of it.
    pub fn delay_with_jitter(&self, attempt: i64, jitter: f64) -> Duration {
        let delay = self.delay(attempt);
        delay + delay.mul_f64(jitter.clamp(0.0, 0.999_999) / 10.0)
    }

    /// The wait with random jitter.
    pub fn next_delay(&self, attempt: i64) -> Duration {
        self.delay_with_jitter(attempt, random_fraction())
    }
}

/// A random number in `[0, 1)`.
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    // Without randomness the wait is simply the un-jittered one.
    if getrandom::fill(&mut bytes).is_err() {
        return 0.0;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=12).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(
            secs,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(b.delay(0).as_secs(), 5);
        assert_eq!(b.delay(-3).as_secs(), 5);
        assert_eq!(b.delay(i64::MAX).as_secs(), 3600);
    }

    #[test]
    fn jitter_adds_at_most_a_tenth() {
        let b = Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(2),
        };
        assert_eq!(b.delay_with_jitter(1, 0.0), Duration::from_millis(200));
        assert!(b.delay_with_jitter(1, 0.999) < Duration::from_millis(220));
        assert!(b.delay_with_jitter(1, 5.0) < Duration::from_millis(220));
        assert!(b.delay_with_jitter(20, 0.5) <= Duration::from_millis(2200));
        for attempt in 1..=8 {
            let d = b.next_delay(attempt);
            assert!(
                d >= b.delay(attempt) && d < b.delay(attempt).mul_f64(1.1),
                "{d:?}"
            );
        }
    }
}
