//! The page tree of a project's documents through HTTP and `/api/v1/events`, on both
//! databases: nesting, reordering and re-parenting with `PATCH /api/v1/docs/{doc}`
//! (`parent`, `after`), refused moves that change nothing (cycles, another project's parent, a
//! bad `after`, non-members, viewers), the trash lifting a page's children, and `doc.moved`
//! reaching the other members' event sockets.

use atrium_client::wire::{Doc, OrgRole, Page, Project, ProjectRole, Visibility};
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Alice owns the org and its "Docs" project, Bob edits in it, Vic views it; Eve is an org
/// member outside the private project; Mallory is in no org at all.
struct Team {
    server: TestServer,
    alice: TestUser,
    bob: TestUser,
    vic: TestUser,
    eve: TestUser,
    mallory: TestUser,
    project: Project,
    other: Project,
}

async fn team(backend: atrium_tests::Backend) -> Team {
    let server = TestServer::start(backend).await;
    let alice = fixtures::user(&server, "alice").await;
    let bob = fixtures::user(&server, "bob").await;
    let vic = fixtures::user(&server, "vic").await;
    let eve = fixtures::user(&server, "eve").await;
    let mallory = fixtures::user(&server, "mallory").await;
    let org = fixtures::create_org(&alice, "Acme").await;
    let project = fixtures::create_project(&alice, &org.id, "Docs", Visibility::Private).await;
    let other = fixtures::create_project(&alice, &org.id, "Other", Visibility::Private).await;
    for member in [&bob, &vic, &eve] {
        fixtures::add_org_member(&alice, &org.id, member, OrgRole::Member).await;
    }
    fixtures::add_project_member(&alice, &project.id, bob.id(), ProjectRole::Editor).await;
    fixtures::add_project_member(&alice, &project.id, vic.id(), ProjectRole::Viewer).await;
    Team {
        server,
        alice,
        bob,
        vic,
        eve,
        mallory,
        project,
        other,
    }
}

async fn list(user: &TestUser, project: &str) -> Vec<Doc> {
    let page: Page<Doc> = user
        .client
        .get(&format!("/api/v1/projects/{project}/docs"))
        .await
        .unwrap();
    page.items
}

/// The tree as the browser builds it from the list: `title` for each page, its children
/// indented by two spaces, siblings by position, then creation, then id.
fn outline(docs: &[Doc]) -> Vec<String> {
    fn walk(docs: &[Doc], parent: Option<&str>, depth: usize, out: &mut Vec<String>) {
        let mut children: Vec<&Doc> = docs
            .iter()
            .filter(|d| d.parent.as_deref() == parent)
            .collect();
        children.sort_by(|a, b| {
            a.position
                .as_bytes()
                .cmp(b.position.as_bytes())
                .then(a.created_at.cmp(&b.created_at))
                .then_with(|| a.id.cmp(&b.id))
        });
        for child in children {
            out.push(format!("{}{}", "  ".repeat(depth), child.title));
            walk(docs, Some(&child.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(docs, None, 0, &mut out);
    out
}

async fn tree(user: &TestUser, project: &str) -> Vec<String> {
    outline(&list(user, project).await)
}

async fn patch(user: &TestUser, doc: &str, body: Value) -> (StatusCode, Value) {
    call_json(
        user,
        Method::PATCH,
        &format!("/api/v1/docs/{doc}"),
        Some(body),
    )
    .await
}

/// Moves `doc`; panics unless the answer is 200; the document as answered.
async fn move_doc(user: &TestUser, doc: &str, body: Value) -> Doc {
    let (status, answer) = patch(user, doc, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "move {body}: {answer}");
    serde_json::from_value(answer).unwrap()
}

backend_tests! {
    async fn pages_nest_reorder_and_move_between_parents(backend) {
        let t = team(backend).await;
        let p = &t.project.id;
        let guide = fixtures::create_doc(&t.alice, p, "Guide").await;
        let intro = fixtures::create_doc(&t.alice, p, "Intro").await;
        let setup = fixtures::create_doc(&t.bob, p, "Setup").await;
        let faq = fixtures::create_doc(&t.bob, p, "FAQ").await;
        // New documents go last at the top level.
        assert_eq!(guide.parent, None);
        assert_eq!(tree(&t.vic, p).await, ["Guide", "Intro", "Setup", "FAQ"]);

        // Nest: without `after`, a page goes last under its new parent.
        let moved = move_doc(&t.bob, &intro.id, json!({ "parent": guide.id })).await;
        assert_eq!(moved.parent.as_deref(), Some(guide.id.as_str()));
        assert_eq!(moved.title, "Intro");
        move_doc(&t.bob, &setup.id, json!({ "parent": guide.id })).await;
        assert_eq!(tree(&t.vic, p).await, ["Guide", "  Intro", "  Setup", "FAQ"]);

        // Reorder among siblings: `after: null` is first, `after: X` right after X.
        move_doc(&t.bob, &setup.id, json!({ "after": null })).await;
        assert_eq!(tree(&t.vic, p).await, ["Guide", "  Setup", "  Intro", "FAQ"]);
        move_doc(&t.alice, &setup.id, json!({ "after": intro.id })).await;
        assert_eq!(tree(&t.vic, p).await, ["Guide", "  Intro", "  Setup", "FAQ"]);
        move_doc(&t.alice, &faq.id, json!({ "parent": null, "after": null })).await;
        assert_eq!(tree(&t.vic, p).await, ["FAQ", "Guide", "  Intro", "  Setup"]);

        // A page moves with its own pages, three levels deep, and back out to the top.
        move_doc(&t.alice, &setup.id, json!({ "parent": intro.id })).await;
        move_doc(&t.alice, &guide.id, json!({ "parent": faq.id })).await;
        assert_eq!(tree(&t.vic, p).await, ["FAQ", "  Guide", "    Intro", "      Setup"]);
        move_doc(&t.alice, &intro.id, json!({ "parent": null, "after": faq.id })).await;
        assert_eq!(tree(&t.vic, p).await, ["FAQ", "  Guide", "Intro", "  Setup"]);

        // Rename and move in one request; the metadata of one page says where it is.
        let both = move_doc(&t.bob, &setup.id, json!({ "title": "Set-up", "parent": faq.id, "after": guide.id })).await;
        assert_eq!(both.title, "Set-up");
        let got: Doc = t.vic.client.get(&format!("/api/v1/docs/{}", setup.id)).await.unwrap();
        assert_eq!(got.parent.as_deref(), Some(faq.id.as_str()));
        assert_eq!(got.position, both.position);
        assert_eq!(tree(&t.vic, p).await, ["FAQ", "  Guide", "  Set-up", "Intro"]);

        // Many moves into the same gap keep finding room between two neighbours.
        for _ in 0..30 {
            move_doc(&t.bob, &intro.id, json!({ "parent": faq.id, "after": guide.id })).await;
            move_doc(&t.bob, &setup.id, json!({ "parent": faq.id, "after": guide.id })).await;
        }
        assert_eq!(tree(&t.vic, p).await, ["FAQ", "  Guide", "  Set-up", "  Intro"]);
    }

    async fn refused_moves_change_nothing(backend) {
        let t = team(backend).await;
        let p = &t.project.id;
        let root = fixtures::create_doc(&t.alice, p, "Root").await;
        let child = fixtures::create_doc(&t.alice, p, "Child").await;
        let grandchild = fixtures::create_doc(&t.alice, p, "Grandchild").await;
        let loose = fixtures::create_doc(&t.alice, p, "Loose").await;
        move_doc(&t.alice, &child.id, json!({ "parent": root.id })).await;
        move_doc(&t.alice, &grandchild.id, json!({ "parent": child.id })).await;
        let before = list(&t.alice, p).await;
        let shape = outline(&before);
        assert_eq!(shape, ["Root", "  Child", "    Grandchild", "Loose"]);

        let refused = |answer: &Value, field: &str| {
            assert_eq!(answer["error"]["code"], "validation_failed", "{answer}");
            assert!(answer["error"]["fields"][field].is_string(), "{answer}");
        };
        // Cycles: under itself, under its child, under its grandchild.
        for parent in [&root.id, &child.id, &grandchild.id] {
            let (status, answer) = patch(&t.alice, &root.id, json!({ "parent": parent, "title": "Renamed" })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            refused(&answer, "parent");
            assert!(answer["error"]["fields"]["parent"].as_str().unwrap().starts_with("cycle"), "{answer}");
        }
        // A parent in another project, a trashed one, one that does not exist.
        let elsewhere = fixtures::create_doc(&t.alice, &t.other.id, "Elsewhere").await;
        let trashed = fixtures::create_doc(&t.alice, p, "Trashed").await;
        let (status, _) = call_json(&t.alice, Method::DELETE, &format!("/api/v1/docs/{}", trashed.id), None).await;
        assert_eq!(status, StatusCode::OK);
        for parent in [elsewhere.id.as_str(), trashed.id.as_str(), "no-such-doc"] {
            let (status, answer) = patch(&t.alice, &loose.id, json!({ "parent": parent })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            refused(&answer, "parent");
        }
        // `after` must be a sibling under the target parent (not the page itself).
        for (parent, after) in [
            (Value::Null, child.id.as_str()),
            (json!(root.id), loose.id.as_str()),
            (json!(root.id), root.id.as_str()),
            (Value::Null, loose.id.as_str()),
            (Value::Null, "no-such-doc"),
        ] {
            let (status, answer) = patch(&t.alice, &loose.id, json!({ "parent": parent, "after": after, "title": "Renamed" })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            refused(&answer, "after");
        }
        // Nothing to change at all.
        let (status, _) = patch(&t.alice, &loose.id, json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Who may not: a viewer (403), an org member outside the project and a stranger (404).
        let (status, _) = patch(&t.vic, &loose.id, json!({ "parent": root.id })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for outsider in [&t.eve, &t.mallory] {
            let (status, _) = patch(outsider, &loose.id, json!({ "parent": root.id })).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        // A trashed page cannot move until restored.
        let (status, answer) = patch(&t.alice, &trashed.id, json!({ "parent": root.id })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "in_trash");

        // Not a title, not a position changed.
        assert_eq!(list(&t.alice, p).await, before);
    }

    async fn a_trashed_page_hands_its_pages_to_its_parent(backend) {
        let t = team(backend).await;
        let p = &t.project.id;
        let top = fixtures::create_doc(&t.alice, p, "Top").await;
        let first = fixtures::create_doc(&t.alice, p, "First").await;
        let middle = fixtures::create_doc(&t.alice, p, "Middle").await;
        let last = fixtures::create_doc(&t.alice, p, "Last").await;
        let a = fixtures::create_doc(&t.alice, p, "A").await;
        let b = fixtures::create_doc(&t.alice, p, "B").await;
        for doc in [&first, &middle, &last] {
            move_doc(&t.alice, &doc.id, json!({ "parent": top.id })).await;
        }
        move_doc(&t.alice, &a.id, json!({ "parent": middle.id })).await;
        move_doc(&t.alice, &b.id, json!({ "parent": middle.id })).await;
        assert_eq!(tree(&t.bob, p).await, ["Top", "  First", "  Middle", "    A", "    B", "  Last"]);

        let mut watch = EventSocket::connect(&t.server, &t.bob.token).await;
        let (status, _) = call_json(&t.alice, Method::DELETE, &format!("/api/v1/docs/{}", middle.id), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(tree(&t.bob, p).await, ["Top", "  First", "  A", "  B", "  Last"]);
        let frame = watch.expect("doc.moved", |f| f.data["doc_id"] == middle.id.as_str()).await;
        assert_eq!(frame.data["placements"].as_array().unwrap().len(), 2);

        // Restored: last under its old parent, without its former pages.
        let restored: Doc = t.alice.client.post(&format!("/api/v1/docs/{}/restore", middle.id), &json!({})).await.unwrap();
        assert_eq!(restored.parent.as_deref(), Some(top.id.as_str()));
        assert_eq!(tree(&t.bob, p).await, ["Top", "  First", "  A", "  B", "  Last", "  Middle"]);

        // Restored after its parent went to the trash: back at the top level.
        let (status, _) = call_json(&t.alice, Method::DELETE, &format!("/api/v1/docs/{}", first.id), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call_json(&t.alice, Method::DELETE, &format!("/api/v1/docs/{}", top.id), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(tree(&t.bob, p).await, ["A", "B", "Last", "Middle"]);
        let restored: Doc = t.alice.client.post(&format!("/api/v1/docs/{}/restore", first.id), &json!({})).await.unwrap();
        assert_eq!(restored.parent, None);
        assert_eq!(tree(&t.bob, p).await, ["A", "B", "Last", "Middle", "First"]);
    }

    async fn moves_reach_the_other_members_sockets(backend) {
        let t = team(backend).await;
        let p = &t.project.id;
        let guide = fixtures::create_doc(&t.alice, p, "Guide").await;
        let intro = fixtures::create_doc(&t.alice, p, "Intro").await;
        let mut bob = EventSocket::connect(&t.server, &t.bob.token).await;
        let mut vic = EventSocket::connect(&t.server, &t.vic.token).await;
        let mut eve = EventSocket::connect(&t.server, &t.eve.token).await;

        let moved = move_doc(&t.alice, &intro.id, json!({ "parent": guide.id })).await;
        for socket in [&mut bob, &mut vic] {
            let frame = socket.expect("doc.moved", |f| f.data["doc_id"] == intro.id.as_str()).await;
            assert_eq!(frame.data["project_id"], p.as_str());
            assert_eq!(frame.data["by"], t.alice.id());
            let placements = frame.data["placements"].as_array().unwrap();
            let own = placements.last().unwrap();
            assert_eq!(own["id"], intro.id.as_str());
            assert_eq!(own["parent"], guide.id.as_str());
            assert_eq!(own["position"], moved.position.as_str());
        }

        // New pages and titles reach the members too.
        let added = fixtures::create_doc(&t.alice, p, "Added").await;
        let frame = bob.expect("doc.created", |f| f.data["id"] == added.id.as_str()).await;
        assert_eq!(frame.data["position"], added.position.as_str());
        assert!(frame.data.get("can").is_none(), "{:?}", frame.data);
        move_doc(&t.alice, &added.id, json!({ "title": "Renamed" })).await;
        let frame = bob.expect("doc.updated", |f| f.data["id"] == added.id.as_str()).await;
        assert_eq!(frame.data["title"], "Renamed");

        // Eve is not in the project: she hears of the sentinel in her own project, not of the move.
        let theirs = fixtures::create_project(&t.alice, &t.project.org_id, "Open", Visibility::Open).await;
        fixtures::add_project_member(&t.alice, &theirs.id, t.eve.id(), ProjectRole::Editor).await;
        let sentinel = fixtures::create_doc(&t.alice, &theirs.id, "Sentinel").await;
        let other = fixtures::create_doc(&t.alice, &theirs.id, "Other").await;
        move_doc(&t.alice, &sentinel.id, json!({ "parent": other.id })).await;
        let frames = eve.until("doc.moved", |f| f.data["doc_id"] == sentinel.id.as_str()).await;
        assert!(!atrium_tests::events::any_mentions(&frames, &intro.id), "{frames:?}");
        assert!(!atrium_tests::events::any_mentions(&frames, &added.id), "{frames:?}");
    }

    async fn concurrent_crossing_moves_never_make_a_cycle(backend) {
        let t = team(backend).await;
        let p = &t.project.id;
        // Pairs of pages each moved under the other at the same moment: one move wins, the
        // other is refused as a cycle (the moves queue on the project's tree lock).
        for round in 0..5 {
            let x = fixtures::create_doc(&t.alice, p, &format!("X{round}")).await;
            let y = fixtures::create_doc(&t.alice, p, &format!("Y{round}")).await;
            let (a, b) = tokio::join!(
                patch(&t.alice, &x.id, json!({ "parent": y.id })),
                patch(&t.bob, &y.id, json!({ "parent": x.id })),
            );
            let statuses = [a.0, b.0];
            assert!(statuses.contains(&StatusCode::OK), "{a:?} {b:?}");
            assert!(statuses.contains(&StatusCode::UNPROCESSABLE_ENTITY), "{a:?} {b:?}");
        }
        let docs = list(&t.alice, p).await;
        assert_eq!(outline(&docs).iter().filter(|line| !line.starts_with(' ')).count(), 5);
        assert_eq!(docs.len(), 10);
    }

    async fn pages_older_than_the_tree_keep_their_order_until_moved(backend) {
        let t = team(backend).await;
        let p = &t.project.id;
        let mut ids = Vec::new();
        for title in ["One", "Two", "Three", "Four"] {
            ids.push(fixtures::create_doc(&t.alice, p, title).await.id);
        }
        // As documents created before migration 0024 are: no order key.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(t.server.database_url()).await.unwrap();
        sqlx::query("update docs set tree_key = ''").execute(&pool).await.unwrap();
        pool.close().await;
        assert_eq!(tree(&t.vic, p).await, ["One", "Two", "Three", "Four"]);

        // The first move into the group gives every sibling a key, in their order.
        move_doc(&t.bob, &ids[3], json!({ "after": ids[0] })).await;
        assert_eq!(tree(&t.vic, p).await, ["One", "Four", "Two", "Three"]);
        let docs = list(&t.vic, p).await;
        assert!(docs.iter().all(|d| !d.position.is_empty()), "{docs:?}");
        move_doc(&t.bob, &ids[2], json!({ "parent": ids[1] })).await;
        move_doc(&t.bob, &ids[0], json!({ "after": ids[1] })).await;
        assert_eq!(tree(&t.vic, p).await, ["Four", "Two", "  Three", "One"]);
    }
}
