//! A document's automatic history: snapshots the server keeps while people edit (naming who
//! edited, over which span), listed with the named versions, and the diff between versions.

use std::time::{Duration, Instant};

use atrium_client::wire::{
    DiffBlockOp, DiffOp, DocVersion, OrgRole, Page, Project, ProjectRole, VersionDiff, VersionKind,
    Visibility,
};
use atrium_tests::collab::{Socket, connect as socket, next_binary};
use atrium_tests::fixtures::{self, Editor, TestUser};
use atrium_tests::{Backend, TestServer, backend_tests};
use futures::SinkExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

struct Workspace {
    server: TestServer,
    owner: TestUser,
    editor: TestUser,
    outsider: TestUser,
    project: Project,
}

/// A workspace whose server snapshots after `interval_secs` of editing, or once nobody is
/// connected and the last edit is `quiet_secs` old.
async fn workspace(backend: Backend, interval_secs: u64, quiet_secs: u64) -> Workspace {
    let server = TestServer::builder(backend)
        .env(
            "ATRIUM_DOC_HISTORY_INTERVAL_SECS",
            interval_secs.to_string(),
        )
        .env("ATRIUM_DOC_HISTORY_QUIET_SECS", quiet_secs.to_string())
        .start()
        .await;
    let owner = fixtures::user(&server, "owner").await;
    let editor = fixtures::user(&server, "editor").await;
    let outsider = fixtures::user(&server, "outsider").await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project = fixtures::create_project(&owner, &org.id, "Docs", Visibility::Private).await;
    fixtures::add_org_member(&owner, &org.id, &editor, OrgRole::Member).await;
    fixtures::add_project_member(&owner, &project.id, editor.id(), ProjectRole::Editor).await;
    Workspace {
        server,
        owner,
        editor,
        outsider,
        project,
    }
}

async fn versions(user: &TestUser, doc: &str) -> Vec<DocVersion> {
    let page: Page<DocVersion> = user
        .client
        .get(&format!("/api/v1/docs/{doc}/versions"))
        .await
        .unwrap();
    page.items
}

fn autos(versions: &[DocVersion]) -> Vec<&DocVersion> {
    versions
        .iter()
        .filter(|v| v.kind == VersionKind::Auto)
        .collect()
}

/// Waits until the document has `count` automatic snapshots (10 s at most).
async fn until_autos(user: &TestUser, doc: &str, count: usize) -> Vec<DocVersion> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = versions(user, doc).await;
        if autos(&listed).len() >= count {
            return listed;
        }
        assert!(
            Instant::now() < deadline,
            "no automatic snapshot in 10 s: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn state(user: &TestUser, doc: &str) -> Vec<u8> {
    let response = user
        .client
        .request(Method::GET, &format!("/api/v1/docs/{doc}/update"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

/// Sends an update on a socket and waits for its echo (the server's "saved").
async fn edit_on(ws: &mut Socket, update: Vec<u8>) {
    let frame = atrium_collab::protocol::encode_update(update.clone());
    ws.send(Message::Binary(frame.clone())).await.unwrap();
    loop {
        let got = next_binary(ws).await.expect("the socket stays open");
        if got == frame.as_ref() {
            return;
        }
    }
}

/// Opens a socket and reads the server's handshake.
async fn open(server: &TestServer, doc: &str, user: &TestUser) -> Socket {
    let mut ws = socket(server, doc, &user.token).await;
    next_binary(&mut ws)
        .await
        .expect("the server's first sync message");
    ws
}

fn names(version: &DocVersion) -> Vec<&str> {
    version.authors.iter().map(|a| a.handle.as_str()).collect()
}

backend_tests! {
    async fn a_session_of_two_editors_ends_in_one_snapshot_naming_both(backend) {
        let w = workspace(backend, 3600, 0).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Plan").await;
        let mut mine = open(&w.server, &doc.id, &w.owner).await;
        let mut theirs = open(&w.server, &doc.id, &w.editor).await;
        let before = Instant::now();
        edit_on(&mut mine, Editor::new().append("Hello")).await;
        let base = state(&w.owner, &doc.id).await;
        edit_on(&mut theirs, Editor::from_state(&base).append(" world")).await;
        // While the session is open, nothing yet.
        assert!(autos(&versions(&w.owner, &doc.id).await).is_empty());

        // The last socket closes: the session ended, one snapshot names both editors.
        mine.close(None).await.unwrap();
        theirs.close(None).await.unwrap();
        let listed = until_autos(&w.owner, &doc.id, 1).await;
        let snapshot = autos(&listed)[0].clone();
        assert_eq!(names(&snapshot), ["editor", "owner"]);
        assert_eq!(snapshot.name, "");
        assert!(snapshot.from <= snapshot.to && snapshot.to <= snapshot.created_at);
        assert!(snapshot.from >= before_ms(before));
        let content = w.owner.client.request(Method::GET, &format!("/api/v1/docs/{}/versions/{}/content", doc.id, snapshot.id)).send().await.unwrap();
        assert_eq!(content.text().await.unwrap(), "Hello world");

        // Edits that change nothing in the end (typed, then deleted) make no snapshot.
        let base = state(&w.owner, &doc.id).await;
        let typist = Editor::from_state(&base);
        assert_eq!(fixtures::post_update(&w.editor, &doc.id, typist.append(" oops")).await, StatusCode::NO_CONTENT);
        assert_eq!(fixtures::post_update(&w.editor, &doc.id, typist.delete(" oops")).await, StatusCode::NO_CONTENT);
        // The span is due at once (nobody connected, quiet 0); the task looks every 250 ms.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(autos(&versions(&w.owner, &doc.id).await).len(), 1);

        // Named and automatic versions are listed together, newest first.
        let named: DocVersion = w.owner.client.post(&format!("/api/v1/docs/{}/versions", doc.id), &json!({"name": "Reviewed"})).await.unwrap();
        assert_eq!(named.kind, VersionKind::Named);
        assert!(named.authors.is_empty());
        assert_eq!((named.from, named.to), (named.created_at, named.created_at));
        let base = state(&w.owner, &doc.id).await;
        assert_eq!(fixtures::post_update(&w.editor, &doc.id, Editor::from_state(&base).append("!")).await, StatusCode::NO_CONTENT);
        let listed = until_autos(&w.owner, &doc.id, 2).await;
        let kinds: Vec<VersionKind> = listed.iter().map(|v| v.kind).collect();
        assert_eq!(kinds, [VersionKind::Auto, VersionKind::Named, VersionKind::Auto]);
        assert_eq!(names(&listed[0]), ["editor"]);

        // An automatic snapshot restores like a named version.
        let restored = w.owner.client.request(Method::POST, &format!("/api/v1/docs/{}/versions/{}/restore", doc.id, snapshot.id)).send().await.unwrap();
        assert_eq!(restored.status(), StatusCode::NO_CONTENT);
        let now = w.owner.client.request(Method::GET, &format!("/api/v1/docs/{}/content", doc.id)).send().await.unwrap();
        assert_eq!(now.text().await.unwrap(), "Hello world");

        // Outsiders learn nothing.
        let hidden = w.outsider.client.request(Method::GET, &format!("/api/v1/docs/{}/versions", doc.id)).send().await.unwrap();
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    }

    async fn editing_past_the_interval_makes_a_snapshot_while_the_session_is_open(backend) {
        let w = workspace(backend, 2, 3600).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Notes").await;
        let mut mine = open(&w.server, &doc.id, &w.owner).await;
        edit_on(&mut mine, Editor::new().append("First")).await;
        let base = state(&w.owner, &doc.id).await;
        assert_eq!(fixtures::post_update(&w.editor, &doc.id, Editor::from_state(&base).append(" and second")).await, StatusCode::NO_CONTENT);
        let listed = until_autos(&w.editor, &doc.id, 1).await;
        assert_eq!(names(autos(&listed)[0]), ["editor", "owner"]);
        drop(mine);
    }

    async fn a_graceful_shutdown_snapshots_the_open_sessions(backend) {
        let mut w = workspace(backend, 3600, 3600).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Late").await;
        let mut mine = open(&w.server, &doc.id, &w.owner).await;
        edit_on(&mut mine, Editor::new().append("Written just before a restart")).await;
        w.server.signal(nix::sys::signal::Signal::SIGTERM);
        assert!(w.server.wait(Duration::from_secs(30)).await.success());
        w.server.restart().await;
        // The server listens on a new port: a new session there.
        let owner = fixtures::login(&w.server, &w.owner.user.email).await;
        let listed = versions(&owner, &doc.id).await;
        let snapshots = autos(&listed);
        assert_eq!(snapshots.len(), 1, "{listed:?}");
        assert_eq!(names(snapshots[0]), ["owner"]);
    }

    async fn the_diff_shows_added_paragraphs_and_changed_words(backend) {
        let w = workspace(backend, 3600, 3600).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Story").await;
        let writer = Editor::new();
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, writer.append("Intro line.\n\nThe quick fox")).await, StatusCode::NO_CONTENT);
        let first: DocVersion = w.owner.client.post(&format!("/api/v1/docs/{}/versions", doc.id), &json!({"name": "First"})).await.unwrap();
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, writer.delete("fox")).await, StatusCode::NO_CONTENT);
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, writer.append("cat\n\nA new paragraph.")).await, StatusCode::NO_CONTENT);
        let second: DocVersion = w.owner.client.post(&format!("/api/v1/docs/{}/versions", doc.id), &json!({"name": "Second"})).await.unwrap();

        for to in [second.id.as_str(), "current"] {
            let diff: VersionDiff = w.editor.client.get(&format!("/api/v1/docs/{}/versions/{}/diff/{to}", doc.id, first.id)).await.unwrap();
            let ops: Vec<DiffBlockOp> = diff.blocks.iter().map(|b| b.op).collect();
            assert_eq!(ops, [DiffBlockOp::Equal, DiffBlockOp::Change, DiffBlockOp::Insert], "{diff:?}");
            let changed: Vec<(DiffOp, &str)> = diff.blocks[1].spans.iter().map(|s| (s.op, s.text.as_str())).collect();
            assert_eq!(changed, [(DiffOp::Equal, "The quick "), (DiffOp::Delete, "fox"), (DiffOp::Insert, "cat")]);
            assert_eq!(diff.blocks[2].spans[0].text, "A new paragraph.");
            assert_eq!(diff.to, to);
        }

        // Past 512 KiB of Markdown on either side, no diff is attempted.
        let big = "word ".repeat(120_000);
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, writer.append(&big)).await, StatusCode::NO_CONTENT);
        let too_large = w.owner.client.request(Method::GET, &format!("/api/v1/docs/{}/versions/{}/diff/current", doc.id, first.id)).send().await.unwrap();
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);

        // Unknown versions and outsiders get 404.
        let path = format!("/api/v1/docs/{}/versions/{}/diff/current", doc.id, first.id);
        let hidden = w.outsider.client.request(Method::GET, &path).send().await.unwrap();
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
        let missing = w.owner.client.request(Method::GET, &format!("/api/v1/docs/{}/versions/nope/diff/current", doc.id)).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}

/// An `Instant` as wall-clock milliseconds (a little early: the clock was read after it).
fn before_ms(at: Instant) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    now - i64::try_from(at.elapsed().as_millis()).unwrap() - 1000
}
