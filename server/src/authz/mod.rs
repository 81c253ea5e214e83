//! Authorization: the one place that answers "may this user do this to that resource".
//!
//! Every domain asks here instead of comparing roles inline. A resource of an organisation the
//! user does not belong to, or a project they cannot see, is answered 404 — never 403 — so
//! nobody learns that it exists; a visible resource whose action the role does not allow is a
//! 403.
//!
//! # Layout
//! - [`roles`] — role names in the database and the pure rules (which role may do what, and a
//!   user's effective role in a project).
//! - [`joined`] — those roles read from one joined row (single-query access checks).
//! - this module — [`require_org`] and [`require_project`], which load membership and apply
//!   the rules.

pub mod joined;
pub mod roles;

use atrium_client::wire::{OrgRole, ProjectRole};

pub use roles::{OrgAction, ProjectAction};

use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::projects::store::{self as project_store, ProjectRow};

/// The caller's membership of an organisation, checked for an action.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org_id: String,
    pub role: OrgRole,
}

/// The caller's access to a project, checked for an action.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: ProjectRow,
    pub org_role: OrgRole,
    /// The effective project role.
    pub role: ProjectRole,
}

/// The caller's role in `org_id`, if they may do `action` there.
pub async fn require_org(
    db: &Db,
    user_id: &str,
    org_id: &str,
    action: OrgAction,
) -> Result<OrgAccess> {
    let role = crate::orgs::store::member_role(db, org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("organisation"))?;
    if !roles::org_allows(role, action) {
        return Err(ApiError::Forbidden(format!(
            "your role ({}) does not allow this",
            roles::org_role_name(role)
        )));
    }
    Ok(OrgAccess {
        org_id: org_id.to_owned(),
        role,
    })
}

/// The caller's access to `project_id`, if they may do `action` there.
pub async fn require_project(
    db: &Db,
    user_id: &str,
    project_id: &str,
    action: ProjectAction,
) -> Result<ProjectAccess> {
    let not_found = ApiError::NotFound("project");
    let Some(project) = project_store::find(db, project_id).await? else {
        return Err(not_found);
    };
    let Some(org_role) = crate::orgs::store::member_role(db, &project.org_id, user_id).await?
    else {
        return Err(not_found);
    };
    let explicit = project_store::member_role(db, project_id, user_id).await?;
    let Some(role) = roles::effective_project_role(org_role, explicit, &project) else {
        return Err(not_found);
    };
    if !roles::project_allows(role, action) {
        return Err(ApiError::Forbidden(format!(
            "your role in this project ({}) does not allow this",
            roles::project_role_name(role)
        )));
    }
    Ok(ProjectAccess {
        project,
        org_role,
        role,
    })
}
