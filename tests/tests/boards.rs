//! Boards and tasks through HTTP and `/api/v1/events`, on both databases: boards with columns
//! over project statuses, tasks with per-project keys (distinct and consecutive under
//! concurrency), concurrent moves that never lose or duplicate a card, WIP limits, subtasks and
//! dependencies, bulk changes that are all or nothing, history, live events, search,
//! notifications, permissions and bad input that changes nothing.

use atrium_client::wire::{
    Board, Notification, NotificationKind, OrgRole, Page, ProjectRole, Task, TaskCard, TaskChange,
    Visibility,
};
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
        let board = t.board(&t.vic).await;
        assert_eq!(ids(&board.columns[0].tasks), [first.id.clone()]);
        assert_eq!(ids(&board.columns[1].tasks), [second.id.clone()]);
        assert_eq!(board.columns[1].count, 1);
        assert_eq!(board.columns[0].tasks[0].labels, ["docs"]);
        assert!(board.can.as_ref().is_some_and(|c| c.read && !c.write));
        // A second board shows the same statuses by name: one task, one status.
        let other: Board = t.alice.client.post(
            &format!("/api/v1/projects/{}/boards", t.project),
            &json!({"name": "Delivery", "columns": [{"name": "to DO"}, {"name": "Review", "category": "in_progress", "wip_limit": 2}]}),
        ).await.unwrap();
        assert_eq!(ids(&other.columns[0].tasks), [second.id.clone()]);
        assert_eq!(other.columns[1].wip_limit, Some(2));
        let list: Page<atrium_client::wire::BoardSummary> = t.vic.client
            .get(&format!("/api/v1/projects/{}/boards", t.project)).await.unwrap();
        assert_eq!(list.items.len(), 2);
        // The description and discussion exist with the task's id and are not listed as
        // documents or channels.
        let (status, docs) = call(&t.alice, Method::GET, &format!("/api/v1/projects/{}/docs", t.project), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(docs["items"].as_array().map(Vec::len), Some(0), "{docs}");
        let _ = (&t.org, &t.carol, &t.eve, &t.mallory);
    }
}
