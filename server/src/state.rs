//! `AppState`: what every handler can reach.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::db::Db;
use crate::ops::readiness::Dependencies;
use crate::write::Writes;

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub dependencies: Dependencies,
    /// The CRDT sync hub holding loaded documents.
    pub collab: atrium_collab::Hub,
    /// The one write path: units of work that record audit entries, events, change-feed rows
    /// and jobs with the change, and wake their readers after the commit.
    pub writes: Writes,
    /// File storage (a directory or S3) and upload limits.
    pub files: crate::files::Files,
    /// The app event bus: the `/api/v1/events` sockets, presence.
    pub events: crate::events::Events,
    /// Cards of recently loaded boards' projects, kept while the project does not change.
    pub board_cards: Arc<crate::boards::cache::CardCache>,
    /// Writes posted chat messages, concurrent ones in one transaction.
    pub chat: crate::chat::writer::MessageWriter,
    /// The search index, fed by the change feed.
    pub search: crate::search::Search,
    /// Credentials seen to be valid: only those get a rate-limit bucket of their own.
    pub verified_credentials: Arc<crate::http::rate_limit::VerifiedCredentials>,
    /// Counts refused credentials into aggregated audit entries.
    pub credential_rejections: crate::auth::rejections::CredentialRejections,
    /// Wakes this node's webhook dispatcher (a test event, a redelivery).
    pub webhooks: crate::webhooks::Webhooks,
    /// Cancelled when the server begins to shut down: long-lived connections (WebSockets)
    /// watch it to close cleanly instead of holding shutdown up.
    pub shutdown: CancellationToken,
}
