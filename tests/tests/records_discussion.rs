//! A record's discussion and attachments through HTTP and the events socket, on both
//! databases. The discussion is chat's (posts, @mentions with notifications, the channel's
//! message history) under the record's permissions: its readers read and post, nobody else
//! sees it (404), mentions of members who cannot read the record notify nobody, its events
//! reach the record's readers only, and it goes with the record. Attachments: writers attach
//! files of the org they may read; readers list and download them through the record even
//! when the file's project is closed to them; others get 404.

use atrium_client::wire::{OrgRole, Visibility};
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Claims: accountants read and write all, viewers read all, members only their own.
fn claim_type() -> Value {
    json!({
        "slug": "claim",
        "name": "Claim",
        "fields": [{"name": "subject", "type": "text"}],
        "naming": {"prefix": "CLM-", "digits": 3},
        "permissions": [
            {"role": "accountant", "action": "read", "scope": "all"},
            {"role": "accountant", "action": "write", "scope": "all"},
            {"role": "viewer", "action": "read", "scope": "all"},
            {"role": "member", "action": "read", "scope": "own"},
            {"role": "member", "action": "write", "scope": "own"}
        ]
    })
}

async fn get(user: &TestUser, path: &str) -> (StatusCode, Value) {
    call(user, Method::GET, path, None).await
}

async fn post(user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
    call(user, Method::POST, path, Some(body)).await
}

/// The raw bytes of a download.
async fn download(user: &TestUser, path: &str) -> (StatusCode, Vec<u8>) {
    let response = user.client.request(Method::GET, path).send().await.unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

backend_tests! {
    async fn a_record_discussion_follows_the_record(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let bob = fixtures::user(&server, "bob").await;
        let carol = fixtures::user(&server, "carol").await;
        let vic = fixtures::user(&server, "vic").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        fixtures::create_org(&eve, "Other").await;
        fixtures::join_as(&alice, &org, &bob, "accountant").await;
        fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
        fixtures::add_org_member(&alice, &org, &vic, OrgRole::Viewer).await;
        let (status, body) = post(&alice, &format!("/api/v1/orgs/{org}/record-types"), claim_type()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, claim) = post(&alice, &format!("/api/v1/orgs/{org}/records/claim"), json!({"subject": "Broken crane"})).await;
        assert_eq!(status, StatusCode::CREATED, "{claim}");
        let id = claim["id"].as_str().unwrap().to_owned();
        let open = format!("/api/v1/records/{id}/discussion");
        let messages = format!("/api/v1/channels/{id}/messages");

        // Only the record's readers open (and see) its discussion.
        for outsider in [&carol, &eve] {
            let (status, _) = post(outsider, &open, json!({})).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}", outsider.user.handle);
        }
        let (status, _) = get(&bob, &messages).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not open yet");
        let (status, channel) = post(&bob, &open, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{channel}");
        assert_eq!(channel["id"], id.as_str());
        assert_eq!(channel["kind"], "record");
        assert_eq!(channel["name"], "CLM-001");
        let (status, again) = post(&alice, &open, json!({})).await;
        assert_eq!((status, &again["id"]), (StatusCode::OK, &channel["id"]), "opening is idempotent");

        // A post with mentions: alice (a reader) is notified and her socket gets the message;
        // carol (who cannot read the record) is reported back, notified of nothing, and her
        // socket sees nothing of it.
        let mut alice_socket = EventSocket::connect(&server, &alice.token).await;
        let mut carol_socket = EventSocket::connect(&server, &carol.token).await;
        let (status, posted) = post(&bob, &messages, json!({"text": "@alice @carol the crane is back"})).await;
        assert_eq!(status, StatusCode::CREATED, "{posted}");
        assert_eq!(posted["not_notified"], json!(["carol"]));
        let message_id = posted["id"].as_str().unwrap().to_owned();
        alice_socket.expect("message.created", |f| f.data_id() == message_id).await;
        alice_socket.expect("notification.created", |f| f.data["message_id"] == message_id.as_str() && f.data["kind"] == "mention").await;
        let (status, _) = post(&carol, &format!("/api/v1/orgs/{org}/records/claim"), json!({"subject": "sentinel"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let before = carol_socket.until("record.created", |f| f.data["subject"] == "sentinel").await;
        assert!(before.iter().all(|f| f.kind != "message.created" && f.kind != "notification.created"), "{before:?}");
        let (_, carol_notes) = get(&carol, "/api/v1/notifications").await;
        assert!(!carol_notes.to_string().contains(&message_id), "{carol_notes}");

        // Readers read the history and post (a viewer as a commenter); others meet a 404.
        let (status, page) = get(&alice, &messages).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.to_string().contains("the crane is back"));
        let (status, reply) = post(&vic, &messages, json!({"text": "noted", "thread": message_id})).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        for outsider in [&carol, &eve] {
            let (status, _) = get(outsider, &messages).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let (status, _) = post(outsider, &messages, json!({"text": "let me in"})).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        // Record discussions are not chat channels to list.
        let (_, listed) = get(&alice, &format!("/api/v1/orgs/{org}/channels")).await;
        assert!(!listed.to_string().contains(&id), "{listed}");

        // The discussion goes with the record.
        let (status, _) = call(&alice, Method::DELETE, &format!("/api/v1/records/{id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = get(&alice, &messages).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = get(&alice, &format!("/api/v1/messages/{message_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn record_attachments_follow_the_record(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let bob = fixtures::user(&server, "bob").await;
        let carol = fixtures::user(&server, "carol").await;
        let vic = fixtures::user(&server, "vic").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let other = fixtures::create_org(&eve, "Other").await.id;
        fixtures::join_as(&alice, &org, &bob, "accountant").await;
        fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
        fixtures::add_org_member(&alice, &org, &vic, OrgRole::Viewer).await;
        let (status, body) = post(&alice, &format!("/api/v1/orgs/{org}/record-types"), claim_type()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, claim) = post(&alice, &format!("/api/v1/orgs/{org}/records/claim"), json!({"subject": "Broken crane"})).await;
        let id = claim["id"].as_str().unwrap().to_owned();
        let attachments = format!("/api/v1/records/{id}/attachments");

        // A file in a private project only alice sees, one in an open project, one of eve's.
        let private = fixtures::create_project(&alice, &org, "Books", Visibility::Private).await;
        let open = fixtures::create_project(&alice, &org, "Yard", Visibility::Open).await;
        let theirs = fixtures::create_project(&eve, &other, "Theirs", Visibility::Open).await;
        let bytes = b"crane inspection report".to_vec();
        let (status, report) = fixtures::upload_file(&alice, &private.id, "report.txt", &bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{report}");
        let report = report["id"].as_str().unwrap().to_owned();
        let (_, photo) = fixtures::upload_file(&alice, &open.id, "photo.txt", b"a photo").await;
        let photo = photo["id"].as_str().unwrap().to_owned();
        let (_, foreign) = fixtures::upload_file(&eve, &theirs.id, "x.txt", b"elsewhere").await;
        let foreign = foreign["id"].as_str().unwrap().to_owned();

        // Writers attach files they may read; readers may not attach; others see no record.
        let mut bob_socket = EventSocket::connect(&server, &bob.token).await;
        let (status, list) = post(&alice, &attachments, json!({"file": report})).await;
        assert_eq!(status, StatusCode::CREATED, "{list}");
        assert_eq!(list["items"][0]["id"], report.as_str());
        assert_eq!(list["items"][0]["name"], "report.txt");
        bob_socket.expect("record.attachments_changed", |f| f.data["record"] == id.as_str() && f.data["items"].as_array().unwrap().len() == 1).await;
        let (status, body) = post(&bob, &attachments, json!({"file": report})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "bob cannot read the private project's file: {body}");
        assert!(body["error"]["fields"]["file"].is_string());
        let (status, _) = post(&bob, &attachments, json!({"file": foreign})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another org's file");
        let (status, _) = post(&vic, &attachments, json!({"file": photo})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a reader does not attach");
        let (status, _) = post(&carol, &attachments, json!({"file": photo})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "carol cannot see the record");
        let (status, list) = post(&bob, &attachments, json!({"file": photo})).await;
        assert_eq!(status, StatusCode::CREATED, "{list}");
        assert_eq!(list["items"].as_array().unwrap().len(), 2);

        // Readers list and download through the record, even a file whose project they cannot
        // see; the file's own route still says 404 to them.
        let (status, list) = get(&vic, &attachments).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        let (status, got) = download(&vic, &format!("{attachments}/{report}/content")).await;
        assert_eq!((status, got), (StatusCode::OK, bytes.clone()));
        let (status, _) = download(&vic, &format!("/api/v1/files/{report}/content")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for outsider in [&carol, &eve] {
            let (status, _) = get(outsider, &attachments).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            let (status, _) = download(outsider, &format!("{attachments}/{report}/content")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        let (status, _) = download(&vic, &format!("{attachments}/{foreign}/content")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not attached");

        // Detaching: writers only; the file stays in its project.
        let (status, _) = call(&vic, Method::DELETE, &format!("{attachments}/{report}"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&bob, Method::DELETE, &format!("{attachments}/{report}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&bob, Method::DELETE, &format!("{attachments}/{report}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        bob_socket.expect("record.attachments_changed", |f| f.data["items"].as_array().unwrap().len() == 1).await;
        let (_, list) = get(&alice, &attachments).await;
        assert_eq!(list["items"][0]["id"], photo.as_str());
        let (status, _) = download(&vic, &format!("{attachments}/{report}/content")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, got) = download(&alice, &format!("/api/v1/files/{report}/content")).await;
        assert_eq!((status, got), (StatusCode::OK, bytes));
    }
}
