//! Comments anchored to a range of a document's text: `GET/POST /api/v1/docs/{doc}/comments`,
//! `POST /api/v1/comments/{comment}/resolve` and `/reopen`.
//!
//! The anchor is two Yjs relative positions the browser made from its selection; the server
//! checks they decode and keeps them as they are, so a thread stays on its text while people
//! edit around it (every client resolves them against its own copy of the document). Whoever
//! may comment on the document starts threads and replies; whoever may comment resolves and
//! reopens. `@handle` mentions notify those of them who may read the document, and a reply
//! notifies the thread's other participants. Each change is a `doc.comment` event to the
//! project's readers, so open panels follow live.
//!
//! Review mode: a new thread may carry a `suggestion`, text proposed for its range. Whoever
//! may edit the document accepts it — their editor makes the edit, as any edit, and then says
//! so (`/accept`), which resolves the thread as accepted — or rejects it; its author may
//! withdraw it (a rejection of their own). Suggestions live beside the text, not in it, so
//! readers and exports never see text nobody accepted, and people who may only comment (a
//! client in the portal) can propose edits without being able to write.

use std::collections::BTreeSet;

use atrium_client::wire::{
    CommentAnchor, CommentChange, Doc, DocComment, DocCommentEvent, DocComments, ErrorBody,
    NewDocComment, Notification, NotificationKind, PresenceStatus, SuggestionOutcome, UserRef,
};
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yrs::StickyIndex;
use yrs::updates::decoder::Decode as _;

use super::comment_store::{self as store, NewComment};
use super::routes::doc_for;
use crate::auth::CurrentUser;
use crate::authz::{self, Action};
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::events::{Audience, NewEvent};
use crate::http::extract::{Json, Path};
use crate::notifications::store::{self as notification_store, NewNotification};
use crate::state::AppState;
use crate::write::UnitOfWork;

const MAX_TEXT_CHARS: usize = 10_000;
const MAX_QUOTE_CHARS: usize = 500;
const MAX_ANCHOR_CHARS: usize = 512;
/// Comments one document may hold: the panel lists them all.
const MAX_COMMENTS_PER_DOC: i64 = 2_000;
/// How long a notification's snippet of the comment is.
const SNIPPET_CHARS: usize = 140;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(resolve_thread))
        .routes(routes!(reopen_thread))
        .routes(routes!(accept_suggestion))
        .routes(routes!(reject_suggestion))
}

/// The document's comments, threads in the order they were started.
#[utoipa::path(get, path = "/api/v1/docs/{doc}/comments", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 200, body = DocComments),
    (status = 404, description = "No such document, or no access", body = ErrorBody)))]
async fn list_comments(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
) -> Result<Json<DocComments>> {
    let doc = doc_for(&state, &user, &doc_id, Action::Read).await?;
    let items = store::list(&state.db, &doc.id).await?;
    let can_comment = doc.can.as_ref().is_some_and(|c| c.comment) && doc.trashed_at.is_none();
    Ok(Json(DocComments { items, can_comment }))
}

/// Start a thread on a range of the text (`anchor`, `quote`) or reply to one (`thread`).
#[utoipa::path(post, path = "/api/v1/docs/{doc}/comments", tag = "docs", params(("doc" = String, Path)), request_body = NewDocComment, responses(
    (status = 201, body = DocComment),
    (status = 403, description = "May read but not comment", body = ErrorBody),
    (status = 404, description = "No such document, or no access", body = ErrorBody),
    (status = 409, description = "The document is in the trash, or holds too many comments", body = ErrorBody),
    (status = 422, description = "Field errors: text, anchor, quote, thread", body = ErrorBody)))]
async fn add_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
    Json(body): Json<NewDocComment>,
) -> Result<(StatusCode, Json<DocComment>)> {
    let doc = doc_for(&state, &user, &doc_id, Action::Comment).await?;
    let text = validate(&body)?;
    if doc.trashed_at.is_some() {
        return Err(ApiError::conflict(
            "in_trash",
            "the document is in the trash; restore it first",
        ));
    }
    let mentioned = mentioned_readers(&state, &doc, &user, &text).await?;
    let id = new_id();
    let now = now_ms();
    let mut work = state.writes.begin().await?;
    if store::count(work.tx(), &doc.id).await? >= MAX_COMMENTS_PER_DOC {
        return Err(ApiError::conflict(
            "too_many_comments",
            format!("a document holds at most {MAX_COMMENTS_PER_DOC} comments"),
        ));
    }
    let thread = match &body.thread {
        Some(thread) => {
            if !store::is_thread(work.tx(), &doc.id, thread).await? {
                return Err(ApiError::invalid_field(
                    "thread",
                    "no such thread in this document",
                ));
            }
            thread.clone()
        }
        None => id.clone(),
    };
    store::insert(
        work.tx(),
        &NewComment {
            id: &id,
            org_id: &doc.org_id,
            doc_id: &doc.id,
            thread_id: &thread,
            author_id: user.id(),
            body: &text,
            anchor: body.anchor.as_ref(),
            quote: body.quote.as_deref().map(str::trim),
            suggestion: body.suggestion.as_deref(),
            created_at: now,
        },
    )
    .await?;
    let comment = store::find(work.tx(), &id)
        .await?
        .ok_or(ApiError::NotFound("comment"))?;
    // A reply reaches the thread's other participants who may still read the document;
    // mentions reach those named. Each person once.
    let mut notify: BTreeSet<String> = mentioned;
    if body.thread.is_some() {
        for participant in store::participants(work.tx(), &thread).await? {
            if participant != user.id() && reader(&state, &doc, &participant).await {
                notify.insert(participant);
            }
        }
    }
    notify_people(&state, &mut work, &doc, &comment, &notify).await?;
    announce(&mut work, &doc, CommentChange::Created, &comment);
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

/// Resolve a thread (its first comment's id).
#[utoipa::path(post, path = "/api/v1/comments/{comment}/resolve", tag = "docs", params(("comment" = String, Path)), responses(
    (status = 200, description = "The thread's first comment, resolved (also if it already was)", body = DocComment),
    (status = 403, description = "May read but not comment", body = ErrorBody),
    (status = 404, description = "No such comment, or no access", body = ErrorBody),
    (status = 422, description = "A reply, not a thread", body = ErrorBody)))]
async fn resolve_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(comment_id): Path<String>,
) -> Result<Json<DocComment>> {
    set_resolved(&state, &user, &comment_id, true)
        .await
        .map(Json)
}

/// Open a resolved thread again.
#[utoipa::path(post, path = "/api/v1/comments/{comment}/reopen", tag = "docs", params(("comment" = String, Path)), responses(
    (status = 200, description = "The thread's first comment, open (also if it already was)", body = DocComment),
    (status = 403, description = "May read but not comment", body = ErrorBody),
    (status = 404, description = "No such comment, or no access", body = ErrorBody),
    (status = 422, description = "A reply, not a thread", body = ErrorBody)))]
async fn reopen_thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(comment_id): Path<String>,
) -> Result<Json<DocComment>> {
    set_resolved(&state, &user, &comment_id, false)
        .await
        .map(Json)
}

async fn set_resolved(
    state: &AppState,
    user: &CurrentUser,
    comment_id: &str,
    resolved: bool,
) -> Result<DocComment> {
    let (doc, first) = open_thread(state, user, comment_id, Action::Comment).await?;
    let mut work = state.writes.begin().await?;
    let changed = if resolved {
        // A suggestion resolved without a decision counts as not taken.
        let outcome = first
            .suggestion
            .as_ref()
            .map(|_| SuggestionOutcome::Rejected);
        store::resolve(work.tx(), comment_id, user.id(), now_ms(), outcome).await?
    } else {
        store::reopen(work.tx(), comment_id).await?
    };
    finish(
        work,
        &doc,
        comment_id,
        changed.then_some(if resolved {
            CommentChange::Resolved
        } else {
            CommentChange::Reopened
        }),
    )
    .await
}

/// Accept a suggested edit: the caller's editor has made it; the thread is resolved as accepted.
#[utoipa::path(post, path = "/api/v1/comments/{comment}/accept", tag = "docs", params(("comment" = String, Path)), responses(
    (status = 200, description = "The suggestion, accepted (also if it already was)", body = DocComment),
    (status = 403, description = "May not edit the document", body = ErrorBody),
    (status = 404, description = "No such comment, or no access", body = ErrorBody),
    (status = 409, description = "`suggestion_decided`: it was rejected or resolved; reopen it first", body = ErrorBody),
    (status = 422, description = "Not a suggestion", body = ErrorBody)))]
async fn accept_suggestion(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(comment_id): Path<String>,
) -> Result<Json<DocComment>> {
    decide(&state, &user, &comment_id, SuggestionOutcome::Accepted)
        .await
        .map(Json)
}

/// Reject a suggested edit (those who may edit the document), or withdraw one's own.
#[utoipa::path(post, path = "/api/v1/comments/{comment}/reject", tag = "docs", params(("comment" = String, Path)), responses(
    (status = 200, description = "The suggestion, rejected (also if it already was)", body = DocComment),
    (status = 403, description = "Neither an editor of the document nor the suggestion's author", body = ErrorBody),
    (status = 404, description = "No such comment, or no access", body = ErrorBody),
    (status = 409, description = "`suggestion_decided`: it was accepted; reopen it first", body = ErrorBody),
    (status = 422, description = "Not a suggestion", body = ErrorBody)))]
async fn reject_suggestion(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(comment_id): Path<String>,
) -> Result<Json<DocComment>> {
    decide(&state, &user, &comment_id, SuggestionOutcome::Rejected)
        .await
        .map(Json)
}

async fn decide(
    state: &AppState,
    user: &CurrentUser,
    comment_id: &str,
    outcome: SuggestionOutcome,
) -> Result<DocComment> {
    let (doc, first) = open_thread(state, user, comment_id, Action::Comment).await?;
    if first.suggestion.is_none() {
        return Err(ApiError::invalid_field(
            "comment",
            "not a suggestion: resolve the thread instead",
        ));
    }
    let may_edit = doc.can.as_ref().is_some_and(|c| c.write);
    let withdrawing = outcome == SuggestionOutcome::Rejected && first.author.id == user.id();
    if !may_edit && !withdrawing {
        return Err(ApiError::Forbidden(
            "only those who may edit the document decide a suggestion; its author may withdraw it"
                .into(),
        ));
    }
    if first.resolved_at.is_some() {
        if first.outcome == Some(outcome) {
            return Ok(first);
        }
        return Err(ApiError::conflict(
            "suggestion_decided",
            "the suggestion was already decided or resolved; reopen it first",
        ));
    }
    let mut work = state.writes.begin().await?;
    let changed = store::resolve(work.tx(), comment_id, user.id(), now_ms(), Some(outcome)).await?;
    finish(
        work,
        &doc,
        comment_id,
        changed.then_some(CommentChange::Resolved),
    )
    .await
}

/// The document of a thread (by its first comment) the caller may `action` on, and that first
/// comment; 404 for a comment they may not see, 422 for a reply, 409 in the trash.
async fn open_thread(
    state: &AppState,
    user: &CurrentUser,
    comment_id: &str,
    action: Action,
) -> Result<(Doc, DocComment)> {
    let doc_id = store::doc_of(&state.db, comment_id)
        .await?
        .ok_or(ApiError::NotFound("comment"))?;
    let doc = doc_for(state, user, &doc_id, action)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("comment"),
            other => other,
        })?;
    if doc.trashed_at.is_some() {
        return Err(ApiError::conflict(
            "in_trash",
            "the document is in the trash; restore it first",
        ));
    }
    let first = store::find_in(&state.db, comment_id)
        .await?
        .ok_or(ApiError::NotFound("comment"))?;
    if first.thread != first.id {
        return Err(ApiError::invalid_field(
            "comment",
            "a reply: resolve or reopen its thread",
        ));
    }
    Ok((doc, first))
}

/// Commits a thread's change, announcing it when there was one, and answers with the thread.
async fn finish(
    mut work: UnitOfWork,
    doc: &Doc,
    comment_id: &str,
    change: Option<CommentChange>,
) -> Result<DocComment> {
    let comment = store::find(work.tx(), comment_id)
        .await?
        .ok_or(ApiError::NotFound("comment"))?;
    if let Some(change) = change {
        announce(&mut work, doc, change, &comment);
    }
    work.commit().await?;
    Ok(comment)
}

/// The comment's text, trimmed; 422 for what may not be stored.
fn validate(body: &NewDocComment) -> Result<String> {
    let text = body.text.trim();
    if (text.is_empty() && body.suggestion.is_none()) || text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid_field(
            "text",
            format!("must be 1 to {MAX_TEXT_CHARS} characters"),
        ));
    }
    if let Some(suggestion) = &body.suggestion {
        if body.thread.is_some() {
            return Err(ApiError::invalid_field(
                "suggestion",
                "a reply cannot suggest an edit: start a thread on the text",
            ));
        }
        if suggestion.chars().count() > MAX_TEXT_CHARS {
            return Err(ApiError::invalid_field(
                "suggestion",
                format!("must be at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if suggestion
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ApiError::invalid_field(
                "suggestion",
                "may hold line breaks and tabs but no other control characters",
            ));
        }
    }
    match (&body.anchor, &body.thread) {
        (Some(anchor), None) => validate_anchor(anchor)?,
        (None, Some(_)) => {
            if body.quote.is_some() {
                return Err(ApiError::invalid_field(
                    "quote",
                    "a reply has no quote: its thread has",
                ));
            }
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_field(
                "anchor",
                "a reply takes its thread's anchor: give anchor or thread, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_field(
                "anchor",
                "a new thread needs the range of text it is about",
            ));
        }
    }
    if body
        .quote
        .as_deref()
        .is_some_and(|q| q.chars().count() > MAX_QUOTE_CHARS)
    {
        return Err(ApiError::invalid_field(
            "quote",
            format!("must be at most {MAX_QUOTE_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Both ends must be Yjs relative positions (`Y.encodeRelativePosition`, base64).
fn validate_anchor(anchor: &CommentAnchor) -> Result<()> {
    for (field, value) in [("anchor.from", &anchor.from), ("anchor.to", &anchor.to)] {
        let decoded = (value.len() <= MAX_ANCHOR_CHARS)
            .then(|| STANDARD.decode(value).ok())
            .flatten()
            .and_then(|bytes| StickyIndex::decode_v1(&bytes).ok());
        if decoded.is_none() {
            return Err(ApiError::invalid_field(
                field,
                "must be a Yjs relative position (encodeRelativePosition, base64)",
            ));
        }
    }
    Ok(())
}

/// Whether `user_id` may read `doc` now.
async fn reader(state: &AppState, doc: &Doc, user_id: &str) -> bool {
    authz::documents::reads(&state.db, user_id, &doc.project_id, &doc.created_by).await
}

/// The people `@mentioned` in `text` who may read the document (never the author). A handle
/// that names nobody is a 422, as in chat; one who may not read it is not told.
async fn mentioned_readers(
    state: &AppState,
    doc: &Doc,
    user: &CurrentUser,
    text: &str,
) -> Result<BTreeSet<String>> {
    use crate::chat::mentions;
    let parsed = mentions::parse(text);
    let candidates: Vec<String> = parsed
        .handles
        .iter()
        .flat_map(|h| mentions::candidates(h))
        .collect();
    if candidates.is_empty() {
        return Ok(BTreeSet::new());
    }
    let found = crate::users::store::find_by_handles(&state.db, &candidates).await?;
    let mut readers = BTreeSet::new();
    let mut unknown = Vec::new();
    for written in &parsed.handles {
        let Some(person) = mentions::candidates(written)
            .iter()
            .find_map(|c| found.iter().find(|u| &u.handle == c))
        else {
            unknown.push(format!("@{}", written.trim_end_matches(['.', '-'])));
            continue;
        };
        if person.id != user.id() && reader(state, doc, &person.id).await {
            readers.insert(person.id.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::invalid_field(
            "text",
            format!("mentions unknown users: {}", unknown.join(", ")),
        ));
    }
    Ok(readers)
}

async fn notify_people(
    state: &AppState,
    work: &mut UnitOfWork,
    doc: &Doc,
    comment: &DocComment,
    people: &BTreeSet<String>,
) -> Result<()> {
    if people.is_empty() {
        return Ok(());
    }
    let presence = state.events.presence();
    let snippet: String = comment.text.chars().take(SNIPPET_CHARS).collect();
    let notifications: Vec<NewNotification> = people
        .iter()
        .map(|person| NewNotification {
            email: presence.status(person) == PresenceStatus::Offline,
            user_id: person.clone(),
            notification: Notification {
                id: new_id(),
                kind: NotificationKind::DocComment,
                org_id: doc.org_id.clone(),
                channel_id: Some(doc.id.clone()),
                message_id: Some(comment.id.clone()),
                thread_id: Some(comment.thread.clone()),
                actor: Some(UserRef::clone(&comment.author)),
                snippet: format!("{}: {snippet}", doc.title),
                created_at: comment.created_at,
                read_at: None,
            },
        })
        .collect();
    notification_store::insert_many(work.tx(), &notifications).await?;
    work.emit_all(crate::chat::notify::events(&notifications));
    Ok(())
}

/// `doc.comment` to the project's readers — addressed as a task's discussion is (see
/// [`Audience::TaskDiscussion`]): the project's readers, without touching its board's version.
fn announce(work: &mut UnitOfWork, doc: &Doc, change: CommentChange, comment: &DocComment) {
    work.emit(NewEvent::new(
        &doc.org_id,
        Audience::TaskDiscussion(doc.project_id.clone()),
        "doc.comment",
        &DocCommentEvent {
            change,
            comment: comment.clone(),
        },
    ));
}
