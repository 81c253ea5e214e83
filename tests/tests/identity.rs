//! Identity and tenancy through HTTP: accounts, sessions and tokens, TOTP, password reset,
//! organisations, projects, roles, rate limits, CSRF and the audit log.

use std::path::Path;

use atrium_client::ClientError;
use atrium_client::wire::{
    AddProjectMemberRequest, AuditEntry, ChangeRoleRequest, CreatedToken, LoginRequest,
    LoginResponse, Me, Org, OrgRole, Page, Project, ProjectRole, RecoveryCodes, TotpEnrolment,
    Visibility,
};
use atrium_tests::fixtures::{self, PASSWORD, call_json as call};
use atrium_tests::mail::{self, wait_for_mail};
use atrium_tests::{TestServer, backend_tests, services};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn audit_actions(db_url: &str, action: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("select count(*) from audit_log where action = $1")
        .bind(action)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

async fn execute(db_url: &str, sql: &'static str, value: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    sqlx::query(sql).bind(value).execute(&pool).await.unwrap();
    pool.close().await;
}

/// The token in a mail's link `…{path}?token=…`.
fn token_from_mail(mail: &str, path: &str) -> String {
    mail::token_in(mail, path).unwrap_or_else(|| panic!("no {path} link in:\n{mail}"))
}

fn totp_code(secret: &str) -> String {
    fixtures::totp_code_at(secret, 0)
}

backend_tests! {
    async fn journey_roles_and_tenant_isolation(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let viewer = fixtures::user(&server, "viewer").await;
        let outsider = fixtures::user(&server, "outsider").await;

        let org = fixtures::create_org(&owner, "Acme").await;
        assert_eq!(org.role, OrgRole::Owner);
        let project = fixtures::create_project(&owner, &org.id, "Launch", Visibility::Open).await;
        assert_eq!(project.role, ProjectRole::Manager);
        let secret = fixtures::create_project(&owner, &org.id, "Secret", Visibility::Private).await;

        // The second user is invited (by their address, in another case), accepts, and is made
        // a viewer of the project.
        let invitation = fixtures::invite(&owner, &org.id, "Viewer@example.com", OrgRole::Member).await;
        assert_eq!(invitation.email, "viewer@example.com");
        let token = mail::wait_for_link(&viewer.mail_dir, "viewer@example.com", "/invitations", &[]).await;
        let joined = fixtures::accept_invitation(&viewer, &token).await;
        assert_eq!((joined.id.as_str(), joined.role), (org.id.as_str(), OrgRole::Member));
        let _: Value = owner.client.post(&format!("/api/v1/projects/{}/members", project.id), &AddProjectMemberRequest { user_id: viewer.id().to_owned(), role: ProjectRole::Viewer }).await.unwrap();

        let me: Me = viewer.client.get("/api/v1/me").await.unwrap();
        assert_eq!(me.orgs.len(), 1);
        assert_eq!(me.orgs[0].role, OrgRole::Member);

        // The viewer reads, and every write is a 403.
        let seen: Project = viewer.client.get(&format!("/api/v1/projects/{}", project.id)).await.unwrap();
        assert_eq!(seen.role, ProjectRole::Viewer);
        let listed: Page<Project> = viewer.client.get(&format!("/api/v1/orgs/{}/projects", org.id)).await.unwrap();
        assert_eq!(listed.items.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Launch"], "private projects stay hidden");
        let p = &project.id;
        for (method, path, body) in [
            (Method::PATCH, format!("/api/v1/projects/{p}"), json!({"name": "Renamed"})),
            (Method::POST, format!("/api/v1/projects/{p}/members"), json!({"user_id": viewer.id(), "role": "manager"})),
            (Method::DELETE, format!("/api/v1/projects/{p}/members/{}", owner.id()), json!({})),
            (Method::POST, format!("/api/v1/orgs/{}/members", org.id), json!({"email": "x@example.com", "role": "admin"})),
            (Method::PATCH, format!("/api/v1/orgs/{}/members/{}", org.id, owner.id()), json!({"role": "viewer"})),
            (Method::GET, format!("/api/v1/orgs/{}/audit", org.id), json!({})),
        ] {
            let (status, body) = call(&viewer.client, method.clone(), &path, Some(body)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
            assert_eq!(body["error"]["code"], "forbidden");
        }
        let (status, _) = call(&viewer.client, Method::GET, &format!("/api/v1/projects/{}", secret.id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a private project is invisible to non-members");
        let unchanged: Project = owner.client.get(&format!("/api/v1/projects/{p}")).await.unwrap();
        assert_eq!(unchanged.name, "Launch");

        // A user of another organisation gets 404 on every route of this one.
        fixtures::create_org(&outsider, "Other").await;
        let (o, p, s, u) = (&org.id, &project.id, &secret.id, owner.id());
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/orgs/{o}/members"), None),
            (Method::POST, format!("/api/v1/orgs/{o}/members"), Some(json!({"email": "outsider@example.com", "role": "owner"}))),
            (Method::PATCH, format!("/api/v1/orgs/{o}/members/{u}"), Some(json!({"role": "viewer"}))),
            (Method::DELETE, format!("/api/v1/orgs/{o}/members/{u}"), None),
            (Method::GET, format!("/api/v1/orgs/{o}/audit"), None),
            (Method::GET, format!("/api/v1/orgs/{o}/projects"), None),
            (Method::POST, format!("/api/v1/orgs/{o}/projects"), Some(json!({"name": "Mine now"}))),
            (Method::GET, format!("/api/v1/projects/{p}"), None),
            (Method::PATCH, format!("/api/v1/projects/{p}"), Some(json!({"name": "Mine"}))),
            (Method::GET, format!("/api/v1/projects/{p}/members"), None),
            (Method::POST, format!("/api/v1/projects/{p}/members"), Some(json!({"user_id": outsider.id(), "role": "manager"}))),
            (Method::DELETE, format!("/api/v1/projects/{p}/members/{u}"), None),
            (Method::GET, format!("/api/v1/projects/{s}"), None),
        ] {
            let (status, body) = call(&outsider.client, method.clone(), &path, body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        }
        let members: Page<Value> = owner.client.get(&format!("/api/v1/orgs/{o}/members")).await.unwrap();
        assert_eq!(members.items.len(), 2, "the outsider changed nothing");

        // Org viewers cannot create projects; guests see only what they are added to.
        let _: Value = owner.client.send(owner.client.request(Method::PATCH, &format!("/api/v1/orgs/{o}/members/{}", viewer.id())).json(&ChangeRoleRequest { role: Some(OrgRole::Guest), roles: None, manager: None })).await.unwrap();
        let listed: Page<Project> = viewer.client.get(&format!("/api/v1/orgs/{o}/projects")).await.unwrap();
        assert_eq!(listed.items.len(), 1, "the guest still has the project they were added to");
        let (status, _) = call(&viewer.client, Method::POST, &format!("/api/v1/orgs/{o}/projects"), Some(json!({"name": "x"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    async fn last_owner_stays_and_members_are_managed(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "boss").await;
        let admin = fixtures::user(&server, "deputy").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        fixtures::add_org_member(&owner, &org.id, &admin, OrgRole::Admin).await;

        let path = format!("/api/v1/orgs/{}/members/{}", org.id, owner.id());
        let (status, body) = call(&owner.client, Method::DELETE, &path, None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("last_owner")));
        let (status, _) = call(&owner.client, Method::PATCH, &path, Some(json!({"role": "member"}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = call(&admin.client, Method::PATCH, &path, Some(json!({"role": "member"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "admins cannot demote owners");

        // With a second owner, the first may step down.
        let (status, _) = call(&owner.client, Method::PATCH, &format!("/api/v1/orgs/{}/members/{}", org.id, admin.id()), Some(json!({"role": "owner"}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(&owner.client, Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&owner.client, Method::GET, &format!("/api/v1/orgs/{}/members", org.id), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let audit: Page<AuditEntry> = admin.client.get(&format!("/api/v1/orgs/{}/audit?limit=2", org.id)).await.unwrap();
        assert_eq!(audit.items[0].action, "member.removed");
        assert_eq!(audit.items[1].action, "member.role_changed");
        let next = audit.next.expect("more entries");
        let older: Page<AuditEntry> = admin.client.get(&format!("/api/v1/orgs/{}/audit?limit=50&cursor={next}", org.id)).await.unwrap();
        assert!(older.items.iter().any(|e| e.action == "org.created"));
        assert!(older.items.iter().all(|e| e.created_at <= audit.items[1].created_at));
        let filtered: Page<AuditEntry> = admin.client.get(&format!("/api/v1/orgs/{}/audit?action=invitation.accepted", org.id)).await.unwrap();
        assert_eq!(filtered.items.len(), 1);
        assert_eq!(filtered.items[0].actor_id.as_deref(), Some(admin.id()));
        let (status, _) = call(&admin.client, Method::GET, &format!("/api/v1/orgs/{}/audit?cursor=garbage", org.id), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    async fn credentials_are_checked_and_rejections_audited(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let org = fixtures::create_org(&ann, "Acme").await;
        let anonymous = server.client();

        let wrong = anonymous.post::<_, Value>("/api/v1/auth/login", &LoginRequest { email: "ann@example.com".into(), password: "not the password".into(), totp: None, unlock: None }).await.unwrap_err();
        assert_eq!((wrong.status(), wrong.code()), (Some(StatusCode::UNAUTHORIZED), Some("invalid_credentials")));
        let unknown = anonymous.post::<_, Value>("/api/v1/auth/login", &LoginRequest { email: "nobody@example.com".into(), password: PASSWORD.into(), totp: None, unlock: None }).await.unwrap_err();
        assert_eq!(unknown.code(), Some("invalid_credentials"), "the same answer whether or not the address exists");
        // Both are in the audit log, with the address; a log-in belongs to no organisation, so
        // the org's log does not show it (tests/tests/accounts.rs covers that in depth).
        let audit: Page<AuditEntry> = ann.client.get(&format!("/api/v1/orgs/{}/audit?action=login.failure", org.id)).await.unwrap();
        assert_eq!(audit.items.len(), 0, "a member's log-ins stay out of the org audit");
        assert_eq!(audit_actions(server.database_url(), "login.failure").await, 2);

        // API tokens: created, used, listed, revoked.
        let created: CreatedToken = ann.client.post("/api/v1/me/tokens", &json!({"name": "ci"})).await.unwrap();
        assert!(created.token.starts_with("atr_p_"));
        let program = server.client().with_token(&created.token);
        let me: Me = program.get("/api/v1/me").await.unwrap();
        assert_eq!(me.user.id, ann.id());
        let listed: Page<Value> = ann.client.get("/api/v1/me/tokens").await.unwrap();
        assert_eq!(listed.items.len(), 1);
        assert!(listed.items[0].get("token").is_none(), "secrets are never listed");
        let (status, _) = call(&ann.client, Method::DELETE, &format!("/api/v1/me/tokens/{}", created.info.id), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(status_of(program.get::<Value>("/api/v1/me").await), StatusCode::UNAUTHORIZED);
        assert_eq!(audit_actions(server.database_url(), "auth.credential_rejected").await, 1);

        // Forged and expired cookies.
        let http = reqwest::Client::new();
        let forged = http.get(format!("{}/api/v1/me", server.url())).header("cookie", "atrium_session=atr_s_forged").send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
        let session = fixtures::user(&server, "bea").await;
        execute(server.database_url(), "update auth_tokens set expires_at = 1 where user_id = $1", session.id()).await;
        // Written behind the server's back: the node may reuse the credential's last lookup for
        // up to a second (the sign-up just used it; `auth::remembered`), as it does for changes
        // made on other nodes.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let expired = http.get(format!("{}/api/v1/me", server.url())).header("cookie", format!("atrium_session={}", session.token)).send().await.unwrap();
        assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(audit_actions(server.database_url(), "auth.credential_rejected").await, 3);

        // Log-out ends the session.
        let (status, _) = call(&ann.client, Method::POST, "/api/v1/auth/logout", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(status_of(ann.client.get::<Value>("/api/v1/me").await), StatusCode::UNAUTHORIZED);
    }

    async fn totp_enrol_require_recover_disable(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let enrolment: TotpEnrolment = ann.client.post("/api/v1/me/totp", &json!({})).await.unwrap();
        assert!(enrolment.otpauth_url.starts_with("otpauth://totp/"));
        let wrong = ann.client.post::<_, Value>("/api/v1/me/totp/confirm", &json!({"code": "000000"})).await;
        if totp_code(&enrolment.secret) != "000000" {
            assert_eq!(status_of(wrong), StatusCode::UNAUTHORIZED);
        }
        let codes: RecoveryCodes = ann.client.post("/api/v1/me/totp/confirm", &json!({"code": totp_code(&enrolment.secret)})).await.unwrap();
        assert_eq!(codes.recovery_codes.len(), 10);
        let me: Me = ann.client.get("/api/v1/me").await.unwrap();
        assert!(me.totp_enabled);

        let anonymous = server.client();
        let login = |totp: Option<String>| LoginRequest { email: "ann@example.com".into(), password: PASSWORD.into(), totp, unlock: None };
        let missing = anonymous.post::<_, Value>("/api/v1/auth/login", &login(None)).await.unwrap_err();
        assert_eq!(missing.code(), Some("totp_required"));
        let bad = if totp_code(&enrolment.secret) == "123456" { "654321" } else { "123456" };
        let wrong = anonymous.post::<_, Value>("/api/v1/auth/login", &login(Some(bad.into()))).await.unwrap_err();
        assert_eq!(wrong.code(), Some("invalid_totp"));
        assert_eq!(audit_actions(server.database_url(), "login.failure").await, 1);
        // The code that confirmed enrolment is used up; the next step's code (within the
        // accepted skew) logs in.
        let ok: LoginResponse = anonymous.post("/api/v1/auth/login", &login(Some(fixtures::totp_code_at(&enrolment.secret, 1)))).await.unwrap();
        assert_eq!(ok.user.id, ann.id());

        let recovery = codes.recovery_codes[3].to_uppercase();
        let _: LoginResponse = anonymous.post("/api/v1/auth/login", &login(Some(recovery.clone()))).await.unwrap();
        let reused = anonymous.post::<_, Value>("/api/v1/auth/login", &login(Some(recovery))).await.unwrap_err();
        assert_eq!(reused.code(), Some("invalid_totp"), "recovery codes work once");

        let (status, _) = call(&ann.client, Method::DELETE, "/api/v1/me/totp", Some(json!({"password": "wrong password!"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&ann.client, Method::DELETE, "/api/v1/me/totp", Some(json!({"password": PASSWORD}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let _: LoginResponse = anonymous.post("/api/v1/auth/login", &login(None)).await.unwrap();
        for action in ["totp.enabled", "totp.disabled", "totp.rejected"] {
            assert!(audit_actions(server.database_url(), action).await >= 1, "{action}");
        }
    }

    async fn password_reset_mail_arrives_over_smtp_and_works_once(backend) {
        let server = TestServer::builder(backend)
            .env("ATRIUM_SMTP_URL", services::required_env("ATRIUM_TEST_SMTP_URL"))
            .env("ATRIUM_PUBLIC_URL", "https://atrium.example")
            .start()
            .await;
        let handle = format!("reset{}", uuid::Uuid::now_v7().simple());
        let user = fixtures::user(&server, &handle).await;
        let email = format!("{handle}@example.com");
        let anonymous = server.client();
        for address in [email.as_str(), "nobody-here@example.com"] {
            let response = anonymous.request(Method::POST, "/api/v1/auth/password-reset").json(&json!({"email": address})).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::ACCEPTED, "the same answer for {address}");
        }
        let mail_dir = services::required_env("ATRIUM_TEST_SMTP_DIR");
        let token = mail::wait_for_link(Path::new(&mail_dir), &email, "/reset-password", &[]).await;
        let mails = mail::mails_to(Path::new(&mail_dir), &email);
        assert!(mails.iter().any(|m| m.contains("https://atrium.example/reset-password?token=")), "{mails:?}");

        let weak = anonymous.request(Method::POST, "/api/v1/auth/password-reset/confirm").json(&json!({"token": token, "password": "short"})).send().await.unwrap();
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY, "a refused password leaves the token usable");
        let new_password = "a brand new passphrase";
        let done = anonymous.request(Method::POST, "/api/v1/auth/password-reset/confirm").json(&json!({"token": token, "password": new_password})).send().await.unwrap();
        assert_eq!(done.status(), StatusCode::NO_CONTENT);
        let again = anonymous.request(Method::POST, "/api/v1/auth/password-reset/confirm").json(&json!({"token": token, "password": "another new passphrase"})).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "the link works once");

        assert_eq!(status_of(user.client.get::<Value>("/api/v1/me").await), StatusCode::UNAUTHORIZED, "every session was revoked");
        let old = anonymous.post::<_, Value>("/api/v1/auth/login", &LoginRequest { email: email.clone(), password: PASSWORD.into(), totp: None, unlock: None }).await;
        assert_eq!(status_of(old), StatusCode::UNAUTHORIZED);
        let _: LoginResponse = anonymous.post("/api/v1/auth/login", &LoginRequest { email: email.clone(), password: new_password.into(), totp: None, unlock: None }).await.unwrap();

        // An expired token is refused too.
        let response = anonymous.request(Method::POST, "/api/v1/auth/password-reset").json(&json!({"email": email})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        execute(server.database_url(), "update password_resets set expires_at = 1 where user_id = $1 and used_at is null", user.id()).await;
        let second = mail::wait_for_link(Path::new(&mail_dir), &email, "/reset-password", std::slice::from_ref(&token)).await;
        let expired = anonymous.request(Method::POST, "/api/v1/auth/password-reset/confirm").json(&json!({"token": second, "password": "yet another passphrase"})).send().await.unwrap();
        assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
        assert_eq!(audit_actions(server.database_url(), "password_reset.rejected").await, 2);
    }

    async fn invitations_by_email_work_once_for_the_invited_address(backend) {
        let server = TestServer::start(backend).await;
        let owner = fixtures::user(&server, "owner").await;
        let org = fixtures::create_org(&owner, "Acme").await;
        let invitation = fixtures::invite(&owner, &org.id, "newcomer@example.com", OrgRole::Member).await;
        assert_eq!(invitation.email, "newcomer@example.com");
        let mail = wait_for_mail(&server.data_dir().join("outbox"), "newcomer@example.com").await;
        let token = token_from_mail(&mail, "/invitations");

        let stranger = fixtures::user(&server, "stranger").await;
        let (status, _) = call(&stranger.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": token}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the invited address may accept");

        let newcomer = fixtures::user(&server, "newcomer").await;
        let joined: Org = newcomer.client.post("/api/v1/invitations/accept", &json!({"token": token})).await.unwrap();
        assert_eq!((joined.id.as_str(), joined.role), (org.id.as_str(), OrgRole::Member));
        let (status, _) = call(&newcomer.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": token}))).await;
        assert_eq!(status, StatusCode::GONE);
        let (status, _) = call(&newcomer.client, Method::POST, "/api/v1/invitations/accept", Some(json!({"token": "atr_i_nope"}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn csrf_and_security_headers(backend) {
        let server = TestServer::start(backend).await;
        let ann = fixtures::user(&server, "ann").await;
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1/orgs", server.url());
        let cookie = format!("atrium_session={}", ann.token);

        let no_origin = http.post(&url).header("cookie", &cookie).json(&json!({"name": "A"})).send().await.unwrap();
        assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
        let evil = http.post(&url).header("cookie", &cookie).header("origin", "https://evil.example").json(&json!({"name": "A"})).send().await.unwrap();
        assert_eq!(evil.status(), StatusCode::FORBIDDEN);
        let own = http.post(&url).header("cookie", &cookie).header("origin", server.url()).json(&json!({"name": "A"})).send().await.unwrap();
        assert_eq!(own.status(), StatusCode::CREATED);
        let orgs: Page<Org> = ann.client.get("/api/v1/orgs").await.unwrap();
        assert_eq!(orgs.items.len(), 1, "refused requests changed nothing");

        let login = http.post(format!("{}/api/v1/auth/login", server.url())).json(&json!({"email": "ann@example.com", "password": PASSWORD})).send().await.unwrap();
        let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax") && !set_cookie.contains("Secure"), "{set_cookie}");
        let headers = login.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(headers.get("access-control-allow-origin").is_none(), "CORS is closed by default");
    }

    async fn rapid_failed_logins_are_rate_limited_per_address(backend) {
        // The generic per-address limit on credential routes, and the log-in throttle (of this
        // address and this account) behind it; neither reaches the owner at another address.
        let server = TestServer::builder(backend).env("ATRIUM_AUTH_RATE_PER_MINUTE", "10").start().await;
        let client = server.client();
        for handle in ["target", "bystander"] {
            client.signup(&atrium_client::wire::SignupRequest { email: format!("{handle}@example.com"), password: PASSWORD.into(), name: handle.into(), handle: None }).await.unwrap();
        }
        let attacker = reqwest::Client::new();
        let mut limited = 0;
        for _ in 0..30 {
            let response = attacker.post(format!("{}/api/v1/auth/login", server.url())).json(&json!({"email": "target@example.com", "password": "guessing wrong"})).send().await.unwrap();
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                assert!(response.headers().contains_key("retry-after"));
                let body: Value = response.json().await.unwrap();
                let code = body["error"]["code"].as_str().unwrap_or_default().to_owned();
                assert!(["rate_limited", "login_throttled"].contains(&code.as_str()), "{body}");
                limited += 1;
            } else {
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            }
        }
        assert!(limited >= 15, "only {limited} of 30 rapid attempts were limited");

        let elsewhere = reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 2])).build().unwrap();
        let response = elsewhere.post(format!("{}/api/v1/auth/login", server.url())).json(&json!({"email": "bystander@example.com", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "another address, another account: unaffected");

        // The attacked account is not locked for everyone: its owner logs in from another place.
        let response = elsewhere.post(format!("{}/api/v1/auth/login", server.url())).json(&json!({"email": "target@example.com", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "the owner elsewhere is not locked out");
        assert!(audit_actions(server.database_url(), "login.throttled").await >= 1);
    }
}

fn status_of<T>(result: Result<T, ClientError>) -> StatusCode {
    match result {
        Ok(_) => StatusCode::OK,
        Err(error) => error.status().expect("an HTTP status"),
    }
}
