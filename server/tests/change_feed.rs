//! The change feed on both databases: appends commit with their transaction (and vanish with
//! a rollback), and a consumer tailing the feed while writers race never sees a sequence
//! number appear behind one it has already read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use atrium_server::db::change_feed::{self, NewChange, Op};
use serde_json::json;

mod common;
use common::TestDb;

async fn append(t: &TestDb, entity: &str, commit: bool) -> i64 {
    let mut tx = t.db.begin().await.unwrap();
    let payload = json!({ "title": entity });
    let seq = change_feed::append(
        &mut tx,
        NewChange {
            org_id: "org-1",
            kind: "doc",
            entity_id: entity,
            op: Op::Upsert,
            payload: &payload,
        },
    )
    .await
    .unwrap();
    if commit {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await.unwrap();
    }
    seq
}

async fn appends_commit_with_their_transaction(t: &TestDb) {
    assert_eq!(change_feed::head(&t.db).await.unwrap(), 0);
    let first = append(t, "a", true).await;
    append(t, "rolled-back", false).await;
    let second = append(t, "b", true).await;
    assert!(second > first);
    let changes = change_feed::read_after(&t.db, 0, 10).await.unwrap();
    let entities: Vec<&str> = changes.iter().map(|c| c.entity_id.as_str()).collect();
    assert_eq!(entities, ["a", "b"]);
    assert_eq!(changes[1].payload, json!({ "title": "b" }));
    assert_eq!(changes[0].op, Op::Upsert);
    assert_eq!(
        change_feed::read_after(&t.db, first, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(change_feed::head(&t.db).await.unwrap(), second);
}

/// Writers hold their transaction open a moment after appending, so that on PostgreSQL a
/// later sequence number could commit first without the feed's serialisation.
async fn tailing_never_skips_a_late_commit(t: &TestDb) {
    let done = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let db = t.db.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..25 {
                let mut tx = db.begin().await.unwrap();
                let entity = format!("w{w}-{i}");
                change_feed::append(
                    &mut tx,
                    NewChange {
                        org_id: "org-1",
                        kind: "doc",
                        entity_id: &entity,
                        op: Op::Upsert,
                        payload: &json!({}),
                    },
                )
                .await
                .unwrap();
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
            }
        }));
    }
    let reader = {
        let db = t.db.clone();
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut last = 0;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let batch = change_feed::read_after(&db, last, 50).await.unwrap();
                if batch.is_empty() && finished {
                    return seen;
                }
                for change in batch {
                    assert!(change.seq > last);
                    last = change.seq;
                    seen.push(change.seq);
                }
                tokio::task::yield_now().await;
            }
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let all: Vec<i64> = change_feed::read_after(&t.db, 0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(all.len(), 100);
    assert_eq!(
        seen, all,
        "the tailing reader saw every change, in order, none skipped"
    );
}

on_both_databases!(
    appends_commit_with_their_transaction,
    tailing_never_skips_a_late_commit
);
