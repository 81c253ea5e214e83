//! `/api/v1/orgs/*` handlers: organisations, members and their roles. Invitations (adding
//! a member, accepting, listing, revoking) are in [`super::invitations`].

use atrium_client::wire::{
    ChangeRoleRequest, CreateOrgRequest, ErrorBody, Org, OrgMember, Page, UpdateOrgRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::members::{ensure_keeps_an_owner, ensure_may_grant};
use crate::authz::roles::org_role_name;
use crate::authz::{self, OrgAction, require_org};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// The organisation routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org, list_orgs))
        .routes(routes!(rename_org, super::delete::delete_org))
        .routes(routes!(super::invitations::add_member, list_members))
        .routes(routes!(change_role, remove_member))
        .merge(super::invitations::router())
        .merge(super::export::router())
}

fn validate_name(name: &str) -> Result<String> {
    crate::http::fields::name("name", name)
}

/// Create an organisation; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrgRequest, responses(
    (status = 201, description = "Created", body = Org),
    (status = 422, description = "Invalid name", body = ErrorBody)))]
async fn create_org(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<CreateOrgRequest>,
) -> Result<(StatusCode, Json<Org>)> {
    let name = validate_name(&body.name)?;
    let mut work = state.writes.begin().await?;
    let mut org = store::create(work.tx(), &name, user.id()).await?;
    let event = Event::new(action::ORG_CREATED, Some(user.id()))
        .org(&org.id)
        .target("org", &org.id)
        .change(None::<()>, Some(&org));
    work.audit(&event, &client).await?;
    work.commit().await?;
    (org.roles, org.can) = authz::org_view(&state.db, user.id(), &org.id).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Rename the organisation (owners and admins).
#[utoipa::path(patch, path = "/api/v1/orgs/{org}", tag = "orgs", params(("org" = String, Path)), request_body = UpdateOrgRequest, responses(
    (status = 200, description = "Renamed", body = Org),
    (status = 400, description = "The body is not JSON of the expected shape", body = ErrorBody),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Invalid name", body = ErrorBody)))]
async fn rename_org(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<UpdateOrgRequest>,
) -> Result<Json<Org>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    let name = validate_name(&body.name)?;
    let before = store::name(&state.db, &org_id)
        .await?
        .ok_or(ApiError::NotFound("organisation"))?;
    let mut work = state.writes.begin().await?;
    if !store::rename(work.tx(), &org_id, &name).await? {
        return Err(ApiError::NotFound("organisation"));
    }
    let event = Event::new(action::ORG_RENAMED, Some(user.id()))
        .org(&org_id)
        .target("org", &org_id)
        .change(
            Some(serde_json::json!({ "name": before })),
            Some(serde_json::json!({ "name": name })),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    let mut org = store::list_for_user(&state.db, user.id())
        .await?
        .into_iter()
        .find(|o| o.id == org_id)
        .ok_or(ApiError::NotFound("organisation"))?;
    (org.roles, org.can) = authz::org_view(&state.db, user.id(), &org.id).await?;
    Ok(Json(org))
}

/// The caller's organisations.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", responses((status = 200, description = "Organisations", body = Page<Org>)))]
async fn list_orgs(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Page<Org>>> {
    let mut items = store::list_for_user(&state.db, user.id()).await?;
    items.retain(|org| user.grant.sees_org(&org.id));
    for org in &mut items {
        (org.roles, org.can) = authz::org_view(&state.db, user.id(), &org.id).await?;
    }
    Ok(Json(Page { items, next: None }))
}

/// The organisation's members.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)), responses(
    (status = 200, description = "Members", body = Page<OrgMember>),
    (status = 404, description = "No such organisation (or not a member)", body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<OrgMember>>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    Ok(Json(Page {
        items: store::list_members(&state.db, &org_id).await?,
        next: None,
    }))
}

/// Change a member's base role and/or business roles. The last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/members/{user}", tag = "orgs",
    params(("org" = String, Path), ("user" = String, Path)), request_body = ChangeRoleRequest, responses(
    (status = 200, description = "The member with the new role", body = OrgMember),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such member", body = ErrorBody),
    (status = 409, description = "The last owner cannot be demoted", body = ErrorBody),
    (status = 422, description = "An unknown business role", body = ErrorBody)))]
async fn change_role(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((org_id, member_id)): Path<(String, String)>,
    Json(body): Json<ChangeRoleRequest>,
) -> Result<Json<OrgMember>> {
    let access = require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    let current = store::member(&state.db, &org_id, &member_id)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    let role = body.role.unwrap_or(current.role);
    let roles = match &body.roles {
        Some(names) => {
            authz::routes::validate_business_roles(&state.db, &org_id, "roles", names).await?
        }
        None => current.roles.clone(),
    };
    ensure_may_grant(access.role, role)?;
    ensure_may_grant(access.role, current.role)?;
    let manager = match &body.manager {
        Some(Some(manager)) => {
            let is_member = store::member(&state.db, &org_id, manager).await?.is_some();
            if !is_member {
                return Err(ApiError::invalid_field(
                    "manager",
                    "is not a member of this organisation",
                ));
            }
            if store::manages_up_to(&state.db, &org_id, manager, &member_id).await? {
                return Err(ApiError::invalid_field(
                    "manager",
                    "would manage themselves (directly or through their managers)",
                ));
            }
            Some(manager.clone())
        }
        Some(None) => None,
        None => current.manager.clone(),
    };
    let mut work = state.writes.begin().await?;
    if role != current.role {
        ensure_keeps_an_owner(
            current.role,
            Some(role),
            store::count_owners(work.tx(), &org_id).await?,
        )?;
    }
    store::set_role(work.tx(), &org_id, &member_id, role).await?;
    authz::store::set_business_roles(work.tx(), &org_id, &member_id, &roles).await?;
    if manager != current.manager {
        store::set_manager(work.tx(), &org_id, &member_id, manager.as_deref()).await?;
    }
    let event = Event::new(action::MEMBER_ROLE_CHANGED, Some(user.id()))
        .org(&org_id)
        .target("user", &member_id)
        .change(
            Some(
                serde_json::json!({ "role": org_role_name(current.role), "roles": current.roles, "manager": current.manager }),
            ),
            Some(serde_json::json!({ "role": org_role_name(role), "roles": roles, "manager": manager })),
        );
    work.audit(&event, &client).await?;
    work.access_changed(
        &org_id,
        crate::events::Audience::User(member_id.clone()),
        "org.role_changed",
    );
    work.commit().await?;
    Ok(Json(OrgMember {
        role,
        roles,
        manager,
        ..current
    }))
}

/// Remove a member (members may also leave). The last owner cannot be removed.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}", tag = "orgs", params(("org" = String, Path), ("user" = String, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such member", body = ErrorBody),
    (status = 409, description = "The last owner cannot be removed", body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((org_id, member_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let leaving = member_id == user.id();
    let access = require_org(
        &state.db,
        user.id(),
        &org_id,
        if leaving {
            OrgAction::Read
        } else {
            OrgAction::ManageMembers
        },
    )
    .await?;
    let current = store::member(&state.db, &org_id, &member_id)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    if !leaving {
        ensure_may_grant(access.role, current.role)?;
    }
    let mut work = state.writes.begin().await?;
    ensure_keeps_an_owner(
        current.role,
        None,
        store::count_owners(work.tx(), &org_id).await?,
    )?;
    store::remove_member(work.tx(), &org_id, &member_id).await?;
    let event = Event::new(action::MEMBER_REMOVED, Some(user.id()))
        .org(&org_id)
        .target("user", &member_id)
        .change(
            Some(serde_json::json!({ "role": org_role_name(current.role) })),
            None::<()>,
        );
    work.audit(&event, &client).await?;
    work.access_changed(
        &org_id,
        crate::events::Audience::User(member_id.clone()),
        "org.left",
    );
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
