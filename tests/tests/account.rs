//! Account and administration settings, through HTTP: the password a member changes for
//! themselves (which signs out the other sessions and counts wrong guesses like log-ins), and
//! profile pictures (checked, re-encoded, shown only to people who share an organisation), the
//! audit log's CSV export an organisation's admins download, and renaming the organisation.

use atrium_client::Client;
use atrium_client::wire::OrgRole;
use atrium_tests::fixtures::{self, PASSWORD, TestUser, audit_count, db_count};
use atrium_tests::mail::{mails_to_containing, wait_for_link, wait_for_mail_containing};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An image of `width` × `height` pixels encoded as `format`.
fn image_bytes(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([20, 120, 200]));
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

async fn put_avatar(client: &Client, bytes: Vec<u8>) -> (StatusCode, Value) {
    send(
        client
            .request(Method::PUT, "/api/v1/me/avatar")
            .header("content-type", "application/octet-stream")
            .body(bytes),
    )
    .await
}

const NEW_PASSWORD: &str = "a brand new passphrase 42";
const CHANGED_SUBJECT: &str = "Your Atrium password was changed";

/// Status and JSON body of a request.
async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn change_password(client: &Client, current: &str, password: &str) -> (StatusCode, Value) {
    send(
        client
            .request(Method::POST, "/api/v1/me/password")
            .json(&json!({ "current": current, "password": password })),
    )
    .await
}

async fn me_status(client: &Client) -> StatusCode {
    send(client.request(Method::GET, "/api/v1/me")).await.0
}

async fn login_status(server: &TestServer, email: &str, password: &str) -> (StatusCode, Value) {
    send(
        server
            .client()
            .request(Method::POST, "/api/v1/auth/login")
            .json(&json!({ "email": email, "password": password })),
    )
    .await
}

/// A second session of the same account (another browser).
async fn second_session(server: &TestServer, user: &TestUser) -> TestUser {
    fixtures::login(server, &user.user.email).await
}

backend_tests! {
    async fn changing_the_password_signs_out_the_other_sessions_only(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let laptop = second_session(&server, &ann).await;
        let email = ann.user.email.clone();

        // A wrong current password changes nothing.
        let (status, body) = change_password(&ann.client, "not my password", NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["current"].is_string(), "{body}");
        assert_eq!(audit_count(&server, "password.change_rejected").await, 1);
        assert_eq!(me_status(&laptop.client).await, StatusCode::OK);
        assert_eq!(login_status(&server, &email, PASSWORD).await.0, StatusCode::OK);
        assert_eq!(login_status(&server, &email, NEW_PASSWORD).await.0, StatusCode::UNAUTHORIZED);

        // The new password follows the sign-up rules, and must be new.
        let long = "x".repeat(2000);
        for (weak, why) in [
            ("short", "too short"),
            ("ann@example.com", "the e-mail address"),
            (long.as_str(), "too long"),
            (PASSWORD, "unchanged"),
        ] {
            let (status, body) = change_password(&ann.client, PASSWORD, weak).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
            assert!(body["error"]["fields"]["password"].is_string(), "{why}: {body}");
            assert!(body["error"]["fields"].get("current").is_none(), "{why}: {body}");
        }
        assert_eq!(me_status(&laptop.client).await, StatusCode::OK);

        // A reset link asked for before the change must not outlive it.
        let reset = send(server.client().request(Method::POST, "/api/v1/auth/password-reset").json(&json!({ "email": email }))).await;
        assert_eq!(reset.0, StatusCode::ACCEPTED);
        let reset_token = wait_for_link(&ann.mail_dir, &email, "/reset-password", &[]).await;

        let (status, body) = change_password(&ann.client, PASSWORD, NEW_PASSWORD).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(me_status(&ann.client).await, StatusCode::OK, "the caller's session stays");
        assert_eq!(me_status(&laptop.client).await, StatusCode::UNAUTHORIZED, "the other session is signed out");
        assert_eq!(login_status(&server, &email, PASSWORD).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(login_status(&server, &email, NEW_PASSWORD).await.0, StatusCode::OK);
        let stale = send(server.client().request(Method::POST, "/api/v1/auth/password-reset/confirm")
            .json(&json!({ "token": reset_token, "password": "yet another passphrase 7" }))).await;
        assert_eq!(stale.0, StatusCode::BAD_REQUEST, "{}", stale.1);

        // The hash is argon2id, like sign-up's; the owner is told by e-mail and in the log.
        let hash_ok = db_count(&server, "select count(*) from users where id = $1 and password_hash like '$argon2id$%'", ann.id()).await;
        assert_eq!(hash_ok, 1);
        let mail = wait_for_mail_containing(&ann.mail_dir, &email, CHANGED_SUBJECT).await;
        let unfolded = mail.replace("=\r\n", "").replace("=\n", "");
        // The laptop, and the session the check of the old password logged in.
        assert!(unfolded.contains("Your 2 other sessions were signed out."), "{mail}");
        assert!(!mail.contains("token="), "the notice carries no link that logs in");
        assert_eq!(mails_to_containing(&ann.mail_dir, &email, CHANGED_SUBJECT).len(), 1);
        assert_eq!(audit_count(&server, "password.changed").await, 1);
    }

    async fn wrong_current_passwords_count_as_failed_log_ins(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_LOGIN_ACCOUNT_FAILURES", "2")
            .start()
            .await;
        let ann = fixtures::user(&server, "ann").await;
        let laptop = second_session(&server, &ann).await;

        // Two free failures, the third starts the back-off, then even the right one waits.
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(change_password(&ann.client, "a guess at it", NEW_PASSWORD).await.0.as_u16());
        }
        assert_eq!(statuses, [422, 422, 422]);
        let (status, body) = change_password(&ann.client, PASSWORD, NEW_PASSWORD).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("login_throttled")), "{body}");
        // The same counter holds log-ins from this place back.
        let (status, _) = login_status(&server, &ann.user.email, PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(audit_count(&server, "login.throttled").await >= 1);
        // Nothing changed meanwhile.
        assert_eq!(me_status(&laptop.client).await, StatusCode::OK);
        assert_eq!(audit_count(&server, "password.changed").await, 0);
        assert!(mails_to_containing(&ann.mail_dir, &ann.user.email, CHANGED_SUBJECT).is_empty());
    }

    async fn the_audit_log_exports_as_csv_with_its_filters_for_admins_only(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let bob = fixtures::user(&server, "bob").await;
        // A name a spreadsheet would run as a formula.
        let renamed = send(owner.client.request(Method::PATCH, "/api/v1/me").json(&json!({ "name": "=HYPERLINK(1)" }))).await;
        assert_eq!(renamed.0, StatusCode::OK, "{}", renamed.1);
        let org = fixtures::create_org(&owner, "Acme").await;
        fixtures::add_org_member(&owner, &org.id, &bob, OrgRole::Member).await;
        let path = |query: &str| format!("/api/v1/orgs/{}/audit/export.csv{query}", org.id);

        let export = |client: &Client, query: &str| {
            let request = client.request(Method::GET, &path(query));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
                (status, kind, response.text().await.unwrap())
            }
        };
        let (status, kind, all) = export(&owner.client, "").await;
        assert_eq!(status, StatusCode::OK, "{all}");
        assert_eq!(kind.as_deref(), Some("text/csv; charset=utf-8"));
        let lines: Vec<&str> = all.lines().collect();
        assert_eq!(lines[0], "time,actor,actor_id,action,target_type,target_id,ip,before,after");
        assert!(lines.iter().any(|l| l.contains(",org.created,")), "{all}");
        assert!(lines.iter().any(|l| l.contains(",invitation.accepted,")), "{all}");
        // The owner's name is text in a spreadsheet, not a formula.
        assert!(all.contains(&format!("'=HYPERLINK(1),{},org.created", owner.id())), "{all}");
        // Members' own events (log-ins, the profile) are not the organisation's.
        assert!(!all.contains("login.success"), "{all}");

        // The listing's filters apply: an action, an actor, a time range.
        let (_, _, created) = export(&owner.client, "?action=org.created").await;
        let rows: Vec<&str> = created.lines().skip(1).collect();
        assert_eq!(rows.len(), 1, "{created}");
        assert!(rows[0].contains(",org.created,"));
        let (_, _, by_bob) = export(&owner.client, &format!("?actor={}", bob.id())).await;
        let rows: Vec<&str> = by_bob.lines().skip(1).collect();
        assert!(!rows.is_empty(), "{by_bob}");
        assert!(rows.iter().all(|r| r.contains(&format!(",{},", bob.id()))), "{by_bob}");
        let future = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap() + 3_600_000;
        let (_, _, none) = export(&owner.client, &format!("?since={future}")).await;
        assert_eq!(none.lines().count(), 1, "the header alone: {none}");
        let (_, _, nul) = export(&owner.client, "?action=a%00b").await;
        assert_eq!(nul.lines().count(), 1, "{nul}");

        // A member is refused; an outsider does not learn the organisation exists.
        let (status, _, body) = export(&bob.client, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let stranger = fixtures::user(&server, "stranger").await;
        assert_eq!(export(&stranger.client, "").await.0, StatusCode::NOT_FOUND);
    }

    async fn owners_and_admins_rename_the_organisation(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let bob = fixtures::user(&server, "bob").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        fixtures::add_org_member(&owner, &org.id, &bob, OrgRole::Member).await;
        let path = format!("/api/v1/orgs/{}", org.id);
        let rename = |client: &Client, name: &str| send(client.request(Method::PATCH, &path).json(&json!({ "name": name })));

        let (status, body) = rename(&bob.client, "Bob's now").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let long = "x".repeat(101);
        for bad in ["   ", "a\u{7}b", long.as_str()] {
            let (status, body) = rename(&owner.client, bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
            assert!(body["error"]["fields"]["name"].is_string(), "{body}");
        }
        let (status, body) = rename(&owner.client, "  Acme Ltd ").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["id"].as_str(), body["name"].as_str(), body["role"].as_str()), (Some(org.id.as_str()), Some("Acme Ltd"), Some("owner")));
        // Everyone sees the new name; the log says who renamed it from what.
        let listed: Value = bob.client.get("/api/v1/orgs").await.unwrap();
        assert_eq!(listed["items"][0]["name"], "Acme Ltd");
        let log: Value = owner.client.get(&format!("/api/v1/orgs/{}/audit?action=org.renamed", org.id)).await.unwrap();
        let entry = &log["items"][0];
        assert_eq!((entry["actor_id"].as_str(), entry["before"]["name"].as_str(), entry["after"]["name"].as_str()), (Some(owner.id()), Some("Acme"), Some("Acme Ltd")));
        assert_eq!(log["items"].as_array().unwrap().len(), 1);
        let stranger = fixtures::user(&server, "stranger").await;
        assert_eq!(rename(&stranger.client, "Mine").await.0, StatusCode::NOT_FOUND);
    }

    async fn profile_pictures_are_checked_re_encoded_and_shown_to_colleagues_only(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let bob = fixtures::user(&server, "bob").await;
        let stranger = fixtures::user(&server, "stranger").await;
        let org = fixtures::create_org(&ann, "Acme").await;
        fixtures::add_org_member(&ann, &org.id, &bob, OrgRole::Member).await;
        let stored = || db_count(&server, "select count(*) from user_avatars where user_id = $1", ann.id());
        let picture_path = format!("/api/v1/users/{}/avatar", ann.id());

        // Refused uploads store nothing: a non-image (whatever it claims), too many bytes,
        // too many pixels.
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec();
        let (status, body) = send(ann.client.request(Method::PUT, "/api/v1/me/avatar").header("content-type", "image/png").body(svg)).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
        let mut oversize = image_bytes(8, 8, image::ImageFormat::Png);
        oversize.resize(2 * 1024 * 1024 + 1, 0);
        let (status, body) = put_avatar(&ann.client, oversize).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        let (status, body) = put_avatar(&ann.client, image_bytes(4097, 1, image::ImageFormat::Png)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["avatar"].is_string(), "{body}");
        assert_eq!(stored().await, 0);
        assert_eq!(send(ann.client.request(Method::GET, &picture_path)).await.0, StatusCode::NOT_FOUND);

        // A JPEG is stored as a 256 × 256 PNG.
        let (status, body) = put_avatar(&ann.client, image_bytes(400, 240, image::ImageFormat::Jpeg)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let url = body["avatar_url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&format!("{picture_path}?v=")), "{url}");
        let me: Value = ann.client.get("/api/v1/me").await.unwrap();
        assert_eq!(me["avatar_url"], url.as_str());

        let response = bob.client.request(Method::GET, &url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("image/png"));
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert!(header("cache-control").unwrap().contains("immutable"));
        let etag = header("etag").unwrap();
        let picture = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((picture.width(), picture.height()), (256, 256));
        let again = bob.client.request(Method::GET, &picture_path).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        // Colleagues find it in their list; someone sharing no organisation cannot see it.
        let seen: Value = bob.client.get("/api/v1/me/avatars").await.unwrap();
        assert_eq!(seen, json!([{ "user_id": ann.id(), "avatar_url": url }]));
        let unseen: Value = stranger.client.get("/api/v1/me/avatars").await.unwrap();
        assert_eq!(unseen, json!([]));
        assert_eq!(send(stranger.client.request(Method::GET, &url)).await.0, StatusCode::NOT_FOUND);

        // A refused replacement keeps the picture; removing it goes back to none.
        assert_eq!(put_avatar(&ann.client, b"GIF89a not really".to_vec()).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let me: Value = ann.client.get("/api/v1/me").await.unwrap();
        assert_eq!(me["avatar_url"], url.as_str());
        assert_eq!(send(ann.client.request(Method::DELETE, "/api/v1/me/avatar")).await.0, StatusCode::NO_CONTENT);
        assert_eq!(stored().await, 0);
        assert_eq!(send(bob.client.request(Method::GET, &picture_path)).await.0, StatusCode::NOT_FOUND);
        let me: Value = ann.client.get("/api/v1/me").await.unwrap();
        assert!(me.get("avatar_url").is_none(), "{me}");
    }
}
