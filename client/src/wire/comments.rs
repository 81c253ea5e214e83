//! Comments anchored to a range of a document's text (`/api/v1/docs/{doc}/comments`,
//! `/api/v1/comments/{comment}/resolve|reopen`, the `doc.comment` event).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::chat::UserRef;

/// Where a thread is anchored: two Yjs relative positions in the document's `default` fragment
/// (`Y.encodeRelativePosition`, base64), so the range follows edits made around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommentAnchor {
    #[schema(max_length = 512)]
    pub from: String,
    #[schema(max_length = 512)]
    pub to: String,
}

/// `POST /api/v1/docs/{doc}/comments`: a new thread (`anchor`, with the `quote` it covers) or a
/// reply to one (`thread`); exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewDocComment {
    /// Markdown; `@handle` mentions notify people who may read the document. May be empty
    /// on a suggestion (the suggested text speaks for itself).
    #[schema(max_length = 10000)]
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<CommentAnchor>,
    /// The text the anchored range holds now (shown if it is later deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub quote: Option<String>,
    /// The thread (its first comment's id) this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// A suggested edit (review mode): the text to put in place of the anchored range (empty:
    /// delete it). Only on a new thread; someone who may edit the document accepts or rejects it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10000)]
    pub suggestion: Option<String>,
}

/// How a suggested edit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionOutcome {
    Accepted,
    Rejected,
}

/// One comment. A thread is its first comment (`thread == id`, with the anchor, quote and
/// resolution) and the replies that name it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocComment {
    pub id: String,
    pub doc_id: String,
    pub thread: String,
    pub author: UserRef,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<CommentAnchor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<UserRef>,
    /// On a thread that suggests an edit: the text suggested for the anchored range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// On a resolved suggestion: whether it was accepted (the edit made) or rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<SuggestionOutcome>,
    pub created_at: i64,
}

/// `GET /api/v1/docs/{doc}/comments`: every comment of the document, threads in the order
/// they were started, each followed by its replies; and whether the caller may comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocComments {
    pub items: Vec<DocComment>,
    pub can_comment: bool,
}

/// What happened to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentChange {
    Created,
    Resolved,
    Reopened,
}

/// `doc.comment`: a comment was added to a document, or a thread resolved or reopened (to the
/// project's readers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocCommentEvent {
    pub change: CommentChange,
    pub comment: DocComment,
}
