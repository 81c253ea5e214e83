//! The S3 object store (rust-s3; MinIO and other S3-compatible servers with path-style
//! addressing). Objects live at `blobs/<org>/<sha256>`; uploads in progress at
//! `tmp/<org>/<uuid>`.
//!
//! An upload buffers at most one part ([`PART_SIZE`]) in memory. A small object is sent as one
//! PUT when sealed; a larger one becomes a multipart upload that is completed only when sealed,
//! so until then no object exists at all, and an aborted upload is aborted on S3 too. Placing
//! copies the temporary object to its content address and deletes the temporary.

use std::time::Duration;

use axum::body::Bytes;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use s3::Bucket;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::region::Region;
use s3::serde_types::Part;

use super::{ByteStream, ObjectStore, PendingObject, Result, StorageError, valid_key};
use crate::config::S3Config;

/// Size of one multipart part (S3 wants at least 5 MiB for all but the last).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Deadline of one S3 request: a part, a copy of a large object, or the start of a download.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Capacity of the pipe between an S3 download and the HTTP response.
const PIPE_CAPACITY: usize = 256 * 1024;

/// Objects in an S3 bucket.
pub struct S3Store {
    bucket: Box<Bucket>,
}

impl S3Store {
    /// A store on the configured bucket. Nothing is contacted yet: a store that is down at
    /// start-up answers 503 until it is back, instead of keeping the server from starting.
    pub fn new(config: &S3Config, endpoint: &str) -> Result<Self> {
        let invalid = |e: S3Error| StorageError::Unavailable(format!("invalid S3 settings: {e}"));
        let credentials = Credentials::new(
            config.access_key.as_deref(),
            config.secret_key.as_deref(),
            None,
            None,
            None,
        )
        .map_err(|e| StorageError::Unavailable(format!("invalid S3 credentials: {e}")))?;
        let region = Region::Custom {
            region: config.region.clone(),
            endpoint: endpoint.to_owned(),
        };
        let bucket = Bucket::new(&config.bucket, region, credentials).map_err(invalid)?;
        let bucket = if config.path_style {
            bucket.with_path_style()
        } else {
            bucket
        };
        let bucket = bucket
            .with_request_timeout(REQUEST_TIMEOUT)
            .map_err(invalid)?;
        Ok(Self { bucket })
    }
}

/// Sorts an S3 failure: a missing object, or the store being unavailable.
fn classify(error: S3Error) -> StorageError {
    match error {
        S3Error::HttpFailWithBody(404, _) => StorageError::NotFound,
        other => StorageError::Unavailable(other.to_string()),
    }
}

impl ObjectStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    fn create<'a>(&'a self, org_id: &'a str) -> BoxFuture<'a, Result<Box<dyn PendingObject>>> {
        async move {
            Ok(Box::new(S3Pending {
                bucket: self.bucket.clone(),
                temp_key: format!("tmp/{org_id}/{}", uuid::Uuid::now_v7()),
                buffer: Vec::new(),
                upload_id: None,
                parts: Vec::new(),
                sealed: false,
                finished: false,
            }) as Box<dyn PendingObject>)
        }
        .boxed()
    }

    fn read<'a>(
        &'a self,
        key: &'a str,
        range: Option<(u64, u64)>,
    ) -> BoxFuture<'a, Result<ByteStream>> {
        async move {
            if !valid_key(key) {
                return Err(StorageError::NotFound);
            }
            // Ask first, so that a missing object or an unreachable store is an error the
            // handler can answer, not a response cut off after its headers.
            self.bucket.head_object(key).await.map_err(classify)?;
            let (reader, mut writer) = tokio::io::duplex(PIPE_CAPACITY);
            let bucket = self.bucket.clone();
            let key = key.to_owned();
            tokio::spawn(async move {
                let outcome = match range {
                    Some((start, end)) => {
                        bucket
                            .get_object_range_to_writer(&key, start, Some(end), &mut writer)
                            .await
                    }
                    None => bucket.get_object_to_writer(&key, &mut writer).await,
                };
                if let Err(error) = outcome {
                    // The reader sees the pipe close early; the response is cut short.
                    tracing::warn!(%key, %error, "S3 download failed mid-stream");
                }
            });
            let stream = futures::stream::unfold(reader, |mut reader| async move {
                use tokio::io::AsyncReadExt as _;
                let mut buf = vec![0; 64 * 1024];
                match reader.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(Bytes::from(buf)), reader))
                    }
                    Err(e) => Some((Err(e), reader)),
                }
            });
            Ok(Box::pin(stream) as ByteStream)
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            match self.bucket.delete_object(key).await.map_err(classify) {
                Ok(_) | Err(StorageError::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }
}

/// An upload in progress under `tmp/<org>/<uuid>`.
struct S3Pending {
    bucket: Box<Bucket>,
    temp_key: String,
    /// Bytes not yet sent: less than one part.
    buffer: Vec<u8>,
    /// Set once the object outgrew one part.
    upload_id: Option<String>,
    parts: Vec<Part>,
    /// The temporary object exists (the PUT or the multipart upload completed).
    sealed: bool,
    /// Placed or discarded: nothing left for `Drop` to do.
    finished: bool,
}

impl S3Pending {
    async fn send_part(&mut self) -> Result<()> {
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let started = self
                    .bucket
                    .initiate_multipart_upload(&self.temp_key, "application/octet-stream")
                    .await
                    .map_err(classify)?;
                self.upload_id = Some(started.upload_id.clone());
                started.upload_id
            }
        };
        let chunk = std::mem::take(&mut self.buffer);
        let number = u32::try_from(self.parts.len() + 1).unwrap_or(u32::MAX);
        let part = self
            .bucket
            .put_multipart_chunk(
                chunk,
                &self.temp_key,
                number,
                &upload_id,
                "application/octet-stream",
            )
            .await
            .map_err(classify)?;
        self.parts.push(part);
        Ok(())
    }

    /// Removes whatever exists of the temporary object.
    async fn cleanup(
        bucket: &Bucket,
        key: &str,
        upload_id: Option<&str>,
        sealed: bool,
    ) -> Result<()> {
        if sealed {
            match bucket.delete_object(key).await.map_err(classify) {
                Ok(_) | Err(StorageError::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        } else if let Some(upload_id) = upload_id {
            bucket.abort_upload(key, upload_id).await.map_err(classify)
        } else {
            Ok(())
        }
    }
}

impl PendingObject for S3Pending {
    fn write(&mut self, chunk: Bytes) -> BoxFuture<'_, Result<()>> {
        async move {
            self.buffer.extend_from_slice(&chunk);
            if self.buffer.len() >= PART_SIZE {
                self.send_part().await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn seal(&mut self) -> BoxFuture<'_, Result<()>> {
        async move {
            if self.sealed {
                return Ok(());
            }
            match self.upload_id.clone() {
                None => {
                    let body = std::mem::take(&mut self.buffer);
                    self.bucket
                        .put_object(&self.temp_key, &body)
                        .await
                        .map_err(classify)?;
                }
                Some(upload_id) => {
                    if !self.buffer.is_empty() {
                        self.send_part().await?;
                    }
                    let parts = std::mem::take(&mut self.parts);
                    self.bucket
                        .complete_multipart_upload(&self.temp_key, &upload_id, parts)
                        .await
                        .map_err(classify)?;
                }
            }
            self.sealed = true;
            Ok(())
        }
        .boxed()
    }

    fn place(mut self: Box<Self>, key: String) -> BoxFuture<'static, Result<()>> {
        async move {
            if !valid_key(&key) {
                return Err(StorageError::Unavailable(format!("not a blob key: {key}")));
            }
            self.bucket
                .copy_object_internal(&self.temp_key, &key)
                .await
                .map_err(classify)?;
            // The object is in place; a temporary that cannot be deleted now is only litter.
            if let Err(error) = self.bucket.delete_object(&self.temp_key).await {
                tracing::warn!(key = %self.temp_key, %error, "cannot delete a temporary S3 object");
            }
            self.finished = true;
            Ok(())
        }
        .boxed()
    }

    fn discard(mut self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        async move {
            let outcome = Self::cleanup(
                &self.bucket,
                &self.temp_key,
                self.upload_id.as_deref(),
                self.sealed,
            )
            .await;
            self.finished = true;
            outcome
        }
        .boxed()
    }
}

impl Drop for S3Pending {
    fn drop(&mut self) {
        if self.finished || (!self.sealed && self.upload_id.is_none()) {
            return;
        }
        // Cancelled mid-upload: clean up in the background (Drop cannot wait).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let bucket = self.bucket.clone();
        let key = std::mem::take(&mut self.temp_key);
        let upload_id = self.upload_id.take();
        let sealed = self.sealed;
        runtime.spawn(async move {
            if let Err(error) = Self::cleanup(&bucket, &key, upload_id.as_deref(), sealed).await {
                tracing::warn!(%key, %error, "cannot remove an abandoned S3 upload");
            }
        });
    }
}
