//! Channels: create and list them, settings, members, direct-message conversations, and the
//! caller's notification level.

use atrium_client::wire::{
    Channel, ChannelKind, ChannelMember, CreateChannelRequest, ErrorBody, NotifyRequest, Page,
    UpdateChannelRequest, User, UserIds,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::channels::ChannelGrant;
use crate::authz::{OrgAction, ProjectAction, require_org, require_project};
use crate::chat::access::{self, ChannelAccess, require_channel};
use crate::chat::model::{self, ChannelRow, FieldErrors};
use crate::chat::store::{self as chat_store, channels as store};
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// The channel routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_channel, list_project_channels))
        .routes(routes!(list_org_channels))
        .routes(routes!(get_channel, update_channel))
        .routes(routes!(add_members, list_members))
        .routes(routes!(remove_member))
        .routes(routes!(set_notify))
        .routes(routes!(open_dm))
}

/// A channel's wire form for `user_id` (members listed for private channels and DMs).
pub async fn wire(state: &AppState, channel: &ChannelRow, user_id: &str) -> Result<Channel> {
    let members = explicit_members(state, channel).await?;
    let notify = store::notify_level(&state.db, &channel.id, user_id).await?;
    Ok(channel.to_wire(members, notify))
}

/// The explicit members of a private channel or DM; none for a public channel.
async fn explicit_members(state: &AppState, channel: &ChannelRow) -> Result<Vec<String>> {
    if channel.has_explicit_members() {
        Ok(store::member_ids(&state.db, &channel.id).await?)
    } else {
        Ok(Vec::new())
    }
}

fn conflict_on_duplicate(error: sqlx::Error) -> ApiError {
    if chat_store::is_unique_violation(&error) {
        ApiError::Conflict {
            code: "channel_exists",
            message: "a channel with this name exists in the project".into(),
        }
    } else {
        error.into()
    }
}

/// Checks that each user may join a private channel of this project: an org member who can
/// read the project. Returns the distinct ids.
async fn check_joiners(
    state: &AppState,
    org_id: &str,
    project_id: Option<&str>,
    user_ids: &[String],
) -> Result<Vec<String>> {
    if user_ids.len() > model::MAX_MEMBERS_PER_REQUEST {
        return Err(ApiError::invalid_field(
            "user_ids",
            format!("at most {} users at once", model::MAX_MEMBERS_PER_REQUEST),
        ));
    }
    let mut distinct: Vec<String> = Vec::new();
    for user_id in user_ids {
        if distinct.contains(user_id) {
            continue;
        }
        let allowed = match project_id {
            Some(project_id) => {
                require_project(&state.db, user_id, project_id, ProjectAction::Read)
                    .await
                    .is_ok()
            }
            None => crate::orgs::store::member_role(&state.db, org_id, user_id)
                .await?
                .is_some(),
        };
        if !allowed {
            return Err(ApiError::invalid_field(
                "user_ids",
                format!("{user_id} is not a member who can see this channel"),
            ));
        }
        distinct.push(user_id.clone());
    }
    Ok(distinct)
}

/// Create a channel in a project (editors and managers); private channels start with the
/// creator and the given members.
#[utoipa::path(post, path = "/api/v1/projects/{project}/channels", tag = "chat", params(("project" = String, Path)), request_body = CreateChannelRequest, responses(
    (status = 201, description = "Created", body = Channel),
    (status = 403, description = "The project role cannot create channels", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 409, description = "The name is taken in this project", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn create_channel(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(project_id): Path<String>,
    Json(body): Json<CreateChannelRequest>,
) -> Result<(StatusCode, Json<Channel>)> {
    let project = require_project(&state.db, user.id(), &project_id, ProjectAction::Write).await?;
    let mut errors = FieldErrors::new();
    let name = model::check_name(&body.name, &mut errors);
    let topic = model::check_topic(body.topic.as_deref().unwrap_or_default(), &mut errors);
    if !body.private && !body.member_ids.is_empty() {
        errors.insert(
            "member_ids".into(),
            "only private channels have explicit members".into(),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let org_id = project.project.org_id.clone();
    let mut members = vec![user.id().to_owned()];
    if body.private {
        members.extend(check_joiners(&state, &org_id, Some(&project_id), &body.member_ids).await?);
        members.dedup();
    }
    let id = new_id();
    let now = now_ms();
    let mut work = state.writes.begin().await?;
    let channel = store::create(
        work.tx(),
        &store::NewChannel {
            id: &id,
            org_id: &org_id,
            project_id: Some(&project_id),
            kind: ChannelKind::Channel,
            name: &name,
            topic: &topic,
            private: body.private,
            dm_key: None,
            created_by: user.id(),
            now,
        },
    )
    .await
    .map_err(conflict_on_duplicate)?;
    let wire_members = if body.private {
        let added = store::add_members(work.tx(), &id, &members, now).await?;
        for member in &added {
            work.access_changed(&org_id, Audience::User(member.clone()), "channel.joined");
        }
        added
    } else {
        Vec::new()
    };
    let wire = channel.to_wire(wire_members, None);
    let audience = if body.private {
        Audience::Channel(id.clone())
    } else {
        Audience::Project(project_id.clone())
    };
    work.emit(NewEvent::new(&org_id, audience, "channel.created", &wire));
    let event = Event::new(action::CHANNEL_CREATED, Some(user.id()))
        .org(&org_id)
        .target("channel", &id)
        .change(
            None::<()>,
            Some(json!({"name": name, "private": body.private, "project": project_id})),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(wire)))
}

/// The project's channels the caller can see (public ones, and private ones they are in).
#[utoipa::path(get, path = "/api/v1/projects/{project}/channels", tag = "chat", params(("project" = String, Path)), responses(
    (status = 200, description = "Channels", body = Page<Channel>),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn list_project_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Page<Channel>>> {
    let project = require_project(&state.db, user.id(), &project_id, ProjectAction::Read).await?;
    let entries = store::list_for_user(
        &state.db,
        &project.project.org_id,
        Some(&project_id),
        user.id(),
    )
    .await?;
    // Task discussions belong to their tasks, not to the channel list.
    let visible: Vec<_> = entries
        .into_iter()
        .filter(|e| e.channel.kind != ChannelKind::Task)
        .filter(|e| {
            crate::authz::channels::visible(e.channel.kind, e.channel.private, e.is_member, true)
        })
        .collect();
    let mut items = with_members(&state, &visible).await?;
    for channel in &mut items {
        let resource = crate::authz::Resource::owned_by(
            crate::authz::ResourceKind::Channel,
            &channel.created_by,
        );
        channel.can = Some(project.can(resource));
    }
    Ok(Json(Page { items, next: None }))
}

/// The wire forms of listed channels, their explicit members read in one query.
async fn with_members(state: &AppState, entries: &[store::ChannelForUser]) -> Result<Vec<Channel>> {
    let explicit: Vec<&str> = entries
        .iter()
        .filter(|e| e.channel.has_explicit_members())
        .map(|e| e.channel.id.as_str())
        .collect();
    let mut members = store::member_ids_of(&state.db, &explicit).await?;
    Ok(entries
        .iter()
        .map(|e| {
            let ids = members.remove(&e.channel.id).unwrap_or_default();
            e.channel.to_wire(ids, e.notify)
        })
        .collect())
}

/// Every channel and direct-message conversation of the org the caller can see and has not
/// left: the sidebar.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/channels", tag = "chat", params(("org" = String, Path)), responses(
    (status = 200, description = "Channels and DMs", body = Page<Channel>),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_org_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<Channel>>> {
    let org = require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    let (entries, projects) =
        access::visible_channels(&state.db, user.id(), &org_id, org.role).await?;
    // Task discussions are reached through their tasks: not in the sidebar.
    let shown: Vec<_> = entries
        .into_iter()
        .filter(|e| !e.hidden && e.channel.kind != ChannelKind::Task)
        .collect();
    let mut items = with_members(&state, &shown).await?;
    for (channel, entry) in items.iter_mut().zip(&shown) {
        let row = &entry.channel;
        let project_role = row
            .project_id
            .as_ref()
            .and_then(|p| projects.get(p))
            .copied();
        let grant = ChannelGrant::new(org.clone(), row.kind, project_role, &row.created_by);
        channel.can = Some(grant.can());
    }
    Ok(Json(Page { items, next: None }))
}

/// A channel.
#[utoipa::path(get, path = "/api/v1/channels/{channel}", tag = "chat", params(("channel" = String, Path)), responses(
    (status = 200, description = "The channel", body = Channel),
    (status = 404, description = "No such channel (or not visible)", body = ErrorBody)))]
async fn get_channel(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(channel_id): Path<String>,
) -> Result<Json<Channel>> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let mut channel = wire(&state, &access.channel, user.id()).await?;
    channel.can = Some(access.can());
    Ok(Json(channel))
}

/// Rename, set the topic, archive or unarchive (moderators and the channel's creator).
#[utoipa::path(patch, path = "/api/v1/channels/{channel}", tag = "chat", params(("channel" = String, Path)), request_body = UpdateChannelRequest, responses(
    (status = 200, description = "Updated", body = Channel),
    (status = 403, description = "Not allowed to manage the channel", body = ErrorBody),
    (status = 404, description = "No such channel", body = ErrorBody),
    (status = 409, description = "The name is taken", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn update_channel(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(channel_id): Path<String>,
    Json(body): Json<UpdateChannelRequest>,
) -> Result<Json<Channel>> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    if !access.grant.may_manage() {
        return Err(ApiError::Forbidden(
            "only the channel's creator and moderators can change it".into(),
        ));
    }
    if matches!(access.channel.kind, ChannelKind::Task | ChannelKind::Record) {
        return Err(ApiError::invalid_field(
            "channel",
            "a task's or record's discussion is named after it and lives as long as it",
        ));
    }
    let before = access.channel.clone();
    let mut channel = access.channel;
    let mut errors = FieldErrors::new();
    if let Some(name) = &body.name {
        if channel.kind == ChannelKind::Dm {
            errors.insert("name".into(), "direct messages have no name".into());
        } else {
            channel.name = model::check_name(name, &mut errors);
        }
    }
    if let Some(topic) = &body.topic {
        channel.topic = model::check_topic(topic, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = now_ms();
    match body.archived {
        Some(true) if channel.archived_at.is_none() => channel.archived_at = Some(now),
        Some(false) => channel.archived_at = None,
        _ => {}
    }
    channel.updated_at = now;
    let mut work = state.writes.begin().await?;
    store::update(work.tx(), &channel)
        .await
        .map_err(conflict_on_duplicate)?;
    let members = explicit_members(&state, &channel).await?;
    let shared = channel.to_wire(members, None);
    work.emit(NewEvent::new(
        &channel.org_id,
        Audience::Channel(channel.id.clone()),
        "channel.updated",
        &shared,
    ));
    let event = Event::new(action::CHANNEL_UPDATED, Some(user.id()))
        .org(&channel.org_id)
        .target("channel", &channel.id)
        .change(
            Some(json!({"name": before.name, "topic": before.topic, "archived": before.archived_at.is_some()})),
            Some(json!({"name": channel.name, "topic": channel.topic, "archived": channel.archived_at.is_some()})),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(Json(wire(&state, &channel, user.id()).await?))
}

/// Add members to a private channel (any member who may post there).
#[utoipa::path(post, path = "/api/v1/channels/{channel}/members", tag = "chat", params(("channel" = String, Path)), request_body = UserIds, responses(
    (status = 200, description = "The channel's members", body = Page<User>),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such channel", body = ErrorBody),
    (status = 422, description = "Not a private channel, or a user who cannot join", body = ErrorBody)))]
async fn add_members(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(channel_id): Path<String>,
    Json(body): Json<UserIds>,
) -> Result<Json<Page<User>>> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let channel = &access.channel;
    if channel.kind == ChannelKind::Dm {
        return Err(ApiError::invalid_field(
            "user_ids",
            "a direct-message conversation is for a fixed set of people; open a new one",
        ));
    }
    if !channel.private {
        return Err(ApiError::invalid_field(
            "user_ids",
            "public channels are open to every project member",
        ));
    }
    access.require_post()?;
    if body.user_ids.is_empty() {
        return Err(ApiError::invalid_field("user_ids", "must not be empty"));
    }
    let joiners = check_joiners(
        &state,
        &channel.org_id,
        channel.project_id.as_deref(),
        &body.user_ids,
    )
    .await?;
    let mut work = state.writes.begin().await?;
    let added = store::add_members(work.tx(), &channel.id, &joiners, now_ms()).await?;
    for member in &added {
        // The new member's sockets learn of the channel first, then everyone sees them join.
        work.access_changed(
            &channel.org_id,
            Audience::User(member.clone()),
            "channel.joined",
        );
        let data = ChannelMember {
            channel_id: channel.id.clone(),
            user_id: member.clone(),
        };
        work.emit(NewEvent::new(
            &channel.org_id,
            Audience::Channel(channel.id.clone()),
            "channel.member_added",
            &data,
        ));
        let event = Event::new(action::CHANNEL_MEMBER_ADDED, Some(user.id()))
            .org(&channel.org_id)
            .target("channel", &channel.id)
            .change(None::<()>, Some(json!({"user": member})));
        work.audit(&event, &client).await?;
    }
    work.commit().await?;
    members_page(&state, &access).await.map(Json)
}

async fn members_page(state: &AppState, access: &ChannelAccess) -> Result<Page<User>> {
    let ids: Vec<String> = if access.channel.has_explicit_members() {
        store::member_ids(&state.db, &access.channel.id).await?
    } else {
        access::audience(&state.db, &access.channel)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    let items = crate::users::store::find_many(&state.db, &ids).await?;
    Ok(Page { items, next: None })
}

/// The channel's members: the explicit ones of a private channel or DM, everyone who can read
/// the project for a public channel.
#[utoipa::path(get, path = "/api/v1/channels/{channel}/members", tag = "chat", params(("channel" = String, Path)), responses(
    (status = 200, description = "Members", body = Page<User>),
    (status = 404, description = "No such channel", body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(channel_id): Path<String>,
) -> Result<Json<Page<User>>> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    members_page(&state, &access).await.map(Json)
}

/// Leave a channel (yourself), or remove a member of a private channel (its creator and
/// moderators). Leaving a public channel or a DM hides it from your list until it is used.
#[utoipa::path(delete, path = "/api/v1/channels/{channel}/members/{user}", tag = "chat", params(("channel" = String, Path), ("user" = String, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 403, description = "Not allowed", body = ErrorBody),
    (status = 404, description = "No such channel or member", body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((channel_id, member_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let channel = &access.channel;
    let leaving = member_id == user.id();
    let mut work = state.writes.begin().await?;
    if leaving && !(channel.private && channel.kind == ChannelKind::Channel) {
        store::set_hidden(work.tx(), &channel.id, user.id(), true).await?;
        work.commit().await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    if !leaving && !access.grant.may_manage() {
        return Err(ApiError::Forbidden(
            "only the channel's creator and moderators can remove members".into(),
        ));
    }
    if !channel.private || channel.kind == ChannelKind::Dm {
        return Err(ApiError::NotFound("member"));
    }
    if !store::remove_member(work.tx(), &channel.id, &member_id).await? {
        return Err(ApiError::NotFound("member"));
    }
    // Everyone (the removed member included) sees the removal; then the member's sockets
    // reload and receive nothing more of the channel.
    let data = ChannelMember {
        channel_id: channel.id.clone(),
        user_id: member_id.clone(),
    };
    work.emit(NewEvent::new(
        &channel.org_id,
        Audience::Channel(channel.id.clone()),
        "channel.member_removed",
        &data,
    ));
    work.access_changed(
        &channel.org_id,
        Audience::User(member_id.clone()),
        "channel.left",
    );
    let event = Event::new(action::CHANNEL_MEMBER_REMOVED, Some(user.id()))
        .org(&channel.org_id)
        .target("channel", &channel.id)
        .change(Some(json!({"user": member_id})), None::<()>);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the caller's notification level for the channel.
#[utoipa::path(put, path = "/api/v1/channels/{channel}/notify", tag = "chat", params(("channel" = String, Path)), request_body = NotifyRequest, responses(
    (status = 200, description = "The channel with the new level", body = Channel),
    (status = 404, description = "No such channel", body = ErrorBody)))]
async fn set_notify(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(channel_id): Path<String>,
    Json(body): Json<NotifyRequest>,
) -> Result<Json<Channel>> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let mut work = state.writes.begin().await?;
    store::set_notify(work.tx(), &channel_id, user.id(), body.level).await?;
    work.commit().await?;
    Ok(Json(wire(&state, &access.channel, user.id()).await?))
}

/// The direct-message conversation of the caller and these users (created on first use).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/dms", tag = "chat", params(("org" = String, Path)), request_body = UserIds, responses(
    (status = 200, description = "The existing conversation", body = Channel),
    (status = 201, description = "A new conversation", body = Channel),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "A user who is not a member, or too many", body = ErrorBody)))]
async fn open_dm(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Json(body): Json<UserIds>,
) -> Result<(StatusCode, Json<Channel>)> {
    require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    let mut users = check_joiners(&state, &org_id, None, &body.user_ids).await?;
    users.push(user.id().to_owned());
    let key = model::dm_key(&users);
    let distinct = key.split(',').count();
    if distinct > model::MAX_DM_USERS {
        return Err(ApiError::invalid_field(
            "user_ids",
            format!("at most {} people per conversation", model::MAX_DM_USERS),
        ));
    }
    if let Some(existing) = store::find_dm(&state.db, &org_id, &key).await? {
        let mut work = state.writes.begin().await?;
        store::set_hidden(work.tx(), &existing.id, user.id(), false).await?;
        work.commit().await?;
        return Ok((
            StatusCode::OK,
            Json(wire(&state, &existing, user.id()).await?),
        ));
    }
    let members: Vec<String> = key.split(',').map(str::to_owned).collect();
    let id = new_id();
    let now = now_ms();
    let mut work = state.writes.begin().await?;
    let created = store::create(
        work.tx(),
        &store::NewChannel {
            id: &id,
            org_id: &org_id,
            project_id: None,
            kind: ChannelKind::Dm,
            name: "",
            topic: "",
            private: true,
            dm_key: Some(&key),
            created_by: user.id(),
            now,
        },
    )
    .await;
    let channel = match created {
        Ok(channel) => channel,
        // Someone opened the same conversation at the same moment: use theirs.
        Err(error) if chat_store::is_unique_violation(&error) => {
            drop(work);
            let existing = store::find_dm(&state.db, &org_id, &key)
                .await?
                .ok_or(ApiError::NotFound("conversation"))?;
            return Ok((
                StatusCode::OK,
                Json(wire(&state, &existing, user.id()).await?),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    store::add_members(work.tx(), &id, &members, now).await?;
    for member in &members {
        work.access_changed(&org_id, Audience::User(member.clone()), "channel.joined");
    }
    let wire = channel.to_wire(members, None);
    work.emit(NewEvent::new(
        &org_id,
        Audience::Channel(id.clone()),
        "channel.created",
        &wire,
    ));
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(wire)))
}
