//! What a hostile client can do over HTTP and the sockets, and what it no longer achieves:
//! made-up frames on the event socket (validated, bounded, budgeted), slow and surplus
//! connections (deadlines, a cap), made-up methods and paths (bounded metric labels), a public
//! `/metrics` (token, own address), cross-site WebSocket hijacking (Origin of cookie
//! upgrades), and rate limits dodged with fresh bogus tokens or a spoofed `X-Forwarded-For`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use atrium_client::wire::{Channel, Me, OrgRole, Visibility};
use atrium_tests::bench::rss_mb;
use atrium_tests::events::{EventSocket, Frame};
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::{Backend, TestServer, backend_tests};
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::{self, Message};

// ---------------------------------------------------------------------------------------------
// Helpers

/// `127.0.0.1:PORT` of a server.
fn address(server: &TestServer) -> String {
    server.url().trim_start_matches("http://").to_owned()
}

/// Reads (and discards) what the server sends until it closes `stream`; false if it is still
/// open at `deadline`.
async fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// Sends `GET path` on a kept-alive connection and reads the whole answer; its status.
async fn get_on(stream: &mut TcpStream, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed before answering");
        received.extend_from_slice(&buf[..n]);
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while received.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed mid-answer");
        received.extend_from_slice(&buf[..n]);
    }
    head[9..12].parse().unwrap()
}

async fn metrics_text(server: &TestServer) -> String {
    reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of one series in Prometheus text.
fn metric(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Request headers of a WebSocket handshake.
type Headers<'a> = Vec<(&'a str, &'a str)>;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket at `path_and_query` with extra headers; the socket, or the HTTP status
/// the handshake was refused with.
async fn upgrade(
    server: &TestServer,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> Result<Ws, u16> {
    let url = format!("{}{path_and_query}", server.url().replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("handshake failed: {other}"),
    }
}

/// The first data message of a socket.
async fn first_message(socket: &mut Ws) -> Message {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message within the wait")
            .expect("the socket is open")
            .expect("a valid message");
        if matches!(message, Message::Text(_) | Message::Binary(_)) {
            return message;
        }
    }
}

/// Sends `frames` on a fresh event socket of `token` as fast as the server reads them, until
/// it closes the socket; the close code and the text frames it sent meanwhile. Reading and
/// writing go on together, so the close frame is read before the server gives up on the
/// client's answer to it.
async fn flood(
    server: &TestServer,
    token: &str,
    frames: impl Iterator<Item = Message>,
) -> (Option<u16>, Vec<Value>) {
    let socket = upgrade(server, &format!("/api/v1/events?token={token}"), &[])
        .await
        .expect("the event socket opens");
    let (mut sink, mut stream) = socket.split();
    let closed = AtomicBool::new(false);
    let writer = async {
        for (i, frame) in frames.enumerate() {
            if closed.load(Ordering::Acquire) || sink.feed(frame).await.is_err() {
                return;
            }
            if i % 32 == 31 {
                if sink.flush().await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        }
        let _ = sink.flush().await;
    };
    // One deadline for the whole flood: the server's heartbeat pings must not extend it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let reader = async {
        let mut texts = Vec::new();
        loop {
            let next = tokio::time::timeout_at(deadline, stream.next())
                .await
                .expect("the server closes the flooding socket within the wait");
            match next {
                Some(Ok(Message::Text(text))) => {
                    texts.push(serde_json::from_str(&text).expect("JSON frame"));
                }
                Some(Ok(Message::Close(frame))) => {
                    closed.store(true, Ordering::Release);
                    return (frame.map(|f| u16::from(f.code)), texts);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    closed.store(true, Ordering::Release);
                    return (None, texts);
                }
            }
        }
    };
    let ((), outcome) = tokio::join!(writer, reader);
    outcome
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

/// Alice owns the org; Bob is a member. In the open project "lobby": channels "general" (with
/// a thread started by `root`) and "other" (with `foreign`, a thread root elsewhere), and the
/// private "secret" Bob is not in.
struct Chat {
    server: TestServer,
    alice: TestUser,
    bob: TestUser,
    general: Channel,
    secret: Channel,
    root: String,
    foreign: String,
}

async fn chat(backend: Backend) -> Chat {
    let server = TestServer::start(backend).await;
    let alice = fixtures::user(&server, "alice").await;
    let bob = fixtures::user(&server, "bob").await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    fixtures::add_org_member(&alice, &org, &bob, OrgRole::Member).await;
    let project = fixtures::create_project(&alice, &org, "lobby", Visibility::Open)
        .await
        .id;
    let general = fixtures::create_channel(&alice, &project, "general", None).await;
    let other = fixtures::create_channel(&alice, &project, "other", None).await;
    let secret = fixtures::create_channel(&alice, &project, "secret", Some(&[])).await;
    let root = fixtures::post_message(&alice, &general.id, "a thread", None)
        .await
        .message
        .id;
    let foreign = fixtures::post_message(&alice, &other.id, "elsewhere", None)
        .await
        .message
        .id;
    Chat {
        server,
        alice,
        bob,
        general,
        secret,
        root,
        foreign,
    }
}

/// Every frame `socket` gets up to Alice's post `text` in `channel` (the sentinel: anything
/// relayed before it has arrived by then).
async fn frames_until_post(
    socket: &mut EventSocket,
    alice: &TestUser,
    channel: &str,
    text: &str,
) -> Vec<Frame> {
    let sentinel = fixtures::post_message(alice, channel, text, None)
        .await
        .message
        .id;
    socket
        .until("message.created", |f| f.data_id() == sentinel)
        .await
}

/// Rows of refused credentials in the audit log: (count, ip) of each.
async fn rejection_rows(server: &TestServer) -> Vec<(u64, Option<String>)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(server.database_url()).await.unwrap();
    let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "select after_state, ip from audit_log where action = 'auth.credential_rejected'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.into_iter()
        .map(|(after, ip)| {
            let after: Value = serde_json::from_str(&after.unwrap_or_default()).unwrap_or_default();
            (after["count"].as_u64().unwrap_or(1), ip)
        })
        .collect()
}

async fn get_status(url: String, headers: &[(&str, String)]) -> StatusCode {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status()
}

// ---------------------------------------------------------------------------------------------
// The event socket

backend_tests! {
    async fn the_event_socket_relays_only_checked_frames_and_stays_bounded_under_a_flood(backend) {
        let c = chat(backend).await;
        let mut alice = EventSocket::connect(&c.server, &c.alice.token).await;
        let mut bob = EventSocket::connect(&c.server, &c.bob.token).await;

        // What the browser app sends still works: typing in a channel, and in one of its threads.
        bob.send(json!({"type": "typing", "channel": c.general.id})).await;
        let frame = alice.expect("typing", |f| f.data["thread_id"].is_null()).await;
        assert_eq!(frame.data["user_id"], c.bob.id());
        bob.send(json!({"type": "typing", "channel": c.general.id, "thread": c.root})).await;
        alice.expect("typing", |f| f.data["thread_id"] == c.root.as_str()).await;

        // Each made-up frame is answered with an error and relayed to nobody.
        let long = "x".repeat(3000);
        let unknown_thread = uuid::Uuid::now_v7().to_string();
        let refused = [
            (Message::Text("not json".into()), "bad_frame"),
            (text(json!({"type": "shout"})), "bad_frame"),
            (text(json!({"type": "presence", "status": "asleep"})), "bad_frame"),
            (text(json!({"type": "typing", "channel": c.secret.id})), "unknown_channel"),
            (text(json!({"type": "typing", "channel": long})), "unknown_channel"),
            (text(json!({"type": "typing", "channel": c.general.id, "thread": c.foreign})), "unknown_thread"),
            (text(json!({"type": "typing", "channel": c.general.id, "thread": unknown_thread})), "unknown_thread"),
            (text(json!({"type": "typing", "channel": c.general.id, "thread": long})), "unknown_thread"),
        ];
        for (frame, code) in refused {
            bob.send_message(frame).await.unwrap();
            let error = bob.expect("error", |_| true).await;
            assert_eq!(error.data["code"], code);
        }
        let frames = frames_until_post(&mut alice, &c.alice, &c.general.id, "sentinel one").await;
        assert!(!frames.iter().any(|f| f.kind == "typing"), "nothing refused was relayed: {frames:?}");

        // A binary frame closes at once (4400).
        bob.send_message(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
        let (_, code) = bob.until_closed().await;
        assert_eq!(code, Some(4400));

        // The attack as found: ever-new 3 KB thread ids, as fast as the socket takes them. The
        // socket is closed after a few (4400), nothing reaches Alice, and memory stays put.
        let rss_before = rss_mb(c.server.pid());
        let general = c.general.id.clone();
        let frames = (0..20_000).map(move |i| {
            text(json!({"type": "typing", "channel": general, "thread": format!("{i:0>3000}")}))
        });
        let (code, answers) = flood(&c.server, &c.bob.token, frames).await;
        assert_eq!(code, Some(4400), "answers before the close: {}", answers.len());
        assert!(answers.iter().filter(|a| a["type"] == "error").count() <= 12, "{answers:?}");
        let frames = frames_until_post(&mut alice, &c.alice, &c.general.id, "sentinel two").await;
        assert!(!frames.iter().any(|f| f.kind == "typing"), "{frames:?}");
        let grown = rss_mb(c.server.pid()) - rss_before;
        assert!(grown < 25.0, "RSS grew {grown:.1} MB under the flood");

        // A well-formed flood of junk is closed the same way.
        let frames = (0..20_000).map(|i| Message::Text(format!("{{\"type\":\"junk{i}\",\"pad\":\"{}\"}}", "p".repeat(2000)).into()));
        let (code, _) = flood(&c.server, &c.bob.token, frames).await;
        assert_eq!(code, Some(4400));
    }

    async fn the_event_socket_closes_a_client_over_its_frame_budget(backend) {
        let c = chat(backend).await;
        let mut alice = EventSocket::connect(&c.server, &c.alice.token).await;
        let is_bob = |f: &Frame| f.data["user_id"] == c.bob.id();

        // Presence: every change of status is announced to the whole org. A tab flipping it
        // as fast as it can gets its budget's worth, then 4429.
        let frames = (0..2_000).map(|i| text(json!({"type": "presence", "status": if i % 2 == 0 { "away" } else { "active" }})));
        let (code, answers) = flood(&c.server, &c.bob.token, frames).await;
        assert_eq!(code, Some(4429), "{answers:?}");
        assert!(answers.iter().any(|a| a["data"]["code"] == "rate_limited"));
        let frames = alice.until("presence", |f| is_bob(f) && f.data["status"] == "offline").await;
        let announced = frames.iter().filter(|f| f.kind == "presence" && is_bob(f)).count();
        assert!(announced <= 30, "{announced} presence changes of one socket were announced");

        // Typing in one channel: forwarded once, then the rest only cost budget: 4429.
        let general = c.general.id.clone();
        let frames = (0..2_000).map(move |_| text(json!({"type": "typing", "channel": general})));
        let (code, _) = flood(&c.server, &c.bob.token, frames).await;
        assert_eq!(code, Some(4429));
        let frames = alice.until("presence", |f| is_bob(f) && f.data["status"] == "offline").await;
        let typing = frames.iter().filter(|f| f.kind == "typing").count();
        assert!(typing <= 2, "{typing} typing indicators forwarded");

        // Pings, in JSON (each answered) and as WebSocket pings (answered by the library).
        let frames = (0..2_000).map(|_| text(json!({"type": "ping"})));
        let (code, answers) = flood(&c.server, &c.bob.token, frames).await;
        assert_eq!(code, Some(4429));
        assert!(answers.iter().filter(|a| a["type"] == "pong").count() <= 30);
        let frames = (0..2_000).map(|_| Message::Ping(vec![0; 16].into()));
        let (code, _) = flood(&c.server, &c.bob.token, frames).await;
        assert_eq!(code, Some(4429));

        // A client within the budget is untouched.
        let mut bob = EventSocket::connect(&c.server, &c.bob.token).await;
        for _ in 0..5 {
            bob.send(json!({"type": "ping"})).await;
            bob.expect("pong", |_| true).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Slow and surplus connections

backend_tests! {
    async fn slow_requests_are_closed_at_their_deadlines_while_others_are_served(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_HTTP_HEADER_TIMEOUT_SECS", "2")
            .env("ATRIUM_HTTP_IDLE_TIMEOUT_SECS", "3")
            .start()
            .await;
        let addr = address(&server);

        // 300 requests whose headers never end, and a connection that sends nothing.
        let mut half_sent = Vec::new();
        for i in 0..300 {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            stream.write_all(format!("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow-{i}: ").as_bytes()).await.unwrap();
            half_sent.push(stream);
        }
        let mut silent = TcpStream::connect(&addr).await.unwrap();
        // Headers trickled a byte at a time: sending does not restart the clock.
        let trickle = {
            let addr = addr.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(&addr).await.unwrap();
                stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Trickle: ").await.unwrap();
                let deadline = Instant::now() + Duration::from_secs(30);
                while Instant::now() < deadline {
                    if stream.write_all(b"a").await.is_err() {
                        return true;
                    }
                    let pause = Instant::now() + Duration::from_millis(300);
                    if closed_by(&mut stream, pause).await {
                        return true;
                    }
                }
                false
            })
        };
        // A request body that stalls.
        let mut stalled = TcpStream::connect(&addr).await.unwrap();
        stalled.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":").await.unwrap();

        // Meanwhile others are served, and a kept-alive connection is reused within its idle
        // deadline.
        assert_eq!(server.client().health().await.unwrap().status, "ok");
        let mut kept = TcpStream::connect(&addr).await.unwrap();
        assert_eq!(get_on(&mut kept, "/healthz").await, 200);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(get_on(&mut kept, "/healthz").await, 200);

        // All of them are closed once their deadline passes (2 s for headers, 3 s idle); the
        // wait is generous for a busy machine, but without deadlines they stay open forever.
        let deadline = Instant::now() + Duration::from_secs(30);
        for (i, stream) in half_sent.iter_mut().enumerate() {
            assert!(closed_by(stream, deadline).await, "half-sent request {i} is still open");
        }
        assert!(closed_by(&mut silent, deadline).await, "a silent connection is still open");
        assert!(trickle.await.unwrap(), "a trickling request is still open");
        assert!(closed_by(&mut stalled, deadline).await, "a stalled body is still open");
        assert!(closed_by(&mut kept, deadline).await, "an idle kept-alive connection is still open");

        assert_eq!(server.client().health().await.unwrap().status, "ok");
        let metrics = metrics_text(&server).await;
        let timed_out = |phase: &str| metric(&metrics, &format!("atrium_http_connections_timed_out_total{{phase=\"{phase}\"}}"));
        assert!(timed_out("header") >= 302.0, "{metrics}");
        assert!(timed_out("idle") >= 1.0 && timed_out("body") >= 1.0, "{metrics}");
    }

    async fn connections_past_the_cap_are_refused_at_once_and_memory_stays_bounded(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_HTTP_MAX_CONNECTIONS", "40")
            .env("ATRIUM_HTTP_HEADER_TIMEOUT_SECS", "120")
            .env("ATRIUM_METRICS_LISTEN", "127.0.0.1:0")
            .start()
            .await;
        let addr = address(&server);
        assert_eq!(server.client().health().await.unwrap().status, "ok");
        // The health check's connection closes some time after its client is dropped; were it
        // still open below, it would free its slot in the middle of the waves and a connection
        // past the cap would take it. Wait until the main address has no connection open (the
        // metrics address counts in the same gauge: its own scrape is the one left).
        let scrape = server.announced("atrium metrics on ").expect("the metrics address").to_owned();
        let settle = Instant::now() + Duration::from_secs(20);
        loop {
            let metrics = reqwest::get(&scrape).await.unwrap().text().await.unwrap();
            assert!(metrics.contains("\natrium_http_connections_open "), "no open-connections gauge:\n{metrics}");
            if metric(&metrics, "atrium_http_connections_open") <= 1.0 {
                break;
            }
            assert!(Instant::now() < settle, "the health check's connection never closed:\n{metrics}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let rss_before = rss_mb(server.pid());

        // Every slot taken by a request whose 48 KB of headers never end.
        let head = format!("GET /healthz HTTP/1.1\r\nHost: test\r\nX-Pad: {}", "a".repeat(48 * 1024));
        let mut held = Vec::new();
        for _ in 0..40 {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            stream.write_all(head.as_bytes()).await.unwrap();
            held.push(stream);
        }
        // 1,500 more, in waves: each is answered 503 (or reset) and closed at once — long
        // before the 120 s the held ones may take — and none is buffered.
        for wave in 0..15 {
            let mut streams = Vec::new();
            for _ in 0..100 {
                let mut stream = TcpStream::connect(&addr).await.unwrap();
                let _ = stream.write_all(head.as_bytes()).await;
                streams.push(stream);
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            for stream in &mut streams {
                assert!(closed_by(stream, deadline).await, "a connection past the cap was kept (wave {wave})");
            }
        }
        let grown = rss_mb(server.pid()) - rss_before;
        assert!(grown < 30.0, "RSS grew {grown:.1} MB with 1,540 connections opened");

        // The held ones are still there; once they go, the server answers again.
        let still = Instant::now() + Duration::from_millis(200);
        assert!(!closed_by(&mut held[0], still).await, "a held connection was closed early");
        drop(held);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(health) = server.client().health().await {
                assert_eq!(health.status, "ok");
                break;
            }
            assert!(Instant::now() < deadline, "the server did not free the slots");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let metrics = reqwest::get(&scrape).await.unwrap().text().await.unwrap();
        assert!(metric(&metrics, "atrium_http_connections_refused_total") >= 1500.0, "{metrics}");
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics

backend_tests! {
    async fn made_up_methods_and_paths_do_not_grow_metrics(backend) {
        let server = TestServer::builder(backend).env("ATRIUM_API_RATE_PER_SECOND", "10000").start().await;
        let http = reqwest::Client::new();
        let series = |metrics: &str| {
            metrics
                .lines()
                // HTTP series only: the job queue's gauges appear on their own schedule.
                .filter(|l| l.starts_with("atrium_http_") && !l.starts_with("atrium_http_request_duration_seconds_bucket"))
                .count()
        };
        // Every kind of route once with a made-up method, so the series that may rightly
        // exist are there before counting.
        let warm_up = Method::from_bytes(b"WARMUP").unwrap();
        for path in ["/api/v1/nope", "/nope", "/collab/nope", "/api/v1/orgs/nope/members"] {
            let _ = http.request(warm_up.clone(), format!("{}{path}", server.url())).send().await.unwrap();
        }
        let before = series(&metrics_text(&server).await);
        for i in 0..500 {
            let method = Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
            let path = match i % 4 {
                0 => format!("/api/v1/no-such-{i}"),
                1 => format!("/no-such-page-{i}"),
                2 => format!("/collab/{i}"),
                _ => format!("/api/v1/orgs/{i}/members?x={i}"),
            };
            let response = http.request(method, format!("{}{path}", server.url())).send().await.unwrap();
            assert!(!response.status().is_server_error(), "{path}: {}", response.status());
        }
        let metrics = metrics_text(&server).await;
        let grown = series(&metrics) - before;
        assert!(grown <= 4, "{grown} new series for 500 made-up requests:\n{metrics}");
        assert!(metrics.contains(r#"method="other""#), "{metrics}");
        assert!(!metrics.contains("MADEUP") && !metrics.contains("WARMUP") && !metrics.contains("no-such"), "{metrics}");
    }

    async fn metrics_can_require_a_token_or_live_on_their_own_address(backend) {
        const TOKEN: &str = "scrape-7f3a9c2e1b";
        let url = |server: &TestServer| format!("{}/metrics", server.url());

        let server = TestServer::builder(backend).env("ATRIUM_METRICS_TOKEN", TOKEN).start().await;
        assert_eq!(get_status(url(&server), &[]).await, StatusCode::UNAUTHORIZED);
        assert_eq!(get_status(url(&server), &[("authorization", "Bearer wrong".into())]).await, StatusCode::UNAUTHORIZED);
        assert_eq!(get_status(url(&server), &[("authorization", TOKEN.into())]).await, StatusCode::UNAUTHORIZED);
        let response = reqwest::Client::new().get(url(&server)).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.text().await.unwrap().contains("atrium_http_requests_total"));
        drop(server);

        let server = TestServer::builder(backend)
            .env("ATRIUM_METRICS_LISTEN", "127.0.0.1:0")
            .env("ATRIUM_METRICS_TOKEN", TOKEN)
            .start()
            .await;
        let own = server.announced("atrium metrics on ").expect("the metrics address is announced").to_owned();
        assert_ne!(own, url(&server));
        assert_eq!(get_status(url(&server), &[("authorization", format!("Bearer {TOKEN}"))]).await, StatusCode::NOT_FOUND, "not on the main address");
        assert_eq!(get_status(own.clone(), &[]).await, StatusCode::UNAUTHORIZED);
        let response = reqwest::Client::new().get(&own).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.text().await.unwrap().contains("atrium_http_requests_total"));
        let elsewhere = own.replace("/metrics", "/healthz");
        assert_eq!(get_status(elsewhere, &[("authorization", format!("Bearer {TOKEN}"))]).await, StatusCode::NOT_FOUND, "only metrics there");
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-site WebSocket hijacking

backend_tests! {
    async fn cookie_websocket_upgrades_must_come_from_a_trusted_origin(backend) {
        let server = TestServer::builder(backend).env("ATRIUM_CORS_ORIGINS", "https://app.example").start().await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let project = fixtures::create_project(&alice, &org, "Docs", Visibility::Open).await.id;
        let doc = fixtures::create_doc(&alice, &project, "Plans").await.id;
        let cookie = format!("atrium_session={}", alice.token);
        let bearer = format!("Bearer {}", alice.token);
        let (cookie, bearer, own) = (cookie.as_str(), bearer.as_str(), server.url());
        let evil = "https://evil.example";

        for path in ["/api/v1/events".to_owned(), format!("/collab/{doc}")] {
            let refused: [(&str, Headers); 4] = [
                ("cookie from another site", vec![("cookie", cookie), ("origin", evil)]),
                ("cookie without an origin", vec![("cookie", cookie)]),
                ("cookie from an opaque origin", vec![("cookie", cookie), ("origin", "null")]),
                ("cookie from a look-alike", vec![("cookie", cookie), ("origin", "https://app.example.evil.example")]),
            ];
            for (what, headers) in refused {
                assert_eq!(upgrade(&server, &path, &headers).await.err(), Some(403), "{path}: {what}");
            }
            // A bogus ?token= does not make a hijacking page's cookie upgrade pass.
            let with_query = format!("{path}?token=atr_s_bogus");
            assert_eq!(upgrade(&server, &with_query, &[("cookie", cookie), ("origin", evil)]).await.err(), Some(403), "{path}: cookie with ?token=");

            let accepted: [(&str, String, Headers); 4] = [
                ("cookie from the own origin", path.clone(), vec![("cookie", cookie), ("origin", own)]),
                ("cookie from a CORS origin", path.clone(), vec![("cookie", cookie), ("origin", "https://app.example")]),
                ("?token= from anywhere", format!("{path}?token={}", alice.token), vec![("origin", evil)]),
                ("bearer from anywhere", path.clone(), vec![("authorization", bearer), ("origin", evil)]),
            ];
            for (what, target, headers) in accepted {
                let mut socket = upgrade(&server, &target, &headers).await.unwrap_or_else(|status| panic!("{target}: {what} refused with {status}"));
                match first_message(&mut socket).await {
                    Message::Text(frame) => assert!(frame.contains("\"hello\""), "{what}: {frame}"),
                    Message::Binary(frame) => assert!(matches!(frame.first(), Some(0 | 1)), "{what}: a sync or awareness message first"),
                    other => panic!("{what}: {other:?}"),
                }
                let _ = socket.close(None).await;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limits and the audit of refused credentials

backend_tests! {
    async fn fresh_bogus_tokens_are_limited_by_address_and_audited_in_aggregate(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_API_RATE_PER_SECOND", "1")
            .env("ATRIUM_AUDIT_REJECTION_WINDOW_SECS", "3")
            .start()
            .await;
        let alice = fixtures::user(&server, "alice").await;
        let _: Me = alice.client.get("/api/v1/me").await.unwrap();

        let started = Instant::now();
        let mut statuses = Vec::new();
        for i in 0..200 {
            let token = format!("atr_s_bogus{i}{}", uuid::Uuid::now_v7().simple());
            statuses.push(get_status(format!("{}/api/v1/me", server.url()), &[("authorization", format!("Bearer {token}"))]).await);
        }
        let limited = |statuses: &[StatusCode]| statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert!(limited(&statuses) >= 150, "{} of 200 fresh bogus tokens were limited", limited(&statuses));
        // The socket upgrades share the limit.
        let mut socket_statuses = Vec::new();
        for i in 0..10 {
            let status = upgrade(&server, &format!("/api/v1/events?token=atr_s_bogus_socket{i}"), &[]).await.err();
            socket_statuses.push(StatusCode::from_u16(status.expect("refused")).unwrap());
        }
        assert!(limited(&socket_statuses) >= 8, "bogus socket upgrades were not limited: {socket_statuses:?}");
        statuses.extend(socket_statuses);
        assert!(statuses.iter().all(|s| matches!(*s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)), "{statuses:?}");
        let unauthorized = (statuses.len() - limited(&statuses)) as u64;
        let elapsed = started.elapsed();
        // Alice's token was verified before: it has its own bucket.
        let _: Me = alice.client.get("/api/v1/me").await.unwrap();

        // One entry per kind (here: bearer and query) and window, and a summary when the window
        // closes, whose counts add up to every refusal.
        let deadline = Instant::now() + Duration::from_secs(30);
        let rows = loop {
            let rows = rejection_rows(&server).await;
            if rows.iter().map(|(count, _)| count).sum::<u64>() == unauthorized {
                break rows;
            }
            assert!(Instant::now() < deadline, "counts {rows:?} never added up to {unauthorized}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let windows = elapsed.as_secs() / 3 + 2;
        assert!(rows.len() as u64 <= 4 * windows, "{} rows for {unauthorized} refusals in {elapsed:?}", rows.len());
        assert!(rows.iter().all(|(_, ip)| ip.as_deref() == Some("127.0.0.1")), "{rows:?}");
    }

    async fn only_the_proxy_added_forwarded_for_entry_picks_the_bucket(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_TRUST_PROXY", "true")
            .env("ATRIUM_API_RATE_PER_SECOND", "2")
            .start()
            .await;
        let me = format!("{}/api/v1/me", server.url());
        let xff = |value: String| vec![("x-forwarded-for", value)];

        // A client behind the proxy writes whatever it likes left of the proxy's entry.
        let mut limited = 0;
        for i in 0..100 {
            let status = get_status(me.clone(), &xff(format!("198.51.100.{}, 10.{i}.0.1, 203.0.113.7", i % 250))).await;
            assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS), "{status}");
            limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
        }
        assert!(limited >= 50, "only {limited} of 100 spoofed requests were limited");
        assert_eq!(get_status(me.clone(), &xff("203.0.113.8, 203.0.113.7".into())).await, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(get_status(me.clone(), &xff("203.0.113.7, 203.0.113.8".into())).await, StatusCode::UNAUTHORIZED, "another client of the proxy: another bucket");

        // IPv6 clients are one bucket per /64.
        let mut limited = 0;
        for i in 0..60 {
            let status = get_status(me.clone(), &xff(format!("2001:db8:0:1::{:x}", i + 1))).await;
            limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
        }
        assert!(limited >= 20, "only {limited} of 60 requests from one /64 were limited");
        assert_eq!(get_status(me.clone(), &xff("2001:db8:0:2::1".into())).await, StatusCode::UNAUTHORIZED);

        // The audit records the proxy's entry too.
        let status = get_status(me.clone(), &[("x-forwarded-for", "192.0.2.1, 203.0.113.9".into()), ("authorization", "Bearer atr_s_bogus".into())]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let rows = rejection_rows(&server).await;
        assert_eq!(rows.iter().map(|(_, ip)| ip.as_deref()).collect::<Vec<_>>(), [Some("203.0.113.9")]);
    }
}
