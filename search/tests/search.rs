//! The search crate against real tantivy indexes in temporary directories.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atrium_search::{
    Access, ChangeSource, Error, FeedBatch, IndexOp, IndexOptions, Kind, Scope, SearchDoc,
    SearchIndex, SearchRequest, SearchResults, TailOptions, TimeRange, tail,
};

const NOW: i64 = 1_750_000_000_000;
const DAY: i64 = 86_400_000;

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

fn msg(id: &str, project: &str, channel: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind: Kind::Message,
        id: id.into(),
        org: "org1".into(),
        project: Some(project.into()),
        channel: Some(channel.into()),
        title: String::new(),
        body: body.into(),
        author: Some("alice".into()),
        created: NOW - DAY,
        updated: NOW - DAY,
        access: Access::Project,
    }
}

fn doc(id: &str, project: &str, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind: Kind::Doc,
        id: id.into(),
        org: "org1".into(),
        project: Some(project.into()),
        channel: None,
        title: title.into(),
        body: body.into(),
        author: Some("bob".into()),
        created: NOW - DAY,
        updated: NOW - DAY,
        access: Access::Project,
    }
}

fn scope(projects: &[&str]) -> Scope {
    Scope {
        org: "org1".into(),
        projects: projects.iter().map(|p| p.to_string()).collect(),
        ..Scope::default()
    }
}

/// Applies the documents with consecutive sequences after the current one, and commits.
fn put(index: &SearchIndex, docs: Vec<SearchDoc>) {
    let start = index.applied_seq();
    let entries = docs
        .into_iter()
        .enumerate()
        .map(|(i, d)| (start + 1 + i as i64, IndexOp::Upsert(d)));
    index.apply(entries).unwrap();
    index.commit().unwrap();
}

fn search(index: &SearchIndex, scope: &Scope, q: &str) -> SearchResults {
    let mut req = SearchRequest::new(q);
    req.now = Some(NOW);
    index.search(scope, &req).unwrap()
}

fn ids(r: &SearchResults) -> Vec<String> {
    r.hits.iter().map(|h| h.id.clone()).collect()
}

fn sorted_ids(r: &SearchResults) -> Vec<String> {
    let mut v = ids(r);
    v.sort();
    v
}

#[test]
fn upsert_update_and_delete_are_visible_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let s = scope(&["p1"]);
    index
        .apply([(1, IndexOp::Upsert(msg("m1", "p1", "c1", "ship the rocket")))])
        .unwrap();
    assert!(
        search(&index, &s, "rocket").hits.is_empty(),
        "not before commit"
    );
    index.commit().unwrap();
    assert_eq!(ids(&search(&index, &s, "rocket")), ["m1"]);

    put(&index, vec![msg("m1", "p1", "c1", "ship the satellite")]);
    assert!(
        search(&index, &s, "rocket").hits.is_empty(),
        "old word gone"
    );
    let r = search(&index, &s, "satellite");
    assert_eq!(
        (ids(&r), r.total),
        (vec!["m1".to_string()], 1),
        "replaced, not duplicated"
    );

    index
        .apply([(
            3,
            IndexOp::Delete {
                kind: Kind::Message,
                id: "m1".into(),
            },
        )])
        .unwrap();
    index.commit().unwrap();
    assert!(search(&index, &s, "satellite").hits.is_empty());
    assert_eq!(index.last_seq(), 3);
}

#[test]
fn same_id_of_another_kind_is_another_entity() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(
        &index,
        vec![
            msg("x", "p1", "c1", "shared words"),
            doc("x", "p1", "t", "shared words"),
        ],
    );
    assert_eq!(search(&index, &scope(&["p1"]), "shared").total, 2);
}

#[test]
fn the_sequence_survives_reopen_and_uncommitted_changes_do_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = open(&dir);
        assert_eq!(index.last_seq(), 0);
        index
            .apply([(5, IndexOp::Upsert(msg("m1", "p1", "c1", "durable words")))])
            .unwrap();
        index.commit().unwrap();
        index
            .apply([(6, IndexOp::Upsert(msg("m2", "p1", "c1", "lost words")))])
            .unwrap();
        // Dropped without commit, as in a crash.
    }
    let index = open(&dir);
    assert_eq!(index.last_seq(), 5);
    assert_eq!(index.applied_seq(), 5);
    assert_eq!(
        sorted_ids(&search(&index, &scope(&["p1"]), "words")),
        ["m1"]
    );

    index.advance_to(9);
    index.commit().unwrap();
    drop(index);
    let index = open(&dir);
    assert_eq!(
        index.last_seq(),
        9,
        "rows of no searchable kind advance the sequence"
    );

    index.reset().unwrap();
    assert_eq!(index.last_seq(), 0);
    assert_eq!(index.num_docs(), 0);
    drop(index);
    assert_eq!(open(&dir).last_seq(), 0);
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _index = open(&dir);
    assert!(matches!(
        SearchIndex::open(dir.path(), IndexOptions::default()),
        Err(Error::Index(_))
    ));
}

#[test]
fn an_index_of_another_version_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("meta.json"), b"{not an index").unwrap();
    let index = open(&dir);
    assert_eq!(index.last_seq(), 0);
    put(&index, vec![msg("m1", "p1", "c1", "fresh")]);
    assert_eq!(search(&index, &scope(&["p1"]), "fresh").total, 1);
}

#[test]
fn phrases_prefixes_and_typos() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(
        &index,
        vec![
            msg("a", "p1", "c1", "the quarterly budget review is on friday"),
            msg("b", "p1", "c1", "a budget that is quarterly"),
            msg("c", "p1", "c1", "release notes for the car"),
        ],
    );
    let s = scope(&["p1"]);
    assert_eq!(
        sorted_ids(&search(&index, &s, "quarterly budget")),
        ["a", "b"]
    );
    assert_eq!(ids(&search(&index, &s, "\"quarterly budget\"")), ["a"]);
    assert_eq!(
        ids(&search(&index, &s, "\"budget quarterly\"")),
        Vec::<String>::new()
    );
    // Search-as-you-type: the last word is a prefix, unless it is finished.
    assert_eq!(sorted_ids(&search(&index, &s, "quart")), ["a", "b"]);
    assert_eq!(
        sorted_ids(&search(&index, &s, "quart ")),
        Vec::<String>::new()
    );
    assert_eq!(ids(&search(&index, &s, "fri")), ["a"]);
    // Typos: one edit from five letters on, two from nine.
    assert_eq!(ids(&search(&index, &s, "relaese ")), ["c"]);
    assert_eq!(sorted_ids(&search(&index, &s, "quartelry ")), ["a", "b"]);
    assert_eq!(sorted_ids(&search(&index, &s, "qaurtelry ")), ["a", "b"]);
    assert!(
        search(&index, &s, "cat ").hits.is_empty(),
        "short words stay exact"
    );
    // Every word is required.
    assert_eq!(ids(&search(&index, &s, "budget friday")), ["a"]);
}

#[test]
fn filters_narrow_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let mut old = msg("old", "p2", "c2", "deploy plan");
    old.created = NOW - 30 * DAY;
    old.updated = NOW - 30 * DAY;
    old.author = Some("carol".into());
    put(
        &index,
        vec![
            msg("m1", "p1", "c1", "deploy plan"),
            doc("d1", "p1", "Deploy", "the plan"),
            old,
        ],
    );
    let s = scope(&["p1", "p2"]);
    let run = |f: &dyn Fn(&mut SearchRequest)| {
        let mut req = SearchRequest::new("deploy plan");
        req.now = Some(NOW);
        f(&mut req);
        let mut v = ids(&index.search(&s, &req).unwrap());
        v.sort();
        v
    };
    assert_eq!(run(&|_| {}), ["d1", "m1", "old"]);
    assert_eq!(run(&|r| r.kinds = vec![Kind::Doc]), ["d1"]);
    assert_eq!(
        run(&|r| r.kinds = vec![Kind::Message, Kind::Task]),
        ["m1", "old"]
    );
    assert_eq!(run(&|r| r.projects = vec!["p2".into()]), ["old"]);
    assert_eq!(run(&|r| r.channels = vec!["c1".into()]), ["m1"]);
    assert_eq!(
        run(&|r| r.authors = vec!["carol".into(), "bob".into()]),
        ["d1", "old"]
    );
    assert_eq!(
        run(&|r| r.created = TimeRange {
            from: Some(NOW - 2 * DAY),
            to: None
        }),
        ["d1", "m1"]
    );
    assert_eq!(
        run(&|r| r.updated = TimeRange {
            from: None,
            to: Some(NOW - 10 * DAY)
        }),
        ["old"]
    );
    // A filter never widens the scope.
    assert_eq!(
        ids(&index
            .search(&scope(&["p1"]), &{
                let mut r = SearchRequest::new("deploy");
                r.projects = vec!["p2".into()];
                r
            })
            .unwrap()),
        Vec::<String>::new()
    );
}

#[test]
fn titles_and_recent_entities_rank_first() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(
        &index,
        vec![
            doc(
                "body",
                "p1",
                "Notes",
                "the roadmap for next year and more words here",
            ),
            doc(
                "title",
                "p1",
                "Roadmap",
                "next year and more words here too",
            ),
        ],
    );
    assert_eq!(
        ids(&search(&index, &scope(&["p1"]), "roadmap")),
        ["title", "body"]
    );

    let mut stale = msg("stale", "p1", "c1", "standup notes");
    stale.updated = NOW - 90 * DAY;
    let fresh = msg("fresh", "p1", "c1", "standup notes");
    put(&index, vec![stale, fresh]);
    assert_eq!(
        ids(&search(&index, &scope(&["p1"]), "standup")),
        ["fresh", "stale"]
    );
}

#[test]
fn cursor_paging_has_no_duplicates_or_gaps_even_while_indexing() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let docs: Vec<SearchDoc> = (0..57)
        .map(|i| {
            let mut m = msg(&format!("m{i:02}"), "p1", "c1", &"lorem ".repeat(1 + i % 5));
            m.updated = NOW - (i as i64 % 7) * DAY;
            m
        })
        .collect();
    put(&index, docs);
    let s = scope(&["p1"]);
    let mut req = SearchRequest::new("lorem");
    req.limit = 10;
    req.now = Some(NOW);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = index.search(&s, &req).unwrap();
        assert_eq!(page.total, 57);
        seen.extend(ids(&page));
        pages += 1;
        if pages == 2 {
            // New matches arrive mid-paging: the pages keep showing the first snapshot.
            put(
                &index,
                (0..5)
                    .map(|i| msg(&format!("new{i}"), "p1", "c1", "lorem"))
                    .collect(),
            );
        }
        match page.next {
            Some(next) => req.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 6);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (57, 57));
    assert!(seen.iter().all(|id| id.starts_with('m')));
    assert_eq!(search(&index, &s, "lorem").total, 62);

    req.cursor = Some("not-a-cursor".into());
    assert!(matches!(index.search(&s, &req), Err(Error::BadQuery(_))));
}

#[test]
fn chinese_japanese_and_korean_words_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(
        &index,
        vec![
            msg("zh", "p1", "c1", "我们的搜索引擎很快，黑猫也喜欢"),
            msg("ja", "p1", "c1", "昨日は東京タワーに行きました"),
            msg("ko", "p1", "c1", "우리는 검색엔진을 사용합니다"),
            doc("mixed", "p1", "tantivy入门", "Rust 全文检索"),
        ],
    );
    let s = scope(&["p1"]);
    assert_eq!(ids(&search(&index, &s, "搜索引擎")), ["zh"]);
    assert_eq!(ids(&search(&index, &s, "引擎")), ["zh"]);
    assert_eq!(ids(&search(&index, &s, "猫")), ["zh"]);
    assert!(
        search(&index, &s, "搜引").hits.is_empty(),
        "characters must be adjacent"
    );
    assert_eq!(ids(&search(&index, &s, "東京タワー")), ["ja"]);
    assert_eq!(ids(&search(&index, &s, "タワー")), ["ja"]);
    assert_eq!(ids(&search(&index, &s, "검색엔진")), ["ko"]);
    assert_eq!(ids(&search(&index, &s, "검색")), ["ko"]);
    assert_eq!(ids(&search(&index, &s, "tantivy 检索")), ["mixed"]);
    assert_eq!(ids(&search(&index, &s, "入门")), ["mixed"]);
    let hit = &search(&index, &s, "东京 搜索引擎").hits;
    assert!(hit.is_empty(), "simplified 东 is another character than 東");
    let zh = &search(&index, &s, "搜索引擎").hits[0];
    let marked: Vec<&str> = zh
        .snippet
        .highlights
        .iter()
        .map(|r| &zh.snippet.text[r.clone()])
        .collect();
    assert_eq!(marked, ["搜索引擎"]);
}

#[test]
fn accents_fold_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(
        &index,
        vec![
            msg("fr", "p1", "c1", "Un Café crème à Zürich"),
            msg("en", "p1", "c1", "my resume and a naive facade"),
        ],
    );
    let s = scope(&["p1"]);
    assert_eq!(ids(&search(&index, &s, "cafe creme zurich")), ["fr"]);
    assert_eq!(ids(&search(&index, &s, "CAFÉ")), ["fr"]);
    assert_eq!(ids(&search(&index, &s, "résumé naïve façade")), ["en"]);
    let fr = &search(&index, &s, "cafe ").hits[0];
    assert_eq!(&fr.snippet.text[fr.snippet.highlights[0].clone()], "Café");
}

#[test]
fn hits_outside_the_scope_are_never_returned_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let mut private = msg("private", "p1", "secret-channel", "launch codes secret");
    private.access = Access::Channel;
    let mut dm = msg("dm", "", "dm-1", "launch codes in a dm");
    dm.project = None;
    dm.access = Access::Channel;
    let mut other_org = msg("other-org", "p1", "c1", "launch codes elsewhere");
    other_org.org = "org2".into();
    let mut invoice = doc("invoice", "", "Invoice 1042", "launch codes invoice");
    invoice.kind = Kind::Record;
    invoice.project = None;
    invoice.access = Access::Grant("record:invoice".into());
    let mut client = doc("client", "", "Client", "launch codes client");
    client.kind = Kind::Record;
    client.project = None;
    client.access = Access::Org;
    put(
        &index,
        vec![
            msg("public", "p1", "c1", "launch codes public"),
            msg("hidden-project", "p2", "c9", "launch codes p2"),
            private,
            dm,
            other_org,
            invoice,
            client,
        ],
    );
    let q = "launch codes";
    let member = scope(&["p1"]);
    let r = search(&index, &member, q);
    assert_eq!((sorted_ids(&r), r.total), (vec!["public".to_string()], 1));

    let insider = Scope {
        channels: vec!["secret-channel".into(), "dm-1".into()],
        org_wide: true,
        grants: vec!["record:invoice".into()],
        ..scope(&["p1", "p2"])
    };
    let r = search(&index, &insider, q);
    assert_eq!(
        sorted_ids(&r),
        [
            "client",
            "dm",
            "hidden-project",
            "invoice",
            "private",
            "public"
        ]
    );
    assert_eq!(r.total, 6);

    // Naming another org's project in the scope still never crosses the org.
    let r = search(
        &index,
        &Scope {
            org: "org1".into(),
            ..insider.clone()
        },
        "elsewhere",
    );
    assert_eq!(r.total, 0);
    // An empty scope sees nothing at all.
    assert_eq!(
        search(
            &index,
            &Scope {
                org: "org1".into(),
                ..Scope::default()
            },
            q
        )
        .total,
        0
    );
    // The other org sees only its own.
    let r = search(
        &index,
        &Scope {
            org: "org2".into(),
            ..scope(&["p1"])
        },
        q,
    );
    assert_eq!(ids(&r), ["other-org"]);

    // Permission changes apply on the next query: the message moves into a private channel.
    let mut moved = msg("public", "p1", "c1", "launch codes public");
    moved.access = Access::Channel;
    put(&index, vec![moved]);
    assert_eq!(search(&index, &member, q).total, 0);
}

#[test]
fn an_entity_with_several_grants_is_read_by_the_holder_of_any() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let record = |id: &str, grants: &[&str]| {
        let mut d = doc(id, "", "Order", "quarterly widget order");
        d.kind = Kind::Record;
        d.project = None;
        d.access = Access::AnyGrant(grants.iter().map(|g| (*g).to_owned()).collect());
        d
    };
    put(
        &index,
        vec![
            record("mine", &["record:order", "record:order:own:u1"]),
            record("theirs", &["record:order", "record:order:own:u2"]),
        ],
    );
    let holding = |grants: &[&str]| Scope {
        grants: grants.iter().map(|g| (*g).to_owned()).collect(),
        ..scope(&[])
    };
    let q = "widget order";
    assert_eq!(
        sorted_ids(&search(&index, &holding(&["record:order"]), q)),
        ["mine", "theirs"]
    );
    assert_eq!(
        ids(&search(&index, &holding(&["record:order:own:u1"]), q)),
        ["mine"]
    );
    assert_eq!(search(&index, &holding(&["record:invoice"]), q).total, 0);
    // No grant at all is an invalid document: never indexed, so never shown.
    let staged = index
        .apply([(99, IndexOp::Upsert(record("nobody", &[])))])
        .unwrap();
    assert_eq!(staged, 0);
    index.commit().unwrap();
    assert_eq!(
        sorted_ids(&search(&index, &holding(&["record:order"]), q)),
        ["mine", "theirs"]
    );
}

#[test]
fn an_invalid_upsert_removes_the_old_version_and_does_not_stop_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(&index, vec![msg("m1", "p1", "c1", "visible words")]);
    let mut broken = msg("m1", "p1", "c1", "visible words");
    broken.channel = None;
    broken.access = Access::Channel;
    let staged = index
        .apply([
            (10, IndexOp::Upsert(broken)),
            (11, IndexOp::Upsert(msg("m2", "p1", "c1", "visible words"))),
        ])
        .unwrap();
    assert_eq!(staged, 1);
    index.commit().unwrap();
    assert_eq!(ids(&search(&index, &scope(&["p1"]), "visible")), ["m2"]);
    assert_eq!(index.last_seq(), 11);
}

#[test]
fn snippets_mark_matches_and_never_carry_stored_html() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let body = format!(
        "{} <script>alert('x')</script> the <b>deadline</b> moved {}",
        "intro words ".repeat(40),
        "trailing text ".repeat(40)
    );
    put(
        &index,
        vec![doc("d", "p1", "Deadline <img src=x onerror=y>", &body)],
    );
    let hit = &search(&index, &scope(&["p1"]), "deadline").hits[0];
    let marked: Vec<&str> = hit
        .snippet
        .highlights
        .iter()
        .map(|r| &hit.snippet.text[r.clone()])
        .collect();
    assert_eq!(marked, ["deadline"]);
    assert!(hit.snippet.text.starts_with('…') && hit.snippet.text.ends_with('…'));
    let html = hit.snippet.to_html();
    assert!(
        html.contains("&lt;b&gt;<mark>deadline</mark>&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script") && !html.contains("<b>"));
    let title = hit.title.to_html();
    assert_eq!(title, "<mark>Deadline</mark> &lt;img src=x onerror=y&gt;");
}

/// A tiny deterministic generator for the fuzz loop.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn hostile_queries_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    put(
        &index,
        (0..50)
            .map(|i| {
                msg(
                    &format!("m{i}"),
                    "p1",
                    "c1",
                    "alpha beta gamma 搜索 café AND OR NOT",
                )
            })
            .collect(),
    );
    let s = scope(&["p1"]);
    let fixed = [
        "",
        " ",
        "\"",
        "\"\"",
        "\"alpha",
        "alpha\"",
        "\"alpha beta",
        "((((",
        "))))",
        "AND",
        "OR",
        "NOT",
        "a AND OR b",
        "title:alpha",
        "*",
        "alpha*",
        "~",
        "alpha~2",
        "^",
        "alpha^10",
        "[a TO z]",
        "{a TO z}",
        "\\",
        "\\\"",
        "+alpha -beta",
        "!",
        "::::",
        "\u{0}",
        "\u{200b}",
        "🦀🦀",
        "\u{301}",
        "ｆｕｌｌｗｉｄｔｈ",
        "搜",
        "\"搜索\"",
        "a\"b\"c\"d",
    ];
    for q in fixed {
        let r = index.search(&s, &SearchRequest::new(q));
        assert!(r.is_ok(), "{q:?}: {r:?}");
    }
    assert_eq!(search(&index, &s, "AND OR").total, 50);
    assert!(matches!(
        index.search(&s, &SearchRequest::new("x".repeat(100_000))),
        Err(Error::BadQuery(_))
    ));

    let alphabet: Vec<char> =
        "abcdeé 搜索検索검색\"'()[]{}:*~^\\+-!&|/?<>=.,;\u{0}\u{301}🦀\t\n0123456789AND OR"
            .chars()
            .collect();
    let mut rng = Rng(0x5eed);
    for _ in 0..3_000 {
        let len = (rng.next() % 40) as usize;
        let q: String = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        let mut req = SearchRequest::new(q.clone());
        req.limit = (rng.next() % 200) as usize;
        match index.search(&s, &req) {
            Ok(r) => assert!(r.hits.len() <= 100 && r.total >= r.hits.len(), "{q:?}"),
            Err(Error::BadQuery(_)) => {}
            Err(e) => panic!("{q:?}: {e}"),
        }
    }
}

/// A feed row: its sequence and what it means to search (`None`: a row for another consumer).
type Row = (i64, Option<IndexOp>);

/// A change feed in memory, as the server's table would serve it.
#[derive(Clone, Default)]
struct MemoryFeed(Arc<Mutex<Vec<Row>>>);

impl ChangeSource for MemoryFeed {
    type Error = String;

    async fn read_after(&self, after: i64, limit: usize) -> Result<FeedBatch, String> {
        let rows = self.0.lock().unwrap();
        let page: Vec<_> = rows
            .iter()
            .filter(|(s, _)| *s > after)
            .take(limit)
            .collect();
        Ok(FeedBatch {
            last_seq: page.last().map_or(after, |(s, _)| *s),
            entries: page
                .into_iter()
                .filter_map(|(s, op)| op.clone().map(|op| (*s, op)))
                .collect(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tailer_makes_changes_searchable_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(open(&dir));
    let feed = MemoryFeed::default();
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(tail(
        index.clone(),
        feed.clone(),
        TailOptions::default(),
        wake.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let s = scope(&["p1"]);
    for (seq, word) in [(1, "first"), (3, "second")] {
        {
            let mut rows = feed.0.lock().unwrap();
            rows.push((seq, Some(IndexOp::Upsert(msg(word, "p1", "c1", word)))));
            rows.push((seq + 1, None)); // a row for another consumer
        }
        wake.notify_one();
        let started = Instant::now();
        loop {
            let idx = index.clone();
            let w = word.to_string();
            let s = s.clone();
            let found = tokio::task::spawn_blocking(move || search(&idx, &s, &w).total)
                .await
                .unwrap();
            if found == 1 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{word} not searchable in 1 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(index.last_seq(), 4);
}

#[test]
fn a_prefix_matches_its_most_frequent_completions() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    // 80 completions of "zor": zorw0 … zorw79, word i in 80 - i messages except the rarest
    // 10, which appear once each; only the 64 most frequent completions are matched.
    let mut docs = Vec::new();
    for i in 0..80 {
        let copies = if i < 70 { 80 - i } else { 1 };
        for c in 0..copies {
            docs.push(msg(&format!("m{i}-{c}"), "p1", "c1", &format!("zorw{i}")));
        }
    }
    put(&index, docs);
    let everything = scope(&["p1"]);
    let r = search(&index, &everything, "zor");
    let expected: usize = (0..64).map(|i| 80 - i).sum();
    assert_eq!(r.total, expected);
    // Exact words and longer prefixes still find the rare ones.
    assert_eq!(search(&index, &everything, "zorw79 ").total, 1);
    assert_eq!(search(&index, &everything, "zorw79").total, 1);
}

#[test]
fn compact_merges_segments_and_keeps_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    for batch in 0..8 {
        put(
            &index,
            (0..50)
                .map(|i| msg(&format!("m{batch}-{i}"), "p1", "c1", "merge me please"))
                .collect(),
        );
    }
    // A background merge may hold some segments; compact fails then and is retried.
    let deadline = Instant::now() + Duration::from_secs(30);
    while index.compact().is_err() {
        assert!(Instant::now() < deadline, "compaction kept failing");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        index.num_segments() <= 4,
        "{} segments",
        index.num_segments()
    );
    assert_eq!(index.num_docs(), 400);
    assert_eq!(search(&index, &scope(&["p1"]), "merge ").total, 400);
}

/// The org and permission filter is cached per segment and scope: alternating scopes over
/// several segments, before and after deletes and new segments, always gives exactly what
/// each scope may read.
#[test]
fn cached_scope_filters_stay_exact_across_scopes_segments_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let mut all: Vec<SearchDoc> = Vec::new();
    for batch in 0..3 {
        let mut docs = Vec::new();
        for i in 0..40 {
            let n = batch * 40 + i;
            let mut d = msg(
                &format!("m{n}"),
                &format!("p{}", n % 4),
                "c1",
                "shared word",
            );
            match n % 5 {
                0 => {
                    d.access = Access::Channel;
                    d.channel = Some(format!("c{}", n % 3));
                }
                1 => d.access = Access::Org,
                2 => d.access = Access::Grant("g1".into()),
                3 if n % 2 == 0 => d.access = Access::AnyGrant(vec!["g2".into(), "g3".into()]),
                _ => {}
            }
            if n % 7 == 0 {
                d.org = "org2".into();
            }
            docs.push(d);
        }
        all.extend(docs.clone());
        put(&index, docs);
    }
    let visible = |s: &Scope, d: &SearchDoc| {
        d.org == s.org
            && match &d.access {
                Access::Project => s.projects.contains(d.project.as_ref().unwrap()),
                Access::Channel => s.channels.contains(d.channel.as_ref().unwrap()),
                Access::Org => s.org_wide,
                Access::Grant(g) => s.grants.contains(g),
                Access::AnyGrant(gs) => gs.iter().any(|g| s.grants.contains(g)),
            }
    };
    let scopes = [
        scope(&["p1"]),
        Scope {
            channels: vec!["c0".into()],
            ..scope(&["p0", "p2"])
        },
        Scope {
            org_wide: true,
            grants: vec!["g1".into()],
            ..scope(&["p3"])
        },
        Scope {
            org: "org2".into(),
            org_wide: true,
            ..scope(&["p0", "p1", "p2", "p3"])
        },
    ];
    let check = |all: &[SearchDoc]| {
        for _ in 0..2 {
            for s in &scopes {
                let mut req = SearchRequest::new("shared");
                req.now = Some(NOW);
                req.limit = 100;
                let r = index.search(s, &req).unwrap();
                let mut want: Vec<String> = all
                    .iter()
                    .filter(|d| visible(s, d))
                    .map(|d| d.id.clone())
                    .collect();
                want.sort();
                assert_eq!(r.total, want.len(), "{s:?}");
                assert_eq!(sorted_ids(&r), want, "{s:?}");
            }
        }
    };
    check(&all);
    // Deletes in old segments and a new segment: the cached bitsets of the old segments stay
    // valid, the deleted entities are gone.
    let start = index.applied_seq();
    let gone: Vec<String> = all.iter().step_by(3).map(|d| d.id.clone()).collect();
    index
        .apply(gone.iter().enumerate().map(|(i, id)| {
            (
                start + 1 + i as i64,
                IndexOp::Delete {
                    kind: Kind::Message,
                    id: id.clone(),
                },
            )
        }))
        .unwrap();
    index.commit().unwrap();
    all.retain(|d| !gone.contains(&d.id));
    let extra = msg("late", "p1", "c1", "shared late");
    all.push(extra.clone());
    put(&index, vec![extra]);
    check(&all);
}

#[test]
fn a_deleted_organisation_is_forgotten_and_the_others_stay() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(&dir);
    let other = SearchDoc {
        org: "org2".into(),
        ..doc(
            "d3",
            "p9",
            "Kept plans",
            "the other organisation keeps this",
        )
    };
    put(
        &index,
        vec![
            doc("d1", "p1", "Plans", "quarterly plans"),
            msg("m1", "p1", "c1", "plans in chat"),
            other,
        ],
    );
    assert_eq!(
        index.orgs().unwrap().into_iter().collect::<Vec<_>>(),
        ["org1", "org2"]
    );
    let seq = index.last_seq();
    assert!(index.forget_orgs(&["org1".to_owned()]).unwrap());
    assert_eq!(index.last_seq(), seq, "no feed position moves");
    assert!(search(&index, &scope(&["p1"]), "plans").hits.is_empty());
    let kept = index
        .search(
            &Scope {
                org: "org2".into(),
                projects: vec!["p9".into()],
                ..Scope::default()
            },
            &SearchRequest::new("plans"),
        )
        .unwrap();
    assert_eq!(kept.hits.len(), 1);
    assert_eq!(
        index.orgs().unwrap().into_iter().collect::<Vec<_>>(),
        ["org2"]
    );
}
