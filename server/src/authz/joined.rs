//! A user's roles read from one joined row, for access checks done in a single query (a chat
//! channel, a collaborative document): the row selects `org_role` (the user's
//! `org_members.role`), `project_visibility` and `project_default_role` (the resource's project,
//! if it has a live one) and `explicit_role` (the user's `project_members.role`). A check that
//! must not spend a round trip on the member's policy either selects it too
//! ([`policy_columns`]).

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::policy::Overrides;
use super::roles::{parse_org_role, parse_project_role, parse_visibility};
use super::store::{MemberPolicy, add_rule};
use crate::db::Backend;

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

/// Select-list columns with a member's policy ([`MemberPolicy`], as
/// [`super::store::member_policy`] reads it): `member_roles`, their business roles, and
/// `member_rules`, their org's overrides of the permission table, each one JSON array. `org`
/// and `user` are SQL expressions of the org's and the user's ids (columns, bind parameters).
pub fn policy_columns(backend: Backend, org: &str, user: &str) -> String {
    let (aggregate, array, text) = match backend {
        Backend::Sqlite => ("json_group_array", "json_array", ""),
        Backend::Postgres => ("json_agg", "json_build_array", "::text"),
    };
    // `coalesce`: PostgreSQL aggregates no rows to null, SQLite to `[]`.
    format!(
        "(select coalesce({aggregate}(r.role order by r.role){text}, '[]') from org_member_roles r
          where r.org_id = {org} and r.user_id = {user}) as member_roles,
         (select coalesce({aggregate}({array}(p.role, p.resource, p.action, p.scope)){text}, '[]')
          from org_permissions p where p.org_id = {org}) as member_rules"
    )
}

/// The policy of a member whose base role is `role`, from the columns of [`policy_columns`].
pub fn policy(row: &AnyRow, role: OrgRole) -> Result<MemberPolicy, sqlx::Error> {
    let json = |column: &str| -> Result<String, sqlx::Error> { row.try_get(column) };
    let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
    let business_roles: Vec<String> =
        serde_json::from_str(&json("member_roles")?).map_err(decode)?;
    let rules: Vec<(String, String, String, String)> =
        serde_json::from_str(&json("member_rules")?).map_err(decode)?;
    let mut overrides = Overrides::default();
    for (rule_role, resource, action, scope) in rules {
        add_rule(&mut overrides, rule_role, &resource, &action, &scope)?;
    }
    Ok(MemberPolicy {
        role: Some(role),
        business_roles,
        overrides,
    })
}

fn unknown(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}
