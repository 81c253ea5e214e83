//! Messages: post, page through history, threads, permalinks, edit, delete, reactions, follows.

use atrium_client::wire::{
    EditMessageRequest, ErrorBody, Message, MessageEdit, MessagePage, Page, PostMessageRequest,
    PostedMessage, ReactionRequest, Reactions, Thread,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::authz::Action;
use crate::chat::access::{ChannelAccess, require_channel};
use crate::chat::model;
use crate::chat::post;
use crate::chat::store::messages::{self as store, MessageRow, Window};
use crate::chat::store::reads;
use crate::db::now_ms;
use crate::error::{ApiError, Result};
use crate::events::NewEvent;
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// Default and largest page of history.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;
/// The most different emoji on one message.
const MAX_EMOJI_PER_MESSAGE: usize = 50;

/// The message routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_message, list_messages))
        .routes(routes!(get_message, edit_message, delete_message))
        .routes(routes!(get_thread))
        .routes(routes!(message_history))
        .routes(routes!(add_reaction, remove_reaction))
        .routes(routes!(follow_thread, unfollow_thread))
}

/// A message and the caller's access to its channel; 404 when either is not visible.
async fn require_message(
    state: &AppState,
    user_id: &str,
    message_id: &str,
) -> Result<(MessageRow, ChannelAccess)> {
    let org_id = store::locate(&state.db, message_id)
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    let message = store::find(&state.db, &org_id, message_id)
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    let access = require_channel(&state.db, user_id, &message.channel_id)
        .await
        .map_err(|_| ApiError::NotFound("message"))?;
    Ok((message, access))
}

fn check_limit(limit: Option<i64>) -> Result<i64> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// Message ids in query strings: short and printable, or a 400.
fn check_id(id: &str, param: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("{param} must be a message id"),
        ));
    }
    Ok(())
}

/// Post a message, or a reply with `thread`. Mentions of users who cannot see the channel are
/// listed in `not_notified`.
#[utoipa::path(post, path = "/api/v1/channels/{channel}/messages", tag = "chat", params(("channel" = String, Path)), request_body = PostMessageRequest, responses(
    (status = 201, description = "Posted", body = PostedMessage),
    (status = 403, description = "The role may not post (or mention everyone)", body = ErrorBody),
    (status = 404, description = "No such channel", body = ErrorBody),
    (status = 409, description = "The channel is archived", body = ErrorBody),
    (status = 422, description = "Empty or oversized text, unknown mentions, bad thread or attachments", body = ErrorBody)))]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(channel_id): Path<String>,
    Json(body): Json<PostMessageRequest>,
) -> Result<(StatusCode, Json<PostedMessage>)> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let posted = post::post(&state.writes, &state.chat, &user.user, &access, &body).await?;
    Ok((StatusCode::CREATED, Json(posted)))
}

/// Which page of history to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Messages older than this message id.
    pub before: Option<String>,
    /// Messages newer than this message id.
    pub after: Option<String>,
    /// The page around this message (a permalink), the message included.
    pub around: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A page of the channel's top-level messages, oldest first (the newest page by default).
#[utoipa::path(get, path = "/api/v1/channels/{channel}/messages", tag = "chat", params(("channel" = String, Path), HistoryQuery), responses(
    (status = 200, description = "A page of history", body = MessagePage),
    (status = 400, description = "Bad paging parameters", body = ErrorBody),
    (status = 404, description = "No such channel (or `around` message)", body = ErrorBody)))]
async fn list_messages(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(channel_id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<MessagePage>> {
    let access = require_channel(&state.db, user.id(), &channel_id).await?;
    let limit = check_limit(query.limit)?;
    let given = [&query.before, &query.after, &query.around]
        .iter()
        .filter(|p| p.is_some())
        .count();
    if given > 1 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "give at most one of before, after and around",
        ));
    }
    let db = &state.db;
    let org_id = access.channel.org_id.as_str();
    let page = if let Some(before) = &query.before {
        check_id(before, "before")?;
        let (items, more) =
            store::page(db, &channel_id, None, Window::Before(before), limit).await?;
        let newer = store::has_beyond(db, &channel_id, None, before, true).await?
            || store::find(db, org_id, before)
                .await?
                .is_some_and(|m| m.channel_id == channel_id);
        (items, more, newer)
    } else if let Some(after) = &query.after {
        check_id(after, "after")?;
        let (items, more) = store::page(db, &channel_id, None, Window::After(after), limit).await?;
        let older = store::has_beyond(db, &channel_id, None, after, false).await?
            || store::find(db, org_id, after)
                .await?
                .is_some_and(|m| m.channel_id == channel_id);
        (items, older, more)
    } else if let Some(around) = &query.around {
        check_id(around, "around")?;
        let target = store::find(db, org_id, around)
            .await?
            .filter(|m| m.channel_id == channel_id)
            .ok_or(ApiError::NotFound("message"))?;
        // A reply's permalink opens its thread's root in the channel.
        let anchor = match &target.thread_id {
            Some(root) => store::find(db, org_id, root)
                .await?
                .ok_or(ApiError::NotFound("message"))?,
            None => target,
        };
        let older_count = (limit - 1) / 2;
        let newer_count = limit - 1 - older_count;
        let (mut items, older) = if older_count > 0 {
            store::page(
                db,
                &channel_id,
                None,
                Window::Before(&anchor.id),
                older_count,
            )
            .await?
        } else {
            let older = store::has_beyond(db, &channel_id, None, &anchor.id, false).await?;
            (Vec::new(), older)
        };
        let (newer_items, newer) = if newer_count > 0 {
            store::page(
                db,
                &channel_id,
                None,
                Window::After(&anchor.id),
                newer_count,
            )
            .await?
        } else {
            let newer = store::has_beyond(db, &channel_id, None, &anchor.id, true).await?;
            (Vec::new(), newer)
        };
        items.push(anchor);
        items.extend(newer_items);
        (items, older, newer)
    } else {
        let (items, more) = store::page(db, &channel_id, None, Window::Latest, limit).await?;
        (items, more, false)
    };
    let (items, has_more_before, has_more_after) = page;
    let mut items = post::wire_many(&state.db, items).await?;
    for message in &mut items {
        message.can = Some(access.message_can(&message.author.id));
    }
    Ok(Json(MessagePage {
        items,
        has_more_before,
        has_more_after,
    }))
}

/// A message (its permalink).
#[utoipa::path(get, path = "/api/v1/messages/{msg}", tag = "chat", params(("msg" = String, Path)), responses(
    (status = 200, description = "The message", body = Message),
    (status = 404, description = "No such message (or not visible)", body = ErrorBody)))]
async fn get_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
) -> Result<Json<Message>> {
    let (message, access) = require_message(&state, user.id(), &message_id).await?;
    let mut message = post::wire_many(&state.db, vec![message]).await?.remove(0);
    message.can = Some(access.message_can(&message.author.id));
    Ok(Json(message))
}

/// Paging through a thread's replies.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Replies newer than this one.
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A thread: its root and replies, oldest first.
#[utoipa::path(get, path = "/api/v1/messages/{msg}/thread", tag = "chat", params(("msg" = String, Path), ThreadQuery), responses(
    (status = 200, description = "The thread", body = Thread),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 422, description = "The message is a reply", body = ErrorBody)))]
async fn get_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
    Query(query): Query<ThreadQuery>,
) -> Result<Json<Thread>> {
    let (root, access) = require_message(&state, user.id(), &message_id).await?;
    if root.thread_id.is_some() {
        return Err(ApiError::invalid_field(
            "msg",
            "is a reply; open the thread of its root message",
        ));
    }
    let limit = check_limit(query.limit)?;
    let after = query.after.as_deref().unwrap_or("");
    if !after.is_empty() {
        check_id(after, "after")?;
    }
    let (replies, more) = store::page(
        &state.db,
        &root.channel_id,
        Some(&root.id),
        Window::After(after),
        limit,
    )
    .await?;
    let following = reads::is_following(&state.db, &root.id, user.id()).await?;
    let mut root = post::wire_many(&state.db, vec![root]).await?.remove(0);
    root.can = Some(access.message_can(&root.author.id));
    let mut items = post::wire_many(&state.db, replies).await?;
    for reply in &mut items {
        reply.can = Some(access.message_can(&reply.author.id));
    }
    Ok(Json(Thread {
        root,
        items,
        has_more_after: more,
        following,
    }))
}

/// Edit your message; the previous text is kept in its history.
#[utoipa::path(patch, path = "/api/v1/messages/{msg}", tag = "chat", params(("msg" = String, Path)), request_body = EditMessageRequest, responses(
    (status = 200, description = "Edited", body = PostedMessage),
    (status = 403, description = "Not the author", body = ErrorBody),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 409, description = "Deleted, or the channel is archived", body = ErrorBody),
    (status = 422, description = "Invalid text or mentions", body = ErrorBody)))]
async fn edit_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
    Json(body): Json<EditMessageRequest>,
) -> Result<Json<PostedMessage>> {
    let (message, access) = require_message(&state, user.id(), &message_id).await?;
    Ok(Json(
        post::edit(&state.writes, &user.user, &access, message, &body.text).await?,
    ))
}

/// Delete a message (yours, or anyone's as a moderator); a tombstone stays in its place.
#[utoipa::path(delete, path = "/api/v1/messages/{msg}", tag = "chat", params(("msg" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Neither the author nor a moderator", body = ErrorBody),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 409, description = "The channel is archived", body = ErrorBody)))]
async fn delete_message(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(message_id): Path<String>,
) -> Result<StatusCode> {
    let (message, access) = require_message(&state, user.id(), &message_id).await?;
    post::delete(&state.writes, &user.user, &client, &access, message).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The earlier texts of an edited message (its author and moderators).
#[utoipa::path(get, path = "/api/v1/messages/{msg}/history", tag = "chat", params(("msg" = String, Path)), responses(
    (status = 200, description = "Earlier texts, oldest first", body = Page<MessageEdit>),
    (status = 403, description = "Neither the author nor a moderator", body = ErrorBody),
    (status = 404, description = "No such message", body = ErrorBody)))]
async fn message_history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
) -> Result<Json<Page<MessageEdit>>> {
    let (message, access) = require_message(&state, user.id(), &message_id).await?;
    access.require_on_message(Action::Manage, &message.author.id)?;
    let items = store::edits(&state.db, &message.id).await?;
    Ok(Json(Page { items, next: None }))
}

/// Checks a reaction request against the message and channel.
async fn reaction_target(
    state: &AppState,
    user_id: &str,
    message_id: &str,
    emoji: &str,
) -> Result<(MessageRow, ChannelAccess, String)> {
    let (message, access) = require_message(state, user_id, message_id).await?;
    access.require_post()?;
    post::require_live(&message)?;
    let emoji = model::check_emoji(emoji).map_err(|why| ApiError::invalid_field("emoji", why))?;
    Ok((message, access, emoji))
}

async fn react(
    state: &AppState,
    user_id: &str,
    message: &MessageRow,
    access: &ChannelAccess,
    emoji: &str,
    add: bool,
) -> Result<Reactions> {
    let audiences = crate::chat::access::event_audiences(&state.db, &access.channel).await?;
    let mut work = state.writes.begin().await?;
    let changed = if add {
        let current = store::reactions_in(work.tx(), &message.id).await?;
        if current.len() >= MAX_EMOJI_PER_MESSAGE && !current.iter().any(|r| r.emoji == emoji) {
            return Err(ApiError::invalid_field(
                "emoji",
                format!("a message takes at most {MAX_EMOJI_PER_MESSAGE} different emoji"),
            ));
        }
        store::add_reaction(work.tx(), &message.id, user_id, emoji, now_ms()).await?
    } else {
        store::remove_reaction(work.tx(), &message.id, user_id, emoji).await?
    };
    let reactions = Reactions {
        message_id: message.id.clone(),
        channel_id: message.channel_id.clone(),
        reactions: store::reactions_in(work.tx(), &message.id).await?,
    };
    if changed {
        for audience in audiences {
            work.emit(NewEvent::new(
                &message.org_id,
                audience,
                "reaction.updated",
                &reactions,
            ));
        }
    }
    work.commit().await?;
    Ok(reactions)
}

/// React with an emoji (once per user per emoji; repeating is a no-op).
#[utoipa::path(post, path = "/api/v1/messages/{msg}/reactions", tag = "chat", params(("msg" = String, Path)), request_body = ReactionRequest, responses(
    (status = 200, description = "The message's reactions", body = Reactions),
    (status = 403, description = "The role may not react", body = ErrorBody),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 409, description = "The message was deleted, or the channel is archived", body = ErrorBody),
    (status = 422, description = "Not an emoji", body = ErrorBody)))]
async fn add_reaction(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
    Json(body): Json<ReactionRequest>,
) -> Result<Json<Reactions>> {
    let (message, access, emoji) =
        reaction_target(&state, user.id(), &message_id, &body.emoji).await?;
    Ok(Json(
        react(&state, user.id(), &message, &access, &emoji, true).await?,
    ))
}

/// The emoji to remove: `?emoji=`, or a `{"emoji"}` body as for adding (some clients and
/// proxies drop DELETE bodies, so the query is accepted too).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmojiQuery {
    pub emoji: Option<String>,
}

/// Remove your reaction.
#[utoipa::path(delete, path = "/api/v1/messages/{msg}/reactions", tag = "chat", params(("msg" = String, Path), EmojiQuery), request_body(content = ReactionRequest, description = "The emoji; `?emoji=` instead of a body works too"), responses(
    (status = 200, description = "The message's reactions", body = Reactions),
    (status = 400, description = "A body that is not `{\"emoji\"}`", body = ErrorBody),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 409, description = "The message was deleted", body = ErrorBody),
    (status = 422, description = "No emoji, or not an emoji", body = ErrorBody)))]
async fn remove_reaction(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
    Query(query): Query<EmojiQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Reactions>> {
    let emoji = match query.emoji {
        Some(emoji) => emoji,
        None if body.is_empty() => {
            return Err(ApiError::invalid_field(
                "emoji",
                "give the emoji as ?emoji= or in a {\"emoji\"} body",
            ));
        }
        None => {
            serde_json::from_slice::<ReactionRequest>(&body)
                .map_err(|e| ApiError::bad_request("invalid_body", e.to_string()))?
                .emoji
        }
    };
    let (message, access, emoji) = reaction_target(&state, user.id(), &message_id, &emoji).await?;
    Ok(Json(
        react(&state, user.id(), &message, &access, &emoji, false).await?,
    ))
}

async fn set_follow(
    state: &AppState,
    user_id: &str,
    message_id: &str,
    follow: bool,
) -> Result<StatusCode> {
    let (root, _) = require_message(state, user_id, message_id).await?;
    if root.thread_id.is_some() {
        return Err(ApiError::invalid_field(
            "msg",
            "is a reply; follow its root message",
        ));
    }
    let mut work = state.writes.begin().await?;
    if follow {
        reads::follow(work.tx(), &root.id, user_id, &root.org_id, true).await?;
    } else {
        reads::unfollow(work.tx(), &root.id, user_id, &root.org_id).await?;
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Follow a thread: its replies notify you and appear in your threads view.
#[utoipa::path(post, path = "/api/v1/messages/{msg}/follow", tag = "chat", params(("msg" = String, Path)), responses(
    (status = 204, description = "Following"),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 422, description = "The message is a reply", body = ErrorBody)))]
async fn follow_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
) -> Result<StatusCode> {
    set_follow(&state, user.id(), &message_id, true).await
}

/// Stop following a thread (posting in it or being mentioned follows it again).
#[utoipa::path(delete, path = "/api/v1/messages/{msg}/follow", tag = "chat", params(("msg" = String, Path)), responses(
    (status = 204, description = "Not following"),
    (status = 404, description = "No such message", body = ErrorBody),
    (status = 422, description = "The message is a reply", body = ErrorBody)))]
async fn unfollow_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
) -> Result<StatusCode> {
    set_follow(&state, user.id(), &message_id, false).await
}
