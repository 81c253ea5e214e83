//! Several `atrium serve` processes on one PostgreSQL database, one Redis and one S3, editing
//! one document with the stock Yjs client (`yjs` + `y-websocket`, driven by Node from
//! `tests/node/node_modules`; installed with `npm ci` when missing).
//!
//! PostgreSQL only: several nodes need a database they share, and a node refuses Redis with
//! SQLite (checked here too), so there is no SQLite variant. The hub's convergence rules on
//! both databases are tested in-process by `collab/tests/multinode.rs`.
//!
//! - Clients on two nodes edit concurrently and converge; every update is in the log once,
//!   under contiguous sequence numbers, and the database's content is what they show.
//! - One node is killed (SIGKILL) mid-session: its clients reconnect to the other node and
//!   everyone converges with every acknowledged edit present.
//! - Redis (a private one) is stopped for 10 s under editing, then started again: each node
//!   keeps serving its clients meanwhile, and the documents converge on both.
//! - A document moved to the trash through one node closes its sockets on every node (4410),
//!   within a second.
//! - A rolling restart (SIGTERM, drain, start again; one node, then the other) under editing
//!   and chat: every acknowledged edit is in the log once, every message answered 201 is in the
//!   channel once.
//! - Search cursors page on any node: pages of one search from A, then B, then A are the whole
//!   list in order, each hit once.
//! - Rate limits hold across nodes: log-in attempts spread over two nodes get the configured
//!   limit once, not once per node; with Redis gone each node limits on its own, without delay.
//!
//! The tests run one at a time (the `multinode` nextest group): each runs two servers, Node
//! and, for the Redis test, a Redis of its own.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use atrium_client::wire::Visibility;
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::services::{self, free_port};
use atrium_tests::{Backend, TestDatabase, TestServer};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, Row};

/// The stock-client driver: one Node process holding named Yjs clients, answering one JSON
/// line per command.
const DRIVER: &str = r#"
import readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as decoding from 'lib0/decoding'

const clients = new Map()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const ownClock = (doc) => Y.getState(doc.store, doc.clientID)

function connect (c, url, room, token) {
  const provider = new WebsocketProvider(url, room, c.doc, {
    params: { token }, WebSocketPolyfill: WebSocket, disableBc: true, maxBackoffTime: 500
  })
  // The durable echo: the highest own clock the server sent back.
  const original = provider.messageHandlers[0]
  provider.messageHandlers[0] = (encoder, decoder, p, emitSynced, messageType) => {
    try {
      const peek = decoding.clone(decoder)
      const syncType = decoding.readVarUint(peek)
      if (syncType === 1 || syncType === 2) {
        const { to } = Y.parseUpdateMeta(decoding.readVarUint8Array(peek))
        const mine = to.get(c.doc.clientID) ?? 0
        if (mine > c.acked) c.acked = mine
      }
    } catch {}
    return original(encoder, decoder, p, emitSynced, messageType)
  }
  // Close codes the server sent, in order (a document moved to the trash closes with 4410).
  provider.on('connection-close', (event) => { if (event) c.closes.push(event.code) })
  c.provider = provider
}

async function until (cond, timeout, what) {
  const deadline = Date.now() + timeout
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

function edit (c) {
  const token = `<${c.name}.${c.tokens.length}>`
  const text = c.doc.getText('text')
  text.insert(text.length, token)
  c.tokens.push({ token, clock: ownClock(c.doc) })
}

const handlers = {
  async open ({ name, url, room, token }) {
    const c = { name, doc: new Y.Doc(), tokens: [], acked: 0, typing: null, closes: [] }
    clients.set(name, c)
    connect(c, url, room, token)
    await until(() => c.provider.synced, 20000, `${name} to sync`)
    return {}
  },
  // The client's node went away: it connects to another, as behind a load balancer.
  async move ({ name, url, room, token }) {
    const c = clients.get(name)
    c.provider.destroy()
    connect(c, url, room, token)
    try {
      await until(() => c.provider.synced, 20000, `${name} to sync again`)
    } catch (e) {
      const p = c.provider
      throw new Error(`${e.message} (connected ${p.wsconnected}, connecting ${p.wsconnecting}, failed attempts ${p.wsUnsuccessfulReconnects}, close codes ${c.closes})`)
    }
    return {}
  },
  async edit ({ names, rounds }) {
    for (let r = 0; r < rounds; r++) {
      for (const name of names) edit(clients.get(name))
      await sleep(1)
    }
    return {}
  },
  // Every client in `names` edits every `every` ms until `stop`.
  async type ({ names, every }) {
    for (const name of names) {
      const c = clients.get(name)
      c.typing = setInterval(() => edit(c), every)
    }
    return {}
  },
  async stop () {
    for (const c of clients.values()) clearInterval(c.typing)
    return {}
  },
  async acked ({ names, timeout }) {
    try {
      await until(() => names.every((n) => { const c = clients.get(n); return c.acked >= ownClock(c.doc) }), timeout, 'every edit to be acknowledged')
    } catch (e) {
      const state = names.map((n) => { const c = clients.get(n); return `${n}: acked ${c.acked} of ${ownClock(c.doc)}, connected ${c.provider.wsconnected}, synced ${c.provider.synced}, close codes ${c.closes}` })
      throw new Error(`${e.message} (${state.join('; ')})`)
    }
    return {}
  },
  async converge ({ names, timeout }) {
    const texts = () => names.map((n) => clients.get(n).doc.getText('text').toString())
    try {
      await until(() => { const t = texts(); return t.every((x) => x === t[0]) }, timeout, 'convergence')
    } catch (e) {
      throw new Error(`${e.message}: ${JSON.stringify(texts().map((t) => t.length))}`)
    }
    return { text: texts()[0] }
  },
  // Tokens typed so far: the acknowledged ones (echoed when asked) and all of them.
  async tokens ({ name }) {
    const c = clients.get(name)
    return {
      acked: c.tokens.filter((t) => t.clock <= c.acked).map((t) => t.token),
      all: c.tokens.map((t) => t.token)
    }
  },
  // Edit-to-peer latency: `from` appends a fresh token `samples` times, each time waiting
  // until `to` has it; returns the milliseconds each took.
  async latency ({ from, to, samples }) {
    const a = clients.get(from); const b = clients.get(to)
    const ms = []
    for (let i = 0; i < samples; i++) {
      const token = `{${from}>${to}.${i}}`
      const started = performance.now()
      const text = a.doc.getText('text')
      text.insert(text.length, token)
      await until(() => b.doc.getText('text').toString().includes(token), 10000, `${token} on ${to}`)
      ms.push(performance.now() - started)
      await sleep(20)
    }
    return { ms }
  },
  async text ({ name }) {
    return { text: clients.get(name).doc.getText('text').toString() }
  },
  // Waits until the server closes the client's socket with `code`; the client stops
  // reconnecting then.
  async closed ({ name, code, timeout }) {
    const c = clients.get(name)
    await until(() => c.closes.includes(code), timeout, `${name} to be closed with ${code}`)
    c.provider.disconnect()
    return {}
  },
  async connected ({ name }) {
    return { connected: clients.get(name).provider.wsconnected }
  }
}

const lines = readline.createInterface({ input: process.stdin })
for await (const line of lines) {
  const command = JSON.parse(line)
  let reply
  try {
    reply = { ok: true, ...(await handlers[command.cmd](command)) }
  } catch (e) {
    reply = { ok: false, error: String(e.stack || e) }
  }
  process.stdout.write(JSON.stringify(reply) + '\n')
}
for (const c of clients.values()) c.provider.destroy()
process.exit(0)
"#;

/// The Node process and its clients.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    _dir: tempfile::TempDir,
}

impl Driver {
    fn start() -> Self {
        let modules = node_modules();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&modules, dir.path().join("node_modules")).unwrap();
        std::fs::write(dir.path().join("driver.mjs"), DRIVER).unwrap();
        let mut child = Command::new("node")
            .arg(dir.path().join("driver.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run node (the stock Yjs client needs Node 20 or later)");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
            _dir: dir,
        }
    }

    /// Sends a command and returns its answer; panics with the driver's error.
    async fn call(&mut self, command: Value) -> Value {
        let what = command.to_string();
        writeln!(self.stdin, "{what}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        // The driver answers each command within its own timeouts (at most 60 s).
        tokio::task::block_in_place(|| self.stdout.read_line(&mut line)).unwrap();
        let reply: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the driver said {line:?} to {what}"));
        assert_eq!(reply["ok"], true, "{what}: {}", reply["error"]);
        reply
    }

    async fn open(&mut self, name: &str, server: &TestServer, doc: &str, user: &TestUser) {
        self.call(json!({"cmd": "open", "name": name, "url": collab_url(server), "room": doc, "token": user.token}))
            .await;
    }

    async fn tokens(&mut self, name: &str) -> (Vec<String>, Vec<String>) {
        let reply = self.call(json!({"cmd": "tokens", "name": name})).await;
        let list = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect()
        };
        (list(&reply["acked"]), list(&reply["all"]))
    }

    async fn converge(&mut self, names: &[&str]) -> String {
        let reply = self
            .call(json!({"cmd": "converge", "names": names, "timeout": 30_000}))
            .await;
        reply["text"].as_str().unwrap().to_owned()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tests/node/node_modules` with the stock client, installed from the lock file when missing.
fn node_modules() -> PathBuf {
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    let modules = node.join("node_modules");
    if !modules.join("y-websocket").is_dir() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&node)
            .status()
            .expect("run npm ci in tests/node");
        assert!(status.success(), "npm ci in tests/node failed");
    }
    modules
}

fn collab_url(server: &TestServer) -> String {
    format!("{}/collab", server.url().replace("http://", "ws://"))
}

/// A node of the deployment: PostgreSQL (`database` when given, else a fresh one), `redis`,
/// the test S3.
async fn node(redis: &str, database: Option<&str>) -> TestServer {
    node_with(redis, database, &[]).await
}

/// [`node`] with settings of its own.
async fn node_with(redis: &str, database: Option<&str>, env: &[(&str, &str)]) -> TestServer {
    let mut builder = TestServer::builder(Backend::Postgres).env("ATRIUM_REDIS_URL", redis);
    for (key, value) in env {
        builder = builder.env(key, *value);
    }
    for (key, value) in services::s3_env() {
        builder = builder.env(key, value);
    }
    if let Some(url) = database {
        builder = builder.database(TestDatabase::shared(url));
    }
    builder.start().await
}

/// Two nodes, a user who can edit, and a document.
async fn deployment(redis: &str) -> (TestServer, TestServer, TestUser, String) {
    let a = node(redis, None).await;
    // The user signs up before B starts: the sign-up mail is a job, and B's runner could take
    // it and write it to B's outbox, where the fixture does not look for the link.
    let owner = fixtures::user(&a, "owner").await;
    let b = node(redis, Some(a.database_url())).await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project = fixtures::create_project(&owner, &org.id, "Docs", Visibility::Open).await;
    let doc = fixtures::create_doc(&owner, &project.id, "Shared").await;
    (a, b, owner, doc.id)
}

/// The sequence numbers of the document's update log, in order.
async fn stored(database_url: &str, doc: &str) -> Vec<i64> {
    let mut db = PgConnection::connect(database_url).await.unwrap();
    let seqs: Vec<i64> =
        sqlx::query("select seq from collab_updates where doc_id = $1 order by seq")
            .bind(doc)
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
    let _ = db.close().await;
    seqs
}

/// The document's text as `server` serves it.
async fn served_text(server: &TestServer, user: &TestUser, doc: &str) -> String {
    let response = server
        .client()
        .with_token(&user.token)
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/docs/{doc}/content?format=text"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.text().await.unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_two_nodes_converge_and_every_update_is_stored_once() {
    let (a, b, owner, doc) = deployment(&services::redis_url()).await;
    let mut driver = Driver::start();
    let names = ["a1", "a2", "b1", "b2"];
    for name in names {
        let server = if name.starts_with('a') { &a } else { &b };
        driver.open(name, server, &doc, &owner).await;
    }
    // 4 clients × 50 rounds of concurrent edits, one update each.
    driver
        .call(json!({"cmd": "edit", "names": names, "rounds": 50}))
        .await;
    driver
        .call(json!({"cmd": "acked", "names": names, "timeout": 30_000}))
        .await;
    let text = driver.converge(&names).await;
    for name in names {
        let (acked, all) = driver.tokens(name).await;
        assert_eq!(acked.len(), 50, "{name}: every edit acknowledged");
        for token in &all {
            assert!(text.contains(token.as_str()), "{token} is missing");
        }
    }
    // Each update is in the log once: 200 rows, numbered 1..=200 by the database (two nodes
    // numbering on their own collided on the same numbers).
    let seqs = stored(a.database_url(), &doc).await;
    assert_eq!(seqs, (1..=200).collect::<Vec<i64>>());
    // Live through Redis, not only through the once-a-second head comparison (which would put
    // the median near half a second): an edit on A reaches a client on B at once.
    let reply = driver
        .call(json!({"cmd": "latency", "from": "a1", "to": "b1", "samples": 20}))
        .await;
    let mut ms: Vec<f64> = reply["ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    ms.sort_by(f64::total_cmp);
    eprintln!(
        "edit on node A to a client on node B: p50 {:.1} ms, max {:.1} ms",
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
    assert!(
        ms[ms.len() / 2] < 250.0,
        "edits crossed nodes slowly: {ms:?}"
    );
    driver
        .call(json!({"cmd": "acked", "names": ["a1"], "timeout": 30_000}))
        .await;
    let text = driver.converge(&names).await;
    assert_eq!(stored(a.database_url(), &doc).await.len(), 220);
    // Both nodes serve what the clients show.
    for server in [&a, &b] {
        assert_eq!(served_text(server, &owner, &doc).await, text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_clients_reconnect_to_the_other_and_nothing_acknowledged_is_lost() {
    let (mut a, b, owner, doc) = deployment(&services::redis_url()).await;
    let mut driver = Driver::start();
    let names = ["a1", "a2", "b1", "b2"];
    for name in names {
        let server = if name.starts_with('a') { &a } else { &b };
        driver.open(name, server, &doc, &owner).await;
    }
    driver
        .call(json!({"cmd": "type", "names": names, "every": 20}))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.kill().await;
    // What node A acknowledged before it died.
    let mut acked_on_a = Vec::new();
    for name in ["a1", "a2"] {
        acked_on_a.extend(driver.tokens(name).await.0);
    }
    assert!(
        acked_on_a.len() > 10,
        "too little was acknowledged before the kill to prove anything"
    );
    // A's clients go to B (as a load balancer would send them) and keep typing.
    for name in ["a1", "a2"] {
        driver
            .call(json!({"cmd": "move", "name": name, "url": collab_url(&b), "room": doc, "token": owner.token}))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    driver.call(json!({"cmd": "stop"})).await;
    driver
        .call(json!({"cmd": "acked", "names": names, "timeout": 30_000}))
        .await;
    let text = driver.converge(&names).await;
    for token in &acked_on_a {
        assert!(
            text.contains(token.as_str()),
            "acknowledged {token} was lost"
        );
    }
    for name in names {
        for token in driver.tokens(name).await.1 {
            assert!(text.contains(token.as_str()), "{token} is missing");
        }
    }
    // The surviving node serves it all from the database's log, numbered without a hole.
    assert_eq!(served_text(&b, &owner, &doc).await, text);
    let seqs = stored(b.database_url(), &doc).await;
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<i64>>());
}

/// A Redis of the test's own, stopped and started with the services script.
struct PrivateRedis {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateRedis {
    fn start() -> Self {
        let redis = Self {
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
        };
        redis.run("start");
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn run(&self, action: &str) {
        let scripts = std::env::var_os("ATRIUM_TEST_SERVICES_SCRIPTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/services"));
        let mut command = Command::new("bash");
        command
            .arg(scripts.join("redis.sh"))
            .arg(action)
            .arg(self.dir.path());
        if action == "start" {
            command.arg(self.port.to_string());
        }
        let output = command.output().expect("run redis.sh");
        assert!(
            output.status.success(),
            "redis.sh {action}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.run("stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_converge_across_a_redis_outage() {
    let redis = PrivateRedis::start();
    let (a, b, owner, doc) = deployment(&redis.url()).await;
    let mut driver = Driver::start();
    let names = ["a1", "b1"];
    driver.open("a1", &a, &doc, &owner).await;
    driver.open("b1", &b, &doc, &owner).await;
    driver
        .call(json!({"cmd": "type", "names": names, "every": 50}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.run("stop");
    let stopped = std::time::Instant::now();
    // Meanwhile each node keeps serving its own clients (acknowledging their edits), and the
    // once-a-second head comparison carries edits across through the database.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (acked_a, _) = driver.tokens("a1").await;
    let b_text = driver.call(json!({"cmd": "text", "name": "b1"})).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        acked_a
            .iter()
            .take(acked_a.len().saturating_sub(40))
            .all(|t| b_text.contains(t.as_str())),
        "edits acknowledged on A more than 2 s ago did not reach B while Redis was down"
    );
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(stopped.elapsed())).await;
    redis.run("start");
    tokio::time::sleep(Duration::from_secs(2)).await;
    driver.call(json!({"cmd": "stop"})).await;
    driver
        .call(json!({"cmd": "acked", "names": names, "timeout": 30_000}))
        .await;
    let text = driver.converge(&names).await;
    let mut typed = 0;
    for name in names {
        let (acked, all) = driver.tokens(name).await;
        assert!(
            acked.len() > 100,
            "{name} typed too little to prove anything"
        );
        typed += all.len();
        for token in all {
            assert!(text.contains(token.as_str()), "{token} is missing");
        }
    }
    // Each edit (one update) stored once, numbered without a hole; both nodes serve it all.
    let seqs = stored(a.database_url(), &doc).await;
    assert_eq!(seqs, (1..=typed as i64).collect::<Vec<i64>>());
    for server in [&a, &b] {
        assert_eq!(served_text(server, &owner, &doc).await, text);
    }
    // The nodes subscribed again: edits cross live, not once a second.
    let reply = driver
        .call(json!({"cmd": "latency", "from": "b1", "to": "a1", "samples": 10}))
        .await;
    let mut ms: Vec<f64> = reply["ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    ms.sort_by(f64::total_cmp);
    eprintln!("after the outage, B to A: p50 {:.1} ms", ms[ms.len() / 2]);
    assert!(
        ms[ms.len() / 2] < 250.0,
        "not live again after Redis came back: {ms:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_refuses_redis_with_sqlite_or_local_files() {
    let cases = [
        // SQLite: the default database in the data directory.
        (vec![], "SQLite"),
        // PostgreSQL, but files in the data directory.
        (
            vec![(
                "ATRIUM_DATABASE_URL",
                "postgres://nobody@127.0.0.1:1/none".to_owned(),
            )],
            "S3",
        ),
    ];
    for (env, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(atrium_tests::server::binary())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ATRIUM_DATA_DIR", dir.path())
            .env("ATRIUM_REDIS_URL", services::redis_url())
            .envs(env)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("refusing to start") && stderr.contains(expected),
            "{stderr}"
        );
        // Refused before anything was created.
        assert!(!dir.path().join("atrium.db").exists());
    }
}

/// Failed log-ins from this address, alternating between `nodes`: the statuses, in order.
/// Each names another account, so the per-account back-off of log-in never plays a part.
async fn failed_logins(nodes: &[&TestServer], attempts: usize) -> Vec<u16> {
    let round = uuid::Uuid::new_v4().simple().to_string();
    let mut statuses = Vec::new();
    for i in 0..attempts {
        let node = nodes[i % nodes.len()];
        let response = node
            .client()
            .request(reqwest::Method::POST, "/api/v1/auth/login")
            .json(&json!({"email": format!("nobody-{round}-{i}@example.com"), "password": "not the password"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_nodes_and_fall_back_to_each_node_without_redis() {
    let redis = PrivateRedis::start();
    // Six attempts a minute per address: one more every ten seconds.
    let limited = [("ATRIUM_AUTH_RATE_PER_MINUTE", "6")];
    let a = node_with(&redis.url(), None, &limited).await;
    let b = node_with(&redis.url(), Some(a.database_url()), &limited).await;
    let started = std::time::Instant::now();
    let statuses = failed_logins(&[&a, &b], 12).await;
    let answered = statuses.iter().filter(|s| **s == 401).count();
    // Per node, all twelve would be answered (six each); shared, six are (seven if the test
    // took over ten seconds and the bucket refilled one).
    let most = if started.elapsed() < Duration::from_secs(10) {
        6
    } else {
        7
    };
    assert!(
        (6..=most).contains(&answered),
        "{answered} attempts answered over two nodes: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        &statuses[..6],
        &[401; 6],
        "the first six are answered: {statuses:?}"
    );

    // Redis gone: each node limits alone, at once (no waiting on Redis per request).
    redis.run("stop");
    let started = std::time::Instant::now();
    let on_a = failed_logins(&[&a], 8).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "eight attempts took {:?} without Redis",
        started.elapsed()
    );
    assert!(on_a.iter().all(|s| *s == 401 || *s == 429), "{on_a:?}");
    assert!(on_a.contains(&429), "node a still limits alone: {on_a:?}");
    assert!(
        on_a.contains(&401),
        "and answers within its own limit: {on_a:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trashing_a_document_closes_its_sockets_on_every_node() {
    let (a, b, owner, doc) = deployment(&services::redis_url()).await;
    let mut driver = Driver::start();
    driver.open("a1", &a, &doc, &owner).await;
    driver.open("b1", &b, &doc, &owner).await;
    driver
        .call(json!({"cmd": "edit", "names": ["a1", "b1"], "rounds": 5}))
        .await;
    let response = a
        .client()
        .with_token(&owner.token)
        .request(reqwest::Method::DELETE, &format!("/api/v1/docs/{doc}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let trashed = std::time::Instant::now();
    // Node B learns it through the event log (woken over Redis), as it learns lost access, and
    // closes with 4410 (in the trash), which the stock client does not retry.
    driver
        .call(json!({"cmd": "closed", "name": "b1", "code": 4410, "timeout": 5_000}))
        .await;
    let on_b = trashed.elapsed();
    driver
        .call(json!({"cmd": "closed", "name": "a1", "code": 4410, "timeout": 5_000}))
        .await;
    eprintln!("trashed through node A: the socket on node B closed after {on_b:?}");
    assert!(
        on_b < Duration::from_secs(1),
        "node B closed its socket {on_b:?} after the trash"
    );
}

/// Posts chat messages every 25 ms to the nodes in `nodes` in turn (as a load balancer
/// would), each with a fresh text, until `stop`; returns the texts answered 201. A node that
/// is down or draining answers otherwise (or not at all), and that message is not retried.
async fn chat_until(
    nodes: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    token: String,
    channel: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<String>, usize) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let (mut created, mut sent) = (Vec::new(), 0);
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let base = {
            let nodes = nodes.lock().unwrap();
            nodes[sent % nodes.len()].clone()
        };
        let text = format!("message {sent}");
        sent += 1;
        let answer = http
            .post(format!("{base}/api/v1/channels/{channel}/messages"))
            .bearer_auth(&token)
            .json(&json!({ "text": text }))
            .send()
            .await;
        if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::CREATED) {
            created.push(text);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    (created, sent)
}

/// After a SIGTERM: waits for `node` to drain and exit 0, starts it again (on a new port) and
/// puts its new address in `nodes[slot]`.
async fn restart_after_drain(
    node: &mut TestServer,
    nodes: &std::sync::Mutex<Vec<String>>,
    slot: usize,
) {
    let status = node.wait(Duration::from_secs(30)).await;
    assert!(status.success(), "the drained node exited with {status:?}");
    node.restart().await;
    nodes.lock().unwrap()[slot] = node.url().to_owned();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_editing_and_chat_loses_nothing() {
    let (mut a, mut b, owner, doc) = deployment(&services::redis_url()).await;
    let project = a
        .client()
        .with_token(&owner.token)
        .request(reqwest::Method::GET, &format!("/api/v1/docs/{doc}"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["project_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let channel = fixtures::create_channel(&owner, &project, "during-restarts", None).await;
    let nodes = std::sync::Arc::new(std::sync::Mutex::new(vec![
        a.url().to_owned(),
        b.url().to_owned(),
    ]));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let chat = tokio::spawn(chat_until(
        nodes.clone(),
        owner.token.clone(),
        channel.id.clone(),
        stop.clone(),
    ));

    let mut driver = Driver::start();
    let names = ["c1", "c2"];
    driver.open("c1", &a, &doc, &owner).await;
    driver.open("c2", &b, &doc, &owner).await;
    driver
        .call(json!({"cmd": "type", "names": names, "every": 40}))
        .await;
    let to = |name: &str, node: &TestServer| json!({"cmd": "move", "name": name, "url": collab_url(node), "room": doc, "token": owner.token});
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // Node A drains; its client goes to B (the balancer's only choice), A comes back.
    a.signal(nix::sys::signal::Signal::SIGTERM);
    driver.call(to("c1", &b)).await;
    restart_after_drain(&mut a, &nodes, 0).await;
    driver.call(to("c1", &a)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // Then node B, the same way.
    b.signal(nix::sys::signal::Signal::SIGTERM);
    driver.call(to("c2", &a)).await;
    restart_after_drain(&mut b, &nodes, 1).await;
    driver.call(to("c2", &b)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    driver.call(json!({"cmd": "stop"})).await;
    let (created, sent) = chat.await.unwrap();
    driver
        .call(json!({"cmd": "acked", "names": names, "timeout": 30_000}))
        .await;
    let text = driver.converge(&names).await;

    // Every acknowledged edit is in the document once, and the log is numbered without a hole.
    // (A client that moves syncs what the new node lacks, which can include edits the old node
    // committed but had not relayed yet: the log may then hold them twice, which Yjs applies
    // once — the content is what counts.)
    let (mut acked, mut typed) = (0, 0);
    for name in names {
        let (acked_tokens, all) = driver.tokens(name).await;
        acked += acked_tokens.len();
        typed += all.len();
        for token in &all {
            assert_eq!(
                text.matches(token.as_str()).count(),
                1,
                "{token} is not in the document exactly once"
            );
        }
    }
    let seqs = stored(a.database_url(), &doc).await;
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<i64>>());
    for server in [&a, &b] {
        assert_eq!(served_text(server, &owner, &doc).await, text);
    }

    // Every message answered 201 is in the channel once; nothing else got in twice.
    let mut db = PgConnection::connect(a.database_url()).await.unwrap();
    let texts: Vec<String> = sqlx::query("select text from messages where channel_id = $1")
        .bind(&channel.id)
        .fetch_all(&mut db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    let _ = db.close().await;
    let mut counts = std::collections::HashMap::new();
    for text in &texts {
        *counts.entry(text.as_str()).or_insert(0) += 1;
    }
    assert!(counts.values().all(|n| *n == 1), "a message stored twice");
    for text in &created {
        assert_eq!(
            counts.get(text.as_str()),
            Some(&1),
            "{text} answered 201 but lost"
        );
    }
    eprintln!(
        "rolling restart: {typed} edits typed, {acked} acknowledged, {} log rows; \
         {sent} messages sent, {} answered 201, {} stored",
        seqs.len(),
        created.len(),
        texts.len()
    );
    assert!(
        acked > 50 && created.len() > 50,
        "too little traffic to prove anything"
    );
}

/// A page of `GET /api/v1/orgs/{org}/search?q=…` from `server`: the hits' ids, the total and
/// the next cursor.
async fn search_page(
    server: &TestServer,
    user: &TestUser,
    org: &str,
    query: &str,
) -> (Vec<String>, u64, Option<String>) {
    let response = server
        .client()
        .with_token(&user.token)
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/orgs/{org}/search?{query}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let ids = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect();
    (
        ids,
        body["total"].as_u64().unwrap(),
        body["next"].as_str().map(str::to_owned),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_cursors_page_on_any_node() {
    const MESSAGES: usize = 25;
    let a = node(&services::redis_url(), None).await;
    // Signed up before B starts, as in `deployment`.
    let owner = fixtures::user(&a, "owner").await;
    let b = node(&services::redis_url(), Some(a.database_url())).await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project = fixtures::create_project(&owner, &org.id, "Plans", Visibility::Open).await;
    let channel = fixtures::create_channel(&owner, &project.id, "roadmap", None).await;
    for i in 0..MESSAGES {
        // Different lengths, so the hits rank in a definite order.
        let text = format!("roadmap {}", "item ".repeat(i + 1));
        fixtures::post_message(&owner, &channel.id, &text, None).await;
    }
    // Each node's index tails the shared change feed: wait until both hold every message.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    for server in [&a, &b] {
        while search_page(server, &owner, &org.id, "q=roadmap&limit=1")
            .await
            .1
            < MESSAGES as u64
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the indexes did not catch up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (everything, _, none) = search_page(&a, &owner, &org.id, "q=roadmap&limit=100").await;
    assert_eq!(everything.len(), MESSAGES);
    assert!(none.is_none());

    // Pages of 10 from A, then B, then A again, as a load balancer may send them.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for server in [&a, &b, &a] {
        let query = match &cursor {
            Some(c) => format!("q=roadmap&limit=10&cursor={c}"),
            None => "q=roadmap&limit=10".to_owned(),
        };
        let (ids, total, next) = search_page(server, &owner, &org.id, &query).await;
        assert_eq!(total, MESSAGES as u64);
        paged.extend(ids);
        cursor = next;
    }
    assert!(cursor.is_none(), "three pages hold all {MESSAGES}");
    assert_eq!(
        paged, everything,
        "pages from both nodes are the whole list, in order, without repeats or gaps"
    );
    // A cursor B cannot read is refused there as on any node.
    let bad = b
        .client()
        .with_token(&owner.token)
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/orgs/{}/search?q=roadmap&cursor=zz", org.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
}
