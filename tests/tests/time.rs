//! Time tracking through HTTP and the events socket, on both databases: logging, changing and
//! deleting entries with their field errors and permissions; one running timer per user under
//! concurrent starts; day and week reports that roll up exactly (a week across two months);
//! who sees whose time; the CSV export and its injection-safe cells; cross-org 404s.

use std::collections::BTreeMap;

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::dates::day;
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Alice owns the org; in the private project "work" Bob and Carol are editors and Vic a
/// viewer; Mallory has an org of her own. "work" has a board with tasks `one` and `two`.
struct Team {
    server: TestServer,
    org: String,
    work: String,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    vic: TestUser,
    mallory: TestUser,
    one: String,
    two: String,
    /// Mallory's own project and task.
    mallory_task: String,
}

/// Creates a board with the default columns in `project`; its id.
async fn board(user: &TestUser, project: &str) -> String {
    let (status, board) = call(
        user,
        Method::POST,
        &format!("/api/v1/projects/{project}/boards"),
        Some(json!({ "name": "Main" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    board["id"].as_str().unwrap().to_owned()
}

/// Creates a task on a board; its id.
async fn task(user: &TestUser, board: &str, title: &str) -> String {
    let (status, task) = call(
        user,
        Method::POST,
        &format!("/api/v1/boards/{board}/tasks"),
        Some(json!({ "title": title })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    task["id"].as_str().unwrap().to_owned()
}

async fn team(backend: Backend) -> Team {
    let server = TestServer::builder(backend)
        .env("ATRIUM_API_RATE_PER_SECOND", "10000")
        .start()
        .await;
    let alice = fixtures::user(&server, "alice").await;
    let bob = fixtures::user(&server, "bob").await;
    let carol = fixtures::user(&server, "carol").await;
    let vic = fixtures::user(&server, "vic").await;
    let mallory = fixtures::user(&server, "mallory").await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    for member in [&bob, &carol, &vic] {
        fixtures::add_org_member(&alice, &org, member, OrgRole::Member).await;
    }
    let work = fixtures::create_project(&alice, &org, "work", Visibility::Private)
        .await
        .id;
    fixtures::add_project_member(&alice, &work, bob.id(), ProjectRole::Editor).await;
    fixtures::add_project_member(&alice, &work, carol.id(), ProjectRole::Editor).await;
    fixtures::add_project_member(&alice, &work, vic.id(), ProjectRole::Viewer).await;
    let main = board(&alice, &work).await;
    let one = task(&alice, &main, "one").await;
    let two = task(&alice, &main, "two").await;
    let other_org = fixtures::create_org(&mallory, "Other").await.id;
    let theirs = fixtures::create_project(&mallory, &other_org, "theirs", Visibility::Open)
        .await
        .id;
    let their_board = board(&mallory, &theirs).await;
    let mallory_task = task(&mallory, &their_board, "theirs").await;
    Team {
        server,
        org,
        work,
        alice,
        bob,
        carol,
        vic,
        mallory,
        one,
        two,
        mallory_task,
    }
}

/// Logs time; the status and the answer.
async fn log(user: &TestUser, task: &str, body: Value) -> (StatusCode, Value) {
    call(
        user,
        Method::POST,
        &format!("/api/v1/tasks/{task}/time"),
        Some(body),
    )
    .await
}

/// Logs time that must be accepted; the entry's id.
async fn logged(user: &TestUser, task: &str, minutes: u32, date: &str, billable: bool) -> String {
    let (status, entry) = log(
        user,
        task,
        json!({ "minutes": minutes, "date": date, "billable": billable }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    entry["id"].as_str().unwrap().to_owned()
}

/// A task's entries as `user` sees them.
async fn entries(user: &TestUser, task: &str) -> Vec<Value> {
    let (status, page) = call(
        user,
        Method::GET,
        &format!("/api/v1/tasks/{task}/time"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The field names of a 422 answer.
fn fields(status: StatusCode, body: &Value) -> Vec<String> {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

backend_tests! {
    async fn writers_log_time_readers_see_it_and_bad_input_changes_nothing(backend) {
        let t = team(backend).await;
        let (status, entry) = log(
            &t.bob,
            &t.one,
            json!({ "minutes": 90, "date": "2026-03-02", "note": " design review ", "billable": false }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{entry}");
        assert_eq!(entry["minutes"], 90);
        assert_eq!(entry["date"], "2026-03-02");
        assert_eq!(entry["note"], "design review");
        assert_eq!(entry["billable"], false);
        assert_eq!(entry["user_id"], t.bob.id());
        assert_eq!(entry["task_id"], t.one.as_str());
        assert_eq!(entry["project_id"], t.work.as_str());
        assert!(entry["task_key"].as_str().unwrap().ends_with("-1"), "{entry}");
        // Billable unless said otherwise; the longest day and note are accepted.
        let (status, full) = log(
            &t.bob,
            &t.one,
            json!({ "minutes": 1440, "date": day(365), "note": "n".repeat(1000) }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{full}");
        assert_eq!(full["billable"], true);

        // Each bad field is named; several at once are all named; nothing is recorded.
        let bad = [
            (json!({ "minutes": 0, "date": "2026-03-02" }), vec!["minutes"]),
            (json!({ "minutes": -5, "date": "2026-03-02" }), vec!["minutes"]),
            (json!({ "minutes": 1441, "date": "2026-03-02" }), vec!["minutes"]),
            (json!({ "minutes": 10, "date": "2026-02-29" }), vec!["date"]),
            (json!({ "minutes": 10, "date": "2026-3-2" }), vec!["date"]),
            (json!({ "minutes": 10, "date": day(367) }), vec!["date"]),
            (json!({ "minutes": 10, "date": "2026-03-02", "note": "n".repeat(1001) }), vec!["note"]),
            (json!({ "minutes": 0, "date": "soon", "note": "n".repeat(1001) }), vec!["date", "minutes", "note"]),
        ];
        for (body, expected) in bad {
            let (status, answer) = log(&t.bob, &t.one, body.clone()).await;
            assert_eq!(fields(status, &answer), expected, "{body}");
        }
        let (status, _) = log(&t.bob, &t.one, json!({ "minutes": "ten", "date": "2026-03-02" })).await;
        assert!(status.is_client_error());
        assert_eq!(entries(&t.bob, &t.one).await.len(), 2);
        let (_, task) = call(&t.vic, Method::GET, &format!("/api/v1/tasks/{}", t.one), None).await;
        assert_eq!(task["time_spent"], 90 + 1440, "{task}");

        // A viewer sees the entries but cannot log; another org's member sees nothing.
        assert_eq!(entries(&t.vic, &t.one).await.len(), 2);
        let (status, _) = log(&t.vic, &t.one, json!({ "minutes": 5, "date": "2026-03-02" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let path = format!("/api/v1/tasks/{}/time", t.one);
        assert_eq!(call(&t.mallory, Method::GET, &path, None).await.0, StatusCode::NOT_FOUND);
        let (status, _) = log(&t.mallory, &t.one, json!({ "minutes": 5, "date": "2026-03-02" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = log(&t.bob, &t.mallory_task, json!({ "minutes": 5, "date": "2026-03-02" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = log(&t.bob, "no-such-task", json!({ "minutes": 5, "date": "2026-03-02" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(entries(&t.bob, &t.one).await.len(), 2);
    }

    async fn authors_change_their_entries_managers_anyones_audited_others_nobodys(backend) {
        let t = team(backend).await;
        let id = logged(&t.bob, &t.one, 30, "2026-03-02", true).await;
        let path = format!("/api/v1/time/{id}");

        // The author changes it; bad fields change nothing.
        let (status, entry) = call(&t.bob, Method::PATCH, &path, Some(json!({ "minutes": 45, "note": "pairing" }))).await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!((entry["minutes"].as_u64(), entry["note"].as_str()), (Some(45), Some("pairing")));
        let (status, answer) = call(&t.bob, Method::PATCH, &path, Some(json!({ "minutes": 2000, "date": "2026-13-01" }))).await;
        assert_eq!(fields(status, &answer), ["date", "minutes"]);
        let now = &entries(&t.bob, &t.one).await[0];
        assert_eq!((now["minutes"].as_u64(), now["date"].as_str()), (Some(45), Some("2026-03-02")));

        // Another editor, a viewer and another org's member cannot touch it.
        for outsider in [&t.carol, &t.vic, &t.mallory] {
            let (status, _) = call(outsider, Method::PATCH, &path, Some(json!({ "minutes": 1 }))).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(call(outsider, Method::DELETE, &path, None).await.0, StatusCode::NOT_FOUND);
        }
        assert_eq!(entries(&t.bob, &t.one).await[0]["minutes"], 45);

        // The manager (the org's owner) may, and that is audited; the author's own change is not.
        let (status, entry) = call(&t.alice, Method::PATCH, &path, Some(json!({ "billable": false }))).await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(entry["billable"], false);
        let audit = |action: &'static str| {
            let alice = t.alice.clone();
            let org = t.org.clone();
            async move {
                let (status, page) = call(&alice, Method::GET, &format!("/api/v1/orgs/{org}/audit?action={action}"), None).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                page["items"].as_array().unwrap().clone()
            }
        };
        let changed = audit("time_entry.changed_by_manager").await;
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0]["target_id"], id.as_str());

        // The author deletes their own; the manager deletes someone else's, audited.
        let second = logged(&t.bob, &t.two, 10, "2026-03-03", true).await;
        assert_eq!(call(&t.bob, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(call(&t.bob, Method::DELETE, &path, None).await.0, StatusCode::NOT_FOUND);
        assert!(audit("time_entry.deleted_by_manager").await.is_empty());
        let second_path = format!("/api/v1/time/{second}");
        assert_eq!(call(&t.alice, Method::DELETE, &second_path, None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(audit("time_entry.deleted_by_manager").await.len(), 1);
        assert!(entries(&t.bob, &t.one).await.is_empty());
        assert!(entries(&t.bob, &t.two).await.is_empty());

        // An author who is now only a viewer keeps sight of their entry but cannot change it.
        let third = logged(&t.carol, &t.one, 15, "2026-03-04", true).await;
        fixtures::add_project_member(&t.alice, &t.work, t.carol.id(), ProjectRole::Viewer).await;
        let (status, _) = call(&t.carol, Method::PATCH, &format!("/api/v1/time/{third}"), Some(json!({ "minutes": 1 }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    async fn one_timer_runs_per_user_even_under_twenty_concurrent_starts(backend) {
        let t = team(backend).await;
        let mut other_tab = EventSocket::connect(&t.server, &t.bob.token).await;
        let timer = "/api/v1/me/timer";
        let (status, none) = call(&t.bob, Method::GET, timer, None).await;
        assert_eq!((status, none), (StatusCode::OK, Value::Null));
        assert_eq!(call(&t.bob, Method::DELETE, timer, None).await.0, StatusCode::NOT_FOUND);

        let (status, started) = call(&t.bob, Method::POST, timer, Some(json!({ "task": t.one }))).await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        assert_eq!(started["timer"]["task_id"], t.one.as_str());
        assert_eq!(started["timer"]["task_title"], "one");
        assert_eq!(started["stopped"], Value::Null);
        let frame = other_tab.expect("timer.updated", |_| true).await;
        assert_eq!(frame.data["timer"]["task_id"], t.one.as_str());
        let (_, running) = call(&t.bob, Method::GET, timer, None).await;
        assert_eq!(running["task_id"], t.one.as_str());

        // Who cannot write the task cannot time it; another org's task is not there.
        let (status, _) = call(&t.vic, Method::POST, timer, Some(json!({ "task": t.one }))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&t.bob, Method::POST, timer, Some(json!({ "task": t.mallory_task }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&t.mallory, Method::POST, timer, Some(json!({ "task": t.one }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Twenty starts at once: each stops exactly one timer, one timer is left running.
        let starts = (0..20).map(|i| {
            let bob = t.bob.clone();
            let task = if i % 2 == 0 { t.two.clone() } else { t.one.clone() };
            tokio::spawn(async move {
                call(&bob, Method::POST, "/api/v1/me/timer", Some(json!({ "task": task }))).await
            })
        });
        let mut stopped = Vec::new();
        for start in starts.collect::<Vec<_>>() {
            let (status, answer) = start.await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{answer}");
            let entry = &answer["stopped"];
            assert_eq!(entry["minutes"], 1, "{answer}");
            assert_eq!(entry["date"], day(0).as_str());
            stopped.push(entry["id"].as_str().unwrap().to_owned());
        }
        stopped.sort();
        stopped.dedup();
        assert_eq!(stopped.len(), 20, "every start stopped a different timer");
        let mut recorded = Vec::new();
        for task in [&t.one, &t.two] {
            for entry in entries(&t.bob, task).await {
                recorded.push(entry["id"].as_str().unwrap().to_owned());
            }
        }
        recorded.sort();
        assert_eq!(recorded, stopped, "the entries are exactly the stopped timers");

        // Stopping turns the last one into an entry; then none runs.
        let (_, running) = call(&t.bob, Method::GET, timer, None).await;
        let last_task = running["task_id"].as_str().unwrap().to_owned();
        let (status, entry) = call(&t.bob, Method::DELETE, timer, None).await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(entry["task_id"], last_task.as_str());
        assert_eq!(entry["user_id"], t.bob.id());
        assert_eq!(call(&t.bob, Method::GET, timer, None).await.1, Value::Null);
        assert_eq!(call(&t.bob, Method::DELETE, timer, None).await.0, StatusCode::NOT_FOUND);
        other_tab
            .expect("timer.updated", |f| f.data["timer"].is_null() && f.data["stopped"]["id"] == entry["id"])
            .await;
        // Carol's timer is her own.
        assert_eq!(call(&t.carol, Method::GET, timer, None).await.1, Value::Null);
    }

    async fn reports_roll_up_exactly_by_day_and_by_week_across_months(backend) {
        let t = team(backend).await;
        // A second project where Bob manages and Carol edits.
        let side = fixtures::create_project(&t.alice, &t.org, "=1+2", Visibility::Private).await.id;
        fixtures::add_project_member(&t.alice, &side, t.bob.id(), ProjectRole::Manager).await;
        fixtures::add_project_member(&t.alice, &side, t.carol.id(), ProjectRole::Editor).await;
        let side_task = task(&t.bob, &board(&t.bob, &side).await, "side").await;

        // (user, task, project, date, minutes, billable): the week of Monday 2026-03-30 runs
        // into April; one day before it and one after.
        let plan: Vec<(&TestUser, &str, &str, &str, u32, bool)> = vec![
            (&t.bob, &t.one, &t.work, "2026-03-29", 50, true),
            (&t.bob, &t.one, &t.work, "2026-03-30", 60, true),
            (&t.bob, &t.two, &t.work, "2026-03-30", 25, false),
            (&t.bob, &t.one, &t.work, "2026-03-31", 7, true),
            (&t.carol, &t.one, &t.work, "2026-03-31", 120, true),
            (&t.carol, &t.two, &t.work, "2026-04-01", 33, false),
            (&t.bob, &t.one, &t.work, "2026-04-05", 1440, true),
            (&t.bob, &t.one, &t.work, "2026-04-06", 11, true),
            (&t.carol, side_task.as_str(), side.as_str(), "2026-04-02", 45, true),
            (&t.bob, side_task.as_str(), side.as_str(), "2026-04-02", 5, false),
            // Outside the range: never counted.
            (&t.bob, &t.one, &t.work, "2026-03-28", 999, true),
            (&t.bob, &t.one, &t.work, "2026-04-07", 999, true),
        ];
        for (user, task, _, date, minutes, billable) in &plan {
            logged(user, task, *minutes, date, *billable).await;
        }
        let monday = |date: &str| match date {
            "2026-03-29" => "2026-03-23",
            "2026-04-06" => "2026-04-06",
            _ => "2026-03-30",
        };
        // What a report must say, summed here from the plan: (period, user, project) → minutes.
        let expect = |viewer: &TestUser, week: bool, sees_all_in: &[&str]| {
            let mut sums: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
            for (user, _, project, date, minutes, billable) in &plan {
                if !("2026-03-29"..="2026-04-06").contains(date) {
                    continue;
                }
                if user.id() != viewer.id() && !sees_all_in.contains(project) {
                    continue;
                }
                let period = if week { monday(date) } else { date };
                let sum = sums.entry((period.to_owned(), user.id().to_owned(), project.to_string())).or_default();
                sum.0 += u64::from(*minutes);
                sum.1 += if *billable { u64::from(*minutes) } else { 0 };
            }
            sums
        };
        let report = |viewer: &TestUser, query: String| {
            let viewer = viewer.clone();
            let path = format!("/api/v1/orgs/{}/time?{query}", t.org);
            async move { call(&viewer, Method::GET, &path, None).await }
        };
        let rows = |report: &Value| -> BTreeMap<(String, String, String), (u64, u64)> {
            report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    (
                        (
                            row["period"].as_str().unwrap().to_owned(),
                            row["user_id"].as_str().unwrap().to_owned(),
                            row["project_id"].as_str().unwrap().to_owned(),
                        ),
                        (row["minutes"].as_u64().unwrap(), row["billable_minutes"].as_u64().unwrap()),
                    )
                })
                .collect()
        };
        let range = "from=2026-03-29&to=2026-04-06";
        for (viewer, sees_all_in) in [
            (&t.alice, vec![t.work.as_str(), side.as_str()]),
            (&t.bob, vec![side.as_str()]),
            (&t.carol, vec![]),
        ] {
            let (status, by_day) = report(viewer, format!("{range}&group=day")).await;
            assert_eq!(status, StatusCode::OK, "{by_day}");
            let (status, by_week) = report(viewer, format!("{range}&group=week")).await;
            assert_eq!(status, StatusCode::OK, "{by_week}");
            assert_eq!(rows(&by_day), expect(viewer, false, &sees_all_in));
            assert_eq!(rows(&by_week), expect(viewer, true, &sees_all_in));
            assert_eq!((by_week["from"].as_str(), by_week["to"].as_str(), by_week["group"].as_str()), (Some("2026-03-29"), Some("2026-04-06"), Some("week")));
            // Totals are the sums of the rows, the same however grouped.
            for report in [&by_day, &by_week] {
                let total: u64 = rows(report).values().map(|v| v.0).sum();
                let billable: u64 = rows(report).values().map(|v| v.1).sum();
                assert_eq!(report["total_minutes"].as_u64(), Some(total));
                assert_eq!(report["billable_minutes"].as_u64(), Some(billable));
            }
            assert_eq!(by_day["total_minutes"], by_week["total_minutes"]);
            // The week across March and April is the sum of its days.
            let days: u64 = rows(&by_day)
                .iter()
                .filter(|((period, ..), _)| ("2026-03-30".."2026-04-06").contains(&period.as_str()))
                .map(|(_, v)| v.0)
                .sum();
            let week: u64 = rows(&by_week)
                .iter()
                .filter(|((period, ..), _)| period == "2026-03-30")
                .map(|(_, v)| v.0)
                .sum();
            assert_eq!(days, week);
        }
        let (_, everything) = report(&t.alice, format!("{range}&group=week")).await;
        assert_eq!(everything["total_minutes"], 50 + 60 + 25 + 7 + 120 + 33 + 1440 + 11 + 45 + 5);
        assert_eq!(everything["billable_minutes"], 50 + 60 + 7 + 120 + 1440 + 11 + 45);

        // Filters: one user, one project.
        let (_, carols) = report(&t.alice, format!("{range}&user={}", t.carol.id())).await;
        assert_eq!(carols["total_minutes"], 120 + 33 + 45);
        let (_, sides) = report(&t.alice, format!("{range}&project={side}")).await;
        assert_eq!(sides["total_minutes"], 50);
        // Bob manages "side": he sees Carol's time there, not in "work".
        let (status, bob_on_carol) = report(&t.bob, format!("{range}&user={}", t.carol.id())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bob_on_carol["total_minutes"], 45);
        // Carol manages nothing: Bob's time is not hers to see.
        let (status, _) = report(&t.carol, format!("{range}&user={}", t.bob.id())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, own) = report(&t.carol, format!("{range}&user={}", t.carol.id())).await;
        assert_eq!((status, own["total_minutes"].as_u64()), (StatusCode::OK, Some(120 + 33 + 45)));

        // Bad queries are named; other orgs' reports and projects are not there.
        for (query, field) in [
            ("from=2026-04-06&to=2026-03-29", "from"),
            ("from=2026-02-30&to=2026-03-29", "from"),
            ("from=2025-01-01&to=2026-03-29", "to"),
            ("from=2026-03-01&to=2026-03-29&group=month", "group"),
        ] {
            let (status, answer) = report(&t.alice, query.to_owned()).await;
            assert_eq!(fields(status, &answer), [field], "{query}");
        }
        let (status, _) = report(&t.mallory, range.to_owned()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = report(&t.vic, format!("{range}&project={side}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "vic cannot see side");

        // The CSV: a header, then the same rows; formula-like names are defused.
        let response = t
            .alice
            .client
            .request(Method::GET, &format!("/api/v1/orgs/{}/time.csv?{range}&group=week", t.org))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = response.text().await.unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("period,user_id,user,project_id,project,minutes,billable_minutes"));
        let mut csv_rows = BTreeMap::new();
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 7, "{line}");
            let project_name = if cells[3] == side { "'=1+2" } else { "work" };
            assert_eq!(cells[4], project_name, "{line}");
            let user = if cells[1] == t.bob.id() { &t.bob } else { &t.carol };
            assert!(cells[2].ends_with(&format!("(@{})", user.user.handle)), "{line}");
            csv_rows.insert(
                (cells[0].to_owned(), cells[1].to_owned(), cells[3].to_owned()),
                (cells[5].parse::<u64>().unwrap(), cells[6].parse::<u64>().unwrap()),
            );
        }
        assert_eq!(csv_rows, rows(&everything));
        let (status, _) = call(&t.mallory, Method::GET, &format!("/api/v1/orgs/{}/time.csv", t.org), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn timesheet_lists_ones_entries_across_tasks_by_date_as_the_report_sees_them(backend) {
        let t = team(backend).await;
        // A second project where Bob manages and Carol edits.
        let side = fixtures::create_project(&t.alice, &t.org, "side", Visibility::Private).await.id;
        fixtures::add_project_member(&t.alice, &side, t.bob.id(), ProjectRole::Manager).await;
        fixtures::add_project_member(&t.alice, &side, t.carol.id(), ProjectRole::Editor).await;
        let side_task = task(&t.bob, &board(&t.bob, &side).await, "side task").await;
        // Logged out of date order; the one outside the range never shows.
        let late = logged(&t.carol, &side_task, 45, "2026-04-02", true).await;
        let early = logged(&t.carol, &t.one, 120, "2026-03-30", true).await;
        let middle = logged(&t.carol, &t.two, 33, "2026-04-01", false).await;
        logged(&t.carol, &t.one, 999, "2026-04-06", true).await;
        logged(&t.bob, &t.one, 60, "2026-03-31", true).await;
        let sheet = |viewer: &TestUser, query: String| {
            let viewer = viewer.clone();
            let path = format!("/api/v1/orgs/{}/time/entries?{query}", t.org);
            async move { call(&viewer, Method::GET, &path, None).await }
        };
        let ids = |sheet: &Value| -> Vec<String> {
            sheet["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
        };
        let range = "from=2026-03-29&to=2026-04-05";

        // The caller's own entries by default, by date, named by task and project.
        let (status, own) = sheet(&t.carol, range.to_owned()).await;
        assert_eq!(status, StatusCode::OK, "{own}");
        assert_eq!(ids(&own), [early, middle, late.clone()]);
        assert_eq!((own["user_id"].as_str(), own["from"].as_str(), own["to"].as_str()), (Some(t.carol.id()), Some("2026-03-29"), Some("2026-04-05")));
        assert_eq!(own["total_minutes"], 120 + 33 + 45);
        let first = &own["entries"][0];
        assert_eq!((first["task_id"].as_str(), first["task_title"].as_str(), first["project_id"].as_str(), first["project_name"].as_str()), (Some(t.one.as_str()), Some("one"), Some(t.work.as_str()), Some("work")));
        assert!(first["task_key"].as_str().unwrap().ends_with("-1"), "{first}");
        assert_eq!((first["date"].as_str(), first["minutes"].as_u64()), (Some("2026-03-30"), Some(120)));
        assert_eq!(own["entries"][2]["task_title"], "side task");

        // The owner sees everyone's; Bob manages only "side", so he sees Carol's time there.
        let (status, alices_view) = sheet(&t.alice, format!("{range}&user={}", t.carol.id())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&alices_view), ids(&own));
        let (status, bobs_view) = sheet(&t.bob, format!("{range}&user={}", t.carol.id())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&bobs_view), vec![late]);
        assert_eq!(bobs_view["total_minutes"], 45);
        // Carol manages nothing: Bob's entries are not hers to see; a viewer has none of his own.
        let (status, _) = sheet(&t.carol, format!("{range}&user={}", t.bob.id())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, vics) = sheet(&t.vic, range.to_owned()).await;
        assert_eq!((status, ids(&vics).len()), (StatusCode::OK, 0));

        // Bad dates are named; another org's timesheet is not there.
        for (query, field) in [
            ("from=2026-04-06&to=2026-03-29", "from"),
            ("from=2026-02-30&to=2026-03-29", "from"),
            ("from=2026-03-01&to=yesterday", "to"),
            ("from=2025-01-01&to=2026-03-29", "to"),
        ] {
            let (status, answer) = sheet(&t.carol, query.to_owned()).await;
            assert_eq!(fields(status, &answer), [field], "{query}");
        }
        let (status, _) = sheet(&t.mallory, range.to_owned()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = sheet(&t.mallory, format!("{range}&user={}", t.carol.id())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
