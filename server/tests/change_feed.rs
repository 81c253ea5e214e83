//! The change feed on both databases: appends commit with their transaction, consumers read up
//! to a safe horizon and never skip a row that commits late (8 writers in 4 organisations,
//! 10,000 changes, read by the search indexer and a second consumer at the same time), writers
//! of different organisations do not wait on each other, consumers resume from their cursor
//! after a crash, and retention keeps exactly what some consumer still needs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use atrium_search::{ChangeSource, IndexOptions, SearchIndex};
use atrium_server::db::{Db, Tx, change_feed};
use atrium_server::docs::feed::DocPayload;
use atrium_server::feed::retention::{self, RetentionConfig};
use atrium_server::feed::{
    ChangeData, ChangeKind, Consumer, FeedError, NewChange, PacedConsumer, Payload, Removal, Start,
};
use atrium_server::search::feed::FeedSource;

mod common;
use common::TestDb;

fn doc(title: &str) -> Payload {
    Payload::Doc(DocPayload {
        project: "p1".into(),
        title: title.into(),
        body: format!("body of {title}"),
        author: "u1".into(),
        created: 1,
        updated: 1,
    })
}

/// Appends one change inside `tx`; returns its sequence.
async fn append(tx: &mut Tx, change: NewChange) -> Result<i64, sqlx::Error> {
    Ok(change_feed::append(tx, &[change]).await?[0])
}

fn doc_change(org: &str, entity: &str, title: &str) -> NewChange {
    NewChange::upsert(org, entity, &doc(title)).unwrap()
}

async fn upsert(db: &Db, org: &str, entity: &str, title: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let seq = append(&mut tx, doc_change(org, entity, title))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    seq
}

async fn remove(db: &Db, org: &str, entity: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let removal = NewChange::delete(org, ChangeKind::Doc, entity, &Removal::default()).unwrap();
    let seq = append(&mut tx, removal).await.unwrap();
    tx.commit().await.unwrap();
    seq
}

/// Every sequence in the feed, in order.
async fn all_seqs(db: &Db) -> Vec<i64> {
    change_feed::read_checked(db, 0, i64::MAX, i64::MAX)
        .await
        .unwrap()
        .changes
        .iter()
        .map(|c| c.seq)
        .collect()
}

/// Reads until the horizon has reached the feed's head (on PostgreSQL it waits for every
/// transaction of the cluster open at its snapshot, other tests' included), or `limit` changes.
async fn read_full(db: &Db, consumer: &Consumer, limit: usize) -> atrium_server::feed::Batch {
    let head = change_feed::head(db).await.unwrap();
    for _ in 0..2_000 {
        let batch = consumer.read(limit).await.unwrap();
        if batch.horizon >= head || batch.changes.len() == limit {
            return batch;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the horizon never reached the head {head}");
}

/// Reads with the search indexer's source until the index has applied everything up to the
/// feed's head, committing each batch.
async fn index_all(db: &Db, source: &FeedSource, index: &SearchIndex) {
    let head = change_feed::head(db).await.unwrap();
    for _ in 0..2_000 {
        let batch = source.read_after(index.applied_seq(), 100).await.unwrap();
        index.apply(batch.entries).unwrap();
        index.advance_to(batch.last_seq);
        index.commit().unwrap();
        if index.applied_seq() >= head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the indexer never reached the head {head}");
}

/// The title of an upsert (what the tests write as a version).
fn title(data: &ChangeData) -> Option<&str> {
    match data {
        ChangeData::Upsert(Payload::Doc(p)) => Some(&p.title),
        _ => None,
    }
}

async fn appends_commit_with_their_transaction(t: &TestDb) {
    let db = &t.db;
    let first = upsert(db, "org-1", "a", "a1").await;
    let mut tx = db.begin().await.unwrap();
    append(&mut tx, doc_change("org-1", "rolled-back", "x"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let second = remove(db, "org-1", "a").await;
    assert!(second > first);
    let (consumer, cursor) = Consumer::register(db, "test", Start::Beginning)
        .await
        .unwrap();
    assert_eq!(cursor, 0);
    let batch = read_full(db, &consumer, 10).await;
    assert_eq!(
        batch.changes.len(),
        2,
        "the rolled-back change is not there"
    );
    assert_eq!(title(&batch.changes[0].data), Some("a1"));
    assert_eq!(
        batch.changes[1].data,
        ChangeData::Delete {
            kind: ChangeKind::Doc,
            removal: Removal::default()
        }
    );
    assert_eq!(batch.last_seq, second);
    assert_eq!(batch.horizon, second);
}

/// A tiny deterministic generator: transaction lengths and pauses differ per writer and run.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const WRITERS: usize = 8;
const ORGS: usize = 4;
const CHANGES: usize = 10_000;
/// Entities per writer: each is written many times, so order matters for the final state.
const ENTITIES: usize = 20;

/// Reads with `Consumer` until every writer is done and the feed is drained; returns what it
/// saw as `(seq, org, entity, title)`, acknowledging as it goes.
async fn consume(db: Db, done: Arc<AtomicBool>) -> Vec<(i64, String, String, String)> {
    let (consumer, _) = Consumer::register(&db, "test-consumer", Start::Beginning)
        .await
        .unwrap();
    let mut seen = Vec::new();
    loop {
        let finished = done.load(Ordering::SeqCst);
        let batch = consumer.read(300).await.unwrap();
        if batch.changes.is_empty()
            && finished
            && batch.horizon >= change_feed::head(&db).await.unwrap()
        {
            return seen;
        }
        for change in &batch.changes {
            let title = title(&change.data).unwrap().to_owned();
            seen.push((
                change.seq,
                change.org_id.clone(),
                change.entity_id.clone(),
                title,
            ));
        }
        consumer.ack(batch.last_seq).await.unwrap();
        if batch.changes.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// The search indexer's own source (`search::feed::FeedSource`) into a real index, driven the
/// way `atrium_search::tail` drives it; returns the sequences of the entries it applied.
async fn index(db: Db, dir: std::path::PathBuf, done: Arc<AtomicBool>) -> (Vec<i64>, u64, i64) {
    let options = IndexOptions {
        writer_heap_bytes: 32 << 20,
        writer_threads: 1,
    };
    let index = Arc::new(SearchIndex::open(&dir, options).unwrap());
    let source = FeedSource::new(&db, "search:test-node", Arc::clone(&index))
        .await
        .unwrap();
    let mut seen = Vec::new();
    loop {
        let finished = done.load(Ordering::SeqCst);
        let after = index.applied_seq();
        let batch = source.read_after(after, 500).await.unwrap();
        if batch.last_seq == after {
            if finished && after >= change_feed::head(&db).await.unwrap() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        seen.extend(batch.entries.iter().map(|(seq, _)| *seq));
        let idx = Arc::clone(&index);
        tokio::task::spawn_blocking(move || {
            idx.apply(batch.entries).unwrap();
            idx.advance_to(batch.last_seq);
            idx.commit_if_due(Duration::from_millis(200)).unwrap();
        })
        .await
        .unwrap();
    }
    index.commit().unwrap();
    // The next read acknowledges the last commit.
    source.read_after(index.applied_seq(), 1).await.unwrap();
    (seen, index.num_docs(), index.last_seq())
}

/// `seen` is `all`: every change once, in sequence order (says what differs if not).
fn assert_same(seen: &[i64], all: &[i64], who: &str) {
    if seen == all {
        return;
    }
    let set: BTreeSet<i64> = seen.iter().copied().collect();
    let missing: Vec<i64> = all.iter().filter(|s| !set.contains(s)).copied().collect();
    let duplicates = seen.len() - set.len();
    let out_of_order = seen.windows(2).filter(|w| w[0] >= w[1]).count();
    panic!(
        "{who} saw {} changes of {}: missing {:?} (first 20 of {}), {duplicates} duplicates, {out_of_order} out of order",
        seen.len(),
        all.len(),
        &missing[..missing.len().min(20)],
        missing.len()
    );
}

/// The change-feed test: 8 concurrent writers in 4 organisations append 10,000 changes
/// in transactions of random length that stay open for random times, so on PostgreSQL commits
/// land out of sequence order; the search indexer and a second consumer read meanwhile, and
/// each sees every change exactly once, in order (per organisation, per writer, per entity).
async fn concurrent_writers_every_change_once_in_order(t: &TestDb) {
    // Writers and readers each want a connection of their own.
    let db = Db::connect(&t.url, 16).await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let dir = tempfile::tempdir().unwrap();
    let indexer = tokio::spawn(index(db.clone(), dir.path().join("search"), done.clone()));
    let second = tokio::spawn(consume(db.clone(), done.clone()));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let db = db.clone();
        writers.push(tokio::spawn(async move {
            let org = format!("org-{}", w % ORGS);
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((w as u64 + 1) * 0x2545_f491));
            let mut n = 0;
            let per_writer = CHANGES / WRITERS;
            while n < per_writer {
                let mut tx = db.begin().await.unwrap();
                let len = (1 + rng.below(6) as usize).min(per_writer - n);
                for _ in 0..len {
                    let entity = format!("w{w}-e{}", n % ENTITIES);
                    // The title orders a writer's changes: w<writer>:<n>.
                    append(&mut tx, doc_change(&org, &entity, &format!("w{w}:{n}")))
                        .await
                        .unwrap();
                    n += 1;
                }
                // Hold the transaction open a random while: later numbers commit first.
                match rng.below(4) {
                    0 => {}
                    1 => tokio::task::yield_now().await,
                    k => tokio::time::sleep(Duration::from_micros(300 * k)).await,
                }
                tx.commit().await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let all = all_seqs(&db).await;
    assert_eq!(all.len(), CHANGES);

    let seen = second.await.unwrap();
    let seqs: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert_same(&seqs, &all, "the second consumer");
    // Per writer (and so per organisation and per entity), changes arrive in the order they
    // were made.
    let mut last: HashMap<String, i64> = HashMap::new();
    for (_, org, entity, title) in &seen {
        let (writer, n) = title.split_once(':').unwrap();
        let n: i64 = n.parse().unwrap();
        assert_eq!(
            org,
            &format!("org-{}", writer[1..].parse::<usize>().unwrap() % ORGS)
        );
        assert!(entity.starts_with(&format!("{writer}-")));
        let previous = last.insert(writer.to_owned(), n);
        assert_eq!(previous.map_or(0, |p| p + 1), n, "{writer} out of order");
    }

    let (indexed, docs, last_seq) = indexer.await.unwrap();
    assert_same(&indexed, &all, "the search indexer");
    assert_eq!(docs, (WRITERS * ENTITIES) as u64);
    assert_eq!(last_seq, *all.last().unwrap());
    // Its cursor in the feed follows the index's commits.
    let (consumer, cursor) = Consumer::register(&db, "search:test-node", Start::Now)
        .await
        .unwrap();
    assert_eq!(cursor, last_seq);
    drop(consumer);
    db.close().await;
}

/// An open transaction of one organisation that appended to the feed (and to the event log)
/// does not delay a commit in another; readers do not read past the open one's row until it
/// commits, then read both in order.
async fn other_orgs_do_not_wait(t: &TestDb) {
    let db = Db::connect(&t.url, 8).await.unwrap();
    let (consumer, _) = Consumer::register(&db, "test", Start::Beginning)
        .await
        .unwrap();
    let mut open = db.begin().await.unwrap();
    let early = append(&mut open, doc_change("org-a", "a", "a"))
        .await
        .unwrap();
    let committed = tokio::time::timeout(Duration::from_secs(5), upsert(&db, "org-b", "b", "b"))
        .await
        .expect("a commit in org B waited for org A's open transaction");
    assert!(committed > early);
    let batch = consumer.read(10).await.unwrap();
    assert!(
        batch.changes.is_empty(),
        "read {:?} past a row that may still commit",
        batch.changes
    );
    assert!(batch.horizon < early);
    open.commit().await.unwrap();
    let batch = read_full(&db, &consumer, 10).await;
    let got: Vec<i64> = batch.changes.iter().map(|c| c.seq).collect();
    assert_eq!(got, [early, committed]);
    db.close().await;
}

/// A consumer that stops mid-way (it applied part of a batch, acknowledged that, and died)
/// resumes from its cursor: no gap and nothing it acknowledged again.
async fn crash_catch_up(t: &TestDb) {
    let db = &t.db;
    for i in 0..30 {
        upsert(db, "org-1", &format!("e{i}"), &format!("v{i}")).await;
    }
    let mut applied = Vec::new();
    {
        let (consumer, _) = Consumer::register(db, "mailer", Start::Beginning)
            .await
            .unwrap();
        let batch = read_full(db, &consumer, 20).await;
        assert_eq!(batch.changes.len(), 20);
        // Applies twelve, acknowledges them, crashes before the rest.
        applied.extend(batch.changes[..12].iter().map(|c| c.seq));
        consumer.ack(batch.changes[11].seq).await.unwrap();
    }
    for i in 30..40 {
        upsert(db, "org-2", &format!("e{i}"), &format!("v{i}")).await;
    }
    let (consumer, cursor) = Consumer::register(db, "mailer", Start::Beginning)
        .await
        .unwrap();
    assert_eq!(cursor, applied[11], "registering again keeps the cursor");
    loop {
        let batch = read_full(db, &consumer, 7).await;
        if batch.changes.is_empty() {
            break;
        }
        applied.extend(batch.changes.iter().map(|c| c.seq));
        consumer.ack(batch.last_seq).await.unwrap();
    }
    assert_eq!(applied, all_seqs(db).await, "no gap, no duplicate");
}

/// A paced consumer reads on from its place in memory, writes its cursor at most once per
/// interval (and when it flushes), and after a crash reads again from what it last wrote: what
/// it passed since comes again, nothing is skipped. After `forget` it reads from the stored
/// cursor, which another node may have moved.
async fn paced_consumer_writes_its_cursor_now_and_then(t: &TestDb) {
    let db = &t.db;
    // Long enough that the steps below fit inside it on a busy machine; each check that needs
    // them to says so if they did not.
    let every = Duration::from_secs(2);
    let stored = || async { change_feed::consumer_cursor(db, "paced").await.unwrap() };
    let (consumer, _) = Consumer::register(db, "paced", Start::Beginning)
        .await
        .unwrap();
    let mut paced = PacedConsumer::writing_every(consumer, every);
    let mut seqs = Vec::new();
    for i in 0..3 {
        seqs.push(upsert(db, "org-1", &format!("e{i}"), "v").await);
    }
    settle(db).await;
    let started = std::time::Instant::now();
    let mut read = Vec::new();
    for _ in 0..3 {
        let batch = paced.read(1).await.unwrap();
        read.extend(batch.changes.iter().map(|c| c.seq));
        paced.pass(batch.last_seq).await.unwrap();
    }
    assert_eq!(read, seqs, "each change once, from the place in memory");
    assert!(
        started.elapsed() < every,
        "three reads took {:?}",
        started.elapsed()
    );
    assert_eq!(
        stored().await,
        Some(seqs[0]),
        "written at the first pass only"
    );

    // A crash now: a new reader starts from the stored cursor and sees the rest again.
    let (again, _) = Consumer::register(db, "paced", Start::Beginning)
        .await
        .unwrap();
    let mut crashed = PacedConsumer::writing_every(again, every);
    let batch = crashed.read(10).await.unwrap();
    assert_eq!(
        batch.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        seqs[1..],
        "read again after a crash: nothing skipped"
    );

    // Past the interval, the next pass writes.
    tokio::time::sleep(every).await;
    paced.pass(seqs[2]).await.unwrap();
    let written = std::time::Instant::now();
    assert_eq!(stored().await, Some(seqs[2]));
    // Within the interval a pass does not write; a flush does.
    let later = upsert(db, "org-1", "late", "v").await;
    settle(db).await;
    let batch = paced.read(10).await.unwrap();
    assert_eq!(batch.last_seq, later);
    paced.pass(later).await.unwrap();
    assert!(
        written.elapsed() < every,
        "the steps took {:?}",
        written.elapsed()
    );
    assert_eq!(
        stored().await,
        Some(seqs[2]),
        "within the interval: not written"
    );
    paced.flush().await.unwrap();
    assert_eq!(stored().await, Some(later));

    // Another node rewinds the stored cursor; this one forgets its place and follows it.
    crashed.rewind(seqs[0]).await.unwrap();
    paced.forget();
    let batch = paced.read(10).await.unwrap();
    assert_eq!(batch.changes.first().map(|c| c.seq), Some(seqs[1]));
}

/// Waits until the safe horizon has reached the feed's head (on PostgreSQL it waits for every
/// transaction of the cluster open at its snapshot, other tests' included).
async fn settle(db: &Db) {
    let head = change_feed::head(db).await.unwrap();
    for _ in 0..2_000 {
        if db.change_feed_horizon().advance(db).await.unwrap() >= head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the horizon never reached the head {head}");
}

fn config(window: Duration) -> RetentionConfig {
    RetentionConfig {
        window,
        stale_after: Duration::from_secs(3600),
    }
}

async fn prune(db: &Db, window: Duration) -> u64 {
    // Retention reads up to a horizon like any reader: let it reach the head first.
    settle(db).await;
    retention::prune_once(db, config(window)).await.unwrap()
}

/// The titles of what a consumer starting from the beginning reads.
async fn from_beginning(db: &Db, name: &str) -> Vec<String> {
    let (consumer, _) = Consumer::register(db, name, Start::Beginning)
        .await
        .unwrap();
    let batch = read_full(db, &consumer, 100).await;
    consumer.remove().await.unwrap();
    batch
        .changes
        .iter()
        .map(|c| title(&c.data).unwrap_or("(removed)").to_owned())
        .collect()
}

/// Retention deletes only rows every live consumer has passed, outside the window, and
/// superseded (or removals); a stale consumer stops holding rows back and, back, is told it is
/// behind; new consumers start from now or from the beginning.
async fn retention_keeps_what_consumers_need(t: &TestDb) {
    let db = &t.db;
    let (fast, _) = Consumer::register(db, "fast", Start::Beginning)
        .await
        .unwrap();
    let (slow, _) = Consumer::register(db, "slow", Start::Beginning)
        .await
        .unwrap();
    upsert(db, "org-1", "x", "x1").await;
    let y1 = upsert(db, "org-1", "y", "y1").await;
    let x2 = upsert(db, "org-1", "x", "x2").await;
    let y_gone = remove(db, "org-1", "y").await;
    let z1 = upsert(db, "org-1", "z", "z1").await;
    tokio::time::sleep(Duration::from_millis(5)).await;

    // Nobody passed anything: nothing goes.
    assert_eq!(prune(db, Duration::ZERO).await, 0);
    fast.ack(z1).await.unwrap();
    slow.ack(y1).await.unwrap();
    // The slow consumer still needs everything after y1; x1 (superseded by x2) may go, y1 is
    // superseded too but the window keeps everything younger than an hour.
    assert_eq!(prune(db, Duration::from_secs(3600)).await, 0);
    assert_eq!(prune(db, Duration::ZERO).await, 2);
    assert_eq!(all_seqs(db).await, [x2, y_gone, z1]);
    assert_eq!(change_feed::pruned_through(db).await.unwrap(), y1);

    // The slow consumer stops acknowledging for longer than the stale limit (a node gone).
    sqlx::query("update feed_consumers set updated_at = 0 where name = 'slow'")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(prune(db, Duration::ZERO).await, 1, "the removal of y goes");
    assert_eq!(
        all_seqs(db).await,
        [x2, z1],
        "each live entity's last change stays"
    );
    match slow.read(10).await {
        Err(FeedError::Behind { cursor, pruned }) => assert_eq!((cursor, pruned), (y1, y_gone)),
        other => panic!("expected Behind, got {other:?}"),
    }
    // A rebuild from the beginning is whole again.
    slow.rewind(0).await.unwrap();
    let titles: Vec<String> = read_full(db, &slow, 10)
        .await
        .changes
        .iter()
        .map(|c| title(&c.data).unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["x2", "z1"]);

    // New consumers: from the beginning reads what is kept, from now only what comes next.
    assert_eq!(from_beginning(db, "new-from-start").await, ["x2", "z1"]);
    let (later, cursor) = Consumer::register(db, "new-from-now", Start::Now)
        .await
        .unwrap();
    assert_eq!(cursor, z1);
    assert!(later.read(10).await.unwrap().changes.is_empty());
    let w1 = upsert(db, "org-2", "w", "w1").await;
    let batch = read_full(db, &later, 10).await;
    assert_eq!(
        batch.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [w1]
    );
}

/// A search index whose consumer was away while the feed was pruned past it empties itself and
/// rebuilds from the beginning, on its own: an entity removed meanwhile is gone from it.
async fn stale_search_index_rebuilds(t: &TestDb) {
    let db = &t.db;
    let dir = tempfile::tempdir().unwrap();
    let options = IndexOptions {
        writer_heap_bytes: 32 << 20,
        writer_threads: 1,
    };
    let index = Arc::new(SearchIndex::open(dir.path(), options).unwrap());
    let source = FeedSource::new(db, "search:away", Arc::clone(&index))
        .await
        .unwrap();
    upsert(db, "org-1", "kept", "kept").await;
    upsert(db, "org-1", "dropped", "dropped").await;
    index_all(db, &source, &index).await;
    assert_eq!(index.num_docs(), 2);
    // Acknowledges the commit (on its next read), then the node goes away.
    source.read_after(index.applied_seq(), 1).await.unwrap();
    remove(db, "org-1", "dropped").await;
    upsert(db, "org-1", "kept", "kept again").await;
    sqlx::query("update feed_consumers set updated_at = 0 where name = 'search:away'")
        .execute(db.pool())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(prune(db, Duration::ZERO).await, 3);

    // Back: the first read finds the feed pruned past it and empties the index.
    let batch = source.read_after(index.applied_seq(), 100).await.unwrap();
    assert_eq!(batch.last_seq, 0);
    assert_eq!((index.num_docs(), index.applied_seq()), (0, 0));
    index_all(db, &source, &index).await;
    assert_eq!(index.num_docs(), 1, "only the live entity is back");
    let seqs: BTreeSet<i64> = all_seqs(db).await.into_iter().collect();
    assert_eq!(index.last_seq(), *seqs.last().unwrap());
}

on_both_databases!(
    appends_commit_with_their_transaction,
    concurrent_writers_every_change_once_in_order,
    crash_catch_up,
    paced_consumer_writes_its_cursor_now_and_then,
    retention_keeps_what_consumers_need,
    stale_search_index_rebuilds
);

on_postgres!(other_orgs_do_not_wait);
