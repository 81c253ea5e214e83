//! Streaming a multipart upload into the object store, then recording it.
//!
//! The file part is never held whole: each chunk is hashed (SHA-256), counted against the size
//! limit and the organisation's quota, and written to a temporary object as it arrives. Only
//! when the bytes are sealed in storage does one transaction take a reference on the blob,
//! write the file and version rows and the change-feed row; a new blob is moved to its content
//! address inside that transaction (its row locked), an already stored one just drops the
//! temporary. Any failure before the commit discards the temporary, so a refused, failed or
//! aborted upload leaves neither a row nor an object.

use axum::extract::multipart::{Field, Multipart, MultipartError};
use sha2::{Digest, Sha256};

use super::model::{FileInfo, SNIFF_BYTES, clean_name, sniff};
use super::storage::{PendingObject, StorageError, blob_key};
use super::{extraction, feed, metrics, store};
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// What the upload becomes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A new file in this project.
    NewFile { project_id: String },
    /// A new version of this file.
    NewVersion { file_id: String },
}

/// Runs an upload in a task of its own: a client that disconnects drops the request's future,
/// and the upload must still reach a clean end (the body stream then fails, and the task
/// discards what it wrote) instead of stopping at an arbitrary await.
pub async fn run(
    state: AppState,
    org_id: String,
    user_id: String,
    target: Target,
    multipart: Multipart,
) -> Result<FileInfo> {
    let task = tokio::spawn(async move {
        let outcome = upload(&state, &org_id, &user_id, &target, multipart).await;
        match &outcome {
            Ok(_) => {}
            Err(e) if e.status().is_client_error() => metrics::upload("rejected"),
            Err(_) => metrics::upload("failed"),
        }
        outcome
    });
    task.await.map_err(ApiError::internal)?
}

async fn upload(
    state: &AppState,
    org_id: &str,
    user_id: &str,
    target: &Target,
    mut multipart: Multipart,
) -> Result<FileInfo> {
    let mut field = loop {
        match multipart.next_field().await.map_err(multipart_error)? {
            Some(field) if field.file_name().is_some() || field.name() == Some("file") => {
                break field;
            }
            Some(_) => continue,
            None => {
                return Err(ApiError::bad_request(
                    "missing_file",
                    "the multipart body has no file part (send it as `file`)",
                ));
            }
        }
    };
    let name = clean_name(field.file_name().unwrap_or("file"));
    let used = u64::try_from(store::usage(&state.db, org_id).await?).unwrap_or(0);
    let limits = Limits {
        max_size: state.files.max_upload_bytes,
        quota_left: state.files.org_quota_bytes.saturating_sub(used),
    };
    let mut pending = state
        .files
        .store
        .create(org_id)
        .await
        .map_err(storage_error)?;
    let received = match receive(pending.as_mut(), &mut field, &limits, &name).await {
        Ok(received) => received,
        Err(error) => {
            discard(pending).await;
            return Err(error);
        }
    };
    commit(state, org_id, user_id, target, &name, received, pending).await
}

struct Limits {
    max_size: u64,
    quota_left: u64,
}

/// The sealed bytes' facts.
struct Received {
    size: u64,
    sha256: String,
    content_type: String,
}

/// Streams the file part into `pending`, hashing and checking limits on the way.
async fn receive(
    pending: &mut dyn PendingObject,
    field: &mut Field<'_>,
    limits: &Limits,
    name: &str,
) -> Result<Received> {
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > limits.max_size {
            return Err(ApiError::PayloadTooLarge);
        }
        if size > limits.quota_left {
            return Err(quota_exceeded());
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        pending.write(chunk).await.map_err(storage_error)?;
    }
    pending.seal().await.map_err(storage_error)?;
    Ok(Received {
        size,
        sha256: hex::encode(hasher.finalize()),
        content_type: sniff(&head, name),
    })
}

async fn commit(
    state: &AppState,
    org_id: &str,
    user_id: &str,
    target: &Target,
    name: &str,
    received: Received,
    pending: Box<dyn PendingObject>,
) -> Result<FileInfo> {
    let size = i64::try_from(received.size).map_err(ApiError::internal)?;
    let version = store::NewVersion {
        name,
        size,
        content_type: &received.content_type,
        sha256: &received.sha256,
        created_by: user_id,
    };
    let rows = async {
        let mut work = state.writes.begin().await?;
        let new_blob = store::acquire_blob(work.tx(), org_id, &received.sha256, size).await?;
        // Checked again with the row locked: concurrent uploads may have used the room.
        if new_blob
            && u64::try_from(store::usage_in(work.tx(), org_id).await?).unwrap_or(0)
                > state.files.org_quota_bytes
        {
            return Err(quota_exceeded());
        }
        let file_id = match target {
            Target::NewFile { project_id } => {
                store::create_file(work.tx(), org_id, project_id, &version).await?
            }
            Target::NewVersion { file_id } => {
                store::add_version(work.tx(), org_id, file_id, &version)
                    .await?
                    .ok_or(ApiError::NotFound("file"))?;
                file_id.clone()
            }
        };
        Ok((work, new_blob, file_id))
    }
    .await;
    let (mut work, new_blob, file_id) = match rows {
        Ok(rows) => rows,
        Err(error) => {
            discard(pending).await;
            return Err(error);
        }
    };
    if new_blob {
        // On failure the transaction rolls back as `work` drops, and the pending object removes
        // its temporary itself.
        pending
            .place(blob_key(org_id, &received.sha256))
            .await
            .map_err(storage_error)?;
    } else {
        discard(pending).await;
    }
    let file = store::find_in(work.tx(), org_id, &file_id)
        .await?
        .ok_or_else(|| ApiError::internal("the file just written is missing"))?;
    // The name is searchable at once; the text follows when the extraction job has run.
    feed::upsert(&mut work, &file, "")?;
    extraction::enqueue(&mut work, org_id, &file_id, &file.version_id).await?;
    work.commit().await?;
    metrics::upload(if new_blob { "stored" } else { "deduplicated" });
    ::metrics::counter!(metrics::UPLOAD_BYTES).increment(received.size);
    if new_blob {
        ::metrics::counter!(metrics::STORED_BYTES).increment(received.size);
    }
    Ok(file)
}

async fn discard(pending: Box<dyn PendingObject>) {
    if let Err(error) = pending.discard().await {
        tracing::warn!(%error, "cannot remove the temporary object of a failed upload");
    }
}

/// The refusal of an upload that would take the organisation over its storage quota.
fn quota_exceeded() -> ApiError {
    ApiError::conflict(
        "quota_exceeded",
        "this upload would exceed your organisation's storage quota",
    )
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request("invalid_multipart", error.body_text())
    }
}

/// The API's answer to a storage failure: 503 while the store is unreachable.
pub fn storage_error(error: StorageError) -> ApiError {
    match error {
        StorageError::Unavailable(why) => {
            tracing::warn!(reason = %why, "file storage failed");
            ApiError::Unavailable("file storage is unavailable; try again later".to_owned())
        }
        other => ApiError::internal(other),
    }
}
