//! Planning through HTTP and the events socket, on both databases: milestones with their
//! progress, closing and reopening, deleting (managers, audited, its tasks announced); the project overview's
//! counts; saved views that are their owner's alone, with validated filters; bad input that
//! changes nothing; permissions and cross-org 404s.

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::dates::day;
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Alice owns the org; in the private project "work" Bob and Carol are editors and Vic a
/// viewer; Mallory has an org of her own with a project "theirs". "work" has a board.
struct Team {
    server: TestServer,
    org: String,
    work: String,
    board: Value,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    vic: TestUser,
    mallory: TestUser,
    theirs: String,
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
    let (status, board) = call(
        &alice,
        Method::POST,
        &format!("/api/v1/projects/{work}/boards"),
        Some(json!({ "name": "Main" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let other_org = fixtures::create_org(&mallory, "Other").await.id;
    let theirs = fixtures::create_project(&mallory, &other_org, "theirs", Visibility::Open)
        .await
        .id;
    Team {
        server,
        org,
        work,
        board,
        alice,
        bob,
        carol,
        vic,
        mallory,
        theirs,
    }
}

impl Team {
    /// The status id of the board's first column of `category`.
    fn status(&self, category: &str) -> String {
        self.board["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|column| column["category"] == category)
            .map(|column| column["status_id"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {category} column: {}", self.board))
    }

    /// Creates a task on the board; its id.
    async fn task(&self, title: &str) -> String {
        let board = self.board["id"].as_str().unwrap();
        let (status, task) = call(
            &self.alice,
            Method::POST,
            &format!("/api/v1/boards/{board}/tasks"),
            Some(json!({ "title": title })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        task["id"].as_str().unwrap().to_owned()
    }

    /// Changes a task (as Alice).
    async fn patch_task(&self, task: &str, body: Value) {
        let (status, answer) = call(
            &self.alice,
            Method::PATCH,
            &format!("/api/v1/tasks/{task}"),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
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
    async fn milestones_track_progress_close_reopen_and_only_managers_delete_them(backend) {
        let t = team(backend).await;
        let mut carol = EventSocket::connect(&t.server, &t.carol.token).await;
        let list = format!("/api/v1/projects/{}/milestones", t.work);

        let (status, created) = call(&t.bob, Method::POST, &list, Some(json!({ "name": " Beta ", "due": "2026-06-30", "description": "first users" }))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!((created["name"].as_str(), created["due"].as_str()), (Some("Beta"), Some("2026-06-30")));
        assert_eq!((created["tasks_total"].as_u64(), created["tasks_closed"].as_u64()), (Some(0), Some(0)));
        let id = created["id"].as_str().unwrap().to_owned();
        carol.expect("milestone.updated", |f| f.data_id() == id).await;
        let one = format!("/api/v1/milestones/{id}");

        // Bad input is named and creates nothing; a viewer cannot plan; outsiders see nothing.
        for (body, expected) in [
            (json!({ "name": "  " }), vec!["name"]),
            (json!({ "name": "x".repeat(101) }), vec!["name"]),
            (json!({ "name": "ok", "due": "2026-02-30" }), vec!["due"]),
            (json!({ "name": "", "due": "tomorrow", "description": "d".repeat(2001) }), vec!["description", "due", "name"]),
        ] {
            let (status, answer) = call(&t.bob, Method::POST, &list, Some(body.clone())).await;
            assert_eq!(fields(status, &answer), expected, "{body}");
        }
        assert_eq!(call(&t.vic, Method::POST, &list, Some(json!({ "name": "v" }))).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t.mallory, Method::POST, &list, Some(json!({ "name": "m" }))).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&t.mallory, Method::GET, &list, None).await.0, StatusCode::NOT_FOUND);
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| json!({ "name": "mine" }));
            assert_eq!(call(&t.mallory, method, &one, body).await.0, StatusCode::NOT_FOUND);
        }
        let (_, page) = call(&t.vic, Method::GET, &list, None).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

        // Progress counts the milestone's tasks, closed and all.
        let a = t.task("a").await;
        let b = t.task("b").await;
        t.task("elsewhere").await;
        t.patch_task(&a, json!({ "milestone": id })).await;
        t.patch_task(&b, json!({ "milestone": id })).await;
        t.patch_task(&b, json!({ "status": t.status("done") })).await;
        let (_, now) = call(&t.vic, Method::GET, &one, None).await;
        assert_eq!((now["tasks_total"].as_u64(), now["tasks_closed"].as_u64()), (Some(2), Some(1)), "{now}");

        // Close, reopen, redate; a bad patch changes nothing.
        let (status, closed) = call(&t.bob, Method::PATCH, &one, Some(json!({ "closed": true, "due": null }))).await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert!(closed["closed_at"].is_i64());
        assert_eq!(closed["due"], Value::Null);
        assert_eq!(closed["tasks_total"], 2);
        carol.expect("milestone.updated", |f| f.data_id() == id && f.data["closed_at"].is_i64()).await;
        let (status, answer) = call(&t.bob, Method::PATCH, &one, Some(json!({ "name": "", "closed": false }))).await;
        assert_eq!(fields(status, &answer), ["name"]);
        assert!(call(&t.bob, Method::GET, &one, None).await.1["closed_at"].is_i64());
        let (_, reopened) = call(&t.bob, Method::PATCH, &one, Some(json!({ "closed": false, "due": "2026-07-01" }))).await;
        assert_eq!((reopened["closed_at"].clone(), reopened["due"].as_str()), (Value::Null, Some("2026-07-01")));
        assert_eq!(call(&t.vic, Method::PATCH, &one, Some(json!({ "closed": true }))).await.0, StatusCode::FORBIDDEN);

        // Editors cannot delete a milestone; the manager can (audited), and its tasks stay.
        assert_eq!(call(&t.bob, Method::DELETE, &one, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call(&t.alice, Method::DELETE, &one, None).await.0, StatusCode::NO_CONTENT);
        // The tasks it took the milestone from are announced as they are now, before it goes.
        let frames = carol.until("milestone.deleted", |f| f.data_id() == id).await;
        let mut cleared: Vec<&str> = frames
            .iter()
            .filter(|f| f.kind == "task.updated" && f.data["task"]["milestone"].is_null())
            .filter_map(|f| f.data["task"]["id"].as_str())
            .filter(|task| [a.as_str(), b.as_str()].contains(task))
            .collect();
        cleared.sort_unstable();
        let mut expected = vec![a.as_str(), b.as_str()];
        expected.sort_unstable();
        assert_eq!(cleared, expected, "{frames:?}");
        assert_eq!(call(&t.alice, Method::GET, &one, None).await.0, StatusCode::NOT_FOUND);
        let (_, task) = call(&t.alice, Method::GET, &format!("/api/v1/tasks/{a}"), None).await;
        assert_eq!(task["milestone"], Value::Null, "{task}");
        let (_, audit) = call(&t.alice, Method::GET, &format!("/api/v1/orgs/{}/audit?action=milestone.deleted", t.org), None).await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    }

    async fn the_overview_counts_statuses_open_closed_overdue_unassigned_and_blocked(backend) {
        let t = team(backend).await;
        let path = format!("/api/v1/projects/{}/overview", t.work);
        let (status, empty) = call(&t.vic, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{empty}");
        assert_eq!((empty["open"].as_u64(), empty["closed"].as_u64()), (Some(0), Some(0)));
        let categories: Vec<&str> = empty["statuses"].as_array().unwrap().iter().map(|s| s["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["backlog", "todo", "in_progress", "done"]);

        // late: overdue, assigned, blocked by open `blocker`; done_late: closed, not overdue;
        // waits_on_done: blocked only by a closed task; future: due later, unassigned.
        let blocker = t.task("blocker").await;
        let late = t.task("late").await;
        let done_late = t.task("done late").await;
        let waits_on_done = t.task("waits on done").await;
        let future = t.task("future").await;
        t.patch_task(&late, json!({ "due": day(-1), "assignees": [t.bob.id()], "blocked_by": [blocker] })).await;
        t.patch_task(&done_late, json!({ "due": day(-3), "assignees": [t.bob.id()] })).await;
        t.patch_task(&done_late, json!({ "status": t.status("done") })).await;
        t.patch_task(&waits_on_done, json!({ "blocked_by": [done_late], "assignees": [t.carol.id()] })).await;
        t.patch_task(&future, json!({ "due": day(0) })).await;
        t.patch_task(&blocker, json!({ "assignees": [t.carol.id()], "status": t.status("in_progress") })).await;
        let milestone = format!("/api/v1/projects/{}/milestones", t.work);
        let (_, m) = call(&t.bob, Method::POST, &milestone, Some(json!({ "name": "M1" }))).await;
        t.patch_task(&future, json!({ "milestone": m["id"] })).await;

        let (status, overview) = call(&t.vic, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{overview}");
        assert_eq!(overview["project_id"], t.work.as_str());
        let counts: Vec<(String, u64)> = overview["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["category"].as_str().unwrap().to_owned(), s["count"].as_u64().unwrap()))
            .collect();
        let first = t.board["columns"][0]["category"].as_str().unwrap().to_owned();
        let mut expected = vec![("backlog".to_owned(), 0), ("todo".to_owned(), 0), ("in_progress".to_owned(), 1), ("done".to_owned(), 1)];
        for (category, count) in &mut expected {
            if *category == first {
                *count += 3;
            }
        }
        assert_eq!(counts, expected, "{overview}");
        assert_eq!(overview["open"], 4);
        assert_eq!(overview["closed"], 1);
        assert_eq!(overview["overdue"], 1, "only `late`: open and due before today");
        assert_eq!(overview["unassigned"], 1, "only `future`");
        assert_eq!(overview["blocked"], 1, "only `late`: its blocker is open");
        let milestones = overview["milestones"].as_array().unwrap();
        assert_eq!(milestones.len(), 1);
        assert_eq!((milestones[0]["name"].as_str(), milestones[0]["tasks_total"].as_u64()), (Some("M1"), Some(1)));

        // Closing the blocker unblocks `late`.
        t.patch_task(&blocker, json!({ "status": t.status("done") })).await;
        let (_, overview) = call(&t.vic, Method::GET, &path, None).await;
        assert_eq!((overview["blocked"].as_u64(), overview["closed"].as_u64()), (Some(0), Some(2)));

        assert_eq!(call(&t.mallory, Method::GET, &path, None).await.0, StatusCode::NOT_FOUND);
        let theirs = format!("/api/v1/projects/{}/overview", t.theirs);
        assert_eq!(call(&t.bob, Method::GET, &theirs, None).await.0, StatusCode::NOT_FOUND);
    }

    async fn saved_views_are_their_owners_alone_and_their_filters_are_checked(backend) {
        let t = team(backend).await;
        let list = format!("/api/v1/projects/{}/views", t.work);
        let (_, m) = call(&t.bob, Method::POST, &format!("/api/v1/projects/{}/milestones", t.work), Some(json!({ "name": "M" }))).await;
        let todo = t.status("todo");
        let view = json!({
            "name": "My urgent work",
            "layout": "list",
            "filters": {
                "assignees": [t.bob.id(), "none"],
                "labels": ["ui", " ui "],
                "priorities": ["urgent", "high"],
                "statuses": [todo],
                "milestone": m["id"],
                "due_before": "2026-12-31",
                "text": " login ",
            },
            "sort": "-due",
        });
        let (status, created) = call(&t.bob, Method::POST, &list, Some(view)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["layout"], "list");
        assert_eq!(created["sort"], "-due");
        assert_eq!(created["filters"]["labels"], json!(["ui"]));
        assert_eq!(created["filters"]["text"], "login");
        assert_eq!(created["filters"]["statuses"], json!([todo]));
        let id = created["id"].as_str().unwrap().to_owned();
        let one = format!("/api/v1/views/{id}");
        // A viewer saves views of their own too.
        let (status, _) = call(&t.vic, Method::POST, &list, Some(json!({ "name": "Board", "layout": "board" }))).await;
        assert_eq!(status, StatusCode::CREATED);

        // Each sees only their own.
        let names = |page: &Value| -> Vec<String> {
            page["items"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(names(&call(&t.bob, Method::GET, &list, None).await.1), ["My urgent work"]);
        assert_eq!(names(&call(&t.vic, Method::GET, &list, None).await.1), ["Board"]);
        assert!(names(&call(&t.carol, Method::GET, &list, None).await.1).is_empty());

        // Bad views are refused with their fields and change nothing.
        let bad = [
            (json!({ "name": "", "layout": "list" }), vec!["name"]),
            (json!({ "name": "x", "layout": "list", "sort": "colour" }), vec!["sort"]),
            (json!({ "name": "x", "layout": "list", "filters": { "statuses": ["nope"] } }), vec!["filters.statuses"]),
            (json!({ "name": "x", "layout": "list", "filters": { "assignees": [t.mallory.id()] } }), vec!["filters.assignees"]),
            (json!({ "name": "x", "layout": "list", "filters": { "milestone": "nope" } }), vec!["filters.milestone"]),
            (json!({ "name": "x", "layout": "list", "filters": { "due_before": "2026-02-30", "labels": [""] } }), vec!["filters.due_before", "filters.labels"]),
        ];
        for (body, expected) in bad {
            let (status, answer) = call(&t.bob, Method::POST, &list, Some(body.clone())).await;
            assert_eq!(fields(status, &answer), expected, "{body}");
            let (status, answer) = call(&t.bob, Method::PATCH, &one, Some(body.clone())).await;
            assert_eq!(fields(status, &answer), expected, "{body}");
        }
        let (status, _) = call(&t.bob, Method::POST, &list, Some(json!({ "name": "x", "layout": "gantt" }))).await;
        assert!(status.is_client_error());
        assert_eq!(names(&call(&t.bob, Method::GET, &list, None).await.1), ["My urgent work"]);

        // The owner changes and deletes it; anyone else (the org's owner included) gets a 404.
        for other in [&t.carol, &t.alice, &t.mallory] {
            let (status, _) = call(other, Method::PATCH, &one, Some(json!({ "name": "mine", "layout": "board" }))).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(call(other, Method::DELETE, &one, None).await.0, StatusCode::NOT_FOUND);
        }
        let (status, changed) = call(&t.bob, Method::PATCH, &one, Some(json!({ "name": "Board view", "layout": "board", "sort": "key" }))).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!((changed["layout"].as_str(), changed["sort"].as_str()), (Some("board"), Some("key")));
        assert_eq!(changed["filters"], json!({}));
        assert_eq!(names(&call(&t.bob, Method::GET, &list, None).await.1), ["Board view"]);
        assert_eq!(call(&t.bob, Method::DELETE, &one, None).await.0, StatusCode::NO_CONTENT);
        assert!(names(&call(&t.bob, Method::GET, &list, None).await.1).is_empty());

        // Another org's project: no views there.
        let theirs = format!("/api/v1/projects/{}/views", t.theirs);
        assert_eq!(call(&t.bob, Method::GET, &theirs, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&t.bob, Method::POST, &theirs, Some(json!({ "name": "x", "layout": "list" }))).await.0, StatusCode::NOT_FOUND);
    }
}
