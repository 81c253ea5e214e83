//! The hub's limits and lifecycle on a real database (SQLite in a temporary file, and
//! PostgreSQL under `ATRIUM_TEST_PG_URL`, like `hub.rs`): idle unloading, slow consumers, the
//! update rate, document and message size limits, shared loads, the change feed (its debounce
//! and its bound under continuous typing) and shutdown.
//!
//! Time is the injected clock where the hub reads one (idle unloading, awareness); the update
//! rate bucket and the change-feed debounce run on real time, so those tests use short
//! timings and bound every wait.

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atrium_collab::protocol::{self, Incoming};
use atrium_collab::{
    Access, Clock, ContentFormat, DocChange, Error, Hub, HubConfig, Outgoing, Rate, close_codes,
};
use bytes::Bytes;
use common::{Client, CountingStore, TestDb, config, hub, text_of_state};
use yrs::sync::Awareness;
use yrs::types::xml::{XmlElementPrelim, XmlTextPrelim};
use yrs::updates::decoder::Decode;
use yrs::{Doc, StateVector, Text, Transact, Update, XmlFragment};

fn clock(now: &Arc<AtomicU64>) -> Clock {
    let now = now.clone();
    Clock::from_fn(move || now.load(Ordering::SeqCst))
}

/// An update that appends `s` to the `text` of a document holding `state`.
fn append_update(state: &[u8], s: &str) -> Vec<u8> {
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    let text = doc.get_or_insert_text("text");
    let mut txn = doc.transact_mut();
    let len = text.len(&txn);
    text.insert(&mut txn, len, s);
    txn.encode_update_v1()
}

/// A sync Update frame inserting `n` characters into `text`, from a fresh document with a
/// fixed client id (so its size is deterministic).
fn insert_frame(client_id: u64, n: usize) -> Bytes {
    let doc = Doc::with_client_id(client_id);
    let text = doc.get_or_insert_text("text");
    let mut txn = doc.transact_mut();
    text.insert(&mut txn, 0, &"q".repeat(n));
    protocol::encode_update(txn.encode_update_v1())
}

/// Waits for the close instruction, skipping queued frames, then checks the session ends.
async fn expect_close(client: &mut Client, code: u16) {
    loop {
        match client.next().await {
            Some(Outgoing::Close { code: got, reason }) => {
                assert_eq!(got, code, "closed with {got} ({reason})");
                assert_eq!(reason, close_codes::reason(code));
                break;
            }
            Some(Outgoing::Frame(_)) => {}
            None => panic!("the session ended without a close instruction"),
        }
    }
    assert_eq!(
        client.next().await,
        None,
        "nothing after the close instruction"
    );
}

both!(idle_room_unloads_after_flush_and_reloads);
async fn idle_room_unloads_after_flush_and_reloads(db: &TestDb) {
    let now = Arc::new(AtomicU64::new(1_000_000));
    let idle = Duration::from_secs(10);
    let store = CountingStore::new(db.store.clone(), Duration::ZERO);
    let hub = Hub::new(
        store.clone(),
        HubConfig {
            clock: clock(&now),
            room_idle_timeout: idle,
            ..config()
        },
    );
    let mut a = Client::join(&hub, "idle", Access::ReadWrite).await;
    assert_eq!((hub.loaded_rooms(), store.loads()), (1, 1));

    // A room with a connection stays loaded however long it is idle.
    now.fetch_add(3_600_000, Ordering::SeqCst);
    hub.run_maintenance();
    assert_eq!(hub.loaded_rooms(), 1);

    // The last connection leaves while its updates are still on their way to the database: the
    // room waits for them before it unloads.
    let gate = store.gate.write().await;
    for i in 0..20 {
        a.edit(&format!("<{i}>")).unwrap();
    }
    let expected = a.text();
    drop(a);
    now.fetch_add(idle.as_millis() as u64, Ordering::SeqCst);
    hub.run_maintenance();
    assert_eq!(hub.loaded_rooms(), 1, "not unloaded with updates in flight");
    assert_eq!(db.log_rows("idle").await, 0);
    drop(gate);
    hub.flush().await;
    assert_eq!(db.log_rows("idle").await, 20);
    hub.run_maintenance();
    assert_eq!(hub.loaded_rooms(), 0, "flushed, then unloaded");
    assert_eq!(hub.connections(), 0);

    // Reconnecting loads it again from the database, with the same content.
    let b = Client::join(&hub, "idle", Access::ReadWrite).await;
    assert_eq!((hub.loaded_rooms(), store.loads()), (1, 2));
    assert_eq!(b.text(), expected);
    drop(b);
    let left = now.load(Ordering::SeqCst);
    now.store(left + idle.as_millis() as u64 - 1, Ordering::SeqCst);
    hub.run_maintenance();
    assert_eq!(hub.loaded_rooms(), 1, "not before the idle timeout");
    now.store(left + idle.as_millis() as u64, Ordering::SeqCst);
    hub.run_maintenance();
    assert_eq!(hub.loaded_rooms(), 0);

    // An HTTP read loads it too, and it unloads after the same idle period.
    assert_eq!(
        hub.content("idle", ContentFormat::Text).await.unwrap(),
        expected
    );
    assert_eq!((hub.loaded_rooms(), store.loads()), (1, 3));
    now.fetch_add(idle.as_millis() as u64, Ordering::SeqCst);
    hub.run_maintenance();
    assert_eq!(hub.loaded_rooms(), 0);

    // The hub's own maintenance task does the same on its interval.
    let auto = Hub::new(
        store.clone(),
        HubConfig {
            maintenance_interval: Duration::from_millis(20),
            room_idle_timeout: Duration::from_millis(100),
            ..config()
        },
    );
    let mut c = Client::join(&auto, "auto", Access::ReadWrite).await;
    c.edit("kept").unwrap();
    c.wait_echoes().await;
    drop(c);
    let started = Instant::now();
    while auto.loaded_rooms() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the maintenance task did not unload the idle room"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = Client::join(&auto, "auto", Access::ReadWrite).await;
    assert_eq!(again.text(), "kept");
}

both!(slow_consumer_is_closed_never_fed_a_gap);
async fn slow_consumer_is_closed_never_fed_a_gap(db: &TestDb) {
    // Three of the writer's frames (each under 40 bytes) fit behind the one being written.
    let hub = hub(
        db,
        HubConfig {
            send_queue_bytes: 3 * atrium_collab::queue::frame_cost(40),
            ..config()
        },
    );
    let mut writer = Client::join(&hub, "slow", Access::ReadWrite).await;
    let mut reader = Client::join(&hub, "slow", Access::ReadWrite).await;
    // The slow consumer does the handshake, then reads one frame for every three sent.
    let (mut conn, mut slow) = hub.connect("slow", Access::ReadWrite).await.unwrap();
    conn.receive(protocol::encode_sync_step1(StateVector::default()))
        .unwrap();
    for _ in 0..2 {
        match tokio::time::timeout(Duration::from_secs(10), slow.next()).await {
            Ok(Some(Outgoing::Frame(f))) => assert!(matches!(
                protocol::decode_frame(&f, 1).unwrap()[..],
                [Incoming::SyncStep1(_)] | [Incoming::SyncStep2(_)]
            )),
            other => panic!("handshake expected, got {other:?}"),
        }
    }
    let mut sent = Vec::new();
    let mut got = Vec::new();
    for i in 0..40 {
        let frame = writer.make_edit(&format!("<{i}>"));
        writer.echoes += 1;
        writer.conn.receive(frame.clone()).unwrap();
        sent.push(frame);
        // The others keep up (the writer's echo comes after the commit).
        writer.wait_echoes().await;
        reader.pump();
        if i % 3 == 0 {
            if let Some(f) = slow.try_next() {
                got.push(f);
            }
        }
    }
    match tokio::time::timeout(Duration::from_secs(10), slow.next()).await {
        Ok(Some(Outgoing::Close { code, .. })) => assert_eq!(code, close_codes::SLOW_CONSUMER),
        other => panic!("slow consumer not closed: {other:?}"),
    }
    assert_eq!(slow.next().await, None);
    assert!(slow.try_next().is_none());
    // Once closed, its own updates are refused too (a socket may still deliver one).
    let late = {
        let d = Doc::new();
        let t = d.get_or_insert_text("text");
        let mut txn = d.transact_mut();
        t.insert(&mut txn, 0, "late");
        protocol::encode_update(txn.encode_update_v1())
    };
    assert_eq!(conn.receive(late), Err(close_codes::SLOW_CONSUMER));
    // What it did get is exactly the beginning of what was sent: no frame skipped.
    assert!(!got.is_empty() && got.len() < sent.len());
    assert_eq!(
        got[..],
        sent[..got.len()],
        "the slow consumer was fed a gap"
    );

    // Nobody else is affected.
    reader.settle().await;
    assert_eq!((writer.closed, reader.closed), (None, None));
    assert_eq!(reader.text(), writer.text());
    assert_eq!(db.log_rows("slow").await, 40);
    drop(conn);
    assert_eq!(hub.connections(), 2);
}

both!(update_rate_limit_closes_and_drops_the_excess);
async fn update_rate_limit_closes_and_drops_the_excess(db: &TestDb) {
    let burst: usize = 6;
    let hub1 = hub(
        db,
        HubConfig {
            // Practically no refill: exactly the burst is allowed.
            update_rate: Rate {
                per_second: 0.001,
                burst: burst as f64,
            },
            ..config()
        },
    );
    let mut peer = Client::join(&hub1, "rate", Access::ReadWrite).await;
    let mut fast = Client::join(&hub1, "rate", Access::ReadWrite).await;
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for i in 0..20 {
        let piece = format!("<{i}>");
        match fast.edit(&piece) {
            Ok(()) if refused.is_empty() => accepted.push(piece),
            Ok(()) => panic!("update {i} accepted after the connection was closed"),
            Err(code) => refused.push(code),
        }
    }
    // The handshake's SyncStep2 (an empty update) may take a token too.
    assert!(
        (burst - 1..=burst).contains(&accepted.len()),
        "{} updates accepted with a burst of {burst}",
        accepted.len()
    );
    assert!(refused.iter().all(|c| *c == close_codes::RATE_LIMITED));
    expect_close(&mut fast, close_codes::RATE_LIMITED).await;

    // Updates past the limit were neither applied, broadcast nor stored.
    hub1.flush().await;
    peer.settle().await;
    let expected = accepted.concat();
    assert_eq!(peer.text(), expected);
    assert_eq!(peer.closed, None);
    assert_eq!(db.log_rows("rate").await, accepted.len() as i64);
    assert_eq!(
        hub1.content("rate", ContentFormat::Text).await.unwrap(),
        expected
    );

    // Within the rate the same client shape is never closed.
    let hub2 = hub(
        db,
        HubConfig {
            update_rate: Rate {
                per_second: 40.0,
                burst: 5.0,
            },
            ..config()
        },
    );
    let mut paced = Client::join(&hub2, "paced", Access::ReadWrite).await;
    for round in 0..3 {
        for i in 0..4 {
            paced.edit(&format!("[{round}.{i}]")).unwrap();
        }
        paced.wait_echoes().await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(paced.closed, None);
    assert_eq!(db.log_rows("paced").await, 12);
}

both!(document_size_limit_refuses_and_reports);
async fn document_size_limit_refuses_and_reports(db: &TestDb) {
    const LIMIT: usize = 4000;
    let limited = || HubConfig {
        max_document_size: LIMIT,
        ..config()
    };
    let hub1 = hub(db, limited());
    let mut a = Client::join(&hub1, "big", Access::ReadWrite).await;
    let mut b = Client::join(&hub1, "big", Access::ReadWrite).await;
    a.edit("small start").unwrap();
    a.edit(&"x".repeat(1500)).unwrap();
    a.wait_echoes().await;
    b.settle().await;
    let before = b.text();
    let stored = db.stored_bytes("big").await;
    assert!(stored < 2000, "{stored} bytes stored");

    // Over a WebSocket: the sender is closed, nothing is applied, broadcast or stored.
    assert_eq!(
        a.edit(&"y".repeat(3000)),
        Err(close_codes::DOCUMENT_TOO_LARGE)
    );
    expect_close(&mut a, close_codes::DOCUMENT_TOO_LARGE).await;
    hub1.flush().await;
    b.settle().await;
    assert_eq!(b.text(), before);
    assert_eq!(b.closed, None);
    assert_eq!(db.log_rows("big").await, 2);
    assert_eq!(db.stored_bytes("big").await, stored);
    assert_eq!(
        hub1.content("big", ContentFormat::Text).await.unwrap(),
        before
    );

    // Over HTTP: the typed error.
    let state = hub1.encode_state("big").await.unwrap();
    let too_big = append_update(&state, &"z".repeat(3000));
    match hub1.apply_update("big", &too_big).await {
        Err(Error::DocumentTooLarge { limit }) => assert_eq!(limit, LIMIT),
        other => panic!("expected DocumentTooLarge, got {other:?}"),
    }
    assert_eq!(db.log_rows("big").await, 2);
    // What still fits is accepted.
    assert!(
        hub1.apply_update("big", &append_update(&state, " end"))
            .await
            .unwrap()
    );
    assert_eq!(db.log_rows("big").await, 3);
    b.settle().await;
    assert_eq!(b.text(), format!("{before} end"));

    // After a restart the size is taken from what is stored: the limit still holds.
    drop((a, b));
    hub1.shutdown().await;
    let hub2 = hub(db, limited());
    let state = hub2.encode_state("big").await.unwrap();
    assert!(matches!(
        hub2.apply_update("big", &append_update(&state, &"z".repeat(3000)))
            .await,
        Err(Error::DocumentTooLarge { .. })
    ));
    assert_eq!(db.log_rows("big").await, 3);
    assert_eq!(text_of_state(&state), format!("{before} end"));
}

both!(message_size_limit_closes_the_sender);
async fn message_size_limit_closes_the_sender(db: &TestDb) {
    const LIMIT: usize = 1024;
    let hub = hub(
        db,
        HubConfig {
            max_message_size: LIMIT,
            max_awareness_state: 200,
            ..config()
        },
    );
    let mut a = Client::join(&hub, "msg", Access::ReadWrite).await;
    let mut b = Client::join(&hub, "msg", Access::ReadWrite).await;
    a.edit(&"a".repeat(900)).unwrap();
    a.wait_echoes().await;

    let frame = a.make_edit(&"b".repeat(1100));
    assert!(frame.len() > LIMIT);
    assert_eq!(a.conn.receive(frame), Err(close_codes::MESSAGE_TOO_LARGE));
    // Later frames, even valid ones, are ignored.
    assert_eq!(
        a.conn
            .receive(protocol::encode_sync_step1(StateVector::default())),
        Err(close_codes::MESSAGE_TOO_LARGE)
    );
    expect_close(&mut a, close_codes::MESSAGE_TOO_LARGE).await;
    b.settle().await;
    assert_eq!(b.closed, None);
    assert_eq!(b.text(), "a".repeat(900));
    assert_eq!(db.log_rows("msg").await, 1);

    // The boundary: a frame of exactly the limit passes, one byte more does not.
    let n = (800..1100)
        .find(|&n| insert_frame(7, n).len() == LIMIT)
        .expect("a frame of exactly the limit");
    let (mut at, _at_out) = hub.connect("msg", Access::ReadWrite).await.unwrap();
    at.receive(insert_frame(7, n)).unwrap();
    let over = insert_frame(8, n + 1);
    assert_eq!(over.len(), LIMIT + 1);
    let (mut past, _past_out) = hub.connect("msg", Access::ReadWrite).await.unwrap();
    assert_eq!(past.receive(over), Err(close_codes::MESSAGE_TOO_LARGE));
    hub.flush().await;
    assert_eq!(db.log_rows("msg").await, 2);

    // An awareness state over its own limit.
    let mut c = Client::join(&hub, "msg", Access::ReadWrite).await;
    let mut presence = Awareness::new(Doc::new());
    presence
        .set_local_state(serde_json::json!({ "name": "n".repeat(300) }))
        .unwrap();
    assert_eq!(
        c.conn
            .receive(protocol::encode_awareness(presence.update().unwrap())),
        Err(close_codes::MESSAGE_TOO_LARGE)
    );
    expect_close(&mut c, close_codes::MESSAGE_TOO_LARGE).await;

    // Over HTTP: the typed error, nothing stored.
    let state = hub.encode_state("msg").await.unwrap();
    let update = append_update(&state, &"h".repeat(2 * LIMIT));
    match hub.apply_update("msg", &update).await {
        Err(Error::MessageTooLarge { size, limit }) => {
            assert_eq!((size, limit), (update.len(), LIMIT));
        }
        other => panic!("expected MessageTooLarge, got {other:?}"),
    }
    assert_eq!(db.log_rows("msg").await, 2);
}

both!(concurrent_joiners_share_one_load);
async fn concurrent_joiners_share_one_load(db: &TestDb) {
    {
        let seed = hub(db, config());
        let mut a = Client::join(&seed, "shared", Access::ReadWrite).await;
        a.edit("shared content").unwrap();
        a.wait_echoes().await;
        drop(a);
        seed.shutdown().await;
    }
    // Each load is held for a moment so every joiner arrives while it is under way.
    let store = CountingStore::new(db.store.clone(), Duration::from_millis(200));
    let hub = Hub::new(store.clone(), config());
    const SOCKETS: usize = 16;
    const HTTP: usize = 4;
    let barrier = Arc::new(tokio::sync::Barrier::new(SOCKETS + HTTP));
    let mut sockets = Vec::new();
    for _ in 0..SOCKETS {
        let (hub, barrier) = (hub.clone(), barrier.clone());
        sockets.push(tokio::spawn(async move {
            barrier.wait().await;
            let (mut conn, mut outbox) = hub.connect("shared", Access::ReadWrite).await.unwrap();
            conn.receive(protocol::encode_sync_step1(StateVector::default()))
                .unwrap();
            loop {
                let next = tokio::time::timeout(Duration::from_secs(10), outbox.next()).await;
                let Ok(Some(Outgoing::Frame(frame))) = next else {
                    panic!("no SyncStep2: {next:?}");
                };
                let messages = protocol::decode_frame(&frame, 1).unwrap();
                if let [Incoming::SyncStep2(update)] = &messages[..] {
                    let text = text_of_state(update);
                    // Keep the connection open until everyone has joined.
                    return (frame, text, conn, outbox);
                }
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..HTTP {
        let (hub, barrier) = (hub.clone(), barrier.clone());
        readers.push(tokio::spawn(async move {
            barrier.wait().await;
            hub.content("shared", ContentFormat::Text).await.unwrap()
        }));
    }
    let mut joined = Vec::new();
    for task in sockets {
        joined.push(
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    for task in readers {
        assert_eq!(task.await.unwrap(), "shared content");
    }
    assert_eq!(store.loads(), 1, "concurrent joiners shared one load");
    assert_eq!(hub.loaded_rooms(), 1);
    assert_eq!(hub.connections(), SOCKETS);
    let first = joined[0].0.clone();
    for (frame, text, _, _) in &joined {
        assert_eq!(text, "shared content");
        assert_eq!(*frame, first, "the full-state reply is shared");
    }
    // Later joiners use the loaded room.
    let late = Client::join(&hub, "shared", Access::ReadWrite).await;
    assert_eq!(late.text(), "shared content");
    assert_eq!(store.loads(), 1);
}

/// Waits up to `within` for change-feed events, returning those received.
async fn collect_changes(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<DocChange>,
    within: Duration,
) -> Vec<DocChange> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(change)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        out.push(change);
    }
    out
}

both!(change_feed_is_debounced_with_title_and_text);
async fn change_feed_is_debounced_with_title_and_text(db: &TestDb) {
    let debounce = Duration::from_millis(300);
    let (hub, mut changes) = Hub::with_change_feed(
        Arc::new(db.store.clone()),
        HubConfig {
            change_debounce: debounce,
            ..config()
        },
    );
    // A Tiptap-shaped document: the title is the first heading even when it is not first.
    let mut a = Client::join(&hub, "notes", Access::ReadWrite).await;
    let fragment = a.doc.get_or_insert_xml_fragment("default");
    let (typing, update) = {
        let mut txn = a.doc.transact_mut();
        let intro = fragment.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        intro.push_back(&mut txn, XmlTextPrelim::new("Intro line"));
        let heading = fragment.push_back(&mut txn, XmlElementPrelim::empty("heading"));
        heading.push_back(&mut txn, XmlTextPrelim::new("Meeting notes"));
        let body = fragment.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        let typing = body.push_back(&mut txn, XmlTextPrelim::new(""));
        (typing, txn.encode_update_v1())
    };
    let started = Instant::now();
    a.send_update(update).unwrap();
    // Many quick edits: typing word by word.
    const EDITS: usize = 40;
    for i in 0..EDITS {
        let update = {
            let mut txn = a.doc.transact_mut();
            let len = typing.len(&txn);
            typing.insert(&mut txn, len, &format!("w{i} "));
            txn.encode_update_v1()
        };
        a.send_update(update).unwrap();
    }
    a.wait_echoes().await;
    let committed = started.elapsed();
    let final_text = hub.content("notes", ContentFormat::Text).await.unwrap();
    assert!(final_text.contains(&format!("w{}", EDITS - 1)));

    // A plain-text document: the title is its first non-empty line.
    let mut p = Client::join(&hub, "plain", Access::ReadWrite).await;
    p.edit("\n  \nFirst line here\nsecond line").unwrap();
    p.wait_echoes().await;
    // Nothing for documents without accepted changes.
    let mut viewer = Client::join(&hub, "quiet", Access::ReadOnly).await;
    viewer.edit("refused").unwrap();

    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let first_at = started.elapsed();
        let batch = collect_changes(&mut changes, Duration::from_millis(100)).await;
        if got.is_empty() && !batch.is_empty() {
            assert!(
                first_at + Duration::from_millis(100) >= debounce,
                "the first change came before the debounce ({first_at:?})"
            );
        }
        got.extend(batch);
        let done = got
            .iter()
            .any(|c| c.doc_id == "notes" && c.text == final_text)
            && got.iter().any(|c| c.doc_id == "plain");
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "changes missing: {got:?}");
    }
    // Let any straggler arrive.
    got.extend(collect_changes(&mut changes, debounce * 2).await);

    let notes: Vec<_> = got.iter().filter(|c| c.doc_id == "notes").collect();
    let bound = 2 + (committed.as_millis() / debounce.as_millis()) as usize;
    assert!(
        notes.len() <= bound && notes.len() < EDITS / 4,
        "{} changes for {} edits committed in {committed:?}",
        notes.len(),
        EDITS + 1
    );
    let last = notes.last().unwrap();
    assert_eq!(last.title, "Meeting notes");
    assert_eq!(last.text, final_text);
    assert!(last.text.starts_with("Intro line\nMeeting notes\nw0 w1 "));

    let plain: Vec<_> = got.iter().filter(|c| c.doc_id == "plain").collect();
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].title, "First line here");
    assert_eq!(
        plain[0].text,
        hub.content("plain", ContentFormat::Text).await.unwrap()
    );
    assert!(got.iter().all(|c| c.doc_id != "quiet"));
}

both!(a_document_typed_into_without_pause_is_reported_once_per_max_wait);
async fn a_document_typed_into_without_pause_is_reported_once_per_max_wait(db: &TestDb) {
    let (debounce, max_wait) = (Duration::from_millis(300), Duration::from_secs(1));
    let (hub, mut changes) = Hub::with_change_feed(
        Arc::new(db.store.clone()),
        HubConfig {
            change_debounce: debounce,
            change_max_wait: max_wait,
            ..config()
        },
    );
    let mut a = Client::join(&hub, "typed", Access::ReadWrite).await;
    let started = Instant::now();
    let mut reports: Vec<(Duration, DocChange)> = Vec::new();
    // Three seconds of typing, an edit every 40 ms: never the debounce's pause.
    let mut word = 0;
    while started.elapsed() < Duration::from_secs(3) {
        a.edit(&format!("w{word} ")).unwrap();
        word += 1;
        for change in collect_changes(&mut changes, Duration::from_millis(40)).await {
            reports.push((started.elapsed(), change));
        }
    }
    let stopped = started.elapsed();
    a.wait_echoes().await;
    let final_text = a.text();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reports.iter().any(|(_, c)| c.text == final_text) {
        assert!(Instant::now() < deadline, "no report of the final text");
        for change in collect_changes(&mut changes, Duration::from_millis(50)).await {
            reports.push((started.elapsed(), change));
        }
    }
    let while_typing: Vec<_> = reports.iter().filter(|(at, _)| *at <= stopped).collect();
    // A throttle of one report per debounce would have made about ten.
    assert!(
        (2..=6).contains(&while_typing.len()),
        "{} reports in {stopped:?} of typing: {:?}",
        while_typing.len(),
        reports.iter().map(|(at, _)| at).collect::<Vec<_>>()
    );
    // The first waited for the bound (less the scheduler's batching slack, half the debounce).
    assert!(
        while_typing[0].0 + debounce / 2 + Duration::from_millis(50) >= max_wait,
        "the first report came after {:?}",
        while_typing[0].0
    );
    // After the typing stopped, the report with the final text came after the quiet spell.
    let (last_at, _) = reports.iter().find(|(_, c)| c.text == final_text).unwrap();
    assert!(
        *last_at <= stopped + max_wait + debounce,
        "the final text was reported {:?} after the typing stopped",
        *last_at - stopped
    );
}

both!(shutdown_flushes_and_closes_everyone);
async fn shutdown_flushes_and_closes_everyone(db: &TestDb) {
    let store = CountingStore::new(db.store.clone(), Duration::ZERO);
    let (hub, mut changes) = Hub::with_change_feed(
        store.clone(),
        HubConfig {
            // Far away: shutdown must emit the pending change itself.
            change_debounce: Duration::from_secs(3600),
            ..config()
        },
    );
    let mut a = Client::join(&hub, "sd", Access::ReadWrite).await;
    let mut b = Client::join(&hub, "sd", Access::ReadOnly).await;
    let mut c = Client::join(&hub, "sd-other", Access::ReadWrite).await;

    // Updates still pending when the shutdown starts.
    let gate = store.gate.write().await;
    for i in 0..30 {
        a.edit(&format!("<{i}>")).unwrap();
    }
    let expected = a.text();
    let shutdown = tokio::spawn({
        let hub = hub.clone();
        async move { hub.shutdown().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !shutdown.is_finished(),
        "shutdown waits for pending updates"
    );
    assert_eq!(db.log_rows("sd").await, 0);
    drop(gate);
    tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.log_rows("sd").await, 30, "flushed before returning");

    for client in [&mut a, &mut b, &mut c] {
        expect_close(client, close_codes::SHUTTING_DOWN).await;
    }
    let emitted: Vec<_> = std::iter::from_fn(|| changes.try_recv().ok()).collect();
    assert_eq!(emitted.len(), 1, "{emitted:?}");
    assert_eq!(
        (emitted[0].doc_id.as_str(), emitted[0].text.as_str()),
        ("sd", expected.as_str())
    );

    // No more work is accepted.
    assert!(matches!(
        hub.connect("sd", Access::ReadWrite).await,
        Err(Error::ShuttingDown)
    ));
    let late = append_update(&[0, 0], "late");
    assert!(matches!(
        hub.apply_update("sd", &late).await,
        Err(Error::ShuttingDown)
    ));
    // A frame a socket still delivers after the close instruction is not applied.
    assert_eq!(a.edit("late"), Err(close_codes::SHUTTING_DOWN));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(db.log_rows("sd").await, 30);

    // A fresh hub on the same database has everything.
    drop((a, b, c));
    let hub2 = hub_on(db);
    assert_eq!(
        text_of_state(&hub2.encode_state("sd").await.unwrap()),
        expected
    );
}

fn hub_on(db: &TestDb) -> Hub {
    hub(db, config())
}
