//! Comments anchored to a document's text through HTTP and `/api/v1/events`, on both
//! databases: a thread on a range (Yjs relative positions made by a stock-compatible Yjs
//! document), replies, resolve and reopen, @mentions and replies notifying people who may read
//! the document, live `doc.comment` events to the project's readers only, and bad input or a
//! missing right refused with nothing stored.

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use yrs::updates::encoder::Encode as _;
use yrs::{Assoc, Doc as YDoc, IndexedSequence, ReadTxn, StateVector, Transact, XmlFragment};

const SENTENCE: &str = "The launch moves to March.";

/// A document holding one paragraph, "Plans: The launch moves to March.", and the anchor of
/// its sentence (as the browser makes it from a selection).
async fn document_with_a_sentence(user: &TestUser, project: &str) -> (String, Value) {
    let doc = fixtures::create_doc(user, project, "Plans").await;
    let ydoc = YDoc::new();
    let fragment = ydoc.get_or_insert_xml_fragment("default");
    let mut txn = ydoc.transact_mut();
    let paragraph = fragment.push_back(&mut txn, yrs::XmlElementPrelim::empty("paragraph"));
    let text = paragraph.push_back(
        &mut txn,
        yrs::XmlTextPrelim::new(format!("Plans: {SENTENCE}")),
    );
    let start = u32::try_from("Plans: ".len()).unwrap();
    let end = start + u32::try_from(SENTENCE.len()).unwrap();
    let from = text.sticky_index(&txn, start, Assoc::After).unwrap();
    let to = text.sticky_index(&txn, end, Assoc::Before).unwrap();
    let update = txn.encode_state_as_update_v1(&StateVector::default());
    drop(txn);
    assert_eq!(
        fixtures::post_update(user, &doc.id, update).await,
        StatusCode::NO_CONTENT
    );
    let anchor =
        json!({"from": STANDARD.encode(from.encode_v1()), "to": STANDARD.encode(to.encode_v1())});
    (doc.id, anchor)
}

struct Team {
    server: TestServer,
    alice: TestUser,
    bob: TestUser,
    cora: TestUser,
    vic: TestUser,
    eve: TestUser,
    project: String,
}

/// Alice owns the org and its private project; Bob edits, Cora comments, Vic views; Eve is an
/// org member outside the project.
async fn team(backend: atrium_tests::Backend) -> Team {
    let server = TestServer::start(backend).await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let alice = fixtures::user(&server, &format!("alice{tag}")).await;
    let bob = fixtures::user(&server, &format!("bob{tag}")).await;
    let cora = fixtures::user(&server, &format!("cora{tag}")).await;
    let vic = fixtures::user(&server, &format!("vic{tag}")).await;
    let eve = fixtures::user(&server, &format!("eve{tag}")).await;
    let org = fixtures::create_org(&alice, "Acme").await;
    let project = fixtures::create_project(&alice, &org.id, "Launch", Visibility::Private).await;
    for member in [&bob, &cora, &vic, &eve] {
        fixtures::add_org_member(&alice, &org.id, member, OrgRole::Member).await;
    }
    fixtures::add_project_member(&alice, &project.id, bob.id(), ProjectRole::Editor).await;
    fixtures::add_project_member(&alice, &project.id, cora.id(), ProjectRole::Commenter).await;
    fixtures::add_project_member(&alice, &project.id, vic.id(), ProjectRole::Viewer).await;
    Team {
        server,
        alice,
        bob,
        cora,
        vic,
        eve,
        project: project.id,
    }
}

async fn comments(user: &TestUser, doc: &str) -> Value {
    let (status, body) = call(
        user,
        Method::GET,
        &format!("/api/v1/docs/{doc}/comments"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn doc_comment_notifications(user: &TestUser) -> Vec<Value> {
    let (status, page) = call(user, Method::GET, "/api/v1/notifications", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "doc_comment")
        .cloned()
        .collect()
}

backend_tests! {
    async fn a_thread_on_a_sentence_with_replies_mentions_and_resolution(backend) {
        let t = team(backend).await;
        let (doc, anchor) = document_with_a_sentence(&t.alice, &t.project).await;
        let mut alice_events = EventSocket::connect(&t.server, &t.alice.token).await;
        let mut vic_events = EventSocket::connect(&t.server, &t.vic.token).await;
        let mut eve_events = EventSocket::connect(&t.server, &t.eve.token).await;
        let path = format!("/api/v1/docs/{doc}/comments");

        // Cora (a commenter) starts a thread on the sentence and mentions Alice.
        let text = format!("Is March certain, @{}?", t.alice.user.handle);
        let (status, thread) = call(&t.cora, Method::POST, &path, Some(json!({"anchor": anchor, "quote": SENTENCE, "text": text}))).await;
        assert_eq!(status, StatusCode::CREATED, "{thread}");
        assert_eq!(thread["thread"], thread["id"]);
        assert_eq!(thread["anchor"], anchor);
        assert_eq!(thread["quote"], SENTENCE);
        assert_eq!(thread["author"]["id"], t.cora.id());
        let thread_id = thread["id"].as_str().unwrap().to_owned();
        for socket in [&mut alice_events, &mut vic_events] {
            let frame = socket.expect("doc.comment", |f| f.data["comment"]["id"] == thread_id.as_str()).await;
            assert_eq!(frame.data["change"], "created");
        }
        let notes = doc_comment_notifications(&t.alice).await;
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0]["channel_id"], doc.as_str());
        assert_eq!(notes[0]["message_id"], thread_id.as_str());
        assert!(notes[0]["snippet"].as_str().unwrap().contains("Is March certain"), "{notes:?}");
        assert!(doc_comment_notifications(&t.bob).await.is_empty());

        // Alice replies: Cora, who took part, is told; the reply has no anchor of its own.
        let (status, reply) = call(&t.alice, Method::POST, &path, Some(json!({"thread": thread_id, "text": "Yes, signed off."}))).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        assert_eq!(reply["thread"], thread_id.as_str());
        assert!(reply.get("anchor").is_none(), "{reply}");
        assert_eq!(doc_comment_notifications(&t.cora).await.len(), 1);
        assert_eq!(doc_comment_notifications(&t.alice).await.len(), 1, "not told of her own reply");

        // Everyone in the project reads the thread in order; only commenters may add to it.
        let listed = comments(&t.vic, &doc).await;
        assert_eq!(listed["can_comment"], false);
        let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [thread_id.as_str(), reply["id"].as_str().unwrap()]);
        assert_eq!(comments(&t.cora, &doc).await["can_comment"], true);

        // Resolved by Bob, reopened by Cora; a reply is not a thread.
        let (status, resolved) = call(&t.bob, Method::POST, &format!("/api/v1/comments/{thread_id}/resolve"), None).await;
        assert_eq!(status, StatusCode::OK, "{resolved}");
        assert_eq!(resolved["resolved_by"]["id"], t.bob.id());
        assert!(resolved["resolved_at"].is_i64());
        alice_events.expect("doc.comment", |f| f.data["change"] == "resolved" && f.data["comment"]["id"] == thread_id.as_str()).await;
        let (status, again) = call(&t.bob, Method::POST, &format!("/api/v1/comments/{thread_id}/resolve"), None).await;
        assert_eq!(status, StatusCode::OK, "resolving twice is no error: {again}");
        assert_eq!(again["resolved_at"], resolved["resolved_at"]);
        let (status, reopened) = call(&t.cora, Method::POST, &format!("/api/v1/comments/{thread_id}/reopen"), None).await;
        assert_eq!(status, StatusCode::OK, "{reopened}");
        assert!(reopened.get("resolved_at").is_none(), "{reopened}");
        let (status, body) = call(&t.alice, Method::POST, &format!("/api/v1/comments/{}/resolve", reply["id"].as_str().unwrap()), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = call(&t.vic, Method::POST, &format!("/api/v1/comments/{thread_id}/resolve"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&t.eve, Method::POST, &format!("/api/v1/comments/{thread_id}/resolve"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Eve, outside the private project, heard nothing of it.
        let sentinel_project = fixtures::create_project(&t.alice, notes[0]["org_id"].as_str().unwrap(), "Open", Visibility::Open).await;
        fixtures::add_project_member(&t.alice, &sentinel_project.id, t.eve.id(), ProjectRole::Viewer).await;
        let (sentinel, sentinel_anchor) = document_with_a_sentence(&t.alice, &sentinel_project.id).await;
        let (status, _) = call(&t.alice, Method::POST, &format!("/api/v1/docs/{sentinel}/comments"), Some(json!({"anchor": sentinel_anchor, "text": "sentinel"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let frames = eve_events.until("doc.comment", |f| f.data["comment"]["doc_id"] == sentinel.as_str()).await;
        assert!(!atrium_tests::events::any_mentions(&frames, &thread_id), "{frames:?}");
    }

    async fn bad_comments_and_missing_rights_are_refused_and_store_nothing(backend) {
        let t = team(backend).await;
        let (doc, anchor) = document_with_a_sentence(&t.alice, &t.project).await;
        let (other_doc, other_anchor) = document_with_a_sentence(&t.alice, &t.project).await;
        let path = format!("/api/v1/docs/{doc}/comments");
        let (status, elsewhere) = call(&t.alice, Method::POST, &format!("/api/v1/docs/{other_doc}/comments"), Some(json!({"anchor": other_anchor, "text": "there"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{elsewhere}");
        let long = "x".repeat(10_001);
        for (body, field) in [
            (json!({"anchor": anchor, "text": "   "}), "text"),
            (json!({"anchor": anchor, "text": long}), "text"),
            (json!({"text": "about what?"}), "anchor"),
            (json!({"anchor": {"from": "not base64!", "to": anchor["to"]}, "text": "t"}), "anchor.from"),
            (json!({"anchor": {"from": anchor["from"], "to": STANDARD.encode([0xff_u8; 3])}, "text": "t"}), "anchor.to"),
            (json!({"anchor": {"from": "A".repeat(600), "to": anchor["to"]}, "text": "t"}), "anchor.from"),
            (json!({"anchor": anchor, "thread": elsewhere["id"], "text": "t"}), "anchor"),
            (json!({"thread": elsewhere["id"], "text": "a thread of another document"}), "thread"),
            (json!({"thread": "nope", "text": "t"}), "thread"),
            (json!({"anchor": anchor, "quote": "q".repeat(501), "text": "t"}), "quote"),
            (json!({"anchor": anchor, "text": "ask @nobody-at-all"}), "text"),
        ] {
            let (status, answer) = call(&t.bob, Method::POST, &path, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["fields"][field].is_string(), "{field}: {answer}");
        }
        let (status, _) = call(&t.vic, Method::POST, &path, Some(json!({"anchor": anchor, "text": "a viewer"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&t.eve, Method::POST, &path, Some(json!({"anchor": anchor, "text": "outside"}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&t.eve, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(comments(&t.alice, &doc).await["items"], json!([]), "nothing stored");

        // A mention of someone who may not read the document is no error, and tells them nothing.
        let (status, _) = call(&t.bob, Method::POST, &path, Some(json!({"anchor": anchor, "text": format!("cc @{}", t.eve.user.handle)}))).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(doc_comment_notifications(&t.eve).await.is_empty());

        // In the trash, a document takes no comments, and its threads are not resolved.
        let thread = comments(&t.alice, &doc).await["items"][0]["id"].as_str().unwrap().to_owned();
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/docs/{doc}"), None).await;
        assert!(status.is_success(), "{status}");
        let (status, body) = call(&t.bob, Method::POST, &path, Some(json!({"anchor": anchor, "text": "late"}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let (status, _) = call(&t.bob, Method::POST, &format!("/api/v1/comments/{thread}/resolve"), None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let listed = comments(&t.alice, &doc).await;
        assert_eq!(listed["can_comment"], false);
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }

    async fn suggested_edits_are_proposed_by_commenters_and_decided_by_editors(backend) {
        let t = team(backend).await;
        let (doc, anchor) = document_with_a_sentence(&t.alice, &t.project).await;
        let path = format!("/api/v1/docs/{doc}/comments");
        let mut alice_events = EventSocket::connect(&t.server, &t.alice.token).await;

        // Cora may only comment: she suggests new text for the sentence, with no note.
        let (status, suggestion) = call(&t.cora, Method::POST, &path, Some(json!({"anchor": anchor, "quote": SENTENCE, "suggestion": "The launch stays in February."}))).await;
        assert_eq!(status, StatusCode::CREATED, "{suggestion}");
        assert_eq!(suggestion["suggestion"], "The launch stays in February.");
        assert_eq!(suggestion["text"], "");
        assert!(suggestion.get("outcome").is_none());
        let id = suggestion["id"].as_str().unwrap().to_owned();
        let event = alice_events.expect("doc.comment", |f| f.data["comment"]["id"] == id.as_str()).await;
        assert_eq!(event.data["comment"]["suggestion"], "The launch stays in February.");

        // Bad suggestions store nothing: on a reply, too long, control characters.
        let long = "y".repeat(10_001);
        for body in [
            json!({"thread": id, "suggestion": "x", "text": "t"}),
            json!({"anchor": anchor, "suggestion": long}),
            json!({"anchor": anchor, "suggestion": "bell\u{7}"}),
        ] {
            let (status, answer) = call(&t.cora, Method::POST, &path, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["fields"]["suggestion"].is_string(), "{answer}");
        }
        let (status, answer) = call(&t.cora, Method::POST, &path, Some(json!({"anchor": anchor}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer["error"]["fields"]["text"].is_string(), "{answer}");

        // Deciding: not by a commenter (not even accepting her own), not on a plain thread.
        let accept = format!("/api/v1/comments/{id}/accept");
        let reject = format!("/api/v1/comments/{id}/reject");
        assert_eq!(call(&t.cora, Method::POST, &accept, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t.vic, Method::POST, &reject, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t.eve, Method::POST, &accept, None).await.0, StatusCode::NOT_FOUND);
        let (_, plain) = call(&t.bob, Method::POST, &path, Some(json!({"anchor": anchor, "text": "fine by me"}))).await;
        let (status, _) = call(&t.bob, Method::POST, &format!("/api/v1/comments/{}/accept", plain["id"].as_str().unwrap()), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Bob edits: he accepts (his editor made the edit); again is the same answer; a
        // rejection now conflicts until someone reopens it.
        let (status, accepted) = call(&t.bob, Method::POST, &accept, None).await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        assert_eq!(accepted["outcome"], "accepted");
        assert_eq!(accepted["resolved_by"]["id"], t.bob.user.id);
        assert_eq!(call(&t.bob, Method::POST, &accept, None).await.1, accepted);
        let (status, body) = call(&t.bob, Method::POST, &reject, None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "suggestion_decided");
        let resolved = alice_events.expect("doc.comment", |f| f.data["change"] == "resolved").await;
        assert_eq!(resolved.data["comment"]["outcome"], "accepted");

        // Reopened, the decision goes; its author may withdraw it (a rejection of her own).
        let (status, reopened) = call(&t.alice, Method::POST, &format!("/api/v1/comments/{id}/reopen"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(reopened.get("outcome").is_none(), "{reopened}");
        let (status, withdrawn) = call(&t.cora, Method::POST, &reject, None).await;
        assert_eq!(status, StatusCode::OK, "{withdrawn}");
        assert_eq!(withdrawn["outcome"], "rejected");
        let listed = comments(&t.vic, &doc).await;
        let first = listed["items"].as_array().unwrap().iter().find(|c| c["id"] == id.as_str()).unwrap().clone();
        assert_eq!(first["outcome"], "rejected");
        assert_eq!(first["suggestion"], "The launch stays in February.");
    }
}
