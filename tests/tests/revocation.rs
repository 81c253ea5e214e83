//! Access that ends while a socket is open: removing a member from the organisation or the
//! project, lowering their role, logging out, revoking an API token and resetting the password
//! each close the sockets that lost access — collaboration (`/collab`) and events — within a
//! second, on the node that made the change and on every other node; sockets of the user that
//! kept their access stay open.

use std::time::{Duration, Instant};

use atrium_client::wire::{CreatedToken, OrgRole, ProjectRole, Visibility};
use atrium_tests::collab::{Socket, next_binary};
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::mail;
use atrium_tests::{Backend, TestServer, backend_tests};
use futures::SinkExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// How long a revoked socket may stay open. The promise is "within a second"; the margin is
/// for a busy CI machine, while a socket that is never closed fails clearly.
const CLOSE_DEADLINE: Duration = Duration::from_secs(3);

/// An owner, a member (Bob) with an explicit editor role in a private project, and a document
/// in it.
struct Team {
    server: TestServer,
    owner: TestUser,
    bob: TestUser,
    org: String,
    project: String,
    doc: String,
}

async fn team(server: TestServer) -> Team {
    let owner = fixtures::user(&server, "owner").await;
    let bob = fixtures::user(&server, "bob").await;
    let org = fixtures::create_org(&owner, "Acme").await.id;
    let project = fixtures::create_project(&owner, &org, "Plans", Visibility::Private)
        .await
        .id;
    fixtures::add_org_member(&owner, &org, &bob, OrgRole::Member).await;
    fixtures::add_project_member(&owner, &project, bob.id(), ProjectRole::Editor).await;
    let doc = fixtures::create_doc(&owner, &project, "Roadmap").await.id;
    Team {
        server,
        owner,
        bob,
        org,
        project,
        doc,
    }
}

/// A `/collab` socket of `token` on `server`, past the server's first sync message.
async fn collab(server: &TestServer, doc: &str, token: &str) -> Socket {
    let mut socket = atrium_tests::collab::connect(server, doc, token).await;
    let first = next_binary(&mut socket)
        .await
        .expect("the server's SyncStep1");
    assert_eq!(&first[..2], &[0, 0], "sync step 1 first, not a denial");
    socket
}

/// Waits for the socket to be closed; returns the code, whether a permission-denied message
/// came first, and how long it took.
async fn closed(socket: &mut Socket) -> (Option<u16>, bool, Duration) {
    let started = Instant::now();
    let mut denied = false;
    loop {
        match next_binary(socket).await {
            // messageAuth (2), permission denied (0)
            Ok(frame) if frame.starts_with(&[2, 0]) => denied = true,
            Ok(_) => {}
            Err(code) => return (code, denied, started.elapsed()),
        }
    }
}

/// Asserts the collab socket is still served: a sync request is answered.
async fn still_open(socket: &mut Socket) {
    // messageSync (0), SyncStep1 (0), an empty state vector (length 1: zero clients).
    socket
        .send(Message::Binary(vec![0, 0, 1, 0].into()))
        .await
        .expect("the socket is still open");
    let answer = next_binary(socket)
        .await
        .expect("the socket is still served");
    assert_eq!(answer[0], 0, "a sync answer");
}

/// Asserts an event socket is closed with `code` within the deadline.
async fn events_closed(socket: &mut EventSocket, code: u16) {
    let started = Instant::now();
    let (_, closed_with) = tokio::time::timeout(CLOSE_DEADLINE, socket.until_closed())
        .await
        .unwrap_or_else(|_| panic!("the event socket is still open after {CLOSE_DEADLINE:?}"));
    assert_eq!(closed_with, Some(code), "after {:?}", started.elapsed());
}

/// Asserts the event socket still answers a ping.
async fn events_open(socket: &mut EventSocket) {
    socket.send(json!({"type": "ping"})).await;
    socket.expect("pong", |_| true).await;
}

fn assert_closed_in_time(what: &str, code: Option<u16>, want: u16, took: Duration) {
    assert_eq!(code, Some(want), "{what}: close code");
    assert!(took < CLOSE_DEADLINE, "{what}: closed only after {took:?}");
}

/// A second, independent session of `user` (another browser).
async fn another_session(server: &TestServer, user: &TestUser) -> String {
    fixtures::login(server, &user.user.email).await.token
}

async fn call(user: &TestUser, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    let mut request = user.client.request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status()
}

backend_tests! {
    async fn removing_a_member_closes_their_document_sockets(backend) {
        let t = team(TestServer::start(backend).await).await;
        let other_doc_project =
            fixtures::create_project(&t.owner, &t.org, "Open", Visibility::Open).await.id;
        let open_doc = fixtures::create_doc(&t.owner, &other_doc_project, "Handbook").await.id;
        let mut plans = collab(&t.server, &t.doc, &t.bob.token).await;
        let mut handbook = collab(&t.server, &open_doc, &t.bob.token).await;
        let mut owners = collab(&t.server, &t.doc, &t.owner.token).await;

        // Out of the private project: its document closes; the open project's stays.
        let path = format!("/api/v1/projects/{}/members/{}", t.project, t.bob.id());
        assert_eq!(call(&t.owner, Method::DELETE, &path, None).await, StatusCode::NO_CONTENT);
        let (code, denied, took) = closed(&mut plans).await;
        assert_closed_in_time("removed from the project", code, 4403, took);
        assert!(denied, "the protocol's permission-denied message comes before the close");
        still_open(&mut handbook).await;
        still_open(&mut owners).await;
        // Reconnecting is refused.
        let mut again = atrium_tests::collab::connect(&t.server, &t.doc, &t.bob.token).await;
        assert_eq!(closed(&mut again).await.0, Some(4403));

        // Out of the organisation: every document of it closes.
        let path = format!("/api/v1/orgs/{}/members/{}", t.org, t.bob.id());
        assert_eq!(call(&t.owner, Method::DELETE, &path, None).await, StatusCode::NO_CONTENT);
        let (code, _, took) = closed(&mut handbook).await;
        assert_closed_in_time("removed from the organisation", code, 4403, took);
        still_open(&mut owners).await;
    }

    async fn a_lowered_role_reconnects_read_only(backend) {
        let t = team(TestServer::start(backend).await).await;
        let mut editor = collab(&t.server, &t.doc, &t.bob.token).await;
        // Editor → viewer: the socket is closed with a code the stock client retries.
        fixtures::add_project_member(&t.owner, &t.project, t.bob.id(), ProjectRole::Viewer).await;
        let (code, denied, took) = closed(&mut editor).await;
        assert_closed_in_time("lowered to viewer", code, 4510, took);
        assert!(!denied, "still allowed to read");

        // Reconnected, Bob reads but his edits are not applied.
        let mut viewer = collab(&t.server, &t.doc, &t.bob.token).await;
        let update = fixtures::Editor::new().append("viewer's words");
        let mut frame = vec![0, 2]; // messageSync, update
        write_var_buf(&mut frame, &update);
        viewer.send(Message::Binary(frame.into())).await.unwrap();
        still_open(&mut viewer).await;
        let content: String = t
            .owner
            .client
            .request(Method::GET, &format!("/api/v1/docs/{}/content?format=text", t.doc))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!content.contains("viewer's words"), "{content}");

        // The organisation role lowered to viewer also closes an open socket of an open project.
        let open = fixtures::create_project(&t.owner, &t.org, "Open", Visibility::Open).await.id;
        let open_doc = fixtures::create_doc(&t.owner, &open, "Wiki").await.id;
        let mut wiki = collab(&t.server, &open_doc, &t.bob.token).await;
        let path = format!("/api/v1/orgs/{}/members/{}", t.org, t.bob.id());
        assert_eq!(
            call(&t.owner, Method::PATCH, &path, Some(json!({"role": "viewer"}))).await,
            StatusCode::OK
        );
        let (code, _, took) = closed(&mut wiki).await;
        assert_closed_in_time("org role lowered", code, 4510, took);
    }

    async fn ending_a_session_closes_only_its_sockets(backend) {
        let t = team(TestServer::start(backend).await).await;
        let laptop = another_session(&t.server, &t.bob).await;
        let created: CreatedToken = t.bob.client.post("/api/v1/me/tokens", &json!({"name": "script"})).await.unwrap();
        let (api_token, api_token_id) = (created.token, created.info.id);

        let mut phone_doc = collab(&t.server, &t.doc, &t.bob.token).await;
        let mut phone_events = EventSocket::connect(&t.server, &t.bob.token).await;
        let mut laptop_doc = collab(&t.server, &t.doc, &laptop).await;
        let mut laptop_events = EventSocket::connect(&t.server, &laptop).await;
        let mut script_doc = collab(&t.server, &t.doc, &api_token).await;
        let mut script_events = EventSocket::connect(&t.server, &api_token).await;

        // Logging out on the phone closes the phone's sockets, with "session ended".
        assert_eq!(call(&t.bob, Method::POST, "/api/v1/auth/logout", None).await, StatusCode::NO_CONTENT);
        let (code, _, took) = closed(&mut phone_doc).await;
        assert_closed_in_time("logged out", code, 4401, took);
        events_closed(&mut phone_events, 4401).await;
        still_open(&mut laptop_doc).await;
        events_open(&mut laptop_events).await;
        still_open(&mut script_doc).await;

        // Revoking the API token closes what was opened with it.
        let laptop_user = TestUser {
            client: t.server.client().with_token(&laptop),
            token: laptop.clone(),
            ..t.bob.clone()
        };
        let path = format!("/api/v1/me/tokens/{api_token_id}");
        assert_eq!(call(&laptop_user, Method::DELETE, &path, None).await, StatusCode::NO_CONTENT);
        let (code, _, took) = closed(&mut script_doc).await;
        assert_closed_in_time("token revoked", code, 4401, took);
        events_closed(&mut script_events, 4401).await;
        still_open(&mut laptop_doc).await;

        // A password reset ends every session.
        let anonymous = t.server.client();
        let seen = mail::link_tokens(&t.bob.mail_dir, &t.bob.user.email, "/reset-password");
        let asked = anonymous.request(Method::POST, "/api/v1/auth/password-reset").json(&json!({"email": t.bob.user.email})).send().await.unwrap();
        assert_eq!(asked.status(), StatusCode::ACCEPTED);
        let token = mail::wait_for_link(&t.bob.mail_dir, &t.bob.user.email, "/reset-password", &seen).await;
        let done = anonymous.request(Method::POST, "/api/v1/auth/password-reset/confirm").json(&json!({"token": token, "password": "a fresh long passphrase"})).send().await.unwrap();
        assert_eq!(done.status(), StatusCode::NO_CONTENT);
        let (code, _, took) = closed(&mut laptop_doc).await;
        assert_closed_in_time("password reset", code, 4401, took);
        events_closed(&mut laptop_events, 4401).await;
    }
}

/// Appends a Yjs var-length byte buffer (length as a varint, then the bytes).
fn write_var_buf(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut len = bytes.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(bytes);
}

/// Two nodes on one PostgreSQL database and one Redis: a change made through node A closes the
/// sockets the user holds on node B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_reaches_every_node() {
    let redis = atrium_tests::services::redis_url();
    // A node with Redis refuses local files: both share the test S3.
    let node = || {
        atrium_tests::services::s3_env().into_iter().fold(
            TestServer::builder(Backend::Postgres).env("ATRIUM_REDIS_URL", redis.clone()),
            |b, (k, v)| b.env(k, v),
        )
    };
    let t = team(node().start().await).await;
    let node_b = node()
        .arg("--database-url")
        .arg(t.server.database_url())
        .start()
        .await;
    let laptop = another_session(&t.server, &t.bob).await;
    let mut doc_on_b = collab(&node_b, &t.doc, &laptop).await;
    let mut events_on_b = EventSocket::connect(&node_b, &t.bob.token).await;
    // Node B has just authenticated Bob's session, and may reuse that for a second.
    let bob_on_b = node_b.client().with_token(t.bob.token.clone());
    let me_on_b = || async {
        bob_on_b
            .request(Method::GET, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(me_on_b().await, StatusCode::OK);

    // Bob logs out (through node A): his event socket on node B closes, and node B refuses the
    // session within the second it may remember it for.
    assert_eq!(
        call(&t.bob, Method::POST, "/api/v1/auth/logout", None).await,
        StatusCode::NO_CONTENT
    );
    let logged_out = Instant::now();
    events_closed(&mut events_on_b, 4401).await;
    while me_on_b().await != StatusCode::UNAUTHORIZED {
        assert!(
            logged_out.elapsed() < CLOSE_DEADLINE,
            "node B still accepts a session logged out on node A"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    still_open(&mut doc_on_b).await;

    // The owner removes Bob from the project through node A: the socket on node B closes.
    let path = format!("/api/v1/projects/{}/members/{}", t.project, t.bob.id());
    assert_eq!(
        call(&t.owner, Method::DELETE, &path, None).await,
        StatusCode::NO_CONTENT
    );
    let (code, _, took) = closed(&mut doc_on_b).await;
    assert_closed_in_time("removed through another node", code, 4403, took);
}
