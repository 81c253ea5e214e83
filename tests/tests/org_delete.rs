//! Exporting a whole organisation and deleting it, through HTTP, on both databases: the ZIP
//! holds every area's data; the deletion needs an owner, the exact name and a recent export;
//! once done the organisation is gone for everyone at once (its URLs answer 404, its
//! collaboration sockets close) and the purge job leaves no row with its id in any table and
//! no object under its prefix in the file store, while another organisation keeps everything.

use std::io::Read as _;
use std::time::{Duration, Instant};

use atrium_client::wire::{OrgRole, Visibility};
use atrium_tests::collab::next_binary;
use atrium_tests::fixtures::{self, Editor, TestUser, call_json, db_count};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `select count(*) from <table> where org_id = $1` for every table with an `org_id` column
/// (derived from `migrations/*`), and the organisations' own table by id.
macro_rules! org_counts {
    ($($table:literal),* $(,)?) => {
        [
            ("orgs", "select count(*) from orgs where id = $1"),
            $(($table, concat!("select count(*) from ", $table, " where org_id = $1")),)*
        ]
    };
}

const ORG_TABLES: [(&str, &str); 47] = org_counts!(
    "audit_log",
    "auth_tokens",
    "automation_rules",
    "automation_runs",
    "boards",
    "change_feed",
    "channels",
    "doc_comments",
    "doc_public_links",
    "doc_templates",
    "doc_trees",
    "docs",
    "email_templates",
    "events",
    "file_blobs",
    "file_versions",
    "files",
    "invitations",
    "invoice_reminders",
    "invoice_settings",
    "invoiced_time",
    "jobs",
    "messages",
    "notifications",
    "org_chat_settings",
    "org_exports",
    "org_member_roles",
    "org_members",
    "org_permissions",
    "org_roles",
    "projects",
    "record_attachments",
    "record_counters",
    "record_history",
    "record_type_versions",
    "record_types",
    "record_unique_values",
    "record_values",
    "records",
    "tasks",
    "thread_follows",
    "time_entries",
    "timesheet_reminders",
    "timesheet_settings",
    "webhook_deliveries",
    "webhooks",
);

/// The collaboration tables, keyed by document.
const DOC_TABLES: [(&str, &str); 4] = [
    (
        "collab_updates",
        "select count(*) from collab_updates where doc_id = $1",
    ),
    (
        "collab_snapshots",
        "select count(*) from collab_snapshots where doc_id = $1",
    ),
    (
        "collab_versions",
        "select count(*) from collab_versions where doc_id = $1",
    ),
    (
        "collab_heads",
        "select count(*) from collab_heads where doc_id = $1",
    ),
];

const FILE_BYTES: &[u8] = b"the bytes of a file kept in the export\n";

async fn status(user: &TestUser, method: Method, path: &str) -> StatusCode {
    call_json(user, method, path, None).await.0
}

async fn delete_org(user: &TestUser, org: &str, confirm: &str) -> (StatusCode, Value) {
    call_json(
        user,
        Method::DELETE,
        &format!("/api/v1/orgs/{org}"),
        Some(json!({ "confirm": confirm })),
    )
    .await
}

/// Starts an export and waits until it is done; its id.
async fn export_done(user: &TestUser, org: &str) -> String {
    let (code, export) = call_json(
        user,
        Method::POST,
        &format!("/api/v1/orgs/{org}/export"),
        None,
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{export}");
    let id = export["id"].as_str().unwrap().to_owned();
    // Asked again while it is queued or running: the same export, not a second one.
    let (code, again) = call_json(
        user,
        Method::POST,
        &format!("/api/v1/orgs/{org}/export"),
        None,
    )
    .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{again}");
    if again["id"] != export["id"] {
        // Only once the first has finished may a second one be queued.
        let (_, list) = call_json(
            user,
            Method::GET,
            &format!("/api/v1/orgs/{org}/exports"),
            None,
        )
        .await;
        let first = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == export["id"])
            .cloned()
            .unwrap();
        assert!(
            first["state"] == "done" || first["state"] == "failed",
            "{first} / {again}"
        );
    }
    let started = Instant::now();
    loop {
        let (code, list) = call_json(
            user,
            Method::GET,
            &format!("/api/v1/orgs/{org}/exports"),
            None,
        )
        .await;
        assert_eq!(code, StatusCode::OK, "{list}");
        let entry = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            .cloned()
            .expect("the export is listed");
        match entry["state"].as_str() {
            Some("done") => {
                assert!(entry["size"].as_i64().unwrap() > 0, "{entry}");
                return id;
            }
            Some("failed") => panic!("the export failed: {entry}"),
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the export is not done: {entry}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The entries of a ZIP, by name.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut entries = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        entries.insert(file.name().to_owned(), content);
    }
    entries
}

fn text(entries: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> String {
    let bytes = entries
        .get(name)
        .unwrap_or_else(|| panic!("{name} is in the export: {:?}", entries.keys()));
    String::from_utf8(bytes.clone()).unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

backend_tests! {
    async fn an_exported_organisation_is_deleted_and_purged(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let bob = fixtures::user(&server, "bob").await;
        let org = fixtures::create_org(&ann, "Acme Works").await.id;
        fixtures::add_org_member(&ann, &org, &bob, OrgRole::Admin).await;
        let project = fixtures::create_project(&ann, &org, "Alpha", Visibility::Open).await.id;

        // Something in every area.
        let doc = fixtures::create_doc(&ann, &project, "Plan").await.id;
        let editor = Editor::new();
        assert_eq!(
            fixtures::post_update(&ann, &doc, editor.append("the export keeps this line")).await,
            StatusCode::NO_CONTENT
        );
        let channel = fixtures::create_channel(&ann, &project, "general", None).await.id;
        fixtures::post_message(&ann, &channel, "hello from the chat", None).await;
        let (code, board) = call_json(&ann, Method::POST, &format!("/api/v1/projects/{project}/boards"), Some(json!({ "name": "Work" }))).await;
        assert_eq!(code, StatusCode::CREATED, "{board}");
        let (code, task) = call_json(&ann, Method::POST, &format!("/api/v1/boards/{}/tasks", board["id"].as_str().unwrap()), Some(json!({ "title": "Ship the export" }))).await;
        assert_eq!(code, StatusCode::CREATED, "{task}");
        fixtures::create_record(&ann, &org, "client", json!({ "name": "Globex", "currency": "eur" })).await;
        let (code, file) = fixtures::upload_file(&ann, &project, "notes.txt", FILE_BYTES).await;
        assert_eq!(code, StatusCode::CREATED, "{file}");
        let file = file["id"].as_str().unwrap().to_owned();

        // Another organisation of the same owner, which must keep everything.
        let other = fixtures::create_org(&ann, "Other Co").await.id;
        let other_project = fixtures::create_project(&ann, &other, "Beta", Visibility::Open).await.id;
        let other_doc = fixtures::create_doc(&ann, &other_project, "Kept").await.id;
        let (code, other_file) = fixtures::upload_file(&ann, &other_project, "kept.txt", b"kept bytes").await;
        assert_eq!(code, StatusCode::CREATED, "{other_file}");
        let other_file = other_file["id"].as_str().unwrap().to_owned();

        // No deletion without a recent export.
        let (code, body) = delete_org(&ann, &org, "Acme Works").await;
        assert_eq!(code, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "export_first", "{body}");

        // The export holds every area.
        let export = export_done(&ann, &org).await;
        let response = ann
            .client
            .request(Method::GET, &format!("/api/v1/orgs/{org}/exports/{export}/download"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
        };
        assert_eq!(header("content-type"), "application/zip");
        assert!(header("content-disposition").starts_with("attachment"), "{}", header("content-disposition"));
        assert!(header("cache-control").contains("private"));
        let entries = unzip(&response.bytes().await.unwrap());
        let org_json: Value = serde_json::from_str(&text(&entries, "org.json")).unwrap();
        assert_eq!(org_json["org"]["name"], "Acme Works");
        assert_eq!(org_json["members"].as_array().unwrap().len(), 2, "{org_json}");
        assert_eq!(org_json["projects"][0]["name"], "Alpha");
        assert!(text(&entries, "documents/Alpha/Plan.md").contains("the export keeps this line"));
        let state = entries.get("documents/Alpha/Plan.yjs").expect("the Yjs state");
        assert_eq!(Editor::from_state(state).text(), "the export keeps this line");
        assert!(text(&entries, "chat/general.jsonl").contains("hello from the chat"));
        assert!(text(&entries, "boards/Alpha.json").contains("Ship the export"));
        assert!(text(&entries, "records/client.csv").contains("Globex"));
        assert_eq!(entries.get("files/Alpha/notes.txt").map(Vec::as_slice), Some(FILE_BYTES));
        assert!(text(&entries, "audit.csv").starts_with("time,actor"));
        // Nothing of the other organisation.
        assert!(!entries.keys().any(|name| name.contains("Beta") || name.contains("kept")), "{:?}", entries.keys());

        // Whoever asked is told it is ready; admins export too.
        atrium_tests::mail::wait_for_mail_containing(&ann.mail_dir, &ann.user.email, "is ready").await;
        let (code, listed) = call_json(&bob, Method::GET, &format!("/api/v1/orgs/{org}/exports"), None).await;
        assert_eq!(code, StatusCode::OK, "{listed}");

        // Wrong name: 422, nothing changes; an admin: 403.
        let (code, body) = delete_org(&ann, &org, "acme works").await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["confirm"].is_string(), "{body}");
        let (code, body) = delete_org(&bob, &org, "Acme Works").await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(status(&ann, Method::GET, &format!("/api/v1/docs/{doc}")).await, StatusCode::OK);
        assert_eq!(db_count(&server, "select count(*) from org_members where org_id = $1", &org).await, 2);

        // A collaboration socket open on one of its documents.
        let mut socket = atrium_tests::collab::connect(&server, &doc, &bob.token).await;
        let first = next_binary(&mut socket).await.expect("the server's SyncStep1");
        assert_eq!(&first[..2], &[0, 0]);

        // An API token scoped to the organisation, and an invitation to it.
        let (code, created) = call_json(&bob, Method::POST, "/api/v1/me/tokens", Some(json!({ "name": "sync", "scopes": ["docs:read"], "org": org }))).await;
        assert_eq!(code, StatusCode::CREATED, "{created}");
        let scoped = server.client().with_token(created["token"].as_str().unwrap().to_owned());
        assert_eq!(call_json(&scoped, Method::GET, &format!("/api/v1/docs/{doc}"), None).await.0, StatusCode::OK);
        let (code, invited) = call_json(&ann, Method::POST, &format!("/api/v1/orgs/{org}/members"), Some(json!({ "email": "carol@example.com", "role": "member" }))).await;
        assert_eq!(code, StatusCode::ACCEPTED, "{invited}");
        assert_eq!(db_count(&server, "select count(*) from invitations where org_id = $1 and email = 'carol@example.com'", &org).await, 1);

        let (code, body) = delete_org(&ann, &org, "Acme Works").await;
        assert_eq!(code, StatusCode::NO_CONTENT, "{body}");
        // At once, before the purge: the token and the invitation are gone.
        assert_eq!(db_count(&server, "select count(*) from orgs where id = $1 and deleted_at is not null", &org).await, 1);
        assert_eq!(call_json(&scoped, Method::GET, &format!("/api/v1/docs/{doc}"), None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(db_count(&server, "select count(*) from invitations where org_id = $1", &org).await, 0);

        // Gone for everyone at once.
        for path in [
            format!("/api/v1/orgs/{org}/members"),
            format!("/api/v1/orgs/{org}/projects"),
            format!("/api/v1/orgs/{org}/exports"),
            format!("/api/v1/projects/{project}"),
            format!("/api/v1/docs/{doc}"),
            format!("/api/v1/files/{file}"),
            format!("/api/v1/files/{file}/content"),
            format!("/api/v1/orgs/{org}/exports/{export}/download"),
        ] {
            assert_eq!(status(&ann, Method::GET, &path).await, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(status(&bob, Method::GET, &path).await, StatusCode::NOT_FOUND, "{path}");
        }
        let (code, again) = delete_org(&ann, &org, "Acme Works").await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{again}");
        for user in [&ann, &bob] {
            let (_, orgs) = call_json(user, Method::GET, "/api/v1/orgs", None).await;
            assert!(orgs["items"].as_array().unwrap().iter().all(|o| o["id"] != org.as_str()), "{orgs}");
        }
        // The members' sessions stay.
        assert_eq!(status(&bob, Method::GET, "/api/v1/me").await, StatusCode::OK);
        // The socket closes.
        while next_binary(&mut socket).await.is_ok() {}
        // The owners are told; the deletion is audited beyond the organisation.
        atrium_tests::mail::wait_for_mail_containing(&ann.mail_dir, &ann.user.email, "was deleted by").await;
        assert_eq!(db_count(&server, "select count(*) from audit_log where action = 'org.deleted' and target_id = $1", &org).await, 1);

        // The purge leaves nothing.
        let started = Instant::now();
        while db_count(&server, "select count(*) from orgs where id = $1", &org).await > 0 {
            assert!(started.elapsed() < Duration::from_secs(90), "the purge did not finish");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        for (table, sql) in ORG_TABLES {
            assert_eq!(db_count(&server, sql, &org).await, 0, "{table} holds rows of the deleted organisation");
        }
        for (table, sql) in DOC_TABLES {
            assert_eq!(db_count(&server, sql, &doc).await, 0, "{table} holds the deleted document");
        }
        assert_eq!(db_count(&server, "select count(*) from project_members where project_id = $1", &project).await, 0);
        // This node's search index forgot it too.
        let started = Instant::now();
        while !server.log().contains("search index: deleted organisations removed") {
            assert!(started.elapsed() < Duration::from_secs(30), "the search index keeps the organisation");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let leftovers = files_under(&server.data_dir().join("files").join("blobs").join(&org));
        assert!(leftovers.is_empty(), "objects left in the store: {leftovers:?}");

        // The other organisation keeps everything.
        assert_eq!(status(&ann, Method::GET, &format!("/api/v1/docs/{other_doc}")).await, StatusCode::OK);
        let kept = ann.client.request(Method::GET, &format!("/api/v1/files/{other_file}/content")).send().await.unwrap();
        assert_eq!(kept.status(), StatusCode::OK);
        assert_eq!(kept.bytes().await.unwrap().as_ref(), b"kept bytes");
        assert_eq!(db_count(&server, "select count(*) from org_members where org_id = $1", &other).await, 1);
        assert!(files_under(&server.data_dir().join("files").join("blobs").join(&other)).len() == 1);
    }
}
