//! `atrium-invoices-bench`: an invoice from 10,000 approved timesheet rows, against a release
//! `atrium`.
//!
//! ```text
//! atrium-invoices-bench --bin target/release/atrium [--backend sqlite|postgres [--pg-url URL]]
//!     [--users 20 --weeks 20 --rows 25 --runs 20]
//! ```
//!
//! Set-up over HTTP as people do it: `--users` members managed by the owner, one project billed
//! to a client at an hourly rate; each member keeps a timesheet for each of `--weeks` weeks with
//! `--rows` billable rows, submits it, and the owner approves it (users × weeks × rows rows:
//! 10,000 by default). Then, `--runs` times, `POST /orgs/{org}/invoices/from-time` over the
//! whole period — timed from sending the request to the last byte on loopback — alternately
//! grouped by task and by person; each answer is checked (every row billed: the invoice's hours
//! add up to the rows' minutes), and the draft is deleted, which frees the rows for the next run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use atrium_tests::bench::database::{BenchDatabase, DbBackend};
use atrium_tests::bench::tenant::{Tenant, call};
use atrium_tests::bench::{BenchServer, summarize};
use atrium_tests::dates::civil_date;
use clap::Parser;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "An invoice from 10,000 approved timesheet rows")]
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
    /// Members keeping timesheets.
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// Weeks of timesheets per member.
    #[arg(long, default_value_t = 20)]
    weeks: usize,
    /// Rows per timesheet (at most 7 per day are used: one per weekday and row number).
    #[arg(long, default_value_t = 25)]
    rows: usize,
    /// Invoices from time timed.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The day `offset` days after 2025-01-06 (a Monday: day 20,094 since 1970).
fn day(offset: usize) -> String {
    civil_date(20_094 + i64::try_from(offset).unwrap_or(0))
}

async fn as_user(
    tenant: &Tenant,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    call(&tenant.http, &tenant.base, method, path, Some(token), body).await
}

/// Members managed by the owner, the project billed to a client; each member's approved weeks.
async fn seed(tenant: &Tenant, args: &Args) -> anyhow::Result<(String, usize)> {
    let org = &tenant.org;
    let owner = tenant.owner.token.clone();
    for user in &tenant.users {
        as_user(
            tenant,
            &owner,
            reqwest::Method::PATCH,
            &format!("/api/v1/orgs/{org}/members/{}", user.id),
            Some(json!({"manager": tenant.owner.id})),
        )
        .await?;
    }
    let client = tenant
        .post(
            &format!("/api/v1/orgs/{org}/records/client"),
            json!({"name": "Globex", "currency": "EUR"}),
        )
        .await?;
    let client = client["id"].as_str().context("client id")?.to_owned();
    as_user(
        tenant,
        &owner,
        reqwest::Method::PUT,
        &format!("/api/v1/projects/{}/billing", tenant.project),
        Some(json!({"client": client, "rates": [{"rate": 9_500}]})),
    )
    .await?;
    let started = Instant::now();
    let project = tenant.project.clone();
    let jobs: Vec<(usize, usize)> = (0..tenant.users.len())
        .flat_map(|u| (0..args.weeks).map(move |w| (u, w)))
        .collect();
    let minutes: Vec<usize> = futures::stream::iter(jobs)
        .map(|(u, w)| {
            let token = tenant.users[u].token.clone();
            let owner = owner.clone();
            let project = project.clone();
            async move {
                let rows: Vec<Value> = (0..args.rows)
                    .map(|r| json!({"project": project, "description": format!("Work item {}", r % 40), "date": day(w * 7 + r % 7), "minutes": 15 + (r * 7 + u) % 120, "billable": true}))
                    .collect();
                let total: usize = (0..args.rows).map(|r| 15 + (r * 7 + u) % 120).sum();
                let sheet = as_user(tenant, &token, reqwest::Method::POST, &format!("/api/v1/orgs/{org}/records/timesheet"), Some(json!({"week": day(w * 7), "entries": rows}))).await?;
                let id = sheet["id"].as_str().context("timesheet id")?.to_owned();
                as_user(tenant, &token, reqwest::Method::POST, &format!("/api/v1/records/{id}/transition"), Some(json!({"action": "submit"}))).await?;
                as_user(tenant, &owner, reqwest::Method::POST, &format!("/api/v1/records/{id}/transition"), Some(json!({"action": "approve"}))).await?;
                anyhow::Ok(total)
            }
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    println!(
        "{} timesheets of {} rows kept, submitted and approved in {:.1} s",
        minutes.len(),
        args.rows,
        started.elapsed().as_secs_f64()
    );
    Ok((client, minutes.iter().sum()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.users > 0 && args.weeks > 0 && args.rows > 0 && args.runs > 0,
        "every count must be positive"
    );
    println!(
        "atrium-invoices-bench on {:?}; {} cores; {} rows",
        args.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.users * args.weeks * args.rows
    );
    let database = BenchDatabase::create(args.backend, args.pg_url.as_deref()).await;
    let mut server = BenchServer::start(&args.bin, &database.env()).await?;
    let result = async {
        let tenant = Tenant::create(&server, args.users).await?;
        let (client, minutes) = seed(&tenant, &args).await?;
        let period = json!({"client": client, "from": day(0), "to": day(args.weeks * 7 - 1)});
        let mut times = Vec::new();
        for run in 0..args.runs {
            let mut body = period.clone();
            body["group"] = json!(if run % 2 == 0 { "task" } else { "person" });
            let started = Instant::now();
            let invoice = tenant.post(&format!("/api/v1/orgs/{}/invoices/from-time", tenant.org), body).await?;
            times.push(ms(started.elapsed()));
            let lines = invoice["lines"].as_array().context("lines")?;
            // Each line's hours are rounded to 3 decimals: the sum is within half a thousandth
            // of an hour per line of the rows' minutes.
            let hours: f64 = lines
                .iter()
                .map(|l| l["quantity"].as_str().and_then(|q| q.parse::<f64>().ok()).unwrap_or_default())
                .sum();
            let expected = minutes as f64 / 60.0;
            ensure!((hours - expected).abs() <= 0.0005 * lines.len() as f64 + 1e-6, "run {run}: {hours} h billed of {expected} h");
            let id = invoice["id"].as_str().context("invoice id")?;
            as_user(&tenant, &tenant.owner.token, reqwest::Method::DELETE, &format!("/api/v1/records/{id}"), None).await?;
        }
        let (p50, p99, max) = summarize(times);
        println!("invoice from time over {} rows: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms ({} runs)", args.users * args.weeks * args.rows, args.runs);
        anyhow::Ok(())
    }
    .await;
    server.child.kill().await.ok();
    drop(database);
    result
}
