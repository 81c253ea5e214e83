//! `/api/v1/orgs/*` and `/api/v1/invitations/*` handlers.

use std::time::Duration;

use atrium_client::wire::{
    AcceptInvitation, AddMemberRequest, AddMemberResponse, ChangeRoleRequest, CreateOrgRequest,
    ErrorBody, Org, OrgMember, OrgRole, Page,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use crate::audit::{self, Event, action};
use crate::auth::CurrentUser;
use crate::auth::tokens::{self, TokenKind};
use crate::authz::roles::org_role_name;
use crate::authz::{OrgAction, require_org};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::mail;
use crate::state::AppState;
use crate::users::model::normalize_email;
use crate::users::store as user_store;

/// How long an invitation link stays valid.
const INVITATION_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);
const MAX_ORG_NAME_CHARS: usize = 100;

/// The organisation routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org, list_orgs))
        .routes(routes!(add_member, list_members))
        .routes(routes!(change_role, remove_member))
        .routes(routes!(accept_invitation))
}

fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_ORG_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "name",
            format!("must be 1 to {MAX_ORG_NAME_CHARS} printable characters"),
        ));
    }
    Ok(name.to_owned())
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
    let mut tx = state.db.begin().await?;
    let org = store::create(&mut tx, &name, user.id()).await?;
    let event = Event::new(action::ORG_CREATED, Some(user.id()))
        .org(&org.id)
        .target("org", &org.id)
        .change(None::<()>, Some(&org));
    audit::store::record_in(&mut tx, &event, &client).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// The caller's organisations.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", responses((status = 200, description = "Organisations", body = Page<Org>)))]
async fn list_orgs(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Page<Org>>> {
    Ok(Json(Page {
        items: store::list_for_user(&state.db, user.id()).await?,
        next: None,
    }))
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

/// Add a member by e-mail: an existing user joins at once; anyone else gets an invitation
/// e-mail with a single-use link.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)), request_body = AddMemberRequest, responses(
    (status = 201, description = "An existing user was added", body = AddMemberResponse),
    (status = 202, description = "An invitation was sent", body = AddMemberResponse),
    (status = 403, description = "Only owners and admins add members; only owners make owners", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "Already a member", body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<AddMemberRequest>,
) -> Result<(StatusCode, Json<AddMemberResponse>)> {
    let access = require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    ensure_may_grant(access.role, body.role)?;
    let email = normalize_email(&body.email);
    if !email.contains('@') {
        return Err(ApiError::invalid_field("email", "is not an e-mail address"));
    }
    let mut tx = state.db.begin().await?;
    if let Some(existing) = user_store::find_by_email(&state.db, &email).await? {
        if !store::add_member(&mut tx, &org_id, &existing.id, body.role).await? {
            return Err(ApiError::conflict(
                "already_member",
                "this user is already a member",
            ));
        }
        let event = Event::new(action::MEMBER_ADDED, Some(user.id()))
            .org(&org_id)
            .target("user", &existing.id)
            .change(
                None::<()>,
                Some(serde_json::json!({ "role": org_role_name(body.role) })),
            );
        audit::store::record_in(&mut tx, &event, &client).await?;
        crate::events::access_changed(
            &mut tx,
            &org_id,
            crate::events::Audience::User(existing.id.clone()),
            "org.joined",
        )
        .await?;
        tx.commit().await?;
        state.events.committed();
        let member = store::member(&state.db, &org_id, &existing.id)
            .await?
            .ok_or(ApiError::NotFound("member"))?;
        return Ok((
            StatusCode::CREATED,
            Json(AddMemberResponse::Added { member }),
        ));
    }

    let secret = tokens::generate(TokenKind::Invitation);
    let validity_ms = i64::try_from(INVITATION_VALIDITY.as_millis()).unwrap_or(i64::MAX);
    let invitation = store::insert_invitation(
        &mut tx,
        &org_id,
        &email,
        body.role,
        &secret,
        user.id(),
        now_ms() + validity_ms,
    )
    .await?;
    let org_name = store::name(&state.db, &org_id).await?.unwrap_or_default();
    let public_url = state.config.public_url();
    let message = mail::templates::invitation(&mail::templates::Invitation {
        public_url: &public_url,
        to: &email,
        inviter_name: &user.user.name,
        org_name: &org_name,
        role: org_role_name(body.role),
        token: &secret,
        expires_at: invitation.expires_at,
    });
    mail::outbox::enqueue(&mut tx, &message)
        .await
        .map_err(|e| ApiError::invalid_field("email", e.to_string()))?;
    let event = Event::new(action::MEMBER_INVITED, Some(user.id()))
        .org(&org_id)
        .target("invitation", &invitation.id)
        .change(
            None::<()>,
            Some(serde_json::json!({ "email": email, "role": org_role_name(body.role) })),
        );
    audit::store::record_in(&mut tx, &event, &client).await?;
    tx.commit().await?;
    state.mail.wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(AddMemberResponse::Invited { invitation }),
    ))
}

/// Only owners grant or take away ownership.
fn ensure_may_grant(actor: OrgRole, role: OrgRole) -> Result<()> {
    if role == OrgRole::Owner && actor != OrgRole::Owner {
        return Err(ApiError::Forbidden(
            "only owners can make other members owners".to_owned(),
        ));
    }
    Ok(())
}

/// Change a member's role. The last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/members/{user}", tag = "orgs",
    params(("org" = String, Path), ("user" = String, Path)), request_body = ChangeRoleRequest, responses(
    (status = 200, description = "The member with the new role", body = OrgMember),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such member", body = ErrorBody),
    (status = 409, description = "The last owner cannot be demoted", body = ErrorBody)))]
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
    ensure_may_grant(access.role, body.role)?;
    ensure_may_grant(access.role, current.role)?;
    let mut tx = state.db.begin().await?;
    if current.role == OrgRole::Owner
        && body.role != OrgRole::Owner
        && store::count_owners(&mut tx, &org_id).await? <= 1
    {
        return Err(ApiError::conflict(
            "last_owner",
            "an organisation needs an owner: make someone else owner first",
        ));
    }
    store::set_role(&mut tx, &org_id, &member_id, body.role).await?;
    let event = Event::new(action::MEMBER_ROLE_CHANGED, Some(user.id()))
        .org(&org_id)
        .target("user", &member_id)
        .change(
            Some(serde_json::json!({ "role": org_role_name(current.role) })),
            Some(serde_json::json!({ "role": org_role_name(body.role) })),
        );
    audit::store::record_in(&mut tx, &event, &client).await?;
    crate::events::access_changed(
        &mut tx,
        &org_id,
        crate::events::Audience::User(member_id.clone()),
        "org.role_changed",
    )
    .await?;
    tx.commit().await?;
    state.events.committed();
    Ok(Json(OrgMember {
        role: body.role,
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
    let mut tx = state.db.begin().await?;
    if current.role == OrgRole::Owner && store::count_owners(&mut tx, &org_id).await? <= 1 {
        return Err(ApiError::conflict(
            "last_owner",
            "an organisation needs an owner: make someone else owner first",
        ));
    }
    store::remove_member(&mut tx, &org_id, &member_id).await?;
    let event = Event::new(action::MEMBER_REMOVED, Some(user.id()))
        .org(&org_id)
        .target("user", &member_id)
        .change(
            Some(serde_json::json!({ "role": org_role_name(current.role) })),
            None::<()>,
        );
    audit::store::record_in(&mut tx, &event, &client).await?;
    crate::events::access_changed(
        &mut tx,
        &org_id,
        crate::events::Audience::User(member_id.clone()),
        "org.left",
    )
    .await?;
    tx.commit().await?;
    state.events.committed();
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation with the token from its e-mail. It must be accepted by the account
/// with the invited address, once, before it expires.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "orgs", request_body = AcceptInvitation, responses(
    (status = 200, description = "Joined; the organisation with the new role", body = Org),
    (status = 403, description = "The invitation was sent to another address", body = ErrorBody),
    (status = 404, description = "Unknown token", body = ErrorBody),
    (status = 410, description = "Used or expired", body = ErrorBody)))]
async fn accept_invitation(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<AcceptInvitation>,
) -> Result<Json<Org>> {
    let mut tx = state.db.begin().await?;
    let invitation = match store::accept_invitation(&mut tx, body.token.trim(), user.id()).await? {
        Ok(invitation) => invitation,
        Err(store::InvitationRejection::Unknown) => return Err(ApiError::NotFound("invitation")),
        Err(_) => {
            return Err(ApiError::Gone(
                "this invitation has been used or has expired".to_owned(),
            ));
        }
    };
    if invitation.email != user.user.email {
        return Err(ApiError::Forbidden(
            "this invitation was sent to another e-mail address".to_owned(),
        ));
    }
    store::add_member(&mut tx, &invitation.org_id, user.id(), invitation.role).await?;
    let event = Event::new(action::INVITATION_ACCEPTED, Some(user.id()))
        .org(&invitation.org_id)
        .target("invitation", &invitation.id)
        .change(
            None::<()>,
            Some(serde_json::json!({ "role": org_role_name(invitation.role) })),
        );
    audit::store::record_in(&mut tx, &event, &client).await?;
    crate::events::access_changed(
        &mut tx,
        &invitation.org_id,
        crate::events::Audience::User(user.id().to_owned()),
        "org.joined",
    )
    .await?;
    tx.commit().await?;
    state.events.committed();
    let org = store::list_for_user(&state.db, user.id())
        .await?
        .into_iter()
        .find(|o| o.id == invitation.org_id)
        .ok_or(ApiError::NotFound("organisation"))?;
    Ok(Json(org))
}
