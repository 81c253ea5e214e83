//! The crate's one error type.

use crate::protocol::ProtocolError;

/// Everything that can go wrong in the collab crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A frame or update did not follow the y-websocket / Yjs v1 encoding.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The database refused or failed a read or write.
    #[error("storage error: {0}")]
    Storage(#[from] sqlx::Error),
    /// A stored update or snapshot could not be decoded (the database holds something that is
    /// not a Yjs v1 update).
    #[error("corrupt stored data for document {doc_id}: {reason}")]
    Corrupt {
        /// The document whose data is bad.
        doc_id: String,
        /// What was wrong.
        reason: String,
    },
    /// A message or an update is bigger than the configured limit.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The size received.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Applying the update would make the document bigger than the configured limit.
    #[error("document would exceed the limit of {limit} bytes")]
    DocumentTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The named version does not exist for this document.
    #[error("version not found")]
    VersionNotFound,
    /// The room was reset (a failed write or an internal error) while the request was in flight;
    /// retrying loads it again from the database.
    #[error("the document was reset; retry")]
    RoomReset,
    /// The hub is shutting down and accepts no more work.
    #[error("the collaboration hub is shutting down")]
    ShuttingDown,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
