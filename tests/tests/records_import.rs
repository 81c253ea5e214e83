//! CSV import progress on the events socket, on both databases: the importer's sockets get
//! `record.import.progress` in batches (every thousand rows or half a second, never per row)
//! through validation and writing, then `record.import.finished` with the outcome — the
//! records written, or the count of row errors when nothing was written. Readers hear of a
//! large import once (`record.imported`), not once per row.

use atrium_tests::events::EventSocket;
use atrium_tests::fixtures::{self, TestUser, call_json as call};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Rows of the big import: more than two batches of a thousand.
const ROWS: usize = 2_100;

async fn import(user: &TestUser, org: &str, csv: String) -> (StatusCode, Value) {
    let response = user
        .client
        .request(
            Method::POST,
            &format!("/api/v1/orgs/{org}/records/entry/import.csv"),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.json::<Value>().await.unwrap_or(Value::Null),
    )
}

/// The `done` counts of a phase's progress frames.
fn done_in(frames: &[atrium_tests::events::Frame], phase: &str) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f.kind == "record.import.progress" && f.data["phase"] == phase)
        .map(|f| {
            assert_eq!(f.data["type"], "entry");
            assert_eq!(f.data["total"], ROWS as u64);
            f.data["done"].as_u64().unwrap()
        })
        .collect()
}

backend_tests! {
    async fn an_import_reports_batched_progress_and_its_outcome(backend) {
        let server = TestServer::builder(backend).start().await;
        let alice = fixtures::user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let (status, body) = call(&alice, Method::POST, &format!("/api/v1/orgs/{org}/record-types"), Some(json!({
            "slug": "entry", "name": "Entry",
            "fields": [
                {"name": "code", "type": "text", "required": true, "unique": true},
                {"name": "amount", "type": "integer"}
            ]
        }))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let mut alice_socket = EventSocket::connect(&server, &alice.token).await;

        let mut csv = String::from("code,amount\n");
        for i in 0..ROWS {
            csv.push_str(&format!("E{i},{i}\n"));
        }
        let (status, body) = import(&alice, &org, csv).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["created"], ROWS as u64);
        let frames = alice_socket.until("record.import.finished", |_| true).await;
        let finished = frames.last().unwrap();
        assert!(frames.iter().all(|f| f.kind != "record.created"), "no event per row");
        // The announcement is kept (it commits with the records), the outcome is not: either may
        // arrive first.
        let imported = match frames.iter().find(|f| f.kind == "record.imported") {
            Some(frame) => frame.clone(),
            None => alice_socket.expect("record.imported", |_| true).await,
        };
        assert_eq!(imported.data, json!({"type": "entry", "created": ROWS}));
        assert_eq!(finished.data, json!({"type": "entry", "total": ROWS, "created": ROWS, "errors": 0}));
        for phase in ["validating", "writing"] {
            let done = done_in(&frames, phase);
            // Batched: at least one per thousand rows and the last row; far fewer than rows.
            assert!(done.len() > ROWS / 1_000 && done.len() < 100, "{phase}: {done:?}");
            assert!(done.windows(2).all(|w| w[0] < w[1]), "{phase} goes up: {done:?}");
            assert!(done.windows(2).all(|w| w[1] - w[0] <= 1_000), "{phase}: a thousand rows at most between two: {done:?}");
            assert_eq!(done.last(), Some(&(ROWS as u64)), "{phase} ends with every row");
        }
        let validated_last = frames.iter().rposition(|f| f.data["phase"] == "validating").unwrap();
        let written_first = frames.iter().position(|f| f.data["phase"] == "writing").unwrap();
        assert!(validated_last < written_first, "every row is checked before any is written");

        // A failing import ends with its error count, nothing written.
        let (status, body) = import(&alice, &org, "code,amount\nN1,1\nN2,lots\nE5,3\n".to_owned()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let frame = alice_socket.expect("record.import.finished", |_| true).await;
        assert_eq!(frame.data["created"], 0);
        assert_eq!(frame.data["errors"], body["error"]["fields"].as_object().unwrap().len());
        assert!(frame.data["errors"].as_u64().unwrap() >= 1);
    }
}
