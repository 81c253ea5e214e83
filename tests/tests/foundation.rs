//! The foundation through its real interfaces: operations endpoints, errors, migrations,
//! graceful shutdown, logs, static app serving, and the deployment files.

use std::time::{Duration, Instant};

use atrium_client::wire::SignupRequest;
use atrium_tests::services::{self, PrivatePostgres};
use atrium_tests::{Backend, TestDatabase, TestServer, backend_tests, server};
use nix::sys::signal::Signal;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn signup_body(email: &str) -> SignupRequest {
    SignupRequest {
        email: email.to_owned(),
        password: "a long enough password".to_owned(),
        name: "Ann Lee".to_owned(),
        handle: None,
    }
}

/// Number of migration files of a dialect: what a migrated database must record.
fn migration_count(backend: Backend) -> usize {
    let dialect = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(dialect);
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count()
}

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "errors are JSON"
    );
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{body}"
    );
    (status, body)
}

fn metric_value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

backend_tests! {
    async fn operations_endpoints_answer(backend) {
        let server = TestServer::builder(backend).env("ATRIUM_NODE_ID", "edge-1").start().await;
        let client = server.client();

        let health = client.health().await.unwrap();
        assert_eq!(health.status, "ok");

        let (status, ready) = client.readiness().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{ready:?}");
        assert_eq!(ready.status, "ready");
        assert!(ready.checks["database"].ok);
        assert!(!ready.checks.contains_key("redis"), "Redis is checked only when configured");
        assert_eq!(ready.node, "edge-1", "the node says which it is");

        let doc = client.openapi().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in ["/healthz", "/readyz", "/metrics", "/api/v1/auth/signup"] {
            assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
        }

        let http = reqwest::Client::new();
        let _ = http.get(format!("{}/api/v1/no-such-route", server.url())).send().await.unwrap();
        let metrics = http.get(format!("{}/metrics", server.url())).send().await.unwrap();
        assert_eq!(metrics.status(), StatusCode::OK);
        let metrics = metrics.text().await.unwrap();
        assert!(metrics.contains(r#"atrium_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{metrics}");
        assert!(metrics.contains(r#"atrium_http_requests_total{method="GET",route="/api/{*rest}",status="404"} 1"#), "{metrics}");
        assert!(metrics.contains(r#"atrium_http_request_duration_seconds_bucket{method="GET",route="/readyz""#), "{metrics}");
        assert!(metric_value(&metrics, r#"atrium_websockets_open{kind="collab"}"#).is_some(), "{metrics}");
        assert!(metric_value(&metrics, r#"atrium_db_pool_connections{state="idle"}"#).is_some(), "{metrics}");
        assert_eq!(metric_value(&metrics, "atrium_db_pool_max_connections"), Some(16.0));
        assert_eq!(metric_value(&metrics, r#"atrium_node_info{node="edge-1"}"#), Some(1.0), "{metrics}");

        // Unnamed, a node is the UUID kept in its data directory; a bad name is refused.
        let unnamed = TestServer::start(backend).await;
        let (_, ready) = unnamed.client().readiness().await.unwrap();
        assert!(uuid::Uuid::parse_str(&ready.node).is_ok(), "{ready:?}");
        let refused = std::process::Command::new(server::binary())
            .args(["serve", "--node-id", "no spaces/here"])
            .env_clear()
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("1 to 64 letters"), "{refused:?}");
    }

    async fn errors_have_the_contract_shape(backend) {
        let server = TestServer::builder(backend).env("ATRIUM_MAX_BODY_BYTES", "2048").start().await;
        let http = reqwest::Client::new();
        let signup = format!("{}/api/v1/auth/signup", server.url());

        let malformed = http.post(&signup).header("content-type", "application/json").body("{\"email\": ").send().await.unwrap();
        let (status, body) = error_of(malformed).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")));

        let wrong_shape = http.post(&signup).json(&json!({"email": 5})).send().await.unwrap();
        let (status, body) = error_of(wrong_shape).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")));

        let not_json = http.post(&signup).body("email=a@b.c").send().await.unwrap();
        let (status, _) = error_of(not_json).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        // A well-formed body over the limit: refused whole, and nothing is created.
        let mut oversized = serde_json::to_value(signup_body("ann@example.com")).unwrap();
        oversized["name"] = json!("x".repeat(4096));
        let too_large = http.post(&signup).json(&oversized).send().await.unwrap();
        let (status, body) = error_of(too_large).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));

        let invalid = http.post(&signup).json(&json!({"email": "nope", "password": "short", "name": ""})).send().await.unwrap();
        let (status, body) = error_of(invalid).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["email", "password", "name"] {
            assert!(body["error"]["fields"][field].is_string(), "{body}");
        }

        let unknown = http.get(format!("{}/api/v1/nothing/here", server.url())).send().await.unwrap();
        let (status, body) = error_of(unknown).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

        let wrong_method = http.delete(format!("{}/api/v1/auth/signup", server.url())).send().await.unwrap();
        let (status, _) = error_of(wrong_method).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

        // None of the refused requests created the account.
        let created = server.client().signup(&signup_body("ann@example.com")).await.unwrap();
        assert_eq!(created.user.email, "ann@example.com");
        assert_eq!(created.user.handle, "ann");
    }

    async fn signup_normalises_and_refuses_duplicates(backend) {
        let server = TestServer::start(backend).await;
        let client = server.client();
        let first = client.signup(&signup_body("  Bob@Example.com ")).await.unwrap().user;
        assert_eq!((first.email.as_str(), first.handle.as_str()), ("bob@example.com", "bob"));

        let again = client.signup(&signup_body("BOB@example.com")).await.unwrap_err();
        assert_eq!((again.status(), again.code()), (Some(StatusCode::CONFLICT), Some("email_taken")));

        // Same local part elsewhere: the derived handle gets a suffix.
        let second = client.signup(&signup_body("bob@other.example")).await.unwrap().user;
        assert_eq!(second.handle, "bob2");

        let mut chosen = signup_body("carol@example.com");
        chosen.handle = Some("bob".to_owned());
        let taken = client.signup(&chosen).await.unwrap_err();
        assert_eq!((taken.status(), taken.code()), (Some(StatusCode::CONFLICT), Some("handle_taken")));
    }

    async fn migrations_apply_from_empty_and_are_idempotent(backend) {
        let dir = tempfile::tempdir().unwrap();
        let database = TestDatabase::create(backend, dir.path()).await;
        let expected = migration_count(backend);
        for run in 0..2 {
            let output = std::process::Command::new(server::binary())
                .args(["migrate", "--data-dir"])
                .arg(dir.path().join("data"))
                .env("ATRIUM_DATABASE_URL", database.url())
                .output()
                .unwrap();
            assert!(output.status.success(), "run {run}: {}", String::from_utf8_lossy(&output.stderr));
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.contains(&format!("({expected} migrations)")), "run {run}: {stdout}");
        }
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(database.url()).await.unwrap();
        let (recorded,): (i64,) = sqlx::query_as("select count(*) from _sqlx_migrations").fetch_one(&pool).await.unwrap();
        assert_eq!(recorded, i64::try_from(expected).unwrap());
        let (feed,): (i64,) = sqlx::query_as("select count(*) from change_feed").fetch_one(&pool).await.unwrap();
        assert_eq!(feed, 0);
        pool.close().await;

        // A server started on the migrated database finds nothing to do and serves.
        let server = TestServer::builder(backend).database(database).start().await;
        assert_eq!(server.client().health().await.unwrap().status, "ok");
    }

    async fn sigterm_finishes_in_flight_requests_and_exits_zero(backend) {
        let mut server = TestServer::start(backend).await;
        let http = reqwest::Client::new();

        // A signup whose body arrives in two parts: the request is in flight between them.
        let body = serde_json::to_vec(&signup_body("slow@example.com")).unwrap();
        let (first, rest) = body.split_at(body.len() / 2);
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
        let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (Ok::<_, std::io::Error>(c), rx)) });
        let request = http
            .post(format!("{}/api/v1/auth/signup", server.url()))
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        let in_flight = tokio::spawn(request);
        tx.send(first.to_vec()).await.unwrap();

        // Wait until the server counts it (the metrics request itself is the other one).
        let metrics_url = format!("{}/metrics", server.url());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let metrics = http.get(&metrics_url).send().await.unwrap().text().await.unwrap();
            if metric_value(&metrics, "atrium_http_requests_in_flight") >= Some(2.0) {
                break;
            }
            assert!(Instant::now() < deadline, "the slow request never reached the server");
            tokio::task::yield_now().await;
        }

        let signalled = Instant::now();
        server.signal(Signal::SIGTERM);
        // New connections are refused once the server has stopped accepting.
        let fresh = reqwest::Client::new();
        loop {
            if fresh.get(format!("{}/healthz", server.url())).send().await.is_err() {
                break;
            }
            assert!(signalled.elapsed() < Duration::from_secs(5), "still accepting after SIGTERM");
            tokio::task::yield_now().await;
        }

        tx.send(rest.to_vec()).await.unwrap();
        drop(tx);
        let response = in_flight.await.unwrap().expect("the in-flight request completes");
        assert_eq!(response.status(), StatusCode::CREATED);
        let status = server.wait(Duration::from_secs(5)).await;
        assert!(status.success(), "exit status {status:?}; log:\n{}", server.log());
        assert!(signalled.elapsed() < Duration::from_secs(5));
        assert!(server.log().contains("shutdown complete"));
    }

    async fn redis_and_s3_are_checked_when_configured(backend) {
        // Redis links nodes, which SQLite cannot serve (the server refuses it, see
        // tests/tests/multinode.rs): on SQLite only S3 is checked.
        let with_s3 = |redis: Option<String>| {
            let mut builder = TestServer::builder(backend);
            if let Some(redis) = redis.filter(|_| backend == Backend::Postgres) {
                builder = builder.env("ATRIUM_REDIS_URL", redis);
            }
            services::s3_env().into_iter().fold(builder, |b, (k, v)| b.env(k, v))
        };
        let server = with_s3(Some(services::redis_url())).start().await;
        let (status, ready) = server.client().readiness().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{ready:?}");
        assert!(ready.checks["s3"].ok, "{ready:?}");
        if backend == Backend::Sqlite {
            assert!(!ready.checks.contains_key("redis"), "{ready:?}");
            return;
        }
        assert!(ready.checks["redis"].ok, "{ready:?}");

        let closed = format!("redis://127.0.0.1:{}", services::free_port());
        let server = with_s3(Some(closed)).start().await;
        let (status, ready) = server.client().readiness().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(ready.checks["database"].ok && !ready.checks["redis"].ok, "{ready:?}");
        let error = ready.error.expect("a reason");
        assert_eq!(error.code, "not_ready");
        assert!(error.message.starts_with("redis: "), "{}", error.message);
    }

    async fn json_logs_carry_the_request_id(backend) {
        let server = TestServer::builder(backend).arg("--log-format").arg("json").start().await;
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/signup", server.url()))
            .header("x-request-id", "trace-me-123")
            .json(&signup_body("dan@example.com"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["x-request-id"], "trace-me-123");

        let generated = server.client().request(reqwest::Method::GET, "/healthz").send().await.unwrap();
        assert_eq!(generated.headers()["x-request-id"].len(), 36, "a UUID is made when none is sent");

        let log = server.log();
        let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
        let of_request: Vec<&Value> = lines.iter().filter(|l| l["span"]["request_id"] == "trace-me-123").collect();
        assert!(of_request.iter().any(|l| l["message"] == "user signed up"), "{log}");
        assert!(of_request.iter().any(|l| l["message"] == "finished processing request"), "{log}");
    }

    async fn serves_the_browser_app_or_says_how_to_build_it(backend) {
        let server = TestServer::start(backend).await;
        let page = reqwest::get(server.url()).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("has not been built"));

        let web = tempfile::tempdir().unwrap();
        std::fs::create_dir(web.path().join("assets")).unwrap();
        std::fs::write(web.path().join("index.html"), "<!doctype html><title>Atrium app</title>").unwrap();
        std::fs::write(web.path().join("assets/app-1a2b.js"), "console.log('app')").unwrap();
        let server = TestServer::builder(backend).env("ATRIUM_WEB_DIR", web.path().to_str().unwrap()).start().await;
        for route in ["/", "/docs/some-doc", "/chat/general"] {
            let page = reqwest::get(format!("{}{route}", server.url())).await.unwrap();
            assert_eq!(page.status(), StatusCode::OK, "{route}");
            assert_eq!(page.headers()["cache-control"], "no-cache");
            assert!(page.text().await.unwrap().contains("Atrium app"), "{route}");
        }
        let asset = reqwest::get(format!("{}/assets/app-1a2b.js", server.url())).await.unwrap();
        assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        assert_eq!(asset.text().await.unwrap(), "console.log('app')");
        let api = reqwest::get(format!("{}/api/v1/missing", server.url())).await.unwrap();
        assert_eq!(api.status(), StatusCode::NOT_FOUND, "API paths never fall back to the app");
    }
}

/// `/readyz` answers 503 with a reason while PostgreSQL is down, and 200 again once it is
/// back, without restarting Atrium. Uses a PostgreSQL of its own, since it stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_without_a_restart() {
    let postgres = PrivatePostgres::start();
    let database = TestDatabase::create_postgres(&postgres.admin_url()).await;
    let server = TestServer::builder(Backend::Postgres)
        .database(database)
        .start()
        .await;
    let client = server.client();
    assert_eq!(client.readiness().await.unwrap().0, StatusCode::OK);

    postgres.stop();
    let (status, ready) = client.readiness().await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready:?}");
    assert!(!ready.checks["database"].ok);
    assert!(ready.error.unwrap().message.starts_with("database: "));
    // Requests that need the database fail cleanly meanwhile.
    let refused = client
        .signup(&signup_body("eve@example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        refused.status(),
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "{refused}"
    );

    postgres.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, ready) = client.readiness().await.unwrap();
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still not ready after PostgreSQL came back: {ready:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client
        .signup(&signup_body("eve@example.com"))
        .await
        .unwrap();
}

backend_tests! {
    async fn openapi_command_prints_the_served_document(backend) {
        let server = TestServer::start(backend).await;
        let served = reqwest::get(format!("{}/api/v1/openapi.json", server.url())).await.unwrap();
        assert_eq!(served.status(), StatusCode::OK);
        let served = served.text().await.unwrap();
        // No configuration, database or listener: what the browser app's types are generated from.
        let output = std::process::Command::new(server::binary())
            .arg("openapi")
            .env_clear()
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let printed = String::from_utf8(output.stdout).unwrap();
        assert_eq!(printed.trim_end(), served, "`atrium openapi` differs from /api/v1/openapi.json");

        let doc: Value = serde_json::from_str(&printed).unwrap();
        // Client generators refuse a document that names two operations alike.
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "operation ids repeat: {ids:?}");
        assert!(ids.contains(&"docs_list_versions") && ids.contains(&"files_list_versions"), "{ids:?}");

        // The event socket's frames are described although no route returns them.
        let schemas = &doc["components"]["schemas"];
        for name in ["EventFrame", "AppEvent", "ClientFrame", "Hello", "ReadMarker", "Typing"] {
            assert!(schemas[name].is_object(), "OpenAPI lacks the schema {name}");
        }
        let types: Vec<&str> = schemas["AppEvent"]["oneOf"]
            .as_array()
            .expect("AppEvent is one of its variants")
            .iter()
            .filter_map(|variant| variant["properties"]["type"]["enum"][0].as_str())
            .collect();
        for kind in ["hello", "pong", "message.created", "reaction.updated", "notification.read", "access.changed", "typing", "presence"] {
            assert!(types.contains(&kind), "AppEvent lacks {kind}: {types:?}");
        }
    }
}

#[test]
fn version_prints_the_version() {
    let output = std::process::Command::new(server::binary())
        .arg("version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("atrium {}", env!("CARGO_PKG_VERSION"))
    );
}

backend_tests! {
    async fn admin_create_user_reads_the_password_from_stdin(backend) {
        use std::io::Write as _;
        let server = TestServer::start(backend).await;
        let mut child = server
            .command(&["admin", "create-user", "--email", "Admin@Example.com", "--name", "Site Admin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"a long admin password\n").unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(String::from_utf8_lossy(&output.stdout).contains("<admin@example.com> @admin"));

        // The account exists for the running server: the same e-mail is now taken.
        let taken = server.client().signup(&signup_body("admin@example.com")).await.unwrap_err();
        assert_eq!(taken.code(), Some("email_taken"));

        let output = server
            .command(&["admin", "create-user", "--email", "x@example.com", "--name", "X", "--password", "short"])
            .output()
            .unwrap();
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("password must be at least"));
    }
}

/// The deployment files cannot be run here (no Docker engine); their structure is checked.
#[test]
fn compose_file_describes_the_scale_out_setup() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("docker-compose.yml")).unwrap();
    let mut compose: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    compose.apply_merge().unwrap();
    let services = compose["services"].as_mapping().unwrap();
    for name in [
        "postgres",
        "redis",
        "minio",
        "minio-init",
        "atrium-1",
        "atrium-2",
        "proxy",
    ] {
        assert!(
            services.contains_key(name),
            "compose lacks the {name} service"
        );
    }
    // No password has a default: each is required from the environment.
    for secret in [
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "ATRIUM_S3_ACCESS_KEY",
        "ATRIUM_S3_SECRET_KEY",
    ] {
        assert!(
            text.contains(&format!("${{{secret}:?")) && !text.contains(&format!("${{{secret}:-")),
            "{secret} must be required, without a default"
        );
    }
    let mut node_ids = Vec::new();
    for node in ["atrium-1", "atrium-2"] {
        let atrium = &compose["services"][node];
        let env = &atrium["environment"];
        assert!(
            env["ATRIUM_DATABASE_URL"]
                .as_str()
                .unwrap()
                .starts_with("postgres://")
        );
        assert!(
            env["ATRIUM_REDIS_URL"]
                .as_str()
                .unwrap()
                .starts_with("redis://")
        );
        assert!(
            env["ATRIUM_S3_ENDPOINT"]
                .as_str()
                .unwrap()
                .starts_with("http")
        );
        assert!(
            env["ATRIUM_S3_ACCESS_KEY"].is_string(),
            "merged S3 credentials"
        );
        node_ids.push(env["ATRIUM_NODE_ID"].as_str().unwrap().to_owned());
        for dependency in ["postgres", "redis", "minio-init"] {
            assert!(
                atrium["depends_on"][dependency]["condition"].is_string(),
                "{node} waits for {dependency}"
            );
        }
    }
    assert_ne!(node_ids[0], node_ids[1], "each node has its own id");
    assert!(
        compose["services"]["minio-init"]["command"][0]
            .as_str()
            .unwrap()
            .contains("mc mb")
    );

    let proxy = &compose["services"]["proxy"];
    let mount = proxy["volumes"][0].as_str().unwrap();
    assert!(mount.starts_with("./deploy/nginx.conf:"));
    let nginx = std::fs::read_to_string(root.join("deploy/nginx.conf")).unwrap();
    for needle in [
        "upstream atrium_nodes",
        "proxy_set_header Upgrade",
        "/collab/",
        "/api/v1/events",
        "X-Forwarded-For",
        "server atrium-1:8080",
        "server atrium-2:8080",
    ] {
        assert!(nginx.contains(needle), "nginx.conf lacks {needle}");
    }

    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert!(
        dockerfile
            .lines()
            .filter(|l| l.starts_with("FROM "))
            .count()
            >= 2,
        "multi-stage"
    );
    let user = dockerfile
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        !["root", "0"].contains(&user.trim()),
        "runs as a non-root user"
    );
}
