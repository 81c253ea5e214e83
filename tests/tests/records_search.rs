//! Search over business records through HTTP, on both databases: a record is found by its
//! name and by its text-like fields (text, long text, e-mail, phone, URL, select labels); only
//! by those who may read it — "only own" readers find the records they created or are assigned,
//! an accountant every one the type's table lets them read, another org's member never; a
//! change of the type's permission rows applies to the next search; a deleted record
//! disappears.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use atrium_client::wire::OrgRole;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long the indexer may take to make a change searchable (it commits within a second).
const SEARCHABLE_WITHIN: Duration = Duration::from_secs(10);

/// A service job: named by a series, with every text-like field kind; accountants read all,
/// members only their own.
fn job_type(member_scope: &str) -> Value {
    json!({
        "slug": "job",
        "name": "Job",
        "fields": [
            {"name": "subject", "type": "text"},
            {"name": "details", "type": "long_text"},
            {"name": "contact", "type": "email"},
            {"name": "phone", "type": "phone"},
            {"name": "site", "type": "url"},
            {"name": "trade", "type": "select", "options": ["plumbing", "roofing"]},
            {"name": "tags", "type": "multi_select", "options": ["warranty", "urgent"]},
            {"name": "hours", "type": "integer"},
            {"name": "assignee", "type": "user"}
        ],
        "naming": {"prefix": "JOB-", "digits": 3},
        "permissions": [
            {"role": "accountant", "action": "read", "scope": "all"},
            {"role": "member", "action": "read", "scope": member_scope},
            {"role": "member", "action": "write", "scope": "own"}
        ]
    })
}

async fn create(user: &TestUser, org: &str, fields: Value) -> String {
    let (status, record) = call(
        user,
        Method::POST,
        &format!("/api/v1/orgs/{org}/records/job"),
        Some(fields),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    record["id"].as_str().unwrap().to_owned()
}

/// The search's status and the record ids it found.
async fn found(user: &TestUser, org: &str, q: &str) -> (StatusCode, BTreeSet<String>) {
    let response = user
        .client
        .request(Method::GET, &format!("/api/v1/orgs/{org}/search"))
        .query(&[("q", q), ("kind", "record"), ("limit", "100")])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    let ids = body["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .inspect(|h| assert_eq!(h["kind"], "record", "{h}"))
                .map(|h| h["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (status, ids)
}

async fn ids(user: &TestUser, org: &str, q: &str) -> BTreeSet<String> {
    let (status, ids) = found(user, org, q).await;
    assert_eq!(status, StatusCode::OK, "search {q:?}");
    ids
}

/// Polls until `q` finds exactly `expected` for `user`; panics after [`SEARCHABLE_WITHIN`].
async fn wait_for(user: &TestUser, org: &str, q: &str, expected: &[&str]) {
    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    let started = Instant::now();
    loop {
        let got = ids(user, org, q).await;
        if got == expected {
            return;
        }
        assert!(
            started.elapsed() < SEARCHABLE_WITHIN,
            "{q:?} for {}: {got:?}, expected {expected:?}",
            user.user.handle
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

backend_tests! {
    async fn records_are_found_by_name_and_text_by_those_who_may_read_them(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let bob = fixtures::user(&server, "bob").await;
        let carol = fixtures::user(&server, "carol").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let other = fixtures::create_org(&eve, "Other").await.id;
        fixtures::join_as(&alice, &org, &bob, "accountant").await;
        fixtures::add_org_member(&alice, &org, &carol, OrgRole::Member).await;
        for (owner, org) in [(&alice, &org), (&eve, &other)] {
            let (status, body) = call(owner, Method::POST, &format!("/api/v1/orgs/{org}/record-types"), Some(job_type("own"))).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }

        // Alice's job, carol's own, and one of alice's assigned to carol; eve's in her org.
        let hangar = create(&alice, &org, json!({
            "subject": "Zeppelin hangar leak", "details": "Water drips near the north gasket",
            "contact": "ops@hangar.example", "phone": "+44 20 7946 0958",
            "site": "https://hangar.example/bay-7", "trade": "roofing", "tags": ["warranty"], "hours": 31337
        })).await;
        let carols = create(&carol, &org, json!({"subject": "Zeppelin mooring question"})).await;
        let assigned = create(&alice, &org, json!({"subject": "Zeppelin paint job", "assignee": carol.id()})).await;
        let elsewhere = create(&eve, &other, json!({"subject": "Zeppelin elsewhere"})).await;

        // By a text field, as the owner who reads all; by the name; by each text-like field.
        wait_for(&alice, &org, "zeppelin", &[&hangar, &carols, &assigned]).await;
        assert_eq!(ids(&alice, &org, "JOB-001").await, BTreeSet::from([hangar.clone()]));
        for q in ["gasket", "ops@hangar.example", "7946", "bay", "roofing", "warranty"] {
            assert_eq!(ids(&alice, &org, q).await, BTreeSet::from([hangar.clone()]), "{q}");
        }
        assert!(ids(&alice, &org, "31337").await.is_empty(), "numbers are not text");

        // "Only own": carol finds hers and the one assigned to her, not alice's other one.
        assert_eq!(ids(&carol, &org, "zeppelin").await, BTreeSet::from([carols.clone(), assigned.clone()]));
        assert!(ids(&carol, &org, "gasket").await.is_empty());
        // Her list says the same: the records she created or is assigned.
        let (status, page) = call(&carol, Method::GET, &format!("/api/v1/orgs/{org}/records/job"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let listed: BTreeSet<String> = page["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(listed, BTreeSet::from([carols.clone(), assigned.clone()]));
        // The accountant reads every job.
        assert_eq!(ids(&bob, &org, "zeppelin").await, BTreeSet::from([hangar.clone(), carols.clone(), assigned.clone()]));
        // Another org's record is never found, and another org is not searchable at all.
        assert_eq!(ids(&eve, &other, "zeppelin").await, BTreeSet::from([elsewhere.clone()]));
        assert_eq!(found(&eve, &org, "zeppelin").await.0, StatusCode::NOT_FOUND);
        assert_eq!(found(&carol, &other, "zeppelin").await.0, StatusCode::NOT_FOUND);

        // The type's permission rows change: members read every job at once (no reindexing),
        // then nothing at all.
        for (scope, expected) in [("all", vec![&hangar, &carols, &assigned]), ("none", vec![])] {
            let mut change = job_type(scope);
            let (_, latest) = call(&alice, Method::GET, &format!("/api/v1/orgs/{org}/record-types/job"), None).await;
            change["version"] = latest["version"].clone();
            let (status, body) = call(&alice, Method::PUT, &format!("/api/v1/orgs/{org}/record-types/job"), Some(change)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let expected: BTreeSet<String> = expected.into_iter().cloned().collect();
            assert_eq!(ids(&carol, &org, "zeppelin").await, expected, "members read {scope}");
        }

        // A changed assignee moves the record into (and out of) "only own" reach.
        let (_, latest) = call(&alice, Method::GET, &format!("/api/v1/orgs/{org}/record-types/job"), None).await;
        let mut change = job_type("own");
        change["version"] = latest["version"].clone();
        let (status, _) = call(&alice, Method::PUT, &format!("/api/v1/orgs/{org}/record-types/job"), Some(change)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = call(&alice, Method::PATCH, &format!("/api/v1/records/{hangar}"), Some(json!({"version": 1, "assignee": carol.id()}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        wait_for(&carol, &org, "zeppelin", &[&hangar, &carols, &assigned]).await;

        // Deleted records disappear.
        let (status, _) = call(&alice, Method::DELETE, &format!("/api/v1/records/{hangar}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        wait_for(&alice, &org, "zeppelin", &[&carols, &assigned]).await;
        assert!(ids(&bob, &org, "gasket").await.is_empty());
    }
}
