//! The local object store: a directory (`<data_dir>/files`) with `blobs/<org>/<sha256>` and a
//! `tmp/` of uploads in progress. Atomic by rename: a blob path only ever holds complete,
//! fsynced bytes.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

use super::{ByteStream, ObjectStore, PendingObject, Result, StorageError, valid_key};

/// Chunk size of reads, and the write buffer in front of the temporary file.
const IO_CHUNK: usize = 256 * 1024;

/// Objects in a directory.
#[derive(Debug)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens (creating) the store at `root`. Temporaries left by a previous run (a crash mid-
    /// upload) are removed: this process owns the data directory, so none is in use.
    pub async fn open(root: PathBuf) -> Result<Self> {
        let tmp = root.join("tmp");
        tokio::fs::create_dir_all(&tmp).await?;
        tokio::fs::create_dir_all(root.join("blobs")).await?;
        let mut entries = tokio::fs::read_dir(&tmp).await?;
        while let Some(entry) = entries.next_entry().await? {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        if !valid_key(key) {
            return Err(StorageError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a blob key: {key}"),
            )));
        }
        Ok(self.root.join(key))
    }
}

impl ObjectStore for LocalStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn create<'a>(&'a self, _org_id: &'a str) -> BoxFuture<'a, Result<Box<dyn PendingObject>>> {
        async move {
            let path = self
                .root
                .join("tmp")
                .join(format!("{}.part", uuid::Uuid::now_v7()));
            let file = tokio::fs::File::create_new(&path).await?;
            Ok(Box::new(LocalPending {
                root: self.root.clone(),
                path,
                file: Some(BufWriter::with_capacity(IO_CHUNK, file)),
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
            let path = self.path(key)?;
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StorageError::NotFound);
                }
                Err(e) => return Err(e.into()),
            };
            let remaining = match range {
                Some((start, end)) => {
                    file.seek(SeekFrom::Start(start)).await?;
                    end - start + 1
                }
                None => file.metadata().await?.len(),
            };
            let stream =
                futures::stream::unfold((file, remaining), |(mut file, remaining)| async move {
                    if remaining == 0 {
                        return None;
                    }
                    let want = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(IO_CHUNK);
                    let mut buf = vec![0; want];
                    match file.read(&mut buf).await {
                        Ok(0) => Some((
                            Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "the object is shorter than recorded",
                            )),
                            (file, 0),
                        )),
                        Ok(n) => {
                            buf.truncate(n);
                            Some((Ok(Bytes::from(buf)), (file, remaining - n as u64)))
                        }
                        Err(e) => Some((Err(e), (file, 0))),
                    }
                });
            Ok(Box::pin(stream) as ByteStream)
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        .boxed()
    }
}

/// A temporary file under `tmp/`, removed on drop unless placed.
struct LocalPending {
    root: PathBuf,
    path: PathBuf,
    file: Option<BufWriter<tokio::fs::File>>,
    /// Placed or discarded: nothing left for `Drop` to do.
    finished: bool,
}

impl PendingObject for LocalPending {
    fn write(&mut self, chunk: Bytes) -> BoxFuture<'_, Result<()>> {
        async move {
            let file = self
                .file
                .as_mut()
                .ok_or_else(|| std::io::Error::other("write after seal"))?;
            file.write_all(&chunk).await?;
            Ok(())
        }
        .boxed()
    }

    fn seal(&mut self) -> BoxFuture<'_, Result<()>> {
        async move {
            if let Some(mut file) = self.file.take() {
                file.flush().await?;
                // Durable before the database says the file exists.
                file.get_mut().sync_all().await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn place(mut self: Box<Self>, key: String) -> BoxFuture<'static, Result<()>> {
        async move {
            if !valid_key(&key) {
                return Err(StorageError::Io(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("not a blob key: {key}"),
                )));
            }
            let target = self.root.join(&key);
            if let Some(dir) = target.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::rename(&self.path, &target).await?;
            self.finished = true;
            sync_dir(target.parent()).await;
            Ok(())
        }
        .boxed()
    }

    fn discard(mut self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        async move {
            self.file = None;
            let outcome = tokio::fs::remove_file(&self.path).await;
            self.finished = true;
            match outcome {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            }
        }
        .boxed()
    }
}

impl Drop for LocalPending {
    fn drop(&mut self) {
        if !self.finished {
            // Cancelled mid-upload: the request's future was dropped. A synchronous unlink is
            // quick and needs no runtime.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Makes a rename durable (best effort: some file systems refuse to fsync a directory).
async fn sync_dir(dir: Option<&Path>) {
    if let Some(dir) = dir
        && let Ok(handle) = tokio::fs::File::open(dir).await
    {
        let _ = handle.sync_all().await;
    }
}
