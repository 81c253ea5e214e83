//! `atrium-records-bench`: a million records of one type in one organisation — filtered and
//! sorted list pages, creations with child rows, a CSV import and a streamed CSV export —
//! against a release `atrium`.
//!
//! ```text
//! atrium-records-bench --bin target/release/atrium [--backend sqlite|postgres [--pg-url URL]]
//!     [--keep DIR [--pg-database NAME]] [--records 1000000 --seed-batch 100000]
//!     [--lists 500 --creates 300 --children 20 --import-rows 100000] [--skip-export]
//! ```
//!
//! One server (SQLite by default: WAL, `synchronous=full`; or PostgreSQL), one organisation,
//! one custom type `job`: a title, a select `status` (5 options), a date `due` (2020–2026), a
//! money `amount`, a child table `lines` (description, quantity, unit price, a computed amount)
//! and a computed `total`.
//!
//! Seeding goes through the server's own CSV import (`POST …/records/job/import.csv`, batches
//! of `--seed-batch` rows, each row with two child rows), so the rows are exactly what the engine
//! writes: records, index rows, history, change feed and events. With `--keep DIR` the data
//! directory (SQLite file) — and, on PostgreSQL, the database `--pg-database` — are kept, with
//! a state file saying how far seeding got; a later run reuses them and seeds only what is
//! missing.
//!
//! Then, each timed from sending the request to the last byte on loopback (the server's time
//! plus a loopback round trip, an upper bound of the server time):
//! - list: `--lists` first pages of 50 of `?status=S&due.gte=Y-M-01&due.lte=Y-M-28&sort=-due`
//!   (a random status and month each), every page checked against the filter and order; every
//!   fifth also fetches the next page through its cursor. Two more shapes, fewer times: the
//!   status alone, sorted by due, and the whole type in its default order. Pages do not carry
//!   the totals of the filtered set unless asked (`totals=true`, what the browser asks with a
//!   list's first page): `--lists / 10` first pages of the first shape are timed with them.
//! - create: `--creates` creations, one after another, each with `--children` child rows.
//! - export: the whole type as CSV, read as a stream; the server's RSS sampled every 50 ms.
//! - import: `--import-rows` rows into a fresh type of the same schema, in one request.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use atrium_search::corpus::Rng;
use atrium_tests::TestDatabase;
use atrium_tests::bench::tenant::{Actor, Tenant, call, login};
use atrium_tests::bench::{BenchServer, DataDir, cpu_seconds, rss_mb, summarize};
use atrium_tests::services::PrivatePostgres;
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DbBackend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(about = "A million records: lists, creations, CSV import and export")]
struct Args {
    /// The atrium binary to start (a release build gives meaningful figures).
    #[arg(long, default_value = "target/release/atrium")]
    bin: PathBuf,
    /// Database of the server: its own SQLite file, or a PostgreSQL database.
    #[arg(long, value_enum, default_value_t = DbBackend::Sqlite)]
    backend: DbBackend,
    /// Admin URL of a PostgreSQL server for `--backend postgres` (else one is started).
    #[arg(long)]
    pg_url: Option<String>,
    /// Keep the server's data directory here (and the PostgreSQL database) and reuse what an
    /// earlier run seeded.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// Name of the kept PostgreSQL database (with `--keep`).
    #[arg(long, default_value = "atrium_records_bench")]
    pg_database: String,
    /// Records of the type `job`.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Rows per seeding import.
    #[arg(long, default_value_t = 100_000)]
    seed_batch: usize,
    /// Filtered list pages timed.
    #[arg(long, default_value_t = 500)]
    lists: usize,
    /// Creations timed.
    #[arg(long, default_value_t = 300)]
    creates: usize,
    /// Child rows of each timed creation.
    #[arg(long, default_value_t = 20)]
    children: usize,
    /// Rows of the timed import (0: none).
    #[arg(long, default_value_t = 100_000)]
    import_rows: usize,
    /// Leave out the export of the whole type.
    #[arg(long)]
    skip_export: bool,
}

const STATUSES: [&str; 5] = ["open", "pending", "won", "lost", "archived"];
const FIRST_YEAR: usize = 2020;
const YEARS: usize = 7;

/// How far seeding of a kept directory got.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SeedState {
    org: String,
    records: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn job_type(slug: &str) -> Value {
    json!({
        "slug": slug,
        "name": "Job",
        "fields": [
            {"name": "title", "type": "text", "required": true},
            {"name": "status", "type": "select", "options": STATUSES},
            {"name": "due", "type": "date"},
            {"name": "amount", "type": "money"},
            {"name": "lines", "type": "table", "fields": [
                {"name": "description", "type": "text", "required": true},
                {"name": "quantity", "type": "number"},
                {"name": "unit_price", "type": "money"},
                {"name": "amount", "type": "money", "computed": {"product": ["quantity", "unit_price"]}}
            ]},
            {"name": "total", "type": "money", "computed": {"sum": "lines.amount"}}
        ]
    })
}

/// A random date of the bench's years (days 1–28, so every month window is `01`–`28`).
fn due(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        FIRST_YEAR + rng.below(YEARS),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

fn child(i: usize, rng: &mut Rng) -> Value {
    json!({
        "description": format!("Line {i}: work done on site"),
        "quantity": format!("{}.5", 1 + rng.below(9)),
        "unit_price": 100 + rng.below(99_900),
    })
}

/// `rows` CSV rows of the `job` schema, numbered from `first`.
fn csv_rows(first: usize, rows: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ first as u64);
    let mut csv = String::with_capacity(rows * 260);
    csv.push_str("title,status,due,amount,lines\n");
    for i in first..first + rows {
        let lines = json!([child(1, &mut rng), child(2, &mut rng)]).to_string();
        csv.push_str(&format!(
            "Job {i} for a customer of the bench,{},{},{},\"{}\"\n",
            STATUSES[rng.below(STATUSES.len())],
            due(&mut rng),
            rng.below(1_000_000),
            lines.replace('"', "\"\"")
        ));
    }
    csv
}

struct Bench {
    http: reqwest::Client,
    base: String,
    owner: Actor,
    org: String,
    pid: u32,
}

impl Bench {
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        call(
            &self.http,
            &self.base,
            reqwest::Method::GET,
            path,
            Some(&self.owner.token),
            None,
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        call(
            &self.http,
            &self.base,
            reqwest::Method::POST,
            path,
            Some(&self.owner.token),
            Some(body),
        )
        .await
    }

    /// Imports `csv` into `slug`; the time it took, and the server's peak RSS meanwhile.
    async fn import(&self, slug: &str, csv: String) -> anyhow::Result<(Duration, f64)> {
        let url = format!(
            "{}/api/v1/orgs/{}/records/{slug}/import.csv",
            self.base, self.org
        );
        let sampler = RssSampler::start(self.pid);
        let started = Instant::now();
        let response = self
            .http
            .post(url)
            .bearer_auth(&self.owner.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        let took = started.elapsed();
        let peak = sampler.stop().await;
        ensure!(status.is_success(), "import: {status}: {body}");
        Ok((took, peak))
    }
}

/// Samples a process's RSS every 50 ms until stopped; the peak.
struct RssSampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<f64>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = rss_mb(pid);
            while !flag.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(50)).await;
                peak = peak.max(rss_mb(pid));
            }
            peak
        });
        Self { stop, task }
    }

    async fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or(f64::NAN)
    }
}

async fn seed(
    bench: &Bench,
    state: &mut SeedState,
    args: &Args,
    keep: Option<&PathBuf>,
) -> anyhow::Result<()> {
    if state.records >= args.records {
        println!("seed: {} records already there (kept)", state.records);
        return Ok(());
    }
    let started = Instant::now();
    while state.records < args.records {
        let rows = args.seed_batch.min(args.records - state.records);
        let csv = csv_rows(state.records, rows);
        let (took, peak) = bench.import("job", csv).await?;
        state.records += rows;
        println!(
            "seed: imported {rows} rows in {:.1} s ({:.0} rows/s; peak RSS {peak:.0} MB); {} records",
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64(),
            state.records
        );
        if let Some(dir) = keep {
            std::fs::write(dir.join("records-bench.json"), serde_json::to_vec(state)?)?;
        }
    }
    println!(
        "seed: {} records in {:.1} s",
        args.records,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Times `path` `n` times (a fresh path from `make` each time); checks each page with `check`.
async fn time_lists(
    bench: &Bench,
    what: &str,
    n: usize,
    mut make: impl FnMut(&mut Rng) -> String,
    check: impl Fn(&str, &Value) -> anyhow::Result<()>,
    follow_every: usize,
) -> anyhow::Result<()> {
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut firsts = Vec::with_capacity(n);
    let mut nexts = Vec::new();
    let cpu_before = cpu_seconds(bench.pid);
    let mut requests = 0;
    for i in 0..n {
        let path = make(&mut rng);
        let sent = Instant::now();
        let page = bench.get(&path).await?;
        firsts.push(ms(sent.elapsed()));
        requests += 1;
        check(&path, &page)?;
        if follow_every > 0
            && i % follow_every == 0
            && let Some(next) = page["next"].as_str()
        {
            let path = format!("{path}&cursor={next}");
            let sent = Instant::now();
            let second = bench.get(&path).await?;
            nexts.push(ms(sent.elapsed()));
            requests += 1;
            check(&path, &second)?;
        }
    }
    let cpu = cpu_seconds(bench.pid) - cpu_before;
    let (p50, p99, max) = summarize(firsts);
    println!(
        "list {what}: {n} first pages: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; server CPU {:.2} ms per request",
        cpu * 1000.0 / requests as f64
    );
    if !nexts.is_empty() {
        let count = nexts.len();
        let (p50, p99, max) = summarize(nexts);
        println!(
            "list {what}: {count} next pages (cursor): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
        );
    }
    Ok(())
}

async fn lists(bench: &Bench, args: &Args) -> anyhow::Result<()> {
    let base = format!("/api/v1/orgs/{}/records/job", bench.org);
    let filtered = |rng: &mut Rng| {
        let status = STATUSES[rng.below(STATUSES.len())];
        let year = FIRST_YEAR + rng.below(YEARS);
        let month = 1 + rng.below(12);
        format!(
            "{base}?status={status}&due.gte={year}-{month:02}-01&due.lte={year}-{month:02}-28&sort=-due&limit=50"
        )
    };
    let check_filtered = |path: &str, page: &Value| {
        let items = page["items"].as_array().context("items")?;
        ensure!(
            items.len() == 50 || page["next"].is_null(),
            "{path}: {} items and more to come",
            items.len()
        );
        let query: std::collections::HashMap<&str, &str> = path
            .split_once('?')
            .map(|(_, q)| q.split('&').filter_map(|kv| kv.split_once('=')).collect())
            .unwrap_or_default();
        let mut previous: Option<&str> = None;
        for item in items {
            ensure!(item["status"] == query["status"], "{path}: wrong status");
            let due = item["due"].as_str().context("due")?;
            ensure!(
                due >= query["due.gte"] && due <= query["due.lte"],
                "{path}: due {due} out of range"
            );
            ensure!(previous.is_none_or(|p| p >= due), "{path}: not sorted");
            previous = Some(due);
        }
        // Totals only when asked for (`totals=true`).
        ensure!(
            page["totals"]["amount"].is_i64() == path.contains("totals=true"),
            "{path}: totals {}",
            page["totals"]
        );
        Ok(())
    };
    time_lists(
        bench,
        "status + month, sorted by due",
        args.lists,
        filtered,
        check_filtered,
        5,
    )
    .await?;
    let with_totals = |rng: &mut Rng| format!("{}&totals=true", filtered(rng));
    time_lists(
        bench,
        "status + month, sorted by due, with the totals",
        (args.lists / 10).max(1),
        with_totals,
        check_filtered,
        0,
    )
    .await?;

    let full = |path: &str, page: &Value| {
        let items = page["items"].as_array().context("items")?;
        ensure!(
            items.len() == 50 || page["next"].is_null(),
            "{path}: {} items and more to come",
            items.len()
        );
        Ok(())
    };
    let by_status = |rng: &mut Rng| {
        format!(
            "{base}?status={}&sort=-due&limit=50",
            STATUSES[rng.below(STATUSES.len())]
        )
    };
    time_lists(
        bench,
        "status only, sorted by due",
        (args.lists / 10).max(1),
        by_status,
        full,
        0,
    )
    .await?;
    let everything = |_: &mut Rng| format!("{base}?limit=50");
    time_lists(
        bench,
        "all, default order",
        (args.lists / 10).max(1),
        everything,
        full,
        0,
    )
    .await
}

async fn creates(bench: &Bench, args: &Args) -> anyhow::Result<()> {
    let path = format!("/api/v1/orgs/{}/records/job", bench.org);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut latencies = Vec::with_capacity(args.creates);
    let cpu_before = cpu_seconds(bench.pid);
    for i in 0..args.creates {
        let lines: Vec<Value> = (0..args.children).map(|c| child(c, &mut rng)).collect();
        let body = json!({
            "title": format!("Created job {i}"),
            "status": STATUSES[rng.below(STATUSES.len())],
            "due": due(&mut rng),
            "amount": rng.below(1_000_000),
            "lines": lines,
        });
        let sent = Instant::now();
        let created = bench.post(&path, body).await?;
        latencies.push(ms(sent.elapsed()));
        ensure!(
            created["lines"].as_array().map(Vec::len) == Some(args.children),
            "the record came back without its {} child rows",
            args.children
        );
    }
    let cpu = cpu_seconds(bench.pid) - cpu_before;
    let (p50, p99, max) = summarize(latencies);
    println!(
        "create: {} records with {} child rows each: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; server CPU {:.2} ms per create",
        args.creates,
        args.children,
        cpu * 1000.0 / args.creates as f64
    );
    Ok(())
}

async fn export(bench: &Bench) -> anyhow::Result<()> {
    let url = format!(
        "{}/api/v1/orgs/{}/records/job/export.csv",
        bench.base, bench.org
    );
    let before = rss_mb(bench.pid);
    let sampler = RssSampler::start(bench.pid);
    let cpu_before = cpu_seconds(bench.pid);
    let started = Instant::now();
    let response = bench
        .http
        .get(url)
        .bearer_auth(&bench.owner.token)
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "export: {}",
        response.status()
    );
    let mut body = response.bytes_stream();
    let mut bytes = 0usize;
    let mut lines = 0usize;
    let mut first_byte = None;
    let mut rss_at_half = None;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        first_byte.get_or_insert_with(|| started.elapsed());
        bytes += chunk.len();
        lines += chunk.iter().filter(|&&b| b == b'\n').count();
        if rss_at_half.is_none() && lines > 500_000 {
            rss_at_half = Some(rss_mb(bench.pid));
        }
    }
    let took = started.elapsed();
    let cpu = cpu_seconds(bench.pid) - cpu_before;
    let peak = sampler.stop().await;
    println!(
        "export: {} rows ({:.0} MB) in {:.1} s, first byte after {:.0} ms; server CPU {:.1} s; server RSS {before:.0} MB before, {:.0} MB half way, peak {peak:.0} MB, {:.0} MB after",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        ms(first_byte.unwrap_or_default()),
        cpu,
        rss_at_half.unwrap_or(f64::NAN),
        rss_mb(bench.pid)
    );
    Ok(())
}

async fn import(bench: &Bench, args: &Args) -> anyhow::Result<()> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let slug = format!("imp{stamp}");
    bench
        .post(
            &format!("/api/v1/orgs/{}/record-types", bench.org),
            job_type(&slug),
        )
        .await?;
    let csv = csv_rows(0, args.import_rows);
    let mb = csv.len() as f64 / 1e6;
    let before = rss_mb(bench.pid);
    let cpu_before = cpu_seconds(bench.pid);
    let (took, peak) = bench.import(&slug, csv).await?;
    let cpu = cpu_seconds(bench.pid) - cpu_before;
    let listed = bench
        .get(&format!(
            "/api/v1/orgs/{}/records/{slug}?limit=1",
            bench.org
        ))
        .await?;
    ensure!(
        listed["items"].as_array().is_some_and(|i| i.len() == 1),
        "the imported type lists nothing"
    );
    println!(
        "import: {} rows ({mb:.1} MB of CSV) into a fresh type in {:.1} s ({:.0} rows/s); server CPU {cpu:.1} s; server RSS {before:.0} MB before, peak {peak:.0} MB",
        args.import_rows,
        took.as_secs_f64(),
        args.import_rows as f64 / took.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.seed_batch > 0, "--seed-batch must be positive");
    println!(
        "atrium-records-bench on {:?}; {} cores",
        args.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
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
    let mut state = SeedState::default();
    let (database, data_dir) = match &args.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            // On SQLite the database is the data directory's own file.
            let mut fresh = !dir.join("atrium.db").exists();
            let database = match &admin_url {
                Some(url) => {
                    let (db, created) = TestDatabase::kept_postgres(url, &args.pg_database).await;
                    fresh = created;
                    Some(db)
                }
                None => None,
            };
            let state_file = dir.join("records-bench.json");
            if let Ok(text) = std::fs::read(&state_file) {
                ensure!(
                    !fresh,
                    "{} exists but the database was just created: remove the directory",
                    state_file.display()
                );
                state = serde_json::from_slice(&text)?;
            }
            (database, DataDir::Kept(dir.clone()))
        }
        None => {
            let database = match &admin_url {
                Some(url) => Some(TestDatabase::create_postgres(url).await),
                None => None,
            };
            (database, DataDir::Fresh(tempfile::tempdir()?))
        }
    };
    let env: Vec<(&str, &str)> = database
        .iter()
        .map(|d| ("ATRIUM_DATABASE_URL", d.url()))
        .collect();
    let mut server = BenchServer::start_in(&args.bin, data_dir, &env).await?;
    let result = async {
        let bench = if state.org.is_empty() {
            let tenant = Tenant::create(&server, 0).await?;
            tenant
                .post(
                    &format!("/api/v1/orgs/{}/record-types", tenant.org),
                    job_type("job"),
                )
                .await?;
            state.org = tenant.org.clone();
            if let Some(dir) = &args.keep {
                std::fs::write(dir.join("records-bench.json"), serde_json::to_vec(&state)?)?;
            }
            Bench {
                http: tenant.http,
                base: tenant.base,
                owner: tenant.owner,
                org: tenant.org,
                pid: server.pid,
            }
        } else {
            let http = reqwest::Client::new();
            let owner = login(&http, &server.base, "owner").await?;
            Bench {
                http,
                base: server.base.clone(),
                owner,
                org: state.org.clone(),
                pid: server.pid,
            }
        };
        seed(&bench, &mut state, &args, args.keep.as_ref()).await?;
        println!("server RSS after seeding: {:.0} MB", rss_mb(server.pid));
        lists(&bench, &args).await?;
        creates(&bench, &args).await?;
        if !args.skip_export {
            export(&bench).await?;
        }
        if args.import_rows > 0 {
            import(&bench, &args).await?;
        }
        anyhow::Ok(())
    }
    .await;
    server.child.kill().await.ok();
    drop(database);
    result
}
