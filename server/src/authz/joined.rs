//! A user's roles read from one joined row, for access checks done in a single query (a chat
//! channel, a collaborative document): the row selects `org_role` (the user's
//! `org_members.role`), `project_visibility` and `project_default_role` (the resource's project,
//! if it has a live one) and `explicit_role` (the user's `project_members.role`).

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::roles::{parse_org_role, parse_project_role, parse_visibility};

/// What decides a user's access to a resource of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinedRoles {
    /// The user's org role (`None`: not a member of the resource's org).
    pub org_role: Option<OrgRole>,
    /// The project's visibility and default role (`None`: no project, or it is archived).
    pub project: Option<(Visibility, ProjectRole)>,
    /// The user's explicit role in the project.
    pub explicit_role: Option<ProjectRole>,
}

/// Reads the four role columns; an unknown stored name is a decode error.
pub fn joined_roles(row: &AnyRow) -> Result<JoinedRoles, sqlx::Error> {
    let column = |name: &str| row.try_get::<Option<String>, _>(name);
    let org_role = column("org_role")?;
    let visibility = column("project_visibility")?;
    let default_role = column("project_default_role")?;
    let explicit = column("explicit_role")?;
    let project = match (visibility.as_deref(), default_role.as_deref()) {
        (Some(v), Some(d)) => Some((
            parse_visibility(v).ok_or_else(|| unknown("visibility", v))?,
            parse_project_role(d).ok_or_else(|| unknown("project role", d))?,
        )),
        _ => None,
    };
    Ok(JoinedRoles {
        org_role: org_role
            .as_deref()
            .map(|r| parse_org_role(r).ok_or_else(|| unknown("org role", r)))
            .transpose()?,
        project,
        explicit_role: explicit
            .as_deref()
            .map(|r| parse_project_role(r).ok_or_else(|| unknown("project role", r)))
            .transpose()?,
    })
}

fn unknown(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}
