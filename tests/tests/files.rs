//! Files through HTTP on both databases and both storage backends (a directory and S3 against
//! the test moto server): streamed upload and download with ranges and conditional requests,
//! per-org deduplication, versions and trash, aborted and over-quota uploads, permissions, text
//! extraction, storage outages, and memory use with a 200 MB file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use atrium_client::wire::{Org, OrgRole, Project, ProjectRole, Visibility};
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::{Backend, TestServer, services};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Where the server keeps file bytes in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    Local,
    S3,
}

/// Runs each body on SQLite and PostgreSQL, each with local and S3 storage.
macro_rules! storage_tests {
    ($(async fn $name:ident($backend:ident, $storage:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: Backend, $storage: Storage) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite_local() { run(Backend::Sqlite, Storage::Local).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres_local() { run(Backend::Postgres, Storage::Local).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite_s3() { run(Backend::Sqlite, Storage::S3).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres_s3() { run(Backend::Postgres, Storage::S3).await }
            }
        )*
    };
}

async fn start(backend: Backend, storage: Storage, env: &[(&str, String)]) -> TestServer {
    let mut builder = TestServer::builder(backend);
    if storage == Storage::S3 {
        for (key, value) in services::s3_env() {
            builder = builder.env(key, value);
        }
    }
    for (key, value) in env {
        builder = builder.env(key, value.clone());
    }
    builder.start().await
}

struct Workspace {
    server: TestServer,
    storage: Storage,
    owner: TestUser,
    viewer: TestUser,
    outsider: TestUser,
    org: Org,
    project: Project,
    outsider_project: Project,
}

async fn org_and_project(user: &TestUser, name: &str) -> (Org, Project) {
    let org = fixtures::create_org(user, name).await;
    let project = fixtures::create_project(user, &org.id, "Files", Visibility::Open).await;
    (org, project)
}

async fn workspace(backend: Backend, storage: Storage, env: &[(&str, String)]) -> Workspace {
    let server = start(backend, storage, env).await;
    let owner = fixtures::user(&server, "owner").await;
    let viewer = fixtures::user(&server, "viewer").await;
    let outsider = fixtures::user(&server, "outsider").await;
    let (org, project) = org_and_project(&owner, "Acme").await;
    let (_, outsider_project) = org_and_project(&outsider, "Elsewhere").await;
    fixtures::add_org_member(&owner, &org.id, &viewer, OrgRole::Member).await;
    fixtures::add_project_member(&owner, &project.id, viewer.id(), ProjectRole::Viewer).await;
    Workspace {
        server,
        storage,
        owner,
        viewer,
        outsider,
        org,
        project,
        outsider_project,
    }
}

async fn uploaded(user: &TestUser, project: &str, name: &str, bytes: &[u8]) -> Value {
    let (status, body) = fixtures::upload_file(user, project, name, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Starts an upload of `name` over a raw socket declaring `declared` file bytes and sends
/// `sent` of them (seeded noise); the rest is left to the caller (or never sent).
async fn partial_upload(
    w: &Workspace,
    name: &str,
    declared: usize,
    sent: usize,
    seed: u64,
) -> tokio::net::TcpStream {
    let head = fixtures::multipart_head(name);
    let address = w.server.url().trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/v1/projects/{}/files HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {}\r\nContent-Length: {}\r\n\r\n",
        w.project.id,
        w.owner.token,
        fixtures::multipart_content_type(),
        head.len() + declared + fixtures::multipart_tail().len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&head).await.unwrap();
    socket.write_all(&noise(sent, seed)).await.unwrap();
    socket.flush().await.unwrap();
    socket
}

/// Starts an upload declaring `declared` file bytes, sends `sent` of them and waits for the
/// answer's head (the status line and headers), which comes before the rest.
async fn refusal_head_with_body_unsent(w: &Workspace, declared: usize, sent: usize) -> String {
    use tokio::io::AsyncReadExt;
    let mut socket = partial_upload(w, "partial.bin", declared, sent, 9).await;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(20), socket.read(&mut buffer))
                .await
                .expect("an answer before the body's end")
                .unwrap();
        assert!(
            read > 0,
            "closed without an answer: {}",
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// Uploads a file, answering also whether the response told the client to close the connection.
async fn upload_noting_close(
    user: &TestUser,
    project: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value, bool) {
    let mut body = fixtures::multipart_head(name);
    body.extend_from_slice(bytes);
    body.extend_from_slice(&fixtures::multipart_tail());
    let response = user
        .client
        .request(Method::POST, &format!("/api/v1/projects/{project}/files"))
        .header("content-type", fixtures::multipart_content_type())
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let closes = response
        .headers()
        .get("connection")
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
    (status, response.json().await.unwrap_or(Value::Null), closes)
}

async fn send(user: &TestUser, method: Method, path: &str) -> StatusCode {
    user.client
        .request(method, path)
        .send()
        .await
        .unwrap()
        .status()
}

async fn get(
    user: &TestUser,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = user.client.request(Method::GET, path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

async fn list(user: &TestUser, project: &str, trashed: bool) -> Vec<Value> {
    let page: Value = user
        .client
        .get(&format!(
            "/api/v1/projects/{project}/files?trashed={trashed}"
        ))
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic bytes that do not repeat per org (so tests do not dedupe by accident).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}

/// The objects the server stores for `org` (blob keys) and its temporaries in flight.
async fn objects(w: &Workspace) -> (Vec<String>, usize) {
    match w.storage {
        Storage::Local => {
            let root = w.server.data_dir().join("files");
            let blobs = files_in(&root.join("blobs").join(&w.org.id));
            let temps = files_in(&root.join("tmp")).len();
            (blobs, temps)
        }
        Storage::S3 => {
            let env: std::collections::HashMap<_, _> = services::s3_env().into_iter().collect();
            let endpoint = format!("{}/{}", env["ATRIUM_S3_ENDPOINT"], env["ATRIUM_S3_BUCKET"]);
            let blobs = s3_list(&endpoint, &format!("blobs/{}/", w.org.id), "Key")
                .await
                .into_iter()
                .map(|key| key.rsplit('/').next().unwrap_or_default().to_owned())
                .collect();
            let temps = s3_list(&endpoint, &format!("tmp/{}/", w.org.id), "Key")
                .await
                .len()
                + s3_uploads(&endpoint, &format!("tmp/{}/", w.org.id)).await;
            (blobs, temps)
        }
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Values of `<tag>` elements in an S3 XML answer (moto does not check signatures).
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next().map(str::to_owned))
        .collect()
}

async fn s3_list(bucket_url: &str, prefix: &str, tag: &str) -> Vec<String> {
    let xml = reqwest::get(format!("{bucket_url}?list-type=2&prefix={prefix}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    xml_values(&xml, tag)
}

async fn s3_uploads(bucket_url: &str, prefix: &str) -> usize {
    let xml = reqwest::get(format!("{bucket_url}?uploads&prefix={prefix}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    xml_values(&xml, "UploadId").len()
}

/// Polls `check` every 50 ms until it holds, for up to 30 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A one-page PDF with `sentence` in Helvetica, cross-reference offsets computed.
fn pdf(sentence: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({sentence}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ];
    fixtures::pdf_of_objects(&objects.map(String::into_bytes))
}

/// A minimal DOCX: content types, package relationships and the document part.
fn docx(paragraphs: &[&str]) -> Vec<u8> {
    use std::io::Write;
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>"))
        .collect();
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "word/document.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
            ),
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    buffer.into_inner()
}

storage_tests! {
    async fn upload_and_download_round_trip(backend, storage) {
        let w = workspace(backend, storage, &[]).await;
        let bytes = noise(300_000, 1);
        let file = uploaded(&w.owner, &w.project.id, "../../etc/data.bin", &bytes).await;
        assert_eq!(file["name"], "data.bin");
        assert_eq!(file["size"], 300_000);
        assert_eq!(file["sha256"], sha256(&bytes));
        assert_eq!(file["content_type"], "application/octet-stream");
        let id = file["id"].as_str().unwrap().to_owned();
        let content = format!("/api/v1/files/{id}/content");

        let (status, headers, body) = get(&w.viewer, &content, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == bytes, "the downloaded bytes differ");
        let etag = format!("\"{}\"", sha256(&bytes));
        assert_eq!(headers["etag"], etag.as_str());
        assert_eq!(headers["accept-ranges"], "bytes");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-disposition"], "attachment; filename=\"data.bin\"; filename*=UTF-8''data.bin");

        // Ranges: a slice, an open end, a suffix, and one past the end.
        let (status, headers, body) = get(&w.viewer, &content, &[("range", "bytes=1000-1999")]).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(headers["content-range"], "bytes 1000-1999/300000");
        assert!(body == bytes[1000..2000]);
        let (status, _, body) = get(&w.viewer, &content, &[("range", "bytes=299990-")]).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        assert!(body == bytes[299_990..]);
        let (_, _, body) = get(&w.viewer, &content, &[("range", "bytes=-5")]).await;
        assert!(body == bytes[299_995..]);
        let (status, headers, _) = get(&w.viewer, &content, &[("range", "bytes=300000-")]).await;
        assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(headers["content-range"], "bytes */300000");

        // Conditional requests.
        let (status, _, body) = get(&w.viewer, &content, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        let (status, _, body) = get(&w.viewer, &content, &[("range", "bytes=0-9"), ("if-range", "\"stale\"")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.len(), 300_000);
        let (status, _, _) = get(&w.viewer, &content, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);

        // Types come from the bytes; active ones are attachments, passive ones inline.
        let html = uploaded(&w.owner, &w.project.id, "page.txt", b"<!DOCTYPE html><script>alert(1)</script>").await;
        assert_eq!(html["content_type"], "text/html");
        let (_, headers, _) = get(&w.viewer, &format!("/api/v1/files/{}/content", html["id"].as_str().unwrap()), &[]).await;
        assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
        assert_eq!(headers["x-frame-options"], "DENY");
        // A PDF may be framed by the app's own pages (its preview), by nobody else, and is not
        // sandboxed (the browser's PDF viewer refuses to run in a sandboxed document).
        let pdf = uploaded(&w.owner, &w.project.id, "brief.pdf", b"%PDF-1.4\n%%EOF\n").await;
        assert_eq!(pdf["content_type"], "application/pdf");
        let (_, headers, _) = get(&w.viewer, &format!("/api/v1/files/{}/content", pdf["id"].as_str().unwrap()), &[]).await;
        assert!(headers["content-disposition"].to_str().unwrap().starts_with("inline;"));
        assert_eq!(headers["content-security-policy"], "default-src 'none'; frame-ancestors 'self'");
        assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
        let odd = uploaded(&w.owner, &w.project.id, "report; v=2: final.txt", b"plain words").await;
        assert_eq!(odd["content_type"], "text/plain");
        let (_, headers, _) = get(&w.viewer, &format!("/api/v1/files/{}/content", odd["id"].as_str().unwrap()), &[]).await;
        assert_eq!(headers["content-disposition"], "inline; filename=\"report_ v_2_ final.txt\"; filename*=UTF-8''report%3B%20v%3D2%3A%20final.txt");

        // Versions: a new upload becomes current; the old one stays downloadable.
        let (status, v2) = fixtures::post_multipart(&w.owner, &format!("/api/v1/files/{id}/versions"), "data-v2.bin", b"second version").await;
        assert_eq!(status, StatusCode::CREATED, "{v2}");
        assert_eq!(v2["version"], 2);
        assert_eq!(v2["name"], "data-v2.bin");
        let (_, _, body) = get(&w.viewer, &content, &[]).await;
        assert_eq!(body, b"second version");
        let versions: Value = w.viewer.client.get(&format!("/api/v1/files/{id}/versions")).await.unwrap();
        let versions = versions["items"].as_array().unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1]["number"], 1);
        let first = versions[1]["id"].as_str().unwrap();
        let (status, _, body) = get(&w.viewer, &format!("/api/v1/files/{id}/versions/{first}/content"), &[("range", "bytes=10-19")]).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        assert!(body == bytes[10..20]);
        let (objects, temps) = objects(&w).await;
        assert_eq!((objects.len(), temps), (5, 0), "{objects:?}");
        let metrics = reqwest::get(format!("{}/metrics", w.server.url())).await.unwrap().text().await.unwrap();
        assert!(metrics.contains(r#"atrium_files_uploads_total{outcome="stored"} 5"#), "{metrics}");
        assert!(metrics.contains("atrium_files_stored_bytes_total"), "{metrics}");
    }

    async fn identical_content_is_stored_once(backend, storage) {
        let w = workspace(backend, storage, &[]).await;
        let bytes = noise(50_000, 2);
        let a = uploaded(&w.owner, &w.project.id, "a.bin", &bytes).await;
        let b = uploaded(&w.owner, &w.project.id, "b.bin", &bytes).await;
        assert_ne!(a["id"], b["id"]);
        assert_eq!(a["sha256"], b["sha256"]);
        assert_eq!(objects(&w).await, (vec![sha256(&bytes)], 0));
        let a_id = a["id"].as_str().unwrap();
        let b_id = b["id"].as_str().unwrap();

        // Another org's identical bytes are its own object.
        let (_, theirs) = fixtures::upload_file(&w.outsider, &w.outsider_project.id, "x.bin", &bytes).await;
        assert_eq!(theirs["sha256"], a["sha256"]);

        // Trash and restore keep the bytes; purge needs the trash first.
        assert_eq!(send(&w.owner, Method::POST, &format!("/api/v1/files/{a_id}/purge")).await, StatusCode::CONFLICT);
        assert_eq!(send(&w.owner, Method::DELETE, &format!("/api/v1/files/{a_id}")).await, StatusCode::OK);
        assert_eq!(list(&w.owner, &w.project.id, false).await.len(), 1);
        assert_eq!(list(&w.owner, &w.project.id, true).await.len(), 1);
        assert_eq!(send(&w.owner, Method::POST, &format!("/api/v1/files/{a_id}/restore")).await, StatusCode::OK);
        assert_eq!(list(&w.owner, &w.project.id, false).await.len(), 2);

        // Deleting one reference for good keeps the other readable.
        assert_eq!(send(&w.owner, Method::DELETE, &format!("/api/v1/files/{a_id}")).await, StatusCode::OK);
        assert_eq!(send(&w.owner, Method::POST, &format!("/api/v1/files/{a_id}/purge")).await, StatusCode::NO_CONTENT);
        assert_eq!(send(&w.owner, Method::GET, &format!("/api/v1/files/{a_id}")).await, StatusCode::NOT_FOUND);
        let (status, _, body) = get(&w.owner, &format!("/api/v1/files/{b_id}/content"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == bytes);
        assert_eq!(objects(&w).await, (vec![sha256(&bytes)], 0));

        // The last reference takes the object with it.
        assert_eq!(send(&w.owner, Method::DELETE, &format!("/api/v1/files/{b_id}")).await, StatusCode::OK);
        assert_eq!(send(&w.owner, Method::POST, &format!("/api/v1/files/{b_id}/purge")).await, StatusCode::NO_CONTENT);
        assert_eq!(objects(&w).await, (Vec::new(), 0));
        let (status, _, body) = get(&w.outsider, &format!("/api/v1/files/{}/content", theirs["id"].as_str().unwrap()), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == bytes);
    }

    async fn an_aborted_upload_leaves_nothing(backend, storage) {
        let w = workspace(backend, storage, &[]).await;
        // 9 MiB of a declared 20 MiB: past one S3 part, so a multipart upload is under way.
        let declared = 20 * 1024 * 1024;
        let sent = 9 * 1024 * 1024;
        let socket = partial_upload(&w, "cut.bin", declared, sent, 3).await;
        eventually("the upload to reach storage", || async { objects(&w).await.1 > 0 }).await;
        drop(socket);

        eventually("the temporary object to go", || async { objects(&w).await == (Vec::new(), 0) }).await;
        assert!(list(&w.owner, &w.project.id, false).await.is_empty());
        assert!(list(&w.owner, &w.project.id, true).await.is_empty());
        // The server is fine afterwards.
        uploaded(&w.owner, &w.project.id, "ok.txt", b"fine").await;
    }

    async fn limits_refuse_uploads_and_store_nothing(backend, storage) {
        let env = [
            ("ATRIUM_FILES_ORG_QUOTA_BYTES", "1000000".to_owned()),
            ("ATRIUM_FILES_MAX_UPLOAD_BYTES", "700000".to_owned()),
        ];
        let w = workspace(backend, storage, &env).await;
        let (status, body) = fixtures::upload_file(&w.owner, &w.project.id, "big.bin", &noise(800_000, 6)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
        let first = noise(600_000, 4);
        uploaded(&w.owner, &w.project.id, "first.bin", &first).await;

        let (status, body) = fixtures::upload_file(&w.owner, &w.project.id, "second.bin", &noise(600_000, 5)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "quota_exceeded");
        // Refused part-way with the rest of the body still to come (here: never sent), the
        // answer must tell the client not to reuse the connection, or its next request races
        // the close.
        let head = refusal_head_with_body_unsent(&w, 2_000_000, 500_000).await;
        assert!(head.starts_with("HTTP/1.1 409"), "{head}");
        assert!(head.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{head}");
        // The same client goes on at once after refusals whose bodies were all sent but not all
        // read (the case that once raced: a kept connection the server then dropped).
        for seed in 10..20 {
            let (status, _) = fixtures::upload_file(&w.owner, &w.project.id, "again.bin", &noise(600_000, seed)).await;
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(list(&w.owner, &w.project.id, false).await.len(), 1);
        }
        assert_eq!(list(&w.owner, &w.project.id, false).await.len(), 1);
        eventually("no temporaries", || async { objects(&w).await == (vec![sha256(&first)], 0) }).await;

        // What still fits is accepted; a non-multipart body is refused clearly.
        let (status, body, closes) = upload_noting_close(&w.owner, &w.project.id, "again.bin", &first[..300_000]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(!closes, "a fully read upload keeps its connection");
        let response = w.owner.client.request(Method::POST, &format!("/api/v1/projects/{}/files", w.project.id))
            .header("content-type", "application/json").body("{}").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (status, body) = fixtures::post_multipart(&w.owner, &format!("/api/v1/projects/{}/files", w.project.id), "x", b"").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["size"], 0);
    }

    async fn pdf_and_docx_text_is_extracted(backend, storage) {
        let w = workspace(backend, storage, &[]).await;
        let pdf_file = uploaded(&w.owner, &w.project.id, "report.pdf", &pdf("The quick brown fox jumps over the lazy dog")).await;
        assert_eq!(pdf_file["content_type"], "application/pdf");
        let docx_file = uploaded(&w.owner, &w.project.id, "minutes.docx",
            &docx(&["Minutes of the meeting.", "The committee approved the budget for the new bridge."])).await;
        let broken = uploaded(&w.owner, &w.project.id, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ntruncated garbage").await;
        let markdown = uploaded(&w.owner, &w.project.id, "notes.md", b"# Notes\nRemember the *milk*.").await;
        assert_eq!(markdown["content_type"], "text/markdown");

        let text = fixtures::extraction_finished(&w.viewer, pdf_file["id"].as_str().unwrap(), Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "done", "{text}");
        assert!(text["text"].as_str().unwrap().contains("The quick brown fox jumps over the lazy dog"), "{text}");
        let text = fixtures::extraction_finished(&w.viewer, docx_file["id"].as_str().unwrap(), Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "done", "{text}");
        assert!(text["text"].as_str().unwrap().contains("The committee approved the budget for the new bridge."), "{text}");
        let text = fixtures::extraction_finished(&w.viewer, markdown["id"].as_str().unwrap(), Duration::from_secs(60)).await;
        assert!(text["text"].as_str().unwrap().contains("Remember the *milk*."), "{text}");

        // A malformed PDF fails extraction with a reason; the file itself is fine.
        let broken_id = broken["id"].as_str().unwrap();
        let text = fixtures::extraction_finished(&w.viewer, broken_id, Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "failed", "{text}");
        assert!(text["error"].as_str().is_some_and(|e| !e.is_empty()));
        let (status, _, body) = get(&w.viewer, &format!("/api/v1/files/{broken_id}/content"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with(b"%PDF-1.7"));

        // The text reached the change feed in the shape the search indexer maps.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(w.server.database_url()).await.unwrap();
        let rows: Vec<(String, String)> = sqlx::query_as("select op, payload from change_feed where kind = 'file' and entity_id = $1 order by seq")
            .bind(docx_file["id"].as_str().unwrap()).fetch_all(&pool).await.unwrap();
        let (op, payload) = rows.last().unwrap();
        assert_eq!(op, "upsert");
        let payload: Value = serde_json::from_str(payload).unwrap();
        assert_eq!(payload["title"], "minutes.docx");
        assert_eq!(payload["project"], w.project.id.as_str());
        assert_eq!(payload["author"], w.owner.id());
        assert!(payload["body"].as_str().unwrap().contains("approved the budget"));
        assert!(payload["created"].as_i64().is_some() && payload["updated"].as_i64().is_some());
        pool.close().await;
        let metrics = reqwest::get(format!("{}/metrics", w.server.url())).await.unwrap().text().await.unwrap();
        assert!(metrics.contains(r#"atrium_files_extractions_total{outcome="failed"} 1"#), "{metrics}");
        assert!(metrics.contains("atrium_files_extraction_duration_seconds_count"), "{metrics}");
    }
}

atrium_tests::backend_tests! {
    async fn image_previews_are_bounded_pngs(backend) {
        let w = workspace(backend, Storage::Local, &[]).await;
        let mut source = Vec::new();
        image::RgbImage::from_pixel(640, 320, image::Rgb([20, 120, 200]))
            .write_to(&mut std::io::Cursor::new(&mut source), image::ImageFormat::Png)
            .unwrap();
        let file = uploaded(&w.owner, &w.project.id, "diagram.png", &source).await;
        let id = file["id"].as_str().unwrap();
        let path = format!("/api/v1/files/{id}/thumbnail?size=64");
        let (status, headers, body) = get(&w.viewer, &path, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "image/png");
        let preview = image::load_from_memory(&body).unwrap();
        assert_eq!((preview.width(), preview.height()), (64, 32));
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, _) = get(&w.viewer, &path, &[("if-none-match", etag.as_str())]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);

        let (status, _, _) = get(&w.owner, &format!("/api/v1/files/{id}/thumbnail?size=5000"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, _) = get(&w.outsider, &path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let text = uploaded(&w.owner, &w.project.id, "notes.txt", b"plain words").await;
        let (status, _, _) = get(&w.owner, &format!("/api/v1/files/{}/thumbnail", text["id"].as_str().unwrap()), &[]).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        // A PNG whose header claims 100,000 × 100,000 pixels is refused cleanly.
        let mut hostile = source.clone();
        hostile[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        hostile[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let bomb = uploaded(&w.owner, &w.project.id, "bomb.png", &hostile).await;
        let (status, _, _) = get(&w.owner, &format!("/api/v1/files/{}/thumbnail", bomb["id"].as_str().unwrap()), &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, _) = get(&w.owner, &path, &[]).await;
        assert_eq!(status, StatusCode::OK, "the server carries on");
    }

    async fn viewers_download_and_other_orgs_see_nothing(backend) {
        let w = workspace(backend, Storage::Local, &[]).await;
        let file = uploaded(&w.owner, &w.project.id, "plan.txt", b"the plan").await;
        let id = file["id"].as_str().unwrap();

        let (status, _, body) = get(&w.viewer, &format!("/api/v1/files/{id}/content"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"the plan");
        assert_eq!(list(&w.viewer, &w.project.id, false).await.len(), 1);
        let (status, _) = fixtures::upload_file(&w.viewer, &w.project.id, "mine.txt", b"no").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = fixtures::post_multipart(&w.viewer, &format!("/api/v1/files/{id}/versions"), "v2.txt", b"no").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(send(&w.viewer, Method::DELETE, &format!("/api/v1/files/{id}")).await, StatusCode::FORBIDDEN);

        for path in [
            format!("/api/v1/files/{id}"),
            format!("/api/v1/files/{id}/content"),
            format!("/api/v1/files/{id}/versions"),
            format!("/api/v1/files/{id}/text"),
            format!("/api/v1/projects/{}/files", w.project.id),
        ] {
            assert_eq!(send(&w.outsider, Method::GET, &path).await, StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(send(&w.outsider, Method::DELETE, &format!("/api/v1/files/{id}")).await, StatusCode::NOT_FOUND);
        let (status, body) = fixtures::upload_file(&w.outsider, &w.project.id, "x.txt", b"x").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(send(&w.owner, Method::GET, "/api/v1/files/no-such-file").await, StatusCode::NOT_FOUND);
        assert_eq!(list(&w.owner, &w.project.id, false).await.len(), 1);
    }

    async fn storage_outage_is_a_clear_503(backend) {
        let s3 = PrivateS3::start();
        let server = TestServer::builder(backend)
            .env("ATRIUM_S3_ENDPOINT", s3.endpoint())
            .env("ATRIUM_S3_REGION", "eu-west-1")
            .env("ATRIUM_S3_BUCKET", "atrium-test")
            .env("ATRIUM_S3_ACCESS_KEY", "test")
            .env("ATRIUM_S3_SECRET_KEY", "test")
            .start()
            .await;
        let owner = fixtures::user(&server, "owner").await;
        let (_, project) = org_and_project(&owner, "Acme").await;
        uploaded(&owner, &project.id, "before.txt", b"stored before the outage").await;

        s3.stop();
        let (status, body) = fixtures::upload_file(&owner, &project.id, "during.txt", b"small").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "unavailable");
        let (status, _) = fixtures::upload_file(&owner, &project.id, "during-big.bin", &noise(10 * 1024 * 1024, 7)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let names: Vec<Value> = list(&owner, &project.id, false).await.into_iter().map(|f| f["name"].clone()).collect();
        assert_eq!(names, vec![Value::from("before.txt")]);

        // Back (empty, as moto keeps nothing): uploads work again.
        s3.restart();
        let file = uploaded(&owner, &project.id, "after.txt", b"stored after the outage").await;
        let (status, _, body) = get(&owner, &format!("/api/v1/files/{}/content", file["id"].as_str().unwrap()), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"stored after the outage");
        assert_eq!(list(&owner, &project.id, false).await.len(), 2);
    }
}

/// A moto server of the test's own, for tests that stop and start it. Stopped on drop.
struct PrivateS3 {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateS3 {
    fn start() -> Self {
        let s3 = Self {
            dir: tempfile::tempdir().unwrap(),
            port: services::free_port(),
        };
        s3.run(&["start", &s3.port.to_string()]);
        s3
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stop(&self) {
        self.run(&["stop"]);
    }

    fn restart(&self) {
        self.run(&["start"]);
    }

    fn run(&self, args: &[&str]) {
        let script = scripts_dir().join("s3.sh");
        let (action, rest) = args.split_first().unwrap();
        let output = Command::new("bash")
            .arg(&script)
            .arg(action)
            .arg(self.dir.path())
            .args(rest)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "s3.sh {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateS3 {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(scripts_dir().join("s3.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

fn scripts_dir() -> PathBuf {
    std::env::var_os("ATRIUM_TEST_SERVICES_SCRIPTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/services"))
}

/// Size of the large-file test.
const LARGE: u64 = 200 * 1024 * 1024;
const BLOCK: usize = 64 * 1024;

/// Block `index` of the large file: a fixed pattern stamped with its index, so every block
/// differs and any byte can be computed from its offset.
fn large_block(index: u64) -> Vec<u8> {
    let mut block: Vec<u8> = (0..BLOCK).map(|i| (i * 31 % 251) as u8).collect();
    block[..8].copy_from_slice(&index.to_le_bytes());
    block
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

/// Samples the server's RSS until told to stop; returns the highest value seen.
fn watch_rss(
    pid: u32,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<u64>,
) {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            peak = peak.max(rss_kib(pid));
            tokio::select! {
                _ = &mut stopped => return peak,
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    });
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_file_streams_in_flat_memory() {
    let w = workspace(Backend::Sqlite, Storage::Local, &[]).await;
    // Warm up: the first upload and download allocate what every later one reuses.
    let warm = uploaded(
        &w.owner,
        &w.project.id,
        "warm.bin",
        &noise(2 * 1024 * 1024, 8),
    )
    .await;
    get(
        &w.owner,
        &format!("/api/v1/files/{}/content", warm["id"].as_str().unwrap()),
        &[],
    )
    .await;
    let pid = w.server.pid();
    let baseline = rss_kib(pid);

    let (stop, watcher) = watch_rss(pid);
    let blocks = LARGE / BLOCK as u64;
    let parts = futures::stream::iter(
        std::iter::once(fixtures::multipart_head("large.bin"))
            .chain((0..blocks).map(large_block))
            .chain(std::iter::once(fixtures::multipart_tail())),
    )
    .map(Ok::<_, std::io::Error>);
    let response = w
        .owner
        .client
        .request(
            Method::POST,
            &format!("/api/v1/projects/{}/files", w.project.id),
        )
        .header("content-type", fixtures::multipart_content_type())
        .header(
            "content-length",
            (LARGE as usize
                + fixtures::multipart_head("large.bin").len()
                + fixtures::multipart_tail().len())
            .to_string(),
        )
        .body(reqwest::Body::wrap_stream(parts))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let file: Value = response.json().await.unwrap();
    let mut expected = Sha256::new();
    for index in 0..blocks {
        expected.update(large_block(index));
    }
    let expected = hex::encode(expected.finalize());
    assert_eq!(file["size"], LARGE);
    assert_eq!(file["sha256"], expected.as_str());

    let content = format!("/api/v1/files/{}/content", file["id"].as_str().unwrap());
    let response = w
        .owner
        .client
        .request(Method::GET, &content)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.bytes_stream();
    let mut downloaded = Sha256::new();
    let mut length = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        length += chunk.len() as u64;
        downloaded.update(&chunk);
    }
    let _ = stop.send(());
    let peak = watcher.await.unwrap();
    assert_eq!(length, LARGE);
    assert_eq!(hex::encode(downloaded.finalize()), expected);
    let growth_mib = peak.saturating_sub(baseline) / 1024;
    assert!(
        growth_mib < 50,
        "server RSS grew by {growth_mib} MiB (baseline {baseline} KiB, peak {peak} KiB)"
    );

    // A range deep inside the file is exactly that slice.
    let start = 150 * 1024 * 1024 + 12_345;
    let (status, _, body) = get(
        &w.owner,
        &content,
        &[("range", &format!("bytes={start}-{}", start + 99_999))],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    let first = start / BLOCK as u64;
    let whole: Vec<u8> = (first..first + 3).flat_map(large_block).collect();
    let skip = (start - first * BLOCK as u64) as usize;
    let expected = &whole[skip..skip + 100_000];
    assert!(body == expected, "the range differs");
}
