//! Message changes into the change feed (kind `message`): what search indexes.

use atrium_client::wire::{ChannelKind, Message};
use serde::{Deserialize, Serialize};

use super::model::ChannelRow;
use crate::feed::{ChangeKind, Payload, Removal};
use crate::write::UnitOfWork;

/// What a consumer gets for a message: its state after the change.
// Fields missing from a stored row read as empty: rows of older versions and hand-fed ones
// (the search benchmark) still index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessagePayload {
    /// The channel's project; `None` for direct messages.
    pub project: Option<String>,
    pub channel: String,
    /// `#channel-name`, or "Direct message".
    pub title: String,
    pub body: String,
    /// The author's user id.
    pub author: String,
    /// UTC milliseconds.
    pub created: i64,
    /// The last edit, or `created`.
    pub updated: i64,
    /// Whether only the channel's members may read it (a private channel or a conversation).
    pub private: bool,
}

impl MessagePayload {
    /// The payload of `message` posted in `channel`.
    pub fn new(channel: &ChannelRow, message: &Message) -> Self {
        let title = match channel.kind {
            ChannelKind::Channel => format!("#{}", channel.name),
            ChannelKind::Dm => "Direct message".to_owned(),
            ChannelKind::Task | ChannelKind::Record => format!("{} discussion", channel.name),
        };
        Self {
            project: channel.project_id.clone(),
            channel: channel.id.clone(),
            title,
            body: message.text.clone(),
            author: message.author.id.clone(),
            created: message.created_at,
            updated: message.edited_at.unwrap_or(message.created_at),
            private: channel.has_explicit_members(),
        }
    }
}

/// Queues the message's current state.
pub fn upsert(
    work: &mut UnitOfWork,
    channel: &ChannelRow,
    message: &Message,
) -> Result<(), sqlx::Error> {
    let payload = Payload::Message(MessagePayload::new(channel, message));
    work.feed(&channel.org_id, &message.id, &payload)
}

/// Queues the message's removal (it became a tombstone).
pub fn delete(
    work: &mut UnitOfWork,
    channel: &ChannelRow,
    message_id: &str,
) -> Result<(), sqlx::Error> {
    work.feed_removal(
        &channel.org_id,
        ChangeKind::Message,
        message_id,
        &Removal::default(),
    )
}
