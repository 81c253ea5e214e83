//! Chat, notifications and presence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrgRole;

/// Whether a channel is a project channel or a direct-message conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Channel,
    Dm,
    /// A task's discussion (its id is the task's): open to the task's project, not listed
    /// with the chat's channels.
    Task,
    /// A business record's discussion (its id is the record's): open to whoever may read the
    /// record, not listed with the chat's channels.
    Record,
}

/// When a user is notified of a channel's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message (and mentions, replies).
    All,
    /// Only @mentions of the user (and of @channel/@here), and replies in followed threads.
    Mentions,
    /// Nothing (muted).
    None,
}

/// A channel as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub id: String,
    pub org_id: String,
    /// `null` for direct messages.
    pub project_id: Option<String>,
    pub kind: ChannelKind,
    /// Empty for direct messages (clients show the members' names).
    pub name: String,
    pub topic: String,
    /// Only explicit members see it (always true for direct messages).
    pub private: bool,
    /// Archived channels are read-only (and still searchable).
    pub archived: bool,
    pub created_by: String,
    pub created_at: i64,
    pub last_message_at: Option<i64>,
    /// Explicit members: private channels and direct messages only.
    #[serde(default)]
    pub member_ids: Vec<String>,
    /// The caller's notification level here.
    pub notify: NotifyLevel,
    /// What the caller may do with it (absent in event payloads, which go to many users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<super::Can>,
}

/// `POST /api/v1/projects/{project}/channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateChannelRequest {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 250)]
    pub topic: Option<String>,
    /// Private channels: the first members besides the creator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_ids: Vec<String>,
}

/// `PATCH /api/v1/channels/{channel}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 250)]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

/// `POST /api/v1/channels/{channel}/members` and `POST /api/v1/orgs/{org}/dms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserIds {
    pub user_ids: Vec<String>,
}

/// `PUT /api/v1/channels/{channel}/notify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotifyRequest {
    pub level: NotifyLevel,
}

/// A user as shown beside their messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub handle: String,
    pub name: String,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentRef {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
}

/// The users who reacted to a message with one emoji.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reaction {
    pub emoji: String,
    pub count: i64,
    pub user_ids: Vec<String>,
}

/// A chat message (or the tombstone of a deleted one: `deleted`, empty text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub channel_id: String,
    pub org_id: String,
    /// The root message of the thread this reply belongs to.
    pub thread_id: Option<String>,
    pub author: UserRef,
    /// Raw markdown; never rendered by the server.
    pub text: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    /// Ids of the users the text mentions (and who may see the channel).
    pub mentions: Vec<String>,
    pub attachments: Vec<AttachmentRef>,
    pub reactions: Vec<Reaction>,
    /// Roots: number of replies, time of the last, and who replied.
    pub reply_count: i64,
    pub last_reply_at: Option<i64>,
    pub participant_ids: Vec<String>,
    /// What the caller may do with it (absent in event payloads, which go to many users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can: Option<super::Can>,
}

/// `POST /api/v1/channels/{channel}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostMessageRequest {
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub text: String,
    /// Reply in the thread of this root message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// Ids of files of the channel's project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// Something the sender should know about a message that was posted anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

/// The answer to posting or editing a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostedMessage {
    #[serde(flatten)]
    pub message: Message,
    /// Handles of mentioned users who cannot see the channel: they were not notified.
    #[serde(default)]
    pub not_notified: Vec<String>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// `PATCH /api/v1/messages/{msg}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EditMessageRequest {
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub text: String,
}

/// A page of a channel's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub has_more_before: bool,
    pub has_more_after: bool,
}

/// `GET /api/v1/messages/{msg}/thread`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Thread {
    pub root: Message,
    pub items: Vec<Message>,
    pub has_more_after: bool,
    /// Whether the caller follows it.
    pub following: bool,
}

/// An earlier text of an edited message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageEdit {
    pub text: String,
    /// When this text was replaced.
    pub replaced_at: i64,
}

/// `POST/DELETE /api/v1/messages/{msg}/reactions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactionRequest {
    pub emoji: String,
}

/// A message's reactions after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reactions {
    pub message_id: String,
    pub channel_id: String,
    pub reactions: Vec<Reaction>,
}

/// `POST /api/v1/channels/{channel}/read`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadRequest {
    /// The newest message read (a reply marks its thread).
    pub message: String,
}

/// Unread state of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelUnread {
    pub channel_id: String,
    pub unread: i64,
    pub mentions: i64,
    pub last_read: Option<String>,
}

/// Unread replies across followed threads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThreadsUnread {
    pub unread: i64,
    pub mentions: i64,
}

/// `GET /api/v1/orgs/{org}/unread`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unread {
    pub channels: Vec<ChannelUnread>,
    pub threads: ThreadsUnread,
}

/// A followed thread in the threads view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowedThread {
    pub root: Message,
    pub unread: i64,
    pub mentions: i64,
}

/// `GET /api/v1/orgs/{org}/threads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowedThreads {
    pub items: Vec<FollowedThread>,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The user (or @channel/@all/@here) was mentioned.
    Mention,
    /// A reply in a thread the user follows.
    Reply,
    /// A direct message.
    Dm,
    /// A message in a channel whose level is `all`.
    Message,
    /// A task was assigned to the user (`channel_id` is the task's discussion: the task's id).
    TaskAssigned,
    /// A task the user is assigned to is due tomorrow.
    TaskDueSoon,
    /// A task the user's task waited for was closed.
    TaskBlockerDone,
    /// A timesheet the user approves was submitted (`channel_id` is the timesheet's id, as
    /// for every timesheet notification).
    TimesheetSubmitted,
    /// The user's timesheet was approved.
    TimesheetApproved,
    /// The user's timesheet was rejected (`snippet` says why).
    TimesheetRejected,
    /// The user has not submitted last week's timesheet (`channel_id`: the timesheet, if any).
    TimesheetDue,
    /// A webhook the user manages was disabled: its deliveries failed for the whole retry
    /// horizon (`channel_id` is the webhook's id; `snippet` names its URL).
    WebhookDisabled,
    /// An automation rule's `notify` action (`snippet` is its text; `channel_id` the task or
    /// record concerned, if any).
    Automation,
    /// A comment on a document mentioned the user, or replied in a thread they took part in
    /// (`channel_id` is the document's id, `message_id` the comment's, `thread_id` its
    /// thread's).
    DocComment,
}

/// An entry of the notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    pub org_id: String,
    pub channel_id: Option<String>,
    pub message_id: Option<String>,
    pub thread_id: Option<String>,
    pub actor: Option<UserRef>,
    /// The start of the message's text.
    pub snippet: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// `POST /api/v1/notifications/read`: the given ids, or every notification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MarkNotificationsRead {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    #[serde(default)]
    pub all: bool,
}

/// Online state of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Away,
    Offline,
}

/// A user's presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Presence {
    pub user_id: String,
    pub status: PresenceStatus,
    pub last_seen_at: Option<i64>,
}

/// `GET/PATCH /api/v1/orgs/{org}/chat-settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChatSettings {
    /// Org roles allowed to mention @channel, @all and @here.
    pub mention_all_roles: Vec<OrgRole>,
    /// Mentioning @channel/@all answers a warning above this many members.
    #[schema(minimum = 1, maximum = 1000000)]
    pub mention_all_warn_above: i64,
}

/// `PATCH /api/v1/me`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    /// A new @mention handle (unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^\s*@*[A-Za-z0-9][A-Za-z0-9_.-]{1,31}\s*$")]
    pub handle: Option<String>,
}

/// `GET/PUT /api/v1/me/notification-settings`: account-wide notification choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// E-mail a digest of notifications missed while offline.
    pub email_digest: bool,
}
