//! End-to-end tests of the hub on a real database: SQLite in a temporary file, and PostgreSQL
//! when `ATRIUM_TEST_PG_URL` is set (an admin URL; each test creates and drops its own
//! database). The PostgreSQL variants fail, not skip, when the variable is missing.
//!
//! The client side is yrs itself, speaking the y-websocket protocol through the hub's
//! `Connection` / `Outbox` exactly as a socket would.

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use atrium_collab::protocol::{self, Incoming};
use atrium_collab::{Access, Clock, ContentFormat, Hub, HubConfig, Outgoing, close_codes};
use bytes::Bytes;
use common::{Client, TestDb, config, hub};
use sqlx::Executor;
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

both!(clients_converge_and_echo_only_after_commit);
async fn clients_converge_and_echo_only_after_commit(db: &TestDb) {
    let hub = hub(db, config());
    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(Client::join(&hub, "doc", Access::ReadWrite).await);
    }
    // Concurrent edits from everyone, several rounds.
    for round in 0..5 {
        for (i, c) in clients.iter_mut().enumerate() {
            c.edit(&format!("[{i}.{round}]")).unwrap();
        }
    }
    for c in clients.iter_mut() {
        c.settle().await;
    }
    let expected = clients[0].text();
    for i in 0..10 {
        for round in 0..5 {
            assert!(expected.contains(&format!("[{i}.{round}]")));
        }
    }
    for c in &clients {
        assert_eq!(c.text(), expected);
        assert_eq!(c.echoes, 0, "every update was echoed to its sender");
    }
    assert_eq!(db.log_rows("doc").await, 50);

    // The echo of a fresh update arrives only when its row is committed.
    let mut a = clients.pop().unwrap();
    a.edit("!").unwrap();
    loop {
        match a.next().await {
            Some(Outgoing::Frame(f)) => {
                a.handle(&f);
                if a.echoes == 0 {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(db.log_rows("doc").await, 51);

    // A fresh hub (a restart) loads the same content.
    drop(clients);
    drop(a);
    hub.shutdown().await;
    let hub2 = super_hub(db);
    let state = hub2.encode_state("doc").await.unwrap();
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    let text = doc.get_or_insert_text("text");
    assert_eq!(text.get_string(&doc.transact()), format!("{expected}!"));
}

fn super_hub(db: &TestDb) -> Hub {
    hub(db, config())
}

both!(read_only_updates_are_refused);
async fn read_only_updates_are_refused(db: &TestDb) {
    let hub = hub(db, config());
    let mut writer = Client::join(&hub, "ro", Access::ReadWrite).await;
    let mut viewer = Client::join(&hub, "ro", Access::ReadOnly).await;
    viewer.edit("viewer text").unwrap();
    writer.edit("writer text").unwrap();
    writer.settle().await;
    viewer.settle().await;
    assert_eq!(writer.text(), "writer text");
    assert!(
        viewer.text().contains("writer text"),
        "viewers still receive"
    );
    assert_eq!(db.log_rows("ro").await, 1);
    assert_eq!(viewer.closed, None);
    assert_eq!(
        hub.content("ro", ContentFormat::Text).await.unwrap(),
        "writer text"
    );
}

both!(failed_store_closes_with_storage_code);
async fn failed_store_closes_with_storage_code(db: &TestDb) {
    let hub = hub(db, config());
    let mut a = Client::join(&hub, "f", Access::ReadWrite).await;
    let mut b = Client::join(&hub, "f", Access::ReadWrite).await;
    a.edit("kept").unwrap();
    a.settle().await;
    b.settle().await;
    // Make every append fail for real.
    db.store
        .pool()
        .execute("alter table collab_updates rename to collab_updates_gone")
        .await
        .unwrap();
    a.edit(" lost?").unwrap();
    a.settle().await;
    b.settle().await;
    assert_eq!(a.closed, Some(close_codes::STORAGE_FAILURE));
    assert_eq!(b.closed, Some(close_codes::ROOM_RESET));
    assert_eq!(a.echoes, 1, "the failed update was never acknowledged");
    db.store
        .pool()
        .execute("alter table collab_updates_gone rename to collab_updates")
        .await
        .unwrap();
    // Reconnecting resyncs: the client sends what the database lacks, and it is stored.
    let doc = std::mem::replace(&mut a.doc, Doc::new());
    drop(a);
    drop(b);
    let mut again = Client::join(&hub, "f", Access::ReadWrite).await;
    again.doc = doc;
    let sv = again.doc.transact().state_vector();
    again.conn.receive(protocol::encode_sync_step1(sv)).unwrap();
    // Answer the server's SyncStep1 (sent at connect) from the real document.
    let server_sv = hub.encode_state("f").await.unwrap();
    let server_doc = Doc::new();
    server_doc
        .transact_mut()
        .apply_update(Update::decode_v1(&server_sv).unwrap())
        .unwrap();
    let missing = again
        .doc
        .transact()
        .encode_state_as_update_v1(&server_doc.transact().state_vector());
    again
        .conn
        .receive(protocol::encode_sync_step2(missing))
        .unwrap();
    again.settle().await;
    hub.flush().await;
    assert_eq!(
        hub.content("f", ContentFormat::Text).await.unwrap(),
        "kept lost?"
    );
    assert_eq!(db.log_rows("f").await, 2);
}

both!(hostile_frames_close_only_their_connection);
async fn hostile_frames_close_only_their_connection(db: &TestDb) {
    let hub = hub(db, config());
    let mut good = Client::join(&hub, "h", Access::ReadWrite).await;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let valid = {
        let d = Doc::new();
        let t = d.get_or_insert_text("text");
        let mut txn = d.transact_mut();
        t.insert(&mut txn, 0, "x");
        protocol::encode_update(txn.encode_update_v1()).to_vec()
    };
    let started = std::time::Instant::now();
    let mut closed = 0;
    for i in 0..300 {
        let (mut conn, mut outbox) = hub.connect("h", Access::ReadWrite).await.unwrap();
        let frame: Vec<u8> = match i % 5 {
            0 => (0..(1 + next() % 48)).map(|_| next() as u8).collect(),
            1 => valid[..(next() as usize % valid.len())].to_vec(),
            2 => vec![0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3],
            3 => vec![1, 5, 0xff, 0xff, 0xff, 0x7a, 0],
            _ => {
                let mut f = valid.clone();
                let at = next() as usize % f.len();
                f[at] ^= 1 + next() as u8 % 255;
                f
            }
        };
        if conn.receive(Bytes::from(frame)).is_err() {
            closed += 1;
            loop {
                match outbox.next().await {
                    Some(Outgoing::Close { code, .. }) => {
                        assert!(
                            [close_codes::PROTOCOL_ERROR, close_codes::ROOM_RESET].contains(&code)
                        );
                        break;
                    }
                    Some(Outgoing::Frame(_)) => {}
                    None => panic!("no close"),
                }
            }
        }
    }
    assert!(closed > 100, "most hostile frames are refused ({closed})");
    assert!(started.elapsed() < Duration::from_secs(60));
    // The room and the well-behaved client carry on.
    good.settle().await;
    if good.closed.is_some() {
        // A mutation yrs could not integrate resets the room; the client reconnects.
        good = Client::join(&hub, "h", Access::ReadWrite).await;
    }
    good.edit("still fine").unwrap();
    good.settle().await;
    assert_eq!(good.closed, None);
    assert!(good.text().contains("still fine"));
}

both!(awareness_appears_disappears_and_expires);
async fn awareness_appears_disappears_and_expires(db: &TestDb) {
    let now = Arc::new(AtomicU64::new(1_000_000));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || now.load(Ordering::SeqCst))
    };
    let hub = hub(db, HubConfig { clock, ..config() });
    let mut a = Client::join(&hub, "aw", Access::ReadWrite).await;
    let mut b = Client::join(&hub, "aw", Access::ReadOnly).await;
    let mut viewer_presence = Awareness::new(Doc::new());
    viewer_presence
        .set_local_state(serde_json::json!({"user": "viewer"}))
        .unwrap();
    let msg = protocol::encode_awareness(viewer_presence.update().unwrap());
    b.conn.receive(msg).unwrap();

    // a sees b's state, and b gets its own state echoed.
    let presence = |frames: &mut Vec<Bytes>| -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for f in frames.drain(..) {
            for m in protocol::decode_frame(&f, 1).unwrap() {
                if let Incoming::Awareness(u) = m {
                    for e in u.iter() {
                        out.push((e.client, e.json.to_string()));
                    }
                }
            }
        }
        out
    };
    let drain = |c: &mut Client| {
        let mut v = Vec::new();
        while let Some(f) = c.outbox.try_next() {
            v.push(f);
        }
        v
    };
    let id = viewer_presence.client_id().get();
    let seen_a = presence(&mut drain(&mut a));
    assert!(seen_a.contains(&(id, r#"{"user":"viewer"}"#.into())));
    let seen_b = presence(&mut drain(&mut b));
    assert!(seen_b.iter().any(|(i, _)| *i == id), "echoed to the sender");

    // Not renewed for 30 s: expired by the hub, everyone told.
    now.fetch_add(29_000, Ordering::SeqCst);
    hub.run_maintenance();
    assert!(presence(&mut drain(&mut a)).is_empty());
    now.fetch_add(1_000, Ordering::SeqCst);
    hub.run_maintenance();
    assert_eq!(presence(&mut drain(&mut a)), vec![(id, "null".into())]);

    // Renewed with a higher clock it comes back; closing the connection removes it.
    viewer_presence
        .set_local_state(serde_json::json!({"user": "viewer", "n": 2}))
        .unwrap();
    b.conn
        .receive(protocol::encode_awareness(
            viewer_presence.update().unwrap(),
        ))
        .unwrap();
    assert_eq!(presence(&mut drain(&mut a)).len(), 1);
    drop(b);
    assert_eq!(presence(&mut drain(&mut a)), vec![(id, "null".into())]);
}

both!(compaction_keeps_content_and_bounds_storage);
async fn compaction_keeps_content_and_bounds_storage(db: &TestDb) {
    let hub = hub(
        db,
        HubConfig {
            compact_after_updates: 50,
            update_rate: atrium_collab::Rate {
                per_second: 1e6,
                burst: 1e6,
            },
            ..config()
        },
    );
    let mut a = Client::join(&hub, "c", Access::ReadWrite).await;
    let mut max_rows = 0;
    for i in 0..600 {
        // Replace the text over and over: content stays small, the log would grow forever.
        let text = a.doc.get_or_insert_text("text");
        let update = {
            let mut txn = a.doc.transact_mut();
            let len = text.len(&txn);
            text.remove_range(&mut txn, 0, len);
            text.insert(&mut txn, 0, &format!("version {i}"));
            txn.encode_update_v1()
        };
        a.conn.receive(protocol::encode_update(update)).unwrap();
        if i % 50 == 49 {
            a.settle().await;
            max_rows = max_rows.max(db.log_rows("c").await);
        }
    }
    a.settle().await;
    hub.flush().await;
    // Let the last background compaction finish.
    for _ in 0..50 {
        if db.log_rows("c").await < 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(max_rows <= 100, "log stays bounded ({max_rows} rows)");
    assert!(db.stored_bytes("c").await < 20_000);
    assert_eq!(
        hub.content("c", ContentFormat::Text).await.unwrap(),
        "version 599"
    );

    // Crash safety: a snapshot written without its log prefix deleted (as if stopped between
    // the two steps), and a compaction transaction that never committed, both load the same.
    hub.shutdown().await;
    let pool = db.store.pool();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("delete from collab_updates where doc_id = $1")
        .bind("c")
        .execute(&mut *tx)
        .await
        .unwrap();
    drop(tx); // rolled back
    let hub2 = super_hub(db);
    assert_eq!(
        hub2.content("c", ContentFormat::Text).await.unwrap(),
        "version 599"
    );
    let state = hub2.encode_state("c").await.unwrap();
    hub2.shutdown().await;
    // A snapshot covering the whole log while the log rows are still there.
    sqlx::query(
        "update collab_snapshots set state = $1, seq = (select coalesce(max(u.seq), \
         collab_snapshots.seq) from collab_updates u where u.doc_id = $2) where doc_id = $2",
    )
    .bind(&state[..])
    .bind("c")
    .execute(pool)
    .await
    .unwrap();
    let hub3 = super_hub(db);
    assert_eq!(
        hub3.content("c", ContentFormat::Text).await.unwrap(),
        "version 599"
    );
}

both!(http_updates_versions_and_restore);
async fn http_updates_versions_and_restore(db: &TestDb) {
    let hub = hub(db, config());
    let mut a = Client::join(&hub, "v", Access::ReadWrite).await;
    a.edit("first").unwrap();
    a.settle().await;
    let v1 = hub.create_version("v", "v1").await.unwrap();
    // An HTTP update reaches the connected client and is durable when the call returns.
    let other = Doc::new();
    let update = {
        let state = hub.encode_state("v").await.unwrap();
        other
            .transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        let t = other.get_or_insert_text("text");
        let mut txn = other.transact_mut();
        let len = t.len(&txn);
        t.insert(&mut txn, len, " second");
        txn.encode_update_v1()
    };
    assert!(hub.apply_update("v", &update).await.unwrap());
    assert_eq!(db.log_rows("v").await, 2);
    a.settle().await;
    assert_eq!(a.text(), "first second");
    assert!(hub.apply_update("v", b"\x01\x02garbage").await.is_err());

    assert_eq!(hub.list_versions("v").await.unwrap(), vec![v1.clone()]);
    assert_eq!(
        hub.version_content("v", &v1.id, ContentFormat::Text)
            .await
            .unwrap(),
        "first"
    );
    hub.restore_version("v", &v1.id).await.unwrap();
    a.settle().await;
    assert_eq!(a.text(), "first");
    assert_eq!(db.log_rows("v").await, 3, "the restore is a normal update");
}
