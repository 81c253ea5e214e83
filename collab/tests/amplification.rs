//! What a peer can make the hub do for it, bounded (SQLite and PostgreSQL, like `limits.rs`):
//! messages per frame, state requests (rate and shared answers), awareness (nothing kept for
//! unknown clients, bounded claims, shared answers to queries) and send queues bounded in
//! bytes. The real socket's side (RSS of the server under each flood) is in
//! `tests/tests/collab_limits.rs`.

#[macro_use]
mod common;

use atrium_collab::protocol::{self, Incoming};
use atrium_collab::queue::frame_cost;
use atrium_collab::{Access, Hub, HubConfig, Outbox, Outgoing, Rate, close_codes};
use bytes::Bytes;
use common::{Client, TestDb, config, hub};
use yrs::{ClientID, Doc, ReadTxn, StateVector, Text, Transact};

/// Frames queued for `outbox`, then the close code if there is one (without waiting).
fn drain(outbox: &mut Outbox) -> (Vec<Bytes>, Option<u16>) {
    let mut frames = Vec::new();
    while let Some(f) = outbox.try_next() {
        frames.push(f);
    }
    let close = match futures::FutureExt::now_or_never(outbox.next()) {
        Some(Some(Outgoing::Close { code, .. })) => Some(code),
        _ => None,
    };
    (frames, close)
}

/// The messages of each frame.
fn messages(frames: &[Bytes]) -> Vec<Incoming> {
    frames
        .iter()
        .flat_map(|f| protocol::decode_frame(f, usize::MAX).unwrap())
        .collect()
}

fn count_step2(frames: &[Bytes]) -> usize {
    messages(frames)
        .iter()
        .filter(|m| matches!(m, Incoming::SyncStep2(_)))
        .count()
}

/// A state vector naming one client the document does not know (the 6-byte request that was
/// answered with a fresh copy of the whole document every time).
fn unknown_sv(client: u64) -> StateVector {
    [(ClientID::new(client), 1)].into_iter().collect()
}

/// Writes `chars` characters into the document over the HTTP side of the hub, and returns the
/// yrs document that wrote them (its client id and clock are the document's).
async fn document(hub: &Hub, doc: &str, chars: usize) -> Doc {
    let author = Doc::new();
    let text = author.get_or_insert_text("text");
    let mut txn = author.transact_mut();
    text.insert(&mut txn, 0, &"d".repeat(chars));
    let update = txn.encode_update_v1();
    drop(txn);
    assert!(hub.apply_update(doc, &update).await.unwrap());
    author
}

both!(a_frame_with_too_many_messages_is_refused_whole);
async fn a_frame_with_too_many_messages_is_refused_whole(db: &TestDb) {
    let hub = hub(db, config());
    let _editor = document(&hub, "many", 20_000).await;
    let limit = hub.config().max_frame_messages;
    let one = |sv: &StateVector| protocol::encode_sync_step1(sv.clone()).to_vec();
    for (what, message) in [
        ("SyncStep1", one(&unknown_sv(7))),
        ("empty SyncStep1", one(&StateVector::default())),
        (
            "QueryAwareness",
            protocol::encode_query_awareness().to_vec(),
        ),
        (
            "awareness",
            protocol::encode_awareness_entries([(5u64, 1u32, "{}")].into_iter()).to_vec(),
        ),
    ] {
        let (mut conn, mut outbox) = hub.connect("many", Access::ReadOnly).await.unwrap();
        drain(&mut outbox);
        assert_eq!(
            conn.receive(Bytes::from(message.repeat(limit + 1))),
            Err(close_codes::PROTOCOL_ERROR),
            "{what}"
        );
        // Nothing of it was answered.
        let (frames, close) = drain(&mut outbox);
        assert_eq!(
            (frames.len(), close),
            (0, Some(close_codes::PROTOCOL_ERROR)),
            "{what}"
        );
        drop(conn);
        // Up to the limit is a frame like any other.
        let (mut conn, mut outbox) = hub.connect("many", Access::ReadOnly).await.unwrap();
        drain(&mut outbox);
        let within = if what == "SyncStep1" || what == "empty SyncStep1" {
            // (Within the state-request rate, too.)
            message.repeat(5)
        } else {
            message.repeat(limit)
        };
        conn.receive(Bytes::from(within)).unwrap();
    }
}

both!(state_requests_are_rate_limited_and_answered_from_shared_state);
async fn state_requests_are_rate_limited_and_answered_from_shared_state(db: &TestDb) {
    let burst = 4;
    let hub = hub(
        db,
        HubConfig {
            // Practically no refill: exactly the burst is answered.
            sync_request_rate: Rate {
                per_second: 0.001,
                burst: burst as f64,
            },
            ..config()
        },
    );
    let author = document(&hub, "sv", 200_000).await;
    let full_len = author
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
        .len();

    // Viewers asking with an empty state vector, or one of clients the document never saw,
    // all get the same buffer: the whole document, encoded once.
    let mut answers = Vec::new();
    for i in 0..3 {
        let (mut conn, mut outbox) = hub.connect("sv", Access::ReadOnly).await.unwrap();
        drain(&mut outbox);
        for sv in [StateVector::default(), unknown_sv(1000 + i)] {
            conn.receive(protocol::encode_sync_step1(sv)).unwrap();
        }
        let (frames, close) = drain(&mut outbox);
        assert_eq!((frames.len(), close), (2, None));
        answers.extend(frames);
        drop(conn);
    }
    assert!(answers[0].len() > full_len);
    assert!(
        answers.iter().all(|a| a.as_ptr() == answers[0].as_ptr()),
        "every answer is one shared buffer"
    );

    // Nearly up to date: a small diff, cached and shared too.
    let editor_id = author.client_id();
    let clock = author.transact().state_vector().get(&editor_id);
    let near: StateVector = [(editor_id, clock - 3)].into_iter().collect();
    let mut diffs = Vec::new();
    for _ in 0..2 {
        let (mut conn, mut outbox) = hub.connect("sv", Access::ReadOnly).await.unwrap();
        drain(&mut outbox);
        conn.receive(protocol::encode_sync_step1(near.clone()))
            .unwrap();
        diffs.extend(drain(&mut outbox).0);
    }
    assert_eq!(diffs.len(), 2);
    assert!(diffs[0].len() < 1_000);
    assert_eq!(diffs[0].as_ptr(), diffs[1].as_ptr());
    // Far behind: the diff is most of the document, so the shared document is sent.
    let (mut conn, mut outbox) = hub.connect("sv", Access::ReadOnly).await.unwrap();
    drain(&mut outbox);
    let far: StateVector = [(editor_id, 5)].into_iter().collect();
    conn.receive(protocol::encode_sync_step1(far)).unwrap();
    let (frames, _) = drain(&mut outbox);
    assert_eq!(frames[0].as_ptr(), answers[0].as_ptr());

    // Past the burst the connection is closed, whether the requests come one per frame or
    // together.
    for per_frame in [1, burst + 3] {
        let (mut conn, mut outbox) = hub.connect("sv", Access::ReadOnly).await.unwrap();
        drain(&mut outbox);
        let request = protocol::encode_sync_step1(unknown_sv(5)).to_vec();
        let mut answered = 0;
        let mut sent = 0;
        let result = loop {
            let result = conn.receive(Bytes::from(request.repeat(per_frame)));
            sent += per_frame;
            if result.is_err() || sent > 100 {
                break result;
            }
            // (Queued answers are read while the connection is open: a closing one hands
            // out only its close.)
            answered += count_step2(&drain(&mut outbox).0);
        };
        assert_eq!(
            result,
            Err(close_codes::RATE_LIMITED),
            "{per_frame} per frame"
        );
        if per_frame == 1 {
            assert_eq!(answered, burst);
        }
        assert_eq!(drain(&mut outbox).1, Some(close_codes::RATE_LIMITED));
    }
    // What the room keeps for all this: the document once, and a few small diffs.
    let stats = hub.room_stats("sv").unwrap();
    assert!(
        stats.cached_answer_bytes < full_len + 10_000,
        "{stats:?} for a document of {full_len} bytes"
    );
}

both!(awareness_floods_keep_nothing_they_do_not_own);
async fn awareness_floods_keep_nothing_they_do_not_own(db: &TestDb) {
    let hub = hub(db, config());
    let max = hub.config().max_awareness_clients;
    let (mut alice, mut alice_out) = hub.connect("aw", Access::ReadOnly).await.unwrap();
    alice
        .receive(protocol::encode_awareness_entries(
            [(1u64, 1u32, r#"{"user":"alice"}"#)].into_iter(),
        ))
        .unwrap();
    let (mut viewer, mut viewer_out) = hub.connect("aw", Access::ReadOnly).await.unwrap();
    drain(&mut alice_out);
    drain(&mut viewer_out);

    // Removals of clients the room never knew: nothing is kept, nobody is told.
    let nulls: Vec<(u64, u32, &str)> = (1_000..51_000).map(|c| (c, 7, "null")).collect();
    viewer
        .receive(protocol::encode_awareness_entries(nulls.iter().copied()))
        .unwrap();
    let stats = hub.room_stats("aw").unwrap();
    assert_eq!(
        (stats.awareness_present, stats.awareness_remembered),
        (1, 1)
    );
    assert!(drain(&mut alice_out).0.is_empty());

    // States for many new clients: the first few are the viewer's, the rest dropped; alice's
    // state (a relayed copy, or its removal) is not the viewer's to change.
    let mut states: Vec<(u64, u32, &str)> = (2_000..12_000).map(|c| (c, 1, "{}")).collect();
    states.extend([(1, 9, "null"), (1, 10, r#"{"user":"mallory"}"#)]);
    viewer
        .receive(protocol::encode_awareness_entries(states.iter().copied()))
        .unwrap();
    let stats = hub.room_stats("aw").unwrap();
    assert_eq!(
        (stats.awareness_present, stats.awareness_remembered),
        (1 + max, 1 + max)
    );
    let told: Vec<(u64, String)> = match &messages(&drain(&mut alice_out).0)[..] {
        [Incoming::Awareness(entries)] => entries
            .iter()
            .map(|e| (e.client, e.json.to_owned()))
            .collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(told.len(), max);
    assert!(told.iter().all(|(c, _)| (2_000..12_000).contains(c)));

    // A state over the size limit closes the connection.
    let big = format!("\"{}\"", "x".repeat(hub.config().max_awareness_state));
    let (mut big_conn, _big_out) = hub.connect("aw", Access::ReadOnly).await.unwrap();
    assert_eq!(
        big_conn.receive(protocol::encode_awareness_entries(
            [(3u64, 1u32, big.as_str())].into_iter()
        )),
        Err(close_codes::MESSAGE_TOO_LARGE)
    );

    // Queries are answered from one shared snapshot, within the query rate.
    let burst = hub.config().awareness_query_rate.burst as usize;
    let query = protocol::encode_query_awareness().to_vec();
    let (mut q, mut q_out) = hub.connect("aw", Access::ReadOnly).await.unwrap();
    drain(&mut q_out);
    for _ in 0..50 {
        q.receive(Bytes::from(query.repeat(60))).unwrap();
    }
    let (answers, close) = drain(&mut q_out);
    assert_eq!(close, None, "excess queries are dropped, not fatal");
    assert!(
        (burst..=burst + 2).contains(&answers.len()),
        "{} answers to 3,000 queries",
        answers.len()
    );
    assert!(answers.iter().all(|a| a.as_ptr() == answers[0].as_ptr()));
    match &messages(&answers[..1])[..] {
        [Incoming::Awareness(entries)] => assert_eq!(entries.len(), 1 + max),
        other => panic!("{other:?}"),
    }

    // The viewer leaves: its clients are removed and, after the retention, forgotten.
    drop(viewer);
    let stats = hub.room_stats("aw").unwrap();
    assert_eq!(stats.awareness_present, 1);
    drop((alice, q));
}

both!(send_queues_are_bounded_in_bytes);
async fn send_queues_are_bounded_in_bytes(db: &TestDb) {
    let limit = 64 << 10;
    let hub = hub(
        db,
        HubConfig {
            send_queue_bytes: limit,
            ..config()
        },
    );
    // A joiner's copy of a document larger than the limit is one frame, and it gets it.
    document(&hub, "bytes", 200_000).await;
    let mut editor = Client::join(&hub, "bytes", Access::ReadWrite).await;
    let (mut reader, mut reader_out) = hub.connect("bytes", Access::ReadOnly).await.unwrap();
    drain(&mut reader_out);
    reader
        .receive(protocol::encode_sync_step1(StateVector::default()))
        .unwrap();
    let (frames, close) = drain(&mut reader_out);
    assert_eq!((count_step2(&frames), close), (1, None));
    assert!(frames[0].len() > limit);

    // A consumer that reads nothing is closed once what waits for it passes the limit: a few
    // large frames, not a thousand of them.
    let (mut sleeper, _sleeper_out) = hub.connect("bytes", Access::ReadOnly).await.unwrap();
    let chunk = "e".repeat(20_000);
    let mut sent = 0;
    loop {
        editor.edit(&chunk).unwrap();
        sent += 1;
        editor.wait_echoes().await;
        // (A connection the hub closed refuses what it is sent with the close code: this
        // reads nothing of the sleeper's queue.)
        if let Err(code) = sleeper.receive(Bytes::from_static(AUTH)) {
            assert_eq!(code, close_codes::SLOW_CONSUMER);
            break;
        }
        assert!(sent < 10, "not closed after {sent} frames of 20 KB");
    }
    // The handshake frame, the one being written, and what fits in 64 KiB behind it.
    let max_frames = 2 + limit / frame_cost(20_000);
    assert!(sent <= max_frames + 1, "closed after {sent} frames");
    // The reader that keeps up is not affected.
    let (frames, close) = drain(&mut reader_out);
    assert_eq!((frames.len(), close), (sent, None));
    drop(reader);
}

/// An auth message, which the hub ignores.
const AUTH: &[u8] = &[2, 1];

both!(updates_out_of_order_are_refused_before_yrs_sees_them);
async fn updates_out_of_order_are_refused_before_yrs_sees_them(db: &TestDb) {
    // The shortest sequence the fuzzer found: a client's blocks from clock 5 (depending on
    // another client's), that other client's blocks, then the first client's blocks from 0
    // with a deleted range over 5..9. yrs integrated the first out of order, behind a
    // placeholder, and the third overlapped it: a clock underflow (debug) or a corrupt block
    // store and a segmentation fault on a later update (release).
    let hex = [
        "01010105844202047461696c01420005022c06",
        "010142000401047c6578740361626300",
        "0106010001010764656661756c7401000a872100030a62756c6c65744c6973740700210b03086c6973744974656d0700210c060400210d046974656d012101000b",
    ];
    let updates: Vec<Vec<u8>> = hex
        .iter()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect();
    let hub = hub(db, config());
    let mut watcher = Client::join(&hub, "order", Access::ReadOnly).await;
    let mut results = Vec::new();
    for u in &updates {
        let (mut conn, _out) = hub.connect("order", Access::ReadWrite).await.unwrap();
        results.push(conn.receive(protocol::encode_update(u.clone())));
    }
    // The out-of-order update is not applied: its connection is asked for what the room lacks
    // (a SyncStep1) instead of being closed, since a client that moved from another node can
    // legitimately be ahead. The others apply.
    assert_eq!(
        results,
        vec![Ok(()), Ok(()), Ok(())],
        "the out-of-order update is set aside; the others apply"
    );
    // The room was not reset, and it still takes edits.
    watcher.settle().await;
    assert_eq!(watcher.closed, None);
    let mut editor = Client::join(&hub, "order", Access::ReadWrite).await;
    editor.edit("still in order").unwrap();
    editor.wait_echoes().await;
    watcher.settle().await;
    assert!(watcher.text().contains("still in order"));

    // Over HTTP too: a client's second edit without its first.
    let author = Doc::new();
    let text = author.get_or_insert_text("text");
    text.insert(&mut author.transact_mut(), 0, "first");
    let second = {
        let mut txn = author.transact_mut();
        text.insert(&mut txn, 5, " second");
        txn.encode_update_v1()
    };
    let gap = hub.apply_update("order", &second).await;
    assert!(
        matches!(gap, Err(atrium_collab::Error::Protocol(_))),
        "{gap:?}"
    );
}
