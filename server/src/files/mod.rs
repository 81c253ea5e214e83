//! Files in projects: streaming upload to a content-addressed object store (a directory or
//! S3), versions, trash, ranged and conditional downloads, and text extraction for search.
//!
//! # Layout
//! - [`routes`] — the HTTP handlers (`/api/v1/projects/{project}/files`, `/api/v1/files/*`).
//! - [`upload`] — streaming a multipart body into the store: hashing, size and quota limits,
//!   sniffing, then the database rows in one transaction.
//! - [`storage`] — the [`storage::ObjectStore`] trait and its two implementations.
//! - [`store`] — every SQL statement of the domain.
//! - [`model`] — wire types and pure rules (names, sniffing, ranges, `Content-Disposition`).
//! - [`extract`] — text extraction per format; [`sandbox`] — running it in a child process
//!   under memory and CPU limits; [`extraction`] — the job that runs it for each version.
//! - [`feed`] — change-feed rows of kind `file` for the search indexer.
//! - [`thumbnails`] — bounded, on-demand PNG previews of image files.
//!
//! Bytes are stored once per organisation and hash (`file_blobs`, reference-counted by the
//! versions that use them); a blob's object goes when its last version is purged.

pub mod extract;
pub mod extraction;
pub mod feed;
pub mod model;
pub mod routes;
pub mod sandbox;
pub mod storage;
pub mod store;
pub mod thumbnails;
pub mod upload;

use crate::config::Config;

/// What the file routes need beyond the database: the store and the limits.
#[derive(Clone)]
pub struct Files {
    pub store: storage::Store,
    /// Largest accepted file, in bytes.
    pub max_upload_bytes: u64,
    /// Bytes one organisation may store (distinct blobs).
    pub org_quota_bytes: u64,
}

impl Files {
    /// Opens the configured store. Extraction runs as jobs ([`extraction::ExtractionHandler`]).
    pub async fn start(config: &Config) -> Result<Self, storage::StorageError> {
        let store = storage::from_config(config).await?;
        tracing::info!(backend = store.backend(), "file storage ready");
        metrics::describe();
        Ok(Self {
            store,
            max_upload_bytes: config.files_max_upload_bytes,
            org_quota_bytes: config.files_org_quota_bytes,
        })
    }
}

/// The domain's metrics.
pub mod metrics {
    use std::time::Duration;

    /// Uploads finished, by outcome (`stored`, `deduplicated`, `rejected`, `failed`).
    pub const UPLOADS: &str = "atrium_files_uploads_total";
    /// Bytes received in uploads that were stored.
    pub const UPLOAD_BYTES: &str = "atrium_files_upload_bytes_total";
    /// Bytes of new blobs written to the store (deduplicated uploads add nothing).
    pub const STORED_BYTES: &str = "atrium_files_stored_bytes_total";
    /// Bytes of blobs removed from the store by purges.
    pub const PURGED_BYTES: &str = "atrium_files_purged_bytes_total";
    /// Text extractions, by outcome (`done`, `failed`, `skipped`).
    pub const EXTRACTIONS: &str = "atrium_files_extractions_total";
    /// Time one extraction took.
    pub const EXTRACTION_DURATION: &str = "atrium_files_extraction_duration_seconds";

    pub(super) fn describe() {
        metrics::describe_counter!(UPLOADS, "file uploads, by outcome");
        metrics::describe_counter!(
            UPLOAD_BYTES,
            metrics::Unit::Bytes,
            "bytes of accepted uploads"
        );
        metrics::describe_counter!(
            STORED_BYTES,
            metrics::Unit::Bytes,
            "bytes of new blobs stored"
        );
        metrics::describe_counter!(PURGED_BYTES, metrics::Unit::Bytes, "bytes of blobs removed");
        metrics::describe_counter!(EXTRACTIONS, "text extractions, by outcome");
        metrics::describe_histogram!(
            EXTRACTION_DURATION,
            metrics::Unit::Seconds,
            "time of one text extraction"
        );
    }

    /// Counts a finished upload.
    pub fn upload(outcome: &'static str) {
        metrics::counter!(UPLOADS, "outcome" => outcome).increment(1);
    }

    /// Counts an extraction and its time.
    pub fn extraction(outcome: &'static str, took: Duration) {
        metrics::counter!(EXTRACTIONS, "outcome" => outcome).increment(1);
        metrics::histogram!(EXTRACTION_DURATION).record(took.as_secs_f64());
    }
}
