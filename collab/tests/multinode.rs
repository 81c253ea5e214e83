//! Several hubs (nodes) on one database, linked by an in-process [`Peers`] bus that can lose
//! every message: edits converge, every acknowledged update is stored once, lost messages are
//! made up from the database, a node that loaded a document before another compacted it keeps
//! converging, and awareness crosses nodes. On SQLite and PostgreSQL (the hub does not care
//! which; a real deployment of many nodes runs on PostgreSQL, see the server's multi-node
//! check), with the same harness as `hub.rs`.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atrium_collab::protocol::{self, Incoming};
use atrium_collab::{Access, CommittedRange, Hub, HubConfig, Peers};
use bytes::Bytes;
use common::{Client, TestDb, config, text_of_state};
use sqlx::Row;
use yrs::Doc;
use yrs::sync::Awareness;

/// The link between the test's hubs: every message goes to every other hub, from a task of its
/// own (so they may arrive out of order), unless the bus is down.
#[derive(Default)]
struct Bus {
    hubs: Mutex<Vec<Hub>>,
    up: AtomicBool,
    /// When set, every third message is lost.
    lossy: AtomicBool,
    sent: std::sync::atomic::AtomicUsize,
}

struct Link {
    bus: Arc<Bus>,
    me: usize,
}

impl Link {
    fn others(&self) -> Vec<Hub> {
        if !self.bus.up.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let n = self.bus.sent.fetch_add(1, Ordering::SeqCst);
        if self.bus.lossy.load(Ordering::SeqCst) && n % 3 == 0 {
            return Vec::new();
        }
        let hubs = self.bus.hubs.lock().unwrap();
        hubs.iter()
            .enumerate()
            .filter(|(i, _)| *i != self.me)
            .map(|(_, h)| h.clone())
            .collect()
    }
}

impl Peers for Link {
    fn publish_range(&self, range: CommittedRange) {
        for hub in self.others() {
            let range = range.clone();
            tokio::spawn(async move { hub.receive_range(range) });
        }
    }

    fn publish_awareness(&self, doc_id: &str, frame: &Bytes) {
        for hub in self.others() {
            let (doc_id, frame) = (doc_id.to_owned(), frame.clone());
            tokio::spawn(async move { hub.receive_awareness(&doc_id, &frame) });
        }
    }

    fn room_loaded(&self, doc_id: &str) {
        let Some(me) = self.bus.hubs.lock().unwrap().get(self.me).cloned() else {
            return;
        };
        for hub in self.others() {
            let (doc_id, me) = (doc_id.to_owned(), me.clone());
            tokio::spawn(async move {
                // The answer arrives after the load, as over a real link.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(frame) = hub.local_awareness(&doc_id) {
                    me.receive_awareness(&doc_id, &frame);
                }
            });
        }
    }
}

/// `n` hubs on the database, linked by a bus that is up.
fn nodes(db: &TestDb, n: usize, config: HubConfig) -> (Vec<Hub>, Arc<Bus>) {
    let bus = Arc::new(Bus::default());
    bus.up.store(true, Ordering::SeqCst);
    let hubs: Vec<Hub> = (0..n)
        .map(|_| Hub::new(Arc::new(db.store.clone()), config.clone()))
        .collect();
    *bus.hubs.lock().unwrap() = hubs.clone();
    for (me, hub) in hubs.iter().enumerate() {
        hub.set_peers(Arc::new(Link {
            bus: bus.clone(),
            me,
        }));
    }
    (hubs, bus)
}

fn fast() -> HubConfig {
    HubConfig {
        peer_sync_interval: Duration::from_millis(200),
        gap_wait: Duration::from_millis(30),
        update_rate: atrium_collab::Rate {
            per_second: 1e6,
            burst: 1e6,
        },
        ..config()
    }
}

/// Reads every client's frames until all have the same text containing every marker, or fails
/// after `within`.
async fn converge(clients: &mut [Client], markers: &[String], within: Duration) {
    let started = Instant::now();
    loop {
        for c in clients.iter_mut() {
            c.settle().await;
        }
        let first = clients[0].text();
        let same = clients.iter().all(|c| c.text() == first);
        if same && markers.iter().all(|m| first.contains(m.as_str())) {
            return;
        }
        assert!(
            started.elapsed() < within,
            "no convergence within {within:?}: {:?}",
            clients.iter().map(Client::text).collect::<Vec<_>>()
        );
    }
}

async fn seqs(db: &TestDb, doc: &str) -> Vec<i64> {
    sqlx::query("select seq from collab_updates where doc_id = $1 order by seq")
        .bind(doc)
        .fetch_all(db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect()
}

both!(edits_on_two_nodes_converge_and_are_stored_once);
async fn edits_on_two_nodes_converge_and_are_stored_once(db: &TestDb) {
    let (hubs, _bus) = nodes(db, 2, fast());
    let mut clients = Vec::new();
    for i in 0..6 {
        clients.push(Client::join(&hubs[i % 2], "d", Access::ReadWrite).await);
    }
    let mut markers = Vec::new();
    for round in 0..20 {
        for (i, c) in clients.iter_mut().enumerate() {
            let m = format!("[{i}.{round}]");
            c.edit(&m).unwrap();
            markers.push(m);
        }
        if round % 5 == 4 {
            for c in clients.iter_mut() {
                c.pump();
            }
        }
    }
    converge(&mut clients, &markers, Duration::from_secs(20)).await;
    for c in clients.iter_mut() {
        c.wait_echoes().await;
        assert_eq!(c.closed, None);
    }
    // Every acknowledged update is in the log once, under numbers the database handed out.
    assert_eq!(seqs(db, "d").await, (1..=120).collect::<Vec<i64>>());
    let stored = text_of_state(&hubs[0].encode_state("d").await.unwrap());
    assert_eq!(stored, clients[0].text());
    let fresh = Hub::new(Arc::new(db.store.clone()), config());
    assert_eq!(
        text_of_state(&fresh.encode_state("d").await.unwrap()),
        clients[0].text()
    );
    for hub in &hubs {
        assert_eq!(hub.known_seq("d"), Some(120));
    }
}

both!(three_nodes_converge_over_a_lossy_link);
async fn three_nodes_converge_over_a_lossy_link(db: &TestDb) {
    let (hubs, bus) = nodes(db, 3, fast());
    bus.lossy.store(true, Ordering::SeqCst);
    let mut clients = Vec::new();
    for i in 0..6 {
        clients.push(Client::join(&hubs[i % 3], "three", Access::ReadWrite).await);
    }
    let mut markers = Vec::new();
    for round in 0..30 {
        for (i, c) in clients.iter_mut().enumerate() {
            let m = format!("[{i}.{round}]");
            c.edit(&m).unwrap();
            markers.push(m);
        }
        for c in clients.iter_mut() {
            c.pump();
        }
    }
    converge(&mut clients, &markers, Duration::from_secs(20)).await;
    for c in clients.iter_mut() {
        c.wait_echoes().await;
    }
    // A third of the ranges were lost on the way, out of order besides: the gaps were read
    // from the database, and nothing was stored twice.
    assert_eq!(seqs(db, "three").await, (1..=180).collect::<Vec<i64>>());
    for hub in &hubs {
        assert_eq!(hub.known_seq("three"), Some(180));
    }
}

both!(lost_messages_are_made_up_from_the_database);
async fn lost_messages_are_made_up_from_the_database(db: &TestDb) {
    let (hubs, bus) = nodes(db, 2, fast());
    let mut a = Client::join(&hubs[0], "lost", Access::ReadWrite).await;
    let mut b = Client::join(&hubs[1], "lost", Access::ReadWrite).await;
    // The link is down: each node keeps serving its own clients…
    bus.up.store(false, Ordering::SeqCst);
    let mut markers = Vec::new();
    for i in 0..30 {
        let (ma, mb) = (format!("<a{i}>"), format!("<b{i}>"));
        a.edit(&ma).unwrap();
        b.edit(&mb).unwrap();
        markers.extend([ma, mb]);
    }
    a.wait_echoes().await;
    b.wait_echoes().await;
    // …and the periodic head comparison reads what the other committed.
    let mut clients = [a, b];
    converge(&mut clients, &markers, Duration::from_secs(10)).await;
    assert_eq!(seqs(db, "lost").await.len(), 60);
    // Back up: live again.
    bus.up.store(true, Ordering::SeqCst);
    clients[0].edit("<after>").unwrap();
    markers.push("<after>".into());
    converge(&mut clients, &markers, Duration::from_secs(10)).await;
}

both!(a_node_that_loaded_before_a_compaction_keeps_converging);
async fn a_node_that_loaded_before_a_compaction_keeps_converging(db: &TestDb) {
    let compacting = HubConfig {
        compact_after_updates: 40,
        ..fast()
    };
    let (hubs, bus) = nodes(db, 2, compacting);
    let mut a = Client::join(&hubs[0], "c", Access::ReadWrite).await;
    let b = Client::join(&hubs[1], "c", Access::ReadWrite).await;
    a.edit("start ").unwrap();
    let mut clients = [a, b];
    converge(&mut clients, &["start ".into()], Duration::from_secs(10)).await;
    let [mut a, b] = clients;
    // Node B hears nothing while A's client writes enough for several compactions.
    bus.up.store(false, Ordering::SeqCst);
    let mut markers = vec!["start ".to_owned()];
    for i in 0..200 {
        let m = format!("({i})");
        a.edit(&m).unwrap();
        markers.push(m);
        if i % 40 == 39 {
            a.wait_echoes().await;
        }
    }
    a.wait_echoes().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    // Compacted once the first entry is gone from the log: the log may also be empty, when
    // the last compaction came after the last edit and folded everything.
    while seqs(db, "c").await.first().is_some_and(|&first| first <= 1) {
        assert!(Instant::now() < deadline, "no compaction happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // B lacks entries the log no longer has: it reads the snapshot, and converges.
    let mut clients = [a, b];
    converge(&mut clients, &markers, Duration::from_secs(10)).await;
    // And goes on converging both ways.
    clients[1].edit("[from b]").unwrap();
    markers.push("[from b]".into());
    converge(&mut clients, &markers, Duration::from_secs(10)).await;
    bus.up.store(true, Ordering::SeqCst);
    clients[0].edit("[live]").unwrap();
    markers.push("[live]".into());
    converge(&mut clients, &markers, Duration::from_secs(10)).await;
    // Nothing was lost in the database either.
    let fresh = Hub::new(Arc::new(db.store.clone()), config());
    assert_eq!(
        text_of_state(&fresh.encode_state("c").await.unwrap()),
        clients[0].text()
    );
}

both!(awareness_crosses_nodes);
async fn awareness_crosses_nodes(db: &TestDb) {
    let (hubs, _bus) = nodes(db, 2, fast());
    let mut a = Client::join(&hubs[0], "aw", Access::ReadWrite).await;
    let mut presence = Awareness::new(Doc::new());
    presence
        .set_local_state(serde_json::json!({"user": "ann"}))
        .unwrap();
    a.conn
        .receive(protocol::encode_awareness(presence.update().unwrap()))
        .unwrap();
    let id = presence.client_id().get();
    // A node that loads the document afterwards gets the states present elsewhere.
    let (_conn_b, mut outbox_b) = hubs[1].connect("aw", Access::ReadOnly).await.unwrap();
    let seen = awareness_until(&mut outbox_b, |e| {
        e.iter().any(|(c, j)| *c == id && j.contains("ann"))
    })
    .await;
    assert!(seen);
    // Changes and the departure follow.
    presence
        .set_local_state(serde_json::json!({"user": "ann", "cursor": 7}))
        .unwrap();
    a.conn
        .receive(protocol::encode_awareness(presence.update().unwrap()))
        .unwrap();
    assert!(
        awareness_until(&mut outbox_b, |e| e
            .iter()
            .any(|(c, j)| *c == id && j.contains("cursor")))
        .await
    );
    drop(a);
    assert!(
        awareness_until(&mut outbox_b, |e| e
            .iter()
            .any(|(c, j)| *c == id && j == "null"))
        .await
    );
}

/// Reads awareness frames until one satisfies `want` (client id, JSON state), for up to 5 s.
async fn awareness_until(
    outbox: &mut atrium_collab::Outbox,
    want: impl Fn(&[(u64, String)]) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(atrium_collab::Outgoing::Frame(f))) =
        tokio::time::timeout_at(deadline, outbox.next()).await
    {
        for m in protocol::decode_frame(&f, usize::MAX).unwrap() {
            if let Incoming::Awareness(u) = m {
                let entries: Vec<(u64, String)> =
                    u.iter().map(|e| (e.client, e.json.to_string())).collect();
                if want(&entries) {
                    return true;
                }
            }
        }
    }
    false
}
