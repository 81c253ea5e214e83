//! Outgoing webhooks against real HTTP receivers on loopback (small axum servers in the test),
//! on both databases: every delivery verified with the Standard Webhooks reference verifier
//! (the `standardwebhooks` crate), in order, once each; a receiver failing three times then
//! succeeding gets each event exactly once, in order; a receiver down for good disables the
//! endpoint and its admins are told in the app and by e-mail; secret rotation signs with both
//! secrets during the overlap; test events and redelivery; who may manage hooks; private
//! addresses refused at creation and at delivery (a name that resolves to loopback); redirects
//! not followed; pending deliveries surviving a crash; a hook backing off costing next to no
//! CPU; no deleted private messages and nothing its creator may not read (private projects,
//! record types) sent to a hook; events made while the server had a hook disabled delivered
//! after reactivation; delivered rows leaving the log after 30 days.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atrium_client::wire::{OrgRole, Visibility};
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{Backend, TestServer, backend_tests, mail};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long a test waits for deliveries before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// What a receiver answers.
#[derive(Clone)]
enum Behaviour {
    /// 200 to everything.
    Accept,
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// 503 to everything.
    Fail,
    /// 307 to this URL.
    Redirect(String),
    /// 503 while the flag is set, then 200.
    DownWhile(Arc<AtomicBool>),
}

/// One request a receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    status: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_owned()
    }
}

#[derive(Clone)]
struct ReceiverState {
    behaviour: Behaviour,
    seen: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<Received>>>,
}

/// An HTTP endpoint on loopback that records every request.
struct Receiver {
    url: String,
    port: u16,
    log: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(state): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> Response {
    let n = state.seen.fetch_add(1, Ordering::SeqCst);
    let response = match &state.behaviour {
        Behaviour::Accept => AxumStatus::OK.into_response(),
        Behaviour::FailFirst(failures) if n < *failures => {
            AxumStatus::INTERNAL_SERVER_ERROR.into_response()
        }
        Behaviour::FailFirst(_) => AxumStatus::OK.into_response(),
        Behaviour::Fail => AxumStatus::SERVICE_UNAVAILABLE.into_response(),
        Behaviour::Redirect(to) => (
            AxumStatus::TEMPORARY_REDIRECT,
            [(header::LOCATION, to.clone())],
        )
            .into_response(),
        Behaviour::DownWhile(down) if down.load(Ordering::SeqCst) => {
            AxumStatus::SERVICE_UNAVAILABLE.into_response()
        }
        Behaviour::DownWhile(_) => AxumStatus::OK.into_response(),
    };
    state.log.lock().unwrap().push(Received {
        headers,
        body,
        status: response.status().as_u16(),
    });
    response
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState {
            behaviour,
            seen: Arc::default(),
            log: Arc::clone(&log),
        };
        let app = axum::Router::new().fallback(receive).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            log,
            task,
        }
    }

    fn all(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    fn accepted(&self) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.status == 200).collect()
    }

    /// Waits until `n` requests were accepted; returns them in arrival order.
    async fn wait_accepted(&self, n: usize) -> Vec<Received> {
        let start = tokio::time::Instant::now();
        loop {
            let accepted = self.accepted();
            if accepted.len() >= n {
                return accepted;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{} of {n} deliveries accepted: {:?}",
                accepted.len(),
                self.all().iter().map(Received::json).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Waits until `check` holds, polling.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks a delivery's signature with the reference verifier.
fn verify(secret: &str, received: &Received) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&received.body, &received.headers)
        .unwrap_or_else(|e| panic!("signature refused: {e} ({:?})", received.headers));
}

/// An org of ann (owner) with mo (member), two projects and a board in the first; eve runs
/// another org.
struct Org {
    server: TestServer,
    org: String,
    project: String,
    other_project: String,
    board: String,
    ann: TestUser,
    mo: TestUser,
    eve: TestUser,
}

async fn org(backend: Backend, env: &[(&str, &str)]) -> Org {
    let mut builder = TestServer::builder(backend).env("ATRIUM_API_RATE_PER_SECOND", "10000");
    for (key, value) in env {
        builder = builder.env(key, *value);
    }
    let server = builder.start().await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let ann = fixtures::user(&server, &format!("ann-{tag}")).await;
    let mo = fixtures::user(&server, &format!("mo-{tag}")).await;
    let eve = fixtures::user(&server, &format!("eve-{tag}")).await;
    let org = fixtures::create_org(&ann, "Acme").await.id;
    fixtures::create_org(&eve, "Other").await;
    fixtures::add_org_member(&ann, &org, &mo, OrgRole::Member).await;
    let project = fixtures::create_project(&ann, &org, "Engineering", Visibility::Open)
        .await
        .id;
    let other_project = fixtures::create_project(&ann, &org, "Sales", Visibility::Open)
        .await
        .id;
    let (status, board) = call(
        &ann,
        Method::POST,
        &format!("/api/v1/projects/{project}/boards"),
        Some(json!({"name": "Sprint"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    Org {
        server,
        org,
        project,
        other_project,
        board: board["id"].as_str().unwrap().to_owned(),
        ann,
        mo,
        eve,
    }
}

impl Org {
    /// Creates a hook as ann; its id and secret.
    async fn hook(&self, body: Value) -> (String, String) {
        let (status, created) = call(
            &self.ann,
            Method::POST,
            &format!("/api/v1/orgs/{}/webhooks", self.org),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        (
            created["id"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        )
    }

    async fn task(&self, title: &str) -> String {
        let (status, task) = call(
            &self.ann,
            Method::POST,
            &format!("/api/v1/boards/{}/tasks", self.board),
            Some(json!({"title": title})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        task["id"].as_str().unwrap().to_owned()
    }

    async fn deliveries(&self, hook: &str) -> Vec<Value> {
        let (status, page) = call(
            &self.ann,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"].as_array().unwrap().clone()
    }

    async fn get(&self, hook: &str) -> Value {
        let (status, hook) = call(
            &self.ann,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{hook}");
        hook
    }
}

const ALLOW_PRIVATE: (&str, &str) = ("ATRIUM_WEBHOOKS_ALLOW_PRIVATE", "true");

backend_tests! {
    async fn deliveries_are_signed_scoped_and_in_order(backend) {
        let o = org(backend, &[ALLOW_PRIVATE]).await;
        let receiver = Receiver::start(Behaviour::Accept).await;
        let elsewhere = Receiver::start(Behaviour::Accept).await;
        let (hook, secret) = o.hook(json!({"url": receiver.url, "events": ["task.*"], "description": "CI"})).await;
        // A hook of the other project gets none of this project's events.
        let (other, _) = o.hook(json!({"url": elsewhere.url, "events": ["*"], "project": o.other_project})).await;

        let mut tasks = Vec::new();
        for i in 0..5 {
            tasks.push(o.task(&format!("Task {i}")).await);
        }
        let got = receiver.wait_accepted(5).await;
        for received in &got {
            verify(&secret, received);
        }
        let ids: Vec<String> = got.iter().map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, tasks);
        assert!(got.iter().all(|r| r.json()["type"] == "task.created"));
        assert_eq!(got[0].json()["data"]["project"], o.project.as_str());
        assert!(got[0].json()["timestamp"].as_str().unwrap().ends_with('Z'));
        let mut message_ids: Vec<String> = got.iter().map(Received::id).collect();
        message_ids.dedup();
        assert_eq!(message_ids.len(), 5);

        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/tasks/{}", tasks[0]), Some(json!({"title": "Renamed"}))).await;
        assert_eq!(status, StatusCode::OK);
        let got = receiver.wait_accepted(6).await;
        assert_eq!(got[5].json()["type"], "task.updated");
        verify(&secret, &got[5]);

        // The log: delivered once each, with status and latency.
        let log = o.deliveries(&hook).await;
        assert_eq!(log.len(), 6, "{log:?}");
        assert!(log.iter().all(|d| d["state"] == "delivered" && d["attempts"] == 1 && d["response_status"] == 200 && d["latency_ms"].is_i64()), "{log:?}");
        assert!(o.deliveries(&other).await.is_empty());
        assert!(elsewhere.all().is_empty());

        // Rotation: during the overlap both secrets sign.
        let (status, rotated) = call(&o.ann, Method::POST, &format!("/api/v1/webhooks/{hook}/rotate-secret"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::OK, "{rotated}");
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, secret);
        assert!(o.get(&hook).await["previous_secret_until"].is_i64());
        o.task("After rotation").await;
        let got = receiver.wait_accepted(7).await;
        let header = got[6].headers["webhook-signature"].to_str().unwrap().to_owned();
        assert_eq!(header.split(' ').count(), 2, "{header}");
        verify(&new_secret, &got[6]);
        verify(&secret, &got[6]);
        // Without an overlap, only the new secret signs.
        let (_, rotated) = call(&o.ann, Method::POST, &format!("/api/v1/webhooks/{hook}/rotate-secret"), Some(json!({"overlap_secs": 0}))).await;
        let newest = rotated["secret"].as_str().unwrap().to_owned();

        // A test event, and a redelivery by hand with the same message id.
        let (status, test) = call(&o.ann, Method::POST, &format!("/api/v1/webhooks/{hook}/test"), None).await;
        assert_eq!((status, test["event_type"].as_str()), (StatusCode::ACCEPTED, Some("webhook.test")), "{test}");
        let got = receiver.wait_accepted(8).await;
        assert_eq!(got[7].json()["type"], "webhook.test");
        verify(&newest, &got[7]);
        assert_eq!(got[7].headers["webhook-signature"].to_str().unwrap().split(' ').count(), 1);
        let first = got[0].id();
        let (status, again) = call(&o.ann, Method::POST, &format!("/api/v1/webhooks/{hook}/deliveries/{first}/redeliver"), None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{again}");
        let got = receiver.wait_accepted(9).await;
        assert_eq!(got[8].id(), first);
        assert_eq!(got[8].body, got[0].body);
        verify(&newest, &got[8]);

        // Deactivated: nothing is sent; reactivated: what waited goes out.
        let (status, off) = call(&o.ann, Method::PATCH, &format!("/api/v1/webhooks/{hook}"), Some(json!({"active": false}))).await;
        assert_eq!((status, off["active"].as_bool()), (StatusCode::OK, Some(false)), "{off}");
        let (status, listed) = call(&o.ann, Method::GET, &format!("/api/v1/orgs/{}/webhooks", o.org), None).await;
        assert_eq!((status, listed.as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{listed}");
        assert!(listed[0].get("secret").is_none());
    }

    async fn only_managers_manage_and_bad_input_is_refused(backend) {
        let o = org(backend, &[ALLOW_PRIVATE]).await;
        let receiver = Receiver::start(Behaviour::Accept).await;
        let hooks = format!("/api/v1/orgs/{}/webhooks", o.org);
        let (hook, _) = o.hook(json!({"url": receiver.url, "events": ["record.invoice.*", "message.created"], "filter": {"state": "paid"}})).await;
        // A member is not an admin; eve is not in the org.
        let (status, _) = call(&o.mo, Method::POST, &hooks, Some(json!({"url": receiver.url, "events": ["*"]}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&o.mo, Method::GET, &format!("/api/v1/webhooks/{hook}"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&o.eve, Method::GET, &format!("/api/v1/webhooks/{hook}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&o.eve, Method::DELETE, &format!("/api/v1/webhooks/{hook}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A project's manager manages that project's hooks.
        fixtures::add_project_member(&o.ann, &o.other_project, o.mo.id(), atrium_client::wire::ProjectRole::Manager).await;
        let (status, created) = call(&o.mo, Method::POST, &hooks, Some(json!({"url": receiver.url, "events": ["task.*"], "project": o.other_project}))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let (status, _) = call(&o.mo, Method::POST, &hooks, Some(json!({"url": receiver.url, "events": ["task.*"], "project": o.project}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, listed) = call(&o.mo, Method::GET, &format!("{hooks}?project={}", o.other_project), None).await;
        assert_eq!((status, listed.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{listed}");

        for (body, field) in [
            (json!({"url": "ftp://example.com/", "events": ["*"]}), "url"),
            (json!({"url": "not a url", "events": ["*"]}), "url"),
            (json!({"url": receiver.url, "events": []}), "events"),
            (json!({"url": receiver.url, "events": ["tasks.*"]}), "events"),
            (json!({"url": receiver.url, "events": ["task.*.created"]}), "events"),
            (json!({"url": receiver.url, "events": ["*"], "secret": "hunter2"}), "secret"),
            (json!({"url": receiver.url, "events": ["*"], "filter": {"state": ["a"]}}), "filter"),
        ] {
            let (status, error) = call(&o.ann, Method::POST, &hooks, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} {error}");
            assert!(error["error"]["fields"][field].is_string(), "{body} {error}");
        }
        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/webhooks/{hook}"), Some(json!({"events": ["bogus"]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = call(&o.ann, Method::POST, &format!("/api/v1/webhooks/{hook}/rotate-secret"), Some(json!({"overlap_secs": 9_999_999}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let unchanged = o.get(&hook).await;
        assert_eq!(unchanged["events"], json!(["message.created", "record.invoice.*"]));
        assert_eq!(unchanged["filter"], json!({"state": "paid"}));
        let (_, listed) = call(&o.ann, Method::GET, &hooks, None).await;
        assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

        let (status, _) = call(&o.ann, Method::DELETE, &format!("/api/v1/webhooks/{hook}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&o.ann, Method::GET, &format!("/api/v1/webhooks/{hook}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn a_receiver_failing_three_times_gets_each_event_once_in_order(backend) {
        let o = org(backend, &[ALLOW_PRIVATE, ("ATRIUM_WEBHOOKS_RETRY_BASE_MS", "50")]).await;
        let receiver = Receiver::start(Behaviour::FailFirst(3)).await;
        let (hook, secret) = o.hook(json!({"url": receiver.url, "events": ["task.created"]})).await;
        let mut tasks = Vec::new();
        for i in 0..3 {
            tasks.push(o.task(&format!("Task {i}")).await);
        }
        let got = receiver.wait_accepted(3).await;
        let ids: Vec<String> = got.iter().map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, tasks);
        for received in receiver.all() {
            verify(&secret, &received);
        }
        // The failures were all the first event's: the others waited behind it.
        let all = receiver.all();
        let first = got[0].id();
        assert!(all[..3].iter().all(|r| r.status == 500 && r.id() == first), "{all:?}");
        eventually("every delivery recorded", || async {
            o.deliveries(&hook).await.iter().all(|d| d["state"] == "delivered")
        }).await;
        let log = o.deliveries(&hook).await;
        let attempts: Vec<i64> = log.iter().rev().map(|d| d["attempts"].as_i64().unwrap()).collect();
        assert_eq!(attempts, [4, 1, 1], "{log:?}");
        // Nothing more arrives: each once.
        assert_eq!(receiver.accepted().len(), 3);
        assert_eq!(receiver.all().len(), 6);
    }

    async fn a_receiver_down_for_good_disables_the_hook_and_tells_admins(backend) {
        let o = org(backend, &[
            ALLOW_PRIVATE,
            ("ATRIUM_WEBHOOKS_RETRY_BASE_MS", "100"),
            ("ATRIUM_WEBHOOKS_RETRY_HORIZON_SECS", "2"),
        ]).await;
        let receiver = Receiver::start(Behaviour::Fail).await;
        let (hook, _) = o.hook(json!({"url": receiver.url, "events": ["task.*"]})).await;
        o.task("Never delivered").await;
        eventually("the hook disabled", || async { o.get(&hook).await["active"] == false }).await;
        let disabled = o.get(&hook).await;
        assert!(disabled["disabled_reason"].as_str().unwrap().contains("503"), "{disabled}");
        let log = o.deliveries(&hook).await;
        assert_eq!(log[0]["state"], "failed", "{log:?}");
        assert!(log[0]["attempts"].as_i64().unwrap() >= 3, "{log:?}");
        assert_eq!(log[0]["response_status"], 503);
        let tries = receiver.all().len();
        assert!(tries >= 3, "{tries}");
        // The owner is told in the app and by e-mail; a plain member is not.
        let (_, notifications) = call(&o.ann, Method::GET, "/api/v1/notifications", None).await;
        let told: Vec<&Value> = notifications["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "webhook_disabled").collect();
        assert_eq!(told.len(), 1, "{notifications}");
        assert_eq!(told[0]["channel_id"], hook.as_str());
        let mail = mail::wait_for_mail_containing(&o.ann.mail_dir, &o.ann.user.email, "Webhook disabled").await;
        assert!(mail.contains(&receiver.url), "{mail}");
        let (_, theirs) = call(&o.mo, Method::GET, "/api/v1/notifications", None).await;
        assert!(!theirs.to_string().contains("webhook_disabled"), "{theirs}");
        // Disabled: no more attempts.
        o.task("Also waiting").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.all().len(), tries);
    }

    async fn a_hook_backing_off_costs_the_server_next_to_no_cpu(backend) {
        // Retries 10 s apart: the first event backs off for the whole measurement while the
        // second, due since it was made, waits behind it. Nothing is due, so nothing runs.
        let o = org(backend, &[ALLOW_PRIVATE, ("ATRIUM_WEBHOOKS_RETRY_BASE_MS", "10000")]).await;
        let receiver = Receiver::start(Behaviour::Fail).await;
        let (hook, _) = o.hook(json!({"url": receiver.url, "events": ["task.*"]})).await;
        o.task("Backing off").await;
        o.task("Waiting behind it").await;
        eventually("a failed first attempt with the second event queued", || async {
            let log = o.deliveries(&hook).await;
            log.len() == 2 && log.iter().any(|d| d["attempts"].as_i64() >= Some(1))
        }).await;
        // Let the sender that failed finish and the dispatcher settle.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pid = o.server.pid();
        let cpu_before = atrium_tests::bench::cpu_seconds(pid);
        let started = std::time::Instant::now();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let share = (atrium_tests::bench::cpu_seconds(pid) - cpu_before) / started.elapsed().as_secs_f64();
        assert!(share < 0.2, "the server used {:.0}% of a core while its only hook backed off", share * 100.0);
        // Still one attempt so far, and the second event untouched.
        assert_eq!(receiver.all().len(), 1);
        let log = o.deliveries(&hook).await;
        assert!(log.iter().all(|d| d["state"] == "pending"), "{log:?}");
    }

    async fn deleting_a_private_conversation_message_is_not_sent(backend) {
        let o = org(backend, &[ALLOW_PRIVATE]).await;
        let receiver = Receiver::start(Behaviour::Accept).await;
        o.hook(json!({"url": receiver.url, "events": ["message.*"]})).await;
        let public = fixtures::create_channel(&o.ann, &o.project, "general", None).await;
        let private = fixtures::create_channel(&o.ann, &o.project, "secret", Some(&[o.mo.id()])).await;
        let (status, dm) = call(&o.ann, Method::POST, &format!("/api/v1/orgs/{}/dms", o.org), Some(json!({"user_ids": [o.mo.id()]}))).await;
        assert!(status.is_success(), "{dm}");
        let mut posted = Vec::new();
        for channel in [public.id.as_str(), private.id.as_str(), dm["id"].as_str().unwrap()] {
            let message = fixtures::post_message(&o.ann, channel, "Hello", None).await.message.id;
            let (status, _) = call(&o.ann, Method::DELETE, &format!("/api/v1/messages/{message}"), None).await;
            assert_eq!(status, StatusCode::NO_CONTENT);
            posted.push(message);
        }
        // Delivered in change order: once the last one arrives, any other would have.
        let last = fixtures::post_message(&o.ann, &public.id, "Last", None).await.message.id;
        let got = receiver.wait_accepted(3).await;
        let seen: Vec<(String, String)> = got.iter().map(|r| {
            let body = r.json();
            (body["type"].as_str().unwrap().to_owned(), body["data"]["id"].as_str().unwrap().to_owned())
        }).collect();
        assert_eq!(seen, [
            ("message.created".to_owned(), posted[0].clone()),
            ("message.deleted".to_owned(), posted[0].clone()),
            ("message.created".to_owned(), last),
        ]);
        assert_eq!(got[1].json()["data"]["project"], o.project.as_str());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.all().len(), 3);
    }

    async fn an_org_hook_gets_only_what_its_creator_may_read(backend) {
        let o = org(backend, &[ALLOW_PRIVATE]).await;
        let receiver = Receiver::start(Behaviour::Accept).await;
        let everything = Receiver::start(Behaviour::Accept).await;
        // Here members manage members, so mo may make org-wide hooks; that does not let them
        // read a private project they are not in.
        let (status, body) = call(&o.ann, Method::PUT, &format!("/api/v1/orgs/{}/permissions", o.org), Some(json!({"overrides": [
            {"role": "member", "resource": "org", "action": "manage_members", "scope": "all"}
        ]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, created) = call(&o.mo, Method::POST, &format!("/api/v1/orgs/{}/webhooks", o.org), Some(json!({"url": receiver.url, "events": ["task.*", "record.*"]}))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        // The owner's hook sees the private project.
        o.hook(json!({"url": everything.url, "events": ["task.*"]})).await;
        let secret = fixtures::create_project(&o.ann, &o.org, "Board room", Visibility::Private).await.id;
        let (status, board) = call(&o.ann, Method::POST, &format!("/api/v1/projects/{secret}/boards"), Some(json!({"name": "Plans"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{board}");
        let (status, hidden) = call(&o.ann, Method::POST, &format!("/api/v1/boards/{}/tasks", board["id"].as_str().unwrap()), Some(json!({"title": "Layoffs"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{hidden}");
        // Claims: members read only their own.
        let (status, kind) = call(&o.ann, Method::POST, &format!("/api/v1/orgs/{}/record-types", o.org), Some(json!({
            "slug": "claim",
            "name": "Claim",
            "fields": [{"name": "subject", "type": "text"}],
            "permissions": [
                {"role": "member", "action": "read", "scope": "own"},
                {"role": "member", "action": "write", "scope": "own"}
            ]
        }))).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}");
        fixtures::create_record(&o.ann, &o.org, "claim", json!({"subject": "Bonus"})).await;
        let mine = fixtures::create_record(&o.mo, &o.org, "claim", json!({"subject": "Taxi"})).await;
        let open = o.task("Open").await;
        let got = receiver.wait_accepted(2).await;
        assert_eq!(got[0].json()["type"], "record.claim.created");
        assert_eq!(got[0].json()["data"]["id"], mine["id"]);
        assert_eq!(got[1].json()["data"]["id"], open.as_str());
        let all = everything.wait_accepted(2).await;
        let ids: Vec<&str> = all.iter().map(|r| r.body.as_ref()).map(|b| std::str::from_utf8(b).unwrap()).collect();
        assert!(ids[0].contains(hidden["id"].as_str().unwrap()) && ids[1].contains(&open), "{ids:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.all().len(), 2, "{:?}", receiver.all().iter().map(Received::json).collect::<Vec<_>>());
    }

    async fn events_made_while_the_server_disabled_a_hook_arrive_after_reactivation(backend) {
        let o = org(backend, &[
            ALLOW_PRIVATE,
            ("ATRIUM_WEBHOOKS_RETRY_BASE_MS", "100"),
            ("ATRIUM_WEBHOOKS_RETRY_HORIZON_SECS", "1"),
        ]).await;
        let down = Arc::new(AtomicBool::new(true));
        let receiver = Receiver::start(Behaviour::DownWhile(Arc::clone(&down))).await;
        let (hook, secret) = o.hook(json!({"url": receiver.url, "events": ["task.*"]})).await;
        let mut tasks = vec![o.task("Given up on").await];
        eventually("the hook disabled", || async { o.get(&hook).await["active"] == false }).await;
        // Made while it is disabled: they wait for it.
        for i in 0..3 {
            tasks.push(o.task(&format!("While disabled {i}")).await);
        }
        eventually("the events queued", || async { o.deliveries(&hook).await.len() == 4 }).await;
        down.store(false, Ordering::SeqCst);
        let (status, on) = call(&o.ann, Method::PATCH, &format!("/api/v1/webhooks/{hook}"), Some(json!({"active": true}))).await;
        assert_eq!((status, on["active"].as_bool()), (StatusCode::OK, Some(true)), "{on}");
        assert!(on["disabled_reason"].is_null(), "{on}");
        let got = receiver.wait_accepted(4).await;
        let ids: Vec<String> = got.iter().map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, tasks);
        for received in &got {
            verify(&secret, received);
        }
        let mut message_ids: Vec<String> = got.iter().map(Received::id).collect();
        message_ids.sort();
        message_ids.dedup();
        assert_eq!(message_ids.len(), 4);
        eventually("every delivery recorded", || async {
            o.deliveries(&hook).await.iter().all(|d| d["state"] == "delivered")
        }).await;

        // Deactivated by hand: what happens meanwhile is not kept for it.
        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/webhooks/{hook}"), Some(json!({"active": false}))).await;
        assert_eq!(status, StatusCode::OK);
        o.task("While off").await;
        // The fan-out passes it (it is queued for nobody) before the hook comes back.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/webhooks/{hook}"), Some(json!({"active": true}))).await;
        assert_eq!(status, StatusCode::OK);
        let after = o.task("After").await;
        let got = receiver.wait_accepted(5).await;
        assert_eq!(got[4].json()["data"]["id"], after.as_str());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.accepted().len(), 5);
    }

    async fn delivered_rows_leave_the_log_after_thirty_days(backend) {
        let o = org(backend, &[ALLOW_PRIVATE, ("ATRIUM_JOBS_POLL_INTERVAL_MS", "50")]).await;
        let receiver = Receiver::start(Behaviour::Accept).await;
        let (hook, _) = o.hook(json!({"url": receiver.url, "events": ["task.*"]})).await;
        o.task("Recent").await;
        receiver.wait_accepted(1).await;
        eventually("the delivery recorded", || async {
            o.deliveries(&hook).await.first().is_some_and(|d| d["state"] == "delivered")
        }).await;
        // Rows of long ago: one delivered 31 days ago, one given up on as long ago.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(o.server.database_url()).await.unwrap();
        let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap();
        let day = 24 * 3600 * 1000_i64;
        let at = now - 31 * day;
        let old_id = |n: u32| format!("msg_{:08x}-{:04x}-7000-8000-{n:012}", at >> 16, at & 0xffff);
        for (id, state) in [(old_id(1), "delivered"), (old_id(2), "failed")] {
            sqlx::query("insert into webhook_deliveries (id, webhook_id, org_id, order_key, change_seq,
                    event_type, body, state, attempts, next_attempt_at, first_attempt_at,
                    last_attempt_at, delivered_at, created_at)
                 values ($1, $2, $3, 0, null, 'task.created', '{}', $4, 1, $5, $5, $5, $6, $5)")
                .bind(&id)
                .bind(&hook)
                .bind(&o.org)
                .bind(state)
                .bind(at)
                .bind((state == "delivered").then_some(at))
                .execute(&pool)
                .await
                .unwrap();
        }
        assert_eq!(o.deliveries(&hook).await.len(), 3);
        // The hourly job's next run, made due now (its first ran at start).
        eventually("the retention job chained", || async {
            sqlx::query("select 1 from jobs where kind = 'webhooks.retention' and state = 'queued' and run_at > $1")
                .bind(now + 600_000)
                .fetch_optional(&pool)
                .await
                .unwrap()
                .is_some()
        }).await;
        sqlx::query("update jobs set run_at = 0 where kind = 'webhooks.retention' and state = 'queued'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        eventually("the old delivered row deleted", || async { o.deliveries(&hook).await.len() == 2 }).await;
        let ids: Vec<String> = o.deliveries(&hook).await.iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
        assert!(ids.contains(&old_id(2)) && !ids.contains(&old_id(1)), "{ids:?}");
    }

    async fn private_addresses_are_refused_at_creation_and_at_delivery(backend) {
        let o = org(backend, &[]).await;
        let receiver = Receiver::start(Behaviour::Accept).await;
        let hooks = format!("/api/v1/orgs/{}/webhooks", o.org);
        for url in [
            receiver.url.clone(),
            format!("http://localhost:{}/hook", receiver.port),
            format!("http://[::1]:{}/hook", receiver.port),
            "http://169.254.169.254/latest/meta-data".to_owned(),
            "http://10.0.0.1/".to_owned(),
            "http://192.168.1.1/".to_owned(),
            "http://0x7f000001/".to_owned(),
        ] {
            let (status, error) = call(&o.ann, Method::POST, &hooks, Some(json!({"url": url, "events": ["*"]}))).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url} {error}");
            assert!(error["error"]["fields"]["url"].as_str().unwrap().contains("public"), "{url} {error}");
        }
        let (hook, _) = o.hook(json!({"url": "http://93.184.216.34/hook", "events": ["task.*"]})).await;
        // The name now resolves to loopback (as DNS rebinding would make it): the delivery
        // refuses to connect.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(o.server.database_url()).await.unwrap();
        sqlx::query("update webhooks set url = $1 where id = $2")
            .bind(format!("http://localhost:{}/hook", receiver.port))
            .bind(&hook)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        o.task("Rebound").await;
        eventually("a refused attempt", || async {
            o.deliveries(&hook).await.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1))
        }).await;
        let log = o.deliveries(&hook).await;
        assert!(log[0]["last_error"].as_str().unwrap().contains("not a public address"), "{log:?}");
        assert!(log[0]["response_status"].is_null());
        assert!(receiver.all().is_empty());
    }

    async fn redirects_are_not_followed(backend) {
        let o = org(backend, &[ALLOW_PRIVATE]).await;
        let target = Receiver::start(Behaviour::Accept).await;
        let redirecting = Receiver::start(Behaviour::Redirect(target.url.clone())).await;
        let (hook, _) = o.hook(json!({"url": redirecting.url, "events": ["task.*"]})).await;
        o.task("Redirected").await;
        eventually("a redirected attempt", || async {
            o.deliveries(&hook).await.first().is_some_and(|d| d["response_status"] == 307)
        }).await;
        let log = o.deliveries(&hook).await;
        assert_eq!(log[0]["state"], "pending", "{log:?}");
        assert!(log[0]["last_error"].as_str().unwrap().contains("redirect"), "{log:?}");
        assert!(!redirecting.all().is_empty());
        assert!(target.all().is_empty());
    }

    async fn pending_deliveries_survive_a_crash(backend) {
        let mut o = org(backend, &[ALLOW_PRIVATE, ("ATRIUM_WEBHOOKS_RETRY_BASE_MS", "50")]).await;
        let down = Arc::new(AtomicBool::new(true));
        let receiver = Receiver::start(Behaviour::DownWhile(Arc::clone(&down))).await;
        let (_, secret) = o.hook(json!({"url": receiver.url, "events": ["task.*"]})).await;
        let mut tasks = Vec::new();
        for i in 0..3 {
            tasks.push(o.task(&format!("Before {i}")).await);
        }
        eventually("a failed attempt", || async { !receiver.all().is_empty() }).await;
        o.server.kill().await;
        down.store(false, Ordering::SeqCst);
        // Leases are held per process: the new one takes them up once the dead one's expire.
        o.server.restart().await;
        let o = {
            // The users' clients point at the old port: log in again.
            let ann = fixtures::login(&o.server, &o.ann.user.email).await;
            Org { ann, ..o }
        };
        tasks.push(o.task("After").await);
        let got = receiver.wait_accepted(4).await;
        let ids: Vec<String> = got.iter().map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, tasks);
        for received in &got {
            verify(&secret, received);
        }
    }
}
