//! Search over HTTP: edits found within a second, trash/restore/rename, permission-aware
//! results (other orgs, private projects, permission changes), CJK and accents, hostile
//! queries, and recovery after kill -9 compared with a full `atrium search reindex`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use atrium_client::wire::{
    AddProjectMemberRequest, CreateOrgRequest, Doc, Org, OrgRole, Project, ProjectRole, Visibility,
};
use atrium_tests::fixtures::{self, Editor, TestUser};
use atrium_tests::{TestServer, backend_tests};
use nix::sys::signal::Signal;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How long a change may take to become searchable (the contract).
const SEARCHABLE_WITHIN: Duration = Duration::from_secs(1);
/// Deadline for waits that are not the latency under test (catch-up after a restart).
const CATCH_UP: Duration = Duration::from_secs(30);

struct Workspace {
    server: TestServer,
    owner: TestUser,
    /// An org member who is not in the private project.
    member: TestUser,
    /// The owner of another organisation.
    outsider: TestUser,
    org: Org,
    open: Project,
    private: Project,
}

async fn workspace(backend: atrium_tests::Backend) -> Workspace {
    let server = TestServer::start(backend).await;
    let owner = fixtures::user(&server, "owner").await;
    let member = fixtures::user(&server, "member").await;
    let outsider = fixtures::user(&server, "outsider").await;
    let org: Org = owner
        .client
        .post(
            "/api/v1/orgs",
            &CreateOrgRequest {
                name: "Acme".into(),
            },
        )
        .await
        .unwrap();
    let _: Org = outsider
        .client
        .post(
            "/api/v1/orgs",
            &CreateOrgRequest {
                name: "Elsewhere".into(),
            },
        )
        .await
        .unwrap();
    fixtures::add_org_member(&owner, &org.id, &member, OrgRole::Member).await;
    let open = fixtures::create_project(&owner, &org.id, "Open", Visibility::Open).await;
    let private = fixtures::create_project(&owner, &org.id, "Board", Visibility::Private).await;
    Workspace {
        server,
        owner,
        member,
        outsider,
        org,
        open,
        private,
    }
}

async fn post_update(user: &TestUser, doc: &Doc, update: Vec<u8>) {
    assert_eq!(
        fixtures::post_update(user, &doc.id, update).await,
        StatusCode::NO_CONTENT
    );
}

/// `GET /api/v1/orgs/{org}/search` with raw parameters.
async fn search_with(user: &TestUser, org: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = user
        .client
        .request(Method::GET, &format!("/api/v1/orgs/{org}/search"))
        .query(params)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// The ids found for `q`, asserting a 200.
async fn ids(user: &TestUser, org: &Org, q: &str) -> BTreeSet<String> {
    let (status, body) = search_with(user, &org.id, &[("q", q), ("limit", "100")]).await;
    assert_eq!(status, StatusCode::OK, "search {q:?}: {body}");
    hit_ids(&body)
}

fn hit_ids(body: &Value) -> BTreeSet<String> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls until `q` finds (or no longer finds) `id`; panics after `within`. Returns the time it
/// took.
async fn wait_until(
    user: &TestUser,
    org: &Org,
    q: &str,
    id: &str,
    found: bool,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        if ids(user, org, q).await.contains(id) == found {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{q:?} {} {id} within {within:?}",
            if found { "never found" } else { "still finds" }
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The part of `text` a highlight range marks, counting UTF-16 code units as JavaScript does.
fn marked(text: &str, range: &Value) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let (start, end) = (
        range["start"].as_u64().unwrap() as usize,
        range["end"].as_u64().unwrap() as usize,
    );
    String::from_utf16(&units[start..end]).unwrap()
}

backend_tests! {
    async fn files_are_found_by_their_extracted_text(backend) {
        let w = workspace(backend).await;
        let (status, file) = fixtures::upload_file(&w.owner, &w.open.id, "minutes.txt", b"The quarterly narwhal census is due.").await;
        assert_eq!(status, StatusCode::CREATED, "{file}");
        let id = file["id"].as_str().unwrap().to_owned();
        wait_until(&w.owner, &w.org, "narwhal", &id, true, CATCH_UP).await;
        assert!(ids(&w.member, &w.org, "census").await.contains(&id), "an org member sees files of an open project");

        let (status, secret) = fixtures::upload_file(&w.owner, &w.private.id, "secret.txt", b"narwhal acquisition budget").await;
        assert_eq!(status, StatusCode::CREATED, "{secret}");
        let secret_id = secret["id"].as_str().unwrap().to_owned();
        wait_until(&w.owner, &w.org, "acquisition", &secret_id, true, CATCH_UP).await;
        assert!(!ids(&w.member, &w.org, "narwhal").await.contains(&secret_id), "a private project's file stays hidden");

        let trashed = w.owner.client.request(Method::DELETE, &format!("/api/v1/files/{id}")).send().await.unwrap();
        assert!(trashed.status().is_success());
        wait_until(&w.owner, &w.org, "narwhal", &id, false, CATCH_UP).await;
    }

    async fn search_edits_are_found_within_a_second(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.open.id, "Field notes").await;
        let editor = Editor::new();
        post_update(&w.owner, &doc, editor.append("The zeppelin hangar <b>budget</b> für 会议记录")).await;
        let took = wait_until(&w.owner, &w.org, "zeppelin", &doc.id, true, SEARCHABLE_WITHIN).await;
        eprintln!("searchable after {took:?}");

        // The hit: plain text, never markup of our own; highlights in UTF-16 code units.
        let (_, body) = search_with(&w.member, &w.org.id, &[("q", "zeppelin 会议")]).await;
        let hit = &body["hits"][0];
        assert_eq!(hit["kind"], "doc");
        assert_eq!(hit["id"], doc.id.as_str());
        assert_eq!(hit["project"], w.open.id.as_str());
        assert_eq!(hit["title"], "Field notes");
        let snippet = hit["snippet"].as_str().unwrap();
        assert!(snippet.contains("<b>budget</b>"), "stored text is returned as is: {snippet}");
        assert!(!snippet.contains("<mark>"));
        let marks: Vec<String> = hit["highlights"]["snippet"].as_array().unwrap().iter().map(|r| marked(snippet, r)).collect();
        assert!(marks.iter().any(|m| m == "zeppelin"), "{marks:?}");
        assert!(marks.iter().any(|m| m.starts_with("会议")), "{marks:?}");
        assert!(hit["score"].as_f64().unwrap() > 0.0);
        assert_eq!(body["total"], 1);
        assert!(body["next"].is_null());

        // A word removed by an update is no longer found; the rest still is.
        post_update(&w.owner, &doc, editor.delete("zeppelin")).await;
        let took = wait_until(&w.owner, &w.org, "zeppelin", &doc.id, false, SEARCHABLE_WITHIN).await;
        eprintln!("removal searchable after {took:?}");
        assert!(ids(&w.owner, &w.org, "hangar").await.contains(&doc.id));
        assert_eq!(editor.text(), "The  hangar <b>budget</b> für 会议记录");

        // The indexer and the queries report themselves.
        let metrics = reqwest::get(format!("{}/metrics", w.server.url())).await.unwrap().text().await.unwrap();
        for series in ["atrium_search_indexed_total{kind=\"doc\"}", "atrium_search_lag 0", "atrium_search_query_seconds_count"] {
            assert!(metrics.contains(series), "{series} missing from /metrics");
        }
    }

    async fn search_follows_trash_restore_and_rename(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.open.id, "Quarterly forecast").await;
        post_update(&w.owner, &doc, Editor::new().append("pelican numbers for the board")).await;
        wait_until(&w.owner, &w.org, "pelican", &doc.id, true, SEARCHABLE_WITHIN).await;

        let trash = w.owner.client.request(Method::DELETE, &format!("/api/v1/docs/{}", doc.id)).send().await.unwrap();
        assert_eq!(trash.status(), StatusCode::OK);
        wait_until(&w.owner, &w.org, "pelican", &doc.id, false, SEARCHABLE_WITHIN).await;
        assert!(ids(&w.owner, &w.org, "quarterly").await.is_empty());

        let _: Doc = w.owner.client.post(&format!("/api/v1/docs/{}/restore", doc.id), &json!({})).await.unwrap();
        wait_until(&w.owner, &w.org, "pelican", &doc.id, true, SEARCHABLE_WITHIN).await;

        let rename = w.owner.client.request(Method::PATCH, &format!("/api/v1/docs/{}", doc.id)).json(&json!({"title": "Hippopotamus plan"})).send().await.unwrap();
        assert_eq!(rename.status(), StatusCode::OK);
        wait_until(&w.owner, &w.org, "hippopotamus", &doc.id, true, SEARCHABLE_WITHIN).await;
        wait_until(&w.owner, &w.org, "quarterly", &doc.id, false, SEARCHABLE_WITHIN).await;
        let (_, body) = search_with(&w.owner, &w.org.id, &[("q", "hippopotamus")]).await;
        let hit = &body["hits"][0];
        assert_eq!(hit["title"], "Hippopotamus plan");
        assert_eq!(marked(hit["title"].as_str().unwrap(), &hit["highlights"]["title"][0]), "Hippopotamus");
        // The body survived the rename.
        assert!(ids(&w.owner, &w.org, "pelican").await.contains(&doc.id));
    }

    async fn search_returns_only_what_the_caller_may_read(backend) {
        let w = workspace(backend).await;
        let public = fixtures::create_doc(&w.owner, &w.open.id, "Walrus public notes").await;
        let secret = fixtures::create_doc(&w.owner, &w.private.id, "Walrus secret plan").await;
        post_update(&w.owner, &secret, Editor::new().append("walrus acquisition terms")).await;
        wait_until(&w.owner, &w.org, "acquisition", &secret.id, true, SEARCHABLE_WITHIN).await;
        assert_eq!(ids(&w.owner, &w.org, "walrus").await, BTreeSet::from([public.id.clone(), secret.id.clone()]));

        // Another org's user, or an org that does not exist: 404. No credentials: 401.
        for org in [w.org.id.as_str(), "no-such-org"] {
            let (status, body) = search_with(&w.outsider, org, &[("q", "walrus")]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        }
        let anonymous = w.server.client().request(Method::GET, &format!("/api/v1/orgs/{}/search?q=walrus", w.org.id)).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

        // A member outside the private project: never its hits, its count or a page of it.
        let (status, body) = search_with(&w.member, &w.org.id, &[("q", "walrus"), ("limit", "1")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(hit_ids(&body), BTreeSet::from([public.id.clone()]));
        assert_eq!(body["total"], 1);
        assert!(body["next"].is_null(), "{body}");
        assert!(ids(&w.member, &w.org, "acquisition").await.is_empty());
        let (_, body) = search_with(&w.member, &w.org.id, &[("q", "walrus"), ("project", &w.private.id)]).await;
        assert_eq!(body["total"], 0);
        // The owner sees both, one page at a time.
        let (_, first) = search_with(&w.owner, &w.org.id, &[("q", "walrus"), ("limit", "1")]).await;
        assert_eq!(first["total"], 2);
        let cursor = first["next"].as_str().expect("a second page").to_owned();
        let (_, second) = search_with(&w.owner, &w.org.id, &[("q", "walrus"), ("limit", "1"), ("cursor", &cursor)]).await;
        assert_eq!(hit_ids(&first).union(&hit_ids(&second)).count(), 2);
        assert!(second["next"].is_null());
        // The member cannot use the owner's cursor to see more than their own scope.
        let (_, replay) = search_with(&w.member, &w.org.id, &[("q", "walrus"), ("limit", "1"), ("cursor", &cursor)]).await;
        assert!(!hit_ids(&replay).contains(&secret.id));

        // Added as a viewer: the next query sees it. Removed: gone again.
        let _: Value = w.owner.client.post(
            &format!("/api/v1/projects/{}/members", w.private.id),
            &AddProjectMemberRequest { user_id: w.member.id().into(), role: ProjectRole::Viewer },
        ).await.unwrap();
        assert_eq!(ids(&w.member, &w.org, "walrus").await, BTreeSet::from([public.id.clone(), secret.id.clone()]));
        let removed = w.owner.client.request(Method::DELETE, &format!("/api/v1/projects/{}/members/{}", w.private.id, w.member.id())).send().await.unwrap();
        assert!(removed.status().is_success(), "{}", removed.status());
        assert_eq!(ids(&w.member, &w.org, "walrus").await, BTreeSet::from([public.id.clone()]));

        // The outsider's own org holds none of it.
        let (status, body) = search_with(&w.outsider, &w.org.id, &[("q", "")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }

    async fn search_matches_cjk_and_accents(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.open.id, "Multilingual").await;
        post_update(
            &w.owner,
            &doc,
            Editor::new().append("今天的会议记录在这里。東京で会いましょう。회의록을 확인하세요. Un café noir, s'il vous plaît."),
        )
        .await;
        wait_until(&w.owner, &w.org, "会议记录", &doc.id, true, SEARCHABLE_WITHIN).await;
        let plain = fixtures::create_doc(&w.owner, &w.open.id, "Resume at the cafe").await;
        wait_until(&w.owner, &w.org, "resume", &plain.id, true, SEARCHABLE_WITHIN).await;

        for q in ["会议记录", "東京", "회의록", "plaît", "plait"] {
            assert_eq!(ids(&w.owner, &w.org, q).await, BTreeSet::from([doc.id.clone()]), "{q}");
        }
        for q in ["cafe", "café", "CAFÉ"] {
            assert_eq!(ids(&w.owner, &w.org, q).await, BTreeSet::from([doc.id.clone(), plain.id.clone()]), "{q}");
        }
        assert_eq!(ids(&w.owner, &w.org, "résumé").await, BTreeSet::from([plain.id.clone()]));
    }

    async fn search_survives_hostile_queries(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.open.id, "Target (draft) \"quoted\" [x] {y}").await;
        wait_until(&w.owner, &w.org, "target", &doc.id, true, SEARCHABLE_WITHIN).await;
        let long_words = "lorem ipsum ".repeat(900);
        let long_word = "x".repeat(10 * 1024);
        let many_words = (0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let queries: Vec<&str> = vec![
            "\"unbalanced", "target\"", "\"\"\"", "\"a\" \"b", "AND OR ( ) : * ~ ^ [ ] { } \\",
            "target AND", "NOT target", "title:target", "target~2", "targ*", "*", "?", "-", "+target",
            "", " ", "\u{0}", "\u{feff}\u{200b}", "😀😀", "%", "%%25", "' OR 1=1 --", "<script>alert(1)</script>",
            "a\"b\"c\"d", "(((((((((", "\\\\\\", "[draft]", "{y}",
            &long_words, &long_word, &many_words,
        ];
        for q in queries {
            let (status, body) = search_with(&w.owner, &w.org.id, &[("q", q)]).await;
            assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{q:.40?} → {status} {body}");
            if status == StatusCode::BAD_REQUEST {
                assert_eq!(body["error"]["code"], "invalid_query", "{q:.40?}");
            } else {
                assert!(body["hits"].is_array(), "{q:.40?}: {body}");
            }
        }
        // Very long input is refused clearly rather than searched.
        assert_eq!(search_with(&w.owner, &w.org.id, &[("q", &long_word)]).await.0, StatusCode::BAD_REQUEST);
        // Syntax characters are separators: the words around them still match.
        assert!(ids(&w.owner, &w.org, "(draft)").await.contains(&doc.id));
        assert!(ids(&w.owner, &w.org, "\"quoted").await.contains(&doc.id));

        let bad: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("q", "target"), ("cursor", "garbage")], "invalid_query"),
            (vec![("q", "target"), ("cursor", "eyJhIjoxfQ")], "invalid_query"),
            (vec![("q", "target"), ("kind", "docs")], "invalid_query"),
            (vec![("q", "target"), ("kind", "doc,<x>")], "invalid_query"),
            (vec![("q", "target"), ("limit", "0")], "invalid_limit"),
            (vec![("q", "target"), ("limit", "100000")], "invalid_limit"),
            (vec![("q", "target"), ("limit", "-1")], "invalid_query"),
            (vec![("q", "target"), ("since", "yesterday")], "invalid_query"),
            (vec![("q", "target"), ("since", "10"), ("until", "5")], "invalid_query"),
        ];
        for (params, code) in bad {
            let (status, body) = search_with(&w.owner, &w.org.id, &params).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{params:?}: {body}");
            assert_eq!(body["error"]["code"], code, "{params:?}");
        }
        // Filters that are merely unusual narrow the result and never fail.
        for params in [
            vec![("q", "target"), ("kind", "doc,message,task,record,file")],
            vec![("q", "target"), ("kind", "")],
            vec![("q", "target"), ("project", "nope,\u{0},,")],
            vec![("q", "target"), ("author", "'; drop table docs; --")],
            vec![("q", "target"), ("since", "-9223372036854775808"), ("until", "9223372036854775807")],
            vec![("q", "target"), ("cursor", "")],
        ] {
            let (status, body) = search_with(&w.owner, &w.org.id, &params).await;
            assert_eq!(status, StatusCode::OK, "{params:?}: {body}");
        }
        let (_, body) = search_with(&w.owner, &w.org.id, &[("q", "target"), ("kind", "message")]).await;
        assert_eq!(body["total"], 0);
        let (_, body) = search_with(&w.owner, &w.org.id, &[("q", "target"), ("kind", "doc"), ("author", w.owner.id())]).await;
        assert_eq!(hit_ids(&body), BTreeSet::from([doc.id.clone()]));
    }

    async fn search_recovers_from_kill_and_matches_a_reindex(backend) {
        let mut w = workspace(backend).await;
        let mut docs = Vec::new();
        for i in 0..40 {
            let project = if i % 3 == 0 { &w.private } else { &w.open };
            docs.push(fixtures::create_doc(&w.owner, &project.id, &format!("Report {i} kiwi{i}")).await);
        }
        // Settle some bodies first, so the index has commits of its own before the crash.
        for doc in docs.iter().take(5) {
            post_update(&w.owner, doc, Editor::new().append(&format!("mango body of {}", doc.title))).await;
        }
        wait_until(&w.owner, &w.org, "mango", &docs[4].id, true, CATCH_UP).await;
        // A burst of changes, then kill -9 while the indexer is still taking them in.
        for (i, doc) in docs.iter().enumerate().skip(5) {
            match i % 4 {
                0 => {
                    let _ = w.owner.client.request(Method::DELETE, &format!("/api/v1/docs/{}", doc.id)).send().await.unwrap();
                }
                1 => {
                    let _ = w.owner.client.request(Method::PATCH, &format!("/api/v1/docs/{}", doc.id)).json(&json!({"title": format!("Renamed report {i} papaya")})).send().await.unwrap();
                }
                _ => {}
            }
        }
        for i in 40..70 {
            docs.push(fixtures::create_doc(&w.owner, &w.open.id, &format!("Report {i} kiwi{i}")).await);
        }
        w.server.kill().await;
        w.server.restart().await;
        reconnect(&mut w);

        // Catch-up: every live report is found again (the last one created is the last row).
        let last = docs.last().unwrap().id.clone();
        wait_until(&w.owner, &w.org, "kiwi69", &last, true, CATCH_UP).await;
        let queries = ["report", "mango", "papaya", "renamed report", "kiwi7", "kiwi12", "kiwi41", "repo", "reprot"];
        let caught_up = answers(&w, &queries).await;
        let expected_live = 70 - (5..40).filter(|i| i % 4 == 0).count();
        assert_eq!(caught_up[0].len(), expected_live, "{:?}", caught_up[0]);

        // Stop cleanly, rebuild from the change feed, start again: the same answers.
        w.server.signal(Signal::SIGTERM);
        assert!(w.server.wait(Duration::from_secs(30)).await.success());
        let output = w.server.command(&["search", "reindex"]).output().unwrap();
        assert!(output.status.success(), "reindex failed: {}", String::from_utf8_lossy(&output.stderr));
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(said.contains("search index rebuilt"), "{said}");
        w.server.restart().await;
        reconnect(&mut w);
        assert_eq!(answers(&w, &queries).await, caught_up);
        // And the rebuilt index keeps following the feed.
        let fresh = fixtures::create_doc(&w.owner, &w.open.id, "Report after rebuild quince").await;
        wait_until(&w.owner, &w.org, "quince", &fresh.id, true, SEARCHABLE_WITHIN).await;
    }
}

/// Points the owner's client at the restarted server (it listens on a new port).
fn reconnect(w: &mut Workspace) {
    w.owner.client = w.server.client().with_token(&w.owner.token);
}

/// For each query, every (kind, id, title, snippet) found, all pages: what a reindex must
/// reproduce. Scores are left out: tantivy's statistics count deleted documents until merges
/// drop them, so the same hits may score slightly differently.
async fn answers(
    w: &Workspace,
    queries: &[&str],
) -> Vec<BTreeSet<(String, String, String, String)>> {
    let mut all = Vec::new();
    for q in queries {
        let mut found = BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![("q", q.to_string()), ("limit", "7".to_string())];
            if let Some(c) = &cursor {
                params.push(("cursor", c.clone()));
            }
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = search_with(&w.owner, &w.org.id, &params).await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            for hit in body["hits"].as_array().unwrap() {
                let field = |name: &str| hit[name].as_str().unwrap_or_default().to_owned();
                found.insert((field("kind"), field("id"), field("title"), field("snippet")));
            }
            match body["next"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let (_, body) = search_with(&w.owner, &w.org.id, &[("q", q)]).await;
        assert_eq!(
            body["total"].as_u64().unwrap() as usize,
            found.len(),
            "{q}: total counts every page"
        );
        all.push(found);
    }
    all
}
