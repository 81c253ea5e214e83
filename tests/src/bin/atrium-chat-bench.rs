//! `atrium-chat-bench`: chat fan-out over the app event socket, posting throughput and history
//! paging, against a release `atrium` on a fresh data directory.
//!
//! ```text
//! atrium-chat-bench --bin target/release/atrium [--scenario fanout,post,history]
//!     [--sockets 1000 --users 50 --messages 200 --pace-ms 20]
//!     [--posters 32 --post-secs 8]
//!     [--history 1000000 --pages 3000 --page-clients 4] [--backend sqlite|postgres [--pg-url URL]]
//! ```
//!
//! Each scenario starts its own server (SQLite by default: WAL, `synchronous=full`, so every
//! acknowledged post is on disk) and creates an owner, an organisation and an open project over
//! HTTP, plus `--users` members of the organisation (who therefore see the project's public
//! channels) — joined as people do: sign-up, the verification link and the invitation read from
//! the server's mail outbox, acceptance. Every socket is `WS /api/v1/events?token=…` of one of those users, `--sockets /
//! --users` sockets per user, opened and waited for (`hello`) before anything is measured.
//!
//! - `fanout`: the owner posts `--messages` messages, one every `--pace-ms`, into a public
//!   channel. Each message's text carries a marker (`zqxF000123`); every socket records when a
//!   `message.created` frame with each marker arrives. Latency is receipt minus the moment the
//!   POST was sent, over every (message, socket) pair: p50, p99, max, and per message the time
//!   until the last socket had it. Every socket must receive every message exactly once, or the
//!   run fails.
//! - `post`: `--posters` concurrent tasks post as fast as they can for `--post-secs` each pass:
//!   with no socket open; with the sockets open but none of their users able to see the
//!   channel (a private project: the sockets get every event and filter it out); and with the
//!   sockets watching the channel (each post delivered to all of them). Reports messages/s,
//!   POST latency p50/p99, server CPU per post and, for the watched pass, delivery latency and
//!   completeness.
//! - `history`: `--history` top-level messages are inserted straight into the server's
//!   database (not over HTTP: a million posts would take too long), in `--batch`-row
//!   transactions, after the server created the schema: ids are UUIDv7 built from each
//!   message's `created_at` (1 s apart, increasing, as the server's ids sort), author the owner,
//!   thread null, the JSON columns left to their defaults. Then `--pages` requests of
//!   `GET /api/v1/channels/{c}/messages?before=<random existing id>&limit=50`, one client at a
//!   time and `--page-clients` at once, plus the newest page; and the page query alone,
//!   straight on the database, to split HTTP/handler time from SQL time.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use atrium_search::corpus::Rng;
use atrium_tests::TestDatabase;
use atrium_tests::bench::sockets::{Socket, connect_events};
use atrium_tests::bench::tenant::{Tenant, call};
use atrium_tests::bench::{BenchServer, cpu_seconds, rss_mb, summarize};
use atrium_tests::services::PrivatePostgres;
use clap::{Parser, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Fanout,
    Post,
    History,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DbBackend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(about = "Chat fan-out, posting throughput and history paging against a release atrium")]
struct Args {
    /// Scenarios to run, each on a fresh server (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Scenario::Fanout, Scenario::Post, Scenario::History])]
    scenario: Vec<Scenario>,
    /// The atrium binary to start (a release build gives meaningful figures).
    #[arg(long, default_value = "target/release/atrium")]
    bin: PathBuf,
    /// Database of the server: its own SQLite file, or a fresh PostgreSQL database.
    #[arg(long, value_enum, default_value_t = DbBackend::Sqlite)]
    backend: DbBackend,
    /// Admin URL of a PostgreSQL server for `--backend postgres` (else one is started).
    #[arg(long)]
    pg_url: Option<String>,
    /// Event sockets to open (`fanout`, `post`).
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Distinct users the sockets belong to (signing up hashes a password, so keep it modest).
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Messages posted in `fanout`.
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// Milliseconds between posts in `fanout`.
    #[arg(long, default_value_t = 20)]
    pace_ms: u64,
    /// Concurrent posting tasks in `post`.
    #[arg(long, default_value_t = 32)]
    posters: usize,
    /// Seconds each `post` pass lasts.
    #[arg(long, default_value_t = 8.0)]
    post_secs: f64,
    /// Messages seeded into one channel for `history`.
    #[arg(long, default_value_t = 1_000_000)]
    history: usize,
    /// Rows per seeding transaction.
    #[arg(long, default_value_t = 50_000)]
    batch: usize,
    /// Page requests per `history` pass.
    #[arg(long, default_value_t = 3000)]
    pages: usize,
    /// Concurrent clients of the second `history` pass.
    #[arg(long, default_value_t = 4)]
    page_clients: usize,
}

// ---------------------------------------------------------------------------------------------
// Setup over HTTP.

// ---------------------------------------------------------------------------------------------
// Event sockets.

/// One `message.created` with a bench marker, as a socket saw it.
#[derive(Clone, Copy)]
struct Receipt {
    tag: u8,
    seq: u32,
    at: Instant,
}

/// What a socket's reader task saw over its life.
struct SocketLog {
    receipts: Vec<Receipt>,
    /// Why the socket ended before it was told to stop.
    ended: Option<String>,
}

/// Counts of marked receipts per tag (`F` fan-out, `W` watched posting), for the wait loops.
struct Counters {
    fanout: AtomicU64,
    watched: AtomicU64,
    other: AtomicU64,
}

impl Counters {
    fn of(&self, tag: u8) -> &AtomicU64 {
        match tag {
            b'F' => &self.fanout,
            b'W' => &self.watched,
            _ => &self.other,
        }
    }
}

/// The marker a message text carries: `zqx` + tag + six digits.
fn marker(tag: u8, seq: u32) -> String {
    format!("zqx{}{seq:06}", tag as char)
}

fn parse_marker(frame: &str) -> Option<(u8, u32)> {
    if !frame.contains(r#""type":"message.created""#) {
        return None;
    }
    let at = frame.find("zqx")?;
    let rest = frame.as_bytes().get(at + 3..at + 10)?;
    let seq = std::str::from_utf8(&rest[1..]).ok()?.parse().ok()?;
    Some((rest[0], seq))
}

/// Reads a socket until `stop`, recording marked `message.created` frames.
fn spawn_reader(
    mut socket: Socket,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<SocketLog> {
    tokio::spawn(async move {
        let mut log = SocketLog {
            receipts: Vec::new(),
            ended: None,
        };
        loop {
            tokio::select! {
                frame = socket.next() => match frame {
                    Some(Ok(WsMessage::Text(text))) => {
                        if let Some((tag, seq)) = parse_marker(&text) {
                            log.receipts.push(Receipt { tag, seq, at: Instant::now() });
                            counters.of(tag).fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        log.ended = Some(format!("closed by the server: {frame:?}"));
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        log.ended = Some(format!("error: {e}"));
                        break;
                    }
                    None => {
                        log.ended = Some("ended".to_owned());
                        break;
                    }
                },
                _ = stop.changed() => break,
            }
        }
        let _ = socket.close(None).await;
        log
    })
}

/// Open sockets with their reader tasks.
struct Sockets {
    readers: Vec<tokio::task::JoinHandle<SocketLog>>,
    counters: Arc<Counters>,
    stop: watch::Sender<bool>,
}

impl Sockets {
    /// Opens `count` sockets spread over the tenant's users, 32 handshakes at a time.
    async fn open(tenant: &Tenant, count: usize, server: &BenchServer) -> anyhow::Result<Self> {
        if tenant.users.is_empty() {
            bail!("--users must be positive to open sockets");
        }
        let rss_before = rss_mb(server.pid);
        let cpu_before = cpu_seconds(server.pid);
        let started = Instant::now();
        let sockets: Vec<Socket> = futures::stream::iter(0..count)
            .map(|i| {
                let token = tenant.users[i % tenant.users.len()].token.clone();
                let base = tenant.base.clone();
                async move { connect_events(&base, &token).await }
            })
            .buffered(32)
            .try_collect()
            .await?;
        let elapsed = started.elapsed();
        // Let the presence announcements of the connects drain before measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!(
            "{count} event sockets ({} users) open with hello in {:.2} s; server RSS {rss_before:.1} -> {:.1} MB, CPU {:.2} s",
            tenant.users.len().min(count),
            elapsed.as_secs_f64(),
            rss_mb(server.pid),
            cpu_seconds(server.pid) - cpu_before
        );
        let counters = Arc::new(Counters {
            fanout: AtomicU64::new(0),
            watched: AtomicU64::new(0),
            other: AtomicU64::new(0),
        });
        let (stop, stop_rx) = watch::channel(false);
        let readers = sockets
            .into_iter()
            .map(|s| spawn_reader(s, Arc::clone(&counters), stop_rx.clone()))
            .collect();
        Ok(Self {
            readers,
            counters,
            stop,
        })
    }

    /// Waits until `expected` receipts of `tag` arrived (or `limit` passed); returns when.
    async fn wait_for(&self, tag: u8, expected: u64, limit: Duration) -> (Instant, u64) {
        let deadline = Instant::now() + limit;
        let (mut last, mut progressed) = (0, Instant::now());
        loop {
            let got = self.counters.of(tag).load(Ordering::Relaxed);
            let now = Instant::now();
            if got != last {
                (last, progressed) = (got, now);
            }
            // Give up early once nothing arrives for 5 s (sockets closed as slow, say).
            if got >= expected || now >= deadline || now - progressed > Duration::from_secs(5) {
                return (now, got);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Stops the readers and returns what each socket saw.
    async fn close(self) -> anyhow::Result<Vec<SocketLog>> {
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.readers.len());
        for reader in self.readers {
            logs.push(reader.await?);
        }
        Ok(logs)
    }
}

// ---------------------------------------------------------------------------------------------
// Figures.

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Checks that every socket saw each of `count` messages of `tag` exactly once; returns the
/// latencies (receipt minus send) of every delivery and, per message, of its last delivery.
fn deliveries(
    logs: &[SocketLog],
    tag: u8,
    sent: &[Option<Instant>],
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let count = sent.iter().filter(|s| s.is_some()).count();
    let mut all = Vec::with_capacity(logs.len() * count);
    let mut last = vec![0.0f64; sent.len()];
    let (mut missing, mut duplicated, mut broken) = (0usize, 0usize, 0usize);
    let mut first_problem = None;
    for (i, log) in logs.iter().enumerate() {
        let mut seen = vec![0u32; sent.len()];
        for r in log.receipts.iter().filter(|r| r.tag == tag) {
            let Some(Some(at)) = sent.get(r.seq as usize) else {
                continue;
            };
            seen[r.seq as usize] += 1;
            let latency = ms(r.at.saturating_duration_since(*at));
            all.push(latency);
            last[r.seq as usize] = last[r.seq as usize].max(latency);
        }
        let m = seen
            .iter()
            .zip(sent)
            .filter(|(n, s)| s.is_some() && **n == 0)
            .count();
        let d = seen.iter().filter(|n| **n > 1).count();
        if m + d > 0 {
            broken += 1;
            first_problem.get_or_insert_with(|| {
                format!(
                    "socket {i}: {m} missing, {d} duplicated; ended: {:?}",
                    log.ended
                )
            });
        }
        missing += m;
        duplicated += d;
    }
    if missing + duplicated > 0 {
        bail!(
            "{broken} of {} sockets did not get every message exactly once: {missing} missing, {duplicated} duplicated deliveries (first: {})",
            logs.len(),
            first_problem.unwrap_or_default()
        );
    }
    let last = last
        .into_iter()
        .zip(sent)
        .filter(|(_, s)| s.is_some())
        .map(|(l, _)| l)
        .collect();
    Ok((all, last))
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

async fn fanout(args: &Args, server: &BenchServer) -> anyhow::Result<()> {
    let tenant = Tenant::create(server, args.users).await?;
    let channel = tenant.create_channel(&tenant.project, "fanout").await?;
    let sockets = Sockets::open(&tenant, args.sockets, server).await?;
    let cpu_before = cpu_seconds(server.pid);
    let own_cpu_before = cpu_seconds(std::process::id());
    let rss_before = rss_mb(server.pid);
    let load_before = loadavg();
    let path = format!("/api/v1/channels/{channel}/messages");
    let mut sent: Vec<Option<Instant>> = vec![None; args.messages];
    let mut post_ms = Vec::with_capacity(args.messages);
    let mut tick = tokio::time::interval(Duration::from_millis(args.pace_ms.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    for (seq, slot) in sent.iter_mut().enumerate() {
        tick.tick().await;
        let at = Instant::now();
        *slot = Some(at);
        tenant
            .post(
                &path,
                json!({"text": format!("fan-out {} to every socket", marker(b'F', seq as u32))}),
            )
            .await?;
        post_ms.push(ms(at.elapsed()));
    }
    let posting = started.elapsed();
    let expected = (args.messages * args.sockets) as u64;
    let (done, got) = sockets
        .wait_for(b'F', expected, Duration::from_secs(30))
        .await;
    let cpu = cpu_seconds(server.pid) - cpu_before;
    let own_cpu = cpu_seconds(std::process::id()) - own_cpu_before;
    let rss_after = rss_mb(server.pid);
    let logs = sockets.close().await?;
    let ended = logs.iter().filter(|l| l.ended.is_some()).count();
    println!();
    println!(
        "== fanout: {} messages, one every {} ms, to {} sockets of {} users in one public channel (posting {:.2} s; load average {load_before} -> {}) ==",
        args.messages,
        args.pace_ms,
        args.sockets,
        args.users.min(args.sockets),
        posting.as_secs_f64(),
        loadavg()
    );
    if got < expected {
        println!("only {got} of {expected} deliveries arrived within 30 s; {ended} sockets ended");
    }
    let (all, last) = deliveries(&logs, b'F', &sent)?;
    let (p50, p99, max) = summarize(all.clone());
    let (l50, l99, lmax) = summarize(last);
    let (q50, q99, qmax) = summarize(post_ms);
    println!(
        "POST to receipt, all {} deliveries: p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms",
        all.len()
    );
    println!(
        "POST to the last socket's receipt, per message: p50 {l50:.2} ms  p99 {l99:.2} ms  max {lmax:.2} ms"
    );
    println!("POST response time: p50 {q50:.2} ms  p99 {q99:.2} ms  max {qmax:.2} ms");
    let wall = done.saturating_duration_since(started).as_secs_f64();
    println!(
        "every socket got every message exactly once ({got} deliveries); server CPU {cpu:.2} s = {:.1} us per delivery ({:.2} cores over {wall:.1} s); this client's CPU {own_cpu:.2} s; RSS {rss_before:.1} -> {rss_after:.1} MB; sockets ended early: {ended}",
        cpu * 1e6 / got.max(1) as f64,
        cpu / wall.max(1e-9),
    );
    Ok(())
}

/// Posts written and transactions committed so far by the server's message writer (the sum
/// and count of `atrium_chat_post_group_size` on `/metrics`; zeros when absent).
async fn post_groups(tenant: &Tenant) -> (f64, f64) {
    let Ok(response) = tenant
        .http
        .get(format!("{}/metrics", tenant.base))
        .send()
        .await
    else {
        return (0.0, 0.0);
    };
    let text = response.text().await.unwrap_or_default();
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        value("atrium_chat_post_group_size_sum "),
        value("atrium_chat_post_group_size_count "),
    )
}

/// One posting pass: messages/s, POST latency, server CPU; with `sockets` watching, delivery.
async fn post_pass(
    args: &Args,
    server: &BenchServer,
    tenant: &Arc<Tenant>,
    channel: &str,
    tag: u8,
    label: &str,
    sockets: Option<&Sockets>,
) -> anyhow::Result<Option<Vec<Option<Instant>>>> {
    let cpu_before = cpu_seconds(server.pid);
    let load_before = loadavg();
    let groups_before = post_groups(tenant).await;
    let next = Arc::new(AtomicU32::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let duration = Duration::from_secs_f64(args.post_secs);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..args.posters {
        let (tenant, next, errors) = (Arc::clone(tenant), Arc::clone(&next), Arc::clone(&errors));
        let path = format!("/api/v1/channels/{channel}/messages");
        tasks.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            while Instant::now() < deadline {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                let at = Instant::now();
                let text = format!("throughput {} lorem ipsum dolor", marker(tag, seq));
                match tenant.post(&path, json!({ "text": text })).await {
                    Ok(_) => sent.push((seq, at, ms(at.elapsed()))),
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("  post failed: {e:#}");
                        }
                    }
                }
            }
            sent
        }));
    }
    let mut posts = Vec::new();
    for task in tasks {
        posts.extend(task.await?);
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds(server.pid) - cpu_before;
    let total = next.load(Ordering::Relaxed) as usize;
    let (p50, p99, max) = summarize(posts.iter().map(|p| p.2).collect());
    println!();
    println!(
        "== post, {label}: {} posters for {:.1} s (load average {load_before} -> {}) ==",
        args.posters,
        elapsed.as_secs_f64(),
        loadavg()
    );
    println!(
        "{} messages posted = {:.0} messages/s; POST latency p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms; errors {}; server CPU {cpu:.2} s = {:.0} us per post",
        posts.len(),
        posts.len() as f64 / elapsed.as_secs_f64(),
        errors.load(Ordering::Relaxed),
        cpu * 1e6 / posts.len().max(1) as f64
    );
    let (posts_after, groups_after) = post_groups(tenant).await;
    let groups = groups_after - groups_before.1;
    if groups > 0.0 {
        println!(
            "the message writer committed them in {groups:.0} transactions ({:.1} posts each on average)",
            (posts_after - groups_before.0) / groups
        );
    }
    let Some(sockets) = sockets else {
        return Ok(None);
    };
    let mut sent = vec![None; total];
    for (seq, at, _) in &posts {
        sent[*seq as usize] = Some(*at);
    }
    let expected = (posts.len() * args.sockets) as u64;
    let (done, got) = sockets
        .wait_for(tag, expected, Duration::from_secs(60))
        .await;
    let cpu = cpu_seconds(server.pid) - cpu_before;
    println!(
        "{got} of {expected} deliveries to the {} sockets; the last arrived {:.2} s after posting stopped ({:.0} deliveries/s overall); server CPU incl. draining {cpu:.2} s = {:.1} us per delivery",
        args.sockets,
        done.saturating_duration_since(started + elapsed)
            .as_secs_f64(),
        got as f64 / done.saturating_duration_since(started).as_secs_f64(),
        cpu * 1e6 / got.max(1) as f64
    );
    Ok(Some(sent))
}

async fn post(args: &Args, server: &BenchServer) -> anyhow::Result<()> {
    let tenant = Arc::new(Tenant::create(server, args.users).await?);
    let open = tenant.create_channel(&tenant.project, "posting").await?;
    let private_project = tenant.create_project("Private", "private").await?;
    let hidden = tenant.create_channel(&private_project, "hidden").await?;
    let unwatched = tenant.create_channel(&tenant.project, "unwatched").await?;
    // Warm up: a few posts so the first figures do not include connection set-up.
    for i in 0..20 {
        tenant
            .post(
                &format!("/api/v1/channels/{unwatched}/messages"),
                json!({"text": format!("warm-up {i}")}),
            )
            .await?;
    }
    post_pass(
        args,
        server,
        &tenant,
        &unwatched,
        b'U',
        "no event socket open",
        None,
    )
    .await?;
    if args.sockets == 0 {
        return Ok(());
    }
    let sockets = Sockets::open(&tenant, args.sockets, server).await?;
    let label = format!(
        "{} sockets open, none of them may see the channel (private project)",
        args.sockets
    );
    post_pass(args, server, &tenant, &hidden, b'H', &label, None).await?;
    let label = format!(
        "{} sockets open, all watching the channel (every post delivered to each)",
        args.sockets
    );
    let sent = post_pass(args, server, &tenant, &open, b'W', &label, Some(&sockets)).await?;
    let logs = sockets.close().await?;
    let ended: Vec<&str> = logs.iter().filter_map(|l| l.ended.as_deref()).collect();
    if let Some(sent) = sent {
        let hidden_seen = logs
            .iter()
            .flat_map(|l| &l.receipts)
            .filter(|r| r.tag == b'H')
            .count();
        if hidden_seen > 0 {
            bail!(
                "{hidden_seen} messages of the private channel reached sockets that may not see it"
            );
        }
        match deliveries(&logs, b'W', &sent) {
            Ok((all, _)) => {
                let (p50, p99, max) = summarize(all);
                println!(
                    "POST to receipt under load, every delivery: p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms; every socket got every message exactly once"
                );
            }
            Err(e) => {
                // A finding of this pass, not a failure of the bench: report and go on.
                println!(
                    "NOT every delivery arrived: {e:#}; {} sockets ended early (first: {:?})",
                    ended.len(),
                    ended.first()
                );
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// History.

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A UUIDv7 string for a moment in ms (random low bits): ids of distinct ms sort by time.
fn id_at(ms: i64) -> uuid::Uuid {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        (ms / 1000) as u64,
        ((ms % 1000) * 1_000_000) as u32,
    );
    uuid::Uuid::new_v7(ts)
}

/// Inserts `count` top-level messages into `channel`, oldest first; returns their ids in order.
async fn seed(
    pool: &AnyPool,
    args: &Args,
    org: &str,
    channel: &str,
    author: &str,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    const ROWS_PER_INSERT: usize = 500;
    let count = args.history;
    // One second apart, ending a minute ago: every later post (and `now_v7`) sorts after.
    let first = now_ms() - 60_000 - count as i64 * 1000;
    let ids: Vec<uuid::Uuid> = (0..count).map(|i| id_at(first + i as i64 * 1000)).collect();
    let mut rng = Rng(11);
    let words = [
        "deploy", "review", "lunch", "ticket", "release", "meeting", "design", "bug", "fix",
        "merge", "standup", "coffee", "draft", "plan", "ship", "test",
    ];
    let started = Instant::now();
    let mut last_report = Instant::now();
    for (batch_no, batch) in ids.chunks(args.batch.max(1)).enumerate() {
        let mut tx = pool.begin().await?;
        let offset = batch_no * args.batch.max(1);
        for (chunk_no, chunk) in batch.chunks(ROWS_PER_INSERT).enumerate() {
            let mut sql = String::from(
                "insert into messages (id, org_id, channel_id, author_id, text, created_at) values ",
            );
            for r in 0..chunk.len() {
                let p = r * 6;
                if r > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6
                ));
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (r, id) in chunk.iter().enumerate() {
                let i = offset + chunk_no * ROWS_PER_INSERT + r;
                let n = 3 + rng.below(10);
                let text: Vec<&str> = (0..n).map(|_| words[rng.below(words.len())]).collect();
                query = query
                    .bind(id.to_string())
                    .bind(org.to_owned())
                    .bind(channel.to_owned())
                    .bind(author.to_owned())
                    .bind(format!("#{i} {}", text.join(" ")))
                    .bind(first + i as i64 * 1000);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            println!(
                "  {} rows in {:.1} s",
                offset + batch.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let elapsed = started.elapsed();
    println!(
        "seeded {count} messages in {:.1} s ({:.0} rows/s)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(ids)
}

/// One paging pass: `pages` requests spread over `clients`, each `before` a random seeded id.
async fn page_pass(
    tenant: &Arc<Tenant>,
    channel: &str,
    ids: &Arc<Vec<uuid::Uuid>>,
    pages: usize,
    clients: usize,
    seed: u64,
) -> anyhow::Result<(Vec<f64>, Duration)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (tenant, ids, channel) = (Arc::clone(tenant), Arc::clone(ids), channel.to_owned());
        let n = pages / clients + usize::from(c < pages % clients);
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(seed + c as u64 * 7919);
            let mut latencies = Vec::with_capacity(n);
            for _ in 0..n {
                let i = rng.below(ids.len());
                let before = ids[i].to_string();
                let path = format!("/api/v1/channels/{channel}/messages?before={before}&limit=50");
                let at = Instant::now();
                let page = call(
                    &tenant.http,
                    &tenant.base,
                    reqwest::Method::GET,
                    &path,
                    Some(&tenant.owner.token),
                    None,
                )
                .await?;
                latencies.push(ms(at.elapsed()));
                let items = page["items"].as_array().context("items")?;
                if items.len() != i.min(50) {
                    bail!(
                        "page before message {i} has {} items, expected {}",
                        items.len(),
                        i.min(50)
                    );
                }
                let last = items
                    .last()
                    .and_then(|m| m["id"].as_str())
                    .map(str::to_owned);
                if i > 0 && last != Some(ids[i - 1].to_string()) {
                    bail!(
                        "page before message {i} does not end with message {}",
                        i - 1
                    );
                }
                if page["has_more_after"] != json!(true) || page["has_more_before"] != json!(i > 50)
                {
                    bail!(
                        "page before message {i}: wrong has_more flags: {}",
                        page["has_more_before"]
                    );
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(pages);
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok((latencies, started.elapsed()))
}

/// The server's page query alone, straight on the database, at random positions.
async fn sql_pass(
    pool: &AnyPool,
    channel: &str,
    ids: &[uuid::Uuid],
    count: usize,
) -> anyhow::Result<Vec<f64>> {
    // As `server/src/chat/store/messages.rs` `page` (Window::Before) selects, minus the join's
    // column list details: same predicate, order and limit.
    let sql = "select m.id, m.org_id, m.channel_id, m.thread_id, m.author_id, u.handle, u.name, m.text, m.created_at,
            m.edited_at, m.deleted_at, m.reply_count, m.last_reply_at, m.participant_ids, m.mention_ids, m.attachments
        from messages m join users u on u.id = m.author_id
        where m.channel_id = $1 and m.thread_id is null and m.id < $3 order by m.id desc limit $2";
    let mut rng = Rng(5);
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let before = ids[rng.below(ids.len())].to_string();
        let at = Instant::now();
        let rows = sqlx::query(sql)
            .bind(channel.to_owned())
            .bind(51i64)
            .bind(before)
            .fetch_all(pool)
            .await?;
        latencies.push(ms(at.elapsed()));
        drop(rows);
    }
    Ok(latencies)
}

async fn history(args: &Args, server: &BenchServer, database_url: &str) -> anyhow::Result<()> {
    if args.history == 0 {
        bail!("--history must be positive");
    }
    let tenant = Arc::new(Tenant::create(server, 0).await?);
    let channel = tenant.create_channel(&tenant.project, "history").await?;
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                use sqlx::Executor as _;
                if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                    conn.execute("pragma busy_timeout = 10000").await?;
                }
                Ok(())
            })
        })
        .connect(database_url)
        .await?;
    let cpu_before = cpu_seconds(server.pid);
    let ids = Arc::new(seed(&pool, args, &tenant.org, &channel, &tenant.owner.id).await?);
    println!(
        "server CPU during seeding {:.1} s; RSS {:.1} MB",
        cpu_seconds(server.pid) - cpu_before,
        rss_mb(server.pid)
    );
    if args.backend == DbBackend::Postgres {
        // Autovacuum would analyze the table soon after a million inserts; do it now.
        sqlx::query("analyze messages").execute(&pool).await?;
    }
    let db_bytes: u64 = match args.backend {
        DbBackend::Sqlite => std::fs::metadata(server.data_dir.path().join("atrium.db"))
            .map(|m| m.len())
            .unwrap_or(0),
        DbBackend::Postgres => {
            let (size,): (i64,) = sqlx::query_as("select pg_total_relation_size('messages')")
                .fetch_one(&pool)
                .await?;
            size as u64
        }
    };
    println!(
        "database size (SQLite: the whole file; PostgreSQL: the messages table with its indexes) {:.0} MiB",
        db_bytes as f64 / 1_048_576.0
    );

    // Warm-up, then the passes.
    page_pass(&tenant, &channel, &ids, 300, 1, 1).await?;
    let cpu_before = cpu_seconds(server.pid);
    let load_before = loadavg();
    let (one, one_wall) = page_pass(&tenant, &channel, &ids, args.pages, 1, 2).await?;
    let cpu_one = cpu_seconds(server.pid) - cpu_before;
    let (many, many_wall) = page_pass(
        &tenant,
        &channel,
        &ids,
        args.pages,
        args.page_clients.max(1),
        3,
    )
    .await?;
    let mut newest = Vec::new();
    for _ in 0..200 {
        let at = Instant::now();
        let page = call(
            &tenant.http,
            &tenant.base,
            reqwest::Method::GET,
            &format!("/api/v1/channels/{channel}/messages?limit=50"),
            Some(&tenant.owner.token),
            None,
        )
        .await?;
        newest.push(ms(at.elapsed()));
        if page["items"].as_array().map(Vec::len) != Some(50) {
            bail!("the newest page does not have 50 items");
        }
    }
    let sql = sql_pass(&pool, &channel, &ids, args.pages.min(2000)).await?;
    println!();
    println!(
        "== history: {} messages in one channel ({:?}), pages of 50 before a random message (load average {load_before} -> {}) ==",
        ids.len(),
        args.backend,
        loadavg()
    );
    let n1 = one.len();
    let (p50, p99, max) = summarize(one);
    println!(
        "HTTP, 1 client: {n1} pages, p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms ({:.0} pages/s; server CPU {:.0} us per page)",
        n1 as f64 / one_wall.as_secs_f64(),
        cpu_one * 1e6 / n1.max(1) as f64
    );
    let nm = many.len();
    let (p50, p99, max) = summarize(many);
    println!(
        "HTTP, {} clients: {nm} pages, p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms ({:.0} pages/s)",
        args.page_clients.max(1),
        nm as f64 / many_wall.as_secs_f64()
    );
    let (p50, p99, max) = summarize(newest);
    println!(
        "HTTP, newest page (no cursor), 200 requests: p50 {p50:.2} ms  p99 {p99:.2} ms  max {max:.2} ms"
    );
    let ns = sql.len();
    let (p50, p99, max) = summarize(sql);
    println!(
        "the page query alone on the database (this process, one connection): {ns} queries, p50 {p50:.3} ms  p99 {p99:.3} ms  max {max:.3} ms"
    );
    pool.close().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "atrium-chat-bench: {:?} on {:?}; {} cores; load average {}",
        args.scenario,
        args.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let private_pg;
    let admin_url = match (args.backend, &args.pg_url) {
        (DbBackend::Sqlite, _) => None,
        (DbBackend::Postgres, Some(url)) => Some(url.clone()),
        (DbBackend::Postgres, None) => {
            private_pg = PrivatePostgres::start();
            Some(private_pg.admin_url())
        }
    };
    for scenario in &args.scenario {
        let database = match &admin_url {
            Some(url) => Some(TestDatabase::create_postgres(url).await),
            None => None,
        };
        let env: Vec<(&str, &str)> = database
            .iter()
            .map(|d| ("ATRIUM_DATABASE_URL", d.url()))
            .collect();
        let mut server = BenchServer::start(&args.bin, &env).await?;
        let database_url = match &database {
            Some(d) => d.url().to_owned(),
            None => format!(
                "sqlite://{}",
                server.data_dir.path().join("atrium.db").display()
            ),
        };
        println!();
        println!("--- {scenario:?}: server {} ---", server.base);
        let result = match scenario {
            Scenario::Fanout => fanout(&args, &server).await,
            Scenario::Post => post(&args, &server).await,
            Scenario::History => history(&args, &server, &database_url).await,
        };
        server.child.kill().await.ok();
        drop(database);
        result?;
    }
    Ok(())
}
