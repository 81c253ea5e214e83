//! Account and administration settings, through HTTP: the password a member changes for
//! themselves (which signs out the other sessions and counts wrong guesses like log-ins).

use atrium_client::Client;
use atrium_tests::fixtures::{self, PASSWORD, TestUser};
use atrium_tests::mail::{mails_to_containing, wait_for_link, wait_for_mail_containing};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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

async fn db_count(server: &TestServer, sql: &'static str, value: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(server.database_url()).await.unwrap();
    let (count,): (i64,) = sqlx::query_as(sql)
        .bind(value)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

async fn audit_count(server: &TestServer, action: &str) -> i64 {
    db_count(
        server,
        "select count(*) from audit_log where action = $1",
        action,
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
}
