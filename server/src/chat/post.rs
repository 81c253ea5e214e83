//! Posting, editing and deleting messages.
//!
//! Each write is one unit of work ([`crate::write`]): the message, its mentions, thread
//! counters and follows, the notifications, the app events and the change-feed row commit
//! together (or not at all), and the event dispatcher is woken after the commit. These
//! functions take what they use (the database, the write path, the message writer), not the
//! application state. New messages are checked here and written
//! by [`super::writer`], which commits concurrent posts together.

use atrium_client::wire::{
    AttachmentRef, Message, NotificationKind, PostMessageRequest, PostedMessage, User, UserRef,
};
use serde_json::json;

use super::access::ChannelAccess;
use super::mention_plan::{self, MentionPlan};
use super::model::{self, ChannelRow};
use super::notify::{self, Recipients};
use super::store::channels as channel_store;
use super::store::messages::{self as store, MessageRow, NewMention};
use super::store::reads;
use super::writer::{Draft, MessageWriter};
use crate::audit::{self, Event};
use crate::authz::Action;
use crate::db::{Db, Tx, now_ms};
use crate::error::{ApiError, Result};
use crate::events::NewEvent;
use crate::http::client_info::ClientInfo;
use crate::write::Writes;

/// Posts a message (or a thread reply) in the channel.
pub async fn post(
    writes: &Writes,
    writer: &MessageWriter,
    author: &User,
    channel_access: &ChannelAccess,
    request: &PostMessageRequest,
) -> Result<PostedMessage> {
    channel_access.require_post()?;
    let channel = &channel_access.channel;
    let db = writes.db();
    model::check_text(&request.text).map_err(|why| ApiError::invalid_field("text", why))?;
    let attachments = attachments(db, channel, &request.attachments).await?;
    let root = match &request.thread {
        Some(root_id) => Some(thread_root(db, channel, root_id).await?),
        None => None,
    };
    let presence = writes.events().presence();
    let plan = mention_plan::plan(db, presence, author, channel_access, &request.text).await?;
    let dm_members = match notify::dm_kind(channel) {
        Some(_) => channel_store::member_ids(db, &channel.id).await?,
        None => Vec::new(),
    };
    let audiences = super::access::event_audiences(db, channel).await?;
    let message = writer
        .write(Draft {
            author: user_ref(author),
            channel: channel.clone(),
            root,
            text: request.text.clone(),
            mention_ids: plan.users.clone(),
            notified: plan.notified().into_iter().map(str::to_owned).collect(),
            attachments,
            dm_members,
            audiences,
        })
        .await?;
    Ok(posted(message, plan))
}

/// Replaces the text of the caller's own message; new mentions are notified.
pub async fn edit(
    writes: &Writes,
    user: &User,
    channel_access: &ChannelAccess,
    message: MessageRow,
    text: &str,
) -> Result<PostedMessage> {
    channel_access.require_on_message(Action::Write, &message.author.id)?;
    require_live(&message)?;
    channel_access.require_post()?;
    let channel = &channel_access.channel;
    model::check_text(text).map_err(|why| ApiError::invalid_field("text", why))?;
    let presence = writes.events().presence();
    let plan = mention_plan::plan(writes.db(), presence, user, channel_access, text).await?;
    let before = message.mention_ids.clone();
    let newly: Vec<String> = plan
        .users
        .iter()
        .filter(|u| !before.contains(u))
        .cloned()
        .collect();

    let mut work = writes.begin().await?;
    let now = now_ms();
    store::edit(work.tx(), &message, text, &plan.users, now).await?;
    let mentions: Vec<NewMention> = newly
        .iter()
        .map(|user| NewMention {
            message_id: &message.id,
            user_id: user,
            channel_id: &channel.id,
            thread_id: message.thread_id.as_deref(),
        })
        .collect();
    store::insert_mentions(work.tx(), &mentions).await?;
    if let Some(root) = &message.thread_id {
        for user in &newly {
            reads::follow(work.tx(), root, user, &channel.org_id, false).await?;
        }
    }
    let updated = wire_in(work.tx(), &channel.org_id, &message.id).await?;
    for audience in super::access::event_audiences(writes.db(), channel).await? {
        work.emit(NewEvent::new(
            &channel.org_id,
            audience,
            "message.updated",
            &updated,
        ));
    }
    if !newly.is_empty() {
        let levels = channel_store::notify_levels(work.tx(), &channel.id).await?;
        let mut recipients = Recipients::default();
        recipients.add(newly.iter().map(String::as_str), NotificationKind::Mention);
        notify::write(
            &mut work, presence, channel, &updated, recipients, &levels, now,
        )
        .await?;
    }
    super::feed::upsert(&mut work, channel, &updated)?;
    work.commit().await?;
    Ok(posted(updated, plan))
}

/// Deletes a message (its author, or a moderator — audit-logged); it becomes a tombstone.
pub async fn delete(
    writes: &Writes,
    user: &User,
    client: &ClientInfo,
    channel_access: &ChannelAccess,
    message: MessageRow,
) -> Result<()> {
    let own = message.author.id == user.id;
    channel_access.require_on_message(Action::Delete, &message.author.id)?;
    if message.deleted_at.is_some() {
        return Ok(());
    }
    channel_access.require_not_archived()?;
    let channel = &channel_access.channel;
    let audiences = super::access::event_audiences(writes.db(), channel).await?;
    let mut work = writes.begin().await?;
    let now = now_ms();
    store::tombstone(work.tx(), &channel.org_id, &message.id, &user.id, now).await?;
    let tombstone = wire_in(work.tx(), &channel.org_id, &message.id).await?;
    for audience in &audiences {
        work.emit(NewEvent::new(
            &channel.org_id,
            audience.clone(),
            "message.deleted",
            &tombstone,
        ));
    }
    if let Some(root_id) = &message.thread_id {
        store::unbump_thread(work.tx(), root_id).await?;
        let root = wire_in(work.tx(), &channel.org_id, root_id).await?;
        for audience in audiences {
            work.emit(NewEvent::new(
                &channel.org_id,
                audience,
                "thread.updated",
                &root,
            ));
        }
    }
    super::feed::delete(&mut work, channel, &message.id)?;
    if !own {
        let event = Event::new(audit::action::MESSAGE_DELETED, Some(&user.id))
            .org(&channel.org_id)
            .target("message", &message.id)
            .change(
                // Not the text: deleted text is gone everywhere, the audit log included.
                Some(json!({"channel": channel.id, "author": message.author.id})),
                None::<()>,
            );
        work.audit(&event, client).await?;
    }
    work.commit().await?;
    Ok(())
}

/// 409 when the message is a tombstone.
pub fn require_live(message: &MessageRow) -> Result<()> {
    if message.deleted_at.is_some() {
        return Err(ApiError::Conflict {
            code: "message_deleted",
            message: "the message was deleted".into(),
        });
    }
    Ok(())
}

/// A message's wire form read inside a transaction (with its reactions).
pub async fn wire_in(tx: &mut Tx, org_id: &str, message_id: &str) -> Result<Message> {
    let row = store::find_in(tx, org_id, message_id)
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    let reactions = store::reactions_in(tx, message_id).await?;
    Ok(row.into_wire(reactions))
}

/// Wire forms of rows, with their reactions read in one query.
pub async fn wire_many(db: &Db, rows: Vec<MessageRow>) -> Result<Vec<Message>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut reactions = store::reactions(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let r = reactions.remove(&row.id).unwrap_or_default();
            row.into_wire(r)
        })
        .collect())
}

fn posted(message: Message, plan: MentionPlan) -> PostedMessage {
    PostedMessage {
        message,
        not_notified: plan.not_notified,
        warnings: plan.warnings,
    }
}

pub(crate) fn user_ref(user: &User) -> UserRef {
    UserRef {
        id: user.id.clone(),
        handle: user.handle.clone(),
        name: user.name.clone(),
    }
}

/// The root of a reply: a live top-level message of the same channel.
async fn thread_root(db: &Db, channel: &ChannelRow, root_id: &str) -> Result<MessageRow> {
    let root = store::find(db, &channel.org_id, root_id)
        .await?
        .filter(|root| root.channel_id == channel.id)
        .ok_or_else(|| ApiError::invalid_field("thread", "no such message in this channel"))?;
    if root.thread_id.is_some() {
        return Err(ApiError::invalid_field(
            "thread",
            "is a reply; reply to the thread's first message",
        ));
    }
    if root.deleted_at.is_some() {
        return Err(ApiError::invalid_field("thread", "the message was deleted"));
    }
    Ok(root)
}

/// Checks attachments: files of the channel's project, not in the trash.
async fn attachments(
    db: &Db,
    channel: &ChannelRow,
    file_ids: &[String],
) -> Result<Vec<AttachmentRef>> {
    if file_ids.is_empty() {
        return Ok(Vec::new());
    }
    if file_ids.len() > model::MAX_ATTACHMENTS {
        return Err(ApiError::invalid_field(
            "attachments",
            format!("at most {} files per message", model::MAX_ATTACHMENTS),
        ));
    }
    let Some(project_id) = &channel.project_id else {
        return Err(ApiError::invalid_field(
            "attachments",
            "direct messages cannot carry project files; share a link instead",
        ));
    };
    let mut refs: Vec<AttachmentRef> = Vec::new();
    for file_id in file_ids {
        if refs.iter().any(|r| &r.id == file_id) {
            continue;
        }
        let file = crate::files::store::find(db, &channel.org_id, file_id)
            .await?
            .filter(|f| &f.project_id == project_id && f.trashed_at.is_none())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "attachments",
                    format!("{file_id} is not a file of this channel's project"),
                )
            })?;
        refs.push(AttachmentRef {
            id: file.id,
            name: file.name,
            size: file.size,
            content_type: file.content_type,
        });
    }
    Ok(refs)
}
