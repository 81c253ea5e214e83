//! Read markers, unread counts, the threads view, chat settings and presence.

use std::collections::{HashMap, HashSet};

use atrium_client::wire::{
    ChannelUnread, ChatSettings, ErrorBody, FollowedThread, FollowedThreads, NotificationsRead,
    Page, Presence, PresenceStatus, ReadMarker, ReadRequest, ThreadsUnread, Unread,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::{OrgAction, require_org};
use crate::chat::access::{self, require_channel};
use crate::chat::post;
use crate::chat::store::{messages, reads, settings};
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent, store as event_store};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::notifications::store as notification_store;
use crate::state::AppState;

/// Followed threads listed in the threads view (and summed in unread counts).
const MAX_THREADS: i64 = 200;

/// The read-state routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mark_read))
        .routes(routes!(unread))
        .routes(routes!(threads))
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(presence))
}

/// Mark a channel read up to a message (a reply marks its thread). The caller's other tabs
/// get `read.updated`, and notifications of the read messages are marked read.
#[utoipa::path(post, path = "/api/v1/channels/{channel}/read", tag = "chat", params(("channel" = String, Path)), request_body = ReadRequest, responses(
    (status = 204, description = "Marked"),
    (status = 404, description = "No such channel", body = ErrorBody),
    (status = 422, description = "Not a message of this channel", body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(channel_id): Path<String>,
    Json(body): Json<ReadRequest>,
) -> Result<StatusCode> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let org_id = access.channel.org_id;
    let message = messages::find(&state.db, &org_id, &body.message)
        .await?
        .filter(|m| m.channel_id == channel_id)
        .ok_or_else(|| ApiError::invalid_field("message", "no such message in this channel"))?;
    let now = now_ms();
    let mut work = state.writes.begin().await?;
    let moved = match &message.thread_id {
        Some(root) => reads::mark_thread(work.tx(), root, user.id(), &org_id, &message.id).await?,
        None => reads::mark_channel(work.tx(), &channel_id, user.id(), &message.id, false).await?,
    };
    let read = notification_store::mark_read_upto(
        work.tx(),
        user.id(),
        &channel_id,
        message.thread_id.as_deref(),
        &message.id,
        now,
    )
    .await?;
    let me = Audience::User(user.id().to_owned());
    if moved {
        let data = ReadMarker {
            channel_id: channel_id.clone(),
            thread_id: message.thread_id.clone(),
            message_id: message.id.clone(),
        };
        work.emit(NewEvent::new(&org_id, me.clone(), "read.updated", &data));
    }
    if !read.is_empty() {
        let data = NotificationsRead {
            ids: read.clone(),
            all: false,
        };
        work.emit(NewEvent::new(&org_id, me, "notification.read", &data));
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unread and mention counts per channel (those the caller can see and has not left), and
/// across followed threads.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/unread", tag = "chat", params(("org" = String, Path)), responses(
    (status = 200, description = "Counts", body = Unread),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn unread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Unread>> {
    let org = require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    let (visible, _) = access::visible_channels(&state.db, user.id(), &org_id, org.role).await?;
    // Task discussions have no unread counts in the chat's sidebar.
    let shown: HashSet<String> = visible
        .iter()
        .filter(|e| !e.hidden && e.channel.kind != atrium_client::wire::ChannelKind::Task)
        .map(|e| e.channel.id.clone())
        .collect();
    let all_visible: HashSet<String> = visible.into_iter().map(|e| e.channel.id).collect();
    let channels = reads::channel_counts(&state.db, &org_id, user.id())
        .await?
        .into_iter()
        .filter(|c| shown.contains(&c.channel_id))
        .map(|c| ChannelUnread {
            channel_id: c.channel_id,
            unread: c.unread,
            mentions: c.mentions,
            last_read: c.last_read,
        })
        .collect();
    let mut threads = ThreadsUnread {
        unread: 0,
        mentions: 0,
    };
    for thread in reads::followed_threads(&state.db, &org_id, user.id(), MAX_THREADS).await? {
        if all_visible.contains(&thread.channel_id) {
            threads.unread += thread.unread;
            threads.mentions += thread.mentions;
        }
    }
    Ok(Json(Unread { channels, threads }))
}

/// The threads the caller follows, most recently active first, with unread replies.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/threads", tag = "chat", params(("org" = String, Path)), responses(
    (status = 200, description = "Followed threads", body = FollowedThreads),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn threads(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<FollowedThreads>> {
    let org = require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    let (visible, _) = access::visible_channels(&state.db, user.id(), &org_id, org.role).await?;
    let visible: HashSet<String> = visible.into_iter().map(|e| e.channel.id).collect();
    let followed: Vec<_> = reads::followed_threads(&state.db, &org_id, user.id(), MAX_THREADS)
        .await?
        .into_iter()
        .filter(|t| visible.contains(&t.channel_id))
        .collect();
    let ids: Vec<&str> = followed.iter().map(|t| t.root_id.as_str()).collect();
    let roots = messages::find_many(&state.db, &ids).await?;
    let mut roots: HashMap<String, _> = post::wire_many(&state.db, roots)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let items = followed
        .into_iter()
        .filter_map(|t| {
            Some(FollowedThread {
                root: roots.remove(&t.root_id)?,
                unread: t.unread,
                mentions: t.mentions,
            })
        })
        .collect();
    Ok(Json(FollowedThreads { items }))
}

/// The org's chat settings.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/chat-settings", tag = "chat", params(("org" = String, Path)), responses(
    (status = 200, description = "Settings", body = ChatSettings),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<ChatSettings>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    Ok(Json(settings::get(&state.db, &org_id).await?))
}

/// Choose who may mention @channel/@all/@here and the warning threshold (owners and admins).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/chat-settings", tag = "chat", params(("org" = String, Path)), request_body = ChatSettings, responses(
    (status = 200, description = "Saved", body = ChatSettings),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn update_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<ChatSettings>,
) -> Result<Json<ChatSettings>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ManageMembers).await?;
    if !(1..=1_000_000).contains(&body.mention_all_warn_above) {
        return Err(ApiError::invalid_field(
            "mention_all_warn_above",
            "must be between 1 and 1000000",
        ));
    }
    let before = settings::get(&state.db, &org_id).await?;
    let mut work = state.writes.begin().await?;
    settings::put(work.tx(), &org_id, &body, now_ms()).await?;
    let event = Event::new(action::CHAT_SETTINGS_CHANGED, Some(user.id()))
        .org(&org_id)
        .target("org", &org_id)
        .change(Some(&before), Some(&body));
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(Json(body))
}

/// Who of the org is online, away or offline, and when each was last seen.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/presence", tag = "chat", params(("org" = String, Path)), responses(
    (status = 200, description = "Presence of every member", body = Page<Presence>),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn presence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<Presence>>> {
    require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    let seen: HashMap<String, i64> = event_store::last_seen_in_org(&state.db, &org_id)
        .await?
        .into_iter()
        .collect();
    let registry = state.events.presence();
    let items = crate::orgs::store::list_members(&state.db, &org_id)
        .await?
        .into_iter()
        .map(|member| {
            let status = registry.status(&member.user.id);
            Presence {
                last_seen_at: if status == PresenceStatus::Offline {
                    seen.get(&member.user.id).copied()
                } else {
                    Some(now_ms())
                },
                user_id: member.user.id,
                status,
            }
        })
        .collect();
    Ok(Json(Page { items, next: None }))
}
