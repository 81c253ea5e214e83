//! `atrium-webhooks-bench`: changes fanned out to webhook receivers, against a release `atrium`.
//!
//! ```text
//! atrium-webhooks-bench --bin target/release/atrium [--backend sqlite|postgres [--pg-url URL]]
//!     [--receivers 10 --changes 10000 --concurrency 16]
//! ```
//!
//! `--receivers` HTTP endpoints on loopback (small axum servers in this process, answering 200
//! at once) each get a subscription to `task.*` of one organisation. Then `--changes` tasks are
//! created over HTTP (`POST /api/v1/boards/{board}/tasks`, `--concurrency` at a time): each is one
//! change of the feed, so receivers × changes deliveries. Reports the delivery lag — receipt
//! minus the change's commit time (the body's `timestamp`, from the same clock) — over every
//! delivery, and the throughput: deliveries over the time from the first change's commit to the
//! last delivery. Every receiver must get every change (duplicates are counted: delivery is at
//! least once), or the run fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use atrium_tests::bench::database::{BenchDatabase, DbBackend};
use atrium_tests::bench::tenant::Tenant;
use atrium_tests::bench::{BenchServer, cpu_seconds, rss_mb, summarize};
use axum::body::Bytes;
use axum::extract::State;
use clap::Parser;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "Changes fanned out to webhook receivers")]
struct Args {
    /// The atrium binary to start (a release build gives meaningful figures).
    #[arg(long, default_value = "target/release/atrium")]
    bin: PathBuf,
    /// Database of the server: its own SQLite file, or a fresh PostgreSQL database.
    #[arg(long, value_enum, default_value_t = DbBackend::Sqlite)]
    backend: DbBackend,
    /// Admin URL of a PostgreSQL server for `--backend postgres` (else one is started).
    #[arg(long)]
    pg_url: Option<String>,
    /// Receivers, one subscription each.
    #[arg(long, default_value_t = 10)]
    receivers: usize,
    /// Changes made (tasks created).
    #[arg(long, default_value_t = 10_000)]
    changes: usize,
    /// Task creations in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

/// One delivery a receiver got: the task, its commit time and the receipt time (UTC ms, with
/// fractions).
type Receipt = (String, f64, f64);

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// `2026-12-04T04:00:00.123Z` as UTC ms.
fn parse_rfc3339(text: &str) -> Option<f64> {
    let (date, time) = text.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut t = time.split(':');
    let (h, min, s) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    Some(((days as f64 * 24.0 + h) * 60.0 + min) * 60_000.0 + s * 1000.0)
}

async fn receive(State(log): State<Arc<Mutex<Vec<Receipt>>>>, body: Bytes) -> &'static str {
    let at = now_ms();
    if let Ok(event) = serde_json::from_slice::<Value>(&body) {
        let id = event["data"]["id"].as_str().unwrap_or_default().to_owned();
        let committed = event["timestamp"]
            .as_str()
            .and_then(parse_rfc3339)
            .unwrap_or(at);
        log.lock().unwrap().push((id, committed, at));
    }
    "ok"
}

/// A receiver on loopback: its URL and what it got.
async fn receiver() -> anyhow::Result<(String, Arc<Mutex<Vec<Receipt>>>)> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    Ok((url, log))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.receivers > 0 && args.changes > 0 && args.concurrency > 0,
        "every count must be positive"
    );
    println!(
        "atrium-webhooks-bench on {:?}; {} cores; {} changes to {} receivers",
        args.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.changes,
        args.receivers
    );
    let database = BenchDatabase::create(args.backend, args.pg_url.as_deref()).await;
    let mut env = database.env();
    env.push(("ATRIUM_WEBHOOKS_ALLOW_PRIVATE", "true"));
    let mut server = BenchServer::start(&args.bin, &env).await?;
    let result = async {
        let tenant = Tenant::create(&server, 0).await?;
        let board = tenant.post(&format!("/api/v1/projects/{}/boards", tenant.project), json!({"name": "Load"})).await?;
        let board = board["id"].as_str().context("board id")?.to_owned();
        let mut logs = Vec::new();
        for _ in 0..args.receivers {
            let (url, log) = receiver().await?;
            tenant.post(&format!("/api/v1/orgs/{}/webhooks", tenant.org), json!({"url": url, "events": ["task.*"]})).await?;
            logs.push(log);
        }
        let cpu_before = cpu_seconds(server.pid);
        let started = Instant::now();
        let tasks: Vec<String> = futures::stream::iter(0..args.changes)
            .map(|i| {
                let tenant = &tenant;
                let board = &board;
                async move {
                    let task = tenant.post(&format!("/api/v1/boards/{board}/tasks"), json!({"title": format!("Change {i}")})).await?;
                    anyhow::Ok(task["id"].as_str().context("task id")?.to_owned())
                }
            })
            .buffer_unordered(args.concurrency)
            .try_collect()
            .await?;
        let made = started.elapsed();
        println!("{} tasks created in {:.1} s ({:.0}/s)", tasks.len(), made.as_secs_f64(), tasks.len() as f64 / made.as_secs_f64());
        let expected = args.changes * args.receivers;
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let got: usize = logs.iter().map(|l| l.lock().unwrap().len()).sum();
            if got >= expected {
                break;
            }
            ensure!(Instant::now() < deadline, "only {got} of {expected} deliveries within 10 minutes");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let cpu = cpu_seconds(server.pid) - cpu_before;
        let mut lags = Vec::with_capacity(expected);
        let (mut first_commit, mut last_receipt) = (f64::MAX, 0.0_f64);
        let mut duplicates = 0;
        for log in &logs {
            let log = log.lock().unwrap();
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (id, committed, at) in log.iter() {
                *seen.entry(id.as_str()).or_default() += 1;
                lags.push(at - committed);
                first_commit = first_commit.min(*committed);
                last_receipt = last_receipt.max(*at);
            }
            ensure!(tasks.iter().all(|t| seen.contains_key(t.as_str())), "a receiver missed a change");
            duplicates += seen.values().map(|n| n - 1).sum::<usize>();
        }
        // Where the slow ones are: the worst lag of the changes committed in each second of
        // the run (a tail at the start, steady, or at the end tells different causes apart).
        let mut worst_by_second: Vec<f64> = Vec::new();
        for log in &logs {
            for (_, committed, at) in log.lock().unwrap().iter() {
                let second = ((committed - first_commit) / 1000.0) as usize;
                if worst_by_second.len() <= second {
                    worst_by_second.resize(second + 1, 0.0);
                }
                worst_by_second[second] = worst_by_second[second].max(at - committed);
            }
        }
        let by_second: Vec<String> = worst_by_second.iter().map(|ms| format!("{ms:.0}")).collect();
        println!("worst lag (ms) of the changes committed in each second: {}", by_second.join(" "));
        let deliveries = lags.len();
        let (p50, p99, max) = summarize(lags);
        let window = (last_receipt - first_commit) / 1000.0;
        println!("delivery lag over {deliveries} deliveries: p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms; {duplicates} duplicates");
        println!(
            "throughput: {:.0} deliveries/s ({deliveries} in {window:.1} s from the first commit to the last delivery); server CPU {cpu:.1} s, RSS {:.0} MB",
            deliveries as f64 / window,
            rss_mb(server.pid)
        );
        anyhow::Ok(())
    }
    .await;
    server.child.kill().await.ok();
    drop(database);
    result
}
