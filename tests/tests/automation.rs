//! Automation rules through HTTP, with the real SMTP sink and the job queue, on both databases:
//! "when an invoice becomes overdue, e-mail the client's contact and notify the accountant"
//! fires once per invoice; "when a task moves to Done, set its date and post to the project
//! channel" works; a rule never triggers itself and a chain of rules stops at the depth limit;
//! a scheduled rule fires at its local time (the operator's pass with a clock of the test's);
//! who may manage rules, bad rules refused with nothing written, the dry run; e-mail templates.

use std::future::Future;
use std::time::Duration;

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::dates::{civil_date, today};
use atrium_tests::fixtures::{self, TestUser, call_json as call, create_record as create};
use atrium_tests::mail::{mails_to_containing, wait_for_mail_containing};
use atrium_tests::services;
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long a test waits for a run before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

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

/// ann owns the org (bob an accountant, mo a member); a project with a board and a channel;
/// eve runs another org.
struct Org {
    server: TestServer,
    org: String,
    project: String,
    board: String,
    channel: String,
    ann: TestUser,
    bob: TestUser,
    mo: TestUser,
    eve: TestUser,
}

async fn org(backend: Backend) -> Org {
    let server = TestServer::builder(backend)
        .env(
            "ATRIUM_SMTP_URL",
            services::required_env("ATRIUM_TEST_SMTP_URL"),
        )
        .env("ATRIUM_JOBS_POLL_INTERVAL_MS", "50")
        .env("ATRIUM_API_RATE_PER_SECOND", "10000")
        .start()
        .await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let ann = fixtures::operator_user(&server, &format!("ann-{tag}")).await;
    let bob = fixtures::operator_user(&server, &format!("bob-{tag}")).await;
    let mo = fixtures::user(&server, &format!("mo-{tag}")).await;
    let eve = fixtures::user(&server, &format!("eve-{tag}")).await;
    let org = fixtures::create_org(&ann, "Acme").await.id;
    fixtures::create_org(&eve, "Other").await;
    fixtures::add_org_member(&ann, &org, &bob, OrgRole::Member).await;
    fixtures::add_org_member(&ann, &org, &mo, OrgRole::Member).await;
    fixtures::set_business_roles(&ann, &org, &bob, &["accountant"]).await;
    let project = fixtures::create_project(&ann, &org, "Engineering", Visibility::Open)
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
    let channel = fixtures::create_channel(&ann, &project, "eng-news", None)
        .await
        .id;
    Org {
        server,
        org,
        project,
        board: board["id"].as_str().unwrap().to_owned(),
        channel,
        ann,
        bob,
        mo,
        eve,
    }
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

impl Org {
    async fn rule(&self, body: Value) -> String {
        let (status, rule) = call(
            &self.ann,
            Method::POST,
            &format!("/api/v1/orgs/{}/automations", self.org),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        id(&rule)
    }

    async fn runs(&self, rule: &str) -> Vec<Value> {
        let (status, page) = call(
            &self.ann,
            Method::GET,
            &format!("/api/v1/automations/{rule}/runs"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"].as_array().unwrap().clone()
    }

    /// Waits until the rule has `n` runs that ended; all its runs.
    async fn finished_runs(&self, rule: &str, n: usize) -> Vec<Value> {
        eventually(&format!("{n} finished runs"), || async {
            self.runs(rule)
                .await
                .iter()
                .filter(|r| r["outcome"] != "pending")
                .count()
                >= n
        })
        .await;
        self.runs(rule).await
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
        id(&task)
    }

    async fn get_task(&self, task: &str) -> Value {
        let (status, task) = call(
            &self.ann,
            Method::GET,
            &format!("/api/v1/tasks/{task}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{task}");
        task
    }

    async fn column(&self, name: &str) -> String {
        let (status, board) = call(
            &self.ann,
            Method::GET,
            &format!("/api/v1/boards/{}", self.board),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{board}");
        let columns = board["columns"].as_array().unwrap();
        id(columns.iter().find(|c| c["name"] == name).unwrap())
    }

    async fn messages(&self) -> Vec<String> {
        let (status, page) = call(
            &self.ann,
            Method::GET,
            &format!("/api/v1/channels/{}/messages", self.channel),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"]
            .as_array()
            .or_else(|| page["messages"].as_array())
            .unwrap();
        items
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn line(description: &str, unit_price: i64) -> Value {
    json!({"description": description, "quantity": "1", "unit_price": unit_price, "discount": "0", "tax_rate": "0"})
}

backend_tests! {
    async fn an_overdue_invoice_mails_its_client_and_notifies_the_accountant_once(backend) {
        let o = org(backend).await;
        let (status, template) = call(&o.ann, Method::POST, &format!("/api/v1/orgs/{}/email-templates", o.org), Some(json!({
            "name": "invoice-overdue",
            "subject": "Invoice {{name}} is overdue",
            "body": "Hello,\n\ninvoice {{name}} (our rule) fell due on {{due_date}}. <b>Please pay.</b>",
        }))).await;
        assert_eq!(status, StatusCode::CREATED, "{template}");
        let rule = o.rule(json!({
            "name": "Overdue invoices",
            "trigger": {"event": "record.invoice.transitioned"},
            "conditions": [{"field": "state", "op": "changed_to", "value": "overdue"}],
            "actions": [
                {"type": "email", "to": ["field:client.email"], "template": "invoice-overdue"},
                {"type": "notify", "roles": ["accountant"], "text": "{{name}} is overdue"},
            ],
        })).await;
        // Two clients, invoices due on consecutive days; the operator's pass moves the clock.
        let due = today() + 30;
        let mut invoices = Vec::new();
        let mut clients = Vec::new();
        for (offset, who) in [(0, "first"), (1, "second")] {
            let address = format!("{who}-{}@client.example", uuid::Uuid::new_v4().simple());
            let client = create(&o.ann, &o.org, "client", json!({"name": address, "currency": "EUR", "email": address})).await;
            let invoice = create(&o.ann, &o.org, "invoice", json!({"client": id(&client), "due_date": civil_date(due + offset), "lines": [line("Work", 10_000)]})).await;
            let (status, sent) = call(&o.ann, Method::POST, &format!("/api/v1/records/{}/send", id(&invoice)), Some(json!({}))).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
            wait_for_mail_containing(&o.server.mail_dir(), &address, "Invoice INV-").await;
            invoices.push(id(&invoice));
            clients.push(address);
        }
        let pass = |day: i64| {
            let output = o.server.command(&["admin", "invoice-pass", "--date", &civil_date(day)]).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        };
        pass(due + 1);
        let overdue = wait_for_mail_containing(&o.server.mail_dir(), &clients[0], "(our rule)").await;
        // The HTML part (quoted-printable: soft line breaks joined) escapes the body.
        let unfolded = overdue.replace("=\r\n", "").replace("=\n", "");
        assert!(unfolded.contains("&lt;b&gt;Please pay.&lt;/b&gt;"), "{overdue}");
        // The next day the first invoice stays overdue (no transition), the second becomes so.
        pass(due + 2);
        pass(due + 3);
        let runs = o.finished_runs(&rule, 2).await;
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert!(runs.iter().all(|r| r["outcome"] == "done"), "{runs:?}");
        let mut concerned: Vec<String> = runs.iter().map(|r| r["entity_id"].as_str().unwrap().to_owned()).collect();
        concerned.sort();
        let mut expected = invoices.clone();
        expected.sort();
        assert_eq!(concerned, expected, "one run per invoice");
        wait_for_mail_containing(&o.server.mail_dir(), &clients[1], "(our rule)").await;
        for client in &clients {
            // The rule's mail (the invoice reminders of the pass say "overdue" too).
            assert_eq!(mails_to_containing(&o.server.mail_dir(), client, "(our rule)").len(), 1, "{client}");
        }
        let (status, notes) = call(&o.bob, Method::GET, "/api/v1/notifications", None).await;
        assert_eq!(status, StatusCode::OK);
        let automation: Vec<&Value> = notes["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "automation").collect();
        assert_eq!(automation.len(), 2, "{notes}");
        assert!(automation.iter().all(|n| n["snippet"].as_str().unwrap().ends_with("is overdue")), "{notes}");
        let (_, mo_notes) = call(&o.mo, Method::GET, "/api/v1/notifications", None).await;
        assert!(mo_notes["items"].as_array().unwrap().iter().all(|n| n["kind"] != "automation"), "not an accountant: {mo_notes}");
    }

    async fn a_task_moved_to_done_gets_its_date_and_a_message_in_the_channel(backend) {
        let o = org(backend).await;
        let rule = o.rule(json!({
            "name": "Done",
            "project": o.project,
            "trigger": {"event": "task.updated"},
            "conditions": [{"field": "status", "op": "changed_to", "value": "Done"}],
            "actions": [
                {"type": "set_field", "field": "due", "value": "{{today}}"},
                {"type": "post_message", "channel": o.channel, "text": "Done: {{key}} {{title}}"},
            ],
        })).await;
        let task = o.task("Ship the release").await;
        let other = o.task("Still going").await;
        let done = o.column("Done").await;
        let doing = o.column("In progress").await;
        let (status, _) = call(&o.ann, Method::POST, &format!("/api/v1/tasks/{other}/move"), Some(json!({"column": doing}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, moved) = call(&o.ann, Method::POST, &format!("/api/v1/tasks/{task}/move"), Some(json!({"column": done}))).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        let runs = o.finished_runs(&rule, 1).await;
        assert_eq!(runs.len(), 1, "only the move to Done: {runs:?}");
        assert_eq!(runs[0]["outcome"], "done", "{runs:?}");
        assert_eq!(runs[0]["depth"], 1);
        let key = o.get_task(&task).await["key"].as_str().unwrap().to_owned();
        assert_eq!(o.get_task(&task).await["due"], civil_date(today()));
        assert!(o.get_task(&other).await["due"].is_null());
        assert!(o.messages().await.contains(&format!("Done: {key} Ship the release")), "{:?}", o.messages().await);
    }

    async fn a_rule_never_triggers_itself_and_chains_stop_at_the_depth_limit(backend) {
        let o = org(backend).await;
        let task = o.task("T").await;
        let bang = o.rule(json!({
            "name": "Bang",
            "trigger": {"event": "task.updated"},
            "conditions": [{"field": "title", "op": "changed"}],
            "actions": [{"type": "set_field", "field": "title", "value": "{{title}}!"}],
        })).await;
        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/tasks/{task}"), Some(json!({"title": "Go"}))).await;
        assert_eq!(status, StatusCode::OK);
        let runs = o.finished_runs(&bang, 2).await;
        let outcomes: Vec<&str> = runs.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["stopped", "done"], "{runs:?}");
        assert!(runs[0]["error"].as_str().unwrap().contains("never triggers itself"), "{runs:?}");
        assert_eq!(o.get_task(&task).await["title"], "Go!");
        // Two rules answering each other: each run's change triggers the other rule, one level
        // deeper, until the depth limit.
        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/automations/{bang}"), Some(json!({"active": false}))).await;
        assert_eq!(status, StatusCode::OK);
        let ping = o.rule(json!({
            "name": "Ping", "trigger": {"event": "task.updated"},
            "conditions": [{"field": "title", "op": "changed"}],
            "actions": [{"type": "set_field", "field": "title", "value": "{{title}}p"}],
        })).await;
        let pong = o.rule(json!({
            "name": "Pong", "trigger": {"event": "task.updated"},
            "conditions": [{"field": "title", "op": "changed"}],
            "actions": [{"type": "set_field", "field": "title", "value": "{{title}}q"}],
        })).await;
        let (status, _) = call(&o.ann, Method::PATCH, &format!("/api/v1/tasks/{task}"), Some(json!({"title": "Chain"}))).await;
        assert_eq!(status, StatusCode::OK);
        for rule in [&ping, &pong] {
            eventually("a run stopped at the depth limit", || async {
                o.runs(rule).await.iter().any(|r| r["outcome"] == "stopped" && r["error"].as_str().unwrap_or_default().contains("depth"))
            })
            .await;
        }
        let all: Vec<Value> = [o.runs(&ping).await, o.runs(&pong).await].concat();
        assert!(all.iter().all(|r| r["depth"].as_i64().unwrap() <= 6), "{all:?}");
        assert!(all.iter().filter(|r| r["depth"] == 6).all(|r| r["outcome"] == "stopped"), "{all:?}");
        assert!(all.iter().any(|r| r["depth"] == 5 && r["outcome"] == "done"), "{all:?}");
        assert_eq!(o.runs(&bang).await.len(), 2, "an inactive rule does not run");
    }

    async fn a_scheduled_rule_fires_once_at_its_local_time(backend) {
        let o = org(backend).await;
        let rule = o.rule(json!({
            "name": "Weekly check-in",
            "trigger": {"schedule": "0 9 * * MON", "timezone": "Asia/Tokyo"},
            "actions": [{"type": "post_message", "channel": o.channel, "text": "Weekly check-in at {{at}}"}],
        })).await;
        // The next Monday 09:00 in Tokyo (UTC+9, no daylight saving) after now.
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let hour = 3_600_000;
        let local_day = (now_ms + 9 * hour).div_euclid(24 * hour);
        // 1970-01-01 was a Thursday: weekday 0 = Monday is (days + 3) % 7.
        let mut monday = local_day - (local_day + 3).rem_euclid(7);
        while monday * 24 * hour + 9 * hour - 9 * hour <= now_ms {
            monday += 7;
        }
        let fire_at = monday * 24 * hour; // 09:00 in Tokyo is 00:00 UTC that day
        let rfc = |ms: i64| {
            let secs = ms / 1000;
            let days = secs.div_euclid(86_400);
            let rest = secs.rem_euclid(86_400);
            format!("{}T{:02}:{:02}:{:02}Z", civil_date(days), rest / 3600, rest % 3600 / 60, rest % 60)
        };
        let pass = |at: i64| {
            let output = o.server.command(&["admin", "automation-pass", "--at", &rfc(at)]).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap()
        };
        assert!(pass(fire_at - 60_000).contains("0 runs queued"), "a minute early");
        assert!(pass(fire_at + 30_000).contains("1 runs queued"), "at 09:00 local");
        assert!(pass(fire_at + 90_000).contains("0 runs queued"), "once");
        let runs = o.finished_runs(&rule, 1).await;
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0]["outcome"], "done", "{runs:?}");
        assert_eq!(runs[0]["trigger"], "schedule");
        let expected = format!("Weekly check-in at {}", rfc(fire_at)).replace('Z', "");
        eventually("the weekly message", || async {
            o.messages().await.iter().any(|m| m.starts_with(&expected))
        })
        .await;
    }

    async fn rules_are_checked_managed_by_admins_and_dry_run(backend) {
        let o = org(backend).await;
        let path = format!("/api/v1/orgs/{}/automations", o.org);
        let good = json!({"name": "New tasks", "trigger": {"event": "task.created"}, "conditions": [{"field": "title", "op": "contains", "value": "bug"}], "actions": [{"type": "notify", "roles": ["admin", "owner"], "text": "New: {{title}}"}]});
        for (bad, field) in [
            (json!({"name": "x", "trigger": {"schedule": "0 9 * *"}, "actions": [{"type": "notify", "roles": ["admin"], "text": "t"}]}), "trigger.schedule"),
            (json!({"name": "x", "trigger": {"event": "task.created", "schedule": "0 9 * * MON"}, "actions": [{"type": "notify", "roles": ["admin"], "text": "t"}]}), "trigger"),
            (json!({"name": "x", "trigger": {"schedule": "0 9 * * MON", "timezone": "Mars/Olympus"}, "actions": [{"type": "notify", "roles": ["admin"], "text": "t"}]}), "trigger.timezone"),
            (json!({"name": "x", "trigger": {"event": "task.created"}, "actions": []}), "actions"),
            (json!({"name": "x", "trigger": {"event": "task.created"}, "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}), "actions[0].url"),
            (json!({"name": "x", "trigger": {"event": "task.created"}, "actions": [{"type": "email", "to": ["not an address"], "template": "t"}]}), "actions[0].to"),
            (json!({"name": "", "trigger": {"event": "task.created"}, "actions": [{"type": "notify", "roles": ["admin"], "text": "t"}]}), "name"),
        ] {
            let (status, body) = call(&o.ann, Method::POST, &path, Some(bad)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(body["error"]["fields"][field].is_string(), "{field}: {body}");
        }
        let (status, body) = call(&o.ann, Method::POST, &path, Some(json!({"name": "x", "trigger": {"event": "task.created"}, "actions": [{"type": "explode"}]}))).await;
        assert!(status.is_client_error(), "{status} {body}");
        let (_, list) = call(&o.ann, Method::GET, &path, None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing written: {list}");
        let (status, _) = call(&o.mo, Method::POST, &path, Some(good.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&o.eve, Method::POST, &path, Some(good.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let rule = o.rule(good).await;
        let (status, _) = call(&o.mo, Method::GET, &format!("/api/v1/automations/{rule}"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&o.eve, Method::GET, &format!("/api/v1/automations/{rule}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The dry run replays the org's recent events and changes nothing.
        o.task("A bug in the login").await;
        o.task("A feature").await;
        let runs_before = o.finished_runs(&rule, 1).await.len();
        let (status, report) = call(&o.ann, Method::POST, &format!("/api/v1/automations/{rule}/dry-run"), Some(json!({"events": 20}))).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let events = report["events"].as_array().unwrap();
        let matched: Vec<&Value> = events.iter().filter(|e| e["matched"] == true).collect();
        assert_eq!(matched.len(), 1, "{report}");
        assert!(matched[0]["actions"][0]["summary"].as_str().unwrap().contains("New: A bug in the login"), "{report}");
        assert!(events.iter().any(|e| e["matched"] == false && e["reason"].as_str().unwrap_or_default().contains("title contains")), "{report}");
        assert_eq!(o.runs(&rule).await.len(), runs_before, "a dry run runs nothing");
        let (status, _) = call(&o.ann, Method::POST, &format!("/api/v1/automations/{rule}/dry-run"), Some(json!({"events": 0}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // A project manager's rule replays its project's events only: a task in a private
        // project mo cannot see is not even named in mo's report.
        fixtures::add_project_member(&o.ann, &o.project, &o.mo.user.id, ProjectRole::Manager).await;
        let secret = fixtures::create_project(&o.ann, &o.org, "Secret", Visibility::Private).await.id;
        let (status, board) = call(&o.ann, Method::POST, &format!("/api/v1/projects/{secret}/boards"), Some(json!({"name": "Hidden"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{board}");
        let (status, hidden) = call(&o.ann, Method::POST, &format!("/api/v1/boards/{}/tasks", id(&board)), Some(json!({"title": "A hidden bug"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{hidden}");
        let mut scoped = json!({"name": "Project bugs", "project": o.project, "trigger": {"event": "task.created"}, "conditions": [{"field": "title", "op": "contains", "value": "bug"}], "actions": [{"type": "notify", "roles": ["admin"], "text": "New: {{title}}"}]});
        let (status, created) = call(&o.mo, Method::POST, &path, Some(scoped.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let (status, report) = call(&o.mo, Method::POST, &format!("/api/v1/automations/{}/dry-run", id(&created)), Some(json!({"events": 50}))).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let events = report["events"].as_array().unwrap();
        assert!(events.iter().any(|e| e["matched"] == true), "the project's bug is replayed: {report}");
        assert!(events.iter().all(|e| e["entity_id"] != hidden["id"] && e["entity_id"] != board["id"]), "{report}");
        scoped["project"] = json!(secret);
        let (status, _) = call(&o.mo, Method::POST, &path, Some(scoped)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a project mo cannot see is no such project");
        let (status, _) = call(&o.ann, Method::DELETE, &format!("/api/v1/automations/{rule}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&o.ann, Method::GET, &format!("/api/v1/automations/{rule}/runs"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn an_org_rule_hears_and_replays_only_what_its_author_may_read(backend) {
        let o = org(backend).await;
        // Here members manage members, so mo may make org-wide rules; that does not let them
        // read a private project they are not in.
        let (status, body) = call(&o.ann, Method::PUT, &format!("/api/v1/orgs/{}/permissions", o.org), Some(json!({"overrides": [
            {"role": "member", "resource": "org", "action": "manage_members", "scope": "all"}
        ]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, created) = call(&o.mo, Method::POST, &format!("/api/v1/orgs/{}/automations", o.org), Some(json!({"name": "Every task", "trigger": {"event": "task.created"}, "actions": [{"type": "notify", "users": [o.mo.user.id], "text": "New: {{title}}"}]}))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let rule = id(&created);
        let secret = fixtures::create_project(&o.ann, &o.org, "Board room", Visibility::Private).await.id;
        let (status, board) = call(&o.ann, Method::POST, &format!("/api/v1/projects/{secret}/boards"), Some(json!({"name": "Plans"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{board}");
        let (status, hidden) = call(&o.ann, Method::POST, &format!("/api/v1/boards/{}/tasks", id(&board)), Some(json!({"title": "Layoffs"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{hidden}");
        let open = o.task("Open").await;
        // The live rule runs for the open project's task only (the hidden one came first, so a
        // run for it would be there by now).
        let runs = o.finished_runs(&rule, 1).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let runs_now = o.runs(&rule).await;
        assert_eq!(runs_now.len(), 1, "{runs_now:?}");
        assert_eq!(runs[0]["entity_id"], json!(open), "{runs:?}");
        let (_, notes) = call(&o.mo, Method::GET, "/api/v1/notifications", None).await;
        assert!(!notes.to_string().contains("Layoffs"), "{notes}");
        // mo's dry run does not name the hidden task; the owner's dry run of mo's rule shows it,
        // unmatched, and says why.
        let dry = format!("/api/v1/automations/{rule}/dry-run");
        let (status, report) = call(&o.mo, Method::POST, &dry, Some(json!({"events": 50}))).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert!(!report.to_string().contains(hidden["id"].as_str().unwrap()), "{report}");
        assert!(report["events"].as_array().unwrap().iter().any(|e| e["entity_id"] == json!(open) && e["matched"] == true), "{report}");
        let (status, report) = call(&o.ann, Method::POST, &dry, Some(json!({"events": 50}))).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let seen = report["events"].as_array().unwrap().iter().find(|e| e["entity_id"] == hidden["id"]).unwrap_or_else(|| panic!("{report}"));
        assert_eq!(seen["matched"], false, "{report}");
        assert!(seen["reason"].as_str().unwrap().contains("author may not read"), "{report}");
    }

    async fn email_templates_render_safely_and_names_are_unique(backend) {
        let o = org(backend).await;
        let path = format!("/api/v1/orgs/{}/email-templates", o.org);
        let (status, t) = call(&o.ann, Method::POST, &path, Some(json!({"name": "hello", "subject": "Hi {{name}}", "body": "Dear {{name}},\nsee {{missing}}you"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{t}");
        let (status, _) = call(&o.ann, Method::POST, &path, Some(json!({"name": "hello", "subject": "s", "body": "b"}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = call(&o.ann, Method::POST, &path, Some(json!({"name": "x", "subject": "", "body": "b"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = call(&o.mo, Method::POST, &path, Some(json!({"name": "y", "subject": "s", "body": "b"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, rendered) = call(&o.ann, Method::POST, &format!("/api/v1/email-templates/{}/preview", id(&t)), Some(json!({"fields": {"name": "Ann\r\nBcc: x@evil.example"}}))).await;
        assert_eq!(status, StatusCode::OK, "{rendered}");
        assert_eq!(rendered["subject"], "Hi Ann Bcc: x@evil.example", "one line: {rendered}");
        assert_eq!(rendered["body"], "Dear Ann\r\nBcc: x@evil.example,\nsee you");
        let (status, updated) = call(&o.ann, Method::PATCH, &format!("/api/v1/email-templates/{}", id(&t)), Some(json!({"subject": "Hello {{name}}"}))).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        let (_, list) = call(&o.ann, Method::GET, &path, None).await;
        assert_eq!(list["items"][0]["subject"], "Hello {{name}}");
        let (status, _) = call(&o.eve, Method::GET, &format!("/api/v1/email-templates/{}", id(&t)), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&o.ann, Method::DELETE, &format!("/api/v1/email-templates/{}", id(&t)), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}
