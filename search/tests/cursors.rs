//! Cursors need nothing kept by the index that made them: behind a load balancer the next page
//! may be asked of another node's index. Two indexes in one process number their snapshots
//! alike (each reader counts from zero), which is what two nodes do too: a cursor must never
//! make an index page through a snapshot of its own that only shares the other's number.

use atrium_search::{
    Access, IndexOp, IndexOptions, Kind, Scope, SearchDoc, SearchIndex, SearchRequest,
};

const NOW: i64 = 1_750_000_000_000;

fn open(dir: &tempfile::TempDir) -> SearchIndex {
    SearchIndex::open(
        dir.path(),
        IndexOptions {
            writer_heap_bytes: 32 * 1024 * 1024,
            writer_threads: 1,
        },
    )
    .unwrap()
}

/// Message `i`: "roadmap" and `i + 1` more words, so that every message ranks differently.
fn message(i: usize) -> SearchDoc {
    SearchDoc {
        kind: Kind::Message,
        id: format!("m{i:02}"),
        org: "org1".into(),
        project: Some("p1".into()),
        channel: Some("c1".into()),
        title: String::new(),
        body: format!("roadmap {}", "item ".repeat(i + 1)),
        author: Some("alice".into()),
        created: NOW,
        updated: NOW,
        access: Access::Project,
    }
}

/// Indexes messages `range` and commits (one new snapshot).
fn put(index: &SearchIndex, range: std::ops::Range<usize>) {
    let start = index.applied_seq();
    let entries = range
        .enumerate()
        .map(|(n, i)| (start + 1 + n as i64, IndexOp::Upsert(message(i))));
    index.apply(entries).unwrap();
    index.commit().unwrap();
}

/// A page of 10 hits for "roadmap": ids and the next cursor.
fn page(index: &SearchIndex, cursor: Option<String>) -> (Vec<String>, Option<String>) {
    let scope = Scope {
        org: "org1".into(),
        projects: vec!["p1".into()],
        ..Scope::default()
    };
    let mut req = SearchRequest::new("roadmap");
    req.now = Some(NOW);
    req.limit = 10;
    req.cursor = cursor;
    let results = index.search(&scope, &req).unwrap();
    (
        results.hits.into_iter().map(|h| h.id).collect(),
        results.next,
    )
}

#[test]
fn a_cursor_pages_on_another_index_even_when_snapshot_numbers_coincide() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (open(&dir_a), open(&dir_b));
    // B's first snapshot holds 12 messages, and B pins it for a search of its own.
    put(&b, 0..12);
    let (_, pinned) = page(&b, None);
    assert!(pinned.is_some());
    // A's first snapshot holds all 25; B gets the other 13 in its second.
    put(&a, 0..25);
    put(&b, 12..25);

    let (everything, _) = {
        let mut ids = Vec::new();
        let mut cursor = None;
        loop {
            let (page_ids, next) = page(&a, cursor);
            ids.extend(page_ids);
            match next {
                Some(next) => cursor = Some(next),
                None => break (ids, ()),
            }
        }
    };
    assert_eq!(everything.len(), 25);

    // Page 1 from A, the others from B: B pages through its current snapshot by the cursor's
    // key, not through its pinned one that has A's snapshot's number and 12 messages.
    let (mut paged, mut cursor) = page(&a, None);
    while let Some(next) = cursor {
        let (ids, after) = page(&b, Some(next));
        paged.extend(ids);
        cursor = after;
    }
    assert_eq!(paged, everything, "no repeat, no gap, the same order");
}
