//! The object store that holds file bytes: a directory under the data dir, or an S3 bucket.
//!
//! Exactly two implementations of [`ObjectStore`], chosen once at start-up by [`from_config`]:
//! [`local::LocalStore`] (the default) and [`s3::S3Store`] (when `ATRIUM_S3_ENDPOINT` is set).
//!
//! Writes are two-phase so that nothing half-written is ever visible under a real key: bytes go
//! to a temporary object ([`ObjectStore::create`] → [`PendingObject::write`]), are made durable
//! there ([`PendingObject::seal`]), and only then moved to their content address
//! ([`PendingObject::place`]) or dropped ([`PendingObject::discard`]). A pending object that is
//! dropped without either removes its temporary on its own, so an aborted request (even one
//! whose future is cancelled) leaves nothing behind.

pub mod local;
pub mod s3;

use std::sync::Arc;

use axum::body::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;

use crate::config::Config;

/// A failure of the object store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The store cannot be reached or refused the request; retrying later may work.
    #[error("object storage is unavailable: {0}")]
    Unavailable(String),
    /// No object under that key.
    #[error("object not found")]
    NotFound,
    /// A local I/O failure.
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result of a storage operation.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A stream of an object's bytes.
pub type ByteStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// Where file bytes live. Keys are produced by [`blob_key`] only.
pub trait ObjectStore: Send + Sync {
    /// `local` or `s3`, for logs.
    fn backend(&self) -> &'static str;

    /// Starts a new object under a temporary name of the organisation's.
    fn create<'a>(&'a self, org_id: &'a str) -> BoxFuture<'a, Result<Box<dyn PendingObject>>>;

    /// Streams the bytes `start..=end` of the object at `key` (the whole object when `range` is
    /// `None`). Errors that can be seen before the first byte (missing object, store down) are
    /// returned here rather than in the stream.
    fn read<'a>(
        &'a self,
        key: &'a str,
        range: Option<(u64, u64)>,
    ) -> BoxFuture<'a, Result<ByteStream>>;

    /// Removes the object at `key`; removing a missing object is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>>;
}

/// An object being written under a temporary name.
pub trait PendingObject: Send {
    /// Appends bytes.
    fn write(&mut self, chunk: Bytes) -> BoxFuture<'_, Result<()>>;

    /// Makes everything written durable under the temporary name.
    fn seal(&mut self) -> BoxFuture<'_, Result<()>>;

    /// Moves the sealed object to `key`, replacing an object there (which, content-addressed,
    /// holds the same bytes).
    fn place(self: Box<Self>, key: String) -> BoxFuture<'static, Result<()>>;

    /// Removes the temporary object.
    fn discard(self: Box<Self>) -> BoxFuture<'static, Result<()>>;
}

/// The shared handle to the configured store.
pub type Store = Arc<dyn ObjectStore>;

/// The key of an organisation's blob: content-addressed, so the same bytes in the same org
/// share one object, and another org's identical bytes never do.
pub fn blob_key(org_id: &str, sha256: &str) -> String {
    format!("blobs/{org_id}/{sha256}")
}

/// Whether `key` is one [`blob_key`] makes: the local store turns keys into paths, so nothing
/// else (no `..`, no separators inside a part) may reach it.
fn valid_key(key: &str) -> bool {
    let mut parts = key.split('/');
    let (Some("blobs"), Some(org), Some(sha), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let safe = |s: &str| {
        !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    safe(org) && safe(sha)
}

/// The store the configuration asks for: S3 when an endpoint is set, else the data directory.
pub async fn from_config(config: &Config) -> Result<Store> {
    match config.s3.endpoint.as_deref() {
        Some(endpoint) => Ok(Arc::new(s3::S3Store::new(&config.s3, endpoint)?)),
        None => Ok(Arc::new(
            local::LocalStore::open(config.data_dir.join("files")).await?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_blob_keys_are_valid() {
        assert!(valid_key(&blob_key("0190-ab", "deadbeef")));
        for bad in [
            "blobs/../x",
            "blobs/a/../b",
            "blobs/a",
            "tmp/a/b",
            "blobs/a/b/c",
            "blobs//b",
            "blobs/a/b.c",
        ] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
