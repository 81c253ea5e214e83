//! `atrium-boards-bench`: loading a large board, and moving cards while many people watch it,
//! against a release `atrium` on a fresh data directory.
//!
//! ```text
//! atrium-boards-bench --bin target/release/atrium [--tasks 5000 --columns 6 --loads 300]
//!     [--sockets 200 --users 20 --moves 500 --pace-ms 20] [--backend sqlite|postgres [--pg-url URL]]
//! ```
//!
//! One server (SQLite by default: WAL, `synchronous=full`; or a fresh PostgreSQL database), one
//! organisation with an open project whose `--users` members watch it, set up over HTTP as
//! people do it. A board with `--columns` columns is filled with `--tasks` tasks over HTTP
//! (`POST /api/v1/boards/{board}/tasks`, 8 at a time, spread round-robin over the columns).
//!
//! - load: `--loads` sequential `GET /api/v1/boards/{board}` (every column with all its cards),
//!   timed from sending the request to the last byte of the answer on loopback — the server's
//!   time plus a loopback round trip, an upper bound of the server time.
//! - move: `--sockets` event sockets (`/api/v1/events` of the project's members) are opened and
//!   wait for `hello`; then `--moves` moves, one every `--pace-ms`, each of a random card to a
//!   random place in a random column, between its neighbours there (`POST
//!   /api/v1/tasks/{task}/move {column, after, before}`). Reports the answer's latency, and the
//!   delivery latency of `task.moved` over every (move, socket) pair: receipt minus the moment
//!   the POST was sent, and how many answers took at most 1, 2.5, 5, 10 and 25 ms inside the
//!   server (its `/metrics` histogram of the route). Every socket must see every move exactly once, or the run fails. At the
//!   end the board is fetched and must hold every task once, in the order the moves made.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use atrium_search::corpus::Rng;
use atrium_tests::TestDatabase;
use atrium_tests::bench::server_time::RouteHistogram;
use atrium_tests::bench::sockets::{Socket, connect_events};
use atrium_tests::bench::tenant::{Tenant, call};
use atrium_tests::bench::{BenchServer, cpu_seconds, rss_mb, summarize};
use atrium_tests::services::PrivatePostgres;
use clap::{Parser, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DbBackend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(about = "Board loading and live moves against a release atrium")]
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
    /// Tasks on the board.
    #[arg(long, default_value_t = 5000)]
    tasks: usize,
    /// Columns of the board.
    #[arg(long, default_value_t = 6)]
    columns: usize,
    /// Board loads timed.
    #[arg(long, default_value_t = 300)]
    loads: usize,
    /// Event sockets watching the project.
    #[arg(long, default_value_t = 200)]
    sockets: usize,
    /// Members the sockets belong to.
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// Moves made while the sockets watch.
    #[arg(long, default_value_t = 500)]
    moves: usize,
    /// Milliseconds between moves.
    #[arg(long, default_value_t = 20)]
    pace_ms: u64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn id_of(value: &Value) -> anyhow::Result<String> {
    Ok(value["id"].as_str().context("id")?.to_owned())
}

/// The board as the bench believes it is: each column's task ids in order.
struct Model {
    columns: Vec<String>,
    order: Vec<Vec<String>>,
}

impl Model {
    fn locate(&self, task: &str) -> (usize, usize) {
        self.order
            .iter()
            .enumerate()
            .find_map(|(c, tasks)| tasks.iter().position(|t| t == task).map(|i| (c, i)))
            .expect("a task of the model")
    }
}

async fn fill_board(tenant: &Tenant, args: &Args) -> anyhow::Result<(String, Model)> {
    let columns: Vec<Value> = (0..args.columns)
        .map(|i| json!({"name": format!("Column {i}")}))
        .collect();
    let board = tenant
        .post(
            &format!("/api/v1/projects/{}/boards", tenant.project),
            json!({"name": "Bench", "columns": columns}),
        )
        .await?;
    let board_id = id_of(&board)?;
    let columns: Vec<String> = board["columns"]
        .as_array()
        .context("columns")?
        .iter()
        .map(id_of)
        .collect::<anyhow::Result<_>>()?;
    ensure!(
        columns.len() == args.columns,
        "the board has {} columns",
        columns.len()
    );
    let started = Instant::now();
    let created: Vec<(usize, String)> = futures::stream::iter(0..args.tasks)
        .map(|i| {
            let column = i % columns.len();
            let priority = ["none", "low", "medium", "high", "urgent"][i % 5];
            let body = json!({
                "title": format!("Task {i}: benchmark card with a realistic title"),
                "column": columns[column],
                "labels": [format!("label{}", i % 7)],
                "priority": priority,
            });
            let path = format!("/api/v1/boards/{board_id}/tasks");
            async move { anyhow::Ok((column, id_of(&tenant.post(&path, body).await?)?)) }
        })
        .buffered(8)
        .try_collect()
        .await?;
    println!(
        "{} tasks created over HTTP in {:.1} s",
        args.tasks,
        started.elapsed().as_secs_f64()
    );
    // `buffered` keeps submission order but creations ran concurrently: read the real order.
    let mut model = Model {
        columns,
        order: vec![Vec::new(); args.columns],
    };
    let board = get_board(tenant, &board_id).await?;
    for (c, column) in board["columns"]
        .as_array()
        .context("columns")?
        .iter()
        .enumerate()
    {
        model.order[c] = column["tasks"]
            .as_array()
            .context("tasks")?
            .iter()
            .map(id_of)
            .collect::<anyhow::Result<_>>()?;
    }
    let listed: usize = model.order.iter().map(Vec::len).sum();
    ensure!(
        listed == created.len(),
        "the board lists {listed} of {} tasks",
        created.len()
    );
    Ok((board_id, model))
}

async fn get_board(tenant: &Tenant, board: &str) -> anyhow::Result<Value> {
    call(
        &tenant.http,
        &tenant.base,
        reqwest::Method::GET,
        &format!("/api/v1/boards/{board}"),
        Some(&tenant.owner.token),
        None,
    )
    .await
}

async fn load(
    tenant: &Tenant,
    server: &BenchServer,
    board: &str,
    args: &Args,
) -> anyhow::Result<()> {
    let url = format!("{}/api/v1/boards/{board}", tenant.base);
    let cpu_before = cpu_seconds(server.pid);
    let mut latencies = Vec::with_capacity(args.loads);
    let mut bytes = 0;
    for _ in 0..args.loads {
        let sent = Instant::now();
        let response = tenant
            .http
            .get(&url)
            .bearer_auth(&tenant.owner.token)
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "GET board: {}",
            response.status()
        );
        bytes = response.bytes().await?.len();
        latencies.push(ms(sent.elapsed()));
    }
    let cpu = cpu_seconds(server.pid) - cpu_before;
    let (p50, p99, max) = summarize(latencies);
    println!(
        "load: {} loads of a board of {} tasks in {} columns ({:.0} KB each): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; server CPU {:.2} ms per load; RSS {:.1} MB",
        args.loads,
        args.tasks,
        args.columns,
        bytes as f64 / 1024.0,
        cpu * 1000.0 / args.loads as f64,
        rss_mb(server.pid)
    );
    Ok(())
}

/// The `task.moved` frames a socket saw: (task id, rank) → when.
type Seen = HashMap<(String, String), Vec<Instant>>;

fn spawn_reader(
    mut socket: Socket,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<(Seen, Option<String>)> {
    tokio::spawn(async move {
        let mut seen = Seen::new();
        let mut ended = None;
        loop {
            tokio::select! {
                frame = socket.next() => match frame {
                    Some(Ok(WsMessage::Text(text))) if text.contains(r#""type":"task.moved""#) => {
                        let at = Instant::now();
                        let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                        let task = &frame["data"]["task"];
                        if let (Some(id), Some(rank)) = (task["id"].as_str(), task["rank"].as_str()) {
                            seen.entry((id.to_owned(), rank.to_owned())).or_default().push(at);
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        ended = Some(format!("closed by the server: {frame:?}"));
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        ended = Some(format!("error: {e}"));
                        break;
                    }
                    None => {
                        ended = Some("ended".to_owned());
                        break;
                    }
                },
                _ = stop.changed() => break,
            }
        }
        let _ = socket.close(None).await;
        (seen, ended)
    })
}

async fn moves(
    tenant: &Tenant,
    server: &BenchServer,
    board: &str,
    model: &mut Model,
    args: &Args,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let sockets: Vec<Socket> = futures::stream::iter(0..args.sockets)
        .map(|i| connect_events(&tenant.base, &tenant.users[i % tenant.users.len()].token))
        .buffered(32)
        .try_collect()
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "{} event sockets of {} members open in {:.2} s",
        args.sockets,
        tenant.users.len(),
        started.elapsed().as_secs_f64()
    );
    let (stop, stop_rx) = watch::channel(false);
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|s| spawn_reader(s, stop_rx.clone()))
        .collect();

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let sent_at: Arc<Mutex<HashMap<(String, String), Instant>>> = Arc::default();
    let mut answers = Vec::with_capacity(args.moves);
    const MOVE_ROUTE: &str = "/api/v1/tasks/{task}/move";
    let server_before =
        RouteHistogram::read(&tenant.http, &tenant.base, "POST", MOVE_ROUTE).await?;
    let cpu_before = cpu_seconds(server.pid);
    let all: Vec<String> = model.order.iter().flatten().cloned().collect();
    let mut tick = tokio::time::interval(Duration::from_millis(args.pace_ms));
    for _ in 0..args.moves {
        tick.tick().await;
        let task = all[rng.below(all.len())].clone();
        let (from, at) = model.locate(&task);
        model.order[from].remove(at);
        let to = rng.below(model.columns.len());
        let place = rng.below(model.order[to].len() + 1);
        let after = place.checked_sub(1).map(|i| model.order[to][i].clone());
        let before = model.order[to].get(place).cloned();
        model.order[to].insert(place, task.clone());
        let sent = Instant::now();
        let moved = tenant
            .post(
                &format!("/api/v1/tasks/{task}/move"),
                json!({"column": model.columns[to], "after": after, "before": before}),
            )
            .await?;
        answers.push(ms(sent.elapsed()));
        let rank = moved["rank"].as_str().context("rank")?.to_owned();
        sent_at
            .lock()
            .expect("unpoisoned")
            .insert((task, rank), sent);
    }
    let cpu = cpu_seconds(server.pid) - cpu_before;
    let server_time = RouteHistogram::read(&tenant.http, &tenant.base, "POST", MOVE_ROUTE)
        .await?
        .since(&server_before);
    // Give the last deliveries a moment, then stop the readers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.send(true).ok();
    let sent_at = sent_at.lock().expect("unpoisoned").clone();
    let mut deliveries = Vec::with_capacity(args.moves * args.sockets);
    for reader in readers {
        let (seen, ended) = reader.await?;
        if let Some(why) = ended {
            bail!("a socket ended during the run: {why}");
        }
        for (key, sent) in &sent_at {
            match seen.get(key).map(Vec::as_slice) {
                Some([at]) => deliveries.push(ms(*at - *sent)),
                Some(many) => bail!("a socket saw the move {key:?} {} times", many.len()),
                None => bail!("a socket missed the move {key:?}"),
            }
        }
    }
    let (a50, a99, amax) = summarize(answers);
    let (d50, d99, dmax) = summarize(deliveries);
    println!(
        "move: {} moves, one every {} ms: answer p50 {a50:.2} ms, p99 {a99:.2} ms, max {amax:.2} ms; server CPU {:.2} ms per move (with its fan-out)",
        args.moves,
        args.pace_ms,
        cpu * 1000.0 / args.moves as f64
    );
    println!(
        "move: the server's own time (its histogram): {}",
        server_time.describe(&[1.0, 2.5, 5.0, 10.0, 25.0])
    );
    println!(
        "move: task.moved reached all {} sockets, each exactly once: delivery p50 {d50:.2} ms, p99 {d99:.2} ms, max {dmax:.2} ms",
        args.sockets
    );

    let board = get_board(tenant, board).await?;
    for (c, column) in board["columns"]
        .as_array()
        .context("columns")?
        .iter()
        .enumerate()
    {
        let listed: Vec<String> = column["tasks"]
            .as_array()
            .context("tasks")?
            .iter()
            .map(id_of)
            .collect::<anyhow::Result<_>>()?;
        ensure!(
            listed == model.order[c],
            "column {c} is not in the order the moves made"
        );
    }
    println!("move: the board holds every task once, in the order the moves made");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.users > 0 && args.columns > 0 && args.tasks > 0,
        "--users, --columns and --tasks must be positive"
    );
    println!(
        "atrium-boards-bench on {:?}; {} cores",
        args.backend,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let private_pg;
    let database = match (args.backend, &args.pg_url) {
        (DbBackend::Sqlite, _) => None,
        (DbBackend::Postgres, Some(url)) => Some(TestDatabase::create_postgres(url).await),
        (DbBackend::Postgres, None) => {
            private_pg = PrivatePostgres::start();
            Some(TestDatabase::create_postgres(&private_pg.admin_url()).await)
        }
    };
    let env: Vec<(&str, &str)> = database
        .iter()
        .map(|d| ("ATRIUM_DATABASE_URL", d.url()))
        .collect();
    let mut server = BenchServer::start(&args.bin, &env).await?;
    let result = async {
        let tenant = Tenant::create(&server, args.users).await?;
        let (board, mut model) = fill_board(&tenant, &args).await?;
        load(&tenant, &server, &board, &args).await?;
        moves(&tenant, &server, &board, &mut model, &args).await
    }
    .await;
    server.child.kill().await.ok();
    drop(database);
    result
}
