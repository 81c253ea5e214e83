//! Joining an organisation: owners and admins invite an e-mail address, the person accepts.
//!
//! Adding a member never adds an account directly: it e-mails a single-use, expiring
//! invitation and answers 202 with the same body whether or not the address has an account,
//! so the answer reveals nothing. Accepting needs the session of an account whose *verified*
//! address is the invited one — someone who registered a new hire's address before them
//! cannot join in their place. Invitations are listed and revoked by admins, and limited per
//! organisation and per inviter per hour (revoked ones count too, so revoking does not buy
//! more e-mails).

use std::time::Duration;

use atrium_client::wire::{
    AcceptInvitation, AddMemberRequest, AddMemberResponse, ErrorBody, Invitation,
    InvitationPreview, Org, Page,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, InvitationCount, InvitationRejection};
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::auth::store as auth_store;
use crate::auth::tokens::{self, TokenKind};
use crate::authz::members::ensure_may_grant;
use crate::authz::roles::{org_role_name, parse_org_role};
use crate::authz::{self, OrgAction, require_org};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::mail;
use crate::state::AppState;
use crate::users::model::normalize_email;

/// How long an invitation link stays valid.
const VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The window of the invitation rate limits.
const RATE_WINDOW: Duration = Duration::from_secs(3600);

/// The invitation routes besides `POST /api/v1/orgs/{org}/members` (which shares its path
/// with the member list, in [`super::routes`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations))
        .routes(routes!(revoke_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(preview_invitation))
}

fn unverified() -> ApiError {
    ApiError::Refused {
        code: "email_unverified",
        message: "verify your e-mail address first: open the link we e-mailed you, or ask for a \
                  new one"
            .to_owned(),
    }
}

/// Invite someone by e-mail. The answer is the same whether or not the address has an
/// account: the person joins by accepting the e-mailed invitation. A pending invitation of
/// the same address is replaced.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "orgs", params(("org" = String, Path)), request_body = AddMemberRequest, responses(
    (status = 202, description = "An invitation was e-mailed", body = AddMemberResponse),
    (status = 403, description = "Only owners and admins invite, only owners invite owners, and the inviter's address must be verified (`email_unverified`)", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "Already a member", body = ErrorBody),
    (status = 422, description = "Not an e-mail address, or an unknown role", body = ErrorBody),
    (status = 429, description = "Too many invitations this hour, from this organisation or this inviter (`invitations_throttled`)", body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<AddMemberRequest>,
) -> Result<(StatusCode, Json<AddMemberResponse>)> {
    let access = require_org(&state.db, user.id(), &org_id, OrgAction::InviteMembers).await?;
    // `role` names a base role, or a business role: the person joins as a member holding it.
    let mut names = body.roles.clone().unwrap_or_default();
    let role = match parse_org_role(body.role.trim()) {
        Some(role) => role,
        None => {
            names.push(body.role.trim().to_owned());
            atrium_client::wire::OrgRole::Member
        }
    };
    let roles = authz::routes::validate_business_roles(&state.db, &org_id, "role", &names).await?;
    ensure_may_grant(access.role, role)?;
    if let Some(manager) = &body.manager
        && store::member(&state.db, &org_id, manager).await?.is_none()
    {
        return Err(ApiError::invalid_field(
            "manager",
            "is not a member of this organisation",
        ));
    }
    let inviter = auth_store::credentials_by_id(&state.db, user.id())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if inviter.email_verified_at.is_none() {
        return Err(unverified());
    }
    let email = normalize_email(&body.email);
    if !email.contains('@') {
        return Err(ApiError::invalid_field("email", "is not an e-mail address"));
    }
    if store::is_member_email(&state.db, &org_id, &email).await? {
        return Err(ApiError::conflict(
            "already_member",
            "this person is already a member",
        ));
    }
    check_rate(
        &state,
        InvitationCount::Org(&org_id),
        state.config.invitations_per_org_per_hour,
    )
    .await?;
    check_rate(
        &state,
        InvitationCount::Inviter(user.id()),
        state.config.invitations_per_inviter_per_hour,
    )
    .await?;

    let secret = tokens::generate(TokenKind::Invitation);
    let validity_ms = i64::try_from(VALIDITY.as_millis()).unwrap_or(i64::MAX);
    let org_name = store::name(&state.db, &org_id).await?.unwrap_or_default();
    let mut work = state.writes.begin().await?;
    store::revoke_pending_for(work.tx(), &org_id, &email).await?;
    let invitation = store::insert_invitation(
        work.tx(),
        &store::NewInvitation {
            org_id: &org_id,
            email: &email,
            role,
            roles: &roles,
            manager: body.manager.as_deref(),
            invited_by: user.id(),
            expires_at: now_ms() + validity_ms,
        },
        &secret,
    )
    .await?;
    let public_url = state.config.public_url();
    let message = mail::templates::invitation(&mail::templates::Invitation {
        public_url: &public_url,
        to: &email,
        inviter_name: &user.user.name,
        org_name: &org_name,
        role: org_role_name(role),
        token: &secret,
        expires_at: invitation.expires_at,
    });
    mail::outbox::enqueue(&mut work, Some(&org_id), &message)
        .await
        .map_err(|e| ApiError::invalid_field("email", e.to_string()))?;
    let event = Event::new(action::MEMBER_INVITED, Some(user.id()))
        .org(&org_id)
        .target("invitation", &invitation.id)
        .change(
            None::<()>,
            Some(
                serde_json::json!({ "email": email, "role": org_role_name(role), "roles": roles }),
            ),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(AddMemberResponse { invitation })))
}

/// Refuses another invitation when `limit` were sent in the last hour.
async fn check_rate(state: &AppState, of: InvitationCount<'_>, limit: u32) -> Result<()> {
    let window = i64::try_from(RATE_WINDOW.as_millis()).unwrap_or(i64::MAX);
    let now = now_ms();
    let (count, oldest) = store::invitations_since(&state.db, of, now - window).await?;
    if count < i64::from(limit) {
        return Ok(());
    }
    // A slot frees when the oldest invitation of the window leaves it.
    let wait = oldest
        .map_or(window, |oldest| oldest + window - now)
        .max(1000);
    let whose = match of {
        InvitationCount::Org(_) => "this organisation has",
        InvitationCount::Inviter(_) => "you have",
    };
    Err(ApiError::Throttled {
        code: "invitations_throttled",
        message: format!(
            "{whose} sent {limit} invitations in the last hour; try again in {} minutes",
            wait.div_euclid(60_000) + 1
        ),
        retry_after: Duration::from_millis(u64::try_from(wait).unwrap_or(0)),
    })
}

/// The organisation's pending invitations, newest first (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations", tag = "orgs", params(("org" = String, Path)), responses(
    (status = 200, description = "Pending invitations", body = Page<Invitation>),
    (status = 403, description = "Only owners and admins see invitations", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_invitations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<Invitation>>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    Ok(Json(Page {
        items: store::pending_invitations(&state.db, &org_id).await?,
        next: None,
    }))
}

/// Revoke a pending invitation: its link stops working.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations/{invitation}", tag = "orgs",
    params(("org" = String, Path), ("invitation" = String, Path)), responses(
    (status = 204, description = "Revoked"),
    (status = 403, description = "Only owners and admins revoke; only owners revoke invitations of owners", body = ErrorBody),
    (status = 404, description = "No such pending invitation", body = ErrorBody)))]
async fn revoke_invitation(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((org_id, invitation_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let access = require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    let invitation = store::pending_invitation(&state.db, &org_id, &invitation_id)
        .await?
        .ok_or(ApiError::NotFound("invitation"))?;
    ensure_may_grant(access.role, invitation.role)?;
    let mut work = state.writes.begin().await?;
    if !store::revoke_invitation(work.tx(), &org_id, &invitation_id).await? {
        return Err(ApiError::NotFound("invitation"));
    }
    let event = Event::new(action::INVITATION_REVOKED, Some(user.id()))
        .org(&org_id)
        .target("invitation", &invitation_id)
        .change(
            Some(serde_json::json!({
                "email": invitation.email,
                "role": org_role_name(invitation.role),
            })),
            None::<()>,
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invitation link invites to — the organisation, who sent it, to which address and
/// with which role — so that its page can say so before the person logs in or signs up. It
/// needs no session: the link's token is the proof, as for accepting.
#[utoipa::path(post, path = "/api/v1/invitations/preview", tag = "orgs", request_body = AcceptInvitation, responses(
    (status = 200, description = "The invitation can be accepted", body = InvitationPreview),
    (status = 404, description = "Unknown token", body = ErrorBody),
    (status = 410, description = "Accepted, revoked or expired", body = ErrorBody)))]
async fn preview_invitation(
    State(state): State<AppState>,
    Json(body): Json<AcceptInvitation>,
) -> Result<Json<InvitationPreview>> {
    match store::invitation_preview(&state.db, body.token.trim()).await? {
        Ok((invitation, org_name, invited_by)) => Ok(Json(InvitationPreview {
            org_name,
            invited_by,
            email: invitation.email,
            role: invitation.role,
            expires_at: invitation.expires_at,
        })),
        Err(InvitationRejection::Unknown) => Err(ApiError::NotFound("invitation")),
        Err(InvitationRejection::Spent) => Err(ApiError::Gone(
            "this invitation has been used, revoked or has expired".to_owned(),
        )),
    }
}

/// Accept an invitation with the token from its e-mail. The caller must be logged in to the
/// account with the invited address, and that address must be verified; the token works
/// once, until it expires or is revoked. Someone who is already a member keeps their role.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "orgs", request_body = AcceptInvitation, responses(
    (status = 200, description = "Joined; the organisation with the caller's role", body = Org),
    (status = 401, description = "Not logged in", body = ErrorBody),
    (status = 403, description = "Sent to another address (`wrong_account`), or the address is not verified yet (`email_unverified`)", body = ErrorBody),
    (status = 404, description = "Unknown token", body = ErrorBody),
    (status = 410, description = "Accepted, revoked or expired", body = ErrorBody)))]
async fn accept_invitation(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Json(body): Json<AcceptInvitation>,
) -> Result<Json<Org>> {
    let token = body.token.trim();
    let gone =
        || ApiError::Gone("this invitation has been used, revoked or has expired".to_owned());
    let mut work = state.writes.begin().await?;
    let invitation = match store::live_invitation(work.tx(), token).await? {
        Ok(invitation) => invitation,
        Err(InvitationRejection::Unknown) => return Err(ApiError::NotFound("invitation")),
        Err(InvitationRejection::Spent) => return Err(gone()),
    };
    if invitation.email != user.user.email {
        return Err(ApiError::Refused {
            code: "wrong_account",
            message: format!(
                "this invitation was sent to another e-mail address; log in to the account for \
                 that address (you are logged in as {})",
                user.user.email
            ),
        });
    }
    let verified = auth_store::credentials_by_id(&state.db, user.id())
        .await?
        .is_some_and(|c| c.email_verified_at.is_some());
    if !verified {
        return Err(unverified());
    }
    if !store::accept_invitation(work.tx(), token, user.id()).await? {
        return Err(gone());
    }
    let joined =
        store::add_member(work.tx(), &invitation.org_id, user.id(), invitation.role).await?;
    if joined {
        authz::store::set_business_roles(
            work.tx(),
            &invitation.org_id,
            user.id(),
            &invitation.roles,
        )
        .await?;
        // The manager named in the invitation, if they are still a member.
        if let Some(manager) = &invitation.manager
            && store::member(&state.db, &invitation.org_id, manager)
                .await?
                .is_some()
        {
            store::set_manager(work.tx(), &invitation.org_id, user.id(), Some(manager)).await?;
        }
    }
    let event = Event::new(action::INVITATION_ACCEPTED, Some(user.id()))
        .org(&invitation.org_id)
        .target("invitation", &invitation.id)
        .change(
            None::<()>,
            Some(serde_json::json!({
                "role": org_role_name(invitation.role),
                "already_member": !joined,
            })),
        );
    work.audit(&event, &client).await?;
    if joined {
        work.access_changed(
            &invitation.org_id,
            crate::events::Audience::User(user.id().to_owned()),
            "org.joined",
        );
    }
    work.commit().await?;
    let mut org = store::list_for_user(&state.db, user.id())
        .await?
        .into_iter()
        .find(|o| o.id == invitation.org_id)
        .ok_or(ApiError::NotFound("organisation"))?;
    (org.roles, org.can) = authz::org_view(&state.db, user.id(), &org.id).await?;
    Ok(Json(org))
}
