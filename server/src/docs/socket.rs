//! `WS /collab/{doc}`: the y-websocket protocol, as the stock `WebsocketProvider` speaks it.
//!
//! The caller is authenticated at connect (cookie, bearer token or `?token=`); the project
//! role decides whether their document updates are applied (editors, managers) or refused
//! (commenters, viewers). Without access the socket gets the protocol's auth-denied message and
//! is closed. Everything else — sync, awareness, durability — is the collab hub's.

use atrium_collab::{Access, Outgoing, close_codes, protocol};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store;
use crate::auth::CurrentUser;
use crate::authz::{ProjectAction, roles};
use crate::error::ApiError;
use crate::http::extract::Path;
use crate::http::ws::close;
use crate::state::AppState;
use crate::telemetry::metrics::OpenSocket;

/// Initial read buffer of a collaboration socket.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

/// The collaboration socket route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(collab_socket))
}

/// The y-websocket protocol for one document (sync, awareness, auth). Connect with the stock
/// provider: `new WebsocketProvider(base + '/collab', docId, ydoc, {params: {token}})`.
#[utoipa::path(get, path = "/collab/{doc}", tag = "docs", params(("doc" = String, Path)), responses(
    (status = 101, description = "Switching to the y-websocket protocol; without access the first message is auth-denied")))]
async fn collab_socket(
    State(state): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(doc_id): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let access = match user {
        Ok(user) => access(&state, &user, &doc_id).await,
        Err(_) => Err("authentication required"),
    };
    let max = state.collab.config().max_message_size;
    upgrade
        .max_message_size(max.saturating_add(1024))
        .max_frame_size(max.saturating_add(1024))
        // The 128 KiB defaults per socket would make a thousand idle editors cost 256 MB;
        // frames are small, and large ones still arrive (the buffer grows as needed).
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            let _open = OpenSocket::new("collab");
            match access {
                Ok(access) => serve(socket, state, doc_id, access).await,
                Err(reason) => deny(socket, reason).await,
            }
        })
}

/// The caller's access to the document, or why they have none: one query (document, org
/// role, project settings and explicit project role), the rule of
/// [`crate::authz::require_project`] applied to it.
async fn access(
    state: &AppState,
    user: &CurrentUser,
    doc_id: &str,
) -> Result<Access, &'static str> {
    let row = match store::access_row(&state.db, doc_id, user.id()).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err("no such document"),
        Err(_) => return Err("the server cannot check access right now"),
    };
    if row.trashed {
        return Err("the document is in the trash");
    }
    let role = match (row.org_role, row.project) {
        (Some(org_role), Some((visibility, default_role))) => {
            roles::effective_role(org_role, row.explicit_role, visibility, default_role)
        }
        _ => None,
    };
    match role {
        Some(role) if roles::project_allows(role, ProjectAction::Write) => Ok(Access::ReadWrite),
        Some(role) if roles::project_allows(role, ProjectAction::Read) => Ok(Access::ReadOnly),
        _ => Err("no such document"),
    }
}

async fn deny(mut socket: WebSocket, reason: &str) {
    let _ = socket
        .send(Message::Binary(protocol::encode_permission_denied(reason)))
        .await;
    close(socket, close_codes::FORBIDDEN, reason).await;
}

async fn serve(mut socket: WebSocket, state: AppState, doc_id: String, access: Access) {
    let (mut connection, mut outbox) = match state.collab.connect(&doc_id, access).await {
        Ok(pair) => pair,
        Err(error) => {
            tracing::warn!(%doc_id, %error, "cannot open the document");
            close(
                socket,
                close_codes::STORAGE_FAILURE,
                "the document cannot be loaded",
            )
            .await;
            return;
        }
    };
    let (code, reason) = loop {
        tokio::select! {
            outgoing = outbox.next() => match outgoing {
                Some(Outgoing::Frame(bytes)) => {
                    if socket.send(Message::Binary(bytes)).await.is_err() {
                        return;
                    }
                }
                Some(Outgoing::Close { code, reason }) => break (code, reason.to_string()),
                None => return,
            },
            incoming = socket.recv() => match incoming {
                // A refused frame makes the outbox yield the close instruction next.
                Some(Ok(Message::Binary(bytes))) => {
                    let _ = connection.receive(bytes);
                }
                Some(Ok(Message::Text(_))) => break (close_codes::PROTOCOL_ERROR, "binary frames only".to_owned()),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            () = state.shutdown.cancelled() => break (close_codes::SHUTTING_DOWN, "the server is restarting".to_owned()),
        }
    };
    // Leave the room before the close handshake, so peers see the presence go at once.
    drop(connection);
    drop(outbox);
    close(socket, code, &reason).await;
}
