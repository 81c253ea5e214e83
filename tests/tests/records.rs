//! The records engine through HTTP and the events socket, on both databases: a custom type with
//! a child table, a link, money, a unique field and a workflow used end to end (every rule
//! refused with a field error and nothing written; lists with filters, sort and totals;
//! transitions allowed and refused by role; self-approval; final states read-only; amend;
//! history; stale writes); naming series under concurrency with no gap after a deleted draft;
//! permissions (viewer, accountant, "only own" in lists and events, another org's 404); schema
//! changes checked against existing records; the built-in `client` type.

use atrium_client::wire::OrgRole;
use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Alice owns the org; Bob is a member with the business role `accountant`; Carol a member;
/// Vic a viewer; Eve owns another org.
struct Team {
    server: TestServer,
    org: String,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    vic: TestUser,
    eve: TestUser,
}

async fn team(backend: Backend) -> Team {
    let server = TestServer::builder(backend).start().await;
    let alice = fixtures::user(&server, "alice").await;
    let bob = fixtures::user(&server, "bob").await;
    let carol = fixtures::user(&server, "carol").await;
    let vic = fixtures::user(&server, "vic").await;
    let eve = fixtures::user(&server, "eve").await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    fixtures::create_org(&eve, "Other").await;
    fixtures::join_as(&alice, &org, &bob, "accountant").await;
    fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
    fixtures::add_org_member(&alice, &org, &vic, OrgRole::Viewer).await;
    Team {
        server,
        org,
        alice,
        bob,
        carol,
        vic,
        eve,
    }
}

/// The `order` type: a unique code, a link to a client, a select, a date, money, a child table
/// with a computed column, a computed total, and a workflow numbered at submission.
fn order_type() -> Value {
    json!({
        "slug": "order",
        "name": "Order",
        "fields": [
            {"name": "code", "type": "text", "required": true, "unique": true, "pattern": "[A-Z]{2}-[0-9]+"},
            {"name": "customer", "type": "link", "to": "client"},
            {"name": "priority", "type": "select", "options": ["low", "high"], "default": "low"},
            {"name": "due", "type": "date"},
            {"name": "fee", "type": "money", "min": 0},
            {"name": "assignee", "type": "user"},
            {"name": "lines", "type": "table", "fields": [
                {"name": "description", "type": "text", "required": true},
                {"name": "quantity", "type": "number", "min": "0"},
                {"name": "unit_price", "type": "money"},
                {"name": "amount", "type": "money", "computed": {"product": ["quantity", "unit_price"]}}
            ]},
            {"name": "total", "type": "money", "computed": {"sum": "lines.amount"}}
        ],
        "workflow": {
            "states": [
                {"name": "draft"}, {"name": "submitted"},
                {"name": "approved", "final_state": true}, {"name": "cancelled", "final_state": true}
            ],
            "transitions": [
                {"action": "submit", "from": ["draft"], "to": "submitted"},
                {"action": "approve", "from": ["submitted"], "to": "approved", "roles": ["accountant"],
                 "allow_self_approval": false},
                {"action": "cancel", "from": ["approved"], "to": "cancelled", "roles": ["accountant", "owner"]}
            ],
            "amend_from": "cancelled"
        },
        "naming": {"prefix": "ORD-", "digits": 4, "at": "transition"},
        "permissions": [
            {"role": "accountant", "action": "read", "scope": "all"},
            {"role": "accountant", "action": "write", "scope": "all"},
            {"role": "accountant", "action": "transition", "scope": "all"},
            {"role": "accountant", "action": "delete", "scope": "all"},
            {"role": "member", "action": "read", "scope": "own"},
            {"role": "member", "action": "write", "scope": "own"},
            {"role": "member", "action": "transition", "scope": "own"}
        ]
    })
}

async fn post(user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
    call(user, Method::POST, path, Some(body)).await
}

async fn get(user: &TestUser, path: &str) -> (StatusCode, Value) {
    call(user, Method::GET, path, None).await
}

async fn create(user: &TestUser, org: &str, kind: &str, body: Value) -> Value {
    let (status, record) = post(user, &format!("/api/v1/orgs/{org}/records/{kind}"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    record
}

async fn transition(user: &TestUser, record: &str, action: &str) -> (StatusCode, Value) {
    post(
        user,
        &format!("/api/v1/records/{record}/transition"),
        json!({"action": action, "comment": format!("{action} please")}),
    )
    .await
}

fn field_error<'a>(body: &'a Value, field: &str) -> &'a str {
    body["error"]["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no error on {field}: {body}"))
}

async fn count(user: &TestUser, org: &str, kind: &str) -> usize {
    let (status, page) = get(
        user,
        &format!("/api/v1/orgs/{org}/records/{kind}?limit=200"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().len()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

backend_tests! {
    async fn a_custom_type_end_to_end(backend) {
        let t = team(backend).await;
        let org = &t.org;
        // Only those who manage record types define them.
        let (status, _) = post(&t.carol, &format!("/api/v1/orgs/{org}/record-types"), order_type()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, kind) = post(&t.alice, &format!("/api/v1/orgs/{org}/record-types"), order_type()).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}");
        assert_eq!(kind["version"], 1);
        let (status, _) = post(&t.alice, &format!("/api/v1/orgs/{org}/record-types"), order_type()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let mut bad = order_type();
        bad["slug"] = json!("bad");
        bad["fields"][1]["to"] = json!("nothing");
        let (status, body) = post(&t.alice, &format!("/api/v1/orgs/{org}/record-types"), bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        field_error(&body, "fields[1].to");

        // The built-in client: currency checked as ISO 4217, terms default to 30 days.
        let (status, body) = post(&t.alice, &format!("/api/v1/orgs/{org}/records/client"), json!({"name": "Globex", "currency": "ZZZ"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        field_error(&body, "currency");
        let client = create(&t.alice, org, "client", json!({"name": "Globex", "currency": "usd"})).await;
        assert_eq!(client["currency"], "USD");
        assert_eq!(client["payment_terms_days"], 30);
        let client_id = client["id"].as_str().unwrap().to_owned();

        // Carol watches the events socket: she reads only her own orders.
        let mut carol_socket = EventSocket::connect(&t.server, &t.carol.token).await;
        let mut bob_socket = EventSocket::connect(&t.server, &t.bob.token).await;

        // Every rule refused with a field error, and nothing written.
        let orders = format!("/api/v1/orgs/{org}/records/order");
        let cases = [
            (json!({"priority": "low"}), "code"),
            (json!({"code": "lowercase"}), "code"),
            (json!({"code": "AB-1", "bogus": 1}), "bogus"),
            (json!({"code": "AB-1", "total": 5}), "total"),
            (json!({"code": "AB-1", "priority": "urgent"}), "priority"),
            (json!({"code": "AB-1", "fee": -1}), "fee"),
            (json!({"code": "AB-1", "fee": 1.5}), "fee"),
            (json!({"code": "AB-1", "due": "2026-02-30"}), "due"),
            (json!({"code": "AB-1", "customer": "no-such-record"}), "customer"),
            (json!({"code": "AB-1", "assignee": t.eve.id()}), "assignee"),
            (json!({"code": "AB-1", "lines": [{"description": "ok", "quantity": "1"}, {"description": "bad", "quantity": "-2"}]}), "lines[1].quantity"),
            (json!({"code": "AB-1", "lines": [{"quantity": "1"}]}), "lines[0].description"),
        ];
        for (body, field) in cases {
            let (status, answer) = post(&t.alice, &orders, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            field_error(&answer, field);
        }
        assert_eq!(count(&t.alice, org, "order").await, 0);

        // Valid orders: computed columns and totals, provisional names.
        let first = create(&t.alice, org, "order", json!({
            "code": "AB-1", "customer": client_id, "priority": "high", "due": "2026-03-01", "fee": 1000,
            "lines": [{"description": "Work", "quantity": "1.5", "unit_price": 10001}, {"description": "Parts", "quantity": 2, "unit_price": 250}]
        })).await;
        assert_eq!(first["total"], 15002 + 500);
        assert_eq!(first["lines"][0]["amount"], 15002);
        assert!(first["name"].as_str().unwrap().starts_with("Draft-"));
        assert_eq!(first["state"], "draft");
        let (status, body) = post(&t.alice, &orders, json!({"code": "AB-1"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(field_error(&body, "code").contains("already"));
        let second = create(&t.carol, org, "order", json!({"code": "CD-2", "priority": "low", "due": "2026-03-10", "fee": 300,
            "lines": [{"description": "Hour", "quantity": "3", "unit_price": 100}]})).await;
        let third = create(&t.alice, org, "order", json!({"code": "EF-3", "priority": "high", "due": "2026-04-01", "fee": 50})).await;

        // Carol hears of her own order only; Bob (all orders) hears of all three.
        // (Members read clients: the client's own event may reach her too.)
        let frame = carol_socket.expect("record.created", |f| f.data["type"] == "order").await;
        assert_eq!(frame.data["id"], second["id"], "carol must not receive alice's order");
        for expected in [&first, &second, &third] {
            bob_socket.expect("record.created", |f| f.data["id"] == expected["id"]).await;
        }

        // Lists: filters, sort, totals over the filtered set, keyset pages.
        let (_, page) = get(&t.alice, &format!("{orders}?priority=high&sort=due&totals=true")).await;
        assert_eq!(names(&page), ["AB-1", "EF-3"]);
        assert_eq!(page["totals"]["fee"], 1050);
        let (_, page) = get(&t.alice, &format!("{orders}?priority=high&sort=due")).await;
        assert_eq!(names(&page), ["AB-1", "EF-3"]);
        assert!(page["totals"].get("fee").is_none(), "totals only when asked: {page}");
        let (status, _) = get(&t.alice, &format!("{orders}?totals=yes")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, page) = get(&t.alice, &format!("{orders}?due.gte=2026-03-05&due.lte=2026-12-31&sort=-due")).await;
        assert_eq!(names(&page), ["EF-3", "CD-2"]);
        let (_, page) = get(&t.alice, &format!("{orders}?priority.in=low,high&sort=-fee&limit=2&totals=true")).await;
        assert_eq!(names(&page), ["AB-1", "CD-2"]);
        assert_eq!(page["totals"]["fee"], 1350);
        let next = page["next"].as_str().unwrap();
        let (_, page) = get(&t.alice, &format!("{orders}?priority.in=low,high&sort=-fee&limit=2&cursor={next}")).await;
        assert_eq!(names(&page), ["EF-3"]);
        assert!(page["next"].is_null());
        let (_, page) = get(&t.alice, &format!("{orders}?code.contains=cd")).await;
        assert_eq!(names(&page), ["CD-2"]);
        let (_, page) = get(&t.alice, &format!("{orders}?customer={client_id}")).await;
        assert_eq!(names(&page), ["AB-1"]);
        let (_, page) = get(&t.alice, &format!("{orders}?customer.empty=true&sort=code")).await;
        assert_eq!(names(&page), ["CD-2", "EF-3"]);
        let (status, body) = get(&t.alice, &format!("{orders}?due.gte=soon")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        field_error(&body, "due.gte");

        // "Only own": Carol lists only hers and cannot open Alice's.
        let (_, page) = get(&t.carol, &orders).await;
        assert_eq!(names(&page), ["CD-2"]);
        let first_id = first["id"].as_str().unwrap();
        let (status, _) = get(&t.carol, &format!("/api/v1/records/{first_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A viewer reads nothing and writes nothing; another org's member meets 404s.
        let (status, _) = post(&t.vic, &orders, json!({"code": "VV-1"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = get(&t.vic, &orders).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for path in [format!("/api/v1/records/{first_id}"), format!("/api/v1/records/{first_id}/history"), orders.clone()] {
            let (status, _) = get(&t.eve, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, _) = call(&t.eve, Method::PATCH, &format!("/api/v1/records/{first_id}"), Some(json!({"version": 1, "fee": 1}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Stale writes answer 409 with the current record.
        let second_id = second["id"].as_str().unwrap();
        let (status, updated) = call(&t.carol, Method::PATCH, &format!("/api/v1/records/{second_id}"), Some(json!({
            "version": 1, "fee": 400,
            "lines": [{"id": second["lines"][0]["id"], "description": "Hour", "quantity": "4", "unit_price": 100}, {"description": "Extra", "quantity": "1", "unit_price": 5}]
        }))).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["total"], 405);
        let (status, body) = call(&t.carol, Method::PATCH, &format!("/api/v1/records/{second_id}"), Some(json!({"version": 1, "fee": 1}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["current"]["version"], 2);
        assert_eq!(body["current"]["fee"], 400);

        // Transitions: by role, no self-approval, numbered at submission.
        let (status, _) = transition(&t.carol, second_id, "approve").await;
        assert_eq!(status, StatusCode::CONFLICT, "approve is not available from draft");
        let (status, submitted) = transition(&t.carol, second_id, "submit").await;
        assert_eq!(status, StatusCode::OK, "{submitted}");
        assert_eq!(submitted["state"], "submitted");
        assert_eq!(submitted["name"], "ORD-0001");
        let (status, _) = transition(&t.carol, second_id, "approve").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "carol is no accountant");
        let bobs = create(&t.bob, org, "order", json!({"code": "GH-4"})).await;
        let bobs_id = bobs["id"].as_str().unwrap();
        let (status, _) = transition(&t.bob, bobs_id, "submit").await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = transition(&t.bob, bobs_id, "approve").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["code"], "self_approval");
        let (status, approved) = transition(&t.bob, second_id, "approve").await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["state"], "approved");
        assert_eq!(approved["name"], "ORD-0001", "named once");
        carol_socket.expect("record.transitioned", |f| f.data["state"] == "approved").await;

        // Final states are read-only.
        let (status, body) = call(&t.bob, Method::PATCH, &format!("/api/v1/records/{second_id}"), Some(json!({"version": approved["version"], "fee": 1}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["code"], "read_only");

        // Cancel and amend: a new draft named after the cancelled one, linked to it.
        let (status, _) = post(&t.bob, &format!("/api/v1/records/{second_id}/amend"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "only cancelled records are amended");
        let (status, _) = transition(&t.bob, second_id, "cancel").await;
        assert_eq!(status, StatusCode::OK);
        let (status, amended) = post(&t.bob, &format!("/api/v1/records/{second_id}/amend"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{amended}");
        assert_eq!(amended["name"], "ORD-0001-1");
        assert_eq!(amended["state"], "draft");
        assert_eq!(amended["amended_from"], second["id"]);
        assert_eq!(amended["code"], "CD-2", "the amendment takes over the unique code");

        // History: who, when, per field, child rows by id, transitions with their comment.
        let (status, history) = get(&t.carol, &format!("/api/v1/records/{second_id}/history")).await;
        assert_eq!(status, StatusCode::OK);
        let items = history["items"].as_array().unwrap();
        let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "updated", "transitioned", "transitioned", "transitioned"]);
        let row = second["lines"][0]["id"].as_str().unwrap();
        let changed: Vec<&str> = items[1]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert!(changed.contains(&format!("lines[{row}].quantity").as_str()), "{changed:?}");
        assert!(changed.contains(&"fee") && changed.contains(&"total"));
        assert!(changed.iter().any(|f| f.starts_with("lines[") && !f.contains(row)), "the added row: {changed:?}");
        assert_eq!(items[1]["user_id"], t.carol.id());
        assert_eq!(items[2]["action"], "submit");
        assert_eq!(items[2]["comment"], "submit please");
        assert_eq!(items[3]["user_id"], t.bob.id());

        // An accountant cannot change org roles.
        let (status, _) = call(&t.bob, Method::PATCH, &format!("/api/v1/orgs/{org}/members/{}", t.carol.id()), Some(json!({"role": "admin"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Delete: allowed to the accountant, then gone for everyone.
        let third_id = third["id"].as_str().unwrap();
        let (status, _) = call(&t.carol, Method::DELETE, &format!("/api/v1/records/{third_id}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "carol cannot see alice's order");
        let (status, _) = call(&t.bob, Method::DELETE, &format!("/api/v1/records/{third_id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        bob_socket.expect("record.deleted", |f| f.data["id"] == third["id"]).await;
        let (status, _) = get(&t.alice, &format!("/api/v1/records/{third_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn naming_series_under_concurrency(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_API_RATE_PER_SECOND", "1000")
            .start()
            .await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let types = format!("/api/v1/orgs/{org}/record-types");
        let (status, body) = post(&alice, &types, json!({
            "slug": "job", "name": "Job", "fields": [{"name": "title", "type": "text"}],
            "naming": {"prefix": "T-", "year": true, "digits": 5}
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, _) = post(&alice, &types, json!({
            "slug": "bill", "name": "Bill", "fields": [{"name": "title", "type": "text"}],
            "workflow": {"states": [{"name": "draft"}, {"name": "issued", "final_state": true}],
                         "transitions": [{"action": "issue", "from": ["draft"], "to": "issued"}]},
            "naming": {"prefix": "B-", "digits": 3, "at": "transition"}
        })).await;
        assert_eq!(status, StatusCode::CREATED);

        // 50 concurrent creations: 50 distinct consecutive names.
        let creations = (0..50).map(|i| {
            let alice = alice.clone();
            let org = org.clone();
            tokio::spawn(async move { create(&alice, &org, "job", json!({"title": format!("t{i}")})).await })
        });
        let mut names: Vec<String> = Vec::new();
        for handle in creations {
            names.push(handle.await.unwrap()["name"].as_str().unwrap().to_owned());
        }
        names.sort();
        let year = names[0][2..6].to_owned();
        let expected: Vec<String> = (1..=50).map(|n| format!("T-{year}-{n:05}")).collect();
        assert_eq!(names, expected);

        // Drafts carry provisional names; a deleted draft leaves no gap in the issued series.
        let mut drafts = Vec::new();
        for i in 0..51 {
            drafts.push(create(&alice, &org, "bill", json!({"title": format!("b{i}")})).await);
        }
        let doomed = drafts.pop().unwrap();
        let (status, _) = call(&alice, Method::DELETE, &format!("/api/v1/records/{}", doomed["id"].as_str().unwrap()), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let issues = drafts.into_iter().map(|draft| {
            let alice = alice.clone();
            tokio::spawn(async move {
                let (status, body) = transition(&alice, draft["id"].as_str().unwrap(), "issue").await;
                assert_eq!(status, StatusCode::OK, "{body}");
                body["name"].as_str().unwrap().to_owned()
            })
        });
        let mut issued = Vec::new();
        for handle in issues {
            issued.push(handle.await.unwrap());
        }
        issued.sort();
        let expected: Vec<String> = (1..=50).map(|n| format!("B-{n:03}")).collect();
        assert_eq!(issued, expected);
    }

    async fn schema_changes_are_checked_against_records(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let (status, _) = post(&alice, &format!("/api/v1/orgs/{org}/record-types"), json!({
            "slug": "lead", "name": "Lead", "fields": [
                {"name": "title", "type": "text"},
                {"name": "stage", "type": "select", "options": ["new", "won", "lost"]},
                {"name": "note", "type": "text"},
                {"name": "score", "type": "integer"}
            ]
        })).await;
        assert_eq!(status, StatusCode::CREATED);
        let lead = create(&alice, &org, "lead", json!({"title": "A", "stage": "won", "note": "keep me", "score": 3})).await;
        create(&alice, &org, "lead", json!({"stage": "won"})).await;
        let path = format!("/api/v1/orgs/{org}/record-types/lead");
        let put = |fields: Value, version: i64, archived: bool| {
            let alice = alice.clone();
            let path = path.clone();
            async move {
                call(&alice, Method::PUT, &path, Some(json!({"version": version, "name": "Lead", "fields": fields, "archived": archived}))).await
            }
        };
        // Required while a record lacks it; options narrowed while in use; an incompatible type.
        let (status, body) = put(json!([
            {"name": "title", "type": "text", "required": true},
            {"name": "stage", "type": "select", "options": ["new", "lost"]},
            {"name": "note", "type": "text"},
            {"name": "score", "type": "date"}
        ]), 1, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(field_error(&body, "title").contains("1 records"), "{body}");
        assert!(field_error(&body, "stage").contains("2 records"), "{body}");
        assert!(field_error(&body, "score").contains("1 records"), "{body}");
        // A stale version is a conflict.
        let (status, _) = put(json!([{"name": "title", "type": "text"}]), 7, false).await;
        assert_eq!(status, StatusCode::CONFLICT);
        // Removing a field keeps its values; a new version is kept.
        let (status, body) = put(json!([
            {"name": "title", "type": "text"},
            {"name": "stage", "type": "select", "options": ["new", "won", "lost", "stale"]},
            {"name": "score", "type": "number"}
        ]), 1, false).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["version"], 2);
        let (_, kept) = get(&alice, &format!("/api/v1/records/{}", lead["id"].as_str().unwrap())).await;
        assert_eq!(kept["note"], "keep me");
        let (_, page) = get(&alice, &format!("/api/v1/orgs/{org}/records/lead?score.gte=2.5")).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "reindexed as a number: {page}");
        // Archived: no new records; existing ones stay readable.
        let (status, _) = put(json!([{"name": "title", "type": "text"}, {"name": "stage", "type": "select", "options": ["new", "won", "lost", "stale"]}, {"name": "score", "type": "number"}]), 2, true).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = post(&alice, &format!("/api/v1/orgs/{org}/records/lead"), json!({"title": "B"})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(count(&alice, &org, "lead").await, 2);
    }

    async fn csv_round_trip_and_all_or_nothing_import(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let carol = fixtures::user(&server, "carol").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        fixtures::create_org(&eve, "Other").await;
        fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
        let expense = |slug: &str| json!({
            "slug": slug, "name": "Expense",
            "fields": [
                {"name": "code", "type": "text", "required": true, "unique": true},
                {"name": "amount", "type": "money"},
                {"name": "category", "type": "select", "options": ["travel", "food"]},
                {"name": "spent", "type": "date"},
                {"name": "rate", "type": "percent"},
                {"name": "tags", "type": "multi_select", "options": ["a", "b"]},
                {"name": "lines", "type": "table", "fields": [{"name": "item", "type": "text"}, {"name": "qty", "type": "integer"}]},
                {"name": "note", "type": "text"}
            ],
            "permissions": [
                {"role": "member", "action": "read", "scope": "own"},
                {"role": "member", "action": "write", "scope": "own"},
                {"role": "member", "action": "export", "scope": "own"}
            ]
        });
        for slug in ["expense", "expense2"] {
            let (status, body) = post(&alice, &format!("/api/v1/orgs/{org}/record-types"), expense(slug)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        create(&alice, &org, "expense", json!({"code": "E1", "amount": -500, "category": "travel", "spent": "2026-01-02",
            "rate": "12.5", "tags": ["a", "b"], "lines": [{"item": "taxi, night", "qty": 2}], "note": "=HYPERLINK(\"http://x\")"})).await;
        create(&alice, &org, "expense", json!({"code": "E2", "amount": 1200, "category": "food", "note": "line one\nline \"two\""})).await;
        create(&alice, &org, "expense", json!({"code": "E3", "category": "travel"})).await;
        create(&carol, &org, "expense", json!({"code": "C1", "amount": 7})).await;

        let export = |user: &TestUser, path: String| {
            let client = user.client.clone();
            async move {
                let response = client.request(Method::GET, &path).send().await.unwrap();
                let status = response.status();
                let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
                (status, kind, response.text().await.unwrap())
            }
        };
        let path = format!("/api/v1/orgs/{org}/records/expense/export.csv");
        let (status, kind, all) = export(&alice, format!("{path}?sort=code")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = all.lines().collect();
        assert_eq!(lines[0], "id,name,state,code,amount,category,spent,rate,tags,lines,note");
        assert!(all.contains("'=HYPERLINK"), "formulas are defused: {all}");
        assert!(all.contains("'-500"), "{all}");
        // Filters apply; "only own" exports only one's own; another org's member meets a 404.
        let (_, _, travel) = export(&alice, format!("{path}?category=travel")).await;
        assert_eq!(travel.lines().count(), 3, "{travel}");
        let (status, _, own) = export(&carol, path.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(own.lines().count(), 2, "{own}");
        assert!(own.contains("C1") && !own.contains("E1"));
        let (status, _, _) = export(&eve, path.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Round trip: the export imports into a type of the same schema unchanged.
        let mut socket = EventSocket::connect(&server, &alice.token).await;
        let import = |user: &TestUser, slug: &str, csv: String| {
            let client = user.client.clone();
            let path = format!("/api/v1/orgs/{org}/records/{slug}/import.csv");
            async move {
                let response = client.request(Method::POST, &path).header("content-type", "text/csv").body(csv).send().await.unwrap();
                let status = response.status();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) = import(&alice, "expense2", all.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["created"], 4);
        let frame = socket.expect("record.import.progress", |f| f.data["done"] == 4).await;
        assert_eq!(frame.data["total"], 4);
        let strip = |page: Value| -> Vec<Value> {
            page["items"].as_array().unwrap().iter().map(|r| {
                let mut r = r.clone();
                let object = r.as_object_mut().unwrap();
                for key in ["id", "name", "version", "created_at", "updated_at", "created_by", "can", "type"] {
                    object.remove(key);
                }
                if let Some(lines) = object.get_mut("lines") {
                    for line in lines.as_array_mut().unwrap() {
                        line.as_object_mut().unwrap().remove("id");
                    }
                }
                r
            }).collect()
        };
        let (_, original) = get(&alice, &format!("/api/v1/orgs/{org}/records/expense?sort=code")).await;
        let (_, copied) = get(&alice, &format!("/api/v1/orgs/{org}/records/expense2?sort=code")).await;
        assert_eq!(strip(copied), strip(original));

        // One bad row (or a duplicate unique value) writes nothing.
        let bad = "code,amount,category\nN1,100,food\nN2,abc,food\nN3,5,drinks\n".to_owned();
        let (status, body) = import(&alice, "expense2", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        field_error(&body, "rows[2].amount");
        field_error(&body, "rows[3].category");
        let duplicate = "code,amount\nN1,1\nE1,2\n".to_owned();
        let (status, body) = import(&alice, "expense2", duplicate).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        field_error(&body, "rows[2].code");
        let (status, body) = import(&alice, "expense2", "code,colour\nX,red\n".to_owned()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        field_error(&body, "header.colour");
        assert_eq!(count(&alice, &org, "expense2").await, 4);
    }
}
