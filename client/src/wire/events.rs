//! The frames of the app event socket (`/api/v1/events`): what the server sends ([`EventFrame`],
//! one [`AppEvent`] each) and what a client may send ([`ClientFrame`]).
//!
//! Each event's `data` is a wire type of its own, so the OpenAPI document describes every frame
//! and generated clients get typed payloads instead of free-form JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    BoardSummary, Channel, Doc, DocCommentEvent, DocsMoved, ImportFinished, ImportProgress,
    Message, Milestone, Notification, Presence, Reactions, Record, RecordAttachmentsChanged,
    RecordRemoved, RecordsImported, Removed, TaskEvent, TimerChanged, UserRef,
};

/// One frame the server sends on the `/api/v1/events` socket: `{"id"?, "type", "data"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventFrame {
    /// Set on events kept for resume: pass the last one seen as `last_event_id` on reconnect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub event: AppEvent,
}

/// What happened: the frame's `type` and the `data` that type carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum AppEvent {
    /// The first frame of every connection.
    #[serde(rename = "hello")]
    Hello(Hello),
    /// The client missed more than can be replayed (or sent an unusable `last_event_id`):
    /// refetch what is on screen, then carry on from `last_event_id`.
    #[serde(rename = "resync")]
    Resync(Resync),
    /// The answer to a client's `ping`.
    #[serde(rename = "pong")]
    Pong,
    /// A client frame was refused (malformed, about something the caller may not see, or over
    /// the rate); too many close the socket.
    #[serde(rename = "error")]
    Error(SocketError),
    #[serde(rename = "message.created")]
    MessageCreated(Message),
    /// An edit, or a change of the message's mentions.
    #[serde(rename = "message.updated")]
    MessageUpdated(Message),
    /// The tombstone of a deleted message.
    #[serde(rename = "message.deleted")]
    MessageDeleted(Message),
    /// A thread's root with its new reply count, last reply and participants.
    #[serde(rename = "thread.updated")]
    ThreadUpdated(Message),
    #[serde(rename = "reaction.updated")]
    ReactionUpdated(Reactions),
    #[serde(rename = "channel.created")]
    ChannelCreated(Channel),
    /// A rename, new topic, or (un)archiving. `notify` is the creator's default, not the
    /// receiver's level: keep your own.
    #[serde(rename = "channel.updated")]
    ChannelUpdated(Channel),
    #[serde(rename = "channel.member_added")]
    ChannelMemberAdded(ChannelMember),
    #[serde(rename = "channel.member_removed")]
    ChannelMemberRemoved(ChannelMember),
    /// The caller's read marker moved (in another tab, or on another device).
    #[serde(rename = "read.updated")]
    ReadUpdated(ReadMarker),
    /// A notification for the caller.
    #[serde(rename = "notification.created")]
    NotificationCreated(Notification),
    /// Some (or all) of the caller's notifications were read.
    #[serde(rename = "notification.read")]
    NotificationRead(NotificationsRead),
    /// A member of one of the caller's organisations changed their name or handle.
    #[serde(rename = "user.updated")]
    UserUpdated(UserRef),
    /// What the caller may see changed (a membership or role): refetch lists.
    #[serde(rename = "access.changed")]
    AccessChanged(AccessChanged),
    /// One of the caller's other sessions or tokens was revoked.
    #[serde(rename = "session.revoked")]
    SessionRevoked(SessionRevoked),
    #[serde(rename = "task.created")]
    TaskCreated(TaskEvent),
    /// Any field of the card changed (full details: `GET /api/v1/tasks/{task}`).
    #[serde(rename = "task.updated")]
    TaskUpdated(TaskEvent),
    #[serde(rename = "task.moved")]
    TaskMoved(TaskEvent),
    #[serde(rename = "task.deleted")]
    TaskDeleted(Removed),
    /// A board was created, renamed, refiltered or its columns changed: refetch it.
    #[serde(rename = "board.updated")]
    BoardUpdated(BoardSummary),
    #[serde(rename = "board.deleted")]
    BoardDeleted(Removed),
    /// A milestone was created, renamed, redated, closed or reopened (to the project).
    #[serde(rename = "milestone.updated")]
    MilestoneUpdated(Milestone),
    #[serde(rename = "milestone.deleted")]
    MilestoneDeleted(Removed),
    /// A document was created in a project (to the project's members; `can` is absent).
    #[serde(rename = "doc.created")]
    DocCreated(Doc),
    /// A document was renamed (to the project's members; `can` is absent).
    #[serde(rename = "doc.updated")]
    DocUpdated(Doc),
    /// Documents of a project took new places in its page tree.
    #[serde(rename = "doc.moved")]
    DocsMoved(DocsMoved),
    /// A comment was added to a document, or one of its threads resolved or reopened.
    #[serde(rename = "doc.comment")]
    DocComment(DocCommentEvent),
    /// The caller's timer started or stopped (to their own sockets: their other tabs follow).
    #[serde(rename = "timer.updated")]
    TimerUpdated(TimerChanged),
    /// A record was created (sent to those who may read it: "only own" readers get their own).
    #[serde(rename = "record.created")]
    RecordCreated(Record),
    /// A record's fields changed.
    #[serde(rename = "record.updated")]
    RecordUpdated(Record),
    /// A record took a workflow step (its `state`, and perhaps its name, changed).
    #[serde(rename = "record.transitioned")]
    RecordTransitioned(Record),
    #[serde(rename = "record.deleted")]
    RecordDeleted(RecordRemoved),
    /// A large CSV import wrote records the receiver may read (one event, not one per row).
    #[serde(rename = "record.imported")]
    RecordsImported(RecordsImported),
    /// The progress of the receiver's own CSV import (not kept).
    #[serde(rename = "record.import.progress")]
    RecordImportProgress(ImportProgress),
    /// The caller's CSV import ended: all rows written, or none (row errors).
    #[serde(rename = "record.import.finished")]
    RecordImportFinished(ImportFinished),
    /// A record's attached files changed (sent to those who may read it).
    #[serde(rename = "record.attachments_changed")]
    RecordAttachmentsChanged(RecordAttachmentsChanged),
    /// Someone is typing in a channel or thread (not kept; not sent to the typist).
    #[serde(rename = "typing")]
    Typing(Typing),
    /// A member's online state changed (not kept).
    #[serde(rename = "presence")]
    Presence(Presence),
}

/// `hello`: who the socket is for, and how to keep it alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Hello {
    pub user_id: String,
    /// The newest event id: resume from here when no event arrives before a reconnect.
    pub last_event_id: i64,
    /// How often the server pings; a socket silent for three intervals is closed.
    pub heartbeat_ms: u64,
}

/// `resync`: why, and where the live events continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Resync {
    pub reason: String,
    pub last_event_id: i64,
}

/// `error`: why a client frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SocketError {
    /// `bad_frame`, `unknown_channel`, `unknown_thread` or `rate_limited`.
    pub code: String,
    pub message: String,
}

/// `channel.member_added` and `channel.member_removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelMember {
    pub channel_id: String,
    pub user_id: String,
}

/// `read.updated`: the newest message read in a channel, or in one of its threads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadMarker {
    pub channel_id: String,
    /// Set when the marker is a thread's.
    pub thread_id: Option<String>,
    pub message_id: String,
}

/// `notification.read`: these ids, or (`all`) every notification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationsRead {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

/// `access.changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessChanged {
    pub org_id: String,
    /// What changed, e.g. `org.joined`, `org.role_changed`, `project.left`, `channel.joined`.
    pub reason: String,
}

/// `session.revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionRevoked {
    /// The kind of credential revoked (`session`, `api`), or `all` (a password reset).
    pub reason: String,
}

/// `typing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Typing {
    pub channel_id: String,
    pub thread_id: Option<String>,
    pub user_id: String,
}

/// A frame a client may send on the event socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Keeps the connection alive; answered with `pong`.
    Ping,
    /// The sender is typing in a channel (or one of its threads).
    Typing {
        channel: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<String>,
    },
    /// The sender's tab became visible (`active`) or hidden (`away`).
    Presence { status: ClientPresence },
}

/// The state a client reports in a `presence` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientPresence {
    Active,
    Away,
}
