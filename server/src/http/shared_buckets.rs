//! Rate-limit buckets kept in Redis, so that nodes behind one load balancer enforce one limit:
//! a client spreading its requests over N nodes gets the configured rate, not N times it.
//!
//! Each bucket is a GCRA cell (the algorithm `governor` uses in memory): one key holding the
//! "theoretical arrival time", updated by a Lua script in one round trip, on Redis's own clock
//! so nodes whose clocks differ agree. When Redis does not answer quickly the caller falls back
//! to its in-memory limiter (the node's own share of the limit is still enforced, never none)
//! and Redis is not asked again for a few seconds, so an outage costs no latency per request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;

/// How long a request waits for Redis before the node decides alone.
const ANSWER_WITHIN: Duration = Duration::from_millis(250);
/// How long after a failure the node decides alone before asking Redis again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// GCRA: `KEYS[1]` the bucket, `ARGV[1]` the emission interval and `ARGV[2]` the burst
/// tolerance, both in microseconds. Returns 0 when the request conforms (and takes its
/// place), else the microseconds until it would. Numbers are written with `%d`: Lua's own
/// formatting would print a microsecond clock in exponent form, losing digits.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', string.format('%d', math.ceil((next_tat - now) / 1000) + 1000))
return 0
";

/// Buckets of one limit (`name` keeps the limits apart) in Redis.
pub struct SharedBuckets {
    name: &'static str,
    client: redis::Client,
    /// Emission interval and burst tolerance of the quota, in microseconds.
    interval_us: u64,
    tolerance_us: u64,
    connection: Mutex<Link>,
}

#[derive(Default)]
struct Link {
    connection: Option<MultiplexedConnection>,
    /// Redis failed: decide locally until then.
    quiet_until: Option<Instant>,
}

/// What Redis said of one request.
pub enum Verdict {
    Allowed,
    /// Over the limit; it would conform after this long.
    Wait(Duration),
    /// Redis did not answer: the caller decides with its own limiter.
    Unknown,
}

impl SharedBuckets {
    /// A limit of one request per `period`, `burst` at once.
    pub fn new(name: &'static str, client: redis::Client, period: Duration, burst: u32) -> Self {
        let interval_us = u64::try_from(period.as_micros()).unwrap_or(u64::MAX).max(1);
        Self {
            name,
            client,
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(burst.max(1)) - 1),
            connection: Mutex::new(Link::default()),
        }
    }

    /// Takes a place in `bucket` if it has one.
    pub async fn check(&self, bucket: &str) -> Verdict {
        let Some(mut connection) = self.connection().await else {
            return Verdict::Unknown;
        };
        let key = format!("atrium:rate:{}:{bucket}", self.name);
        // EVAL with the script's text: Redis keeps it compiled after the first call, and the
        // text is a few hundred bytes.
        let mut eval = redis::cmd("EVAL");
        eval.arg(SCRIPT)
            .arg(1)
            .arg(key)
            .arg(self.interval_us)
            .arg(self.tolerance_us);
        let answer =
            tokio::time::timeout(ANSWER_WITHIN, eval.query_async::<u64>(&mut connection)).await;
        match answer {
            Ok(Ok(0)) => Verdict::Allowed,
            Ok(Ok(wait_us)) => Verdict::Wait(Duration::from_micros(wait_us)),
            Ok(Err(error)) => {
                self.failed(&error.to_string());
                Verdict::Unknown
            }
            Err(_) => {
                self.failed("no answer within 250 ms");
                Verdict::Unknown
            }
        }
    }

    fn link(&self) -> std::sync::MutexGuard<'_, Link> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection, made if there is none — unless Redis failed a moment ago.
    async fn connection(&self) -> Option<MultiplexedConnection> {
        {
            let link = self.link();
            if link.quiet_until.is_some_and(|until| Instant::now() < until) {
                return None;
            }
            if let Some(connection) = &link.connection {
                return Some(connection.clone());
            }
        }
        let made = tokio::time::timeout(
            ANSWER_WITHIN,
            self.client.get_multiplexed_async_connection(),
        )
        .await;
        match made {
            Ok(Ok(connection)) => {
                let mut link = self.link();
                link.quiet_until = None;
                Some(link.connection.get_or_insert(connection).clone())
            }
            Ok(Err(error)) => {
                self.failed(&error.to_string());
                None
            }
            Err(_) => {
                self.failed("cannot connect within 250 ms");
                None
            }
        }
    }

    fn failed(&self, why: &str) {
        let mut link = self.link();
        // One warning per outage, not one per request.
        if link.quiet_until.is_none() {
            tracing::warn!(
                limit = self.name,
                why,
                "rate limits cannot reach Redis; each node enforces the limit alone meanwhile"
            );
        }
        link.connection = None;
        link.quiet_until = Some(Instant::now() + RETRY_AFTER_FAILURE);
    }
}
