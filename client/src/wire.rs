//! Request and response bodies shared by the server and its clients.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// For 422 answers to requests about many items (bulk task changes): what is wrong with
    /// each refused item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ItemError>>,
}

/// One refused item of a request about many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemError {
    /// The item's id (a task id).
    pub task: String,
    pub field: String,
    pub message: String,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// For 422 answers: each invalid field and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// `GET /readyz`: the state of each dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: String,
    /// The node that answered (`--node-id`, or the UUID kept in its data directory).
    #[serde(default)]
    pub node: String,
    /// One entry per checked dependency (`database`, and `redis`, `s3` when configured).
    pub checks: BTreeMap<String, Check>,
    /// Present when not ready: which dependency failed and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The outcome of one readiness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Check {
    pub ok: bool,
    /// How long the check took, in milliseconds.
    pub latency_ms: u64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A page of a list endpoint; `next` is the opaque cursor of the following page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    /// Unique @mention handle.
    pub handle: String,
    pub name: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// `POST /api/v1/auth/signup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignupRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 10)]
    pub password: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// The @mention handle; derived from the e-mail address when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^\s*@*[A-Za-z0-9][A-Za-z0-9_.-]{1,31}\s*$")]
    pub handle: Option<String>,
}

/// The answer to a sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignupResponse {
    pub user: User,
}

/// A base role in an organisation. Business roles (`accountant`, `sales`, …, and custom ones)
/// are held besides it, in `roles`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Owner,
    Admin,
    Member,
    Viewer,
    Guest,
}

impl OrgRole {
    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
            Self::Guest => "guest",
        }
    }
}

/// What the caller may do with a resource, decided by the server's policy; clients show and
/// hide actions by it instead of re-deriving roles. Every kind carries the five flags; which
/// are meaningful: organisations `read` (see it), `write` (create projects), `manage`
/// (members; roles and permissions too by default), `delete`; `comment` is always false there;
/// projects, channels, documents, files `read,
/// comment, write, manage, delete`; messages `read`, `comment` (reply, react), `write` (edit:
/// the author), `manage`, `delete` (the author or a moderator).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Can {
    pub read: bool,
    pub comment: bool,
    pub write: bool,
    pub manage: bool,
    pub delete: bool,
}

/// A role in a project, from most to least capable.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRole {
    Manager,
    Editor,
    Commenter,
    Viewer,
}

/// Who may see a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every org member except guests, with the project's default role.
    Open,
    /// Only the project's members (and org owners and admins).
    Private,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The current TOTP code, or a recovery code, when two-factor authentication is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<String>,
    /// The token of an unlock link e-mailed to the account: a log-in carrying a valid one is
    /// not held back by the log-in throttles (a few wrong passwords spend it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlock: Option<String>,
}

/// The answer to a log-in: the user and a session token (also set as a cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub user: User,
    pub token: String,
}

/// An organisation the caller belongs to, with the caller's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrgMembership {
    pub id: String,
    pub name: String,
    pub role: OrgRole,
    /// Business roles held besides the base role.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub can: Can,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub user: User,
    /// Whether the account's e-mail address has been verified (joining an organisation
    /// needs it).
    pub email_verified: bool,
    pub totp_enabled: bool,
    pub orgs: Vec<OrgMembership>,
    /// Where the caller's profile picture is served; absent: none (initials are shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// The answer to `PUT /api/v1/me/avatar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AvatarInfo {
    /// Where the picture is served (its version in the query, so it may be cached for good).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// One person's profile picture (`GET /api/v1/me/avatars`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserAvatar {
    pub user_id: String,
    pub avatar_url: String,
}

/// `POST /api/v1/me/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Days until the token expires; absent: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
    /// What the token may reach, as `{area}:{read|write}` (areas `docs, chat, boards, records,
    /// files, search, admin`; write implies read); absent: everything its user may do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Limits the token to one organisation (an integration token its admins can list and
    /// revoke).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Limits the token to one project (and its organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A session or API token as listed (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// For sessions: whether it is the one making this request.
    #[serde(default)]
    pub current: bool,
    /// An API token's scopes; absent: a full token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The organisation an API token is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The project an API token is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Whose token it is (in an organisation's list of integration tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

/// A new API token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub token: String,
}

/// `POST /api/v1/me/totp`: the secret to enrol in an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret.
    pub secret: String,
    pub otpauth_url: String,
}

/// A TOTP code (`POST /api/v1/me/totp/confirm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TotpCode {
    pub code: String,
}

/// Two-factor authentication is on: single-use recovery codes, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A request carrying the account password (disabling TOTP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordConfirmation {
    pub password: String,
}

/// A single-use token from an e-mailed link: `POST /api/v1/auth/verify-email` and
/// `POST /api/v1/auth/unlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LinkToken {
    pub token: String,
}

/// The answer to `POST /api/v1/auth/verify-email`: the address is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmailVerified {
    pub email: String,
}

/// The answer to `POST /api/v1/auth/unlock`: the account's log-in throttles are lifted; log
/// in with the same token as `unlock` to pass any that still hold at this address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unlocked {
    /// The account's e-mail address, to fill in the log-in form.
    pub email: String,
}

/// `POST /api/v1/auth/password-reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/v1/auth/password-reset/confirm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    pub token: String,
    pub password: String,
}

/// `POST /api/v1/me/password`: the current password and the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The password the account has now.
    pub current: String,
    /// The new password: the same rules as at sign-up.
    #[schema(min_length = 10)]
    pub password: String,
}

/// `POST /api/v1/orgs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateOrgRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

/// `PATCH /api/v1/orgs/{org}`: rename the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateOrgRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

/// `DELETE /api/v1/orgs/{org}`: the organisation's exact name, typed to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeleteOrgRequest {
    pub confirm: String,
}

/// Where a whole-organisation export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgExportState {
    Queued,
    Running,
    Done,
    Failed,
}

/// A whole-organisation export (`POST /api/v1/orgs/{org}/export`): a ZIP of everything the
/// organisation holds, downloadable until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrgExport {
    pub id: String,
    pub state: OrgExportState,
    /// The ZIP's size in bytes, once done.
    #[serde(default)]
    pub size: Option<i64>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Who asked for it (absent once their account is gone).
    #[serde(default)]
    pub requested_by: Option<UserRef>,
    pub created_at: i64,
    #[serde(default)]
    pub finished_at: Option<i64>,
    /// When the ZIP and this entry are deleted.
    pub expires_at: i64,
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// The caller's role in it.
    pub role: OrgRole,
    /// The caller's business roles in it.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub can: Can,
}

/// A member of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrgMember {
    pub user: User,
    pub role: OrgRole,
    /// Business roles held besides the base role.
    #[serde(default)]
    pub roles: Vec<String>,
    pub joined_at: i64,
    /// The member who manages them (approves their timesheets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// `POST /api/v1/orgs/{org}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddMemberRequest {
    pub email: String,
    /// A base role, or a business role (the person joins as `member` holding it).
    pub role: String,
    /// Business roles held besides the base role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The member who will manage them (approves their timesheets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// The answer to adding a member: the invitation e-mailed to the address. It is the same
/// whether or not the address has an account; the person joins by accepting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddMemberResponse {
    pub invitation: Invitation,
}

/// A pending invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: OrgRole,
    /// Business roles the person will hold.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The member who will manage them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The member who sent it.
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// `POST /api/v1/invitations/accept`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AcceptInvitation {
    pub token: String,
}

/// `POST /api/v1/invitations/preview`: what an invitation link invites to, for its page before
/// the person logs in — only to whoever holds the link's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvitationPreview {
    pub org_name: String,
    /// The name of the member who sent it.
    pub invited_by: String,
    /// The address it was sent to: the account that may accept it.
    pub email: String,
    pub role: OrgRole,
    pub expires_at: i64,
}

/// `PATCH /api/v1/orgs/{org}/members/{user}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeRoleRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<OrgRole>,
    /// Replaces the member's business roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The member's manager (another member), or `null` for none.
    #[serde(
        default,
        deserialize_with = "boards::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub manager: Option<Option<String>>,
}

/// A business role of an organisation (`GET/POST /api/v1/orgs/{org}/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BusinessRole {
    /// 2–32 lowercase letters, digits, `_` or `-`, starting with a letter.
    pub name: String,
    pub description: String,
    /// Built-in roles (`accountant`, `sales`, `support`, `hr`, `production`) exist in every
    /// organisation.
    #[serde(default)]
    pub built_in: bool,
}

/// `POST /api/v1/orgs/{org}/roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateBusinessRoleRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// One row of the role × resource type × action table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PermissionRule {
    /// A base org role (`org`, `record_type`, `record` rows), a project role (rows of project
    /// resources: `project`, `channel`, `message`, `document`, `file`, `board`, `task`), or a
    /// business role (any row).
    pub role: String,
    /// `org, project, channel, message, document, file, board, task, record_type, record`.
    pub resource: String,
    /// `read, comment, write, manage, delete`; records also `transition, export, import`; the
    /// org also `create_project, invite_members, manage_members, read_audit, read_jobs,
    /// manage_permissions`.
    pub action: String,
    /// `all`, `own` (only resources the subject authored or created) or `none` (takes a
    /// default grant away).
    pub scope: String,
}

/// `GET /api/v1/orgs/{org}/permissions`: the table in effect, and the org's overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Permissions {
    /// Every granted cell in effect (defaults with the overrides applied).
    pub effective: Vec<PermissionRule>,
    /// The org's overrides of the defaults.
    pub overrides: Vec<PermissionRule>,
    /// Every granted cell of the built-in defaults (what a cell returns to when its override
    /// is removed).
    #[serde(default)]
    pub defaults: Vec<PermissionRule>,
}

/// `PUT /api/v1/orgs/{org}/permissions`: replaces the org's overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PutPermissionsRequest {
    pub overrides: Vec<PermissionRule>,
}

/// `POST /api/v1/orgs/{org}/projects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateProjectRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Default `open`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// The role org members get in an open project; default `editor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<ProjectRole>,
    /// The key of its tasks (`ENG` in `ENG-42`): 2 to 10 of A–Z and 0–9, starting with a letter,
    /// unique in the organisation. Default: derived from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[A-Z][A-Z0-9]{1,9}$")]
    pub key: Option<String>,
}

/// `PATCH /api/v1/projects/{project}`: fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateProjectRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<ProjectRole>,
}

/// A project, with the caller's role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    pub default_role: ProjectRole,
    /// The key of its tasks (`ENG` in `ENG-42`); projects older than boards get one with
    /// their first board or task.
    #[serde(default)]
    pub key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The caller's effective role.
    pub role: ProjectRole,
    #[serde(default)]
    pub can: Can,
}

/// `POST /api/v1/projects/{project}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddProjectMemberRequest {
    pub user_id: String,
    pub role: ProjectRole,
}

/// A project's explicit member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectMember {
    pub user: User,
    pub role: ProjectRole,
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// The actor's display name now (also for someone who has left the organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    pub created_at: i64,
}

/// A background job of an organisation, as its admins see it (never its payload, which may
/// hold mail bodies or secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Job {
    pub id: String,
    /// What it does, e.g. `mail` or `extract`.
    pub kind: String,
    /// `queued`, `running`, `failed` (a retry is due at `run_at`), `dead` or `done`.
    pub state: String,
    /// Attempts started so far (a claim counts one).
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it is (or was) due.
    pub run_at: i64,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A collaborative document's metadata (its content is read through `/content` or the socket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Doc {
    pub id: String,
    pub org_id: String,
    pub project_id: String,
    pub title: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set while the document is in the trash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trashed_at: Option<i64>,
    /// The page tree: the document this one sits under (a live document of the same project),
    /// or `null` at the top level.
    pub parent: Option<String>,
    /// The page tree: its order among its siblings. Siblings sort by `position` (compared
    /// code unit by code unit, not by locale), then `created_at`, then `id`.
    pub position: String,
    /// What the caller may do with it (absent in event payloads, which go to many users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<Can>,
}

/// A version of a document: one someone named, or an automatic snapshot (`kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocVersion {
    pub id: String,
    /// The name someone gave it; empty for an automatic snapshot.
    pub name: String,
    /// When it was stored.
    pub created_at: i64,
    pub kind: VersionKind,
    /// An automatic snapshot's authors: who edited since the previous snapshot (sorted by
    /// name). Empty for a named version.
    pub authors: Vec<UserRef>,
    /// The edits an automatic snapshot covers, first and last; a named version's are both
    /// its `created_at`.
    pub from: i64,
    pub to: i64,
}

/// `POST /api/v1/docs/{doc}/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionName {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

pub mod automation;
pub mod boards;
pub mod chat;
pub mod comments;
pub mod crm;
pub mod doc_history;
pub mod doc_sharing;
pub mod doc_templates;
pub mod docs;
pub mod events;
pub mod invoices;
pub mod record_transitions;
pub mod records;
pub mod timesheets;
pub mod webhooks;
pub use automation::*;
pub use boards::*;
pub use chat::*;
pub use comments::*;
pub use crm::*;
pub use doc_history::*;
pub use doc_sharing::*;
pub use doc_templates::*;
pub use docs::*;
pub use events::*;
pub use invoices::*;
pub use record_transitions::*;
pub use records::*;
pub use timesheets::*;
pub use webhooks::*;
