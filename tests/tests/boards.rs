//! Boards and tasks through HTTP and `/api/v1/events`, on both databases: boards with columns
//! over project statuses, tasks with per-project keys (distinct and consecutive under
//! concurrency), concurrent moves that never lose or duplicate a card, WIP limits, subtasks and
//! dependencies, bulk changes that are all or nothing, history, live events, search,
//! notifications, permissions and bad input that changes nothing.

use std::time::{Duration, Instant};

use atrium_client::wire::{
    Board, Notification, NotificationKind, OrgRole, Page, ProjectRole, Task, TaskCard, TaskChange,
    Visibility,
};
use atrium_tests::dates::day;
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Alice owns the org and manages the project "Engineering" (key ENG); Bob is an editor,
/// Carol a commenter, Vic a viewer; Eve is an org member outside the private project; Mallory
/// owns another org.
struct Team {
    server: TestServer,
    org: String,
    project: String,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    vic: TestUser,
    eve: TestUser,
    mallory: TestUser,
    board: Board,
}

async fn team(backend: Backend) -> Team {
    let server = TestServer::builder(backend).start().await;
    let alice = fixtures::user(&server, "alice").await;
    let bob = fixtures::user(&server, "bob").await;
    let carol = fixtures::user(&server, "carol").await;
    let vic = fixtures::user(&server, "vic").await;
    let eve = fixtures::user(&server, "eve").await;
    let mallory = fixtures::user(&server, "mallory").await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    for member in [&bob, &carol, &vic, &eve] {
        fixtures::add_org_member(&alice, &org, member, OrgRole::Member).await;
    }
    fixtures::create_org(&mallory, "Other").await;
    let project = fixtures::create_project(&alice, &org, "Engineering", Visibility::Private).await;
    assert_eq!(project.key.as_deref(), Some("ENG"));
    for (member, role) in [
        (&bob, ProjectRole::Editor),
        (&carol, ProjectRole::Commenter),
        (&vic, ProjectRole::Viewer),
    ] {
        fixtures::add_project_member(&alice, &project.id, member.id(), role).await;
    }
    let board: Board = alice
        .client
        .post(
            &format!("/api/v1/projects/{}/boards", project.id),
            &json!({"name": "Sprint"}),
        )
        .await
        .unwrap();
    Team {
        server,
        org,
        project: project.id,
        alice,
        bob,
        carol,
        vic,
        eve,
        mallory,
        board,
    }
}

impl Team {
    fn column(&self, name: &str) -> String {
        self.board
            .columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id.clone())
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    async fn create(&self, user: &TestUser, body: Value) -> Task {
        let (status, task) = call(
            user,
            Method::POST,
            &format!("/api/v1/boards/{}/tasks", self.board.id),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        serde_json::from_value(task).unwrap()
    }

    async fn task(&self, id: &str) -> Task {
        self.alice
            .client
            .get(&format!("/api/v1/tasks/{id}"))
            .await
            .unwrap()
    }

    async fn board(&self, user: &TestUser) -> Board {
        user.client
            .get(&format!("/api/v1/boards/{}", self.board.id))
            .await
            .unwrap()
    }

    async fn move_task(&self, user: &TestUser, task: &str, body: Value) -> (StatusCode, Value) {
        call(
            user,
            Method::POST,
            &format!("/api/v1/tasks/{task}/move"),
            Some(body),
        )
        .await
    }
}

fn ids(cards: &[TaskCard]) -> Vec<String> {
    cards.iter().map(|c| c.id.clone()).collect()
}

backend_tests! {
    async fn create_board_and_tasks(backend) {
        let t = team(backend).await;
        let names: Vec<&str> = t.board.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Backlog", "To do", "In progress", "Done"]);
        assert_eq!(t.board.project_key, "ENG");
        let first = t.create(&t.bob, json!({"title": "Write the spec", "labels": ["docs"], "priority": "high"})).await;
        assert_eq!(first.key, "ENG-1");
        assert_eq!(first.status, "Backlog");
        assert_eq!(first.description_doc, first.id);
        assert_eq!(first.discussion_channel, first.id);
        let second = t
            .create(&t.bob, json!({"title": "Build it", "column": t.column("To do"), "due": "2030-01-31", "estimate": 90}))
            .await;
        assert_eq!(second.key, "ENG-2");
        assert_eq!(second.estimate, Some(90));
        // `null` clears an optional field; an absent one stays as it is.
        let patch = format!("/api/v1/tasks/{}", second.id);
        let (status, body) = call(&t.bob, Method::PATCH, &patch, Some(json!({"due": null, "estimate": null}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cleared = t.task(&second.id).await;
        assert_eq!((cleared.due, cleared.estimate, cleared.title.as_str()), (None, None, "Build it"));
        let (status, body) = call(&t.bob, Method::PATCH, &patch, Some(json!({"due": "2030-01-31", "estimate": 90}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let board = t.board(&t.vic).await;
        assert_eq!(ids(&board.columns[0].tasks), [first.id.as_str()]);
        assert_eq!(ids(&board.columns[1].tasks), [second.id.as_str()]);
        assert_eq!(board.columns[1].count, 1);
        assert_eq!(board.columns[0].tasks[0].labels, ["docs"]);
        assert!(board.can.as_ref().is_some_and(|c| c.read && !c.write));
        // A second board shows the same statuses by name: one task, one status.
        let other: Board = t.alice.client.post(
            &format!("/api/v1/projects/{}/boards", t.project),
            &json!({"name": "Delivery", "columns": [{"name": "to DO"}, {"name": "Review", "category": "in_progress", "wip_limit": 2}]}),
        ).await.unwrap();
        assert_eq!(ids(&other.columns[0].tasks), [second.id.as_str()]);
        assert_eq!(other.columns[1].wip_limit, Some(2));
        let list: Page<atrium_client::wire::BoardSummary> = t.vic.client
            .get(&format!("/api/v1/projects/{}/boards", t.project)).await.unwrap();
        assert_eq!(list.items.len(), 2);
        // The description and discussion exist with the task's id and are not listed as
        // documents or channels.
        let (status, docs) = call(&t.alice, Method::GET, &format!("/api/v1/projects/{}/docs", t.project), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(docs["items"].as_array().map(Vec::len), Some(0), "{docs}");
        let doc = format!("/api/v1/docs/{}", first.description_doc);
        let (status, body) = call(&t.alice, Method::PATCH, &doc, Some(json!({"title": "renamed"}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(call(&t.alice, Method::DELETE, &doc, None).await.0, StatusCode::CONFLICT);
        assert_eq!(call(&t.vic, Method::GET, &doc, None).await.0, StatusCode::OK);
    }

    async fn keys_are_distinct_and_consecutive_under_concurrency(backend) {
        let t = team(backend).await;
        let creations = (0..50).map(|i| {
            let user = if i % 2 == 0 { &t.alice } else { &t.bob };
            t.create(user, json!({"title": format!("task {i}")}))
        });
        let tasks = futures::future::join_all(creations).await;
        let mut numbers: Vec<u32> = tasks
            .iter()
            .map(|task| task.key.strip_prefix("ENG-").unwrap().parse().unwrap())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
        let board = t.board(&t.alice).await;
        let column = &board.columns[0];
        assert_eq!(column.tasks.len(), 50);
        let mut ranks: Vec<&str> = column.tasks.iter().map(|c| c.rank.as_str()).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "cards in rank order");
        ranks.dedup();
        assert_eq!(ranks.len(), 50);
    }

    async fn concurrent_moves_keep_one_order(backend) {
        let t = team(backend).await;
        let t = &t;
        let column = t.column("To do");
        let mut tasks = Vec::new();
        for i in 0..12 {
            tasks.push(t.create(&t.alice, json!({"title": format!("card {i}"), "column": column})).await.id);
        }
        // Two users, 200 moves each, all at once: each puts a card after or before another
        // card of the column (pseudo-random, fixed seed) or at the bottom.
        let mut seed: u64 = 7;
        let mut next = move |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        let mut moves = Vec::new();
        for i in 0..400 {
            let user = if i % 2 == 0 { &t.alice } else { &t.bob };
            let task = tasks[next(tasks.len())].clone();
            let mut other = tasks[next(tasks.len())].clone();
            if other == task {
                other = tasks[(tasks.iter().position(|x| *x == task).unwrap() + 1) % tasks.len()].clone();
            }
            let body = match next(3) {
                0 => json!({"column": column, "after": other}),
                1 => json!({"column": column, "before": other}),
                _ => json!({"column": column}),
            };
            moves.push(async move { t.move_task(user, &task, body).await });
        }
        let answers = futures::future::join_all(moves).await;
        for (status, body) in &answers {
            assert_eq!(*status, StatusCode::OK, "{body}");
        }
        let seen_by_alice = t.board(&t.alice).await;
        let seen_by_bob = t.board(&t.bob).await;
        let alice_order = ids(&seen_by_alice.columns[1].tasks);
        assert_eq!(alice_order, ids(&seen_by_bob.columns[1].tasks));
        let mut sorted = alice_order.clone();
        sorted.sort();
        let mut expected = tasks.clone();
        expected.sort();
        assert_eq!(sorted, expected, "no card lost or duplicated");
        let ranks: Vec<&str> = seen_by_alice.columns[1].tasks.iter().map(|c| c.rank.as_str()).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "order keys unique and in order: {ranks:?}");
        assert!(ranks.iter().all(|r| r.len() < 64));
    }

    async fn moves_place_cards_between_neighbours(backend) {
        let t = team(backend).await;
        let todo = t.column("To do");
        let a = t.create(&t.bob, json!({"title": "a", "column": todo})).await;
        let b = t.create(&t.bob, json!({"title": "b", "column": todo})).await;
        let c = t.create(&t.bob, json!({"title": "c", "column": todo})).await;
        let (status, card) = t.move_task(&t.bob, &c.id, json!({"column": todo, "after": a.id, "before": b.id})).await;
        assert_eq!(status, StatusCode::OK, "{card}");
        assert_eq!(ids(&t.board(&t.bob).await.columns[1].tasks), [a.id.clone(), c.id.clone(), b.id.clone()]);
        let (status, _) = t.move_task(&t.bob, &a.id, json!({"column": todo, "after": b.id})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&t.board(&t.bob).await.columns[1].tasks), [c.id.clone(), b.id.clone(), a.id.clone()]);
        // Into another column: the status follows, and closing sets closed_at.
        let done = t.column("Done");
        let (status, card) = t.move_task(&t.bob, &b.id, json!({"column": done})).await;
        assert_eq!(status, StatusCode::OK);
        assert!(card["closed"].as_bool().unwrap());
        let moved = t.task(&b.id).await;
        assert_eq!(moved.status, "Done");
        assert!(moved.closed_at.is_some());
        let (status, _) = t.move_task(&t.bob, &b.id, json!({"column": todo, "before": c.id})).await;
        assert_eq!(status, StatusCode::OK);
        let reopened = t.task(&b.id).await;
        assert!(reopened.closed_at.is_none());
        assert_eq!(ids(&t.board(&t.bob).await.columns[1].tasks), [b.id.clone(), c.id.clone(), a.id.clone()]);
    }

    async fn wip_limit_refuses_unless_a_manager_forces(backend) {
        let t = team(backend).await;
        let t = &t;
        let board: Board = t.alice.client.post(
            &format!("/api/v1/projects/{}/boards", t.project),
            &json!({"name": "Flow", "columns": [{"name": "Queue"}, {"name": "Doing", "category": "in_progress", "wip_limit": 1}]}),
        ).await.unwrap();
        let (queue, doing) = (board.columns[0].id.clone(), board.columns[1].id.clone());
        let path = format!("/api/v1/boards/{}/tasks", board.id);
        let create = |title: &str| {
            let body = json!({"title": title, "column": queue});
            let path = &path;
            async move { t.bob.client.post::<_, Task>(path, &body).await.unwrap() }
        };
        let first = create("first").await;
        let second = create("second").await;
        let (status, _) = t.move_task(&t.bob, &first.id, json!({"column": doing})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = t.move_task(&t.bob, &second.id, json!({"column": doing})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "wip_limit");
        // An editor's force is not enough; the task did not move.
        let (status, body) = t.move_task(&t.bob, &second.id, json!({"column": doing, "force": true})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(t.task(&second.id).await.status, "Queue");
        let (status, _) = t.move_task(&t.alice, &second.id, json!({"column": doing, "force": true})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(t.task(&second.id).await.status, "Doing");
    }

    async fn dependencies_and_subtasks(backend) {
        let t = team(backend).await;
        let a = t.create(&t.bob, json!({"title": "design"})).await;
        let b = t.create(&t.bob, json!({"title": "build", "blocked_by": [a.id]})).await;
        let c = t.create(&t.bob, json!({"title": "ship", "blocked_by": [b.id]})).await;
        // b shows its blocker; its card is blocked while a is open.
        let task_b = t.task(&b.id).await;
        assert_eq!(task_b.blocked_by.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), [a.key.as_str()]);
        assert_eq!(task_b.blocks.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [c.id.as_str()]);
        let card = |board: &Board, id: &str| board.columns.iter().flat_map(|c| &c.tasks).find(|c| c.id == id).cloned().unwrap();
        assert!(card(&t.board(&t.bob).await, &b.id).blocked);
        // a waiting for c would close a loop: refused, nothing changed.
        let (status, body) = call(&t.bob, Method::PATCH, &format!("/api/v1/tasks/{}", a.id), Some(json!({"blocked_by": [c.id]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["blocked_by"].is_string());
        assert!(t.task(&a.id).await.blocked_by.is_empty());
        let (status, _) = call(&t.bob, Method::PATCH, &format!("/api/v1/tasks/{}", a.id), Some(json!({"blocked_by": [a.id]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // Closing a unblocks b.
        let (status, _) = t.move_task(&t.bob, &a.id, json!({"column": t.column("Done")})).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!card(&t.board(&t.bob).await, &b.id).blocked);

        // Subtasks: a parent with an open subtask closes only when confirmed.
        let parent = t.create(&t.bob, json!({"title": "epic"})).await;
        let child = t.create(&t.bob, json!({"title": "part", "parent": parent.id})).await;
        assert_eq!(t.task(&parent.id).await.subtasks.len(), 1);
        let (status, body) = call(&t.bob, Method::PATCH, &format!("/api/v1/tasks/{}", parent.id), Some(json!({"parent": child.id}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a parent cycle: {body}");
        let done_status = t.board.columns[3].status_id.clone();
        let (status, body) = call(&t.bob, Method::PATCH, &format!("/api/v1/tasks/{}", parent.id), Some(json!({"status": done_status}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "open_subtasks");
        let (status, body) = t.move_task(&t.bob, &parent.id, json!({"column": t.column("Done")})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "open_subtasks");
        assert!(t.task(&parent.id).await.closed_at.is_none());
        let (status, _) = call(&t.bob, Method::PATCH, &format!("/api/v1/tasks/{}", parent.id), Some(json!({"status": done_status, "confirm": true}))).await;
        assert_eq!(status, StatusCode::OK);
        let closed = t.task(&parent.id).await;
        assert!(closed.closed_at.is_some());
        assert_eq!(closed.category, atrium_client::wire::StatusCategory::Done);
    }

    async fn bad_input_changes_nothing(backend) {
        let t = team(backend).await;
        let other_project = fixtures::create_project(&t.alice, &t.org, "Marketing", Visibility::Open).await;
        let other_board: Board = t.alice.client.post(
            &format!("/api/v1/projects/{}/boards", other_project.id), &json!({"name": "M"})).await.unwrap();
        let foreign: Task = t.alice.client.post(
            &format!("/api/v1/boards/{}/tasks", other_board.id), &json!({"title": "elsewhere"})).await.unwrap();
        assert_eq!(foreign.key, "MAR-1");
        let task = t.create(&t.bob, json!({"title": "keep me", "estimate": 30})).await;
        let path = format!("/api/v1/tasks/{}", task.id);
        let cases = [
            (json!({"title": ""}), "title"),
            (json!({"title": "x".repeat(301)}), "title"),
            (json!({"estimate": -5}), "estimate"),
            (json!({"due": "2026-02-30"}), "due"),
            (json!({"status": "nope"}), "status"),
            (json!({"milestone": "nope"}), "milestone"),
            (json!({"parent": "missing"}), "parent"),
            (json!({"parent": foreign.id}), "parent"),
            (json!({"blocked_by": ["missing"]}), "blocked_by"),
            (json!({"blocked_by": [foreign.id]}), "blocked_by"),
            (json!({"assignees": [t.eve.id()]}), "assignees"),
            (json!({"assignees": [t.mallory.id()]}), "assignees"),
            (json!({"watchers": ["nobody"]}), "watchers"),
            (json!({"labels": (0..21).map(|i| format!("l{i}")).collect::<Vec<_>>()}), "labels"),
            (json!({"labels": ["y".repeat(41)]}), "labels"),
            (json!({"checklist": (0..101).map(|i| json!({"text": format!("item {i}")})).collect::<Vec<_>>()}), "checklist"),
            (json!({"attachments": ["nope"]}), "attachments"),
            (json!({"title": "changed", "estimate": -1}), "estimate"),
        ];
        for (body, field) in cases {
            let (status, answer) = call(&t.bob, Method::PATCH, &path, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["fields"][field].is_string(), "{body}: {answer}");
        }
        let after = t.task(&task.id).await;
        assert_eq!(after.title, "keep me");
        assert_eq!(after.estimate, Some(30));
        assert!(after.labels.is_empty() && after.blocked_by.is_empty() && after.parent.is_none());
        // Creation and moves refuse the same way.
        let create = format!("/api/v1/boards/{}/tasks", t.board.id);
        for (body, field) in [
            (json!({"title": ""}), "title"),
            (json!({"title": "x", "column": "nope"}), "column"),
            (json!({"title": "x", "column": other_board.columns[0].id}), "column"),
            (json!({"title": "x", "estimate": -1}), "estimate"),
            (json!({"title": "x", "parent": "missing"}), "parent"),
        ] {
            let (status, answer) = call(&t.bob, Method::POST, &create, Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["fields"][field].is_string(), "{body}: {answer}");
        }
        let other = t.create(&t.bob, json!({"title": "other", "column": t.column("To do")})).await;
        assert_eq!(other.key, "ENG-2", "refused creations used no number");
        for (body, field) in [
            (json!({"column": "nope"}), "column"),
            (json!({"column": t.column("Backlog"), "after": foreign.id}), "after"),
            (json!({"column": t.column("Backlog"), "after": other.id}), "after"),
            (json!({"column": t.column("Backlog"), "before": other.id}), "before"),
        ] {
            let (status, answer) = t.move_task(&t.bob, &task.id, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert!(answer["error"]["fields"][field].is_string(), "{body}: {answer}");
        }
        let unmoved = t.task(&task.id).await;
        assert_eq!((unmoved.status_id, unmoved.rank), (after.status_id, after.rank));
        // Project keys: malformed or taken.
        for (key, status) in [("e", StatusCode::UNPROCESSABLE_ENTITY), ("1AB", StatusCode::UNPROCESSABLE_ENTITY), ("ENG", StatusCode::CONFLICT)] {
            let (got, body) = call(&t.alice, Method::POST, &format!("/api/v1/orgs/{}/projects", t.org), Some(json!({"name": "Keyed", "key": key}))).await;
            assert_eq!(got, status, "{key}: {body}");
        }
    }

    async fn permissions_and_other_orgs(backend) {
        let t = team(backend).await;
        let task = t.create(&t.bob, json!({"title": "guarded"})).await;
        let todo = t.column("To do");
        let create = format!("/api/v1/boards/{}/tasks", t.board.id);
        let patch = format!("/api/v1/tasks/{}", task.id);
        for user in [&t.carol, &t.vic] {
            // Both read the board and the task.
            assert_eq!(call(user, Method::GET, &format!("/api/v1/boards/{}", t.board.id), None).await.0, StatusCode::OK);
            assert_eq!(call(user, Method::GET, &patch, None).await.0, StatusCode::OK);
            // Neither creates, moves, edits or deletes.
            assert_eq!(call(user, Method::POST, &create, Some(json!({"title": "x"}))).await.0, StatusCode::FORBIDDEN);
            assert_eq!(t.move_task(user, &task.id, json!({"column": todo})).await.0, StatusCode::FORBIDDEN);
            assert_eq!(call(user, Method::PATCH, &patch, Some(json!({"title": "y"}))).await.0, StatusCode::FORBIDDEN);
            assert_eq!(call(user, Method::DELETE, &patch, None).await.0, StatusCode::FORBIDDEN);
            assert_eq!(
                call(user, Method::POST, &format!("/api/v1/projects/{}/tasks/bulk", t.project), Some(json!({"tasks": [task.id], "op": "priority", "priority": "high"}))).await.0,
                StatusCode::FORBIDDEN
            );
        }
        assert_eq!(t.task(&task.id).await.title, "guarded");
        // The commenter discusses; the viewer reads the discussion only.
        let messages = format!("/api/v1/channels/{}/messages", task.discussion_channel);
        let (status, body) = call(&t.carol, Method::POST, &messages, Some(json!({"text": "a question for @bob"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(call(&t.vic, Method::POST, &messages, Some(json!({"text": "me too"}))).await.0, StatusCode::FORBIDDEN);
        let (status, history) = call(&t.vic, Method::GET, &messages, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(history.to_string().contains("a question for @bob"));
        // The mention notifies as in chat.
        let page: Page<Notification> = t.bob.client.get("/api/v1/notifications").await.unwrap();
        assert!(page.items.iter().any(|n| n.kind == NotificationKind::Mention && n.channel_id.as_deref() == Some(task.id.as_str())));
        // The discussion is no chat channel: not in the sidebar or the project's channels.
        let (_, sidebar) = call(&t.bob, Method::GET, &format!("/api/v1/orgs/{}/channels", t.org), None).await;
        assert!(!sidebar.to_string().contains(&task.id), "{sidebar}");
        let (_, listed) = call(&t.bob, Method::GET, &format!("/api/v1/projects/{}/channels", t.project), None).await;
        assert!(!listed.to_string().contains(&task.id), "{listed}");
        let (_, unread) = call(&t.bob, Method::GET, &format!("/api/v1/orgs/{}/unread", t.org), None).await;
        assert!(!unread.to_string().contains(&task.id), "{unread}");
        // Another org's member and an org member outside the private project: 404 everywhere.
        for outsider in [&t.mallory, &t.eve] {
            let routes = [
                (Method::GET, format!("/api/v1/boards/{}", t.board.id), None),
                (Method::PATCH, format!("/api/v1/boards/{}", t.board.id), Some(json!({"name": "x"}))),
                (Method::DELETE, format!("/api/v1/boards/{}", t.board.id), None),
                (Method::POST, format!("/api/v1/boards/{}/columns", t.board.id), Some(json!({"name": "x"}))),
                (Method::POST, create.clone(), Some(json!({"title": "x"}))),
                (Method::GET, format!("/api/v1/projects/{}/boards", t.project), None),
                (Method::POST, format!("/api/v1/projects/{}/boards", t.project), Some(json!({"name": "x"}))),
                (Method::GET, format!("/api/v1/projects/{}/tasks", t.project), None),
                (Method::GET, format!("/api/v1/projects/{}/statuses", t.project), None),
                (Method::POST, format!("/api/v1/projects/{}/tasks/bulk", t.project), Some(json!({"tasks": [task.id], "op": "close"}))),
                (Method::GET, patch.clone(), None),
                (Method::PATCH, patch.clone(), Some(json!({"title": "x"}))),
                (Method::DELETE, patch.clone(), None),
                (Method::POST, format!("/api/v1/tasks/{}/move", task.id), Some(json!({"column": todo}))),
                (Method::GET, format!("/api/v1/tasks/{}/history", task.id), None),
                (Method::GET, messages.clone(), None),
            ];
            for (method, path, body) in routes {
                let (status, answer) = call(outsider, method.clone(), &path, body).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
            }
        }
        assert_eq!(t.task(&task.id).await.title, "guarded");
        // Deleting the task takes its discussion and description with it.
        assert_eq!(call(&t.bob, Method::DELETE, &patch, None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(call(&t.alice, Method::GET, &patch, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&t.alice, Method::GET, &messages, None).await.0, StatusCode::NOT_FOUND);
        let doc = format!("/api/v1/docs/{}", task.description_doc);
        assert_eq!(call(&t.alice, Method::GET, &doc, None).await.0, StatusCode::NOT_FOUND);
    }

    async fn blocked_markers_go_out_live_when_a_blocker_closes_or_reopens(backend) {
        let t = team(backend).await;
        let blocker = t.create(&t.bob, json!({"title": "blocker"})).await;
        let other = t.create(&t.bob, json!({"title": "other blocker"})).await;
        let waiting = t.create(&t.bob, json!({"title": "waiting", "blocked_by": [blocker.id]})).await;
        let still = t.create(&t.bob, json!({"title": "still waiting", "blocked_by": [blocker.id, other.id]})).await;
        let mut vic = EventSocket::connect(&t.server, &t.vic.token).await;
        let task_path = format!("/api/v1/tasks/{}", blocker.id);
        let done_status = t.board.columns[3].status_id.clone();
        // Everything Vic hears up to a title change of the blocker (a sentinel after the change).
        let heard_until = async |vic: &mut EventSocket, sentinel: &str| {
            let (status, _) = call(&t.bob, Method::PATCH, &task_path, Some(json!({"title": sentinel}))).await;
            assert_eq!(status, StatusCode::OK);
            vic.until("task.updated", |f| f.data["task"]["title"] == sentinel).await
        };
        let markers = |frames: &[atrium_tests::events::Frame]| -> Vec<(String, bool)> {
            frames
                .iter()
                .filter(|f| f.kind == "task.updated" && f.data["task"]["id"] != blocker.id.as_str())
                .map(|f| (f.data["task"]["id"].as_str().unwrap().to_owned(), f.data["task"]["blocked"].as_bool().unwrap()))
                .collect()
        };

        // Closed by PATCH: the task waiting for it alone is unblocked, live; the one still
        // waiting for another blocker keeps its marker and hears nothing.
        let (status, _) = call(&t.bob, Method::PATCH, &task_path, Some(json!({"status": done_status}))).await;
        assert_eq!(status, StatusCode::OK);
        let frames = heard_until(&mut vic, "after close").await;
        assert_eq!(markers(&frames), [(waiting.id.clone(), false)], "{frames:?}");
        // Reopened by a move: blocked again.
        let (status, _) = t.move_task(&t.bob, &blocker.id, json!({"column": t.column("To do")})).await;
        assert_eq!(status, StatusCode::OK);
        let frames = heard_until(&mut vic, "after reopen").await;
        assert_eq!(markers(&frames), [(waiting.id.clone(), true)], "{frames:?}");
        // Closed in bulk with the other blocker: both waiting tasks are unblocked.
        let bulk = format!("/api/v1/projects/{}/tasks/bulk", t.project);
        let (status, body) = call(&t.bob, Method::POST, &bulk, Some(json!({"tasks": [other.id, blocker.id], "op": "close"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let frames = heard_until(&mut vic, "after bulk").await;
        let mut unblocked = markers(&frames);
        unblocked.sort();
        unblocked.dedup();
        let mut expected = vec![(waiting.id.clone(), false), (still.id.clone(), false)];
        expected.sort();
        assert_eq!(unblocked, expected, "{frames:?}");
        // The events agree with the board.
        let board = t.board(&t.vic).await;
        let cards: Vec<&TaskCard> = board.columns.iter().flat_map(|c| &c.tasks).collect();
        assert!(cards.iter().filter(|c| c.id == waiting.id || c.id == still.id).all(|c| !c.blocked));
    }

    async fn board_subscribers_see_moves_live(backend) {
        let t = team(backend).await;
        let task = t.create(&t.alice, json!({"title": "live"})).await;
        let open = fixtures::create_project(&t.alice, &t.org, "Lobby", Visibility::Open).await;
        let mut bob = EventSocket::connect(&t.server, &t.bob.token).await;
        let mut eve = EventSocket::connect(&t.server, &t.eve.token).await;
        let todo = t.column("To do");
        let started = Instant::now();
        let (status, _) = t.move_task(&t.alice, &task.id, json!({"column": todo})).await;
        assert_eq!(status, StatusCode::OK);
        let frame = bob.expect("task.moved", |f| f.data["task"]["id"] == task.id.as_str()).await;
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
        assert_eq!(frame.data["by"], t.alice.id());
        assert_eq!(frame.data["from_status"], t.board.columns[0].status_id.as_str());
        assert_eq!(frame.data["task"]["status_id"], t.board.columns[1].status_id.as_str());
        // Eve, outside the private project, gets nothing of it: the next thing she hears is a
        // sentinel in a project she can see.
        let lobby: Board = t.alice.client.post(&format!("/api/v1/projects/{}/boards", open.id), &json!({"name": "L"})).await.unwrap();
        let frames = eve.until("board.updated", |f| f.data["id"] == lobby.id.as_str()).await;
        assert!(frames.iter().all(|f| !f.kind.starts_with("task.")), "{frames:?}");
        // A task created after Bob connected: its discussion's messages reach him at once.
        let fresh = t.create(&t.alice, json!({"title": "new"})).await;
        bob.expect("task.created", |f| f.data["task"]["id"] == fresh.id.as_str()).await;
        let messages = format!("/api/v1/channels/{}/messages", fresh.id);
        let (status, _) = call(&t.alice, Method::POST, &messages, Some(json!({"text": "kick-off"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        bob.expect("message.created", |f| f.data["channel_id"] == fresh.id.as_str()).await;
    }

    async fn the_orgs_permission_table_decides_moves(backend) {
        let t = team(backend).await;
        let task = t.create(&t.bob, json!({"title": "governed"})).await;
        let todo = t.column("To do");
        let permissions = format!("/api/v1/orgs/{}/permissions", t.org);
        let rule = |role: &str, scope: &str| json!({"role": role, "resource": "task", "action": "write", "scope": scope});
        // Editors may not change tasks in this org: Bob's move is refused, the card stays.
        let (status, body) = call(&t.alice, Method::PUT, &permissions, Some(json!({"overrides": [rule("editor", "none")]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = t.move_task(&t.bob, &task.id, json!({"column": todo})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(t.task(&task.id).await.status_id, task.status_id);
        // A business role that may change tasks lets Carol, a commenter of the project, move it.
        let (status, body) = call(&t.alice, Method::PUT, &permissions, Some(json!({"overrides": [rule("editor", "none"), rule("production", "all")]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        fixtures::set_business_roles(&t.alice, &t.org, &t.carol, &["production"]).await;
        let (status, body) = t.move_task(&t.carol, &task.id, json!({"column": todo})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(t.task(&task.id).await.status, "To do");
        // Eve holds it too, but a role acts only where its holder sees the project: still 404.
        fixtures::set_business_roles(&t.alice, &t.org, &t.eve, &["production"]).await;
        let (status, body) = t.move_task(&t.eve, &task.id, json!({"column": t.column("Done")})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        // Without the rule, Carol comments again and moves nothing.
        let (status, _) = call(&t.alice, Method::PUT, &permissions, Some(json!({"overrides": []}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(t.move_task(&t.carol, &task.id, json!({"column": t.column("Done")})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(t.move_task(&t.bob, &task.id, json!({"column": t.column("Done")})).await.0, StatusCode::OK);
    }

    async fn task_discussions_reach_the_projects_readers_only(backend) {
        let t = team(backend).await;
        let task = t.create(&t.alice, json!({"title": "discussed"})).await;
        let open = fixtures::create_project(&t.alice, &t.org, "Lobby", Visibility::Open).await;
        // Sockets opened after the task: its discussion is not among the channels they track,
        // it reaches them through the project.
        let mut bob = EventSocket::connect(&t.server, &t.bob.token).await;
        let mut vic = EventSocket::connect(&t.server, &t.vic.token).await;
        let mut eve = EventSocket::connect(&t.server, &t.eve.token).await;
        let messages = format!("/api/v1/channels/{}/messages", task.discussion_channel);
        let (status, body) = call(&t.carol, Method::POST, &messages, Some(json!({"text": "first"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        for socket in [&mut bob, &mut vic] {
            let frame = socket.expect("message.created", |f| f.data["channel_id"] == task.id.as_str()).await;
            assert_eq!(frame.data["text"], "first");
        }
        // Typing in the discussion reaches the project's readers too.
        bob.send(json!({"type": "typing", "channel": task.discussion_channel})).await;
        let frame = vic.expect("typing", |_| true).await;
        assert_eq!((frame.data["channel_id"].as_str(), frame.data["user_id"].as_str()), (Some(task.id.as_str()), Some(t.bob.id())));
        // Eve, outside the private project, hears nothing of it and may not type in it: the
        // next thing she hears is a sentinel in a project she can see.
        eve.send(json!({"type": "typing", "channel": task.discussion_channel})).await;
        let frame = eve.expect("error", |_| true).await;
        assert_eq!(frame.data["code"], "unknown_channel");
        let lobby: Board = t.alice.client.post(&format!("/api/v1/projects/{}/boards", open.id), &json!({"name": "L"})).await.unwrap();
        let frames = eve.until("board.updated", |f| f.data["id"] == lobby.id.as_str()).await;
        assert!(frames.iter().all(|f| f.kind != "message.created" && f.kind != "typing"), "{frames:?}");
        // Vic leaves the project: after the removal he hears nothing more of the discussion;
        // Bob still does.
        let (status, _) = call(&t.alice, Method::DELETE, &format!("/api/v1/projects/{}/members/{}", t.project, t.vic.id()), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        vic.expect("access.changed", |_| true).await;
        let (status, _) = call(&t.carol, Method::POST, &messages, Some(json!({"text": "second"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        bob.expect("message.created", |f| f.data["text"] == "second").await;
        let sentinel: Board = t.alice.client.post(&format!("/api/v1/projects/{}/boards", open.id), &json!({"name": "M"})).await.unwrap();
        let frames = vic.until("board.updated", |f| f.data["id"] == sentinel.id.as_str()).await;
        assert!(frames.iter().all(|f| f.kind != "message.created"), "{frames:?}");
        vic.send(json!({"type": "typing", "channel": task.discussion_channel})).await;
        let frame = vic.expect("error", |_| true).await;
        assert_eq!(frame.data["code"], "unknown_channel");
    }

    async fn search_finds_tasks_for_members_only(backend) {
        let t = team(backend).await;
        let t = &t;
        let task = t.create(&t.bob, json!({"title": "Quokka migration", "description": "Move the wombat cluster\n- first step"})).await;
        let task_id = task.id.as_str();
        let search = |user: &TestUser, q: &str| {
            let path = format!("/api/v1/orgs/{}/search", t.org);
            let q = q.to_owned();
            let client = user.client.clone();
            async move {
                let response = client.request(Method::GET, &path).query(&[("q", q.as_str())]).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let body: Value = response.json().await.unwrap();
                body["hits"].as_array().unwrap().iter().any(|h| h["id"] == task_id && h["kind"] == "task")
            }
        };
        let started = Instant::now();
        for q in ["ENG-1", "quokka", "wombat"] {
            while !search(&t.vic, q).await {
                assert!(started.elapsed() < Duration::from_secs(15), "{q} never found");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert!(!search(&t.eve, q).await, "{q} found by an outsider");
        }
        // The description seeded the collaborative document.
        let content = t.vic.client.request(Method::GET, &format!("/api/v1/docs/{}/content", task.description_doc)).send().await.unwrap();
        assert_eq!(content.status(), StatusCode::OK);
        assert!(content.text().await.unwrap().contains("wombat"));
        // Editing the description live (as any document) reaches search through the task; the
        // viewer may not edit it.
        let editor = fixtures::Editor::new();
        assert_eq!(fixtures::post_update(&t.vic, &task.description_doc, editor.append("x")).await, StatusCode::FORBIDDEN);
        let editor = fixtures::Editor::new();
        assert_eq!(fixtures::post_update(&t.bob, &task.description_doc, editor.append("platypus habitat")).await, StatusCode::NO_CONTENT);
        while !search(&t.vic, "platypus").await {
            assert!(started.elapsed() < Duration::from_secs(30), "the edited description never found");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(search(&t.vic, "quokka").await, "still found by its title");
        assert!(!search(&t.eve, "platypus").await);
    }

    async fn history_lists_field_changes(backend) {
        let t = team(backend).await;
        let task = t.create(&t.bob, json!({"title": "tracked"})).await;
        let patch = format!("/api/v1/tasks/{}", task.id);
        let (status, _) = call(&t.bob, Method::PATCH, &patch, Some(json!({"title": "tracked better", "priority": "urgent", "labels": ["api"], "assignees": [t.alice.id()], "checklist": [{"text": "step"}]}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = t.move_task(&t.alice, &task.id, json!({"column": t.column("In progress")})).await;
        assert_eq!(status, StatusCode::OK);
        let history: Page<TaskChange> = t.vic.client.get(&format!("/api/v1/tasks/{}/history", task.id)).await.unwrap();
        let fields: Vec<&str> = history.items.iter().map(|c| c.field.as_str()).collect();
        for field in ["created", "title", "priority", "labels", "assignees", "checklist", "status"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        assert!(history.items.windows(2).all(|w| w[0].seq < w[1].seq));
        let title = history.items.iter().find(|c| c.field == "title").unwrap();
        assert_eq!((title.before.clone(), title.after.clone()), (json!("tracked"), json!("tracked better")));
        assert_eq!(title.actor.as_deref(), Some(t.bob.id()));
        let status = history.items.iter().find(|c| c.field == "status").unwrap();
        assert_eq!((status.before.clone(), status.after.clone()), (json!("Backlog"), json!("In progress")));
        assert_eq!(status.actor.as_deref(), Some(t.alice.id()));
    }

    async fn bulk_is_all_or_nothing(backend) {
        let t = team(backend).await;
        let a = t.create(&t.bob, json!({"title": "a", "labels": ["x"]})).await;
        let b = t.create(&t.bob, json!({"title": "b"})).await;
        let parent = t.create(&t.bob, json!({"title": "parent"})).await;
        t.create(&t.bob, json!({"title": "child", "parent": parent.id})).await;
        let bulk = format!("/api/v1/projects/{}/tasks/bulk", t.project);
        // Closing a parent with an open subtask refuses the whole request, naming that task.
        let (status, body) = call(&t.bob, Method::POST, &bulk, Some(json!({"tasks": [a.id, b.id, parent.id, "missing"], "op": "close"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let errors = body["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["task"] == parent.id.as_str()), "{body}");
        assert!(errors.iter().any(|e| e["task"] == "missing"), "{body}");
        assert!(!errors.iter().any(|e| e["task"] == a.id.as_str()), "{body}");
        for id in [&a.id, &b.id, &parent.id] {
            assert!(t.task(id).await.closed_at.is_none(), "nothing closed");
        }
        let (status, body) = call(&t.bob, Method::POST, &bulk, Some(json!({"tasks": [a.id, b.id], "op": "label", "labels": ["y"], "remove_labels": ["x"]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(t.task(&a.id).await.labels, ["y"]);
        assert_eq!(t.task(&b.id).await.labels, ["y"]);
        let (status, body) = call(&t.bob, Method::POST, &bulk, Some(json!({"tasks": [a.id, b.id], "op": "assign", "assignees": [t.eve.id()]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        let (status, body) = call(&t.bob, Method::POST, &bulk, Some(json!({"tasks": [a.id, b.id, parent.id], "op": "close", "confirm": true}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["tasks"].as_array().unwrap().len(), 3);
        assert!(t.task(&parent.id).await.closed_at.is_some());
        let (status, body) = call(&t.bob, Method::POST, &bulk, Some(json!({"tasks": [a.id], "op": "move", "status": t.board.columns[1].status_id}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(t.task(&a.id).await.status, "To do");
    }

    async fn assignment_and_blocker_notifications(backend) {
        let t = team(backend).await;
        let mut alice = EventSocket::connect(&t.server, &t.alice.token).await;
        let blocker = t.create(&t.bob, json!({"title": "blocker"})).await;
        let task = t.create(&t.bob, json!({"title": "for alice", "assignees": [t.alice.id()], "blocked_by": [blocker.id]})).await;
        let frame = alice.expect("notification.created", |f| f.data["kind"] == "task_assigned").await;
        assert_eq!(frame.data["channel_id"], task.id.as_str());
        assert!(frame.data["snippet"].as_str().unwrap().starts_with(&task.key));
        // Assigning herself does not notify; Bob assigning Carol does.
        let (status, _) = call(&t.bob, Method::PATCH, &format!("/api/v1/tasks/{}", blocker.id), Some(json!({"assignees": [t.carol.id(), t.bob.id()]}))).await;
        assert_eq!(status, StatusCode::OK);
        let carols: Page<Notification> = t.carol.client.get("/api/v1/notifications").await.unwrap();
        assert!(carols.items.iter().any(|n| n.kind == NotificationKind::TaskAssigned && n.channel_id.as_deref() == Some(blocker.id.as_str())));
        let bobs: Page<Notification> = t.bob.client.get("/api/v1/notifications").await.unwrap();
        assert!(!bobs.items.iter().any(|n| n.kind == NotificationKind::TaskAssigned));
        // The blocker done: Alice, assigned to the waiting task, hears of it.
        let (status, _) = t.move_task(&t.bob, &blocker.id, json!({"column": t.column("Done")})).await;
        assert_eq!(status, StatusCode::OK);
        let frame = alice.expect("notification.created", |f| f.data["kind"] == "task_blocker_done").await;
        assert_eq!(frame.data["channel_id"], task.id.as_str());
    }

    async fn list_view_filters_sorts_and_pages(backend) {
        let t = team(backend).await;
        let t = &t;
        for (title, priority) in [("beta", "low"), ("alpha", "urgent"), ("gamma", "high"), ("delta", "none"), ("epsilon", "high")] {
            t.create(&t.bob, json!({"title": title, "priority": priority, "labels": [if priority == "high" { "hot" } else { "cold" }]})).await;
        }
        let list = |query: &str| {
            let path = format!("/api/v1/projects/{}/tasks?{query}", t.project);
            async move { t.vic.client.get::<Page<TaskCard>>(&path).await.unwrap() }
        };
        let titles = |page: &Page<TaskCard>| page.items.iter().map(|c| c.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&list("sort=title").await), ["alpha", "beta", "delta", "epsilon", "gamma"]);
        assert_eq!(titles(&list("labels=hot&sort=-key").await), ["epsilon", "gamma"]);
        assert_eq!(titles(&list("priorities=urgent,low&sort=priority").await), ["beta", "alpha"]);
        assert_eq!(titles(&list("text=ENG-1").await), ["beta"]);
        // Pages of two follow each other without loss or repeat.
        let mut seen = Vec::new();
        let mut query = "sort=-priority&limit=2".to_owned();
        loop {
            let page = list(&query).await;
            seen.extend(titles(&page));
            match page.next {
                Some(next) => query = format!("sort=-priority&limit=2&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[0], "alpha");
        let (status, _) = call(&t.vic, Method::GET, &format!("/api/v1/projects/{}/tasks?sort=colour", t.project), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let statuses: Value = t.vic.client.get(&format!("/api/v1/projects/{}/statuses", t.project)).await.unwrap();
        assert_eq!(statuses["items"].as_array().unwrap().len(), 4);
    }

    async fn due_tomorrow_notifies_assignees_once(backend) {
        let server = TestServer::builder(backend).env("ATRIUM_TASKS_DUE_SCAN_SECS", "1").start().await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let project = fixtures::create_project(&alice, &org, "Ops", Visibility::Private).await;
        let board: Board = alice.client.post(&format!("/api/v1/projects/{}/boards", project.id), &json!({"name": "B"})).await.unwrap();
        let tomorrow = day(1);
        let later = day(5);
        let create = |title: &str, due: &str| {
            let body = json!({"title": title, "due": due, "assignees": [alice.id()]});
            let path = format!("/api/v1/boards/{}/tasks", board.id);
            let client = alice.client.clone();
            async move { client.post::<_, Task>(&path, &body).await.unwrap() }
        };
        let soon = create("renew the certificate", &tomorrow).await;
        create("not yet", &later).await;
        let started = Instant::now();
        let due_soon = || async {
            let page: Page<Notification> = alice.client.get("/api/v1/notifications").await.unwrap();
            page.items.into_iter().filter(|n| n.kind == NotificationKind::TaskDueSoon).collect::<Vec<_>>()
        };
        loop {
            let found = due_soon().await;
            if !found.is_empty() {
                assert_eq!(found.len(), 1);
                assert_eq!(found[0].channel_id.as_deref(), Some(soon.id.as_str()));
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no due-soon notification");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Later scans do not repeat it.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        assert_eq!(due_soon().await.len(), 1);
    }

    async fn a_board_loaded_again_shows_every_change_since(backend) {
        // The server keeps a loaded board's cards while the project does not change: each
        // kind of change must show on the very next load, including those that change other
        // cards than the task touched (a parent's subtask counts, a dependent's blocked
        // marker, the cards of a deleted milestone).
        let t = team(backend).await;
        let t = &t;
        let card = |board: &Board, id: &str| -> TaskCard {
            board.columns.iter().flat_map(|c| &c.tasks).find(|c| c.id == id).cloned()
                .unwrap_or_else(|| panic!("no card {id}"))
        };
        let parent = t.create(&t.bob, json!({"title": "parent"})).await;
        let child = t.create(&t.bob, json!({"title": "child", "parent": parent.id})).await;
        let blocker = t.create(&t.bob, json!({"title": "blocker"})).await;
        let waiting = t.create(&t.bob, json!({"title": "waiting", "blocked_by": [blocker.id]})).await;
        let (status, milestone) = call(&t.alice, Method::POST, &format!("/api/v1/projects/{}/milestones", t.project), Some(json!({"name": "M1"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{milestone}");
        let milestone = milestone["id"].as_str().unwrap().to_owned();
        let patch = |id: &str, body: Value| {
            let path = format!("/api/v1/tasks/{id}");
            async move {
                let (status, answer) = call(&t.bob, Method::PATCH, &path, Some(body)).await;
                assert_eq!(status, StatusCode::OK, "{answer}");
            }
        };
        patch(&parent.id, json!({"milestone": milestone})).await;

        let board = t.board(&t.alice).await;
        // Twice: the second load is served from what the first one kept.
        assert_eq!(t.board(&t.alice).await, board);
        assert_eq!((card(&board, &parent.id).subtasks_done, card(&board, &parent.id).subtasks_total), (0, 1));
        assert!(card(&board, &waiting.id).blocked);
        assert_eq!(card(&board, &parent.id).milestone.as_deref(), Some(milestone.as_str()));

        patch(&parent.id, json!({"assignees": [t.bob.id(), t.alice.id()], "labels": ["y", "x"], "estimate": 30, "due": "2030-01-31",
            "checklist": [{"text": "a", "done": true}, {"text": "b"}]})).await;
        let board = t.board(&t.alice).await;
        let mut assignees = vec![t.bob.id().to_owned(), t.alice.id().to_owned()];
        assignees.sort();
        assert_eq!(card(&board, &parent.id).assignees, assignees);
        assert_eq!(card(&board, &parent.id).labels, ["x", "y"]);
        assert_eq!((card(&board, &parent.id).checklist_done, card(&board, &parent.id).checklist_total), (1, 2));
        assert_eq!((card(&board, &parent.id).estimate, card(&board, &parent.id).due.as_deref()), (Some(30), Some("2030-01-31")));

        let (status, body) = t.move_task(&t.bob, &child.id, json!({"column": t.column("Done")})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let board = t.board(&t.alice).await;
        assert_eq!((card(&board, &parent.id).subtasks_done, card(&board, &parent.id).subtasks_total), (1, 1));
        assert_eq!(card(&board, &child.id).status_id, board.columns[3].status_id);
        // The move's answer (one card read alone) is the board's card.
        assert_eq!(serde_json::from_value::<TaskCard>(body).unwrap(), card(&board, &child.id));
        let (status, body) = t.move_task(&t.bob, &parent.id, json!({"column": t.column("To do")})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let board = t.board(&t.alice).await;
        assert_eq!(serde_json::from_value::<TaskCard>(body).unwrap(), card(&board, &parent.id));
        // The list view reads its cards another way: the same cards.
        let list: Page<TaskCard> = t.alice.client.get(&format!("/api/v1/projects/{}/tasks", t.project)).await.unwrap();
        assert_eq!(list.items.len(), 4);
        for listed in &list.items {
            assert_eq!(*listed, card(&board, &listed.id));
        }

        let (status, body) = t.move_task(&t.bob, &blocker.id, json!({"column": t.column("Done")})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let board = t.board(&t.alice).await;
        assert!(!card(&board, &waiting.id).blocked);
        // A move answers with its card as it is now, closed with the move.
        assert_eq!(serde_json::from_value::<TaskCard>(body).unwrap(), card(&board, &blocker.id));

        let (status, body) = call(&t.alice, Method::DELETE, &format!("/api/v1/milestones/{milestone}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(card(&t.board(&t.alice).await, &parent.id).milestone, None);

        let (status, body) = call(&t.bob, Method::DELETE, &format!("/api/v1/tasks/{}", child.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let board = t.board(&t.alice).await;
        assert!(board.columns.iter().flat_map(|c| &c.tasks).all(|c| c.id != child.id));
        assert_eq!((card(&board, &parent.id).subtasks_done, card(&board, &parent.id).subtasks_total), (0, 0));
        // Every user sees the same cards, with their own permissions.
        let for_vic = t.board(&t.vic).await;
        assert_eq!(for_vic.columns, board.columns);
        assert_ne!(for_vic.can, board.can);
    }
}
