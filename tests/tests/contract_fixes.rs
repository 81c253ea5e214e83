//! What the contract run (scripts/contract: schemathesis over the OpenAPI document) found the
//! server doing wrong, on both databases: a JSON array read as a struct, whole numbers written
//! as `3.0` refused for integer fields, NUL characters reaching PostgreSQL (a 500), a WIP limit
//! beyond the column's 32-bit integer (a 500 on PostgreSQL), and an empty CSV import answered
//! as a success.

use atrium_client::wire::Visibility;
use atrium_tests::fixtures::{self, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::json;

backend_tests! {
    async fn bodies_are_objects_and_whole_numbers_are_integers(backend) {
        let server = TestServer::start(backend).await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await;
        let project = fixtures::create_project(&alice, &org.id, "Engineering", Visibility::Open).await;
        let path = format!("/api/v1/projects/{}", project.id);

        // serde builds a struct from an array of its fields; the API takes objects only.
        let (status, body) = call(&alice, Method::PATCH, &path, Some(json!(["Renamed", null]))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "{body}");
        let (_, project_now) = call(&alice, Method::GET, &path, None).await;
        assert_eq!(project_now["name"], "Engineering", "an array body changes nothing");

        // 3.0 is the integer 3 in JSON; a fraction is still refused.
        let board = format!("/api/v1/projects/{}/boards", project.id);
        let (status, created) = call(&alice, Method::POST, &board, Some(json!({"name": "Flow", "columns": [{"name": "Doing", "wip_limit": 3.0}]}))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["columns"][0]["wip_limit"], 3, "{created}");
        let (status, body) = call(&alice, Method::POST, &board, Some(json!({"name": "Flow 2", "columns": [{"name": "Doing", "wip_limit": 3.5}]}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "{body}");

        // A WIP limit beyond what a column stores is a 422, not a database error.
        let (status, body) = call(&alice, Method::POST, &board, Some(json!({"name": "Flow 3", "columns": [{"name": "Doing", "wip_limit": 4_294_967_294_u64}]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["wip_limit"].is_string(), "{body}");

        // NUL in a body is refused before it reaches the database (PostgreSQL cannot store it).
        let (status, body) = call(&alice, Method::PATCH, &path, Some(json!({"name": "Nul\u{0}name"}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "{body}");
        let (status, body) = call(&alice, Method::GET, &format!("/api/v1/orgs/{}/audit?action=a%00b", org.id), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"], json!([]), "a filter holding NUL matches nothing");
        let (status, body) = call(&alice, Method::GET, &format!("/api/v1/projects/{}%00", project.id), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_path")), "{body}");
    }

    async fn an_empty_csv_import_is_refused(backend) {
        let server = TestServer::start(backend).await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await;
        let response = alice
            .client
            .request(Method::POST, &format!("/api/v1/orgs/{}/records/client/import.csv", org.id))
            .header("content-type", "text/csv")
            .body("")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["header"].is_string(), "{body}");
        let (_, page) = call(&alice, Method::GET, &format!("/api/v1/orgs/{}/records/client", org.id), None).await;
        assert_eq!(page["items"], json!([]), "nothing was imported");
    }
}
