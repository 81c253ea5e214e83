//! Accounts cannot be claimed or locked by others, through HTTP: verified e-mail addresses,
//! joining only by an accepted invitation, the org audit log showing only the org's events,
//! log-in throttling by address and address + account (never locking the owner out), unlock
//! links, TOTP codes that work once, and reset links that end each other.

use std::net::IpAddr;
use std::time::Duration;

use atrium_client::Client;
use atrium_client::wire::{AuditEntry, Me, OrgRole, Page, RecoveryCodes, TotpEnrolment};
use atrium_tests::fixtures::{self, PASSWORD, TestUser, audit_count, db_count, db_execute};
use atrium_tests::mail::{link_tokens, wait_for_link};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An answer: status, `Retry-After` (when present) and the JSON body.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let text = response.text().await.unwrap();
    Answer {
        status,
        retry_after,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// Sends a request with an optional JSON body through an API client.
async fn call(client: &Client, method: Method, path: &str, body: Option<Value>) -> Answer {
    let mut request = client.request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

/// A plain HTTP client whose connections come from `ip` (any 127.0.0.0/8 address reaches the
/// server on loopback): another place on the network.
fn from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .unwrap()
}

/// A log-in attempt from `http`.
async fn login(
    server: &TestServer,
    http: &reqwest::Client,
    email: &str,
    password: &str,
    unlock: Option<&str>,
) -> Answer {
    let mut body = json!({ "email": email, "password": password });
    if let Some(token) = unlock {
        body["unlock"] = json!(token);
    }
    send(
        http.post(format!("{}/api/v1/auth/login", server.url()))
            .json(&body),
    )
    .await
}

async fn me(user: &TestUser) -> Me {
    user.client.get("/api/v1/me").await.unwrap()
}

/// Turns TOTP on for `user` with the current code; returns the secret.
async fn enable_totp(user: &TestUser) -> String {
    let enrolment: TotpEnrolment = user
        .client
        .post("/api/v1/me/totp", &json!({}))
        .await
        .unwrap();
    let _: RecoveryCodes = user
        .client
        .post(
            "/api/v1/me/totp/confirm",
            &json!({ "code": fixtures::totp_code_at(&enrolment.secret, 0) }),
        )
        .await
        .unwrap();
    enrolment.secret
}

backend_tests! {
    async fn email_is_verified_by_its_link_in_its_own_account(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::unverified_user(&server, "ann").await;
        let bob = fixtures::user(&server, "bob").await;
        assert!(!me(&ann).await.email_verified, "a new account starts unverified");
        assert!(me(&bob).await.email_verified);
        let first = wait_for_link(&ann.mail_dir, "ann@example.com", "/verify-email", &[]).await;
        assert!(first.starts_with("atr_v_"));

        // The link needs the session of its own account: anonymous and other accounts are
        // refused and leave it usable.
        let anonymous = call(&server.client(), Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": first}))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let other = call(&bob.client, Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": first}))).await;
        assert_eq!((other.status, other.code()), (StatusCode::FORBIDDEN, "wrong_account"));
        assert!(!me(&ann).await.email_verified);
        for garbage in ["", "atr_v_nope", &"x".repeat(5000)] {
            let answer = call(&ann.client, Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": garbage}))).await;
            assert_eq!((answer.status, answer.code()), (StatusCode::BAD_REQUEST, "invalid_token"), "{garbage:.20}");
        }

        // A new link is sent at most once a minute, and ends the earlier ones.
        let soon = call(&ann.client, Method::POST, "/api/v1/me/verify-email", None).await;
        assert_eq!((soon.status, soon.code()), (StatusCode::TOO_MANY_REQUESTS, "verification_throttled"));
        assert!(soon.retry_after.is_some_and(|s| (1..=60).contains(&s)), "{soon:?}");
        let aged = "update email_verifications set created_at = created_at - 120000 where user_id = $1";
        db_execute(&server, aged, ann.id()).await;
        let seen = link_tokens(&ann.mail_dir, "ann@example.com", "/verify-email");
        let resent = call(&ann.client, Method::POST, "/api/v1/me/verify-email", None).await;
        assert_eq!(resent.status, StatusCode::ACCEPTED);
        let second = wait_for_link(&ann.mail_dir, "ann@example.com", "/verify-email", &seen).await;
        let replaced = call(&ann.client, Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": first}))).await;
        assert_eq!(replaced.code(), "invalid_token", "an earlier link stops working");

        // An expired link is refused.
        db_execute(&server, "update email_verifications set expires_at = 1 where user_id = $1 and used_at is null", ann.id()).await;
        let expired = call(&ann.client, Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": second}))).await;
        assert_eq!(expired.code(), "invalid_token");
        db_execute(&server, aged, ann.id()).await;
        let seen = link_tokens(&ann.mail_dir, "ann@example.com", "/verify-email");
        assert_eq!(call(&ann.client, Method::POST, "/api/v1/me/verify-email", None).await.status, StatusCode::ACCEPTED);
        let third = wait_for_link(&ann.mail_dir, "ann@example.com", "/verify-email", &seen).await;

        let done = call(&ann.client, Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": third}))).await;
        assert_eq!((done.status, done.body["email"].as_str()), (StatusCode::OK, Some("ann@example.com")));
        assert!(me(&ann).await.email_verified);
        let again = call(&ann.client, Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": third}))).await;
        assert_eq!(again.code(), "invalid_token", "a link works once");
        let verified = call(&ann.client, Method::POST, "/api/v1/me/verify-email", None).await;
        assert_eq!((verified.status, verified.code()), (StatusCode::CONFLICT, "already_verified"));
        assert_eq!(audit_count(&server, "email.verified").await, 2, "ann and bob");

        // An operator vouches for the accounts they create.
        use std::io::Write as _;
        let mut child = server
            .command(&["admin", "create-user", "--email", "op@example.com", "--name", "Op"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let op = fixtures::login(&server, "op@example.com").await;
        assert!(me(&op).await.email_verified);
    }

    async fn an_invitation_link_says_what_it_invites_to_without_a_session(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let org = fixtures::create_org(&owner, "Acme Gardens").await;
        let guest = fixtures::user(&server, "guest").await;
        let invitation = fixtures::invite(&owner, &org.id, "guest@example.com", OrgRole::Viewer).await;
        let token = wait_for_link(&guest.mail_dir, "guest@example.com", "/invitations", &[]).await;

        // Whoever holds the link learns the organisation, the sender, the address and the role.
        let anonymous = server.client();
        let preview = call(&anonymous, Method::POST, "/api/v1/invitations/preview", Some(json!({"token": token}))).await;
        assert_eq!(preview.status, StatusCode::OK, "{preview:?}");
        assert_eq!(preview.body["org_name"], "Acme Gardens");
        assert_eq!(preview.body["invited_by"], json!(owner.user.name));
        assert_eq!(preview.body["email"], "guest@example.com");
        assert_eq!(preview.body["role"], "viewer");
        assert_eq!(preview.body["expires_at"], json!(invitation.expires_at));
        // Looking changes nothing: the invitation is still pending and can be accepted.
        let pending: Page<Value> = owner.client.get(&format!("/api/v1/orgs/{}/invitations", org.id)).await.unwrap();
        assert_eq!(pending.items.len(), 1);

        // An unknown token is 404; a spent one 410; a malformed body 4xx.
        let unknown = call(&anonymous, Method::POST, "/api/v1/invitations/preview", Some(json!({"token": "atr_i_nope"}))).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let malformed = call(&anonymous, Method::POST, "/api/v1/invitations/preview", Some(json!({"nope": 1}))).await;
        assert!(malformed.status.is_client_error(), "{malformed:?}");
        fixtures::accept_invitation(&guest, &token).await;
        let spent = call(&anonymous, Method::POST, "/api/v1/invitations/preview", Some(json!({"token": token}))).await;
        assert_eq!(spent.status, StatusCode::GONE);
    }

    async fn joining_takes_an_accepted_invitation_to_a_verified_matching_account(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        let existing = fixtures::user(&server, "existing").await;
        let stranger = fixtures::user(&server, "stranger").await;
        let members_path = format!("/api/v1/orgs/{}/members", org.id);

        // The same answer whether or not the address has an account.
        let mut answers = Vec::new();
        for email in ["existing@example.com", "nobody@example.com"] {
            let answer = call(&owner.client, Method::POST, &members_path, Some(json!({"email": email, "role": "member"}))).await;
            assert_eq!(answer.status, StatusCode::ACCEPTED, "{email}: {answer:?}");
            let mut body = answer.body.clone();
            let invitation = body["invitation"].as_object_mut().unwrap();
            for varying in ["id", "created_at", "expires_at", "email"] {
                assert!(invitation.remove(varying).is_some(), "{varying}");
            }
            answers.push((answer.status, answer.retry_after, body));
        }
        assert_eq!(answers[0], answers[1], "the answer does not tell whether an account exists");
        // Nobody joined yet.
        let listed: Page<Value> = owner.client.get(&members_path).await.unwrap();
        assert_eq!(listed.items.len(), 1);
        assert!(me(&existing).await.orgs.is_empty());
        let pending: Page<Value> = owner.client.get(&format!("/api/v1/orgs/{}/invitations", org.id)).await.unwrap();
        let emails: Vec<&str> = pending.items.iter().map(|i| i["email"].as_str().unwrap()).collect();
        assert_eq!(emails, ["nobody@example.com", "existing@example.com"]);

        // Another account cannot use the invitation, which stays usable for its address.
        let token = wait_for_link(&existing.mail_dir, "existing@example.com", "/invitations", &[]).await;
        let refused = call(&stranger.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": token}))).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "wrong_account"));
        assert!(me(&stranger).await.orgs.is_empty());
        let anonymous = call(&server.client(), Method::POST, "/api/v1/invitations/accept", Some(json!({"token": token}))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let joined = fixtures::accept_invitation(&existing, &token).await;
        assert_eq!((joined.id.as_str(), joined.role), (org.id.as_str(), OrgRole::Member));
        let reused = call(&existing.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": token}))).await;
        assert_eq!(reused.status, StatusCode::GONE);
        let unknown = call(&existing.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": "atr_i_nope"}))).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);

        // An account whose address is not verified cannot accept until it is.
        let late = fixtures::unverified_user(&server, "late").await;
        fixtures::invite(&owner, &org.id, "late@example.com", OrgRole::Viewer).await;
        let late_token = wait_for_link(&late.mail_dir, "late@example.com", "/invitations", &[]).await;
        let unverified = call(&late.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": late_token}))).await;
        assert_eq!((unverified.status, unverified.code()), (StatusCode::FORBIDDEN, "email_unverified"));
        assert!(me(&late).await.orgs.is_empty());
        fixtures::verify_email(&late).await;
        assert_eq!(fixtures::accept_invitation(&late, &late_token).await.role, OrgRole::Viewer);

        // Members, even members, do not see or manage invitations; other orgs get 404.
        let invitations_path = format!("/api/v1/orgs/{}/invitations", org.id);
        assert_eq!(call(&existing.client, Method::GET, &invitations_path, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(call(&existing.client, Method::POST, &members_path, Some(json!({"email": "x@example.com", "role": "member"}))).await.status, StatusCode::FORBIDDEN);
        assert_eq!(call(&stranger.client, Method::GET, &invitations_path, None).await.status, StatusCode::NOT_FOUND);

        // Revoked, replaced and expired invitations are spent.
        let gone = fixtures::user(&server, "gone").await;
        let seen = link_tokens(&gone.mail_dir, "gone@example.com", "/invitations");
        let revoked = fixtures::invite(&owner, &org.id, "gone@example.com", OrgRole::Member).await;
        let gone_token = wait_for_link(&gone.mail_dir, "gone@example.com", "/invitations", &seen).await;
        let revoke_path = format!("{invitations_path}/{}", revoked.id);
        assert_eq!(call(&stranger.client, Method::DELETE, &revoke_path, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(call(&existing.client, Method::DELETE, &revoke_path, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(call(&owner.client, Method::DELETE, &revoke_path, None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(call(&owner.client, Method::DELETE, &revoke_path, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(call(&gone.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": gone_token}))).await.status, StatusCode::GONE);

        let seen = link_tokens(&gone.mail_dir, "gone@example.com", "/invitations");
        fixtures::invite(&owner, &org.id, "gone@example.com", OrgRole::Member).await;
        let replaced = wait_for_link(&gone.mail_dir, "gone@example.com", "/invitations", &seen).await;
        let seen = link_tokens(&gone.mail_dir, "gone@example.com", "/invitations");
        fixtures::invite(&owner, &org.id, "gone@example.com", OrgRole::Admin).await;
        let newest = wait_for_link(&gone.mail_dir, "gone@example.com", "/invitations", &seen).await;
        assert_eq!(call(&gone.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": replaced}))).await.status, StatusCode::GONE, "a new invitation replaces the pending one");
        db_execute(&server, "update invitations set expires_at = 1 where email = $1 and accepted_at is null and revoked_at is null", "gone@example.com").await;
        assert_eq!(call(&gone.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": newest}))).await.status, StatusCode::GONE, "an expired invitation");
        assert!(me(&gone).await.orgs.is_empty());

        // Members are not invited again; an unverified owner cannot send invitations at all.
        let again = call(&owner.client, Method::POST, &members_path, Some(json!({"email": "Existing@Example.com", "role": "admin"}))).await;
        assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "already_member"));
        let squatter = fixtures::unverified_user(&server, "squatter").await;
        let own = fixtures::create_org(&squatter, "Mine").await;
        let sent_before = link_tokens(&stranger.mail_dir, "stranger@example.com", "/invitations").len();
        let spam = call(&squatter.client, Method::POST, &format!("/api/v1/orgs/{}/members", own.id), Some(json!({"email": "stranger@example.com", "role": "member"}))).await;
        assert_eq!((spam.status, spam.code()), (StatusCode::FORBIDDEN, "email_unverified"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(link_tokens(&stranger.mail_dir, "stranger@example.com", "/invitations").len(), sent_before, "no mail went out");
    }

    async fn invitations_are_limited_per_org_and_per_inviter(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_INVITATIONS_PER_ORG_PER_HOUR", "3")
            .env("ATRIUM_INVITATIONS_PER_INVITER_PER_HOUR", "4")
            .start()
            .await;
        let owner = fixtures::user(&server, "owner").await;
        let deputy = fixtures::user(&server, "deputy").await;
        let acme = fixtures::create_org(&owner, "Acme").await;
        let other = fixtures::create_org(&owner, "Other").await;
        fixtures::add_org_member(&owner, &acme.id, &deputy, OrgRole::Admin).await;
        let invite = |who: &TestUser, org: &str, email: &str| {
            let (client, path) = (who.client.clone(), format!("/api/v1/orgs/{org}/members"));
            let body = json!({ "email": email, "role": "member" });
            async move { call(&client, Method::POST, &path, Some(body)).await }
        };
        // Acme has sent one (to the deputy); two more fit.
        for n in 0..2 {
            assert_eq!(invite(&owner, &acme.id, &format!("p{n}@example.com")).await.status, StatusCode::ACCEPTED);
        }
        let pending: Page<Value> = owner.client.get(&format!("/api/v1/orgs/{}/invitations", acme.id)).await.unwrap();
        let revoke = format!("/api/v1/orgs/{}/invitations/{}", acme.id, pending.items[0]["id"].as_str().unwrap());
        assert_eq!(call(&owner.client, Method::DELETE, &revoke, None).await.status, StatusCode::NO_CONTENT);
        for who in [&owner, &deputy] {
            let refused = invite(who, &acme.id, "over@example.com").await;
            assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "invitations_throttled"), "revoking does not free a slot");
            assert!(refused.retry_after.is_some_and(|s| (1..=3600).contains(&s)), "{refused:?}");
        }
        // The owner has sent three; one more anywhere, then the inviter's own limit.
        assert_eq!(invite(&owner, &other.id, "o1@example.com").await.status, StatusCode::ACCEPTED);
        let refused = invite(&owner, &other.id, "o2@example.com").await;
        assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "invitations_throttled"));
        // Refused invitations changed nothing and sent nothing.
        let stored = db_count(&server, "select count(*) from invitations where email in ('over@example.com', 'o2@example.com') or email = $1", "-").await;
        assert_eq!(stored, 0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        for email in ["over@example.com", "o2@example.com"] {
            assert!(link_tokens(&server.mail_dir(), email, "/invitations").is_empty(), "{email}");
        }
        // An hour later (moved back in the database), the org may invite again.
        db_execute(&server, "update invitations set created_at = created_at - 3700000 where org_id = $1", &acme.id).await;
        assert_eq!(invite(&deputy, &acme.id, "over@example.com").await.status, StatusCode::ACCEPTED);
    }

    async fn a_pre_claimed_address_cannot_join_and_its_owner_takes_it_back(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        // Someone registers the new hire's address first, and even turns on TOTP.
        let squatter = fixtures::unverified_user(&server, "hire").await;
        enable_totp(&squatter).await;
        fixtures::invite(&owner, &org.id, "hire@example.com", OrgRole::Member).await;
        // The invitation and the verification link go to the hire's mailbox, not to the
        // squatter; without them the squatter cannot join.
        let invitation = wait_for_link(&squatter.mail_dir, "hire@example.com", "/invitations", &[]).await;
        let verification = wait_for_link(&squatter.mail_dir, "hire@example.com", "/verify-email", &[]).await;
        let forged = call(&squatter.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": "atr_i_guess"}))).await;
        assert_eq!(forged.status, StatusCode::NOT_FOUND);
        // The hire clicking the verification link ("what is this?") verifies nothing.
        let clicked = call(&server.client(), Method::POST, "/api/v1/auth/verify-email", Some(json!({"token": verification}))).await;
        assert_eq!(clicked.status, StatusCode::UNAUTHORIZED);
        assert!(!me(&squatter).await.email_verified);

        // The hire takes the address back with a password reset: the squatter's sessions end,
        // their second factor goes, and the address counts as verified.
        let anonymous = server.client();
        let reset = call(&anonymous, Method::POST, "/api/v1/auth/password-reset", Some(json!({"email": "hire@example.com"}))).await;
        assert_eq!(reset.status, StatusCode::ACCEPTED);
        let token = wait_for_link(&squatter.mail_dir, "hire@example.com", "/reset-password", &[]).await;
        let new_password = "the hire's own passphrase";
        let done = call(&anonymous, Method::POST, "/api/v1/auth/password-reset/confirm", Some(json!({"token": token, "password": new_password}))).await;
        assert_eq!(done.status, StatusCode::NO_CONTENT);
        assert_eq!(call(&squatter.client, Method::GET, "/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
        let login = login(&server, &from([127, 0, 0, 1]), "hire@example.com", new_password, None).await;
        assert_eq!(login.status, StatusCode::OK, "no second factor of the squatter's is asked: {login:?}");
        let hire = TestUser {
            user: serde_json::from_value(login.body["user"].clone()).unwrap(),
            token: login.body["token"].as_str().unwrap().to_owned(),
            client: server.client().with_token(login.body["token"].as_str().unwrap()),
            mail_dir: server.mail_dir(),
        };
        let me_now = me(&hire).await;
        assert!(me_now.email_verified && !me_now.totp_enabled);
        assert_eq!(fixtures::accept_invitation(&hire, &invitation).await.id, org.id);
    }

    async fn an_orgs_audit_log_shows_only_that_orgs_events(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let member = fixtures::user(&server, "member").await;
        let acme = fixtures::create_org(&owner, "Acme").await;
        let elsewhere = fixtures::create_org(&member, "Elsewhere").await;
        // Before joining: log-ins (one failed) from a recognisable user agent.
        let agent = reqwest::Client::builder().user_agent("Member-Laptop/1.0").build().unwrap();
        for password in ["wrong password here", PASSWORD] {
            login(&server, &agent, "member@example.com", password, None).await;
        }
        fixtures::add_org_member(&owner, &acme.id, &member, OrgRole::Member).await;
        // After joining: more log-ins and account events that belong to no organisation.
        login(&server, &agent, "member@example.com", "another wrong one", None).await;
        login(&server, &agent, "member@example.com", PASSWORD, None).await;
        let _: Value = member.client.post("/api/v1/me/tokens", &json!({"name": "laptop"})).await.unwrap();
        let _: Value = member.client.post("/api/v1/orgs", &json!({"name": "Side project"})).await.unwrap();
        assert!(audit_count(&server, "login.success").await >= 2 && audit_count(&server, "login.failure").await >= 2);

        let entries: Page<AuditEntry> = owner.client.get(&format!("/api/v1/orgs/{}/audit?limit=100", acme.id)).await.unwrap();
        assert!(entries.items.iter().all(|e| e.org_id.as_deref() == Some(acme.id.as_str())), "{:?}", entries.items);
        assert!(entries.items.iter().all(|e| e.user_agent.as_deref() != Some("Member-Laptop/1.0")));
        let mut actions: Vec<&str> = entries.items.iter().map(|e| e.action.as_str()).collect();
        actions.sort_unstable();
        assert_eq!(actions, ["invitation.accepted", "member.invited", "org.created"]);
        for filter in ["action=login.success", "action=login.failure", "action=token.created", "action=org.created&actor=", "actor="] {
            let query = if filter.ends_with('=') { format!("{filter}{}", member.id()) } else { filter.to_owned() };
            let page: Page<AuditEntry> = owner.client.get(&format!("/api/v1/orgs/{}/audit?{query}", acme.id)).await.unwrap();
            let leaked: Vec<&str> = page.items.iter().filter(|e| e.action != "invitation.accepted").map(|e| e.action.as_str()).collect();
            assert!(leaked.is_empty(), "{query}: {leaked:?}");
        }
        // The member's own organisation has its own log; Acme's events are not in it.
        let theirs: Page<AuditEntry> = member.client.get(&format!("/api/v1/orgs/{}/audit?limit=100", elsewhere.id)).await.unwrap();
        assert!(theirs.items.iter().all(|e| e.org_id.as_deref() == Some(elsewhere.id.as_str())));
        assert_eq!(theirs.items.len(), 1, "{:?}", theirs.items);
    }

    async fn failed_log_ins_back_off_by_address_and_account_never_for_the_owner_elsewhere(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_LOGIN_ACCOUNT_FAILURES", "3")
            .env("ATRIUM_LOGIN_ADDRESS_FAILURES", "8")
            .start()
            .await;
        fixtures::user(&server, "victim").await;
        fixtures::user(&server, "third").await;
        let attacker = from([127, 0, 0, 3]);
        let prober = from([127, 0, 0, 4]);
        let failures_before = audit_count(&server, "login.failure").await;

        // A known and an unknown address, each from its own place: the same answers, step by
        // step — 401 for the free failures and the one that starts the back-off, then 429.
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for _ in 0..6 {
            known.push(login(&server, &attacker, "victim@example.com", "guess guess guess", None).await);
            unknown.push(login(&server, &prober, "nobody@example.com", "guess guess guess", None).await);
        }
        let shape = |answers: &[Answer]| -> Vec<(StatusCode, bool, Value)> {
            // Seconds in a wait may differ by one between two runs of the clock; the rest may not.
            answers.iter().map(|a| {
                let mut body = a.body.clone();
                if let Some(message) = body["error"]["message"].as_str() {
                    body["error"]["message"] = json!(message.replace(|c: char| c.is_ascii_digit(), "#"));
                }
                (a.status, a.retry_after.is_some(), body)
            }).collect()
        };
        assert_eq!(shape(&known), shape(&unknown), "known and unknown addresses are answered alike");
        let statuses: Vec<u16> = known.iter().map(|a| a.status.as_u16()).collect();
        assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
        let held = &known[4];
        assert_eq!(held.code(), "login_throttled");
        assert!(held.retry_after.is_some_and(|s| (1..=30).contains(&s)), "{held:?}");
        assert!(held.body["error"]["message"].as_str().unwrap().contains("try again in"));
        // Refused attempts are not checked at all (no failure rows, no hashing): a flood of
        // them costs the server little CPU, where each checked one hashes a password (19 MiB
        // argon2id, tens of milliseconds).
        let cpu_before = atrium_tests::bench::cpu_seconds(server.pid());
        for _ in 0..150 {
            let answer = login(&server, &prober, "nobody@example.com", "guess guess guess", None).await;
            assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        }
        let cpu = atrium_tests::bench::cpu_seconds(server.pid()) - cpu_before;
        assert!(cpu < 2.0, "150 refused log-ins took {cpu:.2} s of server CPU");
        assert_eq!(audit_count(&server, "login.failure").await - failures_before, 8);

        // Even the right password is held back at that place; the owner elsewhere logs in.
        let right_there = login(&server, &attacker, "victim@example.com", PASSWORD, None).await;
        assert_eq!(right_there.status, StatusCode::TOO_MANY_REQUESTS);
        let elsewhere = login(&server, &from([127, 0, 0, 5]), "victim@example.com", PASSWORD, None).await;
        assert_eq!(elsewhere.status, StatusCode::OK, "the owner is never locked out from another place");
        let other_account = login(&server, &attacker, "third@example.com", PASSWORD, None).await;
        assert_eq!(other_account.status, StatusCode::OK, "the attacker's place may still use other accounts");

        // The back-off doubles with each further failure.
        db_execute(&server, "update login_throttles set blocked_until = 0 where scope = $1", "account").await;
        assert_eq!(login(&server, &attacker, "victim@example.com", "guess again", None).await.status, StatusCode::UNAUTHORIZED);
        let doubled = login(&server, &attacker, "victim@example.com", "guess again", None).await;
        assert_eq!(doubled.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(doubled.retry_after.is_some_and(|s| (31..=60).contains(&s)), "{doubled:?}");

        // One place guessing many accounts backs off as a whole.
        let sprayer = from([127, 0, 0, 6]);
        let mut answers = Vec::new();
        for n in 0..9 {
            answers.push(login(&server, &sprayer, &format!("user{n}@example.com"), "guess", None).await.status.as_u16());
        }
        assert_eq!(answers, [401; 9], "eight free failures, the ninth starts the back-off");
        let fresh_account = login(&server, &sprayer, "third@example.com", PASSWORD, None).await;
        assert_eq!((fresh_account.status, fresh_account.code()), (StatusCode::TOO_MANY_REQUESTS, "login_throttled"));
        assert_eq!(login(&server, &from([127, 0, 0, 7]), "third@example.com", PASSWORD, None).await.status, StatusCode::OK);
        assert!(audit_count(&server, "login.throttled").await >= 4);
    }

    async fn an_unlock_link_lets_the_owner_in_where_an_attacker_is(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_LOGIN_ACCOUNT_FAILURES", "2")
            .env("ATRIUM_LOGIN_ADDRESS_FAILURES", "4")
            .start()
            .await;
        let ann = fixtures::user(&server, "ann").await;
        fixtures::user(&server, "bob").await;
        // Ann and the attacker share a network address (an office, a café).
        let shared = from([127, 0, 0, 9]);
        for _ in 0..3 {
            login(&server, &shared, "ann@example.com", "guessing", None).await;
        }
        for n in 0..3 {
            login(&server, &shared, &format!("someone{n}@example.com"), "guessing", None).await;
        }
        for _ in 0..5 {
            let held = login(&server, &shared, "ann@example.com", PASSWORD, None).await;
            assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
        }
        let unknown = login(&server, &shared, "someone0@example.com", "guessing", None).await;
        assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);

        // One unlock mail, however many attempts were refused; none for unknown addresses.
        let token = wait_for_link(&ann.mail_dir, "ann@example.com", "/unlock", &[]).await;
        assert!(token.starts_with("atr_u_"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(link_tokens(&ann.mail_dir, "ann@example.com", "/unlock").len(), 1);
        assert!(link_tokens(&ann.mail_dir, "someone0@example.com", "/unlock").is_empty());

        let anonymous = server.client();
        for garbage in ["atr_u_nope", ""] {
            let answer = call(&anonymous, Method::POST, "/api/v1/auth/unlock", Some(json!({"token": garbage}))).await;
            assert_eq!((answer.status, answer.code()), (StatusCode::BAD_REQUEST, "invalid_token"));
        }
        let opened = call(&anonymous, Method::POST, "/api/v1/auth/unlock", Some(json!({"token": token}))).await;
        assert_eq!((opened.status, opened.body["email"].as_str()), (StatusCode::OK, Some("ann@example.com")));
        // The shared address is still held back as a whole: only the token passes it.
        assert_eq!(login(&server, &shared, "ann@example.com", PASSWORD, None).await.status, StatusCode::TOO_MANY_REQUESTS);
        let misused = login(&server, &shared, "bob@example.com", PASSWORD, Some(&token)).await;
        assert_eq!(misused.status, StatusCode::TOO_MANY_REQUESTS, "a token unlocks its own account only");
        let wrong = login(&server, &shared, "ann@example.com", "still guessing", Some(&token)).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let inside = login(&server, &shared, "ann@example.com", PASSWORD, Some(&token)).await;
        assert_eq!(inside.status, StatusCode::OK, "{inside:?}");
        let spent = login(&server, &shared, "ann@example.com", PASSWORD, Some(&token)).await;
        assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS, "the link works once");

        // A few wrong passwords spend a link: it is no way around the throttle for guessing.
        db_execute(&server, "update login_unlocks set slot = slot - 1 where user_id = $1", ann.id()).await;
        assert_eq!(login(&server, &shared, "ann@example.com", PASSWORD, None).await.status, StatusCode::TOO_MANY_REQUESTS);
        let second = wait_for_link(&ann.mail_dir, "ann@example.com", "/unlock", std::slice::from_ref(&token)).await;
        for _ in 0..5 {
            assert_eq!(login(&server, &shared, "ann@example.com", "guessing on", Some(&second)).await.status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(login(&server, &shared, "ann@example.com", PASSWORD, Some(&second)).await.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(link_tokens(&ann.mail_dir, "ann@example.com", "/unlock").len(), 2);
        // Bob's log-in was held back at the shared address too: he got a link of his own.
        assert_eq!(audit_count(&server, "login.unlock_sent").await, 3);
        assert_eq!(audit_count(&server, "login.unlocked").await, 1);
    }

    async fn a_totp_code_logs_in_once(backend) {
        // Refused codes count as failed log-ins; the race below must not meet the throttle.
        let server = TestServer::builder(backend).env("ATRIUM_LOGIN_ACCOUNT_FAILURES", "100").start().await;
        let ann = fixtures::user(&server, "ann").await;
        let secret = enable_totp(&ann).await;
        let anonymous = server.client();
        let with_code = |code: String| json!({"email": "ann@example.com", "password": PASSWORD, "totp": code});
        // The code that confirmed enrolment is used up.
        let enrolment_code = call(&anonymous, Method::POST, "/api/v1/auth/login", Some(with_code(fixtures::totp_code_at(&secret, 0)))).await;
        assert_eq!((enrolment_code.status, enrolment_code.code()), (StatusCode::UNAUTHORIZED, "invalid_totp"));
        // The next step's code (within the accepted skew) works once.
        let next = fixtures::totp_code_at(&secret, 1);
        assert_eq!(call(&anonymous, Method::POST, "/api/v1/auth/login", Some(with_code(next.clone()))).await.status, StatusCode::OK);
        let replay = call(&anonymous, Method::POST, "/api/v1/auth/login", Some(with_code(next.clone()))).await;
        assert_eq!((replay.status, replay.code()), (StatusCode::UNAUTHORIZED, "invalid_totp"));
        // An earlier step, still within the skew, is refused too.
        let earlier = call(&anonymous, Method::POST, "/api/v1/auth/login", Some(with_code(fixtures::totp_code_at(&secret, -1)))).await;
        assert_eq!(earlier.status, StatusCode::UNAUTHORIZED);

        // Raced: of concurrent log-ins with one fresh code, exactly one gets in.
        db_execute(&server, "update users set totp_last_step = null where id = $1", ann.id()).await;
        let code = fixtures::totp_code_at(&secret, 1);
        let attempts = (0..6).map(|_| {
            let (client, body) = (anonymous.clone(), with_code(code.clone()));
            tokio::spawn(async move { call(&client, Method::POST, "/api/v1/auth/login", Some(body)).await.status })
        });
        let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED));
    }

    async fn a_reset_link_ends_the_others_and_every_session(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let laptop = fixtures::login(&server, "ann@example.com").await;
        let api_token: Value = ann.client.post("/api/v1/me/tokens", &json!({"name": "ci"})).await.unwrap();
        let program = server.client().with_token(api_token["token"].as_str().unwrap());
        let anonymous = server.client();
        let ask = || call(&anonymous, Method::POST, "/api/v1/auth/password-reset", Some(json!({"email": "ann@example.com"})));
        let confirm = |token: &str, password: &str| call(&anonymous, Method::POST, "/api/v1/auth/password-reset/confirm", Some(json!({"token": token, "password": password})));

        // Asking for a new link ends the earlier one.
        assert_eq!(ask().await.status, StatusCode::ACCEPTED);
        let first = wait_for_link(&ann.mail_dir, "ann@example.com", "/reset-password", &[]).await;
        assert_eq!(ask().await.status, StatusCode::ACCEPTED);
        let second = wait_for_link(&ann.mail_dir, "ann@example.com", "/reset-password", std::slice::from_ref(&first)).await;
        let refused = confirm(&first, "a fresh passphrase one").await;
        assert_eq!((refused.status, refused.code()), (StatusCode::BAD_REQUEST, "invalid_token"));

        // Using one ends every other (here one revived in the database, as a link sent before
        // this rule would be).
        assert_eq!(ask().await.status, StatusCode::ACCEPTED);
        let third = wait_for_link(&ann.mail_dir, "ann@example.com", "/reset-password", &[first.clone(), second.clone()]).await;
        db_execute(&server, "update password_resets set used_at = null where user_id = $1", ann.id()).await;
        let weak = confirm(&third, "short").await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY, "a refused password leaves the links as they were");
        assert_eq!(call(&ann.client, Method::GET, "/api/v1/me", None).await.status, StatusCode::OK);
        assert_eq!(confirm(&third, "a fresh passphrase two").await.status, StatusCode::NO_CONTENT);
        for other in [&first, &second] {
            assert_eq!(confirm(other, "a fresh passphrase three").await.code(), "invalid_token");
        }
        assert_eq!(db_count(&server, "select count(*) from password_resets where user_id = $1 and used_at is null", ann.id()).await, 0);

        // Every session and API token of the account ended.
        for client in [&ann.client, &laptop.client, &program] {
            assert_eq!(call(client, Method::GET, "/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
        }
        let fresh = login(&server, &from([127, 0, 0, 1]), "ann@example.com", "a fresh passphrase two", None).await;
        assert_eq!(fresh.status, StatusCode::OK);
    }
}
