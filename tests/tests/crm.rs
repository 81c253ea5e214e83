//! The sales side's built-in types through HTTP, on both databases: clients and contacts, deals
//! moving through their stages (each stage bringing its probability, which a deal may then
//! override), the forecast's exact sums by month, owner and currency, and who may do what —
//! sales run the pipeline, accountants and viewers read it, another org's 404.

use atrium_client::wire::OrgRole;
use atrium_tests::fixtures::{self, TestUser, call_json as call, create_record as create};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn step(user: &TestUser, record: &Value, action: &str) -> Value {
    let id = record["id"].as_str().unwrap();
    let (status, body) = call(
        user,
        Method::POST,
        &format!("/api/v1/records/{id}/transition"),
        Some(json!({"action": action})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{action}: {body}");
    body
}

backend_tests! {
    async fn deals_move_through_the_pipeline_and_the_forecast_adds_up(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let sam = fixtures::user(&server, "sam").await;
        let bob = fixtures::user(&server, "bob").await;
        let vic = fixtures::user(&server, "vic").await;
        let eve = fixtures::user(&server, "eve").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        fixtures::create_org(&eve, "Other").await;
        for (user, role) in [(&sam, OrgRole::Member), (&bob, OrgRole::Member), (&vic, OrgRole::Viewer)] {
            fixtures::add_org_member(&alice, &org, user, role).await;
        }
        fixtures::set_business_roles(&alice, &org, &sam, &["sales"]).await;
        fixtures::set_business_roles(&alice, &org, &bob, &["accountant"]).await;
        let org = org.as_str();

        // Sales keep the clients and their contacts; a contact names an existing client.
        let globex = create(&sam, org, "client", json!({"name": "Globex", "currency": "eur", "email": "ap@globex.example"})).await;
        let client = globex["id"].as_str().unwrap();
        let contact = create(&sam, org, "contact", json!({"name": "Hank Scorpio", "client": client, "role": "CEO"})).await;
        assert_eq!(contact["client"], client);
        let (status, body) = call(&sam, Method::POST, &format!("/api/v1/orgs/{org}/records/contact"), Some(json!({"name": "Nobody", "client": "no-such-client"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["client"].is_string(), "{body}");

        // A new deal is a lead at the lead's probability; each stage brings its own.
        let big = create(&sam, org, "deal", json!({"name": "Big rollout", "client": client, "amount": 100000, "currency": "EUR", "expected_close": "2026-03-14"})).await;
        assert_eq!((big["state"].as_str(), big["probability"].as_str()), (Some("lead"), Some("10")));
        let big = step(&sam, &big, "propose").await;
        assert_eq!((big["state"].as_str(), big["probability"].as_str()), (Some("proposal"), Some("50")));
        // A deal overrides its stage's probability.
        let small = create(&sam, org, "deal", json!({"name": "Pilot", "client": client, "amount": 333, "currency": "EUR", "expected_close": "2026-03-02", "assignee": bob.id()})).await;
        let small = step(&sam, &small, "qualify").await;
        let (status, small) = call(&sam, Method::PATCH, &format!("/api/v1/records/{}", small["id"].as_str().unwrap()), Some(json!({"version": small["version"], "probability": "33.3"}))).await;
        assert_eq!(status, StatusCode::OK, "{small}");
        let won = create(&sam, org, "deal", json!({"name": "Support", "client": client, "amount": 25000, "currency": "EUR", "expected_close": "2026-04-30"})).await;
        step(&sam, &won, "win").await;
        let lost = create(&sam, org, "deal", json!({"name": "Lost cause", "client": client, "amount": 999900, "currency": "EUR", "expected_close": "2026-03-01"})).await;
        let lost = step(&sam, &lost, "lose").await;
        assert_eq!(lost["probability"], "0");
        // Reopened, it is a lead again; lost once more, it counts for nothing.
        let lost = step(&sam, &lost, "reopen").await;
        assert_eq!((lost["state"].as_str(), lost["probability"].as_str()), (Some("lead"), Some("10")));
        step(&sam, &lost, "lose").await;
        create(&sam, org, "deal", json!({"name": "Someday", "client": client, "amount": 400000, "currency": "EUR"})).await;
        let yen = create(&sam, org, "deal", json!({"name": "Tokyo", "client": client, "amount": 120_000, "currency": "jpy", "expected_close": "2026-03-20"})).await;
        assert_eq!(yen["currency"], "JPY");
        step(&sam, &yen, "negotiate").await;
        // A stage the deal is in already is no step.
        let (status, _) = call(&sam, Method::POST, &format!("/api/v1/records/{}/transition", won["id"].as_str().unwrap()), Some(json!({"action": "win"}))).await;
        assert!(status.is_client_error(), "{status}");

        // The forecast: amount × probability per deal (half-up to a cent), by month, by owner.
        let path = format!("/api/v1/orgs/{org}/deals/forecast");
        let (status, forecast) = call(&vic, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{forecast}");
        let eur = &forecast["currencies"][0];
        assert_eq!(eur["currency"], "EUR");
        let months: Vec<(Value, i64, i64)> = eur["months"].as_array().unwrap().iter()
            .map(|m| (m["month"].clone(), m["weighted"].as_i64().unwrap(), m["deals"].as_i64().unwrap())).collect();
        assert_eq!(months, vec![
            (json!("2026-03"), 50000 + 111, 2),
            (json!("2026-04"), 25000, 1),
            (Value::Null, 40000, 1),
        ]);
        assert_eq!(eur["total"]["weighted"], 50000 + 111 + 25000 + 40000);
        assert_eq!(eur["total"]["amount"], 100000 + 333 + 25000 + 400000);
        let owners: Vec<(String, i64)> = eur["total"]["owners"].as_array().unwrap().iter()
            .map(|o| (o["user"].as_str().unwrap().to_owned(), o["weighted"].as_i64().unwrap())).collect();
        let mut expected = vec![(sam.id().to_owned(), 50000 + 25000 + 40000), (bob.id().to_owned(), 111)];
        expected.sort();
        assert_eq!(owners, expected);
        let jpy = &forecast["currencies"][1];
        assert_eq!((jpy["currency"].as_str(), jpy["total"]["weighted"].as_i64()), (Some("JPY"), Some(90_000)));

        // Accountants and viewers read the pipeline but do not run it; another org sees nothing.
        for reader in [&bob, &vic] {
            let (status, page) = call(reader, Method::GET, &format!("/api/v1/orgs/{org}/records/deal"), None).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(page["items"].as_array().unwrap().len(), 6);
            let (status, _) = call(reader, Method::POST, &format!("/api/v1/orgs/{org}/records/deal"), Some(json!({"name": "Mine", "client": client, "amount": 1, "currency": "EUR"}))).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            let (status, _) = call(reader, Method::POST, &format!("/api/v1/records/{}/transition", big["id"].as_str().unwrap()), Some(json!({"action": "win"}))).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        assert_eq!(call(&eve, Method::GET, &path, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&eve, Method::GET, &format!("/api/v1/records/{}", big["id"].as_str().unwrap()), None).await.0, StatusCode::NOT_FOUND);
        // The defaults are rows of the type's permission table, shown with its schema.
        let (status, body) = call(&alice, Method::GET, &format!("/api/v1/orgs/{org}/record-types/deal"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["permissions"].as_array().unwrap().iter().any(|p| p["role"] == "sales" && p["action"] == "transition"), "{body}");
    }
}
