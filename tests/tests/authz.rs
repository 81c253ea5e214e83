//! The policy through the real server: the role × action × resource table (the specification),
//! permissions edited per organisation taking effect on the next request, the migration that
//! turns accountants into members holding the business role, `can` flags, project removal
//! cutting both sockets, and a source check that no permission decision lives outside authz.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::events::{EventSocket, any_mentions};
use atrium_tests::fixtures::{self, TestUser, call_json};
use atrium_tests::{Backend, TestDatabase, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What a request answered, as the table states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 2xx: allowed.
    Ok,
    /// 403: visible, not allowed.
    Forbidden,
    /// 404: not even visible.
    Hidden,
}
use Answer::{Forbidden as No, Hidden, Ok as Yes};

fn answer(status: StatusCode) -> Answer {
    match status.as_u16() {
        200..=299 => Yes,
        403 => No,
        404 => Hidden,
        other => panic!("unexpected status {other}"),
    }
}

async fn call(user: &TestUser, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    let mut request = user.client.request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status()
}

/// An organisation with one user per role under test, an open project (default role editor)
/// with a channel, a document and a file, all made by the owner, and a private project.
struct World {
    /// Kept alive for the test's requests.
    _server: TestServer,
    users: HashMap<&'static str, TestUser>,
    org: String,
    project: String,
    private_project: String,
    channel: String,
    doc: String,
    file: String,
    owner_message: String,
}

/// The subjects of the table: base org roles, project roles (explicit, on org members) and a
/// business role.
///
/// | name        | org role | in the open project        | business roles |
/// |-------------|----------|----------------------------|----------------|
/// | owner       | owner    | manager (org owners manage) |               |
/// | admin       | admin    | manager (org admins manage) |               |
/// | member      | member   | editor (the default role)   |               |
/// | manager     | member   | manager (explicit)          |               |
/// | commenter   | member   | commenter (explicit)        |               |
/// | pviewer     | member   | viewer (explicit)           |               |
/// | viewer      | viewer   | viewer (org viewers' cap)   |               |
/// | guest       | guest    | none: not visible           |               |
/// | accountant  | member   | editor (the default role)   | accountant    |
const SUBJECTS: [(&str, OrgRole, Option<ProjectRole>); 8] = [
    ("admin", OrgRole::Admin, None),
    ("member", OrgRole::Member, None),
    ("manager", OrgRole::Member, Some(ProjectRole::Manager)),
    ("commenter", OrgRole::Member, Some(ProjectRole::Commenter)),
    ("pviewer", OrgRole::Member, Some(ProjectRole::Viewer)),
    ("viewer", OrgRole::Viewer, None),
    ("guest", OrgRole::Guest, None),
    ("accountant", OrgRole::Member, None),
];

async fn world(backend: Backend) -> World {
    let server = TestServer::start(backend).await;
    let owner = fixtures::user(&server, "owner").await;
    let org = fixtures::create_org(&owner, "Acme").await.id;
    let project = fixtures::create_project(&owner, &org, "Open", Visibility::Open)
        .await
        .id;
    let private_project = fixtures::create_project(&owner, &org, "Secret", Visibility::Private)
        .await
        .id;
    let mut users = HashMap::new();
    for (name, role, project_role) in SUBJECTS {
        let user = fixtures::user(&server, name).await;
        fixtures::add_org_member(&owner, &org, &user, role).await;
        if let Some(project_role) = project_role {
            fixtures::add_project_member(&owner, &project, user.id(), project_role).await;
        }
        users.insert(name, user);
    }
    let accountant = users["accountant"].id().to_owned();
    let path = format!("/api/v1/orgs/{org}/members/{accountant}");
    let (status, body) = call_json(
        &owner,
        Method::PATCH,
        &path,
        Some(json!({ "roles": ["accountant"] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!(["accountant"]));
    let channel = fixtures::create_channel(&owner, &project, "general", None)
        .await
        .id;
    let doc = fixtures::create_doc(&owner, &project, "Plan").await.id;
    let (status, file) = fixtures::upload_file(&owner, &project, "a.txt", b"hello").await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let owner_message = fixtures::post_message(&owner, &channel, "from the owner", None)
        .await
        .message
        .id;
    users.insert("owner", owner);
    World {
        _server: server,
        users,
        org,
        project,
        private_project,
        channel,
        doc,
        file: file["id"].as_str().unwrap().to_owned(),
        owner_message,
    }
}

/// Makes the request that exercises `action` as `who`; fixtures a row needs of its own (a
/// fresh document to delete, the subject's own message) are made first.
async fn attempt(w: &World, who: &str, action: &str) -> Answer {
    let user = &w.users[who];
    let owner = &w.users["owner"];
    let (o, p, c, d, f) = (&w.org, &w.project, &w.channel, &w.doc, &w.file);
    let status = match action {
        // The organisation.
        "org.read" => {
            call(
                user,
                Method::GET,
                &format!("/api/v1/orgs/{o}/members"),
                None,
            )
            .await
        }
        "org.create_project" => {
            call(
                user,
                Method::POST,
                &format!("/api/v1/orgs/{o}/projects"),
                Some(json!({"name": format!("By {who}")})),
            )
            .await
        }
        "org.manage_members" => {
            call(
                user,
                Method::GET,
                &format!("/api/v1/orgs/{o}/invitations"),
                None,
            )
            .await
        }
        "org.read_audit" => call(user, Method::GET, &format!("/api/v1/orgs/{o}/audit"), None).await,
        "org.manage_permissions" => {
            call(
                user,
                Method::GET,
                &format!("/api/v1/orgs/{o}/permissions"),
                None,
            )
            .await
        }
        // Projects.
        "project.read" => call(user, Method::GET, &format!("/api/v1/projects/{p}"), None).await,
        "project.read_private" => {
            call(
                user,
                Method::GET,
                &format!("/api/v1/projects/{}", w.private_project),
                None,
            )
            .await
        }
        "project.manage" => {
            call(
                user,
                Method::PATCH,
                &format!("/api/v1/projects/{p}"),
                Some(json!({"description": who})),
            )
            .await
        }
        // Channels.
        "channel.read" => call(user, Method::GET, &format!("/api/v1/channels/{c}"), None).await,
        "channel.comment" => {
            call(
                user,
                Method::POST,
                &format!("/api/v1/channels/{c}/messages"),
                Some(json!({"text": "hi"})),
            )
            .await
        }
        "channel.write" => {
            let name = format!("by-{who}");
            call(
                user,
                Method::POST,
                &format!("/api/v1/projects/{p}/channels"),
                Some(json!({"name": name})),
            )
            .await
        }
        "channel.manage" => {
            call(
                user,
                Method::PATCH,
                &format!("/api/v1/channels/{c}"),
                Some(json!({"topic": who})),
            )
            .await
        }
        "channel.manage.own" => {
            let name = format!("own-{who}");
            let (status, body) = call_json(
                user,
                Method::POST,
                &format!("/api/v1/projects/{p}/channels"),
                Some(json!({"name": name})),
            )
            .await;
            assert!(
                status.is_success(),
                "{who} creates a channel: {status} {body}"
            );
            let id = body["id"].as_str().unwrap();
            call(
                user,
                Method::PATCH,
                &format!("/api/v1/channels/{id}"),
                Some(json!({"topic": "mine"})),
            )
            .await
        }
        // Messages: the owner's, or the subject's own.
        "message.read" => {
            call(
                user,
                Method::GET,
                &format!("/api/v1/messages/{}", w.owner_message),
                None,
            )
            .await
        }
        "message.comment" => {
            call(
                user,
                Method::POST,
                &format!("/api/v1/messages/{}/reactions", w.owner_message),
                Some(json!({"emoji": "👍"})),
            )
            .await
        }
        "message.write" => {
            call(
                user,
                Method::PATCH,
                &format!("/api/v1/messages/{}", w.owner_message),
                Some(json!({"text": "changed"})),
            )
            .await
        }
        "message.manage" => {
            call(
                user,
                Method::GET,
                &format!("/api/v1/messages/{}/history", w.owner_message),
                None,
            )
            .await
        }
        "message.delete" => {
            let id = fixtures::post_message(owner, c, "to delete", None)
                .await
                .message
                .id;
            call(
                user,
                Method::DELETE,
                &format!("/api/v1/messages/{id}"),
                None,
            )
            .await
        }
        "message.write.own" | "message.delete.own" | "message.manage.own" => {
            let id = fixtures::post_message(user, c, "mine", None)
                .await
                .message
                .id;
            match action {
                "message.write.own" => {
                    call(
                        user,
                        Method::PATCH,
                        &format!("/api/v1/messages/{id}"),
                        Some(json!({"text": "mine, changed"})),
                    )
                    .await
                }
                "message.manage.own" => {
                    call(
                        user,
                        Method::GET,
                        &format!("/api/v1/messages/{id}/history"),
                        None,
                    )
                    .await
                }
                _ => {
                    call(
                        user,
                        Method::DELETE,
                        &format!("/api/v1/messages/{id}"),
                        None,
                    )
                    .await
                }
            }
        }
        // Documents.
        "document.read" => call(user, Method::GET, &format!("/api/v1/docs/{d}"), None).await,
        "document.write" => {
            call(
                user,
                Method::PATCH,
                &format!("/api/v1/docs/{d}"),
                Some(json!({"title": who})),
            )
            .await
        }
        "document.create" => {
            call(
                user,
                Method::POST,
                &format!("/api/v1/projects/{p}/docs"),
                Some(json!({"title": who})),
            )
            .await
        }
        "document.delete" => {
            let id = fixtures::create_doc(owner, p, "Doomed").await.id;
            call(user, Method::DELETE, &format!("/api/v1/docs/{id}"), None).await
        }
        // Files.
        "file.read" => call(user, Method::GET, &format!("/api/v1/files/{f}"), None).await,
        "file.create" => fixtures::upload_file(user, p, "b.txt", b"bytes").await.0,
        "file.delete" => {
            let (status, body) = fixtures::upload_file(owner, p, "c.txt", b"doomed").await;
            assert_eq!(status, StatusCode::CREATED);
            let id = body["id"].as_str().unwrap();
            call(user, Method::DELETE, &format!("/api/v1/files/{id}"), None).await
        }
        other => panic!("no request for {other}"),
    };
    answer(status)
}

/// The specification: one row per (subject, action) with what the server must answer. Own
/// rows (`.own`) act on something the subject made; the others on the owner's.
const TABLE: &[(&str, &str, Answer)] = &[
    // The organisation: every member reads it; members create projects; owners and admins
    // manage members, read the audit log and edit permissions.
    ("owner", "org.read", Yes),
    ("admin", "org.read", Yes),
    ("member", "org.read", Yes),
    ("viewer", "org.read", Yes),
    ("guest", "org.read", Yes),
    ("accountant", "org.read", Yes),
    ("owner", "org.create_project", Yes),
    ("admin", "org.create_project", Yes),
    ("member", "org.create_project", Yes),
    ("viewer", "org.create_project", No),
    ("guest", "org.create_project", No),
    ("accountant", "org.create_project", Yes),
    ("owner", "org.manage_members", Yes),
    ("admin", "org.manage_members", Yes),
    ("member", "org.manage_members", No),
    ("viewer", "org.manage_members", No),
    ("guest", "org.manage_members", No),
    ("accountant", "org.manage_members", No),
    ("owner", "org.read_audit", Yes),
    ("admin", "org.read_audit", Yes),
    ("member", "org.read_audit", No),
    ("accountant", "org.read_audit", No),
    ("owner", "org.manage_permissions", Yes),
    ("admin", "org.manage_permissions", Yes),
    ("member", "org.manage_permissions", No),
    ("guest", "org.manage_permissions", No),
    // Projects: visible to every org member but guests; private ones to owners and admins
    // (and explicit members); managers change settings.
    ("owner", "project.read", Yes),
    ("member", "project.read", Yes),
    ("viewer", "project.read", Yes),
    ("pviewer", "project.read", Yes),
    ("guest", "project.read", Hidden),
    ("accountant", "project.read", Yes),
    ("owner", "project.read_private", Yes),
    ("admin", "project.read_private", Yes),
    ("member", "project.read_private", Hidden),
    ("accountant", "project.read_private", Hidden),
    ("owner", "project.manage", Yes),
    ("admin", "project.manage", Yes),
    ("manager", "project.manage", Yes),
    ("member", "project.manage", No),
    ("commenter", "project.manage", No),
    ("viewer", "project.manage", No),
    ("guest", "project.manage", Hidden),
    // Channels: readers read, commenters post, editors create, managers (and creators) manage.
    ("member", "channel.read", Yes),
    ("pviewer", "channel.read", Yes),
    ("guest", "channel.read", Hidden),
    ("manager", "channel.comment", Yes),
    ("member", "channel.comment", Yes),
    ("commenter", "channel.comment", Yes),
    ("pviewer", "channel.comment", No),
    ("viewer", "channel.comment", No),
    ("guest", "channel.comment", Hidden),
    ("member", "channel.write", Yes),
    ("commenter", "channel.write", No),
    ("pviewer", "channel.write", No),
    ("manager", "channel.manage", Yes),
    ("admin", "channel.manage", Yes),
    ("member", "channel.manage", No),
    ("commenter", "channel.manage", No),
    ("member", "channel.manage.own", Yes),
    // Messages: only the author edits; the author or a moderator deletes and reads history.
    ("pviewer", "message.read", Yes),
    ("guest", "message.read", Hidden),
    ("commenter", "message.comment", Yes),
    ("pviewer", "message.comment", No),
    ("admin", "message.write", No),
    ("manager", "message.write", No),
    ("member", "message.write", No),
    ("member", "message.write.own", Yes),
    ("commenter", "message.write.own", Yes),
    ("owner", "message.manage", Yes),
    ("manager", "message.manage", Yes),
    ("member", "message.manage", No),
    ("commenter", "message.manage.own", Yes),
    ("admin", "message.delete", Yes),
    ("manager", "message.delete", Yes),
    ("member", "message.delete", No),
    ("commenter", "message.delete", No),
    ("pviewer", "message.delete", No),
    ("guest", "message.delete", Hidden),
    ("member", "message.delete.own", Yes),
    ("commenter", "message.delete.own", Yes),
    // Documents and files: editors write and trash, commenters and viewers read.
    ("member", "document.read", Yes),
    ("pviewer", "document.read", Yes),
    ("guest", "document.read", Hidden),
    ("member", "document.write", Yes),
    ("manager", "document.write", Yes),
    ("commenter", "document.write", No),
    ("viewer", "document.write", No),
    ("accountant", "document.write", Yes),
    ("member", "document.create", Yes),
    ("pviewer", "document.create", No),
    ("member", "document.delete", Yes),
    ("commenter", "document.delete", No),
    ("guest", "document.delete", Hidden),
    ("member", "file.read", Yes),
    ("viewer", "file.read", Yes),
    ("guest", "file.read", Hidden),
    ("member", "file.create", Yes),
    ("commenter", "file.create", No),
    ("manager", "file.delete", Yes),
    ("pviewer", "file.delete", No),
    ("guest", "file.delete", Hidden),
];

/// Sets the org's overrides; the status and body.
async fn put_permissions(user: &TestUser, org: &str, overrides: Value) -> (StatusCode, Value) {
    call_json(
        user,
        Method::PUT,
        &format!("/api/v1/orgs/{org}/permissions"),
        Some(json!({ "overrides": overrides })),
    )
    .await
}

fn rule(role: &str, resource: &str, action: &str, scope: &str) -> Value {
    json!({ "role": role, "resource": resource, "action": action, "scope": scope })
}

/// How long a socket that lost access may keep it: the promise is a second; the margin is for
/// a busy machine.
const CUT_DEADLINE: Duration = Duration::from_secs(3);

backend_tests! {
    async fn the_role_action_resource_table_holds(backend) {
        let w = world(backend).await;
        let mut wrong = Vec::new();
        for (who, action, expected) in TABLE {
            let got = attempt(&w, who, action).await;
            if got != *expected {
                wrong.push(format!("{who} {action}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "the server disagrees with the table:\n{}", wrong.join("\n"));
    }

    async fn a_rule_for_a_business_role_applies_on_the_next_request(backend) {
        let w = world(backend).await;
        let owner = &w.users["owner"];
        let accountant = &w.users["accountant"];
        let member = &w.users["member"];
        let audit = format!("/api/v1/orgs/{}/audit", w.org);
        assert_eq!(call(accountant, Method::GET, &audit, None).await, StatusCode::FORBIDDEN);

        // The accountant role may read the audit log: the next request may, a plain member not.
        let (status, body) = put_permissions(owner, &w.org, json!([rule("accountant", "org", "read_audit", "all")])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["overrides"], json!([rule("accountant", "org", "read_audit", "all")]));
        assert!(body["effective"].as_array().unwrap().contains(&rule("accountant", "org", "read_audit", "all")));
        // The defaults stay what they were: the override is not among them, the built-in rules are.
        let defaults = body["defaults"].as_array().unwrap();
        assert!(!defaults.contains(&rule("accountant", "org", "read_audit", "all")), "{body}");
        assert!(defaults.contains(&rule("admin", "org", "read_audit", "all")), "{body}");
        assert_eq!(call(accountant, Method::GET, &audit, None).await, StatusCode::OK);
        assert_eq!(call(member, Method::GET, &audit, None).await, StatusCode::FORBIDDEN);

        // A rule can take a default away: editors may no longer write documents.
        let doc = format!("/api/v1/docs/{}", w.doc);
        assert_eq!(call(member, Method::PATCH, &doc, Some(json!({"title": "A"}))).await, StatusCode::OK);
        let (status, _) = put_permissions(owner, &w.org, json!([
            rule("accountant", "org", "read_audit", "all"),
            rule("editor", "document", "write", "none"),
        ])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(call(member, Method::PATCH, &doc, Some(json!({"title": "B"}))).await, StatusCode::FORBIDDEN);
        let (_, seen) = call_json(member, Method::GET, &doc, None).await;
        assert_eq!(seen["can"]["write"], json!(false), "{seen}");

        // Bad rules: 422 naming each field, and nothing changes.
        for (bad, field) in [
            (rule("nobody", "org", "read_audit", "all"), "overrides[0].role"),
            (rule("accountant", "spaceship", "read", "all"), "overrides[0].resource"),
            (rule("accountant", "org", "fly", "all"), "overrides[0].action"),
            (rule("accountant", "document", "transition", "all"), "overrides[0].action"),
            (rule("accountant", "org", "read_audit", "sometimes"), "overrides[0].scope"),
            (rule("manager", "org", "read", "all"), "overrides[0].role"),
            // Owners could otherwise be locked out of the table for good.
            (rule("owner", "org", "manage_permissions", "none"), "overrides[0].role"),
        ] {
            let (status, body) = put_permissions(owner, &w.org, json!([bad])).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(body["error"]["fields"][field].is_string(), "{field}: {body}");
        }
        assert_eq!(call(accountant, Method::GET, &audit, None).await, StatusCode::OK);
        assert_eq!(call(member, Method::PATCH, &doc, Some(json!({"title": "C"}))).await, StatusCode::FORBIDDEN);
        // Only owners and admins edit the table.
        let (status, _) = put_permissions(member, &w.org, json!([])).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Removing the rules takes effect too.
        let (status, body) = put_permissions(owner, &w.org, json!([])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(call(accountant, Method::GET, &audit, None).await, StatusCode::FORBIDDEN);
        assert_eq!(call(member, Method::PATCH, &doc, Some(json!({"title": "D"}))).await, StatusCode::OK);
    }

    async fn business_roles_are_defined_granted_and_listed(backend) {
        let w = world(backend).await;
        let owner = &w.users["owner"];
        let member = &w.users["member"];
        let roles = format!("/api/v1/orgs/{}/roles", w.org);
        let (status, body) = call_json(member, Method::GET, &roles, None).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = body["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["accountant", "sales", "support", "hr", "production"]);

        let (status, body) = call_json(owner, Method::POST, &roles, Some(json!({"name": "auditor", "description": "Reads the books"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        for (bad, want) in [("auditor", 409), ("accountant", 409), ("Admin Team", 422), ("admin", 422), ("editor", 422), ("x", 422)] {
            let (status, body) = call_json(owner, Method::POST, &roles, Some(json!({"name": bad}))).await;
            assert_eq!(status.as_u16(), want, "{bad}: {body}");
        }
        assert_eq!(call(member, Method::POST, &roles, Some(json!({"name": "mine"}))).await, StatusCode::FORBIDDEN);

        // A member holds several; an unknown one is refused and changes nothing.
        let path = format!("/api/v1/orgs/{}/members/{}", w.org, member.id());
        let (status, body) = call_json(owner, Method::PATCH, &path, Some(json!({"roles": ["auditor", "sales"]}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["role"].clone(), body["roles"].clone()), (json!("member"), json!(["auditor", "sales"])));
        let (status, _) = call_json(owner, Method::PATCH, &path, Some(json!({"roles": ["astronaut"]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, me) = call_json(member, Method::GET, "/api/v1/me", None).await;
        assert_eq!(me["orgs"][0]["roles"], json!(["auditor", "sales"]), "{me}");
        let (_, members) = call_json(owner, Method::GET, &format!("/api/v1/orgs/{}/members", w.org), None).await;
        let listed = members["items"].as_array().unwrap().iter().find(|m| m["user"]["id"] == json!(member.id())).unwrap();
        assert_eq!(listed["roles"], json!(["auditor", "sales"]));

        // A custom role gets rules like a built-in one.
        let (status, body) = put_permissions(owner, &w.org, json!([rule("auditor", "org", "read_audit", "all")])).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(call(member, Method::GET, &format!("/api/v1/orgs/{}/audit", w.org), None).await, StatusCode::OK);

        // Inviting with a business role as `role`: the invitation is for a member holding it.
        let (status, body) = call_json(owner, Method::POST, &format!("/api/v1/orgs/{}/members", w.org), Some(json!({"email": "new@example.com", "role": "accountant", "roles": ["hr"]}))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["invitation"]["role"], json!("member"));
        assert_eq!(body["invitation"]["roles"], json!(["accountant", "hr"]));
        let (status, _) = call_json(owner, Method::POST, &format!("/api/v1/orgs/{}/members", w.org), Some(json!({"email": "other@example.com", "role": "astronaut"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn resources_carry_what_the_caller_can_do(backend) {
        let w = world(backend).await;
        let can = |v: &Value| -> [bool; 5] {
            ["read", "comment", "write", "manage", "delete"].map(|k| v["can"][k].as_bool().unwrap_or_else(|| panic!("no can.{k} in {v}")))
        };
        // Organisations, in /orgs and /me.
        for (who, manage, write) in [("owner", true, true), ("member", false, true), ("viewer", false, false)] {
            let user = &w.users[who];
            let (_, orgs) = call_json(user, Method::GET, "/api/v1/orgs", None).await;
            let org = &orgs["items"][0];
            assert_eq!((org["can"]["manage"].as_bool(), org["can"]["write"].as_bool()), (Some(manage), Some(write)), "{who}: {org}");
            let (_, me) = call_json(user, Method::GET, "/api/v1/me", None).await;
            assert_eq!(me["orgs"][0]["can"], org["can"], "{who}");
        }
        // Projects, channels, messages, documents and files.
        let p = &w.project;
        for (who, project, channel, doc, file) in [
            ("owner", [true, true, true, true, true], [true, true, true, true, true], [true, true, true, true, true], [true, true, true, true, true]),
            ("member", [true, true, true, false, false], [true, true, true, false, false], [true, true, true, false, true], [true, true, true, false, true]),
            ("commenter", [true, true, false, false, false], [true, true, false, false, false], [true, true, false, false, false], [true, true, false, false, false]),
            ("pviewer", [true, false, false, false, false], [true, false, false, false, false], [true, false, false, false, false], [true, false, false, false, false]),
        ] {
            let user = &w.users[who];
            let (_, got) = call_json(user, Method::GET, &format!("/api/v1/projects/{p}"), None).await;
            assert_eq!(can(&got), project, "{who} project {got}");
            let (_, list) = call_json(user, Method::GET, &format!("/api/v1/orgs/{}/projects", w.org), None).await;
            let listed = list["items"].as_array().unwrap().iter().find(|x| x["id"] == json!(p)).unwrap();
            assert_eq!(can(listed), project, "{who} listed project");
            let (_, got) = call_json(user, Method::GET, &format!("/api/v1/channels/{}", w.channel), None).await;
            assert_eq!(can(&got), channel, "{who} channel {got}");
            // The sidebar's list says the same as the channel itself.
            let (_, list) = call_json(user, Method::GET, &format!("/api/v1/orgs/{}/channels", w.org), None).await;
            let listed = list["items"].as_array().unwrap().iter().find(|x| x["id"] == json!(w.channel)).unwrap();
            assert_eq!(can(listed), channel, "{who} listed channel {listed}");
            let (_, got) = call_json(user, Method::GET, &format!("/api/v1/docs/{}", w.doc), None).await;
            assert_eq!(can(&got), doc, "{who} doc {got}");
            let (_, list) = call_json(user, Method::GET, &format!("/api/v1/projects/{p}/docs"), None).await;
            assert_eq!(can(&list["items"][0]), doc, "{who} listed doc");
            let (_, got) = call_json(user, Method::GET, &format!("/api/v1/files/{}", w.file), None).await;
            assert_eq!(can(&got), file, "{who} file {got}");
        }
        // Messages: the author edits their own; a moderator deletes anyone's.
        let member = &w.users["member"];
        let own = fixtures::post_message(member, &w.channel, "by member", None).await.message.id;
        let (_, page) = call_json(member, Method::GET, &format!("/api/v1/channels/{}/messages", w.channel), None).await;
        let find = |id: &str| page["items"].as_array().unwrap().iter().find(|m| m["id"] == json!(id)).unwrap().clone();
        assert_eq!(can(&find(&own)), [true, true, true, true, true]);
        assert_eq!(can(&find(&w.owner_message)), [true, true, false, false, false]);
        let (_, got) = call_json(&w.users["owner"], Method::GET, &format!("/api/v1/messages/{own}"), None).await;
        assert_eq!(can(&got), [true, true, false, true, true], "a moderator on another's message");
        // A thread: its root and each reply carry the caller's flags.
        let reply = fixtures::post_message(&w.users["owner"], &w.channel, "owner's reply", Some(&own)).await.message.id;
        let own_reply = fixtures::post_message(member, &w.channel, "member's reply", Some(&own)).await.message.id;
        let (_, thread) = call_json(member, Method::GET, &format!("/api/v1/messages/{own}/thread"), None).await;
        assert_eq!(can(&thread["root"]), [true, true, true, true, true], "{thread}");
        let in_thread = |id: &str| thread["items"].as_array().unwrap().iter().find(|m| m["id"] == json!(id)).unwrap().clone();
        assert_eq!(can(&in_thread(&reply)), [true, true, false, false, false], "{thread}");
        assert_eq!(can(&in_thread(&own_reply)), [true, true, true, true, true], "{thread}");
        // The OpenAPI document describes the flags.
        let (_, api) = call_json(member, Method::GET, "/api/v1/openapi.json", None).await;
        let schemas = &api["components"]["schemas"];
        assert!(schemas["Can"]["properties"]["manage"].is_object(), "Can in the OpenAPI document");
        for kind in ["Org", "Project", "Doc", "Channel", "Message", "FileInfo", "OrgMembership"] {
            assert!(schemas[kind]["properties"]["can"].is_object(), "{kind}.can in the OpenAPI document");
        }
    }

    async fn removing_a_user_from_a_project_cuts_both_sockets(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let bob = fixtures::user(&server, "bob").await;
        let org = fixtures::create_org(&owner, "Acme").await.id;
        let project = fixtures::create_project(&owner, &org, "Plans", Visibility::Private).await.id;
        let open = fixtures::create_project(&owner, &org, "Open", Visibility::Open).await.id;
        fixtures::add_org_member(&owner, &org, &bob, OrgRole::Member).await;
        fixtures::add_project_member(&owner, &project, bob.id(), ProjectRole::Editor).await;
        let secret = fixtures::create_channel(&owner, &project, "secret", None).await.id;
        let lobby = fixtures::create_channel(&owner, &open, "lobby", None).await.id;
        let doc = fixtures::create_doc(&owner, &project, "Roadmap").await.id;

        let mut events = EventSocket::connect(&server, &bob.token).await;
        let mut collab = atrium_tests::collab::connect(&server, &doc, &bob.token).await;
        atrium_tests::collab::next_binary(&mut collab).await.expect("the server's first sync message");
        fixtures::post_message(&owner, &secret, "before-removal", None).await;
        events.expect("message.created", |f| any_mentions(std::slice::from_ref(f), "before-removal")).await;

        let started = Instant::now();
        let path = format!("/api/v1/projects/{project}/members/{}", bob.id());
        assert_eq!(call(&owner, Method::DELETE, &path, None).await, StatusCode::NO_CONTENT);
        // The collab socket closes (4403) within the deadline.
        let closed = tokio::time::timeout(CUT_DEADLINE, async {
            loop {
                if let Err(code) = atrium_tests::collab::next_binary(&mut collab).await {
                    return code;
                }
            }
        })
        .await
        .expect("the collab socket is still open");
        assert_eq!(closed, Some(4403));
        // The event socket stays open but gets nothing of the project any more: a message in
        // it is not delivered, one in the open project (posted after it) is.
        fixtures::post_message(&owner, &secret, "after-removal", None).await;
        fixtures::post_message(&owner, &lobby, "marker", None).await;
        let frames = tokio::time::timeout(CUT_DEADLINE, events.until("message.created", |f| any_mentions(std::slice::from_ref(f), "marker")))
            .await
            .expect("the marker arrives");
        assert!(!any_mentions(&frames, "after-removal"), "a removed user's socket got the project's message");
        assert!(started.elapsed() < CUT_DEADLINE, "took {:?}", started.elapsed());
    }
}

/// Applies the migrations numbered up to `last` (the files of this checkout), as a database
/// deployed before 0011 would have them.
async fn migrate_up_to(url: &str, backend: Backend, last: i64) {
    let dialect = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(dialect);
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
    let before: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect();
    migrator.migrations = std::borrow::Cow::Owned(before);
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    pool.close().await;
}

backend_tests! {
    async fn the_migration_turns_accountants_into_members_holding_the_role(backend) {
        sqlx::any::install_default_drivers();
        // A password hash the server accepts, made by a server (so the old rows can log in).
        let scratch = TestServer::start(backend).await;
        fixtures::user(&scratch, "template").await;
        let pool = sqlx::AnyPool::connect(scratch.database_url()).await.unwrap();
        let (hash,): (String,) = sqlx::query_as("select password_hash from users where handle = 'template'").fetch_one(&pool).await.unwrap();
        pool.close().await;
        drop(scratch);

        let dir = tempfile::tempdir().unwrap();
        let database = TestDatabase::create(backend, dir.path()).await;
        migrate_up_to(database.url(), backend, 8).await;
        let pool = sqlx::AnyPool::connect(database.url()).await.unwrap();
        for (id, handle) in [("u-owner", "oldowner"), ("u-acct", "oldacct")] {
            sqlx::query("insert into users (id, email, handle, name, password_hash, created_at, updated_at, email_verified_at) values ($1, $2, $3, $3, $4, 1, 1, 1)")
                .bind(id).bind(format!("{handle}@example.com")).bind(handle).bind(&hash)
                .execute(&pool).await.unwrap();
        }
        sqlx::query("insert into orgs (id, name, created_by, created_at, updated_at) values ('o-1', 'Old', 'u-owner', 1, 1)").execute(&pool).await.unwrap();
        for (user, role) in [("u-owner", "owner"), ("u-acct", "accountant")] {
            sqlx::query("insert into org_members (org_id, user_id, role, created_at) values ('o-1', $1, $2, 1)")
                .bind(user).bind(role).execute(&pool).await.unwrap();
        }
        sqlx::query("insert into invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at) values ('i-1', 'o-1', 'later@example.com', 'accountant', 'h', 'u-owner', 1, 9999999999999)")
            .execute(&pool).await.unwrap();
        pool.close().await;

        // The server migrates on start.
        let server = TestServer::builder(backend).database(database).start().await;
        let acct = fixtures::login(&server, "oldacct@example.com").await;
        let (_, me) = call_json(&acct, Method::GET, "/api/v1/me", None).await;
        assert_eq!(me["orgs"][0]["role"], json!("member"), "{me}");
        assert_eq!(me["orgs"][0]["roles"], json!(["accountant"]), "{me}");
        let owner = fixtures::login(&server, "oldowner@example.com").await;
        let (_, members) = call_json(&owner, Method::GET, "/api/v1/orgs/o-1/members", None).await;
        let listed = members["items"].as_array().unwrap().iter().find(|m| m["user"]["id"] == json!("u-acct")).unwrap().clone();
        assert_eq!((listed["role"].clone(), listed["roles"].clone()), (json!("member"), json!(["accountant"])));
        let (_, invitations) = call_json(&owner, Method::GET, "/api/v1/orgs/o-1/invitations", None).await;
        assert_eq!(invitations["items"][0]["role"], json!("member"), "{invitations}");
        assert_eq!(invitations["items"][0]["roles"], json!(["accountant"]), "{invitations}");
    }
}

/// No permission decision outside `server/src/authz`.
///
/// The rule, line by line over every `.rs` file under `server/src` except `authz/`:
/// - no comparison with a role value: `== OrgRole::`, `!= OrgRole::`, `== ProjectRole::`,
///   `!= ProjectRole::`, and no `matches!(` whose line names `OrgRole::` or `ProjectRole::`
///   (naming a role to *store* it — the creator becomes owner, a project's default role — is
///   data, not a decision, and stays allowed);
/// - no `matches!(role` / `matches!(self.org_role` / `matches!(self.project_role`;
/// - no function defined as `fn require_org`, `fn require_project`, `fn may_…` or
///   `fn ensure_may_…` (the helpers that decide; domains load data and ask authz).
///   `require_channel`/`require_message` stay: they load a resource and return what authz
///   decided about it, and `require_post`/`require_live`/`require_not_archived` check state
///   (archived, deleted), not roles.
#[test]
fn no_permission_decision_outside_authz() {
    let offences: Vec<String> = atrium_tests::source::server_lines()
        .into_iter()
        .filter(|line| !line.file.starts_with("authz"))
        .filter(|line| {
            let code = line.code.as_str();
            let names_role = code.contains("OrgRole::") || code.contains("ProjectRole::");
            code.contains("== OrgRole::")
                || code.contains("!= OrgRole::")
                || code.contains("== ProjectRole::")
                || code.contains("!= ProjectRole::")
                || (code.contains("matches!(") && names_role)
                || code.contains("matches!(role")
                || code.contains("matches!(self.org_role")
                || code.contains("matches!(self.project_role")
                || [
                    "fn require_org",
                    "fn require_project",
                    "fn may_",
                    "fn ensure_may_",
                ]
                .iter()
                .any(|f| code.contains(f))
        })
        .map(|line| line.to_string())
        .collect();
    assert!(
        offences.is_empty(),
        "permission decisions outside authz:\n{}",
        offences.join("\n")
    );
}
