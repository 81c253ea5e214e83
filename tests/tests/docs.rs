//! Documents through HTTP and the `/collab` socket: resources and permissions, content
//! decoding, binary updates, versions, trash, the change feed, auth at connect, WebSocket
//! framing (fragments, pings, oversized frames) and hostile frames.

use std::time::{Duration, Instant};

use atrium_client::wire::{Doc, DocVersion, Page};
use atrium_tests::backend_tests;
use atrium_tests::collab::{connect as socket, next_binary as next_event};
use atrium_tests::fixtures::{self, Editor, TestUser, docs_workspace as workspace};
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// A Yjs update that appends `text` to the `text` Y.Text of a document in state `base`.
fn append_update(base: &[u8], text: &str) -> Vec<u8> {
    Editor::from_state(base).append(text)
}

async fn get_bytes(user: &TestUser, path: &str) -> (StatusCode, Vec<u8>) {
    let response = user.client.request(Method::GET, path).send().await.unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

async fn content(user: &TestUser, doc: &str) -> String {
    let (status, body) = get_bytes(user, &format!("/api/v1/docs/{doc}/content?format=text")).await;
    assert_eq!(status, StatusCode::OK);
    String::from_utf8(body).unwrap()
}

backend_tests! {
    async fn documents_are_resources_of_their_project(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "  Plan ").await;
        assert_eq!(doc.title, "Plan");
        let listed: Page<Doc> = w.viewer.client.get(&format!("/api/v1/projects/{}/docs", w.project.id)).await.unwrap();
        assert_eq!(listed.items.len(), 1);

        // Content through binary updates, decoded on the server.
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, append_update(&[], "hello world")).await, StatusCode::NO_CONTENT);
        assert_eq!(content(&w.viewer, &doc.id).await.trim(), "hello world");
        let (status, state) = get_bytes(&w.viewer, &format!("/api/v1/docs/{}/update", doc.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(Editor::from_state(&state).text(), "hello world");
        let (status, _) = get_bytes(&w.viewer, &format!("/api/v1/docs/{}/content?format=docx", doc.id)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, json_content) = get_bytes(&w.viewer, &format!("/api/v1/docs/{}/content?format=json", doc.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_slice::<Value>(&json_content).unwrap()["text"], "hello world");

        // Viewers read but never write; garbage is refused and changes nothing.
        assert_eq!(fixtures::post_update(&w.viewer, &doc.id, append_update(&state, " from a viewer")).await, StatusCode::FORBIDDEN);
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, b"\xff\xff\xff\xff garbage".to_vec()).await, StatusCode::BAD_REQUEST);
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, Vec::new()).await, StatusCode::BAD_REQUEST);
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "hello world");
        let (status, _) = w.viewer.client.request(Method::PATCH, &format!("/api/v1/docs/{}", doc.id)).json(&json!({"title": "Mine"})).send().await.map(|r| (r.status(), ())).unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Another organisation's user sees nothing.
        for (method, path) in [
            (Method::GET, format!("/api/v1/docs/{}", doc.id)),
            (Method::GET, format!("/api/v1/docs/{}/content", doc.id)),
            (Method::GET, format!("/api/v1/docs/{}/update", doc.id)),
            (Method::GET, format!("/api/v1/docs/{}/versions", doc.id)),
            (Method::PATCH, format!("/api/v1/docs/{}", doc.id)),
            (Method::DELETE, format!("/api/v1/docs/{}", doc.id)),
            (Method::GET, format!("/api/v1/projects/{}/docs", w.project.id)),
            (Method::POST, format!("/api/v1/projects/{}/docs", w.project.id)),
        ] {
            let status = w.outsider.client.request(method.clone(), &path).json(&json!({"title": "x"})).send().await.unwrap().status();
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        }

        // Rename, versions and restore.
        let renamed: Doc = w.owner.client.send(w.owner.client.request(Method::PATCH, &format!("/api/v1/docs/{}", doc.id)).json(&json!({"title": "Plan v2"}))).await.unwrap();
        assert_eq!(renamed.title, "Plan v2");
        let version: DocVersion = w.owner.client.post(&format!("/api/v1/docs/{}/versions", doc.id), &json!({"name": "first draft"})).await.unwrap();
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, append_update(&state, ", again")).await, StatusCode::NO_CONTENT);
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "hello world, again");
        let versions: Page<DocVersion> = w.viewer.client.get(&format!("/api/v1/docs/{}/versions", doc.id)).await.unwrap();
        assert_eq!(versions.items, vec![version.clone()]);
        let (_, old) = get_bytes(&w.viewer, &format!("/api/v1/docs/{}/versions/{}/content?format=text", doc.id, version.id)).await;
        assert_eq!(String::from_utf8(old).unwrap().trim(), "hello world");
        let restored = w.owner.client.request(Method::POST, &format!("/api/v1/docs/{}/versions/{}/restore", doc.id, version.id)).send().await.unwrap();
        assert_eq!(restored.status(), StatusCode::NO_CONTENT);
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "hello world");
        let missing = w.owner.client.request(Method::POST, &format!("/api/v1/docs/{}/versions/nope/restore", doc.id)).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);

        // Trash and restore.
        let trashed: Doc = w.owner.client.send(w.owner.client.request(Method::DELETE, &format!("/api/v1/docs/{}", doc.id))).await.unwrap();
        assert!(trashed.trashed_at.is_some());
        let listed: Page<Doc> = w.owner.client.get(&format!("/api/v1/projects/{}/docs", w.project.id)).await.unwrap();
        assert!(listed.items.is_empty());
        let trash: Page<Doc> = w.owner.client.get(&format!("/api/v1/projects/{}/docs?trashed=true", w.project.id)).await.unwrap();
        assert_eq!(trash.items.len(), 1);
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, append_update(&[], "x")).await, StatusCode::CONFLICT);
        let back: Doc = w.owner.client.post(&format!("/api/v1/docs/{}/restore", doc.id), &json!({})).await.unwrap();
        assert!(back.trashed_at.is_none());
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "hello world");
    }

    async fn document_changes_reach_the_change_feed(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Feed").await;
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, append_update(&[], "searchable words")).await, StatusCode::NO_CONTENT);
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(w.server.database_url()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows: Vec<(String, String)> = sqlx::query_as("select op, payload from change_feed where kind = 'doc' and entity_id = $1 order by seq")
                .bind(&doc.id)
                .fetch_all(&pool)
                .await
                .unwrap();
            if rows.iter().any(|(_, payload)| payload.contains("searchable words")) {
                let payload: Value = serde_json::from_str(&rows.last().unwrap().1).unwrap();
                assert_eq!(payload["title"], "Feed");
                assert_eq!(payload["project"], w.project.id.as_str());
                break;
            }
            assert!(Instant::now() < deadline, "the document's text never reached the change feed: {rows:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _: Doc = w.owner.client.send(w.owner.client.request(Method::DELETE, &format!("/api/v1/docs/{}", doc.id))).await.unwrap();
        let (op,): (String,) = sqlx::query_as("select op from change_feed where entity_id = $1 order by seq desc limit 1").bind(&doc.id).fetch_one(&pool).await.unwrap();
        assert_eq!(op, "delete");
        pool.close().await;
    }

    async fn edits_whose_report_a_crash_lost_reach_the_feed_after_restart(backend) {
        let mut w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Crash").await;
        // The update is stored when the answer comes; its debounced report is not yet written.
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, append_update(&[], "survivingword")).await, StatusCode::NO_CONTENT);
        w.server.kill().await;
        w.server.restart().await;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(w.server.database_url()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (found,): (i64,) = sqlx::query_as("select count(*) from change_feed where entity_id = $1 and payload like '%survivingword%'")
                .bind(&doc.id)
                .fetch_one(&pool)
                .await
                .unwrap();
            if found > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the edit never reached the change feed after the restart");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        pool.close().await;
    }

    async fn collab_socket_checks_access_at_connect(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Secret plan").await;
        for token in [w.outsider.token.as_str(), "atr_s_invalid"] {
            let mut ws = socket(&w.server, &doc.id, token).await;
            let frame = next_event(&mut ws).await.expect("the auth message comes first");
            assert_eq!(&frame[..2], &[2, 0], "messageAuth + permission denied");
            assert_eq!(next_event(&mut ws).await, Err(Some(4403)));
        }
        // An editor gets the server's SyncStep1 (message sync = 0, step 1 = 0).
        let mut ws = socket(&w.server, &doc.id, &w.owner.token).await;
        let frame = next_event(&mut ws).await.unwrap();
        assert_eq!(&frame[..2], &[0, 0]);
    }

    async fn a_trashed_document_closes_its_sockets_with_in_trash_not_forbidden(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Soon gone").await;
        let mut editor = socket(&w.server, &doc.id, &w.owner.token).await;
        let mut reader = socket(&w.server, &doc.id, &w.viewer.token).await;
        next_event(&mut editor).await.expect("the server's first sync message");
        next_event(&mut reader).await.expect("the server's first sync message");

        // Trashed while open: both sockets close with 4410 (in the trash), not 4403.
        let trash = w.owner.client.request(Method::DELETE, &format!("/api/v1/docs/{}", doc.id)).send().await.unwrap();
        assert_eq!(trash.status(), StatusCode::OK);
        for ws in [&mut editor, &mut reader] {
            let code = loop {
                if let Err(code) = next_event(ws).await {
                    break code;
                }
            };
            assert_eq!(code, Some(4410));
        }

        // Opened while in the trash: the auth-denied message says why, then 4410.
        let mut late = socket(&w.server, &doc.id, &w.viewer.token).await;
        let frame = next_event(&mut late).await.expect("the auth message comes first");
        assert_eq!(&frame[..2], &[2, 0], "messageAuth + permission denied");
        assert!(String::from_utf8_lossy(&frame).contains("in the trash"));
        assert_eq!(next_event(&mut late).await, Err(Some(4410)));
        // An outsider still learns nothing but 4403.
        let mut outsider = socket(&w.server, &doc.id, &w.outsider.token).await;
        next_event(&mut outsider).await.expect("the auth message comes first");
        assert_eq!(next_event(&mut outsider).await, Err(Some(4403)));

        // Restored: the socket opens and syncs again.
        let back = w.owner.client.request(Method::POST, &format!("/api/v1/docs/{}/restore", doc.id)).send().await.unwrap();
        assert_eq!(back.status(), StatusCode::OK);
        let mut again = socket(&w.server, &doc.id, &w.viewer.token).await;
        let frame = next_event(&mut again).await.unwrap();
        assert_eq!(&frame[..2], &[0, 0]);
    }

    async fn hostile_frames_close_only_their_connection(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Target").await;
        let mut watcher = socket(&w.server, &doc.id, &w.viewer.token).await;
        next_event(&mut watcher).await.unwrap();

        // A bounded, deterministic stream of malformed frames, each on its own connection.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut frames: Vec<Vec<u8>> = vec![
            vec![0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
            vec![0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f],
            vec![1, 0xfe, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3],
            vec![0, 2],
            vec![0x80],
            vec![9, 9, 9],
        ];
        for _ in 0..40 {
            let len = (random() % 64) as usize + 1;
            frames.push((0..len).map(|_| random() as u8).collect());
        }
        let started = Instant::now();
        for frame in frames {
            let mut attacker = socket(&w.server, &doc.id, &w.owner.token).await;
            attacker.send(Message::Binary(frame.clone().into())).await.unwrap();
            // Either the frame was harmless (the connection stays up) or it is closed; it never
            // takes the server or the room down.
            loop {
                match tokio::time::timeout(Duration::from_millis(300), attacker.next()).await {
                    Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => break,
                    Ok(Some(Ok(_))) => {}
                }
            }
            assert!(started.elapsed() < Duration::from_secs(60));
        }
        // The room carries on: an edit reaches the watcher, and the content is intact.
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, append_update(&[], "still alive")).await, StatusCode::NO_CONTENT);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let frame = next_event(&mut watcher).await.expect("the watcher's connection is still open");
            if frame.windows(b"still alive".len()).any(|w| w == b"still alive") {
                break;
            }
            assert!(Instant::now() < deadline);
        }
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "still alive");
    }

    async fn collab_socket_handles_fragments_pings_and_oversized_frames(backend) {
        use tokio_tungstenite::tungstenite::protocol::frame::Frame;
        use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Frames").await;
        let mut ws = socket(&w.server, &doc.id, &w.owner.token).await;
        assert_eq!(&next_event(&mut ws).await.unwrap()[..2], &[0, 0]);

        // A ping is answered with its payload.
        ws.send(Message::Ping(b"are you there".to_vec().into())).await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap() {
                Some(Ok(Message::Pong(payload))) => {
                    assert_eq!(&payload[..], b"are you there");
                    break;
                }
                Some(Ok(Message::Binary(_))) => {}
                other => panic!("expected a pong, got {other:?}"),
            }
        }

        // An update sent as three fragments is one message: applied, stored and echoed.
        let message = atrium_collab::protocol::encode_update(append_update(&[], "fragmented update"));
        let third = message.len() / 3;
        let parts = [&message[..third], &message[third..2 * third], &message[2 * third..]];
        for (i, part) in parts.iter().enumerate() {
            let opcode = if i == 0 { OpCode::Data(Data::Binary) } else { OpCode::Data(Data::Continue) };
            ws.send(Message::Frame(Frame::message(part.to_vec(), opcode, i == 2))).await.unwrap();
        }
        loop {
            let frame = next_event(&mut ws).await.expect("the echo");
            if frame.starts_with(&[0, 2]) && frame.windows(10).any(|w| w == b"fragmented") {
                break;
            }
        }
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "fragmented update");

        // A frame over the 8 MiB limit closes with 4413, without the server reading it all.
        let mut big = vec![0u8; 9 << 20];
        big[0] = 0;
        big[1] = 2;
        let _ = ws.send(Message::Binary(big.into())).await;
        assert_eq!(next_event(&mut ws).await, Err(Some(4413)));
        assert_eq!(content(&w.owner, &doc.id).await.trim(), "fragmented update");
    }
    async fn a_large_frame_keeps_flowing_while_the_client_talks(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Large").await;
        // 12 MB: more than the socket buffers take while the client does not read.
        let text = "0123456789abcdef".repeat(1 << 18);
        let editor = Editor::new();
        for _ in 0..3 {
            assert_eq!(fixtures::post_update(&w.owner, &doc.id, editor.append(&text)).await, StatusCode::NO_CONTENT);
        }
        let mut ws = socket(&w.server, &doc.id, &w.owner.token).await;
        // Ask for the whole document and, without reading, keep sending while the server is
        // still writing it (the socket's buffers are full): the rest must follow once we read.
        ws.send(Message::Binary(atrium_collab::protocol::encode_sync_step1(yrs::StateVector::default()))).await.unwrap();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            // An empty update: a message the server reads and answers with nothing.
            ws.send(Message::Binary(vec![0, 2, 2, 0, 0].into())).await.unwrap();
        }
        loop {
            let frame = next_event(&mut ws).await.expect("the document arrives");
            if frame.starts_with(&[0, 1]) {
                assert!(frame.len() > 3 * text.len(), "the whole state: {} bytes", frame.len());
                break;
            }
        }
    }
}
