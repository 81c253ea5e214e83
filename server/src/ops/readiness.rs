//! Readiness: can this node serve traffic? It needs its database, and Redis and S3 when they
//! are configured. Each check has a deadline, so a hung dependency answers "not ready" quickly
//! instead of hanging the probe.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use atrium_client::wire::{Check, ErrorDetail, Readiness};
use s3::Bucket;
use s3::creds::Credentials;
use s3::region::Region;

use crate::config::{Config, S3Config};
use crate::db::Db;

/// How long one check may take.
const CHECK_DEADLINE: Duration = Duration::from_secs(2);

/// The dependencies a node checks.
#[derive(Clone)]
pub struct Dependencies {
    /// This node's id, reported with every check.
    node: String,
    db: Db,
    redis: Option<redis::Client>,
    s3: Option<Box<Bucket>>,
}

/// A configured dependency whose settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid Redis URL: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("invalid S3 settings: {0}")]
    S3(String),
}

impl Dependencies {
    /// The Redis client, when Redis is configured (cross-node fan-out uses it).
    pub fn redis_client(&self) -> Option<redis::Client> {
        self.redis.clone()
    }

    /// The dependencies named in the configuration.
    pub fn from_config(config: &Config, db: Db, node: String) -> Result<Self, ConfigError> {
        let redis = config
            .redis_url
            .as_deref()
            .map(redis::Client::open)
            .transpose()?;
        let s3 = config
            .s3
            .endpoint
            .as_deref()
            .map(|endpoint| bucket(&config.s3, endpoint))
            .transpose()?;
        Ok(Self {
            node,
            db,
            redis,
            s3,
        })
    }

    /// Runs every check concurrently.
    pub async fn check(&self) -> Readiness {
        let database = timed(async { self.db.ping().await.map_err(|e| e.to_string()) });
        let redis = async {
            match &self.redis {
                Some(client) => Some(timed(ping_redis(client)).await),
                None => None,
            }
        };
        let s3 = async {
            match &self.s3 {
                Some(bucket) => Some(timed(list_bucket(bucket)).await),
                None => None,
            }
        };
        let (database, redis, s3) = tokio::join!(database, redis, s3);

        let mut checks = BTreeMap::from([("database".to_owned(), database)]);
        checks.extend(redis.map(|c| ("redis".to_owned(), c)));
        checks.extend(s3.map(|c| ("s3".to_owned(), c)));
        let failures: Vec<String> = checks
            .iter()
            .filter_map(|(name, check)| check.error.as_ref().map(|e| format!("{name}: {e}")))
            .collect();
        if failures.is_empty() {
            Readiness {
                status: "ready".to_owned(),
                node: self.node.clone(),
                checks,
                error: None,
            }
        } else {
            Readiness {
                status: "unavailable".to_owned(),
                node: self.node.clone(),
                checks,
                error: Some(ErrorDetail {
                    code: "not_ready".to_owned(),
                    message: failures.join("; "),
                    fields: None,
                }),
            }
        }
    }
}

fn bucket(s3: &S3Config, endpoint: &str) -> Result<Box<Bucket>, ConfigError> {
    let credentials = Credentials::new(
        s3.access_key.as_deref(),
        s3.secret_key.as_deref(),
        None,
        None,
        None,
    )
    .map_err(|e| ConfigError::S3(e.to_string()))?;
    let region = Region::Custom {
        region: s3.region.clone(),
        endpoint: endpoint.to_owned(),
    };
    let bucket =
        Bucket::new(&s3.bucket, region, credentials).map_err(|e| ConfigError::S3(e.to_string()))?;
    let bucket = if s3.path_style {
        bucket.with_path_style()
    } else {
        bucket
    };
    bucket
        .with_request_timeout(CHECK_DEADLINE)
        .map_err(|e| ConfigError::S3(e.to_string()))
}

async fn ping_redis(client: &redis::Client) -> Result<(), String> {
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let pong: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    if pong == "PONG" {
        Ok(())
    } else {
        Err(format!("unexpected answer to PING: {pong}"))
    }
}

async fn list_bucket(bucket: &Bucket) -> Result<(), String> {
    bucket
        .list_page(String::new(), None, None, None, Some(1))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn timed(check: impl Future<Output = Result<(), String>>) -> Check {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(CHECK_DEADLINE, check).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "no answer within {} ms",
            CHECK_DEADLINE.as_millis()
        )),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Check {
        ok: outcome.is_ok(),
        latency_ms,
        error: outcome.err(),
    }
}
