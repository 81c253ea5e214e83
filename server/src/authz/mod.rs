//! Authorization: the one place that answers "may this subject do this action on this
//! resource".
//!
//! Every route, both WebSockets, search scoping and the event router ask here; no other module
//! compares roles. A resource of an organisation the user does not belong to, or of a project
//! they cannot see, is answered 404 — never 403 — so nobody learns that it exists; a visible
//! resource whose action the subject may not do is a 403.
//!
//! The rules are data: a role × resource kind × action table ([`defaults`]) that each
//! organisation may override (`org_permissions`, edited through `/orgs/{org}/permissions`).
//! Overrides are read with every decision (one small indexed query), so a change applies to the
//! next request on every node without a cache to invalidate.
//!
//! # Layout
//! - [`model`] — resource kinds, actions, scopes and role names.
//! - [`defaults`] — the built-in table.
//! - [`policy`] — `may(subject, action, resource)` and the `can` flags.
//! - [`records`] — rights on a record type's records (per-type rows over `record`).
//! - [`roles`] — role names in the database and a user's effective role in a project.
//! - [`members`] — the rules about granting org roles (ownership, the last owner).
//! - [`channels`] — who holds which role in a channel (direct messages have no project).
//! - [`documents`] — what a collaborative-document socket may do.
//! - [`joined`] — roles read from one joined row (single-query checks: channels, documents).
//! - [`audience`] — what people may read of a batch of feed changes (webhooks, automation).
//! - [`store`] — the queries authz owns.
//! - [`routes`] — `/orgs/{org}/roles` and `/orgs/{org}/permissions`.
//! - this module — loading a subject and answering for an org or a project.

pub mod audience;
pub mod channels;
pub mod defaults;
pub mod documents;
pub mod joined;
pub mod members;
pub mod model;
pub mod policy;
pub mod records;
pub mod roles;
pub mod routes;
pub mod store;

use atrium_client::wire::{Can, OrgRole, ProjectRole};

pub use model::{Action, ResourceKind, Scope};
pub use policy::{Policy, Resource, Subject};
pub use store::ProjectFacts;

use crate::db::Db;
use crate::error::{ApiError, Result};

/// An org-level action (kept as its own name for call sites that read better with it).
pub type OrgAction = Action;
/// An action on a project or on a resource in it.
pub type ProjectAction = Action;

/// The caller as a member of an organisation, with the org's policy.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org_id: String,
    pub role: OrgRole,
    pub subject: Subject,
    pub policy: Policy,
}

impl OrgAccess {
    /// Whether the caller may do `action` on `resource` of this org (org-scoped kinds).
    pub fn may(&self, action: Action, resource: Resource<'_>) -> bool {
        self.policy.may(&self.subject, action, resource)
    }

    /// The caller's `can` flags on the organisation: `write` is creating projects, `manage`
    /// is managing members (the org-level actions the flags stand for; the table names them).
    pub fn can(&self) -> Can {
        let org = Resource::new(ResourceKind::Org);
        Can {
            read: self.may(Action::Read, org),
            comment: false,
            write: self.may(Action::CreateProject, org),
            manage: self.may(Action::ManageMembers, org),
            delete: self.may(Action::Delete, org),
        }
    }

    /// Whether the caller may take everything out of the organisation (its export holds every
    /// private channel and direct message): its owners and admins, by base role — an override
    /// in the permission table cannot hand this to anyone else.
    pub fn may_export_everything(&self) -> bool {
        matches!(self.role, OrgRole::Owner | OrgRole::Admin)
    }

    /// Whether the caller may delete the organisation: its owners, by base role only.
    pub fn may_delete_org(&self) -> bool {
        self.role == OrgRole::Owner
    }

    /// The caller's subject in a project of this org, given their explicit role in it;
    /// `None` when they cannot see the project.
    pub fn in_project(
        &self,
        project: &ProjectFacts,
        explicit: Option<ProjectRole>,
    ) -> Option<Subject> {
        let role = roles::effective_role(
            self.role,
            explicit,
            project.visibility,
            project.default_role,
        )?;
        Some(Subject {
            project_role: Some(role),
            ..self.subject.clone()
        })
    }
}

/// The caller's membership of `org_id` with its policy; 404 when they are not a member.
pub async fn org_access(db: &Db, user_id: &str, org_id: &str) -> Result<OrgAccess> {
    let policy = store::member_policy(db, org_id, user_id).await?;
    let role = policy.role.ok_or(ApiError::NotFound("organisation"))?;
    Ok(org_access_as(user_id, org_id, role, policy))
}

/// The org's policy as the server applies it when it acts on its own (a payment or the clock
/// moving a record's workflow): a subject with no membership, read rights only, used to find
/// who may read what changed — never to allow a person anything.
pub async fn server_access(db: &Db, org_id: &str) -> Result<OrgAccess> {
    let policy = store::member_policy(db, org_id, "").await?;
    Ok(org_access_as("", org_id, OrgRole::Viewer, policy))
}

/// [`org_access`] for a member whose base role the caller has already read (in a joined row).
pub async fn member_access(
    db: &Db,
    user_id: &str,
    org_id: &str,
    role: OrgRole,
) -> Result<OrgAccess> {
    let policy = store::member_policy(db, org_id, user_id).await?;
    Ok(org_access_as(user_id, org_id, role, policy))
}

/// [`member_access`] for a member whose role and policy the caller read in a joined row
/// ([`joined::policy_columns`], [`joined::policy`]).
pub fn member_access_from(
    user_id: &str,
    org_id: &str,
    role: OrgRole,
    policy: store::MemberPolicy,
) -> OrgAccess {
    org_access_as(user_id, org_id, role, policy)
}

fn org_access_as(
    user_id: &str,
    org_id: &str,
    role: OrgRole,
    policy: store::MemberPolicy,
) -> OrgAccess {
    OrgAccess {
        org_id: org_id.to_owned(),
        role,
        subject: Subject {
            user_id: user_id.to_owned(),
            org_role: role,
            business_roles: policy.business_roles,
            project_role: None,
        },
        policy: Policy::new(policy.overrides),
    }
}

/// The caller's business roles and `can` flags in an org they belong to (for `Org` and
/// `OrgMembership` answers).
pub async fn org_view(db: &Db, user_id: &str, org_id: &str) -> Result<(Vec<String>, Can)> {
    let access = org_access(db, user_id, org_id).await?;
    let can = access.can();
    Ok((access.subject.business_roles, can))
}

/// The caller's membership of `org_id`, if they may do the org-level `action` there.
pub async fn require_org(
    db: &Db,
    user_id: &str,
    org_id: &str,
    action: OrgAction,
) -> Result<OrgAccess> {
    let access = org_access(db, user_id, org_id).await?;
    if !access.may(action, Resource::new(ResourceKind::Org)) {
        return Err(forbidden(action, ResourceKind::Org));
    }
    Ok(access)
}

/// The caller's access to a project (and to the resources in it).
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: ProjectFacts,
    pub org_role: OrgRole,
    /// The effective project role.
    pub role: ProjectRole,
    pub subject: Subject,
    pub policy: Policy,
}

impl ProjectAccess {
    /// Whether the caller may do `action` on `resource` of this project.
    pub fn may(&self, action: Action, resource: Resource<'_>) -> bool {
        self.policy.may(&self.subject, action, resource)
    }

    /// 403 unless the caller may do `action` on `resource`.
    pub fn require(&self, action: Action, resource: Resource<'_>) -> Result<()> {
        if self.may(action, resource) {
            Ok(())
        } else {
            Err(forbidden(action, resource.kind))
        }
    }

    /// The caller's `can` flags on `resource` of this project.
    pub fn can(&self, resource: Resource<'_>) -> Can {
        self.policy.can(&self.subject, resource)
    }
}

/// The caller's access to `project_id`; 404 when it does not exist or they cannot see it.
pub async fn project_access(db: &Db, user_id: &str, project_id: &str) -> Result<ProjectAccess> {
    let not_found = ApiError::NotFound("project");
    let Some(project) = store::project(db, project_id).await? else {
        return Err(not_found);
    };
    let org = match org_access(db, user_id, &project.org_id).await {
        Ok(org) => org,
        Err(ApiError::NotFound(_)) => return Err(not_found),
        Err(other) => return Err(other),
    };
    let explicit = store::explicit_project_role(db, project_id, user_id).await?;
    let Some(subject) = org.in_project(&project, explicit) else {
        return Err(not_found);
    };
    Ok(ProjectAccess {
        role: subject.project_role.unwrap_or(ProjectRole::Viewer),
        org_role: org.role,
        subject,
        policy: org.policy,
        project,
    })
}

/// The caller's access to `project_id`, if they may do `action` on the project itself.
pub async fn require_project(
    db: &Db,
    user_id: &str,
    project_id: &str,
    action: ProjectAction,
) -> Result<ProjectAccess> {
    let access = project_access(db, user_id, project_id).await?;
    access.require(action, Resource::new(ResourceKind::Project))?;
    Ok(access)
}

/// The caller's access to a resource of `project_id`, if they may do `action` on it; a
/// project they cannot see answers 404 named after the resource (`what`).
pub async fn require_in_project(
    db: &Db,
    user_id: &str,
    project_id: &str,
    what: &'static str,
    resource: Resource<'_>,
    action: Action,
) -> Result<ProjectAccess> {
    let access = project_access(db, user_id, project_id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound(what),
            other => other,
        })?;
    access.require(action, resource)?;
    Ok(access)
}

/// The 403 for an action the caller's roles do not allow.
pub fn forbidden(action: Action, kind: ResourceKind) -> ApiError {
    ApiError::Forbidden(format!(
        "your roles do not allow {} on this {}",
        action.name(),
        kind.name()
    ))
}
