//! Documents people start from: the built-in templates every organisation has, an org's own
//! templates (managed by its owners and admins, used by everyone who may create documents),
//! saving a document as a template, and new documents holding a template's content.

use atrium_client::wire::{OrgRole, Project, ProjectRole, Visibility};
use atrium_tests::fixtures::{self, TestUser, call_json};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Workspace {
    server: TestServer,
    owner: TestUser,
    member: TestUser,
    viewer: TestUser,
    outsider: TestUser,
    org: String,
    project: Project,
    other_project: Project,
}

async fn workspace(backend: atrium_tests::Backend) -> Workspace {
    let server = TestServer::start(backend).await;
    let owner = fixtures::user(&server, "owner").await;
    let member = fixtures::user(&server, "member").await;
    let viewer = fixtures::user(&server, "viewer").await;
    let outsider = fixtures::user(&server, "outsider").await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project = fixtures::create_project(&owner, &org.id, "Docs", Visibility::Open).await;
    fixtures::add_org_member(&owner, &org.id, &member, OrgRole::Member).await;
    fixtures::add_org_member(&owner, &org.id, &viewer, OrgRole::Member).await;
    fixtures::add_project_member(&owner, &project.id, viewer.id(), ProjectRole::Viewer).await;
    let other_org = fixtures::create_org(&outsider, "Elsewhere").await;
    let other_project =
        fixtures::create_project(&outsider, &other_org.id, "Theirs", Visibility::Open).await;
    Workspace {
        server,
        owner,
        member,
        viewer,
        outsider,
        org: org.id,
        project,
        other_project,
    }
}

async fn list(user: &TestUser, org: &str) -> (StatusCode, Value) {
    call_json(
        user,
        Method::GET,
        &format!("/api/v1/orgs/{org}/doc-templates"),
        None,
    )
    .await
}

async fn create(user: &TestUser, org: &str, body: Value) -> (StatusCode, Value) {
    call_json(
        user,
        Method::POST,
        &format!("/api/v1/orgs/{org}/doc-templates"),
        Some(body),
    )
    .await
}

async fn new_doc(user: &TestUser, project: &str, body: Value) -> (StatusCode, Value) {
    call_json(
        user,
        Method::POST,
        &format!("/api/v1/projects/{project}/docs"),
        Some(body),
    )
    .await
}

async fn markdown_of(user: &TestUser, doc: &str) -> String {
    let response = user
        .client
        .request(
            Method::GET,
            &format!("/api/v1/docs/{doc}/content?format=markdown"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn id_named(page: &Value, name: &str) -> String {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no template {name} in {page}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const SPEC_MD: &str = "# Launch spec\n\n## Goals\n\n- Fast\n- Safe\n\n1. Draft\n2. Review\n\n\
                       - [ ] Sign-off\n\n| Owner | Due |\n| --- | --- |\n| Grace | Friday |\n";

backend_tests! {
    async fn builtins_are_listed_and_make_documents(backend) {
        let w = workspace(backend).await;
        let (status, page) = list(&w.member, &w.org).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(names(&page), ["Meeting notes", "Spec", "Invoice cover letter"]);
        let item = &page["items"][0];
        assert_eq!(item["builtin"], true);
        assert!(item.get("markdown").is_none(), "lists leave the content out: {item}");
        assert!(!item["description"].as_str().unwrap().is_empty());
        assert_eq!(item["can"]["write"], false);

        // One template in full, and a document from it: the title is the template's name.
        let meeting = id_named(&page, "Meeting notes");
        let (status, template) =
            call_json(&w.member, Method::GET, &format!("/api/v1/doc-templates/{meeting}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(template["markdown"].as_str().unwrap().contains("## Action items"));
        let (status, doc) = new_doc(&w.member, &w.project.id, json!({ "template": meeting })).await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["title"], "Meeting notes");
        let md = markdown_of(&w.member, doc["id"].as_str().unwrap()).await;
        for expected in ["# Meeting notes\n", "## Agenda\n", "1. Review of last meeting", "- [ ] Share these notes",
                         "| Action | Owner | Due |\n| --- | --- | --- |\n"] {
            assert!(md.contains(expected), "{expected:?} missing from\n{md}");
        }
        // A title given wins; a blank document still works without one.
        let (_, doc) = new_doc(&w.member, &w.project.id, json!({ "title": "Weekly sync", "template": meeting })).await;
        assert_eq!(doc["title"], "Weekly sync");
        let (status, doc) = new_doc(&w.member, &w.project.id, json!({ "title": "Blank" })).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(markdown_of(&w.member, doc["id"].as_str().unwrap()).await.trim(), "", "a blank document is empty");

        // Built-ins are read-only, even for the owner.
        let path = format!("/api/v1/doc-templates/{meeting}");
        let (status, body) = call_json(&w.owner, Method::PATCH, &path, Some(json!({ "name": "X" }))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "builtin_template");
        assert_eq!(call_json(&w.owner, Method::DELETE, &path, None).await.0, StatusCode::CONFLICT);
    }

    async fn admins_create_rename_and_delete_templates(backend) {
        let w = workspace(backend).await;
        let (status, created) = create(&w.owner, &w.org, json!({
            "name": "Retro", "description": "What went well", "markdown": SPEC_MD,
        })).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["builtin"], false);
        assert_eq!(created["can"]["delete"], true);
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(fixtures::audit_count(&w.server, "doc_template.created").await, 1);
        let (_, page) = list(&w.owner, &w.org).await;
        assert_eq!(names(&page), ["Meeting notes", "Spec", "Invoice cover letter", "Retro"]);

        let path = format!("/api/v1/doc-templates/{id}");
        let (status, renamed) = call_json(&w.owner, Method::PATCH, &path, Some(json!({
            "name": "Sprint retro", "description": "Every other Friday",
        }))).await;
        assert_eq!(status, StatusCode::OK, "{renamed}");
        assert_eq!(renamed["name"], "Sprint retro");
        assert_eq!(renamed["markdown"], SPEC_MD);
        assert_eq!(fixtures::audit_count(&w.server, "doc_template.updated").await, 1);

        // An org template of a built-in's name takes its place; deleting it brings it back.
        let (status, own_spec) = create(&w.owner, &w.org, json!({ "name": "Spec", "markdown": "# Our spec\n" })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, page) = list(&w.member, &w.org).await;
        assert_eq!(names(&page), ["Meeting notes", "Invoice cover letter", "Spec", "Sprint retro"]);
        let own_spec = format!("/api/v1/doc-templates/{}", own_spec["id"].as_str().unwrap());
        assert_eq!(call_json(&w.owner, Method::DELETE, &own_spec, None).await.0, StatusCode::NO_CONTENT);

        assert_eq!(call_json(&w.owner, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(call_json(&w.owner, Method::GET, &path, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(fixtures::audit_count(&w.server, "doc_template.deleted").await, 2);
        let (_, page) = list(&w.owner, &w.org).await;
        assert_eq!(names(&page), ["Meeting notes", "Spec", "Invoice cover letter"]);
    }

    async fn a_document_saved_as_a_template_round_trips(backend) {
        let w = workspace(backend).await;
        // A document imported from Markdown with headings, lists, a checklist and a table.
        let (status, source) = fixtures::post_multipart(
            &w.owner, &format!("/api/v1/projects/{}/docs/import", w.project.id), "launch.md",
            format!("# Launch\n\n{SPEC_MD}").as_bytes(),
        ).await;
        assert_eq!(status, StatusCode::CREATED, "{source}");
        let source_id = source["id"].as_str().unwrap();
        let source_md = markdown_of(&w.owner, source_id).await;

        let (status, template) = create(&w.owner, &w.org, json!({ "name": "Launch", "from_doc": source_id })).await;
        assert_eq!(status, StatusCode::CREATED, "{template}");
        let template_md = template["markdown"].as_str().unwrap();
        for expected in ["# Launch spec\n", "## Goals\n", "- Fast\n- Safe\n", "1. Draft\n2. Review\n",
                         "- [ ] Sign-off\n", "| Owner | Due |\n| --- | --- |\n| Grace | Friday |"] {
            assert!(template_md.contains(expected), "{expected:?} missing from\n{template_md}");
        }

        // A member makes a document from it: the same content as the document it came from.
        let (status, doc) = new_doc(&w.member, &w.project.id, json!({ "template": template["id"] })).await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["title"], "Launch");
        let doc_md = markdown_of(&w.member, doc["id"].as_str().unwrap()).await;
        let body = |md: &str| md.split_once('\n').unwrap().1.to_owned();
        assert_eq!(body(&doc_md), body(&source_md), "document\n{doc_md}\nsource\n{source_md}");

        // A document of another organisation, or one the caller cannot see, is not found.
        let theirs = fixtures::create_doc(&w.outsider, &w.other_project.id, "Secret").await;
        let (status, _) = create(&w.owner, &w.org, json!({ "name": "Stolen", "from_doc": theirs.id })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn members_use_templates_but_do_not_manage_them(backend) {
        let w = workspace(backend).await;
        let (_, template) = create(&w.owner, &w.org, json!({ "name": "Brief", "markdown": "## Context\n\n- One\n" })).await;
        let id = template["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/doc-templates/{id}");

        // A member reads and uses it, and may not manage it.
        let (status, read) = call_json(&w.member, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["can"]["write"], false);
        assert_eq!(create(&w.member, &w.org, json!({ "name": "Mine", "markdown": "x" })).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call_json(&w.member, Method::PATCH, &path, Some(json!({ "name": "Y" }))).await.0, StatusCode::FORBIDDEN);
        assert_eq!(call_json(&w.member, Method::DELETE, &path, None).await.0, StatusCode::FORBIDDEN);
        let (status, doc) = new_doc(&w.member, &w.project.id, json!({ "template": id })).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(markdown_of(&w.member, doc["id"].as_str().unwrap()).await.contains("## Context\n\n- One"));

        // A project viewer may not create documents, template or not.
        assert_eq!(new_doc(&w.viewer, &w.project.id, json!({ "template": id })).await.0, StatusCode::FORBIDDEN);

        // Outsiders see nothing; a template of another org does not make documents here.
        assert_eq!(list(&w.outsider, &w.org).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call_json(&w.outsider, Method::GET, &path, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call_json(&w.outsider, Method::DELETE, &path, None).await.0, StatusCode::NOT_FOUND);
        assert_eq!(new_doc(&w.outsider, &w.other_project.id, json!({ "template": id })).await.0, StatusCode::NOT_FOUND);
        let (_, their_list) = list(&w.outsider, &w.other_project.org_id).await;
        let their_builtin = id_named(&their_list, "Spec");
        assert_eq!(call_json(&w.member, Method::GET, &format!("/api/v1/doc-templates/{their_builtin}"), None).await.0, StatusCode::NOT_FOUND);
        let before = fixtures::db_count(&w.server, "select count(*) from docs where project_id = $1", &w.project.id).await;
        assert_eq!(new_doc(&w.member, &w.project.id, json!({ "template": their_builtin })).await.0, StatusCode::NOT_FOUND);
        assert_eq!(new_doc(&w.member, &w.project.id, json!({ "template": "nope" })).await.0, StatusCode::NOT_FOUND);
        let after = fixtures::db_count(&w.server, "select count(*) from docs where project_id = $1", &w.project.id).await;
        assert_eq!(before, after, "a refused creation makes no document");
    }

    async fn bad_input_changes_nothing(backend) {
        let w = workspace(backend).await;
        let count = || fixtures::db_count(&w.server, "select count(*) from doc_templates where org_id = $1", &w.org);
        for (body, status, field) in [
            (json!({ "name": "", "markdown": "x" }), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            (json!({ "name": "   ", "markdown": "x" }), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            (json!({ "name": "a".repeat(101), "markdown": "x" }), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            (json!({ "name": "bad\u{7}name", "markdown": "x" }), StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            (json!({ "name": "No content" }), StatusCode::UNPROCESSABLE_ENTITY, Some("markdown")),
            (json!({ "name": "Both", "markdown": "x", "from_doc": "d" }), StatusCode::UNPROCESSABLE_ENTITY, Some("markdown")),
            (json!({ "name": "Huge", "markdown": "x".repeat(256 * 1024 + 1) }), StatusCode::PAYLOAD_TOO_LARGE, None),
        ] {
            let (got, answer) = create(&w.owner, &w.org, body).await;
            assert_eq!(got, status, "{answer}");
            if let Some(field) = field {
                assert!(answer["error"]["fields"][field].is_string(), "{answer}");
            }
        }
        assert_eq!(count().await, 0);

        // Exactly 256 KiB is accepted; a second template of the same name is a conflict.
        let (status, _) = create(&w.owner, &w.org, json!({ "name": "Max", "markdown": "x".repeat(256 * 1024) })).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, other) = create(&w.owner, &w.org, json!({ "name": "Other", "markdown": "# Other\n" })).await;
        let (status, body) = create(&w.owner, &w.org, json!({ "name": "Max", "markdown": "y" })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "name_taken");
        assert_eq!(count().await, 2);

        // A rename onto a taken name, or a bad field, leaves the template as it was.
        let path = format!("/api/v1/doc-templates/{}", other["id"].as_str().unwrap());
        assert_eq!(call_json(&w.owner, Method::PATCH, &path, Some(json!({ "name": "Max" }))).await.0, StatusCode::CONFLICT);
        assert_eq!(call_json(&w.owner, Method::PATCH, &path, Some(json!({ "name": "Fine", "markdown": "z".repeat(256 * 1024 + 1) }))).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(call_json(&w.owner, Method::PATCH, &path, Some(json!({}))).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, unchanged) = call_json(&w.owner, Method::GET, &path, None).await;
        assert_eq!(unchanged["name"], "Other");
        assert_eq!(unchanged["markdown"], "# Other\n");
        assert_eq!(fixtures::audit_count(&w.server, "doc_template.updated").await, 0);
    }
}
