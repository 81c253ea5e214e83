//! Business roles over records through HTTP, on both databases: an `accountant` does what the
//! permission tables give them and nothing more — never change org roles or the tables; an
//! org admin edits the per-type table (the type's permission rows) and the org's table
//! through the API and each change applies to the very next request; a record's field-level
//! history is readable exactly where the record is.

use atrium_client::wire::OrgRole;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Ledger entries with the given permission rows.
fn ledger(permissions: Value) -> Value {
    json!({
        "slug": "ledger",
        "name": "Ledger",
        "fields": [
            {"name": "memo", "type": "text", "required": true},
            {"name": "amount", "type": "money"}
        ],
        "permissions": permissions
    })
}

/// The accountant keeps the books; members nothing (yet).
fn accountant_rows() -> Vec<Value> {
    vec![
        json!({"role": "accountant", "action": "read", "scope": "all"}),
        json!({"role": "accountant", "action": "write", "scope": "all"}),
    ]
}

/// Replaces the type's permission rows (a new version of its schema), as `user`.
async fn set_rows(user: &TestUser, org: &str, rows: Vec<Value>) -> StatusCode {
    let path = format!("/api/v1/orgs/{org}/record-types/ledger");
    let (status, current) = call(user, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{current}");
    let mut change = ledger(json!(rows));
    change["version"] = current["version"].clone();
    call(user, Method::PUT, &path, Some(change)).await.0
}

async fn status(user: &TestUser, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    call(user, method, path, body).await.0
}

/// The business roles of `member` as the org's owner sees them.
async fn roles_of(owner: &TestUser, org: &str, member: &TestUser) -> (Value, Value) {
    let (_, members) = call(
        owner,
        Method::GET,
        &format!("/api/v1/orgs/{org}/members"),
        None,
    )
    .await;
    let entry = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == member.id())
        .unwrap_or_else(|| panic!("{members}"))
        .clone();
    (entry["role"].clone(), entry["roles"].clone())
}

backend_tests! {
    async fn accountants_do_what_the_tables_give_and_admins_edit_them(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let dana = fixtures::user(&server, "dana").await;
        let bob = fixtures::user(&server, "bob").await;
        let carol = fixtures::user(&server, "carol").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        fixtures::create_org(&eve, "Other").await;
        fixtures::add_org_member(&alice, &org, &dana, OrgRole::Admin).await;
        fixtures::join_as(&alice, &org, &bob, "accountant").await;
        fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
        let (code, body) = call(&dana, Method::POST, &format!("/api/v1/orgs/{org}/record-types"), Some(ledger(json!(accountant_rows())))).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        let list = format!("/api/v1/orgs/{org}/records/ledger");

        // The accountant creates and changes entries, as the table gives; not delete.
        let (code, entry) = call(&bob, Method::POST, &list, Some(json!({"memo": "Rent", "amount": 120000}))).await;
        assert_eq!(code, StatusCode::CREATED, "{entry}");
        let id = entry["id"].as_str().unwrap().to_owned();
        let record = format!("/api/v1/records/{id}");
        let history = format!("{record}/history");
        assert_eq!(entry["can"]["write"], true);
        assert_eq!(entry["can"]["delete"], false);
        assert_eq!(status(&bob, Method::PATCH, &record, Some(json!({"version": 1, "amount": 125000}))).await, StatusCode::OK);
        assert_eq!(status(&bob, Method::DELETE, &record, None).await, StatusCode::FORBIDDEN);
        assert_eq!(status(&bob, Method::GET, &format!("{list}/export.csv"), None).await, StatusCode::FORBIDDEN);

        // ... and cannot change org roles (base or business), the tables, or the type.
        let member = format!("/api/v1/orgs/{org}/members/{}", carol.id());
        let before = roles_of(&alice, &org, &carol).await;
        for body in [json!({"roles": ["accountant"]}), json!({"role": "admin"}), json!({"role": "member", "roles": ["sales"]})] {
            assert_eq!(status(&bob, Method::PATCH, &member, Some(body.clone())).await, StatusCode::FORBIDDEN, "{body}");
        }
        assert_eq!(status(&bob, Method::PATCH, &format!("/api/v1/orgs/{org}/members/{}", bob.id()), Some(json!({"roles": ["accountant", "hr"]}))).await, StatusCode::FORBIDDEN, "not even their own");
        assert_eq!(roles_of(&alice, &org, &carol).await, before, "nothing changed");
        assert_eq!(roles_of(&alice, &org, &bob).await.1, json!(["accountant"]));
        assert_eq!(status(&bob, Method::GET, &format!("/api/v1/orgs/{org}/permissions"), None).await, StatusCode::FORBIDDEN);
        assert_eq!(status(&bob, Method::PUT, &format!("/api/v1/orgs/{org}/permissions"), Some(json!({"overrides": []}))).await, StatusCode::FORBIDDEN);
        assert_eq!(set_rows(&bob, &org, vec![json!({"role": "accountant", "action": "delete", "scope": "all"})]).await, StatusCode::FORBIDDEN);

        // Carol (a member) cannot read entries: no list, no record, no history.
        assert_eq!(status(&carol, Method::GET, &list, None).await, StatusCode::FORBIDDEN);
        assert_eq!(status(&carol, Method::GET, &record, None).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&carol, Method::GET, &history, None).await, StatusCode::NOT_FOUND);

        // The admin edits the type's table: members read all, accountants delete — at once.
        let mut rows = accountant_rows();
        rows.push(json!({"role": "member", "action": "read", "scope": "all"}));
        assert_eq!(set_rows(&dana, &org, rows.clone()).await, StatusCode::OK);
        let (code, page) = call(&carol, Method::GET, &list, None).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["can"]["write"], false);
        let (code, seen) = call(&carol, Method::GET, &history, None).await;
        assert_eq!(code, StatusCode::OK, "{seen}");
        let kinds: Vec<&str> = seen["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "updated"]);
        assert_eq!(status(&carol, Method::PATCH, &record, Some(json!({"version": 2, "memo": "x"}))).await, StatusCode::FORBIDDEN);

        // ... then "only own": bob's entry is hidden from carol again, its history too.
        rows.pop();
        rows.push(json!({"role": "member", "action": "read", "scope": "own"}));
        rows.push(json!({"role": "member", "action": "write", "scope": "own"}));
        assert_eq!(set_rows(&dana, &org, rows).await, StatusCode::OK);
        assert_eq!(status(&carol, Method::GET, &record, None).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&carol, Method::GET, &history, None).await, StatusCode::NOT_FOUND);
        let (code, own) = call(&carol, Method::POST, &list, Some(json!({"memo": "Stamps"}))).await;
        assert_eq!(code, StatusCode::CREATED, "{own}");
        assert_eq!(status(&carol, Method::GET, &format!("/api/v1/records/{}/history", own["id"].as_str().unwrap()), None).await, StatusCode::OK);
        let (_, page) = call(&carol, Method::GET, &list, None).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

        // The admin edits the org's table: accountants may export records — at once.
        let (code, body) = call(&dana, Method::PUT, &format!("/api/v1/orgs/{org}/permissions"), Some(json!({"overrides": [
            {"role": "accountant", "resource": "record", "action": "export", "scope": "all"},
            {"role": "accountant", "resource": "record", "action": "delete", "scope": "all"}
        ]}))).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(status(&bob, Method::GET, &format!("{list}/export.csv"), None).await, StatusCode::OK);
        assert_eq!(status(&bob, Method::DELETE, &record, None).await, StatusCode::NO_CONTENT);

        // Another org's member meets 404s everywhere.
        assert_eq!(status(&eve, Method::GET, &history, None).await, StatusCode::NOT_FOUND);
        let carols = format!("/api/v1/records/{}", own["id"].as_str().unwrap());
        assert_eq!(status(&eve, Method::GET, &format!("{carols}/history"), None).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&eve, Method::GET, &list, None).await, StatusCode::NOT_FOUND);
    }
}
