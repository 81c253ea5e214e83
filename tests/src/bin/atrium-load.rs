//! `atrium-load`: a load generator for the collaboration socket, speaking the y-websocket
//! protocol the way the stock client does (SyncStep1 on connect, one Update message per edit).
//!
//! It starts a release `atrium` on a fresh SQLite data directory (or uses `--bin` to pick the
//! binary), creates a user, an organisation, a project and the documents over HTTP, then runs
//! one scenario and prints its figures:
//!
//! - `edit` (default): N clients in M rooms, each making paced edits. Reports edit-to-peer
//!   latency p50/p99, the durable-echo (acknowledgement) latency, convergence time after the
//!   last edit, server CPU per delivered update, and server RSS.
//! - `connect`: N connections in M rooms open at once and complete the sync handshake; reports
//!   the time until all are synced and the RSS growth; `--rounds R` repeats that R times with
//!   the earlier connections still open.
//! - `join`: one document of `--doc-mb` megabytes joined by N clients at once; reports the
//!   join latency (connect to SyncStep2 received) p50/p99.
//! - `floor`: no server at all. A relay thread in this process, with blocking sockets and no
//!   protocol, forwards `edit`'s traffic (N clients in M rooms, `--edits` each at `--pace-ms`):
//!   it reads each edit from one connection and writes it to every member of its room, the
//!   echo included. Its CPU time per write is what the kernel alone charges a server for one
//!   delivery over loopback on this machine — the floor under any server's "CPU per delivered
//!   update".
//!
//! `--url ws://HOST:PORT --pid PID` runs `edit` or `connect` against another y-websocket server
//! instead (rooms are `ws://HOST:PORT/load-N`, no authentication), e.g. the reference Node
//! server, to compare figures measured on the same machine.
//!
//! `--nodes http://HOST:PORT,http://HOST:PORT --pid PID,PID` runs `edit` or `connect` against
//! Atrium nodes already running on one database (and Redis): the tenant is made on the first,
//! client i connects to node i mod N, and CPU and RSS are the nodes' together (`bench/collab/
//! saturate.sh` uses it for the saturation run).
//!
//! Every edit inserts a marker `§CCCCCSSSSS` (client, sequence); receivers find markers in the
//! raw update bytes, which is enough to time deliveries without decoding the CRDT.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use atrium_collab::protocol;
use atrium_tests::bench::{
    BenchServer, cpu_seconds, rss_mb, summarize, thread_cpu_seconds, threads,
};
use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use yrs::{ReadTxn, StateVector, Text, Transact};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scenario {
    Edit,
    Connect,
    Join,
    Floor,
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for Atrium's collaboration socket")]
struct Args {
    #[arg(long, value_enum, default_value_t = Scenario::Edit)]
    scenario: Scenario,
    /// The atrium binary to start (a release build gives meaningful figures).
    #[arg(long, default_value = "target/release/atrium")]
    bin: PathBuf,
    #[arg(long, default_value_t = 50)]
    clients: usize,
    #[arg(long, default_value_t = 5)]
    rooms: usize,
    /// Edits per client (`edit`).
    #[arg(long, default_value_t = 200)]
    edits: usize,
    /// Milliseconds between a client's edits (`edit`).
    #[arg(long, default_value_t = 100)]
    pace_ms: u64,
    /// Size of the joined document in megabytes (`join`).
    #[arg(long, default_value_t = 4)]
    doc_mb: usize,
    /// Rounds of `connect`, each opening N more connections in M more rooms while the earlier
    /// rounds' stay open: from the second on, the growth is what more connections cost a
    /// server already serving some (the first also pays one-time start-up costs).
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Keep each client's own text under this many characters (`edit`): past it, an edit also
    /// deletes the client's oldest marker, so a long run (a soak) does not measure a document
    /// growing without end. 0 keeps everything.
    #[arg(long, default_value_t = 0)]
    keep_chars: u32,
    /// A running y-websocket server to load instead of starting atrium (`edit`, `connect`).
    #[arg(long, requires = "pid", conflicts_with = "nodes")]
    url: Option<String>,
    /// Running atrium nodes (`http://HOST:PORT`, comma-separated) to load instead of starting
    /// one, the clients spread over them (`edit`, `connect`).
    #[arg(long, value_delimiter = ',', requires = "pid")]
    nodes: Vec<String>,
    /// The process ids of the `--url` server or the `--nodes`, for CPU time and RSS.
    #[arg(long, value_delimiter = ',')]
    pid: Vec<u32>,
}

/// Where the clients connect: atrium's `/collab/{doc}?token=` or another server's `/{room}`.
#[derive(Clone)]
struct Target {
    /// `ws://HOST:PORT` of each node; client i connects to node i mod N.
    ws_bases: Vec<String>,
    /// Appended to each room's path (atrium's `?token=`).
    query: String,
    /// Path before the room name.
    prefix: &'static str,
    /// The server's processes (one per node).
    pids: Vec<u32>,
}

impl Target {
    fn url(&self, client: usize, doc: &str) -> String {
        let base = &self.ws_bases[client % self.ws_bases.len()];
        format!("{base}{}{doc}{}", self.prefix, self.query)
    }

    /// CPU seconds of all the server's processes.
    fn cpu_seconds(&self) -> f64 {
        self.pids.iter().map(|&pid| cpu_seconds(pid)).sum()
    }

    /// RSS of all the server's processes, MB.
    fn rss_mb(&self) -> f64 {
        self.pids.iter().map(|&pid| rss_mb(pid)).sum()
    }

    /// Threads of all the server's processes.
    fn threads(&self) -> u32 {
        self.pids.iter().map(|&pid| threads(pid)).sum()
    }
}

const MARK: &[u8] = "§".as_bytes();

/// Creates a user, org, project and `rooms` documents; returns the token and the doc ids.
async fn setup(base: &str, rooms: usize) -> anyhow::Result<(String, Vec<String>)> {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value, token: Option<&str>| {
        let mut request = http.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    post(
        "/api/v1/auth/signup",
        json!({"email": "load@example.com", "password": "load generator password", "name": "Load"}),
        None,
    )
    .await?
    .error_for_status()?;
    let login: Value = post(
        "/api/v1/auth/login",
        json!({"email": "load@example.com", "password": "load generator password"}),
        None,
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let token = login["token"].as_str().context("token")?.to_owned();
    let org: Value = post("/api/v1/orgs", json!({"name": "Load"}), Some(&token))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let project: Value = post(
        &format!(
            "/api/v1/orgs/{}/projects",
            org["id"].as_str().unwrap_or_default()
        ),
        json!({"name": "Load"}),
        Some(&token),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let mut docs = Vec::new();
    for i in 0..rooms {
        let doc: Value = post(
            &format!(
                "/api/v1/projects/{}/docs",
                project["id"].as_str().unwrap_or_default()
            ),
            json!({"title": format!("Room {i}")}),
            Some(&token),
        )
        .await?
        .error_for_status()?
        .json()
        .await?;
        docs.push(doc["id"].as_str().context("doc id")?.to_owned());
    }
    Ok((token, docs))
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects and completes the handshake: sends SyncStep1, waits for the server's SyncStep2.
async fn connect_synced(target: &Target, client: usize, doc: &str) -> anyhow::Result<Socket> {
    let (mut socket, _) = tokio_tungstenite::connect_async(target.url(client, doc)).await?;
    socket
        .send(Message::Binary(protocol::encode_sync_step1(
            StateVector::default(),
        )))
        .await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Binary(frame))) if frame.starts_with(&[0, 1]) => return Ok(socket),
            Some(Ok(Message::Close(frame))) => bail!("closed during the handshake: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => bail!("closed during the handshake"),
        }
    }
}

/// (client, sequence) of each marker in a frame.
fn markers(frame: &[u8]) -> impl Iterator<Item = (u32, u32)> + '_ {
    frame
        .windows(MARK.len() + 10)
        .filter(|w| w.starts_with(MARK))
        .filter_map(|w| {
            let digits = std::str::from_utf8(&w[MARK.len()..]).ok()?;
            Some((digits[..5].parse().ok()?, digits[5..].parse().ok()?))
        })
}

async fn edit(args: &Args, target: &Target, docs: &[String]) -> anyhow::Result<()> {
    let sent: Arc<Mutex<HashMap<(u32, u32), Instant>>> = Arc::default();
    let peer_latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let ack_latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let delivered = Arc::new(AtomicU64::new(0));
    let mut sockets = Vec::new();
    for client in 0..args.clients {
        sockets.push(connect_synced(target, client, &docs[client % docs.len()]).await?);
    }
    let members_per_room: Vec<usize> = (0..docs.len())
        .map(|room| (0..args.clients).filter(|c| c % docs.len() == room).count())
        .collect();
    let cpu_before = target.cpu_seconds();
    let rss_before = target.rss_mb();
    let started = Instant::now();
    let last_send = Arc::new(Mutex::new(started));
    let mut tasks = Vec::new();
    for (client, socket) in sockets.into_iter().enumerate() {
        let (mut tx, mut rx) = socket.split();
        let room = client % docs.len();
        let expected = (members_per_room[room] - 1) * args.edits;
        let (sent_at, peers, acks, delivered) = (
            Arc::clone(&sent),
            Arc::clone(&peer_latencies),
            Arc::clone(&ack_latencies),
            Arc::clone(&delivered),
        );
        let reader = tokio::spawn(async move {
            let mut from_peers = 0usize;
            let mut own_acks = 0usize;
            let edits = EDITS.load(Ordering::Relaxed) as usize;
            while let Some(Ok(message)) = rx.next().await {
                let Message::Binary(frame) = message else {
                    continue;
                };
                // Only sync Update messages (type 0, sub-type 2) carry edits.
                if !frame.starts_with(&[0, 2]) {
                    continue;
                }
                let now = Instant::now();
                let sent = sent_at.lock().await;
                for (who, seq) in markers(&frame) {
                    // Count edits, not frames: a server may carry several edits in one frame.
                    delivered.fetch_add(1, Ordering::Relaxed);
                    let Some(at) = sent.get(&(who, seq)) else {
                        continue;
                    };
                    let ms = now.duration_since(*at).as_secs_f64() * 1000.0;
                    if who as usize == client {
                        own_acks += 1;
                        acks.lock().await.push(ms);
                    } else {
                        from_peers += 1;
                        peers.lock().await.push(ms);
                    }
                }
                drop(sent);
                if from_peers >= expected && own_acks >= edits {
                    return now;
                }
            }
            Instant::now()
        });
        let (sent, last_send) = (Arc::clone(&sent), Arc::clone(&last_send));
        let (edits, pace, keep_chars) = (
            args.edits,
            Duration::from_millis(args.pace_ms),
            args.keep_chars,
        );
        let writer = tokio::spawn(async move {
            let doc = yrs::Doc::new();
            let text = doc.get_or_insert_text("text");
            // Spread the clients over the first pacing interval, as real typists are.
            tokio::time::sleep(pace.mul_f64((client as f64 * 0.618_034).fract())).await;
            let mut tick = tokio::time::interval(pace);
            for seq in 0..edits {
                tick.tick().await;
                let before = doc.transact().state_vector();
                {
                    let mut txn = doc.transact_mut();
                    let len = text.len(&txn);
                    let marker = format!("§{client:05}{seq:05} ");
                    text.insert(&mut txn, len, &marker);
                    // The client's document holds only its own text (it reads peers' edits
                    // as bytes), so what it deletes is its own oldest marker (lengths are in
                    // the document's offset unit, UTF-8 bytes).
                    if keep_chars > 0 && text.len(&txn) > keep_chars {
                        text.remove_range(&mut txn, 0, marker.len() as u32);
                    }
                }
                let update = doc.transact().encode_state_as_update_v1(&before);
                sent.lock()
                    .await
                    .insert((client as u32, seq as u32), Instant::now());
                if tx
                    .send(Message::Binary(protocol::encode_update(update)))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            *last_send.lock().await = Instant::now();
            tx
        });
        tasks.push((reader, writer));
    }
    let mut converged = Vec::new();
    let mut writers = Vec::new();
    for (reader, writer) in tasks {
        writers.push(writer.await?);
        converged.push(
            tokio::time::timeout(Duration::from_secs(60), reader)
                .await
                .context("clients did not converge within 60 s")??,
        );
    }
    let last_send = *last_send.lock().await;
    let convergence = converged
        .iter()
        .map(|at| at.saturating_duration_since(last_send))
        .max()
        .unwrap_or_default();
    let cpu = target.cpu_seconds() - cpu_before;
    let delivered = delivered.load(Ordering::Relaxed);
    let (p50, p99, max) = summarize(std::mem::take(&mut *peer_latencies.lock().await));
    let (a50, a99, amax) = summarize(std::mem::take(&mut *ack_latencies.lock().await));
    drop(writers);
    println!(
        "scenario edit: {} clients in {} rooms, {} edits each every {} ms ({:.1} s)",
        args.clients,
        docs.len(),
        args.edits,
        args.pace_ms,
        started.elapsed().as_secs_f64()
    );
    println!("edit-to-peer latency ms: p50 {p50:.2}  p99 {p99:.2}  max {max:.2}");
    println!("durable echo (ack) ms:   p50 {a50:.2}  p99 {a99:.2}  max {amax:.2}");
    println!(
        "convergence after the last edit: {:.1} ms",
        convergence.as_secs_f64() * 1000.0
    );
    println!(
        "updates delivered (peers + echoes): {delivered} ({:.0} per second); server CPU {cpu:.2} s = {:.2} us per delivered update",
        delivered as f64 / started.elapsed().as_secs_f64(),
        cpu * 1e6 / delivered.max(1) as f64
    );
    println!(
        "server RSS: {rss_before:.1} MB before, {:.1} MB after",
        target.rss_mb()
    );
    Ok(())
}

/// How long the allocator takes to return freed memory to the system (mimalloc purges after
/// about a second).
const SETTLE: Duration = Duration::from_secs(2);

/// Edits per client, read by the receiving tasks to know when they have everything.
static EDITS: AtomicU64 = AtomicU64::new(0);

/// Opens `clients` connections spread over `docs` at once; returns them once all are synced,
/// and how long that took.
async fn open_all(
    target: &Target,
    docs: &[String],
    clients: usize,
) -> anyhow::Result<(Vec<Socket>, Duration)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (target, doc) = (target.clone(), docs[client % docs.len()].clone());
        tasks.push(tokio::spawn(async move {
            connect_synced(&target, client, &doc).await
        }));
    }
    let mut sockets = Vec::new();
    for task in tasks {
        sockets.push(task.await??);
    }
    Ok((sockets, started.elapsed()))
}

async fn connect(args: &Args, target: &Target, docs: &[String]) -> anyhow::Result<()> {
    let mut open = Vec::new();
    let rooms = docs.len() / args.rounds.max(1);
    for (round, docs) in docs.chunks(rooms.max(1)).enumerate() {
        // The set-up (or the round before) done, and what it freed given back.
        tokio::time::sleep(SETTLE).await;
        let rss_before = target.rss_mb();
        let threads_before = target.threads();
        let (sockets, elapsed) = open_all(target, docs, args.clients).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        println!(
            "scenario connect, round {}: {} connections in {} rooms synced in {:.1} ms ({} open before)",
            round + 1,
            sockets.len(),
            docs.len(),
            elapsed.as_secs_f64() * 1000.0,
            open.len()
        );
        let rss = target.rss_mb();
        println!(
            "server RSS: {rss_before:.1} MB before, {rss:.1} MB with every connection open (growth {:.1} MB)",
            rss - rss_before
        );
        // Memory freed after the burst of handshakes goes back to the system with a delay; a
        // second reading after a pause shows what the open connections themselves keep.
        tokio::time::sleep(SETTLE).await;
        let settled = target.rss_mb();
        println!(
            "server RSS {} s later, every connection still open: {settled:.1} MB (growth {:.1} MB); threads {threads_before} before, {} now",
            SETTLE.as_secs(),
            settled - rss_before,
            target.threads()
        );
        open.extend(sockets);
    }
    drop(open);
    Ok(())
}

async fn join(
    args: &Args,
    server: &BenchServer,
    target: &Target,
    token: &str,
    docs: &[String],
) -> anyhow::Result<()> {
    let doc = yrs::Doc::new();
    let text = doc.get_or_insert_text("text");
    {
        let mut txn = doc.transact_mut();
        let line =
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n";
        let mut content = String::with_capacity(args.doc_mb << 20);
        while content.len() < args.doc_mb << 20 {
            content.push_str(line);
        }
        text.insert(&mut txn, 0, &content);
    }
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let http = reqwest::Client::new();
    http.post(format!("{}/api/v1/docs/{}/update", server.base, docs[0]))
        .bearer_auth(token)
        .body(update)
        .send()
        .await?
        .error_for_status()?;
    let rss_before = target.rss_mb();
    let mut tasks = Vec::new();
    for client in 0..args.clients {
        let (target, doc) = (target.clone(), docs[0].clone());
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let socket = connect_synced(&target, client, &doc).await?;
            anyhow::Ok((started.elapsed().as_secs_f64() * 1000.0, socket))
        }));
    }
    let mut latencies = Vec::new();
    let mut sockets = Vec::new();
    for task in tasks {
        let (ms, socket) = task.await??;
        latencies.push(ms);
        sockets.push(socket);
    }
    let (p50, p99, max) = summarize(latencies);
    println!(
        "scenario join: a {} MB document joined by {} clients at once",
        args.doc_mb,
        sockets.len()
    );
    println!("join latency ms (connect to SyncStep2): p50 {p50:.1}  p99 {p99:.1}  max {max:.1}");
    println!(
        "server RSS: {rss_before:.1} MB before, {:.1} MB after",
        target.rss_mb()
    );
    Ok(())
}

/// Size of a relayed edit in `floor`: about what one typed character's Yjs update is in a frame.
const FLOOR_MESSAGE: usize = 64;

async fn floor(args: &Args) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let rooms = args.rooms.max(1);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // The editor's connection is accepted first, then one per client.
    let mut editor = tokio::net::TcpStream::connect(addr).await?;
    let (source, _) = listener.accept()?;
    let received = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    let mut members: Vec<Vec<std::net::TcpStream>> = (0..rooms).map(|_| Vec::new()).collect();
    for client in 0..args.clients {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let (accepted, _) = listener.accept()?;
        accepted.set_nodelay(true)?;
        members[client % rooms].push(accepted);
        let received = Arc::clone(&received);
        readers.push(tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                received.fetch_add(n as u64, Ordering::Relaxed);
            }
        }));
    }
    let relay = std::thread::spawn(move || -> std::io::Result<(u64, f64)> {
        use std::io::{Read as _, Write as _};
        let mut source = source;
        let mut message = [0u8; FLOOR_MESSAGE];
        let (mut writes, cpu_before) = (0u64, thread_cpu_seconds());
        for room in (0..members.len()).cycle() {
            if source.read_exact(&mut message).is_err() {
                break;
            }
            for member in &mut members[room] {
                member.write_all(&message)?;
                writes += 1;
            }
        }
        Ok((writes, thread_cpu_seconds() - cpu_before))
    });
    let edits = args.clients * args.edits;
    let mut tick = tokio::time::interval(Duration::from_millis(args.pace_ms) / args.clients as u32);
    let started = Instant::now();
    for _ in 0..edits {
        tick.tick().await;
        editor.write_all(&[b'e'; FLOOR_MESSAGE]).await?;
    }
    editor.shutdown().await?;
    let (writes, cpu) = relay.join().expect("relay thread")?;
    let expected = writes * FLOOR_MESSAGE as u64;
    while received.load(Ordering::Relaxed) < expected {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for reader in readers {
        reader.abort();
    }
    println!(
        "scenario floor: {} clients in {rooms} rooms, {} edits each every {} ms ({:.1} s), relayed without a server",
        args.clients,
        args.edits,
        args.pace_ms,
        started.elapsed().as_secs_f64()
    );
    println!(
        "writes of {FLOOR_MESSAGE} bytes (peers + echoes): {writes}; relay thread CPU {cpu:.2} s = {:.2} us per write",
        cpu * 1e6 / writes.max(1) as f64
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    EDITS.store(args.edits as u64, Ordering::Relaxed);
    if args.clients == 0 || args.rooms == 0 || args.pace_ms == 0 {
        bail!("--clients, --rooms and --pace-ms must be at least 1");
    }
    if matches!(args.scenario, Scenario::Edit | Scenario::Floor) && args.clients < args.rooms {
        bail!("every room needs a client: --clients must be at least --rooms");
    }
    if let Scenario::Floor = args.scenario {
        return floor(&args).await;
    }
    let rooms = match args.scenario {
        Scenario::Join => 1,
        Scenario::Connect => args.rooms.max(1) * args.rounds.max(1),
        Scenario::Edit | Scenario::Floor => args.rooms.max(1),
    };
    if let Some(url) = &args.url {
        let target = Target {
            ws_bases: vec![url.trim_end_matches('/').to_owned()],
            query: String::new(),
            prefix: "/",
            pids: args.pid.clone(),
        };
        let docs: Vec<String> = (0..rooms).map(|i| format!("load-{i}")).collect();
        return match args.scenario {
            Scenario::Edit => edit(&args, &target, &docs).await,
            Scenario::Connect => connect(&args, &target, &docs).await,
            Scenario::Join => {
                bail!("--scenario join needs an atrium server (it seeds the document over HTTP)")
            }
            Scenario::Floor => unreachable!("runs without a server"),
        };
    }
    if !args.nodes.is_empty() {
        let (token, docs) = setup(args.nodes[0].trim_end_matches('/'), rooms).await?;
        let target = Target {
            ws_bases: args
                .nodes
                .iter()
                .map(|n| n.trim_end_matches('/').replace("http://", "ws://"))
                .collect(),
            query: format!("?token={token}"),
            prefix: "/collab/",
            pids: args.pid.clone(),
        };
        return match args.scenario {
            Scenario::Edit => edit(&args, &target, &docs).await,
            Scenario::Connect => connect(&args, &target, &docs).await,
            Scenario::Join | Scenario::Floor => {
                bail!("--nodes runs the edit and connect scenarios")
            }
        };
    }
    let mut server = BenchServer::start(&args.bin, &[]).await?;
    let (token, docs) = setup(&server.base, rooms).await?;
    let target = Target {
        ws_bases: vec![server.base.replace("http://", "ws://")],
        query: format!("?token={token}"),
        prefix: "/collab/",
        pids: vec![server.pid],
    };
    match args.scenario {
        Scenario::Edit => edit(&args, &target, &docs).await?,
        Scenario::Connect => connect(&args, &target, &docs).await?,
        Scenario::Join => join(&args, &server, &target, &token, &docs).await?,
        Scenario::Floor => unreachable!("runs without a server"),
    }
    server.child.kill().await.ok();
    Ok(())
}
