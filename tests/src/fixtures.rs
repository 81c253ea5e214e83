//! Ready-made actors and steps for tests: signed-up, verified, logged-in users with a client
//! carrying their token; organisations joined the real way (an e-mailed invitation, accepted);
//! projects, members and documents; a Yjs editor for updates.

use std::path::PathBuf;

use atrium_client::Client;
use atrium_client::wire::{
    AddMemberRequest, AddMemberResponse, AddProjectMemberRequest, Channel, CreateChannelRequest,
    CreateOrgRequest, CreateProjectRequest, Doc, Invitation, LoginRequest, LoginResponse, Org,
    OrgRole, PostMessageRequest, PostedMessage, Project, ProjectRole, SignupRequest, User,
    Visibility,
};

use crate::TestServer;
use crate::mail;

/// What sends a request: a bare client, or a user's.
pub trait Caller {
    fn client(&self) -> &Client;
}

impl Caller for Client {
    fn client(&self) -> &Client {
        self
    }
}

impl Caller for TestUser {
    fn client(&self) -> &Client {
        &self.client
    }
}

/// Sends a request with an optional JSON body; the status, and the body when it is JSON (else
/// `Null`).
pub async fn call_json(
    caller: &impl Caller,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = caller.client().request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// Creates a record of type `slug` in `org`; panics unless the answer is 201.
pub async fn create_record(
    user: &TestUser,
    org: &str,
    slug: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let (status, record) = call_json(
        user,
        reqwest::Method::POST,
        &format!("/api/v1/orgs/{org}/records/{slug}"),
        Some(body),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{slug}: {record}");
    record
}

/// Waits until the file's current version's text extraction is done, failed or skipped (at
/// most `within`); returns `GET /files/{file}/text`.
pub async fn extraction_finished(
    user: &TestUser,
    file: &str,
    within: std::time::Duration,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + within;
    loop {
        let text: serde_json::Value = user
            .client
            .get(&format!("/api/v1/files/{file}/text"))
            .await
            .unwrap();
        if !matches!(text["extraction"].as_str(), Some("pending" | "running")) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "extraction did not finish: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The password every fixture user gets.
pub const PASSWORD: &str = "correct horse battery staple 9";

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: User,
    pub token: String,
    /// A client sending the user's session token as a bearer token.
    pub client: Client,
    /// Where the server's mail to this user arrives.
    pub mail_dir: PathBuf,
}

impl TestUser {
    /// The user's id.
    pub fn id(&self) -> &str {
        &self.user.id
    }
}

/// Signs up `handle@example.com`, logs in, and verifies the address with the link from the
/// sign-up e-mail.
pub async fn user(server: &TestServer, handle: &str) -> TestUser {
    let user = unverified_user(server, handle).await;
    verify_email(&user).await;
    user
}

/// Signs up `handle@example.com` and logs in, leaving the address unverified.
pub async fn unverified_user(server: &TestServer, handle: &str) -> TestUser {
    let email = format!("{handle}@example.com");
    let anonymous = server.client();
    anonymous
        .signup(&SignupRequest {
            email: email.clone(),
            password: PASSWORD.to_owned(),
            name: handle.to_owned(),
            handle: None,
        })
        .await
        .unwrap_or_else(|e| panic!("signup of {email}: {e}"));
    login(server, &email).await
}

/// An account made by the operator command (`atrium admin create-user`: no verification
/// mail needed, for servers whose mail goes nowhere a test reads), logged in.
pub async fn operator_user(server: &TestServer, handle: &str) -> TestUser {
    use std::io::Write as _;
    let email = format!("{handle}@example.com");
    let mut child = server
        .command(&["admin", "create-user", "--email", &email, "--name", handle])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    login(server, &email).await
}

/// Logs in to an existing account (with the fixture password).
pub async fn login(server: &TestServer, email: &str) -> TestUser {
    let login: LoginResponse = server
        .client()
        .post(
            "/api/v1/auth/login",
            &LoginRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
                totp: None,
                unlock: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("login of {email}: {e}"));
    TestUser {
        user: login.user,
        client: server.client().with_token(&login.token),
        token: login.token,
        mail_dir: server.mail_dir(),
    }
}

/// Verifies the user's address with the newest verification link mailed to it.
pub async fn verify_email(user: &TestUser) {
    let token = mail::wait_for_link(&user.mail_dir, &user.user.email, "/verify-email", &[]).await;
    let _: serde_json::Value = user
        .client
        .post(
            "/api/v1/auth/verify-email",
            &serde_json::json!({ "token": token }),
        )
        .await
        .unwrap_or_else(|e| panic!("verifying {}: {e}", user.user.email));
}

/// Creates an organisation owned by `user`.
pub async fn create_org(user: &TestUser, name: &str) -> Org {
    user.client
        .post(
            "/api/v1/orgs",
            &CreateOrgRequest {
                name: name.to_owned(),
            },
        )
        .await
        .unwrap()
}

/// Creates a project in `org`.
pub async fn create_project(
    user: &TestUser,
    org: &str,
    name: &str,
    visibility: Visibility,
) -> Project {
    let body = CreateProjectRequest {
        name: name.to_owned(),
        description: None,
        visibility: Some(visibility),
        default_role: None,
        key: None,
    };
    user.client
        .post(&format!("/api/v1/orgs/{org}/projects"), &body)
        .await
        .unwrap()
}

/// Adds `member` to an organisation the real way: `owner` invites their address, and they
/// accept with the token from the invitation e-mail. Returns the organisation as the member
/// sees it.
pub async fn add_org_member(owner: &TestUser, org: &str, member: &TestUser, role: OrgRole) -> Org {
    let email = member.user.email.clone();
    let seen = mail::link_tokens(&member.mail_dir, &email, "/invitations");
    invite(owner, org, &email, role).await;
    let token = mail::wait_for_link(&member.mail_dir, &email, "/invitations", &seen).await;
    accept_invitation(member, &token).await
}

/// Invites `member` to `org` with `role` — a base role, or a business role (they join as
/// `member` holding it) — and accepts for them with the e-mailed token.
pub async fn join_as(owner: &TestUser, org: &str, member: &TestUser, role: &str) {
    let email = member.user.email.clone();
    let seen = mail::link_tokens(&member.mail_dir, &email, "/invitations");
    let (status, body) = call_json(
        owner,
        reqwest::Method::POST,
        &format!("/api/v1/orgs/{org}/members"),
        Some(serde_json::json!({"email": email, "role": role})),
    )
    .await;
    assert_eq!(
        status,
        reqwest::StatusCode::ACCEPTED,
        "invite {email} as {role}: {body}"
    );
    let token = mail::wait_for_link(&member.mail_dir, &email, "/invitations", &seen).await;
    accept_invitation(member, &token).await;
}

/// Gives a member of `org` exactly the business `roles` (besides their base role), as an org
/// admin does: `PATCH /orgs/{org}/members/{user} {roles}`.
pub async fn set_business_roles(admin: &TestUser, org: &str, member: &TestUser, roles: &[&str]) {
    let (status, body) = call_json(
        admin,
        reqwest::Method::PATCH,
        &format!("/api/v1/orgs/{org}/members/{}", member.id()),
        Some(serde_json::json!({ "roles": roles })),
    )
    .await;
    assert_eq!(
        status,
        reqwest::StatusCode::OK,
        "set roles {roles:?}: {body}"
    );
}

/// Invites an address to an organisation (202); returns the invitation.
pub async fn invite(owner: &TestUser, org: &str, email: &str, role: OrgRole) -> Invitation {
    let answer: AddMemberResponse = owner
        .client
        .post(
            &format!("/api/v1/orgs/{org}/members"),
            &AddMemberRequest {
                email: email.to_owned(),
                role: role.as_str().to_owned(),
                roles: None,
                manager: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("invite {email}: {e}"));
    answer.invitation
}

/// Accepts an invitation as `member`.
pub async fn accept_invitation(member: &TestUser, token: &str) -> Org {
    member
        .client
        .post(
            "/api/v1/invitations/accept",
            &serde_json::json!({ "token": token }),
        )
        .await
        .unwrap_or_else(|e| panic!("accept invitation as {}: {e}", member.user.email))
}

/// Gives an org member an explicit role in a project.
pub async fn add_project_member(
    manager: &TestUser,
    project: &str,
    user_id: &str,
    role: ProjectRole,
) {
    let body = AddProjectMemberRequest {
        user_id: user_id.to_owned(),
        role,
    };
    let _: serde_json::Value = manager
        .client
        .post(&format!("/api/v1/projects/{project}/members"), &body)
        .await
        .unwrap();
}

/// Creates a channel in a project (private ones with the given members besides the creator).
pub async fn create_channel(
    user: &TestUser,
    project: &str,
    name: &str,
    private_members: Option<&[&str]>,
) -> Channel {
    let body = CreateChannelRequest {
        name: name.to_owned(),
        private: private_members.is_some(),
        topic: None,
        member_ids: private_members
            .unwrap_or_default()
            .iter()
            .map(|id| (*id).to_owned())
            .collect(),
    };
    user.client
        .post(&format!("/api/v1/projects/{project}/channels"), &body)
        .await
        .unwrap_or_else(|e| panic!("create channel {name}: {e}"))
}

/// Posts a message (a reply when `thread` is set).
pub async fn post_message(
    user: &TestUser,
    channel: &str,
    text: &str,
    thread: Option<&str>,
) -> PostedMessage {
    let body = PostMessageRequest {
        text: text.to_owned(),
        thread: thread.map(str::to_owned),
        attachments: Vec::new(),
    };
    user.client
        .post(&format!("/api/v1/channels/{channel}/messages"), &body)
        .await
        .unwrap_or_else(|e| panic!("post {text:?}: {e}"))
}

/// Creates a document in a project.
pub async fn create_doc(user: &TestUser, project: &str, title: &str) -> Doc {
    user.client
        .post(
            &format!("/api/v1/projects/{project}/docs"),
            &serde_json::json!({ "title": title }),
        )
        .await
        .unwrap()
}

/// Posts a binary Yjs update to a document; the answer's status.
pub async fn post_update(user: &TestUser, doc: &str, update: Vec<u8>) -> reqwest::StatusCode {
    user.client
        .request(reqwest::Method::POST, &format!("/api/v1/docs/{doc}/update"))
        .header("content-type", "application/octet-stream")
        .body(update)
        .send()
        .await
        .unwrap()
        .status()
}

/// An org "Acme" with an open project "Docs": its owner, a member who only views the project,
/// and someone of another org — the cast of the document tests.
pub struct DocsWorkspace {
    pub server: TestServer,
    pub owner: TestUser,
    pub viewer: TestUser,
    pub outsider: TestUser,
    pub org: String,
    pub project: Project,
}

pub async fn docs_workspace(backend: crate::Backend) -> DocsWorkspace {
    let server = TestServer::start(backend).await;
    let owner = user(&server, "owner").await;
    let viewer = user(&server, "viewer").await;
    let outsider = user(&server, "outsider").await;
    let org = create_org(&owner, "Acme").await;
    let project = create_project(&owner, &org.id, "Docs", Visibility::Open).await;
    add_org_member(&owner, &org.id, &viewer, OrgRole::Member).await;
    add_project_member(&owner, &project.id, viewer.id(), ProjectRole::Viewer).await;
    DocsWorkspace {
        server,
        owner,
        viewer,
        outsider,
        org: org.id,
        project,
    }
}

/// A stock Yjs client's view of a document's `text`: edits become binary updates.
pub struct Editor {
    doc: yrs::Doc,
}

impl Default for Editor {
    fn default() -> Self {
        Self::new()
    }
}

impl Editor {
    /// An empty document.
    pub fn new() -> Self {
        let doc = yrs::Doc::new();
        doc.get_or_insert_text("text");
        Self { doc }
    }

    /// A document holding the state of a Yjs v1 update.
    pub fn from_state(state: &[u8]) -> Self {
        use yrs::Transact as _;
        use yrs::updates::decoder::Decode as _;
        let editor = Self::new();
        if !state.is_empty() {
            editor
                .doc
                .transact_mut()
                .apply_update(yrs::Update::decode_v1(state).expect("a Yjs v1 update"))
                .expect("the update applies");
        }
        editor
    }

    /// The `text` content.
    pub fn text(&self) -> String {
        use yrs::{GetString as _, Transact as _};
        self.doc
            .get_or_insert_text("text")
            .get_string(&self.doc.transact())
    }

    /// Appends `text`; returns the update.
    pub fn append(&self, text: &str) -> Vec<u8> {
        use yrs::{ReadTxn as _, Text as _, Transact as _};
        let ytext = self.doc.get_or_insert_text("text");
        let before = self.doc.transact().state_vector();
        let mut txn = self.doc.transact_mut();
        let len = ytext.len(&txn);
        ytext.insert(&mut txn, len, text);
        drop(txn);
        self.doc.transact().encode_state_as_update_v1(&before)
    }

    /// Deletes the first occurrence of `word`; returns the update.
    pub fn delete(&self, word: &str) -> Vec<u8> {
        use yrs::{ReadTxn as _, Text as _, Transact as _};
        let at = self.text().find(word).expect("the word is in the text");
        // A default yrs document indexes text by UTF-8 bytes, as `find` counts.
        let ytext = self.doc.get_or_insert_text("text");
        let before = self.doc.transact().state_vector();
        let mut txn = self.doc.transact_mut();
        ytext.remove_range(
            &mut txn,
            u32::try_from(at).unwrap(),
            u32::try_from(word.len()).unwrap(),
        );
        drop(txn);
        self.doc.transact().encode_state_as_update_v1(&before)
    }
}

/// The multipart boundary of test uploads.
const BOUNDARY: &str = "atrium-test-boundary-7MA4YWxkTrZu0gW";

/// The start of a multipart body with one file part named `name`, up to its bytes.
pub fn multipart_head(name: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes()
}

/// The end of a multipart body, after the file's bytes.
pub fn multipart_tail() -> Vec<u8> {
    format!("\r\n--{BOUNDARY}--\r\n").into_bytes()
}

/// The `Content-Type` of those multipart bodies.
pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Posts one file as multipart to `path`; the status and the JSON answer.
pub async fn post_multipart(
    user: &TestUser,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut body = multipart_head(name);
    body.extend_from_slice(bytes);
    body.extend_from_slice(&multipart_tail());
    let response = user
        .client
        .request(reqwest::Method::POST, path)
        .header("content-type", multipart_content_type())
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Uploads a file to a project.
pub async fn upload_file(
    user: &TestUser,
    project: &str,
    name: &str,
    bytes: &[u8],
) -> (reqwest::StatusCode, serde_json::Value) {
    post_multipart(
        user,
        &format!("/api/v1/projects/{project}/files"),
        name,
        bytes,
    )
    .await
}

/// A PDF of `objects` (object 1 the catalog), with a cross-reference table of their offsets.
pub fn pdf_of_objects(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The TOTP code (SHA-1, 6 digits, 30 s) of `secret` (base32) for the time step `offset` steps
/// from now.
pub fn totp_code_at(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        "t".to_owned(),
    )
    .unwrap()
    .generate(now.checked_add_signed(offset * 30).unwrap())
}

/// Runs `sql` (one `$1` parameter) on the server's database, past the API: for what no route
/// shows (audit rows, expired tokens). Its rows affected.
pub async fn db_execute(server: &TestServer, sql: &'static str, value: &str) -> u64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(server.database_url()).await.unwrap();
    let done = sqlx::query(sql).bind(value).execute(&pool).await.unwrap();
    pool.close().await;
    done.rows_affected()
}

/// The count `sql` (one `$1` parameter, selecting one integer) finds in the server's database.
pub async fn db_count(server: &TestServer, sql: &'static str, value: &str) -> i64 {
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

/// How many audit rows of `action` the server wrote.
pub async fn audit_count(server: &TestServer, action: &str) -> i64 {
    db_count(
        server,
        "select count(*) from audit_log where action = $1",
        action,
    )
    .await
}
