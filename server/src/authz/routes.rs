//! `/api/v1/orgs/{org}/roles` (business roles) and `/api/v1/orgs/{org}/permissions` (the org's
//! overrides of the role × resource type × action table).

use std::collections::BTreeMap;

use atrium_client::wire::{
    BusinessRole, CreateBusinessRoleRequest, ErrorBody, OrgRole, Page, PermissionRule, Permissions,
    PutPermissionsRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{
    Action, BASE_ROLES, BUILT_IN_BUSINESS_ROLES, PROJECT_ROLES, ResourceKind, Scope,
    valid_business_role_name,
};
use super::policy::Overrides;
use super::roles::{org_role_name, project_role_name};
use super::{OrgAction, require_org, store};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

const MAX_DESCRIPTION_CHARS: usize = 500;
const MAX_RULES: usize = 2000;
/// Audit actions of this module.
const ROLE_CREATED: &str = "role.created";
const PERMISSIONS_CHANGED: &str = "permissions.changed";

/// The policy routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_permissions, put_permissions))
}

/// Every business role of an org: the built-in ones, then the org's own, by name.
pub async fn business_roles(db: &Db, org_id: &str) -> Result<Vec<BusinessRole>> {
    let mut roles: Vec<BusinessRole> = BUILT_IN_BUSINESS_ROLES
        .iter()
        .map(|(name, description)| BusinessRole {
            name: (*name).to_owned(),
            description: (*description).to_owned(),
            built_in: true,
        })
        .collect();
    roles.extend(
        store::custom_roles(db, org_id)
            .await?
            .into_iter()
            .map(|(name, description)| BusinessRole {
                name,
                description,
                built_in: false,
            }),
    );
    Ok(roles)
}

/// 422 (under `field`) unless every name is a business role of the org; the names, sorted and
/// without duplicates.
pub async fn validate_business_roles(
    db: &Db,
    org_id: &str,
    field: &str,
    names: &[String],
) -> Result<Vec<String>> {
    let known = business_roles(db, org_id).await?;
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !known.iter().any(|role| &role.name == name) {
            return Err(ApiError::invalid_field(
                field,
                format!("{name:?} is not a business role of this organisation"),
            ));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// The org's business roles.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/roles", tag = "orgs", params(("org" = String, Path)), responses(
    (status = 200, description = "Business roles: built-in, then the org's own", body = Page<BusinessRole>),
    (status = 404, description = "No such organisation (or not a member)", body = ErrorBody)))]
async fn list_roles(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<BusinessRole>>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    Ok(Json(Page {
        items: business_roles(&state.db, &org_id).await?,
        next: None,
    }))
}

/// Define a business role (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/roles", tag = "orgs", params(("org" = String, Path)),
    request_body = CreateBusinessRoleRequest, responses(
    (status = 201, description = "Created", body = BusinessRole),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such organisation (or not a member)", body = ErrorBody),
    (status = 409, description = "A role of that name exists", body = ErrorBody),
    (status = 422, description = "Invalid name or description", body = ErrorBody)))]
async fn create_role(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<CreateBusinessRoleRequest>,
) -> Result<(StatusCode, Json<BusinessRole>)> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ManagePermissions).await?;
    let name = body.name.trim();
    if !valid_business_role_name(name) {
        return Err(ApiError::invalid_field(
            "name",
            "2 to 32 lowercase letters, digits, '_' or '-', starting with a letter, and not \
             the name of a base or project role",
        ));
    }
    let description = body.description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "description",
            format!("at most {MAX_DESCRIPTION_CHARS} printable characters"),
        ));
    }
    let duplicate = || {
        ApiError::conflict(
            "role_exists",
            format!("the organisation already has a role named {name:?}"),
        )
    };
    if BUILT_IN_BUSINESS_ROLES.iter().any(|(n, _)| *n == name) {
        return Err(duplicate());
    }
    let role = BusinessRole {
        name: name.to_owned(),
        description: description.to_owned(),
        built_in: false,
    };
    let mut work = state.writes.begin().await?;
    if !store::create_role(work.tx(), &org_id, name, description).await? {
        return Err(duplicate());
    }
    let event = Event::new(ROLE_CREATED, Some(user.id()))
        .org(&org_id)
        .target("role", name)
        .change(None::<()>, Some(&role));
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(role)))
}

fn rule(role: &str, kind: ResourceKind, action: Action, scope: Scope) -> PermissionRule {
    PermissionRule {
        role: role.to_owned(),
        resource: kind.name().to_owned(),
        action: action.name().to_owned(),
        scope: scope.name().to_owned(),
    }
}

fn sorted_rules(overrides: &Overrides) -> Vec<PermissionRule> {
    let mut rules: Vec<_> = overrides
        .0
        .iter()
        .map(|((role, kind, action), scope)| rule(role, *kind, *action, *scope))
        .collect();
    rules.sort_by(|a, b| (&a.resource, &a.role, &a.action).cmp(&(&b.resource, &b.role, &b.action)));
    rules
}

/// The table in effect: every granted cell of every role the org knows.
fn effective(overrides: &Overrides, business: &[String]) -> Vec<PermissionRule> {
    let policy = super::Policy::new(overrides.clone());
    let mut rules = Vec::new();
    for kind in ResourceKind::ALL {
        let base: Vec<&str> = if kind.in_project() {
            PROJECT_ROLES
                .iter()
                .map(|r| project_role_name(*r))
                .collect()
        } else {
            BASE_ROLES.iter().map(|r| org_role_name(*r)).collect()
        };
        for role in base.into_iter().chain(business.iter().map(String::as_str)) {
            for action in kind.actions() {
                let scope = policy.scope(role, kind, *action);
                if scope != Scope::None {
                    rules.push(rule(role, kind, *action, scope));
                }
            }
        }
    }
    rules
}

/// The org's permission table: what is in effect, and its overrides of the defaults.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/permissions", tag = "orgs", params(("org" = String, Path)), responses(
    (status = 200, description = "The table", body = Permissions),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such organisation (or not a member)", body = ErrorBody)))]
async fn get_permissions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Permissions>> {
    let access = require_org(&state.db, user.id(), &org_id, OrgAction::ManagePermissions).await?;
    let business: Vec<String> = business_roles(&state.db, &org_id)
        .await?
        .into_iter()
        .map(|role| role.name)
        .collect();
    let overrides = store::overrides(&state.db, &access.org_id).await?;
    Ok(Json(Permissions {
        effective: effective(&overrides, &business),
        overrides: sorted_rules(&overrides),
        defaults: effective(&Overrides::default(), &business),
    }))
}

/// Reads a PUT body into overrides, or the 422 naming every bad field (`overrides[i].field`).
fn parse_overrides(rules: &[PermissionRule], business: &[String]) -> Result<Overrides> {
    let mut errors = BTreeMap::new();
    let mut overrides = Overrides::default();
    if rules.len() > MAX_RULES {
        errors.insert("overrides".to_owned(), format!("at most {MAX_RULES} rules"));
    }
    for (i, r) in rules.iter().enumerate() {
        let field = |name: &str| format!("overrides[{i}].{name}");
        let kind = ResourceKind::parse(&r.resource);
        let action = Action::parse(&r.action);
        let scope = Scope::parse(&r.scope);
        match kind {
            None => {
                errors.insert(
                    field("resource"),
                    format!("unknown resource {:?}", r.resource),
                );
            }
            Some(kind) => {
                let base_ok = if kind.in_project() {
                    PROJECT_ROLES
                        .iter()
                        .any(|p| project_role_name(*p) == r.role)
                } else {
                    BASE_ROLES.iter().any(|b| org_role_name(*b) == r.role)
                };
                if r.role == org_role_name(OrgRole::Owner) {
                    // The owner's row is fixed: a rule that took owners' management away could
                    // never be undone, as nobody would be left to edit the table.
                    errors.insert(
                        field("role"),
                        "the owner's permissions are fixed and cannot be overridden".to_owned(),
                    );
                } else if !base_ok && !business.contains(&r.role) {
                    errors.insert(
                        field("role"),
                        format!(
                            "{:?} is not a {} role nor a business role of this organisation",
                            r.role,
                            if kind.in_project() {
                                "project"
                            } else {
                                "base org"
                            }
                        ),
                    );
                }
                match action {
                    Some(action) if kind.actions().contains(&action) => {}
                    _ => {
                        errors.insert(
                            field("action"),
                            format!("{:?} is not an action on {}", r.action, kind.name()),
                        );
                    }
                }
            }
        }
        if scope.is_none() {
            errors.insert(field("scope"), "one of all, own, none".to_owned());
        }
        if let (Some(kind), Some(action), Some(scope)) = (kind, action, scope)
            && overrides
                .0
                .insert((r.role.clone(), kind, action), scope)
                .is_some()
        {
            errors.insert(field("role"), "the same cell is listed twice".to_owned());
        }
    }
    if errors.is_empty() {
        Ok(overrides)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Replace the org's overrides (owners and admins); they apply from the next request.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/permissions", tag = "orgs", params(("org" = String, Path)),
    request_body = PutPermissionsRequest, responses(
    (status = 200, description = "The table now in effect", body = Permissions),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such organisation (or not a member)", body = ErrorBody),
    (status = 422, description = "An unknown role, resource, action or scope (fields name the rule)", body = ErrorBody)))]
async fn put_permissions(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<PutPermissionsRequest>,
) -> Result<Json<Permissions>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ManagePermissions).await?;
    let business: Vec<String> = business_roles(&state.db, &org_id)
        .await?
        .into_iter()
        .map(|role| role.name)
        .collect();
    let overrides = parse_overrides(&body.overrides, &business)?;
    let before = store::overrides(&state.db, &org_id).await?;
    let mut work = state.writes.begin().await?;
    store::replace_overrides(work.tx(), &org_id, &overrides).await?;
    let event = Event::new(PERMISSIONS_CHANGED, Some(user.id()))
        .org(&org_id)
        .target("org", &org_id)
        .change(Some(sorted_rules(&before)), Some(sorted_rules(&overrides)));
    work.audit(&event, &client).await?;
    // Decisions read the table on every request; sockets and clients reload what they may do.
    work.access_changed(
        &org_id,
        crate::events::Audience::Org(org_id.clone()),
        "org.permissions_changed",
    );
    work.commit().await?;
    Ok(Json(Permissions {
        effective: effective(&overrides, &business),
        overrides: sorted_rules(&overrides),
        defaults: effective(&Overrides::default(), &business),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::defaults;
    use super::*;

    #[test]
    fn defaults_have_no_unknown_cells() {
        for row in defaults::ROWS {
            for action in row.actions {
                assert!(
                    row.kind.actions().contains(action),
                    "{} {:?}",
                    row.role,
                    action
                );
            }
        }
    }

    #[test]
    fn bad_rules_name_their_fields() {
        let rules = vec![PermissionRule {
            role: "nobody".into(),
            resource: "org".into(),
            action: "fly".into(),
            scope: "some".into(),
        }];
        let Err(ApiError::Validation(errors)) = parse_overrides(&rules, &[]) else {
            panic!("accepted")
        };
        assert!(errors.contains_key("overrides[0].role"));
        assert!(errors.contains_key("overrides[0].action"));
        assert!(errors.contains_key("overrides[0].scope"));
    }
}
