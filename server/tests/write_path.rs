//! The one write path on both databases: a committed unit of work holds its audit entry, its
//! app events (in the order queued), its change-feed rows and its jobs, and wakes the event
//! dispatcher, the job runner and the feed's consumers; a unit of work dropped without a commit
//! leaves none of them and wakes nobody.

use std::sync::Arc;
use std::time::Duration;

use atrium_server::audit::{Event, action};
use atrium_server::db::{Db, change_feed};
use atrium_server::docs::feed::DocPayload;
use atrium_server::events::{Audience, NewEvent};
use atrium_server::feed::{ChangeData, ChangeKind, Payload, Removal, Wakers};
use atrium_server::http::client_info::ClientInfo;
use atrium_server::jobs::{Handler, Job, Jobs, NewJob, Outcome, Runner, RunnerOptions};
use atrium_server::write::Writes;
use futures::future::BoxFuture;
use sqlx::Row;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::{CancellationToken, DropGuard};

mod common;
use common::TestDb;

/// Reports each job it runs.
struct Recorder(mpsc::UnboundedSender<String>);

impl Handler for Recorder {
    fn kind(&self) -> &'static str {
        "write-path-test"
    }

    fn run<'a>(&'a self, job: &'a Job, _: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        let _ = self.0.send(job.id.clone());
        Box::pin(async { Outcome::Done })
    }
}

/// A write path over `db` whose job runner only polls every ten minutes, so a job that runs
/// at once was woken by the commit; and a feed consumer's wake-up to watch.
struct World {
    writes: Writes,
    consumer: Arc<Notify>,
    ran: mpsc::UnboundedReceiver<String>,
    stop: CancellationToken,
    _events: DropGuard,
}

async fn world(db: &Db) -> World {
    let stop = CancellationToken::new();
    let jobs = Jobs::default();
    let (sender, ran) = mpsc::unbounded_channel();
    let options = RunnerOptions {
        poll_interval: Duration::from_secs(600),
        ..RunnerOptions::default()
    };
    Runner::new(db.clone(), options)
        .register(Recorder(sender))
        .spawn(jobs.clone(), stop.clone());
    let wakers = Wakers::default();
    let consumer = Arc::new(Notify::new());
    wakers.register(Arc::clone(&consumer));
    let (writes, events) = common::writes(db, jobs, wakers).await;
    World {
        writes,
        consumer,
        ran,
        stop,
        _events: events,
    }
}

fn doc(title: &str) -> Payload {
    Payload::Doc(DocPayload {
        project: "p1".into(),
        title: title.into(),
        ..DocPayload::default()
    })
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// The kinds of the events in the log, in sequence order.
async fn event_kinds(db: &Db) -> Vec<String> {
    atrium_server::events::store::read_between(db, 0, i64::MAX, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn a_committed_unit_records_everything_and_wakes_its_readers(t: &TestDb) {
    let db = &t.db;
    let mut w = world(db).await;
    let mut work = w.writes.begin().await.unwrap();
    let event = Event::new(action::PROJECT_CREATED, Some("u1"))
        .org("o1")
        .target("project", "p1");
    work.audit(&event, &ClientInfo::default()).await.unwrap();
    work.emit(NewEvent::new(
        "o1",
        Audience::Org("o1".into()),
        "first.kind",
        &"a",
    ));
    work.access_changed("o1", Audience::User("u2".into()), "project.joined");
    work.emit_all([NewEvent::new(
        "o1",
        Audience::Org("o1".into()),
        "last.kind",
        &"b",
    )]);
    work.feed("o1", "d1", &doc("one")).unwrap();
    work.feed_removal("o1", ChangeKind::Doc, "d0", &Removal::default())
        .unwrap();
    let job_id = work
        .enqueue(&NewJob::new(None, "write-path-test", serde_json::json!({})))
        .await
        .unwrap();
    // Nothing is visible before the commit.
    assert_eq!(count(db, "events").await, 0);
    assert_eq!(count(db, "jobs").await, 0);
    work.commit().await.unwrap();

    assert_eq!(count(db, "audit_log").await, 1);
    assert_eq!(
        event_kinds(db).await,
        ["first.kind", "access.changed", "last.kind"],
        "events are appended in the order queued"
    );
    let changes = change_feed::read_checked(db, 0, i64::MAX, 100)
        .await
        .unwrap()
        .changes;
    assert_eq!(changes.len(), 2);
    assert!(changes[0].seq < changes[1].seq);
    assert_eq!(changes[0].data, ChangeData::Upsert(doc("one")));
    assert!(matches!(
        changes[1].data,
        ChangeData::Delete {
            kind: ChangeKind::Doc,
            ..
        }
    ));
    // The runner polls every ten minutes: the job ran because the commit woke it.
    let ran = tokio::time::timeout(Duration::from_secs(10), w.ran.recv())
        .await
        .expect("the commit did not wake the job runner");
    assert_eq!(ran.as_deref(), Some(job_id.as_str()));
    tokio::time::timeout(Duration::from_secs(5), w.consumer.notified())
        .await
        .expect("the commit did not wake the feed's consumers");
    w.stop.cancel();
}

async fn a_dropped_unit_leaves_nothing_and_wakes_nobody(t: &TestDb) {
    let db = &t.db;
    let mut w = world(db).await;
    {
        let mut work = w.writes.begin().await.unwrap();
        let event = Event::new(action::PROJECT_CREATED, Some("u1")).org("o1");
        work.audit(&event, &ClientInfo::default()).await.unwrap();
        work.emit(NewEvent::new(
            "o1",
            Audience::Org("o1".into()),
            "never.kind",
            &"x",
        ));
        work.feed("o1", "d1", &doc("never")).unwrap();
        work.enqueue(&NewJob::new(None, "write-path-test", serde_json::json!({})))
            .await
            .unwrap();
        // Dropped here, as a handler's `?` drops it on an error.
    }
    for table in ["audit_log", "events", "change_feed", "jobs"] {
        assert_eq!(count(db, table).await, 0, "{table} kept a rolled-back row");
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), w.consumer.notified())
            .await
            .is_err(),
        "a rolled-back unit woke the feed's consumers"
    );
    assert!(w.ran.try_recv().is_err());
    // An audit entry of its own commits at once.
    let event = Event::new(action::LOGIN_FAILURE, None);
    w.writes
        .audit(&event, &ClientInfo::default())
        .await
        .unwrap();
    assert_eq!(count(db, "audit_log").await, 1);
    w.stop.cancel();
}

on_both_databases!(
    a_committed_unit_records_everything_and_wakes_its_readers,
    a_dropped_unit_leaves_nothing_and_wakes_nobody,
);
