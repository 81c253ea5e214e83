//! Scoped API tokens through HTTP and both sockets, on both databases: a token carries areas
//! with read or write access and may be bound to one organisation or one project; everything
//! outside answers 403 (a missing scope, a route beyond the limit) or 404 (a resource elsewhere);
//! org admins list and revoke the org's tokens, and a revocation holds from the next request.

use atrium_client::Client;
use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::collab::next_binary;
use atrium_tests::fixtures::{self, TestUser, call_json};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An owner (org admin) and Bob, a member and project editor, in Acme with two projects, a
/// channel, a document in each project and a client record; and a second org, Initech, that
/// both belong to.
struct Team {
    server: TestServer,
    owner: TestUser,
    bob: TestUser,
    org: String,
    project: String,
    other_project: String,
    channel: String,
    doc: String,
    other_doc: String,
    client: String,
    other_org: String,
    other_client: String,
}

async fn team(server: TestServer) -> Team {
    let owner = fixtures::user(&server, "owner").await;
    let bob = fixtures::user(&server, "bob").await;
    let org = fixtures::create_org(&owner, "Acme").await.id;
    let project = fixtures::create_project(&owner, &org, "Plans", Visibility::Private)
        .await
        .id;
    let other_project = fixtures::create_project(&owner, &org, "Secrets", Visibility::Private)
        .await
        .id;
    fixtures::add_org_member(&owner, &org, &bob, OrgRole::Member).await;
    for p in [&project, &other_project] {
        fixtures::add_project_member(&owner, p, bob.id(), ProjectRole::Editor).await;
    }
    let channel = fixtures::create_channel(&owner, &project, "general", None)
        .await
        .id;
    fixtures::post_message(&owner, &channel, "hello from the owner", None).await;
    let doc = fixtures::create_doc(&owner, &project, "Roadmap").await.id;
    let other_doc = fixtures::create_doc(&owner, &other_project, "Payroll")
        .await
        .id;
    let client = fixtures::create_record(
        &owner,
        &org,
        "client",
        json!({"name": "Globex", "currency": "eur"}),
    )
    .await;
    let other_org = fixtures::create_org(&owner, "Initech").await.id;
    fixtures::add_org_member(&owner, &other_org, &bob, OrgRole::Admin).await;
    let other_client = fixtures::create_record(
        &owner,
        &other_org,
        "client",
        json!({"name": "Umbrella", "currency": "eur"}),
    )
    .await;
    Team {
        server,
        owner,
        bob,
        org,
        project,
        other_project,
        channel,
        doc,
        other_doc,
        client: client["id"].as_str().unwrap().to_owned(),
        other_org,
        other_client: other_client["id"].as_str().unwrap().to_owned(),
    }
}

/// Bob's new token with `request`'s limits: its secret, its id, and a client sending it.
async fn token(t: &Team, request: Value) -> (String, String, Client) {
    let (status, created) =
        call_json(&t.bob, Method::POST, "/api/v1/me/tokens", Some(request)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    (secret.clone(), id, t.server.client().with_token(secret))
}

async fn status(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_json(client, method, path, body).await
}

/// Whether a WebSocket upgrade to `path` with `?token=` is accepted.
async fn socket_opens(server: &TestServer, path: &str, token: &str) -> bool {
    let url = format!(
        "{}{path}?token={token}",
        server.url().replace("http://", "ws://")
    );
    tokio_tungstenite::connect_async(url).await.is_ok()
}

backend_tests! {
    async fn a_records_read_token_reads_records_and_nothing_else(backend) {
        let t = team(TestServer::start(backend).await).await;
        let (secret, id, tok) = token(&t, json!({"name": "ledger sync", "scopes": ["records:read"], "org": t.org})).await;

        // What it may: read the org's records, know who it is and find its way.
        let (code, list) = status(&tok, Method::GET, &format!("/api/v1/orgs/{}/records/client", t.org), None).await;
        assert_eq!(code, StatusCode::OK, "{list}");
        assert_eq!(list["items"][0]["id"], t.client.as_str());
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/records/{}", t.client), None).await.0, StatusCode::OK);
        assert_eq!(status(&tok, Method::GET, "/api/v1/me", None).await.0, StatusCode::OK);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/orgs/{}/projects", t.org), None).await.0, StatusCode::OK);

        // What it may not: write records, read or write chat, search, mint tokens, watch events.
        let (code, body) = status(&tok, Method::POST, &format!("/api/v1/orgs/{}/records/client", t.org), Some(json!({"name": "Hooli", "currency": "eur"}))).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("records:write"), "{body}");
        let (code, _) = status(&tok, Method::PATCH, &format!("/api/v1/records/{}", t.client), Some(json!({"version": 1, "name": "Globex Corp"}))).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        let (code, body) = status(&tok, Method::GET, &format!("/api/v1/channels/{}/messages", t.channel), None).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("chat:read"), "{body}");
        let (code, _) = status(&tok, Method::POST, &format!("/api/v1/channels/{}/messages", t.channel), Some(json!({"text": "sneaky"}))).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/orgs/{}/search?q=hello", t.org), None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(status(&tok, Method::POST, "/api/v1/me/tokens", Some(json!({"name": "wider"}))).await.0, StatusCode::FORBIDDEN);
        assert!(!socket_opens(&t.server, "/api/v1/events", &secret).await, "the events socket is refused");
        // Nothing was written by the refused requests.
        let (_, record) = status(&t.bob.client, Method::GET, &format!("/api/v1/records/{}", t.client), None).await;
        assert_eq!(record["name"], "Globex");
        let (_, clients) = status(&t.bob.client, Method::GET, &format!("/api/v1/orgs/{}/records/client", t.org), None).await;
        assert_eq!(clients["items"].as_array().unwrap().len(), 1);

        // Another org of Bob's is out of reach, as if it did not exist; his session reaches it.
        let other = format!("/api/v1/records/{}", t.other_client);
        assert_eq!(status(&tok, Method::GET, &other, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(status(&t.bob.client, Method::GET, &other, None).await.0, StatusCode::OK);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/orgs/{}/records/client", t.other_org), None).await.0, StatusCode::NOT_FOUND);

        // Lists of Bob's organisations show the bound token its own only.
        let (_, orgs) = status(&tok, Method::GET, "/api/v1/orgs", None).await;
        let ids: Vec<&str> = orgs["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [t.org.as_str()], "{orgs}");
        let (_, me) = status(&tok, Method::GET, "/api/v1/me", None).await;
        assert_eq!(me["orgs"].as_array().unwrap().len(), 1, "{me}");

        // Search finds only what the scopes read: records, never the channel's messages.
        let (_, _, finder) = token(&t, json!({"name": "finder", "scopes": ["search:read", "records:read"], "org": t.org})).await;
        let search = |q: &str| format!("/api/v1/orgs/{}/search?q={q}", t.org);
        let kinds_found = |hits: &Value| -> Vec<String> {
            hits["hits"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap().to_owned()).collect()
        };
        // Bob's session finds both once the index has caught up.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let (_, hello) = status(&t.bob.client, Method::GET, &search("hello"), None).await;
            let (_, globex) = status(&t.bob.client, Method::GET, &search("globex"), None).await;
            if kinds_found(&hello).contains(&"message".to_owned()) && kinds_found(&globex).contains(&"record".to_owned()) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the index never showed the message and the record: {hello} {globex}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let (code, hello) = status(&finder, Method::GET, &search("hello"), None).await;
        assert_eq!(code, StatusCode::OK, "{hello}");
        assert!(kinds_found(&hello).is_empty(), "no chat hits for a records token: {hello}");
        let (_, globex) = status(&finder, Method::GET, &search("globex"), None).await;
        assert_eq!(kinds_found(&globex), ["record"], "{globex}");
        let (code, body) = status(&finder, Method::GET, &format!("{}&kind=message", search("hello")), None).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("chat:read"), "{body}");
        let (_, _, search_only) = token(&t, json!({"name": "blind", "scopes": ["search:read"], "org": t.org})).await;
        assert_eq!(status(&search_only, Method::GET, &search("hello"), None).await.0, StatusCode::FORBIDDEN);

        // A full token of Bob's is not narrowed.
        let (_, _, full) = token(&t, json!({"name": "full"})).await;
        assert_eq!(status(&full, Method::GET, &format!("/api/v1/channels/{}/messages", t.channel), None).await.0, StatusCode::OK);

        // The org's admins list its tokens (with owner and scopes); members may not.
        let tokens_path = format!("/api/v1/orgs/{}/tokens", t.org);
        let (code, listed) = status(&t.owner.client, Method::GET, &tokens_path, None).await;
        assert_eq!(code, StatusCode::OK, "{listed}");
        let items = listed["items"].as_array().unwrap();
        let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["blind", "finder", "ledger sync"], "only the org's tokens, newest first: {listed}");
        let ledger = &items[2];
        assert_eq!(ledger["id"], id.as_str());
        assert_eq!(ledger["scopes"], json!(["records:read"]));
        assert_eq!(ledger["user"]["id"], t.bob.id());
        assert!(ledger["last_seen_at"].as_i64().unwrap() > 0);
        assert_eq!(status(&t.bob.client, Method::GET, &tokens_path, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(status(&t.bob.client, Method::DELETE, &format!("{tokens_path}/{id}"), None).await.0, StatusCode::FORBIDDEN);

        // A revocation holds from the next request.
        assert_eq!(status(&t.owner.client, Method::DELETE, &format!("{tokens_path}/{id}"), None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/records/{}", t.client), None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&t.owner.client, Method::DELETE, &format!("{tokens_path}/{id}"), None).await.0, StatusCode::NOT_FOUND);
        let (_, listed) = status(&t.owner.client, Method::GET, &tokens_path, None).await;
        assert!(listed["items"].as_array().unwrap().iter().all(|i| i["id"] != id.as_str()), "{listed}");
    }

    async fn a_project_token_reaches_only_its_project(backend) {
        let t = team(TestServer::start(backend).await).await;
        let (secret, _, tok) = token(&t, json!({"name": "docs bot", "scopes": ["docs:write", "search:read", "records:read"], "project": t.project})).await;
        let (_, mine) = status(&t.bob.client, Method::GET, "/api/v1/me/tokens", None).await;
        let listed = mine["items"].as_array().unwrap().iter().find(|i| i["name"] == "docs bot").unwrap().clone();
        assert_eq!(listed["org"], t.org.as_str(), "a project implies its org");
        assert_eq!(listed["project"], t.project.as_str());

        // Its project's documents, over HTTP and the collaboration socket.
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/docs/{}", t.doc), None).await.0, StatusCode::OK);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/projects/{}/docs", t.project), None).await.0, StatusCode::OK);
        let mut socket = atrium_tests::collab::connect(&t.server, &t.doc, &secret).await;
        let first = next_binary(&mut socket).await.expect("sync step 1");
        assert_eq!(&first[..2], &[0, 0]);

        // The other project's, not even by id (Bob himself may).
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/docs/{}", t.other_doc), None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(status(&t.bob.client, Method::GET, &format!("/api/v1/docs/{}", t.other_doc), None).await.0, StatusCode::OK);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/projects/{}/docs", t.other_project), None).await.0, StatusCode::NOT_FOUND);
        assert!(!socket_opens(&t.server, &format!("/collab/{}", t.other_doc), &secret).await);

        // Search only narrowed to its project; org-wide records are beyond a project.
        let search = format!("/api/v1/orgs/{}/search?q=roadmap", t.org);
        assert_eq!(status(&tok, Method::GET, &format!("{search}&project={}", t.project), None).await.0, StatusCode::OK);
        assert_eq!(status(&tok, Method::GET, &search, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(status(&tok, Method::GET, &format!("{search}&project={},{}", t.project, t.other_project), None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/orgs/{}/records/client", t.org), None).await.0, StatusCode::FORBIDDEN);
        // Chat is not among its scopes even inside the project.
        assert_eq!(status(&tok, Method::GET, &format!("/api/v1/channels/{}/messages", t.channel), None).await.0, StatusCode::FORBIDDEN);
    }

    async fn a_token_asks_only_for_what_its_user_has(backend) {
        let t = team(TestServer::start(backend).await).await;
        let outsider = fixtures::user(&t.server, "outsider").await;
        let outsiders_org = fixtures::create_org(&outsider, "Elsewhere").await.id;
        let cases = [
            (json!({"name": "x", "scopes": ["records:admin"]}), StatusCode::UNPROCESSABLE_ENTITY, Some("scopes")),
            (json!({"name": "x", "scopes": ["calendar:read"]}), StatusCode::UNPROCESSABLE_ENTITY, Some("scopes")),
            (json!({"name": "x", "scopes": []}), StatusCode::UNPROCESSABLE_ENTITY, Some("scopes")),
            (json!({"name": "x", "org": outsiders_org}), StatusCode::NOT_FOUND, None),
            (json!({"name": "x", "org": t.other_org, "project": t.project}), StatusCode::UNPROCESSABLE_ENTITY, Some("project")),
            (json!({"name": "x", "project": "no-such-project"}), StatusCode::NOT_FOUND, None),
        ];
        for (request, expected, field) in cases {
            let (code, body) = call_json(&t.bob, Method::POST, "/api/v1/me/tokens", Some(request.clone())).await;
            assert_eq!(code, expected, "{request}: {body}");
            if let Some(field) = field {
                assert!(body["error"]["fields"][field].is_string(), "{request}: {body}");
            }
        }
        let (_, mine) = status(&t.bob.client, Method::GET, "/api/v1/me/tokens", None).await;
        assert_eq!(mine["items"], json!([]), "nothing was created");
    }
}
