//! The collaboration socket under floods from a mere viewer, through the real server: raw
//! y-websocket frames over tokio-tungstenite, the server's resident memory (and CPU) read from
//! /proc while it is flooded.
//!
//! - state requests: a frame of 100 SyncStep1 (refused whole: 4400), and frames of 64
//!   (within the frame limit) with empty, unknown-client and near-the-document state vectors
//!   (answered from shared encodings, then 4529 past the per-connection rate);
//! - QueryAwareness: a 4 MiB frame of them (4400 at once), and 12,800 in frames of 64 against
//!   a room with large presence states (answered within the query rate, the rest dropped);
//! - awareness: 32 MB of removals and states for clients the room never knew (nothing kept,
//!   at most four claimed);
//! - pings without reading the pongs (pongs count against the send queue: closed 4508);
//! - a reader falling behind the edits of a document (closed 4508 past the send queue's bytes,
//!   `ATRIUM_COLLAB_SEND_QUEUE_BYTES`).
//!
//! Before the fixes each of these grew the server by hundreds of megabytes (or never cut the
//! reader off); the bounds here are generous for a debug build on a busy machine and still far
//! below that.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atrium_client::wire::{OrgRole, Project, ProjectRole, Visibility};
use atrium_collab::protocol::{self, Incoming};
use atrium_tests::bench::{cpu_seconds, rss_mb};
use atrium_tests::collab::{Socket, connect as socket};
use atrium_tests::fixtures::{self, Editor, TestUser};
use atrium_tests::{TestServer, backend_tests};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Bytes;
use tokio_tungstenite::tungstenite::Message;
use yrs::{ClientID, StateVector};

struct Room {
    server: TestServer,
    owner: TestUser,
    viewer: TestUser,
    doc: String,
    /// The editor that wrote the document (its client id and clock are the document's).
    author: Editor,
}

/// A state vector for the i-th request of a flood.
type StateVectorFor = Box<dyn Fn(usize) -> StateVector>;

/// A server (with `env`), an owner and a viewer of an open project, and a document holding
/// `mb` megabytes of text written over HTTP.
async fn room(backend: atrium_tests::Backend, env: &[(&str, &str)], mb: usize) -> Room {
    let mut builder = TestServer::builder(backend);
    for (key, value) in env {
        builder = builder.env(key, *value);
    }
    let server = builder.start().await;
    let owner = fixtures::user(&server, "owner").await;
    let viewer = fixtures::user(&server, "viewer").await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project: Project =
        fixtures::create_project(&owner, &org.id, "Docs", Visibility::Open).await;
    fixtures::add_org_member(&owner, &org.id, &viewer, OrgRole::Member).await;
    fixtures::add_project_member(&owner, &project.id, viewer.id(), ProjectRole::Viewer).await;
    let doc = fixtures::create_doc(&owner, &project.id, "Target").await.id;
    let author = Editor::new();
    // 1 MB per update, in 1 KB lines (the document's items stay few and large).
    let line = format!("{}\n", "x".repeat(1023));
    for _ in 0..mb {
        let update = author.append(&line.repeat(1024));
        assert_eq!(
            fixtures::post_update(&owner, &doc, update).await,
            StatusCode::NO_CONTENT
        );
    }
    Room {
        server,
        owner,
        viewer,
        doc,
        author,
    }
}

/// Connects and syncs as a stock client does: the server's SyncStep1 arrives, we ask with an
/// empty state vector and read up to the whole document.
async fn synced(server: &TestServer, doc: &str, token: &str) -> Socket {
    let mut ws = socket(server, doc, token).await;
    ws.send(Message::Binary(protocol::encode_sync_step1(
        StateVector::default(),
    )))
    .await
    .unwrap();
    loop {
        match next(&mut ws).await {
            Ok(frame) if frame.starts_with(&[0, 1]) => return ws,
            Ok(_) => {}
            Err(code) => panic!("closed while syncing: {code:?}"),
        }
    }
}

/// The next binary frame, or the close frame's code (`None`: the connection just ended).
async fn next(ws: &mut Socket) -> Result<Bytes, Option<u16>> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("the server answers within 30 s")
        {
            Some(Ok(Message::Binary(bytes))) => return Ok(bytes),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| f.code.into())),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// The document's only client and its clock, from the SyncStep1 the server greets with.
async fn document_clock(server: &TestServer, doc: &str, token: &str) -> (u64, u32) {
    let mut ws = socket(server, doc, token).await;
    let greeting = next(&mut ws).await.unwrap();
    match &protocol::decode_frame(&greeting, 1).unwrap()[..] {
        [Incoming::SyncStep1(sv)] => {
            let entries: Vec<(u64, u32)> = sv.entries().collect();
            assert_eq!(entries.len(), 1, "one author");
            entries[0]
        }
        other => panic!("{other:?}"),
    }
}

/// Reads until the server closes the socket; the frames read and the close code.
async fn until_closed(ws: &mut Socket) -> (Vec<Bytes>, Option<u16>) {
    let mut frames = Vec::new();
    loop {
        match next(ws).await {
            Ok(frame) => frames.push(frame),
            Err(code) => return (frames, code),
        }
    }
}

/// The server's peak resident memory while it runs, sampled every 20 ms.
struct PeakRss {
    peak_kb: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
    base: f64,
}

impl PeakRss {
    fn start(pid: u32) -> Self {
        let base = rss_mb(pid);
        let peak_kb = Arc::new(AtomicU64::new((base * 1024.0) as u64));
        let peak = peak_kb.clone();
        let task = tokio::spawn(async move {
            loop {
                peak.fetch_max((rss_mb(pid) * 1024.0) as u64, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self {
            peak_kb,
            task,
            base,
        }
    }

    /// Megabytes the server grew by at its peak.
    fn growth(self) -> f64 {
        self.task.abort();
        self.peak_kb.load(Ordering::Relaxed) as f64 / 1024.0 - self.base
    }
}

/// A state vector of `client` at `clock`.
fn sv(client: u64, clock: u32) -> StateVector {
    [(ClientID::new(client), clock)].into_iter().collect()
}

/// Frames of `per_frame` SyncStep1 messages, `total` messages in all, the state vectors from
/// `make(i)`.
fn sync_frames(
    total: usize,
    per_frame: usize,
    make: impl Fn(usize) -> StateVector,
) -> Vec<Vec<u8>> {
    (0..total)
        .collect::<Vec<_>>()
        .chunks(per_frame)
        .map(|chunk| {
            chunk
                .iter()
                .flat_map(|&i| protocol::encode_sync_step1(make(i)).to_vec())
                .collect()
        })
        .collect()
}

/// Sends `frames` without reading anything, then reads until the server closes the socket.
async fn flood(ws: &mut Socket, frames: Vec<Vec<u8>>) -> (Vec<Bytes>, Option<u16>) {
    for frame in frames {
        if ws.send(Message::Binary(frame.into())).await.is_err() {
            break;
        }
    }
    until_closed(ws).await
}

fn step2_count(frames: &[Bytes]) -> usize {
    frames.iter().filter(|f| f.starts_with(&[0, 1])).count()
}

backend_tests! {
    async fn state_request_floods_from_a_viewer_stay_bounded(backend) {
        let r = room(backend, &[], 4).await;
        let pid = r.server.pid();
        let (client, clock) = document_clock(&r.server, &r.doc, &r.viewer.token).await;
        // A stock client syncs (the whole document is encoded once and kept for the next).
        let mut stock = synced(&r.server, &r.doc, &r.viewer.token).await;

        // One 600-byte frame of 100 requests for clients the document never saw: each used to
        // be answered with a fresh copy of the whole document (~400 MB).
        let peak = PeakRss::start(pid);
        let mut ws = socket(&r.server, &r.doc, &r.viewer.token).await;
        let frame = sync_frames(100, 100, |i| sv(1 + i as u64, 1)).remove(0);
        assert!(frame.len() < 700);
        let (frames, code) = flood(&mut ws, vec![frame]).await;
        assert_eq!(code, Some(4400), "more messages than a frame may hold");
        assert_eq!(step2_count(&frames), 0, "nothing of the frame was answered");
        let grew = peak.growth();
        eprintln!("100 SyncStep1 in one frame: the server grew by {grew:.1} MB at its peak");
        assert!(grew < 64.0, "a frame of 100 SyncStep1 grew the server by {grew:.0} MB");

        // Frames within the message limit: empty state vectors, unknown clients, and the
        // document's own client at clocks from 55% to 100% (diffs of up to 45% of it, each
        // computed for its request). Past the rate (10 at once) the connection is closed;
        // nobody reads until then. Before: 192 copies of up to the whole document.
        let variants: [(&str, StateVectorFor); 3] = [
            ("empty", Box::new(|_| StateVector::default())),
            ("unknown clients", Box::new(|i| sv(5_000 + i as u64, 3))),
            (
                "near the document",
                Box::new(move |i| sv(client, clock / 100 * (55 + (i % 45) as u32))),
            ),
        ];
        for (what, make) in variants {
            let peak = PeakRss::start(pid);
            let cpu = cpu_seconds(pid);
            let mut ws = socket(&r.server, &r.doc, &r.viewer.token).await;
            let (frames, code) = flood(&mut ws, sync_frames(192, 64, make)).await;
            let grew = peak.growth();
            let cpu = cpu_seconds(pid) - cpu;
            eprintln!("{what}: the server grew by {grew:.1} MB at its peak and used {cpu:.2} s of CPU");
            assert!(
                matches!(code, Some(4529) | Some(4508)),
                "{what}: closed with {code:?} (rate limited, or too slow a reader)"
            );
            assert!(step2_count(&frames) <= 10, "{what}: {} answers", step2_count(&frames));
            assert!(grew < 96.0, "{what}: the server grew by {grew:.0} MB");
            assert!(cpu < 20.0, "{what}: {cpu:.1} s of server CPU");
        }

        // The stock client was not disturbed.
        let update = r.author.append("still here");
        assert_eq!(fixtures::post_update(&r.owner, &r.doc, update).await, StatusCode::NO_CONTENT);
        loop {
            let frame = next(&mut stock).await.expect("the stock client stays connected");
            if frame.windows(10).any(|w| w == b"still here") {
                break;
            }
        }
    }

    async fn awareness_floods_from_a_viewer_stay_bounded(backend) {
        let r = room(backend, &[], 0).await;
        let pid = r.server.pid();
        // Three viewers present, each with four large states (~48 KB of presence each).
        let big = format!(r#"{{"user":{{"name":"{}"}}}}"#, "p".repeat(12_000));
        let mut present = Vec::new();
        for n in 0..3u64 {
            let mut ws = synced(&r.server, &r.doc, &r.viewer.token).await;
            let entries: Vec<(u64, u32, &str)> =
                (0..4).map(|c| (100 * (n + 1) + c, 1, big.as_str())).collect();
            ws.send(Message::Binary(protocol::encode_awareness_entries(entries.into_iter())))
                .await
                .unwrap();
            present.push(ws);
        }
        // (Each sees its own states come back: the room has them.)
        for ws in &mut present {
            loop {
                let frame = next(ws).await.unwrap();
                if frame.starts_with(&[1]) && frame.len() > 4 * 12_000 {
                    break;
                }
            }
        }

        // A 4 MiB frame of QueryAwareness: refused at once (each used to be answered with
        // every state: 4 million copies of ~150 KB).
        let is_snapshot = |f: &Bytes| f.starts_with(&[1]) && f.len() > 100_000;
        let peak = PeakRss::start(pid);
        let cpu = cpu_seconds(pid);
        let mut ws = socket(&r.server, &r.doc, &r.viewer.token).await;
        let query = protocol::encode_query_awareness().to_vec();
        let (frames, code) = flood(&mut ws, vec![query.repeat(4 << 20)]).await;
        assert_eq!(code, Some(4400));
        assert!(
            frames.iter().filter(|f| is_snapshot(f)).count() <= 1,
            "nothing but the greeting's presence"
        );
        // 12,800 queries in frames of 64, never reading: answered within the query rate (one
        // shared snapshot), the rest dropped; the connection stays open.
        let mut ws = socket(&r.server, &r.doc, &r.viewer.token).await;
        let started = Instant::now();
        for _ in 0..200 {
            ws.send(Message::Binary(query.repeat(64).into())).await.unwrap();
        }
        let mut answers = 0;
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_millis(1_500), ws.next()).await
        {
            if let Message::Binary(frame) = message {
                answers += usize::from(is_snapshot(&frame));
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let grew = peak.growth();
        let cpu = cpu_seconds(pid) - cpu;
        eprintln!("QueryAwareness floods: the server grew by {grew:.1} MB at its peak and used {cpu:.2} s of CPU");
        // The greeting's presence, the burst of 10, one per second since.
        assert!(
            (2..=1 + 10 + elapsed.ceil() as usize + 2).contains(&answers),
            "{answers} answers to 12,800 queries in {elapsed:.1} s"
        );
        assert!(grew < 96.0, "query floods grew the server by {grew:.0} MB");
        assert!(cpu < 20.0, "query floods took {cpu:.1} s of server CPU");

        // Awareness for clients the room never knew: 32 MB of removals, then states for
        // 300,000 new clients. Nothing of the removals is kept (they used to be, ~10 bytes
        // sent costing ~100 kept), and four of the states are taken.
        let peak = PeakRss::start(pid);
        let mut flooder = synced(&r.server, &r.doc, &r.viewer.token).await;
        for round in 0..8u64 {
            let entries: Vec<(u64, u32, &str)> = (0..350_000u64)
                .map(|c| ((round << 40) | (c + 1_000_000), 5, "null"))
                .collect();
            let frame = protocol::encode_awareness_entries(entries.into_iter());
            assert!(frame.len() > 3 << 20 && frame.len() < 8 << 20);
            flooder.send(Message::Binary(frame)).await.unwrap();
        }
        let entries: Vec<(u64, u32, &str)> = (0..300_000u64).map(|c| (c + 9_000_000, 1, "{}")).collect();
        flooder
            .send(Message::Binary(protocol::encode_awareness_entries(entries.into_iter())))
            .await
            .unwrap();
        // The flooder's own states come back: exactly the four it may own.
        let frame = loop {
            let frame = next(&mut flooder).await.expect("the flooder stays connected");
            if frame.starts_with(&[1]) && frame.len() < 1_000 {
                break frame;
            }
        };
        match &protocol::decode_frame(&frame, 1).unwrap()[..] {
            [Incoming::Awareness(entries)] => assert_eq!(entries.len(), 4),
            other => panic!("{other:?}"),
        }
        // A newcomer is told about the flooder's four states among the others (the viewers'
        // twelve, unless they expired on a slow machine).
        let mut newcomer = socket(&r.server, &r.doc, &r.viewer.token).await;
        let told = loop {
            let frame = next(&mut newcomer).await.unwrap();
            if frame.starts_with(&[1]) {
                break frame;
            }
        };
        match &protocol::decode_frame(&told, 1).unwrap()[..] {
            [Incoming::Awareness(entries)] => {
                let flooders = entries.iter().filter(|e| e.client >= 9_000_000).count();
                assert_eq!((flooders, entries.len() <= 16), (4, true));
            }
            other => panic!("{other:?}"),
        }
        let grew = peak.growth();
        eprintln!("awareness floods: the server grew by {grew:.1} MB at its peak");
        assert!(grew < 96.0, "awareness floods grew the server by {grew:.0} MB");
    }

    async fn pings_without_reading_are_cut_off(backend) {
        let r = room(backend, &[], 0).await;
        let pid = r.server.pid();
        let peak = PeakRss::start(pid);
        let mut ws = socket(&r.server, &r.doc, &r.viewer.token).await;
        // Masked ping frames with 125-byte payloads, written straight to the socket, a
        // thousand per write; the pongs are never read. Before: every pong was queued (1M
        // pings: +169 MB).
        let mut batch = Vec::new();
        for i in 0..1_000u32 {
            batch.extend_from_slice(&[0x89, 0x80 | 125]);
            let mask = i.to_be_bytes();
            batch.extend_from_slice(&mask);
            batch.extend((0..125).map(|j| b'p' ^ mask[j % 4]));
        }
        let stream = match ws.get_mut() {
            tokio_tungstenite::MaybeTlsStream::Plain(s) => s,
            _ => unreachable!("plain TCP on loopback"),
        };
        let mut sent = 0;
        while sent < 1_000_000 {
            match tokio::time::timeout(Duration::from_secs(20), stream.write_all(&batch)).await {
                Ok(Ok(())) => sent += 1_000,
                // The server dropped the connection.
                Ok(Err(_)) => break,
                Err(_) => panic!("the server neither read nor dropped the socket in 20 s"),
            }
        }
        // Now read: the pongs the socket had taken, then the end of the connection. (Before,
        // every ping was answered and the connection stayed open.)
        let mut pongs = 0;
        let ended = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Pong(_)))) => pongs += 1,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    let code = frame.map(|f| u16::from(f.code));
                    assert_eq!(code, Some(4508), "closed as a slow consumer");
                    break true;
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) => break true,
                Err(_) => break false,
            }
        };
        let grew = peak.growth();
        eprintln!("pings: the server grew by {grew:.1} MB at its peak");
        assert!(ended, "the connection is still open after {sent} pings and {pongs} pongs");
        assert!(pongs < sent, "all {sent} pings were answered");
        assert!(grew < 64.0, "{sent} pings grew the server by {grew:.0} MB");
        // Everyone else carries on.
        let mut other = synced(&r.server, &r.doc, &r.viewer.token).await;
        other.send(Message::Ping(b"fine".to_vec().into())).await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), other.next()).await.unwrap() {
                Some(Ok(Message::Pong(p))) => {
                    assert_eq!(&p[..], b"fine");
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    async fn a_reader_falling_behind_is_dropped_past_the_queue_bytes(backend) {
        let r = room(backend, &[("ATRIUM_COLLAB_SEND_QUEUE_BYTES", "4194304")], 2).await;
        let pid = r.server.pid();
        // Two viewers sync the 2 MB document; one then stops reading, the other keeps up.
        let mut slow = synced(&r.server, &r.doc, &r.viewer.token).await;
        let fast = synced(&r.server, &r.doc, &r.viewer.token).await;
        let fast = tokio::spawn(async move {
            let mut fast = fast;
            let mut bytes = 0;
            loop {
                match tokio::time::timeout(Duration::from_secs(5), fast.next()).await {
                    Ok(Some(Ok(Message::Binary(frame)))) => bytes += frame.len(),
                    Ok(Some(Ok(Message::Close(frame)))) => {
                        return (bytes, frame.map(|f| u16::from(f.code)));
                    }
                    Ok(Some(Ok(_))) => {}
                    // Quiet for 5 s: everything was sent.
                    Ok(Some(Err(_)) | None) | Err(_) => return (bytes, None),
                }
            }
        });
        let peak = PeakRss::start(pid);
        // The owner adds and removes 200 KB 150 times over HTTP: 30 MB reach each viewer,
        // while the document stays small.
        let chunk = "w".repeat(200_000);
        let mut sent = 0;
        for _ in 0..150 {
            for update in [r.author.append(&chunk), r.author.delete(&chunk)] {
                sent += update.len();
                assert_eq!(
                    fixtures::post_update(&r.owner, &r.doc, update).await,
                    StatusCode::NO_CONTENT
                );
            }
        }
        // The reader that keeps up got everything and was not closed.
        let (fast_bytes, fast_close) = fast.await.unwrap();
        assert_eq!(fast_close, None);
        assert!(fast_bytes >= sent, "the reader keeping up got {fast_bytes} of {sent} bytes");
        // The one that stopped reading was cut off (before: never, with fewer than 1,024
        // frames queued): it gets what the socket had taken, then the close or the end.
        let (frames, code) = until_closed(&mut slow).await;
        let got: usize = frames.iter().map(|f| f.len()).sum();
        assert!(got < sent / 2, "the slow reader received {got} of {sent} bytes");
        assert!(matches!(code, Some(4508) | None), "closed with {code:?}");
        let grew = peak.growth();
        eprintln!("a reader falling behind: the server grew by {grew:.1} MB at its peak");
        assert!(grew < 128.0, "the server grew by {grew:.0} MB");
    }
}
