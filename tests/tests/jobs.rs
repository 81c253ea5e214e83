//! The job queue through the real binary: a mail job riding out an SMTP outage with back-off,
//! a job that always fails ending dead with its error visible to admins, three server processes
//! on one PostgreSQL database running 200 jobs exactly once, and who may list an
//! organisation's jobs.
//!
//! Each test that needs SMTP to fail or come back starts its own SMTP sink on a port of its own
//! (`scripts/services/smtp.sh`), so no other test's mail is affected.

use std::time::{Duration, Instant};

use atrium_client::wire::OrgRole;
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::mail::message_ids;
use atrium_tests::services::{PrivateSmtp, free_port};
use atrium_tests::{Backend, TestDatabase, TestServer, TestServerBuilder};
use reqwest::StatusCode;
use serde_json::Value;

/// A server whose mail goes to SMTP on `port` (nothing may listen there yet), polling for jobs
/// every 50 ms with a short back-off.
fn mailing_server(backend: Backend, port: u16) -> TestServerBuilder {
    TestServer::builder(backend)
        .env("ATRIUM_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("ATRIUM_JOBS_POLL_INTERVAL_MS", "50")
        .env("ATRIUM_JOBS_BACKOFF_BASE_MS", "200")
        .env("ATRIUM_JOBS_BACKOFF_MAX_SECS", "1")
        .env("ATRIUM_INVITATIONS_PER_ORG_PER_HOUR", "1000")
        .env("ATRIUM_INVITATIONS_PER_INVITER_PER_HOUR", "1000")
}

async fn list(user: &TestUser, org: &str, query: &str) -> (StatusCode, Value) {
    let response = user
        .client
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/orgs/{org}/jobs{query}"),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Waits until the org's jobs in `state` satisfy `done`; returns them.
async fn wait_for_jobs(
    user: &TestUser,
    org: &str,
    state: &str,
    within: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = list(user, org, &format!("?state={state}&limit=200")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "jobs in state {state} never matched: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

atrium_tests::backend_tests! {
    async fn a_mail_job_rides_out_an_smtp_outage(backend) {
        let port = free_port();
        let server = mailing_server(backend, port).start().await;
        let owner = fixtures::operator_user(&server, "owner").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        fixtures::invite(&owner, &org.id, "late@example.com", OrgRole::Member).await;

        // SMTP is down: the invitation mail fails, is retried with growing waits, and admins see
        // why.
        let failed = wait_for_jobs(&owner, &org.id, "failed", Duration::from_secs(30), |items| {
            items.iter().any(|job| job["attempts"].as_i64() >= Some(2))
        })
        .await;
        assert_eq!(failed.len(), 1, "{failed:?}");
        let job = &failed[0];
        assert_eq!(job["kind"], "mail");
        assert_eq!(job["max_attempts"], 10);
        assert!(job["last_error"].as_str().unwrap().contains("SMTP"), "{job}");
        assert!(job["run_at"].as_i64() > job["created_at"].as_i64(), "{job}");
        let job_id = job["id"].as_str().unwrap().to_owned();
        // The payload (the mail, with its single-use link) is never listed.
        assert!(job.get("payload").is_none(), "{job}");
        let (_, all) = list(&owner, &org.id, "").await;
        assert!(!all.to_string().contains("invitations?token"), "{all}");
        let attempts_while_down = job["attempts"].as_i64().unwrap();

        // SMTP comes back on that port: the next attempt delivers, exactly once.
        let sink = PrivateSmtp::start(port);
        let done = wait_for_jobs(&owner, &org.id, "done", Duration::from_secs(30), |items| {
            items.iter().any(|job| job["id"] == job_id.as_str())
        })
        .await;
        let job = done.iter().find(|job| job["id"] == job_id.as_str()).unwrap();
        assert!(job["attempts"].as_i64().unwrap() > attempts_while_down, "{job}");
        assert!(job.get("last_error").is_none(), "{job}");
        let ids = message_ids(&sink.mail_dir());
        assert_eq!(ids.get(&job_id), Some(&1), "{ids:?}");
    }

    async fn a_job_that_always_fails_ends_dead(backend) {
        // Nothing ever listens on this port: every attempt is refused.
        let port = free_port();
        let server = mailing_server(backend, port).start().await;
        let owner = fixtures::operator_user(&server, "owner").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        fixtures::invite(&owner, &org.id, "never@example.com", OrgRole::Member).await;

        // Ten attempts, the waits capped at a second: dead within about ten seconds.
        let dead = wait_for_jobs(&owner, &org.id, "dead", Duration::from_secs(60), |items| !items.is_empty()).await;
        assert_eq!(dead.len(), 1, "{dead:?}");
        let job = &dead[0];
        assert_eq!(job["kind"], "mail");
        assert_eq!(job["attempts"], 10);
        assert_eq!(job["max_attempts"], 10);
        assert!(job["last_error"].as_str().unwrap().contains("SMTP delivery failed"), "{job}");
        // Nothing is retried any more.
        for state in ["queued", "running", "failed"] {
            let (status, body) = list(&owner, &org.id, &format!("?state={state}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["items"], Value::Array(vec![]), "{state}: {body}");
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (_, again) = list(&owner, &org.id, "?state=dead").await;
        assert_eq!(again["items"][0]["attempts"], 10, "{again}");
    }

    async fn only_org_admins_list_jobs(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let admin = fixtures::user(&server, "admin").await;
        let member = fixtures::user(&server, "member").await;
        let outsider = fixtures::user(&server, "outsider").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        fixtures::add_org_member(&owner, &org.id, &admin, OrgRole::Admin).await;
        fixtures::add_org_member(&owner, &org.id, &member, OrgRole::Member).await;
        let other = fixtures::create_org(&outsider, "Elsewhere").await;

        // Two invitation mails were sent for this org (files written, jobs done); the
        // verification mails of sign-up belong to no org and are not listed.
        let done = wait_for_jobs(&owner, &org.id, "done", Duration::from_secs(30), |items| items.len() == 2).await;
        for job in &done {
            let mut keys: Vec<&str> = job.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["attempts", "created_at", "id", "kind", "max_attempts", "run_at", "state", "updated_at"], "{job}");
            assert_eq!((job["kind"].as_str(), job["state"].as_str(), job["attempts"].as_i64()), (Some("mail"), Some("done"), Some(1)));
        }
        // Newest first.
        assert!(done[0]["created_at"].as_i64() >= done[1]["created_at"].as_i64());

        let (status, body) = list(&admin, &org.id, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        // Paged like every list.
        let (status, first) = list(&admin, &org.id, "?limit=1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(first["items"].as_array().unwrap().len(), 1);
        let next = first["next"].as_str().unwrap();
        let (_, second) = list(&admin, &org.id, &format!("?limit=1&cursor={next}")).await;
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
        assert!(second["next"].is_null(), "{second}");

        let (status, body) = list(&member, &org.id, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = list(&outsider, &org.id, "?state=dead").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = list(&owner, &org.id, "?state=exploded").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["fields"]["state"].as_str().map(|s| s.contains("queued")), Some(true), "{body}");
        let (status, _) = list(&owner, &org.id, "?limit=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Each organisation sees its own jobs only.
        let (status, body) = list(&outsider, &other.id, "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"], Value::Array(vec![]), "{body}");
    }
}

/// Three server processes on one PostgreSQL database and 200 mail jobs, queued through all
/// three: every mail reaches the SMTP sink exactly once (counted by Message-ID, which is the
/// job id) and every job was claimed once. PostgreSQL only: a SQLite file cannot be shared by
/// several server processes meaningfully (each would be a single writer of its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_on_one_postgres_run_each_job_once() {
    const MAILS: usize = 200;
    let port = free_port();
    let sink = PrivateSmtp::start(port);
    let first = mailing_server(Backend::Postgres, port).start().await;
    let mut others = Vec::new();
    for _ in 0..2 {
        let server = mailing_server(Backend::Postgres, port)
            .database(TestDatabase::shared(first.database_url()))
            .start()
            .await;
        others.push(server);
    }
    let owner = fixtures::operator_user(&first, "owner").await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let mut senders = vec![owner.clone()];
    for server in &others {
        senders.push(fixtures::login(server, "owner@example.com").await);
    }

    let started = Instant::now();
    let mut invitations = Vec::new();
    for i in 0..MAILS {
        // In turn: each server wakes its own runner, the others find the job by polling, and
        // all three race for every job.
        let via = &senders[i % senders.len()];
        let email = format!("n{i}@example.com");
        invitations.push(fixtures::invite(via, &org.id, &email, OrgRole::Member).await);
    }
    let queued = started.elapsed();

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(first.database_url()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (done,): (i64,) = sqlx::query_as(
            "select count(*) from jobs where kind = 'mail' and org_id = $1 and state = 'done'",
        )
        .bind(&org.id)
        .fetch_one(&pool)
        .await
        .unwrap();
        if done == MAILS as i64 && message_ids(&sink.mail_dir()).len() == MAILS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {MAILS} jobs done after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{MAILS} mail jobs over three servers: queued in {queued:?}, all delivered after {elapsed:?}"
    );

    let jobs: Vec<(String, String, i64)> =
        sqlx::query_as("select id, state, attempts from jobs where kind = 'mail' and org_id = $1")
            .bind(&org.id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(jobs.len(), MAILS);
    for (id, state, attempts) in &jobs {
        assert_eq!(
            (state.as_str(), *attempts),
            ("done", 1),
            "job {id} was claimed more than once"
        );
    }
    // Give a double run every chance to show up, then count the messages.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids = message_ids(&sink.mail_dir());
    assert_eq!(ids.len(), MAILS, "{} distinct messages", ids.len());
    for (id, _, _) in &jobs {
        assert_eq!(ids.get(id), Some(&1), "message of job {id}");
    }
    assert_eq!(invitations.len(), MAILS);
    pool.close().await;
}
