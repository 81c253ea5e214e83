//! The message writer: one task per server that writes posted messages in groups.
//!
//! Why: a post's transaction is mostly waiting — on the database for each statement (with
//! SQLite, a hand-off to sqlx's worker thread and back) and on the disk for the commit — and
//! SQLite has one writer, so posts written one transaction each queue behind one another's
//! commits. Posts that arrive while a group is being written wait for the next group instead,
//! which writes all of them with one statement per table and one commit ("group commit", as
//! the collaboration hub does for document updates). Nothing is delayed on purpose: a post that
//! finds the writer idle is written at once, alone.
//!
//! A post is answered only after its group committed. When a group fails, each of its posts is
//! written again on its own, so one bad post fails only its own request.

use std::collections::HashMap;

use atrium_client::wire::{
    AttachmentRef, ChannelKind, Message, NotificationKind, NotifyLevel, UserRef,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::access;
use super::feed::MessagePayload;
use super::model::ChannelRow;
use super::notify::{self, Recipients};
use super::post::wire_in;
use super::store::channels as channel_store;
use super::store::messages::{self as store, MessageRow, NewMention, NewMessage};
use super::store::reads;
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::feed::Payload;
use crate::notifications::store::{self as notification_store, NewNotification};
use crate::write::Writes;

/// Posts per committed group (how much group commit is saving), and the time a group took.
const METRIC_GROUP_POSTS: &str = "atrium_chat_post_group_size";
const METRIC_GROUP_SECONDS: &str = "atrium_chat_post_group_seconds";

/// Most posts written in one transaction.
const MAX_GROUP: usize = 256;
/// Posts waiting for the writer; a full queue makes posters wait (back-pressure).
const QUEUE: usize = 4096;

/// A message checked and ready to write: everything read before the transaction.
#[derive(Debug)]
pub struct Draft {
    pub author: UserRef,
    pub channel: ChannelRow,
    /// The thread's root, for a reply.
    pub root: Option<MessageRow>,
    pub text: String,
    /// Users mentioned by handle who can see the channel.
    pub mention_ids: Vec<String>,
    /// Everyone notified of a mention (handles and `@channel`/`@here`), each once.
    pub notified: Vec<String>,
    pub attachments: Vec<AttachmentRef>,
    /// A direct message's members (they are notified); empty for channels.
    pub dm_members: Vec<String>,
    /// Where the message's events go ([`super::access::event_audiences`]).
    pub audiences: Vec<Audience>,
}

struct Job {
    draft: Draft,
    reply: oneshot::Sender<Result<Message>>,
}

/// The handle posts are written through.
#[derive(Clone)]
pub struct MessageWriter {
    queue: mpsc::Sender<Job>,
}

impl MessageWriter {
    /// Starts the writer. On `stop` it writes what is queued, then ends.
    pub fn spawn(writes: Writes, stop: CancellationToken) -> (Self, JoinHandle<()>) {
        metrics::describe_histogram!(
            METRIC_GROUP_POSTS,
            "posted messages written per transaction by the message writer"
        );
        metrics::describe_histogram!(
            METRIC_GROUP_SECONDS,
            metrics::Unit::Seconds,
            "time to write and commit one group of posted messages"
        );
        let (queue, jobs) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(writes, jobs, stop));
        (Self { queue }, task)
    }

    /// Writes the message; returns it once committed.
    pub async fn write(&self, draft: Draft) -> Result<Message> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { draft, reply })
            .await
            .map_err(|_| ApiError::Unavailable("the server is shutting down".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Unavailable("the server is shutting down".into()))?
    }
}

async fn run(writes: Writes, mut jobs: mpsc::Receiver<Job>, stop: CancellationToken) {
    loop {
        let first = tokio::select! {
            job = jobs.recv() => job,
            () = stop.cancelled() => {
                // No new posts; what is queued is still written and answered.
                jobs.close();
                jobs.recv().await
            }
        };
        let Some(first) = first else { return };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        write_group(&writes, group).await;
    }
}

async fn write_group(writes: &Writes, group: Vec<Job>) {
    let drafts: Vec<&Draft> = group.iter().map(|job| &job.draft).collect();
    let started = std::time::Instant::now();
    match write(writes, &drafts).await {
        Ok(messages) => {
            metrics::histogram!(METRIC_GROUP_POSTS).record(messages.len() as f64);
            metrics::histogram!(METRIC_GROUP_SECONDS).record(started.elapsed().as_secs_f64());
            for (job, message) in group.into_iter().zip(messages) {
                // The poster may have gone (request cancelled); the message stands.
                let _ = job.reply.send(Ok(message));
            }
        }
        Err(error) if group.len() == 1 => {
            if let Some(job) = group.into_iter().next() {
                let _ = job.reply.send(Err(error));
            }
        }
        Err(error) => {
            tracing::warn!(%error, posts = group.len(), "a group of posts failed; writing them one by one");
            for job in group {
                let result = write(writes, &[&job.draft])
                    .await
                    .map(|mut written| written.remove(0));
                let _ = job.reply.send(result);
            }
        }
    }
}

/// Writes a group of posts in one transaction: the messages, mentions, thread counters and
/// follows, read markers, notifications, app events and change-feed rows. Returns the messages
/// in the drafts' order.
async fn write(writes: &Writes, drafts: &[&Draft]) -> Result<Vec<Message>> {
    let db = writes.db();
    let mut work = writes.begin().await?;
    let tx = work.tx();
    let now = now_ms();
    // Per channel of the group: its last message time, hidden conversations shown again, and
    // its members' notification levels. Touching a channel locks its row until the commit, and
    // ids are made only then, so a channel's message ids sort in commit order (read markers
    // and "newer than" pages compare ids) while posts in other channels and organisations go
    // on in parallel. Channels are locked in id order, so two groups never deadlock.
    let mut channels: Vec<&ChannelRow> = drafts.iter().map(|draft| &draft.channel).collect();
    channels.sort_by(|a, b| a.id.cmp(&b.id));
    channels.dedup_by(|a, b| a.id == b.id);
    let mut levels: HashMap<&str, Vec<(String, NotifyLevel)>> = HashMap::new();
    for channel in channels {
        channel_store::touch(tx, &channel.id, now).await?;
        if channel.kind == ChannelKind::Dm {
            // A conversation someone hid comes back when it gets a message.
            channel_store::unhide(tx, &channel.id, None).await?;
        }
        levels.insert(
            &channel.id,
            channel_store::notify_levels(tx, &channel.id).await?,
        );
    }
    let ids: Vec<String> = drafts.iter().map(|_| new_id()).collect();

    let rows: Vec<NewMessage> = drafts
        .iter()
        .zip(&ids)
        .map(|(draft, id)| NewMessage {
            id,
            org_id: &draft.channel.org_id,
            channel_id: &draft.channel.id,
            thread_id: draft.root.as_ref().map(|r| r.id.as_str()),
            author_id: &draft.author.id,
            text: &draft.text,
            mention_ids: &draft.mention_ids,
            attachments: &draft.attachments,
            now,
        })
        .collect();
    store::insert_many(tx, &rows).await?;
    let mentions: Vec<NewMention> = drafts
        .iter()
        .zip(&ids)
        .flat_map(|(draft, id)| {
            draft.notified.iter().map(move |user| NewMention {
                message_id: id,
                user_id: user,
                channel_id: &draft.channel.id,
                thread_id: draft.root.as_ref().map(|r| r.id.as_str()),
            })
        })
        .collect();
    store::insert_mentions(tx, &mentions).await?;

    // Whether users who chose `all` still see the channel, asked once per group.
    let mut sees: HashMap<(&str, String), bool> = HashMap::new();
    let mut marks: Vec<(&str, &str, &str)> = Vec::new();
    let mut notifications: Vec<NewNotification> = Vec::new();
    let mut log: Vec<NewEvent> = Vec::new();
    let mut feed: Vec<Payload> = Vec::new();
    let mut messages = Vec::with_capacity(drafts.len());
    for (draft, id) in drafts.iter().zip(&ids) {
        let channel = &draft.channel;
        let channel_levels = &levels[channel.id.as_str()];
        let mut recipients = Recipients::default();
        recipients.add(
            draft.notified.iter().map(String::as_str),
            NotificationKind::Mention,
        );
        if let Some(kind) = notify::dm_kind(channel) {
            recipients.add(draft.dm_members.iter().map(String::as_str), kind);
        }
        let root_after = match &draft.root {
            Some(root) => {
                let author = draft.author.id.as_str();
                store::bump_thread(tx, &root.id, author, now).await?;
                reads::follow(tx, &root.id, author, &channel.org_id, true).await?;
                reads::follow(tx, &root.id, &root.author.id, &channel.org_id, false).await?;
                for user in &draft.mention_ids {
                    reads::follow(tx, &root.id, user, &channel.org_id, false).await?;
                }
                reads::mark_thread(tx, &root.id, author, &channel.org_id, id).await?;
                let followers = reads::followers(tx, &root.id).await?;
                recipients.add(
                    followers.iter().map(String::as_str),
                    NotificationKind::Reply,
                );
                Some(wire_in(tx, &channel.org_id, &root.id).await?)
            }
            None => {
                marks.push((&channel.id, &draft.author.id, id));
                let mut visible = Vec::new();
                for user in notify::all_level_users(channel_levels) {
                    let key = (channel.id.as_str(), user);
                    let seen = match sees.get(&key) {
                        Some(seen) => *seen,
                        None => {
                            let seen = access::access_to(db, &key.1, channel.clone())
                                .await?
                                .is_some();
                            sees.insert(key.clone(), seen);
                            seen
                        }
                    };
                    if seen {
                        visible.push(key.1);
                    }
                }
                recipients.add(
                    visible.iter().map(String::as_str),
                    NotificationKind::Message,
                );
                None
            }
        };

        let message = MessageRow {
            id: id.clone(),
            org_id: channel.org_id.clone(),
            channel_id: channel.id.clone(),
            thread_id: draft.root.as_ref().map(|r| r.id.clone()),
            author: draft.author.clone(),
            text: draft.text.clone(),
            created_at: now,
            edited_at: None,
            deleted_at: None,
            reply_count: 0,
            last_reply_at: None,
            participant_ids: Vec::new(),
            mention_ids: draft.mention_ids.clone(),
            attachments: draft.attachments.clone(),
        }
        .into_wire(Vec::new());
        // Sockets see the message first, then the thread's counters, then notifications of it.
        for audience in &draft.audiences {
            log.push(NewEvent::new(
                &channel.org_id,
                audience.clone(),
                "message.created",
                &message,
            ));
        }
        if let Some(root) = &root_after {
            for audience in &draft.audiences {
                log.push(NewEvent::new(
                    &channel.org_id,
                    audience.clone(),
                    "thread.updated",
                    root,
                ));
            }
        }
        let notified = notify::build(
            writes.events().presence(),
            channel,
            &message,
            recipients,
            channel_levels,
            now,
        );
        log.extend(notify::events(&notified));
        notifications.extend(notified);
        feed.push(Payload::Message(MessagePayload::new(channel, &message)));
        messages.push(message);
    }

    reads::mark_posted(tx, &marks).await?;
    notification_store::insert_many(tx, &notifications).await?;
    work.emit_all(log);
    for ((draft, id), payload) in drafts.iter().zip(&ids).zip(feed) {
        work.feed(&draft.channel.org_id, id, &payload)?;
    }
    work.commit().await?;
    Ok(messages)
}
