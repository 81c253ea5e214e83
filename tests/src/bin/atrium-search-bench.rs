//! `atrium-search-bench`: search over HTTP against a release `atrium` on PostgreSQL, side by side
//! with PostgreSQL full-text search (tsvector + GIN) on the same data, in the same run.
//!
//! ```text
//! atrium-search-bench --bin target/release/atrium --messages 1000000 --docs 10000 --queries 2000
//!     [--pg-url postgres://postgres@127.0.0.1:PORT/postgres]
//! ```
//!
//! 1. Starts a PostgreSQL server of its own (`scripts/services/postgres.sh` on a free port,
//!    stopped at the end) unless `--pg-url` names one, creates a fresh database and starts
//!    `atrium serve` on it with high rate limits.
//! 2. Creates a user, an organisation and `--projects` projects over HTTP.
//! 3. Appends generated documents, then chat messages, as change-feed rows (kind `doc` and
//!    `message`, with the payload `server/src/search/feed.rs` reads) straight into `change_feed`
//!    in large transactions, the way chat's writes will. Indexing throughput is the time from the
//!    first row inserted until `atrium_search_lag` on `/metrics` is 0 and the last row is found
//!    by a search.
//! 4. Waits for the server to go idle (background merges), then loads the same texts into
//!    `bench_messages(id, kind, body, tsv)` and builds a GIN index on `tsv`.
//! 5. Runs one query set (the in-process bench's: single words, two words, phrases, prefixes,
//!    typos, CJK, rare words) through `GET /api/v1/orgs/{org}/search?q=…&limit=20` and through
//!    PostgreSQL (`websearch_to_tsquery`, `ts_rank`, `ts_headline`), each one client at a time
//!    and with `--clients` concurrent clients, and prints p50/p99 side by side.
//!
//! The text generator is the one of `search/benches/search.rs` (same vocabulary, same seeds),
//! so figures compare with the in-process benchmark. Every message is readable by the querying
//! user (an org owner; messages sit in public channels of the org's projects), so both sides
//! search the same rows and PostgreSQL needs no permission filter.

use atrium_search::corpus::{CJK, Corpus, Rng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use atrium_tests::TestDatabase;
use atrium_tests::bench::{BenchServer, cpu_seconds, percentile, rss_mb};
use atrium_tests::services::PrivatePostgres;
use clap::Parser;
use serde_json::{Value, json};
use sqlx::postgres::{PgPool, PgPoolOptions};

#[derive(Debug, Parser)]
#[command(about = "Atrium search over HTTP vs PostgreSQL full-text search, same data, same run")]
struct Args {
    /// The atrium binary to start (a release build gives meaningful figures).
    #[arg(long, default_value = "target/release/atrium")]
    bin: PathBuf,
    /// Chat messages to generate.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Documents (200–1,000 words) to generate.
    #[arg(long, default_value_t = 10_000)]
    docs: usize,
    /// Queries per measured pass.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Admin URL of a PostgreSQL server to use instead of starting one.
    #[arg(long)]
    pg_url: Option<String>,
    /// Change-feed rows per insert transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Concurrent clients of the concurrent passes.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Projects the messages are spread over.
    #[arg(long, default_value_t = 10)]
    projects: usize,
    /// Text search configuration of the PostgreSQL side.
    #[arg(long, default_value = "simple")]
    ts_config: String,
    /// Longest wait for the server to go idle (merges) before querying, in seconds.
    #[arg(long, default_value_t = 300)]
    settle_secs: u64,
}

/// A word no generated text contains: appended to the last row of each phase to see when it is
/// searchable.
const LAST_DOC_MARK: &str = "zqxlastdocmarkzqx";
const LAST_MESSAGE_MARK: &str = "zqxlastmessagemarkzqx";

const YEAR_MS: i64 = 365 * 86_400_000;
/// Channels per project; all public, so the org owner may read every message.
const CHANNELS: usize = 5;

/// One generated entity, as the change feed and the PostgreSQL table get it.
struct Item {
    id: String,
    project: usize,
    channel: Option<usize>,
    title: String,
    body: String,
    created: i64,
}

/// Message `i` of `total`: 5–40 words (3% CJK), in one of the projects' public channels.
fn message(
    corpus: &Corpus,
    rng: &mut Rng,
    i: usize,
    total: usize,
    projects: usize,
    now: i64,
) -> Item {
    let project = rng.below(projects);
    let channel = rng.below(CHANNELS);
    let len = 5 + rng.below(36);
    let created = now - (rng.unit() * YEAR_MS as f64) as i64;
    let mut body = corpus.text(rng, len);
    if i + 1 == total {
        body.push(' ');
        body.push_str(LAST_MESSAGE_MARK);
    }
    Item {
        id: format!("msg-{i:08}"),
        project,
        channel: Some(channel),
        title: String::new(),
        body,
        created,
    }
}

/// Document `i` of `total`: a 2–6 word title and 200–1,000 words.
fn document(
    corpus: &Corpus,
    rng: &mut Rng,
    i: usize,
    total: usize,
    projects: usize,
    now: i64,
) -> Item {
    let project = rng.below(projects);
    let created = now - (rng.unit() * YEAR_MS as f64) as i64;
    let title_len = 2 + rng.below(5);
    let body_len = 200 + rng.below(800);
    let mut title = corpus.text(rng, title_len);
    if i + 1 == total {
        title.push(' ');
        title.push_str(LAST_DOC_MARK);
    }
    Item {
        id: format!("doc-{i:08}"),
        project,
        channel: None,
        title,
        body: corpus.text(rng, body_len),
        created,
    }
}

/// Which generator, with its seed (the in-process bench's: 7 for messages, 8 for documents).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Docs,
    Messages,
}

impl Phase {
    fn kind(self) -> &'static str {
        match self {
            Phase::Docs => "doc",
            Phase::Messages => "message",
        }
    }
    fn seed(self) -> u64 {
        match self {
            Phase::Docs => 8,
            Phase::Messages => 7,
        }
    }
    fn mark(self) -> &'static str {
        match self {
            Phase::Docs => LAST_DOC_MARK,
            Phase::Messages => LAST_MESSAGE_MARK,
        }
    }
}

/// Yields the items of a phase in batches; the same seed gives the same items on every pass.
struct Generator<'a> {
    corpus: &'a Corpus,
    rng: Rng,
    phase: Phase,
    next: usize,
    total: usize,
    projects: usize,
    now: i64,
}

impl<'a> Generator<'a> {
    fn new(corpus: &'a Corpus, phase: Phase, total: usize, projects: usize, now: i64) -> Self {
        Self {
            corpus,
            rng: Rng(phase.seed()),
            phase,
            next: 0,
            total,
            projects,
            now,
        }
    }

    fn batch(&mut self, size: usize) -> Vec<Item> {
        let end = (self.next + size).min(self.total);
        let items = (self.next..end)
            .map(|i| match self.phase {
                Phase::Docs => document(
                    self.corpus,
                    &mut self.rng,
                    i,
                    self.total,
                    self.projects,
                    self.now,
                ),
                Phase::Messages => message(
                    self.corpus,
                    &mut self.rng,
                    i,
                    self.total,
                    self.projects,
                    self.now,
                ),
            })
            .collect();
        self.next = end;
        items
    }
}

// ---------------------------------------------------------------------------------------------
// The server.

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Segments in the index's last commit, from tantivy's `meta.json`.
fn segments(index_dir: &Path) -> Option<usize> {
    let meta = std::fs::read_to_string(index_dir.join("meta.json")).ok()?;
    let meta: Value = serde_json::from_str(&meta).ok()?;
    Some(meta["segments"].as_array()?.len())
}

/// What the HTTP setup created.
struct Tenant {
    token: String,
    user_id: String,
    org: String,
    projects: Vec<String>,
}

async fn setup(http: &reqwest::Client, base: &str, projects: usize) -> anyhow::Result<Tenant> {
    let post = |path: &str, body: Value, token: Option<&str>| {
        let mut request = http.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let credentials = json!({"email": "bench@example.com", "password": "search bench password"});
    post(
        "/api/v1/auth/signup",
        json!({"email": "bench@example.com", "password": "search bench password", "name": "Bench"}),
        None,
    )
    .await?
    .error_for_status()?;
    let login: Value = post("/api/v1/auth/login", credentials, None)
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?.to_owned();
    let user_id = login["user"]["id"].as_str().context("user id")?.to_owned();
    let org: Value = post("/api/v1/orgs", json!({"name": "Bench"}), Some(&token))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let org = org["id"].as_str().context("org id")?.to_owned();
    let mut ids = Vec::with_capacity(projects);
    for i in 0..projects {
        let project: Value = post(
            &format!("/api/v1/orgs/{org}/projects"),
            json!({"name": format!("Project {i}")}),
            Some(&token),
        )
        .await?
        .error_for_status()?
        .json()
        .await?;
        ids.push(project["id"].as_str().context("project id")?.to_owned());
    }
    Ok(Tenant {
        token,
        user_id,
        org,
        projects: ids,
    })
}

/// The value of an unlabelled gauge or counter on `/metrics`.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let rest = l.strip_prefix(name)?;
        let value = rest.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// Cumulative buckets `(le, count)` of a histogram on `/metrics`, `+Inf` as infinity.
fn histogram(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{le=\"");
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, rest) = rest.split_once("\"}")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, rest.trim().parse().ok()?))
        })
        .collect()
}

/// A quantile of the observations between two snapshots of a histogram, interpolated linearly
/// inside its bucket.
fn histogram_quantile(before: &[(f64, f64)], after: &[(f64, f64)], q: f64) -> Option<f64> {
    let delta: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, n)| {
            let was = before
                .iter()
                .find(|(l, _)| l == le)
                .map_or(0.0, |(_, n)| *n);
            (*le, n - was)
        })
        .collect();
    let total = delta.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for (le, cumulative) in delta {
        if cumulative >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let within = (rank - lower.1) / (cumulative - lower.1).max(1.0);
            return Some(lower.0 + (le - lower.0) * within);
        }
        lower = (le, cumulative);
    }
    None
}

async fn metrics_text(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    Ok(http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?)
}

/// One search over HTTP: (hits returned, total matches).
async fn http_search(
    http: &reqwest::Client,
    base: &str,
    tenant: &Tenant,
    q: &str,
) -> anyhow::Result<(usize, usize)> {
    let response = http
        .get(format!("{base}/api/v1/orgs/{}/search", tenant.org))
        .query(&[("q", q), ("limit", "20")])
        .bearer_auth(&tenant.token)
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        bail!(
            "search {q:?}: {status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    let body: Value = response.json().await?;
    let hits = body["hits"].as_array().map_or(0, Vec::len);
    let total = body["total"].as_u64().unwrap_or(0) as usize;
    Ok((hits, total))
}

/// Whether a search for `mark` returns `id` first.
async fn findable(
    http: &reqwest::Client,
    base: &str,
    tenant: &Tenant,
    mark: &str,
    id: &str,
) -> bool {
    let Ok(response) = http
        .get(format!("{base}/api/v1/orgs/{}/search", tenant.org))
        .query(&[("q", mark), ("limit", "1")])
        .bearer_auth(&tenant.token)
        .send()
        .await
    else {
        return false;
    };
    let Ok(body) = response.json::<Value>().await else {
        return false;
    };
    body["hits"][0]["id"].as_str() == Some(id)
}

// ---------------------------------------------------------------------------------------------
// Feeding the change feed.

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn append_feed(
    pool: &PgPool,
    tenant: &Tenant,
    kind: &str,
    items: &[Item],
) -> anyhow::Result<()> {
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let payloads: Vec<String> = items
        .iter()
        .map(|item| {
            let project = &tenant.projects[item.project];
            let mut p = json!({
                "project": project,
                "body": item.body,
                "author": tenant.user_id,
                "created": item.created,
                "updated": item.created,
            });
            if let Some(channel) = item.channel {
                p["channel"] = json!(format!("{project}-c{channel}"));
            }
            if !item.title.is_empty() {
                p["title"] = json!(item.title);
            }
            p.to_string()
        })
        .collect();
    let mut tx = pool.begin().await?;
    // As server/src/db/horizon.rs requires of every append: the transaction has its id before
    // it draws sequence numbers, so the indexer's read horizon covers this batch.
    sqlx::query("select pg_current_xact_id()::text")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into change_feed (org_id, kind, entity_id, op, payload, created_at)
         select $1, $2, e, 'upsert', p, $3 from unnest($4::text[], $5::text[]) as t(e, p)",
    )
    .bind(&tenant.org)
    .bind(kind)
    .bind(now_ms())
    .bind(&ids)
    .bind(&payloads)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Figures of one indexing phase.
struct IndexFigures {
    rows: usize,
    inserted: Duration,
    lag_zero: Duration,
    findable: Duration,
    server_cpu: f64,
}

impl IndexFigures {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.findable.as_secs_f64()
    }
}

/// What an indexing phase works with.
struct Run<'a> {
    args: &'a Args,
    corpus: &'a Corpus,
    now: i64,
    pool: &'a PgPool,
    http: &'a reqwest::Client,
    server: &'a BenchServer,
    tenant: &'a Tenant,
}

/// Appends every item of `phase` to the feed and waits until the server has indexed them all.
async fn index_phase(run: &Run<'_>, phase: Phase, total: usize) -> anyhow::Result<IndexFigures> {
    let Run {
        args,
        corpus,
        now,
        pool,
        http,
        server,
        tenant,
    } = *run;
    // Generation runs ahead of the inserts on a thread of its own.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Item>>(2);
    let batch = args.batch.max(1);
    let corpus_words = corpus.words.clone();
    let projects = args.projects;
    let producer = std::thread::spawn(move || {
        let corpus = Corpus {
            words: corpus_words,
        };
        let mut generator = Generator::new(&corpus, phase, total, projects, now);
        loop {
            let items = generator.batch(batch);
            if items.is_empty() || tx.blocking_send(items).is_err() {
                break;
            }
        }
    });
    let cpu_before = cpu_seconds(server.pid);
    let mut first: Option<Instant> = None;
    let mut done = 0usize;
    let mut last_report = Instant::now();
    while let Some(items) = rx.recv().await {
        let started = *first.get_or_insert_with(Instant::now);
        append_feed(pool, tenant, phase.kind(), &items).await?;
        done += items.len();
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            let text = metrics_text(http, &server.base).await.unwrap_or_default();
            eprintln!(
                "  {:>6.1} s: {done} {} rows appended, indexer lag {}",
                started.elapsed().as_secs_f64(),
                phase.kind(),
                metric(&text, "atrium_search_lag").map_or("?".to_owned(), |v| v.to_string())
            );
        }
    }
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("generator panicked"))?;
    let started = first.context("nothing to append")?;
    let inserted = started.elapsed();
    // The lag gauge is set on each read: 0 once a read after the last insert reached the head.
    let lag_zero = loop {
        let text = metrics_text(http, &server.base).await?;
        if metric(&text, "atrium_search_lag") == Some(0.0) {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(3_600) {
            bail!("the indexer did not catch up within an hour");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let last_id = match phase {
        Phase::Docs => format!("doc-{:08}", total - 1),
        Phase::Messages => format!("msg-{:08}", total - 1),
    };
    let findable_at = loop {
        if findable(http, &server.base, tenant, phase.mark(), &last_id).await {
            break started.elapsed();
        }
        if started.elapsed() > inserted + Duration::from_secs(3_600) {
            bail!("{last_id} never became searchable");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    Ok(IndexFigures {
        rows: total,
        inserted,
        lag_zero,
        findable: findable_at,
        server_cpu: cpu_seconds(server.pid) - cpu_before,
    })
}

/// Waits until the server has used under 5% of a core for 3 s (background merges done), at most
/// `limit`; returns the wait.
async fn settle(pid: u32, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let before = cpu_seconds(pid);
        tokio::time::sleep(Duration::from_secs(3)).await;
        if cpu_seconds(pid) - before < 0.15 || started.elapsed() > limit {
            return started.elapsed();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL full-text search.

async fn load_fts(
    args: &Args,
    corpus: &Corpus,
    now: i64,
    pool: &PgPool,
) -> anyhow::Result<(Duration, Duration, Duration)> {
    sqlx::query("drop table if exists bench_messages")
        .execute(pool)
        .await?;
    sqlx::query(
        "create table bench_messages (id text not null, kind text not null, body text not null, tsv tsvector not null)",
    )
    .execute(pool)
    .await?;
    let started = Instant::now();
    for (phase, total) in [(Phase::Docs, args.docs), (Phase::Messages, args.messages)] {
        let mut generator = Generator::new(corpus, phase, total, args.projects, now);
        loop {
            let items = generator.batch(args.batch.max(1));
            if items.is_empty() {
                break;
            }
            let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
            // A document's title is searched with its body.
            let bodies: Vec<String> = items
                .iter()
                .map(|i| {
                    if i.title.is_empty() {
                        i.body.clone()
                    } else {
                        format!("{}\n{}", i.title, i.body)
                    }
                })
                .collect();
            sqlx::query(
                "insert into bench_messages (id, kind, body, tsv)
                 select i, $1, b, to_tsvector($2::regconfig, b) from unnest($3::text[], $4::text[]) as t(i, b)",
            )
            .bind(phase.kind())
            .bind(&args.ts_config)
            .bind(&ids)
            .bind(&bodies)
            .execute(pool)
            .await?;
        }
    }
    let loaded = started.elapsed();
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    sqlx::query("set maintenance_work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("create index bench_messages_tsv on bench_messages using gin (tsv)")
        .execute(&mut *conn)
        .await?;
    let indexed = started.elapsed();
    let started = Instant::now();
    sqlx::query("vacuum analyze bench_messages")
        .execute(&mut *conn)
        .await?;
    Ok((loaded, indexed, started.elapsed()))
}

/// The tsquery of a query as the PostgreSQL side runs it: `websearch_to_tsquery` for words and
/// phrases; for search-as-you-type (`word pre`), the last word as a `:*` prefix.
fn pg_query(kind: &str, q: &str) -> (&'static str, String) {
    if kind == "prefix" {
        let terms: Vec<String> = q
            .split_whitespace()
            .map(|w| format!("'{}'", w.replace('\'', "''")))
            .collect();
        let n = terms.len();
        let tsquery = terms
            .into_iter()
            .enumerate()
            .map(|(i, t)| if i + 1 == n { format!("{t}:*") } else { t })
            .collect::<Vec<_>>()
            .join(" & ");
        ("to_tsquery", tsquery)
    } else {
        ("websearch_to_tsquery", q.trim().to_owned())
    }
}

const PG_WEBSEARCH: &str = "select m.id, ts_headline($1::regconfig, m.body, m.q, 'MaxFragments=1, MaxWords=20, MinWords=5') as snippet
    from (select b.id, b.body, q, ts_rank(b.tsv, q) as rank
          from bench_messages b, websearch_to_tsquery($1::regconfig, $2) q
          where b.tsv @@ q order by rank desc limit 20) m
    order by m.rank desc";
const PG_TSQUERY: &str = "select m.id, ts_headline($1::regconfig, m.body, m.q, 'MaxFragments=1, MaxWords=20, MinWords=5') as snippet
    from (select b.id, b.body, q, ts_rank(b.tsv, q) as rank
          from bench_messages b, to_tsquery($1::regconfig, $2) q
          where b.tsv @@ q order by rank desc limit 20) m
    order by m.rank desc";

async fn pg_search(
    conn: &mut sqlx::PgConnection,
    config: &str,
    kind: &str,
    q: &str,
) -> anyhow::Result<usize> {
    let (function, query) = pg_query(kind, q);
    let sql = if function == "to_tsquery" {
        PG_TSQUERY
    } else {
        PG_WEBSEARCH
    };
    let rows = sqlx::query(sql)
        .bind(config)
        .bind(&query)
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("PostgreSQL query {query:?}"))?;
    Ok(rows.len())
}

// ---------------------------------------------------------------------------------------------
// Queries.

const KINDS: [&str; 7] = [
    "word",
    "two words",
    "phrase",
    "prefix",
    "typo",
    "cjk",
    "rare word",
];

/// The in-process bench's query set (seed 9), so the mixes compare.
fn query_set(corpus: &Corpus, count: usize) -> Vec<(&'static str, String)> {
    let mut rng = Rng(9);
    let mut queries = Vec::with_capacity(count);
    for i in 0..count {
        let kind = KINDS[i % KINDS.len()];
        let q = match kind {
            "word" => format!("{} ", corpus.word(&mut rng)),
            "two words" => format!("{} {} ", corpus.word(&mut rng), corpus.word(&mut rng)),
            "phrase" => format!("\"{} {}\"", corpus.word(&mut rng), corpus.word(&mut rng)),
            "prefix" => {
                let w = corpus.word(&mut rng);
                let n = (2 + rng.below(4)).min(w.len());
                // Cut on a character boundary (a few common words are accented).
                let cut = w.char_indices().nth(n).map_or(w.len(), |(i, _)| i);
                format!("{} {}", corpus.word(&mut rng), &w[..cut])
            }
            "typo" => {
                let w = &corpus.words[rng.below(corpus.words.len())];
                let mut c: Vec<char> = w.chars().collect();
                if c.len() >= 5 {
                    c.swap(1, 2);
                }
                format!("{} ", c.into_iter().collect::<String>())
            }
            "cjk" => CJK[rng.below(CJK.len())].to_string(),
            _ => format!("{} ", corpus.words[rng.below(corpus.words.len())]),
        };
        queries.push((kind, q));
    }
    queries
}

/// Latencies of one pass: per query (kind, ms, hits returned).
struct Pass {
    samples: Vec<(&'static str, f64, usize)>,
    wall: Duration,
    errors: usize,
}

impl Pass {
    fn ms(&self, kind: Option<&str>) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .samples
            .iter()
            .filter(|(k, _, _)| kind.is_none_or(|want| *k == want))
            .map(|(_, ms, _)| *ms)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }
    fn qps(&self) -> f64 {
        self.samples.len() as f64 / self.wall.as_secs_f64()
    }
    fn mean_hits(&self) -> f64 {
        self.samples.iter().map(|(_, _, h)| *h as f64).sum::<f64>()
            / self.samples.len().max(1) as f64
    }
}

async fn http_pass(
    http: &reqwest::Client,
    base: &str,
    tenant: &Arc<Tenant>,
    queries: &Arc<Vec<(&'static str, String)>>,
    clients: usize,
) -> anyhow::Result<Pass> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, tenant, queries) = (
            http.clone(),
            base.to_owned(),
            Arc::clone(tenant),
            Arc::clone(queries),
        );
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            for (kind, q) in queries.iter().skip(c).step_by(clients) {
                let t = Instant::now();
                match http_search(&http, &base, &tenant, q).await {
                    Ok((hits, _)) => {
                        samples.push((*kind, t.elapsed().as_secs_f64() * 1000.0, hits))
                    }
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("  HTTP error: {e:#}");
                        }
                        errors += 1;
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut pass = Pass {
        samples: Vec::new(),
        wall: Duration::ZERO,
        errors: 0,
    };
    for task in tasks {
        let (samples, errors) = task.await?;
        pass.samples.extend(samples);
        pass.errors += errors;
    }
    pass.wall = started.elapsed();
    Ok(pass)
}

async fn pg_pass(
    pool: &PgPool,
    config: &str,
    queries: &Arc<Vec<(&'static str, String)>>,
    clients: usize,
) -> anyhow::Result<Pass> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (pool, config, queries) = (pool.clone(), config.to_owned(), Arc::clone(queries));
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut samples = Vec::new();
            for (kind, q) in queries.iter().skip(c).step_by(clients) {
                let t = Instant::now();
                let hits = pg_search(&mut conn, &config, kind, q).await?;
                samples.push((*kind, t.elapsed().as_secs_f64() * 1000.0, hits));
            }
            anyhow::Ok(samples)
        }));
    }
    let mut pass = Pass {
        samples: Vec::new(),
        wall: Duration::ZERO,
        errors: 0,
    };
    for task in tasks {
        pass.samples.extend(task.await??);
    }
    pass.wall = started.elapsed();
    Ok(pass)
}

fn print_passes(columns: &[(&str, &Pass)]) {
    print!("{:<12}", "ms p50/p99");
    for (name, _) in columns {
        print!(" | {name:>21}");
    }
    println!();
    for kind in std::iter::once(None).chain(KINDS.iter().map(|k| Some(*k))) {
        print!("{:<12}", kind.unwrap_or("all"));
        for (_, pass) in columns {
            let v = pass.ms(kind);
            print!(
                " | {:>9.2} / {:>9.2}",
                percentile(&v, 50.0),
                percentile(&v, 99.0)
            );
        }
        println!();
    }
    print!("{:<12}", "max");
    for (_, pass) in columns {
        let v = pass.ms(None);
        print!(" | {:>21.2}", v.last().copied().unwrap_or(f64::NAN));
    }
    println!();
    print!("{:<12}", "queries/s");
    for (_, pass) in columns {
        print!(" | {:>21.1}", pass.qps());
    }
    println!();
    print!("{:<12}", "mean hits");
    for (_, pass) in columns {
        print!(" | {:>21.1}", pass.mean_hits());
    }
    println!();
    print!("{:<12}", "errors");
    for (_, pass) in columns {
        print!(" | {:>21}", pass.errors);
    }
    println!();
}

// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.messages == 0 || args.projects == 0 {
        bail!("--messages and --projects must be positive");
    }
    println!(
        "atrium-search-bench: {} messages, {} documents, {} queries, {} clients; load average {}",
        args.messages,
        args.docs,
        args.queries,
        args.clients,
        loadavg()
    );
    let private_pg;
    let admin_url = match &args.pg_url {
        Some(url) => url.clone(),
        None => {
            private_pg = PrivatePostgres::start();
            private_pg.admin_url()
        }
    };
    let database = TestDatabase::create_postgres(&admin_url).await;
    let result = run(&args, database.url()).await;
    drop(database);
    // `private_pg` (when started) stops on drop, after the database is gone.
    result
}

async fn run(args: &Args, database_url: &str) -> anyhow::Result<()> {
    let mut server =
        BenchServer::start(&args.bin, &[("ATRIUM_DATABASE_URL", database_url)]).await?;
    let result = bench(args, database_url, &server).await;
    server.child.kill().await.ok();
    result
}

async fn bench(args: &Args, database_url: &str, server: &BenchServer) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let tenant = Arc::new(setup(&http, &server.base, args.projects).await?);
    let pool = PgPoolOptions::new()
        .max_connections(args.clients.max(1) as u32 + 2)
        .connect(database_url)
        .await?;
    let pg_version: String = sqlx::query_scalar("select version()")
        .fetch_one(&pool)
        .await?;
    println!("server {} on {}", server.base, pg_version);
    let corpus = Corpus::new();
    let now = now_ms();

    // Indexing through the change feed.
    let run = Run {
        args,
        corpus: &corpus,
        now,
        pool: &pool,
        http: &http,
        server,
        tenant: &tenant,
    };
    let docs = if args.docs > 0 {
        println!("appending {} documents to the change feed…", args.docs);
        Some(index_phase(&run, Phase::Docs, args.docs).await?)
    } else {
        None
    };
    println!("appending {} messages to the change feed…", args.messages);
    let messages = index_phase(&run, Phase::Messages, args.messages).await?;
    let load_after_indexing = loadavg();
    let index_dir = server.data_dir.path().join("search");
    let segments_before = segments(&index_dir);
    let settled = settle(server.pid, Duration::from_secs(args.settle_secs)).await;
    let index_bytes = dir_size(&index_dir);
    println!();
    println!("== indexing through the change feed (PostgreSQL feed, live indexer) ==");
    for (name, figures) in [("documents", docs.as_ref()), ("messages", Some(&messages))] {
        let Some(f) = figures else { continue };
        println!(
            "{name:<9}: {} rows appended in {:.2} s ({:.0} rows/s); lag 0 after {:.2} s; last row findable after {:.2} s => {:.0} {name}/s indexed; server CPU {:.1} s",
            f.rows,
            f.inserted.as_secs_f64(),
            f.rows as f64 / f.inserted.as_secs_f64(),
            f.lag_zero.as_secs_f64(),
            f.findable.as_secs_f64(),
            f.rate(),
            f.server_cpu,
        );
    }
    println!(
        "index {:.0} MiB; segments {} when caught up, {} after settling ({:.1} s); server RSS {:.0} MB; load average {}",
        index_bytes as f64 / 1_048_576.0,
        segments_before.map_or("?".to_owned(), |n| n.to_string()),
        segments(&index_dir).map_or("?".to_owned(), |n| n.to_string()),
        settled.as_secs_f64(),
        rss_mb(server.pid),
        load_after_indexing
    );

    // PostgreSQL FTS table.
    println!();
    println!(
        "loading bench_messages (tsvector '{}') and building its GIN index…",
        args.ts_config
    );
    let (loaded, gin, analyzed) = load_fts(args, &corpus, now, &pool).await?;
    let (table_bytes, gin_bytes): (i64, i64) = sqlx::query_as(
        "select pg_total_relation_size('bench_messages'), pg_relation_size('bench_messages_tsv')",
    )
    .fetch_one(&pool)
    .await?;
    let rows = args.messages + args.docs;
    println!(
        "== PostgreSQL FTS load ==\n{rows} rows loaded with to_tsvector in {:.2} s ({:.0} rows/s); GIN index built in {:.2} s; vacuum analyze {:.2} s; total {:.2} s => {:.0} rows/s; table+index {:.0} MiB (GIN {:.0} MiB)",
        loaded.as_secs_f64(),
        rows as f64 / loaded.as_secs_f64(),
        gin.as_secs_f64(),
        analyzed.as_secs_f64(),
        (loaded + gin + analyzed).as_secs_f64(),
        rows as f64 / (loaded + gin + analyzed).as_secs_f64(),
        table_bytes as f64 / 1_048_576.0,
        gin_bytes as f64 / 1_048_576.0,
    );

    // Queries.
    let queries = Arc::new(query_set(&corpus, args.queries));
    let warmup = Arc::new(queries.iter().take(200).cloned().collect::<Vec<_>>());
    println!();
    println!("warming up (200 queries each side)…");
    http_pass(&http, &server.base, &tenant, &warmup, 1).await?;
    pg_pass(&pool, &args.ts_config, &warmup, 1).await?;
    let load_before_queries = loadavg();
    let metrics_before = metrics_text(&http, &server.base).await?;
    let http_seq = http_pass(&http, &server.base, &tenant, &queries, 1).await?;
    let metrics_after = metrics_text(&http, &server.base).await?;
    let http_conc = http_pass(&http, &server.base, &tenant, &queries, args.clients).await?;
    let pg_seq = pg_pass(&pool, &args.ts_config, &queries, 1).await?;
    let pg_conc = pg_pass(&pool, &args.ts_config, &queries, args.clients).await?;
    let load_after_queries = loadavg();

    println!(
        "== queries: {} per pass, 20 hits with snippets; load average {} before, {} after ==",
        queries.len(),
        load_before_queries,
        load_after_queries
    );
    let conc_http = format!("atrium HTTP x{}", args.clients);
    let conc_pg = format!("PostgreSQL FTS x{}", args.clients);
    print_passes(&[
        ("atrium HTTP x1", &http_seq),
        (&conc_http, &http_conc),
        ("PostgreSQL FTS x1", &pg_seq),
        (&conc_pg, &pg_conc),
    ]);
    let before = histogram(&metrics_before, "atrium_search_query_seconds");
    let after = histogram(&metrics_after, "atrium_search_query_seconds");
    let q = |p| {
        histogram_quantile(&before, &after, p)
            .map_or("?".to_owned(), |s| format!("{:.2}", s * 1000.0))
    };
    println!(
        "index part of the x1 pass (atrium_search_query_seconds, interpolated in its buckets): p50 {} ms, p99 {} ms",
        q(0.5),
        q(0.99)
    );
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (kind, _, hits) in &http_seq.samples {
        kinds.entry(kind).or_default().0 += hits;
    }
    for (kind, _, hits) in &pg_seq.samples {
        kinds.entry(kind).or_default().1 += hits;
    }
    let per_kind: Vec<String> = kinds
        .iter()
        .map(|(k, (a, p))| format!("{k} {a}/{p}"))
        .collect();
    println!(
        "hits returned, atrium/PostgreSQL, by kind: {}",
        per_kind.join("; ")
    );
    if http_seq.errors + http_conc.errors > 0 {
        bail!(
            "{} HTTP searches failed",
            http_seq.errors + http_conc.errors
        );
    }
    Ok(())
}
