//! `WS /collab/{doc}`: the y-websocket protocol, as the stock `WebsocketProvider` speaks it.
//!
//! The caller is authenticated at connect (cookie, bearer token or `?token=`; a cookie only
//! from a page of this server's own origin or a CORS origin, else 403 before upgrading); the
//! project role decides whether their document updates are applied (editors, managers) or
//! refused (commenters, viewers). Without access the socket gets the protocol's auth-denied
//! message and is closed. Access is checked again whenever it may have changed while the socket
//! is open (membership or role changes, revoked sessions and tokens — see
//! [`crate::events::watch`]): a socket that lost access is closed with 4403 (4401 when its
//! session ended), one whose access changed otherwise with 4510, so the client reconnects with
//! what it has now. A document in the trash closes with 4410 instead of 4403, at connect and
//! when it is trashed while open, so that the browser can say so and offer the restore. Everything else — sync, awareness, durability — is the collab hub's.

use std::sync::Arc;

use atrium_collab::{Access, FrameSink, close_codes, protocol};
use axum::extract::State;
use axum::response::{IntoResponse as _, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use super::wire::{self, Incoming, ReadError, Socket, Upgrade};
use crate::auth::{self, CurrentUser};
use crate::authz;
use crate::db::Db;
use crate::error::ApiError;
use crate::events::watch::AccessWatch;
use crate::http::extract::Path;
use crate::state::AppState;
use crate::telemetry::metrics::OpenSocket;
use tokio_util::sync::CancellationToken;

/// The collaboration socket route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(collab_socket))
}

/// The y-websocket protocol for one document (sync, awareness, auth). Connect with the stock
/// provider: `new WebsocketProvider(base + '/collab', docId, ydoc, {params: {token}})`.
#[utoipa::path(get, path = "/collab/{doc}", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 101, description = "Switching to the y-websocket protocol; without access the first message is auth-denied"),
    (status = 403, description = "A session cookie sent from a page of another origin"),
    (status = 429, description = "Too many requests from this caller")))]
async fn collab_socket(
    State(state): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(doc_id): Path<String>,
    upgrade: Upgrade,
) -> Response {
    let (grant, holder) = match user {
        Ok(user) => (
            access(&state.db, user.id(), &doc_id).await,
            Some(Holder {
                db: state.db.clone(),
                watch: state.events.watch().clone(),
                user_id: user.user.id,
                token_id: user.token_id,
            }),
        ),
        // A session cookie from a page of another site (cross-site WebSocket hijacking): no
        // socket at all, so that page learns nothing but the refusal.
        Err(refused @ ApiError::Forbidden(_)) => return refused.into_response(),
        Err(_) => (Err("authentication required"), None),
    };
    let config = state.collab.config();
    // Frames just over the hub's limit still arrive, so the hub closes with its own code.
    let max = config.max_message_size.saturating_add(1024);
    let send_queue_bytes = config.send_queue_bytes;
    // Only what the open socket needs, not the whole state: the task holds it while it is open.
    let (hub, shutdown) = (state.collab.clone(), state.shutdown.clone());
    upgrade.on_upgrade(max, send_queue_bytes, move |socket| async move {
        let _open = OpenSocket::new("collab");
        match (grant, holder) {
            (Ok(grant), Some(holder)) => serve(socket, hub, shutdown, doc_id, grant, holder).await,
            (grant, _) => Box::pin(deny(socket, reason_or_auth(grant))).await,
        }
    })
}

/// What the caller may do with the document, and where it lives (to know which access
/// changes concern the socket).
struct Grant {
    access: Access,
    org_id: String,
    project_id: String,
}

/// Who holds an open socket: what it needs to check their access again.
struct Holder {
    db: Db,
    watch: Arc<AccessWatch>,
    user_id: String,
    /// The session or API token the socket was opened with.
    token_id: String,
}

fn reason_or_auth(grant: Result<Grant, &'static str>) -> &'static str {
    grant.err().unwrap_or("authentication required")
}

/// The caller's access to the document, or why they have none: one query (document, org
/// role, project settings and explicit project role), decided by [`crate::authz::documents`].
async fn access(db: &Db, user_id: &str, doc_id: &str) -> Result<Grant, &'static str> {
    let row = match store::access_row(db, doc_id, user_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(authz::documents::NO_SUCH_DOCUMENT),
        Err(_) => return Err(CANNOT_CHECK),
    };
    // Access first, the trash second: only someone who may open the document learns that it
    // is in the trash (the others get "no such document", as for any document).
    let can =
        match authz::documents::socket_can(db, user_id, &row.org_id, row.roles, &row.created_by)
            .await
        {
            Ok(decision) => decision?,
            Err(_) => return Err(CANNOT_CHECK),
        };
    if row.trashed {
        return Err(authz::documents::IN_TRASH);
    }
    Ok(Grant {
        access: if can.write {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        },
        org_id: row.org_id,
        project_id: row.project_id,
    })
}

/// Checks an open socket's access again; `Some((code, reason))` when it must close.
async fn recheck(holder: &Holder, doc_id: &str, had: Access) -> Option<(u16, String, bool)> {
    match auth::store::token_is_live(&holder.db, &holder.user_id, &holder.token_id).await {
        Ok(true) => {}
        Ok(false) => {
            return Some((
                close_codes::SESSION_ENDED,
                "the session has ended".to_owned(),
                false,
            ));
        }
        Err(error) => {
            tracing::warn!(%error, "cannot check a collaboration socket's session");
            return Some(cannot_check());
        }
    }
    match access(&holder.db, &holder.user_id, doc_id).await {
        Ok(grant) if grant.access == had => None,
        Ok(_) => Some((
            close_codes::ACCESS_CHANGED,
            close_codes::reason(close_codes::ACCESS_CHANGED).to_owned(),
            false,
        )),
        Err(reason) if reason == CANNOT_CHECK => Some(cannot_check()),
        Err(reason) => Some((refusal_code(reason), reason.to_owned(), true)),
    }
}

/// The database did not answer: the client reconnects, and is checked then.
fn cannot_check() -> (u16, String, bool) {
    (
        close_codes::ACCESS_CHANGED,
        "access could not be checked; reconnect".to_owned(),
        false,
    )
}

/// Why access is refused when the database does not answer.
const CANNOT_CHECK: &str = "the server cannot check access right now";

async fn deny(socket: Socket, reason: &str) {
    let _ = socket
        .writer
        .send(&protocol::encode_permission_denied(reason));
    socket.close(refusal_code(reason), reason).await;
}

/// The close code for a refusal: a document in the trash is not a loss of access, and the
/// browser offers its restore on [`close_codes::IN_TRASH`].
fn refusal_code(reason: &str) -> u16 {
    if reason == authz::documents::IN_TRASH {
        close_codes::IN_TRASH
    } else {
        close_codes::FORBIDDEN
    }
}

async fn serve(
    socket: Socket,
    hub: atrium_collab::Hub,
    shutdown: CancellationToken,
    doc_id: String,
    grant: Grant,
    holder: Holder,
) {
    let access = grant.access;
    // Registered before joining: a change committed while the room loads still wakes it.
    let watched = holder
        .watch
        .register(&holder.user_id, &grant.org_id, &grant.project_id);
    let sink: Arc<dyn FrameSink> = socket.writer.clone();
    // The cold paths (joining, closing) are boxed: an open socket's task keeps its future for
    // as long as it is open, and inline they made it 2.3 KB, most of a connection's memory.
    let (mut connection, closing) = match Box::pin(hub.connect_with(&doc_id, access, sink)).await {
        Ok(pair) => pair,
        Err(error) => {
            tracing::warn!(%doc_id, %error, "cannot open the document");
            Box::pin(socket.close(
                close_codes::STORAGE_FAILURE,
                "the document cannot be loaded",
            ))
            .await;
            return;
        }
    };
    // Whose edits these are, for the automatic history.
    connection.set_author(&holder.user_id);
    let Socket { mut reader, writer } = socket;
    // The room writes this connection's frames itself; this task reads, writes what the socket
    // did not take at once, and closes.
    let (code, reason) = loop {
        tokio::select! {
            biased;
            closed = closing.closed() => break closed,
            // Writing comes before reading: polled first, it writes what the socket takes
            // before the next frame is read. After reading, a client sending without pause
            // would keep the frames queued for it from being written (the large ones are left
            // to this task) until its queue's bytes ran out.
            () = writer.drain() => return,
            () = watched.changed() => {
                if let Some((code, reason, denied)) = Box::pin(recheck(&holder, &doc_id, access)).await {
                    if denied {
                        // The stock client shows this as "permission denied" before the close.
                        let _ = writer.send(&protocol::encode_permission_denied(&reason));
                    }
                    break (code, reason);
                }
            }
            incoming = reader.next() => match incoming {
                // A refused frame makes `closing` resolve next.
                Ok(Incoming::Binary(bytes)) => {
                    let _ = connection.receive(bytes);
                }
                Ok(Incoming::Text) => break (close_codes::PROTOCOL_ERROR, "binary frames only".to_owned()),
                Ok(Incoming::Close(code)) => {
                    drop(connection);
                    Box::pin(Socket { reader, writer }.closed_by_client(code)).await;
                    return;
                }
                Err(ReadError::TooLarge) => break (close_codes::MESSAGE_TOO_LARGE, close_codes::reason(close_codes::MESSAGE_TOO_LARGE).to_owned()),
                Err(ReadError::Protocol) => break (wire::CLOSE_PROTOCOL, "protocol error".to_owned()),
                Err(ReadError::SlowConsumer) => {
                    metrics::counter!(atrium_collab::metrics::CLOSES, "code" => close_codes::SLOW_CONSUMER.to_string()).increment(1);
                    break (close_codes::SLOW_CONSUMER, close_codes::reason(close_codes::SLOW_CONSUMER).to_owned());
                }
                Err(ReadError::Io) => return,
            },
            () = shutdown.cancelled() => break (close_codes::SHUTTING_DOWN, "the server is restarting".to_owned()),
        }
    };
    // Leave the room before the close handshake, so peers see the presence go at once.
    drop(connection);
    Box::pin(Socket { reader, writer }.close(code, &reason)).await;
}
