//! `GET /api/v1/records/{record}/transitions`: the steps out of a record's state and whether the
//! caller may take each, by the same checks as `POST …/transition` (permission, roles,
//! self-approval, condition), on both databases; hidden and foreign records are 404s.

use atrium_client::wire::OrgRole;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn claim_type() -> Value {
    json!({
        "slug": "claim",
        "name": "Claim",
        "fields": [
            {"name": "code", "type": "text", "required": true},
            {"name": "note", "type": "text"}
        ],
        "workflow": {
            "states": [{"name": "draft"}, {"name": "submitted"}, {"name": "approved", "final_state": true}, {"name": "rejected", "final_state": true}],
            "transitions": [
                {"action": "submit", "from": ["draft"], "to": "submitted"},
                {"action": "approve", "from": ["submitted"], "to": "approved", "roles": ["accountant"], "allow_self_approval": false},
                {"action": "reject", "from": ["submitted"], "to": "rejected", "roles": ["accountant"],
                 "condition": {"field": "note", "op": "not_empty"}}
            ]
        },
        "permissions": [
            {"role": "accountant", "action": "read", "scope": "all"},
            {"role": "accountant", "action": "write", "scope": "all"},
            {"role": "accountant", "action": "transition", "scope": "all"},
            {"role": "member", "action": "read", "scope": "all"},
            {"role": "member", "action": "write", "scope": "own"},
            {"role": "member", "action": "transition", "scope": "own"}
        ]
    })
}

async fn steps(user: &TestUser, record: &str) -> (StatusCode, Value) {
    call(
        user,
        Method::GET,
        &format!("/api/v1/records/{record}/transitions"),
        None,
    )
    .await
}

/// `action → (allowed, reason)` of the caller's steps on `record`.
async fn summary(user: &TestUser, record: &str) -> Vec<(String, bool, Option<String>)> {
    let (status, body) = steps(user, record).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_owned(),
                s["allowed"].as_bool().unwrap(),
                s["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn create(user: &TestUser, org: &str, kind: &str, body: Value) -> String {
    let (status, record) = call(
        user,
        Method::POST,
        &format!("/api/v1/orgs/{org}/records/{kind}"),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    record["id"].as_str().unwrap().to_owned()
}

async fn take(user: &TestUser, record: &str, action: &str) -> StatusCode {
    call(
        user,
        Method::POST,
        &format!("/api/v1/records/{record}/transition"),
        Some(json!({"action": action})),
    )
    .await
    .0
}

fn step(action: &str, allowed: bool, reason: Option<&str>) -> (String, bool, Option<String>) {
    (action.to_owned(), allowed, reason.map(str::to_owned))
}

backend_tests! {
    async fn available_steps_match_what_the_transition_route_allows(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let bob = fixtures::user(&server, "bob").await;
        let carol = fixtures::user(&server, "carol").await;
        let dave = fixtures::user(&server, "dave").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        fixtures::create_org(&eve, "Other").await;
        fixtures::join_as(&alice, &org, &bob, "accountant").await;
        fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
        fixtures::add_org_member(&alice, &org, &dave, OrgRole::Member).await;
        let (status, body) = call(&alice, Method::POST, &format!("/api/v1/orgs/{org}/record-types"), Some(claim_type())).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let claim = create(&carol, &org, "claim", json!({"code": "C-1"})).await;
        assert_eq!(summary(&carol, &claim).await, [step("submit", true, None)]);
        // Dave reads all claims but may take steps only on his own.
        assert_eq!(summary(&dave, &claim).await, [step("submit", false, Some("permission"))]);
        assert_eq!(take(&dave, &claim, "submit").await, StatusCode::FORBIDDEN);
        assert_eq!(take(&carol, &claim, "submit").await, StatusCode::OK);

        // Out of "submitted": Carol lacks the role; Bob may approve, and may reject only once
        // the note is there (the step's condition names the field).
        assert_eq!(summary(&carol, &claim).await, [step("approve", false, Some("role")), step("reject", false, Some("role"))]);
        let (_, body) = steps(&bob, &claim).await;
        assert_eq!(body["items"][0]["allowed"], true, "{body}");
        assert_eq!(body["items"][1]["reason"], "condition");
        assert_eq!(body["items"][1]["field"], "note");
        assert_eq!(take(&bob, &claim, "reject").await, StatusCode::UNPROCESSABLE_ENTITY);

        // Bob may not approve his own claim.
        let own = create(&bob, &org, "claim", json!({"code": "C-2", "note": "mine"})).await;
        assert_eq!(take(&bob, &own, "submit").await, StatusCode::OK);
        assert_eq!(summary(&bob, &own).await, [step("approve", false, Some("self_approval")), step("reject", true, None)]);
        assert_eq!(take(&bob, &own, "approve").await, StatusCode::FORBIDDEN);

        // A final state has no way out; a type without a workflow has no steps.
        assert_eq!(take(&bob, &claim, "approve").await, StatusCode::OK);
        assert!(summary(&bob, &claim).await.is_empty());
        let client = create(&alice, &org, "client", json!({"name": "Globex", "currency": "EUR"})).await;
        assert!(summary(&alice, &client).await.is_empty());

        // Another org's record, or an unknown one, is a 404.
        assert_eq!(steps(&eve, &claim).await.0, StatusCode::NOT_FOUND);
        assert_eq!(steps(&alice, "nope").await.0, StatusCode::NOT_FOUND);
    }
}
